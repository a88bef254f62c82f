use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "supervision_notes")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub supervision_id: i64,
    pub at: DateTimeUtc,
    pub actor: String,
    pub note: String,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
