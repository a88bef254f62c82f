//! Enterprise data, one column per input: `i64` values with an optional "known" mask (a missing
//! input is unknown, never zero). Lists (patents, employees …) are flattened: per-record offsets
//! into element columns.

use serde_json::Value as Json;

use crate::compile::{Program, Ty};
use crate::lexer::{NumLit, Tok, parse_literal};
use crate::value::{DEC_SCALE, parse_date};

/// One scalar column: values and, when some are unknown, a mask (`true` = known).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Column {
    /// Values (money in fen, decimals × 10⁶, dates as day numbers, enum indexes, 0/1).
    pub values: Vec<i64>,
    /// `None` when every value is known.
    pub known: Option<Vec<bool>>,
}

impl Column {
    /// A column where every value is known.
    pub fn known(values: Vec<i64>) -> Self {
        Self {
            values,
            known: None,
        }
    }
    /// Whether row `i` is known.
    pub fn is_known(&self, i: usize) -> bool {
        self.known
            .as_ref()
            .is_none_or(|k| k.get(i).copied().unwrap_or(false))
    }
}

/// A list input: element `j` of record `r` is at `offsets[r] + j` in the field columns.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct ListColumn {
    /// `len + 1` offsets, ascending.
    pub offsets: Vec<u32>,
    /// Whether each record's list is known at all (`None` = all known).
    pub known: Option<Vec<bool>>,
    /// One column per field of the list's element type, over all elements.
    pub fields: Vec<Column>,
}

/// The data for one input.
#[derive(Debug, Clone, PartialEq)]
pub enum InputData {
    /// A scalar input.
    Scalar(Column),
    /// A list input.
    List(ListColumn),
}

/// Data for a batch of enterprises, aligned with a program's inputs.
#[derive(Debug, Clone, PartialEq)]
pub struct Dataset {
    /// Number of records.
    pub len: usize,
    /// One entry per program input; `None` means unknown for every record.
    pub inputs: Vec<Option<InputData>>,
}

impl Dataset {
    /// A dataset of `len` records where every input is unknown.
    pub fn empty(program: &Program, len: usize) -> Self {
        Self {
            len,
            inputs: vec![None; program.inputs.len()],
        }
    }

    /// Sets a scalar input by name; checks the length.
    pub fn set(&mut self, program: &Program, name: &str, col: Column) -> Result<(), String> {
        let i = program
            .input_index(name)
            .ok_or_else(|| format!("未知输入 '{name}'"))?;
        if col.values.len() != self.len || col.known.as_ref().is_some_and(|k| k.len() != self.len) {
            return Err(format!("输入 '{name}' 的长度应为 {}", self.len));
        }
        if let Some(slot) = self.inputs.get_mut(i) {
            *slot = Some(InputData::Scalar(col));
        }
        Ok(())
    }

    /// Sets a list input by name; checks offsets and field count.
    pub fn set_list(
        &mut self,
        program: &Program,
        name: &str,
        list: ListColumn,
    ) -> Result<(), String> {
        let i = program
            .input_index(name)
            .ok_or_else(|| format!("未知输入 '{name}'"))?;
        let nfields = program.inputs.get(i).map_or(0, |x| x.fields.len());
        let total = list.offsets.last().copied().unwrap_or(0) as usize;
        let ok = list.offsets.len() == self.len + 1
            && list.offsets.first() == Some(&0)
            && list.offsets.windows(2).all(|w| w[0] <= w[1])
            && list.fields.len() == nfields
            && list.fields.iter().all(|f| f.values.len() == total);
        if !ok {
            return Err(format!("列表输入 '{name}' 的偏移或字段不一致"));
        }
        if let Some(slot) = self.inputs.get_mut(i) {
            *slot = Some(InputData::List(list));
        }
        Ok(())
    }

    /// Builds a dataset from JSON objects (one per enterprise). Missing keys and `null` are
    /// unknown. Money is a number of yuan or text with a unit (`"300万元"`); ratios a number or
    /// `"3%"`; dates `"YYYY-MM-DD"`; enumerations the value's name; lists arrays of objects.
    pub fn from_json(program: &Program, records: &[Json]) -> Result<Self, String> {
        let n = records.len();
        let mut ds = Dataset::empty(program, n);
        for (r, rec) in records.iter().enumerate() {
            let Json::Object(map) = rec else {
                return Err(format!("第 {} 条记录不是 JSON 对象", r + 1));
            };
            for key in map.keys() {
                if program.input_index(key).is_none() {
                    return Err(format!("未知输入 '{key}'(政策没有声明这个输入)"));
                }
            }
        }
        for (ii, input) in program.inputs.iter().enumerate() {
            if let Ty::List(_) = input.ty {
                let mut list = ListColumn {
                    offsets: vec![0],
                    known: Some(vec![true; n]),
                    fields: vec![Column::default(); input.fields.len()],
                };
                let mut any_unknown = false;
                for (r, rec) in records.iter().enumerate() {
                    match rec.get(&input.name) {
                        None | Some(Json::Null) => {
                            any_unknown = true;
                            if let Some(k) = list.known.as_mut().and_then(|k| k.get_mut(r)) {
                                *k = false;
                            }
                        }
                        Some(Json::Array(items)) => {
                            for item in items {
                                for (fi, (fname, fty)) in input.fields.iter().enumerate() {
                                    let v = item.get(fname);
                                    let parsed = match v {
                                        None | Some(Json::Null) => None,
                                        Some(v) => {
                                            Some(json_value(program, fty, v).map_err(|e| {
                                                format!("{}.{fname}: {e}", input.name)
                                            })?)
                                        }
                                    };
                                    if let Some(col) = list.fields.get_mut(fi) {
                                        push(col, parsed, items.len());
                                    }
                                }
                            }
                        }
                        Some(_) => return Err(format!("{}: 应为数组", input.name)),
                    }
                    let total = list.fields.first().map_or_else(
                        || {
                            list.offsets.last().copied().unwrap_or(0) as usize
                                + rec
                                    .get(&input.name)
                                    .and_then(Json::as_array)
                                    .map_or(0, Vec::len)
                        },
                        |c| c.values.len(),
                    );
                    list.offsets
                        .push(u32::try_from(total).map_err(|_| "列表过长".to_string())?);
                }
                if !any_unknown {
                    list.known = None;
                }
                // Field masks must cover all elements.
                let total = list.offsets.last().copied().unwrap_or(0) as usize;
                for col in &mut list.fields {
                    if let Some(k) = &mut col.known {
                        k.resize(total, true);
                    }
                }
                if let Some(slot) = ds.inputs.get_mut(ii) {
                    *slot = Some(InputData::List(list));
                }
            } else {
                let mut col = Column::default();
                let mut any = false;
                for rec in records {
                    let parsed = match rec.get(&input.name) {
                        None | Some(Json::Null) => None,
                        Some(v) => {
                            any = true;
                            Some(
                                json_value(program, &input.ty, v)
                                    .map_err(|e| format!("{}: {e}", input.name))?,
                            )
                        }
                    };
                    push(&mut col, parsed, n);
                }
                if any && let Some(slot) = ds.inputs.get_mut(ii) {
                    *slot = Some(InputData::Scalar(col));
                }
            }
        }
        Ok(ds)
    }
}

fn push(col: &mut Column, v: Option<i64>, _hint: usize) {
    let i = col.values.len();
    match v {
        Some(v) => {
            col.values.push(v);
            if let Some(k) = &mut col.known {
                k.push(true);
            }
        }
        None => {
            col.values.push(0);
            let k = col.known.get_or_insert_with(|| vec![true; i]);
            k.push(false);
        }
    }
}

/// Converts one JSON value to the runtime representation of type `ty`.
pub fn json_value(program: &Program, ty: &Ty, v: &Json) -> Result<i64, String> {
    match ty {
        Ty::Money => match v {
            Json::Number(n) => {
                let s = n.to_string();
                match parse_literal(&format!("{s}元")) {
                    Some(Tok::Num(NumLit::Money(f))) => Ok(f),
                    _ => Err(format!("金额 {s} 无效(最多两位小数)")),
                }
            }
            Json::String(s) => match parse_literal(s) {
                Some(Tok::Num(NumLit::Money(f))) => Ok(f),
                _ => Err(format!("'{s}' 不是金额(例如 300万元、1234.5元)")),
            },
            _ => Err("应为金额".into()),
        },
        Ty::Num | Ty::Ratio => match v {
            Json::Number(n) => match parse_literal(&n.to_string()) {
                Some(Tok::Num(NumLit::Number(x))) => Ok(x),
                _ => Err(format!("数 {n} 无效(最多六位小数)")),
            },
            Json::String(s) => match parse_literal(s) {
                Some(Tok::Num(NumLit::Number(x) | NumLit::Percent(x))) => Ok(x),
                _ => Err(format!("'{s}' 不是数")),
            },
            Json::Bool(_) => Err("应为数".into()),
            _ => Err("应为数".into()),
        },
        Ty::Date => match v {
            Json::String(s) => parse_date(s)
                .map(i64::from)
                .ok_or_else(|| format!("'{s}' 不是日期 YYYY-MM-DD")),
            _ => Err("应为日期 YYYY-MM-DD".into()),
        },
        Ty::Bool => match v {
            Json::Bool(b) => Ok(i64::from(*b)),
            Json::String(s) if matches!(s.as_str(), "是" | "yes" | "true") => Ok(1),
            Json::String(s) if matches!(s.as_str(), "否" | "no" | "false") => Ok(0),
            _ => Err("应为 true/false".into()),
        },
        Ty::Enum(e) => {
            let info = program.enums.get(*e).ok_or("枚举无效")?;
            match v {
                Json::String(s) => info
                    .variants
                    .iter()
                    .position(|x| x == s)
                    .map(|x| x as i64)
                    .ok_or_else(|| {
                        format!(
                            "'{s}' 不是 {} 的值(可选:{})",
                            info.name,
                            info.variants.join("、")
                        )
                    }),
                _ => Err(format!("应为 {} 的值", info.name)),
            }
        }
        Ty::List(_) | Ty::Table(..) | Ty::Error => Err("不支持的输入类型".into()),
    }
}

/// Formats a runtime value of type `ty` for people.
pub fn format_value(program: &Program, ty: &Ty, v: Option<i64>) -> String {
    let Some(v) = v else {
        return "未知".into();
    };
    match ty {
        Ty::Money => crate::value::format_money(v),
        Ty::Num => crate::value::format_decimal(v),
        Ty::Ratio => crate::value::format_percent(v),
        Ty::Date => i32::try_from(v).map_or_else(|_| v.to_string(), crate::value::format_date),
        Ty::Bool => if v != 0 { "是" } else { "否" }.into(),
        Ty::Enum(e) => program
            .enums
            .get(*e)
            .and_then(|x| usize::try_from(v).ok().and_then(|i| x.variants.get(i)))
            .cloned()
            .unwrap_or_else(|| v.to_string()),
        Ty::List(_) | Ty::Table(..) | Ty::Error => v.to_string(),
    }
}

/// A runtime value as JSON (money as yuan text with unit, ratios as numbers).
pub fn json_of_value(program: &Program, ty: &Ty, v: Option<i64>) -> Json {
    match v {
        None => Json::Null,
        Some(x) => match ty {
            Ty::Bool => Json::Bool(x != 0),
            Ty::Num | Ty::Ratio => serde_json::Number::from_f64(x as f64 / DEC_SCALE as f64)
                .map_or(Json::Null, Json::Number),
            _ => Json::String(format_value(program, ty, v)),
        },
    }
}
