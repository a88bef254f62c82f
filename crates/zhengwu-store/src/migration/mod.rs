//! Schema migrations, written once with sea-orm-migration; SeaORM emits each backend's DDL.
//! A migration, once released, is never edited: a change is a new migration.

use sea_orm_migration::prelude::*;

mod m20261125_000001_spine;
mod m20261125_000002_identity;
mod m20261125_000003_applicants;
mod m20261125_000004_catalog;
mod m20261125_000005_catalog_files;
mod m20261125_000006_queue;
mod m20261125_000007_queue_numbers;
mod m20261125_000008_queue_notices;
mod m20261128_000009_booking;
mod m20261128_000010_appeals;
mod m20261128_000011_appeals_more;
mod m20261128_000012_appeal_routes;
mod m20261128_000013_cases;
mod m20261129_000014_queue_group_index;

pub struct Migrator;

#[async_trait::async_trait]
impl MigratorTrait for Migrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        vec![
            Box::new(m20261125_000001_spine::Migration),
            Box::new(m20261125_000002_identity::Migration),
            Box::new(m20261125_000003_applicants::Migration),
            Box::new(m20261125_000004_catalog::Migration),
            Box::new(m20261125_000005_catalog_files::Migration),
            Box::new(m20261125_000006_queue::Migration),
            Box::new(m20261125_000007_queue_numbers::Migration),
            Box::new(m20261125_000008_queue_notices::Migration),
            Box::new(m20261128_000009_booking::Migration),
            Box::new(m20261128_000010_appeals::Migration),
            Box::new(m20261128_000011_appeals_more::Migration),
            Box::new(m20261128_000012_appeal_routes::Migration),
            Box::new(m20261128_000013_cases::Migration),
            Box::new(m20261129_000014_queue_group_index::Migration),
        ]
    }
}
