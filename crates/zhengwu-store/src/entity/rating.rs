use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "service_ratings")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub ticket_id: Option<i64>,
    pub case_id: Option<i64>,
    pub site_id: i64,
    pub counter_id: Option<i64>,
    pub unit_id: i64,
    pub level: i16,
    pub reasons: String,
    pub comment: Option<String>,
    pub channel: String,
    pub created_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
