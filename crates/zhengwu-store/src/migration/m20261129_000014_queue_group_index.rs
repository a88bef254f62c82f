//! The tickets waiting in a group, in calling order, found by an index: each call looks for
//! the ticket that now has three ahead of it (the "your turn is near" notice), which without
//! it read every ticket ever issued.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum QueueTickets {
    Table,
    GroupId,
    Status,
    Priority,
    JoinedAt,
}

const NAME: &str = "idx_queue_tickets_group_waiting";

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_index(
            Index::create()
                .name(NAME)
                .table(QueueTickets::Table)
                .col(QueueTickets::GroupId)
                .col(QueueTickets::Status)
                .col(QueueTickets::Priority)
                .col(QueueTickets::JoinedAt)
                .to_owned(),
        )
        .await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.drop_index(
            Index::drop()
                .name(NAME)
                .table(QueueTickets::Table)
                .to_owned(),
        )
        .await
    }
}
