//! Routing rules of appeals by topic and area: which unit leads (and which co-units help) for
//! a branch of the topic tree, in one sub-district or everywhere, and whether an appeal that
//! matches is dispatched at intake without waiting for the dispatcher.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum AppealRoutes {
    Table,
    Id,
    TopicPrefix,
    AreaCode,
    LeadCode,
    CoCodes,
    AutoDispatch,
    Note,
    UpdatedAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create()
                .table(AppealRoutes::Table)
                .col(big_pk_auto(AppealRoutes::Id))
                .col(string_len(AppealRoutes::TopicPrefix, 16))
                .col(string_len_null(AppealRoutes::AreaCode, 32))
                .col(string_len(AppealRoutes::LeadCode, 32))
                .col(text(AppealRoutes::CoCodes))
                .col(boolean(AppealRoutes::AutoDispatch).default(false))
                .col(string_len_null(AppealRoutes::Note, 200))
                .col(timestamp_with_time_zone(AppealRoutes::UpdatedAt))
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("uq_appeal_routes_topic_area")
                .table(AppealRoutes::Table)
                .col(AppealRoutes::TopicPrefix)
                .col(AppealRoutes::AreaCode)
                .unique()
                .to_owned(),
        )
        .await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.drop_table(Table::drop().table(AppealRoutes::Table).to_owned())
            .await
    }
}
