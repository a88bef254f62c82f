//! The service catalog: items, their versions (each version's guide kept whole as JSON so a
//! published version never changes), and the synonym table of the guidance search.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum CatalogItems {
    Table,
    Id,
    Code,
    Name,
    Department,
    Status,
    PublishedVersion,
    LatestVersion,
    Revision,
    UpdatedAt,
    UpdatedBy,
}

#[derive(DeriveIden)]
enum CatalogVersions {
    Table,
    Id,
    ItemId,
    Version,
    State,
    EffectiveFrom,
    EffectiveTo,
    Body,
    CreatedAt,
    CreatedBy,
    PublishedAt,
}

#[derive(DeriveIden)]
enum CatalogSynonyms {
    Table,
    Id,
    Phrase,
    Expansion,
    UpdatedAt,
    UpdatedBy,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create()
                .table(CatalogItems::Table)
                .col(big_pk_auto(CatalogItems::Id))
                .col(string_len_uniq(CatalogItems::Code, 60))
                .col(string_len(CatalogItems::Name, 200))
                .col(string_len(CatalogItems::Department, 40))
                .col(string_len(CatalogItems::Status, 16))
                .col(integer_null(CatalogItems::PublishedVersion))
                .col(integer(CatalogItems::LatestVersion))
                .col(big_integer(CatalogItems::Revision))
                .col(timestamp_with_time_zone(CatalogItems::UpdatedAt))
                .col(string_len(CatalogItems::UpdatedBy, 100))
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("idx_catalog_items_department")
                .table(CatalogItems::Table)
                .col(CatalogItems::Department)
                .to_owned(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table(CatalogVersions::Table)
                .col(big_pk_auto(CatalogVersions::Id))
                .col(big_integer(CatalogVersions::ItemId))
                .col(integer(CatalogVersions::Version))
                .col(string_len(CatalogVersions::State, 16))
                .col(date(CatalogVersions::EffectiveFrom))
                .col(date_null(CatalogVersions::EffectiveTo))
                .col(text(CatalogVersions::Body))
                .col(timestamp_with_time_zone(CatalogVersions::CreatedAt))
                .col(string_len(CatalogVersions::CreatedBy, 100))
                .col(timestamp_with_time_zone_null(CatalogVersions::PublishedAt))
                .foreign_key(
                    ForeignKey::create()
                        .name("fk_catalog_versions_item")
                        .from(CatalogVersions::Table, CatalogVersions::ItemId)
                        .to(CatalogItems::Table, CatalogItems::Id)
                        .on_delete(ForeignKeyAction::Cascade),
                )
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("uq_catalog_versions")
                .table(CatalogVersions::Table)
                .col(CatalogVersions::ItemId)
                .col(CatalogVersions::Version)
                .unique()
                .to_owned(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table(CatalogSynonyms::Table)
                .col(big_pk_auto(CatalogSynonyms::Id))
                .col(string_len_uniq(CatalogSynonyms::Phrase, 50))
                .col(string_len(CatalogSynonyms::Expansion, 200))
                .col(timestamp_with_time_zone(CatalogSynonyms::UpdatedAt))
                .col(string_len(CatalogSynonyms::UpdatedBy, 100))
                .to_owned(),
        )
        .await?;
        Ok(())
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        for t in [
            CatalogSynonyms::Table.into_iden(),
            CatalogVersions::Table.into_iden(),
            CatalogItems::Table.into_iden(),
        ] {
            m.drop_table(Table::drop().table(t).to_owned()).await?;
        }
        Ok(())
    }
}
