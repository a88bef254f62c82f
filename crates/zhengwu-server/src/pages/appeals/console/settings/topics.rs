//! The topic tree (`/console/appeals/settings/topics`): the three levels as a nested list, a
//! leaf with its default lead and co-units, usual kind and words; the administrator adds a
//! topic under a parent, changes a topic's name and (a leaf's) defaults, and deletes a topic
//! nothing refers to.

use askama::Template;
use axum::extract::State;
use axum::http::{HeaderMap, Uri};
use axum::response::Response;
use serde::Deserialize;
use zhengwu_store::appeals::Topic;
use zhengwu_store::appeals::admin::{self, TopicInput};

use super::super::super::super::Frame;
use super::super::super::super::console::render;
use super::super::super::super::guide::Words;
use super::super::super::portal::kinds;
use super::super::super::{HandlingUnits, Topics, status_of};
use super::super::{Menu, Refusal, menu, notice_of, staff_or_login};
use super::{
    ADMINS, HOME, Tabs, UnitGroup, join_words, names_of, pair, pairs_of, redirect_with,
    split_words, tabs, unit_groups, unit_names,
};
use crate::auth::{Caller, ClientIp};
use crate::csrf::{self, Csrf};
use crate::error::{ApiError, ApiPath, ApiQuery};
use crate::http::appeals::READ_ALL;
use crate::i18n::tf;
use crate::startup::AppState;

#[derive(Debug, Default, Deserialize)]
pub(in crate::pages::appeals) struct TopicsQuery {
    /// A topic to change.
    #[serde(default)]
    edit: Option<String>,
    /// A parent to add a topic under.
    #[serde(default)]
    parent: Option<String>,
    #[serde(default)]
    notice: Option<String>,
}

/// What the topic form posts, kept when refused.
#[derive(Debug, Default)]
pub(in crate::pages::appeals) struct TopicForm {
    csrf: String,
    /// `save` or `delete` (a topic's own forms); empty for the add form.
    action: String,
    parent: String,
    code: String,
    name: String,
    lead: String,
    co: Vec<String>,
    kind: String,
    words: String,
}

impl TopicForm {
    fn from_pairs(p: &[(String, String)]) -> Self {
        Self {
            csrf: pair(p, "csrf"),
            action: pair(p, "action"),
            parent: pair(p, "parent"),
            code: pair(p, "code"),
            name: pair(p, "name"),
            lead: pair(p, "lead"),
            co: pairs_of(p, "co"),
            kind: pair(p, "kind"),
            words: pair(p, "words"),
        }
    }

    /// A stored topic, to change.
    fn of(t: &Topic) -> Self {
        Self {
            parent: t.parent_code.clone().unwrap_or_default(),
            code: t.code.clone(),
            name: t.name.clone(),
            lead: t.lead.clone().unwrap_or_default(),
            co: t.co.clone(),
            kind: t.kind.clone().unwrap_or_default(),
            words: join_words(&t.words),
            ..Default::default()
        }
    }

    fn input(&self) -> TopicInput {
        let some = |s: &str| Some(s.trim().to_owned()).filter(|s| !s.is_empty());
        TopicInput {
            code: self.code.trim().to_owned(),
            name: self.name.clone(),
            parent_code: some(&self.parent),
            lead: some(&self.lead),
            co: self.co.clone(),
            kind: some(&self.kind),
            words: split_words(&self.words),
        }
    }
}

/// A leaf as the tree shows it.
struct LeafRow {
    code: String,
    name: String,
    lead: String,
    co: String,
    kind: String,
    words: String,
}

struct Branch {
    code: String,
    name: String,
    leaves: Vec<LeafRow>,
}

struct Root {
    code: String,
    name: String,
    branches: Vec<Branch>,
}

/// The topic being changed.
struct Editing {
    code: String,
    path: String,
    leaf: bool,
}

#[derive(Template)]
#[template(path = "console_appeal_settings_topics.html")]
struct TopicsPage {
    frame: Frame,
    w: Words,
    menu: Menu,
    tabs: Tabs,
    csrf: String,
    can_edit: bool,
    tree: Vec<Root>,
    /// `（共 260 个）`.
    count: String,
    editing: Option<Editing>,
    /// First- and second-level topics: (code, path).
    parents: Vec<(String, String)>,
    unit_groups: Vec<UnitGroup>,
    kinds: Vec<(&'static str, String)>,
    form: TopicForm,
    notice: Option<String>,
    error: Option<String>,
}

fn tree(w: &Words, topics: &Topics, units: &HandlingUnits) -> Vec<Root> {
    let names = unit_names(units);
    fn children<'a>(topics: &'a Topics, parent: &'a str) -> impl Iterator<Item = &'a Topic> {
        topics
            .all
            .iter()
            .filter(move |t| t.parent_code.as_deref() == Some(parent))
    }
    topics
        .all
        .iter()
        .filter(|t| t.level == 1)
        .map(|r| Root {
            code: r.code.clone(),
            name: r.name.clone(),
            branches: children(topics, &r.code)
                .map(|b| Branch {
                    code: b.code.clone(),
                    name: b.name.clone(),
                    leaves: children(topics, &b.code)
                        .map(|l| LeafRow {
                            code: l.code.clone(),
                            name: l.name.clone(),
                            lead: l
                                .lead
                                .as_ref()
                                .map(|c| names_of(&names, std::slice::from_ref(c)))
                                .unwrap_or_default(),
                            co: names_of(&names, &l.co),
                            kind: l
                                .kind
                                .as_ref()
                                .map(|k| w.l(format!("appeal.kind.{k}")))
                                .unwrap_or_default(),
                            words: join_words(&l.words),
                        })
                        .collect(),
                })
                .collect(),
        })
        .collect()
}

/// The next free code under `parent` (`CG01` → `CG0108` when `CG0107` is the last).
fn next_code(topics: &Topics, parent: &str) -> String {
    let last = topics
        .all
        .iter()
        .filter(|t| t.parent_code.as_deref() == Some(parent))
        .filter_map(|t| t.code.strip_prefix(parent)?.parse::<u32>().ok())
        .max()
        .unwrap_or(0);
    if last >= 99 {
        String::new()
    } else {
        format!("{parent}{:02}", last + 1)
    }
}

#[allow(clippy::too_many_arguments)]
async fn topics_view(
    state: &AppState,
    caller: &Caller,
    headers: &HeaderMap,
    uri: &Uri,
    editing: Option<&str>,
    form: TopicForm,
    notice: Option<String>,
    error: Option<String>,
) -> Result<Response, ApiError> {
    let lang = crate::http::lang_from(uri, headers);
    let csrf = Csrf::for_request(headers)?;
    let w = Words::new(lang);
    let topics = Topics::load(state).await?;
    let units = HandlingUnits::load(state).await?;
    let can_edit = caller.require(ADMINS).is_ok();
    let editing = editing
        .filter(|_| can_edit)
        .and_then(|code| topics.get(code))
        .map(|t| Editing {
            code: t.code.clone(),
            path: topics.path(&t.code),
            leaf: t.level == 3,
        });
    let page = TopicsPage {
        frame: Frame::new(lang, state.district_name()),
        menu: menu(caller, &w, HOME),
        tabs: tabs(&w, HOME),
        csrf: csrf.token.clone(),
        can_edit,
        tree: tree(&w, &topics, &units),
        count: tf(
            lang,
            "appeal.settings.topics.count",
            &[("count", topics.all.len().to_string())],
        ),
        editing,
        parents: super::topic_options(&topics, 2),
        unit_groups: unit_groups(&w, &units, &form.co),
        kinds: kinds(&w),
        form,
        notice: notice_of(notice),
        error: error.clone(),
        w,
    };
    render(page, Some(&csrf), status_of(&error))
}

/// The topic tree, with the administrator's form to add a topic (under `?parent=`) or change
/// one (`?edit=`).
pub(in crate::pages::appeals) async fn topics_page(
    State(state): State<AppState>,
    caller: Caller,
    headers: HeaderMap,
    uri: Uri,
    ApiQuery(q): ApiQuery<TopicsQuery>,
) -> Result<Response, ApiError> {
    if let Some(r) = staff_or_login(&caller) {
        return Ok(r);
    }
    caller.require(READ_ALL)?;
    let topics = Topics::load(&state).await?;
    let editing = q.edit.as_deref().and_then(|c| topics.get(c.trim()));
    let form = match editing {
        Some(t) => TopicForm::of(t),
        None => {
            let parent = q
                .parent
                .as_deref()
                .map(str::trim)
                .and_then(|p| topics.get(p))
                .filter(|p| p.level < 3);
            TopicForm {
                code: parent
                    .map(|p| next_code(&topics, &p.code))
                    .unwrap_or_default(),
                parent: parent.map(|p| p.code.clone()).unwrap_or_default(),
                ..Default::default()
            }
        }
    };
    let editing = editing.map(|t| t.code.clone());
    topics_view(
        &state,
        &caller,
        &headers,
        &uri,
        editing.as_deref(),
        form,
        q.notice,
        None,
    )
    .await
}

/// The administrator adds a topic under a parent (or a first-level one).
pub(in crate::pages::appeals) async fn add_topic(
    State(state): State<AppState>,
    caller: Caller,
    ip: ClientIp,
    headers: HeaderMap,
    uri: Uri,
    axum::Form(pairs): axum::Form<Vec<(String, String)>>,
) -> Result<Response, ApiError> {
    let f = TopicForm::from_pairs(&pairs);
    csrf::verify(&headers, &f.csrf)?;
    if let Some(r) = staff_or_login(&caller) {
        return Ok(r);
    }
    caller.require(ADMINS)?;
    let lang = crate::http::lang_from(&uri, &headers);
    let actor = caller.actor(&ip);
    let input = f.input();
    let done = crate::http::write(&state, async |tx| {
        admin::save_topic(tx, None, &input, &actor).await
    })
    .await;
    match done {
        Ok(t) => Ok(redirect_with(
            HOME,
            &tf(
                lang,
                "appeal.settings.topics.done.added",
                &[("name", t.name), ("code", t.code)],
            ),
        )),
        Err(e) => {
            let msg = Refusal::from(e).said(lang, &[])?;
            topics_view(&state, &caller, &headers, &uri, None, f, None, Some(msg)).await
        }
    }
}

/// The administrator changes a topic's name and (a leaf's) defaults, or deletes a topic
/// nothing refers to.
pub(in crate::pages::appeals) async fn topic_submit(
    State(state): State<AppState>,
    caller: Caller,
    ip: ClientIp,
    headers: HeaderMap,
    uri: Uri,
    ApiPath(code): ApiPath<String>,
    axum::Form(pairs): axum::Form<Vec<(String, String)>>,
) -> Result<Response, ApiError> {
    let mut f = TopicForm::from_pairs(&pairs);
    csrf::verify(&headers, &f.csrf)?;
    if let Some(r) = staff_or_login(&caller) {
        return Ok(r);
    }
    caller.require(ADMINS)?;
    let lang = crate::http::lang_from(&uri, &headers);
    let actor = caller.actor(&ip);
    let topic = zhengwu_store::appeals::topic(state.db.conn(), &code)
        .await?
        .ok_or_else(ApiError::not_found)?;
    let done: Result<&str, Refusal> = match f.action.as_str() {
        "save" => {
            // The code and the parent are the topic's own: they never change.
            f.code = topic.code.clone();
            f.parent = topic.parent_code.clone().unwrap_or_default();
            let input = f.input();
            crate::http::write(&state, async |tx| {
                admin::save_topic(tx, Some(&topic.code), &input, &actor).await
            })
            .await
            .map(|_| "appeal.settings.topics.done.saved")
            .map_err(Refusal::from)
        }
        "delete" => {
            // The delete form posts nothing else: a refusal shows the topic as it is.
            f = TopicForm {
                action: f.action,
                ..TopicForm::of(&topic)
            };
            crate::http::write(&state, async |tx| {
                admin::delete_topic(tx, &topic.code, &actor).await
            })
            .await
            .map(|()| "appeal.settings.topics.done.deleted")
            .map_err(Refusal::from)
        }
        other => Err(ApiError::invalid_field("action", format!("unknown:{other}")).into()),
    };
    match done {
        Ok(key) => {
            let name = if f.action == "save" {
                f.name.trim().to_owned()
            } else {
                topic.name.clone()
            };
            Ok(redirect_with(
                HOME,
                &tf(lang, key, &[("name", name), ("code", topic.code.clone())]),
            ))
        }
        Err(r) => {
            let msg = r.said(lang, &[])?;
            topics_view(
                &state,
                &caller,
                &headers,
                &uri,
                Some(&topic.code),
                f,
                None,
                Some(msg),
            )
            .await
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(code: &str, parent: Option<&str>, level: i16) -> Topic {
        Topic {
            code: code.into(),
            name: code.into(),
            parent_code: parent.map(Into::into),
            level,
            lead: None,
            co: Vec::new(),
            kind: None,
            words: Vec::new(),
        }
    }

    #[test]
    fn the_next_code_follows_the_last_child() {
        let all = vec![
            t("CG", None, 1),
            t("CG01", Some("CG"), 2),
            t("CG0101", Some("CG01"), 3),
            t("CG0107", Some("CG01"), 3),
            t("CG02", Some("CG"), 2),
        ];
        let names = all
            .iter()
            .map(|t| (t.code.clone(), t.name.clone()))
            .collect();
        let topics = Topics { all, names };
        assert_eq!(next_code(&topics, "CG01"), "CG0108");
        assert_eq!(next_code(&topics, "CG02"), "CG0201");
        assert_eq!(next_code(&topics, "CG"), "CG03");
    }
}
