//! Identity and audit: staff with scoped roles, sessions, API tokens, the hash-chained audit
//! log and its head.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Staff {
    Table,
    Id,
    Username,
    DisplayName,
    PasswordHash,
    Active,
    FailedLogins,
    LockedUntil,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum StaffRoles {
    Table,
    Id,
    StaffId,
    Role,
    ScopeUnitId,
}

#[derive(DeriveIden)]
enum Sessions {
    Table,
    Digest,
    StaffId,
    CreatedAt,
    LastSeenAt,
    ExpiresAt,
    Ip,
    UserAgent,
}

#[derive(DeriveIden)]
enum ApiTokens {
    Table,
    Id,
    Name,
    Digest,
    Role,
    ScopeUnitId,
    Active,
    CreatedAt,
    LastUsedAt,
}

#[derive(DeriveIden)]
enum AuditLog {
    Table,
    Seq,
    At,
    ActorKind,
    ActorId,
    ActorLabel,
    Ip,
    Action,
    RecordType,
    RecordId,
    Summary,
    PrevHash,
    Hash,
}

#[derive(DeriveIden)]
enum AuditHead {
    Table,
    Id,
    LastSeq,
    LastHash,
}

#[derive(DeriveIden)]
enum OrgUnits {
    Table,
    Id,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create()
                .table(Staff::Table)
                .col(big_pk_auto(Staff::Id))
                .col(string_len_uniq(Staff::Username, 64))
                .col(string_len(Staff::DisplayName, 100))
                .col(string_len(Staff::PasswordHash, 200))
                .col(boolean(Staff::Active).default(true))
                .col(integer(Staff::FailedLogins).default(0))
                .col(timestamp_with_time_zone_null(Staff::LockedUntil))
                .col(timestamp_with_time_zone(Staff::CreatedAt))
                .col(timestamp_with_time_zone(Staff::UpdatedAt))
                .to_owned(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table(StaffRoles::Table)
                .col(big_pk_auto(StaffRoles::Id))
                .col(big_integer(StaffRoles::StaffId))
                .col(string_len(StaffRoles::Role, 30))
                .col(big_integer(StaffRoles::ScopeUnitId))
                .foreign_key(
                    ForeignKey::create()
                        .name("fk_staff_roles_staff")
                        .from(StaffRoles::Table, StaffRoles::StaffId)
                        .to(Staff::Table, Staff::Id)
                        .on_delete(ForeignKeyAction::Cascade),
                )
                .foreign_key(
                    ForeignKey::create()
                        .name("fk_staff_roles_scope")
                        .from(StaffRoles::Table, StaffRoles::ScopeUnitId)
                        .to(OrgUnits::Table, OrgUnits::Id)
                        .on_delete(ForeignKeyAction::Restrict),
                )
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("uq_staff_roles")
                .table(StaffRoles::Table)
                .col(StaffRoles::StaffId)
                .col(StaffRoles::Role)
                .col(StaffRoles::ScopeUnitId)
                .unique()
                .to_owned(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table(Sessions::Table)
                .col(string_len(Sessions::Digest, 64).primary_key())
                .col(big_integer(Sessions::StaffId))
                .col(timestamp_with_time_zone(Sessions::CreatedAt))
                .col(timestamp_with_time_zone(Sessions::LastSeenAt))
                .col(timestamp_with_time_zone(Sessions::ExpiresAt))
                .col(string_len_null(Sessions::Ip, 64))
                .col(string_len_null(Sessions::UserAgent, 300))
                .foreign_key(
                    ForeignKey::create()
                        .name("fk_sessions_staff")
                        .from(Sessions::Table, Sessions::StaffId)
                        .to(Staff::Table, Staff::Id)
                        .on_delete(ForeignKeyAction::Cascade),
                )
                .to_owned(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table(ApiTokens::Table)
                .col(big_pk_auto(ApiTokens::Id))
                .col(string_len(ApiTokens::Name, 100))
                .col(string_len_uniq(ApiTokens::Digest, 64))
                .col(string_len(ApiTokens::Role, 30))
                .col(big_integer(ApiTokens::ScopeUnitId))
                .col(boolean(ApiTokens::Active).default(true))
                .col(timestamp_with_time_zone(ApiTokens::CreatedAt))
                .col(timestamp_with_time_zone_null(ApiTokens::LastUsedAt))
                .foreign_key(
                    ForeignKey::create()
                        .name("fk_api_tokens_scope")
                        .from(ApiTokens::Table, ApiTokens::ScopeUnitId)
                        .to(OrgUnits::Table, OrgUnits::Id)
                        .on_delete(ForeignKeyAction::Restrict),
                )
                .to_owned(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table(AuditLog::Table)
                .col(big_integer(AuditLog::Seq).primary_key())
                .col(string_len(AuditLog::At, 40))
                .col(string_len(AuditLog::ActorKind, 20))
                .col(big_integer_null(AuditLog::ActorId))
                .col(string_len(AuditLog::ActorLabel, 100))
                .col(string_len_null(AuditLog::Ip, 64))
                .col(string_len(AuditLog::Action, 100))
                .col(string_len(AuditLog::RecordType, 50))
                .col(string_len_null(AuditLog::RecordId, 100))
                .col(text(AuditLog::Summary))
                .col(string_len(AuditLog::PrevHash, 64))
                .col(string_len(AuditLog::Hash, 64))
                .to_owned(),
        )
        .await?;
        for (name, cols) in [
            (
                "idx_audit_record",
                vec![AuditLog::RecordType, AuditLog::RecordId],
            ),
            (
                "idx_audit_actor",
                vec![AuditLog::ActorKind, AuditLog::ActorId],
            ),
            ("idx_audit_at", vec![AuditLog::At]),
        ] {
            let mut idx = Index::create();
            idx.name(name).table(AuditLog::Table);
            for c in cols {
                idx.col(c);
            }
            m.create_index(idx.to_owned()).await?;
        }
        m.create_table(
            Table::create()
                .table(AuditHead::Table)
                .col(integer(AuditHead::Id).primary_key())
                .col(big_integer(AuditHead::LastSeq))
                .col(string_len(AuditHead::LastHash, 64))
                .to_owned(),
        )
        .await?;
        m.exec_stmt(
            Query::insert()
                .into_table(AuditHead::Table)
                .columns([AuditHead::Id, AuditHead::LastSeq, AuditHead::LastHash])
                .values_panic([1.into(), 0i64.into(), zhengwu_core::audit::GENESIS.into()])
                .to_owned(),
        )
        .await?;
        Ok(())
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        for t in [
            AuditHead::Table.into_iden(),
            AuditLog::Table.into_iden(),
            ApiTokens::Table.into_iden(),
            Sessions::Table.into_iden(),
            StaffRoles::Table.into_iden(),
            Staff::Table.into_iden(),
        ] {
            m.drop_table(Table::drop().table(t).to_owned()).await?;
        }
        Ok(())
    }
}
