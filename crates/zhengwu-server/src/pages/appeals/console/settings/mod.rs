//! Hotline settings (热线设置, `/console/appeals/settings/…`): what administrators and
//! dispatchers keep for the 12345 hotline, one page each — the topic tree (`topics`), the
//! knowledge base of instant answers (`knowledge`), the routing rules by topic and area
//! (`routes`) and the time limits (`limits`). Dispatchers and supervisors read every page; the
//! topic tree and the limits are the administrator's to change, the knowledge base and the
//! routing rules the administrator's and the dispatcher's (as in `/api/v1/appeals/…`).

use std::collections::HashMap;

use axum::response::{IntoResponse, Redirect, Response};

use super::super::super::guide::Words;
use super::super::super::urlencode;
use super::super::{HandlingUnits, Topics};

mod knowledge;
mod limits;
mod routes;
mod topics;

pub(in crate::pages::appeals) use knowledge::{add_knowledge, knowledge_page, knowledge_submit};
pub(in crate::pages::appeals) use limits::{limits_page, save_limits};
pub(in crate::pages::appeals) use routes::{add_route, route_submit, routes_page};
pub(in crate::pages::appeals) use topics::{add_topic, topic_submit, topics_page};

/// Who changes the topic tree and the time limits (the API's rule, `http::appeal_admin`).
use crate::http::appeal_admin::ADMINS;

/// Where the appeals menu's "hotline settings" leads, and the page it marks as current.
pub(super) const HOME: &str = "/console/appeals/settings/topics";

/// The settings' pages under the heading: (address, label, the page shown now).
pub(super) struct Tabs {
    items: Vec<(&'static str, String, bool)>,
}

fn tabs(w: &Words, current: &str) -> Tabs {
    Tabs {
        items: [
            (HOME, "appeal.settings.topics.title"),
            (
                "/console/appeals/settings/knowledge",
                "appeal.settings.knowledge.title",
            ),
            (
                "/console/appeals/settings/routes",
                "appeal.settings.routes.title",
            ),
            (
                "/console/appeals/settings/limits",
                "appeal.settings.limits.title",
            ),
        ]
        .into_iter()
        .map(|(href, key)| (href, w.l(key), href == current))
        .collect(),
    }
}

/// Words typed as one list: split at commas, 、 semicolons and line breaks.
fn split_words(s: &str) -> Vec<String> {
    s.split([',', '，', '、', ';', '；', '\n'])
        .map(str::trim)
        .filter(|w| !w.is_empty())
        .map(str::to_owned)
        .collect()
}

/// A list of words as the form shows it back.
fn join_words(words: &[String]) -> String {
    words.join("、")
}

/// Every topic for a `<select>`: its code and its path (`城市管理 › 市容环境`), parents first.
fn topic_options(topics: &Topics, max_level: i16) -> Vec<(String, String)> {
    topics
        .all
        .iter()
        .filter(|t| t.level <= max_level)
        .map(|t| {
            (
                t.code.clone(),
                format!("{} · {}", topics.path(&t.code), t.code),
            )
        })
        .collect()
}

/// Handling units of one kind, by code, for a select or checkboxes; `open` when one of them
/// is chosen (its group of checkboxes is shown unfolded).
pub(super) struct UnitGroup {
    label: String,
    units: Vec<(String, String)>,
    open: bool,
}

fn unit_groups(w: &Words, units: &HandlingUnits, chosen: &[String]) -> Vec<UnitGroup> {
    units
        .groups
        .iter()
        .map(|(label, us)| UnitGroup {
            label: w.l(label),
            open: us.iter().any(|(_, code, _)| chosen.contains(code)),
            units: us
                .iter()
                .map(|(_, code, name)| (code.clone(), name.clone()))
                .collect(),
        })
        .collect()
}

/// Handling units' names by code.
fn unit_names(units: &HandlingUnits) -> HashMap<String, String> {
    units
        .groups
        .iter()
        .flat_map(|(_, us)| us.iter())
        .map(|(_, code, name)| (code.clone(), name.clone()))
        .collect()
}

/// The names of units given by code (a code no unit has is shown as it is), joined.
fn names_of(names: &HashMap<String, String>, codes: &[String]) -> String {
    codes
        .iter()
        .map(|c| names.get(c).cloned().unwrap_or_else(|| c.clone()))
        .collect::<Vec<_>>()
        .join("、")
}

/// Post/redirect/get: back to `path` with a notice (`path` may carry a query already).
fn redirect_with(path: &str, notice: &str) -> Response {
    let sep = if path.contains('?') { '&' } else { '?' };
    Redirect::to(&format!("{path}{sep}notice={}", urlencode(notice))).into_response()
}

/// The value of a form's field sent as `name=value` pairs (repeated fields kept in order).
fn pairs_of(pairs: &[(String, String)], name: &str) -> Vec<String> {
    pairs
        .iter()
        .filter(|(k, _)| k == name)
        .map(|(_, v)| v.clone())
        .collect()
}

fn pair(pairs: &[(String, String)], name: &str) -> String {
    pairs
        .iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.clone())
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn words_split_at_commas_and_enumeration_commas() {
        assert_eq!(
            split_words(" 摆摊, 占道，小商贩、早市 ;; 夜市\n"),
            ["摆摊", "占道", "小商贩", "早市", "夜市"]
        );
        assert!(split_words(" 、 , ").is_empty());
        assert_eq!(join_words(&split_words("a,b")), "a、b");
    }
}
