//! Test clients: real devices (keys, an envelope log, a membership log and one Automerge
//! document) that talk to a real relay over WebSocket through `meridian_sync::Session`.

use std::collections::HashSet;
use std::time::Duration;

use automerge::{AutoCommit, ChangeHash, ROOT, ReadDoc};
use futures_util::{SinkExt, StreamExt};
use meridian_relay::{Config, Limits, Server};
use meridian_sync::checkpoint::{decode_body, encode_body};
use meridian_sync::{
    CheckpointId, CheckpointPart, Closed, Ctx, DeviceKeys, DocumentId, Envelope, EnvelopeLog,
    EpochKey, ErrorCode, Frame, Header, Kind, MemLog, MembershipLog, Peer, PeerKind, Role, Session,
    Ticket, Verdict, VersionVector, WorkspaceId,
};
use rand::rngs::StdRng;
use rand::{RngCore, SeedableRng};
use tokio::net::TcpStream;
use tokio::time::{Instant, timeout};
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::{WebSocketStream, client_async};

/// A byte stream a WebSocket runs over: plain TCP or TLS.
pub trait Io: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin + Send {}
impl<T: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin + Send> Io for T {}

pub type Socket = WebSocketStream<Box<dyn Io>>;

pub const DOC: DocumentId = DocumentId([7; 16]);

pub fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .expect("after 1970")
        .as_millis() as i64
}

/// A relay in this process on a free port, with its data in a temporary directory.
pub struct Relay {
    pub server: Server,
    pub dir: tempfile::TempDir,
}

impl Relay {
    pub async fn start() -> Relay {
        Relay::with_limits(Limits::default()).await
    }

    pub async fn with_limits(limits: Limits) -> Relay {
        let dir = tempfile::tempdir().expect("temp dir");
        Relay::in_dir(dir, limits).await
    }

    /// A relay on the data folder `dir` (which may hold an earlier relay's data).
    pub async fn in_dir(dir: tempfile::TempDir, limits: Limits) -> Relay {
        let mut config = Config::new("127.0.0.1:0".parse().expect("addr"), dir.path());
        config.limits = limits;
        let server = meridian_relay::serve(config).await.expect("relay starts");
        Relay { server, dir }
    }

    /// Stops gracefully and starts again on the same data folder with `limits`.
    pub async fn restart(self, limits: Limits) -> Relay {
        self.server.shutdown().await.expect("clean shutdown");
        Relay::in_dir(self.dir, limits).await
    }

    pub fn url(&self) -> String {
        self.server.url()
    }

    pub fn db_path(&self) -> std::path::PathBuf {
        self.dir.path().join("relay.sqlite3")
    }

    /// Runs `sql` (one row, one integer) on the relay's file from a second connection.
    pub fn query(&self, sql: &str) -> i64 {
        let conn = rusqlite::Connection::open(self.db_path()).expect("open the relay's file");
        conn.busy_timeout(Duration::from_secs(5))
            .expect("busy timeout");
        conn.query_row(sql, [], |r| r.get::<_, Option<i64>>(0))
            .expect("query")
            .unwrap_or(0)
    }

    /// Bytes of the relay's files (database and WAL).
    pub fn disk_bytes(&self) -> u64 {
        std::fs::read_dir(self.dir.path())
            .expect("data dir")
            .map(|e| e.expect("entry").metadata().expect("metadata").len())
            .sum()
    }
}

/// One device: what it holds survives its connections.
pub struct Device {
    pub keys: DeviceKeys,
    pub ws: WorkspaceId,
    pub log: MemLog,
    pub membership: MembershipLog,
    pub doc: AutoCommit,
    sealed: Vec<ChangeHash>,
    /// Every change the document holds.
    pub hashes: HashSet<ChangeHash>,
    /// The last sequence number and per-document sequence number this device used.
    pub seq: u64,
    pub doc_seq: u64,
    /// Plaintext bodies this device sealed (to check the relay never stores them).
    pub plaintexts: Vec<Vec<u8>>,
    pub rng: StdRng,
}

/// A workspace with its creating admin device, registered at no relay yet.
pub fn create_workspace(seed: u64) -> Device {
    let mut rng = StdRng::seed_from_u64(seed);
    let mut ws = WorkspaceId([0; 16]);
    rng.fill_bytes(&mut ws.0);
    let keys = DeviceKeys::generate(&mut rng);
    let key = EpochKey::generate(&mut rng);
    let membership =
        MembershipLog::create(&keys, ws, "Acme", "Ada", &key, now_ms(), &mut rng).expect("create");
    Device::new(keys, ws, membership, rng)
}

impl Device {
    fn new(keys: DeviceKeys, ws: WorkspaceId, membership: MembershipLog, rng: StdRng) -> Device {
        let mut log_id = [0u8; 16];
        let mut rng = rng;
        rng.fill_bytes(&mut log_id);
        Device {
            keys,
            ws,
            log: MemLog::new(log_id),
            membership,
            doc: AutoCommit::new(),
            sealed: Vec::new(),
            hashes: HashSet::new(),
            seq: 0,
            doc_seq: 0,
            plaintexts: Vec::new(),
            rng,
        }
    }

    /// A new device of the same workspace that knows nothing yet (not even membership).
    pub fn fresh(&mut self) -> Device {
        let mut rng = StdRng::seed_from_u64(self.rng.next_u64());
        let keys = DeviceKeys::generate(&mut rng);
        Device::new(keys, self.ws, MembershipLog::new(), rng)
    }

    /// As an admin: adds `other` with `role` to this device's membership log.
    pub fn add(&mut self, other: &Device, role: Role) {
        let keys = self
            .membership
            .state()
            .epoch_keys_for(&self.keys)
            .expect("admin keys");
        self.membership
            .add_device(
                &self.keys,
                other.keys.public(),
                "Member",
                role,
                &keys,
                now_ms(),
                &mut self.rng,
            )
            .expect("add device");
    }

    /// Edits the document, commits, and seals the new changes into the next envelope.
    pub fn edit(&mut self, f: impl FnOnce(&mut AutoCommit)) -> Envelope {
        f(&mut self.doc);
        self.doc.commit();
        let body: Vec<u8> = self
            .doc
            .get_changes(&self.sealed)
            .iter()
            .flat_map(|c| c.raw_bytes().to_vec())
            .collect();
        self.sealed = self.doc.get_heads();
        self.refresh_hashes();
        self.doc_seq += 1;
        let kind = Kind::Changes {
            doc_seq: self.doc_seq,
        };
        let env = self.seal(kind, &body);
        self.plaintexts.push(body);
        env
    }

    /// Seals the next envelope of this device, puts it in its log and returns it.
    pub fn seal(&mut self, kind: Kind, body: &[u8]) -> Envelope {
        let env = self.seal_unlogged(kind, body);
        let me = Peer::Device(self.keys.id());
        self.log.append(&env, &me).expect("mem log");
        env
    }

    /// Seals the next envelope of this device without putting it in its log.
    pub fn seal_unlogged(&mut self, kind: Kind, body: &[u8]) -> Envelope {
        let epoch = self.membership.state().epoch();
        let key = self
            .membership
            .state()
            .current_key_for(&self.keys)
            .expect("current key");
        self.seq += 1;
        let header = Header::new(DOC, epoch, self.keys.id(), self.seq, kind, now_ms());
        Envelope::seal(&self.ws, header, body, &self.keys, &key, &mut self.rng).expect("seal")
    }

    /// Seals a one-part checkpoint of the document as it is now, covering everything this
    /// device wrote so far.
    pub fn checkpoint(&mut self) -> Envelope {
        let mut covers = VersionVector::new();
        covers.set(self.keys.id(), self.doc_seq);
        let heads = self.doc.get_heads();
        let saved = self.doc.save();
        self.checkpoint_of(covers, &heads, &saved)
    }

    /// Seals a one-part checkpoint claiming `covers`, with `saved` as its document.
    pub fn checkpoint_of(
        &mut self,
        covers: VersionVector,
        heads: &[ChangeHash],
        saved: &[u8],
    ) -> Envelope {
        let heads: Vec<[u8; 32]> = heads.iter().map(|h| h.0).collect();
        let body = encode_body(&heads, saved);
        let kind = Kind::Checkpoint(CheckpointPart {
            covers,
            part: 0,
            parts: 1,
        });
        self.seal(kind, &body)
    }

    fn refresh_hashes(&mut self) {
        for change in self.doc.get_changes(&[]) {
            self.hashes.insert(change.hash());
        }
    }

    /// Puts a string at `key` of the document root and seals it.
    pub fn put(&mut self, key: &str, value: &str) -> Envelope {
        let (key, value) = (key.to_owned(), value.to_owned());
        self.edit(move |doc| {
            automerge::transaction::Transactable::put(doc, ROOT, key, value).expect("put");
        })
    }

    pub fn get(&self, key: &str) -> Option<String> {
        match self.doc.get(ROOT, key).expect("get") {
            Some((automerge::Value::Scalar(s), _)) => s.as_str().map(str::to_owned),
            _ => None,
        }
    }

    fn apply(&mut self, env: &Envelope) {
        let keys = self
            .membership
            .state()
            .epoch_keys_for(&self.keys)
            .expect("epoch keys");
        let key = keys.get(&env.header().epoch).expect("key for the epoch");
        let body = env
            .decrypt(&self.ws, key)
            .expect("an accepted envelope decrypts");
        match &env.header().kind {
            Kind::Changes { .. } => {
                self.doc
                    .load_incremental(&body)
                    .expect("automerge accepts it");
            }
            Kind::Checkpoint(part) => {
                assert_eq!(part.parts, 1, "the tests seal one-part checkpoints");
                let (_, saved) = decode_body(&body).expect("a checkpoint body");
                self.doc
                    .load_incremental(saved)
                    .expect("automerge accepts the saved document");
            }
        }
        self.refresh_hashes();
    }

    /// The id of a checkpoint envelope.
    pub fn checkpoint_id(env: &Envelope) -> CheckpointId {
        env.header().checkpoint().expect("a checkpoint").0
    }

    /// A verdict on `checkpoint`.
    pub fn verdict(checkpoint: &Envelope, ok: bool) -> Verdict {
        Verdict {
            doc: checkpoint.header().doc,
            checkpoint: Device::checkpoint_id(checkpoint),
            ok,
        }
    }

    pub fn heads(&mut self) -> Vec<ChangeHash> {
        let mut heads = self.doc.get_heads();
        heads.sort();
        heads
    }

    pub fn snapshot(&self) -> automerge::hydrate::Value {
        self.doc.hydrate(ROOT, None).expect("hydrate")
    }

    /// Connects and logs in.
    pub async fn connect(&mut self, url: &str) -> Client {
        let socket = raw_connect(url).await;
        self.login(socket).await
    }

    /// Logs in on a connected socket.
    pub async fn login(&mut self, socket: Socket) -> Client {
        let mut client = self.hello(socket).await;
        assert!(
            client
                .pump_until(self, |_, c| c.session.is_ready(), 5)
                .await,
            "login failed: {:?}",
            client.closed
        );
        client
    }

    /// Connects and sends `Hello`, without waiting for the login to finish.
    pub async fn hello(&mut self, mut socket: Socket) -> Client {
        let mut nonce = [0u8; 32];
        self.rng.fill_bytes(&mut nonce);
        let (session, hello) = Session::initiator(
            self.ws,
            self.keys.id(),
            PeerKind::Relay,
            nonce,
            self.log.id(),
            now_ms(),
        );
        send(&mut socket, &hello).await;
        Client::new(socket, session)
    }

    /// Connects and sends `Resume` with `ticket` and `counter`, without waiting for the
    /// answer.
    pub async fn resume(&mut self, url: &str, ticket: &Ticket, counter: u64) -> Client {
        let mut socket = raw_connect(url).await;
        let (session, resume) = Session::initiator_resume(
            self.ws,
            self.keys.id(),
            ticket,
            counter,
            self.log.id(),
            now_ms(),
        );
        send(&mut socket, &resume).await;
        Client::new(socket, session)
    }

    /// Registers the workspace with its log as held, then logs in on the same connection.
    pub async fn register(&mut self, url: &str) -> Client {
        let socket = raw_connect(url).await;
        self.register_on(socket).await
    }

    /// Registers on a connected socket, then logs in.
    pub async fn register_on(&mut self, mut socket: Socket) -> Client {
        let ops = self.membership.ops().to_vec();
        send(&mut socket, &Frame::Register { ops }).await;
        match recv(&mut socket, 5).await {
            Some(Frame::Registered { workspace }) => assert_eq!(workspace, self.ws),
            other => panic!("expected Registered, got {other:?}"),
        }
        let mut client = self.hello(socket).await;
        assert!(
            client
                .pump_until(self, |_, c| c.session.is_ready(), 5)
                .await
        );
        client
    }
}

/// A connection of a device, with its session.
pub struct Client {
    pub socket: Socket,
    pub session: Session,
    pub closed: Option<Closed>,
    pub eof: bool,
    pub join_requests: Vec<Vec<u8>>,
    pub accepted: usize,
    /// Envelopes applied without storing (a checkpoint held covers them).
    pub covered: usize,
    /// Frames received.
    pub received: usize,
    /// Bytes received and sent (encoded frames).
    pub bytes_in: usize,
    pub bytes_out: usize,
    /// Envelopes that arrived in `Deliver` frames, and their encoded bytes.
    pub delivered: usize,
    pub delivered_bytes: usize,
    /// `Deliver` frames received.
    pub delivers: usize,
    /// Verdicts the relay said it stored, and how many `VerdictsNoted` frames came.
    pub verdicts_noted: u32,
    pub noted_frames: usize,
    /// The session ticket the relay gave, if it gave one.
    pub ticket: Option<Ticket>,
}

impl Client {
    fn new(socket: Socket, session: Session) -> Client {
        Client {
            socket,
            session,
            closed: None,
            eof: false,
            join_requests: Vec::new(),
            accepted: 0,
            covered: 0,
            received: 0,
            bytes_in: 0,
            bytes_out: 0,
            delivered: 0,
            delivered_bytes: 0,
            delivers: 0,
            verdicts_noted: 0,
            noted_frames: 0,
            ticket: None,
        }
    }

    /// The code of the `Error` that ended the session, if one did.
    pub fn error_code(&self) -> Option<ErrorCode> {
        match &self.closed {
            Some(Closed::ByPeer { code, .. } | Closed::Refused { code, .. }) => Some(*code),
            _ => None,
        }
    }

    pub fn error_message(&self) -> String {
        match &self.closed {
            Some(Closed::ByPeer { message, .. } | Closed::Refused { message, .. }) => {
                message.clone()
            }
            other => format!("{other:?}"),
        }
    }

    async fn run(&mut self, dev: &mut Device, frame: Frame) {
        match frame {
            Frame::JoinRequests { requests } => self.join_requests.extend(requests),
            frame => {
                if let Frame::Deliver { entries, .. } = &frame {
                    self.delivers += 1;
                    self.delivered += entries.len();
                    self.delivered_bytes +=
                        entries.iter().map(|(_, e)| e.encode().len()).sum::<usize>();
                }
                let mut ctx = Ctx {
                    log: &mut dev.log,
                    membership: &mut dev.membership,
                    identity: Some(&dev.keys),
                    now_ms: now_ms(),
                };
                let step = self.session.on_frame(frame, &mut ctx).expect("mem log");
                self.finish(dev, step).await;
            }
        }
    }

    async fn finish(&mut self, dev: &mut Device, step: meridian_sync::Step) {
        for env in step.accepted.iter().chain(&step.covered) {
            dev.apply(env);
        }
        self.accepted += step.accepted.len();
        self.covered += step.covered.len();
        if step.ticket.is_some() {
            self.ticket = step.ticket;
        }
        if let Some(n) = step.verdicts_noted {
            self.verdicts_noted += n;
            self.noted_frames += 1;
        }
        for frame in &step.send {
            let bytes = frame.encode();
            self.bytes_out += bytes.len();
            if self
                .socket
                .send(Message::Binary(bytes.into()))
                .await
                .is_err()
            {
                self.eof = true;
            }
        }
        if step.closed.is_some() {
            self.closed = step.closed;
        }
    }

    /// Sends what the device wrote (or learnt) since.
    pub async fn local_change(&mut self, dev: &mut Device) {
        let mut ctx = Ctx {
            log: &mut dev.log,
            membership: &mut dev.membership,
            identity: Some(&dev.keys),
            now_ms: now_ms(),
        };
        let step = self.session.on_local_change(&mut ctx).expect("mem log");
        self.finish(dev, step).await;
    }

    /// Handles incoming frames until `done` holds, the session ends, or `secs` pass.
    pub async fn pump_until(
        &mut self,
        dev: &mut Device,
        mut done: impl FnMut(&Device, &Client) -> bool,
        secs: u64,
    ) -> bool {
        let deadline = Instant::now() + Duration::from_secs(secs);
        loop {
            if done(dev, self) {
                return true;
            }
            if self.closed.is_some() || self.eof {
                return false;
            }
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                return false;
            }
            match timeout(left.min(Duration::from_millis(100)), self.socket.next()).await {
                Err(_) => {}
                Ok(None | Some(Err(_)) | Some(Ok(Message::Close(_)))) => self.eof = true,
                Ok(Some(Ok(Message::Binary(bytes)))) => {
                    let frame = Frame::decode(&bytes).expect("the relay sends valid frames");
                    self.received += 1;
                    self.bytes_in += bytes.len();
                    self.run(dev, frame).await;
                }
                Ok(Some(Ok(_))) => {}
            }
        }
    }

    /// Pumps until the relay acknowledged everything this device holds.
    pub async fn sync(&mut self, dev: &mut Device) -> bool {
        self.local_change(dev).await;
        self.pump_until(dev, |d, c| c.session.is_synced(&d.log), 10)
            .await
    }

    /// Sends membership ops the relay lacks and waits until the relay has handled them:
    /// an empty `Verdicts` frame after them is answered with `VerdictsNoted` once
    /// everything before it on this connection was handled and committed.
    pub async fn push_membership(&mut self, dev: &mut Device) -> bool {
        self.local_change(dev).await;
        self.barrier(dev).await
    }

    /// Waits until the relay handled everything sent so far on this connection.
    pub async fn barrier(&mut self, dev: &mut Device) -> bool {
        let frame = Frame::Verdicts {
            verdicts: Vec::new(),
        };
        let bytes = frame.encode();
        self.bytes_out += bytes.len();
        if self
            .socket
            .send(Message::Binary(bytes.into()))
            .await
            .is_err()
        {
            return false;
        }
        let before = self.noted_frames;
        self.pump_until(dev, move |_, c| c.noted_frames > before, 5)
            .await
    }

    /// Sends verdicts and waits until the relay says it stored them.
    pub async fn send_verdicts(&mut self, dev: &mut Device, verdicts: &[Verdict]) -> bool {
        let frame = self.session.verdicts(verdicts).expect("session ready");
        let bytes = frame.encode();
        self.bytes_out += bytes.len();
        self.socket
            .send(Message::Binary(bytes.into()))
            .await
            .expect("send");
        let before = self.noted_frames;
        self.pump_until(dev, move |_, c| c.noted_frames > before, 5)
            .await
    }

    /// Pumps until the device's document holds every change `other`'s holds.
    pub async fn until_holds(&mut self, dev: &mut Device, other: &Device) -> bool {
        let want = other.hashes.clone();
        self.pump_until(dev, move |d, _| want.is_subset(&d.hashes), 10)
            .await
    }

    /// Pumps until the session ends; true if it did.
    pub async fn until_closed(&mut self, dev: &mut Device, secs: u64) -> bool {
        self.pump_until(dev, |_, c| c.closed.is_some() || c.eof, secs)
            .await
    }
}

/// `host:port` of a `ws://` or `wss://` URL.
pub fn host_port(url: &str) -> &str {
    let rest = url
        .strip_prefix("ws://")
        .or_else(|| url.strip_prefix("wss://"))
        .expect("a ws:// or wss:// URL");
    rest.split('/').next().expect("host")
}

/// A WebSocket over `io` (already connected, and through TLS for `wss://`).
pub async fn upgrade(url: &str, io: Box<dyn Io>) -> Socket {
    let (socket, _) = client_async(url, io).await.expect("WebSocket handshake");
    socket
}

/// A plain `ws://` connection.
pub async fn raw_connect(url: &str) -> Socket {
    let tcp = TcpStream::connect(host_port(url))
        .await
        .expect("connect to the relay");
    tcp.set_nodelay(true).expect("nodelay");
    upgrade(url, Box::new(tcp)).await
}

pub async fn send(socket: &mut Socket, frame: &Frame) {
    socket
        .send(Message::Binary(frame.encode().into()))
        .await
        .expect("send");
}

/// The next frame, or `None` once the connection closed (or after `secs`).
pub async fn recv(socket: &mut Socket, secs: u64) -> Option<Frame> {
    let deadline = Instant::now() + Duration::from_secs(secs);
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        match timeout(left, socket.next()).await {
            Ok(Some(Ok(Message::Binary(bytes)))) => {
                return Some(Frame::decode(&bytes).expect("valid frame"));
            }
            Ok(Some(Ok(Message::Close(_)) | Err(_)) | None) | Err(_) => return None,
            Ok(Some(Ok(_))) => {}
        }
    }
}

/// Reads until an `Error` frame or the end; returns the error code seen, if any.
pub async fn recv_error(socket: &mut Socket, secs: u64) -> Option<(ErrorCode, String)> {
    while let Some(frame) = recv(socket, secs).await {
        if let Frame::Error { code, message } = frame {
            return Some((code, message));
        }
    }
    None
}

/// Admin `a` (registered, connected) and member `b` (added, connected) of one workspace.
pub async fn pair(url: &str, seed: u64, role: Role) -> (Device, Client, Device, Client) {
    let mut a = create_workspace(seed);
    let mut ca = a.register(url).await;
    let mut b = a.fresh();
    a.add(&b, role);
    assert!(ca.push_membership(&mut a).await);
    let cb = b.connect(url).await;
    (a, ca, b, cb)
}
