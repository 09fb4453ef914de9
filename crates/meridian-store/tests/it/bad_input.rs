//! Bad files, bad locations, unknown ids and a full disk.

use std::io::Write;

use automerge::TextEncoding;
use meridian_store::{Error, Store};
use rand::{Rng, SeedableRng};

use crate::common::{Editing, body_of, doc_id, temp_store};

#[test]
fn a_file_of_random_bytes_is_reported_corrupt_with_what_to_do() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("meridian.db");
    let mut rng = rand::rngs::StdRng::seed_from_u64(7);
    let bytes: Vec<u8> = (0..65_536).map(|_| rng.random()).collect();
    std::fs::write(&path, bytes).expect("write junk");
    let err = Store::open(&path).expect_err("junk must not open");
    assert!(matches!(err, Error::Corrupt { .. }), "{err:?}");
    assert!(err.to_string().contains("backup"), "{err}");
}

#[test]
fn a_truncated_database_is_reported_corrupt() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("meridian.db");
    {
        let store = Store::open(&path).expect("open");
        for n in 0..60u8 {
            let mut ed = Editing::new(doc_id(n));
            ed.type_text(&format!("{n}").repeat(2_000));
            store.write_blocking(ed.write()).expect("write");
        }
    }
    let len = std::fs::metadata(&path).expect("meta").len();
    let file = std::fs::OpenOptions::new()
        .write(true)
        .open(&path)
        .expect("open file");
    file.set_len(len / 2).expect("truncate");
    drop(file);
    let err = Store::open(&path).expect_err("a truncated database must not open");
    assert!(matches!(err, Error::Corrupt { .. }), "{err:?}");
}

#[test]
fn an_unusable_location_is_an_open_error_suggesting_another_data_dir() {
    let dir = tempfile::tempdir().expect("tempdir");
    let blocker = dir.path().join("not-a-dir");
    std::fs::File::create(&blocker)
        .and_then(|mut f| f.write_all(b"x"))
        .expect("file");
    let err = Store::open(&blocker.join("ws").join("meridian.db")).expect_err("cannot open");
    assert!(matches!(err, Error::Open { .. }), "{err:?}");
    assert!(err.to_string().contains("--data-dir"), "{err}");

    let err = Store::open(dir.path()).expect_err("a directory is not a database");
    assert!(matches!(err, Error::Open { .. }), "{err:?}");
}

#[test]
fn unknown_ids_are_doc_not_found() {
    let (_dir, store) = temp_store();
    let id = doc_id(42);
    let r = store.load_blocking(&id, TextEncoding::UnicodeCodePoint);
    assert!(matches!(r, Err(Error::DocNotFound(ref missing)) if *missing == id));
    let r = store.stored_bytes_blocking(&id);
    assert!(matches!(r, Err(Error::DocNotFound(_))));
    let r = store.compact_blocking(&id, Vec::new(), Vec::new());
    assert!(matches!(r, Err(Error::DocNotFound(_))));
    assert_eq!(store.chunk_count_blocking(&id).expect("count"), 0);
}

#[test]
fn a_full_disk_is_reported_and_the_edit_is_saved_once_space_returns() {
    let (_dir, store) = temp_store();
    let mut ed = Editing::new(doc_id(1));
    ed.type_text("before ");
    store.write_blocking(ed.write()).expect("write");

    store.limit_growth_for_tests_blocking(true).expect("limit");
    let mut rng = rand::rngs::StdRng::seed_from_u64(1);
    let big: String = (0..300_000)
        .map(|_| char::from(rng.random_range(b'a'..=b'z')))
        .collect();
    ed.type_text(&big);
    let err = store
        .write_blocking(ed.write())
        .expect_err("the disk is full");
    assert!(matches!(err, Error::DiskFull { .. }), "{err:?}");
    assert!(err.to_string().contains("free some space"), "{err}");
    // Reads still work while the disk is full.
    let loaded = store
        .load_blocking(&ed.id, TextEncoding::UnicodeCodePoint)
        .expect("load");
    assert_eq!(body_of(&loaded), "before ");

    store
        .limit_growth_for_tests_blocking(false)
        .expect("unlimit");
    ed.type_text("after");
    // This chunk holds only the new edit; the store adds the one that failed.
    store
        .write_blocking(ed.write())
        .expect("write once space returns");
    let mut loaded = store
        .load_blocking(&ed.id, TextEncoding::UnicodeCodePoint)
        .expect("load");
    assert_eq!(loaded.get_heads(), ed.heads());
    assert_eq!(body_of(&loaded), ed.body());
    store.integrity_check_blocking().expect("integrity");
}
