//! The connection to a relay: WebSocket over TCP (`ws://`, for loopback and development)
//! or over TLS (`wss://`) accepting exactly the certificate whose SHA-256 the workspace
//! pinned. A relay's certificate is self-signed; the pin is the trust.

use std::sync::{Arc, Mutex};

use futures_util::{SinkExt, StreamExt};
use meridian_sync::Frame;
use meridian_sync::wire::MAX_FRAME_BYTES;
use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::crypto::CryptoProvider;
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::{CertificateError, ClientConfig, DigitallySignedStruct, SignatureScheme};
use sha2::{Digest, Sha256};
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::net::TcpStream;
use tokio_tungstenite::WebSocketStream;
use tokio_tungstenite::tungstenite::http::StatusCode;
use tokio_tungstenite::tungstenite::protocol::WebSocketConfig;
use tokio_tungstenite::tungstenite::{Error as WsError, Message};

pub(super) trait Io: AsyncRead + AsyncWrite + Unpin + Send {}
impl<T: AsyncRead + AsyncWrite + Unpin + Send> Io for T {}

/// A WebSocket to the relay that speaks frames.
pub(super) struct Link {
    socket: WebSocketStream<Box<dyn Io>>,
    /// The SHA-256 of the relay's certificate (`wss://` only).
    pub cert: Option<[u8; 32]>,
}

/// Why the relay could not be reached or spoke nonsense, in words for the status panel.
pub(super) type LinkError = String;

/// Why [`Link::connect`] failed.
#[derive(Debug)]
pub(super) enum ConnectError {
    /// The relay cannot be reached or refused the connection now: worth trying again.
    Unreachable(LinkError),
    /// The address names no relay endpoint: no retry will help, the address must change.
    WrongAddress(LinkError),
}

impl ConnectError {
    pub fn into_message(self) -> LinkError {
        match self {
            ConnectError::Unreachable(m) | ConnectError::WrongAddress(m) => m,
        }
    }
}

impl std::fmt::Display for ConnectError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ConnectError::Unreachable(m) | ConnectError::WrongAddress(m) => f.write_str(m),
        }
    }
}

/// The path a relay serves the sync protocol on (`meridian-relay`'s router).
const SYNC_PATH: &str = "/sync";

/// A `ws://` or `wss://` URL taken apart: whether it is TLS, `host:port`, and the path
/// with any query (empty when there is none).
fn parts(url: &str) -> Result<(bool, &str, &str), LinkError> {
    let (tls, rest) = if let Some(r) = url.strip_prefix("wss://") {
        (true, r)
    } else if let Some(r) = url.strip_prefix("ws://") {
        (false, r)
    } else {
        return Err(format!(
            "{url:?} is not a relay address: use ws://HOST:PORT/sync (or wss:// with TLS)"
        ));
    };
    let end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    let (authority, path) = rest.split_at(end);
    if authority.is_empty() {
        return Err(format!(
            "{url:?} names no host: use ws://HOST:PORT/sync (or wss:// with TLS)"
        ));
    }
    Ok((tls, authority, path))
}

/// `url` with the relay's sync path when it has none: people copy the address a relay
/// listens on (`ws://host:7447`), or type it, without the path. Any other path is kept
/// (a proxy in front of the relay may serve it elsewhere).
pub(super) fn with_sync_path(url: &str) -> Result<String, LinkError> {
    let url = url.trim();
    let (tls, authority, path) = parts(url)?;
    let scheme = if tls { "wss" } else { "ws" };
    let rest = path.strip_prefix('/').unwrap_or(path);
    Ok(if rest.is_empty() || rest.starts_with(['?', '#']) {
        format!("{scheme}://{authority}{SYNC_PATH}{rest}")
    } else {
        url.to_owned()
    })
}

impl Link {
    /// Connects to `url`. For `wss://`, `pin` must match the certificate; `None` trusts
    /// the certificate seen and reports it in [`Link::cert`] (the admin's first contact,
    /// whose fingerprint then goes into every invite).
    pub async fn connect(url: &str, pin: Option<[u8; 32]>) -> Result<Link, ConnectError> {
        let url = &with_sync_path(url).map_err(ConnectError::WrongAddress)?;
        let (tls, authority, path) = parts(url).map_err(ConnectError::WrongAddress)?;
        let tcp = TcpStream::connect(authority).await.map_err(|e| {
            ConnectError::Unreachable(format!("cannot reach the relay at {authority}: {e}"))
        })?;
        let _ = tcp.set_nodelay(true);
        let (io, cert): (Box<dyn Io>, _) = if tls {
            let host = authority
                .rsplit_once(':')
                .map_or(authority, |(h, _)| h)
                .trim_matches(['[', ']']);
            let name = ServerName::try_from(host.to_owned())
                .map_err(|e| ConnectError::WrongAddress(format!("bad relay host {host:?}: {e}")))?;
            let verifier = Arc::new(Pinned::new(pin));
            let provider = verifier.provider.clone();
            let config = ClientConfig::builder_with_provider(provider)
                .with_safe_default_protocol_versions()
                .map_err(|e| ConnectError::Unreachable(e.to_string()))?
                .dangerous()
                .with_custom_certificate_verifier(verifier.clone())
                .with_no_client_auth();
            let stream = tokio_rustls::TlsConnector::from(Arc::new(config))
                .connect(name, tcp)
                .await
                .map_err(|e| {
                    ConnectError::Unreachable(if verifier.mismatch() {
                        "the relay's certificate is not the one this workspace pinned: someone may be impersonating it (or it was replaced; create a new invite)".to_owned()
                    } else {
                        format!("TLS with the relay failed: {e}")
                    })
                })?;
            (Box::new(stream), verifier.seen())
        } else {
            (Box::new(tcp), None)
        };
        let config = WebSocketConfig::default()
            .max_message_size(Some(MAX_FRAME_BYTES))
            .max_frame_size(Some(MAX_FRAME_BYTES));
        let (socket, _) = tokio_tungstenite::client_async_with_config(url, io, Some(config))
            .await
            .map_err(|e| match e {
                WsError::Http(answer) if answer.status() == StatusCode::NOT_FOUND => {
                    let scheme = if tls { "wss" } else { "ws" };
                    ConnectError::WrongAddress(format!(
                        "the relay at {authority} has no sync endpoint at {path}: its address ends in {SYNC_PATH}, e.g. {scheme}://{authority}{SYNC_PATH}"
                    ))
                }
                e => ConnectError::Unreachable(format!(
                    "the relay at {authority} refused the WebSocket: {e}"
                )),
            })?;
        Ok(Link { socket, cert })
    }

    pub async fn send(&mut self, frame: &Frame) -> Result<(), LinkError> {
        self.socket
            .send(Message::Binary(frame.encode().into()))
            .await
            .map_err(|e| format!("the connection to the relay broke: {e}"))
    }

    /// The next frame; `None` when the relay closed the connection.
    pub async fn recv(&mut self) -> Result<Option<Frame>, LinkError> {
        loop {
            match self.socket.next().await {
                None | Some(Ok(Message::Close(_))) => return Ok(None),
                Some(Err(e)) => return Err(format!("the connection to the relay broke: {e}")),
                Some(Ok(Message::Binary(bytes))) => {
                    return Frame::decode(&bytes)
                        .map(Some)
                        .map_err(|e| format!("the relay sent an unreadable frame: {e}"));
                }
                Some(Ok(_)) => {}
            }
        }
    }

    pub async fn close(mut self) {
        let _ = self.socket.close(None).await;
    }
}

/// Accepts exactly the certificate whose SHA-256 is the pin (or, without one, the first
/// it sees, recording it). The handshake signatures are still checked.
#[derive(Debug)]
struct Pinned {
    pin: Option<[u8; 32]>,
    seen: Mutex<Option<[u8; 32]>>,
    provider: Arc<CryptoProvider>,
}

impl Pinned {
    fn new(pin: Option<[u8; 32]>) -> Pinned {
        Pinned {
            pin,
            seen: Mutex::new(None),
            provider: Arc::new(rustls::crypto::ring::default_provider()),
        }
    }

    fn seen(&self) -> Option<[u8; 32]> {
        *self.seen.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn mismatch(&self) -> bool {
        self.pin.is_some() && self.seen().is_some_and(|s| Some(s) != self.pin)
    }
}

impl ServerCertVerifier for Pinned {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        _server_name: &ServerName<'_>,
        _ocsp: &[u8],
        _now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        let got: [u8; 32] = Sha256::digest(end_entity.as_ref()).into();
        *self.seen.lock().unwrap_or_else(|p| p.into_inner()) = Some(got);
        match self.pin {
            Some(pin) if pin != got => Err(rustls::Error::InvalidCertificate(
                CertificateError::ApplicationVerificationFailure,
            )),
            _ => Ok(ServerCertVerified::assertion()),
        }
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(
            message,
            cert,
            dss,
            &self.provider.signature_verification_algorithms,
        )
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(
            message,
            cert,
            dss,
            &self.provider.signature_verification_algorithms,
        )
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.provider
            .signature_verification_algorithms
            .supported_schemes()
    }
}

#[cfg(test)]
mod tests {
    use super::with_sync_path;

    #[test]
    fn an_address_without_a_path_gets_the_sync_path() {
        for (given, used) in [
            ("ws://127.0.0.1:7447", "ws://127.0.0.1:7447/sync"),
            ("ws://127.0.0.1:7447/", "ws://127.0.0.1:7447/sync"),
            (
                " wss://relay.example.org:7447 ",
                "wss://relay.example.org:7447/sync",
            ),
            ("ws://[::1]:7447", "ws://[::1]:7447/sync"),
            ("ws://h:1?x=1", "ws://h:1/sync?x=1"),
            ("ws://h:1/sync", "ws://h:1/sync"),
            (
                "wss://proxy.example.org/meridian/sync",
                "wss://proxy.example.org/meridian/sync",
            ),
            ("ws://h:1/foo", "ws://h:1/foo"),
        ] {
            assert_eq!(with_sync_path(given).as_deref(), Ok(used), "{given}");
        }
    }

    #[test]
    fn what_is_no_relay_address_says_what_to_write() {
        for bad in ["http://h:1/sync", "h:1", "ws://", "ws:///sync", ""] {
            let err = with_sync_path(bad).expect_err(bad);
            assert!(err.contains("ws://HOST:PORT/sync"), "{bad}: {err}");
        }
    }
}
