// Shared by the B4 and B11 benches (`include!`d by both, so each keeps its own imports):
// reading /proc, a `meridian-relay` process, the workspace setup, and the typing clients
// with their latency records. Each bench uses most of it; what one of them leaves unused is
// allowed below.

// ---------------------------------------------------------------- /proc

const CLK_TCK: f64 = 100.0;

/// utime + stime of a process, in clock ticks.
fn cpu_ticks(pid: &str) -> Option<u64> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    let rest: Vec<&str> = stat[stat.rfind(')')? + 2..].split(' ').collect();
    Some(rest.get(11)?.parse::<u64>().ok()? + rest.get(12)?.parse::<u64>().ok()?)
}

#[allow(dead_code, reason = "B4 reports memory, B11 does not")]
fn rss_mib(pid: &str) -> Option<f64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let line = status.lines().find(|l| l.starts_with("VmRSS:"))?;
    let kib: f64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kib / 1024.0)
}

/// (busy, total) clock ticks of the whole machine.
fn machine_ticks() -> (u64, u64) {
    let stat = std::fs::read_to_string("/proc/stat").unwrap_or_default();
    let fields: Vec<u64> = stat
        .lines()
        .next()
        .unwrap_or_default()
        .split_whitespace()
        .skip(1)
        .filter_map(|f| f.parse().ok())
        .collect();
    let total: u64 = fields.iter().sum();
    let idle = fields.get(3).copied().unwrap_or(0) + fields.get(4).copied().unwrap_or(0);
    (total - idle, total)
}

/// Waits (up to `cap`) until the machine has been nearly idle for three 2 s samples, as the
/// load generator's sweep does: other work on a shared 2-core machine distorts the figures.
fn quiet_gate(cap: Duration) -> bool {
    let started = std::time::Instant::now();
    let mut quiet = 0;
    while started.elapsed() < cap {
        let (b0, _) = machine_ticks();
        std::thread::sleep(Duration::from_secs(2));
        let (b1, _) = machine_ticks();
        let busy_pct = (b1 - b0) as f64 / CLK_TCK / 2.0 * 100.0;
        quiet = if busy_pct < 15.0 { quiet + 1 } else { 0 };
        if quiet >= 3 {
            return true;
        }
    }
    false
}


// ---------------------------------------------------------------- the relay process

/// The `meridian-relay` binary on a free loopback port with a fresh data folder (and
/// `extra` arguments); killed (by its pid, through `Child`) when dropped.
struct RelayProcess {
    child: Child,
    url: String,
    _dir: tempfile::TempDir,
}

impl RelayProcess {
    fn start(extra: &[&str]) -> RelayProcess {
        let dir = tempfile::tempdir().expect("temp dir");
        let mut child = Command::new(env!("CARGO_BIN_EXE_meridian-relay"))
            .args(["--listen", "127.0.0.1:0", "--data"])
            .arg(dir.path())
            .args(extra)
            .env("RUST_LOG", "warn")
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("start meridian-relay");
        let stdout = child.stdout.take().expect("piped stdout");
        let url = BufReader::new(stdout)
            .lines()
            .map_while(Result::ok)
            .find_map(|line| line.strip_prefix("listening on ").map(str::to_owned))
            .expect("the relay prints its address");
        RelayProcess {
            child,
            url,
            _dir: dir,
        }
    }

    fn pid(&self) -> String {
        self.child.id().to_string()
    }
}

impl Drop for RelayProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

// ---------------------------------------------------------------- clients

type Socket = WebSocketStream<TcpStream>;

fn wall_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
        .unwrap_or(0)
}

/// Keystrokes sent and seen by one client, shared with the coordinator to know when the
/// last keystrokes have arrived.
#[derive(Debug, Default)]
struct Progress {
    sent: AtomicUsize,
    seen: AtomicUsize,
}

/// What the whole run shares.
#[derive(Debug)]
struct Shared {
    ws: WorkspaceId,
    /// The relays; typist `i` connects to `urls[i % urls.len()]`.
    urls: Vec<String>,
    /// Device → client index, to read the right tag.
    index: HashMap<DeviceId, usize>,
    progress: Vec<Progress>,
    /// Times are milliseconds since this instant.
    base: Instant,
}

impl Shared {
    fn relay_of(&self, client: usize) -> usize {
        client % self.urls.len()
    }

    fn ms(&self, at: Instant) -> f64 {
        (at - self.base).as_secs_f64() * 1e3
    }
}

/// One client's measurements.
#[derive(Debug, Default)]
struct Record {
    /// Send time of each keystroke (ms).
    sent: Vec<f64>,
    /// How late each keystroke was sent against its schedule (ms): the clients' own lag.
    lag: Vec<f64>,
    /// Per sender: when each of its keystrokes became visible here (ms).
    visible: Vec<Vec<f64>>,
    /// When each keystroke's envelope was first written to the socket in a `Push` frame
    /// (ms; NaN until it is).
    written: Vec<f64>,
    /// Per sender: when this client's socket reader took the first `Deliver` frame
    /// holding each of its keystrokes off the connection (ms; NaN until one did).
    delivered: Vec<Vec<f64>>,
    /// Each keystroke's position in this device's log.
    positions: Vec<u64>,
    /// When the relay's `Ack` covering each keystroke was read (ms; NaN until then).
    acked: Vec<f64>,
    /// Why the session ended early, if it did.
    closed: Option<String>,
    traffic: Traffic,
}

/// What crossed one client's connection.
#[derive(Debug, Default, Clone, Copy)]
struct Traffic {
    frames_in: usize,
    frames_out: usize,
    bytes_in: usize,
    bytes_out: usize,
    /// Envelopes that arrived in `Deliver` frames, duplicates included.
    envelopes_in: usize,
    /// Those the session accepted (new to this client).
    envelopes_new: usize,
}

impl Traffic {
    #[allow(dead_code, reason = "B4 adds up the clients' traffic, B11 does not")]
    fn add(&mut self, other: &Traffic) {
        self.frames_in += other.frames_in;
        self.frames_out += other.frames_out;
        self.bytes_in += other.bytes_in;
        self.bytes_out += other.bytes_out;
        self.envelopes_in += other.envelopes_in;
        self.envelopes_new += other.envelopes_new;
    }
}

/// A device typing into the shared document.
struct Client {
    /// Index among the typists (`usize::MAX` for the workspace's creator, who never types
    /// and leaves before anyone does).
    me: usize,
    name: String,
    keys: DeviceKeys,
    key: EpochKey,
    log: MemLog,
    /// The last sequence number used, in all and in the document.
    seq: u64,
    doc_seq: u64,
    membership: MembershipLog,
    doc: AutoCommit,
    sealed: Vec<ChangeHash>,
    session: Session,
    sink: SplitSink<Socket, Message>,
    /// Frames as the socket reader took them off the connection, with that time.
    inbox: mpsc::UnboundedReceiver<(Instant, Message)>,
    rng: StdRng,
    shared: Arc<Shared>,
    record: Record,
}

fn client_name(i: usize) -> String {
    format!("c{i}")
}

fn object(doc: &AutoCommit, key: &str) -> Option<ObjId> {
    match doc.get(ROOT, key) {
        Ok(Some((Value::Object(_), id))) => Some(id),
        _ => None,
    }
}

async fn connect(url: &str) -> Socket {
    let addr = url
        .strip_prefix("ws://")
        .and_then(|rest| rest.split('/').next())
        .expect("a ws:// URL");
    let tcp = TcpStream::connect(addr)
        .await
        .expect("connect to the server");
    tcp.set_nodelay(true).expect("nodelay");
    let (socket, _) = client_async(url, tcp).await.expect("WebSocket handshake");
    socket
}

/// Splits `socket`: a task of its own reads it and stamps each frame with the time it took
/// it off the connection, so that time does not wait for the client's work on earlier
/// frames. The inbox closes when the connection does.
fn split(
    socket: Socket,
) -> (
    SplitSink<Socket, Message>,
    mpsc::UnboundedReceiver<(Instant, Message)>,
) {
    let (sink, mut stream) = socket.split();
    let (tx, inbox) = mpsc::unbounded_channel();
    tokio::spawn(async move {
        while let Some(Ok(msg)) = stream.next().await {
            if tx.send((Instant::now(), msg)).is_err() {
                break;
            }
        }
    });
    (sink, inbox)
}

impl Client {
    /// Starts a session on `socket` (sends `Hello`) for a device with an empty log and
    /// document; the login and the document arrive as frames are pumped.
    async fn open(
        me: usize,
        keys: DeviceKeys,
        membership: MembershipLog,
        shared: Arc<Shared>,
        mut socket: Socket,
    ) -> Client {
        let mut doc = AutoCommit::new().with_actor(ActorId::random());
        let key = membership
            .state()
            .current_key_for(&keys)
            .expect("a member unwraps the epoch key");
        let mut rng = StdRng::seed_from_u64(me as u64);
        let mut nonce = [0u8; 32];
        rng.fill_bytes(&mut nonce);
        let mut log_id = [0u8; 16];
        rng.fill_bytes(&mut log_id);
        let (session, hello) = Session::initiator(
            shared.ws,
            keys.id(),
            PeerKind::Relay,
            nonce,
            log_id,
            wall_ms(),
        );
        socket
            .send(Message::Binary(hello.encode().into()))
            .await
            .expect("send Hello");
        let peers = shared.progress.len();
        let (sink, inbox) = split(socket);
        Client {
            me,
            name: client_name(me),
            keys,
            key,
            log: MemLog::new(log_id),
            seq: 0,
            doc_seq: 0,
            membership,
            sealed: doc.get_heads(),
            doc,
            session,
            sink,
            inbox,
            rng,
            shared,
            record: Record {
                visible: vec![Vec::new(); peers],
                delivered: vec![Vec::new(); peers],
                ..Record::default()
            },
        }
    }

    async fn send_step(&mut self, step: Step) {
        for frame in &step.send {
            let bytes = frame.encode();
            self.record.traffic.frames_out += 1;
            self.record.traffic.bytes_out += bytes.len();
            let at = self.shared.ms(Instant::now());
            if self.sink.send(Message::Binary(bytes.into())).await.is_err() {
                self.record.closed = Some("the connection broke".into());
                continue;
            }
            if let Frame::Push { entries, .. } = frame {
                // A typist seals only its keystrokes: its n-th envelope is keystroke n - 1.
                let me = self.keys.id();
                for (_, env) in entries.iter().filter(|(_, env)| env.header().device == me) {
                    let k = usize::try_from(env.header().seq - 1).expect("fits usize");
                    let written = &mut self.record.written;
                    if written.len() <= k {
                        written.resize(k + 1, f64::NAN);
                    }
                    if written[k].is_nan() {
                        written[k] = at;
                    }
                }
            }
        }
        if let Some(closed) = step.closed {
            self.record.closed = Some(match closed {
                Closed::Bye => "the relay said Bye".into(),
                Closed::ByPeer { code, message } | Closed::Refused { code, message } => {
                    format!("{code:?}: {message}")
                }
            });
        }
    }

    /// Opens and merges what the session accepted, then notes which keystrokes of their
    /// senders are now visible.
    fn apply(&mut self, accepted: &[Envelope]) {
        let mut bytes = Vec::new();
        for env in accepted {
            bytes.extend(
                env.decrypt(&self.shared.ws, &self.key)
                    .expect("an accepted envelope opens"),
            );
        }
        if bytes.is_empty() {
            return;
        }
        self.doc
            .load_incremental(&bytes)
            .expect("automerge loads it");
        // Our own changes were sealed at once, so the merged heads are all in envelopes.
        self.sealed = self.doc.get_heads();
        let now = self.shared.ms(Instant::now());
        let Some(tags) = object(&self.doc, "tags") else {
            return;
        };
        let mut senders: Vec<usize> = accepted
            .iter()
            .filter_map(|env| self.shared.index.get(&env.header().device).copied())
            .collect();
        senders.sort_unstable();
        senders.dedup();
        for sender in senders {
            let Ok(Some((Value::Scalar(tag), _))) = self.doc.get(&tags, client_name(sender)) else {
                continue;
            };
            let ScalarValue::Str(tag) = tag.as_ref() else {
                continue;
            };
            let seq: usize = tag
                .split(':')
                .next()
                .and_then(|s| s.parse().ok())
                .expect("tags are seq:time");
            let seen = &mut self.record.visible[sender];
            if seq >= seen.len() {
                let newly = seq + 1 - seen.len();
                seen.resize(seq + 1, now);
                self.shared.progress[self.me]
                    .seen
                    .fetch_add(newly, Ordering::Relaxed);
            }
        }
    }

    /// Handles one frame the socket reader took off the connection at `read`.
    async fn on_message(&mut self, read: Instant, bytes: &[u8]) {
        let frame = Frame::decode(bytes).expect("the relay sends valid frames");
        if let Frame::Ack { upto, .. } = &frame {
            let read = self.shared.ms(read);
            let record = &mut self.record;
            for (k, pos) in record.positions.iter().enumerate() {
                if *pos > *upto {
                    break;
                }
                if record.acked.len() <= k {
                    record.acked.resize(k + 1, f64::NAN);
                }
                if record.acked[k].is_nan() {
                    record.acked[k] = read;
                }
            }
        }
        let traffic = &mut self.record.traffic;
        traffic.frames_in += 1;
        traffic.bytes_in += bytes.len();
        if let Frame::Deliver { entries, .. } = &frame {
            traffic.envelopes_in += entries.len();
            let read = self.shared.ms(read);
            for (_, env) in entries {
                let Some(&sender) = self.shared.index.get(&env.header().device) else {
                    continue;
                };
                let k = usize::try_from(env.header().seq - 1).expect("fits usize");
                let delivered = &mut self.record.delivered[sender];
                if delivered.len() <= k {
                    delivered.resize(k + 1, f64::NAN);
                }
                if delivered[k].is_nan() {
                    delivered[k] = read;
                }
            }
        }
        let mut ctx = Ctx {
            log: &mut self.log,
            membership: &mut self.membership,
            identity: Some(&self.keys),
            now_ms: wall_ms(),
        };
        let step = self
            .session
            .on_frame(frame, &mut ctx)
            .expect("in-memory log");
        self.record.traffic.envelopes_new += step.accepted.len();
        self.apply(&step.accepted);
        self.send_step(step).await;
    }

    /// Handles frames until `done` holds; false if the session ended or `secs` passed.
    async fn pump_until(&mut self, done: impl Fn(&Client) -> bool, secs: u64) -> bool {
        let deadline = Instant::now() + Duration::from_secs(secs);
        while !done(self) {
            if self.record.closed.is_some() {
                return false;
            }
            match timeout(deadline - Instant::now(), self.inbox.recv()).await {
                Ok(Some((read, Message::Binary(bytes)))) => self.on_message(read, &bytes).await,
                Ok(Some(_)) => {}
                Ok(None) | Err(_) => return false,
            }
        }
        true
    }

    /// Seals `body` (changes, or the first time the whole document) as this device's
    /// next envelope of the document; the document's heads are then sealed.
    #[allow(
        clippy::needless_pass_by_value,
        reason = "benchmark helper; clarity over a borrow"
    )]
    fn seal(&mut self, body: Vec<u8>) {
        self.seq += 1;
        self.doc_seq += 1;
        let epoch = self.membership.state().epoch();
        let header = Header::changes(
            DOC,
            epoch,
            self.keys.id(),
            self.seq,
            self.doc_seq,
            wall_ms(),
        );
        let env = Envelope::seal(
            &self.shared.ws,
            header,
            &body,
            &self.keys,
            &self.key,
            &mut self.rng,
        )
        .expect("seal");
        let pos = self
            .log
            .append(&env, &Peer::Device(self.keys.id()))
            .expect("in-memory log");
        self.record.positions.push(pos);
        self.sealed = self.doc.get_heads();
    }

    /// One keystroke: a letter at the end of the text and this client's tag, one change,
    /// sealed and offered to the session at once.
    async fn keystroke(&mut self, scheduled: Instant) {
        let seq = self.record.sent.len();
        let sent = self.shared.ms(Instant::now());
        let text = object(&self.doc, "text").expect("the shared text");
        let tags = object(&self.doc, "tags").expect("the tags map");
        let end = self.doc.length(&text);
        let letter = char::from(b'a' + (seq % 26) as u8).to_string();
        self.doc.splice_text(&text, end, 0, &letter).expect("type");
        self.doc
            .put(&tags, self.name.as_str(), format!("{seq}:{sent:.3}"))
            .expect("tag");
        self.doc.commit();
        let body = self.doc.save_after(&self.sealed);
        self.seal(body);
        self.record.sent.push(sent);
        self.record.lag.push(sent - self.shared.ms(scheduled));
        self.shared.progress[self.me]
            .sent
            .fetch_add(1, Ordering::Relaxed);
        let mut ctx = Ctx {
            log: &mut self.log,
            membership: &mut self.membership,
            identity: Some(&self.keys),
            now_ms: wall_ms(),
        };
        let step = self
            .session
            .on_local_change(&mut ctx)
            .expect("in-memory log");
        self.send_step(step).await;
    }

    async fn tick(&mut self) {
        let mut ctx = Ctx {
            log: &mut self.log,
            membership: &mut self.membership,
            identity: Some(&self.keys),
            now_ms: wall_ms(),
        };
        let step = self.session.on_tick(&mut ctx).expect("in-memory log");
        self.send_step(step).await;
    }

    /// Types from `start` (plus a random phase) until `end`, and keeps receiving until told
    /// to stop.
    async fn run(mut self, plan: Plan, mut stop: watch::Receiver<bool>) -> Record {
        let period = Duration::from_secs_f64(1.0 / plan.cps);
        let phase = period.mul_f64(self.rng.random::<f64>());
        let scheduled = |seq: u32| plan.start + phase + period * seq;
        let mut next = scheduled(0);
        let typing = sleep_until(next);
        tokio::pin!(typing);
        let mut typing_done = false;
        let mut ticks = interval(Duration::from_secs(2));
        ticks.set_missed_tick_behavior(MissedTickBehavior::Skip);
        while self.record.closed.is_none() {
            tokio::select! {
                () = &mut typing, if !typing_done => {
                    self.keystroke(next).await;
                    let seq = u32::try_from(self.record.sent.len()).expect("keystrokes fit u32");
                    next = scheduled(seq);
                    if next >= plan.end {
                        typing_done = true;
                    } else {
                        typing.as_mut().reset(next);
                    }
                }
                msg = self.inbox.recv() => match msg {
                    Some((read, Message::Binary(bytes))) => self.on_message(read, &bytes).await,
                    Some(_) => {}
                    None => self.record.closed = Some("the connection broke".into()),
                },
                _ = ticks.tick() => self.tick().await,
                _ = stop.changed() => {
                    let bye = self.session.close();
                    let _ = self.sink.send(Message::Binary(bye.encode().into())).await;
                    let _ = self.sink.close().await;
                    break;
                }
            }
        }
        self.record
    }
}

/// When typing starts and ends.
#[derive(Debug, Clone, Copy)]
struct Plan {
    start: Instant,
    end: Instant,
    cps: f64,
}

/// The load generator's percentile: the value at rank ceil(p·n).
fn pct(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    let rank = (p / 100.0 * sorted.len() as f64).ceil() as usize;
    sorted[rank.clamp(1, sorted.len()) - 1]
}

/// Creates the workspace with `users` editor devices, registers it at the relay, and
/// uploads the document (empty text, empty tags) as the admin's first envelope.
async fn setup(
    urls: &[String],
    users: usize,
    base: Instant,
) -> (Arc<Shared>, MembershipLog, Vec<DeviceKeys>) {
    let mut rng = StdRng::seed_from_u64(users as u64);
    let mut ws = WorkspaceId([0; 16]);
    rng.fill_bytes(&mut ws.0);
    let admin = DeviceKeys::generate(&mut rng);
    let key = EpochKey::generate(&mut rng);
    let mut membership =
        MembershipLog::create(&admin, ws, "B4", "admin", &key, wall_ms(), &mut rng)
            .expect("create");
    let keys = membership
        .state()
        .epoch_keys_for(&admin)
        .expect("admin keys");
    let typists: Vec<DeviceKeys> = (0..users).map(|_| DeviceKeys::generate(&mut rng)).collect();
    for (i, typist) in typists.iter().enumerate() {
        membership
            .add_device(
                &admin,
                typist.public(),
                &client_name(i),
                Role::Editor,
                &keys,
                wall_ms(),
                &mut rng,
            )
            .expect("add a typist");
    }
    let shared = Arc::new(Shared {
        ws,
        urls: urls.to_vec(),
        index: typists
            .iter()
            .enumerate()
            .map(|(i, k)| (k.id(), i))
            .collect(),
        progress: (0..users).map(|_| Progress::default()).collect(),
        base,
    });

    let mut socket = connect(&urls[0]).await;
    let register = Frame::Register {
        ops: membership.ops().to_vec(),
    };
    socket
        .send(Message::Binary(register.encode().into()))
        .await
        .expect("send Register");
    match socket.next().await {
        Some(Ok(Message::Binary(bytes))) => match Frame::decode(&bytes) {
            Ok(Frame::Registered { .. }) => {}
            other => panic!("expected Registered, got {other:?}"),
        },
        other => panic!("expected Registered, got {other:?}"),
    }
    let mut creator = Client::open(
        usize::MAX,
        admin,
        membership.clone(),
        shared.clone(),
        socket,
    )
    .await;
    let doc = &mut creator.doc;
    doc.put_object(ROOT, "text", ObjType::Text).expect("text");
    doc.put_object(ROOT, "tags", ObjType::Map).expect("tags");
    doc.commit();
    let snapshot = doc.save();
    creator.seal(snapshot);
    assert!(
        creator
            .pump_until(|c| c.session.is_synced(&c.log), 30)
            .await,
        "the relay took the document: {:?}",
        creator.record.closed
    );
    let _ = creator.sink.close().await;
    (shared, membership, typists)
}

/// Connects the typists in groups of 8 (as automerge's load generator does), each to its
/// relay and until it has the document, then lets the relay settle for a second.
async fn open_clients(
    shared: &Arc<Shared>,
    membership: &MembershipLog,
    typists: Vec<DeviceKeys>,
) -> Vec<Client> {
    let mut clients = Vec::with_capacity(typists.len());
    let mut typists = typists.into_iter().enumerate();
    loop {
        let group: Vec<_> = typists.by_ref().take(8).collect();
        if group.is_empty() {
            break;
        }
        let opened = group.into_iter().map(|(i, keys)| {
            let shared = shared.clone();
            let membership = membership.clone();
            async move {
                let socket = connect(&shared.urls[shared.relay_of(i)]).await;
                let mut client = Client::open(i, keys, membership, shared, socket).await;
                let ready = client
                    .pump_until(|c| object(&c.doc, "text").is_some(), 30)
                    .await;
                assert!(
                    ready,
                    "client {i} got the document: {:?}",
                    client.record.closed
                );
                client
            }
        });
        clients.extend(futures_util::future::join_all(opened).await);
    }
    sleep(Duration::from_secs(1)).await;
    clients
}
