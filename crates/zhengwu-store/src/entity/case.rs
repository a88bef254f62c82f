use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "cases")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub number: String,
    pub item_code: String,
    pub item_version: i32,
    pub item_name: String,
    pub department_id: i64,
    pub hall_id: Option<i64>,
    pub channel: String,
    pub applicant_kind: String,
    pub citizen_id: Option<i64>,
    pub enterprise_id: Option<i64>,
    pub applicant_name: String,
    pub applicant_mobile: Option<String>,
    pub agent_id: Option<i64>,
    pub agent_label: Option<String>,
    pub authorisation: Option<String>,
    pub form: String,
    pub status: String,
    pub revision: i64,
    pub parent_id: Option<i64>,
    pub missing: Option<String>,
    pub submitted_at: DateTimeUtc,
    pub accepted_at: Option<DateTimeUtc>,
    pub due_at: Option<DateTimeUtc>,
    pub paused_seconds: i64,
    pub paused_since: Option<DateTimeUtc>,
    pub decided_at: Option<DateTimeUtc>,
    pub decision_note: Option<String>,
    pub legal_basis: Option<String>,
    pub instant_rule: Option<String>,
    pub result_ready_at: Option<DateTimeUtc>,
    pub handed_out_at: Option<DateTimeUtc>,
    pub hand_out_way: Option<String>,
    pub closed_at: Option<DateTimeUtc>,
    pub reviewer: Option<String>,
    pub warned: i16,
    pub gift_pack: Option<String>,
    pub created_by: String,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
