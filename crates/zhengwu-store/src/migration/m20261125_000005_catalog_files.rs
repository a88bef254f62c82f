//! Files the catalog links to: blank forms and filled samples of materials.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum CatalogFiles {
    Table,
    Id,
    FileName,
    ContentType,
    Size,
    Sha256,
    Bytes,
    UploadedAt,
    UploadedBy,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create()
                .table(CatalogFiles::Table)
                .col(big_pk_auto(CatalogFiles::Id))
                .col(string_len(CatalogFiles::FileName, 200))
                .col(string_len(CatalogFiles::ContentType, 100))
                .col(big_integer(CatalogFiles::Size))
                .col(string_len(CatalogFiles::Sha256, 64))
                .col(blob(CatalogFiles::Bytes))
                .col(timestamp_with_time_zone(CatalogFiles::UploadedAt))
                .col(string_len(CatalogFiles::UploadedBy, 100))
                .to_owned(),
        )
        .await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.drop_table(Table::drop().table(CatalogFiles::Table).to_owned())
            .await
    }
}
