//! TLS for the relay: a certificate from files, or a self-signed one generated once and
//! kept in the data directory, so the fingerprint that invites pin stays the same across
//! restarts. Handshakes run in their own tasks so a slow client cannot hold up others, and
//! are bounded in time and number (in all, and per address) before HTTP and the relay's
//! own limits see the socket.

use std::collections::HashMap;
use std::io;
use std::net::{IpAddr, SocketAddr};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use rustls::ServerConfig;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use sha2::{Digest, Sha256};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{Semaphore, mpsc};
use tokio_rustls::TlsAcceptor;
use tokio_rustls::server::TlsStream;

/// Where the relay's certificate comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TlsSetup {
    /// PEM files: the certificate chain (leaf first) and its private key.
    Files {
        /// The certificate chain.
        cert: PathBuf,
        /// The private key.
        key: PathBuf,
    },
    /// A self-signed certificate for `names`, generated into `<data>/tls/` on first start
    /// and reused after, so its fingerprint stays stable.
    SelfSigned {
        /// Host names and addresses the certificate names.
        names: Vec<String>,
    },
}

/// Why TLS could not be set up.
#[derive(Debug, thiserror::Error)]
pub enum TlsError {
    /// A certificate or key file could not be read or written.
    #[error("TLS file {path}: {detail}")]
    File {
        /// The file.
        path: PathBuf,
        /// What went wrong.
        detail: String,
    },
    /// The self-signed certificate could not be generated.
    #[error("cannot generate a self-signed certificate: {0}")]
    Generate(String),
    /// rustls refused the certificate or key.
    #[error("the TLS certificate or key was refused: {0}")]
    Config(String),
}

/// How many TLS handshakes may be in progress, and for how long. A socket past a bound is
/// closed at once: before the handshake there is no channel to say why in.
#[derive(Debug, Clone, Copy)]
pub(crate) struct HandshakeLimits {
    /// In progress at once, from all addresses (the relay's `max_pending_logins`).
    pub total: usize,
    /// In progress at once from one address (the relay's `max_connections_per_ip`).
    pub per_ip: usize,
    /// A handshake that takes longer is dropped (the relay's `handshake_timeout`).
    pub timeout: Duration,
}
/// Finished handshakes waiting for the HTTP server to take them.
const READY_QUEUE: usize = 64;

#[allow(
    clippy::needless_pass_by_value,
    reason = "called as `map_err(|e| file_error(path, e))`"
)]
fn file_error(path: &Path, detail: impl ToString) -> TlsError {
    TlsError::File {
        path: path.to_path_buf(),
        detail: detail.to_string(),
    }
}

/// The server configuration and the SHA-256 fingerprint of the leaf certificate.
pub(crate) fn load(
    setup: &TlsSetup,
    data_dir: &Path,
) -> Result<(ServerConfig, [u8; 32]), TlsError> {
    let (cert_path, key_path) = match setup {
        TlsSetup::Files { cert, key } => (cert.clone(), key.clone()),
        TlsSetup::SelfSigned { names } => self_signed(names, &data_dir.join("tls"))?,
    };
    let certs = CertificateDer::pem_file_iter(&cert_path)
        .map_err(|e| file_error(&cert_path, e))?
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| file_error(&cert_path, e))?;
    let Some(leaf) = certs.first() else {
        return Err(file_error(&cert_path, "holds no certificate"));
    };
    let fingerprint: [u8; 32] = Sha256::digest(leaf.as_ref()).into();
    let key = PrivateKeyDer::from_pem_file(&key_path).map_err(|e| file_error(&key_path, e))?;
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let mut config = ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| TlsError::Config(e.to_string()))?
        .with_no_client_auth()
        .with_single_cert(certs, key)
        .map_err(|e| TlsError::Config(e.to_string()))?;
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    Ok((config, fingerprint))
}

/// Generates the certificate unless it exists; returns the paths.
fn self_signed(names: &[String], dir: &Path) -> Result<(PathBuf, PathBuf), TlsError> {
    let cert = dir.join("cert.pem");
    let key = dir.join("key.pem");
    if cert.exists() && key.exists() {
        return Ok((cert, key));
    }
    std::fs::create_dir_all(dir).map_err(|e| file_error(dir, e))?;
    let generated = rcgen::generate_simple_self_signed(names.to_vec())
        .map_err(|e| TlsError::Generate(e.to_string()))?;
    // The key first: a crash in between leaves no certificate without its key.
    write_private(&key, generated.signing_key.serialize_pem().as_bytes())?;
    std::fs::write(&cert, generated.cert.pem()).map_err(|e| file_error(&cert, e))?;
    tracing::info!(path = %cert.display(), "generated a self-signed TLS certificate");
    Ok((cert, key))
}

fn write_private(path: &Path, bytes: &[u8]) -> Result<(), TlsError> {
    use std::io::Write;
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    let mut file = options.open(path).map_err(|e| file_error(path, e))?;
    file.write_all(bytes)
        .and_then(|()| file.sync_all())
        .map_err(|e| file_error(path, e))
}

/// A listener that hands axum connections whose TLS handshake finished.
#[derive(Debug)]
pub(crate) struct TlsListener {
    ready: mpsc::Receiver<(TlsStream<TcpStream>, SocketAddr)>,
    addr: SocketAddr,
}

impl TlsListener {
    pub(crate) fn new(
        listener: TcpListener,
        config: ServerConfig,
        limits: HandshakeLimits,
    ) -> io::Result<TlsListener> {
        let addr = listener.local_addr()?;
        let (tx, ready) = mpsc::channel(READY_QUEUE);
        tokio::spawn(accept_loop(
            listener,
            TlsAcceptor::from(Arc::new(config)),
            tx,
            limits,
        ));
        Ok(TlsListener { ready, addr })
    }
}

/// Handshakes in progress per address; an entry leaves with its last handshake.
#[derive(Debug, Default)]
struct PerAddress(Mutex<HashMap<IpAddr, usize>>);

/// One address's place among the handshakes in progress, given back on drop.
struct AddressPlace {
    map: Arc<PerAddress>,
    ip: IpAddr,
}

impl PerAddress {
    fn take(map: &Arc<PerAddress>, ip: IpAddr, max: usize) -> Option<AddressPlace> {
        let mut counts = map.0.lock().unwrap_or_else(PoisonError::into_inner);
        let n = counts.entry(ip).or_insert(0);
        if *n >= max {
            return None;
        }
        *n += 1;
        Some(AddressPlace {
            map: map.clone(),
            ip,
        })
    }
}

impl Drop for AddressPlace {
    fn drop(&mut self) {
        let mut counts = self.map.0.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some(n) = counts.get_mut(&self.ip) {
            *n -= 1;
            if *n == 0 {
                counts.remove(&self.ip);
            }
        }
    }
}

async fn accept_loop(
    listener: TcpListener,
    acceptor: TlsAcceptor,
    ready: mpsc::Sender<(TlsStream<TcpStream>, SocketAddr)>,
    limits: HandshakeLimits,
) {
    let in_progress = Arc::new(Semaphore::new(limits.total.max(1)));
    let per_address = Arc::new(PerAddress::default());
    let mut last_warned: Option<Instant> = None;
    loop {
        let accepted = tokio::select! {
            // The server stopped and dropped the listener.
            () = ready.closed() => return,
            accepted = listener.accept() => accepted,
        };
        let (tcp, addr) = match accepted {
            Ok(pair) => pair,
            Err(err) => {
                // Out of file descriptors and the like: wait rather than spin.
                tracing::warn!(%err, "accept failed");
                tokio::time::sleep(Duration::from_millis(100)).await;
                continue;
            }
        };
        let place = in_progress
            .clone()
            .try_acquire_owned()
            .ok()
            .zip(PerAddress::take(&per_address, addr.ip(), limits.per_ip));
        let Some((permit, address)) = place else {
            // Dropping the socket closes it. Warned about at most once a minute.
            if last_warned.is_none_or(|t| t.elapsed() >= Duration::from_secs(60)) {
                last_warned = Some(Instant::now());
                tracing::warn!(
                    %addr,
                    total = limits.total,
                    per_address = limits.per_ip,
                    "closed a socket at once: too many TLS handshakes in progress"
                );
            }
            continue;
        };
        let _ = tcp.set_nodelay(true);
        let acceptor = acceptor.clone();
        let ready = ready.clone();
        tokio::spawn(async move {
            let handshake = tokio::time::timeout(limits.timeout, acceptor.accept(tcp)).await;
            drop((permit, address));
            match handshake {
                Ok(Ok(tls)) => {
                    let _ = ready.send((tls, addr)).await;
                }
                Ok(Err(err)) => tracing::debug!(%addr, %err, "TLS handshake failed"),
                Err(_) => tracing::debug!(%addr, "TLS handshake timed out"),
            }
        });
    }
}

impl axum::serve::Listener for TlsListener {
    type Io = TlsStream<TcpStream>;
    type Addr = SocketAddr;

    async fn accept(&mut self) -> (Self::Io, Self::Addr) {
        match self.ready.recv().await {
            Some(conn) => conn,
            // The accept loop ended; there will be no more connections.
            None => std::future::pending().await,
        }
    }

    fn local_addr(&self) -> io::Result<SocketAddr> {
        Ok(self.addr)
    }
}

/// The fingerprint as devices and invites show it: 64 lowercase hex characters.
pub fn fingerprint_hex(fingerprint: &[u8; 32]) -> String {
    fingerprint.iter().map(|b| format!("{b:02x}")).collect()
}
