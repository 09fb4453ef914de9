//! Targets for what people and files write: Markdown with front matter (pages, MADR
//! decisions, the mirror's meetings and threads), search queries, the working-hours
//! grammar, and documents read back from the store.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::OnceLock;
use std::sync::atomic::{AtomicU64, Ordering};

use automerge::{AutoCommit, ChangeHash, TextEncoding};
use meridian_core::{DocId, Kind, time};
use meridian_search::{SearchDoc, SearchIndex, SearchOptions};
use meridian_store::{CatalogUpdate, DocWrite, Store};
use meridian_vault::{
    Parsed, parse_as, parse_markdown, render_decision, render_meeting, render_page, render_thread,
};

use crate::Input;

const NOW_MS: i64 = 1_700_000_000_000;

/// A Markdown file: the first byte picks how it is read (as `meridian import` reads any
/// file, or as the mirror reads a meeting or thread file), the rest is the text. Whatever
/// parses must render to a file that parses back to the same kind of object with the
/// same id.
pub fn markdown(data: &[u8]) {
    let Some((&mode, rest)) = data.split_first() else {
        return;
    };
    let text = String::from_utf8_lossy(rest);
    let kind = match mode % 3 {
        0 => Kind::Page,
        1 => Kind::Meeting,
        _ => Kind::Thread,
    };
    let Ok((id, parsed)) = parse_as(kind, &text, "fuzzed file", NOW_MS) else {
        return;
    };
    let shown = id.clone().unwrap_or_else(|| DocId::from_bytes([9; 16]));
    let (rendered, kind) = match &parsed {
        Parsed::Page(p) => (render_page(&shown, p), Kind::Page),
        Parsed::Decision(d) => (render_decision(&shown, d), Kind::Decision),
        Parsed::Meeting(m) => (render_meeting(&shown, m), Kind::Meeting),
        Parsed::Thread(t) => (render_thread(&shown, t, &BTreeMap::new()), Kind::Thread),
    };
    let again = match kind {
        Kind::Meeting | Kind::Thread => parse_as(kind, &rendered, "fuzzed file", NOW_MS),
        _ => parse_markdown(&rendered, "fuzzed file", NOW_MS),
    };
    let (again_id, again) = again.unwrap_or_else(|e| {
        panic!("what was parsed renders to a file that does not parse: {e}\n{rendered}")
    });
    assert_eq!(again_id, Some(shown), "the id survives\n{rendered}");
    if matches!(kind, Kind::Meeting | Kind::Thread) {
        assert_eq!(
            std::mem::discriminant(&again),
            std::mem::discriminant(&parsed),
            "the kind survives\n{rendered}"
        );
    }
}

/// A small in-memory index, made once per process: Latin and CJK text, tags, a status.
fn index() -> &'static SearchIndex {
    static INDEX: OnceLock<SearchIndex> = OnceLock::new();
    INDEX.get_or_init(|| {
        let index = SearchIndex::in_memory().expect("an index in memory");
        let docs = [
            (
                "page",
                "Onboarding handbook",
                "Asynchronous communication first; meetings last.",
                vec!["onboarding"],
                None,
            ),
            (
                "decision",
                "Use Markdown for decisions",
                "Considered options: MADR, wiki. Chosen: MADR.",
                vec![],
                Some("accepted"),
            ),
            (
                "thread",
                "会议记录",
                "我们决定使用异步沟通。東京オフィスの会議",
                vec!["cjk"],
                None,
            ),
        ];
        for (i, (kind, title, body, tags, status)) in docs.into_iter().enumerate() {
            let doc = SearchDoc {
                id: format!("{i:032x}"),
                kind: kind.into(),
                title: title.into(),
                body: body.into(),
                tags: tags.into_iter().map(str::to_owned).collect(),
                status: status.map(str::to_owned),
                date_ms: NOW_MS - i64::try_from(i).unwrap_or(0) * 86_400_000,
                ..SearchDoc::default()
            };
            index.upsert(doc).expect("the index takes a document");
        }
        index.flush().expect("the index commits");
        index
    })
}

/// A search query as typed: parsed, then run on a small index (query building, typos,
/// prefixes, CJK bigrams, filters, snippets). A query either fails with an error that
/// says what to fix or returns at most `limit` hits.
pub fn search_query(data: &[u8]) {
    let text = String::from_utf8_lossy(data);
    let parsed = meridian_search::parse(&text);
    let opts = SearchOptions {
        limit: 5,
        tz: chrono_tz::Europe::Berlin,
        now_ms: NOW_MS,
    };
    if let Ok(hits) = index().search(&text, &opts) {
        assert!(parsed.is_ok(), "a query that does not parse finds nothing");
        assert!(hits.len() <= opts.limit);
    }
}

/// The working-hours grammar and the other small time grammars, on the same text.
/// Accepted hours print back in the grammar and parse to the same intervals.
pub fn hours(data: &[u8]) {
    let text = String::from_utf8_lossy(data);
    let _ = time::parse_duration_minutes(&text);
    let _ = time::parse_weekdays(&text);
    let _ = time::parse_interval("fuzz", &text);
    let _ = time::parse_minute("fuzz", &text);
    let _ = meridian_core::parse_date("fuzz", &text);
    let _ = meridian_core::parse_time("fuzz", &text);
    let Ok(intervals) = time::parse_hours(&text) else {
        return;
    };
    let printed = time::format_hours(&intervals);
    let again = time::parse_hours(&printed)
        .unwrap_or_else(|e| panic!("printed hours `{printed}` do not parse: {e}"));
    assert_eq!(again, intervals, "hours survive printing: `{printed}`");
}

/// One store shared by the process (opening one per input would measure SQLite's file
/// creation); each input writes a document of its own, so inputs cannot meet.
fn store() -> &'static Store {
    static STORE: OnceLock<(tempfile::TempDir, Store)> = OnceLock::new();
    &STORE
        .get_or_init(|| {
            // tmpfs when there is one: the store syncs every commit.
            let shm = PathBuf::from("/dev/shm");
            let dir = if shm.is_dir() {
                tempfile::tempdir_in(shm)
            } else {
                tempfile::tempdir()
            }
            .expect("a temporary folder");
            let store = Store::open(&dir.path().join("fuzz.db")).expect("the store opens");
            (dir, store)
        })
        .1
}

/// `Store::load` of arbitrary stored blobs with arbitrary expected heads: the input gives
/// the heads (or asks for the heads the blob itself loads to), one or two stored chunks,
/// and optionally a snapshot to compact with. A load either fails with an error or returns
/// a document whose heads are exactly the stored ones.
pub fn store_load(data: &[u8]) {
    static NEXT: AtomicU64 = AtomicU64::new(1);
    let mut input = Input::new(data);
    let mode = input.byte();
    let n_heads = usize::from(input.byte() % 4);
    let mut heads: Vec<ChangeHash> = (0..n_heads)
        .map(|_| {
            let mut h = [0u8; 32];
            for b in &mut h {
                *b = input.byte();
            }
            ChangeHash(h)
        })
        .collect();
    let first = input.bytes(1 << 16).to_vec();
    let second = if mode & 2 != 0 {
        input.bytes(1 << 16).to_vec()
    } else {
        Vec::new()
    };
    let snapshot = input.rest().to_vec();
    let whole = [first.as_slice(), second.as_slice()].concat();
    if mode & 1 != 0 {
        // The heads the bytes really load to: reaches the success path.
        if let Ok(doc) = AutoCommit::load(&whole) {
            let mut doc = doc;
            heads = doc.get_heads();
        }
    }
    let n = NEXT.fetch_add(1, Ordering::Relaxed);
    let mut id_bytes = [0u8; 16];
    id_bytes[..8].copy_from_slice(&n.to_le_bytes());
    id_bytes[8] = 0xf2;
    let id = DocId::from_bytes(id_bytes);
    let store = store();
    let write = |chunk: Vec<u8>, heads: Vec<ChangeHash>| DocWrite {
        id: id.clone(),
        kind: Kind::Page,
        chunk,
        heads,
        catalog: CatalogUpdate {
            title: "fuzzed".into(),
            status: None,
            updated_at_ms: NOW_MS,
            trashed: false,
        },
    };
    store
        .write_blocking(write(first, heads.clone()))
        .expect("the store takes any bytes");
    if mode & 2 != 0 {
        store
            .write_blocking(write(second, heads.clone()))
            .expect("the store takes any bytes");
    }
    check_load(store, &id, &heads);
    if mode & 4 != 0 {
        // A compaction with a snapshot from the input: refused, or the load still holds.
        let _ = store.compact_blocking(&id, snapshot, heads.clone());
        check_load(store, &id, &heads);
    }
}

fn check_load(store: &Store, id: &DocId, heads: &[ChangeHash]) {
    if let Ok(mut doc) = store.load_blocking(id, TextEncoding::Utf16CodeUnit) {
        let mut got = doc.get_heads();
        let mut want = heads.to_vec();
        got.sort_unstable();
        got.dedup();
        want.sort_unstable();
        want.dedup();
        assert_eq!(got, want, "a loaded document has exactly the stored heads");
    }
}
