//! Uploaded files: their type is read from their content (the magic number), never trusted
//! from the name; a name that claims another type is a forgery; a file cut short (a JPEG
//! without its end marker, a PNG without IEND, a PDF without `%%EOF`) is refused as corrupt.

/// A type of file an upload may be.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FileKind {
    pub mime: &'static str,
    pub ext: &'static str,
}

/// Photos and scans: JPEG, PNG, WebP and PDF.
pub const PHOTOS_AND_PDF: [FileKind; 4] = [
    FileKind {
        mime: "image/jpeg",
        ext: "jpg",
    },
    FileKind {
        mime: "image/png",
        ext: "png",
    },
    FileKind {
        mime: "image/webp",
        ext: "webp",
    },
    FileKind {
        mime: "application/pdf",
        ext: "pdf",
    },
];

/// A file name as stored: its last path part (browsers may send `C:\\fakepath\\…`), without
/// control or markup characters, trimmed; `None` when nothing or more than 120 characters is
/// left.
pub fn clean_name(name: &str) -> Option<String> {
    let n: String = name
        .rsplit(['/', '\\'])
        .next()
        .unwrap_or("")
        .chars()
        .filter(|c| !c.is_control() && !matches!(c, '"' | '<' | '>' | '?' | '#' | '%' | '&'))
        .collect::<String>()
        .trim()
        .to_owned();
    (!n.is_empty() && n.chars().count() <= 120).then_some(n)
}

/// Why an upload is refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FileError {
    #[error("file_empty")]
    Empty,
    /// Larger than `max` bytes (the message says it in MB).
    #[error("upload_size:{}", max / (1024 * 1024))]
    TooLarge { max: usize },
    /// The content is none of the allowed types.
    #[error("upload_type:{found}")]
    Type { found: String },
    /// The name says one allowed type, the content is another.
    #[error("file_forged:{claimed}")]
    Forged { claimed: String },
    #[error("file_corrupt")]
    Corrupt,
}

/// The kind of `bytes` among `allowed`, checked against the extension of `name` and for
/// truncation, within `max` bytes.
pub fn check_upload(
    name: &str,
    bytes: &[u8],
    allowed: &[FileKind],
    max: usize,
) -> Result<FileKind, FileError> {
    if bytes.is_empty() {
        return Err(FileError::Empty);
    }
    if bytes.len() > max {
        return Err(FileError::TooLarge { max });
    }
    let found = infer::get(bytes);
    let kind = found
        .and_then(|t| allowed.iter().find(|k| k.mime == t.mime_type()))
        .copied()
        .ok_or_else(|| FileError::Type {
            found: found.map_or("unknown", |t| t.extension()).to_owned(),
        })?;
    let ext = name
        .rsplit_once('.')
        .map(|(_, e)| e.to_ascii_lowercase())
        .unwrap_or_default();
    let ext = if ext == "jpeg" { "jpg".to_owned() } else { ext };
    // A name that names another type we know is a forgery; an unknown or missing
    // extension is only a name.
    let known = [
        "jpg", "png", "webp", "pdf", "gif", "bmp", "doc", "docx", "xls", "xlsx", "zip", "exe",
        "txt", "html", "htm",
    ];
    if known.contains(&ext.as_str()) && ext != kind.ext {
        return Err(FileError::Forged { claimed: ext });
    }
    let tail = &bytes[bytes.len().saturating_sub(1024)..];
    let whole = match kind.ext {
        "jpg" => bytes.ends_with(&[0xFF, 0xD9]) || tail.windows(2).any(|w| w == [0xFF, 0xD9]),
        "png" => tail.windows(4).any(|w| w == b"IEND"),
        "pdf" => tail.windows(5).any(|w| w == b"%%EOF"),
        "webp" => {
            bytes.len() >= 12
                && u32::from_le_bytes([bytes[4], bytes[5], bytes[6], bytes[7]]) as usize + 8
                    <= bytes.len()
        }
        _ => true,
    };
    if whole {
        Ok(kind)
    } else {
        Err(FileError::Corrupt)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MAX: usize = 1000;

    fn png() -> Vec<u8> {
        let mut v = vec![0x89, b'P', b'N', b'G', 0x0D, 0x0A, 0x1A, 0x0A];
        v.extend_from_slice(&[0, 0, 0, 13]);
        v.extend_from_slice(b"IHDR");
        v.extend_from_slice(&[0; 17]);
        v.extend_from_slice(&[0, 0, 0, 0]);
        v.extend_from_slice(b"IEND");
        v.extend_from_slice(&[0xAE, 0x42, 0x60, 0x82]);
        v
    }

    fn pdf() -> Vec<u8> {
        b"%PDF-1.4\n1 0 obj << >> endobj\ntrailer << >>\n%%EOF\n".to_vec()
    }

    #[test]
    fn names_keep_their_last_part_without_markup() {
        assert_eq!(
            clean_name("C:\\fakepath\\井盖.png").as_deref(),
            Some("井盖.png")
        );
        assert_eq!(clean_name("a/b/<x>.pdf").as_deref(), Some("x.pdf"));
        assert_eq!(clean_name("  "), None);
        assert_eq!(clean_name(&"长".repeat(121)), None);
    }

    #[test]
    fn types_come_from_the_content() {
        assert_eq!(
            check_upload("照片.png", &png(), &PHOTOS_AND_PDF, MAX)
                .unwrap()
                .mime,
            "image/png"
        );
        assert_eq!(
            check_upload("scan.PDF", &pdf(), &PHOTOS_AND_PDF, MAX)
                .unwrap()
                .ext,
            "pdf"
        );
        // A missing or unknown extension is only a name.
        assert_eq!(
            check_upload("scan", &pdf(), &PHOTOS_AND_PDF, MAX)
                .unwrap()
                .ext,
            "pdf"
        );
        assert_eq!(
            check_upload("a.bin", &png(), &PHOTOS_AND_PDF, MAX)
                .unwrap()
                .ext,
            "png"
        );
    }

    #[test]
    fn empty_large_foreign_forged_and_cut_files_are_refused() {
        assert_eq!(
            check_upload("a.png", &[], &PHOTOS_AND_PDF, MAX),
            Err(FileError::Empty)
        );
        assert_eq!(
            check_upload("a.png", &[0u8; 1001], &PHOTOS_AND_PDF, MAX),
            Err(FileError::TooLarge { max: 1000 })
        );
        assert_eq!(
            check_upload("a.txt", b"hello world", &PHOTOS_AND_PDF, MAX),
            Err(FileError::Type {
                found: "unknown".into()
            })
        );
        let zip = [
            b'P', b'K', 3, 4, 20, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
        ];
        assert!(matches!(
            check_upload("a.zip", &zip, &PHOTOS_AND_PDF, MAX),
            Err(FileError::Type { .. })
        ));
        // A PDF named as a photo.
        assert_eq!(
            check_upload("photo.jpg", &pdf(), &PHOTOS_AND_PDF, MAX),
            Err(FileError::Forged {
                claimed: "jpg".into()
            })
        );
        // Cut short.
        let p = pdf();
        assert_eq!(
            check_upload("a.pdf", &p[..20], &PHOTOS_AND_PDF, MAX),
            Err(FileError::Corrupt)
        );
        let g = png();
        assert_eq!(
            check_upload("a.png", &g[..30], &PHOTOS_AND_PDF, MAX),
            Err(FileError::Corrupt)
        );
        assert_eq!(
            FileError::Forged {
                claimed: "jpg".into()
            }
            .to_string(),
            "file_forged:jpg"
        );
    }
}
