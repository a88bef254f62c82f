use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "appeal_assignments")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub appeal_id: i64,
    pub unit_id: i64,
    pub role: String,
    pub part: String,
    pub assigned_at: DateTimeUtc,
    pub sign_due_on: Date,
    pub signed_at: Option<DateTimeUtc>,
    pub finished_at: Option<DateTimeUtc>,
    pub note: Option<String>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
