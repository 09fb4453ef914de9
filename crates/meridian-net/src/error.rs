//! Why sync could not do what was asked, as a type: callers (the session loop, the CLI, the
//! UI through the engine's `ErrorKind`) decide on the variant, never on the text.

use meridian_sync::ErrorCode;

use crate::DbError;

/// A failure of sync. Each variant's text says what happened and what to do.
#[derive(Debug, thiserror::Error)]
pub enum SyncError {
    /// The workspace has no relay or membership yet; `what` says what was attempted.
    #[error("this workspace is not shared{what}")]
    NotShared { what: &'static str },
    /// No relay address is set.
    #[error("no relay is set: create an invite with --relay URL")]
    NoRelay,
    /// This device was removed from the workspace, or was never a member.
    #[error("{message}")]
    Removed { message: String },
    /// The relay refused this device for another reason.
    #[error("the relay refused this device: {message}")]
    Refused { code: ErrorCode, message: String },
    /// The network or the relay went away, or the address is wrong.
    #[error("{0}")]
    Transport(String),
    /// A peer sent something that breaks the protocol, or a document or checkpoint did
    /// not check out.
    #[error("{0}")]
    Protocol(String),
    /// `sync.db` or the keychain failed.
    #[error("{0}")]
    Storage(String),
    /// Input that cannot be used (a role name, an invite, a join request).
    #[error("{0}")]
    Invalid(String),
    /// The documents (the engine's store) failed to read, merge or save.
    #[error("{0}")]
    Documents(String),
    /// The workspace is closing.
    #[error("the workspace is closing")]
    Stopped,
}

/// `From` impls that keep an error's text under one variant.
macro_rules! sync_errors {
    ($variant:ident: $($t:ty),+ $(,)?) => {$(
        impl From<$t> for SyncError {
            fn from(e: $t) -> Self {
                SyncError::$variant(e.to_string())
            }
        }
    )+};
}

// `sync.db` and the key file.
sync_errors!(Storage: DbError, meridian_sync::KeyFileError);

// The protocol crate's errors: what a peer or a stored envelope got wrong.
sync_errors!(
    Protocol: std::num::TryFromIntError,
    meridian_sync::Error,
    meridian_sync::EnvelopeError,
    meridian_sync::MembershipError,
    meridian_sync::KeyError,
    meridian_sync::WireError,
    meridian_sync::JoinError,
);

// Ids and invite codes people type or paste.
sync_errors!(Invalid: meridian_sync::InviteCodeError, meridian_sync::ParseIdError);
