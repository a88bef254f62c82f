use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "assist_requests")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub number: String,
    pub name: String,
    pub mobile: String,
    pub matter: String,
    pub status: String,
    pub owner_id: Option<i64>,
    pub owner_label: Option<String>,
    pub due_on: Option<Date>,
    pub taken_at: Option<DateTimeUtc>,
    pub resolution: Option<String>,
    pub resolved_at: Option<DateTimeUtc>,
    pub case_id: Option<i64>,
    pub created_at: DateTimeUtc,
    pub created_by: String,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
