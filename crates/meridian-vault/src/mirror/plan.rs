//! Deciding what to do: a pure function of what the mirror remembers ([`Entry`]), what is
//! on disk ([`DiskFile`]) and what the workspace holds ([`Rendered`]).
//!
//! Rules, in the order they are applied:
//! 1. **Unusable files.** A path with `..` or an absolute component, and a file whose
//!    `text` is an error, is refused (`Refuse`, the reason from [`super::scan`]). A refused
//!    file still counts as present: its path and its `id:` keep the object they belong to
//!    from being trashed, and no new file is written over it.
//! 2. **Duplicates.** When several files carry the same `id:`, the one at the entry's
//!    path wins (else the first by path); the others are refused ("another file has the
//!    same id").
//! 3. **Matching.** Each entry is matched to the file carrying its `id:`, else to an
//!    id-less file at its path (someone removed the `id:` line; the next write puts it
//!    back).
//! 4. **Matched entry, object present.** At a new path: `Move` (the entry's path follows
//!    the file; paths are otherwise stable, a title change never renames). Then, file
//!    changed (hash ≠ entry hash): `Apply`, even when the object changed too (the engine
//!    merges three-way at the entry's heads and writes the result on the next pass).
//!    File unchanged and the object's rendered text ≠ the entry's text: `Write` at the
//!    file's path. Both unchanged: nothing. A touched or re-saved file with the same bytes
//!    is unchanged, whatever its mtime.
//! 5. **Matched entry, object absent** (trashed or deleted in the workspace): file
//!    unchanged → `Remove`; file changed → `Forget` + `Create` (keep the person's text).
//! 6. **Unmatched entry.** The file is gone and its id is in no file: object present →
//!    `Trash`; object absent too → `Forget`. Mass-delete guard: when more than
//!    max(5, 10 % of entries) would be trashed and `allow_mass_delete` is false, no `Trash`
//!    is emitted and [`Plan::held_deletes`] says how many were held (a `git checkout` or
//!    a vanished subfolder should ask first).
//! 7. **Unknown files.** A file carrying the id of an object with no entry is adopted:
//!    `Apply` against the object as rendered now. Any other file (no `id:`, or an id no
//!    object has) → `Create`.
//! 8. **New objects.** An object with no entry and no file carrying its id → `Write` at
//!    `folder/slug.md` (`decisions/NNNN-slug.md` when it has a number), the slug from the
//!    title, unique among every path in use case-insensitively (`-2`, `-3`), never a
//!    Windows-reserved name (`con`, `nul`, `com1`… get a `_`), no trailing dot or space,
//!    at most 100 bytes per component.
//!
//! Actions come grouped in this order: `Refuse`, `Forget`, `Trash`, `Remove`, `Move`,
//! `Apply`, `Create`, `Write`; within a group by path. So an entry trashed to free a path
//! is gone before another moves onto it.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::path::{Component, Path, PathBuf};

use meridian_core::DocId;
use unicode_normalization::UnicodeNormalization;

use super::{Action, DiskFile, Entry, HeldDeletes, Plan, Rendered, hash};
use crate::confined::is_plain_relative;
use crate::slug::{slugify, unique};

/// A plan deletes at most this many objects, or 10 % of the entries if more, unasked.
const MASS_DELETE_FLOOR: usize = 5;
/// Longest file or folder name the mirror writes, in bytes (most file systems allow 255).
const MAX_COMPONENT_BYTES: usize = 100;

/// Decides what to do; see the module documentation for the rules. Pure and
/// deterministic: the same inputs, in any order, give the same plan.
pub fn plan(
    entries: &[Entry],
    disk: &[DiskFile],
    objects: &[Rendered],
    allow_mass_delete: bool,
) -> Plan {
    let mut entries: Vec<&Entry> = entries.iter().collect();
    entries.sort_by(|a, b| a.path.cmp(&b.path));
    let mut files: Vec<&DiskFile> = disk.iter().collect();
    files.sort_by(|a, b| a.path.cmp(&b.path));
    let entry_by_id: HashMap<&DocId, &Entry> = entries.iter().map(|e| (&e.id, *e)).collect();
    let object_by_id: HashMap<&DocId, &Rendered> = objects.iter().map(|o| (&o.id, o)).collect();

    let mut out = Groups::default();
    let mut taken: HashSet<String> = entries.iter().map(|e| path_key(&e.path)).collect();

    // 1. Unusable files.
    let mut at_path: HashMap<&Path, &DiskFile> = HashMap::new();
    let mut ids_on_disk: HashSet<&DocId> = HashSet::new();
    let mut usable: Vec<(&DiskFile, &str)> = Vec::new();
    let mut refused_paths: Vec<&Path> = Vec::new();
    for f in files {
        if !is_plain_relative(&f.path) {
            out.refuse(&f.path, "the path leaves the mirror folder".into());
            continue;
        }
        taken.insert(path_key(&f.path));
        at_path.insert(&f.path, f);
        if let Some(id) = &f.id {
            ids_on_disk.insert(id);
        }
        match &f.text {
            Ok(text) => usable.push((f, text)),
            Err(reason) => {
                refused_paths.push(&f.path);
                out.refuse(&f.path, reason.clone());
            }
        }
    }

    // 2. Duplicates.
    let mut by_id: BTreeMap<&DocId, Vec<(&DiskFile, &str)>> = BTreeMap::new();
    for &(f, text) in &usable {
        if let Some(id) = &f.id {
            by_id.entry(id).or_default().push((f, text));
        }
    }
    let mut claimed: HashSet<&Path> = HashSet::new();
    let mut carrier: HashMap<&DocId, (&DiskFile, &str)> = HashMap::new();
    for (id, group) in by_id {
        let keep = group
            .iter()
            .position(|(f, _)| entry_by_id.get(id).is_some_and(|e| e.path == f.path))
            .unwrap_or(0);
        for (i, (f, _)) in group.iter().enumerate() {
            if i != keep {
                claimed.insert(&f.path);
                out.refuse(
                    &f.path,
                    format!(
                        "another file has the same id ({}): remove the `id:` line from the copy to make it a new object, or delete it",
                        group[keep].0.path.display()
                    ),
                );
            }
        }
        carrier.insert(id, group[keep]);
    }

    // 3–6. Entries.
    let mut trash = Vec::new();
    for e in &entries {
        let by_path = || {
            at_path
                .get(e.path.as_path())
                .filter(|f| f.id.is_none())
                .and_then(|f| f.text.as_ref().ok().map(|t| (*f, t.as_str())))
        };
        let found = carrier.get(&e.id).copied().or_else(by_path);
        let Some((f, text)) = found else {
            // An unreadable file at its path, or an unreadable folder above it, may still
            // hold it: never trash what could not be looked at.
            let held_by_refused = ids_on_disk.contains(&e.id)
                || refused_paths.iter().any(|p| {
                    e.path.starts_with(p) && at_path.get(*p).is_none_or(|f| f.id.is_none())
                });
            if held_by_refused {
                continue;
            }
            if object_by_id.contains_key(&e.id) {
                trash.push(Action::Trash {
                    id: e.id.clone(),
                    path: e.path.clone(),
                });
            } else {
                out.forget.push(Action::Forget { id: e.id.clone() });
            }
            continue;
        };
        claimed.insert(&f.path);
        let changed = f.hash != e.hash;
        match object_by_id.get(&e.id) {
            Some(o) => {
                if f.path != e.path {
                    out.moves.push(Action::Move {
                        id: e.id.clone(),
                        from: e.path.clone(),
                        to: f.path.clone(),
                    });
                }
                if changed && text == o.text {
                    // The file already says what the object says: written by the mirror
                    // just before a crash kept it from recording the file, or the same
                    // edit made on both sides. Applying it would repeat the object's own
                    // changes on a fork (text inserted twice); it is only recorded.
                    out.write.push(write(o, f.path.clone()));
                } else if changed {
                    out.apply.push(Action::Apply {
                        id: e.id.clone(),
                        path: f.path.clone(),
                        base: (*e).clone(),
                        text: text.to_owned(),
                        hash: f.hash.clone(),
                    });
                } else if o.text != e.base {
                    out.write.push(write(o, f.path.clone()));
                }
            }
            None if changed => {
                out.forget.push(Action::Forget { id: e.id.clone() });
                out.create.push(Action::Create {
                    path: f.path.clone(),
                    text: text.to_owned(),
                    hash: f.hash.clone(),
                });
            }
            None => out.remove.push(Action::Remove {
                id: e.id.clone(),
                path: f.path.clone(),
            }),
        }
    }
    let limit = MASS_DELETE_FLOOR.max(entries.len() / 10);
    let held_deletes = if trash.len() > limit && !allow_mass_delete {
        Some(HeldDeletes {
            gone: trash.len(),
            known: entries.len(),
        })
    } else {
        out.trash = trash;
        None
    };

    // 7. Unknown files.
    for &(f, text) in &usable {
        if claimed.contains(f.path.as_path()) {
            continue;
        }
        let adopt =
            f.id.as_ref()
                .filter(|id| !entry_by_id.contains_key(id))
                .and_then(|id| object_by_id.get(id));
        match adopt {
            Some(o) => out.apply.push(Action::Apply {
                id: o.id.clone(),
                path: f.path.clone(),
                base: Entry {
                    id: o.id.clone(),
                    kind: o.kind,
                    path: f.path.clone(),
                    hash: hash(o.text.as_bytes()),
                    base: o.text.clone(),
                    heads: o.heads.clone(),
                },
                text: text.to_owned(),
                hash: f.hash.clone(),
            }),
            None => out.create.push(Action::Create {
                path: f.path.clone(),
                text: text.to_owned(),
                hash: f.hash.clone(),
            }),
        }
    }

    // 8. New objects, in the order given (earlier objects get the plain slug).
    for o in objects {
        if entry_by_id.contains_key(&o.id) || ids_on_disk.contains(&o.id) {
            continue;
        }
        let path = o
            .path
            .clone()
            .filter(|p| is_free_name(p, &taken))
            .unwrap_or_else(|| new_path(o, &taken));
        taken.insert(path_key(&path));
        out.write.push(write(o, path));
    }

    Plan {
        actions: out.into_actions(),
        held_deletes,
    }
}

#[derive(Default)]
struct Groups {
    refuse: Vec<Action>,
    forget: Vec<Action>,
    trash: Vec<Action>,
    remove: Vec<Action>,
    moves: Vec<Action>,
    apply: Vec<Action>,
    create: Vec<Action>,
    write: Vec<Action>,
}

impl Groups {
    fn refuse(&mut self, path: &Path, reason: String) {
        self.refuse.push(Action::Refuse {
            path: path.to_owned(),
            reason,
        });
    }

    fn into_actions(self) -> Vec<Action> {
        let mut refuse = self.refuse;
        refuse.sort_by(|a, b| action_path(a).cmp(action_path(b)));
        [
            refuse,
            self.forget,
            self.trash,
            self.remove,
            self.moves,
            self.apply,
            self.create,
            self.write,
        ]
        .into_iter()
        .flatten()
        .collect()
    }
}

fn action_path(a: &Action) -> &Path {
    match a {
        Action::Write { path, .. }
        | Action::Apply { path, .. }
        | Action::Create { path, .. }
        | Action::Trash { path, .. }
        | Action::Remove { path, .. }
        | Action::Refuse { path, .. } => path,
        Action::Move { to, .. } => to,
        Action::Forget { .. } => Path::new(""),
    }
}

fn write(o: &Rendered, path: PathBuf) -> Action {
    Action::Write {
        id: o.id.clone(),
        kind: o.kind,
        path,
        text: o.text.clone(),
        heads: o.heads.clone(),
    }
}

/// The collision key of a relative path: `/`-separated, in Unicode NFC and lowercased,
/// as case-insensitive file systems (macOS, Windows) compare names (macOS also takes `é`
/// composed and decomposed as one name).
fn path_key(p: &Path) -> String {
    slashed(p).nfc().collect::<String>().to_lowercase()
}

/// Whether the mirror may write a new file at `rel`: a plain relative `.md` path whose
/// every component is a name the mirror would write itself, taken by no other file.
fn is_free_name(rel: &Path, taken: &HashSet<String>) -> bool {
    let valid = is_plain_relative(rel)
        && rel
            .extension()
            .is_some_and(|e| e.eq_ignore_ascii_case("md"))
        && rel.components().all(|c| {
            let name = c.as_os_str().to_string_lossy();
            !name.starts_with('.') && safe_component(&name, "") == name
        });
    valid && !taken.contains(&path_key(rel))
}

fn slashed(p: &Path) -> String {
    p.components()
        .map(|c| c.as_os_str().to_string_lossy())
        .collect::<Vec<_>>()
        .join("/")
}

/// `folder/slug.md` (or `folder/NNNN-slug.md`), unique against `taken`.
fn new_path(o: &Rendered, taken: &HashSet<String>) -> PathBuf {
    let folder: Vec<String> = o
        .folder
        .components()
        .filter_map(|c| match c {
            Component::Normal(s) => Some(safe_component(&s.to_string_lossy(), "")),
            _ => None,
        })
        .collect();
    let folder = folder.join("/");
    let slug = slugify(&o.title, "untitled");
    let stem = match o.number {
        Some(n) => format!("{n:04}-{slug}"),
        None => slug,
    };
    // Room for `-NN` and `.md` within the component limit.
    let stem = safe_component(&stem, ".md");
    let prefix = if folder.is_empty() {
        String::new()
    } else {
        format!("{}/", folder.to_lowercase())
    };
    let siblings: Vec<String> = taken
        .iter()
        .filter_map(|k| k.strip_prefix(&prefix))
        .filter(|rest| !rest.contains('/'))
        .filter_map(|name| name.strip_suffix(".md"))
        .map(str::to_owned)
        .collect();
    let stem = unique(&stem, &siblings);
    let name = format!("{stem}.md");
    if folder.is_empty() {
        PathBuf::from(name)
    } else {
        PathBuf::from(format!("{folder}/{name}"))
    }
}

/// A file or folder name every common file system accepts: no trailing dots or spaces,
/// not a Windows device name, at most [`MAX_COMPONENT_BYTES`] with `suffix` and a `-NN`.
fn safe_component(name: &str, suffix: &str) -> String {
    let budget = MAX_COMPONENT_BYTES - suffix.len() - 4;
    let mut out = String::new();
    for c in name.chars() {
        if out.len() + c.len_utf8() > budget {
            break;
        }
        out.push(c);
    }
    let mut out = out
        .trim_end_matches(['.', ' ', '-'])
        .trim_start_matches(' ')
        .to_owned();
    if out.is_empty() {
        out = "untitled".into();
    }
    if is_windows_reserved(&out) {
        out.push('_');
    }
    out
}

/// `CON`, `PRN`, `AUX`, `NUL`, `COM1`–`COM9`, `LPT1`–`LPT9`, in any case, alone or before
/// a dot: Windows opens the device instead of the file.
fn is_windows_reserved(name: &str) -> bool {
    let stem = name.split('.').next().unwrap_or(name).to_ascii_uppercase();
    matches!(stem.as_str(), "CON" | "PRN" | "AUX" | "NUL")
        || ((stem.starts_with("COM") || stem.starts_with("LPT"))
            && stem.len() == 4
            && matches!(stem.as_bytes()[3], b'1'..=b'9'))
}

#[cfg(test)]
mod tests {
    use meridian_core::Kind;
    use rstest::rstest;

    use super::*;

    fn id(n: u8) -> DocId {
        DocId::from_bytes([n; 16])
    }

    fn text(n: u8, body: &str) -> String {
        format!("---\nid: {}\n---\n{body}\n", id(n))
    }

    fn entry(n: u8, path: &str, body: &str) -> Entry {
        let t = text(n, body);
        Entry {
            id: id(n),
            kind: Kind::Page,
            path: path.into(),
            hash: hash(t.as_bytes()),
            base: t,
            heads: format!("then{n}"),
        }
    }

    fn file(n: Option<u8>, path: &str, body: &str) -> DiskFile {
        let t = match n {
            Some(n) => text(n, body),
            None => format!("{body}\n"),
        };
        DiskFile {
            path: path.into(),
            hash: hash(t.as_bytes()),
            text: Ok(t),
            id: n.map(id),
        }
    }

    fn obj(n: u8, title: &str, body: &str) -> Rendered {
        Rendered {
            id: id(n),
            kind: Kind::Page,
            title: title.into(),
            folder: "pages".into(),
            path: None,
            number: None,
            text: text(n, body),
            heads: format!("now{n}"),
        }
    }

    fn run(entries: &[Entry], disk: &[DiskFile], objects: &[Rendered]) -> Vec<Action> {
        let p = plan(entries, disk, objects, false);
        assert_eq!(p.held_deletes, None);
        p.actions
    }

    #[test]
    fn unchanged_does_nothing() {
        let acts = run(
            &[entry(1, "pages/a.md", "A")],
            &[file(Some(1), "pages/a.md", "A")],
            &[obj(1, "A", "A")],
        );
        assert_eq!(acts, vec![]);
    }

    #[test]
    fn object_changed_writes_at_the_same_path() {
        let acts = run(
            &[entry(1, "pages/a.md", "A")],
            &[file(Some(1), "pages/a.md", "A")],
            &[obj(1, "A renamed", "A2")],
        );
        assert_eq!(
            acts,
            vec![Action::Write {
                id: id(1),
                kind: Kind::Page,
                path: "pages/a.md".into(),
                text: text(1, "A2"),
                heads: "now1".into(),
            }]
        );
    }

    /// The mirror wrote the object's new text and crashed before recording it: the file
    /// differs from the entry but says exactly what the object says. It is recorded (a
    /// Write of the same text), never applied (that would repeat the object's changes).
    #[test]
    fn a_file_that_already_says_what_the_object_says_is_recorded_not_applied() {
        let e = entry(1, "pages/a.md", "A");
        let f = file(Some(1), "pages/a.md", "A-new");
        let o = obj(1, "A", "A-new");
        let acts = run(std::slice::from_ref(&e), &[f], std::slice::from_ref(&o));
        assert_eq!(
            acts,
            vec![Action::Write {
                id: id(1),
                kind: Kind::Page,
                path: "pages/a.md".into(),
                text: o.text.clone(),
                heads: o.heads.clone(),
            }]
        );
    }

    #[rstest]
    #[case::file_only("A")]
    #[case::both_changed("A-remote")]
    fn file_changed_applies_against_the_entry(#[case] object_body: &str) {
        let e = entry(1, "pages/a.md", "A");
        let f = file(Some(1), "pages/a.md", "A-edited");
        let acts = run(
            std::slice::from_ref(&e),
            std::slice::from_ref(&f),
            &[obj(1, "A", object_body)],
        );
        assert_eq!(
            acts,
            vec![Action::Apply {
                id: id(1),
                path: "pages/a.md".into(),
                base: e,
                text: text(1, "A-edited"),
                hash: f.hash,
            }]
        );
    }

    #[test]
    fn a_touched_file_with_the_same_bytes_is_unchanged() {
        // Only the hash matters: the scan carries no mtime at all.
        let acts = run(
            &[entry(1, "pages/a.md", "A")],
            &[file(Some(1), "pages/a.md", "A")],
            &[obj(1, "A", "A")],
        );
        assert!(acts.is_empty());
    }

    #[test]
    fn gone_file_trashes_the_object() {
        let acts = run(&[entry(1, "pages/a.md", "A")], &[], &[obj(1, "A", "A")]);
        assert_eq!(
            acts,
            vec![Action::Trash {
                id: id(1),
                path: "pages/a.md".into()
            }]
        );
    }

    fn ten() -> (Vec<Entry>, Vec<DiskFile>, Vec<Rendered>) {
        let entries: Vec<Entry> = (1..=10)
            .map(|n| entry(n, &format!("pages/p{n}.md"), "x"))
            .collect();
        let objects = (1..=10).map(|n| obj(n, &format!("p{n}"), "x")).collect();
        // 6 of 10 files gone.
        let disk = (7..=10)
            .map(|n| file(Some(n), &format!("pages/p{n}.md"), "x"))
            .collect();
        (entries, disk, objects)
    }

    #[test]
    fn mass_delete_is_held() {
        let (entries, disk, objects) = ten();
        let p = plan(&entries, &disk, &objects, false);
        assert_eq!(p.held_deletes, Some(HeldDeletes { gone: 6, known: 10 }));
        assert!(p.actions.is_empty(), "{:?}", p.actions);
        // 5 gone is within the guard.
        let disk5: Vec<DiskFile> = (6..=10)
            .map(|n| file(Some(n), &format!("pages/p{n}.md"), "x"))
            .collect();
        let p = plan(&entries, &disk5, &objects, false);
        assert_eq!(p.held_deletes, None);
        assert_eq!(p.actions.len(), 5);
    }

    #[test]
    fn mass_delete_allowed_trashes() {
        let (entries, disk, objects) = ten();
        let p = plan(&entries, &disk, &objects, true);
        assert_eq!(p.held_deletes, None);
        assert_eq!(p.actions.len(), 6);
        assert!(p.actions.iter().all(|a| matches!(a, Action::Trash { .. })));
    }

    #[test]
    fn moved_file_moves_and_applies_its_edit() {
        let e = entry(1, "pages/a.md", "A");
        let moved = file(Some(1), "pages/sub/b.md", "A");
        let acts = run(
            std::slice::from_ref(&e),
            std::slice::from_ref(&moved),
            &[obj(1, "A", "A")],
        );
        let mv = Action::Move {
            id: id(1),
            from: "pages/a.md".into(),
            to: "pages/sub/b.md".into(),
        };
        assert_eq!(acts, vec![mv.clone()]);

        let edited = file(Some(1), "pages/sub/b.md", "A-edited");
        let acts = run(
            std::slice::from_ref(&e),
            std::slice::from_ref(&edited),
            &[obj(1, "A", "A")],
        );
        assert_eq!(acts.len(), 2);
        assert_eq!(acts[0], mv);
        assert!(
            matches!(&acts[1], Action::Apply { path, .. } if path == Path::new("pages/sub/b.md"))
        );
    }

    fn written_path(acts: &[Action], n: u8) -> PathBuf {
        acts.iter()
            .find_map(|a| match a {
                Action::Write { id: i, path, .. } if *i == id(n) => Some(path.clone()),
                _ => None,
            })
            .unwrap_or_else(|| panic!("no write for {n} in {acts:?}"))
    }

    #[rstest]
    #[case::plain("Team Notes", &[], "pages/team-notes.md")]
    #[case::collision("Team Notes", &["pages/team-notes.md"], "pages/team-notes-2.md")]
    #[case::case_collision("Plan", &["pages/plan.md", "pages/Plan-2.md"], "pages/plan-3.md")]
    #[case::case_collision_upper("plan", &["pages/Plan.md"], "pages/plan-2.md")]
    #[case::other_folder_is_no_collision("Plan", &["decisions/plan.md"], "pages/plan.md")]
    #[case::reserved("con", &[], "pages/con_.md")]
    #[case::reserved_upper("COM1", &[], "pages/com1_.md")]
    #[case::not_reserved("com10", &[], "pages/com10.md")]
    #[case::empty_title("!!!", &[], "pages/untitled.md")]
    fn new_object_gets_a_unique_safe_path(
        #[case] title: &str,
        #[case] on_disk: &[&str],
        #[case] expected: &str,
    ) {
        let disk: Vec<DiskFile> = on_disk
            .iter()
            .enumerate()
            .map(|(i, p)| file(Some(100 + i as u8), p, "other"))
            .collect();
        let mut objects = vec![obj(1, title, "body")];
        // The other files' objects exist and are adopted (no entries): they must not
        // disturb the new path.
        objects.extend(
            on_disk
                .iter()
                .enumerate()
                .map(|(i, _)| obj(100 + i as u8, "x", "other")),
        );
        let acts = run(&[], &disk, &objects);
        assert_eq!(written_path(&acts, 1), PathBuf::from(expected));
    }

    /// A new file goes where the object says it was (an imported page keeps its folder,
    /// so relative links between files keep working), unless that name is taken, not a
    /// name the mirror would write, or outside the folder.
    #[test]
    fn a_new_file_goes_at_the_objects_own_path_when_it_is_free_and_valid() {
        let at = |path: &str| Rendered {
            path: Some(path.into()),
            ..obj(1, "Graph Visualization", "G")
        };
        let written = |objects: &[Rendered], disk: &[DiskFile]| -> Vec<PathBuf> {
            run(&[], disk, objects)
                .into_iter()
                .filter_map(|a| match a {
                    Action::Write { path, .. } => Some(path),
                    _ => None,
                })
                .collect()
        };
        assert_eq!(
            written(&[at("pages/features/graph-view.md")], &[]),
            vec![PathBuf::from("pages/features/graph-view.md")]
        );
        // Taken by another file (in any case): the title's slug in the folder instead.
        assert_eq!(
            written(
                &[at("pages/features/graph-view.md")],
                &[file(None, "pages/Features/Graph-View.md", "other")]
            ),
            vec![PathBuf::from("pages/graph-visualization.md")]
        );
        for bad in [
            "pages/../graph.md",
            "/etc/graph.md",
            "pages/con.md",
            "pages/graph.txt",
            "pages/.hidden/graph.md",
            "pages/trailing./graph.md",
        ] {
            assert_eq!(
                written(&[at(bad)], &[]),
                vec![PathBuf::from("pages/graph-visualization.md")],
                "{bad}"
            );
        }
    }

    /// macOS stores `é` decomposed; a new object whose slug is the composed name must not
    /// be written over that file.
    #[test]
    fn names_that_differ_only_in_unicode_composition_collide() {
        let disk = [file(None, "pages/cafe\u{301}.md", "someone's")];
        let acts = run(&[], &disk, &[obj(1, "Café", "C")]);
        let written: Vec<&Path> = acts
            .iter()
            .filter_map(|a| match a {
                Action::Write { path, .. } => Some(path.as_path()),
                _ => None,
            })
            .collect();
        assert_eq!(written, vec![Path::new("pages/café-2.md")]);
    }

    #[test]
    fn new_objects_in_one_plan_do_not_collide_and_decisions_are_numbered() {
        let mut d = obj(3, "Use Postgres", "d");
        d.kind = Kind::Decision;
        d.folder = "decisions".into();
        d.number = Some(7);
        let acts = run(&[], &[], &[obj(1, "Plan", "a"), obj(2, "PLAN", "b"), d]);
        assert_eq!(written_path(&acts, 1), PathBuf::from("pages/plan.md"));
        assert_eq!(written_path(&acts, 2), PathBuf::from("pages/plan-2.md"));
        assert_eq!(
            written_path(&acts, 3),
            PathBuf::from("decisions/0007-use-postgres.md")
        );
    }

    #[test]
    fn long_titles_and_odd_folders_are_bounded() {
        let mut o = obj(1, &"会议".repeat(80), "x");
        o.folder = "pages/../parent. ".into();
        let acts = run(&[], &[], &[o]);
        let p = written_path(&acts, 1);
        assert!(p.starts_with("pages/parent"), "{p:?}");
        for c in p.components() {
            let s = c.as_os_str().to_string_lossy();
            assert!(s.len() <= MAX_COMPONENT_BYTES, "{s}");
            assert!(!s.ends_with(['.', ' ']), "{s}");
        }
    }

    #[test]
    fn an_entry_keeps_its_path_when_the_title_changes() {
        let acts = run(
            &[entry(1, "pages/old-title.md", "A")],
            &[file(Some(1), "pages/old-title.md", "A")],
            &[obj(1, "New Title", "A")],
        );
        assert!(acts.is_empty());
    }

    #[test]
    fn new_file_creates_an_object() {
        let f = file(None, "pages/idea.md", "# Idea");
        let stranger = file(Some(9), "pages/stranger.md", "no object has this id");
        let acts = run(&[], &[f.clone(), stranger.clone()], &[]);
        assert_eq!(
            acts,
            vec![
                Action::Create {
                    path: f.path,
                    text: "# Idea\n".into(),
                    hash: f.hash
                },
                Action::Create {
                    path: stranger.path,
                    text: text(9, "no object has this id"),
                    hash: stranger.hash
                },
            ]
        );
    }

    #[test]
    fn duplicate_id_refuses_the_copy() {
        let acts = run(
            &[entry(1, "pages/b.md", "A")],
            &[
                file(Some(1), "pages/a copy.md", "A"),
                file(Some(1), "pages/b.md", "A"),
            ],
            &[obj(1, "A", "A")],
        );
        assert_eq!(acts.len(), 1, "{acts:?}");
        assert!(matches!(&acts[0], Action::Refuse { path, reason }
            if path == Path::new("pages/a copy.md") && reason.contains("another file has the same id")));
    }

    #[test]
    fn trashed_object_with_unchanged_file_removes_it() {
        let acts = run(
            &[entry(1, "pages/a.md", "A")],
            &[file(Some(1), "pages/a.md", "A")],
            &[],
        );
        assert_eq!(
            acts,
            vec![Action::Remove {
                id: id(1),
                path: "pages/a.md".into()
            }]
        );
    }

    #[test]
    fn edited_file_of_a_trashed_object_becomes_a_new_object() {
        let f = file(Some(1), "pages/a.md", "A, edited after the trashing");
        let acts = run(
            &[entry(1, "pages/a.md", "A")],
            std::slice::from_ref(&f),
            &[],
        );
        assert_eq!(
            acts,
            vec![
                Action::Forget { id: id(1) },
                Action::Create {
                    path: f.path,
                    text: text(1, "A, edited after the trashing"),
                    hash: f.hash
                }
            ]
        );
    }

    #[test]
    fn both_gone_forgets_the_entry() {
        let acts = run(&[entry(1, "pages/a.md", "A")], &[], &[]);
        assert_eq!(acts, vec![Action::Forget { id: id(1) }]);
    }

    #[test]
    fn unusable_files_are_refused_and_keep_their_object() {
        let bad = DiskFile {
            path: "pages/a.md".into(),
            hash: String::new(),
            text: Err("not valid UTF-8".into()),
            id: None,
        };
        let escaping = file(None, "../outside.md", "x");
        let acts = run(
            &[entry(1, "pages/a.md", "A")],
            &[bad, escaping],
            &[obj(1, "A", "A changed")],
        );
        assert_eq!(acts.len(), 2, "{acts:?}");
        assert!(
            acts.iter().all(|a| matches!(a, Action::Refuse { .. })),
            "no Trash, no Write over the unreadable file: {acts:?}"
        );
    }

    #[test]
    fn an_id_less_file_at_the_entry_path_is_still_that_object() {
        let f = file(None, "pages/a.md", "A without its id line");
        let acts = run(
            &[entry(1, "pages/a.md", "A")],
            std::slice::from_ref(&f),
            &[obj(1, "A", "A")],
        );
        assert!(matches!(&acts[..], [Action::Apply { id: i, .. }] if *i == id(1)));
    }

    #[test]
    fn a_file_of_an_object_without_entry_is_adopted() {
        // The state was lost, or the folder holds an earlier export.
        let o = obj(1, "A", "A");
        let same = file(Some(1), "pages/a.md", "A");
        let acts = run(&[], std::slice::from_ref(&same), std::slice::from_ref(&o));
        assert!(
            matches!(&acts[..], [Action::Apply { base, hash: h, .. }]
                if base.base == o.text && base.heads == o.heads && *h == base.hash),
            "{acts:?}"
        );
    }

    #[test]
    fn order_of_inputs_does_not_matter() {
        let entries = vec![entry(1, "pages/a.md", "A"), entry(2, "pages/b.md", "B")];
        let disk = vec![
            file(Some(2), "pages/b.md", "B2"),
            file(None, "pages/c.md", "C"),
        ];
        let objects = vec![obj(1, "A", "A"), obj(2, "B", "B"), obj(3, "D", "D")];
        let p1 = plan(&entries, &disk, &objects, false);
        let mut e2 = entries.clone();
        e2.reverse();
        let mut d2 = disk.clone();
        d2.reverse();
        assert_eq!(p1, plan(&e2, &d2, &objects, false));
    }
}
