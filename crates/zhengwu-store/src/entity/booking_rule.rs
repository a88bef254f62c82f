use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "booking_rules")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub site_id: i64,
    pub group_id: i64,
    pub slot_minutes: i32,
    pub capacity: i32,
    pub horizon_days: i32,
    pub min_notice_minutes: i32,
    pub cancel_cutoff_minutes: i32,
    pub early_minutes: i32,
    pub late_minutes: i32,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
