use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "appeals")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub number: String,
    pub channel: String,
    pub kind: String,
    pub topic_code: String,
    pub content: String,
    pub address: Option<String>,
    pub lat: Option<f64>,
    pub lon: Option<f64>,
    pub caller_name: Option<String>,
    pub caller_mobile: Option<String>,
    pub urgent: bool,
    pub source: Option<String>,
    pub status: String,
    pub created_at: DateTimeUtc,
    pub created_by: String,
    pub due_on: Date,
    pub answer: Option<String>,
    pub reply: Option<String>,
    pub replied_at: Option<DateTimeUtc>,
    pub closed_at: Option<DateTimeUtc>,
    pub resolved: Option<bool>,
    pub satisfaction: Option<i16>,
    pub updated_at: DateTimeUtc,
    pub caller_email: Option<String>,
    pub media_url: Option<String>,
    pub open311_token: Option<String>,
    pub merged_into: Option<i64>,
    pub split_from: Option<i64>,
    pub stars: Option<i16>,
    pub star_note: Option<String>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
