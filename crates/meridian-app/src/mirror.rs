//! The Markdown mirror, wired (ADR 0008): the workspace as a folder of plain files that any
//! editor, git or script can change, both ways. `meridian-vault` scans the folder, plans
//! what to do (by content hash: Meridian's own writes are recognised by their hash, never
//! by timing) and writes files atomically; this module renders the objects, applies the
//! plan to the workspace and keeps the mirror's memory (`mirror.db` in the data folder).
//!
//! A reconcile pass: render pages and decisions (only those whose heads moved since the
//! mirror last saw them), scan the folder, plan, then apply each action: write a file,
//! apply an edited file three ways (`Workspace::apply_file_edit`), make an object of a new
//! file, follow a move, trash the object of a deleted file (unless the mass-delete guard
//! holds them back), remove the file of a trashed object. Passes repeat until nothing is
//! left to do, so a file edit that merged with a remote change is written back merged.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::time::Duration;

use meridian_core::{DocId, Kind, Object};
use meridian_vault::Parsed;
use meridian_vault::mirror::{self, Action, Entry, MirrorState, Rendered, tree};
use serde::Serialize;
use tokio::sync::watch;

use crate::api::SkippedFile;
use crate::error::Error;
use crate::workspace::{Workspace, heads_from_key, rfc3339};

const MIRROR_DB: &str = "mirror.db";
/// The folder of the mirror that holds decisions (pages: `tree::PAGES`).
const DECISIONS: &str = "decisions";
/// The file in the mirror folder that names the workspace it mirrors.
const MARKER: &str = ".meridian-mirror";
/// Most passes of one reconcile (each may write back what the previous one applied).
const MAX_PASSES: usize = 4;
/// Most records of a pass committed together: a crash loses at most these (the next pass
/// records them again), and `--status` or the app sees a first pass's progress.
const RECORDS_PER_COMMIT: usize = 256;
/// Changes coming in (edits, saves) are gathered this long before a pass.
const SETTLE: Duration = Duration::from_millis(300);
/// Longest wait for a git operation on the folder to end before a pass.
const GIT_WAIT: Duration = Duration::from_secs(5);
/// A full pass runs this often even when nothing announced a change.
const RESCAN: Duration = Duration::from_secs(60);
/// After a pass failed on the disk (full, I/O error), the next one runs this soon, doubling
/// up to [`RETRY_MAX`]: what it could not write is written once space returns.
const RETRY_FIRST: Duration = Duration::from_secs(1);
const RETRY_MAX: Duration = Duration::from_secs(10);

/// What one reconcile did.
#[derive(Debug, Clone, Default, Serialize, ts_rs::TS)]
pub struct MirrorReport {
    pub folder: String,
    /// Files written from objects.
    pub written: u32,
    /// Edited files applied to their objects.
    pub applied: u32,
    /// New files that became objects.
    pub created: u32,
    pub moved: u32,
    /// Objects moved to the trash because their file was deleted.
    pub trashed: u32,
    /// Files removed because their object was trashed in the workspace.
    pub removed: u32,
    /// Files that could not be applied, with the reason (the file is left as it is).
    pub refused: Vec<SkippedFile>,
    /// Set when more files disappeared at once than the guard allows: nothing was trashed.
    pub held_deletes: Option<HeldDeletes>,
}

/// Deletions the mass-delete guard held back.
#[derive(Debug, Clone, Copy, Serialize, ts_rs::TS)]
pub struct HeldDeletes {
    pub gone: u32,
    pub known: u32,
}

impl MirrorReport {
    /// The folder and the workspace hold the same, nothing refused, nothing held.
    pub fn in_sync(&self) -> bool {
        self.refused.is_empty() && self.held_deletes.is_none()
    }
}

/// Where the mirror is, when it last ran, what it refused.
#[derive(Debug, Clone, Serialize, ts_rs::TS)]
pub struct MirrorStatus {
    pub folder: Option<String>,
    pub last_run: Option<String>,
    pub files: u32,
    pub refused: Vec<SkippedFile>,
    /// Deletions the mass-delete guard holds back since the last pass, until they are
    /// allowed (`mirror_once` with `allow_mass_delete`) or the files are back.
    pub held_deletes: Option<HeldDeletes>,
}

impl Workspace {
    fn mirror_state(&self) -> Result<MirrorState, Error> {
        Ok(MirrorState::open(&self.data_dir().join(MIRROR_DB))?)
    }

    /// The mirror folder: `dir` (made if missing, and remembered) or the one chosen before.
    fn mirror_root(&self, state: &mut MirrorState, dir: Option<&Path>) -> Result<PathBuf, Error> {
        let Some(dir) = dir else {
            return state.root()?.ok_or_else(|| {
                Error::Mirror(
                    "no Markdown folder is chosen for this workspace: run `meridian mirror DIR` (in the app: Settings → Markdown folder)".into(),
                )
            });
        };
        std::fs::create_dir_all(dir).map_err(|source| Error::Write {
            path: dir.to_owned(),
            source,
        })?;
        let root = dir.canonicalize().map_err(|source| Error::Write {
            path: dir.to_owned(),
            source,
        })?;
        if root.starts_with(self.data_dir().canonicalize().unwrap_or_default()) {
            return Err(Error::Mirror(format!(
                "{} is inside the workspace's data folder: choose a folder of its own",
                root.display()
            )));
        }
        if state.root()?.as_deref() != Some(root.as_path()) {
            state.set_root(&root)?;
        }
        Ok(root)
    }

    /// Reconciles the mirror folder and the workspace both ways once. `dir` chooses the
    /// folder (remembered); `None` uses the one chosen before. `allow_mass_delete` lets a
    /// pass trash more objects at once than the guard allows.
    pub async fn mirror_once(
        &self,
        dir: Option<&Path>,
        allow_mass_delete: bool,
    ) -> Result<MirrorReport, Error> {
        let mut state = self.mirror_state()?;
        let root = self.mirror_root(&mut state, dir)?;
        self.check_marker(&state, &root, dir.is_some())?;
        wait_for_git(&root).await;
        let mut report = MirrorReport {
            folder: root.display().to_string(),
            ..MirrorReport::default()
        };
        for _ in 0..MAX_PASSES {
            if !self
                .mirror_pass(&mut state, &root, allow_mass_delete, &mut report)
                .await?
            {
                break;
            }
        }
        // One commit for what follows.
        state.begin()?;
        // The last pass's refusals are the ones standing: a refused file deleted or fixed
        // since (and not applied, so never cleared one by one) must leave the status.
        let standing: HashSet<&str> = report.refused.iter().map(|f| f.path.as_str()).collect();
        for old in state.refusals()? {
            if !standing.contains(old.path.display().to_string().as_str()) {
                state.clear_refusal(&old.path)?;
            }
        }
        state.set_held_deletes(report.held_deletes.map(|h| mirror::HeldDeletes {
            gone: h.gone as usize,
            known: h.known as usize,
        }))?;
        state.set_last_run(self.now_ms())?;
        state.commit()?;
        Ok(report)
    }

    /// Makes sure `root` is this workspace's mirror folder before a pass reads it as the
    /// truth: a `.meridian-mirror` file there names the workspace. A folder that names
    /// another workspace is refused. Without the file, a folder is taken as this mirror's
    /// when the person just chose it, when the mirror wrote nothing yet, or when a file it
    /// wrote is still there (folders from before the marker); otherwise it is refused, as
    /// an unmounted disk or a folder put in its place would read as "every file deleted".
    fn check_marker(&self, state: &MirrorState, root: &Path, chosen: bool) -> Result<(), Error> {
        let marker = root.join(MARKER);
        let me = self.workspace_info().id;
        match std::fs::read_to_string(&marker) {
            Ok(text) => {
                let named = text
                    .lines()
                    .find_map(|l| l.strip_prefix("workspace: "))
                    .map(str::trim);
                if named == Some(me.to_string().as_str()) {
                    return Ok(());
                }
                return Err(Error::Mirror(format!(
                    "{} is the Markdown folder of another workspace ({}): choose a folder of its own",
                    root.display(),
                    named.unwrap_or("unreadable")
                )));
            }
            Err(e) if e.kind() != std::io::ErrorKind::NotFound => {
                return Err(Error::Mirror(format!(
                    "cannot read {}: {e}",
                    marker.display()
                )));
            }
            Err(_) => {}
        }
        let entries = state.entries()?;
        let still_there = entries.iter().any(|e| root.join(&e.path).is_file());
        if !chosen && !entries.is_empty() && !still_there {
            return Err(Error::Mirror(format!(
                "none of the {} files the mirror wrote is in {} any more, and its {MARKER} file is gone: is the folder unmounted or replaced? Nothing was changed; choose the folder again (`meridian mirror DIR`, or Settings → Markdown folder) if it is the right one",
                entries.len(),
                root.display()
            )));
        }
        meridian_vault::mirror::write_file(
            root,
            Path::new(MARKER),
            &format!(
                "# Meridian mirrors a workspace into this folder; this file says which.\nworkspace: {me}\n"
            ),
        )?;
        Ok(())
    }

    /// One pass; returns whether it changed anything (then another pass follows).
    async fn mirror_pass(
        &self,
        state: &mut MirrorState,
        root: &Path,
        allow_mass_delete: bool,
        report: &mut MirrorReport,
    ) -> Result<bool, Error> {
        // Each pass plans from scratch, so its refusals are the ones standing (a file
        // refused in one pass is refused again in the next).
        report.refused.clear();
        let entries = state.entries()?;
        let objects = self.rendered(&entries).await?;
        let scan_root = root.to_owned();
        let disk = tokio::task::spawn_blocking(move || mirror::scan(&scan_root))
            .await
            .map_err(|_| Error::Stopped)??;
        let plan = mirror::plan(&entries, &disk, &objects, allow_mass_delete);
        report.held_deletes = plan.held_deletes.map(|h| HeldDeletes {
            gone: h.gone as u32,
            known: h.known as u32,
        });
        let by_id: HashMap<DocId, &Entry> = entries.iter().map(|e| (e.id.clone(), e)).collect();
        let remembered: HashMap<DocId, PathBuf> = objects
            .iter()
            .filter_map(|o| Some((o.id.clone(), o.path.clone()?)))
            .collect();
        let mut changed = false;
        let now = self.now_ms();
        // Records are committed in batches (a first pass records every file). Each record
        // follows what it records: a written file's folder is synced first, and the record
        // of a change to the workspace is committed before the next action (lost to a
        // crash, it would let the next pass make the object again or apply the edit twice).
        // A written file's record lost to a crash is found again: the next pass sees the
        // file saying what its object says and records it (were the object changed before
        // that pass, the file would read as an edit: a batch holds at most
        // `RECORDS_PER_COMMIT` records to keep that window short).
        let mut writer = mirror::FolderWriter::new(root);
        let mut flush_due = false;
        for action in plan.actions {
            if flush_due || state.pending() >= RECORDS_PER_COMMIT {
                flush(state, &mut writer)?;
            }
            state.begin()?;
            flush_due = matches!(
                action,
                Action::Apply { .. } | Action::Create { .. } | Action::Trash { .. }
            );
            match action {
                Action::Write {
                    id,
                    kind,
                    path,
                    text,
                    heads,
                } => {
                    // Already there (written before a crash kept it from being recorded):
                    // recorded, not written again.
                    let hash = mirror::hash(text.as_bytes());
                    let now_there = hash_of(root, &path);
                    if now_there.as_deref() != Some(hash.as_str()) {
                        // Saved again since the scan: the next pass applies that first.
                        let expected = by_id.get(&id).map(|e| e.hash.as_str());
                        if !unchanged_since(now_there.as_deref(), expected) {
                            changed = true;
                            continue;
                        }
                        writer.write(&path, &text)?;
                        report.written += 1;
                    }
                    if remembered.get(&id).is_some_and(|p| *p != path) {
                        // A new file, not where the object remembers being (that name was
                        // taken): it remembers the new one, and links follow. The entry
                        // keeps the heads it was rendered at, so a change this makes (its
                        // own relative links, recomputed) is written on the next pass.
                        self.follow_path(&id, kind, &path, &entries, false).await?;
                    }
                    keep(
                        state,
                        &Entry {
                            id,
                            kind,
                            path,
                            hash,
                            base: text,
                            heads,
                        },
                    )?;
                }
                Action::Apply {
                    id,
                    path,
                    base,
                    text,
                    hash,
                } => match self.apply_mirror_file(&id, &path, &base, &text).await {
                    Ok(heads) => {
                        keep(
                            state,
                            &Entry {
                                id,
                                kind: base.kind,
                                path,
                                hash,
                                base: text,
                                heads,
                            },
                        )?;
                        report.applied += 1;
                        changed = true;
                    }
                    Err(e) => refuse(state, &path, &e, now, report)?,
                },
                Action::Create { path, text, hash } => {
                    let parent = folder_page(&path, &entries, None);
                    match self.create_from_file(&path, &text, parent).await {
                        Ok((id, kind, carried)) => {
                            // The base is what the file says now; the next pass writes the
                            // file back with its `id:`.
                            let mut entry = Entry {
                                id: id.clone(),
                                kind,
                                path: path.clone(),
                                hash: hash.clone(),
                                base: text,
                                heads: String::new(),
                            };
                            // The file carries another object's id (one in the trash, say):
                            // it gets its own now, or the next pass would take it for that
                            // object's file again, trash this object and make yet another.
                            if carried.is_some_and(|c| c != id)
                                && unchanged_since(hash_of(root, &path).as_deref(), Some(&hash))
                                && let Some((text, _)) = self.render_object(&id).await?
                            {
                                entry.hash = mirror::write_file(root, &path, &text)?;
                                entry.base = text;
                                entry.heads = self.heads_key_of(&id).await?;
                            }
                            keep(state, &entry)?;
                            report.created += 1;
                            changed = true;
                        }
                        Err(e) => refuse(state, &path, &e, now, report)?,
                    }
                }
                Action::Move { id, from: _, to } => {
                    if let Some(entry) = by_id.get(&id) {
                        // The object follows first: a crash before the record repeats the
                        // move, which then changes nothing.
                        self.follow_path(&id, entry.kind, &to, &entries, true)
                            .await?;
                        state.record(&Entry {
                            path: to,
                            ..(*entry).clone()
                        })?;
                        report.moved += 1;
                        changed = true;
                    }
                }
                Action::Trash { id, path } => match self.trash_object(&id).await {
                    Ok(_) | Err(Error::NotFound(_)) => {
                        state.forget(&id)?;
                        report.trashed += 1;
                        changed = true;
                    }
                    Err(e) => refuse(state, &path, &e, now, report)?,
                },
                Action::Forget { id } => {
                    state.forget(&id)?;
                }
                Action::Remove { id, path } => {
                    let now_there = hash_of(root, &path);
                    if !unchanged_since(
                        now_there.as_deref(),
                        by_id.get(&id).map(|e| e.hash.as_str()),
                    ) {
                        changed = true;
                        continue;
                    }
                    mirror::remove_file(root, &path)?;
                    state.forget(&id)?;
                    report.removed += 1;
                }
                Action::Refuse { path, reason } => {
                    state.refuse(&path, &reason, now)?;
                    report.refused.push(SkippedFile {
                        path: path.display().to_string(),
                        reason,
                    });
                }
            }
        }
        flush(state, &mut writer)?;
        Ok(changed)
    }

    /// Pages and decisions as the mirror shows them. An object whose heads did not move
    /// since the mirror last wrote or applied its file is not read again: its text is the
    /// entry's.
    async fn rendered(&self, entries: &[Entry]) -> Result<Vec<Rendered>, Error> {
        let known: HashMap<&DocId, &Entry> = entries.iter().map(|e| (&e.id, e)).collect();
        let store = self.store().clone();
        let heads: HashMap<DocId, String> = tokio::task::spawn_blocking(move || {
            store.heads_blocking().map(|all| {
                all.into_iter()
                    .filter(|(_, _, trashed)| !trashed)
                    .map(|(id, key, _)| (id, key))
                    .collect()
            })
        })
        .await
        .map_err(|_| Error::Stopped)??;
        let mut out = Vec::new();
        for kind in [Kind::Page, Kind::Decision, Kind::Meeting, Kind::Thread] {
            let mut listed = self
                .store()
                .read(move |s| s.list_blocking(Some(kind), false))
                .await?;
            listed.sort_by(|a, b| a.id.cmp(&b.id));
            let mut items = Vec::with_capacity(listed.len());
            for entry in listed {
                let Some(key) = heads.get(&entry.id) else {
                    continue;
                };
                if let Some(e) = known.get(&entry.id).filter(|e| e.heads == *key) {
                    items.push((
                        0,
                        Rendered {
                            id: entry.id.clone(),
                            kind,
                            title: entry.title.clone(),
                            folder: folder_of(kind),
                            path: None,
                            number: None,
                            text: e.base.clone(),
                            heads: key.clone(),
                        },
                    ));
                    continue;
                }
                let Some((text, created, title)) = self.render_named(&entry.id).await? else {
                    continue;
                };
                items.push((
                    created,
                    Rendered {
                        id: entry.id.clone(),
                        kind,
                        title,
                        folder: folder_of(kind),
                        path: None,
                        number: None,
                        text,
                        heads: key.clone(),
                    },
                ));
            }
            // Decision numbers follow the order decisions were recorded.
            items.sort_by(|a, b| (a.0, &a.1.id).cmp(&(b.0, &b.1.id)));
            for (n, (_, mut r)) in items.into_iter().enumerate() {
                if kind == Kind::Decision {
                    r.number = Some(n as u32 + 1);
                }
                out.push(r);
            }
        }
        self.place_new_files(&mut out, &known).await?;
        Ok(out)
    }

    /// The object's file is now at `path` (moved there, made there, or first written
    /// there): the object remembers the path (links by file name and relative links follow
    /// it, and the links that named the old one are rewritten), and a page takes the page
    /// of the folder it is in as its parent (the page tree as folders). `entries` are the
    /// mirror's files, to find that folder's page.
    ///
    /// A file `moved` into a folder without a page makes its page a top-level page; a file
    /// made or written there keeps the parent its object has.
    async fn follow_path(
        &self,
        id: &DocId,
        kind: Kind,
        path: &Path,
        entries: &[Entry],
        moved: bool,
    ) -> Result<(), Error> {
        let folder = match kind {
            Kind::Page => tree::PAGES,
            Kind::Decision => DECISIONS,
            _ => return Ok(()),
        };
        let Some(rel) = path_below(path, folder) else {
            return Ok(());
        };
        self.set_object_path(id, Some(rel)).await?;
        if kind != Kind::Page {
            return Ok(());
        }
        let parent = folder_page(path, entries, Some(id));
        let now = match &self.show_object(id).await?.object {
            Object::Page(p) => p.parent.as_deref().and_then(|p| p.parse::<DocId>().ok()),
            _ => return Ok(()),
        };
        if now != parent && (moved || parent.is_some()) {
            let patch = crate::api::PagePatch {
                parent: Some(parent),
                ..Default::default()
            };
            if let Err(e) = self.update_page(id, patch).await {
                // A folder inside the page's own sub-folder: the tree keeps its parent.
                tracing::warn!(%id, path = %path.display(), error = %e, "the page keeps its parent");
            }
        }
        Ok(())
    }

    /// Where the objects without a file yet go: at the path the object remembers (where
    /// it was imported or mirrored from) when that is free, else a page in its parent's
    /// folder (the page tree as folders, `meridian_vault::mirror::tree`).
    async fn place_new_files(
        &self,
        out: &mut [Rendered],
        known: &HashMap<&DocId, &Entry>,
    ) -> Result<(), Error> {
        if out.iter().all(|r| known.contains_key(&r.id)) {
            return Ok(());
        }
        let mut placed: HashMap<DocId, PathBuf> = known
            .iter()
            .map(|(id, e)| ((*id).clone(), e.path.clone()))
            .collect();
        let paths = self.object_paths().await?;
        for r in out.iter_mut().filter(|r| !known.contains_key(&r.id)) {
            let folder = match r.kind {
                Kind::Page => tree::PAGES,
                Kind::Decision => DECISIONS,
                _ => continue,
            };
            let remembered = paths.get(&r.id).map(|p| Path::new(folder).join(p));
            if let Some(path) = &remembered {
                placed.insert(r.id.clone(), path.clone());
            }
            r.path = remembered;
        }
        let pages: Vec<tree::TreePage> = self
            .page_tree()
            .await?
            .into_iter()
            .map(|n| tree::TreePage {
                id: n.id,
                parent: n.parent,
                title: n.title,
            })
            .collect();
        let folders = tree::page_folders(&pages, &placed);
        for r in out.iter_mut() {
            if r.kind == Kind::Page
                && !known.contains_key(&r.id)
                && let Some(folder) = folders.get(&r.id)
            {
                r.folder = folder.clone();
            }
        }
        Ok(())
    }

    /// A page, decision, meeting or thread as its mirror file, with when it was created;
    /// `None` for other kinds.
    async fn render_object(&self, id: &DocId) -> Result<Option<(String, i64)>, Error> {
        Ok(self
            .render_named(id)
            .await?
            .map(|(text, created, _)| (text, created)))
    }

    /// [`Workspace::render_object`] with the title a new file is named after: a meeting's
    /// starts with its date in the organiser's zone (`meetings/YYYY-MM-DD-slug.md`).
    async fn render_named(&self, id: &DocId) -> Result<Option<(String, i64, String)>, Error> {
        Ok(match self.show_object(id).await?.object {
            Object::Page(p) => Some((
                meridian_vault::render_page(id, &p),
                p.created_at_ms,
                p.title,
            )),
            Object::Decision(d) => Some((
                meridian_vault::render_decision(id, &d),
                d.created_at_ms,
                d.title,
            )),
            Object::Meeting(m) => Some((
                meridian_vault::render_meeting(id, &m),
                m.created_at_ms,
                format!("{} {}", meridian_vault::meeting_date(&m), m.title),
            )),
            Object::Thread(t) => {
                // Reply headings show names; the file's markers keep the member ids.
                let names: BTreeMap<String, String> = self
                    .store()
                    .read(|s| s.list_blocking(Some(Kind::Member), false))
                    .await?
                    .into_iter()
                    .map(|m| (m.id.to_string(), m.title))
                    .collect();
                Some((
                    meridian_vault::render_thread(id, &t, &names),
                    t.created_at_ms,
                    t.title,
                ))
            }
            _ => None,
        })
    }

    /// Applies an edited file to its object, against the text it was based on. Returns the
    /// heads (as the mirror records them) at which the object says what `text` says: when
    /// the object changed meanwhile they are not its heads now, so the next pass renders
    /// it and writes the merged result back.
    async fn apply_mirror_file(
        &self,
        id: &DocId,
        path: &Path,
        base: &Entry,
        text: &str,
    ) -> Result<String, Error> {
        let stem = path.file_stem().and_then(|s| s.to_str()).unwrap_or("");
        let now = self.now_ms();
        // The kind the object has, whatever the file now says: a meeting's or thread's file
        // is read in its own format, strictly (a field it cannot read refuses the file).
        let (_, old) = meridian_vault::parse_as(base.kind, &base.base, stem, now)?;
        let (_, new) =
            meridian_vault::parse_as(base.kind, text, stem, now).map_err(nothing_applied)?;
        refuse_invalid_fields(&old, &new)?;
        let heads = heads_from_key(&base.heads).unwrap_or_default();
        let said_at = self.apply_file_edit(id, &heads, &old, &new).await?;
        Ok(meridian_store::heads_key(&said_at))
    }

    /// Makes a page or decision of a new file, or a meeting or thread of one in
    /// `meetings/` or `threads/` (or saying `kind: meeting|thread`). Returns its id and
    /// kind, and the id the file carried.
    ///
    /// A page or decision remembers the file's path; a page whose front matter names no
    /// parent takes `parent`, the page of the folder it is in.
    async fn create_from_file(
        &self,
        path: &Path,
        text: &str,
        parent: Option<DocId>,
    ) -> Result<(DocId, Kind, Option<DocId>), Error> {
        let stem = path.file_stem().and_then(|s| s.to_str()).unwrap_or("");
        let now = self.now_ms();
        let (carried, parsed) = match meridian_vault::mirror_kind(path, text) {
            Some(kind) => {
                meridian_vault::parse_as(kind, text, stem, now).map_err(nothing_applied)?
            }
            None => meridian_vault::parse_markdown(text, stem, now)?,
        };
        let parsed = match parsed {
            Parsed::Meeting(m) => Parsed::Meeting(self.meeting_from_file(m).await?),
            // Posted as the app posts one, so the charter's rules hold; it gets a new id.
            Parsed::Thread(t) => {
                return Ok((self.thread_from_file(t).await?, Kind::Thread, carried));
            }
            Parsed::Page(mut p) => {
                p.path = path_below(path, tree::PAGES);
                if p.parent.is_none() {
                    p.parent = parent.map(|p| p.to_string());
                }
                Parsed::Page(p)
            }
            Parsed::Decision(mut d) => {
                d.path = path_below(path, DECISIONS);
                Parsed::Decision(d)
            }
        };
        // The file's own id when no object has it (a file made elsewhere, or put back
        // after its object was deleted for good); a new one otherwise.
        let id = match &carried {
            Some(id) if !self.exists(id).await? => id.clone(),
            _ => DocId::from_bytes(rand::random()),
        };
        let kind = match &parsed {
            Parsed::Page(_) => Kind::Page,
            Parsed::Decision(_) => Kind::Decision,
            Parsed::Meeting(_) => Kind::Meeting,
            Parsed::Thread(_) => Kind::Thread,
        };
        let mut results = self.insert_many(vec![(id.clone(), parsed)]).await?;
        match results.pop() {
            Some(Ok(_)) => Ok((id, kind, carried)),
            Some(Err(e)) => Err(e),
            None => Err(Error::Stopped),
        }
    }

    /// Where the mirror is and what it refused.
    pub async fn mirror_status(&self) -> Result<MirrorStatus, Error> {
        let path = self.data_dir().join(MIRROR_DB);
        tokio::task::spawn_blocking(move || {
            let state = MirrorState::open(&path)?;
            Ok(MirrorStatus {
                folder: state.root()?.map(|p| p.display().to_string()),
                last_run: state.last_run()?.map(rfc3339),
                files: state.entries()?.len() as u32,
                refused: state
                    .refusals()?
                    .into_iter()
                    .map(|r| SkippedFile {
                        path: r.path.display().to_string(),
                        reason: r.reason,
                    })
                    .collect(),
                held_deletes: state.held_deletes()?.map(|h| HeldDeletes {
                    gone: h.gone as u32,
                    known: h.known as u32,
                }),
            })
        })
        .await
        .map_err(|_| Error::Stopped)?
    }

    /// The whole path of the mirror file at `rel` (as the mirror reports it), to open it in
    /// the person's editor: refused when it leaves the folder, goes through a symlink or is
    /// not a file there.
    pub fn mirror_file(&self, rel: &str) -> Result<PathBuf, Error> {
        let root = self.mirror_root(&mut self.mirror_state()?, None)?;
        match mirror::file_inside(&root, Path::new(rel)) {
            Ok(Some(file)) => Ok(file),
            Ok(None) => Err(Error::Mirror(format!(
                "{rel} is no longer in the mirror folder"
            ))),
            Err(_) => Err(Error::Mirror(format!(
                "{rel} is not a file of the mirror folder"
            ))),
        }
    }

    /// Keeps the mirror folder and the workspace in step until `stop` turns true: a pass at
    /// start, after every change to the workspace (an edit here or through sync) and to the
    /// folder (a save in any editor, git), and every minute. A pass the disk refused (full,
    /// I/O error) is retried within seconds, and its error logged.
    pub async fn run_mirror(
        &self,
        dir: Option<&Path>,
        stop: watch::Receiver<bool>,
    ) -> Result<(), Error> {
        let (problem, _) = watch::channel(None);
        self.run_mirror_reporting(dir, stop, &problem).await
    }

    /// [`Workspace::run_mirror`], also publishing in `problem` why the last pass failed
    /// (`None` once one succeeds), for the app to show while the mirror keeps retrying.
    pub async fn run_mirror_reporting(
        &self,
        dir: Option<&Path>,
        mut stop: watch::Receiver<bool>,
        problem: &watch::Sender<Option<String>>,
    ) -> Result<(), Error> {
        let root = self.mirror_root(&mut self.mirror_state()?, dir)?;
        // Watching starts before the first pass: a save made while it runs (or just after
        // it wrote the files) would otherwise wait for the next rescan, a minute away.
        let (watcher, changes) = mirror::Watcher::start(&root)?;
        tracing::debug!(folder = %root.display(), polling = watcher.is_polling(), "watching the mirror folder");
        // A first pass the disk refused is retried like any other; anything else (the folder
        // is not this workspace's mirror, its state is unreadable) stops the mirror.
        let mut retry = None;
        match self.mirror_once(Some(&root), false).await {
            Ok(first) => log_pass(&first),
            Err(e) if is_disk_trouble(&e) => {
                let error = explain(&e, &self.data_dir());
                tracing::warn!(%error, "a mirror pass failed; retrying");
                problem.send_replace(Some(error));
                retry = Some(RETRY_FIRST);
            }
            Err(e) => return Err(e),
        }
        // The watcher's channel is a std one (the vault has no runtime): a thread passes
        // its news on.
        let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
        std::thread::Builder::new()
            .name("meridian-mirror-watch".into())
            .spawn(move || {
                while let Ok(change) = changes.recv() {
                    // Every pass scans the whole folder anyway; said for tests and for
                    // people wondering about a busy folder.
                    if change == mirror::Change::Rescan {
                        tracing::debug!(
                            "the mirror folder's watcher may have missed changes (queue overflow, error or new folder): rescanning"
                        );
                    }
                    if tx.send(change).is_err() {
                        break;
                    }
                }
            })
            .map_err(|e| Error::Mirror(format!("cannot watch {}: {e}", root.display())))?;
        let mut events = self.subscribe();
        let mut rescan = tokio::time::interval(RESCAN);
        rescan.reset();
        loop {
            tokio::select! {
                _ = stop.changed() => break,
                change = rx.recv() => {
                    if change.is_none() {
                        break;
                    }
                }
                event = events.recv() => {
                    if matches!(event, Err(tokio::sync::broadcast::error::RecvError::Closed)) {
                        break;
                    }
                }
                _ = rescan.tick() => {}
                () = tokio::time::sleep(retry.unwrap_or(RESCAN)), if retry.is_some() => {}
            }
            // Gather what else comes in the next moment into the same pass.
            let settle = tokio::time::sleep(SETTLE);
            tokio::pin!(settle);
            loop {
                tokio::select! {
                    () = &mut settle => break,
                    Some(_) = rx.recv() => {}
                    Ok(_) = events.recv() => {}
                }
            }
            match self.mirror_once(None, false).await {
                Ok(report) => {
                    log_pass(&report);
                    if retry.take().is_some() {
                        tracing::info!("the mirror caught up after failed passes");
                        problem.send_replace(None);
                    }
                }
                Err(e) => {
                    let error = explain(&e, &self.data_dir());
                    tracing::warn!(%error, "a mirror pass failed; retrying");
                    problem.send_replace(Some(error));
                    retry = Some(retry.map_or(RETRY_FIRST, |r| (r * 2).min(RETRY_MAX)));
                }
            }
            // Our own writes come back as watcher events: the next pass finds every hash
            // as recorded and does nothing, so nothing is drained (a save made meanwhile
            // must not be lost).
        }
        drop(watcher);
        Ok(())
    }
}

/// A failure of the disk (the mirror folder's or the workspace's): full, or an I/O error.
/// The next pass does what this one could not, so the mirror retries rather than stops.
fn is_disk_trouble(e: &Error) -> bool {
    use meridian_store::Error as S;
    use meridian_vault::Error as V;
    matches!(
        e,
        Error::Vault(
            V::WriteFile { .. } | V::CreateDir { .. } | V::RemoveFile { .. } | V::State(_)
        ) | Error::Store(S::DiskFull { .. } | S::Io { .. } | S::Commit { .. })
            | Error::Write { .. }
    )
}

/// A failed pass as the person should read it: a full disk is named as such, with what to
/// do. The mirror folder's disk says so in the write's own error; the workspace's (its
/// database, the mirror's state) is probed, because SQLite reports a shared-memory file it
/// cannot grow as a plain I/O error.
fn explain(e: &Error, data_dir: &Path) -> String {
    use meridian_vault::Error as V;
    let full = |what: &str, dir: &Path| {
        tracing::debug!(error = %e, "the mirror pass failed on a full disk");
        format!(
            "the disk holding {what} {} is full, so the mirror cannot go on: free some space \
             there; it retries on its own and loses nothing",
            dir.display()
        )
    };
    match e {
        Error::Vault(
            V::WriteFile { path, source }
            | V::CreateDir { path, source }
            | V::RemoveFile { path, source },
        ) if source.kind() == std::io::ErrorKind::StorageFull => {
            full("the Markdown folder", path.parent().unwrap_or(path))
        }
        _ if is_disk_trouble(e) && disk_is_full(data_dir) => full("the workspace", data_dir),
        _ => e.to_string(),
    }
}

/// Whether a small probe file cannot be written in `dir` because its disk is full.
fn disk_is_full(dir: &Path) -> bool {
    let probe = dir.join(format!(".meridian-space-probe-{}", std::process::id()));
    let full = std::fs::write(&probe, [0u8; 64 * 1024])
        .is_err_and(|e| e.kind() == std::io::ErrorKind::StorageFull);
    let _ = std::fs::remove_file(&probe);
    full
}

fn refuse(
    state: &mut MirrorState,
    path: &Path,
    error: &Error,
    now: i64,
    report: &mut MirrorReport,
) -> Result<(), Error> {
    let reason = error.to_string();
    tracing::warn!(path = %path.display(), %reason, "a mirror file was not applied");
    state.refuse(path, &reason, now)?;
    report.refused.push(SkippedFile {
        path: path.display().to_string(),
        reason,
    });
    Ok(())
}

/// Makes what a pass wrote durable, then what it recorded, in that order: a record must
/// never outlive a rename lost in a crash (the old file would then read as an edit).
fn flush(state: &mut MirrorState, writer: &mut mirror::FolderWriter) -> Result<(), Error> {
    writer.sync();
    state.commit()?;
    Ok(())
}

/// Records what the mirror now knows of a file, which is no longer refused.
fn keep(state: &mut MirrorState, entry: &Entry) -> Result<(), Error> {
    state.record(entry)?;
    state.clear_refusal(&entry.path)?;
    Ok(())
}

/// Field values the importer could not take (a `review_by` that is no date, an unknown
/// decision status, an `owner` that is no id): it keeps them as properties, which is right
/// for a one-time import but would hide a mistake in a file edited in the mirror, so such
/// a value, new since the base, refuses the whole file with the reason.
fn refuse_invalid_fields(base: &Parsed, new: &Parsed) -> Result<(), Error> {
    const FIELDS: &[(&str, &str)] = &[
        ("review_by", "is not a date (YYYY-MM-DD)"),
        ("parent", "is not the id of a page"),
        ("owner", "is not the id of a member"),
        ("supersedes", "is not the id of a decision"),
        ("superseded_by", "is not the id of a decision"),
        ("decide_by_ms", "is not a time in milliseconds"),
        (
            "original_status",
            "is not a decision status (draft, proposed, accepted, rejected, deprecated, superseded)",
        ),
    ];
    let props = |p: &Parsed| match p {
        Parsed::Page(p) => p.properties.clone(),
        Parsed::Decision(d) => d.properties.clone(),
        // No properties: their parse already refuses what it cannot read.
        Parsed::Meeting(_) | Parsed::Thread(_) => Default::default(),
    };
    let (before, after) = (props(base), props(new));
    for (key, why) in FIELDS {
        if let Some(value) = after.get(*key)
            && before.get(*key) != Some(value)
        {
            let field = if *key == "original_status" {
                "status"
            } else {
                key
            };
            return Err(Error::Mirror(format!(
                "{field}: {} {why}; nothing of this file was applied",
                value.trim_matches('"')
            )));
        }
    }
    Ok(())
}

/// The page of the folder the file at `path` is in (`pages/a.md` or `pages/a/index.md` for
/// `pages/a/b.md`), among the mirror's files, never `not` itself.
fn folder_page(path: &Path, entries: &[Entry], not: Option<&DocId>) -> Option<DocId> {
    let key = |p: &Path| p.to_string_lossy().to_lowercase();
    tree::parent_candidates(path).iter().find_map(|c| {
        entries
            .iter()
            .find(|e| e.kind == Kind::Page && Some(&e.id) != not && key(&e.path) == key(c))
            .map(|e| e.id.clone())
    })
}

/// `path` below the folder of its kind (`pages/a/b.md` → `a/b.md`), `/`-separated.
fn path_below(path: &Path, folder: &str) -> Option<String> {
    let rel = path.strip_prefix(folder).ok()?;
    Some(
        rel.components()
            .map(|c| c.as_os_str().to_string_lossy())
            .collect::<Vec<_>>()
            .join("/"),
    )
}

/// Waits (at most a few seconds) while git changes the folder (`.git/index.lock` exists
/// during a checkout, merge or rebase step), so a pass sees the branch switched, not half
/// of it.
async fn wait_for_git(root: &Path) {
    let lock = root.join(".git").join("index.lock");
    let started = std::time::Instant::now();
    while lock.exists() && started.elapsed() < GIT_WAIT {
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// A meeting or thread file's unreadable field, said as a refusal of the whole file.
fn nothing_applied(e: meridian_vault::Error) -> Error {
    match e {
        meridian_vault::Error::InvalidField { .. } => {
            Error::Mirror(format!("{e}; nothing of this file was applied"))
        }
        other => other.into(),
    }
}

/// The hash of the file at `rel` now, `None` when there is none.
fn hash_of(root: &Path, rel: &Path) -> Option<String> {
    std::fs::read(root.join(rel)).ok().map(|b| mirror::hash(&b))
}

/// Whether a file (`now`: the hash of what is there, `None` if nothing is) is still what
/// the mirror recorded (`expected`; a file the mirror never wrote must not exist).
fn unchanged_since(now: Option<&str>, expected: Option<&str>) -> bool {
    match (now, expected) {
        (Some(now), Some(hash)) => now == hash,
        (Some(_), None) => false,
        (None, _) => true,
    }
}

fn folder_of(kind: Kind) -> PathBuf {
    PathBuf::from(match kind {
        Kind::Decision => DECISIONS,
        Kind::Meeting => "meetings",
        Kind::Thread => "threads",
        _ => tree::PAGES,
    })
}

fn log_pass(r: &MirrorReport) {
    if r.written + r.applied + r.created + r.moved + r.trashed + r.removed > 0 {
        tracing::info!(
            written = r.written,
            applied = r.applied,
            created = r.created,
            moved = r.moved,
            trashed = r.trashed,
            removed = r.removed,
            "mirror pass"
        );
    }
    for f in &r.refused {
        tracing::warn!(path = %f.path, reason = %f.reason, "mirror file refused");
    }
    if let Some(h) = r.held_deletes {
        tracing::warn!(
            gone = h.gone,
            known = h.known,
            "many mirror files disappeared at once: nothing was trashed (run `meridian mirror --once --allow-mass-delete` if that was meant)"
        );
    }
}
