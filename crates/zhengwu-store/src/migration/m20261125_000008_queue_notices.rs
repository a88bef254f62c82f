//! A ticket may carry a mobile number for its notices ("your turn is near", "called"), and
//! remembers that the first was sent.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum QueueTickets {
    Table,
    Mobile,
    NearNotified,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.alter_table(
            Table::alter()
                .table(QueueTickets::Table)
                .add_column(string_len_null(QueueTickets::Mobile, 11))
                .to_owned(),
        )
        .await?;
        m.alter_table(
            Table::alter()
                .table(QueueTickets::Table)
                .add_column(boolean(QueueTickets::NearNotified).default(false))
                .to_owned(),
        )
        .await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        for c in [QueueTickets::NearNotified, QueueTickets::Mobile] {
            m.alter_table(
                Table::alter()
                    .table(QueueTickets::Table)
                    .drop_column(c)
                    .to_owned(),
            )
            .await?;
        }
        Ok(())
    }
}
