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
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::protocol::WebSocketConfig;

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

/// `host:port` of a `ws://` or `wss://` URL, and whether it is TLS.
fn host_port(url: &str) -> Result<(bool, &str), LinkError> {
    let (tls, rest) = if let Some(r) = url.strip_prefix("wss://") {
        (true, r)
    } else if let Some(r) = url.strip_prefix("ws://") {
        (false, r)
    } else {
        return Err(format!("{url:?} is not a ws:// or wss:// address"));
    };
    let authority = rest.split('/').next().unwrap_or_default();
    if authority.is_empty() {
        return Err(format!("{url:?} names no host"));
    }
    Ok((tls, authority))
}

impl Link {
    /// Connects to `url`. For `wss://`, `pin` must match the certificate; `None` trusts
    /// the certificate seen and reports it in [`Link::cert`] (the admin's first contact,
    /// whose fingerprint then goes into every invite).
    pub async fn connect(url: &str, pin: Option<[u8; 32]>) -> Result<Link, LinkError> {
        let (tls, authority) = host_port(url)?;
        let tcp = TcpStream::connect(authority)
            .await
            .map_err(|e| format!("cannot reach the relay at {authority}: {e}"))?;
        let _ = tcp.set_nodelay(true);
        let (io, cert): (Box<dyn Io>, _) = if tls {
            let host = authority
                .rsplit_once(':')
                .map_or(authority, |(h, _)| h)
                .trim_matches(['[', ']']);
            let name = ServerName::try_from(host.to_owned())
                .map_err(|e| format!("bad relay host {host:?}: {e}"))?;
            let verifier = Arc::new(Pinned::new(pin));
            let provider = verifier.provider.clone();
            let config = ClientConfig::builder_with_provider(provider)
                .with_safe_default_protocol_versions()
                .map_err(|e| e.to_string())?
                .dangerous()
                .with_custom_certificate_verifier(verifier.clone())
                .with_no_client_auth();
            let stream = tokio_rustls::TlsConnector::from(Arc::new(config))
                .connect(name, tcp)
                .await
                .map_err(|e| {
                    if verifier.mismatch() {
                        "the relay's certificate is not the one this workspace pinned: someone may be impersonating it (or it was replaced; create a new invite)".to_owned()
                    } else {
                        format!("TLS with the relay failed: {e}")
                    }
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
            .map_err(|e| format!("the relay at {authority} refused the WebSocket: {e}"))?;
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
