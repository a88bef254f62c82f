//! Citizen appeals (12345, M4): the topic tree, the knowledge base for instant answers, the
//! appeals, each unit's assignment, and every event of an appeal.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum AppealTopics {
    Table,
    Id,
    Code,
    Name,
    ParentCode,
    Level,
    LeadCode,
    CoCodes,
    Kind,
    Words,
}

#[derive(DeriveIden)]
enum AppealKnowledge {
    Table,
    Id,
    Question,
    Answer,
    TopicCode,
    Words,
}

#[derive(DeriveIden)]
enum Appeals {
    Table,
    Id,
    Number,
    Channel,
    Kind,
    TopicCode,
    Content,
    Address,
    Lat,
    Lon,
    CallerName,
    CallerMobile,
    Urgent,
    Source,
    Status,
    CreatedAt,
    CreatedBy,
    DueOn,
    Answer,
    Reply,
    RepliedAt,
    ClosedAt,
    Resolved,
    Satisfaction,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum AppealAssignments {
    Table,
    Id,
    AppealId,
    UnitId,
    Role,
    Part,
    AssignedAt,
    SignDueOn,
    SignedAt,
    FinishedAt,
    Note,
}

#[derive(DeriveIden)]
enum AppealEvents {
    Table,
    Id,
    AppealId,
    Kind,
    At,
    Actor,
    UnitId,
    Note,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create()
                .table(AppealTopics::Table)
                .col(big_pk_auto(AppealTopics::Id))
                .col(string_len(AppealTopics::Code, 16))
                .col(string_len(AppealTopics::Name, 100))
                .col(string_len_null(AppealTopics::ParentCode, 16))
                .col(small_integer(AppealTopics::Level))
                .col(string_len_null(AppealTopics::LeadCode, 32))
                .col(text(AppealTopics::CoCodes))
                .col(string_len_null(AppealTopics::Kind, 16))
                .col(text(AppealTopics::Words))
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("uq_appeal_topics_code")
                .table(AppealTopics::Table)
                .col(AppealTopics::Code)
                .unique()
                .to_owned(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table(AppealKnowledge::Table)
                .col(big_pk_auto(AppealKnowledge::Id))
                .col(text(AppealKnowledge::Question))
                .col(text(AppealKnowledge::Answer))
                .col(string_len(AppealKnowledge::TopicCode, 16))
                .col(text(AppealKnowledge::Words))
                .to_owned(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table(Appeals::Table)
                .col(big_pk_auto(Appeals::Id))
                .col(string_len(Appeals::Number, 20))
                .col(string_len(Appeals::Channel, 16))
                .col(string_len(Appeals::Kind, 16))
                .col(string_len(Appeals::TopicCode, 16))
                .col(text(Appeals::Content))
                .col(string_len_null(Appeals::Address, 200))
                .col(double_null(Appeals::Lat))
                .col(double_null(Appeals::Lon))
                .col(string_len_null(Appeals::CallerName, 50))
                .col(string_len_null(Appeals::CallerMobile, 11))
                .col(boolean(Appeals::Urgent).default(false))
                .col(string_len_null(Appeals::Source, 100))
                .col(string_len(Appeals::Status, 16))
                .col(timestamp_with_time_zone(Appeals::CreatedAt))
                .col(string_len(Appeals::CreatedBy, 100))
                .col(date(Appeals::DueOn))
                .col(text_null(Appeals::Answer))
                .col(text_null(Appeals::Reply))
                .col(timestamp_with_time_zone_null(Appeals::RepliedAt))
                .col(timestamp_with_time_zone_null(Appeals::ClosedAt))
                .col(boolean_null(Appeals::Resolved))
                .col(small_integer_null(Appeals::Satisfaction))
                .col(timestamp_with_time_zone(Appeals::UpdatedAt))
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("uq_appeals_number")
                .table(Appeals::Table)
                .col(Appeals::Number)
                .unique()
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("idx_appeals_status_due")
                .table(Appeals::Table)
                .col(Appeals::Status)
                .col(Appeals::DueOn)
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("idx_appeals_topic_created")
                .table(Appeals::Table)
                .col(Appeals::TopicCode)
                .col(Appeals::CreatedAt)
                .to_owned(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table(AppealAssignments::Table)
                .col(big_pk_auto(AppealAssignments::Id))
                .col(big_integer(AppealAssignments::AppealId))
                .col(big_integer(AppealAssignments::UnitId))
                .col(string_len(AppealAssignments::Role, 8))
                .col(string_len(AppealAssignments::Part, 16))
                .col(timestamp_with_time_zone(AppealAssignments::AssignedAt))
                .col(date(AppealAssignments::SignDueOn))
                .col(timestamp_with_time_zone_null(AppealAssignments::SignedAt))
                .col(timestamp_with_time_zone_null(AppealAssignments::FinishedAt))
                .col(text_null(AppealAssignments::Note))
                .foreign_key(
                    ForeignKey::create()
                        .name("fk_appeal_assignments_appeal")
                        .from(AppealAssignments::Table, AppealAssignments::AppealId)
                        .to(Appeals::Table, Appeals::Id)
                        .on_delete(ForeignKeyAction::Cascade),
                )
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("idx_appeal_assignments_unit")
                .table(AppealAssignments::Table)
                .col(AppealAssignments::UnitId)
                .col(AppealAssignments::Part)
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("idx_appeal_assignments_appeal")
                .table(AppealAssignments::Table)
                .col(AppealAssignments::AppealId)
                .to_owned(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table(AppealEvents::Table)
                .col(big_pk_auto(AppealEvents::Id))
                .col(big_integer(AppealEvents::AppealId))
                .col(string_len(AppealEvents::Kind, 24))
                .col(timestamp_with_time_zone(AppealEvents::At))
                .col(string_len(AppealEvents::Actor, 100))
                .col(big_integer_null(AppealEvents::UnitId))
                .col(text_null(AppealEvents::Note))
                .foreign_key(
                    ForeignKey::create()
                        .name("fk_appeal_events_appeal")
                        .from(AppealEvents::Table, AppealEvents::AppealId)
                        .to(Appeals::Table, Appeals::Id)
                        .on_delete(ForeignKeyAction::Cascade),
                )
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("idx_appeal_events_appeal")
                .table(AppealEvents::Table)
                .col(AppealEvents::AppealId)
                .to_owned(),
        )
        .await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        for t in [
            AppealEvents::Table.into_iden(),
            AppealAssignments::Table.into_iden(),
            Appeals::Table.into_iden(),
            AppealKnowledge::Table.into_iden(),
            AppealTopics::Table.into_iden(),
        ] {
            m.drop_table(Table::drop().table(t).to_owned()).await?;
        }
        Ok(())
    }
}
