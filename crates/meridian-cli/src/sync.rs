//! Sync commands: invite, join, sync, devices, approval, join requests, approve,
//! remove-device, sync-status.

use std::io::{self, Write};
use std::path::Path;
use std::time::Duration;

use meridian_app::sync::{DeviceInfo, LanPeer, PendingJoin, Routes, SyncOutcome, SyncStatus};
use meridian_app::{Workspace, WorkspaceInfo};
use serde::Serialize;

use crate::args::DeviceRole;
use crate::input::duration;
use crate::output::{Reply, Report};

pub async fn invite(
    ws: &Workspace,
    relay: &str,
    role: DeviceRole,
    expires: &str,
) -> anyhow::Result<Reply> {
    let role = meridian_app::sync::parse_role(role.as_str())?;
    let valid = duration(expires)?;
    let code = ws
        .create_invite(relay, role, valid.as_millis() as i64)
        .await?;
    // Tell the relay about the invite now, so the new device can knock at once.
    if let Err(e) = ws.sync_once(Duration::from_secs(15)).await {
        eprintln!(
            "The relay has not seen this invite yet ({e}); it will once `meridian sync` runs here."
        );
    }
    Ok(Box::new(Invited {
        code,
        expires: expires.to_owned(),
    }))
}

/// An invite code.
#[derive(Debug, Serialize)]
pub struct Invited {
    code: String,
    #[serde(skip)]
    expires: String,
}

impl Report for Invited {
    fn human(&self, out: &mut dyn Write) -> io::Result<()> {
        writeln!(out, "{}", self.code)
    }

    fn advice(&self, err: &mut dyn Write) -> io::Result<()> {
        writeln!(
            err,
            "Single use, valid for {}. On the new device: meridian join CODE --me NAME --tz ZONE. Keep `meridian sync` running here so this device can admit it.",
            self.expires
        )
    }
}

pub async fn join(
    data_dir: &Path,
    code: &str,
    me: &str,
    tz: &str,
    wait: &str,
) -> anyhow::Result<Reply> {
    let wait = duration(wait)?;
    eprintln!("Asking to join; waiting for an admin device to admit this one…");
    let ws = Workspace::join(data_dir, code, me, tz, wait).await?;
    Ok(Box::new(Joined(ws.workspace_info())))
}

/// The workspace this device joined.
#[derive(Debug, Serialize)]
#[serde(transparent)]
pub struct Joined(WorkspaceInfo);

pub async fn recover(data_dir: &Path, relay: Option<&str>, timeout: &str) -> anyhow::Result<Reply> {
    let timeout = duration(timeout)?;
    eprintln!("Checking this device's databases and rebuilding from the relay…");
    let (_ws, report) = Workspace::recover(data_dir, relay, timeout).await?;
    Ok(Box::new(Recovered(report)))
}

/// What `recover` rebuilt.
#[derive(Debug, Serialize)]
#[serde(transparent)]
pub struct Recovered(meridian_app::RecoveryReport);

impl Report for Recovered {
    fn human(&self, out: &mut dyn Write) -> io::Result<()> {
        let r = &self.0;
        writeln!(
            out,
            "Rebuilt {} for device {}.",
            r.rebuilt.join(" and "),
            r.device
        )?;
        for why in &r.reasons {
            writeln!(out, "  {why}")?;
        }
        for aside in &r.moved_aside {
            writeln!(out, "  The damaged file is kept as {aside}")?;
        }
        writeln!(
            out,
            "The workspace holds {} objects; {} envelopes came from the relay ({} of them this device's own); {} documents were sealed again.",
            r.objects, r.received, r.own_returned, r.resealed
        )
    }
}

impl Report for Joined {
    fn human(&self, out: &mut dyn Write) -> io::Result<()> {
        let info = &self.0;
        writeln!(
            out,
            "Joined workspace \"{}\" in {} as {} ({}).",
            info.name, info.data_dir, info.me.name, info.me.tz
        )
    }
}

/// `sync --once` reports what it exchanged; `sync` runs until Ctrl-C and reports nothing.
pub async fn sync(
    ws: &Workspace,
    once: bool,
    timeout: &str,
    routes: &Routes,
) -> anyhow::Result<Option<Reply>> {
    if once {
        let outcome = ws.sync_once_with(duration(timeout)?, routes).await?;
        return Ok(Some(Box::new(Synced(outcome))));
    }
    let (stop, stopped) = tokio::sync::watch::channel(false);
    tokio::spawn(async move {
        let _ = tokio::signal::ctrl_c().await;
        let _ = stop.send(true);
    });
    eprintln!("Syncing; Ctrl-C stops.");
    ws.run_sync_with(stopped, routes).await?;
    Ok(None)
}

/// What one sync exchanged, and with whom.
#[derive(Debug, Serialize)]
#[serde(transparent)]
pub struct Synced(SyncOutcome);

impl Report for Synced {
    fn human(&self, out: &mut dyn Write) -> io::Result<()> {
        let o = &self.0;
        writeln!(
            out,
            "Synced: sent {} new change batches, received {}.",
            o.sealed, o.received
        )?;
        for p in o.relay.iter().chain(&o.peers) {
            if p.synced {
                writeln!(out, "  synced with {}", p.name)?;
            }
        }
        Ok(())
    }

    fn advice(&self, err: &mut dyn Write) -> io::Result<()> {
        for p in self.0.relay.iter().chain(&self.0.peers) {
            if let Some(e) = p.error.as_deref().filter(|_| !p.synced) {
                writeln!(err, "Not synced with {}: {e}", p.name)?;
            }
        }
        if self.0.relay.as_ref().is_some_and(|r| !r.synced) {
            writeln!(
                err,
                "The relay was not reached; the devices above hold this device's changes and pass them on."
            )?;
        }
        Ok(())
    }
}

pub async fn peers(ws: &Workspace) -> anyhow::Result<Reply> {
    Ok(Box::new(Peers(ws.lan_peers().await?)))
}

/// The devices met on the local network.
#[derive(Debug, Serialize)]
#[serde(transparent)]
pub struct Peers(Vec<LanPeer>);

impl Report for Peers {
    fn human(&self, out: &mut dyn Write) -> io::Result<()> {
        if self.0.is_empty() {
            writeln!(
                out,
                "(no device of this workspace met on the local network yet: run `meridian sync` here and on another device)"
            )?;
        }
        for p in &self.0 {
            let state = match (&p.refused, &p.last_synced) {
                (Some(reason), _) => format!("refused: {reason}"),
                (None, Some(at)) => format!("synced {at}"),
                (None, None) => "never synced".to_owned(),
            };
            writeln!(
                out,
                "{}  {}  found by {} at {}, last seen {}; {state}",
                &p.device[..p.device.len().min(8)],
                p.member,
                p.how,
                p.addr,
                p.last_seen
            )?;
        }
        Ok(())
    }
}

pub async fn devices(ws: &Workspace) -> anyhow::Result<Reply> {
    Ok(Box::new(Devices(ws.devices().await?)))
}

/// The devices of the workspace.
#[derive(Debug, Serialize)]
#[serde(transparent)]
pub struct Devices(Vec<DeviceInfo>);

impl Report for Devices {
    fn human(&self, out: &mut dyn Write) -> io::Result<()> {
        for d in &self.0 {
            let mut notes = Vec::new();
            if d.this_device {
                notes.push("this device");
            }
            if d.removed {
                notes.push("removed");
            }
            let notes = if notes.is_empty() {
                String::new()
            } else {
                format!("  ({})", notes.join(", "))
            };
            writeln!(out, "{}  {:<7}  {}{notes}", d.id, d.role, d.member)?;
        }
        Ok(())
    }
}

pub async fn set_relay(ws: &Workspace, url: &str) -> anyhow::Result<Reply> {
    Ok(Box::new(RelaySet {
        relay: ws.set_relay(url).await?,
    }))
}

/// The relay this device syncs through from now on.
#[derive(Debug, Serialize)]
pub struct RelaySet {
    relay: String,
}

impl Report for RelaySet {
    fn human(&self, out: &mut dyn Write) -> io::Result<()> {
        writeln!(
            out,
            "This device now syncs through {} (from its next connection; nothing is downloaded again).",
            self.relay
        )
    }
}

pub async fn approval(ws: &Workspace, mode: &str) -> anyhow::Result<Reply> {
    let manual = mode == "manual";
    ws.set_manual_approval(manual).await?;
    Ok(Box::new(Approval { manual }))
}

/// How join requests are admitted now.
#[derive(Debug, Serialize)]
pub struct Approval {
    manual: bool,
}

impl Report for Approval {
    fn human(&self, out: &mut dyn Write) -> io::Result<()> {
        if self.manual {
            writeln!(
                out,
                "Join requests now wait: `meridian join-requests` lists them, `meridian approve DEVICE` admits one."
            )
        } else {
            writeln!(out, "Valid join requests are admitted as they arrive.")
        }
    }
}

pub async fn join_requests(ws: &Workspace) -> anyhow::Result<Reply> {
    // Fetch what the relay holds for us first.
    if let Err(e) = ws.sync_once(Duration::from_secs(15)).await {
        eprintln!("Showing what this device already knew; the relay was not reached ({e}).");
    }
    Ok(Box::new(JoinRequests(ws.pending_joins().await?)))
}

/// Join requests waiting for approval.
#[derive(Debug, Serialize)]
#[serde(transparent)]
pub struct JoinRequests(Vec<PendingJoin>);

impl Report for JoinRequests {
    fn human(&self, out: &mut dyn Write) -> io::Result<()> {
        if self.0.is_empty() {
            writeln!(out, "(no join requests wait for approval)")?;
        }
        for p in &self.0 {
            writeln!(
                out,
                "{}  {:<7}  {} ({}), invite valid until {}",
                p.device, p.role, p.member, p.tz, p.invite_expires
            )?;
        }
        Ok(())
    }
}

pub async fn approve(ws: &Workspace, device: &str) -> anyhow::Result<Reply> {
    ws.approve(device).await?;
    let told = ws.sync_once(Duration::from_secs(30)).await;
    Ok(Box::new(Approved {
        approved: device.trim().to_owned(),
        relay_told: told.is_ok(),
        not_told: told.err().map(|e| e.to_string()),
    }))
}

/// A device admitted, and whether the relay heard of it yet.
#[derive(Debug, Serialize)]
pub struct Approved {
    approved: String,
    relay_told: bool,
    #[serde(skip)]
    not_told: Option<String>,
}

impl Report for Approved {
    fn human(&self, out: &mut dyn Write) -> io::Result<()> {
        writeln!(out, "Admitted {}.", self.approved)
    }

    fn advice(&self, err: &mut dyn Write) -> io::Result<()> {
        not_told(err, self.not_told.as_deref())
    }
}

pub async fn remove_device(ws: &Workspace, device: &str) -> anyhow::Result<Reply> {
    ws.remove_device(device).await?;
    // Tell the relay now, so it refuses the device at once.
    let told = ws.sync_once(Duration::from_secs(30)).await;
    Ok(Box::new(Removed {
        relay_told: told.is_ok(),
        removed: device.trim().to_owned(),
        not_told: told.err().map(|e| e.to_string()),
    }))
}

/// A device removed, and whether the relay heard of it yet. The fields are in the order
/// `--json` always printed them.
#[derive(Debug, Serialize)]
pub struct Removed {
    relay_told: bool,
    removed: String,
    #[serde(skip)]
    not_told: Option<String>,
}

impl Report for Removed {
    fn human(&self, out: &mut dyn Write) -> io::Result<()> {
        writeln!(
            out,
            "Removed {}. The key was rotated: it cannot read anything written from now on, but it keeps what it already synced.",
            self.removed
        )
    }

    fn advice(&self, err: &mut dyn Write) -> io::Result<()> {
        not_told(err, self.not_told.as_deref())
    }
}

fn not_told(err: &mut dyn Write, why: Option<&str>) -> io::Result<()> {
    match why {
        Some(e) => writeln!(
            err,
            "The relay was not told yet ({e}); it will be at the next `meridian sync`."
        ),
        None => Ok(()),
    }
}

pub async fn status(ws: &Workspace) -> anyhow::Result<Reply> {
    Ok(Box::new(Status(ws.sync_status().await?)))
}

/// What sync has established.
#[derive(Debug, Serialize)]
#[serde(transparent)]
pub struct Status(SyncStatus);

impl Report for Status {
    fn human(&self, out: &mut dyn Write) -> io::Result<()> {
        let s = &self.0;
        writeln!(out, "device       {}", s.device)?;
        writeln!(
            out,
            "relay        {}",
            s.relay.as_deref().unwrap_or("(none)")
        )?;
        writeln!(
            out,
            "pending      {} change batches, {} documents unsealed",
            s.pending, s.unsealed_documents
        )?;
        writeln!(
            out,
            "last contact {}",
            s.last_contact.as_deref().unwrap_or("never")
        )?;
        match (&s.reason, &s.via) {
            (None, Some(via)) => writeln!(out, "synced with {via}")?,
            (None, None) => writeln!(out, "synced")?,
            (Some(r), _) => writeln!(out, "not synced: {r}")?,
        }
        if let Some(words) = &s.set_aside {
            writeln!(out, "set aside    {words}")?;
        }
        Ok(())
    }
}
