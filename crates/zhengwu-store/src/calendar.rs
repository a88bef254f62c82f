//! The working-day calendar's table: seeded from the State Council notices on the first
//! migration, editable afterwards, read whole into a [`Calendar`].

use chrono::{NaiveDate, Utc};
use sea_orm::{ActiveModelTrait, ConnectionTrait, EntityTrait, PaginatorTrait, QueryOrder, Set};
use zhengwu_core::Calendar;
use zhengwu_core::calendar::SpecialDay;

use crate::Result;
use crate::audit::{self, Actor, NewEntry};
use crate::entity::calendar_day;
use serde_json::json;

/// Fills the table from the seed when it is empty; returns how many days were written.
pub async fn seed_if_empty(tx: &impl ConnectionTrait) -> Result<usize> {
    if calendar_day::Entity::find().count(tx).await? > 0 {
        return Ok(0);
    }
    let now = Utc::now();
    let rows: Vec<calendar_day::ActiveModel> = Calendar::china()
        .special_days()
        .map(|d| calendar_day::ActiveModel {
            date: Set(d.date),
            working_day: Set(d.working_day),
            name: Set(d.name),
            updated_at: Set(now),
        })
        .collect();
    let n = rows.len();
    // Chunks keep each statement under SQLite's limit on bound parameters.
    for chunk in rows.chunks(200) {
        calendar_day::Entity::insert_many(chunk.to_vec())
            .exec(tx)
            .await?;
    }
    Ok(n)
}

/// The calendar as the table holds it now.
pub async fn load(db: &impl ConnectionTrait) -> Result<Calendar> {
    let rows = calendar_day::Entity::find()
        .order_by_asc(calendar_day::Column::Date)
        .all(db)
        .await?;
    Ok(Calendar::from_days(rows.into_iter().map(|r| SpecialDay {
        date: r.date,
        working_day: r.working_day,
        name: r.name,
    })))
}

/// Sets one date's status (an administrator's correction, or next year's notice).
pub async fn set_day(tx: &impl ConnectionTrait, actor: &Actor, day: SpecialDay) -> Result<()> {
    let existing = calendar_day::Entity::find_by_id(day.date).one(tx).await?;
    audit::append(
        tx,
        NewEntry {
            actor,
            action: "calendar.set_day",
            record_type: "calendar_day",
            record_id: Some(day.date.to_string()),
            summary: json!({
                "before": existing.as_ref().map(|e| json!({"working_day": e.working_day, "name": e.name})),
                "after": {"working_day": day.working_day, "name": day.name},
            }),
        },
    )
    .await?;
    let model = calendar_day::ActiveModel {
        date: Set(day.date),
        working_day: Set(day.working_day),
        name: Set(day.name),
        updated_at: Set(Utc::now()),
    };
    if existing.is_some() {
        model.update(tx).await?;
    } else {
        model.insert(tx).await?;
    }
    Ok(())
}

/// Removes a date from the table: it follows the weekday rule again.
pub async fn clear_day(tx: &impl ConnectionTrait, actor: &Actor, date: NaiveDate) -> Result<bool> {
    let res = calendar_day::Entity::delete_by_id(date).exec(tx).await?;
    if res.rows_affected > 0 {
        audit::append(
            tx,
            NewEntry {
                actor,
                action: "calendar.clear_day",
                record_type: "calendar_day",
                record_id: Some(date.to_string()),
                summary: json!({}),
            },
        )
        .await?;
    }
    Ok(res.rows_affected > 0)
}
