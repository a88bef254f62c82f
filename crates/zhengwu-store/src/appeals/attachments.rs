//! Files a caller attaches to an appeal — photos and scans (JPEG, PNG, WebP, PDF), their type
//! read from the content, at most 5 MB each and 5 to an appeal, kept once per appeal by their
//! SHA-256. Taken in with the appeal in one transaction, so no file is ever left without its
//! appeal.

use chrono::{DateTime, Utc};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, PaginatorTrait, QueryFilter,
    QueryOrder, QuerySelect, Set,
};
use serde::Serialize;
use serde_json::json;
use utoipa::ToSchema;
use zhengwu_core::files::{self, PHOTOS_AND_PDF};

use super::locked;
use crate::audit::{self, Actor, NewEntry};
use crate::entity::appeal_attachment;
use crate::{Result, StoreError};

/// The largest attachment.
pub const MAX_BYTES: usize = 5 * 1024 * 1024;
/// The most attachments an appeal takes.
pub const MAX_PER_APPEAL: u64 = 5;

/// An attachment without its bytes.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct Attachment {
    pub id: i64,
    pub file_name: String,
    pub content_type: String,
    pub size: i64,
    pub sha256: String,
    pub uploaded_at: DateTime<Utc>,
}

type Row = (i64, String, String, i64, String, DateTime<Utc>);

fn view(r: Row) -> Attachment {
    let (id, file_name, content_type, size, sha256, uploaded_at) = r;
    Attachment {
        id,
        file_name,
        content_type,
        size,
        sha256,
        uploaded_at,
    }
}

/// Attaches a file to an appeal (the same bytes twice are kept once).
pub async fn add(
    tx: &impl ConnectionTrait,
    appeal_id: i64,
    name: &str,
    bytes: &[u8],
    now: DateTime<Utc>,
    actor: &Actor,
) -> Result<Attachment> {
    let name =
        files::clean_name(name).ok_or_else(|| StoreError::invalid("file_name", "length:1-120"))?;
    let kind = files::check_upload(&name, bytes, &PHOTOS_AND_PDF, MAX_BYTES)
        .map_err(|e| StoreError::invalid("file", e.to_string()))?;
    locked(tx, appeal_id).await?;
    let sha256 = zhengwu_core::secret::sha256_hex(bytes);
    if let Some(m) = appeal_attachment::Entity::find()
        .filter(appeal_attachment::Column::AppealId.eq(appeal_id))
        .filter(appeal_attachment::Column::Sha256.eq(&sha256))
        .one(tx)
        .await?
    {
        return Ok(view((
            m.id,
            m.file_name,
            m.content_type,
            m.size,
            m.sha256,
            m.uploaded_at,
        )));
    }
    let count = appeal_attachment::Entity::find()
        .filter(appeal_attachment::Column::AppealId.eq(appeal_id))
        .count(tx)
        .await?;
    if count >= MAX_PER_APPEAL {
        return Err(StoreError::invalid(
            "file",
            format!("too_many_files:{MAX_PER_APPEAL}"),
        ));
    }
    let m = appeal_attachment::ActiveModel {
        appeal_id: Set(appeal_id),
        file_name: Set(name),
        content_type: Set(kind.mime.to_owned()),
        size: Set(i64::try_from(bytes.len()).unwrap_or(i64::MAX)),
        sha256: Set(sha256),
        bytes: Set(bytes.to_vec()),
        uploaded_at: Set(now),
        uploaded_by: Set(actor.label.chars().take(100).collect()),
        ..Default::default()
    }
    .insert(tx)
    .await?;
    audit::append(
        tx,
        NewEntry {
            actor,
            action: "appeal.attach",
            record_type: "appeal",
            record_id: Some(appeal_id.to_string()),
            summary: json!({"attachment": m.id, "file_name": m.file_name, "size": m.size, "sha256": m.sha256}),
        },
    )
    .await?;
    Ok(view((
        m.id,
        m.file_name,
        m.content_type,
        m.size,
        m.sha256,
        m.uploaded_at,
    )))
}

/// An appeal's attachments, oldest first, without their bytes.
pub async fn list(db: &impl ConnectionTrait, appeal_id: i64) -> Result<Vec<Attachment>> {
    let rows: Vec<Row> = appeal_attachment::Entity::find()
        .select_only()
        .columns([
            appeal_attachment::Column::Id,
            appeal_attachment::Column::FileName,
            appeal_attachment::Column::ContentType,
            appeal_attachment::Column::Size,
            appeal_attachment::Column::Sha256,
            appeal_attachment::Column::UploadedAt,
        ])
        .filter(appeal_attachment::Column::AppealId.eq(appeal_id))
        .order_by_asc(appeal_attachment::Column::Id)
        .into_tuple()
        .all(db)
        .await?;
    Ok(rows.into_iter().map(view).collect())
}

/// One attachment of an appeal with its bytes.
pub async fn get(
    db: &impl ConnectionTrait,
    appeal_id: i64,
    id: i64,
) -> Result<(Attachment, Vec<u8>)> {
    let m = appeal_attachment::Entity::find_by_id(id)
        .filter(appeal_attachment::Column::AppealId.eq(appeal_id))
        .one(db)
        .await?
        .ok_or_else(|| StoreError::not_found("attachment", id))?;
    Ok((
        view((
            m.id,
            m.file_name,
            m.content_type,
            m.size,
            m.sha256,
            m.uploaded_at,
        )),
        m.bytes,
    ))
}
