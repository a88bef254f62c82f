//! The public view of appeals, read by Open311 GeoReport v2 (`GET requests`): what anyone may
//! read of an appeal.
//!
//! - Reports (举报) are never public: a whistle-blower is protected.
//! - The caller's words, the unit's reply, the address and the linked media are shown only for
//!   appeals that came in through Open311, whose callers posted them to a public service.
//!   Other appeals show their topic, their state and their place to about 100 m (coordinates
//!   rounded to three decimals), never an address.
//! - Nobody's name, phone or e-mail is ever shown.

use std::collections::HashMap;

use chrono::{DateTime, NaiveDate, Utc};
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect};
use zhengwu_core::appeal::{Kind, Part, Role, Status};

use crate::Result;
use crate::entity::{appeal, appeal_assignment, appeal_topic, org_unit};

/// An appeal as the public sees it.
#[derive(Debug, Clone, PartialEq)]
pub struct PublicAppeal {
    pub number: String,
    pub status: Status,
    pub topic_code: String,
    pub topic_name: String,
    /// The caller's words (Open311 appeals only).
    pub description: Option<String>,
    /// The reply or the instant answer (Open311 appeals only).
    pub reply: Option<String>,
    /// The number of the master appeal a duplicate was merged into.
    pub merged_into: Option<String>,
    /// The lead unit's name, once dispatched.
    pub lead_unit: Option<String>,
    pub requested_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    /// The working-day deadline.
    pub expected_on: NaiveDate,
    pub address: Option<String>,
    pub lat: Option<f64>,
    pub lon: Option<f64>,
    pub media_url: Option<String>,
}

/// What a public list is filtered by. With `numbers`, the other filters are ignored (as
/// Open311 says of `service_request_id`).
#[derive(Debug, Clone)]
pub struct PublicFilter {
    pub numbers: Option<Vec<String>>,
    pub topics: Option<Vec<String>>,
    /// Taken in at or after.
    pub from: DateTime<Utc>,
    /// Taken in at or before.
    pub to: DateTime<Utc>,
    /// `Some(true)`: only open ones; `Some(false)`: only closed ones.
    pub open: Option<bool>,
    pub limit: u64,
}

fn closed_states() -> [&'static str; 2] {
    [Status::Closed.as_str(), Status::Merged.as_str()]
}

/// Public appeals, newest first.
pub async fn requests(db: &impl ConnectionTrait, f: &PublicFilter) -> Result<Vec<PublicAppeal>> {
    let mut q = appeal::Entity::find().filter(appeal::Column::Kind.ne(Kind::Report.as_str()));
    match &f.numbers {
        Some(numbers) => {
            q = q.filter(appeal::Column::Number.is_in(numbers.iter().map(String::as_str)));
        }
        None => {
            q = q
                .filter(appeal::Column::CreatedAt.gte(f.from))
                .filter(appeal::Column::CreatedAt.lte(f.to));
            if let Some(topics) = &f.topics {
                q = q.filter(appeal::Column::TopicCode.is_in(topics.iter().map(String::as_str)));
            }
            q = match f.open {
                Some(true) => q.filter(appeal::Column::Status.is_not_in(closed_states())),
                Some(false) => q.filter(appeal::Column::Status.is_in(closed_states())),
                None => q,
            };
        }
    }
    let rows = q
        .order_by_desc(appeal::Column::CreatedAt)
        .order_by_desc(appeal::Column::Id)
        .limit(f.limit.clamp(1, 1000))
        .all(db)
        .await?;
    view(db, rows).await
}

/// One public appeal by its number; `None` when there is none or it is not public.
pub async fn request(db: &impl ConnectionTrait, number: &str) -> Result<Option<PublicAppeal>> {
    let rows = appeal::Entity::find()
        .filter(appeal::Column::Number.eq(number))
        .filter(appeal::Column::Kind.ne(Kind::Report.as_str()))
        .all(db)
        .await?;
    Ok(view(db, rows).await?.into_iter().next())
}

/// The number of the appeal an Open311 client was given `token` for.
pub async fn number_for_token(db: &impl ConnectionTrait, token: &str) -> Result<Option<String>> {
    Ok(appeal::Entity::find()
        .filter(appeal::Column::Open311Token.eq(token))
        .one(db)
        .await?
        .map(|m| m.number))
}

fn round3(x: f64) -> f64 {
    (x * 1000.0).round() / 1000.0
}

async fn view(db: &impl ConnectionTrait, rows: Vec<appeal::Model>) -> Result<Vec<PublicAppeal>> {
    if rows.is_empty() {
        return Ok(Vec::new());
    }
    let ids: Vec<i64> = rows.iter().map(|r| r.id).collect();
    let topics: HashMap<String, String> = appeal_topic::Entity::find()
        .all(db)
        .await?
        .into_iter()
        .map(|t| (t.code, t.name))
        .collect();
    // The current lead part of each appeal (the newest one not withdrawn).
    let mut lead_of: HashMap<i64, i64> = HashMap::new();
    for chunk in ids.chunks(500) {
        for a in appeal_assignment::Entity::find()
            .filter(appeal_assignment::Column::AppealId.is_in(chunk.iter().copied()))
            .filter(appeal_assignment::Column::Role.eq(Role::Lead.as_str()))
            .filter(appeal_assignment::Column::Part.ne(Part::Withdrawn.as_str()))
            .order_by_asc(appeal_assignment::Column::Id)
            .all(db)
            .await?
        {
            lead_of.insert(a.appeal_id, a.unit_id);
        }
    }
    let mut unit_ids: Vec<i64> = lead_of.values().copied().collect();
    unit_ids.sort_unstable();
    unit_ids.dedup();
    let units: HashMap<i64, String> = org_unit::Entity::find()
        .filter(org_unit::Column::Id.is_in(unit_ids))
        .all(db)
        .await?
        .into_iter()
        .map(|u| (u.id, u.name))
        .collect();
    let masters: Vec<i64> = rows.iter().filter_map(|r| r.merged_into).collect();
    let master_numbers: HashMap<i64, String> = if masters.is_empty() {
        HashMap::new()
    } else {
        appeal::Entity::find()
            .filter(appeal::Column::Id.is_in(masters))
            .all(db)
            .await?
            .into_iter()
            .map(|m| (m.id, m.number))
            .collect()
    };
    Ok(rows
        .into_iter()
        .map(|m| {
            let public = m.channel == "open311";
            PublicAppeal {
                status: Status::parse(&m.status).unwrap_or(Status::Registered),
                topic_name: topics.get(&m.topic_code).cloned().unwrap_or_default(),
                description: public.then(|| m.content.clone()),
                reply: if public {
                    m.reply.clone().or_else(|| m.answer.clone())
                } else {
                    None
                },
                merged_into: m.merged_into.and_then(|i| master_numbers.get(&i).cloned()),
                lead_unit: lead_of.get(&m.id).and_then(|u| units.get(u).cloned()),
                requested_at: m.created_at,
                updated_at: m.updated_at,
                expected_on: m.due_on,
                address: if public { m.address.clone() } else { None },
                lat: m.lat.map(|x| if public { x } else { round3(x) }),
                lon: m.lon.map(|x| if public { x } else { round3(x) }),
                media_url: if public { m.media_url.clone() } else { None },
                number: m.number,
                topic_code: m.topic_code,
            }
        })
        .collect())
}
