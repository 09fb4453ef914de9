//! Joining a workspace with an invite: send a join request through the relay, wait until
//! an admin device admits this device, sync everything, and become the member the admin
//! made for us. An interrupted join resumes when run again with the same invite.

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use meridian_core::{DocId, ObjectSchema};
use meridian_sync::{ErrorCode, Frame, Invite, JoinError, JoinRequest, MembershipLog};
use tokio::time::Instant;

use super::db::key;
use super::session::{Ended, Until};
use super::transport::{ConnectError, Link};
use super::{SyncError, SyncParts, sync_err};
use crate::clock::{Clock, SystemClock};
use crate::error::Error;
use crate::workspace::Workspace;

/// How often a waiting device asks whether it was admitted.
const POLL: Duration = Duration::from_millis(500);

/// The member this device was admitted as, once its document has arrived.
fn admitted_member(ws: &Workspace, parts: &SyncParts) -> Option<DocId> {
    let log = parts.membership.as_ref()?;
    let member: DocId = log.state().device(&parts.keys.id())?.member.parse().ok()?;
    ws.store().entry_blocking(&member).ok()??;
    Some(member)
}

fn joined(ws: &Workspace, parts: &SyncParts) -> bool {
    admitted_member(ws, parts).is_some()
}

impl Workspace {
    /// Joins the workspace of invite `code` into the empty `data_dir`, as member `me` in
    /// time zone `tz`. Waits up to `timeout` for an admin device to admit this one.
    pub async fn join(
        data_dir: &Path,
        code: &str,
        me: &str,
        tz: &str,
        timeout: Duration,
    ) -> Result<Workspace, Error> {
        Self::join_with_clock(data_dir, code, me, tz, timeout, Arc::new(SystemClock)).await
    }

    pub async fn join_with_clock(
        data_dir: &Path,
        code: &str,
        me: &str,
        tz: &str,
        timeout: Duration,
        clock: Arc<dyn Clock>,
    ) -> Result<Workspace, Error> {
        let invite = Invite::decode(code).map_err(sync_err)?;
        if invite.expires_ms <= clock.now_ms() {
            return Err(Error::Sync(SyncError::Invalid(format!(
                "this invite expired at {}: ask an admin for a new one",
                crate::workspace::rfc3339(invite.expires_ms)
            ))));
        }
        meridian_core::Member::new(me.trim(), tz.trim(), meridian_core::Role::Editor)
            .validate(None, &Default::default())?;
        if Workspace::is_initialised(data_dir)? {
            return Err(Error::AlreadyInitialised(data_dir.to_owned()));
        }
        let ws_id: DocId = invite.workspace.to_string().parse()?;
        let ws = Workspace::begin_join(data_dir, ws_id, clock)?;
        let invite_id = invite.invite_id.to_string();
        let request = {
            let mut guard = ws.sync_parts().await?;
            let parts = guard.as_mut().ok_or(Error::Stopped)?;
            match parts.db.get_str(key::JOINING).map_err(sync_err)? {
                Some(joining) if joining != invite_id => {
                    return Err(Error::Sync(SyncError::Invalid(format!(
                        "{} is joining with another invite: finish that join or use an empty folder",
                        data_dir.display()
                    ))));
                }
                None if parts.db.count().map_err(sync_err)? > 0 => {
                    return Err(Error::AlreadyInitialised(data_dir.to_owned()));
                }
                _ => {}
            }
            parts
                .db
                .set(key::JOINING, invite_id.as_bytes())
                .map_err(sync_err)?;
            parts
                .db
                .set(key::RELAY, invite.relay_url.as_bytes())
                .map_err(sync_err)?;
            if let Some(pin) = invite.cert_pin {
                parts.db.set_relay_pin(&pin).map_err(sync_err)?;
            }
            if parts.membership.is_none() {
                parts.membership = Some(MembershipLog::new());
            }
            let sent = parts.db.get(key::JOIN_SENT).map_err(sync_err)?.is_some();
            (!sent).then(|| JoinRequest::new(&invite, &parts.keys, me.trim(), tz.trim()))
        };
        let deadline = Instant::now() + timeout;
        if let Some(request) = request {
            // The admin's device may not have told the relay about the invite yet.
            loop {
                match send_join(&ws, &invite, &request).await {
                    Err(Retry::Later(why)) if Instant::now() + POLL < deadline => {
                        tracing::info!(reason = %why, "the relay does not know the invite yet; retrying");
                        tokio::time::sleep(POLL).await;
                    }
                    Err(Retry::Later(why) | Retry::Never(why)) => {
                        return Err(Error::Sync(SyncError::Transport(why)));
                    }
                    Ok(()) => break,
                }
            }
        }

        loop {
            let until = Until::Synced {
                deadline,
                also: joined,
            };
            match ws.session(until).await {
                Ok(_) => break,
                Err(Ended::Refused {
                    code: ErrorCode::NotAMember,
                    ..
                }) if Instant::now() + POLL < deadline => {
                    tracing::info!("waiting for an admin device to admit this one");
                }
                Err(Ended::Lost(m)) if Instant::now() + POLL < deadline => {
                    tracing::info!(reason = %m, "relay unreachable while joining; retrying");
                }
                Err(Ended::Refused {
                    code: ErrorCode::NotAMember,
                    ..
                }) => {
                    return Err(Error::Sync(SyncError::Transport(format!(
                        "no admin device admitted this one within {} s: an admin device must be syncing (run `meridian sync` there), then run this join again",
                        timeout.as_secs()
                    ))));
                }
                Err(e) => return Err(e.into_error()),
            }
            tokio::time::sleep(POLL).await;
        }
        let member = {
            let mut guard = ws.sync_parts().await?;
            let parts = guard.as_mut().ok_or(Error::Stopped)?;
            let member = admitted_member(&ws, parts).ok_or(Error::Stopped)?;
            parts.db.delete(key::JOINING).map_err(sync_err)?;
            parts.db.delete(key::JOIN_SENT).map_err(sync_err)?;
            member
        };
        ws.finish_join(member).await?;
        Ok(ws)
    }
}

/// Why a join request did not reach the relay.
enum Retry {
    /// The relay does not know the workspace or the invite yet, or cannot be reached.
    Later(String),
    Never(String),
}

/// Leaves the join request at the relay for an admin device to pick up.
async fn send_join(ws: &Workspace, invite: &Invite, request: &JoinRequest) -> Result<(), Retry> {
    let mut link = Link::connect(&invite.relay_url, invite.cert_pin)
        .await
        .map_err(|e| match e {
            ConnectError::WrongAddress(m) => Retry::Never(m),
            ConnectError::Unreachable(m) => Retry::Later(m),
        })?;
    link.send(&Frame::Join {
        request: request.encode(),
    })
    .await
    .map_err(Retry::Later)?;
    let answer = link.recv().await.map_err(Retry::Later)?;
    link.close().await;
    match answer {
        Some(Frame::JoinQueued) => {
            let mut guard = ws
                .sync_parts()
                .await
                .map_err(|e| Retry::Never(e.to_string()))?;
            let parts = guard.as_mut().ok_or(Retry::Never("stopped".into()))?;
            parts
                .db
                .set(key::JOIN_SENT, b"1")
                .map_err(|e| Retry::Never(e.to_string()))
        }
        Some(Frame::Error { code, message }) => {
            let why = format!("the relay refused the join request: {message}");
            let unknown = code == ErrorCode::WrongWorkspace
                || message.ends_with(&JoinError::UnknownInvite(invite.invite_id).to_string());
            Err(if unknown {
                Retry::Later(why)
            } else {
                Retry::Never(why)
            })
        }
        other => Err(Retry::Never(format!(
            "the relay answered the join request with {}",
            other.as_ref().map_or("nothing", Frame::name)
        ))),
    }
}
