//! The catalog as a file: JSON (the items whole) and XLSX (four sheets an administrator can
//! edit in a spreadsheet: 事项, 材料, 收费, 问答, joined by the item's code). Reading either
//! gives the items it holds and, for every row that is broken, the sheet, row and reason —
//! the caller decides whether to import the rest.

use std::collections::BTreeMap;
use std::io::Cursor;

use calamine::{Data, Reader, Xlsx};
use rust_xlsxwriter::{Format, Workbook};
use serde::Serialize;
use serde_json::{Map, Value, json};
use utoipa::ToSchema;
use zhengwu_core::catalog::Item;

pub const XLSX_TYPE: &str = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";

/// The format of an import.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Json,
    Xlsx,
}

impl Kind {
    pub fn from_content_type(ct: &str) -> Option<Self> {
        let base = ct.split(';').next().unwrap_or("").trim();
        match base {
            "application/json" => Some(Self::Json),
            XLSX_TYPE => Some(Self::Xlsx),
            _ => None,
        }
    }

    /// From a file name's extension (the console's upload).
    pub fn from_file_name(name: &str) -> Option<Self> {
        let lower = name.to_ascii_lowercase();
        if lower.ends_with(".json") {
            Some(Self::Json)
        } else if lower.ends_with(".xlsx") {
            Some(Self::Xlsx)
        } else {
            None
        }
    }
}

/// A row that could not be read or checked.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct RowError {
    /// The sheet (XLSX) or `items` (JSON).
    pub sheet: String,
    /// 1-based: the spreadsheet's row number, or the item's position in the JSON list.
    pub row: usize,
    pub code: String,
    pub field: String,
    pub message: String,
}

/// Where an item came from in the file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct At {
    pub sheet: String,
    pub row: usize,
}

impl At {
    fn new(sheet: &str, row: usize) -> Self {
        Self {
            sheet: sheet.to_owned(),
            row,
        }
    }

    pub fn error(&self, code: &str, field: &str, message: &str) -> RowError {
        RowError {
            sheet: self.sheet.clone(),
            row: self.row,
            code: code.to_owned(),
            field: field.to_owned(),
            message: message.to_owned(),
        }
    }
}

/// The JSON export.
pub fn to_json(items: &[Item]) -> anyhow::Result<Vec<u8>> {
    Ok(serde_json::to_vec_pretty(&json!({
        "format": "zhengwu-catalog",
        "version": 1,
        "exported_at": chrono::Utc::now().to_rfc3339(),
        "items": items,
    }))?)
}

/// How a column's cell holds its value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Cell {
    Text,
    /// A list joined by `；`.
    List,
    /// A list, one per line.
    Lines,
    /// 是 / 否.
    Bool,
    Number,
    /// A number, or empty for none.
    OptNumber,
}

type Col = (&'static str, &'static str, Cell);

const ITEM_COLS: &[Col] = &[
    ("实施编码", "code", Cell::Text),
    ("基本编码", "basic_code", Cell::Text),
    ("事项名称", "name", Cell::Text),
    ("别名", "aliases", Cell::List),
    ("事项类型", "item_type", Cell::Text),
    ("实施部门", "department", Cell::Text),
    ("服务对象", "service_object", Cell::List),
    ("法定时限（工作日）", "legal_limit_days", Cell::Number),
    ("承诺时限（工作日）", "promised_limit_days", Cell::Number),
    ("即办件", "instant", Cell::Bool),
    ("受理条件", "conditions", Cell::Text),
    ("办理流程", "steps", Cell::Lines),
    ("到现场次数", "visits", Cell::Number),
    ("网上办理", "online", Cell::Text),
    ("网办深度", "online_depth", Cell::Number),
    ("可预约", "bookable", Cell::Bool),
    ("办理大厅", "halls", Cell::List),
    ("办理窗口", "windows", Cell::List),
    ("驿站可办", "stations", Cell::Text),
    ("设定依据", "legal_basis", Cell::Lines),
    ("办理结果", "result", Cell::Text),
    ("版本", "version", Cell::Number),
    ("生效日期", "effective_from", Cell::Text),
    ("秒批", "instant_approval", Cell::Bool),
    ("一件事子事项", "bundle", Cell::List),
];

/// Columns a workbook written before they existed may lack.
const OPTIONAL_COLS: [&str; 2] = ["instant_approval", "bundle"];

const FORM_COLS: &[Col] = &[
    ("实施编码", "code", Cell::Text),
    ("字段", "key", Cell::Text),
    ("名称", "label", Cell::Text),
    ("类型", "kind", Cell::Text),
    ("必填", "required", Cell::Bool),
    ("最小值", "min", Cell::OptNumber),
    ("最大值", "max", Cell::OptNumber),
    ("选项", "options", Cell::List),
    ("不得过期", "expires", Cell::Bool),
    ("与申请人一致", "applicant_name", Cell::Bool),
];

const MATERIAL_COLS: &[Col] = &[
    ("实施编码", "code", Cell::Text),
    ("空白表格", "blank_form", Cell::Text),
    ("填写样例", "sample", Cell::Text),
    ("材料名称", "name", Cell::Text),
    ("必要", "required", Cell::Bool),
    ("需要的情形", "condition", Cell::Text),
    ("形式", "form", Cell::Text),
    ("份数", "copies", Cell::Number),
    ("来源", "source", Cell::Text),
    ("共享来源", "shared_from", Cell::Text),
    ("机器预审", "checks", Cell::List),
];

const FEE_COLS: &[Col] = &[
    ("实施编码", "code", Cell::Text),
    ("收费项目", "name", Cell::Text),
    ("收费标准", "standard", Cell::Text),
    ("收费依据", "basis", Cell::Text),
    ("可减免", "waivable", Cell::Bool),
];

const FAQ_COLS: &[Col] = &[
    ("实施编码", "code", Cell::Text),
    ("问题", "q", Cell::Text),
    ("答复", "a", Cell::Text),
];

const SHEETS: [(&str, &[Col]); 5] = [
    ("事项", ITEM_COLS),
    ("材料", MATERIAL_COLS),
    ("收费", FEE_COLS),
    ("问答", FAQ_COLS),
    ("表单", FORM_COLS),
];

fn cell_text(v: &Value, cell: Cell) -> String {
    match (cell, v) {
        (Cell::List, Value::Array(a)) | (Cell::Lines, Value::Array(a)) => a
            .iter()
            .map(|x| x.as_str().map_or_else(|| x.to_string(), str::to_owned))
            .collect::<Vec<_>>()
            .join(if cell == Cell::List { "；" } else { "\n" }),
        (Cell::Bool, Value::Bool(b)) => if *b { "是" } else { "否" }.to_owned(),
        (_, Value::String(s)) => s.clone(),
        (_, Value::Null) => String::new(),
        (_, other) => other.to_string(),
    }
}

/// The XLSX export.
pub fn to_xlsx(items: &[Item]) -> anyhow::Result<Vec<u8>> {
    let mut wb = Workbook::new();
    let bold = Format::new().set_bold();
    let wrap = Format::new().set_text_wrap();
    for (sheet, cols) in SHEETS {
        let ws = wb.add_worksheet();
        ws.set_name(sheet)?;
        for (c, (label, _, _)) in cols.iter().enumerate() {
            let c = u16::try_from(c)?;
            ws.write_string_with_format(0, c, *label, &bold)?;
            ws.set_column_width(c, if c == 0 { 22 } else { 18 })?;
        }
        ws.set_freeze_panes(1, 1)?;
        let mut r: u32 = 1;
        for item in items {
            let v = serde_json::to_value(item)?;
            let rows: Vec<Value> = match sheet {
                "事项" => vec![v],
                "材料" => v["materials"].as_array().cloned().unwrap_or_default(),
                "收费" => v["fees"].as_array().cloned().unwrap_or_default(),
                "表单" => v["form"].as_array().cloned().unwrap_or_default(),
                _ => v["faqs"].as_array().cloned().unwrap_or_default(),
            };
            for row in rows {
                for (c, (_, key, cell)) in cols.iter().enumerate() {
                    let c = u16::try_from(c)?;
                    let value = if *key == "code" {
                        Value::String(item.code.clone())
                    } else {
                        row[*key].clone()
                    };
                    match (cell, &value) {
                        (Cell::Number | Cell::OptNumber, Value::Number(n)) => {
                            ws.write_number(r, c, n.as_f64().unwrap_or_default())?;
                        }
                        _ => {
                            ws.write_string_with_format(r, c, cell_text(&value, *cell), &wrap)?;
                        }
                    }
                }
                r += 1;
            }
        }
    }
    Ok(wb.save_to_buffer()?)
}

/// Reads a file: the items in it, each with where it came from, and the broken rows.
pub fn parse(kind: Kind, body: &[u8]) -> (Vec<(At, Item)>, Vec<RowError>) {
    match kind {
        Kind::Json => parse_json(body),
        Kind::Xlsx => parse_xlsx(body),
    }
}

fn whole_file_error(sheet: &str, message: String) -> RowError {
    At::new(sheet, 0).error("", "file", &message)
}

fn parse_json(body: &[u8]) -> (Vec<(At, Item)>, Vec<RowError>) {
    let v: Value = match serde_json::from_slice(body) {
        Ok(v) => v,
        Err(e) => return (Vec::new(), vec![whole_file_error("items", e.to_string())]),
    };
    let list = match v {
        Value::Array(a) => a,
        Value::Object(mut o) => match o.remove("items") {
            Some(Value::Array(a)) => a,
            _ => {
                return (
                    Vec::new(),
                    vec![whole_file_error("items", "no \"items\" list".into())],
                );
            }
        },
        _ => {
            return (
                Vec::new(),
                vec![whole_file_error("items", "not a list of items".into())],
            );
        }
    };
    let mut items = Vec::new();
    let mut errors = Vec::new();
    for (i, v) in list.into_iter().enumerate() {
        let at = At::new("items", i + 1);
        let code = v["code"].as_str().unwrap_or("").to_owned();
        match serde_json::from_value::<Item>(v) {
            Ok(item) => items.push((at, item)),
            Err(e) => errors.push(at.error(&code, "item", &e.to_string())),
        }
    }
    (items, errors)
}

fn data_text(d: &Data) -> String {
    match d {
        Data::Empty => String::new(),
        Data::String(s) => s.trim().to_owned(),
        Data::Float(f) => {
            if f.fract() == 0.0 && f.abs() < 1e15 {
                format!("{}", *f as i64)
            } else {
                f.to_string()
            }
        }
        Data::Int(i) => i.to_string(),
        Data::Bool(b) => if *b { "是" } else { "否" }.to_owned(),
        Data::DateTime(dt) => dt
            .as_datetime()
            .map(|d| d.date().to_string())
            .unwrap_or_else(|| dt.to_string()),
        other => other.to_string(),
    }
}

/// A cell's value as JSON for `cell`, or why it cannot be one.
fn cell_value(d: &Data, cell: Cell) -> Result<Value, String> {
    let text = data_text(d);
    Ok(match cell {
        Cell::Text => Value::String(text),
        Cell::List | Cell::Lines => Value::Array(
            text.split(['；', ';', '\n'])
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .map(|s| Value::String(s.to_owned()))
                .collect(),
        ),
        Cell::Bool => match text.as_str() {
            "是" | "true" | "TRUE" | "1" | "Y" | "y" => Value::Bool(true),
            "否" | "false" | "FALSE" | "0" | "N" | "n" | "" => Value::Bool(false),
            _ => return Err(format!("“{text}” is not 是 or 否")),
        },
        Cell::OptNumber if text.is_empty() => Value::Null,
        Cell::Number | Cell::OptNumber => {
            let n: f64 = text
                .parse()
                .map_err(|_| format!("“{text}” is not a number"))?;
            if n.fract() == 0.0 {
                json!(n as i64)
            } else {
                json!(n)
            }
        }
    })
}

/// The rows of one sheet as JSON objects keyed by field, with their row numbers.
fn sheet_rows(
    wb: &mut Xlsx<Cursor<&[u8]>>,
    sheet: &str,
    cols: &[Col],
    errors: &mut Vec<RowError>,
) -> Vec<(usize, String, Map<String, Value>)> {
    let range = match wb.worksheet_range(sheet) {
        Ok(r) => r,
        Err(e) => {
            errors.push(whole_file_error(sheet, format!("sheet missing: {e}")));
            return Vec::new();
        }
    };
    let mut rows = range.rows();
    let Some(header) = rows.next() else {
        return Vec::new();
    };
    // Columns are found by their heading (Chinese label or field key), in any order.
    let mut index = Vec::new();
    for (label, key, cell) in cols {
        match header
            .iter()
            .position(|h| data_text(h) == *label || data_text(h) == *key)
        {
            Some(i) => index.push((i, *key, *cell)),
            None if OPTIONAL_COLS.contains(key) => {}
            None => errors.push(whole_file_error(sheet, format!("no column {label}"))),
        }
    }
    let mut out = Vec::new();
    for (n, row) in rows.enumerate() {
        let row_no = n + 2;
        if row.iter().all(|d| data_text(d).is_empty()) {
            continue;
        }
        let mut obj = Map::new();
        let mut code = String::new();
        let mut ok = true;
        for (i, key, cell) in &index {
            let d = row.get(*i).unwrap_or(&Data::Empty);
            if *key == "code" {
                code = data_text(d);
                continue;
            }
            match cell_value(d, *cell) {
                Ok(v) => {
                    obj.insert((*key).to_owned(), v);
                }
                Err(m) => {
                    errors.push(At::new(sheet, row_no).error(&code, key, &m));
                    ok = false;
                }
            }
        }
        if code.is_empty() {
            errors.push(At::new(sheet, row_no).error("", "code", "empty"));
            continue;
        }
        if ok {
            out.push((row_no, code, obj));
        }
    }
    out
}

fn parse_xlsx(body: &[u8]) -> (Vec<(At, Item)>, Vec<RowError>) {
    let mut errors = Vec::new();
    let mut wb: Xlsx<Cursor<&[u8]>> = match Xlsx::new(Cursor::new(body)) {
        Ok(wb) => wb,
        Err(e) => {
            return (
                Vec::new(),
                vec![whole_file_error(
                    "事项",
                    format!("not an XLSX workbook: {e}"),
                )],
            );
        }
    };
    let items = sheet_rows(&mut wb, "事项", ITEM_COLS, &mut errors);
    let mut children: BTreeMap<(&str, String), Vec<Value>> = BTreeMap::new();
    let mut child_rows: BTreeMap<(&str, String), Vec<usize>> = BTreeMap::new();
    // The sheet of forms is newer than the others: a workbook without it has standard forms.
    let has_forms = wb.sheet_names().iter().any(|n| n == "表单");
    for (sheet, cols, key) in [
        ("材料", MATERIAL_COLS, "materials"),
        ("收费", FEE_COLS, "fees"),
        ("问答", FAQ_COLS, "faqs"),
        ("表单", FORM_COLS, "form"),
    ] {
        if key == "form" && !has_forms {
            continue;
        }
        for (row, code, obj) in sheet_rows(&mut wb, sheet, cols, &mut errors) {
            children
                .entry((key, code.clone()))
                .or_default()
                .push(Value::Object(obj));
            child_rows.entry((key, code)).or_default().push(row);
        }
    }
    let codes: std::collections::HashSet<&str> = items.iter().map(|(_, c, _)| c.as_str()).collect();
    for ((key, code), rows) in &child_rows {
        if !codes.contains(code.as_str()) {
            let sheet = match *key {
                "materials" => "材料",
                "fees" => "收费",
                "form" => "表单",
                _ => "问答",
            };
            for r in rows {
                errors.push(At::new(sheet, *r).error(code, "code", "no such item on 事项"));
            }
        }
    }
    let mut out = Vec::new();
    for (row, code, mut obj) in items {
        obj.insert("code".into(), Value::String(code.clone()));
        for key in ["materials", "fees", "faqs", "form"] {
            let list = children.remove(&(key, code.clone())).unwrap_or_default();
            obj.insert(key.into(), Value::Array(list));
        }
        let at = At::new("事项", row);
        match serde_json::from_value::<Item>(Value::Object(obj)) {
            Ok(item) => out.push((at, item)),
            Err(e) => errors.push(at.error(&code, "item", &e.to_string())),
        }
    }
    (out, errors)
}

/// Name endings of materials that are forms to fill in.
const FORM_ENDINGS: [&str; 7] = [
    "表",
    "申请书",
    "承诺书",
    "委托书",
    "声明书",
    "协议书",
    "申报书",
];

/// The demo's blank form and filled sample of a material that is a form (see
/// [`zhengwu_store::demo::FormMaker`]): a one-sheet workbook with the fields an applicant
/// fills in, and the same filled in for a made-up applicant.
pub fn demo_forms(
    item: &Item,
    m: &zhengwu_core::catalog::Material,
) -> Option<zhengwu_store::demo::FormFiles> {
    if m.source != "applicant" || !FORM_ENDINGS.iter().any(|e| m.name.ends_with(e)) {
        return None;
    }
    let company = item.for_enterprises() && !item.for_citizens();
    let fields: [(&str, &str); 8] = if company {
        [
            ("单位名称", "大连星海智能科技有限公司"),
            ("统一社会信用代码", "91210231MA0Y7K8X2B"),
            ("法定代表人", "张伟"),
            ("经办人及联系电话", "李娜 13804110003"),
            ("住所", "辽宁省大连市高新区黄浦路 500 号"),
            ("申请事项", item.name.as_str()),
            ("申请内容", "（按实际情况写明申请的具体内容）"),
            ("签章及日期", "（加盖公章）2026 年 11 月 25 日"),
        ]
    } else {
        [
            ("申请人姓名", "王小明"),
            ("公民身份号码", "210211199001011234"),
            ("联系电话", "13904110002"),
            ("现住址", "辽宁省大连市高新区七贤岭街道 1 号"),
            ("户籍地址", "辽宁省大连市甘井子区"),
            ("申请事项", item.name.as_str()),
            ("申请理由", "（按实际情况写明申请理由）"),
            ("签名及日期", "王小明 2026 年 11 月 25 日"),
        ]
    };
    let sheet = |sample: bool| -> Option<Vec<u8>> {
        let mut wb = Workbook::new();
        let title = Format::new().set_bold().set_font_size(16);
        let label = Format::new()
            .set_bold()
            .set_border(rust_xlsxwriter::FormatBorder::Thin);
        let cell = Format::new()
            .set_border(rust_xlsxwriter::FormatBorder::Thin)
            .set_text_wrap();
        let ws = wb.add_worksheet();
        ws.set_name(if sample { "样例" } else { "表格" }).ok()?;
        ws.set_column_width(0, 22).ok()?;
        ws.set_column_width(1, 48).ok()?;
        ws.write_string_with_format(0, 0, &m.name, &title).ok()?;
        let note = if sample {
            "填写样例，仅供参考；信息均为虚构。"
        } else {
            "请用黑色签字笔填写，或电子填写后打印签字。"
        };
        ws.write_string(1, 0, note).ok()?;
        for (r, (l, v)) in fields.iter().enumerate() {
            let r = u32::try_from(r).ok()? + 3;
            ws.write_string_with_format(r, 0, *l, &label).ok()?;
            let value = if sample || *l == "申请事项" {
                *v
            } else {
                ""
            };
            ws.write_string_with_format(r, 1, value, &cell).ok()?;
            ws.set_row_height(r, 28).ok()?;
        }
        wb.save_to_buffer().ok()
    };
    let base: String = m
        .name
        .chars()
        .filter(|c| !"/\\\"<>?#%&".contains(*c))
        .collect();
    Some((
        (format!("{base}（空白）.xlsx"), sheet(false)?),
        (format!("{base}（样例）.xlsx"), sheet(true)?),
    ))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    fn demo() -> Vec<Item> {
        zhengwu_store::demo::catalog_items().unwrap()
    }

    #[test]
    fn both_formats_read_back_what_they_wrote() {
        let items = demo();
        let (back, errors) = parse(Kind::Json, &to_json(&items).unwrap());
        assert!(errors.is_empty(), "{errors:?}");
        assert_eq!(back.into_iter().map(|(_, i)| i).collect::<Vec<_>>(), items);
        let (back, errors) = parse(Kind::Xlsx, &to_xlsx(&items).unwrap());
        assert!(errors.is_empty(), "{errors:?}");
        assert_eq!(back.into_iter().map(|(_, i)| i).collect::<Vec<_>>(), items);
    }

    #[test]
    fn broken_rows_are_reported_with_sheet_and_row() {
        let (items, errors) = parse(Kind::Json, br#"{"items": [{"code": "X"}, 5]}"#);
        assert!(items.is_empty());
        assert_eq!(errors.len(), 2);
        assert_eq!((errors[0].row, errors[0].code.as_str()), (1, "X"));
        assert_eq!(errors[1].row, 2);
        let (_, errors) = parse(Kind::Json, b"not json");
        assert_eq!(errors[0].field, "file");
        let (_, errors) = parse(Kind::Xlsx, b"PK not a zip");
        assert_eq!(errors[0].field, "file");
    }
}
