//! Restricting a list to the caller's scope: a unit is in a scope when its organisation path
//! starts with the scope's path. Domains keep the path of the unit a record belongs to (a
//! case's window, an appeal's handling unit) and filter with [`within`].

use sea_orm::sea_query::{Condition, Expr, ExprTrait, IntoColumnRef};

/// Which units a caller may see for some purpose.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Scope {
    /// Everything (a role held at the district).
    All,
    /// The units under these paths.
    Paths(Vec<String>),
    /// Nothing.
    None,
}

impl Scope {
    /// From the scope paths of the caller's grants that count for the purpose.
    pub fn from_paths(
        paths: impl IntoIterator<Item = String>,
        district_path: Option<&str>,
    ) -> Self {
        let paths: Vec<String> = paths.into_iter().collect();
        if paths.is_empty() {
            Self::None
        } else if district_path.is_some_and(|d| paths.iter().any(|p| p == d)) {
            Self::All
        } else {
            Self::Paths(paths)
        }
    }

    /// Whether a unit with path `path` is in scope.
    pub fn contains(&self, path: &str) -> bool {
        match self {
            Self::All => true,
            Self::Paths(ps) => ps.iter().any(|p| path.starts_with(p.as_str())),
            Self::None => false,
        }
    }
}

/// A condition on `column` (an organisation path) that keeps the rows in `scope`.
pub fn within<C: IntoColumnRef + Clone>(column: C, scope: &Scope) -> Condition {
    match scope {
        Scope::All => Condition::all(),
        Scope::None => Condition::all().add(ExprTrait::eq(Expr::val(1), Expr::val(0))),
        Scope::Paths(ps) => ps.iter().fold(Condition::any(), |c, p| {
            c.add(Expr::col(column.clone()).like(format!("{}%", escape_like(p))))
        }),
    }
}

fn escape_like(s: &str) -> String {
    // Paths hold digits and slashes only; anything else is escaped out of caution.
    s.chars()
        .filter(|c| c.is_ascii_digit() || *c == '/')
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_scope_contains_what_lies_below_it() {
        let s = Scope::Paths(vec!["/1/4/".into(), "/1/9/".into()]);
        assert!(s.contains("/1/4/"));
        assert!(s.contains("/1/4/17/"));
        assert!(!s.contains("/1/40/"));
        assert!(!s.contains("/1/"));
        assert!(Scope::All.contains("/1/"));
        assert!(!Scope::None.contains("/1/"));
        assert_eq!(
            Scope::from_paths(vec!["/1/".to_owned()], Some("/1/")),
            Scope::All
        );
        assert_eq!(
            Scope::from_paths(Vec::<String>::new(), Some("/1/")),
            Scope::None
        );
    }
}
