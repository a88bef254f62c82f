//! Citizen appeals, the rest of issue 9: Open311 intake (the caller's e-mail, a media link,
//! the token of a request), merging and splitting, stars for the unit's handling, extension
//! requests, dispose-first orders and their ledger (先予处置), listed supervision of frequent
//! topics (挂牌督办) with progress notes, and look-back checks (回头看).

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Appeals {
    Table,
    Id,
    CallerEmail,
    MediaUrl,
    Open311Token,
    MergedInto,
    SplitFrom,
    Stars,
    StarNote,
}

#[derive(DeriveIden)]
enum AppealExtensions {
    Table,
    Id,
    AppealId,
    UnitId,
    Days,
    Reason,
    Status,
    RequestedAt,
    RequestedBy,
    DecidedAt,
    DecidedBy,
    DecisionNote,
    OldDueOn,
    NewDueOn,
}

#[derive(DeriveIden)]
enum AppealDisposals {
    Table,
    Id,
    AppealId,
    UnitId,
    Instruction,
    OrderedAt,
    OrderedBy,
    Action,
    CostFen,
    DoneAt,
    OwnerUnitId,
    Accountability,
    SettledAt,
    SettledBy,
}

#[derive(DeriveIden)]
enum TopicSupervisions {
    Table,
    Id,
    TopicCode,
    Reason,
    CountInWindow,
    WindowDays,
    OwnerUnitId,
    Deadline,
    ListedAt,
    ListedBy,
    DelistedAt,
    DelistedBy,
    Result,
}

#[derive(DeriveIden)]
enum SupervisionNotes {
    Table,
    Id,
    SupervisionId,
    At,
    Actor,
    Note,
}

#[derive(DeriveIden)]
enum AppealChecks {
    Table,
    Id,
    AppealId,
    Kind,
    OwnerUnitId,
    CreatedAt,
    DueOn,
    DoneAt,
    DoneBy,
    Outcome,
    Note,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        // SQLite takes one added column per ALTER TABLE.
        for col in [
            string_len_null(Appeals::CallerEmail, 254),
            string_len_null(Appeals::MediaUrl, 1000),
            string_len_null(Appeals::Open311Token, 100),
            big_integer_null(Appeals::MergedInto),
            big_integer_null(Appeals::SplitFrom),
            small_integer_null(Appeals::Stars),
            text_null(Appeals::StarNote),
        ] {
            let mut col = col;
            m.alter_table(
                Table::alter()
                    .table(Appeals::Table)
                    .add_column(&mut col)
                    .to_owned(),
            )
            .await?;
        }
        m.create_index(
            Index::create()
                .name("uq_appeals_open311_token")
                .table(Appeals::Table)
                .col(Appeals::Open311Token)
                .unique()
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("idx_appeals_merged_into")
                .table(Appeals::Table)
                .col(Appeals::MergedInto)
                .to_owned(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table(AppealExtensions::Table)
                .col(big_pk_auto(AppealExtensions::Id))
                .col(big_integer(AppealExtensions::AppealId))
                .col(big_integer(AppealExtensions::UnitId))
                .col(small_integer(AppealExtensions::Days))
                .col(text(AppealExtensions::Reason))
                .col(string_len(AppealExtensions::Status, 16))
                .col(timestamp_with_time_zone(AppealExtensions::RequestedAt))
                .col(string_len(AppealExtensions::RequestedBy, 100))
                .col(timestamp_with_time_zone_null(AppealExtensions::DecidedAt))
                .col(string_len_null(AppealExtensions::DecidedBy, 100))
                .col(text_null(AppealExtensions::DecisionNote))
                .col(date(AppealExtensions::OldDueOn))
                .col(date_null(AppealExtensions::NewDueOn))
                .foreign_key(
                    ForeignKey::create()
                        .name("fk_appeal_extensions_appeal")
                        .from(AppealExtensions::Table, AppealExtensions::AppealId)
                        .to(Appeals::Table, Appeals::Id)
                        .on_delete(ForeignKeyAction::Cascade),
                )
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("idx_appeal_extensions_status")
                .table(AppealExtensions::Table)
                .col(AppealExtensions::Status)
                .col(AppealExtensions::AppealId)
                .to_owned(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table(AppealDisposals::Table)
                .col(big_pk_auto(AppealDisposals::Id))
                .col(big_integer(AppealDisposals::AppealId))
                .col(big_integer(AppealDisposals::UnitId))
                .col(text(AppealDisposals::Instruction))
                .col(timestamp_with_time_zone(AppealDisposals::OrderedAt))
                .col(string_len(AppealDisposals::OrderedBy, 100))
                .col(text_null(AppealDisposals::Action))
                .col(big_integer_null(AppealDisposals::CostFen))
                .col(timestamp_with_time_zone_null(AppealDisposals::DoneAt))
                .col(big_integer_null(AppealDisposals::OwnerUnitId))
                .col(text_null(AppealDisposals::Accountability))
                .col(timestamp_with_time_zone_null(AppealDisposals::SettledAt))
                .col(string_len_null(AppealDisposals::SettledBy, 100))
                .foreign_key(
                    ForeignKey::create()
                        .name("fk_appeal_disposals_appeal")
                        .from(AppealDisposals::Table, AppealDisposals::AppealId)
                        .to(Appeals::Table, Appeals::Id)
                        .on_delete(ForeignKeyAction::Cascade),
                )
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("idx_appeal_disposals_ordered")
                .table(AppealDisposals::Table)
                .col(AppealDisposals::OrderedAt)
                .to_owned(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table(TopicSupervisions::Table)
                .col(big_pk_auto(TopicSupervisions::Id))
                .col(string_len(TopicSupervisions::TopicCode, 16))
                .col(string_len(TopicSupervisions::Reason, 16))
                .col(integer(TopicSupervisions::CountInWindow))
                .col(integer(TopicSupervisions::WindowDays))
                .col(big_integer(TopicSupervisions::OwnerUnitId))
                .col(date(TopicSupervisions::Deadline))
                .col(timestamp_with_time_zone(TopicSupervisions::ListedAt))
                .col(string_len(TopicSupervisions::ListedBy, 100))
                .col(timestamp_with_time_zone_null(TopicSupervisions::DelistedAt))
                .col(string_len_null(TopicSupervisions::DelistedBy, 100))
                .col(text_null(TopicSupervisions::Result))
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("idx_topic_supervisions_topic")
                .table(TopicSupervisions::Table)
                .col(TopicSupervisions::TopicCode)
                .col(TopicSupervisions::DelistedAt)
                .to_owned(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table(SupervisionNotes::Table)
                .col(big_pk_auto(SupervisionNotes::Id))
                .col(big_integer(SupervisionNotes::SupervisionId))
                .col(timestamp_with_time_zone(SupervisionNotes::At))
                .col(string_len(SupervisionNotes::Actor, 100))
                .col(text(SupervisionNotes::Note))
                .foreign_key(
                    ForeignKey::create()
                        .name("fk_supervision_notes_supervision")
                        .from(SupervisionNotes::Table, SupervisionNotes::SupervisionId)
                        .to(TopicSupervisions::Table, TopicSupervisions::Id)
                        .on_delete(ForeignKeyAction::Cascade),
                )
                .to_owned(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table(AppealChecks::Table)
                .col(big_pk_auto(AppealChecks::Id))
                .col(big_integer(AppealChecks::AppealId))
                .col(string_len(AppealChecks::Kind, 16))
                .col(big_integer(AppealChecks::OwnerUnitId))
                .col(timestamp_with_time_zone(AppealChecks::CreatedAt))
                .col(date(AppealChecks::DueOn))
                .col(timestamp_with_time_zone_null(AppealChecks::DoneAt))
                .col(string_len_null(AppealChecks::DoneBy, 100))
                .col(string_len_null(AppealChecks::Outcome, 16))
                .col(text_null(AppealChecks::Note))
                .foreign_key(
                    ForeignKey::create()
                        .name("fk_appeal_checks_appeal")
                        .from(AppealChecks::Table, AppealChecks::AppealId)
                        .to(Appeals::Table, Appeals::Id)
                        .on_delete(ForeignKeyAction::Cascade),
                )
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("uq_appeal_checks_appeal_kind")
                .table(AppealChecks::Table)
                .col(AppealChecks::AppealId)
                .col(AppealChecks::Kind)
                .unique()
                .to_owned(),
        )
        .await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        for t in [
            AppealChecks::Table.into_iden(),
            SupervisionNotes::Table.into_iden(),
            TopicSupervisions::Table.into_iden(),
            AppealDisposals::Table.into_iden(),
            AppealExtensions::Table.into_iden(),
        ] {
            m.drop_table(Table::drop().table(t).to_owned()).await?;
        }
        m.drop_index(
            Index::drop()
                .name("uq_appeals_open311_token")
                .table(Appeals::Table)
                .to_owned(),
        )
        .await?;
        m.drop_index(
            Index::drop()
                .name("idx_appeals_merged_into")
                .table(Appeals::Table)
                .to_owned(),
        )
        .await?;
        for c in [
            Appeals::StarNote,
            Appeals::Stars,
            Appeals::SplitFrom,
            Appeals::MergedInto,
            Appeals::Open311Token,
            Appeals::MediaUrl,
            Appeals::CallerEmail,
        ] {
            m.alter_table(
                Table::alter()
                    .table(Appeals::Table)
                    .drop_column(c)
                    .to_owned(),
            )
            .await?;
        }
        Ok(())
    }
}
