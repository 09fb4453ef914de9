//! Identifiers. Every object is one Automerge document named by a [`DocId`].

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use crate::Error;

/// The id of one object (one Automerge document): 32 lowercase hex digits.
///
/// Ids are minted by the caller (the engine draws them from a random source);
/// the core only checks their shape, so it never touches randomness itself.
#[derive(Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, ts_rs::TS)]
#[serde(try_from = "String", into = "String")]
#[ts(type = "string")]
pub struct DocId(String);

impl DocId {
    pub const LEN: usize = 32;

    /// Builds an id from 16 random bytes supplied by the caller.
    pub fn from_bytes(bytes: [u8; 16]) -> Self {
        let mut s = String::with_capacity(Self::LEN);
        for b in bytes {
            s.push_str(&format!("{b:02x}"));
        }
        DocId(s)
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl FromStr for DocId {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self, Error> {
        let ok = s.len() == Self::LEN && s.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'));
        if ok {
            Ok(DocId(s.to_owned()))
        } else {
            Err(Error::InvalidId(s.chars().take(80).collect()))
        }
    }
}

impl TryFrom<String> for DocId {
    type Error = Error;
    fn try_from(s: String) -> Result<Self, Error> {
        s.parse()
    }
}

impl From<DocId> for String {
    fn from(id: DocId) -> String {
        id.0
    }
}

impl fmt::Display for DocId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl fmt::Debug for DocId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "DocId({})", self.0)
    }
}

/// A member is an object like any other; its id is the id of its document.
pub type MemberId = DocId;

/// The kinds of object Meridian stores, one Automerge document each.
#[derive(
    Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Debug, Serialize, Deserialize, ts_rs::TS,
)]
#[serde(rename_all = "snake_case")]
pub enum Kind {
    Workspace,
    Member,
    Charter,
    Page,
    Decision,
    Meeting,
    Thread,
    Checkin,
    Task,
}

impl Kind {
    pub const ALL: [Kind; 9] = [
        Kind::Workspace,
        Kind::Member,
        Kind::Charter,
        Kind::Page,
        Kind::Decision,
        Kind::Meeting,
        Kind::Thread,
        Kind::Checkin,
        Kind::Task,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Workspace => "workspace",
            Kind::Member => "member",
            Kind::Charter => "charter",
            Kind::Page => "page",
            Kind::Decision => "decision",
            Kind::Meeting => "meeting",
            Kind::Thread => "thread",
            Kind::Checkin => "checkin",
            Kind::Task => "task",
        }
    }
}

impl fmt::Display for Kind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Kind {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self, Error> {
        let s = s.trim().to_ascii_lowercase();
        let s = s.strip_suffix('s').unwrap_or(&s);
        Kind::ALL
            .into_iter()
            .find(|k| k.as_str() == s || (s == "check-in" && *k == Kind::Checkin))
            .ok_or_else(|| Error::UnknownKind(s.to_owned()))
    }
}
