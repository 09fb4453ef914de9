//! Identifiers used on the wire: workspaces, documents, devices and invites.

use std::fmt;
use std::str::FromStr;

use data_encoding::BASE32_DNSSEC;
use serde::{Deserialize, Serialize};

/// A string that is not a valid identifier of the named kind.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{input:?} is not a valid {kind}: expected {expected}")]
pub struct ParseIdError {
    /// Which kind of id was being parsed.
    pub kind: &'static str,
    /// What the caller gave (cut to 80 characters).
    pub input: String,
    /// What a valid id looks like.
    pub expected: &'static str,
}

impl ParseIdError {
    fn new(kind: &'static str, input: &str, expected: &'static str) -> Self {
        ParseIdError {
            kind,
            input: input.chars().take(80).collect(),
            expected,
        }
    }
}

fn to_hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn from_hex<const N: usize>(s: &str) -> Option<[u8; N]> {
    let b = s.as_bytes();
    if b.len() != 2 * N || !b.iter().all(|c| matches!(c, b'0'..=b'9' | b'a'..=b'f')) {
        return None;
    }
    let mut out = [0u8; N];
    for (i, pair) in b.chunks_exact(2).enumerate() {
        let text = std::str::from_utf8(pair).ok()?;
        out[i] = u8::from_str_radix(text, 16).ok()?;
    }
    Some(out)
}

macro_rules! hex_id {
    ($(#[$doc:meta])* $name:ident, $len:literal, $kind:literal) => {
        $(#[$doc])*
        #[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
        pub struct $name(pub [u8; $len]);

        impl $name {
            /// The raw bytes.
            pub fn as_bytes(&self) -> &[u8; $len] {
                &self.0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&to_hex(&self.0))
            }
        }

        impl fmt::Debug for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, "{}({})", stringify!($name), self)
            }
        }

        impl FromStr for $name {
            type Err = ParseIdError;
            fn from_str(s: &str) -> Result<Self, ParseIdError> {
                from_hex::<$len>(s).map($name).ok_or_else(|| {
                    ParseIdError::new($kind, s, "32 lowercase hex characters")
                })
            }
        }
    };
}

hex_id!(
    /// A workspace: 16 random bytes, shown as 32 lowercase hex characters.
    WorkspaceId,
    16,
    "workspace id"
);
hex_id!(
    /// One document's id as bytes. Its text form is exactly `meridian_core::DocId`'s
    /// (32 lowercase hex characters), so `doc_id.as_str().parse::<DocumentId>()` converts.
    DocumentId,
    16,
    "document id"
);
hex_id!(
    /// One invite: 16 random bytes chosen by the admin who created it.
    InviteId,
    16,
    "invite id"
);

/// A device: its Ed25519 public key. Shown as 52 lowercase base32 characters; [`DeviceId::short`]
/// gives the first 8 for people.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct DeviceId(pub [u8; 32]);

impl DeviceId {
    /// The raw Ed25519 public key.
    pub fn as_bytes(&self) -> &[u8; 32] {
        &self.0
    }

    /// The first 8 characters of the text form, enough to tell devices apart in a list.
    pub fn short(&self) -> String {
        self.to_string().chars().take(8).collect()
    }
}

impl fmt::Display for DeviceId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&BASE32_DNSSEC.encode(&self.0))
    }
}

impl fmt::Debug for DeviceId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "DeviceId({})", self.short())
    }
}

impl FromStr for DeviceId {
    type Err = ParseIdError;
    fn from_str(s: &str) -> Result<Self, ParseIdError> {
        let err = || ParseIdError::new("device id", s, "52 base32 characters (0-9, a-v)");
        let bytes = BASE32_DNSSEC.decode(s.as_bytes()).map_err(|_| err())?;
        <[u8; 32]>::try_from(bytes.as_slice())
            .map(DeviceId)
            .map_err(|_| err())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hex_ids_round_trip_and_reject_bad_text() {
        let ws = WorkspaceId([0xab; 16]);
        assert_eq!(ws.to_string(), "ab".repeat(16));
        assert_eq!(ws.to_string().parse::<WorkspaceId>(), Ok(ws));
        assert!("AB".repeat(16).parse::<WorkspaceId>().is_err());
        assert!("ab".repeat(15).parse::<DocumentId>().is_err());
        let err = "xyz".parse::<DocumentId>().expect_err("not hex");
        assert!(
            err.to_string().contains("32 lowercase hex characters"),
            "{err}"
        );
    }

    #[test]
    fn device_ids_round_trip_case_insensitively() {
        let id = DeviceId([7; 32]);
        let text = id.to_string();
        assert_eq!(text.len(), 52);
        assert_eq!(text.parse::<DeviceId>(), Ok(id));
        assert_eq!(text.to_uppercase().parse::<DeviceId>(), Ok(id));
        assert_eq!(id.short().len(), 8);
        assert!(text[..51].parse::<DeviceId>().is_err());
    }
}
