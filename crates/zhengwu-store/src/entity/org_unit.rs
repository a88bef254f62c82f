use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "org_units")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub kind: String,
    pub parent_id: Option<i64>,
    /// The ids from the root down to this unit, `/1/4/17/`: descendants share the prefix.
    pub path: String,
    #[sea_orm(unique)]
    pub code: String,
    pub name: String,
    pub short_name: Option<String>,
    pub address: Option<String>,
    pub lat: Option<f64>,
    pub lon: Option<f64>,
    pub hall_kind: Option<String>,
    pub window_kind: Option<String>,
    pub department_id: Option<i64>,
    pub is_model: bool,
    pub population: Option<i32>,
    pub phone: Option<String>,
    pub floor: Option<String>,
    pub calendar_mode: String,
    pub active: bool,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
