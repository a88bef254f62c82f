//! A ticket keeps its number when it is transferred to another group: numbers are unique per
//! site and day (the prefix tells the group that issued it), not per current group.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum QueueTickets {
    Table,
    SiteId,
    Day,
    Number,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.drop_index(
            Index::drop()
                .name("uq_queue_tickets_number")
                .table(QueueTickets::Table)
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("uq_queue_tickets_site_day_number")
                .table(QueueTickets::Table)
                .col(QueueTickets::SiteId)
                .col(QueueTickets::Day)
                .col(QueueTickets::Number)
                .unique()
                .to_owned(),
        )
        .await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.drop_index(
            Index::drop()
                .name("uq_queue_tickets_site_day_number")
                .table(QueueTickets::Table)
                .to_owned(),
        )
        .await
    }
}
