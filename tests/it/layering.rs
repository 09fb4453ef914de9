//! The dependency rule of ARCHITECTURE.md ("Code map"), checked on the manifests: which
//! Meridian crate may depend on which. Adapters (store, search, vault, sync) never depend on
//! each other, the core and the sync protocol depend on no Meridian crate, and only the
//! engine wires them. `cargo metadata` reads every member's `Cargo.toml`, so a new edge fails
//! here before any code uses it.
//!
//! Changing an edge is a design decision: change ARCHITECTURE.md first, then this table.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;
use std::process::Command;

use serde_json::Value;

/// Normal dependencies each workspace member may have on other workspace members.
const NORMAL: &[(&str, &[&str])] = &[
    ("meridian-core", &[]),
    ("meridian-store", &["meridian-core"]),
    ("meridian-search", &["meridian-core"]),
    ("meridian-vault", &["meridian-core"]),
    ("meridian-sync", &[]),
    ("meridian-relay", &["meridian-sync"]),
    // The sync runtime's network parts: the device-to-device channel and discovery.
    ("meridian-net", &["meridian-sync"]),
    (
        "meridian-app",
        &[
            "meridian-core",
            "meridian-store",
            "meridian-search",
            "meridian-vault",
            "meridian-sync",
            "meridian-net",
        ],
    ),
    ("meridian-cli", &["meridian-app"]),
    // src-tauri: the desktop shell is thin, over the engine only.
    ("meridian-desktop", &["meridian-app"]),
    // Test-only helpers (fake clock, temp workspaces) built on the engine; see `DEV` for
    // who may use them.
    ("meridian-testkit", &["meridian-app"]),
    ("meridian-system-tests", &[]),
    // Fuzz targets (test tooling, nothing depends on it): every decoder and parser it feeds,
    // through their public APIs (the relay's through its `fuzzing` feature).
    (
        "meridian-fuzz",
        &[
            "meridian-core",
            "meridian-store",
            "meridian-search",
            "meridian-vault",
            "meridian-sync",
            "meridian-relay",
        ],
    ),
    ("meridian-desktop-bench", &[]),
    ("hello-tauri", &[]),
];

/// Dev-dependencies (tests, benchmarks) on workspace members, beyond `NORMAL`.
const DEV: &[(&str, &[&str])] = &[
    // The engine's sync tests run a real relay in-process (crates/meridian-app/tests/it).
    ("meridian-app", &["meridian-testkit", "meridian-relay"]),
    ("meridian-cli", &["meridian-testkit"]),
    // The relay's storage suite, its two-relay tests and B11 start a real PostgreSQL
    // server (`meridian_testkit::postgres`) and use a small file system for disk-full runs.
    ("meridian-relay", &["meridian-testkit"]),
    // LAN discovery between processes in network namespaces uses the net crate directly,
    // and the sync crate for keys and ids (tests/it/lan_discovery.rs).
    (
        "meridian-system-tests",
        &[
            "meridian-app",
            "meridian-net",
            "meridian-sync",
            "meridian-testkit",
        ],
    ),
];

fn table(
    rows: &[(&'static str, &'static [&'static str])],
) -> BTreeMap<&'static str, BTreeSet<&'static str>> {
    rows.iter()
        .map(|(krate, deps)| (*krate, deps.iter().copied().collect()))
        .collect()
}

fn metadata() -> Value {
    let manifest = Path::new(env!("CARGO_MANIFEST_DIR")).join("../Cargo.toml");
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_owned());
    let out = Command::new(cargo)
        .args([
            "metadata",
            "--format-version",
            "1",
            "--no-deps",
            "--offline",
        ])
        .arg("--manifest-path")
        .arg(&manifest)
        .output()
        .expect("cargo metadata runs (cargo is on PATH when tests run under cargo)");
    assert!(
        out.status.success(),
        "cargo metadata failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).expect("cargo metadata prints JSON")
}

/// (crate, dependency, kind) for every dependency of a workspace member on another member.
fn workspace_edges(meta: &Value) -> (BTreeSet<String>, Vec<(String, String, String)>) {
    let packages = meta["packages"].as_array().expect("packages");
    let members: BTreeSet<String> = packages
        .iter()
        .map(|p| p["name"].as_str().expect("package name").to_owned())
        .collect();
    let mut edges = Vec::new();
    for p in packages {
        let from = p["name"].as_str().expect("package name");
        for d in p["dependencies"].as_array().expect("dependencies") {
            let to = d["name"].as_str().expect("dependency name");
            if members.contains(to) {
                let kind = d["kind"].as_str().unwrap_or("normal").to_owned();
                edges.push((from.to_owned(), to.to_owned(), kind));
            }
        }
    }
    (members, edges)
}

#[test]
fn crates_depend_only_along_the_documented_edges() {
    let normal = table(NORMAL);
    let dev = table(DEV);
    let (members, edges) = workspace_edges(&metadata());

    let mut wrong = Vec::new();
    for m in &members {
        if !normal.contains_key(m.as_str()) {
            wrong.push(format!(
                "{m} is a workspace member this test does not know: add it to NORMAL in \
                 tests/it/layering.rs with the edges README \"Layout\" gives it"
            ));
        }
    }
    for (from, to, kind) in &edges {
        let allowed = |t: &BTreeMap<&str, BTreeSet<&str>>| {
            t.get(from.as_str())
                .is_some_and(|deps| deps.contains(to.as_str()))
        };
        let ok = match kind.as_str() {
            "normal" => allowed(&normal),
            "dev" => allowed(&normal) || allowed(&dev),
            _ => false,
        };
        if !ok {
            let may = normal
                .get(from.as_str())
                .map(|d| d.iter().copied().collect::<Vec<_>>().join(", "))
                .unwrap_or_default();
            let may = if may.is_empty() {
                "no Meridian crate".to_owned()
            } else {
                may
            };
            wrong.push(format!(
                "forbidden edge {from} → {to} ({kind} dependency): {from} may depend on {may} \
                 (ARCHITECTURE.md, \"Code map\")"
            ));
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}

#[test]
fn the_table_names_only_existing_crates_and_edges() {
    // A stale row would let an edge through unnoticed once the crate comes back.
    let (members, edges) = workspace_edges(&metadata());
    for (krate, deps) in NORMAL.iter().chain(DEV) {
        assert!(
            members.contains(*krate),
            "{krate} is in the table but not in the workspace"
        );
        for d in *deps {
            assert!(
                members.contains(*d),
                "{krate} → {d}: {d} is not in the workspace"
            );
        }
    }
    for (krate, deps) in DEV {
        for d in *deps {
            assert!(
                edges
                    .iter()
                    .any(|(f, t, k)| f == krate && t == d && k == "dev"),
                "{krate} → {d} is allowed as a dev-dependency but no longer used: remove it"
            );
        }
    }
}
