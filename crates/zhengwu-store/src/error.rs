use sea_orm::{DbErr, SqlErr};

/// What can go wrong in the store, typed so the server can answer with the right status.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The record does not exist (or is not visible to the caller).
    #[error("{entity} {id} not found")]
    NotFound { entity: &'static str, id: String },
    /// A unique or foreign-key constraint refused the write.
    #[error("conflict on {constraint}")]
    Conflict { constraint: String },
    /// The record changed since the caller read it (optimistic concurrency): `current` is its
    /// revision now; the caller's change was not applied.
    #[error("{entity} {id} changed meanwhile (now revision {current})")]
    Stale {
        entity: &'static str,
        id: String,
        current: i64,
    },
    /// The data breaks a rule of the domain; `field` names what was wrong.
    #[error("invalid {field}: {message}")]
    Invalid { field: String, message: String },
    /// Too many attempts; the caller may try again after this many seconds.
    #[error("too many attempts; retry after {retry_after_secs} s")]
    RateLimited { retry_after_secs: i64 },
    /// The database could not be reached or failed.
    #[error("database error")]
    Database(#[source] DbErr),
}

impl StoreError {
    pub fn not_found(entity: &'static str, id: impl ToString) -> Self {
        Self::NotFound {
            entity,
            id: id.to_string(),
        }
    }

    pub fn invalid(field: impl Into<String>, message: impl Into<String>) -> Self {
        Self::Invalid {
            field: field.into(),
            message: message.into(),
        }
    }
}

impl From<DbErr> for StoreError {
    fn from(e: DbErr) -> Self {
        match e.sql_err() {
            Some(SqlErr::UniqueConstraintViolation(c)) => Self::Conflict {
                constraint: constraint_name(&c),
            },
            Some(SqlErr::ForeignKeyConstraintViolation(c)) => Self::Conflict {
                constraint: constraint_name(&c),
            },
            _ => match e {
                DbErr::RecordNotFound(what) => Self::NotFound {
                    entity: "record",
                    id: what,
                },
                _ => Self::Database(e),
            },
        }
    }
}

/// The constraint or column named in a database's message, for the caller's error.
pub(crate) fn constraint_name(message: &str) -> String {
    // PostgreSQL: `... violates unique constraint "org_units_code_key"`;
    // SQLite: `UNIQUE constraint failed: org_units.code`.
    if let Some(start) = message.find('"')
        && let Some(len) = message[start + 1..].find('"')
    {
        return message[start + 1..start + 1 + len].to_owned();
    }
    message
        .rsplit(": ")
        .next()
        .unwrap_or(message)
        .trim()
        .to_owned()
}

#[cfg(test)]
mod tests {
    use super::constraint_name;

    #[test]
    fn constraint_names_are_found_in_both_backends_messages() {
        assert_eq!(
            constraint_name(
                r#"duplicate key value violates unique constraint "org_units_code_key""#
            ),
            "org_units_code_key"
        );
        assert_eq!(
            constraint_name("UNIQUE constraint failed: org_units.code"),
            "org_units.code"
        );
    }
}
