//! Service items (政务服务事项) as the catalog describes them: the guide's fields, the
//! materials and where an item is offered. Pure types with their own checks; the store keeps
//! them and the search indexes them.

use serde::{Deserialize, Serialize};

/// The kinds of item in the national catalogue.
pub const ITEM_TYPES: [&str; 8] = [
    "行政许可",
    "行政给付",
    "行政确认",
    "行政征收",
    "行政奖励",
    "行政裁决",
    "其他行政权力",
    "公共服务",
];

/// Machine pre-checks a material may be given.
pub const MATERIAL_CHECKS: [&str; 8] = [
    "id_number_valid",
    "credit_code_valid",
    "mobile_valid",
    "not_expired",
    "required_fields",
    "signature_present",
    "consistent_names",
    "photo_spec",
];

/// A fee item.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Fee {
    pub name: String,
    pub standard: String,
    pub basis: String,
    pub waivable: bool,
}

/// A frequently asked question.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Faq {
    pub q: String,
    pub a: String,
}

/// A material an application needs.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Material {
    pub name: String,
    pub required: bool,
    /// When not required: when it is needed.
    pub condition: String,
    /// `original`, `copy` or `electronic`.
    pub form: String,
    pub copies: u32,
    /// `applicant`, `shared` (from another department's data) or `e_licence`.
    pub source: String,
    pub shared_from: String,
    pub checks: Vec<String>,
    /// The blank form to fill in: a link to a stored file (`/catalog/files/…`) or an
    /// `https://` address; empty when the material is not a form.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub blank_form: String,
    /// A filled-in sample of the form, as a link like `blank_form`.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub sample: String,
}

/// Whether a material's form link is acceptable: empty, a stored file, or an https address.
pub fn valid_link(link: &str) -> bool {
    link.is_empty()
        || (link.len() <= 300
            && (link.starts_with("/catalog/files/") || link.starts_with("https://"))
            && !link.contains(|c: char| c.is_whitespace() || c == '"' || c == '<' || c == '>'))
}

impl Material {
    /// Whether the applicant need not bring it (the "materials down to 35%" measure).
    pub fn is_shared(&self) -> bool {
        self.source != "applicant"
    }
}

/// A service item and its guide.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Item {
    pub code: String,
    pub basic_code: String,
    pub name: String,
    pub aliases: Vec<String>,
    pub item_type: String,
    /// A department's code in the organisation.
    pub department: String,
    /// `自然人`, `法人`, or both.
    pub service_object: Vec<String>,
    pub legal_limit_days: f64,
    pub promised_limit_days: f64,
    /// 即办: done on the spot.
    pub instant: bool,
    pub conditions: String,
    pub steps: Vec<String>,
    pub visits: u8,
    /// `none`, `partial` or `full`.
    pub online: String,
    pub online_depth: u8,
    pub bookable: bool,
    pub halls: Vec<String>,
    pub windows: Vec<String>,
    /// `all`, `model` or `none`.
    pub stations: String,
    pub legal_basis: Vec<String>,
    pub result: String,
    pub version: u32,
    pub effective_from: chrono::NaiveDate,
    pub fees: Vec<Fee>,
    pub faqs: Vec<Faq>,
    pub materials: Vec<Material>,
    /// The fields of the application form; empty for the standard form of its service object
    /// ([`Item::form_fields`]).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub form: Vec<FormField>,
    /// 秒批: approved by the machine when every check of an application passes.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub instant_approval: bool,
    /// A bundle (一件事) starts one sub-case for each of these items, in parallel.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub bundle: Vec<String>,
}

/// The kinds of form field.
pub const FIELD_KINDS: [&str; 7] = [
    "text",
    "number",
    "date",
    "id_number",
    "credit_code",
    "mobile",
    "choice",
];

/// A field of an item's application form.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FormField {
    /// ASCII, e.g. `applicant_name`.
    pub key: String,
    pub label: String,
    /// One of [`FIELD_KINDS`].
    pub kind: String,
    #[serde(default)]
    pub required: bool,
    /// Bounds of a number; a date's earliest and latest are not bounded here.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub min: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max: Option<f64>,
    /// The values of a choice.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub options: Vec<String>,
    /// A date that must not have passed (a licence's or an ID card's validity).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub expires: bool,
    /// Must equal the applicant's name (the consistency check).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub applicant_name: bool,
}

impl FormField {
    fn new(key: &str, label: &str, kind: &str) -> Self {
        Self {
            key: key.into(),
            label: label.into(),
            kind: kind.into(),
            required: true,
            min: None,
            max: None,
            options: Vec::new(),
            expires: false,
            applicant_name: false,
        }
    }
}

/// The standard form of a citizen's application: name, ID number and its validity, mobile.
pub fn citizen_form() -> Vec<FormField> {
    vec![
        FormField {
            applicant_name: true,
            ..FormField::new("applicant_name", "申请人姓名", "text")
        },
        FormField::new("id_number", "公民身份号码", "id_number"),
        FormField {
            expires: true,
            required: false,
            ..FormField::new("id_valid_until", "身份证有效期至", "date")
        },
        FormField::new("mobile", "联系电话", "mobile"),
    ]
}

/// The standard form of an enterprise's application: its name and credit code, the legal
/// representative and a mobile.
pub fn enterprise_form() -> Vec<FormField> {
    vec![
        FormField {
            applicant_name: true,
            ..FormField::new("applicant_name", "单位名称", "text")
        },
        FormField::new("credit_code", "统一社会信用代码", "credit_code"),
        FormField::new("legal_rep", "法定代表人", "text"),
        FormField::new("id_number", "法定代表人身份号码", "id_number"),
        FormField::new("mobile", "联系电话", "mobile"),
    ]
}

/// What is wrong with an item, for the person who wrote it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{code}: {field}: {message}")]
pub struct ItemError {
    pub code: String,
    pub field: &'static str,
    pub message: String,
}

impl Item {
    /// Checks the item on its own (references to the organisation are the store's to check).
    pub fn check(&self) -> Result<(), ItemError> {
        let err = |field, message: String| {
            Err(ItemError {
                code: self.code.clone(),
                field,
                message,
            })
        };
        if self.code.is_empty() || !self.code.is_ascii() || self.code.len() > 60 {
            return err("code", "code_format".into());
        }
        if self.name.trim().is_empty() {
            return err("name", "empty".into());
        }
        if !ITEM_TYPES.contains(&self.item_type.as_str()) {
            return err("item_type", format!("unknown:{}", self.item_type));
        }
        if self.service_object.is_empty()
            || !self
                .service_object
                .iter()
                .all(|o| o == "自然人" || o == "法人")
        {
            return err("service_object", "service_object".into());
        }
        if !(0.0..=3650.0).contains(&self.legal_limit_days)
            || !(0.0..=3650.0).contains(&self.promised_limit_days)
        {
            return err("promised_limit_days", "days_range".into());
        }
        if self.promised_limit_days > self.legal_limit_days && self.legal_limit_days > 0.0 {
            return err("promised_limit_days", "longer_than_legal".into());
        }
        if self.visits > 2 {
            return err("visits", "visits_range".into());
        }
        if !["none", "partial", "full"].contains(&self.online.as_str()) || self.online_depth > 4 {
            return err("online", "online_values".into());
        }
        if !["all", "model", "none"].contains(&self.stations.as_str()) {
            return err("stations", "stations_values".into());
        }
        if self.halls.is_empty() && self.stations == "none" {
            return err("halls", "offered_nowhere".into());
        }
        for m in &self.materials {
            if !["original", "copy", "electronic"].contains(&m.form.as_str())
                || !["applicant", "shared", "e_licence"].contains(&m.source.as_str())
            {
                return err("materials", format!("material_form_source:{}", m.name));
            }
            if !valid_link(&m.blank_form) || !valid_link(&m.sample) {
                return err("materials", format!("form_link:{}", m.name));
            }
            if let Some(c) = m
                .checks
                .iter()
                .find(|c| !MATERIAL_CHECKS.contains(&c.as_str()))
            {
                return err("materials", format!("unknown_check:{c}"));
            }
        }
        let mut keys = std::collections::HashSet::new();
        for f in &self.form {
            if f.key.is_empty()
                || f.key.len() > 40
                || !f
                    .key
                    .bytes()
                    .all(|b| b.is_ascii_lowercase() || b == b'_' || b.is_ascii_digit())
                || !keys.insert(f.key.as_str())
            {
                return err("form", format!("field_key:{}", f.key));
            }
            if f.label.trim().is_empty() || !FIELD_KINDS.contains(&f.kind.as_str()) {
                return err("form", format!("field_kind:{}", f.key));
            }
            if f.kind == "choice" && f.options.is_empty() {
                return err("form", format!("field_options:{}", f.key));
            }
            if let (Some(a), Some(b)) = (f.min, f.max)
                && a > b
            {
                return err("form", format!("field_range:{}", f.key));
            }
        }
        if self.bundle.iter().any(|c| c == &self.code) {
            return err("bundle", "bundle_self".into());
        }
        Ok(())
    }

    /// The fields of its application form: its own, or the standard form of its service
    /// object (the enterprise's when enterprises may apply, else the citizen's).
    pub fn form_fields(&self) -> Vec<FormField> {
        if !self.form.is_empty() {
            self.form.clone()
        } else if self.for_enterprises() {
            enterprise_form()
        } else {
            citizen_form()
        }
    }

    /// Whether a citizen may do it, and whether an enterprise may.
    pub fn for_citizens(&self) -> bool {
        self.service_object.iter().any(|o| o == "自然人")
    }

    pub fn for_enterprises(&self) -> bool {
        self.service_object.iter().any(|o| o == "法人")
    }
}
