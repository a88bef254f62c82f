//! The audit trail's hash chain: each entry's hash covers its own fields and the previous
//! entry's hash, so that changing, inserting or deleting an entry breaks the chain from there
//! on. The store appends and verifies; this module only defines what is hashed.

use serde::{Deserialize, Serialize};

use crate::secret::sha256_hex;

/// The hash before the first entry.
pub const GENESIS: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// The fields of an entry that the hash covers.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EntryFields<'a> {
    /// Position in the chain, 1, 2, 3 … without gaps.
    pub seq: i64,
    /// RFC 3339 UTC with microseconds, as stored.
    pub at: &'a str,
    /// `staff`, `applicant`, `token` or `system`.
    pub actor_kind: &'a str,
    pub actor_id: Option<i64>,
    pub actor_label: &'a str,
    pub ip: Option<&'a str>,
    pub action: &'a str,
    pub record_type: &'a str,
    pub record_id: Option<&'a str>,
    /// JSON summary of the change, without unmasked personal data.
    pub summary: &'a str,
}

/// The hash of an entry: SHA-256 over the previous hash and the entry's fields, each field
/// length-prefixed so that no two different entries serialise the same way.
pub fn entry_hash(prev_hash: &str, f: &EntryFields<'_>) -> String {
    let mut buf = String::new();
    let mut put = |s: &str| {
        buf.push_str(&s.len().to_string());
        buf.push(':');
        buf.push_str(s);
        buf.push('|');
    };
    put(prev_hash);
    put(&f.seq.to_string());
    put(f.at);
    put(f.actor_kind);
    put(&f.actor_id.map(|i| i.to_string()).unwrap_or_default());
    put(f.actor_label);
    put(f.ip.unwrap_or(""));
    put(f.action);
    put(f.record_type);
    put(f.record_id.unwrap_or(""));
    put(f.summary);
    sha256_hex(buf.as_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fields(summary: &str) -> EntryFields<'_> {
        EntryFields {
            seq: 1,
            at: "2026-11-25T01:02:03.000000Z",
            actor_kind: "staff",
            actor_id: Some(1),
            actor_label: "admin",
            ip: Some("127.0.0.1"),
            action: "staff.create",
            record_type: "staff",
            record_id: Some("2"),
            summary,
        }
    }

    #[test]
    fn any_change_of_a_field_or_the_previous_hash_changes_the_hash() {
        let h = entry_hash(GENESIS, &fields("{}"));
        assert_eq!(h.len(), 64);
        assert_eq!(h, entry_hash(GENESIS, &fields("{}")));
        assert_ne!(h, entry_hash(GENESIS, &fields("{ }")));
        assert_ne!(h, entry_hash(&h, &fields("{}")));
        let mut f = fields("{}");
        f.ip = None;
        assert_ne!(h, entry_hash(GENESIS, &f));
    }

    #[test]
    fn fields_cannot_be_shifted_into_each_other() {
        let mut a = fields("x");
        a.action = "ab";
        a.record_type = "c";
        let mut b = fields("x");
        b.action = "a";
        b.record_type = "bc";
        assert_ne!(entry_hash(GENESIS, &a), entry_hash(GENESIS, &b));
    }
}
