//! Routing rules of appeals by topic and area: which unit leads (and which co-units help) for
//! a branch of the topic tree, in one sub-district or everywhere, and whether an appeal that
//! matches is dispatched at intake without waiting for the dispatcher. And the files callers
//! attach to an appeal (photos, scans), kept once per appeal by their SHA-256.

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

#[derive(DeriveIden)]
enum AppealAttachments {
    Table,
    Id,
    AppealId,
    FileName,
    ContentType,
    Size,
    Sha256,
    Bytes,
    UploadedAt,
    UploadedBy,
}

#[derive(DeriveIden)]
enum AppealLimits {
    Table,
    Name,
    Days,
}

#[derive(DeriveIden)]
enum Appeals {
    Table,
    Id,
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
        .await?;
        m.create_table(
            Table::create()
                .table(AppealAttachments::Table)
                .col(big_pk_auto(AppealAttachments::Id))
                .col(big_integer(AppealAttachments::AppealId))
                .col(string_len(AppealAttachments::FileName, 120))
                .col(string_len(AppealAttachments::ContentType, 64))
                .col(big_integer(AppealAttachments::Size))
                .col(string_len(AppealAttachments::Sha256, 64))
                .col(blob(AppealAttachments::Bytes))
                .col(timestamp_with_time_zone(AppealAttachments::UploadedAt))
                .col(string_len(AppealAttachments::UploadedBy, 100))
                .foreign_key(
                    ForeignKey::create()
                        .name("fk_appeal_attachments_appeal")
                        .from(AppealAttachments::Table, AppealAttachments::AppealId)
                        .to(Appeals::Table, Appeals::Id)
                        .on_delete(ForeignKeyAction::Cascade),
                )
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("uq_appeal_attachments_appeal_sha")
                .table(AppealAttachments::Table)
                .col(AppealAttachments::AppealId)
                .col(AppealAttachments::Sha256)
                .unique()
                .to_owned(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table(AppealLimits::Table)
                .col(string_len(AppealLimits::Name, 16).primary_key())
                .col(integer(AppealLimits::Days))
                .to_owned(),
        )
        .await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.drop_table(Table::drop().table(AppealLimits::Table).to_owned())
            .await?;
        m.drop_table(Table::drop().table(AppealAttachments::Table).to_owned())
            .await?;
        m.drop_table(Table::drop().table(AppealRoutes::Table).to_owned())
            .await
    }
}
