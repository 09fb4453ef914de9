//! Two `meridian-relay` processes on one PostgreSQL database (ADR 0009), CLI devices on
//! each: a device that joined through the second relay is admitted by an admin syncing
//! through the first, edits converge across the relays, and a removal made through the
//! first is enforced by the second. The database is a real server in a temporary folder
//! (`meridian_testkit::postgres`; skipped with a reason when PostgreSQL is not installed,
//! outside CI).

use meridian_testkit::postgres::PgServer;

use crate::sync::{Relay, join, once, page, page_id};
use crate::{fails, init, json, ok};

#[test]
fn cli_devices_on_two_relays_sharing_postgresql_converge_and_a_removal_holds_on_both() {
    let Some(pg) = PgServer::start() else { return };
    let db = pg.create_database("cli");
    let (d1, d2) = (
        tempfile::tempdir().expect("dir"),
        tempfile::tempdir().expect("dir"),
    );
    let one = Relay::start_with(d1.path(), &["--postgres", &db]);
    let two = Relay::start_with(d2.path(), &["--postgres", &db]);

    // A syncs through one (its first invite names it); B joins through one, C through
    // two: C's join request reaches A's session at one through the database.
    let a = init();
    let b = join(a.path(), &one, "Bea", "editor");
    let c = join(a.path(), &two, "Cem", "editor");

    ok(
        a.path(),
        &[
            "page",
            "new",
            "--title",
            "Shared",
            "--body",
            "from A at one\n",
        ],
    );
    once(a.path());
    once(c.path());
    let id = page_id(c.path(), "Shared");
    assert_eq!(page(c.path(), &id)["body"], "from A at one\n");
    ok(
        c.path(),
        &["page", "edit", &id, "--body", "from A at one\nC at two\n"],
    );
    once(c.path());
    once(a.path());
    once(b.path());
    assert_eq!(page(a.path(), &id), page(c.path(), &id), "A and C converge");
    assert_eq!(page(b.path(), &id), page(c.path(), &id), "B too");

    // A removes C through one; two refuses C from then on.
    let devices = json(a.path(), &["devices"]);
    let cem = devices
        .as_array()
        .expect("devices")
        .iter()
        .find(|d| d["member"] == "Cem")
        .expect("Cem listed")["id"]
        .as_str()
        .expect("id")
        .to_owned();
    let removed = json(a.path(), &["remove-device", &cem]);
    assert_eq!(removed["relay_told"], true, "{removed}");
    ok(
        a.path(),
        &[
            "page",
            "new",
            "--title",
            "After removal",
            "--body",
            "new epoch",
        ],
    );
    once(a.path());
    let err = fails(c.path(), &["sync", "--once"]);
    assert!(err.contains("removed"), "{err}");
    let titles = json(c.path(), &["list", "--kind", "page"]).to_string();
    assert!(!titles.contains("After removal"), "{titles}");
    once(b.path());
    assert!(
        json(b.path(), &["list", "--kind", "page"])
            .to_string()
            .contains("After removal")
    );
    drop((one, two));
}
