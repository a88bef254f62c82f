//! The queue (M1.2): item groups per site with their ticket prefix, counters, tickets
//! numbered per site, group and day, and the events of every ticket.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum QueueGroups {
    Table,
    Id,
    SiteId,
    Code,
    Name,
    Departments,
    LastDay,
    LastSeq,
}

#[derive(DeriveIden)]
enum QueueCounters {
    Table,
    Id,
    SiteId,
    WindowId,
    Name,
    Groups,
    Open,
    OpenedBy,
    OpenedAt,
}

#[derive(DeriveIden)]
enum QueueTickets {
    Table,
    Id,
    SiteId,
    GroupId,
    Day,
    Seq,
    Number,
    Priority,
    Status,
    CounterId,
    JoinedAt,
    CalledAt,
    StartedAt,
    FinishedAt,
    Outcome,
}

#[derive(DeriveIden)]
enum QueueEvents {
    Table,
    Id,
    TicketId,
    CounterId,
    Kind,
    At,
    Actor,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create()
                .table(QueueGroups::Table)
                .col(big_pk_auto(QueueGroups::Id))
                .col(big_integer(QueueGroups::SiteId))
                .col(string_len(QueueGroups::Code, 4))
                .col(string_len(QueueGroups::Name, 100))
                .col(text(QueueGroups::Departments))
                .col(date_null(QueueGroups::LastDay))
                .col(integer(QueueGroups::LastSeq).default(0))
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("uq_queue_groups_site_code")
                .table(QueueGroups::Table)
                .col(QueueGroups::SiteId)
                .col(QueueGroups::Code)
                .unique()
                .to_owned(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table(QueueCounters::Table)
                .col(big_pk_auto(QueueCounters::Id))
                .col(big_integer(QueueCounters::SiteId))
                .col(big_integer_null(QueueCounters::WindowId))
                .col(string_len(QueueCounters::Name, 100))
                .col(text(QueueCounters::Groups))
                .col(boolean(QueueCounters::Open).default(false))
                .col(string_len_null(QueueCounters::OpenedBy, 100))
                .col(timestamp_with_time_zone_null(QueueCounters::OpenedAt))
                .to_owned(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table(QueueTickets::Table)
                .col(big_pk_auto(QueueTickets::Id))
                .col(big_integer(QueueTickets::SiteId))
                .col(big_integer(QueueTickets::GroupId))
                .col(date(QueueTickets::Day))
                .col(integer(QueueTickets::Seq))
                .col(string_len(QueueTickets::Number, 12))
                .col(integer(QueueTickets::Priority))
                .col(string_len(QueueTickets::Status, 16))
                .col(big_integer_null(QueueTickets::CounterId))
                .col(timestamp_with_time_zone(QueueTickets::JoinedAt))
                .col(timestamp_with_time_zone_null(QueueTickets::CalledAt))
                .col(timestamp_with_time_zone_null(QueueTickets::StartedAt))
                .col(timestamp_with_time_zone_null(QueueTickets::FinishedAt))
                .col(string_len_null(QueueTickets::Outcome, 16))
                .foreign_key(
                    ForeignKey::create()
                        .name("fk_queue_tickets_group")
                        .from(QueueTickets::Table, QueueTickets::GroupId)
                        .to(QueueGroups::Table, QueueGroups::Id)
                        .on_delete(ForeignKeyAction::Cascade),
                )
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("uq_queue_tickets_number")
                .table(QueueTickets::Table)
                .col(QueueTickets::GroupId)
                .col(QueueTickets::Day)
                .col(QueueTickets::Seq)
                .unique()
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("idx_queue_tickets_waiting")
                .table(QueueTickets::Table)
                .col(QueueTickets::SiteId)
                .col(QueueTickets::Status)
                .col(QueueTickets::Priority)
                .col(QueueTickets::JoinedAt)
                .to_owned(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table(QueueEvents::Table)
                .col(big_pk_auto(QueueEvents::Id))
                .col(big_integer(QueueEvents::TicketId))
                .col(big_integer_null(QueueEvents::CounterId))
                .col(string_len(QueueEvents::Kind, 16))
                .col(timestamp_with_time_zone(QueueEvents::At))
                .col(string_len(QueueEvents::Actor, 100))
                .foreign_key(
                    ForeignKey::create()
                        .name("fk_queue_events_ticket")
                        .from(QueueEvents::Table, QueueEvents::TicketId)
                        .to(QueueTickets::Table, QueueTickets::Id)
                        .on_delete(ForeignKeyAction::Cascade),
                )
                .to_owned(),
        )
        .await?;
        Ok(())
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        for t in [
            QueueEvents::Table.into_iden(),
            QueueTickets::Table.into_iden(),
            QueueCounters::Table.into_iden(),
            QueueGroups::Table.into_iden(),
        ] {
            m.drop_table(Table::drop().table(t).to_owned()).await?;
        }
        Ok(())
    }
}
