use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "appeal_routes")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub topic_prefix: String,
    pub area_code: Option<String>,
    pub lead_code: String,
    pub co_codes: String,
    pub auto_dispatch: bool,
    pub note: Option<String>,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
