//! `meridian-relay`: runs a relay until SIGINT or SIGTERM.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use anyhow::Context;
use clap::Parser;
use meridian_relay::{Config, Limits, TlsSetup, fingerprint_hex};

/// A blind relay for Meridian workspaces: stores sealed envelopes and passes them on.
#[derive(Debug, Parser)]
#[command(name = "meridian-relay", version)]
struct Args {
    /// Address to listen on (port 0 picks a free one).
    #[arg(long, default_value = "127.0.0.1:7447", env = "MERIDIAN_RELAY_LISTEN")]
    listen: SocketAddr,
    /// Directory for relay.sqlite3 (with --postgres: only for the self-signed
    /// certificate).
    #[arg(
        long,
        env = "MERIDIAN_RELAY_DATA",
        required_unless_present = "postgres"
    )]
    data: Option<PathBuf>,
    /// Keep everything in this PostgreSQL database instead of SQLite, e.g.
    /// postgresql://relay:PASSWORD@db.example:5432/meridian; any number of relays may
    /// share it.
    #[arg(long, env = "MERIDIAN_RELAY_POSTGRES", value_name = "URL")]
    postgres: Option<String>,
    /// Allow plain ws:// on an address other than loopback.
    #[arg(long)]
    insecure: bool,
    /// TLS certificate chain (PEM, leaf first); needs --tls-key.
    #[arg(long, requires = "tls_key", conflicts_with = "tls_self_signed")]
    tls_cert: Option<PathBuf>,
    /// TLS private key (PEM).
    #[arg(long, requires = "tls_cert")]
    tls_key: Option<PathBuf>,
    /// Serve TLS with a self-signed certificate kept in DATA/tls/ (generated on first
    /// start); its SHA-256 fingerprint is printed, for invites to pin.
    #[arg(long)]
    tls_self_signed: bool,
    /// Names the self-signed certificate is issued for (default: localhost and the
    /// listen address).
    #[arg(long = "tls-name", value_name = "NAME")]
    tls_names: Vec<String>,
    /// Data frames per second one connection may send.
    #[arg(long, default_value_t = 200)]
    rate_frames: u32,
    /// Control frames (Ack, Want, Verdicts) per second one connection may send.
    #[arg(long, default_value_t = 2000)]
    rate_control_frames: u32,
    /// Bytes per second one connection may send.
    #[arg(long, default_value_t = 8 * 1024 * 1024)]
    rate_bytes: u64,
    /// Storage quota per workspace, in MiB.
    #[arg(long, default_value_t = 1024)]
    quota_mb: u64,
    /// Open connections at once.
    #[arg(long, default_value_t = 10_000)]
    max_connections: usize,
    /// Open connections one address may hold.
    #[arg(long, default_value_t = 256)]
    max_connections_per_ip: usize,
    /// Connections that have not logged in yet, at once.
    #[arg(long, default_value_t = 1024)]
    max_pending_logins: usize,
    /// Seconds a connection has to finish logging in.
    #[arg(long, default_value_t = 10)]
    handshake_timeout_secs: u64,
}

impl Args {
    fn tls_names(&self) -> Vec<String> {
        if !self.tls_names.is_empty() {
            return self.tls_names.clone();
        }
        let mut names = vec!["localhost".to_owned()];
        if !self.listen.ip().is_unspecified() {
            names.push(self.listen.ip().to_string());
        }
        names
    }

    fn config(&self) -> anyhow::Result<Config> {
        if self.postgres.is_some() && self.data.is_none() && self.tls_self_signed {
            anyhow::bail!(
                "--tls-self-signed keeps its certificate in --data: pass --data (the same certificate on every relay of a deployment), or --tls-cert and --tls-key"
            );
        }
        let mut config = Config::new(self.listen, self.data.clone().unwrap_or_default());
        config.postgres = self.postgres.clone();
        config.insecure = self.insecure;
        config.tls = match (&self.tls_cert, &self.tls_key) {
            (Some(cert), Some(key)) => Some(TlsSetup::Files {
                cert: cert.clone(),
                key: key.clone(),
            }),
            _ if self.tls_self_signed => Some(TlsSetup::SelfSigned {
                names: self.tls_names(),
            }),
            _ => None,
        };
        config.limits = Limits {
            rate_frames: self.rate_frames,
            rate_control_frames: self.rate_control_frames,
            rate_bytes: self.rate_bytes,
            quota_bytes: self.quota_mb.saturating_mul(1024 * 1024),
            max_connections: self.max_connections,
            max_connections_per_ip: self.max_connections_per_ip,
            max_pending_logins: self.max_pending_logins,
            handshake_timeout: Duration::from_secs(self.handshake_timeout_secs),
            ..Limits::default()
        };
        Ok(config)
    }
}

/// Resolves on SIGTERM or SIGINT (Ctrl-C elsewhere), with the signal's name.
#[cfg(unix)]
fn stop_signal() -> anyhow::Result<impl Future<Output = &'static str>> {
    use tokio::signal::unix::{SignalKind, signal};
    let mut term = signal(SignalKind::terminate()).context("listening for SIGTERM")?;
    let mut int = signal(SignalKind::interrupt()).context("listening for SIGINT")?;
    Ok(async move {
        tokio::select! {
            _ = term.recv() => "SIGTERM",
            _ = int.recv() => "SIGINT",
        }
    })
}

#[cfg(not(unix))]
fn stop_signal() -> anyhow::Result<impl Future<Output = &'static str>> {
    Ok(async {
        let _ = tokio::signal::ctrl_c().await;
        "Ctrl-C"
    })
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info")),
        )
        .init();
    let args = Args::parse();
    // Handlers first, so a signal sent as soon as the address is printed stops cleanly.
    let stop = stop_signal()?;
    let server = meridian_relay::serve(args.config()?).await?;
    if let Some(fingerprint) = server.cert_fingerprint() {
        println!("certificate sha256 {}", fingerprint_hex(&fingerprint));
    }
    println!("listening on {}", server.url());
    let signal = stop.await;
    tracing::info!(signal, "stopping");
    server.shutdown().await?;
    tracing::info!("stopped");
    Ok(())
}
