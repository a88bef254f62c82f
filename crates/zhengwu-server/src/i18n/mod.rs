//! One message catalog (`messages.toml`) for every text the user reads: zh-CN first, English
//! second. Each key holds both languages; a test keeps them complete.

use std::collections::HashMap;
use std::sync::LazyLock;

use axum::http::HeaderMap;
use axum::http::header::ACCEPT_LANGUAGE;

/// The languages of the site.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum Lang {
    #[default]
    ZhCn,
    En,
}

impl Lang {
    pub fn tag(self) -> &'static str {
        match self {
            Self::ZhCn => "zh-CN",
            Self::En => "en",
        }
    }

    /// The best supported language for an `Accept-Language` header (RFC 9110 §12.5.4):
    /// the highest-weighted tag we have, zh-CN when nothing matches.
    pub fn negotiate(header: Option<&str>) -> Self {
        let Some(header) = header else {
            return Self::ZhCn;
        };
        let mut best: Option<(f32, Lang)> = None;
        for part in header.split(',') {
            let mut it = part.trim().split(';');
            let tag = it.next().unwrap_or("").trim().to_ascii_lowercase();
            let q = it
                .find_map(|p| p.trim().strip_prefix("q="))
                .and_then(|q| q.parse::<f32>().ok())
                .unwrap_or(1.0);
            let lang = if tag == "en" || tag.starts_with("en-") {
                Some(Self::En)
            } else if tag == "zh" || tag.starts_with("zh-") {
                Some(Self::ZhCn)
            } else {
                None
            };
            if let Some(lang) = lang
                && q > 0.0
                && best.is_none_or(|(bq, _)| q > bq)
            {
                best = Some((q, lang));
            }
        }
        best.map_or(Self::ZhCn, |(_, l)| l)
    }

    pub fn from_headers(headers: &HeaderMap) -> Self {
        Self::negotiate(headers.get(ACCEPT_LANGUAGE).and_then(|v| v.to_str().ok()))
    }
}

/// The catalog's files: the main one, and one per part of the product that has many words
/// of its own. A key stands in one file only (tested).
const FILES: [(&str, &str); 5] = [
    ("messages.toml", include_str!("messages.toml")),
    ("cases.toml", include_str!("cases.toml")),
    ("cases_console.toml", include_str!("cases_console.toml")),
    ("cases_portal.toml", include_str!("cases_portal.toml")),
    ("kiosk_book.toml", include_str!("kiosk_book.toml")),
];

static CATALOG: LazyLock<HashMap<String, (String, String)>> = LazyLock::new(|| {
    #[derive(serde::Deserialize)]
    struct Entry {
        #[serde(rename = "zh-CN")]
        zh: String,
        en: String,
    }
    // The catalog is part of the binary and tested; an unreadable one is a bug the tests find.
    FILES
        .iter()
        .flat_map(|(_, text)| toml::from_str::<HashMap<String, Entry>>(text).unwrap_or_default())
        .map(|(k, e)| (k, (e.zh, e.en)))
        .collect()
});

/// The text of `key` in `lang`; the key itself when the catalog lacks it.
pub fn t(lang: Lang, key: &str) -> String {
    match CATALOG.get(key) {
        Some((zh, en)) => match lang {
            Lang::ZhCn => zh.clone(),
            Lang::En => en.clone(),
        },
        None => key.to_owned(),
    }
}

/// Whether the catalog has `key`.
pub fn has(key: &str) -> bool {
    CATALOG.contains_key(key)
}

/// The text of `key` with `{name}` placeholders filled from `args`.
pub fn tf(lang: Lang, key: &str, args: &[(&str, String)]) -> String {
    let mut s = t(lang, key);
    for (name, value) in args {
        s = s.replace(&format!("{{{name}}}"), value);
    }
    s
}

/// A reason code from the domain (`empty`, `no_department:NOPE`) in words: the catalog's
/// `reason.{code}` with `{detail}` filled; the code itself when the catalog lacks it.
pub fn reason(lang: Lang, code: &str) -> String {
    let (head, detail) = code.split_once(':').unwrap_or((code, ""));
    let key = format!("reason.{head}");
    // A case's state in a refusal is said in words.
    let state = format!("case.status.{detail}");
    let detail = if head == "case_not_now" && has(&state) {
        t(lang, &state)
    } else {
        detail.to_owned()
    };
    if has(&key) {
        tf(lang, &key, &[("detail", detail)])
    } else {
        code.to_owned()
    }
}

/// An input field's name in words (`field.{name}`, else the catalog editor's label).
pub fn field(lang: Lang, name: &str) -> String {
    for key in [format!("field.{name}"), format!("catalog.f.{name}")] {
        if has(&key) {
            return t(lang, &key);
        }
    }
    name.to_owned()
}

/// The arguments of an error message in words: reasons and field names translated.
pub fn localize_args(lang: Lang, args: &[(&'static str, String)]) -> Vec<(&'static str, String)> {
    args.iter()
        .map(|(k, v)| match *k {
            "reason" => (*k, reason(lang, v)),
            "field" => (*k, field(lang, v)),
            _ => (*k, v.clone()),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_catalog_parses_and_every_entry_has_both_languages() {
        let mut seen: HashMap<String, &str> = HashMap::new();
        for (file, text) in FILES {
            let raw: HashMap<String, toml::Value> =
                toml::from_str(text).unwrap_or_else(|e| panic!("{file}: {e}"));
            assert!(!raw.is_empty(), "{file} is empty");
            for (k, v) in raw {
                let zh = v.get("zh-CN").and_then(|x| x.as_str()).unwrap_or("");
                let en = v.get("en").and_then(|x| x.as_str()).unwrap_or("");
                assert!(
                    !zh.is_empty() && !en.is_empty(),
                    "{file}: {k} lacks a language"
                );
                if let Some(other) = seen.insert(k.clone(), file) {
                    panic!("{k} stands in {other} and {file}");
                }
            }
        }
    }

    #[test]
    fn languages_are_negotiated_by_weight() {
        assert_eq!(Lang::negotiate(None), Lang::ZhCn);
        assert_eq!(Lang::negotiate(Some("en-US,en;q=0.9")), Lang::En);
        assert_eq!(Lang::negotiate(Some("zh-CN,zh;q=0.9,en;q=0.8")), Lang::ZhCn);
        assert_eq!(Lang::negotiate(Some("fr, en;q=0.5")), Lang::En);
        assert_eq!(Lang::negotiate(Some("fr")), Lang::ZhCn);
        assert_eq!(Lang::negotiate(Some("en;q=0")), Lang::ZhCn);
        assert_eq!(Lang::negotiate(Some("zh;q=0.4, en;q=0.6")), Lang::En);
    }

    #[test]
    fn placeholders_are_filled() {
        assert_eq!(
            tf(
                Lang::En,
                "error.invalid_field.detail",
                &[("field", "to".into()), ("reason", "x".into())]
            ),
            "The value of “to” is not acceptable: x"
        );
    }
}
