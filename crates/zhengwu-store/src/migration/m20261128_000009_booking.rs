//! Appointments (M1.1, M2.5) and ratings (M1.5): booking rules per site and item group, slots
//! with their capacity and the count booked, appointments, urgent requests (急事急办), ratings
//! of finished services (好差评) and the rectification a bad one opens. A ticket remembers the
//! appointment it came from and carries a secret for its holder's links.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum BookingRules {
    Table,
    Id,
    SiteId,
    GroupId,
    SlotMinutes,
    Capacity,
    HorizonDays,
    MinNoticeMinutes,
    CancelCutoffMinutes,
    EarlyMinutes,
    LateMinutes,
}

#[derive(DeriveIden)]
enum BookingSlots {
    Table,
    Id,
    SiteId,
    GroupId,
    StartsAt,
    EndsAt,
    Capacity,
    Booked,
}

#[derive(DeriveIden)]
enum Appointments {
    Table,
    Id,
    Code,
    LinkToken,
    CitizenId,
    SiteId,
    GroupId,
    ItemCode,
    SlotId,
    StartsAt,
    EndsAt,
    Status,
    Channel,
    Mobile,
    Urgent,
    CreatedAt,
    CreatedBy,
    UpdatedAt,
    CheckedInAt,
    TicketId,
    RemindedDay,
    RemindedHour,
}

#[derive(DeriveIden)]
enum UrgentRequests {
    Table,
    Id,
    CitizenId,
    SiteId,
    ItemCode,
    Reason,
    Mobile,
    Status,
    CreatedAt,
    DecidedAt,
    DecidedBy,
    Decision,
    AppointmentId,
}

#[derive(DeriveIden)]
enum Ratings {
    Table,
    Id,
    TicketId,
    SiteId,
    CounterId,
    UnitId,
    Level,
    Reasons,
    Comment,
    Channel,
    CreatedAt,
}

#[derive(DeriveIden)]
enum Rectifications {
    Table,
    Id,
    RatingId,
    UnitId,
    SiteId,
    Status,
    DueOn,
    CreatedAt,
    ClosedAt,
    ClosedBy,
    Resolution,
}

#[derive(DeriveIden)]
enum QueueTickets {
    Table,
    AppointmentId,
    Token,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create()
                .table(BookingRules::Table)
                .col(big_pk_auto(BookingRules::Id))
                .col(big_integer(BookingRules::SiteId))
                .col(big_integer(BookingRules::GroupId))
                .col(integer(BookingRules::SlotMinutes))
                .col(integer(BookingRules::Capacity))
                .col(integer(BookingRules::HorizonDays))
                .col(integer(BookingRules::MinNoticeMinutes))
                .col(integer(BookingRules::CancelCutoffMinutes))
                .col(integer(BookingRules::EarlyMinutes))
                .col(integer(BookingRules::LateMinutes))
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("uq_booking_rules_group")
                .table(BookingRules::Table)
                .col(BookingRules::GroupId)
                .unique()
                .to_owned(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table(BookingSlots::Table)
                .col(big_pk_auto(BookingSlots::Id))
                .col(big_integer(BookingSlots::SiteId))
                .col(big_integer(BookingSlots::GroupId))
                .col(timestamp_with_time_zone(BookingSlots::StartsAt))
                .col(timestamp_with_time_zone(BookingSlots::EndsAt))
                .col(integer(BookingSlots::Capacity))
                .col(integer(BookingSlots::Booked).default(0))
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("uq_booking_slots_group_start")
                .table(BookingSlots::Table)
                .col(BookingSlots::GroupId)
                .col(BookingSlots::StartsAt)
                .unique()
                .to_owned(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table(Appointments::Table)
                .col(big_pk_auto(Appointments::Id))
                .col(string_len(Appointments::Code, 8))
                .col(string_len(Appointments::LinkToken, 64))
                .col(big_integer(Appointments::CitizenId))
                .col(big_integer(Appointments::SiteId))
                .col(big_integer(Appointments::GroupId))
                .col(string_len(Appointments::ItemCode, 64))
                .col(big_integer_null(Appointments::SlotId))
                .col(timestamp_with_time_zone(Appointments::StartsAt))
                .col(timestamp_with_time_zone(Appointments::EndsAt))
                .col(string_len(Appointments::Status, 16))
                .col(string_len(Appointments::Channel, 16))
                .col(string_len(Appointments::Mobile, 11))
                .col(boolean(Appointments::Urgent).default(false))
                .col(timestamp_with_time_zone(Appointments::CreatedAt))
                .col(string_len(Appointments::CreatedBy, 100))
                .col(timestamp_with_time_zone(Appointments::UpdatedAt))
                .col(timestamp_with_time_zone_null(Appointments::CheckedInAt))
                .col(big_integer_null(Appointments::TicketId))
                .col(boolean(Appointments::RemindedDay).default(false))
                .col(boolean(Appointments::RemindedHour).default(false))
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("uq_appointments_code")
                .table(Appointments::Table)
                .col(Appointments::Code)
                .unique()
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("idx_appointments_citizen")
                .table(Appointments::Table)
                .col(Appointments::CitizenId)
                .col(Appointments::Status)
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("idx_appointments_site_start")
                .table(Appointments::Table)
                .col(Appointments::SiteId)
                .col(Appointments::StartsAt)
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("idx_appointments_status_start")
                .table(Appointments::Table)
                .col(Appointments::Status)
                .col(Appointments::StartsAt)
                .to_owned(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table(UrgentRequests::Table)
                .col(big_pk_auto(UrgentRequests::Id))
                .col(big_integer(UrgentRequests::CitizenId))
                .col(big_integer(UrgentRequests::SiteId))
                .col(string_len(UrgentRequests::ItemCode, 64))
                .col(text(UrgentRequests::Reason))
                .col(string_len(UrgentRequests::Mobile, 11))
                .col(string_len(UrgentRequests::Status, 16))
                .col(timestamp_with_time_zone(UrgentRequests::CreatedAt))
                .col(timestamp_with_time_zone_null(UrgentRequests::DecidedAt))
                .col(string_len_null(UrgentRequests::DecidedBy, 100))
                .col(text_null(UrgentRequests::Decision))
                .col(big_integer_null(UrgentRequests::AppointmentId))
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("idx_urgent_requests_site")
                .table(UrgentRequests::Table)
                .col(UrgentRequests::SiteId)
                .col(UrgentRequests::Status)
                .to_owned(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table(Ratings::Table)
                .col(big_pk_auto(Ratings::Id))
                .col(big_integer(Ratings::TicketId))
                .col(big_integer(Ratings::SiteId))
                .col(big_integer_null(Ratings::CounterId))
                .col(big_integer(Ratings::UnitId))
                .col(small_integer(Ratings::Level))
                .col(text(Ratings::Reasons))
                .col(text_null(Ratings::Comment))
                .col(string_len(Ratings::Channel, 16))
                .col(timestamp_with_time_zone(Ratings::CreatedAt))
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("uq_ratings_ticket")
                .table(Ratings::Table)
                .col(Ratings::TicketId)
                .unique()
                .to_owned(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table(Rectifications::Table)
                .col(big_pk_auto(Rectifications::Id))
                .col(big_integer(Rectifications::RatingId))
                .col(big_integer(Rectifications::UnitId))
                .col(big_integer(Rectifications::SiteId))
                .col(string_len(Rectifications::Status, 16))
                .col(date(Rectifications::DueOn))
                .col(timestamp_with_time_zone(Rectifications::CreatedAt))
                .col(timestamp_with_time_zone_null(Rectifications::ClosedAt))
                .col(string_len_null(Rectifications::ClosedBy, 100))
                .col(text_null(Rectifications::Resolution))
                .to_owned(),
        )
        .await?;
        m.alter_table(
            Table::alter()
                .table(QueueTickets::Table)
                .add_column(big_integer_null(QueueTickets::AppointmentId))
                .to_owned(),
        )
        .await?;
        m.alter_table(
            Table::alter()
                .table(QueueTickets::Table)
                .add_column(string_len_null(QueueTickets::Token, 32))
                .to_owned(),
        )
        .await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        for c in [QueueTickets::Token, QueueTickets::AppointmentId] {
            m.alter_table(
                Table::alter()
                    .table(QueueTickets::Table)
                    .drop_column(c)
                    .to_owned(),
            )
            .await?;
        }
        for t in [
            Rectifications::Table.into_iden(),
            Ratings::Table.into_iden(),
            UrgentRequests::Table.into_iden(),
            Appointments::Table.into_iden(),
            BookingSlots::Table.into_iden(),
            BookingRules::Table.into_iden(),
        ] {
            m.drop_table(Table::drop().table(t).to_owned()).await?;
        }
        Ok(())
    }
}
