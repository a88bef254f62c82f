//! Applicants: citizens, identified by their resident ID number, and enterprises, identified
//! by their unified social credit code; which citizens act for which enterprise; sign-in with a
//! one-time code sent by SMS through the outbox; applicant sessions.
//!
//! Personal data (ID number, mobile, address) is masked in every view this module returns,
//! except [`reveal_citizen`], which writes an audit entry for the read in the same transaction.

use chrono::{DateTime, Duration, Utc};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, PaginatorTrait, QueryFilter,
    QueryOrder, QuerySelect, Set,
};
use serde::Serialize;
use serde_json::json;
use utoipa::ToSchema;
use zhengwu_core::ident::{CreditCode, IdNumber, Mobile, mask};
use zhengwu_core::secret::sha256_hex;
use zhengwu_core::session::{Liveness, liveness};

use crate::audit::{self, Actor, NewEntry};
use crate::entity::{applicant_session, citizen, enterprise, enterprise_agent, otp_code};
use crate::notify::{self, NewMessage};
use crate::{Result, StoreError};

/// One code a minute per number.
pub const OTP_PER_MINUTE: u64 = 1;
/// Five codes an hour per number.
pub const OTP_PER_HOUR: u64 = 5;
/// A code is good for five minutes …
pub const OTP_VALID_MINUTES: i64 = 5;
/// … and five tries.
pub const OTP_MAX_ATTEMPTS: i32 = 5;

/// A citizen, masked.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct Citizen {
    pub id: i64,
    pub name: String,
    /// `210203********1234`.
    pub id_number: String,
    /// `138****5678`.
    pub mobile: String,
    pub elderly_alone: bool,
    pub disabled: bool,
    pub pregnant: bool,
}

/// A citizen in full: only from [`reveal_citizen`], which audits the read.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct CitizenDetail {
    pub id: i64,
    pub name: String,
    pub id_number: String,
    pub mobile: String,
    pub address: Option<String>,
}

fn masked(m: &citizen::Model) -> Citizen {
    Citizen {
        id: m.id,
        name: m.name.clone(),
        id_number: mask(&m.id_number, 6, 4),
        mobile: mask(&m.mobile, 3, 4),
        elderly_alone: m.elderly_alone,
        disabled: m.disabled,
        pregnant: m.pregnant,
    }
}

/// A citizen to register.
#[derive(Debug, Clone)]
pub struct NewCitizen {
    pub name: String,
    pub id_number: IdNumber,
    pub mobile: Mobile,
    pub elderly_alone: bool,
    pub disabled: bool,
    pub pregnant: bool,
    pub address: Option<String>,
}

pub async fn create_citizen(
    tx: &impl ConnectionTrait,
    actor: &Actor,
    c: NewCitizen,
) -> Result<i64> {
    let name = c.name.trim().to_owned();
    if name.is_empty() || name.chars().count() > 100 {
        return Err(StoreError::invalid("name", "1–100 characters"));
    }
    let m = citizen::ActiveModel {
        name: Set(name),
        id_number: Set(c.id_number.as_str().to_owned()),
        mobile: Set(c.mobile.as_str().to_owned()),
        elderly_alone: Set(c.elderly_alone),
        disabled: Set(c.disabled),
        pregnant: Set(c.pregnant),
        address: Set(c.address),
        created_at: Set(Utc::now()),
        ..Default::default()
    }
    .insert(tx)
    .await?;
    audit::append(
        tx,
        NewEntry {
            actor,
            action: "citizen.create",
            record_type: "citizen",
            record_id: Some(m.id.to_string()),
            summary: json!({ "id_number": c.id_number.masked(), "mobile": c.mobile.masked() }),
        },
    )
    .await?;
    Ok(m.id)
}

/// Citizens, masked, by id.
pub async fn list_citizens(db: &impl ConnectionTrait, limit: u64) -> Result<Vec<Citizen>> {
    Ok(citizen::Entity::find()
        .order_by_asc(citizen::Column::Id)
        .limit(limit)
        .all(db)
        .await?
        .iter()
        .map(masked)
        .collect())
}

/// One citizen, masked.
pub async fn get_citizen(db: &impl ConnectionTrait, id: i64) -> Result<Citizen> {
    citizen::Entity::find_by_id(id)
        .one(db)
        .await?
        .map(|m| masked(&m))
        .ok_or_else(|| StoreError::not_found("citizen", id))
}

/// A citizen by ID number, masked.
pub async fn find_by_id_number(
    db: &impl ConnectionTrait,
    id_number: &IdNumber,
) -> Result<Option<Citizen>> {
    Ok(citizen::Entity::find()
        .filter(citizen::Column::IdNumber.eq(id_number.as_str()))
        .one(db)
        .await?
        .map(|m| masked(&m)))
}

/// One citizen in full; the read is audited in the same transaction.
pub async fn reveal_citizen(
    tx: &impl ConnectionTrait,
    actor: &Actor,
    id: i64,
) -> Result<CitizenDetail> {
    let m = citizen::Entity::find_by_id(id)
        .one(tx)
        .await?
        .ok_or_else(|| StoreError::not_found("citizen", id))?;
    audit::append(
        tx,
        NewEntry {
            actor,
            action: "citizen.read",
            record_type: "citizen",
            record_id: Some(id.to_string()),
            summary: json!({ "fields": ["id_number", "mobile", "address"] }),
        },
    )
    .await?;
    Ok(CitizenDetail {
        id: m.id,
        name: m.name,
        id_number: m.id_number,
        mobile: m.mobile,
        address: m.address,
    })
}

/// An enterprise.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct Enterprise {
    pub id: i64,
    pub credit_code: String,
    pub name: String,
    pub legal_representative: String,
    pub address: Option<String>,
    pub industry: Option<String>,
    pub size: Option<String>,
}

impl From<enterprise::Model> for Enterprise {
    fn from(m: enterprise::Model) -> Self {
        Self {
            id: m.id,
            credit_code: m.credit_code,
            name: m.name,
            legal_representative: m.legal_representative,
            address: m.address,
            industry: m.industry,
            size: m.size,
        }
    }
}

/// An enterprise to register.
#[derive(Debug, Clone)]
pub struct NewEnterprise {
    pub credit_code: CreditCode,
    pub name: String,
    pub legal_representative: String,
    pub address: Option<String>,
    pub industry: Option<String>,
    pub size: Option<String>,
}

pub async fn create_enterprise(
    tx: &impl ConnectionTrait,
    actor: &Actor,
    e: NewEnterprise,
) -> Result<i64> {
    if e.name.trim().is_empty() || e.name.chars().count() > 200 {
        return Err(StoreError::invalid("name", "1–200 characters"));
    }
    let m = enterprise::ActiveModel {
        credit_code: Set(e.credit_code.as_str().to_owned()),
        name: Set(e.name.trim().to_owned()),
        legal_representative: Set(e.legal_representative.trim().to_owned()),
        address: Set(e.address),
        industry: Set(e.industry),
        size: Set(e.size),
        created_at: Set(Utc::now()),
        ..Default::default()
    }
    .insert(tx)
    .await?;
    audit::append(
        tx,
        NewEntry {
            actor,
            action: "enterprise.create",
            record_type: "enterprise",
            record_id: Some(m.id.to_string()),
            summary: json!({ "credit_code": e.credit_code.as_str() }),
        },
    )
    .await?;
    Ok(m.id)
}

/// Enterprises, optionally the one with a credit code.
pub async fn list_enterprises(
    db: &impl ConnectionTrait,
    credit_code: Option<&str>,
) -> Result<Vec<Enterprise>> {
    let mut q = enterprise::Entity::find();
    if let Some(c) = credit_code {
        q = q.filter(enterprise::Column::CreditCode.eq(c.trim().to_ascii_uppercase()));
    }
    Ok(q.order_by_asc(enterprise::Column::Id)
        .limit(1000)
        .all(db)
        .await?
        .into_iter()
        .map(Enterprise::from)
        .collect())
}

/// Lets a citizen act for an enterprise.
pub async fn link_agent(
    tx: &impl ConnectionTrait,
    actor: &Actor,
    citizen_id: i64,
    enterprise_id: i64,
) -> Result<()> {
    if citizen::Entity::find_by_id(citizen_id)
        .one(tx)
        .await?
        .is_none()
    {
        return Err(StoreError::invalid("citizen_id", "no such citizen"));
    }
    if enterprise::Entity::find_by_id(enterprise_id)
        .one(tx)
        .await?
        .is_none()
    {
        return Err(StoreError::not_found("enterprise", enterprise_id));
    }
    enterprise_agent::ActiveModel {
        citizen_id: Set(citizen_id),
        enterprise_id: Set(enterprise_id),
        created_at: Set(Utc::now()),
        ..Default::default()
    }
    .insert(tx)
    .await?;
    audit::append(
        tx,
        NewEntry {
            actor,
            action: "enterprise.link_agent",
            record_type: "enterprise",
            record_id: Some(enterprise_id.to_string()),
            summary: json!({ "citizen": citizen_id }),
        },
    )
    .await?;
    Ok(())
}

/// The enterprises a citizen acts for.
pub async fn enterprises_of(db: &impl ConnectionTrait, citizen_id: i64) -> Result<Vec<Enterprise>> {
    let links = enterprise_agent::Entity::find()
        .filter(enterprise_agent::Column::CitizenId.eq(citizen_id))
        .all(db)
        .await?;
    let ids: Vec<i64> = links.iter().map(|l| l.enterprise_id).collect();
    Ok(enterprise::Entity::find()
        .filter(enterprise::Column::Id.is_in(ids))
        .order_by_asc(enterprise::Column::Id)
        .all(db)
        .await?
        .into_iter()
        .map(Enterprise::from)
        .collect())
}

fn code_digest(mobile: &Mobile, code: &str) -> String {
    sha256_hex(format!("{}:{code}", mobile.as_str()).as_bytes())
}

/// Issues a sign-in code for `mobile`: at most one a minute and five an hour per number. The
/// SMS goes into the outbox (sink `sink`) in the same transaction. A number that belongs to no
/// citizen is answered the same way but gets no SMS, so the answer reveals nothing.
pub async fn issue_code(
    tx: &impl ConnectionTrait,
    mobile: &Mobile,
    code: &str,
    sink: &str,
    now: DateTime<Utc>,
) -> Result<()> {
    let recent = |since: DateTime<Utc>| {
        otp_code::Entity::find()
            .filter(otp_code::Column::Mobile.eq(mobile.as_str()))
            .filter(otp_code::Column::CreatedAt.gt(since))
    };
    if let Some(last) = recent(now - Duration::minutes(1))
        .order_by_desc(otp_code::Column::CreatedAt)
        .one(tx)
        .await?
    {
        let wait = 60 - (now - last.created_at).num_seconds();
        return Err(StoreError::RateLimited {
            retry_after_secs: wait.max(1),
        });
    }
    if recent(now - Duration::hours(1)).count(tx).await? >= OTP_PER_HOUR {
        let first = recent(now - Duration::hours(1))
            .order_by_asc(otp_code::Column::CreatedAt)
            .one(tx)
            .await?;
        let wait = first.map_or(3600, |f| 3600 - (now - f.created_at).num_seconds());
        return Err(StoreError::RateLimited {
            retry_after_secs: wait.max(1),
        });
    }
    otp_code::ActiveModel {
        mobile: Set(mobile.as_str().to_owned()),
        code_digest: Set(code_digest(mobile, code)),
        created_at: Set(now),
        expires_at: Set(now + Duration::minutes(OTP_VALID_MINUTES)),
        attempts: Set(0),
        used: Set(false),
        ..Default::default()
    }
    .insert(tx)
    .await?;
    let known = citizen::Entity::find()
        .filter(citizen::Column::Mobile.eq(mobile.as_str()))
        .count(tx)
        .await?
        > 0;
    if known {
        notify::enqueue(
            tx,
            NewMessage {
                sink: sink.to_owned(),
                topic: "sms.sign_in_code".into(),
                payload: json!({
                    "mobile": mobile.as_str(),
                    "text": format!("【政务服务】您的登录验证码为 {code}，{OTP_VALID_MINUTES} 分钟内有效。请勿告诉他人。"),
                    "code": code,
                }),
            },
        )
        .await?;
    }
    Ok(())
}

/// Checks a sign-in code: the newest unused, unexpired code of the number, five tries at most.
/// Returns the citizen it signs in, or `Invalid { field: "code" }`.
pub async fn verify_code(
    tx: &impl ConnectionTrait,
    mobile: &Mobile,
    code: &str,
    now: DateTime<Utc>,
) -> Result<i64> {
    let wrong = || StoreError::invalid("code", "wrong or expired code");
    let Some(row) = otp_code::Entity::find()
        .filter(otp_code::Column::Mobile.eq(mobile.as_str()))
        .filter(otp_code::Column::Used.eq(false))
        .filter(otp_code::Column::ExpiresAt.gt(now))
        .order_by_desc(otp_code::Column::CreatedAt)
        .one(tx)
        .await?
    else {
        return Err(wrong());
    };
    if row.attempts >= OTP_MAX_ATTEMPTS {
        return Err(wrong());
    }
    let good = row.code_digest == code_digest(mobile, code.trim());
    let mut a: otp_code::ActiveModel = row.clone().into();
    a.attempts = Set(row.attempts + 1);
    a.used = Set(good);
    a.update(tx).await?;
    if !good {
        return Err(wrong());
    }
    let c = citizen::Entity::find()
        .filter(citizen::Column::Mobile.eq(mobile.as_str()))
        .order_by_asc(citizen::Column::Id)
        .one(tx)
        .await?
        .ok_or_else(wrong)?;
    Ok(c.id)
}

/// Opens an applicant session.
pub async fn open_session(
    tx: &impl ConnectionTrait,
    citizen_id: i64,
    digest: &str,
    now: DateTime<Utc>,
    absolute: Duration,
) -> Result<()> {
    applicant_session::ActiveModel {
        digest: Set(digest.to_owned()),
        citizen_id: Set(citizen_id),
        enterprise_id: Set(None),
        created_at: Set(now),
        last_seen_at: Set(now),
        expires_at: Set(now + absolute),
    }
    .insert(tx)
    .await?;
    audit::append(
        tx,
        NewEntry {
            actor: &Actor {
                kind: "applicant",
                id: Some(citizen_id),
                label: format!("citizen {citizen_id}"),
                ip: None,
            },
            action: "applicant.sign_in",
            record_type: "citizen",
            record_id: Some(citizen_id.to_string()),
            summary: json!({}),
        },
    )
    .await?;
    Ok(())
}

/// A signed-in applicant.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct Applicant {
    pub citizen: Citizen,
    /// The enterprises the citizen may act for.
    pub enterprises: Vec<Enterprise>,
}

/// The applicant behind a live session (idle and absolute limits as for staff).
pub async fn session_applicant(
    db: &impl ConnectionTrait,
    digest: &str,
    now: DateTime<Utc>,
    idle: Duration,
) -> Result<Option<Applicant>> {
    let Some(s) = applicant_session::Entity::find_by_id(digest.to_owned())
        .one(db)
        .await?
    else {
        return Ok(None);
    };
    let touch = match liveness(s.expires_at, s.last_seen_at, now, idle) {
        Liveness::Ended => {
            applicant_session::Entity::delete_by_id(digest.to_owned())
                .exec(db)
                .await?;
            return Ok(None);
        }
        Liveness::Live { touch } => touch,
    };
    let citizen = get_citizen(db, s.citizen_id).await?;
    let enterprises = enterprises_of(db, s.citizen_id).await?;
    if touch {
        let mut a: applicant_session::ActiveModel = s.into();
        a.last_seen_at = Set(now);
        a.update(db).await?;
    }
    Ok(Some(Applicant {
        citizen,
        enterprises,
    }))
}

/// Ends an applicant session.
pub async fn close_session(tx: &impl ConnectionTrait, digest: &str) -> Result<bool> {
    Ok(applicant_session::Entity::delete_by_id(digest.to_owned())
        .exec(tx)
        .await?
        .rows_affected
        > 0)
}
