//! One appeal with its actions by state and role (`/console/appeals/{id}`): the dispatcher
//! dispatches, visits, merges a duplicate into its master (by number) and splits matters out;
//! a unit handler signs, returns, contributes, replies and asks for more time; a supervisor
//! orders a unit to dispose first, settles ownership afterwards and gives stars to a closed
//! appeal. Every form posts here with an `action`; a refused one is shown again with the
//! reason beside it and what was typed.

use askama::Template;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, Uri};
use axum::response::{IntoResponse, Redirect, Response};
use chrono::Utc;
use zhengwu_core::appeal::{Part, Status};
use zhengwu_core::booking::RatingLevel;
use zhengwu_core::ids::UnitId;
use zhengwu_store::appeals::{self, Appeal, AppealDetail, SplitPart};
use zhengwu_store::appeals::{disposal, extensions, supervision};

use super::super::super::booking::when;
use super::super::super::console::render;
use super::super::super::guide::Words;
use super::super::super::{Frame, urlencode};
use super::super::portal::{kinds, opt};
use super::super::{Deadline, HandlingUnits, TopicGroup, Topics, deadline, status_of, today};
use super::dispatcher::{ExtRow, ext_row};
use super::supervisor::{LedgerRow, ledger_row};
use super::{NoticeQuery, Refusal, event_label, notice_of, staff_or_login, stars_text};
use crate::auth::{Caller, ClientIp};
use crate::csrf::{self, Csrf};
use crate::error::{ApiError, ApiPath, ApiQuery};
use crate::http::appeals::{DISPATCH, HANDLERS, handled_units, may_read};
use crate::http::supervision::SUPERVISE;
use crate::i18n::tf;
use crate::startup::AppState;

struct AssignmentRow {
    unit: String,
    role: String,
    part: String,
    sign_due: String,
    note: String,
}

struct EventRow {
    at: String,
    what: String,
    actor: String,
    unit: String,
    note: String,
}

/// The forms a handler has for one of their units' parts.
struct UnitActions {
    unit_id: i64,
    unit: String,
    lead: bool,
    can_sign: bool,
    can_return: bool,
    can_contribute: bool,
    can_reply: bool,
    /// The lead unit asks for more working days (in hand, no request waiting).
    can_extend: bool,
    /// A request of this appeal waits for the dispatcher.
    extension_pending: bool,
}

/// One matter of the split form, as typed.
#[derive(Debug, Default, Clone)]
pub(in super::super) struct SplitForm {
    kind: String,
    topic: String,
    content: String,
}

/// The matters the split form has room for.
const SPLIT_PARTS: usize = 3;

/// What the forms of the appeal's page post, kept when refused.
#[derive(Debug, Default)]
pub(in super::super) struct ActionForm {
    csrf: String,
    action: String,
    unit: i64,
    lead: i64,
    co: Vec<i64>,
    note: String,
    text: String,
    resolved: String,
    satisfaction: String,
    /// Working days asked for (an extension).
    days: String,
    /// The master appeal's number (a merge).
    master: String,
    parts: [SplitForm; SPLIT_PARTS],
    /// The unit ordered to dispose first, and what it is to do.
    dispose_unit: i64,
    instruction: String,
    /// The order being settled, its owner unit and the accountability.
    disposal: i64,
    owner: i64,
    accountability: String,
    stars: String,
    notice: Option<String>,
}

impl ActionForm {
    fn from_pairs(pairs: Vec<(String, String)>) -> Self {
        let mut f = Self::default();
        for (k, v) in pairs {
            match k.as_str() {
                "csrf" => f.csrf = v,
                "action" => f.action = v,
                "unit" => f.unit = v.trim().parse().unwrap_or_default(),
                "lead" => f.lead = v.trim().parse().unwrap_or_default(),
                "co" => {
                    if let Ok(id) = v.trim().parse() {
                        f.co.push(id);
                    }
                }
                "note" => f.note = v,
                "text" => f.text = v,
                "resolved" => f.resolved = v,
                "satisfaction" => f.satisfaction = v,
                "days" => f.days = v,
                "master" => f.master = v,
                "dispose_unit" => f.dispose_unit = v.trim().parse().unwrap_or_default(),
                "instruction" => f.instruction = v,
                "disposal" => f.disposal = v.trim().parse().unwrap_or_default(),
                "owner" => f.owner = v.trim().parse().unwrap_or_default(),
                "accountability" => f.accountability = v,
                "stars" => f.stars = v,
                other => {
                    // The split form's matters: kind1, topic1, content1 … kind3 ….
                    let field = ["kind", "topic", "content"]
                        .into_iter()
                        .find_map(|name| other.strip_prefix(name).map(|n| (name, n)));
                    if let Some((name, n)) = field
                        && let Ok(i) = n.parse::<usize>()
                        && (1..=SPLIT_PARTS).contains(&i)
                    {
                        let part = &mut f.parts[i - 1];
                        match name {
                            "kind" => part.kind = v,
                            "topic" => part.topic = v,
                            _ => part.content = v,
                        }
                    }
                }
            }
        }
        f
    }
}

#[derive(Template)]
#[template(path = "console_appeal.html")]
struct DetailPage {
    frame: Frame,
    w: Words,
    csrf: String,
    a: Appeal,
    kind: String,
    status: String,
    channel: String,
    topic: String,
    created: String,
    deadline: Deadline,
    replied: String,
    satisfaction: String,
    assignments: Vec<AssignmentRow>,
    events: Vec<EventRow>,
    can_dispatch: bool,
    can_visit: bool,
    unit_groups: Vec<(String, Vec<(i64, String)>)>,
    lead: i64,
    co: Vec<i64>,
    actions: Vec<UnitActions>,
    form: ActionForm,
    levels: Vec<(u8, String)>,
    /// The master this duplicate was merged into, the appeal this one was split from.
    merged_into: Option<Link>,
    split_from: Option<Link>,
    stars: String,
    extensions: Vec<ExtRow>,
    /// The dispatcher decides extension requests (on their list).
    can_decide: bool,
    can_merge: bool,
    can_split: bool,
    kinds: Vec<(&'static str, String)>,
    topic_groups: Vec<TopicGroup>,
    /// Dispose-first orders of this appeal.
    orders: Vec<LedgerRow>,
    can_order: bool,
    can_settle: bool,
    /// Some order is for one of the handler's units and not settled: a link to record it.
    order_for_me: bool,
    can_star: bool,
    star_levels: Vec<(i16, String)>,
    notice: Option<String>,
    error: Option<String>,
}

/// Another appeal, for a link: its id and number.
struct Link {
    id: i64,
    number: String,
}

async fn link_to(state: &AppState, id: Option<i64>) -> Result<Option<Link>, ApiError> {
    Ok(match id {
        Some(id) => Some(Link {
            id,
            number: appeals::detail(state.db.conn(), id).await?.appeal.number,
        }),
        None => None,
    })
}

async fn detail_view(
    state: &AppState,
    caller: &Caller,
    headers: &HeaderMap,
    uri: &Uri,
    d: AppealDetail,
    mut form: ActionForm,
    error: Option<String>,
) -> Result<Response, ApiError> {
    let lang = crate::http::lang_from(uri, headers);
    let csrf = Csrf::for_request(headers)?;
    let w = Words::new(lang);
    let topics = Topics::load(state).await?;
    let units = HandlingUnits::load(state).await?;
    let cal = state.calendar();
    let status = Status::parse(&d.appeal.status).unwrap_or(Status::Registered);
    let dispatcher = caller.require(DISPATCH).is_ok();
    let can_dispatch = dispatcher && matches!(status, Status::Registered | Status::Returned);
    let can_visit = dispatcher && status == Status::Replied;
    let supervisor = caller.require(SUPERVISE).is_ok();
    let ext = extensions::of_appeal(state.db.conn(), d.appeal.id).await?;
    let extension_pending = ext.iter().any(|e| e.status == "pending");
    let handled = if caller.require(HANDLERS).is_ok() {
        handled_units(state, caller).await?
    } else {
        Vec::new()
    };
    let orders = disposal::of_appeal(state.db.conn(), d.appeal.id).await?;
    let order_for_me = orders
        .iter()
        .any(|o| o.state != "settled" && handled.contains(&o.unit_id));
    // The dispatch form's defaults: what was posted, else the topic's lead and co-units.
    let (lead, co) = if form.action == "dispatch" {
        (form.lead, form.co.clone())
    } else {
        let t = topics.get(&d.appeal.topic);
        (
            t.and_then(|t| t.lead.as_deref())
                .and_then(|c| units.id_of(c))
                .unwrap_or_default(),
            t.map(|t| t.co.iter().filter_map(|c| units.id_of(c)).collect())
                .unwrap_or_default(),
        )
    };
    // A handler's forms: for each of the appeal's open parts of a unit the caller handles.
    let mut actions = Vec::new();
    {
        let mine = &handled;
        for p in &d.assignments {
            if !mine.contains(&p.unit_id) {
                continue;
            }
            let Some(part) = Part::parse(&p.part) else {
                continue;
            };
            let lead = p.role == "lead";
            let a = UnitActions {
                unit_id: p.unit_id,
                unit: units.name(p.unit_id),
                lead,
                can_sign: part == Part::Pending,
                can_return: lead
                    && part.is_working()
                    && matches!(status, Status::Dispatched | Status::InHand),
                can_contribute: !lead && part == Part::Signed,
                can_reply: lead && part == Part::Signed && status == Status::InHand,
                can_extend: lead
                    && part == Part::Signed
                    && status == Status::InHand
                    && !extension_pending,
                extension_pending: lead && status == Status::InHand && extension_pending,
            };
            if a.can_sign
                || a.can_return
                || a.can_contribute
                || a.can_reply
                || a.can_extend
                || a.extension_pending
            {
                actions.push(a);
            }
        }
    }
    let levels = (1..=5u8)
        .rev()
        .map(|l| (l, w.l(format!("appeal.level.{l}"))))
        .collect();
    let merged_into = link_to(state, d.appeal.merged_into).await?;
    let split_from = link_to(state, d.appeal.split_from).await?;
    let a = d.appeal;
    let page = DetailPage {
        frame: Frame::new(lang, state.district_name()),
        csrf: csrf.token.clone(),
        kind: w.l(format!("appeal.kind.{}", a.kind)),
        status: w.l(format!("appeal.status.{}", a.status)),
        channel: w.l(format!("appeal.channel.{}", a.channel)),
        topic: topics.path(&a.topic),
        created: when(lang, a.created_at),
        deadline: deadline(lang, &cal, &a, today()),
        replied: a.replied_at.map(|t| when(lang, t)).unwrap_or_default(),
        satisfaction: a
            .satisfaction
            .map(|l| w.l(format!("appeal.level.{l}")))
            .unwrap_or_default(),
        assignments: d
            .assignments
            .iter()
            .map(|p| AssignmentRow {
                unit: units.name(p.unit_id),
                role: w.l(format!("appeal.role.{}", p.role)),
                part: w.l(format!("appeal.part.{}", p.part)),
                sign_due: super::super::fmt_date(lang, p.sign_due_on),
                note: p.note.clone().unwrap_or_default(),
            })
            .collect(),
        events: d
            .events
            .iter()
            .map(|e| EventRow {
                at: when(lang, e.at),
                what: event_label(&w, &e.kind),
                actor: e.actor.clone(),
                unit: e.unit_id.map(|u| units.name(u)).unwrap_or_default(),
                note: e.note.clone().unwrap_or_default(),
            })
            .collect(),
        can_dispatch,
        can_visit,
        unit_groups: units
            .groups
            .iter()
            .map(|(label, us)| {
                (
                    w.l(label),
                    us.iter().map(|(id, _, n)| (*id, n.clone())).collect(),
                )
            })
            .collect(),
        lead,
        co,
        actions,
        levels,
        merged_into,
        split_from,
        stars: a.stars.map(|n| stars_text(lang, n)).unwrap_or_default(),
        extensions: ext.iter().map(|e| ext_row(lang, &w, &units, e)).collect(),
        can_decide: dispatcher,
        can_merge: dispatcher
            && matches!(
                status,
                Status::Registered | Status::Returned | Status::Dispatched | Status::InHand
            ),
        can_split: dispatcher && status.is_open(),
        kinds: kinds(&w),
        topic_groups: topics.groups(),
        orders: orders
            .into_iter()
            .map(|o| ledger_row(lang, &w, &topics, o))
            .collect(),
        can_order: supervisor && status.is_open(),
        can_settle: supervisor,
        order_for_me,
        can_star: supervisor && status == Status::Closed && a.answer.is_none(),
        star_levels: (1..=5i16).rev().map(|n| (n, stars_text(lang, n))).collect(),
        notice: notice_of(form.notice.take()),
        form,
        a,
        error: error.clone(),
        w,
    };
    render(page, Some(&csrf), status_of(&error))
}

async fn readable(state: &AppState, caller: &Caller, id: i64) -> Result<AppealDetail, ApiError> {
    caller.require(&[
        zhengwu_core::roles::Role::Admin,
        zhengwu_core::roles::Role::Dispatcher,
        zhengwu_core::roles::Role::Supervisor,
        zhengwu_core::roles::Role::UnitHandler,
    ])?;
    let d = appeals::detail(state.db.conn(), id).await?;
    match may_read(state, caller, &d).await {
        Ok(()) => Ok(d),
        // A unit ordered to dispose first reads the appeal it acts on, assigned or not.
        Err(e) if e.status == StatusCode::NOT_FOUND && caller.require(HANDLERS).is_ok() => {
            let mine = handled_units(state, caller).await?;
            let ordered = disposal::of_appeal(state.db.conn(), id)
                .await?
                .iter()
                .any(|o| mine.contains(&o.unit_id));
            if ordered { Ok(d) } else { Err(e) }
        }
        Err(e) => Err(e),
    }
}

/// One appeal: its facts, assignments, history and the actions the caller may take.
pub(in super::super) async fn detail_page(
    State(state): State<AppState>,
    caller: Caller,
    headers: HeaderMap,
    uri: Uri,
    ApiPath(id): ApiPath<i64>,
    ApiQuery(q): ApiQuery<NoticeQuery>,
) -> Result<Response, ApiError> {
    if let Some(r) = staff_or_login(&caller) {
        return Ok(r);
    }
    let d = readable(&state, &caller, id).await?;
    let form = ActionForm {
        notice: q.notice,
        ..Default::default()
    };
    detail_view(&state, &caller, &headers, &uri, d, form, None).await
}

/// Dispatches, records the return visit, or takes a unit's step (sign, return, contribute,
/// reply); or one of the further tools (extension, merge, split, dispose first, stars); each
/// in one write transaction.
pub(in super::super) async fn detail_submit(
    State(state): State<AppState>,
    caller: Caller,
    ip: ClientIp,
    headers: HeaderMap,
    uri: Uri,
    ApiPath(id): ApiPath<i64>,
    axum::Form(pairs): axum::Form<Vec<(String, String)>>,
) -> Result<Response, ApiError> {
    let f = ActionForm::from_pairs(pairs);
    csrf::verify(&headers, &f.csrf)?;
    if let Some(r) = staff_or_login(&caller) {
        return Ok(r);
    }
    let lang = crate::http::lang_from(&uri, &headers);
    readable(&state, &caller, id).await?;
    if f.action == "visit" && !matches!(f.resolved.as_str(), "yes" | "no") {
        let msg = Words::new(lang).l("appeal.visit.resolved_required");
        let d = appeals::detail(state.db.conn(), id).await?;
        return detail_view(&state, &caller, &headers, &uri, d, f, Some(msg)).await;
    }
    let actor = caller.actor(&ip);
    let now = Utc::now();
    let step: Option<Result<(), ApiError>> = match f.action.as_str() {
        "dispatch" => Some({
            caller.require(DISPATCH)?;
            let co: Vec<UnitId> = f.co.iter().copied().map(UnitId).collect();
            let cal = state.calendar();
            let note = opt(&f.note);
            crate::http::write(&state, async |tx| {
                appeals::dispatch(
                    tx,
                    id,
                    UnitId(f.lead),
                    &co,
                    &cal,
                    note.as_deref(),
                    now,
                    &actor,
                )
                .await
            })
            .await
            .map(|_| ())
        }),
        "visit" => Some({
            caller.require(DISPATCH)?;
            match (
                f.resolved.as_str(),
                f.satisfaction
                    .trim()
                    .parse::<i64>()
                    .ok()
                    .and_then(RatingLevel::new),
            ) {
                (_, Some(level)) => {
                    let note = opt(&f.note);
                    crate::http::write(&state, async |tx| {
                        appeals::visit(
                            tx,
                            id,
                            f.resolved == "yes",
                            level,
                            note.as_deref(),
                            now,
                            &actor,
                        )
                        .await
                    })
                    .await
                    .map(|_| ())
                }
                _ => Err(ApiError::invalid_field("satisfaction", "range:1-5")),
            }
        }),
        "sign" | "return" | "contribute" | "reply" => Some({
            caller.require(HANDLERS)?;
            let path = zhengwu_store::org::unit_path(state.db.conn(), UnitId(f.unit)).await?;
            if !caller.can_see(HANDLERS, &path) {
                return Err(ApiError::new(StatusCode::FORBIDDEN, "forbidden"));
            }
            let unit = UnitId(f.unit);
            let text = f.text.clone();
            let sink = crate::notify::default_sink(&state.config);
            match f.action.as_str() {
                "sign" => crate::http::write(&state, async |tx| {
                    appeals::sign(tx, id, unit, now, &actor).await
                })
                .await
                .map(|_| ()),
                "return" => crate::http::write(&state, async |tx| {
                    appeals::return_to_dispatcher(tx, id, unit, &text, now, &actor).await
                })
                .await
                .map(|_| ()),
                "contribute" => crate::http::write(&state, async |tx| {
                    appeals::contribute(tx, id, unit, &text, now, &actor).await
                })
                .await
                .map(|_| ()),
                _ => crate::http::write(&state, async |tx| {
                    appeals::reply(tx, id, unit, &text, now, &actor, sink).await
                })
                .await
                .map(|_| ()),
            }
        }),
        _ => None,
    };
    let done: Result<String, Refusal> = match step {
        Some(r) => r
            .map(|()| Words::new(lang).l(format!("appeal.done.{}", f.action)))
            .map_err(Refusal::from),
        None => tools(&state, &caller, &actor, id, &f, lang).await,
    };
    match done {
        Ok(notice) => Ok(Redirect::to(&format!(
            "/console/appeals/{id}?notice={}",
            urlencode(&notice)
        ))
        .into_response()),
        Err(r) => {
            let labels: &[(&str, &str)] = match f.action.as_str() {
                "order" => &[("unit", "appeal.dispose.unit")],
                "stars" => &[("note", "appeal.star.note")],
                _ => &[],
            };
            let msg = r.said(lang, labels)?;
            let d = appeals::detail(state.db.conn(), id).await?;
            detail_view(&state, &caller, &headers, &uri, d, f, Some(msg)).await
        }
    }
}

/// The further tools on an appeal; the notice to show when done.
async fn tools(
    state: &AppState,
    caller: &Caller,
    actor: &zhengwu_store::audit::Actor,
    id: i64,
    f: &ActionForm,
    lang: crate::i18n::Lang,
) -> Result<String, Refusal> {
    let w = Words::new(lang);
    let now = Utc::now();
    match f.action.as_str() {
        // The lead unit asks for more working days.
        "extend" => {
            let unit = super::acts_for(state, caller, f.unit).await?;
            let days = f
                .days
                .trim()
                .parse::<u32>()
                .map_err(|_| Refusal::Say(w.l("appeal.ext.days_format")))?;
            crate::http::write(state, async |tx| {
                extensions::request(tx, id, unit, days, &f.text, now, actor).await
            })
            .await?;
            Ok(w.l("appeal.ext.done.requested"))
        }
        // The dispatcher merges this duplicate into the master, found by its number.
        "merge" => {
            caller.require(DISPATCH)?;
            let number = f.master.trim();
            if number.is_empty() {
                return Err(Refusal::Say(w.l("appeal.merge.number_required")));
            }
            let master = match appeals::by_number(state.db.conn(), number).await {
                Ok(m) => m,
                Err(zhengwu_store::StoreError::NotFound { .. }) => {
                    return Err(Refusal::Say(tf(
                        lang,
                        "appeal.merge.unknown",
                        &[("number", number.chars().take(40).collect())],
                    )));
                }
                Err(e) => return Err(e.into()),
            };
            crate::http::write(state, async |tx| {
                appeals::merge(tx, id, master.id, now, actor).await
            })
            .await?;
            Ok(tf(lang, "appeal.merge.done", &[("number", master.number)]))
        }
        // The dispatcher splits matters out into new appeals (the filled-in ones of the form).
        "split" => {
            caller.require(DISPATCH)?;
            let parts: Vec<SplitPart> = f
                .parts
                .iter()
                .filter(|p| !p.content.trim().is_empty() || !p.topic.trim().is_empty())
                .map(|p| SplitPart {
                    kind: p.kind.trim().to_owned(),
                    topic: p.topic.trim().to_owned(),
                    content: p.content.clone(),
                })
                .collect();
            if parts.is_empty() {
                return Err(Refusal::Say(w.l("appeal.split.none")));
            }
            let cal = state.calendar();
            let made = crate::http::write(state, async |tx| {
                appeals::split(tx, id, &parts, &cal, now, actor).await
            })
            .await?;
            let numbers: Vec<String> = made.into_iter().map(|a| a.number).collect();
            Ok(tf(
                lang,
                "appeal.split.done",
                &[("numbers", numbers.join(", "))],
            ))
        }
        // The supervisor orders a unit to act at once.
        "order" => {
            caller.require(SUPERVISE)?;
            if f.dispose_unit == 0 {
                return Err(Refusal::Say(w.l("appeal.dispose.unit_required")));
            }
            let unit = UnitId(f.dispose_unit);
            crate::http::write(state, async |tx| {
                disposal::order(tx, id, unit, &f.instruction, now, actor).await
            })
            .await?;
            Ok(w.l("appeal.dispose.done.ordered"))
        }
        // The supervisor settles ownership and accountability of an order of this appeal.
        "settle" => {
            caller.require(SUPERVISE)?;
            let ours = disposal::of_appeal(state.db.conn(), id)
                .await?
                .iter()
                .any(|o| o.id == f.disposal);
            if !ours {
                return Err(ApiError::not_found().into());
            }
            if f.owner == 0 {
                return Err(Refusal::Say(w.l("appeal.dispose.owner_required")));
            }
            let owner = UnitId(f.owner);
            crate::http::write(state, async |tx| {
                disposal::settle(tx, f.disposal, owner, &f.accountability, now, actor).await
            })
            .await?;
            Ok(w.l("appeal.dispose.done.settled"))
        }
        // The supervisor's stars for the handling of a closed appeal.
        "stars" => {
            caller.require(SUPERVISE)?;
            let stars = f
                .stars
                .trim()
                .parse::<i16>()
                .map_err(|_| Refusal::Say(w.l("appeal.star.required")))?;
            let note = opt(&f.note);
            crate::http::write(state, async |tx| {
                supervision::star(tx, id, stars, note.as_deref(), now, actor).await
            })
            .await?;
            Ok(w.l("appeal.star.done"))
        }
        other => Err(ApiError::invalid_field("action", format!("unknown:{other}")).into()),
    }
}
