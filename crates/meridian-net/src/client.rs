//! The runtime's state and the operations on it (ARCHITECTURE: Sync and security): this
//! device's keys, the membership log, sealing local changes into envelopes, applying remote
//! ones, invites, removal and status. Sessions over the relay and the local network are in
//! [`crate::session`] and [`crate::lan`].
//!
//! Everything a session needs lives in [`SyncParts`] behind one async lock: `sync.db`
//! (envelopes, sealed heads, membership, invites), this device's keys and the membership
//! log. Sealing compares each document's stored heads with its sealed heads, so local
//! edits made offline or before a crash are sealed on the next pass.

use std::collections::BTreeMap;
use std::sync::Arc;

use meridian_sync::{
    CheckpointId, CheckpointPart, DeviceId, DeviceKeys, DocumentId, Envelope, EpochKey, Header,
    Invite, MembershipLog, Role, VersionVector, WorkspaceId, checkpoint,
};
use serde::Serialize;
use tokio::sync::{Mutex, MutexGuard, watch};

use crate::db::{self, SyncDb};
use crate::docs::{Documents, Unsealed};
use crate::{SyncError, device, transport};

/// Envelopes waiting for a missing dependency read per page when they are retried.
const UNAPPLIED_PAGE: usize = 256;
const SYNC_DB: &str = "sync.db";

/// This device's sync state, loaded on first use.
#[derive(Debug)]
pub struct SyncParts {
    pub db: SyncDb,
    pub keys: DeviceKeys,
    /// `None` until the workspace is shared (an invite) or joined.
    pub membership: Option<MembershipLog>,
    /// A session with the relay is logged in right now.
    pub connected: bool,
    /// When `last_contact_ms` and `relay_has_mine` were last written to `sync.db`.
    pub(crate) contact_recorded_ms: i64,
    pub(crate) acked_recorded: Option<u64>,
    /// Documents sealed while someone was typing, and when: each gets an idle checkpoint
    /// pass once [`checkpoint::IDLE_MS`] passed without another.
    pub(crate) typing: std::collections::HashMap<String, i64>,
}

/// One workspace's sync state on this device, shared by every session and every clone of
/// the engine's handle: [`SyncParts`] (opened on first use) behind one async lock, and the
/// nudges that wake running sessions.
#[derive(Debug)]
pub struct SyncClient {
    slot: Mutex<Option<SyncParts>>,
    /// Counts nudges: every session (relay and devices) watches it.
    nudge: watch::Sender<u64>,
    /// How much may wait for a missing dependency per document before more is set aside.
    waiting: db::WaitingLimit,
}

impl Default for SyncClient {
    fn default() -> Self {
        SyncClient {
            slot: Mutex::new(None),
            nudge: watch::Sender::new(0),
            waiting: waiting_limit_from_env(),
        }
    }
}

/// [`db::WaitingLimit`], with `MERIDIAN_MAX_WAITING` (envelopes per document) when set: for
/// tests, and for a device that must hold less.
fn waiting_limit_from_env() -> db::WaitingLimit {
    let mut limit = db::WaitingLimit::default();
    if let Some(n) = std::env::var("MERIDIAN_MAX_WAITING")
        .ok()
        .and_then(|v| v.trim().parse::<u64>().ok())
        .filter(|n| *n > 0)
    {
        limit.envelopes = n;
    }
    limit
}

/// The sync runtime over one workspace's documents. Cheap to clone.
#[derive(Debug, Clone)]
pub struct Net<D> {
    client: Arc<SyncClient>,
    pub(crate) docs: D,
}

/// A time in milliseconds since the Unix epoch, as RFC 3339 in UTC.
pub(crate) fn rfc3339(ms: i64) -> String {
    chrono::DateTime::from_timestamp_millis(ms)
        .unwrap_or_default()
        .to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
}

/// One device of the workspace, for `meridian devices`.
#[derive(Debug, Clone, Serialize, ts_rs::TS)]
pub struct DeviceInfo {
    pub id: String,
    pub member: String,
    pub role: String,
    pub removed: bool,
    pub this_device: bool,
}

/// What sync has established, from acknowledged facts only.
#[derive(Debug, Clone, Serialize, ts_rs::TS)]
pub struct SyncStatus {
    pub device: String,
    pub relay: Option<String>,
    /// Envelopes of this device the relay has not acknowledged.
    pub pending: u64,
    /// Local changes not yet sealed into envelopes (counted in documents).
    pub unsealed_documents: u64,
    pub last_contact: Option<String>,
    pub synced: bool,
    /// Why it is not synced, in words.
    pub reason: Option<String>,
    /// Who holds everything this device made, when synced: `the relay`, or a device on
    /// the local network ("Bo's device 3f2a9c1e on the local network") when that is the
    /// only route that does.
    pub via: Option<String>,
    /// Changes from other devices set aside because too many of their document already
    /// wait for changes this device does not have, in words (`docs/limits.md`).
    pub set_aside: Option<String>,
}

pub(crate) fn sync_err(e: impl Into<SyncError>) -> SyncError {
    e.into()
}

pub(crate) fn role_name(r: Role) -> &'static str {
    match r {
        Role::Admin => "admin",
        Role::Editor => "editor",
        Role::Viewer => "viewer",
    }
}

/// Parses a role name given on the command line or in the app.
pub fn parse_role(s: &str) -> Result<Role, SyncError> {
    match s.trim().to_lowercase().as_str() {
        "admin" => Ok(Role::Admin),
        "editor" => Ok(Role::Editor),
        "viewer" => Ok(Role::Viewer),
        other => Err(SyncError::Invalid(format!(
            "unknown role {other:?}: use admin, editor or viewer"
        ))),
    }
}

impl SyncParts {
    /// Picks up membership ops another process of this device saved to `sync.db` (a
    /// `meridian remove-device` beside a running `meridian sync`). Returns whether it did.
    pub(crate) fn reload_membership(&mut self, now_ms: i64) -> Result<bool, SyncError> {
        let Some(stored) = self.db.membership(now_ms).map_err(sync_err)? else {
            return Ok(false);
        };
        let newer = self
            .membership
            .as_ref()
            .is_none_or(|m| stored.ops().len() > m.ops().len());
        if newer {
            self.membership = Some(stored);
        }
        Ok(newer)
    }
}

impl<D: Documents> Net<D> {
    /// The runtime for `docs`, over its shared state `client`.
    pub fn new(client: Arc<SyncClient>, docs: D) -> Self {
        Net { client, docs }
    }

    /// Asks every running session to send what changed (a new invite, a removal,
    /// envelopes another session received).
    pub fn nudge(&self) {
        self.client.nudge.send_modify(|n| *n = n.wrapping_add(1));
    }

    /// Nudges from now on: `changed()` resolves after each.
    pub(crate) fn nudges(&self) -> watch::Receiver<u64> {
        self.client.nudge.subscribe()
    }

    /// The sync state, opening `sync.db` and the device key on first use.
    pub(crate) async fn parts(&self) -> Result<MutexGuard<'_, Option<SyncParts>>, SyncError> {
        let mut guard = self.client.slot.lock().await;
        if guard.is_none() {
            let dir = self.docs.data_dir();
            let now = self.docs.now_ms();
            let parts = tokio::task::spawn_blocking(move || -> Result<SyncParts, SyncError> {
                let mut db = SyncDb::open(&dir.join(SYNC_DB)).map_err(sync_err)?;
                let keys = device::load_or_create(&dir, &db)?;
                db.set_me(keys.id());
                let membership = db.membership(now).map_err(sync_err)?;
                Ok(SyncParts {
                    db,
                    keys,
                    membership,
                    connected: false,
                    contact_recorded_ms: 0,
                    acked_recorded: None,
                    typing: std::collections::HashMap::new(),
                })
            })
            .await
            .map_err(|_| SyncError::Stopped)??;
            *guard = Some(parts);
        }
        Ok(guard)
    }

    /// Starts sharing this workspace: its membership log, with this device as the first
    /// admin, and the first epoch key. Does nothing if it is already shared.
    pub async fn share(&self) -> Result<(), SyncError> {
        let ws = self.docs.workspace()?;
        let me = self.docs.me();
        let now = self.docs.now_ms();
        let mut guard = self.parts().await?;
        let parts = guard.as_mut().ok_or(SyncError::Stopped)?;
        if parts.membership.is_some() {
            return Ok(());
        }
        let mut rng = rand::rng();
        let key = EpochKey::generate(&mut rng);
        // The log is read by the relay: it names the member by id, the workspace not at all.
        let log = MembershipLog::create(&parts.keys, ws, "", &me, &key, now, &mut rng)
            .map_err(sync_err)?;
        parts.db.save_membership(&log).map_err(sync_err)?;
        parts.membership = Some(log);
        Ok(())
    }

    /// Whether this workspace syncs with a relay (it was shared or joined).
    pub async fn is_shared(&self) -> bool {
        if !self.docs.data_dir().join(SYNC_DB).exists() {
            return false;
        }
        let Ok(guard) = self.parts().await else {
            return false;
        };
        guard.as_ref().is_some_and(|p| {
            p.membership.as_ref().is_some_and(|l| !l.is_empty())
                && p.db.get(db::key::RELAY).ok().flatten().is_some()
        })
    }

    /// Creates a single-use invite to join through `relay_url`, valid for `valid_ms`.
    pub async fn create_invite(
        &self,
        relay_url: &str,
        role: Role,
        valid_ms: i64,
    ) -> Result<String, SyncError> {
        let relay_url = &normalise_relay_url(relay_url)?;
        self.share().await?;
        let ws = self.docs.workspace()?;
        let now = self.docs.now_ms();
        let mut guard = self.parts().await?;
        let parts = guard.as_mut().ok_or(SyncError::Stopped)?;
        let me = parts.keys.id();
        let log = parts.membership.as_mut().ok_or(SyncError::Stopped)?;
        if log.state().role(&me) != Some(Role::Admin) {
            return Err(SyncError::Invalid(
                "only an admin device can invite: ask an admin of this workspace".into(),
            ));
        }
        let pin = relay_pin(&mut parts.db, relay_url).await?;
        let mut rng = rand::rng();
        let invite = Invite::new(
            relay_url,
            pin,
            ws,
            parts.keys.public(),
            now + valid_ms,
            &mut rng,
        );
        log.append(&parts.keys, invite.created_op(role), now)
            .map_err(sync_err)?;
        let code = invite.encode();
        parts
            .db
            .save_invite(&invite.invite_id.to_string(), &code, now + valid_ms)
            .map_err(sync_err)?;
        parts.db.save_membership(log).map_err(sync_err)?;
        if parts
            .db
            .get_str(db::key::RELAY)
            .map_err(sync_err)?
            .is_none()
        {
            parts
                .db
                .set(db::key::RELAY, relay_url.as_bytes())
                .map_err(sync_err)?;
        }
        drop(guard);
        self.nudge();
        Ok(code)
    }

    /// Points this device at another address of the same relay deployment (several relays
    /// on one database, a relay moved to another host). Nothing is downloaded again and
    /// nothing waiting is lost: cursors belong to the relay's log, which the address does
    /// not change, and what waits to be sent waits in `sync.db`. The certificate pin stays:
    /// a `wss://` relay at the new address must present the pinned certificate, and a
    /// pinned relay cannot be swapped for one without TLS. Takes effect at the next
    /// connection. Returns the address as it will be used.
    pub async fn set_relay(&self, relay_url: &str) -> Result<String, SyncError> {
        let url = normalise_relay_url(relay_url)?;
        let mut guard = self.parts().await?;
        let parts = guard.as_mut().ok_or(SyncError::Stopped)?;
        if parts
            .db
            .get_str(db::key::RELAY)
            .map_err(sync_err)?
            .is_none()
        {
            return Err(SyncError::NotShared {
                what: ": join it or create an invite with --relay URL first",
            });
        }
        if parts.db.relay_pin().map_err(sync_err)?.is_some() && !url.starts_with("wss://") {
            return Err(SyncError::Invalid(format!(
                "this device pinned the relay's TLS certificate; {url} has no TLS: use the wss:// address of the same relay"
            )));
        }
        parts
            .db
            .set(db::key::RELAY, url.as_bytes())
            .map_err(sync_err)?;
        drop(guard);
        self.nudge();
        Ok(url)
    }

    /// The devices of the workspace.
    pub async fn devices(&self) -> Result<Vec<DeviceInfo>, SyncError> {
        let mut guard = self.parts().await?;
        let parts = guard.as_mut().ok_or(SyncError::Stopped)?;
        let me = parts.keys.id();
        let Some(log) = &parts.membership else {
            return Ok(vec![DeviceInfo {
                id: me.to_string(),
                member: self.docs.my_name(),
                role: "admin".into(),
                removed: false,
                this_device: true,
            }]);
        };
        let mut devices: Vec<DeviceInfo> = log
            .state()
            .devices()
            .map(|(id, d)| DeviceInfo {
                id: id.to_string(),
                member: d.member.clone(),
                role: role_name(d.role).into(),
                removed: d.removed,
                this_device: *id == me,
            })
            .collect();
        drop(guard);
        // Member ids become names where the member's document has arrived.
        let members: Vec<String> = devices.iter().map(|d| d.member.clone()).collect();
        let names = self.docs.member_names(members).await?;
        for d in &mut devices {
            if let Some(name) = names.get(&d.member) {
                d.member.clone_from(name);
            }
        }
        Ok(devices)
    }

    /// Removes a device and rotates the key in the same step. The removed device keeps what
    /// it already synced; it can read nothing written after this.
    pub async fn remove_device(&self, device: &str) -> Result<(), SyncError> {
        let target: DeviceId = device.trim().parse().map_err(sync_err)?;
        let now = self.docs.now_ms();
        let mut guard = self.parts().await?;
        let parts = guard.as_mut().ok_or(SyncError::Stopped)?;
        let log = parts.membership.as_mut().ok_or(SyncError::NotShared {
            what: ": no devices to remove",
        })?;
        let mut rng = rand::rng();
        let key = EpochKey::generate(&mut rng);
        log.remove_device_and_rotate(&parts.keys, target, &key, now, &mut rng)
            .map_err(sync_err)?;
        parts.db.save_membership(log).map_err(sync_err)?;
        drop(guard);
        self.nudge();
        Ok(())
    }

    /// Seals every local change not yet in an envelope. Returns how many envelopes it made.
    pub async fn seal_pending(&self) -> Result<usize, SyncError> {
        let mut guard = self.parts().await?;
        let parts = guard.as_mut().ok_or(SyncError::Stopped)?;
        self.seal_with(parts, true).await
    }

    /// Seals every document whose stored heads passed its sealed heads, then checkpoints
    /// those whose tail calls for it. `idle`: nobody is typing (a one-off sync, a start);
    /// otherwise the documents are remembered for [`Net::checkpoint_quiet`].
    pub(crate) async fn seal_with(
        &self,
        parts: &mut SyncParts,
        idle: bool,
    ) -> Result<usize, SyncError> {
        let Some(sealer) = Sealer::new(&self.docs, parts)? else {
            return Ok(0);
        };
        let since = parts
            .db
            .get_str(db::key::SEALED_THROUGH)
            .map_err(sync_err)?;
        let (mark, stored) = self.docs.stored_heads_since(since).await?;
        let mut made = 0;
        let mut touched = Vec::new();
        for (id, heads_key) in stored {
            let sealed = parts.db.sealed(&id).map_err(sync_err)?;
            if self.docs.heads_key(&sealed) == heads_key {
                continue;
            }
            if let Some(changes) = self.docs.unsealed_changes(&id, &sealed, &heads_key).await? {
                sealer.seal(parts, &id, &changes)?;
                made += 1;
                touched.push(id);
            }
        }
        // Everything written up to the mark is sealed: the next pass looks only at what
        // is written after it (O(changed), not O(workspace), at every local change).
        parts
            .db
            .set(db::key::SEALED_THROUGH, mark.as_bytes())
            .map_err(sync_err)?;
        let now = self.docs.now_ms();
        for id in touched {
            if !idle {
                parts.typing.insert(id.clone(), now);
            }
            if self.checkpoint_if_due(parts, &sealer, &id, idle).await? {
                made += 1;
            }
        }
        if made > 0 {
            // Every running session offers them, not only the one that sealed.
            self.nudge();
        }
        Ok(made)
    }

    /// Gives the documents nobody typed in for [`checkpoint::IDLE_MS`] their idle
    /// checkpoint pass. Returns how many checkpoints it sealed.
    pub(crate) async fn checkpoint_quiet(&self, parts: &mut SyncParts) -> Result<usize, SyncError> {
        let now = self.docs.now_ms();
        let quiet: Vec<String> = parts
            .typing
            .iter()
            .filter(|(_, at)| now - **at >= checkpoint::IDLE_MS)
            .map(|(id, _)| id.clone())
            .collect();
        if quiet.is_empty() {
            return Ok(0);
        }
        let Some(sealer) = Sealer::new(&self.docs, parts)? else {
            parts.typing.clear();
            return Ok(0);
        };
        let mut made = 0;
        for id in quiet {
            parts.typing.remove(&id);
            if self.checkpoint_if_due(parts, &sealer, &id, true).await? {
                made += 1;
            }
        }
        Ok(made)
    }

    /// Seals a checkpoint of `id` when its uncovered tail calls for one and this device
    /// wrote some of it (so a reader that only receives does not compact), then drops
    /// from the local log what it makes redundant.
    async fn checkpoint_if_due(
        &self,
        parts: &mut SyncParts,
        sealer: &Sealer,
        id: &str,
        idle: bool,
    ) -> Result<bool, SyncError> {
        let doc: DocumentId = id.parse().map_err(sync_err)?;
        let tail = parts.db.tail(&doc, &sealer.me).map_err(sync_err)?;
        if !tail.mine || !checkpoint::due(&tail.stats, idle) {
            return Ok(false);
        }
        // Under the sync lock no remote change can be applied meanwhile, so the document
        // saved next holds at least every change of what the frontier counts.
        let covers = parts.db.applied_frontier(&doc).map_err(sync_err)?;
        if covers.is_empty() {
            return Ok(false);
        }
        let (heads, saved) = self.docs.checkpoint_state(id).await?;
        let loaded = automerge::Automerge::load(&saved).map_err(|e| {
            SyncError::Protocol(format!("a checkpoint of {id} does not load back: {e}"))
        })?;
        if sorted(loaded.get_heads()) != sorted(heads.clone()) {
            return Err(SyncError::Protocol(format!(
                "a checkpoint of {id} loads back with other heads than it was saved with"
            )));
        }
        let heads: Vec<[u8; 32]> = heads.iter().map(|h| h.0).collect();
        let body = checkpoint::encode_body(&heads, &saved);
        let ck = sealer.seal_checkpoint(parts, &doc, &covers, &body)?;
        tracing::debug!(%id, checkpoint = %ck, bytes = body.len(), "sealed a checkpoint");
        let acked = relay_acked(&parts.db)?;
        parts.db.collect_garbage(&doc, acked).map_err(sync_err)?;
        Ok(true)
    }

    /// Applies a remote envelope accepted by a session: decrypts it, merges its changes
    /// into the document (creating it if new), persists and announces the result. It is
    /// marked applied once the document has every change it depends on; until then it is
    /// retried by [`Net::apply_unapplied`]. A checkpoint part waits for the others,
    /// then the checkpoint is checked, merged and judged ([`Net::apply_checkpoint`]).
    pub(crate) async fn apply_envelope(
        &self,
        parts: &mut SyncParts,
        env: &Envelope,
        keys: &BTreeMap<u64, EpochKey>,
    ) -> Result<bool, SyncError> {
        let header = env.header();
        let restoring = parts.db.restoring().map_err(sync_err)?.is_some();
        if header.device == parts.keys.id() && !restoring {
            // Our own, coming back: already in the document.
            parts.db.mark_applied(env).map_err(sync_err)?;
            return Ok(true);
        }
        if let Some((ck, _)) = header.checkpoint() {
            return self.apply_checkpoint(parts, &header.doc, &ck, keys).await;
        }
        let bytes = open_body(parts, env, keys)?;
        // Automerge inflates without a limit: a deflate bomb stays unapplied (issue 21).
        meridian_sync::inflate::check(&bytes).map_err(|e| SyncError::Protocol(e.to_string()))?;
        let id = header.doc.to_string();
        let applied = self.merge_into(parts, &id, &bytes).await?;
        if applied {
            parts.db.mark_applied(env).map_err(sync_err)?;
        }
        Ok(applied)
    }

    /// Merges remote bytes (changes or a saved document) into `id`, sealing local changes
    /// first; true once nothing waits for a missing dependency.
    async fn merge_into(
        &self,
        parts: &mut SyncParts,
        id: &str,
        bytes: &[u8],
    ) -> Result<bool, SyncError> {
        let sealed = parts.db.sealed(id).map_err(sync_err)?;
        let sealer = Sealer::new(&self.docs, parts)?;
        let merged = self
            .docs
            .merge_remote(id, bytes, &sealed, |local| match &sealer {
                Some(sealer) => sealer.seal(parts, id, &local),
                None => Ok(()),
            })
            .await?;
        if !merged.complete {
            return Ok(false);
        }
        // While `sync.db` is rebuilt beside a kept store, local changes that never reached
        // an envelope may sit in the document: its sealed heads stay behind, so they are
        // sealed (with numbers learned from the relay) once the restore ends.
        if parts.db.restoring().map_err(sync_err)?.as_deref() != Some("sync") {
            parts.db.set_sealed(id, &merged.heads).map_err(sync_err)?;
        }
        Ok(true)
    }

    /// Once every part of checkpoint `ck` is here: loads it, checks that it holds the
    /// heads it names and every change of every envelope this device holds that it claims
    /// to cover, merges it, and records the verdict for the relay. A checkpoint that fails
    /// is still merged (a merge only adds changes) but never stands in for anything here.
    async fn apply_checkpoint(
        &self,
        parts: &mut SyncParts,
        doc: &DocumentId,
        ck: &CheckpointId,
        keys: &BTreeMap<u64, EpochKey>,
    ) -> Result<bool, SyncError> {
        if parts.db.has_verdict(ck).map_err(sync_err)? {
            return Ok(true);
        }
        let Some(pieces) = parts.db.checkpoint_parts(doc, ck).map_err(sync_err)? else {
            return Ok(false); // Parts still to come.
        };
        let covers = parts
            .db
            .coverage()
            .get(doc, ck)
            .map(|c| c.covers.clone())
            .unwrap_or_default();
        let mut body = Vec::new();
        for piece in &pieces {
            body.extend_from_slice(&open_body(parts, piece, keys)?);
        }
        let verdict = check_checkpoint(parts, doc, &covers, &body, keys);
        let id = doc.to_string();
        let merged = match checkpoint::decode_body(&body) {
            Some((_, saved)) if meridian_sync::inflate::check(saved).is_ok() => {
                self.merge_into(parts, &id, saved).await?
            }
            // Malformed, or a deflate bomb: nothing to merge (the verdict says why).
            _ => true,
        };
        if let Err(reason) = &verdict {
            tracing::warn!(%id, checkpoint = %ck, %reason, "a checkpoint failed its check");
        }
        // Our own checkpoint, returned by a restore, needs no verdict at the relay.
        let mine = ck.author == parts.keys.id();
        parts
            .db
            .record_verdict(doc, ck, verdict.is_ok(), mine)
            .map_err(sync_err)?;
        if verdict.is_ok() {
            let acked = relay_acked(&parts.db)?;
            parts.db.collect_garbage(doc, acked).map_err(sync_err)?;
        }
        Ok(merged)
    }

    /// Applies an envelope a session just received, unless it would wait for a missing
    /// dependency while too much of its document already does: then it is set aside, kept
    /// but neither applied nor retried, and comes back among the waiting ones as they are
    /// applied
    /// ([`Net::retry_unapplied`]). A member that seals changes whose dependencies never
    /// exist costs every device at most [`db::WaitingLimit`] per document in retries and
    /// in Automerge's queue of the open document; nothing a late dependency would have
    /// released is lost.
    pub(crate) async fn apply_received(
        &self,
        parts: &mut SyncParts,
        env: &Envelope,
        keys: &BTreeMap<u64, EpochKey>,
    ) -> Result<bool, SyncError> {
        let header = env.header();
        if header.checkpoint().is_none() && header.device != parts.keys.id() {
            let limit = self.client.waiting;
            let (n, bytes) = parts.db.waiting_beside(env).map_err(sync_err)?;
            let size = env.encoded_len_bound() as u64;
            if n > 0
                && (n >= limit.envelopes || bytes.saturating_add(size) > limit.bytes)
                && !self
                    .docs
                    .ready(&header.doc.to_string(), &open_body(parts, env, keys)?)
                    .await?
            {
                parts.db.set_aside(env).map_err(sync_err)?;
                tracing::warn!(
                    doc = %header.doc,
                    author = %header.device,
                    waiting = n,
                    "set aside a change: {n} changes of this document already wait for changes this device does not have"
                );
                return Ok(false);
            }
        }
        self.apply_envelope(parts, env, keys).await
    }

    /// Applies envelopes received but not applied: after a crash between the two, or
    /// while a change they depend on had not arrived. Repeats while it makes progress.
    pub(crate) async fn apply_unapplied(&self, parts: &mut SyncParts) -> Result<(), SyncError> {
        self.retry_unapplied(parts, None).await
    }

    /// As [`Net::apply_unapplied`], for the envelopes of `docs` only (or all when `None`),
    /// a page at a time: a dependency is always in the same document, so what was just
    /// applied to a document can only release that document's waiting envelopes, and
    /// however many a misbehaving member made wait (the relay's quota bounds them on disk),
    /// one pass holds [`UNAPPLIED_PAGE`] of them in memory.
    pub(crate) async fn retry_unapplied(
        &self,
        parts: &mut SyncParts,
        docs: Option<&std::collections::BTreeSet<String>>,
    ) -> Result<(), SyncError> {
        let Some(log) = &parts.membership else {
            return Ok(());
        };
        if !parts.db.has_unapplied().map_err(sync_err)? {
            return Ok(());
        }
        let keys = log.state().epoch_keys_for(&parts.keys).map_err(sync_err)?;
        let scopes: Vec<Option<&str>> = match docs {
            Some(docs) => docs.iter().map(|d| Some(d.as_str())).collect(),
            None => vec![None],
        };
        loop {
            for doc in &scopes {
                parts
                    .db
                    .release_set_aside(*doc, self.client.waiting)
                    .map_err(sync_err)?;
            }
            let mut progress = false;
            for doc in &scopes {
                let mut after = 0;
                loop {
                    let page = parts
                        .db
                        .unapplied_page(*doc, after, UNAPPLIED_PAGE)
                        .map_err(sync_err)?;
                    let Some((last, _)) = page.last() else { break };
                    after = *last;
                    for (_, env) in page {
                        match self.apply_envelope(parts, &env, &keys).await {
                            Ok(applied) => progress |= applied,
                            Err(e) => {
                                tracing::warn!(error = %e, "cannot apply a received envelope");
                            }
                        }
                    }
                }
            }
            if !progress {
                return Ok(());
            }
        }
    }

    /// What sync knows, from acknowledged facts.
    pub async fn sync_status(&self) -> Result<SyncStatus, SyncError> {
        let mut guard = self.parts().await?;
        let parts = guard.as_mut().ok_or(SyncError::Stopped)?;
        let me = parts.keys.id();
        let relay = parts.db.get_str(db::key::RELAY).map_err(sync_err)?;
        let acked: u64 = parts
            .db
            .get_str(db::key::RELAY_HAS_MINE)
            .map_err(sync_err)?
            .and_then(|v| v.parse().ok())
            .unwrap_or(0);
        let pending = parts.db.own_after(acked).map_err(sync_err)?;
        let last_contact = parts.db.get_str(db::key::LAST_CONTACT).map_err(sync_err)?;
        let last_error = parts.db.get_str(db::key::LAST_ERROR).map_err(sync_err)?;
        let mut unsealed = 0;
        if parts.membership.is_some() {
            // Documents written since the last complete seal pass (all without one).
            let since = parts
                .db
                .get_str(db::key::SEALED_THROUGH)
                .map_err(sync_err)?;
            let (_, stored) = self.docs.stored_heads_since(since).await?;
            for (id, heads_key) in &stored {
                let sealed = parts.db.sealed(id).map_err(sync_err)?;
                if self.docs.heads_key(&sealed) != *heads_key {
                    unsealed += 1;
                }
            }
        }
        let removed = parts
            .membership
            .as_ref()
            .is_some_and(|l| l.state().is_removed(&me));
        let reason = if removed {
            Some("this device was removed from the workspace: it keeps what it already synced but can no longer sync".into())
        } else if parts.membership.is_none() {
            Some("this workspace is not shared yet: create an invite to start syncing".into())
        } else if relay.is_none() {
            Some("no relay is set and no device on the local network holds this device's changes yet: create an invite with --relay URL, or run `meridian sync` on two devices of the workspace on one network".into())
        } else if parts
            .membership
            .as_ref()
            .is_some_and(|l| !l.state().can_write(&me))
        {
            Some(
                "this device is a viewer: it receives changes, its own edits stay on this device"
                    .into(),
            )
        } else if let Some(e) = last_error.filter(|e| !e.is_empty()) {
            Some(e)
        } else if let Some(reason) = withheld(&parts.db)? {
            Some(reason)
        } else if pending > 0 || unsealed > 0 {
            Some(format!(
                "{pending} change batches not yet acknowledged by the relay, {unsealed} documents with unsent edits"
            ))
        } else if last_contact.is_none() {
            Some("never reached the relay".into())
        } else {
            None
        };
        let set_aside = set_aside_words(&parts.db, self.client.waiting)?;
        let fatal = removed
            || parts.membership.is_none()
            || parts
                .membership
                .as_ref()
                .is_some_and(|l| !l.state().can_write(&me));
        // The relay does not hold everything (or is not set): a device on the local
        // network that acknowledged all of it is the route that does.
        let mut lan_holder = None;
        if reason.is_some() && !fatal && unsealed == 0 {
            for row in parts.db.lan_peers().map_err(sync_err)? {
                if row.refused.is_none() && parts.db.own_after(row.has_mine).map_err(sync_err)? == 0
                {
                    lan_holder = Some(row.device);
                    break;
                }
            }
        }
        drop(guard);
        let (reason, via) = match (reason, lan_holder) {
            (None, _) => (None, Some("the relay".to_owned())),
            (Some(_), Some(device)) => {
                let names = self.device_members().await?;
                let member = names
                    .get(&device.to_string())
                    .map_or("a member", String::as_str);
                (
                    None,
                    Some(format!(
                        "{member}'s device {} on the local network",
                        device.short()
                    )),
                )
            }
            (reason, None) => (reason, None),
        };
        Ok(SyncStatus {
            device: me.to_string(),
            relay,
            pending,
            unsealed_documents: unsealed,
            last_contact: last_contact
                .and_then(|ms| ms.parse::<i64>().ok())
                .map(crate::client::rfc3339),
            synced: reason.is_none(),
            reason,
            via,
            set_aside,
        })
    }
}

/// What [`SyncStatus::set_aside`] says, if anything is set aside.
fn set_aside_words(db: &SyncDb, limit: db::WaitingLimit) -> Result<Option<String>, SyncError> {
    let counts = db.set_aside_counts().map_err(sync_err)?;
    let Some((doc, most)) = counts.first() else {
        return Ok(None);
    };
    let total: u64 = counts.iter().map(|(_, n)| n).sum();
    Ok(Some(format!(
        "{total} change batches from other devices are set aside in {} document(s) (document {doc}: {most}): more than {} batches or {} MiB of each already wait for changes this device does not have. They are kept, and applied once those changes arrive",
        counts.len(),
        limit.envelopes,
        limit.bytes / (1024 * 1024)
    )))
}

/// Why sync is not complete when envelopes of some document are missing below ones held.
fn withheld(db: &SyncDb) -> Result<Option<String>, SyncError> {
    let gaps = db.gaps().map_err(sync_err)?;
    let Some((doc, device, doc_seq)) = gaps.first() else {
        return Ok(None);
    };
    Ok(Some(format!(
        "{} document(s) miss changes the relay has not delivered (document {doc} lacks change batch {doc_seq} from device {}): sync again; if this stays, the relay is withholding data",
        gaps.len(),
        device.short()
    )))
}

fn sorted(mut heads: Vec<automerge::ChangeHash>) -> Vec<automerge::ChangeHash> {
    heads.sort_unstable();
    heads
}

/// How far into this device's log the relay acknowledged holding.
fn relay_acked(db: &SyncDb) -> Result<u64, SyncError> {
    Ok(db
        .get_str(db::key::RELAY_HAS_MINE)
        .map_err(sync_err)?
        .and_then(|v| v.parse().ok())
        .unwrap_or(0))
}

/// Decrypts an envelope this device holds with the key of its epoch.
fn open_body(
    parts: &SyncParts,
    env: &Envelope,
    keys: &BTreeMap<u64, EpochKey>,
) -> Result<Vec<u8>, SyncError> {
    let header = env.header();
    let key = keys.get(&header.epoch).ok_or_else(|| {
        SyncError::Protocol(format!(
            "no key for epoch {} (this device was added later or removed)",
            header.epoch
        ))
    })?;
    let ws = parts
        .membership
        .as_ref()
        .and_then(|l| l.state().workspace())
        .ok_or(SyncError::NotShared { what: "" })?;
    env.decrypt(&ws, key).map_err(sync_err)
}

/// Whether a checkpoint's joined plaintext loads, has the heads it names, and holds every
/// change of every `Changes` envelope held here that `covers` claims.
fn check_checkpoint(
    parts: &SyncParts,
    doc: &DocumentId,
    covers: &VersionVector,
    body: &[u8],
    keys: &BTreeMap<u64, EpochKey>,
) -> Result<(), String> {
    let (heads, saved) = checkpoint::decode_body(body).ok_or("its body is malformed")?;
    meridian_sync::inflate::check(saved).map_err(|e| e.to_string())?;
    let loaded = automerge::Automerge::load(saved).map_err(|e| format!("it does not load: {e}"))?;
    let named = sorted(heads.into_iter().map(automerge::ChangeHash).collect());
    if sorted(loaded.get_heads()) != named {
        return Err("it loads with other heads than it names".into());
    }
    let held = parts
        .db
        .covered_changes(doc, covers)
        .map_err(|e| e.to_string())?;
    for env in held {
        let bytes = open_body(parts, &env, keys).map_err(|e| e.to_string())?;
        for hash in change_hashes(&bytes)? {
            if loaded.get_change_meta_by_hash(&hash).is_none() {
                let (device, seq) = env.key();
                return Err(format!(
                    "it lacks change {hash} of envelope {seq} from device {}",
                    device.short()
                ));
            }
        }
    }
    Ok(())
}

/// The changes an envelope's body brings: each change chunk's hash, or the heads of a
/// saved document (which imply all of its history).
fn change_hashes(body: &[u8]) -> Result<Vec<automerge::ChangeHash>, String> {
    const MAGIC: [u8; 4] = [0x85, 0x6f, 0x4a, 0x83];
    let mut out = Vec::new();
    let mut rest = body;
    while !rest.is_empty() {
        if rest.len() < 10 || rest[..4] != MAGIC {
            return Err("an envelope body is not a sequence of Automerge chunks".into());
        }
        let kind = rest[8];
        // The chunk length: unsigned LEB128 after the magic, checksum and type.
        let (mut len, mut shift, mut i) = (0usize, 0u32, 9usize);
        loop {
            let byte = *rest.get(i).ok_or("a chunk length runs past the end")?;
            len |= usize::from(byte & 0x7f)
                .checked_shl(shift)
                .ok_or("a chunk length overflows")?;
            i += 1;
            if byte & 0x80 == 0 {
                break;
            }
            shift += 7;
            if shift > 56 {
                return Err("a chunk length overflows".into());
            }
        }
        let end = i
            .checked_add(len)
            .filter(|e| *e <= rest.len())
            .ok_or("a chunk runs past the end")?;
        let chunk = &rest[..end];
        if kind == 0 {
            let doc = automerge::Automerge::load(chunk).map_err(|e| e.to_string())?;
            out.extend(doc.get_heads());
        } else {
            let change =
                automerge::Change::from_bytes(chunk.to_vec()).map_err(|e| e.to_string())?;
            out.push(change.hash());
        }
        rest = &rest[end..];
    }
    Ok(out)
}

/// The certificate pin invites to a `wss://` relay carry: the one this device recorded, or
/// the certificate the relay presents now (trust on first use by the admin, who runs or
/// chose the relay; every joiner then accepts only that certificate).
async fn relay_pin(db: &mut SyncDb, relay_url: &str) -> Result<Option<[u8; 32]>, SyncError> {
    if !relay_url.starts_with("wss://") {
        return Ok(None);
    }
    let same_relay = db.get_str(db::key::RELAY).map_err(sync_err)?.as_deref() == Some(relay_url);
    if same_relay && let Some(pin) = db.relay_pin().map_err(sync_err)? {
        return Ok(Some(pin));
    }
    let link = transport::Link::connect(relay_url, None)
        .await
        .map_err(|e| SyncError::Transport(format!("cannot read the relay's certificate: {e}")))?;
    let pin = link.cert;
    link.close().await;
    if let Some(pin) = &pin {
        db.set(db::key::RELAY, relay_url.as_bytes())
            .map_err(sync_err)?;
        db.set_relay_pin(pin).map_err(sync_err)?;
    }
    Ok(pin)
}

/// The relay address to use for `url`: refuses what is not a WebSocket URL, and adds the
/// relay's `/sync` path when `url` has no path (`ws://host:7447`).
pub fn normalise_relay_url(url: &str) -> Result<String, SyncError> {
    transport::with_sync_path(url).map_err(SyncError::Invalid)
}

/// What sealing needs: the workspace, this device, and the current epoch and its key.
struct Sealer {
    ws: WorkspaceId,
    me: DeviceId,
    epoch: u64,
    key: EpochKey,
    now_ms: i64,
}

impl Sealer {
    /// `None` when this device cannot seal: not shared, or not allowed to write.
    fn new(docs: &impl Documents, parts: &SyncParts) -> Result<Option<Sealer>, SyncError> {
        let Some(log) = &parts.membership else {
            return Ok(None);
        };
        let me = parts.keys.id();
        if !log.state().can_write(&me) {
            return Ok(None);
        }
        // A restore has not yet learned from the relay how far this device's numbering
        // went: sealing now could reuse a number.
        if parts.db.restoring().map_err(sync_err)?.is_some() {
            return Ok(None);
        }
        Ok(Some(Sealer {
            ws: docs.workspace()?,
            me,
            epoch: log.state().epoch(),
            key: log.state().current_key_for(&parts.keys).map_err(sync_err)?,
            now_ms: docs.now_ms(),
        }))
    }

    /// Seals `changes` of `doc` as this device's next envelope and records the heads they
    /// cover, in one transaction.
    fn seal(&self, parts: &mut SyncParts, doc: &str, changes: &Unsealed) -> Result<(), SyncError> {
        let (seq, doc_seq) = parts.db.next_numbers(doc).map_err(sync_err)?;
        let doc_id: DocumentId = doc.parse().map_err(sync_err)?;
        let header = Header::changes(doc_id, self.epoch, self.me, seq, doc_seq, self.now_ms);
        let env = Envelope::seal(
            &self.ws,
            header,
            &changes.bytes,
            &parts.keys,
            &self.key,
            &mut rand::rng(),
        )
        .map_err(sync_err)?;
        parts
            .db
            .append_own(&[env], doc, Some(&changes.heads))
            .map_err(sync_err)
    }

    /// Seals a checkpoint of `doc` (its saved state, which holds every change of the
    /// envelopes in `covers`) as this device's next envelopes, after loading it back to
    /// check it holds what it claims.
    fn seal_checkpoint(
        &self,
        parts: &mut SyncParts,
        doc: &DocumentId,
        covers: &VersionVector,
        body: &[u8],
    ) -> Result<CheckpointId, SyncError> {
        let pieces = checkpoint::split_body(body);
        let count = u32::try_from(pieces.len()).map_err(sync_err)?;
        let first = parts.db.next_seq();
        let mut envs = Vec::with_capacity(pieces.len());
        for (i, piece) in (0u32..).zip(pieces) {
            let header = Header::new(
                *doc,
                self.epoch,
                self.me,
                first + u64::from(i),
                meridian_sync::Kind::Checkpoint(CheckpointPart {
                    covers: covers.clone(),
                    part: i,
                    parts: count,
                }),
                self.now_ms,
            );
            envs.push(
                Envelope::seal(
                    &self.ws,
                    header,
                    piece,
                    &parts.keys,
                    &self.key,
                    &mut rand::rng(),
                )
                .map_err(sync_err)?,
            );
        }
        parts
            .db
            .append_own(&envs, &doc.to_string(), None)
            .map_err(sync_err)?;
        Ok(CheckpointId {
            author: self.me,
            seq: first,
        })
    }
}
