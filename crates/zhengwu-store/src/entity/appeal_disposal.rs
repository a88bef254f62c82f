use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "appeal_disposals")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub appeal_id: i64,
    pub unit_id: i64,
    pub instruction: String,
    pub ordered_at: DateTimeUtc,
    pub ordered_by: String,
    pub action: Option<String>,
    pub cost_fen: Option<i64>,
    pub done_at: Option<DateTimeUtc>,
    pub owner_unit_id: Option<i64>,
    pub accountability: Option<String>,
    pub settled_at: Option<DateTimeUtc>,
    pub settled_by: Option<String>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
