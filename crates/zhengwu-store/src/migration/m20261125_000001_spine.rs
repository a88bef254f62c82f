//! The spine: the organisation, its opening hours, the working-day calendar, the outbox.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum OrgUnits {
    Table,
    Id,
    Kind,
    ParentId,
    Path,
    Code,
    Name,
    ShortName,
    Address,
    Lat,
    Lon,
    HallKind,
    WindowKind,
    DepartmentId,
    IsModel,
    Population,
    Phone,
    Floor,
    CalendarMode,
    Active,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum OpeningHours {
    Table,
    Id,
    UnitId,
    Weekday,
    Opens,
    Closes,
}

#[derive(DeriveIden)]
enum OpeningExceptions {
    Table,
    Id,
    UnitId,
    Date,
    Opens,
    Closes,
    Note,
}

#[derive(DeriveIden)]
enum CalendarDays {
    Table,
    Date,
    WorkingDay,
    Name,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum Outbox {
    Table,
    Id,
    Sink,
    Topic,
    Payload,
    IdempotencyKey,
    Status,
    Attempts,
    NextAttemptAt,
    LockedUntil,
    LastError,
    CreatedAt,
    DeliveredAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create()
                .table(OrgUnits::Table)
                .col(big_pk_auto(OrgUnits::Id))
                .col(string_len(OrgUnits::Kind, 20))
                .col(big_integer_null(OrgUnits::ParentId))
                .col(string_len(OrgUnits::Path, 255))
                .col(string_len_uniq(OrgUnits::Code, 40))
                .col(string_len(OrgUnits::Name, 200))
                .col(string_len_null(OrgUnits::ShortName, 100))
                .col(string_len_null(OrgUnits::Address, 300))
                .col(double_null(OrgUnits::Lat))
                .col(double_null(OrgUnits::Lon))
                .col(string_len_null(OrgUnits::HallKind, 30))
                .col(string_len_null(OrgUnits::WindowKind, 20))
                .col(big_integer_null(OrgUnits::DepartmentId))
                .col(boolean(OrgUnits::IsModel).default(false))
                .col(integer_null(OrgUnits::Population))
                .col(string_len_null(OrgUnits::Phone, 40))
                .col(string_len_null(OrgUnits::Floor, 20))
                .col(string_len(OrgUnits::CalendarMode, 20).default("working_days"))
                .col(boolean(OrgUnits::Active).default(true))
                .col(timestamp_with_time_zone(OrgUnits::CreatedAt))
                .col(timestamp_with_time_zone(OrgUnits::UpdatedAt))
                .foreign_key(
                    ForeignKey::create()
                        .name("fk_org_units_parent")
                        .from(OrgUnits::Table, OrgUnits::ParentId)
                        .to(OrgUnits::Table, OrgUnits::Id)
                        .on_delete(ForeignKeyAction::Restrict),
                )
                .foreign_key(
                    ForeignKey::create()
                        .name("fk_org_units_department")
                        .from(OrgUnits::Table, OrgUnits::DepartmentId)
                        .to(OrgUnits::Table, OrgUnits::Id)
                        .on_delete(ForeignKeyAction::Restrict),
                )
                .to_owned(),
        )
        .await?;
        for (name, col) in [
            ("idx_org_units_parent", OrgUnits::ParentId),
            ("idx_org_units_path", OrgUnits::Path),
            ("idx_org_units_kind", OrgUnits::Kind),
        ] {
            m.create_index(
                Index::create()
                    .name(name)
                    .table(OrgUnits::Table)
                    .col(col)
                    .to_owned(),
            )
            .await?;
        }

        m.create_table(
            Table::create()
                .table(OpeningHours::Table)
                .col(big_pk_auto(OpeningHours::Id))
                .col(big_integer(OpeningHours::UnitId))
                .col(small_integer(OpeningHours::Weekday))
                .col(small_integer(OpeningHours::Opens))
                .col(small_integer(OpeningHours::Closes))
                .foreign_key(
                    ForeignKey::create()
                        .name("fk_opening_hours_unit")
                        .from(OpeningHours::Table, OpeningHours::UnitId)
                        .to(OrgUnits::Table, OrgUnits::Id)
                        .on_delete(ForeignKeyAction::Cascade),
                )
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("uq_opening_hours_unit_day_opens")
                .table(OpeningHours::Table)
                .col(OpeningHours::UnitId)
                .col(OpeningHours::Weekday)
                .col(OpeningHours::Opens)
                .unique()
                .to_owned(),
        )
        .await?;

        m.create_table(
            Table::create()
                .table(OpeningExceptions::Table)
                .col(big_pk_auto(OpeningExceptions::Id))
                .col(big_integer(OpeningExceptions::UnitId))
                .col(date(OpeningExceptions::Date))
                .col(small_integer_null(OpeningExceptions::Opens))
                .col(small_integer_null(OpeningExceptions::Closes))
                .col(string_len_null(OpeningExceptions::Note, 300))
                .foreign_key(
                    ForeignKey::create()
                        .name("fk_opening_exceptions_unit")
                        .from(OpeningExceptions::Table, OpeningExceptions::UnitId)
                        .to(OrgUnits::Table, OrgUnits::Id)
                        .on_delete(ForeignKeyAction::Cascade),
                )
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("idx_opening_exceptions_unit_date")
                .table(OpeningExceptions::Table)
                .col(OpeningExceptions::UnitId)
                .col(OpeningExceptions::Date)
                .to_owned(),
        )
        .await?;

        m.create_table(
            Table::create()
                .table(CalendarDays::Table)
                .col(date(CalendarDays::Date).primary_key())
                .col(boolean(CalendarDays::WorkingDay))
                .col(string_len(CalendarDays::Name, 100))
                .col(timestamp_with_time_zone(CalendarDays::UpdatedAt))
                .to_owned(),
        )
        .await?;

        m.create_table(
            Table::create()
                .table(Outbox::Table)
                .col(big_pk_auto(Outbox::Id))
                .col(string_len(Outbox::Sink, 40))
                .col(string_len(Outbox::Topic, 100))
                .col(text(Outbox::Payload))
                .col(string_len_uniq(Outbox::IdempotencyKey, 64))
                .col(string_len(Outbox::Status, 20))
                .col(integer(Outbox::Attempts).default(0))
                .col(timestamp_with_time_zone(Outbox::NextAttemptAt))
                .col(timestamp_with_time_zone_null(Outbox::LockedUntil))
                .col(text_null(Outbox::LastError))
                .col(timestamp_with_time_zone(Outbox::CreatedAt))
                .col(timestamp_with_time_zone_null(Outbox::DeliveredAt))
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("idx_outbox_due")
                .table(Outbox::Table)
                .col(Outbox::Status)
                .col(Outbox::NextAttemptAt)
                .to_owned(),
        )
        .await?;
        Ok(())
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        for t in [
            Outbox::Table.into_iden(),
            CalendarDays::Table.into_iden(),
            OpeningExceptions::Table.into_iden(),
            OpeningHours::Table.into_iden(),
            OrgUnits::Table.into_iden(),
        ] {
            m.drop_table(Table::drop().table(t).to_owned()).await?;
        }
        Ok(())
    }
}
