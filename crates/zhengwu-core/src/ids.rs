//! Typed ids. Every id that crosses a module boundary is one of these newtypes, never a bare
//! integer, so that a ticket id can never be passed where a case id is expected.

/// Declares an id newtype over `i64`: serde-transparent, `Display`, `FromStr`, ordered.
#[macro_export]
macro_rules! id_type {
    ($(#[$meta:meta])* $name:ident) => {
        $(#[$meta])*
        #[derive(
            Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash,
            serde::Serialize, serde::Deserialize,
        )]
        #[serde(transparent)]
        pub struct $name(pub i64);

        impl $name {
            /// The raw value, for the storage layer.
            pub const fn get(self) -> i64 {
                self.0
            }
        }

        impl ::core::fmt::Display for $name {
            fn fmt(&self, f: &mut ::core::fmt::Formatter<'_>) -> ::core::fmt::Result {
                ::core::fmt::Display::fmt(&self.0, f)
            }
        }

        impl ::core::str::FromStr for $name {
            type Err = ::core::num::ParseIntError;
            fn from_str(s: &str) -> Result<Self, Self::Err> {
                s.parse::<i64>().map(Self)
            }
        }

        impl From<i64> for $name {
            fn from(v: i64) -> Self {
                Self(v)
            }
        }
    };
}

id_type!(
    /// A unit of the organisation: the district, a center, hall, window, department,
    /// sub-district, community or station.
    UnitId
);
id_type!(
    /// A message in the notification outbox.
    MessageId
);

id_type!(
    /// A member of staff.
    StaffId
);
id_type!(
    /// An API token.
    TokenId
);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_serialize_as_plain_numbers_and_parse_back() {
        let id = UnitId(42);
        assert_eq!(serde_json::to_string(&id).unwrap(), "42");
        assert_eq!(serde_json::from_str::<UnitId>("42").unwrap(), id);
        assert_eq!("42".parse::<UnitId>().unwrap(), id);
        assert_eq!(id.to_string(), "42");
    }
}
