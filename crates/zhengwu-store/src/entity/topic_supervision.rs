use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "topic_supervisions")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub topic_code: String,
    pub reason: String,
    pub count_in_window: i32,
    pub window_days: i32,
    pub owner_unit_id: i64,
    pub deadline: Date,
    pub listed_at: DateTimeUtc,
    pub listed_by: String,
    pub delisted_at: Option<DateTimeUtc>,
    pub delisted_by: Option<String>,
    pub result: Option<String>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
