//! One storage suite for every `RelayStore` backend: each case runs on SQLite (a real file)
//! and on PostgreSQL (a real server started by `meridian_testkit::postgres`, one fresh
//! database per case). Then what only PostgreSQL has: migrations two relays run at once,
//! the start-up errors, and two stores on one database seeing each other's writes under
//! the workspace lock.

use std::sync::OnceLock;

use meridian_relay::store::{EntryMeta, PendingJoin, Remote, StoredWorkspace};
use meridian_relay::{PgError, PgStore, RelayStore, SqliteStore};
use meridian_sync::{
    CheckpointId, CheckpointPart, DeviceKeys, DocumentId, Envelope, EpochKey, Header, InviteId,
    IssuedTicket, Kind, MembershipLog, Peer, Role, Sweep, Verdict, VersionVector, WorkspaceId,
};
use meridian_testkit::postgres::PgServer;
use rand::SeedableRng;
use rand::rngs::StdRng;

const DOC: DocumentId = DocumentId([1; 16]);
const ME: Peer = Peer::Relay;

struct Fixture {
    ws: WorkspaceId,
    keys: DeviceKeys,
    key: EpochKey,
    log: MembershipLog,
    rng: StdRng,
}

fn fixture() -> Fixture {
    let mut rng = StdRng::seed_from_u64(7);
    let ws = WorkspaceId([3; 16]);
    let keys = DeviceKeys::generate(&mut rng);
    let key = EpochKey::generate(&mut rng);
    let log = MembershipLog::create(&keys, ws, "W", "Ada", &key, 0, &mut rng).expect("log");
    Fixture {
        ws,
        keys,
        key,
        log,
        rng,
    }
}

fn envelope(f: &mut Fixture, seq: u64, body: &[u8]) -> Envelope {
    let header = Header::changes(DOC, 1, f.keys.id(), seq, seq, 0);
    Envelope::seal(&f.ws, header, body, &f.keys, &f.key, &mut f.rng).expect("seal")
}

fn checkpoint(f: &mut Fixture, seq: u64, covers: u64) -> Envelope {
    let mut v = VersionVector::new();
    v.set(f.keys.id(), covers);
    let kind = Kind::Checkpoint(CheckpointPart {
        covers: v,
        part: 0,
        parts: 1,
    });
    let header = Header::new(DOC, 1, f.keys.id(), seq, kind, 0);
    Envelope::seal(&f.ws, header, b"saved", &f.keys, &f.key, &mut f.rng).expect("seal")
}

fn all<S: RelayStore>(store: &S, ws: &WorkspaceId) -> Vec<(u64, Envelope)> {
    store
        .read_after(ws, 0, usize::MAX, &mut |_| false)
        .expect("read")
        .entries
}

/// A place stores of one backend open again and again (the same file or database).
trait Backend {
    type Store: RelayStore;
    fn open(&self) -> Self::Store;
}

struct Sqlite(tempfile::TempDir);

impl Backend for Sqlite {
    type Store = SqliteStore;
    fn open(&self) -> SqliteStore {
        SqliteStore::open_blocking(&self.0.path().join(SqliteStore::FILE_NAME)).expect("open")
    }
}

fn sqlite() -> Sqlite {
    Sqlite(tempfile::tempdir().expect("dir"))
}

struct Postgres(String);

impl Backend for Postgres {
    type Store = PgStore;
    fn open(&self) -> PgStore {
        PgStore::open_blocking(&self.0).expect("open")
    }
}

/// One server for the whole test binary (its watchdog stops it when the process ends).
fn server() -> Option<&'static PgServer> {
    static SERVER: OnceLock<Option<PgServer>> = OnceLock::new();
    SERVER.get_or_init(PgServer::start).as_ref()
}

/// A fresh database on the shared server, or `None` (said why) without PostgreSQL.
fn postgres(name: &str) -> Option<Postgres> {
    let server = server()?;
    Some(Postgres(server.create_database(name)))
}

/// Runs `$case` on SQLite and on PostgreSQL, as `$case::sqlite` and `$case::postgres`.
macro_rules! both {
    ($($case:ident),* $(,)?) => {$(
        mod $case {
            #[test]
            fn sqlite() {
                super::$case(&super::sqlite());
            }

            #[test]
            fn postgres() {
                if let Some(db) = super::postgres(concat!("suite_", stringify!($case))) {
                    super::$case(&db);
                }
            }
        }
    )*};
}

both!(
    only_committed_writes_survive_a_reopen,
    reads_skip_and_stop_at_the_byte_budget_but_return_at_least_one,
    reannounce_moves_and_sweep_deletes_and_frees,
    join_requests_are_kept_replaced_and_dropped,
    tickets_are_kept_replaced_counted_and_expired,
    a_failed_write_rolls_back_the_whole_batch,
);

fn only_committed_writes_survive_a_reopen<B: Backend>(b: &B) {
    let mut f = fixture();
    let (e1, e2, cp) = (
        envelope(&mut f, 1, b"one"),
        envelope(&mut f, 2, b"two"),
        checkpoint(&mut f, 3, 1),
    );
    let mut store = b.open();
    store
        .create_workspace(&f.ws, &[9; 16], f.log.ops())
        .expect("create");
    let mut used = store.append_envelope(&f.ws, 1, &e1, &ME).expect("append");
    used += store
        .append_envelope(&f.ws, 2, &cp, &Peer::Device(f.keys.id()))
        .expect("append");
    store
        .set_cursor(&f.ws, &f.keys.id(), &[5; 16], 7)
        .expect("cursor");
    let verdict = Verdict {
        doc: DOC,
        checkpoint: CheckpointId {
            author: f.keys.id(),
            seq: 3,
        },
        ok: true,
    };
    store
        .put_verdict(&f.ws, &f.keys.id(), &verdict)
        .expect("verdict");
    store.commit().expect("commit");
    store.append_envelope(&f.ws, 3, &e2, &ME).expect("append");
    store.rollback();
    store.close().expect("close");

    let mut store = b.open();
    let loaded = store.load().expect("load");
    assert_eq!(loaded.len(), 1);
    let w = &loaded[0];
    assert_eq!((w.id, w.log_id, w.head), (f.ws, [9; 16], 2));
    assert_eq!(w.ops, f.log.ops());
    assert_eq!(w.bytes_used, used);
    assert_eq!(w.checkpoint_parts.len(), 1);
    assert_eq!(w.checkpoint_parts[0].checkpoint().expect("part").0.seq, 3);
    assert_eq!(w.verdicts, vec![(f.keys.id(), verdict)]);
    assert_eq!(all(&store, &f.ws), vec![(1, e1), (2, cp)]);
    let metas = store.metas_after(&f.ws, 0).expect("metas");
    assert_eq!(metas.len(), 2);
    assert_eq!(metas[1].source, Peer::Device(f.keys.id()));
    assert_eq!(metas[0].source, Peer::Relay);
    assert_eq!(store.cursor(&f.ws, &f.keys.id(), &[5; 16]).expect("c"), 7);
    assert_eq!(store.cursor(&f.ws, &f.keys.id(), &[6; 16]).expect("c"), 0);
    assert!(store.contains(&f.ws, &f.keys.id(), 1).expect("contains"));
    assert!(!store.contains(&f.ws, &f.keys.id(), 2).expect("contains"));
    assert_eq!(
        store.doc_changes(&f.ws, &DOC).expect("changes"),
        vec![(f.keys.id(), 1, metas[0].size)]
    );
    store.commit().expect("commit");
    store.close().expect("close");
}

fn reads_skip_and_stop_at_the_byte_budget_but_return_at_least_one<B: Backend>(b: &B) {
    let mut f = fixture();
    let mut store = b.open();
    store
        .create_workspace(&f.ws, &[1; 16], f.log.ops())
        .expect("create");
    for seq in 1..=5 {
        let env = envelope(&mut f, seq, &[0u8; 1000]);
        store
            .append_envelope(&f.ws, seq, &env, &ME)
            .expect("append");
    }
    store.commit().expect("commit");
    let mut odd = |m: &EntryMeta| m.pos % 2 == 1;
    let one = store.read_after(&f.ws, 1, 1, &mut odd).expect("read");
    assert_eq!(one.entries.len(), 1);
    assert_eq!(one.entries[0].0, 2);
    assert_eq!(one.stopped_at, Some(4));
    let rest = store.read_after(&f.ws, 1, 1 << 20, &mut odd).expect("read");
    let positions: Vec<u64> = rest.entries.iter().map(|(p, _)| *p).collect();
    assert_eq!((positions, rest.stopped_at), (vec![2, 4], None));
    store.commit().expect("commit");
    store.close().expect("close");
}

fn reannounce_moves_and_sweep_deletes_and_frees<B: Backend>(b: &B) {
    let mut f = fixture();
    let mut store = b.open();
    store
        .create_workspace(&f.ws, &[1; 16], f.log.ops())
        .expect("create");
    let mut total = 0;
    for seq in 1..=4 {
        let env = envelope(&mut f, seq, &[0u8; 100]);
        total += store
            .append_envelope(&f.ws, seq, &env, &ME)
            .expect("append");
    }
    let mut covers = VersionVector::new();
    covers.set(f.keys.id(), 2);
    assert_eq!(store.reannounce(&f.ws, &DOC, &covers, 4).expect("move"), 6);
    let order: Vec<(u64, u64)> = all(&store, &f.ws)
        .iter()
        .map(|(p, e)| (*p, e.header().seq))
        .collect();
    assert_eq!(order, vec![(3, 3), (4, 4), (5, 1), (6, 2)]);
    let sweep = Sweep {
        envelopes: covers,
        checkpoints: Vec::new(),
    };
    let freed = store.delete_swept(&f.ws, &DOC, &sweep).expect("sweep");
    assert!(freed > 0 && freed < total);
    assert_eq!(store.delete_swept(&f.ws, &DOC, &sweep).expect("again"), 0);
    store.commit().expect("commit");
    store.reclaim_space().expect("reclaim");
    let w = store.load().expect("load").remove(0);
    assert_eq!((w.head, w.bytes_used), (6, total - freed));
    assert_eq!(all(&store, &f.ws).len(), 2);
    store.commit().expect("commit");
    store.close().expect("close");
}

fn join_requests_are_kept_replaced_and_dropped<B: Backend>(b: &B) {
    let f = fixture();
    let mut store = b.open();
    store
        .create_workspace(&f.ws, &[1; 16], f.log.ops())
        .expect("create");
    let join = |invite: u8, expires_ms, request: &[u8]| PendingJoin {
        invite: InviteId([invite; 16]),
        device: f.keys.id(),
        expires_ms,
        request: request.to_vec(),
    };
    store.put_join(&f.ws, &join(1, 100, b"a")).expect("put");
    store.put_join(&f.ws, &join(2, 10, b"c")).expect("put");
    store.put_join(&f.ws, &join(1, 100, b"b")).expect("replace");
    assert_eq!(
        store.joins(&f.ws).expect("joins"),
        vec![join(2, 10, b"c"), join(1, 100, b"b")],
        "a replaced request moves to the end"
    );
    store.delete_expired_joins(50).expect("expire");
    assert_eq!(store.joins(&f.ws).expect("joins"), vec![join(1, 100, b"b")]);
    store
        .delete_joins(&f.ws, &InviteId([1; 16]))
        .expect("delete");
    assert!(store.joins(&f.ws).expect("joins").is_empty());
    store.commit().expect("commit");
    store.close().expect("close");
}

fn tickets_are_kept_replaced_counted_and_expired<B: Backend>(b: &B) {
    let f = fixture();
    let mut rng = StdRng::seed_from_u64(11);
    let mut store = b.open();
    store
        .create_workspace(&f.ws, &[1; 16], f.log.ops())
        .expect("create");
    let first = IssuedTicket::issue(&mut rng, f.ws, f.keys.id(), [4; 16], 1_000);
    store.put_ticket(&first).expect("put");
    store.commit().expect("commit");
    let got = store.ticket(&first.ticket.id).expect("get").expect("kept");
    assert_eq!(got, first);
    store
        .set_ticket_counter(&first.ticket.id, 5)
        .expect("counter");
    assert_eq!(
        store
            .ticket(&first.ticket.id)
            .expect("get")
            .expect("kept")
            .counter,
        5
    );
    // A new login of the same device replaces its ticket.
    let second = IssuedTicket::issue(&mut rng, f.ws, f.keys.id(), [4; 16], 2_000);
    store.put_ticket(&second).expect("put");
    assert!(store.ticket(&first.ticket.id).expect("get").is_none());
    assert!(store.ticket(&second.ticket.id).expect("get").is_some());
    store
        .delete_expired_tickets(second.expires_ms + 1)
        .expect("expire");
    assert!(store.ticket(&second.ticket.id).expect("get").is_none());
    store.commit().expect("commit");
    store.close().expect("close");
}

fn a_failed_write_rolls_back_the_whole_batch<B: Backend>(b: &B) {
    let mut f = fixture();
    let (e1, e2) = (envelope(&mut f, 1, b"one"), envelope(&mut f, 2, b"two"));
    let mut store = b.open();
    store
        .create_workspace(&f.ws, &[1; 16], f.log.ops())
        .expect("create");
    store.append_envelope(&f.ws, 1, &e1, &ME).expect("append");
    store.commit().expect("commit");
    store.append_envelope(&f.ws, 2, &e2, &ME).expect("append");
    // Position 1 is taken: the write fails and the core rolls the batch back.
    assert!(store.append_envelope(&f.ws, 1, &e2, &ME).is_err());
    store.rollback();
    assert_eq!(all(&store, &f.ws), vec![(1, e1)]);
    let w = store.load().expect("load").remove(0);
    assert_eq!(w.head, 1);
    store.commit().expect("commit");
    store.close().expect("close");
}

// What only the shared store has.

#[test]
fn two_relays_starting_at_once_migrate_once() {
    let Some(server) = server() else { return };
    let url = server.create_database("migrate_at_once");
    let threads: Vec<_> = (0..4)
        .map(|_| {
            let url = url.clone();
            std::thread::spawn(move || PgStore::open_blocking(&url).map(|s| s.close()))
        })
        .collect();
    for t in threads {
        t.join()
            .expect("thread")
            .expect("every relay starts")
            .expect("close");
    }
    assert_eq!(
        server.psql(
            "migrate_at_once",
            "SELECT string_agg(version::text, ',') FROM meridian_relay_schema"
        ),
        "1"
    );
}

#[test]
fn a_schema_newer_than_this_relay_is_refused_and_healthz_says_so() {
    let Some(server) = server() else { return };
    let url = server.create_database("newer_schema");
    let mut store = PgStore::open_blocking(&url).expect("open");
    store.health().expect("healthy");
    server.psql(
        "newer_schema",
        "INSERT INTO meridian_relay_schema (version) VALUES (99)",
    );
    let err = store.health().expect_err("newer schema");
    assert!(
        err.to_string().contains("run a newer meridian-relay"),
        "{err}"
    );
    let err = PgStore::open_blocking(&url).expect_err("refused");
    assert!(
        matches!(err, PgError::NewerSchema { found: 99, .. }),
        "{err}"
    );
    let msg = err.to_string();
    assert!(
        msg.contains("schema version 99") && !msg.contains(&url),
        "{msg}"
    );
}

#[test]
fn start_up_errors_say_what_is_wrong_without_the_password() {
    let Some(server) = server() else { return };
    let err = PgStore::open_blocking(&server.url_with_wrong_password("postgres"))
        .expect_err("wrong password");
    assert!(err.is_auth(), "{err}");
    let msg = err.to_string();
    assert!(msg.contains("check the user name and password"), "{msg}");
    assert!(!msg.contains("wrong"), "the password is not shown: {msg}");

    let err = PgStore::open_blocking(&server.url("no_such_db")).expect_err("no database");
    assert!(
        err.to_string().contains("create the database first"),
        "{err}"
    );

    let closed = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("port")
        .port();
    let err = PgStore::open_blocking(&format!(
        "postgresql://meridian:x@127.0.0.1:{closed}/meridian"
    ))
    .expect_err("nobody listens");
    let msg = err.to_string();
    assert!(
        msg.contains("is PostgreSQL running") && msg.contains(&format!("127.0.0.1:{closed}")),
        "{msg}"
    );

    let err = PgStore::open_blocking("postgresql://[bad").expect_err("bad url");
    assert!(matches!(err, PgError::BadUrl(_)), "{err}");
}

fn loaded(store: &mut PgStore) -> Vec<StoredWorkspace> {
    store.load().expect("load")
}

#[test]
fn two_stores_on_one_database_see_each_others_writes_under_the_lock() {
    let Some(server) = server() else { return };
    let url = server.create_database("two_stores");
    let mut f = fixture();
    let (e1, e2, cp) = (
        envelope(&mut f, 1, b"one"),
        envelope(&mut f, 2, b"two"),
        checkpoint(&mut f, 3, 1),
    );
    let mut a = PgStore::open_blocking(&url).expect("a");
    let mut b = PgStore::open_blocking(&url).expect("b");
    assert!(a.shared());
    a.create_workspace(&f.ws, &[1; 16], f.log.ops())
        .expect("create");
    a.commit().expect("commit");
    // b has not loaded it yet: another relay registered it.
    let w = b.load_workspace(&f.ws).expect("load").expect("stored");
    assert_eq!(w.ops.len(), f.log.ops().len());
    b.commit().expect("commit");
    assert!(loaded(&mut a).len() == 1);

    // Nothing changed: locking reports nothing.
    let n = f.log.len();
    assert!(b.lock_workspaces(&[(f.ws, n)]).expect("lock").is_empty());
    b.commit().expect("commit");

    // a appends an envelope, a checkpoint and a membership op.
    a.lock_workspaces(&[(f.ws, n)]).expect("lock");
    let s1 = a.append_envelope(&f.ws, 1, &e1, &ME).expect("append");
    let s2 = a.append_envelope(&f.ws, 2, &cp, &ME).expect("append");
    let mut member = StdRng::seed_from_u64(5);
    let other = DeviceKeys::generate(&mut member);
    let keys = f.log.state().epoch_keys_for(&f.keys).expect("keys");
    f.log
        .add_device(
            &f.keys,
            other.public(),
            "Bo",
            Role::Editor,
            &keys,
            1,
            &mut f.rng,
        )
        .expect("add");
    a.append_ops(&f.ws, n, f.log.ops_from(n)).expect("ops");
    // While a holds the lock, b waits for it (here: b's lock in a thread returns only
    // after a commits).
    let waiter = std::thread::spawn(move || {
        let refreshed = b.lock_workspaces(&[(f.ws, n)]).expect("lock");
        (b, refreshed)
    });
    std::thread::sleep(std::time::Duration::from_millis(300));
    assert!(!waiter.is_finished(), "b waits for a's lock");
    a.commit().expect("commit");
    let (mut b, refreshed) = waiter.join().expect("thread");
    assert_eq!(refreshed.len(), 1);
    let r = &refreshed[0].1;
    assert_eq!((r.head, r.bytes_used), (2, s1 + s2));
    assert_eq!(r.ops, f.log.ops_from(n));
    let (parts, verdicts) = r.coverage.as_ref().expect("a checkpoint arrived");
    assert_eq!((parts.len(), verdicts.len()), (1, 0));
    // b appends at the next position, under its lock.
    b.append_envelope(&f.ws, 3, &e2, &ME).expect("append");
    b.commit().expect("commit");
    // a learns about it, without a coverage reload this time.
    let refreshed = a.lock_workspaces(&[(f.ws, f.log.len())]).expect("lock");
    assert_eq!(refreshed.len(), 1);
    assert_eq!(refreshed[0].1.head, 3);
    assert!(refreshed[0].1.ops.is_empty() && refreshed[0].1.coverage.is_none());
    a.commit().expect("commit");
    a.close().expect("close");
    b.close().expect("close");
}

#[test]
fn a_commit_notifies_the_other_relays_and_a_lost_listener_reconnects() {
    let Some(server) = server() else { return };
    let url = server.create_database("notify");
    let f = fixture();
    let mut a = PgStore::open_blocking(&url).expect("a");
    let mut b = PgStore::open_blocking(&url).expect("b");
    let (tx, rx) = std::sync::mpsc::channel();
    b.watch(Box::new(move |r| tx.send(r).is_ok()))
        .expect("watch");
    let wait = |what: Remote| loop {
        match rx.recv_timeout(std::time::Duration::from_secs(10)) {
            Ok(got) if got == what => return,
            Ok(_) => {}
            Err(e) => panic!("no {what:?}: {e}"),
        }
    };
    wait(Remote::All); // connected: everything may have changed meanwhile
    a.create_workspace(&f.ws, &[1; 16], f.log.ops())
        .expect("create");
    a.commit().expect("commit");
    wait(Remote::Workspace(f.ws));
    // A rolled-back write notifies nobody.
    a.append_ops(&f.ws, f.log.len(), &[]).expect("touch");
    a.rollback();
    std::thread::sleep(std::time::Duration::from_millis(300));
    assert_eq!(
        rx.try_iter().count(),
        0,
        "a rolled-back write is never announced"
    );
    // The listener's backend is terminated: it reconnects and says everything may
    // have changed.
    server.psql(
        "postgres",
        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE query LIKE 'LISTEN%'",
    );
    wait(Remote::All);
    a.append_ops(&f.ws, f.log.len(), &[]).expect("touch");
    a.commit().expect("commit");
    wait(Remote::Workspace(f.ws));
    a.close().expect("close");
    b.close().expect("close");
}
