//! Sync commands: invite, join, sync, devices, remove-device, sync-status.

use std::path::Path;
use std::time::Duration;

use meridian_app::Workspace;

use crate::output;

/// `--wait`, `--timeout` and `--expires`: seconds, minutes, hours or days (`90s`, `30m`,
/// `2h`, `7d`), combined largest first (`1h30m`, `1m30s`); a bare number is minutes, as it
/// always was. Seconds matter here, unlike for meeting lengths (the core's parser).
fn duration(text: &str) -> anyhow::Result<Duration> {
    let bad = || {
        anyhow::anyhow!(
            "{:?} is not a duration: use e.g. 90s, 30m, 2h, 7d or 1h30m",
            text.chars().take(40).collect::<String>()
        )
    };
    let s = text.trim().to_ascii_lowercase();
    if !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit()) {
        let minutes: u64 = s.parse().map_err(|_| bad())?;
        return match minutes {
            0 => Err(bad()),
            m => m.checked_mul(60).map(Duration::from_secs).ok_or_else(bad),
        };
    }
    let (mut total, mut number, mut last_unit) = (0u64, String::new(), u64::MAX);
    for c in s.chars() {
        let unit = match c {
            '0'..='9' => {
                number.push(c);
                continue;
            }
            'd' => 86_400,
            'h' => 3_600,
            'm' => 60,
            's' => 1,
            _ => return Err(bad()),
        };
        // Each unit once, largest first: `30m2h` and `5m5m` are typing mistakes.
        if number.is_empty() || unit >= last_unit {
            return Err(bad());
        }
        let n: u64 = number.parse().map_err(|_| bad())?;
        total = n
            .checked_mul(unit)
            .and_then(|v| total.checked_add(v))
            .ok_or_else(bad)?;
        number.clear();
        last_unit = unit;
    }
    if !number.is_empty() || total == 0 {
        return Err(bad());
    }
    Ok(Duration::from_secs(total))
}

pub async fn invite(
    ws: &Workspace,
    relay: &str,
    role: &str,
    expires: &str,
    json: bool,
) -> anyhow::Result<()> {
    let role = meridian_app::sync::parse_role(role)?;
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
    if json {
        return output::json(&serde_json::json!({ "code": code }));
    }
    println!("{code}");
    eprintln!(
        "Single use, valid for {expires}. On the new device: meridian join CODE --me NAME --tz ZONE. Keep `meridian sync` running here so this device can admit it."
    );
    Ok(())
}

pub async fn join(
    data_dir: &Path,
    code: &str,
    me: &str,
    tz: &str,
    wait: &str,
    json: bool,
) -> anyhow::Result<()> {
    let wait = duration(wait)?;
    eprintln!("Asking to join; waiting for an admin device to admit this one…");
    let ws = Workspace::join(data_dir, code, me, tz, wait).await?;
    let info = ws.info();
    if json {
        return output::json(&info);
    }
    println!(
        "Joined workspace \"{}\" in {} as {} ({}).",
        info.name, info.data_dir, info.me.name, info.me.tz
    );
    Ok(())
}

pub async fn sync(ws: &Workspace, once: bool, timeout: &str, json: bool) -> anyhow::Result<()> {
    if once {
        let report = ws.sync_once(duration(timeout)?).await?;
        if json {
            return output::json(&report);
        }
        println!(
            "Synced: sent {} new change batches, received {}.",
            report.sealed, report.received
        );
        return Ok(());
    }
    let (stop, stopped) = tokio::sync::watch::channel(false);
    tokio::spawn(async move {
        let _ = tokio::signal::ctrl_c().await;
        let _ = stop.send(true);
    });
    eprintln!("Syncing; Ctrl-C stops.");
    ws.run_sync(stopped).await?;
    Ok(())
}

pub async fn devices(ws: &Workspace, json: bool) -> anyhow::Result<()> {
    let devices = ws.devices().await?;
    if json {
        return output::json(&devices);
    }
    for d in devices {
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
        println!("{}  {:<7}  {}{notes}", d.id, d.role, d.member);
    }
    Ok(())
}

pub async fn approval(ws: &Workspace, mode: &str, json: bool) -> anyhow::Result<()> {
    let manual = mode == "manual";
    ws.set_manual_approval(manual).await?;
    if json {
        return output::json(&serde_json::json!({ "manual": manual }));
    }
    if manual {
        println!(
            "Join requests now wait: `meridian join-requests` lists them, `meridian approve DEVICE` admits one."
        );
    } else {
        println!("Valid join requests are admitted as they arrive.");
    }
    Ok(())
}

pub async fn join_requests(ws: &Workspace, json: bool) -> anyhow::Result<()> {
    // Fetch what the relay holds for us first.
    if let Err(e) = ws.sync_once(Duration::from_secs(15)).await {
        eprintln!("Showing what this device already knew; the relay was not reached ({e}).");
    }
    let pending = ws.pending_joins().await?;
    if json {
        return output::json(&pending);
    }
    if pending.is_empty() {
        println!("(no join requests wait for approval)");
    }
    for p in pending {
        println!(
            "{}  {:<7}  {} ({}), invite valid until {}",
            p.device, p.role, p.member, p.tz, p.invite_expires
        );
    }
    Ok(())
}

pub async fn approve(ws: &Workspace, device: &str, json: bool) -> anyhow::Result<()> {
    ws.approve(device).await?;
    let told = ws.sync_once(Duration::from_secs(30)).await;
    if json {
        return output::json(
            &serde_json::json!({ "approved": device.trim(), "relay_told": told.is_ok() }),
        );
    }
    println!("Admitted {}.", device.trim());
    if let Err(e) = told {
        eprintln!("The relay was not told yet ({e}); it will be at the next `meridian sync`.");
    }
    Ok(())
}

pub async fn remove_device(ws: &Workspace, device: &str, json: bool) -> anyhow::Result<()> {
    ws.remove_device(device).await?;
    // Tell the relay now, so it refuses the device at once.
    let told = ws.sync_once(Duration::from_secs(30)).await;
    if json {
        return output::json(&serde_json::json!({
            "removed": device.trim(),
            "relay_told": told.is_ok(),
        }));
    }
    println!(
        "Removed {}. The key was rotated: it cannot read anything written from now on, but it keeps what it already synced.",
        device.trim()
    );
    if let Err(e) = told {
        eprintln!("The relay was not told yet ({e}); it will be at the next `meridian sync`.");
    }
    Ok(())
}

pub async fn status(ws: &Workspace, json: bool) -> anyhow::Result<()> {
    let s = ws.sync_status().await?;
    if json {
        return output::json(&s);
    }
    println!("device       {}", s.device);
    println!("relay        {}", s.relay.as_deref().unwrap_or("(none)"));
    println!(
        "pending      {} change batches, {} documents unsealed",
        s.pending, s.unsealed_documents
    );
    println!(
        "last contact {}",
        s.last_contact.as_deref().unwrap_or("never")
    );
    match &s.reason {
        None => println!("synced"),
        Some(r) => println!("not synced: {r}"),
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::duration;

    #[test]
    fn durations_in_seconds_minutes_hours_and_days() {
        for (text, secs) in [
            ("60s", 60),
            ("90s", 90),
            ("30m", 1_800),
            ("2h", 7_200),
            ("7d", 604_800),
            ("1h30m", 5_400),
            ("1m30s", 90),
            ("1d2h3m4s", 93_784),
            (" 45S ", 45),
            ("10", 600),
        ] {
            assert_eq!(
                duration(text).ok(),
                Some(Duration::from_secs(secs)),
                "{text}"
            );
        }
    }

    #[test]
    fn anything_else_is_refused_with_the_accepted_forms() {
        for bad in [
            "soon",
            "",
            "s",
            "0s",
            "0",
            "1h30",
            "30m2h",
            "5m5m",
            "-5m",
            "1.5h",
            "2 h",
            "1w",
            "99999999999999999999s",
        ] {
            let err = duration(bad).expect_err(bad).to_string();
            assert!(err.contains("is not a duration"), "{bad}: {err}");
            assert!(err.contains("90s, 30m, 2h"), "{bad}: {err}");
        }
    }
}
