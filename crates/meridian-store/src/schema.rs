//! Connection settings and the append-only migrations.
//!
//! Never edit a migration that has shipped: add a new one at the end. The schema version
//! is `PRAGMA user_version`, i.e. the number of migrations applied.

use std::path::Path;

use rusqlite::{Connection, TransactionBehavior};

use crate::Error;

/// Ordered migrations; `MIGRATIONS[i]` takes the schema from version `i` to `i + 1`.
const MIGRATIONS: &[&str] = &[
    // 1: documents as snapshot + change chunks with the heads expected after each write,
    //    the catalog for listing, and a small key/value table.
    "CREATE TABLE meta (
        key   TEXT PRIMARY KEY,
        value TEXT NOT NULL
     ) STRICT;
     CREATE TABLE docs (
        id       TEXT PRIMARY KEY,
        kind     TEXT NOT NULL,
        snapshot BLOB NOT NULL,
        heads    BLOB NOT NULL
     ) STRICT;
     CREATE TABLE chunks (
        seq    INTEGER PRIMARY KEY,
        doc_id TEXT NOT NULL REFERENCES docs(id) ON DELETE CASCADE,
        data   BLOB NOT NULL,
        heads  BLOB NOT NULL
     ) STRICT;
     CREATE INDEX chunks_by_doc ON chunks(doc_id, seq);
     CREATE TABLE catalog (
        id            TEXT PRIMARY KEY REFERENCES docs(id) ON DELETE CASCADE,
        kind          TEXT NOT NULL,
        title         TEXT NOT NULL,
        status        TEXT,
        updated_at_ms INTEGER NOT NULL,
        trashed       INTEGER NOT NULL
     ) STRICT;
     CREATE INDEX catalog_by_updated ON catalog(updated_at_ms DESC);
     CREATE INDEX catalog_by_kind_updated ON catalog(kind, updated_at_ms DESC);",
    // 2: what the engine derived from a document (its links, a page's parent…) at the
    //    heads it read, so a new process need not load every document again. A cache:
    //    a row whose heads are not the document's is stale and ignored.
    "CREATE TABLE derived (
        id    TEXT PRIMARY KEY REFERENCES docs(id) ON DELETE CASCADE,
        heads TEXT NOT NULL,
        data  BLOB NOT NULL
     ) STRICT;",
    // 3: the store's generation: every committed batch that changes documents takes the
    //    next number (meta `generation`) and stamps the documents it changed with it, so a
    //    cache (the search index) can ask what changed since it last caught up instead of
    //    comparing every document's heads. `store_id` tells this file from another one
    //    (a workspace rebuilt after a loss counts its generations again).
    "ALTER TABLE docs ADD COLUMN gen INTEGER NOT NULL DEFAULT 0;
     CREATE INDEX docs_by_gen ON docs(gen);
     INSERT INTO meta (key, value) VALUES ('store_id', lower(hex(randomblob(16))));",
];

/// The schema version this build writes.
pub const SCHEMA_VERSION: i64 = MIGRATIONS.len() as i64;

/// Settings every connection gets. `synchronous=FULL` makes each COMMIT durable (group
/// commit keeps that affordable); mmap is off so an I/O error surfaces as an error rather
/// than a SIGBUS.
pub(crate) const CONNECTION_PRAGMAS: &str = "PRAGMA synchronous = FULL;
     PRAGMA foreign_keys = ON;
     PRAGMA mmap_size = 0;
     PRAGMA busy_timeout = 5000;";

/// Applies the per-connection settings and switches the file to WAL.
pub(crate) fn configure(conn: &Connection) -> rusqlite::Result<()> {
    let mode: String = conn.query_row("PRAGMA journal_mode = WAL", [], |r| r.get(0))?;
    if !mode.eq_ignore_ascii_case("wal") {
        tracing::warn!(mode, "SQLite refused WAL mode");
    }
    conn.execute_batch(CONNECTION_PRAGMAS)
}

/// Runs `PRAGMA quick_check` (or `integrity_check`) and turns anything but "ok" into
/// [`Error::Corrupt`].
pub(crate) fn check(conn: &Connection, path: &Path, pragma: &str) -> Result<(), Error> {
    let corrupt = |detail: String| Error::Corrupt {
        path: path.to_owned(),
        detail,
    };
    let mut stmt = conn
        .prepare(&format!("PRAGMA {pragma}"))
        .map_err(|e| Error::read(path, "the integrity check", e))?;
    let rows: Vec<String> = stmt
        .query_map([], |r| r.get::<_, String>(0))
        .and_then(|rows| rows.take(10).collect())
        .map_err(|e| {
            if crate::error::is_corruption(&e) {
                corrupt(e.to_string())
            } else {
                Error::read(path, "the integrity check", e)
            }
        })?;
    if rows.len() == 1 && rows[0] == "ok" {
        Ok(())
    } else {
        Err(corrupt(format!("{pragma}: {}", rows.join("; "))))
    }
}

/// Brings the schema up to [`SCHEMA_VERSION`] in one transaction.
pub(crate) fn migrate(conn: &mut Connection, path: &Path) -> Result<(), Error> {
    let tx = conn
        .transaction_with_behavior(TransactionBehavior::Immediate)
        .map_err(|e| open_error(path, e))?;
    let found: i64 = tx
        .query_row("PRAGMA user_version", [], |r| r.get(0))
        .map_err(|e| open_error(path, e))?;
    if found > SCHEMA_VERSION {
        return Err(Error::NewerSchema {
            path: path.to_owned(),
            found,
            supported: SCHEMA_VERSION,
        });
    }
    for (i, sql) in MIGRATIONS.iter().enumerate().skip(found.max(0) as usize) {
        let version = i as i64 + 1;
        let migrate_err = |source| Error::Migrate {
            path: path.to_owned(),
            version,
            source,
        };
        tx.execute_batch(sql).map_err(migrate_err)?;
        tx.pragma_update(None, "user_version", version)
            .map_err(migrate_err)?;
    }
    tx.commit().map_err(|e| open_error(path, e))
}

/// An error while opening: corruption is reported as such, anything else as `Open`.
pub(crate) fn open_error(path: &Path, e: rusqlite::Error) -> Error {
    if crate::error::is_corruption(&e) {
        Error::Corrupt {
            path: path.to_owned(),
            detail: e.to_string(),
        }
    } else if crate::error::is_disk_full(path, &e) {
        Error::OpenDiskFull {
            path: path.to_owned(),
        }
    } else {
        Error::Open {
            path: path.to_owned(),
            source: Box::new(e),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn migrating_twice_is_a_no_op_and_sets_user_version() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("m.db");
        let mut conn = Connection::open(&path).expect("open");
        migrate(&mut conn, &path).expect("first");
        migrate(&mut conn, &path).expect("second");
        let v: i64 = conn
            .query_row("PRAGMA user_version", [], |r| r.get(0))
            .expect("version");
        assert_eq!(v, SCHEMA_VERSION);
    }

    #[test]
    fn a_newer_schema_is_refused() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("m.db");
        let mut conn = Connection::open(&path).expect("open");
        conn.pragma_update(None, "user_version", SCHEMA_VERSION + 1)
            .expect("bump");
        assert!(matches!(
            migrate(&mut conn, &path),
            Err(Error::NewerSchema { .. })
        ));
    }
}
