//! Open311 GeoReport v2 under `/open311/v2` (http://wiki.open311.org/GeoReport_v2): discovery,
//! services (the leaves of the appeal topic tree), service definitions, posting a request (an
//! appeal by the `open311` channel, with an API key made by `zhengwu token add --role
//! open311`), reading requests with the standard filters, one request, and tokens. Every
//! answer is XML or JSON by the path's extension; errors are Open311's own format
//! (`[{"code","description"}]` / `<errors><error>…`) with the HTTP status equal to the code,
//! in the caller's language.
//!
//! What the public may read of an appeal is `zhengwu_store::appeals::public`: reports (举报)
//! are never listed, and only Open311 appeals show their words.

use axum::Router;
use axum::body::Bytes;
use axum::extract::{OriginalUri, Path, RawQuery, State};
use axum::http::{HeaderMap, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use chrono::{DateTime, Duration, SecondsFormat, Utc};
use zhengwu_core::appeal::Kind;
use zhengwu_core::calendar::district_offset;
use zhengwu_core::ident::Mobile;
use zhengwu_core::roles::Role;
use zhengwu_core::secret::{self, token_digest};
use zhengwu_store::appeals::public::{self, PublicAppeal, PublicFilter};
use zhengwu_store::appeals::{self, NewAppeal, Topic};
use zhengwu_store::identity;

use crate::auth::{Caller, ClientIp};
use crate::error::ApiError;
use crate::i18n::{Lang, t, tf};
use crate::startup::AppState;

/// When this interface last changed (discovery's `changeset`).
const CHANGESET: &str = "2026-11-28T00:00:00+08:00";
/// The longest date range of one `GET requests`, and the default range.
const MAX_RANGE_DAYS: i64 = 90;
/// The most requests one `GET requests` returns.
const MAX_REQUESTS: u64 = 1000;

/// The production endpoint, and the test endpoint: the same reads, but a request posted there
/// is checked completely (the key, the service, the place, the words) and not registered — a
/// sandbox for integrators.
const PRODUCTION: &str = "/open311/v2";
const TEST: &str = "/open311/test/v2";

pub fn router() -> Router<AppState> {
    let v2 = Router::new()
        .route("/{file}", get(root_file).post(post_file))
        .route("/services/{file}", get(service_definition))
        .route("/requests/{file}", get(one_request))
        .route("/tokens/{file}", get(token))
        .fallback(not_found);
    Router::new().nest(PRODUCTION, v2.clone()).nest(TEST, v2)
}

// ---------------------------------------------------------------------------------------------
// One document, two formats.

/// A value of an answer, written as JSON or as XML from the same tree.
enum V {
    S(String),
    F(f64),
    I(i64),
    B(bool),
    Null,
    Obj(Vec<(&'static str, V)>),
    /// A list; in XML each item is an element of this name.
    List(&'static str, Vec<V>),
}

fn s(x: impl Into<String>) -> V {
    V::S(x.into())
}

fn opt(x: Option<String>) -> V {
    x.map_or(V::Null, V::S)
}

impl V {
    fn json(self) -> serde_json::Value {
        use serde_json::Value as J;
        match self {
            V::S(x) => J::String(x),
            V::F(x) => serde_json::Number::from_f64(x).map_or(J::Null, J::Number),
            V::I(x) => J::from(x),
            V::B(x) => J::Bool(x),
            V::Null => J::Null,
            V::Obj(fields) => J::Object(
                fields
                    .into_iter()
                    .map(|(k, v)| (k.to_owned(), v.json()))
                    .collect(),
            ),
            V::List(_, items) => J::Array(items.into_iter().map(V::json).collect()),
        }
    }

    fn xml(&self, name: &str, out: &mut String) {
        match self {
            V::Null => {
                out.push('<');
                out.push_str(name);
                out.push_str("/>");
            }
            V::Obj(fields) => {
                open_tag(name, out);
                for (k, v) in fields {
                    v.xml(k, out);
                }
                close_tag(name, out);
            }
            V::List(item, items) => {
                open_tag(name, out);
                for v in items {
                    v.xml(item, out);
                }
                close_tag(name, out);
            }
            V::S(x) => leaf(name, x, out),
            V::F(x) => leaf(name, &x.to_string(), out),
            V::I(x) => leaf(name, &x.to_string(), out),
            V::B(x) => leaf(name, if *x { "true" } else { "false" }, out),
        }
    }
}

fn open_tag(name: &str, out: &mut String) {
    out.push('<');
    out.push_str(name);
    out.push('>');
}

fn close_tag(name: &str, out: &mut String) {
    out.push_str("</");
    out.push_str(name);
    out.push('>');
}

fn leaf(name: &str, text: &str, out: &mut String) {
    open_tag(name, out);
    out.push_str(&quick_xml::escape::escape(text));
    close_tag(name, out);
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Format {
    Xml,
    Json,
}

/// `name.xml` or `name.json` → (`name`, format).
fn split_file(file: &str) -> Option<(&str, Format)> {
    let (name, ext) = file.rsplit_once('.')?;
    let f = match ext {
        "xml" => Format::Xml,
        "json" => Format::Json,
        _ => return None,
    };
    (!name.is_empty()).then_some((name, f))
}

/// The answer `body` with root element `root` (XML) in `f`.
fn answer(f: Format, status: StatusCode, root: &str, body: V) -> Response {
    match f {
        Format::Json => (
            status,
            [(header::CONTENT_TYPE, "application/json; charset=utf-8")],
            body.json().to_string(),
        )
            .into_response(),
        Format::Xml => {
            let mut out = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>");
            body.xml(root, &mut out);
            (
                status,
                [(header::CONTENT_TYPE, "text/xml; charset=utf-8")],
                out,
            )
                .into_response()
        }
    }
}

/// An error in Open311's format.
struct Refusal {
    status: StatusCode,
    description: String,
}

impl Refusal {
    fn new(status: StatusCode, lang: Lang, key: &str, args: &[(&str, String)]) -> Self {
        Self {
            status,
            description: tf(lang, &format!("open311.error.{key}"), args),
        }
    }

    /// A refusal of the store or the API, as the pages say it.
    fn from_api(e: ApiError, lang: Lang) -> Self {
        let status = match e.status {
            StatusCode::UNPROCESSABLE_ENTITY => StatusCode::BAD_REQUEST,
            s => s,
        };
        if status.is_server_error() {
            tracing::error!(error = ?e.source, "open311: {}", e.code);
        }
        Self {
            status,
            description: e.short_message(lang),
        }
    }

    fn into_response(self, f: Format) -> Response {
        let code = i64::from(self.status.as_u16());
        answer(
            f,
            self.status,
            "errors",
            V::List(
                "error",
                vec![V::Obj(vec![
                    ("code", V::I(code)),
                    ("description", V::S(self.description)),
                ])],
            ),
        )
    }
}

type Answer = Result<Response, (Format, Refusal)>;

fn finish(r: Answer) -> Response {
    match r {
        Ok(res) => res,
        Err((f, e)) => e.into_response(f),
    }
}

/// The format of `file`, or a refusal (in JSON) naming what is wrong.
fn format_of(file: &str, lang: Lang) -> Result<(&str, Format), (Format, Refusal)> {
    split_file(file).ok_or_else(|| {
        (
            Format::Json,
            Refusal::new(StatusCode::NOT_FOUND, lang, "format", &[]),
        )
    })
}

/// A GET of an Open311 file: the name without its extension, the format, the query's pairs
/// (the jurisdiction checked) and the language.
struct Get {
    name: String,
    f: Format,
    q: Vec<(String, String)>,
    lang: Lang,
}

impl Get {
    fn read(
        state: &AppState,
        file: &str,
        query: Option<&str>,
        uri: &Uri,
        headers: &HeaderMap,
    ) -> Result<Self, (Format, Refusal)> {
        let lang = lang_of(uri, headers);
        let (name, f) = format_of(file, lang)?;
        let q = pairs(query);
        check_jurisdiction(state, headers, &q, lang).map_err(|e| (f, e))?;
        Ok(Self {
            name: name.to_owned(),
            f,
            q,
            lang,
        })
    }

    /// A refusal in this request's format and language.
    fn refuse(&self, status: StatusCode, key: &str, args: &[(&str, String)]) -> (Format, Refusal) {
        (self.f, Refusal::new(status, self.lang, key, args))
    }

    /// The store's failure in this request's format and language.
    fn failed(&self) -> impl Fn(zhengwu_store::StoreError) -> (Format, Refusal) + '_ {
        |e| (self.f, Refusal::from_api(e.into(), self.lang))
    }
}

fn lang_of(uri: &Uri, headers: &HeaderMap) -> Lang {
    crate::http::lang_from(uri, headers)
}

/// The query's pairs (decoded; a key may repeat).
fn pairs(q: Option<&str>) -> Vec<(String, String)> {
    form_urlencoded::parse(q.unwrap_or("").as_bytes())
        .into_owned()
        .collect()
}

fn first<'a>(pairs: &'a [(String, String)], key: &str) -> Option<&'a str> {
    pairs
        .iter()
        .find(|(k, _)| k == key)
        .map(|(_, v)| v.trim())
        .filter(|v| !v.is_empty())
}

/// `jurisdiction_id`, when given, must be this server's: the host clients reach it by (the
/// configured public address, or the host asked for).
fn check_jurisdiction(
    state: &AppState,
    headers: &HeaderMap,
    pairs: &[(String, String)],
    lang: Lang,
) -> Result<(), Refusal> {
    let base = public_base(state, headers);
    let host = base.split_once("://").map_or(base.as_str(), |(_, h)| h);
    match first(pairs, "jurisdiction_id") {
        Some(j) if j != host => Err(Refusal::new(
            StatusCode::NOT_FOUND,
            lang,
            "jurisdiction",
            &[("id", j.to_owned())],
        )),
        _ => Ok(()),
    }
}

fn w3c(at: DateTime<Utc>) -> String {
    at.with_timezone(&district_offset())
        .to_rfc3339_opts(SecondsFormat::Secs, false)
}

// ---------------------------------------------------------------------------------------------
// Handlers.

async fn not_found(uri: Uri, headers: HeaderMap) -> Response {
    let lang = lang_of(&uri, &headers);
    let f = if uri.path().ends_with(".xml") {
        Format::Xml
    } else {
        Format::Json
    };
    Refusal::new(StatusCode::NOT_FOUND, lang, "not_found", &[]).into_response(f)
}

/// `discovery.{xml,json}`, `services.{xml,json}` and `requests.{xml,json}` (GET).
async fn root_file(
    State(state): State<AppState>,
    Path(file): Path<String>,
    RawQuery(q): RawQuery,
    uri: Uri,
    headers: HeaderMap,
) -> Response {
    finish(
        async {
            let g = Get::read(&state, &file, q.as_deref(), &uri, &headers)?;
            let (lang, f) = (g.lang, g.f);
            match g.name.as_str() {
                "discovery" => Ok(discovery(&state, &headers, lang, f)),
                "services" => services(&state, lang, f).await.map_err(|e| (f, e)),
                "requests" => list_requests(&state, lang, f, &g.q)
                    .await
                    .map_err(|e| (f, e)),
                _ => Err(g.refuse(StatusCode::NOT_FOUND, "not_found", &[])),
            }
        }
        .await,
    )
}

/// Where clients reach this server: the configured public address, or else the host the
/// client asked for.
fn public_base(state: &AppState, headers: &HeaderMap) -> String {
    if let Some(u) = &state.config.booking.public_url {
        return u.clone();
    }
    match headers.get(header::HOST).and_then(|h| h.to_str().ok()) {
        Some(host) if !host.is_empty() && !host.contains(['/', ' ']) => format!("http://{host}"),
        _ => state.config.public_url(),
    }
}

fn discovery(state: &AppState, headers: &HeaderMap, lang: Lang, f: Format) -> Response {
    let base_url = public_base(state, headers);
    let endpoint = |base: &str, kind: &str| {
        V::Obj(vec![
            ("specification", s("http://wiki.open311.org/GeoReport_v2")),
            ("url", s(format!("{base_url}{base}"))),
            ("changeset", s(CHANGESET)),
            ("type", s(kind)),
            (
                "formats",
                V::List("format", vec![s("text/xml"), s("application/json")]),
            ),
        ])
    };
    let body = V::Obj(vec![
        ("changeset", s(CHANGESET)),
        ("contact", s(t(lang, "open311.contact"))),
        ("key_service", s(t(lang, "open311.key_service"))),
        (
            "endpoints",
            V::List(
                "endpoint",
                vec![endpoint(PRODUCTION, "production"), endpoint(TEST, "test")],
            ),
        ),
    ]);
    answer(f, StatusCode::OK, "discovery", body)
}

/// The topic leaves with their group (the first level's name) and description (the path).
async fn leaves(state: &AppState) -> Result<Vec<(Topic, String, String)>, ApiError> {
    let all = appeals::topics(state.db.conn()).await?;
    let name_of = |code: &Option<String>| {
        code.as_ref()
            .and_then(|c| all.iter().find(|t| &t.code == c))
            .cloned()
    };
    let mut out = Vec::new();
    for leaf in all.iter().filter(|t| t.level == 3) {
        let parent = name_of(&leaf.parent_code);
        let top = parent.as_ref().and_then(|p| name_of(&p.parent_code));
        let group = top.as_ref().map(|t| t.name.clone()).unwrap_or_default();
        let path = [
            top.map(|t| t.name),
            parent.map(|p| p.name),
            Some(leaf.name.clone()),
        ]
        .into_iter()
        .flatten()
        .collect::<Vec<_>>()
        .join(" / ");
        out.push((leaf.clone(), group, path));
    }
    Ok(out)
}

async fn services(state: &AppState, lang: Lang, f: Format) -> Result<Response, Refusal> {
    let leaves = leaves(state)
        .await
        .map_err(|e| Refusal::from_api(e, lang))?;
    let items = leaves
        .into_iter()
        .map(|(leaf, group, path)| {
            V::Obj(vec![
                ("service_code", s(leaf.code)),
                ("service_name", s(leaf.name)),
                ("description", s(path)),
                ("metadata", V::B(true)),
                ("type", s("realtime")),
                ("keywords", s(leaf.words.join(","))),
                ("group", s(group)),
            ])
        })
        .collect();
    Ok(answer(
        f,
        StatusCode::OK,
        "services",
        V::List("service", items),
    ))
}

/// `services/{code}.{xml,json}`: the attributes a request may carry.
async fn service_definition(
    State(state): State<AppState>,
    Path(file): Path<String>,
    RawQuery(q): RawQuery,
    uri: Uri,
    headers: HeaderMap,
) -> Response {
    finish(
        async {
            let g = Get::read(&state, &file, q.as_deref(), &uri, &headers)?;
            let (lang, f) = (g.lang, g.f);
            let topic = appeals::topic(state.db.conn(), &g.name)
                .await
                .map_err(g.failed())?
                .filter(|t| t.level == 3)
                .ok_or_else(|| {
                    g.refuse(
                        StatusCode::NOT_FOUND,
                        "service_code",
                        &[("code", g.name.clone())],
                    )
                })?;
            let usual = topic.kind.as_deref().and_then(Kind::parse);
            let kinds = Kind::ALL
                .iter()
                .map(|k| {
                    V::Obj(vec![
                        ("key", s(k.as_str())),
                        ("name", s(t(lang, &format!("appeal.kind.{}", k.as_str())))),
                    ])
                })
                .collect();
            let yes_no = ["false", "true"]
                .iter()
                .map(|k| {
                    V::Obj(vec![
                        ("key", s(*k)),
                        ("name", s(t(lang, &format!("open311.urgent.{k}")))),
                    ])
                })
                .collect();
            let usual_name = usual
                .map(|k| t(lang, &format!("appeal.kind.{}", k.as_str())))
                .unwrap_or_default();
            let body = V::Obj(vec![
                ("service_code", s(topic.code.clone())),
                (
                    "attributes",
                    V::List(
                        "attribute",
                        vec![
                            V::Obj(vec![
                                ("variable", V::B(true)),
                                ("code", s("kind")),
                                ("datatype", s("singlevaluelist")),
                                ("required", V::B(false)),
                                (
                                    "datatype_description",
                                    s(tf(
                                        lang,
                                        "open311.attr.kind.datatype",
                                        &[("usual", usual_name)],
                                    )),
                                ),
                                ("order", V::I(1)),
                                ("description", s(t(lang, "open311.attr.kind"))),
                                ("values", V::List("value", kinds)),
                            ]),
                            V::Obj(vec![
                                ("variable", V::B(true)),
                                ("code", s("urgent")),
                                ("datatype", s("singlevaluelist")),
                                ("required", V::B(false)),
                                (
                                    "datatype_description",
                                    s(t(lang, "open311.attr.urgent.datatype")),
                                ),
                                ("order", V::I(2)),
                                ("description", s(t(lang, "open311.attr.urgent"))),
                                ("values", V::List("value", yes_no)),
                            ]),
                        ],
                    ),
                ),
            ]);
            Ok(answer(f, StatusCode::OK, "service_definition", body))
        }
        .await,
    )
}

/// The standard filters of `GET requests`.
fn request_filter(q: &[(String, String)], lang: Lang) -> Result<PublicFilter, Refusal> {
    let list = |key: &str| {
        first(q, key).map(|v| {
            v.split(',')
                .map(|x| x.trim().to_owned())
                .filter(|x| !x.is_empty())
                .collect::<Vec<_>>()
        })
    };
    let date = |key: &'static str| -> Result<Option<DateTime<Utc>>, Refusal> {
        match first(q, key) {
            None => Ok(None),
            Some(v) => DateTime::parse_from_rfc3339(v)
                .map(|d| Some(d.with_timezone(&Utc)))
                .map_err(|_| {
                    Refusal::new(
                        StatusCode::BAD_REQUEST,
                        lang,
                        "date",
                        &[("field", key.to_owned()), ("value", v.to_owned())],
                    )
                }),
        }
    };
    let (start, end) = (date("start_date")?, date("end_date")?);
    let range = Duration::days(MAX_RANGE_DAYS);
    let (from, to) = match (start, end) {
        (Some(s), Some(e)) => (s, e),
        (Some(s), None) => (s, s + range),
        (None, Some(e)) => (e - range, e),
        (None, None) => {
            let now = Utc::now();
            (now - range, now)
        }
    };
    if to < from {
        return Err(Refusal::new(
            StatusCode::BAD_REQUEST,
            lang,
            "date_order",
            &[],
        ));
    }
    if to - from > range {
        return Err(Refusal::new(
            StatusCode::BAD_REQUEST,
            lang,
            "date_range",
            &[("days", MAX_RANGE_DAYS.to_string())],
        ));
    }
    let open = match list("status") {
        None => None,
        Some(v) => {
            let (mut open, mut closed) = (false, false);
            for x in &v {
                match x.as_str() {
                    "open" => open = true,
                    "closed" => closed = true,
                    other => {
                        return Err(Refusal::new(
                            StatusCode::BAD_REQUEST,
                            lang,
                            "status",
                            &[("value", other.to_owned())],
                        ));
                    }
                }
            }
            match (open, closed) {
                (true, false) => Some(true),
                (false, true) => Some(false),
                _ => None,
            }
        }
    };
    let numbers = list("service_request_id");
    if numbers.as_ref().is_some_and(|n| n.len() > 100) {
        return Err(Refusal::new(
            StatusCode::BAD_REQUEST,
            lang,
            "too_many_ids",
            &[("max", "100".into())],
        ));
    }
    Ok(PublicFilter {
        numbers,
        topics: list("service_code"),
        from,
        to,
        open,
        limit: MAX_REQUESTS,
    })
}

fn request_view(a: PublicAppeal, lang: Lang) -> V {
    let open = a.status.is_open();
    let notes = match (&a.merged_into, &a.reply) {
        (Some(m), _) => tf(lang, "open311.status.merged", &[("number", m.clone())]),
        (None, Some(r)) => r.clone(),
        (None, None) => t(lang, &format!("appeal.status.{}", a.status.as_str())),
    };
    let expected = zhengwu_core::booking::local_instant(a.expected_on, 24 * 60 - 1);
    V::Obj(vec![
        ("service_request_id", s(a.number)),
        ("status", s(if open { "open" } else { "closed" })),
        ("status_notes", s(notes)),
        ("service_name", s(a.topic_name)),
        ("service_code", s(a.topic_code)),
        ("description", opt(a.description)),
        ("agency_responsible", opt(a.lead_unit)),
        ("service_notice", V::Null),
        ("requested_datetime", s(w3c(a.requested_at))),
        ("updated_datetime", s(w3c(a.updated_at))),
        (
            "expected_datetime",
            if open { s(w3c(expected)) } else { V::Null },
        ),
        ("address", opt(a.address)),
        ("address_id", V::Null),
        ("zipcode", V::Null),
        ("lat", a.lat.map_or(V::Null, V::F)),
        ("long", a.lon.map_or(V::Null, V::F)),
        ("media_url", opt(a.media_url)),
    ])
}

async fn list_requests(
    state: &AppState,
    lang: Lang,
    f: Format,
    q: &[(String, String)],
) -> Result<Response, Refusal> {
    let filter = request_filter(q, lang)?;
    let rows = public::requests(state.db.conn(), &filter)
        .await
        .map_err(|e| Refusal::from_api(e.into(), lang))?;
    let items = rows.into_iter().map(|a| request_view(a, lang)).collect();
    Ok(answer(
        f,
        StatusCode::OK,
        "service_requests",
        V::List("request", items),
    ))
}

/// `requests/{id}.{xml,json}`.
async fn one_request(
    State(state): State<AppState>,
    Path(file): Path<String>,
    RawQuery(q): RawQuery,
    uri: Uri,
    headers: HeaderMap,
) -> Response {
    finish(
        async {
            let g = Get::read(&state, &file, q.as_deref(), &uri, &headers)?;
            let (lang, f) = (g.lang, g.f);
            let a = public::request(state.db.conn(), &g.name)
                .await
                .map_err(g.failed())?
                .ok_or_else(|| {
                    g.refuse(StatusCode::NOT_FOUND, "request", &[("id", g.name.clone())])
                })?;
            Ok(answer(
                f,
                StatusCode::OK,
                "service_requests",
                V::List("request", vec![request_view(a, lang)]),
            ))
        }
        .await,
    )
}

/// `tokens/{token}.{xml,json}`: the request a POST's token stands for.
async fn token(
    State(state): State<AppState>,
    Path(file): Path<String>,
    RawQuery(q): RawQuery,
    uri: Uri,
    headers: HeaderMap,
) -> Response {
    finish(
        async {
            let g = Get::read(&state, &file, q.as_deref(), &uri, &headers)?;
            let f = g.f;
            let tok = g.name.as_str();
            let number = public::number_for_token(state.db.conn(), tok)
                .await
                .map_err(g.failed())?
                .ok_or_else(|| g.refuse(StatusCode::NOT_FOUND, "token", &[]))?;
            Ok(answer(
                f,
                StatusCode::OK,
                "service_requests",
                V::List(
                    "request",
                    vec![V::Obj(vec![
                        ("service_request_id", s(number)),
                        ("token", s(tok)),
                    ])],
                ),
            ))
        }
        .await,
    )
}

/// `POST requests.{xml,json}` (form-encoded).
async fn post_file(
    State(state): State<AppState>,
    Path(file): Path<String>,
    ip: ClientIp,
    uri: Uri,
    OriginalUri(full): OriginalUri,
    headers: HeaderMap,
    body: Result<Bytes, axum::extract::rejection::BytesRejection>,
) -> Response {
    let lang = lang_of(&uri, &headers);
    finish(
        async {
            let (name, f) = format_of(&file, lang)?;
            let body = body.map_err(|e| (f, Refusal::new(e.status(), lang, "body", &[])))?;
            if name != "requests" {
                return Err((
                    f,
                    Refusal::new(StatusCode::METHOD_NOT_ALLOWED, lang, "method", &[]),
                ));
            }
            // Within the nested router `uri` lost its prefix; the original keeps it.
            let sandbox = full.path().starts_with(TEST);
            post_request(&state, lang, &headers, &body, &ip, sandbox)
                .await
                .map(|b| answer(f, StatusCode::CREATED, "service_requests", b))
                .map_err(|e| (f, e))
        }
        .await,
    )
}

async fn post_request(
    state: &AppState,
    lang: Lang,
    headers: &HeaderMap,
    body: &[u8],
    ip: &ClientIp,
    sandbox: bool,
) -> Result<V, Refusal> {
    let bad =
        |key: &str, args: &[(&str, String)]| Refusal::new(StatusCode::BAD_REQUEST, lang, key, args);
    let form_type = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_none_or(|v| v.starts_with("application/x-www-form-urlencoded"));
    if !form_type {
        return Err(bad("content_type", &[]));
    }
    let q: Vec<(String, String)> = form_urlencoded::parse(body).into_owned().collect();
    check_jurisdiction(state, headers, &q, lang)?;
    // The key first: nothing is said about the rest to a caller without one.
    let key = first(&q, "api_key")
        .ok_or_else(|| Refusal::new(StatusCode::UNAUTHORIZED, lang, "api_key_missing", &[]))?;
    let token = identity::find_token(state.db.conn(), &token_digest(key))
        .await
        .map_err(|e| Refusal::from_api(e.into(), lang))?
        .filter(|t| t.grant.role == Role::Open311)
        .ok_or_else(|| Refusal::new(StatusCode::FORBIDDEN, lang, "api_key", &[]))?;
    let code = first(&q, "service_code")
        .ok_or_else(|| bad("required", &[("field", "service_code".into())]))?;
    let topic = appeals::topic(state.db.conn(), code)
        .await
        .map_err(|e| Refusal::from_api(e.into(), lang))?
        .filter(|t| t.level == 3)
        .ok_or_else(|| bad("service_code", &[("code", code.to_owned())]))?;
    let number = |key: &'static str| -> Result<Option<f64>, Refusal> {
        first(&q, key)
            .map(|v| {
                v.parse::<f64>()
                    .ok()
                    .filter(|x| x.is_finite())
                    .ok_or_else(|| {
                        bad(
                            "number",
                            &[("field", key.to_owned()), ("value", v.to_owned())],
                        )
                    })
            })
            .transpose()
    };
    let location = match (number("lat")?, number("long")?) {
        (Some(lat), Some(lon)) => Some((lat, lon)),
        (None, None) => None,
        _ => return Err(bad("lat_long", &[])),
    };
    let address = first(&q, "address_string").map(str::to_owned);
    if location.is_none() && address.is_none() && first(&q, "address_id").is_none() {
        return Err(bad("location", &[]));
    }
    let description = first(&q, "description")
        .ok_or_else(|| bad("required", &[("field", "description".into())]))?;
    let kind = match first(&q, "attribute[kind]") {
        Some(k) => Kind::parse(k).ok_or_else(|| {
            bad(
                "attribute",
                &[("code", "kind".into()), ("value", k.to_owned())],
            )
        })?,
        None => topic
            .kind
            .as_deref()
            .and_then(Kind::parse)
            .unwrap_or(Kind::Complaint),
    };
    let urgent = match first(&q, "attribute[urgent]") {
        None | Some("false") => false,
        Some("true") => true,
        Some(v) => {
            return Err(bad(
                "attribute",
                &[("code", "urgent".into()), ("value", v.to_owned())],
            ));
        }
    };
    let caller_mobile = match first(&q, "phone") {
        Some(p) => Some(Mobile::parse(p).map_err(|_| bad("phone", &[("value", p.to_owned())]))?),
        None => None,
    };
    let name = [first(&q, "last_name"), first(&q, "first_name")]
        .into_iter()
        .flatten()
        .collect::<Vec<_>>()
        .join("");
    let tok = secret::new_token("o311_")
        .map_err(|e| Refusal::from_api(ApiError::internal(anyhow::anyhow!("{e}")), lang))?;
    let new = NewAppeal {
        address,
        location,
        caller_name: (!name.is_empty()).then_some(name),
        caller_mobile,
        urgent,
        caller_email: first(&q, "email").map(str::to_owned),
        media_url: first(&q, "media_url").map(str::to_owned),
        open311_token: Some(tok.clone()),
        ..NewAppeal::new("open311", kind, &topic.code, description)
    };
    let caller = Caller::Token(token);
    let actor = caller.actor(ip);
    if sandbox {
        // Everything intake checks, in a transaction that is rolled back.
        let calendar = state.calendar();
        let checked = async {
            let tx = state.db.begin_write().await?;
            let r = appeals::intake(&tx, new, &calendar, Utc::now(), &actor).await;
            tx.rollback().await?;
            r
        }
        .await
        .map_err(|e| Refusal::from_api(e.into(), lang))?;
        return Ok(V::List(
            "request",
            vec![V::Obj(vec![
                ("service_request_id", s(format!("TEST-{}", checked.number))),
                ("service_notice", s(t(lang, "open311.test_notice"))),
                ("account_id", V::Null),
            ])],
        ));
    }
    let a = crate::http::appeals::take_in(state, new, &actor, None, &[])
        .await
        .map_err(|e| Refusal::from_api(e, lang))?;
    let days = appeals::admin::limits(state.db.conn())
        .await
        .map_or_else(|_| kind.default_limit_days(), |l| l.for_kind(kind));
    let notice = tf(
        lang,
        "open311.notice",
        &[("number", a.number.clone()), ("days", days.to_string())],
    );
    Ok(V::List(
        "request",
        vec![V::Obj(vec![
            ("service_request_id", s(a.number)),
            ("token", s(tok)),
            ("service_notice", s(notice)),
            ("account_id", V::Null),
        ])],
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_tree_gives_both_formats_with_escaping() {
        let body = V::List(
            "request",
            vec![V::Obj(vec![
                ("service_request_id", s("20261128-000001")),
                ("description", s("<b>路灯 & 井盖</b>")),
                ("lat", V::F(38.86)),
                ("media_url", V::Null),
                ("metadata", V::B(true)),
            ])],
        );
        let mut xml = String::new();
        body.xml("service_requests", &mut xml);
        assert_eq!(
            xml,
            "<service_requests><request><service_request_id>20261128-000001</service_request_id>\
             <description>&lt;b&gt;路灯 &amp; 井盖&lt;/b&gt;</description><lat>38.86</lat>\
             <media_url/><metadata>true</metadata></request></service_requests>"
        );
        let body = V::List(
            "request",
            vec![V::Obj(vec![("lat", V::F(38.86)), ("media_url", V::Null)])],
        );
        assert_eq!(
            body.json().to_string(),
            r#"[{"lat":38.86,"media_url":null}]"#
        );
    }

    #[test]
    fn files_need_a_known_extension() {
        assert_eq!(split_file("services.xml"), Some(("services", Format::Xml)));
        assert_eq!(
            split_file("20261128-000001.json"),
            Some(("20261128-000001", Format::Json))
        );
        assert_eq!(split_file("services.html"), None);
        assert_eq!(split_file("services"), None);
        assert_eq!(split_file(".json"), None);
    }

    #[test]
    fn dates_are_w3c_in_district_time() {
        let at = DateTime::parse_from_rfc3339("2026-11-28T01:30:00Z")
            .unwrap()
            .with_timezone(&Utc);
        assert_eq!(w3c(at), "2026-11-28T09:30:00+08:00");
    }
}
