use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "appeal_knowledge")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub question: String,
    pub answer: String,
    pub topic_code: String,
    pub words: String,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
