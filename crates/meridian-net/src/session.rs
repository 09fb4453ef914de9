//! Sync sessions, the same loop for every route: the relay (register the workspace once,
//! log in, exchange envelopes and membership, admit join requests as an admin, report
//! checkpoint verdicts) and devices on the local network ([`super::lan`]). A session either
//! stops once both sides hold the same (`sync --once`, joining) or keeps going (`sync`, the
//! desktop app), sealing local changes as they are made; the relay loop reconnects with
//! backoff.

use std::time::Duration;

use crate::channel::Channel;
use meridian_sync::{
    Closed, Ctx, DeviceId, EnvelopeLog, ErrorCode, Frame, PeerKind, Session, Step,
};
use rand::RngCore;
use tokio::sync::{broadcast, watch};
use tokio::time::{Instant, MissedTickBehavior};

use crate::SyncError;
use crate::client::{Net, SyncParts, sync_err};
use crate::db::key;
use crate::docs::Documents;
use crate::transport::Link;

const TICK: Duration = Duration::from_secs(5);
/// Local changes are sealed at most this often while edits keep coming.
const SEAL_DEBOUNCE: Duration = Duration::from_millis(150);
const BACKOFF_MAX: Duration = Duration::from_secs(30);
/// How long `sync --once` listens after both sides hold the same, for frames in flight.
const LINGER: Duration = Duration::from_millis(100);

/// What one session did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize)]
pub struct SyncReport {
    /// Envelopes this device sealed for the session.
    pub sealed: u64,
    /// Envelopes received from the other side.
    pub received: u64,
}

/// What one session remembers between frames.
#[derive(Debug, Default)]
pub(super) struct Memo {
    /// Checkpoint verdicts sent and not yet confirmed stored by the relay.
    verdicts_in_flight: Vec<meridian_sync::Verdict>,
    /// What was last written to `sync.db` about a peer (acknowledged position, synced),
    /// and when.
    peer_recorded: Option<(u64, bool)>,
    peer_recorded_ms: i64,
}

/// The other side of a session.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Route {
    /// The workspace's relay.
    Relay,
    /// A device on the local network.
    Peer(DeviceId),
}

/// A connection that carries frames: a WebSocket to the relay or a channel to a device.
pub(super) enum Conn {
    Relay(Link),
    Peer(Channel),
}

impl Conn {
    async fn send(&mut self, frame: &Frame) -> Result<(), Ended> {
        match self {
            Conn::Relay(link) => link.send(frame).await.map_err(Ended::Lost),
            Conn::Peer(ch) => ch.send(frame).await.map_err(|e| Ended::Lost(e.to_string())),
        }
    }

    /// The next frame, `None` once the other side closed. Cancel-safe.
    async fn recv(&mut self) -> Result<Option<Frame>, Ended> {
        match self {
            Conn::Relay(link) => link.recv().await.map_err(Ended::Lost),
            Conn::Peer(ch) => ch.recv().await.map_err(|e| Ended::Lost(e.to_string())),
        }
    }

    async fn close(self) {
        match self {
            Conn::Relay(link) => link.close().await,
            Conn::Peer(ch) => ch.close().await,
        }
    }
}

/// When a session ends by itself.
#[derive(Clone)]
pub(super) enum Until {
    /// Both sides hold the same (and, with `admitted`, this device was admitted and its
    /// member's document arrived: joining).
    Synced { deadline: Instant, admitted: bool },
    /// Only when `stop` turns true (or the connection ends).
    Stopped(watch::Receiver<bool>),
}

/// How a session ended without finishing.
#[derive(Debug)]
pub(super) enum Ended {
    /// The relay refused us, with its reason.
    Refused { code: ErrorCode, message: String },
    /// The network or the relay went away.
    Lost(String),
    /// Something local failed.
    Local(SyncError),
}

impl Ended {
    pub(super) fn into_error(self) -> SyncError {
        match self {
            Ended::Refused { code, message } => SyncError::Refused { code, message },
            Ended::Lost(m) => SyncError::Transport(m),
            Ended::Local(e) => e,
        }
    }
}

impl From<SyncError> for Ended {
    fn from(e: SyncError) -> Self {
        Ended::Local(e)
    }
}

impl<D: Documents> Net<D> {
    /// Connects to the relay, exchanges everything, and returns once both sides hold the
    /// same vector, or fails after `timeout`.
    pub async fn sync_once(&self, timeout: Duration) -> Result<SyncReport, SyncError> {
        let until = Until::Synced {
            deadline: Instant::now() + timeout,
            admitted: false,
        };
        let result = self.session(until).await;
        self.record_outcome(&result).await;
        result.map_err(Ended::into_error)
    }

    /// Syncs until `stop` turns true: seals local changes as they are made, applies
    /// remote ones as they arrive, reconnects with backoff when the connection drops.
    /// Returns early only if this device was removed or the workspace is not shared.
    pub async fn run_sync(&self, mut stop: watch::Receiver<bool>) -> Result<(), SyncError> {
        let mut backoff = Duration::from_millis(500);
        while !*stop.borrow() {
            let started = Instant::now();
            let result = self.session(Until::Stopped(stop.clone())).await;
            self.record_outcome(&result).await;
            match result {
                Ok(_) => backoff = Duration::from_millis(500),
                Err(Ended::Refused {
                    code: ErrorCode::Removed | ErrorCode::NotAMember,
                    message,
                }) => {
                    return Err(SyncError::Removed { message });
                }
                Err(Ended::Local(e @ SyncError::NotShared { .. })) => {
                    return Err(e);
                }
                Err(e) => {
                    tracing::info!(?e, "sync session ended; reconnecting");
                    if started.elapsed() > Duration::from_secs(60) {
                        backoff = Duration::from_millis(500);
                    }
                    let jitter = Duration::from_millis(rand::rng().next_u64() % 250);
                    tokio::select! {
                        () = tokio::time::sleep(backoff + jitter) => {}
                        _ = stop.changed() => {}
                    }
                    backoff = (backoff * 2).min(BACKOFF_MAX);
                }
            }
        }
        Ok(())
    }

    /// Remembers how the last session went, for the status panel.
    pub(super) async fn record_outcome(&self, result: &Result<SyncReport, Ended>) {
        let Ok(mut guard) = self.parts().await else {
            return;
        };
        let Some(parts) = guard.as_mut() else { return };
        parts.connected = false;
        let message = match result {
            Ok(_) => String::new(),
            Err(Ended::Refused { message, .. } | Ended::Lost(message)) => message.clone(),
            Err(Ended::Local(e)) => e.to_string(),
        };
        let _ = parts.db.set(key::LAST_ERROR, message.as_bytes());
    }

    /// One connection to the relay, from connecting to `until` (or failure). It opens with
    /// the relay's session ticket when there is one; if the relay refuses the ticket, the
    /// ticket is forgotten and a second connection logs in fully.
    pub(super) async fn session(&self, until: Until) -> Result<SyncReport, Ended> {
        match self.relay_session(until.clone()).await {
            Err(Ended::Refused {
                code: ErrorCode::TicketRefused,
                message,
            }) => {
                tracing::info!(%message, "the relay refused the session ticket; logging in again");
                {
                    let mut guard = self.parts().await?;
                    let parts = guard.as_mut().ok_or(SyncError::Stopped)?;
                    parts.db.forget_ticket().map_err(sync_err)?;
                }
                self.relay_session(until).await
            }
            other => other,
        }
    }

    async fn relay_session(&self, until: Until) -> Result<SyncReport, Ended> {
        let mut report = SyncReport::default();
        let (url, pin, register) = {
            let mut guard = self.parts().await?;
            let parts = guard.as_mut().ok_or(SyncError::Stopped)?;
            report.sealed += self.seal_with(parts, true).await? as u64;
            self.apply_unapplied(parts).await?;
            let Some(log) = &parts.membership else {
                return Err(SyncError::NotShared {
                    what: ": create an invite with --relay URL first",
                }
                .into());
            };
            let url = parts
                .db
                .get_str(key::RELAY)
                .map_err(sync_err)?
                .ok_or(SyncError::NoRelay)?;
            let pin = parts.db.relay_pin().map_err(sync_err)?;
            let register = parts.db.get(key::REGISTERED).map_err(sync_err)?.is_none()
                && !log.is_empty()
                && log.state().role(&parts.keys.id()) == Some(meridian_sync::Role::Admin);
            (url, pin, register.then(|| log.ops().to_vec()))
        };
        let mut link = Link::connect(&url, pin)
            .await
            .map_err(|e| Ended::Lost(e.into_message()))?;
        if pin.is_none()
            && let Some(cert) = link.cert
        {
            let mut guard = self.parts().await?;
            let parts = guard.as_mut().ok_or(SyncError::Stopped)?;
            parts.db.set_relay_pin(&cert).map_err(sync_err)?;
        }
        if let Some(ops) = register {
            link.send(&Frame::Register { ops })
                .await
                .map_err(Ended::Lost)?;
            match link.recv().await.map_err(Ended::Lost)? {
                Some(Frame::Registered { .. }) => {
                    let mut guard = self.parts().await?;
                    let parts = guard.as_mut().ok_or(SyncError::Stopped)?;
                    parts.db.set(key::REGISTERED, b"1").map_err(sync_err)?;
                }
                Some(Frame::Error { code, message }) => {
                    return Err(Ended::Refused { code, message });
                }
                other => {
                    return Err(Ended::Lost(format!(
                        "the relay answered registration with {}",
                        other.as_ref().map_or("nothing", Frame::name)
                    )));
                }
            }
        }
        let mut conn = Conn::Relay(link);
        let session = self
            .start_session(&mut conn, Some(PeerKind::Relay), Some(&url))
            .await?;
        let more = self.drive(conn, session, until, Route::Relay).await?;
        report.sealed += more.sealed;
        report.received += more.received;
        Ok(report)
    }

    /// Opens the protocol on `conn`: as the initiator (sends `Hello`, expecting `expect`,
    /// or `Resume` with the session ticket of the relay at `relay`) or, with `None`, as the
    /// responder waiting for the other side's `Hello`.
    pub(super) async fn start_session(
        &self,
        conn: &mut Conn,
        expect: Option<PeerKind>,
        relay: Option<&str>,
    ) -> Result<Session, Ended> {
        let ws = self.docs.workspace()?;
        let hello = {
            let mut guard = self.parts().await?;
            let parts = guard.as_mut().ok_or(SyncError::Stopped)?;
            let ticket = match relay {
                Some(url) => parts.db.use_ticket(url).map_err(sync_err)?,
                None => None,
            };
            let mut nonce = [0u8; 32];
            rand::rng().fill_bytes(&mut nonce);
            match expect {
                Some(PeerKind::Relay) if let Some((ticket, counter)) = ticket => {
                    Session::initiator_resume(
                        ws,
                        parts.keys.id(),
                        &ticket,
                        counter,
                        parts.db.id(),
                        self.docs.now_ms(),
                    )
                }
                Some(kind) => Session::initiator(
                    ws,
                    parts.keys.id(),
                    kind,
                    nonce,
                    parts.db.id(),
                    self.docs.now_ms(),
                ),
                None => {
                    let session = Session::responder(ws, nonce, parts.db.id(), self.docs.now_ms());
                    return Ok(session);
                }
            }
        };
        let (session, hello) = hello;
        conn.send(&hello).await?;
        Ok(session)
    }

    /// Runs an open session on `conn` until `until` (or failure): the one loop every route
    /// shares.
    pub(super) async fn drive(
        &self,
        mut conn: Conn,
        mut session: Session,
        mut until: Until,
        route: Route,
    ) -> Result<SyncReport, Ended> {
        let mut report = SyncReport::default();
        let mut events = self.docs.subscribe();
        let mut nudges = self.nudges();
        let mut tick = tokio::time::interval(TICK);
        tick.set_missed_tick_behavior(MissedTickBehavior::Delay);
        let mut unsealed = false;
        let mut seal_at = Instant::now();
        let mut memo = Memo::default();
        let other = match route {
            Route::Relay => "the relay",
            Route::Peer(_) => "the device",
        };
        loop {
            if let Until::Synced { deadline, admitted } = &until {
                let mut guard = self.parts().await?;
                let parts = guard.as_mut().ok_or(SyncError::Stopped)?;
                if session.is_synced(&parts.db)
                    && (!admitted || crate::join::admitted_member(&self.docs, parts).is_some())
                {
                    drop(guard);
                    // Frames the other side sent right behind (join requests follow
                    // Welcome) are handled before leaving.
                    if let Ok(next) = tokio::time::timeout(LINGER, conn.recv()).await {
                        let Some(frame) = next? else {
                            return Ok(report);
                        };
                        let step = self.on_frame(&mut session, frame, route, &mut memo).await?;
                        for frame in &step.send {
                            conn.send(frame).await?;
                        }
                        continue;
                    }
                    let _ = conn.send(&session.close()).await;
                    conn.close().await;
                    return Ok(report);
                }
                if Instant::now() >= *deadline {
                    if !session.is_ready() {
                        return Err(Ended::Lost(format!(
                            "{other} did not answer before the time limit"
                        )));
                    }
                    let pending = parts.db.own_after(session.their_ack()).map_err(sync_err)?;
                    return Err(Ended::Lost(format!(
                        "not synced before the time limit: {pending} envelopes still pending"
                    )));
                }
            }
            let deadline = match &until {
                Until::Synced { deadline, .. } => *deadline,
                Until::Stopped(_) => Instant::now() + TICK * 1000,
            };
            let step = tokio::select! {
                frame = conn.recv() => {
                    match frame? {
                        None => return Err(Ended::Lost(format!("{other} closed the connection"))),
                        Some(frame) => {
                            report.received += match &frame {
                                Frame::Deliver { entries, .. } | Frame::Push { entries, .. } => entries.len() as u64,
                                _ => 0,
                            };
                            self.on_frame(&mut session, frame, route, &mut memo).await?
                        }
                    }
                }
                event = events.recv(), if matches!(until, Until::Stopped(_)) => {
                    if matches!(event, Err(broadcast::error::RecvError::Closed)) {
                        return Err(SyncError::Stopped.into());
                    }
                    if !unsealed {
                        unsealed = true;
                        seal_at = Instant::now() + SEAL_DEBOUNCE;
                    }
                    continue;
                }
                changed = nudges.changed(), if matches!(until, Until::Stopped(_)) => {
                    if changed.is_err() {
                        return Err(SyncError::Stopped.into());
                    }
                    unsealed = true;
                    seal_at = Instant::now();
                    continue;
                }
                () = tokio::time::sleep_until(seal_at), if unsealed => {
                    unsealed = false;
                    let (step, made) = self.local_change(&mut session).await?;
                    report.sealed += made;
                    step
                }
                _ = tick.tick() => {
                    let mut guard = self.parts().await?;
                    let parts = guard.as_mut().ok_or(SyncError::Stopped)?;
                    // What another process of this device wrote (a CLI command beside a
                    // running `meridian sync`) raises no event here: look for it.
                    parts.reload_membership(self.docs.now_ms())?;
                    if let Route::Peer(device) = route
                        && parts.membership.as_ref().is_some_and(|l| l.state().is_removed(&device))
                    {
                        let _ = conn.send(&session.close()).await;
                        return Err(Ended::Refused {
                            code: ErrorCode::Removed,
                            message: "the device was removed from this workspace".into(),
                        });
                    }
                    let made = self.seal_with(parts, false).await?;
                    report.sealed += made as u64;
                    let mut step = with_ctx(self.docs.now_ms(), parts, |ctx| session.on_tick(ctx))?;
                    self.checkpoint_quiet(parts).await?;
                    // Anything stored since (sealed by this pass, by another session, or
                    // ops of a reloaded membership log) goes out now.
                    if step.closed.is_none() {
                        let more = with_ctx(self.docs.now_ms(), parts, |ctx| session.on_local_change(ctx))?;
                        step.send.extend(more.send);
                        step.closed = more.closed;
                    }
                    step
                }
                () = tokio::time::sleep_until(deadline) => continue,
                _ = stopped(&mut until) => {
                    let _ = conn.send(&session.close()).await;
                    conn.close().await;
                    return Ok(report);
                }
            };
            for frame in &step.send {
                conn.send(frame).await?;
            }
            if step.closed.is_none()
                && route == Route::Relay
                && let Some(frame) = self
                    .verdicts_to_send(&session, &mut memo.verdicts_in_flight)
                    .await?
            {
                conn.send(&frame).await?;
            }
            match step.closed {
                None => {}
                Some(Closed::Bye) => {
                    return Err(Ended::Lost(match route {
                        Route::Relay => "the relay is shutting down".into(),
                        Route::Peer(_) => "the device ended the session".into(),
                    }));
                }
                Some(Closed::ByPeer { code, message } | Closed::Refused { code, message }) => {
                    return Err(Ended::Refused { code, message });
                }
            }
        }
    }

    /// Seals what changed here and offers it to the other side.
    async fn local_change(&self, session: &mut Session) -> Result<(Step, u64), Ended> {
        let mut guard = self.parts().await?;
        let parts = guard.as_mut().ok_or(SyncError::Stopped)?;
        // Edits are coming in: checkpoints wait for the document to go quiet.
        let made = self.seal_with(parts, false).await? as u64;
        let step = with_ctx(self.docs.now_ms(), parts, |ctx| {
            session.on_local_change(ctx)
        })?;
        Ok((step, made))
    }

    /// The verdicts on checkpoints to report next, unless some are awaiting the relay.
    async fn verdicts_to_send(
        &self,
        session: &Session,
        in_flight: &mut Vec<meridian_sync::Verdict>,
    ) -> Result<Option<Frame>, Ended> {
        if !in_flight.is_empty() || !session.is_ready() {
            return Ok(None);
        }
        let guard = self.parts().await?;
        let parts = guard.as_ref().ok_or(SyncError::Stopped)?;
        let verdicts = parts
            .db
            .unreported_verdicts(meridian_sync::wire::MAX_VERDICTS_PER_FRAME)
            .map_err(sync_err)?;
        let frame = session.verdicts(&verdicts);
        if frame.is_some() {
            *in_flight = verdicts;
        }
        Ok(frame)
    }

    /// Handles one frame: applies what it delivers, records what the other side
    /// acknowledged, admits join requests (from the relay), and tells the other sessions
    /// when the log grew.
    async fn on_frame(
        &self,
        session: &mut Session,
        frame: Frame,
        route: Route,
        memo: &mut Memo,
    ) -> Result<Step, Ended> {
        let mut guard = self.parts().await?;
        let parts = guard.as_mut().ok_or(SyncError::Stopped)?;
        let now = self.docs.now_ms();
        if let Frame::JoinRequests { requests } = frame {
            if route != Route::Relay {
                return Ok(Step::default());
            }
            if self.on_join_requests(parts, &requests).await? {
                self.seal_with(parts, true).await?;
                return Ok(with_ctx(self.docs.now_ms(), parts, |ctx| {
                    session.on_local_change(ctx)
                })?);
            }
            return Ok(Step::default());
        }
        // Recorded for the status panel: at most once a second, not a commit per frame.
        if route == Route::Relay && now - parts.contact_recorded_ms >= 1000 {
            parts
                .db
                .set(key::LAST_CONTACT, now.to_string().as_bytes())
                .map_err(sync_err)?;
            parts.contact_recorded_ms = now;
        }
        let was_ready = session.is_ready();
        let step = with_ctx(self.docs.now_ms(), parts, |ctx| {
            session.on_frame(frame, ctx)
        })?;
        if route == Route::Relay && session.is_ready() && !was_ready {
            parts.connected = true;
            parts.db.set(key::LAST_ERROR, b"").map_err(sync_err)?;
        }
        if route == Route::Relay
            && let Some(ticket) = &step.ticket
            && let Some(url) = parts.db.get_str(key::RELAY).map_err(sync_err)?
        {
            parts.db.set_ticket(&url, ticket).map_err(sync_err)?;
        }
        if !step.membership_applied.is_empty()
            && let Some(log) = &parts.membership
        {
            parts.db.save_membership(log).map_err(sync_err)?;
        }
        if step.verdicts_noted.is_some() {
            parts
                .db
                .mark_reported(&memo.verdicts_in_flight)
                .map_err(sync_err)?;
            memo.verdicts_in_flight.clear();
        }
        if !step.accepted.is_empty() || !step.covered.is_empty() {
            let keys = parts
                .membership
                .as_ref()
                .map(|l| l.state().epoch_keys_for(&parts.keys))
                .transpose()
                .map_err(sync_err)?
                .unwrap_or_default();
            // Documents that got changes: only there can an envelope waiting for a missing
            // dependency have been released.
            let mut advanced = std::collections::BTreeSet::new();
            for env in step.accepted.iter().chain(&step.covered) {
                match self.apply_received(parts, env, &keys).await {
                    Ok(true) => {
                        advanced.insert(env.header().doc.to_string());
                    }
                    Ok(false) => {}
                    Err(e) => tracing::warn!(error = %e, "cannot apply a received envelope"),
                }
            }
            let mut waiting = std::collections::BTreeSet::new();
            for doc in advanced {
                if parts.db.has_unapplied_in(&doc).map_err(sync_err)? {
                    waiting.insert(doc);
                }
            }
            if !waiting.is_empty() {
                self.retry_unapplied(parts, Some(&waiting)).await?;
            }
        }
        if session.is_ready() {
            let acked = session.their_ack();
            match route {
                Route::Relay => {
                    if parts.acked_recorded != Some(acked) {
                        parts
                            .db
                            .set(key::RELAY_HAS_MINE, acked.to_string().as_bytes())
                            .map_err(sync_err)?;
                        parts.acked_recorded = Some(acked);
                    }
                }
                Route::Peer(device) => {
                    let synced = session.is_synced(&parts.db);
                    // Written when it changes, and at most every few seconds otherwise.
                    if memo.peer_recorded != Some((acked, synced))
                        || now - memo.peer_recorded_ms >= 5_000
                    {
                        parts
                            .db
                            .peer_acked(&device, acked, synced, now)
                            .map_err(sync_err)?;
                        memo.peer_recorded = Some((acked, synced));
                        memo.peer_recorded_ms = now;
                    }
                }
            }
        }
        let grew = !step.accepted.is_empty() || !step.membership_applied.is_empty();
        drop(guard);
        if grew {
            // The other sessions offer what arrived here to their side.
            self.nudge();
        }
        Ok(step)
    }
}

/// Runs `f` with the session context over this device's sync state.
fn with_ctx<T>(
    now_ms: i64,
    parts: &mut SyncParts,
    f: impl FnOnce(&mut Ctx<'_, crate::SyncDb>) -> Result<T, crate::DbError>,
) -> Result<T, SyncError> {
    let SyncParts {
        db,
        keys,
        membership,
        ..
    } = parts;
    let membership = membership
        .as_mut()
        .ok_or(SyncError::NotShared { what: "" })?;
    let mut ctx = Ctx {
        log: db,
        membership,
        identity: Some(keys),
        now_ms,
    };
    f(&mut ctx).map_err(sync_err)
}

/// Resolves when `until` is [`Until::Stopped`] and its flag turns true.
async fn stopped(until: &mut Until) {
    match until {
        Until::Stopped(stop) => {
            while !*stop.borrow() {
                if stop.changed().await.is_err() {
                    std::future::pending::<()>().await;
                }
            }
        }
        Until::Synced { .. } => std::future::pending().await,
    }
}
