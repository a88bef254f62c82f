//! Cases (办件, issue 7): a case per application with its form, materials, uploaded files,
//! the results of its machine checks and its time line; the 痛快办 queue of residents' stuck
//! matters; and ratings that belong to a case instead of a queue ticket (one ratings domain).

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

#[derive(DeriveMigrationName)]
pub struct Migration;
#[derive(DeriveIden)]
enum Cases {
    Table,
    Id,
    Number,
    ItemCode,
    ItemVersion,
    ItemName,
    DepartmentId,
    HallId,
    Channel,
    ApplicantKind,
    CitizenId,
    EnterpriseId,
    ApplicantName,
    ApplicantMobile,
    AgentId,
    AgentLabel,
    Authorisation,
    Form,
    Status,
    Revision,
    ParentId,
    Missing,
    SubmittedAt,
    AcceptedAt,
    DueAt,
    PausedSeconds,
    PausedSince,
    DecidedAt,
    DecisionNote,
    LegalBasis,
    InstantRule,
    ResultReadyAt,
    HandedOutAt,
    HandOutWay,
    ClosedAt,
    Reviewer,
    Warned,
    GiftPack,
    CreatedBy,
    UpdatedAt,
}
#[derive(DeriveIden)]
enum CaseMaterials {
    Table,
    Id,
    CaseId,
    Idx,
    Name,
    Provided,
    FileId,
    Reference,
    UpdatedAt,
}
#[derive(DeriveIden)]
enum CaseFiles {
    Table,
    Id,
    CaseId,
    MaterialIdx,
    FileName,
    ContentType,
    Size,
    Sha256,
    Bytes,
    UploadedAt,
    UploadedBy,
}
#[derive(DeriveIden)]
enum CaseChecks {
    Table,
    Id,
    CaseId,
    Run,
    Target,
    CheckName,
    Outcome,
    Detail,
    At,
}
#[derive(DeriveIden)]
enum CaseEvents {
    Table,
    Id,
    CaseId,
    Kind,
    At,
    Actor,
    Note,
}
#[derive(DeriveIden)]
enum AssistRequests {
    Table,
    Id,
    Number,
    Name,
    Mobile,
    Matter,
    Status,
    OwnerId,
    OwnerLabel,
    DueOn,
    TakenAt,
    Resolution,
    ResolvedAt,
    CaseId,
    CreatedAt,
    CreatedBy,
}
#[derive(DeriveIden)]
enum Ratings {
    Table,
}
#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create()
                .table(Cases::Table)
                .col(big_pk_auto(Cases::Id))
                .col(string_len(Cases::Number, 32))
                .col(string_len(Cases::ItemCode, 60))
                .col(integer(Cases::ItemVersion))
                .col(string_len(Cases::ItemName, 200))
                .col(big_integer(Cases::DepartmentId))
                .col(big_integer_null(Cases::HallId))
                .col(string_len(Cases::Channel, 16))
                .col(string_len(Cases::ApplicantKind, 16))
                .col(big_integer_null(Cases::CitizenId))
                .col(big_integer_null(Cases::EnterpriseId))
                .col(string_len(Cases::ApplicantName, 200))
                .col(string_len_null(Cases::ApplicantMobile, 20))
                .col(big_integer_null(Cases::AgentId))
                .col(string_len_null(Cases::AgentLabel, 100))
                .col(text_null(Cases::Authorisation))
                .col(text(Cases::Form))
                .col(string_len(Cases::Status, 16))
                .col(big_integer(Cases::Revision))
                .col(big_integer_null(Cases::ParentId))
                .col(text_null(Cases::Missing))
                .col(timestamp_with_time_zone(Cases::SubmittedAt))
                .col(timestamp_with_time_zone_null(Cases::AcceptedAt))
                .col(timestamp_with_time_zone_null(Cases::DueAt))
                .col(big_integer(Cases::PausedSeconds))
                .col(timestamp_with_time_zone_null(Cases::PausedSince))
                .col(timestamp_with_time_zone_null(Cases::DecidedAt))
                .col(text_null(Cases::DecisionNote))
                .col(text_null(Cases::LegalBasis))
                .col(text_null(Cases::InstantRule))
                .col(timestamp_with_time_zone_null(Cases::ResultReadyAt))
                .col(timestamp_with_time_zone_null(Cases::HandedOutAt))
                .col(string_len_null(Cases::HandOutWay, 16))
                .col(timestamp_with_time_zone_null(Cases::ClosedAt))
                .col(string_len_null(Cases::Reviewer, 100))
                .col(small_integer(Cases::Warned))
                .col(text_null(Cases::GiftPack))
                .col(string_len(Cases::CreatedBy, 100))
                .col(timestamp_with_time_zone(Cases::UpdatedAt))
                .to_owned(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table(CaseMaterials::Table)
                .col(big_pk_auto(CaseMaterials::Id))
                .col(big_integer(CaseMaterials::CaseId))
                .col(integer(CaseMaterials::Idx))
                .col(string_len(CaseMaterials::Name, 200))
                .col(string_len(CaseMaterials::Provided, 16))
                .col(big_integer_null(CaseMaterials::FileId))
                .col(string_len_null(CaseMaterials::Reference, 200))
                .col(timestamp_with_time_zone(CaseMaterials::UpdatedAt))
                .to_owned(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table(CaseFiles::Table)
                .col(big_pk_auto(CaseFiles::Id))
                .col(big_integer(CaseFiles::CaseId))
                .col(integer(CaseFiles::MaterialIdx))
                .col(string_len(CaseFiles::FileName, 200))
                .col(string_len(CaseFiles::ContentType, 100))
                .col(big_integer(CaseFiles::Size))
                .col(string_len(CaseFiles::Sha256, 64))
                .col(blob(CaseFiles::Bytes))
                .col(timestamp_with_time_zone(CaseFiles::UploadedAt))
                .col(string_len(CaseFiles::UploadedBy, 100))
                .to_owned(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table(CaseChecks::Table)
                .col(big_pk_auto(CaseChecks::Id))
                .col(big_integer(CaseChecks::CaseId))
                .col(integer(CaseChecks::Run))
                .col(string_len(CaseChecks::Target, 200))
                .col(string_len(CaseChecks::CheckName, 40))
                .col(string_len(CaseChecks::Outcome, 16))
                .col(string_len(CaseChecks::Detail, 200))
                .col(timestamp_with_time_zone(CaseChecks::At))
                .to_owned(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table(CaseEvents::Table)
                .col(big_pk_auto(CaseEvents::Id))
                .col(big_integer(CaseEvents::CaseId))
                .col(string_len(CaseEvents::Kind, 32))
                .col(timestamp_with_time_zone(CaseEvents::At))
                .col(string_len(CaseEvents::Actor, 100))
                .col(text_null(CaseEvents::Note))
                .to_owned(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table(AssistRequests::Table)
                .col(big_pk_auto(AssistRequests::Id))
                .col(string_len(AssistRequests::Number, 32))
                .col(string_len(AssistRequests::Name, 100))
                .col(string_len(AssistRequests::Mobile, 20))
                .col(text(AssistRequests::Matter))
                .col(string_len(AssistRequests::Status, 16))
                .col(big_integer_null(AssistRequests::OwnerId))
                .col(string_len_null(AssistRequests::OwnerLabel, 100))
                .col(date_null(AssistRequests::DueOn))
                .col(timestamp_with_time_zone_null(AssistRequests::TakenAt))
                .col(text_null(AssistRequests::Resolution))
                .col(timestamp_with_time_zone_null(AssistRequests::ResolvedAt))
                .col(big_integer_null(AssistRequests::CaseId))
                .col(timestamp_with_time_zone(AssistRequests::CreatedAt))
                .col(string_len(AssistRequests::CreatedBy, 100))
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("uq_cases_number")
                .table(Cases::Table)
                .col(Cases::Number)
                .unique()
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("ix_cases_dept_status")
                .table(Cases::Table)
                .col(Cases::DepartmentId)
                .col(Cases::Status)
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("ix_cases_citizen")
                .table(Cases::Table)
                .col(Cases::CitizenId)
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("ix_cases_enterprise")
                .table(Cases::Table)
                .col(Cases::EnterpriseId)
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("ix_cases_parent")
                .table(Cases::Table)
                .col(Cases::ParentId)
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("ix_cases_status_due")
                .table(Cases::Table)
                .col(Cases::Status)
                .col(Cases::DueAt)
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("uq_case_materials")
                .table(CaseMaterials::Table)
                .col(CaseMaterials::CaseId)
                .col(CaseMaterials::Idx)
                .unique()
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("ix_case_files_case")
                .table(CaseFiles::Table)
                .col(CaseFiles::CaseId)
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("ix_case_checks_case")
                .table(CaseChecks::Table)
                .col(CaseChecks::CaseId)
                .col(CaseChecks::Run)
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("ix_case_events_case")
                .table(CaseEvents::Table)
                .col(CaseEvents::CaseId)
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("uq_assist_number")
                .table(AssistRequests::Table)
                .col(AssistRequests::Number)
                .unique()
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("ix_assist_status")
                .table(AssistRequests::Table)
                .col(AssistRequests::Status)
                .to_owned(),
        )
        .await?;
        ratings_for_cases(m).await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        for t in [
            AssistRequests::Table.into_iden(),
            CaseEvents::Table.into_iden(),
            CaseChecks::Table.into_iden(),
            CaseFiles::Table.into_iden(),
            CaseMaterials::Table.into_iden(),
            Cases::Table.into_iden(),
        ] {
            m.drop_table(Table::drop().table(t).to_owned()).await?;
        }
        Ok(())
    }
}

#[derive(DeriveIden)]
enum ServiceRatings {
    Table,
    Id,
    TicketId,
    CaseId,
    SiteId,
    CounterId,
    UnitId,
    Level,
    Reasons,
    Comment,
    Channel,
    CreatedAt,
}

/// Ratings of every service event (one domain): the queue ticket's or the case's, each rated
/// once. They move from `ratings` (tickets only, `ticket_id` required) to `service_ratings`
/// with their ids, so the rectifications that name them stay right. A new table rather than
/// an altered one: SQLite cannot make a column nullable, and renaming a table on a pooled
/// SQLite connection trips over the other connections' cached schema.
async fn ratings_for_cases(m: &SchemaManager<'_>) -> Result<(), DbErr> {
    m.create_table(
        Table::create()
            .table(ServiceRatings::Table)
            .col(big_pk_auto(ServiceRatings::Id))
            .col(big_integer_null(ServiceRatings::TicketId))
            .col(big_integer_null(ServiceRatings::CaseId))
            .col(big_integer(ServiceRatings::SiteId))
            .col(big_integer_null(ServiceRatings::CounterId))
            .col(big_integer(ServiceRatings::UnitId))
            .col(small_integer(ServiceRatings::Level))
            .col(text(ServiceRatings::Reasons))
            .col(text_null(ServiceRatings::Comment))
            .col(string_len(ServiceRatings::Channel, 16))
            .col(timestamp_with_time_zone(ServiceRatings::CreatedAt))
            .to_owned(),
    )
    .await?;
    let conn = m.get_connection();
    conn.execute_unprepared(
        "INSERT INTO service_ratings (id, ticket_id, site_id, counter_id, unit_id, level, \
         reasons, comment, channel, created_at) SELECT id, ticket_id, site_id, counter_id, \
         unit_id, level, reasons, comment, channel, created_at FROM ratings",
    )
    .await?;
    if m.get_database_backend() == sea_orm::DatabaseBackend::Postgres {
        // Rows copied with their ids leave the sequence behind them.
        conn.execute_unprepared(
            "SELECT setval(pg_get_serial_sequence('service_ratings', 'id'), \
             COALESCE((SELECT MAX(id) FROM service_ratings), 0) + 1, false)",
        )
        .await?;
    }
    m.drop_table(Table::drop().table(Ratings::Table).to_owned())
        .await?;
    for (name, col) in [
        ("uq_service_ratings_ticket", ServiceRatings::TicketId),
        ("uq_service_ratings_case", ServiceRatings::CaseId),
    ] {
        m.create_index(
            Index::create()
                .name(name)
                .table(ServiceRatings::Table)
                .col(col)
                .unique()
                .to_owned(),
        )
        .await?;
    }
    Ok(())
}
