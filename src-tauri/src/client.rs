//! The typed TypeScript client of the command table and the event list,
//! `ui/src/lib/commands.gen.ts`, and the checks that the table is what Tauri registers and
//! the capability allows. The generated file is committed; a test fails when it is stale,
//! and `UPDATE_BINDINGS=1 cargo test -p meridian-desktop client` rewrites it (after
//! `UPDATE_BINDINGS=1 cargo test -p meridian-app bindings` when the engine's types changed).

use std::collections::BTreeSet;
use std::fmt::Write as _;
use std::path::PathBuf;

use ts_rs::TS;

use crate::commands::mirror::MirrorView;
use crate::commands::sync::{FirstRun, Invitation};
use crate::{commands, events};

/// Words a TypeScript parameter may not be named; such an argument gets a trailing `_`.
const RESERVED: &str = "break case catch class const continue debugger default delete do else \
    enum export extends false finally for function if import in instanceof new null return super \
    switch this throw true try typeof var void while with";

/// Names in ts-rs's type expressions that TypeScript itself defines.
const BUILT_IN: &[&str] = &["Array", "Record", "Partial"];

/// `include_trashed` → `includeTrashed`: the key Tauri expects for a parameter.
fn camel(snake: &str) -> String {
    let mut out = String::new();
    let mut upper = false;
    for c in snake.chars() {
        if c == '_' {
            upper = true;
        } else if upper {
            out.extend(c.to_uppercase());
            upper = false;
        } else {
            out.push(c);
        }
    }
    out
}

fn js_doc(out: &mut String, doc: &str, indent: &str) {
    let lines: Vec<&str> = doc.lines().map(str::trim).collect();
    match lines.as_slice() {
        [] => {}
        [line] => {
            let _ = writeln!(out, "{indent}/** {line} */");
        }
        _ => {
            let _ = writeln!(out, "{indent}/**");
            for line in lines {
                let _ = writeln!(out, "{indent} * {line}");
            }
            let _ = writeln!(out, "{indent} */");
        }
    }
}

/// The type names a TypeScript type expression refers to.
fn referenced(ty: &str, into: &mut BTreeSet<String>) {
    for word in ty.split(|c: char| !(c.is_ascii_alphanumeric() || c == '_')) {
        if word.starts_with(|c: char| c.is_ascii_uppercase()) && !BUILT_IN.contains(&word) {
            into.insert(word.to_owned());
        }
    }
}

/// The whole `commands.gen.ts` file.
pub fn typescript() -> String {
    let commands = commands::signatures();
    let events = events::signatures();
    let local = [
        (
            "FirstRun",
            FirstRun::decl(),
            "What the first-run screen proposes.",
        ),
        (
            "Invitation",
            Invitation::decl(),
            "An invite: the code, and the same code as an SVG QR code.",
        ),
        (
            "MirrorView",
            MirrorView::decl(),
            "The Markdown mirror's state, and whether the app's background mirror runs.",
        ),
    ];

    let mut imports = BTreeSet::new();
    for c in &commands {
        c.args
            .iter()
            .for_each(|(_, ty)| referenced(ty, &mut imports));
        referenced(&c.ok, &mut imports);
    }
    for e in &events {
        referenced(&e.payload, &mut imports);
    }
    for (_, decl, _) in &local {
        referenced(decl, &mut imports);
    }
    for (name, _, _) in &local {
        imports.remove(*name);
    }

    let mut out = String::from(
        "// Generated from src-tauri/src/commands/table.rs and src-tauri/src/events.rs. Do not edit\n\
         // by hand: run `UPDATE_BINDINGS=1 cargo test -p meridian-desktop client` after changing them.\n\n\
         import { invoke } from '@tauri-apps/api/core'\n\
         import { listen, type UnlistenFn } from '@tauri-apps/api/event'\n",
    );
    let _ = writeln!(out, "import type {{");
    for name in &imports {
        let _ = writeln!(out, "  {name},");
    }
    let _ = writeln!(out, "}} from './bindings'\n");

    for (_, decl, doc) in &local {
        js_doc(&mut out, doc, "");
        let _ = writeln!(out, "export {decl}\n");
    }

    js_doc(
        &mut out,
        "Every command of the table: each invokes the Tauri command of the same name in\n\
         snake_case, and a failure rejects with an `ApiError`.",
        "",
    );
    let _ = writeln!(out, "export const commands = {{");
    for c in &commands {
        js_doc(&mut out, c.doc, "  ");
        let params: Vec<String> = c
            .args
            .iter()
            .map(|(arg, ty)| format!("{}: {ty}", param(arg)))
            .collect();
        let keys: Vec<String> = c
            .args
            .iter()
            .map(|(arg, _)| {
                let (key, param) = (camel(arg), param(arg));
                if key == param {
                    key
                } else {
                    format!("{key}: {param}")
                }
            })
            .collect();
        let payload = if keys.is_empty() {
            String::new()
        } else {
            format!(", {{ {} }}", keys.join(", "))
        };
        let _ = writeln!(
            out,
            "  {}: ({}): Promise<{}> =>\n    invoke<{}>('{}'{payload}),",
            camel(c.name),
            params.join(", "),
            c.ok,
            c.ok,
            c.name,
        );
    }
    let _ = writeln!(out, "}}\n");

    js_doc(
        &mut out,
        "Each event the shell emits, with its payload.",
        "",
    );
    let _ = writeln!(out, "export type EventPayloads = {{");
    for e in &events {
        js_doc(&mut out, e.doc, "  ");
        let _ = writeln!(out, "  '{}': {}", e.name, e.payload);
    }
    let _ = writeln!(out, "}}\n");
    out.push_str(
        "/** Calls `handler` with the payload of each `event` until the returned function is called. */\n\
         export function listenTo<K extends keyof EventPayloads>(\n  \
           event: K,\n  \
           handler: (payload: EventPayloads[K]) => void,\n\
         ): Promise<UnlistenFn> {\n  \
           return listen<EventPayloads[K]>(event, (msg) => handler(msg.payload))\n\
         }\n",
    );
    out
}

/// The TypeScript parameter for argument `arg`.
fn param(arg: &str) -> String {
    let name = camel(arg);
    if RESERVED.split_whitespace().any(|word| word == name) {
        format!("{name}_")
    } else {
        name
    }
}

fn src_tauri() -> PathBuf {
    // The runtime value first: a test binary reused from a build cache made by a checkout at
    // another path would otherwise look for the files there.
    std::env::var_os("CARGO_MANIFEST_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")))
}

mod tests {
    use std::collections::BTreeSet;

    use super::src_tauri;
    use crate::commands;

    #[test]
    fn client_is_current() {
        meridian_app::bindings::check_generated(
            &src_tauri().join("../ui/src/lib/commands.gen.ts"),
            &super::typescript(),
            "UPDATE_BINDINGS=1 cargo test -p meridian-desktop client",
        );
    }

    #[test]
    fn table_names_each_command_once() {
        let unique: BTreeSet<_> = commands::NAMES.iter().collect();
        assert_eq!(
            unique.len(),
            commands::NAMES.len(),
            "a command is listed twice"
        );
        let signatures: Vec<_> = commands::signatures().iter().map(|s| s.name).collect();
        assert_eq!(signatures, commands::NAMES);
    }

    /// The capability grants the generated set and nothing of the app's beyond it, and the
    /// set (written by build.rs) allows exactly the table's commands, which are also exactly
    /// the ones Tauri generated permissions for.
    #[test]
    fn capability_allows_exactly_the_table() {
        let dir = src_tauri();
        let capability = std::fs::read_to_string(dir.join("capabilities/main.json"))
            .expect("read the capability");
        let capability: serde_json::Value =
            serde_json::from_str(&capability).expect("the capability is JSON");
        let granted: Vec<&str> = capability["permissions"]
            .as_array()
            .expect("a permission list")
            .iter()
            .map(|p| p.as_str().expect("permissions are named"))
            .collect();
        assert_eq!(
            granted,
            [
                "core:event:allow-listen",
                "core:event:allow-unlisten",
                "app-commands"
            ]
        );

        let expected: BTreeSet<String> = commands::NAMES
            .iter()
            .map(|c| format!("allow-{}", c.replace('_', "-")))
            .collect();
        let set = std::fs::read_to_string(dir.join("permissions/app-commands.toml"))
            .expect("build.rs wrote the permission set");
        let listed: BTreeSet<String> = set
            .lines()
            .filter_map(|l| l.trim().strip_prefix("\"allow-"))
            .map(|l| format!("allow-{}", l.trim_end_matches(['"', ','])))
            .collect();
        assert_eq!(listed, expected);

        let manifests = std::fs::read_to_string(dir.join("gen/schemas/acl-manifests.json"))
            .expect("tauri-build wrote the ACL manifests");
        let manifests: serde_json::Value =
            serde_json::from_str(&manifests).expect("the manifests are JSON");
        let app = &manifests["__app-acl__"];
        let generated: BTreeSet<String> = app["permissions"]
            .as_object()
            .expect("the app's permissions")
            .keys()
            .filter(|k| k.starts_with("allow-"))
            .cloned()
            .collect();
        assert_eq!(generated, expected);
        assert!(
            app["permission_sets"]["app-commands"].is_object(),
            "Tauri read the app-commands set"
        );
    }

    #[test]
    fn reserved_words_become_other_parameters() {
        assert_eq!(super::param("new"), "new_");
        assert_eq!(super::param("include_trashed"), "includeTrashed");
    }
}
