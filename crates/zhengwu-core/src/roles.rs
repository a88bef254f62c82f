//! Staff roles and the kind of organisation unit each is bound to.

use serde::{Deserialize, Serialize};

/// What a member of staff may do; each role is held within a scope (a unit of the
/// organisation and everything below it).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// The whole district.
    Admin,
    /// A hall or a window.
    WindowClerk,
    /// A station.
    StationStaff,
    /// A department.
    DeptReviewer,
    /// The appeals center.
    Dispatcher,
    /// A department or a sub-district, for appeals.
    UnitHandler,
    /// Reads everything, acts on supervision.
    Supervisor,
    /// Dashboards, read-only.
    Leader,
    /// An Open311 client (an API key, not a person): posts service requests.
    Open311,
}

impl Role {
    pub const ALL: [Role; 9] = [
        Self::Admin,
        Self::WindowClerk,
        Self::StationStaff,
        Self::DeptReviewer,
        Self::Dispatcher,
        Self::UnitHandler,
        Self::Supervisor,
        Self::Leader,
        Self::Open311,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Admin => "admin",
            Self::WindowClerk => "window_clerk",
            Self::StationStaff => "station_staff",
            Self::DeptReviewer => "dept_reviewer",
            Self::Dispatcher => "dispatcher",
            Self::UnitHandler => "unit_handler",
            Self::Supervisor => "supervisor",
            Self::Leader => "leader",
            Self::Open311 => "open311",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|r| r.as_str() == s)
    }

    /// The kinds of unit (as `zhengwu_store::org::UnitKind` names them) this role's scope may
    /// be; the district covers every role.
    pub fn scope_kinds(self) -> &'static [&'static str] {
        match self {
            Self::Admin | Self::Supervisor | Self::Leader | Self::Dispatcher | Self::Open311 => {
                &["district"]
            }
            Self::WindowClerk => &["district", "center", "hall", "window"],
            Self::StationStaff => &["district", "subdistrict", "community", "station"],
            Self::DeptReviewer => &["district", "department"],
            Self::UnitHandler => &["district", "department", "subdistrict", "community"],
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn roles_round_trip_through_their_names() {
        for r in Role::ALL {
            assert_eq!(Role::parse(r.as_str()), Some(r));
            assert!(r.scope_kinds().contains(&"district"));
        }
        assert_eq!(Role::parse("root"), None);
    }
}
