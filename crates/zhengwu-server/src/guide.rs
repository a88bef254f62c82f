//! Guidance (智慧咨询导引, M1.3): the search index over the published catalog, kept in step
//! with the database, and the answer cards built from its hits — what the item is, what to
//! bring, how long it takes, what it costs, whether it can be done online, how many visits,
//! and where to go (the hall and windows, or the nearest open community station).

use std::collections::BTreeMap;
use std::sync::{Arc, RwLock};

use chrono::{DateTime, FixedOffset, Timelike, Utc};
use serde::Serialize;
use utoipa::ToSchema;
use zhengwu_core::Calendar;
use zhengwu_core::calendar::district_offset;
use zhengwu_core::catalog::Item;
use zhengwu_search::{Audience, Entry, SearchIndex, Synonym};
use zhengwu_store::org::{self, Location, SiteHours, Unit, UnitFilter, UnitKind};
use zhengwu_store::{ConnectionTrait, catalog};

/// The published catalog in memory with its search index.
pub struct Guide {
    index: SearchIndex,
    items: RwLock<Arc<BTreeMap<String, Item>>>,
    departments: RwLock<Arc<BTreeMap<String, String>>>,
}

impl std::fmt::Debug for Guide {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Guide")
            .field("items", &self.items().len())
            .finish()
    }
}

fn read<T: Clone>(l: &RwLock<T>) -> T {
    match l.read() {
        Ok(g) => g.clone(),
        Err(p) => p.into_inner().clone(),
    }
}

fn write<T>(l: &RwLock<T>, v: T) {
    match l.write() {
        Ok(mut g) => *g = v,
        Err(p) => *p.into_inner() = v,
    }
}

impl Guide {
    pub fn new() -> anyhow::Result<Self> {
        Ok(Self {
            index: SearchIndex::new()?,
            items: RwLock::new(Arc::default()),
            departments: RwLock::new(Arc::default()),
        })
    }

    /// Reads the published catalog, the departments and the synonym table, and rebuilds the
    /// index from them (on start, and after an import).
    pub async fn reload(&self, db: &impl ConnectionTrait) -> anyhow::Result<()> {
        let refs = catalog::References::load(db).await?;
        let items = catalog::published_items(db).await?;
        let synonyms = synonyms_of(catalog::synonyms(db).await?);
        let entries: Vec<Entry> = items
            .iter()
            .map(|i| Entry::from_item(i, dept_name(&refs.departments, &i.department)))
            .collect();
        self.index.rebuild(entries, synonyms)?;
        write(
            &self.items,
            Arc::new(items.into_iter().map(|i| (i.code.clone(), i)).collect()),
        );
        write(&self.departments, Arc::new(refs.departments));
        Ok(())
    }

    /// The published items by code.
    pub fn items(&self) -> Arc<BTreeMap<String, Item>> {
        read(&self.items)
    }

    pub fn item(&self, code: &str) -> Option<Item> {
        self.items().get(code).cloned()
    }

    pub fn department(&self, code: &str) -> String {
        dept_name(read(&self.departments).as_ref(), code).to_owned()
    }

    /// An item was published (a new item, or a new version).
    pub fn published(&self, item: &Item) -> anyhow::Result<()> {
        let entry = Entry::from_item(item, &self.department(&item.department));
        self.index.upsert(&entry)?;
        let mut map = (*self.items()).clone();
        map.insert(item.code.clone(), item.clone());
        write(&self.items, Arc::new(map));
        Ok(())
    }

    /// An item was withdrawn.
    pub fn withdrawn(&self, code: &str) -> anyhow::Result<()> {
        self.index.remove(code)?;
        let mut map = (*self.items()).clone();
        map.remove(code);
        write(&self.items, Arc::new(map));
        Ok(())
    }

    /// The synonym table changed.
    pub async fn reload_synonyms(&self, db: &impl ConnectionTrait) -> anyhow::Result<()> {
        self.index
            .set_synonyms(synonyms_of(catalog::synonyms(db).await?));
        Ok(())
    }

    /// The items that answer a question, best first, with their scores; empty when nothing
    /// fits.
    pub fn answer(
        &self,
        q: &str,
        audience: Audience,
        limit: usize,
    ) -> anyhow::Result<Vec<(Item, f32)>> {
        let items = self.items();
        Ok(self
            .index
            .answer(q, audience, limit)?
            .into_iter()
            .filter_map(|h| items.get(&h.code).map(|i| (i.clone(), h.score)))
            .collect())
    }
}

fn dept_name<'a>(departments: &'a BTreeMap<String, String>, code: &'a str) -> &'a str {
    departments.get(code).map_or(code, String::as_str)
}

fn synonyms_of(rows: Vec<catalog::SynonymRow>) -> Vec<Synonym> {
    rows.into_iter()
        .map(|r| Synonym {
            phrase: r.phrase,
            expansion: r.expansion,
        })
        .collect()
}

/// A material on an answer card.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct CardMaterial {
    pub name: String,
    pub required: bool,
    /// When it is needed, if not always.
    pub condition: String,
    /// `original`, `copy` or `electronic`.
    pub form: String,
    pub copies: u32,
    /// The applicant need not bring it: it is shared from another department's data or an
    /// e-licence.
    pub shared: bool,
    pub shared_from: String,
    /// Links to the blank form and a filled sample, when the material is a form.
    pub blank_form: String,
    pub sample: String,
}

/// A place where the item is handled.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Place {
    /// `hall` or `station`.
    pub kind: String,
    pub code: String,
    pub name: String,
    pub address: Option<String>,
    pub phone: Option<String>,
    /// Window codes and names in this hall that accept the item.
    pub windows: Vec<String>,
    pub open_now: bool,
    /// Today's opening, e.g. `09:00–12:00，13:30–17:30`; empty when closed today.
    pub hours_today: String,
    /// Metres from the asker, when a location was given.
    pub distance_m: Option<u32>,
    #[schema(value_type = Option<Object>)]
    pub location: Option<Location>,
}

/// One answer: what the item is and what doing it takes.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct AnswerCard {
    pub code: String,
    pub name: String,
    pub score: f32,
    pub item_type: String,
    pub department: String,
    /// `自然人`, `法人`, or both.
    pub service_object: Vec<String>,
    /// 受理条件.
    pub conditions: String,
    pub materials: Vec<CardMaterial>,
    /// Materials the applicant brings, and those shared so they need not.
    pub materials_to_bring: usize,
    pub materials_shared: usize,
    pub instant: bool,
    pub promised_limit_days: f64,
    pub legal_limit_days: f64,
    /// `none`, `partial` or `full`.
    pub online: String,
    pub online_depth: u8,
    /// Visits to a service place needed: 0, 1 or 2.
    pub visits: u8,
    #[schema(value_type = Vec<Object>)]
    pub fees: Vec<zhengwu_core::catalog::Fee>,
    pub result: String,
    /// The halls, and (for items offered in community stations) the nearest open station or
    /// the number of stations.
    pub places: Vec<Place>,
    /// How many community stations offer it (0 for hall-only items).
    pub stations_offering: usize,
    pub bookable: bool,
    /// The item's page; `#book` on it is where booking starts.
    pub url: String,
}

/// The units answer cards name, read once per request.
pub struct Sites {
    units: Vec<Unit>,
    hall_hours: Vec<(Unit, SiteHours)>,
    station_hours: Vec<(Unit, SiteHours)>,
    now: DateTime<FixedOffset>,
    calendar: Arc<Calendar>,
}

impl Sites {
    pub async fn load(db: &impl ConnectionTrait, calendar: Arc<Calendar>) -> anyhow::Result<Self> {
        // Halls and stations with their hours in one read of the hours tables.
        let (hall_hours, station_hours) =
            org::site_hours_of_kinds(db, &[UnitKind::Hall, UnitKind::Station])
                .await?
                .into_iter()
                .partition(|(u, _)| u.kind == UnitKind::Hall);
        Ok(Self {
            units: org::list_units(db, &UnitFilter::default()).await?,
            hall_hours,
            station_hours,
            now: Utc::now().with_timezone(&district_offset()),
            calendar,
        })
    }

    /// The consultation phone: the center's.
    pub fn center_phone(&self) -> Option<String> {
        self.units
            .iter()
            .find(|u| u.kind == UnitKind::Center)
            .and_then(|u| u.phone.clone())
    }

    fn today(&self, hours: &SiteHours) -> (bool, String) {
        let periods = hours.open_on(self.now.date_naive(), &self.calendar);
        let minutes = (self.now.hour() * 60 + self.now.minute()) as u16;
        let open = periods
            .iter()
            .any(|p| p.start() <= minutes && minutes < p.end());
        let text = periods
            .iter()
            .map(ToString::to_string)
            .collect::<Vec<_>>()
            .join(" / ");
        (open, text)
    }

    fn place(&self, u: &Unit, hours: Option<&SiteHours>, from: Option<Location>) -> Place {
        let (open_now, hours_today) = hours.map(|h| self.today(h)).unwrap_or_default();
        Place {
            kind: if u.kind == UnitKind::Hall {
                "hall".into()
            } else {
                "station".into()
            },
            code: u.code.clone(),
            name: u.name.clone(),
            address: u.address.clone(),
            phone: u.phone.clone(),
            windows: Vec::new(),
            open_now,
            hours_today,
            distance_m: from
                .zip(u.location)
                .map(|(a, b)| distance_m(a, b).round() as u32),
            location: u.location,
        }
    }

    /// Where to go for `item`: its halls with their windows, and — when it is offered in
    /// stations and the asker gave a location — the nearest station open now (or, when none
    /// is open, the nearest one).
    pub fn places(&self, item: &Item, from: Option<Location>) -> (Vec<Place>, usize) {
        let mut out = Vec::new();
        for code in &item.halls {
            let Some(hall) = self
                .units
                .iter()
                .find(|u| u.kind == UnitKind::Hall && &u.code == code)
            else {
                continue;
            };
            let hours = self
                .hall_hours
                .iter()
                .find(|(u, _)| u.id == hall.id)
                .map(|(_, h)| h);
            let mut p = self.place(hall, hours, from);
            p.windows = self
                .units
                .iter()
                .filter(|w| {
                    w.kind == UnitKind::Window
                        && w.parent_id == Some(hall.id)
                        && item.windows.contains(&w.code)
                })
                .map(|w| format!("{} {}", w.code, w.name))
                .collect();
            out.push(p);
        }
        let stations: Vec<&(Unit, SiteHours)> = self
            .station_hours
            .iter()
            .filter(|(u, _)| {
                u.active
                    && match item.stations.as_str() {
                        "all" => true,
                        "model" => u.is_model,
                        _ => false,
                    }
            })
            .collect();
        if let Some(from) = from {
            let mut ranked: Vec<(f64, bool, &(Unit, SiteHours))> = stations
                .iter()
                .filter_map(|s| {
                    let d = distance_m(from, s.0.location?);
                    Some((d, self.today(&s.1).0, *s))
                })
                .collect();
            ranked.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.total_cmp(&b.0)));
            if let Some((_, _, (u, h))) = ranked.first() {
                out.insert(0, self.place(u, Some(h), Some(from)));
            }
        }
        (out, stations.len())
    }

    /// The answer card of an item.
    pub fn card(
        &self,
        item: &Item,
        score: f32,
        department: String,
        from: Option<Location>,
    ) -> AnswerCard {
        let (places, stations_offering) = self.places(item, from);
        let shared = item.materials.iter().filter(|m| m.is_shared()).count();
        AnswerCard {
            code: item.code.clone(),
            name: item.name.clone(),
            score,
            item_type: item.item_type.clone(),
            department,
            service_object: item.service_object.clone(),
            conditions: item.conditions.clone(),
            materials: item
                .materials
                .iter()
                .map(|m| CardMaterial {
                    name: m.name.clone(),
                    required: m.required,
                    condition: m.condition.clone(),
                    form: m.form.clone(),
                    copies: m.copies,
                    shared: m.is_shared(),
                    shared_from: m.shared_from.clone(),
                    blank_form: m.blank_form.clone(),
                    sample: m.sample.clone(),
                })
                .collect(),
            materials_to_bring: item.materials.len() - shared,
            materials_shared: shared,
            instant: item.instant,
            promised_limit_days: item.promised_limit_days,
            legal_limit_days: item.legal_limit_days,
            online: item.online.clone(),
            online_depth: item.online_depth,
            visits: item.visits,
            fees: item.fees.clone(),
            result: item.result.clone(),
            places,
            stations_offering,
            bookable: item.bookable,
            url: format!("/items/{}", item.code),
        }
    }
}

pub use zhengwu_store::org::distance_m;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn distances_are_in_metres() {
        let a = Location {
            lat: 38.8620,
            lon: 121.5310,
        };
        let b = Location {
            lat: 38.8710,
            lon: 121.5310,
        };
        let d = distance_m(a, b);
        assert!((d - 1000.8).abs() < 2.0, "{d}");
        assert!(distance_m(a, a).abs() < 1e-6);
    }
}
