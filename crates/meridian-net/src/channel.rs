//! The encrypted, device-authenticated connection between two devices of one workspace on
//! the local network, carrying the same [`Frame`]s as the relay path.
//!
//! # Handshake
//!
//! `Noise_XXpsk0_25519_ChaChaPoly_SHA256` over TCP, prologue `meridian/lan/1`:
//!
//! ```text
//! initiator                                   responder
//!   -> psk, e
//!                            <- e, ee, s, es   [responder's DeviceId]
//!   (gate on the responder; `expect`)
//!   -> s, se                                   [initiator's DeviceId]
//!                                              (gate on the initiator)
//!                            <- transport: welcome, or one refusal byte, then close
//! ```
//!
//! Each side's Noise static key is its device's X25519 key, the one the membership log
//! records next to its [`DeviceId`]. The caller's gate gets the claimed id and the static
//! the peer proved it holds, and checks both against the log (a current member whose
//! recorded key is this one). [`Channel::connect`] returns only after the responder sent
//! its welcome, so an initiator never believes it is connected to a device that refused it.
//!
//! # Why XXpsk0
//!
//! XX lets both sides learn each other's static key during the handshake (a device dialing
//! a discovered address does not know it yet) and hides both statics and ids from anyone
//! watching. The psk, a LAN key the caller derives from the workspace's first epoch key,
//! is mixed in before the first message: without it the responder cannot open even that
//! message, so a stranger on the network gets no answer at all (the responder closes
//! without writing a byte) and learns neither who the device is nor which workspace it
//! serves. A device removed from the workspace keeps the LAN key (the first epoch key never
//! changes), so the membership gate is what stops it: dialing a member, it learns that
//! member's id and static key (already in the log it holds) and then one refusal byte
//! ("removed from this workspace"); dialed by a member, it is refused after the second
//! message and never learns who dialed. A replayed handshake fails: the responder's fresh
//! ephemeral key makes an old third message undecryptable.
//!
//! # Wire format
//!
//! Every Noise message travels as a `u16` big-endian length then the message. After the
//! handshake a frame is its `u32` big-endian length then [`Frame::encode`]'s bytes, split
//! over as many transport messages as needed (at most 65 519 plaintext bytes each); every
//! frame starts in a new message. The receiver checks the length against
//! [`MAX_FRAME_BYTES`] before allocating anything for it. Nonces count transport messages,
//! one counter per direction, so a reordered, dropped or replayed message fails to decrypt.

use std::fmt;
use std::io;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use meridian_sync::wire::MAX_FRAME_BYTES;
use meridian_sync::{DeviceId, DeviceKeys, Frame};
use snow::params::NoiseParams;
use snow::{Builder, HandshakeState, StatelessTransportState};
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::net::tcp::{OwnedReadHalf, OwnedWriteHalf};
use tokio::sync::mpsc;
use tokio::task::JoinHandle;

/// How long either side waits for the whole handshake, TCP connect included.
pub const HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(10);

const NOISE_PARAMS: &str = "Noise_XXpsk0_25519_ChaChaPoly_SHA256";
const PROLOGUE: &[u8] = b"meridian/lan/1";
/// The largest Noise message, and so the largest `u16` length prefix.
const MAX_NOISE_MESSAGE: usize = 65_535;
const TAG_LEN: usize = 16;
const MAX_PLAINTEXT: usize = MAX_NOISE_MESSAGE - TAG_LEN;
const FRAME_LEN_BYTES: usize = 4;
/// Room for any handshake message: the largest, the responder's, is 128 bytes. A fixed
/// buffer means a stranger cannot make us allocate before the psk is checked.
const HANDSHAKE_BUFFER: usize = 256;
/// Decoded frames waiting for `recv`. Small, so a peer that floods us stalls on TCP
/// back-pressure and a connection holds at most a few frames in memory.
const FRAME_QUEUE: usize = 4;
/// The responder's first transport message when it accepts; refusals use the other tags.
const WELCOME: u8 = 0;

/// The caller's decision on a peer: gets the device id it claims and the Noise static key
/// it proved it holds, and checks them against the membership log.
pub type Gate<'a> = dyn Fn(&DeviceId, &[u8; 32]) -> Result<(), Refusal> + Sync + 'a;

/// Why a device was not let in (by the gate, or by the initiator's `expect`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, thiserror::Error)]
pub enum Refusal {
    /// The membership log does not know the device.
    #[error("not a member of this workspace")]
    NotAMember,
    /// The device was removed from the workspace.
    #[error("removed from this workspace")]
    Removed,
    /// The device's key is not the one the membership log records for it.
    #[error("its key is not the one recorded for it in this workspace")]
    WrongKey,
    /// Another device answered than the one dialed.
    #[error("not the device that was expected at this address")]
    NotExpected,
}

impl Refusal {
    fn tag(self) -> u8 {
        match self {
            Refusal::NotAMember => 1,
            Refusal::Removed => 2,
            Refusal::WrongKey => 3,
            Refusal::NotExpected => 4,
        }
    }

    fn from_tag(tag: u8) -> Option<Refusal> {
        match tag {
            1 => Some(Refusal::NotAMember),
            2 => Some(Refusal::Removed),
            3 => Some(Refusal::WrongKey),
            4 => Some(Refusal::NotExpected),
            _ => None,
        }
    }
}

/// Why a channel could not be opened or stopped working.
#[derive(Debug, thiserror::Error)]
pub enum ChannelError {
    /// The network failed (connection refused, reset, closed in the middle of a frame).
    #[error("network error: {0}")]
    Io(#[from] io::Error),
    /// The Noise handshake failed: the peer is not of this workspace, holds an old LAN key,
    /// or is not speaking this protocol.
    #[error("the handshake failed: {0}")]
    Handshake(String),
    /// One side's gate refused the other.
    #[error("the connection was refused: {0}")]
    Refused(Refusal),
    /// A frame over [`MAX_FRAME_BYTES`], received or about to be sent.
    #[error("a frame of {len} bytes is over the limit of {MAX_FRAME_BYTES} bytes")]
    TooLarge {
        /// The declared or encoded length.
        len: usize,
    },
    /// The peer sent something that is not a frame, or a message that failed to decrypt.
    #[error("the peer sent a malformed message: {0}")]
    Malformed(String),
    /// The handshake did not finish in time.
    #[error("the handshake did not finish within {} seconds", HANDSHAKE_TIMEOUT.as_secs())]
    Timeout,
    /// The channel already failed; open a new one.
    #[error("the channel is closed after an earlier error")]
    Closed,
}

/// An open channel to one authenticated device. Dropping it stops its reader task and
/// closes the connection.
pub struct Channel {
    peer: DeviceId,
    remote: SocketAddr,
    transport: Arc<StatelessTransportState>,
    writer: OwnedWriteHalf,
    send_nonce: u64,
    /// A send failed or was cancelled part-way, so the stream is out of step.
    send_broken: bool,
    /// Length prefix then ciphertext of the message being sent.
    out: Vec<u8>,
    incoming: mpsc::Receiver<Result<Frame, ChannelError>>,
    recv_failed: bool,
    reader: JoinHandle<()>,
}

impl fmt::Debug for Channel {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Channel")
            .field("peer", &self.peer)
            .field("remote", &self.remote)
            .finish_non_exhaustive()
    }
}

impl Drop for Channel {
    fn drop(&mut self) {
        // The reader may be parked on a read the peer never completes.
        self.reader.abort();
    }
}

impl Channel {
    /// Dials a device at `addr` and runs the handshake as initiator. `expect` is the device
    /// the caller means to reach (from discovery), if known; `gate` judges the responder.
    /// Returns once the responder has let this device in.
    pub async fn connect(
        addr: SocketAddr,
        keys: &DeviceKeys,
        psk: &[u8; 32],
        expect: Option<DeviceId>,
        gate: &Gate<'_>,
    ) -> Result<Channel, ChannelError> {
        Self::connect_with_timeout(addr, keys, psk, expect, gate, HANDSHAKE_TIMEOUT).await
    }

    /// Runs the handshake as responder on a connection a listener accepted; `gate` judges
    /// the initiator. A refused initiator is told why, and this returns
    /// [`ChannelError::Refused`].
    pub async fn accept(
        stream: TcpStream,
        keys: &DeviceKeys,
        psk: &[u8; 32],
        gate: &Gate<'_>,
    ) -> Result<Channel, ChannelError> {
        Self::accept_with_timeout(stream, keys, psk, gate, HANDSHAKE_TIMEOUT).await
    }

    pub(crate) async fn connect_with_timeout(
        addr: SocketAddr,
        keys: &DeviceKeys,
        psk: &[u8; 32],
        expect: Option<DeviceId>,
        gate: &Gate<'_>,
        limit: Duration,
    ) -> Result<Channel, ChannelError> {
        let attempt = async {
            let mut stream = TcpStream::connect(addr).await?;
            stream.set_nodelay(true)?;
            let (peer, transport) = initiate(&mut stream, keys, psk, expect, gate).await?;
            Ok::<_, ChannelError>((stream, peer, transport))
        };
        let result = match tokio::time::timeout(limit, attempt).await {
            Ok(result) => result,
            Err(_) => Err(ChannelError::Timeout),
        };
        match result {
            // The responder used nonce 0 for its welcome.
            Ok((stream, peer, transport)) => {
                Ok(Channel::start(stream, addr, peer, transport, 0, 1))
            }
            Err(error) => {
                tracing::debug!(%addr, %error, "LAN channel not opened");
                Err(error)
            }
        }
    }

    pub(crate) async fn accept_with_timeout(
        mut stream: TcpStream,
        keys: &DeviceKeys,
        psk: &[u8; 32],
        gate: &Gate<'_>,
        limit: Duration,
    ) -> Result<Channel, ChannelError> {
        let remote = stream.peer_addr()?;
        let attempt = async {
            stream.set_nodelay(true)?;
            respond(&mut stream, keys, psk, gate).await
        };
        let result = match tokio::time::timeout(limit, attempt).await {
            Ok(result) => result,
            Err(_) => Err(ChannelError::Timeout),
        };
        match result {
            // This side used nonce 0 for its welcome.
            Ok((peer, transport)) => Ok(Channel::start(stream, remote, peer, transport, 1, 0)),
            Err(error) => {
                tracing::debug!(%remote, %error, "LAN channel not accepted");
                Err(error)
            }
        }
    }

    fn start(
        stream: TcpStream,
        remote: SocketAddr,
        peer: DeviceId,
        transport: StatelessTransportState,
        send_nonce: u64,
        recv_nonce: u64,
    ) -> Channel {
        let transport = Arc::new(transport);
        let (read_half, writer) = stream.into_split();
        let (tx, incoming) = mpsc::channel(FRAME_QUEUE);
        let reader = tokio::spawn(read_loop(
            read_half,
            Arc::clone(&transport),
            recv_nonce,
            tx,
            remote,
        ));
        Channel {
            peer,
            remote,
            transport,
            writer,
            send_nonce,
            send_broken: false,
            out: vec![0; 2 + MAX_NOISE_MESSAGE],
            incoming,
            recv_failed: false,
            reader,
        }
    }

    /// The authenticated device at the other end.
    pub fn peer(&self) -> DeviceId {
        self.peer
    }

    /// The other end's address.
    pub fn remote_addr(&self) -> SocketAddr {
        self.remote
    }

    /// Sends one frame. Not cancel-safe: if the future is dropped part-way, later sends
    /// fail with [`ChannelError::Closed`]; close the channel and dial again.
    pub async fn send(&mut self, frame: &Frame) -> Result<(), ChannelError> {
        if self.send_broken {
            return Err(ChannelError::Closed);
        }
        let bytes = frame.encode();
        let len = bytes.len();
        let declared = match u32::try_from(len) {
            Ok(declared) if len <= MAX_FRAME_BYTES => declared,
            _ => return Err(ChannelError::TooLarge { len }),
        };
        self.send_broken = true;
        let (first, rest) = bytes.split_at(len.min(MAX_PLAINTEXT - FRAME_LEN_BYTES));
        let mut head = Vec::with_capacity(FRAME_LEN_BYTES + first.len());
        head.extend_from_slice(&declared.to_be_bytes());
        head.extend_from_slice(first);
        self.write_transport(&head).await?;
        for chunk in rest.chunks(MAX_PLAINTEXT) {
            self.write_transport(chunk).await?;
        }
        self.send_broken = false;
        Ok(())
    }

    /// Encrypts one transport message and writes it with its length.
    async fn write_transport(&mut self, plain: &[u8]) -> Result<(), ChannelError> {
        let nonce = self.send_nonce;
        self.send_nonce = nonce.checked_add(1).ok_or(ChannelError::Closed)?;
        let n = self
            .transport
            .write_message(nonce, plain, &mut self.out[2..])
            .map_err(|e| ChannelError::Malformed(format!("cannot encrypt a message: {e}")))?;
        let prefix = u16::try_from(n).map_err(|_| ChannelError::TooLarge { len: n })?;
        self.out[..2].copy_from_slice(&prefix.to_be_bytes());
        self.writer.write_all(&self.out[..2 + n]).await?;
        Ok(())
    }

    /// The next frame from the peer; `Ok(None)` once it closed the connection cleanly.
    /// Cancel-safe: frames are read by a task of their own, so a `recv` dropped inside
    /// `tokio::select!` loses nothing.
    pub async fn recv(&mut self) -> Result<Option<Frame>, ChannelError> {
        if self.recv_failed {
            return Err(ChannelError::Closed);
        }
        match self.incoming.recv().await {
            Some(Ok(frame)) => Ok(Some(frame)),
            Some(Err(error)) => {
                self.recv_failed = true;
                Err(error)
            }
            None => Ok(None),
        }
    }

    /// Tells the peer nothing more is coming (TCP FIN) and stops reading.
    pub async fn close(mut self) {
        if let Err(error) = self.writer.shutdown().await {
            tracing::debug!(remote = %self.remote, %error, "LAN channel did not close cleanly");
        }
        // Drop aborts the reader.
    }
}

fn handshake_error(step: &str) -> impl Fn(snow::Error) -> ChannelError + '_ {
    move |error| ChannelError::Handshake(format!("{step}: {error}"))
}

fn builder<'a>(secret: &'a [u8; 32], psk: &'a [u8; 32]) -> Result<Builder<'a>, ChannelError> {
    let params: NoiseParams = NOISE_PARAMS
        .parse()
        .map_err(handshake_error("unsupported Noise parameters"))?;
    let setup = handshake_error("cannot set up the handshake");
    Builder::new(params)
        .local_private_key(secret)
        .map_err(&setup)?
        .psk(0, psk)
        .map_err(&setup)?
        .prologue(PROLOGUE)
        .map_err(&setup)
}

/// The initiator's half of the handshake: the responder's id and the transport keys.
async fn initiate(
    stream: &mut TcpStream,
    keys: &DeviceKeys,
    psk: &[u8; 32],
    expect: Option<DeviceId>,
    gate: &Gate<'_>,
) -> Result<(DeviceId, StatelessTransportState), ChannelError> {
    let secret = keys.dh_secret_bytes();
    let mut noise = builder(&secret, psk)?
        .build_initiator()
        .map_err(handshake_error("cannot set up the handshake"))?;
    let mut message = [0u8; HANDSHAKE_BUFFER];
    let mut payload = [0u8; HANDSHAKE_BUFFER];

    // -> psk, e
    let n = noise
        .write_message(&[], &mut message)
        .map_err(handshake_error("cannot write the first message"))?;
    write_handshake(stream, &message[..n]).await?;

    // <- e, ee, s, es + the responder's id
    let n = read_handshake(stream, &mut message).await?;
    let p = noise
        .read_message(&message[..n], &mut payload)
        .map_err(handshake_error(
            "the responder's answer did not open (another workspace, or an old LAN key?)",
        ))?;
    let responder = device_id(&payload[..p])?;
    let remote = remote_static(&noise)?;
    if expect.is_some_and(|expected| expected != responder) {
        return Err(ChannelError::Refused(Refusal::NotExpected));
    }
    gate(&responder, &remote).map_err(ChannelError::Refused)?;

    // -> s, se + this device's id
    let n = noise
        .write_message(&keys.id().0, &mut message)
        .map_err(handshake_error("cannot write the third message"))?;
    write_handshake(stream, &message[..n]).await?;
    let transport = noise
        .into_stateless_transport_mode()
        .map_err(handshake_error("cannot finish the handshake"))?;

    // <- welcome, or why not
    let n = read_handshake(stream, &mut message).await?;
    let p = transport
        .read_message(0, &message[..n], &mut payload)
        .map_err(handshake_error("the responder's verdict did not open"))?;
    match payload[..p] {
        [WELCOME] => Ok((responder, transport)),
        [tag] => Err(Refusal::from_tag(tag).map_or_else(
            || ChannelError::Handshake(format!("unknown verdict {tag} from the responder")),
            ChannelError::Refused,
        )),
        _ => Err(ChannelError::Handshake(
            "the responder's verdict is not one byte".into(),
        )),
    }
}

/// The responder's half of the handshake: the initiator's id and the transport keys.
async fn respond(
    stream: &mut TcpStream,
    keys: &DeviceKeys,
    psk: &[u8; 32],
    gate: &Gate<'_>,
) -> Result<(DeviceId, StatelessTransportState), ChannelError> {
    let secret = keys.dh_secret_bytes();
    let mut noise = builder(&secret, psk)?
        .build_responder()
        .map_err(handshake_error("cannot set up the handshake"))?;
    let mut message = [0u8; HANDSHAKE_BUFFER];
    let mut payload = [0u8; HANDSHAKE_BUFFER];

    // <- psk, e: a stranger without the LAN key fails here and gets no answer.
    let n = read_handshake(stream, &mut message).await?;
    let p = noise
        .read_message(&message[..n], &mut payload)
        .map_err(handshake_error(
            "the first message did not open with this workspace's LAN key",
        ))?;
    if p != 0 {
        return Err(ChannelError::Handshake(
            "the first message carries a payload".into(),
        ));
    }

    // -> e, ee, s, es + this device's id
    let n = noise
        .write_message(&keys.id().0, &mut message)
        .map_err(handshake_error("cannot write the second message"))?;
    write_handshake(stream, &message[..n]).await?;

    // <- s, se + the initiator's id
    let n = read_handshake(stream, &mut message).await?;
    let p = noise
        .read_message(&message[..n], &mut payload)
        .map_err(handshake_error("the third message did not open"))?;
    let initiator = device_id(&payload[..p])?;
    let remote = remote_static(&noise)?;
    let transport = noise
        .into_stateless_transport_mode()
        .map_err(handshake_error("cannot finish the handshake"))?;

    // -> welcome, or why not (the initiator must not believe it is in until it is)
    let verdict = gate(&initiator, &remote);
    let tag = match verdict {
        Ok(()) => WELCOME,
        Err(refusal) => refusal.tag(),
    };
    let n = transport
        .write_message(0, &[tag], &mut message)
        .map_err(handshake_error("cannot write the verdict"))?;
    write_handshake(stream, &message[..n]).await?;
    match verdict {
        Ok(()) => Ok((initiator, transport)),
        Err(refusal) => {
            stream.shutdown().await?;
            Err(ChannelError::Refused(refusal))
        }
    }
}

fn device_id(payload: &[u8]) -> Result<DeviceId, ChannelError> {
    <[u8; 32]>::try_from(payload)
        .map(DeviceId)
        .map_err(|_| ChannelError::Handshake("the peer did not send a device id".into()))
}

fn remote_static(noise: &HandshakeState) -> Result<[u8; 32], ChannelError> {
    noise
        .get_remote_static()
        .and_then(|key| <[u8; 32]>::try_from(key).ok())
        .ok_or_else(|| ChannelError::Handshake("the peer's static key is missing".into()))
}

async fn write_handshake(stream: &mut TcpStream, message: &[u8]) -> Result<(), ChannelError> {
    let len =
        u16::try_from(message.len()).map_err(|_| ChannelError::TooLarge { len: message.len() })?;
    let mut out = Vec::with_capacity(2 + message.len());
    out.extend_from_slice(&len.to_be_bytes());
    out.extend_from_slice(message);
    stream.write_all(&out).await?;
    Ok(())
}

async fn read_handshake(stream: &mut TcpStream, buf: &mut [u8]) -> Result<usize, ChannelError> {
    match read_noise(stream, buf).await {
        Ok(Some(n)) => Ok(n),
        Ok(None) => Err(ChannelError::Handshake(
            "the peer closed the connection during the handshake \
             (another workspace, an old LAN key, or it refused this device)"
                .into(),
        )),
        Err(ChannelError::Io(error)) if error.kind() == io::ErrorKind::UnexpectedEof => Err(
            ChannelError::Handshake("the peer closed the connection mid-message".into()),
        ),
        Err(ChannelError::Malformed(why)) => Err(ChannelError::Handshake(why)),
        Err(error) => Err(error),
    }
}

/// Reads one length-prefixed Noise message into `buf`; `None` on a clean end of stream
/// before its first byte.
async fn read_noise<R: AsyncRead + Unpin>(
    reader: &mut R,
    buf: &mut [u8],
) -> Result<Option<usize>, ChannelError> {
    let mut prefix = [0u8; 2];
    if reader.read(&mut prefix[..1]).await? == 0 {
        return Ok(None);
    }
    reader.read_exact(&mut prefix[1..]).await?;
    let len = usize::from(u16::from_be_bytes(prefix));
    if len < TAG_LEN {
        return Err(ChannelError::Malformed(format!(
            "a {len}-byte message is too short to be encrypted"
        )));
    }
    let Some(slot) = buf.get_mut(..len) else {
        return Err(ChannelError::Malformed(format!(
            "a {len}-byte message is longer than allowed here"
        )));
    };
    reader.read_exact(slot).await?;
    Ok(Some(len))
}

/// Decrypts one transport message with the next receiving nonce.
fn open(
    transport: &StatelessTransportState,
    nonce: &mut u64,
    message: &[u8],
    plain: &mut [u8],
) -> Result<usize, ChannelError> {
    let n = transport
        .read_message(*nonce, message, plain)
        .map_err(|_| {
            ChannelError::Malformed(
                "a message failed to decrypt (altered, replayed or reordered)".into(),
            )
        })?;
    *nonce = nonce.checked_add(1).ok_or(ChannelError::Closed)?;
    Ok(n)
}

/// Reads, decrypts and decodes one frame; `None` on a clean end of stream between frames.
async fn read_frame<R: AsyncRead + Unpin>(
    reader: &mut R,
    transport: &StatelessTransportState,
    nonce: &mut u64,
    message: &mut [u8],
    plain: &mut [u8],
) -> Result<Option<Frame>, ChannelError> {
    let Some(n) = read_noise(reader, message).await? else {
        return Ok(None);
    };
    let p = open(transport, nonce, &message[..n], plain)?;
    let Some((declared, first)) = plain[..p].split_first_chunk::<FRAME_LEN_BYTES>() else {
        return Err(ChannelError::Malformed(
            "a frame must start with its length".into(),
        ));
    };
    let len = u32::from_be_bytes(*declared) as usize;
    if len == 0 {
        return Err(ChannelError::Malformed("an empty frame".into()));
    }
    if len > MAX_FRAME_BYTES {
        return Err(ChannelError::TooLarge { len });
    }
    if first.len() > len {
        return Err(ChannelError::Malformed(
            "a message holds more than the frame it starts".into(),
        ));
    }
    let mut bytes = Vec::with_capacity(len);
    bytes.extend_from_slice(first);
    while bytes.len() < len {
        let Some(n) = read_noise(reader, message).await? else {
            return Err(ChannelError::Io(io::Error::new(
                io::ErrorKind::UnexpectedEof,
                "the connection closed in the middle of a frame",
            )));
        };
        let p = open(transport, nonce, &message[..n], plain)?;
        if p == 0 || p > len - bytes.len() {
            return Err(ChannelError::Malformed(
                "a frame's messages do not add up to its length".into(),
            ));
        }
        bytes.extend_from_slice(&plain[..p]);
    }
    Frame::decode(&bytes)
        .map(Some)
        .map_err(|e| ChannelError::Malformed(e.to_string()))
}

/// Feeds frames to [`Channel::recv`] until the peer closes, an error (passed on), or the
/// channel goes away.
async fn read_loop(
    mut reader: OwnedReadHalf,
    transport: Arc<StatelessTransportState>,
    mut nonce: u64,
    frames: mpsc::Sender<Result<Frame, ChannelError>>,
    remote: SocketAddr,
) {
    let mut message = vec![0u8; MAX_NOISE_MESSAGE];
    let mut plain = vec![0u8; MAX_NOISE_MESSAGE];
    loop {
        let item = match read_frame(
            &mut reader,
            &transport,
            &mut nonce,
            &mut message,
            &mut plain,
        )
        .await
        {
            Ok(Some(frame)) => Ok(frame),
            Ok(None) => return,
            Err(error) => {
                tracing::debug!(%remote, %error, "LAN channel stopped reading");
                Err(error)
            }
        };
        let failed = item.is_err();
        if frames.send(item).await.is_err() || failed {
            return;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tokio::net::TcpListener;

    fn admit_all(_: &DeviceId, _: &[u8; 32]) -> Result<(), Refusal> {
        Ok(())
    }

    async fn pair() -> (Channel, Channel) {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let addr = listener.local_addr().expect("addr");
        let a = DeviceKeys::generate(&mut rand::rng());
        let b = DeviceKeys::generate(&mut rand::rng());
        let psk = [7u8; 32];
        let server = async {
            let (stream, _) = listener.accept().await.expect("accept");
            Channel::accept(stream, &b, &psk, &admit_all).await
        };
        let (client, server) =
            tokio::join!(Channel::connect(addr, &a, &psk, None, &admit_all), server);
        (client.expect("connect"), server.expect("accept"))
    }

    #[tokio::test]
    async fn a_declared_length_over_the_limit_is_refused_before_reading_it() {
        let (mut client, mut server) = pair().await;
        let too_long = u32::try_from(MAX_FRAME_BYTES + 1).expect("fits");
        client
            .write_transport(&too_long.to_be_bytes())
            .await
            .expect("write");
        match server.recv().await {
            Err(ChannelError::TooLarge { len }) => assert_eq!(len, MAX_FRAME_BYTES + 1),
            other => panic!("expected TooLarge, got {other:?}"),
        }
        assert!(matches!(server.recv().await, Err(ChannelError::Closed)));
    }

    #[tokio::test]
    async fn empty_short_and_undecodable_frames_are_malformed() {
        for plain in [
            vec![0, 0, 0, 0],
            vec![0, 0],
            vec![0, 0, 0, 3, 0xff, 0xff, 0xff],
            // Declares 10 bytes but the message holds 12.
            vec![0, 0, 0, 10, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12],
        ] {
            let (mut client, mut server) = pair().await;
            client.write_transport(&plain).await.expect("write");
            let got = server.recv().await;
            assert!(
                matches!(got, Err(ChannelError::Malformed(_))),
                "{plain:?}: {got:?}"
            );
        }
    }

    #[tokio::test]
    async fn a_frame_cut_short_is_an_error_not_a_clean_end() {
        let (mut client, mut server) = pair().await;
        client
            .write_transport(&[0, 0, 1, 0, 2])
            .await
            .expect("write");
        client.close().await;
        assert!(matches!(server.recv().await, Err(ChannelError::Io(_))));
    }

    #[tokio::test]
    async fn a_silent_initiator_times_out() {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let addr = listener.local_addr().expect("addr");
        let keys = DeviceKeys::generate(&mut rand::rng());
        let _silent = TcpStream::connect(addr).await.expect("connect");
        let (stream, _) = listener.accept().await.expect("accept");
        let started = std::time::Instant::now();
        let got = Channel::accept_with_timeout(
            stream,
            &keys,
            &[1; 32],
            &admit_all,
            Duration::from_millis(200),
        )
        .await;
        assert!(matches!(got, Err(ChannelError::Timeout)), "{got:?}");
        assert!(started.elapsed() >= Duration::from_millis(200));
    }

    #[tokio::test]
    async fn a_silent_responder_times_out() {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let addr = listener.local_addr().expect("addr");
        let keys = DeviceKeys::generate(&mut rand::rng());
        let hold = tokio::spawn(async move {
            let (stream, _) = listener.accept().await.expect("accept");
            tokio::time::sleep(Duration::from_secs(2)).await;
            drop(stream);
        });
        let got = Channel::connect_with_timeout(
            addr,
            &keys,
            &[1; 32],
            None,
            &admit_all,
            Duration::from_millis(200),
        )
        .await;
        assert!(matches!(got, Err(ChannelError::Timeout)), "{got:?}");
        hold.abort();
    }

    #[test]
    fn refusal_tags_round_trip_and_never_collide_with_welcome() {
        for refusal in [
            Refusal::NotAMember,
            Refusal::Removed,
            Refusal::WrongKey,
            Refusal::NotExpected,
        ] {
            assert_ne!(refusal.tag(), WELCOME);
            assert_eq!(Refusal::from_tag(refusal.tag()), Some(refusal));
        }
        assert_eq!(Refusal::from_tag(WELCOME), None);
    }
}
