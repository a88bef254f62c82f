//! The demo district (`district.toml`): the seed report's Dalian High-tech Zone — one public
//! service center with four halls and ten comprehensive windows, the district's departments,
//! 52 communities in three sub-districts with 46 stations (6 of them model stations), their
//! staggered opening hours and exceptions. `zhengwu serve` loads it into a new database;
//! `zhengwu demo` loads or resets it.

use std::collections::{BTreeMap, HashMap};

use chrono::NaiveDate;
use sea_orm::{ConnectionTrait, EntityTrait, PaginatorTrait};
use serde::Deserialize;
use zhengwu_core::hours::{CalendarMode, DateException, Period, WeeklySchedule};
use zhengwu_core::ids::UnitId;

use crate::audit::Actor;
use crate::entity::{
    api_token, applicant_session, citizen, enterprise, enterprise_agent, opening_exception,
    opening_hours, org_unit, otp_code, session, staff, staff_role,
};
use crate::identity::{self, NewStaff};
use crate::org::{self, HallKind, Location, NewUnit, UnitKind, WindowKind};
use crate::{Db, Result, StoreError};
use zhengwu_core::roles::Role;

/// The demo district's definition.
pub mod appeals_gen;
pub mod cases_gen;

pub const DISTRICT_TOML: &str = include_str!("district.toml");

/// The demo catalog (see `catalog/README.md`): enterprise and citizen items.
pub const CATALOG_TOML: [&str; 2] = [
    include_str!("catalog/enterprise.toml"),
    include_str!("catalog/citizen.toml"),
];

/// The demo synonym table of the guidance search.
pub const SYNONYMS_TOML: &str = include_str!("catalog/synonyms.toml");

/// The appeals' topic tree (three levels) and the hotline's knowledge base.
pub const APPEAL_TOPICS_TOML: &str = include_str!("appeals/topics.toml");
pub const APPEAL_KNOWLEDGE_TOML: &str = include_str!("appeals/knowledge.toml");

#[derive(Debug, Deserialize)]
struct TopicsFile {
    topics: Vec<TopicNode>,
}

#[derive(Debug, Deserialize)]
struct TopicNode {
    code: String,
    name: String,
    #[serde(default)]
    children: Vec<TopicNode>,
    #[serde(default)]
    lead: Option<String>,
    #[serde(default)]
    co: Vec<String>,
    #[serde(default)]
    kind: Option<String>,
    #[serde(default)]
    words: Vec<String>,
}

#[derive(Debug, Deserialize)]
struct KnowledgeFile {
    entries: Vec<crate::appeals::KnowledgeEntry>,
}

/// The demo's appeal topics, parents before children, with their levels.
pub fn appeal_topics() -> Result<Vec<crate::appeals::Topic>> {
    fn walk(n: &TopicNode, parent: Option<&str>, level: i16, out: &mut Vec<crate::appeals::Topic>) {
        out.push(crate::appeals::Topic {
            code: n.code.clone(),
            name: n.name.clone(),
            parent_code: parent.map(str::to_owned),
            level,
            lead: n.lead.clone(),
            co: n.co.clone(),
            kind: n.kind.clone(),
            words: n.words.clone(),
        });
        for c in &n.children {
            walk(c, Some(&n.code), level + 1, out);
        }
    }
    let f: TopicsFile =
        toml::from_str(APPEAL_TOPICS_TOML).map_err(|e| invalid(format!("appeal topics: {e}")))?;
    let mut out = Vec::new();
    for t in &f.topics {
        walk(t, None, 1, &mut out);
    }
    Ok(out)
}

/// The demo's knowledge base.
pub fn appeal_knowledge() -> Result<Vec<crate::appeals::KnowledgeEntry>> {
    let f: KnowledgeFile = toml::from_str(APPEAL_KNOWLEDGE_TOML)
        .map_err(|e| invalid(format!("appeal knowledge: {e}")))?;
    Ok(f.entries)
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct SynonymFile {
    synonyms: Vec<SynonymDef>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct SynonymDef {
    phrase: String,
    expansion: String,
}

/// The demo district's departments: code → name.
pub fn department_names() -> Result<BTreeMap<String, String>> {
    let district: DistrictFile =
        toml::from_str(DISTRICT_TOML).map_err(|e| invalid(e.to_string()))?;
    Ok(district
        .departments
        .into_iter()
        .map(|d| (d.code, d.name))
        .collect())
}

/// The demo synonym table: (phrase, expansion) rows; phrases are unique.
pub fn synonyms() -> Result<Vec<(String, String)>> {
    let f: SynonymFile = toml::from_str(SYNONYMS_TOML).map_err(|e| invalid(e.to_string()))?;
    let mut seen = std::collections::HashSet::new();
    let mut out = Vec::new();
    for s in f.synonyms {
        let phrase = s.phrase.trim().to_owned();
        if phrase.is_empty() || s.expansion.trim().is_empty() {
            return Err(invalid(
                "a synonym with an empty phrase or expansion".into(),
            ));
        }
        if seen.insert(phrase.clone()) {
            out.push((phrase, s.expansion.trim().to_owned()));
        }
    }
    Ok(out)
}

/// A form's blank and filled-in sample: (file name, bytes) of each.
pub type FormFiles = ((String, Vec<u8>), (String, Vec<u8>));

/// Makes a demo material's blank form and filled sample: (file name, bytes) of each, or `None`
/// when the material is not a form. The server passes one (it owns the spreadsheet writer).
pub type FormMaker = dyn Fn(&zhengwu_core::catalog::Item, &zhengwu_core::catalog::Material) -> Option<FormFiles>
    + Send
    + Sync;

/// Loads the demo catalog and synonym table into an empty catalog; with `forms`, the forms'
/// blank and sample files are stored and linked from their materials.
async fn load_catalog(
    tx: &impl ConnectionTrait,
    s: &mut DemoSummary,
    forms: Option<&FormMaker>,
) -> Result<()> {
    let refs = crate::catalog::References::load(tx).await?;
    let mut items = catalog_items()?;
    let synonyms = synonyms()?;
    if let Some(make) = forms {
        let actor = Actor::system("demo");
        for item in &mut items {
            for i in 0..item.materials.len() {
                if let Some(((bn, bb), (sn, sb))) = make(item, &item.materials[i]) {
                    let blank = crate::catalog::put_file(tx, &bn, &bb, &actor).await?;
                    let sample = crate::catalog::put_file(tx, &sn, &sb, &actor).await?;
                    item.materials[i].blank_form = blank.url;
                    item.materials[i].sample = sample.url;
                    s.forms += 1;
                }
            }
        }
    }
    s.catalog_items =
        crate::catalog::seed(tx, &refs, &items, &synonyms, &Actor::system("demo")).await?;
    s.synonyms = synonyms.len();
    Ok(())
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct CatalogFile {
    items: Vec<zhengwu_core::catalog::Item>,
}

/// The demo catalog's items, each checked on its own and against the demo district (every
/// department, hall and window it names exists; codes are unique).
pub fn catalog_items() -> Result<Vec<zhengwu_core::catalog::Item>> {
    let district: DistrictFile =
        toml::from_str(DISTRICT_TOML).map_err(|e| invalid(e.to_string()))?;
    let departments: std::collections::HashSet<&str> = district
        .departments
        .iter()
        .map(|d| d.code.as_str())
        .collect();
    let halls: std::collections::HashSet<&str> = district
        .center
        .halls
        .iter()
        .map(|h| h.code.as_str())
        .collect();
    let windows: std::collections::HashSet<&str> = district
        .center
        .halls
        .iter()
        .flat_map(|h| h.windows.iter().map(|w| w.code.as_str()))
        .collect();
    let mut items = Vec::new();
    let mut codes = std::collections::HashSet::new();
    for text in CATALOG_TOML {
        let file: CatalogFile = toml::from_str(text).map_err(|e| invalid(e.to_string()))?;
        for item in file.items {
            item.check().map_err(|e| invalid(e.to_string()))?;
            let missing = (!departments.contains(item.department.as_str()))
                .then(|| item.department.clone())
                .or_else(|| {
                    item.halls
                        .iter()
                        .find(|h| !halls.contains(h.as_str()))
                        .cloned()
                })
                .or_else(|| {
                    item.windows
                        .iter()
                        .find(|w| !windows.contains(w.as_str()))
                        .cloned()
                });
            if let Some(m) = missing {
                return Err(invalid(format!("{}: no unit {m}", item.code)));
            }
            if !codes.insert(item.code.clone()) {
                return Err(invalid(format!("{}: code used twice", item.code)));
            }
            items.push(item);
        }
    }
    Ok(items)
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct DistrictFile {
    district: Site,
    schedules: BTreeMap<String, ScheduleDef>,
    departments: Vec<Department>,
    center: Center,
    subdistricts: Vec<Subdistrict>,
    #[serde(default)]
    exceptions: Vec<ExceptionDef>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Site {
    code: String,
    name: String,
    #[serde(default)]
    short_name: Option<String>,
    address: String,
    lat: f64,
    lon: f64,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ScheduleDef {
    mon: Vec<String>,
    tue: Vec<String>,
    wed: Vec<String>,
    thu: Vec<String>,
    fri: Vec<String>,
    sat: Vec<String>,
    sun: Vec<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Department {
    code: String,
    name: String,
    #[serde(default)]
    short_name: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Center {
    code: String,
    name: String,
    address: String,
    lat: f64,
    lon: f64,
    /// The consultation line (咨询电话).
    phone: String,
    schedule: String,
    follows_calendar: bool,
    halls: Vec<Hall>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Hall {
    code: String,
    name: String,
    kind: String,
    #[serde(default)]
    floor: Option<String>,
    #[serde(default)]
    schedule: Option<String>,
    windows: Vec<Window>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Window {
    code: String,
    name: String,
    kind: String,
    #[serde(default)]
    department: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Subdistrict {
    code: String,
    name: String,
    address: String,
    lat: f64,
    lon: f64,
    communities: Vec<Community>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Community {
    code: String,
    name: String,
    address: String,
    lat: f64,
    lon: f64,
    population: i32,
    #[serde(default)]
    station: Option<Station>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Station {
    code: String,
    name: String,
    address: String,
    lat: f64,
    lon: f64,
    phone: String,
    model: bool,
    schedule: String,
    follows_calendar: bool,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ExceptionDef {
    site: String,
    date: NaiveDate,
    closed: bool,
    #[serde(default)]
    periods: Vec<String>,
    #[serde(default)]
    note: Option<String>,
}

/// What loading the demo created.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct DemoSummary {
    pub departments: usize,
    pub halls: usize,
    pub windows: usize,
    pub comprehensive_windows: usize,
    pub subdistricts: usize,
    pub communities: usize,
    pub stations: usize,
    pub model_stations: usize,
    pub exceptions: usize,
    pub catalog_items: usize,
    pub synonyms: usize,
    /// Materials given a blank form and a filled sample.
    pub forms: usize,
    /// Queue counters (one per window and per station).
    pub counters: usize,
}

fn invalid(message: String) -> StoreError {
    StoreError::invalid("demo district", message)
}

fn schedule(def: &ScheduleDef) -> Result<WeeklySchedule> {
    let parse = |v: &Vec<String>| -> Result<Vec<Period>> {
        v.iter()
            .map(|s| Period::parse(s).map_err(|e| invalid(e.to_string())))
            .collect()
    };
    WeeklySchedule::new([
        parse(&def.mon)?,
        parse(&def.tue)?,
        parse(&def.wed)?,
        parse(&def.thu)?,
        parse(&def.fri)?,
        parse(&def.sat)?,
        parse(&def.sun)?,
    ])
    .map_err(|e| invalid(e.to_string()))
}

fn mode(follows_calendar: bool) -> CalendarMode {
    if follows_calendar {
        CalendarMode::WorkingDays
    } else {
        CalendarMode::AllYear
    }
}

/// Whether the organisation is empty (a new database).
pub async fn is_empty(db: &impl ConnectionTrait) -> Result<bool> {
    Ok(org_unit::Entity::find().count(db).await? == 0)
}

/// Loads the demo district in one transaction. Fails if any unit already exists.
pub async fn load(db: &Db) -> Result<DemoSummary> {
    load_with(db, None).await
}

/// [`load`], with the forms of the catalog's materials made by `forms`.
pub async fn load_with(db: &Db, forms: Option<&FormMaker>) -> Result<DemoSummary> {
    let file: DistrictFile = toml::from_str(DISTRICT_TOML).map_err(|e| invalid(e.to_string()))?;
    let tx = db.begin_write().await?;
    if !is_empty(&tx).await? {
        return Err(StoreError::Conflict {
            constraint: "the organisation already holds units; use `zhengwu demo --reset`".into(),
        });
    }
    let mut summary = load_into(&tx, &file).await?;
    load_catalog(&tx, &mut summary, forms).await?;
    summary.counters = crate::queue::seed_sites(&tx).await?;
    crate::booking::seed_rules(&tx).await?;
    crate::appeals::load_topics(&tx, &appeal_topics()?, &appeal_knowledge()?).await?;
    seed_routes(&tx).await?;
    audit_load(&tx, "demo.load", &summary).await?;
    tx.commit().await?;
    Ok(summary)
}

/// The demo's routing rules: posters and graffiti (乱贴乱画) and neighbours' disputes (邻里纠纷)
/// are the sub-district's own in 凌水 and 七贤岭, with the department helping, and are
/// dispatched at intake.
async fn seed_routes(tx: &impl ConnectionTrait) -> Result<()> {
    use crate::appeals::routing::{self, RouteInput};
    let actor = crate::audit::Actor::system("demo");
    for (topic, area, lead, co, note) in [
        (
            "CG0103",
            "LS",
            "LS",
            "CGJ",
            "属地街道牵头清理，城管执法协办",
        ),
        (
            "CG0103",
            "QXL",
            "QXL",
            "CGJ",
            "属地街道牵头清理，城管执法协办",
        ),
        ("SQ01", "LS", "LS", "MZJ", "邻里纠纷由街道调解，民政协办"),
        ("SQ01", "QXL", "QXL", "MZJ", "邻里纠纷由街道调解，民政协办"),
    ] {
        routing::save(
            tx,
            None,
            &RouteInput {
                topic_prefix: topic.into(),
                area: Some(area.into()),
                lead: lead.into(),
                co: vec![co.into()],
                auto_dispatch: true,
                note: Some(note.into()),
            },
            chrono::Utc::now(),
            &actor,
        )
        .await?;
    }
    Ok(())
}

/// The audit entry of a load or reset: one entry for the whole organisation it wrote.
async fn audit_load(tx: &impl ConnectionTrait, action: &str, s: &DemoSummary) -> Result<()> {
    crate::audit::append(
        tx,
        crate::audit::NewEntry {
            actor: &Actor::system("demo"),
            action,
            record_type: "organisation",
            record_id: None,
            summary: serde_json::to_value(s).unwrap_or_default(),
        },
    )
    .await?;
    Ok(())
}

/// Deletes the whole organisation and loads the demo district again, in one transaction.
pub async fn reset(db: &Db) -> Result<DemoSummary> {
    reset_with(db, None).await
}

/// [`reset`], with the forms of the catalog's materials made by `forms`.
pub async fn reset_with(db: &Db, forms: Option<&FormMaker>) -> Result<DemoSummary> {
    let file: DistrictFile = toml::from_str(DISTRICT_TOML).map_err(|e| invalid(e.to_string()))?;
    let tx = db.begin_write().await?;
    crate::catalog::clear(&tx).await?;
    crate::appeals::clear(&tx).await?;
    crate::cases::clear(&tx).await?;
    crate::ratings::clear(&tx).await?;
    crate::booking::clear(&tx).await?;
    crate::queue::clear(&tx).await?;
    // Accounts and tokens are scoped to units: the demo's go with its organisation.
    session::Entity::delete_many().exec(&tx).await?;
    applicant_session::Entity::delete_many().exec(&tx).await?;
    enterprise_agent::Entity::delete_many().exec(&tx).await?;
    enterprise::Entity::delete_many().exec(&tx).await?;
    citizen::Entity::delete_many().exec(&tx).await?;
    otp_code::Entity::delete_many().exec(&tx).await?;
    staff_role::Entity::delete_many().exec(&tx).await?;
    staff::Entity::delete_many().exec(&tx).await?;
    api_token::Entity::delete_many().exec(&tx).await?;
    opening_exception::Entity::delete_many().exec(&tx).await?;
    opening_hours::Entity::delete_many().exec(&tx).await?;
    // Children before parents: the deepest paths first.
    let mut units = org_unit::Entity::find().all(&tx).await?;
    units.sort_by_key(|u| std::cmp::Reverse(u.path.matches('/').count()));
    // Windows refer to departments, so they go first whatever their depth.
    units.sort_by_key(|u| u.kind != UnitKind::Window.as_str());
    for u in units {
        org_unit::Entity::delete_by_id(u.id).exec(&tx).await?;
    }
    let mut summary = load_into(&tx, &file).await?;
    load_catalog(&tx, &mut summary, forms).await?;
    summary.counters = crate::queue::seed_sites(&tx).await?;
    crate::booking::seed_rules(&tx).await?;
    crate::appeals::load_topics(&tx, &appeal_topics()?, &appeal_knowledge()?).await?;
    seed_routes(&tx).await?;
    audit_load(&tx, "demo.reset", &summary).await?;
    tx.commit().await?;
    Ok(summary)
}

async fn load_into(tx: &impl ConnectionTrait, f: &DistrictFile) -> Result<DemoSummary> {
    let mut schedules = HashMap::new();
    for (name, def) in &f.schedules {
        schedules.insert(name.as_str(), schedule(def)?);
    }
    let sched = |name: &str| {
        schedules
            .get(name)
            .ok_or_else(|| invalid(format!("no schedule named {name}")))
    };
    let mut s = DemoSummary::default();
    let mut by_code: HashMap<String, UnitId> = HashMap::new();

    let site = |kind, parent, d: &Site| {
        let mut u = NewUnit::new(kind, parent, &d.code, &d.name);
        u.short_name = d.short_name.clone();
        u.address = Some(d.address.clone());
        u.location = Some(Location {
            lat: d.lat,
            lon: d.lon,
        });
        u
    };
    let district = org::create_unit(tx, site(UnitKind::District, None, &f.district)).await?;
    by_code.insert(f.district.code.clone(), district);

    for d in &f.departments {
        let mut u = NewUnit::new(UnitKind::Department, Some(district), &d.code, &d.name);
        u.short_name = d.short_name.clone();
        by_code.insert(d.code.clone(), org::create_unit(tx, u).await?);
        s.departments += 1;
    }

    let c = &f.center;
    let mut cu = NewUnit::new(UnitKind::Center, Some(district), &c.code, &c.name);
    cu.address = Some(c.address.clone());
    cu.phone = Some(c.phone.clone());
    cu.location = Some(Location {
        lat: c.lat,
        lon: c.lon,
    });
    cu.calendar_mode = mode(c.follows_calendar);
    let center = org::create_unit(tx, cu).await?;
    org::set_weekly_hours(tx, center, sched(&c.schedule)?).await?;
    by_code.insert(c.code.clone(), center);

    for h in &c.halls {
        let mut hu = NewUnit::new(UnitKind::Hall, Some(center), &h.code, &h.name);
        hu.hall_kind =
            Some(HallKind::parse(&h.kind).ok_or_else(|| invalid(format!("hall kind {}", h.kind)))?);
        hu.floor = h.floor.clone();
        hu.address = Some(c.address.clone());
        hu.location = cu_location(c);
        hu.calendar_mode = mode(c.follows_calendar);
        let hall = org::create_unit(tx, hu).await?;
        if let Some(name) = &h.schedule {
            org::set_weekly_hours(tx, hall, sched(name)?).await?;
        }
        by_code.insert(h.code.clone(), hall);
        s.halls += 1;
        for w in &h.windows {
            let mut wu = NewUnit::new(UnitKind::Window, Some(hall), &w.code, &w.name);
            let kind = WindowKind::parse(&w.kind)
                .ok_or_else(|| invalid(format!("window kind {}", w.kind)))?;
            wu.window_kind = Some(kind);
            wu.calendar_mode = mode(c.follows_calendar);
            if let Some(dep) = &w.department {
                wu.department_id = Some(
                    *by_code
                        .get(dep)
                        .ok_or_else(|| invalid(format!("no department {dep}")))?,
                );
            }
            by_code.insert(w.code.clone(), org::create_unit(tx, wu).await?);
            s.windows += 1;
            if kind == WindowKind::Comprehensive {
                s.comprehensive_windows += 1;
            }
        }
    }

    for sd in &f.subdistricts {
        let sdu = NewUnit {
            address: Some(sd.address.clone()),
            location: Some(Location {
                lat: sd.lat,
                lon: sd.lon,
            }),
            ..NewUnit::new(UnitKind::Subdistrict, Some(district), &sd.code, &sd.name)
        };
        let sub = org::create_unit(tx, sdu).await?;
        by_code.insert(sd.code.clone(), sub);
        s.subdistricts += 1;
        for cm in &sd.communities {
            let cmu = NewUnit {
                address: Some(cm.address.clone()),
                location: Some(Location {
                    lat: cm.lat,
                    lon: cm.lon,
                }),
                population: Some(cm.population),
                ..NewUnit::new(UnitKind::Community, Some(sub), &cm.code, &cm.name)
            };
            let community = org::create_unit(tx, cmu).await?;
            by_code.insert(cm.code.clone(), community);
            s.communities += 1;
            if let Some(st) = &cm.station {
                let stu = NewUnit {
                    address: Some(st.address.clone()),
                    location: Some(Location {
                        lat: st.lat,
                        lon: st.lon,
                    }),
                    phone: Some(st.phone.clone()),
                    is_model: st.model,
                    calendar_mode: mode(st.follows_calendar),
                    ..NewUnit::new(UnitKind::Station, Some(community), &st.code, &st.name)
                };
                let station = org::create_unit(tx, stu).await?;
                org::set_weekly_hours(tx, station, sched(&st.schedule)?).await?;
                by_code.insert(st.code.clone(), station);
                s.stations += 1;
                if st.model {
                    s.model_stations += 1;
                }
            }
        }
    }

    for e in &f.exceptions {
        let unit = *by_code
            .get(&e.site)
            .ok_or_else(|| invalid(format!("no site {}", e.site)))?;
        let periods = if e.closed {
            Vec::new()
        } else {
            e.periods
                .iter()
                .map(|p| Period::parse(p).map_err(|err| invalid(err.to_string())))
                .collect::<Result<_>>()?
        };
        if !e.closed && periods.is_empty() {
            return Err(invalid(format!(
                "exception {} {} opens no period",
                e.site, e.date
            )));
        }
        org::set_exception(
            tx,
            unit,
            &DateException {
                date: e.date,
                periods,
                note: e.note.clone(),
            },
        )
        .await?;
        s.exceptions += 1;
    }
    Ok(s)
}

/// The demo district's staff: one account per role and kind of scope — (username, name, role,
/// scope code; `None` is the whole district).
pub const DEMO_ACCOUNTS: &[(&str, &str, Role, Option<&str>)] = &[
    ("admin", "系统管理员", Role::Admin, None),
    ("supervisor", "督查员 周敏", Role::Supervisor, None),
    ("leader", "分管领导 刘强", Role::Leader, None),
    ("dispatcher", "12345 派单员 孙丽", Role::Dispatcher, None),
    (
        "clerk.hall",
        "综合窗口 王芳",
        Role::WindowClerk,
        Some("H-PUB"),
    ),
    (
        "clerk.a01",
        "综合窗口1号 李娜",
        Role::WindowClerk,
        Some("A01"),
    ),
    (
        "clerk.tax",
        "税务大厅 赵磊",
        Role::WindowClerk,
        Some("H-TAX"),
    ),
    (
        "station.ls01",
        "驿站专员 陈静",
        Role::StationStaff,
        Some("ST-LS-01"),
    ),
    (
        "station.ls",
        "凌水街道驿站主管 杨洋",
        Role::StationStaff,
        Some("LS"),
    ),
    (
        "reviewer.spj",
        "审批局审核员 吴刚",
        Role::DeptReviewer,
        Some("SPJ"),
    ),
    (
        "reviewer.scj",
        "市场监管局审核员 郑红",
        Role::DeptReviewer,
        Some("SCJ"),
    ),
    (
        "reviewer.gaj",
        "公安分局审核员 冯军",
        Role::DeptReviewer,
        Some("GAJ"),
    ),
    (
        "reviewer.swj",
        "税务局审核员 许静",
        Role::DeptReviewer,
        Some("SWJ"),
    ),
    (
        "reviewer.rsj",
        "人社局审核员 韩雪",
        Role::DeptReviewer,
        Some("RSJ"),
    ),
    (
        "reviewer.gjj",
        "公积金中心审核员 曹阳",
        Role::DeptReviewer,
        Some("GJJ"),
    ),
    (
        "reviewer.ysj",
        "营商局审核员 邓超",
        Role::DeptReviewer,
        Some("YSJ"),
    ),
    (
        "handler.ls",
        "凌水街道承办人 黄海",
        Role::UnitHandler,
        Some("LS"),
    ),
    (
        "handler.spj",
        "审批局承办人 何平",
        Role::UnitHandler,
        Some("SPJ"),
    ),
];

/// Creates the demo accounts, all with the password whose hash is given; returns their
/// usernames. Scopes that the demo district lacks are skipped with a warning.
pub async fn create_accounts(db: &Db, password_hash: &str) -> Result<Vec<String>> {
    let tx = db.begin_write().await?;
    let district = org::list_units(
        &tx,
        &org::UnitFilter {
            kind: Some(UnitKind::District),
            ..Default::default()
        },
    )
    .await?
    .first()
    .map(|u| u.id)
    .ok_or_else(|| invalid("no district".into()))?;
    let actor = Actor::system("demo");
    let mut created = Vec::new();
    for (username, name, role, scope) in DEMO_ACCOUNTS {
        let scope = match scope {
            None => district,
            Some(code) => match org::find_by_code(&tx, code).await? {
                Some(u) => u.id,
                None => {
                    tracing::warn!(code, "demo account {username}: no such unit, skipped");
                    continue;
                }
            },
        };
        identity::create_staff(
            &tx,
            &actor,
            NewStaff {
                username: (*username).to_owned(),
                display_name: (*name).to_owned(),
                password_hash: password_hash.to_owned(),
                grants: vec![(*role, scope)],
            },
        )
        .await?;
        created.push((*username).to_owned());
    }
    tx.commit().await?;
    Ok(created)
}

/// Demo citizens: (name, region, birth date, sequence, mobile, elderly alone, disabled,
/// pregnant, address). Their ID numbers get a correct check character from GB 11643.
struct DemoCitizen {
    name: &'static str,
    region: &'static str,
    birth: &'static str,
    seq: u32,
    mobile: &'static str,
    elderly_alone: bool,
    disabled: bool,
    pregnant: bool,
    address: &'static str,
}

const DEMO_CITIZENS: &[DemoCitizen] = &[
    DemoCitizen {
        name: "王建国",
        region: "210211",
        birth: "19450312",
        seq: 131,
        mobile: "13904110001",
        elderly_alone: true,
        disabled: false,
        pregnant: false,
        address: "凌水街道凌水社区 12 号楼 3 单元 101",
    },
    DemoCitizen {
        name: "李秀英",
        region: "210211",
        birth: "19480625",
        seq: 242,
        mobile: "13904110002",
        elderly_alone: true,
        disabled: true,
        pregnant: false,
        address: "七贤岭街道绘春社区 5 号楼 2 单元 302",
    },
    DemoCitizen {
        name: "张伟",
        region: "210211",
        birth: "19870904",
        seq: 315,
        mobile: "13804110003",
        elderly_alone: false,
        disabled: false,
        pregnant: false,
        address: "凌水街道蓝海社区 8 号楼 1 单元 1201",
    },
    DemoCitizen {
        name: "刘芳",
        region: "210212",
        birth: "19930117",
        seq: 428,
        mobile: "13804110004",
        elderly_alone: false,
        disabled: false,
        pregnant: true,
        address: "龙王塘街道龙王塘社区 3 号楼 601",
    },
    DemoCitizen {
        name: "陈明",
        region: "210203",
        birth: "19790730",
        seq: 517,
        mobile: "13604110005",
        elderly_alone: false,
        disabled: false,
        pregnant: false,
        address: "七贤岭街道屹馨百合社区 20 号楼 1 单元 502",
    },
    DemoCitizen {
        name: "赵丽",
        region: "210211",
        birth: "19950211",
        seq: 622,
        mobile: "13704110006",
        elderly_alone: false,
        disabled: false,
        pregnant: false,
        address: "凌水街道小平岛社区 6 号楼 701",
    },
];

/// Demo enterprises: (name, legal representative, organisation code body, industry, size,
/// the demo citizen who acts for it).
const DEMO_ENTERPRISES: &[(&str, &str, &str, &str, &str, usize)] = &[
    (
        "大连星海智能科技有限公司",
        "张伟",
        "MA0QX7K1",
        "软件和信息技术服务业",
        "small",
        2,
    ),
    (
        "大连凌水生物医药有限公司",
        "陈明",
        "MA0R2D8N",
        "医药制造业",
        "medium",
        4,
    ),
    (
        "大连高新云图数据服务有限公司",
        "赵丽",
        "MA0T5W3P",
        "互联网和相关服务",
        "micro",
        5,
    ),
];

/// Creates the demo district's citizens and enterprises, with valid ID numbers and credit
/// codes; each enterprise's clerk can act for it.
pub async fn create_applicants(db: &Db) -> Result<usize> {
    use crate::applicants::{self, NewCitizen, NewEnterprise};
    use zhengwu_core::ident::{
        CreditCode, IdNumber, Mobile, org_code_check_char, ric_check_char, uscc_check_char,
    };
    let actor = Actor::system("demo");
    let tx = db.begin_write().await?;
    let today = chrono::Utc::now().date_naive();
    let mut ids = Vec::new();
    for c in DEMO_CITIZENS {
        let name = c.name;
        let first17 = format!("{}{}{:03}", c.region, c.birth, c.seq);
        let check = ric_check_char(first17.as_bytes()).ok_or_else(|| invalid(first17.clone()))?;
        let id_number = IdNumber::parse(&format!("{first17}{check}"), today)
            .map_err(|e| invalid(format!("{name}: {e}")))?;
        let mobile = Mobile::parse(c.mobile).map_err(|e| invalid(format!("{name}: {e}")))?;
        ids.push(
            applicants::create_citizen(
                &tx,
                &actor,
                NewCitizen {
                    name: name.to_owned(),
                    id_number,
                    mobile,
                    elderly_alone: c.elderly_alone,
                    disabled: c.disabled,
                    pregnant: c.pregnant,
                    address: Some(format!("辽宁省大连市高新区{}", c.address)),
                },
            )
            .await?,
        );
    }
    for (name, legal, org, industry, size, agent) in DEMO_ENTERPRISES {
        let org_check =
            org_code_check_char(org.as_bytes()).ok_or_else(|| invalid((*org).to_owned()))?;
        let first17 = format!("91210231{org}{org_check}");
        let check = uscc_check_char(first17.as_bytes()).ok_or_else(|| invalid(first17.clone()))?;
        let credit_code = CreditCode::parse(&format!("{first17}{check}"))
            .map_err(|e| invalid(format!("{name}: {e}")))?;
        let id = applicants::create_enterprise(
            &tx,
            &actor,
            NewEnterprise {
                credit_code,
                name: (*name).to_owned(),
                legal_representative: (*legal).to_owned(),
                address: Some("辽宁省大连市高新区黄浦路 537 号".into()),
                industry: Some((*industry).to_owned()),
                size: Some((*size).to_owned()),
            },
        )
        .await?;
        applicants::link_agent(&tx, &actor, ids[*agent], id).await?;
    }
    tx.commit().await?;
    Ok(ids.len())
}

fn cu_location(c: &Center) -> Option<Location> {
    Some(Location {
        lat: c.lat,
        lon: c.lon,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_demo_catalog_is_valid_and_offers_104_items_in_stations() {
        let items = catalog_items().unwrap();
        assert!(items.len() >= 200, "{} items", items.len());
        let departments: std::collections::HashSet<_> =
            items.iter().map(|i| i.department.as_str()).collect();
        assert!(departments.len() >= 15);
        assert_eq!(items.iter().filter(|i| i.stations != "none").count(), 104);
        assert!(
            items.iter().any(|i| i.for_enterprises()) && items.iter().any(|i| i.for_citizens())
        );
        let materials: Vec<_> = items.iter().flat_map(|i| &i.materials).collect();
        assert!(materials.iter().any(|m| m.is_shared()));
    }

    #[test]
    fn every_labelled_question_points_at_items_of_the_catalog() {
        #[derive(Deserialize)]
        struct Q {
            q: String,
            answers: Vec<String>,
            split: String,
        }
        #[derive(Deserialize)]
        struct Qs {
            questions: Vec<Q>,
        }
        let codes: std::collections::HashSet<String> = catalog_items()
            .unwrap()
            .into_iter()
            .map(|i| i.code)
            .collect();
        let mut n = 0;
        let mut held_out = 0;
        let mut dev = 0;
        let mut blind = 0;
        for text in [
            include_str!("../../../../tests/guide/questions-enterprise.toml"),
            include_str!("../../../../tests/guide/questions-citizen.toml"),
            include_str!("../../../../tests/guide/questions-more.toml"),
            include_str!("../../../../tests/guide/questions-dev.toml"),
            include_str!("../../../../tests/guide/questions-blind.toml"),
        ] {
            let qs: Qs = toml::from_str(text).unwrap();
            for q in qs.questions {
                assert!(!q.q.trim().is_empty());
                assert!(
                    !q.answers.is_empty() && q.answers.iter().all(|a| codes.contains(a)),
                    "{}",
                    q.q
                );
                assert!(
                    ["tune", "held_out", "dev", "dev2", "test2"].contains(&q.split.as_str()),
                    "{}",
                    q.split
                );
                held_out += usize::from(q.split == "held_out");
                dev += usize::from(q.split == "dev");
                blind += usize::from(q.split == "dev2" || q.split == "test2");
                n += 1;
            }
        }
        assert!(n >= 150, "{n} questions");
        assert!(held_out >= 99, "{held_out} held out");
        assert!(dev >= 150, "{dev} in the dev split");
        assert!(blind >= 250, "{blind} in the blind file");
    }

    #[test]
    fn the_demo_file_parses_and_mirrors_the_report() {
        let f: DistrictFile = toml::from_str(DISTRICT_TOML).unwrap();
        assert_eq!(f.center.halls.len(), 4);
        let comprehensive = f
            .center
            .halls
            .iter()
            .flat_map(|h| &h.windows)
            .filter(|w| w.kind == "comprehensive")
            .count();
        assert_eq!(comprehensive, 10);
        assert!(f.departments.len() >= 15);
        let communities: Vec<_> = f.subdistricts.iter().flat_map(|s| &s.communities).collect();
        assert_eq!(communities.len(), 52);
        let stations: Vec<_> = communities
            .iter()
            .filter_map(|c| c.station.as_ref())
            .collect();
        assert_eq!(stations.len(), 46);
        assert_eq!(stations.iter().filter(|s| s.model).count(), 6);
        for (name, def) in &f.schedules {
            schedule(def).unwrap_or_else(|e| panic!("schedule {name}: {e}"));
        }
    }
}
