//! A data folder written by the protocol-1 relay is migrated at start: workspaces,
//! membership logs and join requests are kept, the v1 envelopes are archived in the file
//! and not served, and devices sync again at once.

use meridian_relay::Limits;
use rusqlite::params;

use crate::support::{Relay, create_workspace};

/// The schema the protocol-1 relay wrote (`git show HEAD~1:…/store/sqlite.rs`).
const V1_SCHEMA: &str = "
    CREATE TABLE IF NOT EXISTS workspaces (
        id         BLOB PRIMARY KEY,
        bytes_used INTEGER NOT NULL DEFAULT 0
    ) STRICT;
    CREATE TABLE IF NOT EXISTS membership (
        workspace BLOB NOT NULL,
        idx       INTEGER NOT NULL,
        op        BLOB NOT NULL,
        PRIMARY KEY (workspace, idx)
    ) STRICT;
    CREATE TABLE IF NOT EXISTS envelopes (
        workspace BLOB NOT NULL,
        device    BLOB NOT NULL,
        seq       INTEGER NOT NULL,
        bytes     BLOB NOT NULL,
        PRIMARY KEY (workspace, device, seq)
    ) STRICT;
    CREATE TABLE IF NOT EXISTS join_requests (
        workspace  BLOB NOT NULL,
        invite     BLOB NOT NULL,
        device     BLOB NOT NULL,
        expires_ms INTEGER NOT NULL,
        request    BLOB NOT NULL,
        PRIMARY KEY (workspace, invite, device)
    ) STRICT;";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_protocol_1_data_folder_is_migrated_and_devices_sync_again() {
    let dir = tempfile::tempdir().expect("temp dir");
    let mut a = create_workspace(60);
    {
        let conn = rusqlite::Connection::open(dir.path().join("relay.sqlite3")).expect("open");
        conn.query_row("PRAGMA journal_mode=WAL", [], |_| Ok(()))
            .expect("wal");
        conn.execute_batch(&format!(
            "BEGIN; {V1_SCHEMA} PRAGMA user_version=1; COMMIT;"
        ))
        .expect("v1 schema");
        conn.execute(
            "INSERT INTO workspaces (id, bytes_used) VALUES (?1, ?2)",
            params![&a.ws.0[..], 4000],
        )
        .expect("workspace");
        for (idx, op) in a.membership.ops().iter().enumerate() {
            let bytes = postcard::to_allocvec(op).expect("encode op");
            conn.execute(
                "INSERT INTO membership (workspace, idx, op) VALUES (?1, ?2, ?3)",
                params![&a.ws.0[..], idx as i64, bytes],
            )
            .expect("op");
        }
        for seq in 1..=2i64 {
            conn.execute(
                "INSERT INTO envelopes (workspace, device, seq, bytes) VALUES (?1, ?2, ?3, ?4)",
                params![&a.ws.0[..], &a.keys.id().0[..], seq, vec![1u8; 2000]],
            )
            .expect("v1 envelope");
        }
        conn.execute(
            "INSERT INTO join_requests (workspace, invite, device, expires_ms, request) VALUES (?1, ?2, ?3, ?4, ?5)",
            params![&a.ws.0[..], &[5u8; 16][..], &[6u8; 32][..], i64::MAX, b"request".to_vec()],
        )
        .expect("join request");
    }

    let relay = Relay::in_dir(dir, Limits::default()).await;
    assert_eq!(relay.query("PRAGMA user_version"), 3);
    assert_eq!(
        relay.query("PRAGMA auto_vacuum"),
        2,
        "incremental vacuum is on"
    );
    assert_eq!(
        relay.query("SELECT COUNT(*) FROM envelopes_v1"),
        2,
        "archived"
    );
    assert_eq!(
        relay.query("SELECT COUNT(*) FROM entries"),
        0,
        "and not served"
    );
    assert_eq!(relay.query("SELECT COUNT(*) FROM join_requests"), 1);
    assert_eq!(relay.query("SELECT SUM(bytes_used) FROM workspaces"), 0);

    // The workspace and its membership log are there: its device logs in without
    // registering, uploads again, and a new member gets it.
    let url = relay.url();
    let mut ca = a.connect(&url).await;
    a.put("title", "after the migration");
    assert!(ca.sync(&mut a).await);
    let mut b = a.fresh();
    a.add(&b, meridian_sync::Role::Editor);
    assert!(ca.push_membership(&mut a).await);
    let mut cb = b.connect(&url).await;
    assert!(cb.until_holds(&mut b, &a).await);
    assert_eq!(b.get("title").as_deref(), Some("after the migration"));
    assert_eq!(
        relay.query("SELECT SUM(bytes_used) FROM workspaces"),
        relay.query("SELECT SUM(size) FROM entries"),
        "usage counts what is served"
    );

    // Started again, it is not migrated twice.
    let relay = relay.restart(Limits::default()).await;
    assert_eq!(relay.query("SELECT COUNT(*) FROM envelopes_v1"), 2);
    assert_eq!(relay.query("SELECT COUNT(*) FROM entries"), 1);
}
