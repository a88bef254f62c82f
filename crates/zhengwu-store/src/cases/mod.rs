//! Cases (办件, M1.4, M1.7, M1.8, M1.9): submission by any channel with the filled form and the
//! materials (uploaded files, type read from the content and kept by their hash, or shared
//! data and e-licences that replace a material), the machine checks on submission and on every
//! supplement, instant approval (秒批), acceptance at any comprehensive window, review in the
//! responsible department, supplements with the clock paused, the decision, the result at the
//! hand-out window, withdrawal, and the bundle of company setup (企业开办) whose sub-cases run
//! in parallel under one commitment.
//!
//! The states and their moves are `zhengwu_core::case::transition`; this module persists what
//! it returns and refuses what it refuses. Every move is an event on the case's time line and
//! an entry in the audit trail, written in the caller's transaction.

pub mod assist;
pub mod figures;

use chrono::{DateTime, Utc};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, PaginatorTrait, QueryFilter,
    QueryOrder, QuerySelect, Set,
};
use serde::Serialize;
use serde_json::json;
use utoipa::ToSchema;
use zhengwu_core::Calendar;
use zhengwu_core::WorkingHours;
use zhengwu_core::booking::local_date_minute;
use zhengwu_core::case::{self as rules, CheckResult, Deadline, Event, Form, Provided, Status};
use zhengwu_core::catalog::Item;
use zhengwu_core::files::{self, PHOTOS_AND_PDF};

use crate::audit::{self, Actor, NewEntry};
use crate::entity::{case, case_check, case_event, case_file, case_material};
use crate::{Result, StoreError};

/// The largest file a material takes.
pub const MAX_FILE_BYTES: usize = 10 * 1024 * 1024;
/// The most files one submission or supplement carries.
pub const MAX_FILES: usize = 20;
/// The longest list of what is missing (一次性告知).
pub const MAX_MISSING: usize = 30;

/// What the moves of a case need besides the case: the calendar and working hours its time
/// limit runs on, the time, who acts, and where the applicant's notices go.
pub struct Ctx<'a> {
    pub calendar: &'a Calendar,
    pub hours: &'a WorkingHours,
    pub now: DateTime<Utc>,
    pub actor: &'a Actor,
    /// The outbox sink of notices (`log` or `webhook`).
    pub sink: &'a str,
}

/// Who applies.
#[derive(Debug, Clone, PartialEq)]
pub enum Applicant {
    Citizen(i64),
    Enterprise(i64),
    /// A walk-in at a window, known by name and mobile only.
    WalkIn {
        name: String,
        mobile: Option<String>,
    },
}

/// A file for material number `material` (its index in the item's list).
#[derive(Debug, Clone)]
pub struct Upload {
    pub material: usize,
    pub name: String,
    pub bytes: Vec<u8>,
}

/// A submission.
#[derive(Debug, Clone)]
pub struct NewCase {
    pub item_code: String,
    /// `web`, `kiosk`, `window` or `agent`.
    pub channel: String,
    pub applicant: Applicant,
    pub form: Form,
    pub files: Vec<Upload>,
    /// An agent (帮办代办): the applicant's authorisation as recorded (a signed letter's
    /// number, the call in which it was given).
    pub authorisation: Option<String>,
}

/// A case as staff and the applicant see it.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct Case {
    pub id: i64,
    /// `BJ20261128-00012`.
    pub number: String,
    pub item_code: String,
    pub item_version: i32,
    pub item_name: String,
    pub department_id: i64,
    /// The hall whose hand-out window gives the result.
    pub hall_id: Option<i64>,
    pub channel: String,
    /// `citizen`, `enterprise` or `walk_in`.
    pub applicant_kind: String,
    pub applicant_name: String,
    /// Masked: `138****5678`.
    pub applicant_mobile: Option<String>,
    /// The agent who submitted and follows it (帮办代办).
    pub agent: Option<String>,
    pub authorisation: Option<String>,
    #[schema(value_type = Object)]
    pub form: Form,
    pub status: String,
    /// Changes with every move; a decision names the revision it was made on.
    pub revision: i64,
    /// The bundle this case is part of.
    pub parent_id: Option<i64>,
    /// What the applicant was told is missing (一次性告知), while it is.
    pub missing: Vec<String>,
    pub submitted_at: DateTime<Utc>,
    pub accepted_at: Option<DateTime<Utc>>,
    pub due_at: Option<DateTime<Utc>>,
    /// Working time the clock stood still for supplements.
    pub paused_seconds: i64,
    pub decided_at: Option<DateTime<Utc>>,
    pub decision_note: Option<String>,
    pub legal_basis: Option<String>,
    /// The rule set that approved it, for an instant approval (秒批).
    pub instant_rule: Option<String>,
    pub result_ready_at: Option<DateTime<Utc>>,
    pub handed_out_at: Option<DateTime<Utc>>,
    pub hand_out_way: Option<String>,
    pub closed_at: Option<DateTime<Utc>>,
    pub reviewer: Option<String>,
    /// The gift pack of a company setup, as handed out.
    pub gift_pack: Vec<String>,
    /// `on_time`, `yellow` or `red` while the department owes a decision; else empty.
    pub deadline: String,
}

fn mask_mobile(m: &str) -> String {
    zhengwu_core::ident::mask(m, 3, 4)
}

fn view(m: case::Model, deadline: Option<Deadline>) -> Case {
    Case {
        id: m.id,
        number: m.number,
        item_code: m.item_code,
        item_version: m.item_version,
        item_name: m.item_name,
        department_id: m.department_id,
        hall_id: m.hall_id,
        channel: m.channel,
        applicant_kind: m.applicant_kind,
        applicant_name: m.applicant_name,
        applicant_mobile: m.applicant_mobile.as_deref().map(mask_mobile),
        agent: m.agent_label,
        authorisation: m.authorisation,
        form: serde_json::from_str(&m.form).unwrap_or_default(),
        status: m.status,
        revision: m.revision,
        parent_id: m.parent_id,
        missing: m
            .missing
            .as_deref()
            .and_then(|s| serde_json::from_str(s).ok())
            .unwrap_or_default(),
        submitted_at: m.submitted_at,
        accepted_at: m.accepted_at,
        due_at: m.due_at,
        paused_seconds: m.paused_seconds,
        decided_at: m.decided_at,
        decision_note: m.decision_note,
        legal_basis: m.legal_basis,
        instant_rule: m.instant_rule,
        result_ready_at: m.result_ready_at,
        handed_out_at: m.handed_out_at,
        hand_out_way: m.hand_out_way,
        closed_at: m.closed_at,
        reviewer: m.reviewer,
        gift_pack: m
            .gift_pack
            .as_deref()
            .and_then(|s| serde_json::from_str(s).ok())
            .unwrap_or_default(),
        deadline: deadline.map(|d| d.as_str().to_owned()).unwrap_or_default(),
    }
}

/// How the case stands against its limit at `now` (while a decision is owed).
pub fn deadline_of(
    m: &case::Model,
    cal: &Calendar,
    hours: &WorkingHours,
    now: DateTime<Utc>,
) -> Option<Deadline> {
    let status = Status::parse(&m.status)?;
    if !status.awaits_decision() {
        return None;
    }
    let (accepted, due) = (m.accepted_at?, m.due_at?);
    // While paused, the time since the pause does not count.
    let (at, paused) = match m.paused_since {
        Some(p) => (p, m.paused_seconds),
        None => (now, m.paused_seconds),
    };
    Some(rules::deadline_state(cal, hours, accepted, due, paused, at))
}

/// A material of the case: how it was provided and the file, if one was uploaded.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct CaseMaterial {
    pub idx: i32,
    pub name: String,
    /// `file`, `shared` or `missing`.
    pub provided: String,
    pub file_id: Option<i64>,
    /// The shared data or e-licence that replaced it.
    pub reference: Option<String>,
}

/// A file of a case, without its bytes.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct CaseFile {
    pub id: i64,
    pub material_idx: i32,
    pub file_name: String,
    pub content_type: String,
    pub size: i64,
    pub sha256: String,
    pub uploaded_at: DateTime<Utc>,
}

/// One check's result on the case.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct CaseCheck {
    /// 1 on submission, one more on every supplement.
    pub run: i32,
    pub target: String,
    pub check: String,
    /// `pass`, `fail` or `manual`.
    pub outcome: String,
    pub detail: String,
    pub at: DateTime<Utc>,
}

/// A step on the case's time line.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct CaseEvent {
    pub kind: String,
    pub at: DateTime<Utc>,
    pub actor: String,
    pub note: Option<String>,
}

/// A case with its materials, files, the latest checks, its time line and its sub-cases.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct CaseDetail {
    #[serde(flatten)]
    pub case: Case,
    pub materials: Vec<CaseMaterial>,
    pub files: Vec<CaseFile>,
    /// The results of the latest run of the checks.
    pub checks: Vec<CaseCheck>,
    pub events: Vec<CaseEvent>,
    /// The sub-cases of a bundle.
    pub parts: Vec<Case>,
    /// The applicant's rating (1–5), once given.
    pub rating: Option<i16>,
}

async fn event(
    tx: &impl ConnectionTrait,
    case_id: i64,
    kind: &str,
    ctx: &Ctx<'_>,
    note: Option<&str>,
) -> Result<()> {
    case_event::ActiveModel {
        case_id: Set(case_id),
        kind: Set(kind.to_owned()),
        at: Set(ctx.now),
        actor: Set(ctx.actor.label.chars().take(100).collect()),
        note: Set(note.map(str::to_owned)),
        ..Default::default()
    }
    .insert(tx)
    .await?;
    audit::append(
        tx,
        NewEntry {
            actor: ctx.actor,
            action: &format!("case.{kind}"),
            record_type: "case",
            record_id: Some(case_id.to_string()),
            summary: json!({"note": note}),
        },
    )
    .await?;
    Ok(())
}

/// Text of `min`–`max` characters, trimmed, without control characters but newlines.
fn text(field: &str, s: &str, min: usize, max: usize) -> Result<String> {
    let t = s.trim();
    let n = t.chars().count();
    if n < min || n > max || t.chars().any(|c| c.is_control() && c != '\n') {
        return Err(StoreError::invalid(field, format!("length:{min}-{max}")));
    }
    Ok(t.to_owned())
}

/// The applicant's name and mobile, and the ids it is known by.
async fn applicant_of(
    db: &impl ConnectionTrait,
    a: &Applicant,
) -> Result<(
    &'static str,
    Option<i64>,
    Option<i64>,
    String,
    Option<String>,
)> {
    Ok(match a {
        Applicant::Citizen(id) => {
            let c = crate::applicants::get_citizen(db, *id).await?;
            let m = crate::entity::citizen::Entity::find_by_id(*id)
                .one(db)
                .await?
                .map(|m| m.mobile);
            ("citizen", Some(c.id), None, c.name, m)
        }
        Applicant::Enterprise(id) => {
            let e = crate::entity::enterprise::Entity::find_by_id(*id)
                .one(db)
                .await?
                .ok_or_else(|| StoreError::not_found("enterprise", id))?;
            ("enterprise", None, Some(e.id), e.name, None)
        }
        Applicant::WalkIn { name, mobile } => {
            let name = text("applicant_name", name, 1, 100)?;
            let mobile = match mobile.as_deref().map(str::trim).filter(|m| !m.is_empty()) {
                Some(m) => Some(
                    zhengwu_core::ident::Mobile::parse(m)
                        .map_err(|_| StoreError::invalid("applicant_mobile", "mobile"))?
                        .as_str()
                        .to_owned(),
                ),
                None => None,
            };
            ("walk_in", None, None, name, mobile)
        }
    })
}

async fn unit_id(db: &impl ConnectionTrait, code: &str) -> Result<Option<i64>> {
    Ok(crate::org::find_by_code(db, code).await?.map(|u| u.id.0))
}

/// Checks the uploads (type by content, size, material index) before anything is written.
fn check_uploads(item: &Item, files_in: &[Upload]) -> Result<Vec<(usize, String, String)>> {
    if files_in.len() > MAX_FILES {
        return Err(StoreError::invalid(
            "file",
            format!("too_many_files:{MAX_FILES}"),
        ));
    }
    let mut out = Vec::new();
    for u in files_in {
        if u.material >= item.materials.len() {
            return Err(StoreError::invalid(
                "material",
                format!("unknown:{}", u.material),
            ));
        }
        let name = files::clean_name(&u.name)
            .ok_or_else(|| StoreError::invalid("file_name", "length:1-120"))?;
        let kind = files::check_upload(&name, &u.bytes, &PHOTOS_AND_PDF, MAX_FILE_BYTES)
            .map_err(|e| StoreError::invalid("file", e.to_string()))?;
        out.push((u.material, name, kind.mime.to_owned()));
    }
    Ok(out)
}

/// Stores the files (once per case by their hash) and records each material as provided.
async fn store_files(
    tx: &impl ConnectionTrait,
    case_id: i64,
    files_in: &[Upload],
    checked: &[(usize, String, String)],
    ctx: &Ctx<'_>,
) -> Result<()> {
    for (u, (idx, name, mime)) in files_in.iter().zip(checked) {
        let sha256 = zhengwu_core::secret::sha256_hex(&u.bytes);
        let idx32 = i32::try_from(*idx).unwrap_or(i32::MAX);
        let existing = case_file::Entity::find()
            .filter(case_file::Column::CaseId.eq(case_id))
            .filter(case_file::Column::MaterialIdx.eq(idx32))
            .filter(case_file::Column::Sha256.eq(&sha256))
            .one(tx)
            .await?;
        let file_id = match existing {
            Some(f) => f.id,
            None => {
                case_file::ActiveModel {
                    case_id: Set(case_id),
                    material_idx: Set(idx32),
                    file_name: Set(name.clone()),
                    content_type: Set(mime.clone()),
                    size: Set(i64::try_from(u.bytes.len()).unwrap_or(i64::MAX)),
                    sha256: Set(sha256),
                    bytes: Set(u.bytes.clone()),
                    uploaded_at: Set(ctx.now),
                    uploaded_by: Set(ctx.actor.label.chars().take(100).collect()),
                    ..Default::default()
                }
                .insert(tx)
                .await?
                .id
            }
        };
        let row = case_material::Entity::find()
            .filter(case_material::Column::CaseId.eq(case_id))
            .filter(case_material::Column::Idx.eq(idx32))
            .one(tx)
            .await?
            .ok_or_else(|| StoreError::not_found("material", idx))?;
        let mut am: case_material::ActiveModel = row.into();
        am.provided = Set("file".into());
        am.file_id = Set(Some(file_id));
        am.reference = Set(None);
        am.updated_at = Set(ctx.now);
        am.update(tx).await?;
    }
    Ok(())
}

/// How each of the item's materials stands on the case, in the item's order.
async fn provided(db: &impl ConnectionTrait, case_id: i64) -> Result<Vec<Provided>> {
    let rows = case_material::Entity::find()
        .filter(case_material::Column::CaseId.eq(case_id))
        .order_by_asc(case_material::Column::Idx)
        .all(db)
        .await?;
    let files = case_file::Entity::find()
        .select_only()
        .columns([case_file::Column::Id, case_file::Column::ContentType])
        .filter(case_file::Column::CaseId.eq(case_id))
        .into_tuple::<(i64, String)>()
        .all(db)
        .await?;
    Ok(rows
        .into_iter()
        .map(|r| match r.provided.as_str() {
            "file" => Provided::File {
                mime: files
                    .iter()
                    .find(|f| Some(f.0) == r.file_id)
                    .map(|f| f.1.clone())
                    .unwrap_or_default(),
            },
            "shared" => Provided::Shared {
                reference: r.reference.unwrap_or_default(),
            },
            _ => Provided::Missing,
        })
        .collect())
}

/// Runs the machine checks on the case as it stands and records them as run `run`.
async fn check(
    tx: &impl ConnectionTrait,
    m: &case::Model,
    item: &Item,
    run: i32,
    ctx: &Ctx<'_>,
) -> Result<Vec<CheckResult>> {
    let form: Form = serde_json::from_str(&m.form).unwrap_or_default();
    let p = provided(tx, m.id).await?;
    let (today, _) = local_date_minute(ctx.now);
    let results = rules::run_checks(item, &form, &p, &m.applicant_name, today);
    for r in &results {
        case_check::ActiveModel {
            case_id: Set(m.id),
            run: Set(run),
            target: Set(r.target.chars().take(200).collect()),
            check_name: Set(r.check.clone()),
            outcome: Set(r.outcome.as_str().into()),
            detail: Set(r.detail.chars().take(200).collect()),
            at: Set(ctx.now),
            ..Default::default()
        }
        .insert(tx)
        .await?;
    }
    Ok(results)
}

/// The next case number of the day: `BJYYYYMMDD-NNNNN`.
async fn next_number(tx: &impl ConnectionTrait, now: DateTime<Utc>) -> Result<String> {
    let (today, _) = local_date_minute(now);
    let prefix = format!("BJ{}-", today.format("%Y%m%d"));
    let last = case::Entity::find()
        .filter(case::Column::Number.starts_with(&prefix))
        .order_by_desc(case::Column::Number)
        .one(tx)
        .await?
        // A bundle's parts carry its number and their own (`…-00012-3`).
        .and_then(|c| {
            c.number[prefix.len()..]
                .split('-')
                .next()?
                .parse::<u64>()
                .ok()
        })
        .unwrap_or(0);
    Ok(format!("{prefix}{:05}", last + 1))
}

/// Takes a case in: the item must be in service and the channel known; the form is checked
/// against the item's fields (a 4xx names the field); the files are checked by their content
/// before anything is written; materials that shared data or an e-licence replace are
/// recorded as shared. The machine checks run; an item marked for instant approval whose
/// checks all pass is accepted, approved and its result made at once, recording the rule
/// set. A bundle (企业开办) starts its sub-cases.
pub async fn submit(tx: &impl ConnectionTrait, new: NewCase, ctx: &Ctx<'_>) -> Result<CaseDetail> {
    if !rules::CHANNELS.contains(&new.channel.as_str()) {
        return Err(StoreError::invalid(
            "channel",
            format!("unknown:{}", new.channel),
        ));
    }
    let item = crate::catalog::published_item(tx, &new.item_code).await?;
    let form =
        rules::validate_form(&item.form_fields(), &new.form).map_err(|e| form_error(&item, e))?;
    let checked = check_uploads(&item, &new.files)?;
    let authorisation = match (new.channel.as_str(), new.authorisation.as_deref()) {
        ("agent", Some(a)) => Some(text("authorisation", a, 2, 500)?),
        ("agent", None) => return Err(StoreError::invalid("authorisation", "required")),
        _ => None,
    };
    let (kind, citizen_id, enterprise_id, name, mobile) = applicant_of(tx, &new.applicant).await?;
    // An enterprise is told at the mobile its form gives.
    let mobile = mobile.or_else(|| {
        form.get("mobile")
            .and_then(|m| zhengwu_core::ident::Mobile::parse(m).ok())
            .map(|m| m.as_str().to_owned())
    });
    let m = insert_case(
        tx,
        &item,
        &new.channel,
        (kind, citizen_id, enterprise_id, &name, mobile.as_deref()),
        &form,
        authorisation,
        None,
        ctx,
    )
    .await?;
    let id = m.id;
    store_files(tx, id, &new.files, &checked, ctx).await?;
    event(tx, id, "submit", ctx, Some(&new.channel)).await?;
    let results = check(tx, &m, &item, 1, ctx).await?;
    if !item.bundle.is_empty() {
        for code in &item.bundle {
            let sub = crate::catalog::published_item(tx, code).await?;
            let sub_fields = sub.form_fields();
            let sub_form: Form = form
                .iter()
                .filter(|(k, _)| sub_fields.iter().any(|f| &f.key == *k))
                .map(|(k, v)| (k.clone(), v.clone()))
                .collect();
            let s = insert_case(
                tx,
                &sub,
                &new.channel,
                (kind, citizen_id, enterprise_id, &name, mobile.as_deref()),
                &sub_form,
                None,
                Some((m.id, &m.number)),
                ctx,
            )
            .await?;
            event(tx, s.id, "submit", ctx, Some(&m.number)).await?;
            check(tx, &s, &sub, 1, ctx).await?;
        }
    } else if rules::instantly_approvable(&item, &results) {
        let rule = rules::instant_rule_set(&item, &results);
        let machine = Actor::system("秒批");
        let mctx = Ctx {
            actor: &machine,
            ..*ctx
        };
        let m = apply(tx, m, Act::Accept, &item, &mctx).await?;
        let m = apply(
            tx,
            m,
            Act::Approve {
                note: Some(rule.clone()),
                legal_basis: None,
                instant: Some(rule),
            },
            &item,
            &mctx,
        )
        .await?;
        apply(tx, m, Act::ResultReady, &item, &mctx).await?;
    }
    detail(tx, id, ctx.calendar, ctx.hours, ctx.now).await
}

/// A form's refusal in words the applicant reads: the field's label and what is wrong
/// (`form_required:申请人姓名`, `form_range:注册资本（万元）（0.01–1000000）`).
fn form_error(item: &Item, e: rules::FormError) -> StoreError {
    let label = item
        .form_fields()
        .into_iter()
        .find(|f| f.key == e.field)
        .map(|f| f.label)
        .unwrap_or_else(|| e.field.clone());
    let (head, bounds) = e.reason.split_once(':').unwrap_or((&e.reason, ""));
    let detail = match head {
        "range" => format!("{label}（{}）", bounds.replace('-', "–")),
        _ => label,
    };
    StoreError::invalid("form", format!("form_{head}:{detail}"))
}

type Who<'a> = (
    &'static str,
    Option<i64>,
    Option<i64>,
    &'a str,
    Option<&'a str>,
);

#[allow(clippy::too_many_arguments)]
async fn insert_case(
    tx: &impl ConnectionTrait,
    item: &Item,
    channel: &str,
    who: Who<'_>,
    form: &Form,
    authorisation: Option<String>,
    parent: Option<(i64, &str)>,
    ctx: &Ctx<'_>,
) -> Result<case::Model> {
    let (kind, citizen_id, enterprise_id, name, mobile) = who;
    let department_id = unit_id(tx, &item.department)
        .await?
        .ok_or_else(|| StoreError::invalid("item", format!("department:{}", item.department)))?;
    let hall_id = match item.halls.first() {
        Some(h) => unit_id(tx, h).await?,
        None => None,
    };
    let number = match parent {
        Some((_, n)) => {
            let k = case::Entity::find()
                .filter(case::Column::Number.starts_with(format!("{n}-")))
                .count(tx)
                .await?;
            format!("{n}-{}", k + 1)
        }
        None => next_number(tx, ctx.now).await?,
    };
    let agent = (channel == "agent").then(|| ctx.actor.label.chars().take(100).collect());
    let m = case::ActiveModel {
        number: Set(number),
        item_code: Set(item.code.clone()),
        item_version: Set(i32::try_from(item.version).unwrap_or(i32::MAX)),
        item_name: Set(item.name.chars().take(200).collect()),
        department_id: Set(department_id),
        hall_id: Set(hall_id),
        channel: Set(channel.to_owned()),
        applicant_kind: Set(kind.to_owned()),
        citizen_id: Set(citizen_id),
        enterprise_id: Set(enterprise_id),
        applicant_name: Set(name.chars().take(200).collect()),
        applicant_mobile: Set(mobile.map(str::to_owned)),
        agent_id: Set((channel == "agent").then_some(ctx.actor.id).flatten()),
        agent_label: Set(agent),
        authorisation: Set(authorisation),
        form: Set(serde_json::to_string(form).unwrap_or_else(|_| "{}".into())),
        status: Set(Status::Submitted.as_str().into()),
        revision: Set(1),
        parent_id: Set(parent.map(|p| p.0)),
        missing: Set(None),
        submitted_at: Set(ctx.now),
        accepted_at: Set(None),
        due_at: Set(None),
        paused_seconds: Set(0),
        paused_since: Set(None),
        decided_at: Set(None),
        decision_note: Set(None),
        legal_basis: Set(None),
        instant_rule: Set(None),
        result_ready_at: Set(None),
        handed_out_at: Set(None),
        hand_out_way: Set(None),
        closed_at: Set(None),
        reviewer: Set(None),
        warned: Set(0),
        gift_pack: Set(None),
        created_by: Set(ctx.actor.label.chars().take(100).collect()),
        updated_at: Set(ctx.now),
        ..Default::default()
    }
    .insert(tx)
    .await?;
    // Every material of the item gets its row: shared data and e-licences replace the ones
    // the catalog says come from another department; the rest wait for a file.
    for (i, mat) in item.materials.iter().enumerate() {
        let (provided, reference) = match (parent, mat.is_shared()) {
            (Some((_, n)), _) => ("shared", Some(format!("一件事 {n}"))),
            (None, true) => (
                "shared",
                Some(if mat.shared_from.is_empty() {
                    "电子证照库".to_owned()
                } else {
                    mat.shared_from.chars().take(200).collect()
                }),
            ),
            (None, false) => ("missing", None),
        };
        case_material::ActiveModel {
            case_id: Set(m.id),
            idx: Set(i32::try_from(i).unwrap_or(i32::MAX)),
            name: Set(mat.name.chars().take(200).collect()),
            provided: Set(provided.into()),
            file_id: Set(None),
            reference: Set(reference),
            updated_at: Set(ctx.now),
            ..Default::default()
        }
        .insert(tx)
        .await?;
    }
    Ok(m)
}

/// What staff (or the applicant) do to a case.
#[derive(Debug, Clone, PartialEq)]
pub enum Act {
    Accept,
    /// 不予受理, with the reasons.
    Refuse {
        reasons: String,
    },
    /// 一次性告知: everything missing, at once.
    RequestSupplement {
        missing: Vec<String>,
    },
    /// A reviewer takes the case up.
    Review,
    Approve {
        note: Option<String>,
        legal_basis: Option<String>,
        /// The rule set of an instant approval.
        instant: Option<String>,
    },
    Reject {
        reasons: String,
        legal_basis: String,
    },
    ResultReady,
    /// `window`, `post` or `station`; the gift pack of a company setup.
    HandOut {
        way: String,
        gift_pack: Vec<String>,
    },
    Close,
    Withdraw,
}

impl Act {
    fn event(&self) -> Event {
        match self {
            Self::Accept => Event::Accept,
            Self::Refuse { .. } => Event::Refuse,
            Self::RequestSupplement { .. } => Event::RequestSupplement,
            Self::Review => Event::Review,
            Self::Approve { .. } => Event::Approve,
            Self::Reject { .. } => Event::Reject,
            Self::ResultReady => Event::ResultReady,
            Self::HandOut { .. } => Event::HandOut,
            Self::Close => Event::Close,
            Self::Withdraw => Event::Withdraw,
        }
    }
}

/// The case locked for the rest of the transaction.
pub(crate) async fn locked(tx: &impl ConnectionTrait, id: i64) -> Result<case::Model> {
    crate::db::for_update(
        case::Entity::find_by_id(id),
        tx.get_database_backend(),
        false,
    )
    .one(tx)
    .await?
    .ok_or_else(|| StoreError::not_found("case", id))
}

fn moved(m: &case::Model, e: Event) -> Result<Status> {
    let from = Status::parse(&m.status).unwrap_or(Status::Submitted);
    rules::transition(from, e)
        .map_err(|err| StoreError::invalid("case", format!("case_not_now:{}", err.from.as_str())))
}

/// Does `act` to case `id`. With `revision`, refuses (as stale) when the case moved since the
/// caller read it: of two reviewers deciding at once one wins, the other is told.
pub async fn act(
    tx: &impl ConnectionTrait,
    id: i64,
    act: Act,
    revision: Option<i64>,
    ctx: &Ctx<'_>,
) -> Result<CaseDetail> {
    let m = locked(tx, id).await?;
    if let Some(r) = revision
        && r != m.revision
    {
        return Err(StoreError::Stale {
            entity: "case",
            id: id.to_string(),
            current: m.revision,
        });
    }
    // A bundle is decided by its parts; once accepted, supplements are asked for by the
    // part that needs them (before acceptance the window may still ask for the whole).
    let accepted = m.accepted_at.is_some();
    if m.parent_id.is_none()
        && is_bundle(tx, m.id).await?
        && (matches!(
            act,
            Act::Approve { .. } | Act::Reject { .. } | Act::Review | Act::ResultReady
        ) || (accepted && matches!(act, Act::RequestSupplement { .. })))
    {
        // A bundle is decided by its sub-cases.
        return Err(StoreError::invalid("case", "bundle_parts_decide"));
    }
    let item = crate::catalog::version_item(tx, &m.item_code, m.item_version).await?;
    let m = apply(tx, m, act.clone(), &item, ctx).await?;
    // Moves that carry over between a bundle and its sub-cases.
    if m.parent_id.is_none() {
        let parts = parts_of(tx, m.id).await?;
        for p in parts {
            let follow = match &act {
                Act::Accept
                | Act::Withdraw
                | Act::Refuse { .. }
                | Act::HandOut { .. }
                | Act::Close => Some(act.clone()),
                _ => None,
            };
            if let Some(a) = follow
                && moved(&p, a.event()).is_ok()
            {
                let pi = crate::catalog::version_item(tx, &p.item_code, p.item_version).await?;
                let a = match a {
                    Act::HandOut { way, .. } => Act::HandOut {
                        way,
                        gift_pack: Vec::new(),
                    },
                    a => a,
                };
                apply(tx, p, a, &pi, ctx).await?;
            }
        }
    } else if let Some(parent) = m.parent_id {
        settle_bundle(tx, parent, ctx).await?;
    }
    detail(tx, m.id, ctx.calendar, ctx.hours, ctx.now).await
}

async fn is_bundle(db: &impl ConnectionTrait, id: i64) -> Result<bool> {
    Ok(case::Entity::find()
        .filter(case::Column::ParentId.eq(id))
        .count(db)
        .await?
        > 0)
}

async fn parts_of(db: &impl ConnectionTrait, id: i64) -> Result<Vec<case::Model>> {
    Ok(case::Entity::find()
        .filter(case::Column::ParentId.eq(id))
        .order_by_asc(case::Column::Id)
        .all(db)
        .await?)
}

/// A bundle follows its sub-cases: approved with its result ready when every part is, and
/// rejected when a part is rejected (the others then stop).
async fn settle_bundle(tx: &impl ConnectionTrait, parent: i64, ctx: &Ctx<'_>) -> Result<()> {
    let b = locked(tx, parent).await?;
    let status = Status::parse(&b.status).unwrap_or(Status::Submitted);
    if !status.awaits_decision() {
        return Ok(());
    }
    let parts = parts_of(tx, parent).await?;
    let st = |p: &case::Model| Status::parse(&p.status).unwrap_or(Status::Submitted);
    let item = crate::catalog::version_item(tx, &b.item_code, b.item_version).await?;
    let system = Actor::system("一件事");
    let sctx = Ctx {
        actor: &system,
        ..*ctx
    };
    if parts.iter().any(|p| st(p) == Status::Rejected) {
        let reasons = "子事项未获批准".to_owned();
        apply(
            tx,
            b,
            Act::Reject {
                reasons,
                legal_basis: "见各子事项决定".into(),
            },
            &item,
            &sctx,
        )
        .await?;
    } else if parts.iter().all(|p| {
        matches!(
            st(p),
            Status::ResultReady | Status::HandedOut | Status::Closed
        )
    }) {
        let b = apply(
            tx,
            b,
            Act::Approve {
                note: Some("全部子事项已办结".into()),
                legal_basis: None,
                instant: None,
            },
            &item,
            &sctx,
        )
        .await?;
        apply(tx, b, Act::ResultReady, &item, &sctx).await?;
    }
    Ok(())
}

/// Applies one act to a locked case: the transition, its side effects, the event.
async fn apply(
    tx: &impl ConnectionTrait,
    m: case::Model,
    act: Act,
    item: &Item,
    ctx: &Ctx<'_>,
) -> Result<case::Model> {
    let e = act.event();
    let to = moved(&m, e)?;
    let from = Status::parse(&m.status).unwrap_or(Status::Submitted);
    let now = ctx.now;
    let mut note: Option<String> = None;
    let mut am: case::ActiveModel = m.clone().into();
    am.status = Set(to.as_str().into());
    am.revision = Set(m.revision + 1);
    am.updated_at = Set(now);
    match &act {
        Act::Accept => {
            am.accepted_at = Set(Some(now));
            let promised = match m.parent_id {
                // A sub-case runs under the bundle's commitment.
                Some(p) => {
                    let b = case::Entity::find_by_id(p)
                        .one(tx)
                        .await?
                        .ok_or_else(|| StoreError::not_found("case", p))?;
                    crate::catalog::version_item(tx, &b.item_code, b.item_version)
                        .await?
                        .promised_limit_days
                }
                None => item.promised_limit_days,
            };
            am.due_at = Set(Some(rules::due_at(
                ctx.calendar,
                ctx.hours,
                now,
                promised,
                0,
            )));
        }
        Act::Refuse { reasons } => {
            let r = text("reasons", reasons, 2, 1000)?;
            am.decision_note = Set(Some(r.clone()));
            am.decided_at = Set(Some(now));
            am.closed_at = Set(Some(now));
            am.missing = Set(None);
            note = Some(r);
        }
        Act::RequestSupplement { missing } => {
            if missing.is_empty() || missing.len() > MAX_MISSING {
                return Err(StoreError::invalid(
                    "missing",
                    format!("count:1-{MAX_MISSING}"),
                ));
            }
            let list = missing
                .iter()
                .map(|s| text("missing", s, 2, 200))
                .collect::<Result<Vec<_>>>()?;
            am.missing = Set(Some(serde_json::to_string(&list).unwrap_or_default()));
            if from.clock_runs() {
                am.paused_since = Set(Some(now));
            }
            note = Some(list.join("；"));
            notify(
                tx,
                &m,
                ctx,
                "sms.case_supplement",
                &format!(
                    "您的办件（{}）需补正：{}。请一次补齐后提交。",
                    m.number,
                    list.join("；")
                ),
            )
            .await?;
        }
        Act::Review => {
            am.reviewer = Set(Some(ctx.actor.label.chars().take(100).collect()));
        }
        Act::Approve {
            note: n,
            legal_basis,
            instant,
        } => {
            let n = match n.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
                Some(s) => Some(text("note", s, 1, 1000)?),
                None => None,
            };
            let lb = match legal_basis
                .as_deref()
                .map(str::trim)
                .filter(|s| !s.is_empty())
            {
                Some(s) => Some(text("legal_basis", s, 2, 500)?),
                None => None,
            };
            am.decided_at = Set(Some(now));
            am.decision_note = Set(n.clone());
            am.legal_basis = Set(lb);
            am.instant_rule = Set(instant.clone());
            if m.reviewer.is_none() {
                am.reviewer = Set(Some(ctx.actor.label.chars().take(100).collect()));
            }
            note = n;
        }
        Act::Reject {
            reasons,
            legal_basis,
        } => {
            let r = text("reasons", reasons, 2, 1000)?;
            let lb = text("legal_basis", legal_basis, 2, 500)?;
            am.decided_at = Set(Some(now));
            am.decision_note = Set(Some(r.clone()));
            am.legal_basis = Set(Some(lb));
            if m.reviewer.is_none() {
                am.reviewer = Set(Some(ctx.actor.label.chars().take(100).collect()));
            }
            note = Some(r);
            notify(
                tx,
                &m,
                ctx,
                "sms.case_decided",
                &format!("您的办件（{}）未获批准，请查看决定理由。", m.number),
            )
            .await?;
        }
        Act::ResultReady => {
            am.result_ready_at = Set(Some(now));
            if m.parent_id.is_none() {
                let hall = match m.hall_id {
                    Some(h) => crate::org::get_unit(tx, zhengwu_core::ids::UnitId(h))
                        .await
                        .map(|u| u.name)
                        .unwrap_or_default(),
                    None => String::new(),
                };
                notify(
                    tx,
                    &m,
                    ctx,
                    "sms.case_result_ready",
                    &format!(
                        "您的办件（{}）已办结，请到{}出件窗口领取结果，或选择邮寄。",
                        m.number,
                        if hall.is_empty() { "大厅" } else { &hall }
                    ),
                )
                .await?;
            }
        }
        Act::HandOut { way, gift_pack } => {
            if !rules::HAND_OUT_WAYS.contains(&way.as_str()) {
                return Err(StoreError::invalid("way", format!("unknown:{way}")));
            }
            let pack = gift_pack
                .iter()
                .map(|s| text("gift_pack", s, 1, 100))
                .collect::<Result<Vec<_>>>()?;
            am.handed_out_at = Set(Some(now));
            am.hand_out_way = Set(Some(way.clone()));
            if !pack.is_empty() {
                am.gift_pack = Set(Some(serde_json::to_string(&pack).unwrap_or_default()));
            }
            note = Some(if pack.is_empty() {
                way.clone()
            } else {
                format!("{way}: {}", pack.join("、"))
            });
        }
        Act::Close => {
            am.closed_at = Set(Some(now));
        }
        Act::Withdraw => {
            am.closed_at = Set(Some(now));
            am.missing = Set(None);
            am.paused_since = Set(None);
        }
    }
    let m = am.update(tx).await?;
    event(tx, m.id, e.name(), ctx, note.as_deref()).await?;
    Ok(m)
}

/// A notice to the applicant's mobile, when one is known.
async fn notify(
    tx: &impl ConnectionTrait,
    m: &case::Model,
    ctx: &Ctx<'_>,
    topic: &str,
    text: &str,
) -> Result<()> {
    let Some(mobile) = m.applicant_mobile.clone() else {
        return Ok(());
    };
    crate::notify::enqueue(
        tx,
        crate::notify::NewMessage {
            sink: ctx.sink.to_owned(),
            topic: topic.into(),
            payload: json!({"mobile": mobile, "text": text, "case": m.id}),
        },
    )
    .await?;
    Ok(())
}

/// The applicant hands in what was asked for: files for the materials and, if any, changed
/// form fields. The checks run again; a case paused in review resumes with its limit moved by
/// the working time it stood still; one completing before acceptance goes back to the window.
pub async fn supplement(
    tx: &impl ConnectionTrait,
    id: i64,
    form: Option<Form>,
    files_in: Vec<Upload>,
    ctx: &Ctx<'_>,
) -> Result<CaseDetail> {
    let m = locked(tx, id).await?;
    let to = moved(&m, Event::Supplement)?;
    let item = crate::catalog::version_item(tx, &m.item_code, m.item_version).await?;
    if files_in.is_empty() && form.is_none() {
        return Err(StoreError::invalid("file", "required"));
    }
    let checked = check_uploads(&item, &files_in)?;
    let new_form = match form {
        Some(f) => {
            let mut merged: Form = serde_json::from_str(&m.form).unwrap_or_default();
            merged.extend(f);
            rules::validate_form(&item.form_fields(), &merged).map_err(|e| form_error(&item, e))?
        }
        None => serde_json::from_str(&m.form).unwrap_or_default(),
    };
    store_files(tx, m.id, &files_in, &checked, ctx).await?;
    let mut am: case::ActiveModel = m.clone().into();
    am.status = Set(to.as_str().into());
    am.revision = Set(m.revision + 1);
    am.updated_at = Set(ctx.now);
    am.missing = Set(None);
    am.form = Set(serde_json::to_string(&new_form).unwrap_or_else(|_| "{}".into()));
    if let (Some(since), Some(accepted)) = (m.paused_since, m.accepted_at) {
        let paused = m.paused_seconds
            + ctx
                .calendar
                .working_seconds_between(since, ctx.now, ctx.hours);
        let promised = item.promised_limit_days;
        am.paused_seconds = Set(paused);
        am.paused_since = Set(None);
        am.due_at = Set(Some(rules::due_at(
            ctx.calendar,
            ctx.hours,
            accepted,
            promised,
            paused,
        )));
    }
    let m = am.update(tx).await?;
    event(
        tx,
        m.id,
        "supplement",
        ctx,
        Some(&format!("{} file(s)", files_in.len())),
    )
    .await?;
    let run = case_check::Entity::find()
        .filter(case_check::Column::CaseId.eq(m.id))
        .select_only()
        .column_as(case_check::Column::Run.max(), "run")
        .into_tuple::<Option<i32>>()
        .one(tx)
        .await?
        .flatten()
        .unwrap_or(0);
    check(tx, &m, &item, run + 1, ctx).await?;
    detail(tx, m.id, ctx.calendar, ctx.hours, ctx.now).await
}

/// One case with everything about it.
pub async fn detail(
    db: &impl ConnectionTrait,
    id: i64,
    cal: &Calendar,
    hours: &WorkingHours,
    now: DateTime<Utc>,
) -> Result<CaseDetail> {
    let m = case::Entity::find_by_id(id)
        .one(db)
        .await?
        .ok_or_else(|| StoreError::not_found("case", id))?;
    let materials = case_material::Entity::find()
        .filter(case_material::Column::CaseId.eq(id))
        .order_by_asc(case_material::Column::Idx)
        .all(db)
        .await?
        .into_iter()
        .map(|r| CaseMaterial {
            idx: r.idx,
            name: r.name,
            provided: r.provided,
            file_id: r.file_id,
            reference: r.reference,
        })
        .collect();
    let files = case_file::Entity::find()
        .select_only()
        .columns([
            case_file::Column::Id,
            case_file::Column::MaterialIdx,
            case_file::Column::FileName,
            case_file::Column::ContentType,
            case_file::Column::Size,
            case_file::Column::Sha256,
            case_file::Column::UploadedAt,
        ])
        .filter(case_file::Column::CaseId.eq(id))
        .order_by_asc(case_file::Column::Id)
        .into_tuple::<(i64, i32, String, String, i64, String, DateTime<Utc>)>()
        .all(db)
        .await?
        .into_iter()
        .map(
            |(id, material_idx, file_name, content_type, size, sha256, uploaded_at)| CaseFile {
                id,
                material_idx,
                file_name,
                content_type,
                size,
                sha256,
                uploaded_at,
            },
        )
        .collect();
    let all_checks = case_check::Entity::find()
        .filter(case_check::Column::CaseId.eq(id))
        .order_by_asc(case_check::Column::Id)
        .all(db)
        .await?;
    let last_run = all_checks.iter().map(|c| c.run).max().unwrap_or(0);
    let checks = all_checks
        .into_iter()
        .filter(|c| c.run == last_run)
        .map(|c| CaseCheck {
            run: c.run,
            target: c.target,
            check: c.check_name,
            outcome: c.outcome,
            detail: c.detail,
            at: c.at,
        })
        .collect();
    let events = case_event::Entity::find()
        .filter(case_event::Column::CaseId.eq(id))
        .order_by_asc(case_event::Column::Id)
        .all(db)
        .await?
        .into_iter()
        .map(|e| CaseEvent {
            kind: e.kind,
            at: e.at,
            actor: e.actor,
            note: e.note,
        })
        .collect();
    let parts = parts_of(db, id)
        .await?
        .into_iter()
        .map(|p| {
            let d = deadline_of(&p, cal, hours, now);
            view(p, d)
        })
        .collect();
    let rating = crate::entity::rating::Entity::find()
        .filter(crate::entity::rating::Column::CaseId.eq(id))
        .one(db)
        .await?
        .map(|r| r.level);
    let d = deadline_of(&m, cal, hours, now);
    Ok(CaseDetail {
        case: view(m, d),
        materials,
        files,
        checks,
        events,
        parts,
        rating,
    })
}

/// A case's raw row (for the server's checks of who may act on it).
pub async fn row(db: &impl ConnectionTrait, id: i64) -> Result<case::Model> {
    case::Entity::find_by_id(id)
        .one(db)
        .await?
        .ok_or_else(|| StoreError::not_found("case", id))
}

/// A case's id by its number (`BJ20261128-00012`, or a part's `…-00012-3`).
pub async fn by_number(db: &impl ConnectionTrait, number: &str) -> Result<Option<i64>> {
    Ok(case::Entity::find()
        .select_only()
        .column(case::Column::Id)
        .filter(case::Column::Number.eq(number.trim().to_ascii_uppercase()))
        .into_tuple::<i64>()
        .one(db)
        .await?)
}

/// The latest run's failed and manual checks of each case in `ids`: (failed, manual, all).
pub async fn check_counts(
    db: &impl ConnectionTrait,
    ids: &[i64],
) -> Result<std::collections::HashMap<i64, (u32, u32, u32)>> {
    let rows: Vec<(i64, i32, String)> = case_check::Entity::find()
        .select_only()
        .columns([
            case_check::Column::CaseId,
            case_check::Column::Run,
            case_check::Column::Outcome,
        ])
        .filter(case_check::Column::CaseId.is_in(ids.iter().copied()))
        .into_tuple()
        .all(db)
        .await?;
    let mut last: std::collections::HashMap<i64, i32> = std::collections::HashMap::new();
    for (c, run, _) in &rows {
        let e = last.entry(*c).or_insert(*run);
        *e = (*e).max(*run);
    }
    let mut out = std::collections::HashMap::new();
    for (c, run, outcome) in rows {
        if last.get(&c) != Some(&run) {
            continue;
        }
        let e: &mut (u32, u32, u32) = out.entry(c).or_default();
        match outcome.as_str() {
            "fail" => e.0 += 1,
            "manual" => e.1 += 1,
            _ => {}
        }
        e.2 += 1;
    }
    Ok(out)
}

/// One file of a case with its bytes.
pub async fn file(db: &impl ConnectionTrait, case_id: i64, id: i64) -> Result<(CaseFile, Vec<u8>)> {
    let f = case_file::Entity::find_by_id(id)
        .filter(case_file::Column::CaseId.eq(case_id))
        .one(db)
        .await?
        .ok_or_else(|| StoreError::not_found("file", id))?;
    Ok((
        CaseFile {
            id: f.id,
            material_idx: f.material_idx,
            file_name: f.file_name,
            content_type: f.content_type,
            size: f.size,
            sha256: f.sha256,
            uploaded_at: f.uploaded_at,
        },
        f.bytes,
    ))
}

/// Which cases a list shows.
#[derive(Debug, Clone, Default)]
pub struct Filter {
    /// Only these departments' cases (a reviewer's); `None`: every department.
    pub departments: Option<Vec<i64>>,
    /// Only cases handed out at these halls (a window clerk's hand-out list).
    pub halls: Option<Vec<i64>>,
    pub statuses: Vec<Status>,
    /// Only cases whose deadline stands so (`yellow`, `red`); applied after the query.
    pub deadline: Option<Deadline>,
    pub citizen: Option<i64>,
    pub enterprises: Option<Vec<i64>>,
    /// Only the cases this member of staff submitted and follows as an agent (帮办代办).
    pub agent: Option<i64>,
    /// Sub-cases of bundles too (a department reviews its part).
    pub with_parts: bool,
    pub limit: u64,
}

/// Cases by their due time (the earliest first, then the newest submissions).
pub async fn list(
    db: &impl ConnectionTrait,
    f: &Filter,
    cal: &Calendar,
    hours: &WorkingHours,
    now: DateTime<Utc>,
) -> Result<Vec<Case>> {
    let mut q = case::Entity::find();
    if let Some(d) = &f.departments {
        q = q.filter(case::Column::DepartmentId.is_in(d.iter().copied()));
    }
    if let Some(h) = &f.halls {
        q = q.filter(case::Column::HallId.is_in(h.iter().copied()));
    }
    if !f.statuses.is_empty() {
        q = q.filter(case::Column::Status.is_in(f.statuses.iter().map(|s| s.as_str())));
    }
    if let Some(c) = f.citizen {
        q = q.filter(case::Column::CitizenId.eq(c));
    }
    if let Some(es) = &f.enterprises {
        q = q.filter(case::Column::EnterpriseId.is_in(es.iter().copied()));
    }
    if let Some(a) = f.agent {
        q = q.filter(case::Column::AgentId.eq(a));
    }
    if !f.with_parts {
        q = q.filter(case::Column::ParentId.is_null());
    }
    let limit = f.limit.clamp(1, 1000);
    let rows = q
        .order_by_asc(case::Column::DueAt)
        .order_by_desc(case::Column::Id)
        .limit(if f.deadline.is_some() { 5000 } else { limit })
        .all(db)
        .await?;
    Ok(rows
        .into_iter()
        .map(|m| {
            let d = deadline_of(&m, cal, hours, now);
            (m, d)
        })
        .filter(|(_, d)| f.deadline.is_none() || *d == f.deadline)
        .take(usize::try_from(limit).unwrap_or(usize::MAX))
        .map(|(m, d)| view(m, d))
        .collect())
}

/// Warns the department and the supervisors about cases at 75 % of their limit (yellow) and
/// past it (red), once each, through the outbox. Returns how many warnings were queued.
pub async fn sweep(tx: &impl ConnectionTrait, ctx: &Ctx<'_>) -> Result<usize> {
    let rows = case::Entity::find()
        .filter(case::Column::Status.is_in([Status::Accepted.as_str(), Status::InReview.as_str()]))
        .filter(case::Column::Warned.lt(2))
        .all(tx)
        .await?;
    let mut n = 0;
    for m in rows {
        let level = match deadline_of(&m, ctx.calendar, ctx.hours, ctx.now) {
            Some(Deadline::Red) => 2,
            Some(Deadline::Yellow) => 1,
            _ => continue,
        };
        if m.warned >= level {
            continue;
        }
        let topic = if level == 2 {
            "case.overdue"
        } else {
            "case.due_soon"
        };
        for to in ["department", "supervisor"] {
            crate::notify::enqueue(
                tx,
                crate::notify::NewMessage {
                    sink: ctx.sink.to_owned(),
                    topic: topic.into(),
                    payload: json!({
                        "to": to,
                        "department": m.department_id,
                        "case": m.id,
                        "number": m.number,
                        "item": m.item_name,
                        "due_at": m.due_at,
                    }),
                },
            )
            .await?;
            n += 1;
        }
        let mut am: case::ActiveModel = m.into();
        am.warned = Set(level);
        am.update(tx).await?;
    }
    Ok(n)
}

/// Counts of open cases by department and deadline state: the supervisor's overview.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct DeptLoad {
    pub department_id: i64,
    pub open: u64,
    pub yellow: u64,
    pub red: u64,
}

/// Open cases per department, with their yellow and red counts.
pub async fn load_by_department(
    db: &impl ConnectionTrait,
    cal: &Calendar,
    hours: &WorkingHours,
    now: DateTime<Utc>,
) -> Result<Vec<DeptLoad>> {
    let rows = case::Entity::find()
        .filter(case::Column::Status.is_in([
            Status::Accepted.as_str(),
            Status::InReview.as_str(),
            Status::Supplementing.as_str(),
        ]))
        .all(db)
        .await?;
    let mut out: Vec<DeptLoad> = Vec::new();
    for m in rows {
        let d = deadline_of(&m, cal, hours, now);
        let i = match out.iter().position(|x| x.department_id == m.department_id) {
            Some(i) => i,
            None => {
                out.push(DeptLoad {
                    department_id: m.department_id,
                    open: 0,
                    yellow: 0,
                    red: 0,
                });
                out.len() - 1
            }
        };
        out[i].open += 1;
        match d {
            Some(Deadline::Yellow) => out[i].yellow += 1,
            Some(Deadline::Red) => out[i].red += 1,
            _ => {}
        }
    }
    out.sort_by_key(|x| {
        (
            std::cmp::Reverse(x.red),
            std::cmp::Reverse(x.yellow),
            x.department_id,
        )
    });
    Ok(out)
}

/// How many cases there are.
pub async fn count(db: &impl ConnectionTrait) -> Result<u64> {
    Ok(case::Entity::find().count(db).await?)
}

/// Empties the cases (the demo's reset).
pub async fn clear(tx: &impl ConnectionTrait) -> Result<()> {
    case_check::Entity::delete_many().exec(tx).await?;
    case_event::Entity::delete_many().exec(tx).await?;
    case_file::Entity::delete_many().exec(tx).await?;
    case_material::Entity::delete_many().exec(tx).await?;
    crate::entity::rating::Entity::delete_many()
        .filter(crate::entity::rating::Column::CaseId.is_not_null())
        .exec(tx)
        .await?;
    case::Entity::delete_many().exec(tx).await?;
    crate::entity::assist_request::Entity::delete_many()
        .exec(tx)
        .await?;
    Ok(())
}
