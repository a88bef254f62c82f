use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "queue_tickets")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub site_id: i64,
    pub group_id: i64,
    pub day: Date,
    pub seq: i32,
    pub number: String,
    pub priority: i32,
    pub status: String,
    pub counter_id: Option<i64>,
    pub joined_at: DateTimeUtc,
    pub called_at: Option<DateTimeUtc>,
    pub started_at: Option<DateTimeUtc>,
    pub finished_at: Option<DateTimeUtc>,
    pub outcome: Option<String>,
    pub mobile: Option<String>,
    pub near_notified: bool,
    pub appointment_id: Option<i64>,
    pub token: Option<String>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
