//! `wss://` with a self-signed certificate that clients pin by its SHA-256 fingerprint.

use std::sync::Arc;

use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::crypto::CryptoProvider;
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::{CertificateError, ClientConfig, DigitallySignedStruct, SignatureScheme};
use sha2::{Digest, Sha256};
use tokio::net::TcpStream;
use tokio_rustls::TlsConnector;

use crate::restart::start_with;
use crate::support::{Socket, create_workspace, host_port, upgrade};

/// Accepts exactly the certificate whose SHA-256 is `pin`, as a device holding an invite.
#[derive(Debug)]
struct Pinned {
    pin: [u8; 32],
    provider: Arc<CryptoProvider>,
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
        if got == self.pin {
            Ok(ServerCertVerified::assertion())
        } else {
            Err(rustls::Error::InvalidCertificate(
                CertificateError::ApplicationVerificationFailure,
            ))
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

fn parse_pin(hex: &str) -> [u8; 32] {
    assert_eq!(hex.len(), 64, "{hex}");
    let mut pin = [0u8; 32];
    for (i, byte) in pin.iter_mut().enumerate() {
        *byte = u8::from_str_radix(&hex[2 * i..2 * i + 2], 16).expect("hex");
    }
    pin
}

async fn connect_pinned(url: &str, pin: [u8; 32]) -> std::io::Result<Socket> {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let config = ClientConfig::builder_with_provider(provider.clone())
        .with_safe_default_protocol_versions()
        .expect("protocol versions")
        .dangerous()
        .with_custom_certificate_verifier(Arc::new(Pinned { pin, provider }))
        .with_no_client_auth();
    let tcp = TcpStream::connect(host_port(url)).await?;
    let name = ServerName::try_from("localhost").expect("name");
    let tls = TlsConnector::from(Arc::new(config))
        .connect(name, tcp)
        .await?;
    Ok(upgrade(url, Box::new(tls)).await)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn devices_sync_over_tls_pinning_the_printed_fingerprint() {
    let dir = tempfile::tempdir().expect("temp dir");
    let mut relay = start_with(dir.path(), &["--tls-self-signed"]).await;
    assert!(relay.url.starts_with("wss://127.0.0.1:"), "{}", relay.url);
    let printed = relay.fingerprint.clone().expect("fingerprint printed");
    let pin = parse_pin(&printed);

    let mut a = create_workspace(40);
    let socket = connect_pinned(&relay.url, pin).await.expect("pinned TLS");
    let mut ca = a.register_on(socket).await;
    a.put("over", "tls");
    assert!(ca.sync(&mut a).await);

    let mut wrong = pin;
    wrong[0] ^= 1;
    assert!(
        connect_pinned(&relay.url, wrong).await.is_err(),
        "a relay with another certificate is refused"
    );

    // The certificate is kept: after a restart the same pin still works.
    relay.child.kill().expect("kill");
    relay.child.wait().expect("reaped");
    let mut relay = start_with(dir.path(), &["--tls-self-signed"]).await;
    assert_eq!(relay.fingerprint.as_deref(), Some(printed.as_str()));
    let socket = connect_pinned(&relay.url, pin).await.expect("same pin");
    let mut ca = a.login(socket).await;
    assert!(ca.sync(&mut a).await, "the relay kept what it acknowledged");
    relay.child.kill().expect("kill");
    relay.child.wait().expect("reaped");
}

/// Whether the relay closes `tcp` within `within` without our sending anything.
async fn closed_by_relay(tcp: &mut TcpStream, within: std::time::Duration) -> bool {
    use tokio::io::AsyncReadExt;
    let mut buf = [0u8; 64];
    matches!(
        tokio::time::timeout(within, tcp.read(&mut buf)).await,
        Ok(Ok(0) | Err(_))
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tls_handshakes_in_progress_are_bounded_per_address_and_in_all() {
    use std::time::Duration;
    let dir = tempfile::tempdir().expect("temp dir");
    let mut relay = start_with(
        dir.path(),
        &[
            "--tls-self-signed",
            "--max-connections-per-ip",
            "3",
            "--handshake-timeout-secs",
            "4",
        ],
    )
    .await;
    let pin = parse_pin(relay.fingerprint.as_deref().expect("fingerprint"));
    let addr = host_port(&relay.url);
    // Three sockets that never say hello hold this address's three places.
    let mut silent = Vec::new();
    for _ in 0..3 {
        silent.push(TcpStream::connect(&addr).await.expect("connect"));
    }
    tokio::time::sleep(Duration::from_millis(200)).await;
    let mut fourth = TcpStream::connect(&addr).await.expect("connect");
    assert!(
        closed_by_relay(&mut fourth, Duration::from_secs(2)).await,
        "a fourth handshake from the address is closed at once"
    );
    for tcp in &mut silent {
        assert!(
            !closed_by_relay(tcp, Duration::from_millis(100)).await,
            "the first three wait for their hello"
        );
    }
    assert!(
        connect_pinned(&relay.url, pin).await.is_err(),
        "no place for a device either, while they hold them"
    );
    // The silent ones are dropped after the handshake timeout, and a device gets in.
    for tcp in &mut silent {
        assert!(
            closed_by_relay(tcp, Duration::from_secs(8)).await,
            "timed out"
        );
    }
    let mut a = create_workspace(41);
    let socket = connect_pinned(&relay.url, pin).await.expect("pinned TLS");
    let mut ca = a.register_on(socket).await;
    a.put("after", "the flood");
    assert!(ca.sync(&mut a).await);
    relay.child.kill().expect("kill");
    relay.child.wait().expect("reaped");

    // The bound over all addresses is the relay's bound on sockets not logged in.
    let dir = tempfile::tempdir().expect("temp dir");
    let mut relay = start_with(
        dir.path(),
        &["--tls-self-signed", "--max-pending-logins", "2"],
    )
    .await;
    let addr = host_port(&relay.url);
    let _held = (
        TcpStream::connect(&addr).await.expect("connect"),
        TcpStream::connect(&addr).await.expect("connect"),
    );
    tokio::time::sleep(Duration::from_millis(200)).await;
    let mut third = TcpStream::connect(&addr).await.expect("connect");
    assert!(closed_by_relay(&mut third, Duration::from_secs(2)).await);
    relay.child.kill().expect("kill");
    relay.child.wait().expect("reaped");
}
