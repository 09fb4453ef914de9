//! Joining a workspace with an invite: send a join request through the relay, wait until
//! an admin device admits this device, sync everything, and become the member the admin
//! made for us. An interrupted join resumes when run again with the same invite.

use std::time::Duration;

use meridian_sync::{ErrorCode, Frame, Invite, JoinRequest, MembershipLog};
use tokio::time::Instant;

use crate::SyncError;
use crate::client::{Net, SyncParts, sync_err};
use crate::db::key;
use crate::docs::Documents;
use crate::session::{Ended, Until};
use crate::transport::{ConnectError, Link};

/// How often a waiting device asks whether it was admitted.
const POLL: Duration = Duration::from_millis(500);

/// The member this device was admitted as, once its document has arrived.
pub(crate) fn admitted_member(docs: &impl Documents, parts: &SyncParts) -> Option<String> {
    let log = parts.membership.as_ref()?;
    let member = log.state().device(&parts.keys.id())?.member.clone();
    docs.has_document(&member).then_some(member)
}

impl<D: Documents> Net<D> {
    /// Joins the workspace of `invite`, whose documents are still empty (the engine made
    /// them for the invite's workspace), as member `me` in time zone `tz`: leaves a join
    /// request at the relay and waits up to `timeout` for an admin device to admit this
    /// one and for the member's document to arrive. Returns the member's id. Run again
    /// with the same invite after an interruption, it picks up where it stopped.
    pub async fn join(
        &self,
        invite: &Invite,
        me: &str,
        tz: &str,
        timeout: Duration,
    ) -> Result<String, SyncError> {
        let invite_id = invite.invite_id.to_string();
        let request = {
            let mut guard = self.parts().await?;
            let parts = guard.as_mut().ok_or(SyncError::Stopped)?;
            match parts.db.get_str(key::JOINING).map_err(sync_err)? {
                Some(joining) if joining != invite_id => {
                    return Err(SyncError::Invalid(format!(
                        "{} is joining with another invite: finish that join or use an empty folder",
                        self.docs.data_dir().display()
                    )));
                }
                None if parts.db.count().map_err(sync_err)? > 0 => {
                    return Err(SyncError::Invalid(format!(
                        "{} already holds a synced workspace: join into an empty folder",
                        self.docs.data_dir().display()
                    )));
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
            (!sent).then(|| JoinRequest::new(invite, &parts.keys, me.trim(), tz.trim()))
        };
        let deadline = Instant::now() + timeout;
        if let Some(request) = request {
            // The admin's device may not have told the relay about the invite yet.
            loop {
                match self.send_join(invite, &request).await {
                    Err(Retry::Later(why)) if Instant::now() + POLL < deadline => {
                        tracing::info!(reason = %why, "the relay does not know the invite yet; retrying");
                        tokio::time::sleep(POLL).await;
                    }
                    Err(Retry::Later(why) | Retry::Never(why)) => {
                        return Err(SyncError::Transport(why));
                    }
                    Ok(()) => break,
                }
            }
        }

        loop {
            let until = Until::Synced {
                deadline,
                admitted: true,
            };
            match self.session(until).await {
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
                    return Err(SyncError::Transport(format!(
                        "no admin device admitted this one within {} s: an admin device must be syncing (run `meridian sync` there), then run this join again",
                        timeout.as_secs()
                    )));
                }
                Err(e) => return Err(e.into_error()),
            }
            tokio::time::sleep(POLL).await;
        }
        let mut guard = self.parts().await?;
        let parts = guard.as_mut().ok_or(SyncError::Stopped)?;
        let member = admitted_member(&self.docs, parts).ok_or(SyncError::Stopped)?;
        parts.db.delete(key::JOINING).map_err(sync_err)?;
        parts.db.delete(key::JOIN_SENT).map_err(sync_err)?;
        Ok(member)
    }

    /// Leaves the join request at the relay for an admin device to pick up.
    async fn send_join(&self, invite: &Invite, request: &JoinRequest) -> Result<(), Retry> {
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
                let mut guard = self
                    .parts()
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
                let unknown = matches!(code, ErrorCode::WrongWorkspace | ErrorCode::UnknownInvite);
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
}

/// Why a join request did not reach the relay.
enum Retry {
    /// The relay does not know the workspace or the invite yet, or cannot be reached.
    Later(String),
    Never(String),
}
