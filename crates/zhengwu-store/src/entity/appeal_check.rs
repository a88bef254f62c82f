use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "appeal_checks")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub appeal_id: i64,
    pub kind: String,
    pub owner_unit_id: i64,
    pub created_at: DateTimeUtc,
    pub due_on: Date,
    pub done_at: Option<DateTimeUtc>,
    pub done_by: Option<String>,
    pub outcome: Option<String>,
    pub note: Option<String>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
