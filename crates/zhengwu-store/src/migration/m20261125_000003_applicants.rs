//! Applicants: citizens (by ID number), enterprises (by unified social credit code), who acts
//! for which enterprise, one-time sign-in codes, and applicant sessions.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Citizens {
    Table,
    Id,
    Name,
    IdNumber,
    Mobile,
    ElderlyAlone,
    Disabled,
    Pregnant,
    Address,
    CreatedAt,
}

#[derive(DeriveIden)]
enum Enterprises {
    Table,
    Id,
    CreditCode,
    Name,
    LegalRepresentative,
    Address,
    Industry,
    Size,
    CreatedAt,
}

#[derive(DeriveIden)]
enum EnterpriseAgents {
    Table,
    Id,
    CitizenId,
    EnterpriseId,
    CreatedAt,
}

#[derive(DeriveIden)]
enum OtpCodes {
    Table,
    Id,
    Mobile,
    CodeDigest,
    CreatedAt,
    ExpiresAt,
    Attempts,
    Used,
}

#[derive(DeriveIden)]
enum ApplicantSessions {
    Table,
    Digest,
    CitizenId,
    EnterpriseId,
    CreatedAt,
    LastSeenAt,
    ExpiresAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create()
                .table(Citizens::Table)
                .col(big_pk_auto(Citizens::Id))
                .col(string_len(Citizens::Name, 100))
                .col(string_len_uniq(Citizens::IdNumber, 18))
                .col(string_len(Citizens::Mobile, 11))
                .col(boolean(Citizens::ElderlyAlone).default(false))
                .col(boolean(Citizens::Disabled).default(false))
                .col(boolean(Citizens::Pregnant).default(false))
                .col(string_len_null(Citizens::Address, 300))
                .col(timestamp_with_time_zone(Citizens::CreatedAt))
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("idx_citizens_mobile")
                .table(Citizens::Table)
                .col(Citizens::Mobile)
                .to_owned(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table(Enterprises::Table)
                .col(big_pk_auto(Enterprises::Id))
                .col(string_len_uniq(Enterprises::CreditCode, 18))
                .col(string_len(Enterprises::Name, 200))
                .col(string_len(Enterprises::LegalRepresentative, 100))
                .col(string_len_null(Enterprises::Address, 300))
                .col(string_len_null(Enterprises::Industry, 100))
                .col(string_len_null(Enterprises::Size, 20))
                .col(timestamp_with_time_zone(Enterprises::CreatedAt))
                .to_owned(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table(EnterpriseAgents::Table)
                .col(big_pk_auto(EnterpriseAgents::Id))
                .col(big_integer(EnterpriseAgents::CitizenId))
                .col(big_integer(EnterpriseAgents::EnterpriseId))
                .col(timestamp_with_time_zone(EnterpriseAgents::CreatedAt))
                .foreign_key(
                    ForeignKey::create()
                        .name("fk_agents_citizen")
                        .from(EnterpriseAgents::Table, EnterpriseAgents::CitizenId)
                        .to(Citizens::Table, Citizens::Id)
                        .on_delete(ForeignKeyAction::Cascade),
                )
                .foreign_key(
                    ForeignKey::create()
                        .name("fk_agents_enterprise")
                        .from(EnterpriseAgents::Table, EnterpriseAgents::EnterpriseId)
                        .to(Enterprises::Table, Enterprises::Id)
                        .on_delete(ForeignKeyAction::Cascade),
                )
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("uq_enterprise_agents")
                .table(EnterpriseAgents::Table)
                .col(EnterpriseAgents::CitizenId)
                .col(EnterpriseAgents::EnterpriseId)
                .unique()
                .to_owned(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table(OtpCodes::Table)
                .col(big_pk_auto(OtpCodes::Id))
                .col(string_len(OtpCodes::Mobile, 11))
                .col(string_len(OtpCodes::CodeDigest, 64))
                .col(timestamp_with_time_zone(OtpCodes::CreatedAt))
                .col(timestamp_with_time_zone(OtpCodes::ExpiresAt))
                .col(integer(OtpCodes::Attempts).default(0))
                .col(boolean(OtpCodes::Used).default(false))
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("idx_otp_mobile_created")
                .table(OtpCodes::Table)
                .col(OtpCodes::Mobile)
                .col(OtpCodes::CreatedAt)
                .to_owned(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table(ApplicantSessions::Table)
                .col(string_len(ApplicantSessions::Digest, 64).primary_key())
                .col(big_integer(ApplicantSessions::CitizenId))
                .col(big_integer_null(ApplicantSessions::EnterpriseId))
                .col(timestamp_with_time_zone(ApplicantSessions::CreatedAt))
                .col(timestamp_with_time_zone(ApplicantSessions::LastSeenAt))
                .col(timestamp_with_time_zone(ApplicantSessions::ExpiresAt))
                .foreign_key(
                    ForeignKey::create()
                        .name("fk_applicant_sessions_citizen")
                        .from(ApplicantSessions::Table, ApplicantSessions::CitizenId)
                        .to(Citizens::Table, Citizens::Id)
                        .on_delete(ForeignKeyAction::Cascade),
                )
                .to_owned(),
        )
        .await?;
        Ok(())
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        for t in [
            ApplicantSessions::Table.into_iden(),
            OtpCodes::Table.into_iden(),
            EnterpriseAgents::Table.into_iden(),
            Enterprises::Table.into_iden(),
            Citizens::Table.into_iden(),
        ] {
            m.drop_table(Table::drop().table(t).to_owned()).await?;
        }
        Ok(())
    }
}
