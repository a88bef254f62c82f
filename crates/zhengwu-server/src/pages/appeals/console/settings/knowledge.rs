//! The knowledge base (`/console/appeals/settings/knowledge`): questions as callers ask them and
//! the answers the hotline operator gives on the spot, grouped by topic and filtered by a
//! branch of the tree; administrators and dispatchers add, change and delete entries.

use askama::Template;
use axum::extract::State;
use axum::http::{HeaderMap, Uri};
use axum::response::Response;
use serde::Deserialize;
use zhengwu_store::appeals::KnowledgeEntry;
use zhengwu_store::appeals::admin;

use super::super::super::super::console::render;
use super::super::super::super::guide::Words;
use super::super::super::super::{Frame, urlencode};
use super::super::super::{TopicGroup, Topics, status_of};
use super::super::{Menu, Refusal, menu, notice_of, staff_or_login};
use super::{HOME, Tabs, join_words, redirect_with, split_words, tabs};
use crate::auth::{Caller, ClientIp};
use crate::csrf::{self, Csrf};
use crate::error::{ApiError, ApiPath, ApiQuery};
use crate::http::appeal_admin::KNOWLEDGE_EDITORS;
use crate::http::appeals::READ_ALL;
use crate::i18n::{Lang, t, tf};
use crate::startup::AppState;

const PAGE: &str = "/console/appeals/settings/knowledge";

#[derive(Debug, Default, Deserialize)]
pub(in crate::pages::appeals) struct KnowledgeQuery {
    /// A topic code or the start of one: only its branch.
    #[serde(default)]
    topic: Option<String>,
    /// An entry to change.
    #[serde(default)]
    edit: Option<String>,
    #[serde(default)]
    notice: Option<String>,
}

/// What the entry form posts, kept when refused.
#[derive(Debug, Default, Deserialize)]
pub(in crate::pages::appeals) struct KnowledgeForm {
    #[serde(default)]
    csrf: String,
    /// `save` or `delete` (an entry's forms); empty for the add form.
    #[serde(default)]
    action: String,
    #[serde(default)]
    question: String,
    #[serde(default)]
    answer: String,
    #[serde(default)]
    topic: String,
    #[serde(default)]
    words: String,
}

impl KnowledgeForm {
    fn of(k: &KnowledgeEntry) -> Self {
        Self {
            question: k.question.clone(),
            answer: k.answer.clone(),
            topic: k.topic.clone(),
            words: join_words(&k.words),
            ..Default::default()
        }
    }

    fn entry(&self) -> KnowledgeEntry {
        KnowledgeEntry {
            id: 0,
            question: self.question.clone(),
            answer: self.answer.clone(),
            topic: self.topic.trim().to_owned(),
            words: split_words(&self.words),
        }
    }
}

struct EntryRow {
    id: i64,
    question: String,
    answer: String,
    words: String,
}

/// A topic's entries.
struct Group {
    code: String,
    path: String,
    entries: Vec<EntryRow>,
}

#[derive(Template)]
#[template(path = "console_appeal_settings_knowledge.html")]
struct KnowledgePage {
    frame: Frame,
    w: Words,
    menu: Menu,
    tabs: Tabs,
    csrf: String,
    can_edit: bool,
    /// The filter: a topic code or the start of one, as chosen.
    filter: String,
    filter_options: Vec<(String, String)>,
    groups: Vec<Group>,
    /// `共 12 条`.
    count: String,
    /// The entry being changed.
    editing: Option<i64>,
    leaves: Vec<TopicGroup>,
    form: KnowledgeForm,
    notice: Option<String>,
    error: Option<String>,
}

/// The page with the list filtered to `filter` and `form` in the add form (or, with
/// `editing`, in the entry's own form).
#[allow(clippy::too_many_arguments)]
async fn knowledge_view(
    state: &AppState,
    caller: &Caller,
    headers: &HeaderMap,
    uri: &Uri,
    filter: &str,
    editing: Option<i64>,
    form: KnowledgeForm,
    notice: Option<String>,
    error: Option<String>,
) -> Result<Response, ApiError> {
    let lang = crate::http::lang_from(uri, headers);
    let csrf = Csrf::for_request(headers)?;
    let w = Words::new(lang);
    let topics = Topics::load(state).await?;
    let filter = filter.trim();
    let mut groups: Vec<Group> = Vec::new();
    let mut count = 0usize;
    for k in admin::knowledge(state.db.conn()).await? {
        if !k.topic.starts_with(filter) {
            continue;
        }
        count += 1;
        let row = EntryRow {
            id: k.id,
            question: k.question,
            answer: k.answer,
            words: join_words(&k.words),
        };
        match groups.last_mut() {
            Some(g) if g.code == k.topic => g.entries.push(row),
            _ => groups.push(Group {
                path: topics.path(&k.topic),
                code: k.topic,
                entries: vec![row],
            }),
        }
    }
    let page = KnowledgePage {
        frame: Frame::new(lang, state.district_name()),
        menu: menu(caller, &w, HOME),
        tabs: tabs(&w, PAGE),
        csrf: csrf.token.clone(),
        can_edit: caller.require(KNOWLEDGE_EDITORS).is_ok(),
        filter: filter.to_owned(),
        filter_options: super::topic_options(&topics, 3),
        groups,
        count: count_of(lang, count),
        editing: editing.filter(|_| caller.require(KNOWLEDGE_EDITORS).is_ok()),
        leaves: topics.groups(),
        form,
        notice: notice_of(notice),
        error: error.clone(),
        w,
    };
    render(page, Some(&csrf), status_of(&error))
}

fn count_of(lang: Lang, n: usize) -> String {
    tf(
        lang,
        "appeal.settings.knowledge.count",
        &[("count", n.to_string())],
    )
}

/// The knowledge base by topic (`?topic=` a branch), with the form to add an entry or change
/// one (`?edit=`).
pub(in crate::pages::appeals) async fn knowledge_page(
    State(state): State<AppState>,
    caller: Caller,
    headers: HeaderMap,
    uri: Uri,
    ApiQuery(q): ApiQuery<KnowledgeQuery>,
) -> Result<Response, ApiError> {
    if let Some(r) = staff_or_login(&caller) {
        return Ok(r);
    }
    caller.require(READ_ALL)?;
    let filter = q.topic.unwrap_or_default();
    let wanted = q.edit.as_deref().and_then(|e| e.trim().parse::<i64>().ok());
    let editing = match wanted {
        Some(id) => admin::knowledge(state.db.conn())
            .await?
            .into_iter()
            .find(|k| k.id == id),
        None => None,
    };
    let form = match &editing {
        Some(k) => KnowledgeForm::of(k),
        // A new entry goes under the topic filtered to, when that is a leaf.
        None => KnowledgeForm {
            topic: filter.trim().to_owned(),
            ..Default::default()
        },
    };
    knowledge_view(
        &state,
        &caller,
        &headers,
        &uri,
        &filter,
        editing.map(|k| k.id),
        form,
        q.notice,
        None,
    )
    .await
}

/// Where to go after a change: the entry's topic, with a notice.
fn back_to(topic: &str, notice: &str) -> Response {
    redirect_with(&format!("{PAGE}?topic={}", urlencode(topic)), notice)
}

/// An administrator or a dispatcher adds a question and its answer.
pub(in crate::pages::appeals) async fn add_knowledge(
    State(state): State<AppState>,
    caller: Caller,
    ip: ClientIp,
    headers: HeaderMap,
    uri: Uri,
    axum::Form(f): axum::Form<KnowledgeForm>,
) -> Result<Response, ApiError> {
    csrf::verify(&headers, &f.csrf)?;
    if let Some(r) = staff_or_login(&caller) {
        return Ok(r);
    }
    caller.require(KNOWLEDGE_EDITORS)?;
    let lang = crate::http::lang_from(&uri, &headers);
    let done: Result<KnowledgeEntry, Refusal> = if f.topic.trim().is_empty() {
        Err(Refusal::Say(t(
            lang,
            "appeal.settings.knowledge.topic_required",
        )))
    } else {
        let actor = caller.actor(&ip);
        let entry = f.entry();
        crate::http::write(&state, async |tx| {
            admin::save_knowledge(tx, None, &entry, &actor).await
        })
        .await
        .map_err(Refusal::from)
    };
    match done {
        Ok(k) => Ok(back_to(
            &k.topic,
            &tf(
                lang,
                "appeal.settings.knowledge.done.added",
                &[("question", k.question)],
            ),
        )),
        Err(r) => {
            let msg = r.said(lang, &[("topic", "appeal.settings.knowledge.topic")])?;
            knowledge_view(
                &state,
                &caller,
                &headers,
                &uri,
                "",
                None,
                f,
                None,
                Some(msg),
            )
            .await
        }
    }
}

/// An administrator or a dispatcher changes an entry, or deletes it.
pub(in crate::pages::appeals) async fn knowledge_submit(
    State(state): State<AppState>,
    caller: Caller,
    ip: ClientIp,
    headers: HeaderMap,
    uri: Uri,
    ApiPath(id): ApiPath<i64>,
    axum::Form(mut f): axum::Form<KnowledgeForm>,
) -> Result<Response, ApiError> {
    csrf::verify(&headers, &f.csrf)?;
    if let Some(r) = staff_or_login(&caller) {
        return Ok(r);
    }
    caller.require(KNOWLEDGE_EDITORS)?;
    let lang = crate::http::lang_from(&uri, &headers);
    let actor = caller.actor(&ip);
    let stored = admin::knowledge(state.db.conn())
        .await?
        .into_iter()
        .find(|k| k.id == id)
        .ok_or_else(ApiError::not_found)?;
    let done: Result<(&str, String), Refusal> = match f.action.as_str() {
        "save" if f.topic.trim().is_empty() => Err(Refusal::Say(t(
            lang,
            "appeal.settings.knowledge.topic_required",
        ))),
        "save" => {
            let entry = f.entry();
            crate::http::write(&state, async |tx| {
                admin::save_knowledge(tx, Some(id), &entry, &actor).await
            })
            .await
            .map(|k| ("appeal.settings.knowledge.done.saved", k.question))
            .map_err(Refusal::from)
        }
        "delete" => {
            f = KnowledgeForm {
                action: f.action,
                ..KnowledgeForm::of(&stored)
            };
            crate::http::write(&state, async |tx| {
                admin::delete_knowledge(tx, id, &actor).await
            })
            .await
            .map(|()| {
                (
                    "appeal.settings.knowledge.done.deleted",
                    stored.question.clone(),
                )
            })
            .map_err(Refusal::from)
        }
        other => Err(ApiError::invalid_field("action", format!("unknown:{other}")).into()),
    };
    match done {
        Ok((key, question)) => {
            let topic = if f.action == "save" {
                f.topic.trim().to_owned()
            } else {
                stored.topic.clone()
            };
            Ok(back_to(&topic, &tf(lang, key, &[("question", question)])))
        }
        Err(r) => {
            let msg = r.said(lang, &[("topic", "appeal.settings.knowledge.topic")])?;
            knowledge_view(
                &state,
                &caller,
                &headers,
                &uri,
                &stored.topic,
                Some(id),
                f,
                None,
                Some(msg),
            )
            .await
        }
    }
}
