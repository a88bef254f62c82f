//! Lists as files: every list a supervisor sees can be downloaded as CSV (UTF-8 with a
//! byte-order mark, so spreadsheet programs read the Chinese right) and as XLSX.

use axum::http::header;
use axum::response::{IntoResponse, Response};
use rust_xlsxwriter::{Format, Workbook};

use crate::error::ApiError;

/// A list as a table of text: what a page shows, in the same words.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Table {
    pub headers: Vec<String>,
    pub rows: Vec<Vec<String>>,
}

/// The file formats a list downloads as.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FileFormat {
    Csv,
    Xlsx,
}

impl FileFormat {
    /// `red.csv` → (`red`, CSV); `None` for another extension.
    pub fn split(file: &str) -> Option<(&str, Self)> {
        let (stem, ext) = file.rsplit_once('.')?;
        match ext {
            "csv" => Some((stem, Self::Csv)),
            "xlsx" => Some((stem, Self::Xlsx)),
            _ => None,
        }
    }
}

fn internal(e: impl std::fmt::Display) -> ApiError {
    ApiError::internal(anyhow::anyhow!("{e}"))
}

/// The CSV bytes of a table.
pub fn csv_bytes(t: &Table) -> Result<Vec<u8>, ApiError> {
    let mut out = csv::Writer::from_writer(Vec::new());
    out.write_record(&t.headers).map_err(internal)?;
    for r in &t.rows {
        out.write_record(r).map_err(internal)?;
    }
    let body = out.into_inner().map_err(internal)?;
    let mut bytes = "\u{feff}".as_bytes().to_vec();
    bytes.extend(body);
    Ok(bytes)
}

/// The XLSX bytes of a table: one sheet named `sheet`, a bold frozen header row.
pub fn xlsx_bytes(t: &Table, sheet: &str) -> Result<Vec<u8>, ApiError> {
    let mut wb = Workbook::new();
    let bold = Format::new().set_bold();
    let ws = wb.add_worksheet();
    ws.set_name(sheet).map_err(internal)?;
    for (c, h) in t.headers.iter().enumerate() {
        let c = u16::try_from(c).map_err(internal)?;
        ws.write_string_with_format(0, c, h, &bold)
            .map_err(internal)?;
        ws.set_column_width(c, 18).map_err(internal)?;
    }
    ws.set_freeze_panes(1, 0).map_err(internal)?;
    for (r, row) in t.rows.iter().enumerate() {
        let r = u32::try_from(r + 1).map_err(internal)?;
        for (c, v) in row.iter().enumerate() {
            let c = u16::try_from(c).map_err(internal)?;
            ws.write_string(r, c, v).map_err(internal)?;
        }
    }
    wb.save_to_buffer().map_err(internal)
}

/// The table as a download named `{stem}.csv` or `{stem}.xlsx`.
pub fn respond(t: &Table, stem: &str, format: FileFormat) -> Result<Response, ApiError> {
    let (bytes, ct, ext) = match format {
        FileFormat::Csv => (csv_bytes(t)?, "text/csv; charset=utf-8", "csv"),
        FileFormat::Xlsx => (
            xlsx_bytes(t, stem)?,
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            "xlsx",
        ),
    };
    let name: String = stem
        .chars()
        .filter(|c| c.is_ascii_alphanumeric() || *c == '-')
        .collect();
    Ok((
        [
            (header::CONTENT_TYPE, ct.to_owned()),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"zhengwu-{name}.{ext}\""),
            ),
            (header::X_CONTENT_TYPE_OPTIONS, "nosniff".to_owned()),
        ],
        bytes,
    )
        .into_response())
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn both_formats_hold_the_rows() {
        let t = Table {
            headers: vec!["编号".into(), "事项".into()],
            rows: vec![vec!["BJ1".into(), "企业开办, \"一件事\"".into()]],
        };
        let csv = String::from_utf8(csv_bytes(&t).unwrap()).unwrap();
        assert!(csv.starts_with('\u{feff}'));
        assert!(csv.contains("\"企业开办, \"\"一件事\"\"\""), "{csv}");
        let x = xlsx_bytes(&t, "red").unwrap();
        assert!(x.starts_with(b"PK"));
        assert_eq!(FileFormat::split("red.csv"), Some(("red", FileFormat::Csv)));
        assert_eq!(FileFormat::split("red.pdf"), None);
    }
}
