//! What the sync runtime needs from the documents it syncs, as a trait the engine's
//! `Workspace` implements: the runtime never sees the store, the search index or the object
//! schemas, only document ids, Automerge bytes and heads.

use std::collections::BTreeMap;
use std::future::Future;
use std::path::PathBuf;

use automerge::ChangeHash;
use meridian_sync::{Role, WorkspaceId};

use crate::SyncError;

/// Local changes of one document not yet sealed into an envelope.
#[derive(Debug, Clone)]
pub struct Unsealed {
    pub bytes: Vec<u8>,
    /// The heads the bytes bring the document to.
    pub heads: Vec<ChangeHash>,
}

/// What merging remote changes did to a document.
#[derive(Debug, Clone)]
pub struct Merged {
    pub heads: Vec<ChangeHash>,
    /// No change is waiting for a dependency this device has not received yet.
    pub complete: bool,
}

/// The documents of one workspace, as sync reaches them. Cheap to clone (a handle).
pub trait Documents: Clone + Send + Sync + 'static {
    /// What the documents announce when something changed (any event wakes a running
    /// session to seal and send).
    type Event: Clone + Send + 'static;

    /// The owner's clock, in milliseconds since the Unix epoch.
    fn now_ms(&self) -> i64;

    /// The workspace these documents belong to.
    fn workspace(&self) -> Result<WorkspaceId, SyncError>;

    /// The member this device belongs to (its id).
    fn me(&self) -> String;

    /// The folder holding the workspace's files (`sync.db` and the key file go there).
    fn data_dir(&self) -> PathBuf;

    /// Events from now on.
    fn subscribe(&self) -> tokio::sync::broadcast::Receiver<Self::Event>;

    /// Every stored document's id and the key of its current heads.
    fn stored_heads(&self)
    -> impl Future<Output = Result<Vec<(String, String)>, SyncError>> + Send;

    /// As [`Documents::stored_heads`], for the documents changed since `mark` (a mark this
    /// returned before) only, or all of them when `mark` is `None` or of another database
    /// file; with the mark to pass next time. A write after the mark was taken is in the
    /// next answer.
    fn stored_heads_since(
        &self,
        mark: Option<String>,
    ) -> impl Future<Output = Result<(String, Vec<(String, String)>), SyncError>> + Send;

    /// The key [`Documents::stored_heads`] gives for `heads`.
    fn heads_key(&self, heads: &[ChangeHash]) -> String;

    /// The changes of `doc` since the `sealed` heads (the whole document when nothing was
    /// sealed yet), or `None` when there are none. `stored` is the document's heads key as
    /// [`Documents::stored_heads`] just read it: a copy held in memory with other heads is
    /// behind what another process wrote and must catch up first.
    fn unsealed_changes(
        &self,
        doc: &str,
        sealed: &[ChangeHash],
        stored: &str,
    ) -> impl Future<Output = Result<Option<Unsealed>, SyncError>> + Send;

    /// `doc` saved whole without orphans, with its heads, for a checkpoint.
    fn checkpoint_state(
        &self,
        doc: &str,
    ) -> impl Future<Output = Result<(Vec<ChangeHash>, Vec<u8>), SyncError>> + Send;

    /// Merges remote `bytes` (changes or a saved document) into `doc`, creating it if new;
    /// local changes past `sealed` are handed to `seal_local` first, so they are sealed
    /// before anything else moves the heads.
    fn merge_remote<F>(
        &self,
        doc: &str,
        bytes: &[u8],
        sealed: &[ChangeHash],
        seal_local: F,
    ) -> impl Future<Output = Result<Merged, SyncError>> + Send
    where
        F: FnOnce(Unsealed) -> Result<(), SyncError> + Send;

    /// Whether every change of `bytes` (remote changes for `doc`) depends only on changes
    /// the document holds or `bytes` brings: false when one would wait for a missing
    /// dependency. A saved document carries its own dependencies and is always ready.
    fn ready(
        &self,
        doc: &str,
        bytes: &[u8],
    ) -> impl Future<Output = Result<bool, SyncError>> + Send;

    /// Whether document `doc` is stored here (a blocking read of the catalog).
    fn has_document(&self, doc: &str) -> bool;

    /// The member a joining device belongs to: the member of that name if there is one
    /// (the same person on another device), else a new one. Returns the member's id.
    fn member_for_join(
        &self,
        name: &str,
        tz: &str,
        role: Role,
    ) -> impl Future<Output = Result<String, SyncError>> + Send;

    /// Display names of the given members, where their documents have arrived.
    fn member_names(
        &self,
        members: Vec<String>,
    ) -> impl Future<Output = Result<BTreeMap<String, String>, SyncError>> + Send;

    /// The display name of this device's member.
    fn my_name(&self) -> String;
}
