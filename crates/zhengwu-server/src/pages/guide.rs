//! The guide on the portal and the kiosk: ask in plain language (`/guide`, `/kiosk/guide`),
//! read an item's whole guide (`/items/{code}`, `/kiosk/items/{code}`). Readable on a phone;
//! the kiosk layout has large type, a way home and the idle reset.

use askama::Template;
use axum::Router;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, Uri};
use axum::response::Response;
use axum::routing::get;
use serde::Deserialize;
use zhengwu_core::catalog::Item;

use super::Frame;
use super::console::render;
use crate::error::{ApiError, ApiPath, ApiQuery};
use crate::guide::{AnswerCard, Sites};
use crate::http::catalog::{Fallback, GuideQuery, answer};
use crate::i18n::{Lang, t, tf};
use crate::startup::AppState;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/guide", get(guide_page))
        .route("/kiosk/guide", get(kiosk_guide_page))
        .route("/items/{code}", get(item_page))
        .route("/kiosk/items/{code}", get(kiosk_item_page))
}

/// Questions shown on an empty search page, as examples of how to ask.
const EXAMPLES: [&str; 6] = [
    "我想开一家餐馆需要办什么",
    "孩子上户口要带什么材料",
    "驾驶证到期了怎么换",
    "身份证丢了怎么补办",
    "灵活就业怎么交社保",
    "公司要注销怎么办",
];

/// Seconds without a touch before the kiosk starts over (as on the kiosk's home).
const KIOSK_IDLE_SECONDS: u32 = 90;

/// Labels and small formatting helpers shared by the guide's templates.
pub(crate) struct Words {
    lang: Lang,
}

impl Words {
    pub(crate) fn new(lang: Lang) -> Self {
        Self { lang }
    }

    pub(crate) fn l(&self, key: impl AsRef<str>) -> String {
        t(self.lang, key.as_ref())
    }

    /// The promised time limit in words: 即办, or N working days.
    pub(crate) fn limit(
        &self,
        instant: impl std::borrow::Borrow<bool>,
        days: impl std::borrow::Borrow<f64>,
    ) -> String {
        let (instant, days) = (*instant.borrow(), *days.borrow());
        if instant || days == 0.0 {
            t(self.lang, "guide.instant")
        } else {
            tf(self.lang, "guide.days", &[("days", format_days(days))])
        }
    }

    pub(crate) fn online(&self, online: &str) -> String {
        t(self.lang, &format!("guide.online.{online}"))
    }

    pub(crate) fn visits(&self, n: impl std::borrow::Borrow<u8>) -> String {
        match *n.borrow() {
            0 => t(self.lang, "guide.visits_none"),
            1 => t(self.lang, "guide.visits_one"),
            n => tf(self.lang, "guide.visits", &[("n", n.to_string())]),
        }
    }

    /// A field's name and a domain reason code in words (import reports, form errors).
    pub(crate) fn field(&self, name: &str) -> String {
        crate::i18n::field(self.lang, name)
    }

    pub(crate) fn reason(&self, code: &str) -> String {
        crate::i18n::reason(self.lang, code)
    }

    /// The kiosk's notice that it starts over after a spell without a touch.
    pub(crate) fn idle(&self, seconds: impl std::borrow::Borrow<u32>) -> String {
        tf(
            self.lang,
            "page.kiosk.idle",
            &[("seconds", seconds.borrow().to_string())],
        )
    }

    /// A date the way the page's language writes it.
    pub(crate) fn date(&self, d: &chrono::NaiveDate) -> String {
        match self.lang {
            Lang::ZhCn => format!(
                "{}年{}月{}日",
                chrono::Datelike::year(d),
                chrono::Datelike::month(d),
                chrono::Datelike::day(d)
            ),
            Lang::En => d.format("%-d %B %Y").to_string(),
        }
    }

    pub(crate) fn form(&self, form: &str) -> String {
        t(self.lang, &format!("guide.form.{form}"))
    }

    pub(crate) fn distance(&self, m: &Option<u32>) -> String {
        match m {
            Some(m) if *m >= 1000 => format!("{:.1} km", f64::from(*m) / 1000.0),
            Some(m) => format!("{m} m"),
            None => String::new(),
        }
    }
}

fn format_days(d: f64) -> String {
    if d.fract() == 0.0 {
        format!("{d:.0}")
    } else {
        format!("{d}")
    }
}

/// The fee line of a card: 不收费, or the fee items.
fn fee_text(lang: Lang, fees: &[zhengwu_core::catalog::Fee]) -> String {
    if fees.is_empty() {
        t(lang, "guide.free")
    } else {
        fees.iter()
            .map(|f| format!("{}：{}", f.name, f.standard))
            .collect::<Vec<_>>()
            .join("；")
    }
}

#[derive(Template)]
#[template(path = "guide.html")]
struct GuidePage {
    frame: Frame,
    w: Words,
    kiosk: bool,
    base: &'static str,
    q: String,
    audience: String,
    lat: String,
    lng: String,
    error: Option<String>,
    asked: bool,
    cards: Vec<(AnswerCard, String)>,
    fallback: Option<Fallback>,
    examples: Vec<String>,
    idle_seconds: u32,
    idle_note: String,
}

#[derive(Debug, Deserialize)]
struct GuideForm {
    q: Option<String>,
    audience: Option<String>,
    lat: Option<String>,
    lng: Option<String>,
}

async fn guide_page(
    State(state): State<AppState>,
    headers: HeaderMap,
    uri: Uri,
    ApiQuery(f): ApiQuery<GuideForm>,
) -> Result<Response, ApiError> {
    guide_for(state, &headers, &uri, f, false).await
}

async fn kiosk_guide_page(
    State(state): State<AppState>,
    headers: HeaderMap,
    uri: Uri,
    ApiQuery(f): ApiQuery<GuideForm>,
) -> Result<Response, ApiError> {
    guide_for(state, &headers, &uri, f, true).await
}

fn frame_for(state: &AppState, lang: Lang, kiosk: bool) -> Frame {
    let mut frame = Frame::new(lang, state.district_name());
    if kiosk {
        frame.face = "kiosk";
    }
    frame
}

async fn guide_for(
    state: AppState,
    headers: &HeaderMap,
    uri: &Uri,
    f: GuideForm,
    kiosk: bool,
) -> Result<Response, ApiError> {
    let lang = crate::http::lang_from(uri, headers);
    let q = f.q.unwrap_or_default();
    let parse = |s: &Option<String>| -> Option<f64> {
        s.as_deref()
            .filter(|v| !v.is_empty())
            .and_then(|v| v.parse().ok())
    };
    let mut page = GuidePage {
        frame: frame_for(&state, lang, kiosk),
        w: Words::new(lang),
        kiosk,
        base: if kiosk { "/kiosk" } else { "" },
        q: q.clone(),
        audience: f.audience.clone().unwrap_or_default(),
        lat: f.lat.clone().unwrap_or_default(),
        lng: f.lng.clone().unwrap_or_default(),
        error: None,
        asked: false,
        cards: Vec::new(),
        fallback: None,
        examples: EXAMPLES.iter().map(|s| (*s).to_owned()).collect(),
        idle_seconds: KIOSK_IDLE_SECONDS,
        idle_note: Words::new(lang).idle(KIOSK_IDLE_SECONDS),
    };
    let mut status = StatusCode::OK;
    if !q.trim().is_empty() {
        let query = GuideQuery::from_parts(q, parse(&f.lat), parse(&f.lng), f.audience);
        match query.check() {
            Ok(question) => {
                let a = answer(&state, &question, lang).await?;
                page.asked = true;
                page.cards = a
                    .results
                    .into_iter()
                    .map(|c| {
                        let fee = fee_text(lang, &c.fees);
                        (c, fee)
                    })
                    .collect();
                page.fallback = a.fallback;
            }
            Err(e) => {
                page.error = Some(e.message(lang));
                status = StatusCode::UNPROCESSABLE_ENTITY;
            }
        }
    }
    render(page, None, status)
}

#[derive(Template)]
#[template(path = "item.html")]
struct ItemPage {
    frame: Frame,
    w: Words,
    kiosk: bool,
    base: &'static str,
    item: Item,
    card: AnswerCard,
    fee: String,
    steps: Vec<String>,
    objects: String,
    phone: Option<String>,
    idle_seconds: u32,
    idle_note: String,
}

async fn item_page(
    State(state): State<AppState>,
    headers: HeaderMap,
    uri: Uri,
    ApiPath(code): ApiPath<String>,
) -> Result<Response, ApiError> {
    item_for(state, &headers, &uri, &code, false).await
}

async fn kiosk_item_page(
    State(state): State<AppState>,
    headers: HeaderMap,
    uri: Uri,
    ApiPath(code): ApiPath<String>,
) -> Result<Response, ApiError> {
    item_for(state, &headers, &uri, &code, true).await
}

async fn item_for(
    state: AppState,
    headers: &HeaderMap,
    uri: &Uri,
    code: &str,
    kiosk: bool,
) -> Result<Response, ApiError> {
    let lang = crate::http::lang_from(uri, headers);
    let item = state.guide.item(code).ok_or_else(ApiError::not_found)?;
    let sites = Sites::load(state.db.conn(), state.calendar())
        .await
        .map_err(ApiError::internal)?;
    let card = sites.card(&item, 0.0, state.guide.department(&item.department), None);
    let page = ItemPage {
        frame: frame_for(&state, lang, kiosk),
        phone: sites.center_phone(),
        w: Words::new(lang),
        kiosk,
        base: if kiosk { "/kiosk" } else { "" },
        fee: fee_text(lang, &item.fees),
        steps: item.steps.clone(),
        objects: item.service_object.join("、"),
        item,
        card,
        idle_seconds: KIOSK_IDLE_SECONDS,
        idle_note: Words::new(lang).idle(KIOSK_IDLE_SECONDS),
    };
    render(page, None, StatusCode::OK)
}
