//! Links between objects and the page tree, derived from the documents.
//!
//! What each document links to (and, for pages, its parent, tags, owner and review date)
//! is cached in memory keyed by each document's heads, so a query re-reads only the
//! documents that changed since the last one, whoever changed them (this device, a sync
//! merge, another process on the same folder). Nothing here is stored: it is a cache.

use meridian_core::links::{
    Link, LinkKind, file_stem, join_path, parent_dir, relative_path, strip_md,
};

use super::*;

/// What one document says about its links.
#[derive(Debug, Clone, Default, serde::Serialize, serde::Deserialize)]
pub(super) struct Facts {
    /// The document's heads when it was read (stored beside the facts, not in them).
    #[serde(skip)]
    heads: String,
    pub(super) links: Vec<Link>,
    /// The file a page or decision was imported or mirrored as (`Page::path`).
    pub(super) path: Option<String>,
    page: Option<PageFacts>,
    /// A thread's message kind.
    message_kind: Option<String>,
    /// The whole object, for the kinds the derived views read ([`VIEWED`]): the inbox,
    /// the team clock and notifications take them from here instead of loading every
    /// document ([`Workspace::typed`]).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(super) object: Option<Object>,
}

#[derive(Debug, Clone, Default, serde::Serialize, serde::Deserialize)]
struct PageFacts {
    parent: Option<DocId>,
    tags: Vec<String>,
    owner: Option<String>,
    review_by: Option<String>,
}

/// Kinds whose documents hold prose, and so links.
const LINKING: [Kind; 4] = [Kind::Page, Kind::Decision, Kind::Meeting, Kind::Thread];

/// Kinds the derived views read whole (pages are not among them: their bodies stay in
/// their documents).
pub(super) const VIEWED: [Kind; 6] = [
    Kind::Member,
    Kind::Decision,
    Kind::Meeting,
    Kind::Thread,
    Kind::Checkin,
    Kind::Task,
];

/// Kinds whose facts are cached: those that link, and those the views read.
fn cached_kind(kind: Kind) -> bool {
    LINKING.contains(&kind) || VIEWED.contains(&kind)
}

pub(super) type FactsById = HashMap<DocId, Arc<Facts>>;
pub(super) type LinkCache = Mutex<LinkState>;

/// What [`Workspace::link_facts`] last read, and the store's generation then: while the
/// generation is the same, nothing in the store changed and the answer is reused whole.
#[derive(Debug, Default)]
pub(super) struct LinkState {
    facts: Arc<FactsById>,
    entries: Arc<Vec<CatalogEntry>>,
    at: Option<meridian_store::Generation>,
    /// Every link resolved, both ways, from `facts` (built on first use).
    backlinks: Option<Arc<Resolved>>,
}

/// Every object's links resolved: what each link of an object names (in the order of
/// `Facts::links`), and for each object what links to it.
#[derive(Debug, Default)]
struct Resolved {
    outgoing: HashMap<DocId, Vec<Option<DocId>>>,
    incoming: HashMap<DocId, Vec<DocId>>,
}

impl LinkState {
    /// Forgets document `id` (deleted for good).
    pub(super) fn remove(&mut self, id: &DocId) {
        Arc::make_mut(&mut self.facts).remove(id);
        self.at = None;
        self.backlinks = None;
    }
}

impl Workspace {
    /// Every page with its parent, tags, owner and review date, ordered by title; whether
    /// its review date has passed is judged by today's date in my zone.
    pub async fn page_tree(&self) -> Result<Vec<PageNode>, Error> {
        let (entries, facts) = self.link_facts().await?;
        let today = self.my_today();
        let mut out: Vec<PageNode> = entries
            .iter()
            .filter(|e| e.kind == Kind::Page)
            .filter_map(|e| {
                let p = facts.get(&e.id)?.page.clone()?;
                Some(PageNode {
                    id: e.id.clone(),
                    title: e.title.clone(),
                    parent: p.parent.filter(|parent| facts.contains_key(parent)),
                    stale: p.review_by.as_deref().is_some_and(|r| is_past(r, today)),
                    tags: p.tags,
                    owner: p.owner,
                    review_by: p.review_by,
                    updated_at: rfc3339(e.updated_at_ms),
                })
            })
            .collect();
        out.sort_by_cached_key(|n| (n.title.to_lowercase(), n.id.to_string()));
        Ok(out)
    }

    /// The file each page and decision remembers (`path`), from the link facts, so a
    /// caller that needs every path does not load every document.
    pub(crate) async fn object_paths(&self) -> Result<HashMap<DocId, String>, Error> {
        let (_, facts) = self.link_facts().await?;
        Ok(facts
            .iter()
            .filter_map(|(id, f)| Some((id.clone(), f.path.clone()?)))
            .collect())
    }

    /// Each thread's message kind, for the message board.
    pub async fn thread_kinds(&self) -> Result<Vec<ThreadKind>, Error> {
        let (_, facts) = self.link_facts().await?;
        Ok(facts
            .iter()
            .filter_map(|(id, f)| {
                let kind = f.message_kind.clone()?;
                Some(ThreadKind {
                    id: id.clone(),
                    kind,
                })
            })
            .collect())
    }

    /// What an object links to (resolved where the target is an object) and what links
    /// to it.
    pub async fn links(&self, id: &DocId) -> Result<Links, Error> {
        let (entries, facts) = self.link_facts().await?;
        let by_id: HashMap<&DocId, &CatalogEntry> = entries.iter().map(|e| (&e.id, e)).collect();
        let Some(me) = by_id.get(id) else {
            return Err(Error::NotFound(id.clone()));
        };
        let index = self.resolved_links(&entries, &facts).await?;
        let targets = index.outgoing.get(id);
        let outgoing = facts
            .get(id)
            .map(|f| {
                f.links
                    .iter()
                    .enumerate()
                    .map(|(i, l)| LinkView {
                        target: l.display(),
                        object: targets
                            .and_then(|t| t.get(i)?.as_ref())
                            .and_then(|t| by_id.get(t))
                            .map(|e| summary((*e).clone())),
                    })
                    .collect()
            })
            .unwrap_or_default();
        let mut backlinks: Vec<ObjectSummary> = index
            .incoming
            .get(&me.id)
            .into_iter()
            .flatten()
            .filter_map(|from| by_id.get(from))
            .map(|e| summary((*e).clone()))
            .collect();
        backlinks.sort_by(|a, b| b.updated_at.cmp(&a.updated_at));
        Ok(Links {
            outgoing,
            backlinks,
        })
    }

    /// Every link resolved both ways, for `entries` and `facts` as
    /// [`Workspace::link_facts`] gave them: resolved once after each change to the store
    /// (every link of every object, on a blocking thread), then reused by every links
    /// query until the next.
    async fn resolved_links(
        &self,
        entries: &Arc<Vec<CatalogEntry>>,
        facts: &Arc<FactsById>,
    ) -> Result<Arc<Resolved>, Error> {
        {
            let state = lock(&self.inner.links);
            if let Some(index) = &state.backlinks
                && Arc::ptr_eq(&state.entries, entries)
            {
                return Ok(index.clone());
            }
        }
        let (all, by) = (entries.clone(), facts.clone());
        let index = tokio::task::spawn_blocking(move || {
            let resolver = Resolver::new(&all, &by, None);
            let mut index = Resolved::default();
            for e in all.iter() {
                let Some(f) = by.get(&e.id) else { continue };
                let targets: Vec<Option<DocId>> = f
                    .links
                    .iter()
                    .map(|l| {
                        resolver
                            .resolve(l, f.path.as_deref())
                            .map(|(t, _)| t.clone())
                    })
                    .collect();
                let mut to: Vec<&DocId> =
                    targets.iter().flatten().filter(|t| **t != e.id).collect();
                to.sort();
                to.dedup();
                for t in to {
                    index
                        .incoming
                        .entry(t.clone())
                        .or_default()
                        .push(e.id.clone());
                }
                index.outgoing.insert(e.id.clone(), targets);
            }
            Arc::new(index)
        })
        .await
        .map_err(|_| Error::Stopped)?;
        let mut state = lock(&self.inner.links);
        if Arc::ptr_eq(&state.entries, entries) {
            state.backlinks = Some(index.clone());
        }
        Ok(index)
    }

    /// Every link in the workspace's prose that could name an object but names none here
    /// (a file the import did not have, a misspelt title), by the linking object's title.
    /// URLs, `mailto:`, links to a heading of the same text and links to attachments
    /// (images, PDFs) are not links to objects and are never listed.
    pub async fn unresolved_links(&self) -> Result<Vec<UnresolvedLink>, Error> {
        let (entries, facts) = self.link_facts().await?;
        let resolver = Resolver::new(&entries, &facts, None);
        let mut from: Vec<&CatalogEntry> = entries
            .iter()
            .filter(|e| facts.contains_key(&e.id))
            .collect();
        from.sort_by_cached_key(|e| (e.title.to_lowercase(), e.id.to_string()));
        let mut out = Vec::new();
        for e in from {
            let Some(f) = facts.get(&e.id) else {
                continue;
            };
            for l in f.links.iter().filter(|l| l.may_name_object()) {
                if resolver.resolve(l, f.path.as_deref()).is_none() {
                    out.push(UnresolvedLink {
                        from: summary(e.clone()),
                        target: l.target.clone(),
                        wiki: l.kind == LinkKind::Wiki,
                    });
                }
            }
        }
        Ok(out)
    }

    /// Refuses a parent that would put a page inside itself.
    pub(super) async fn check_parent(
        &self,
        page: Option<&DocId>,
        parent: &DocId,
    ) -> Result<(), Error> {
        let (entries, facts) = self.link_facts().await?;
        match entries.iter().find(|e| &e.id == parent) {
            None => return Err(Error::NotFound(parent.clone())),
            Some(e) if e.kind != Kind::Page => {
                return Err(Error::WrongKind {
                    id: parent.clone(),
                    expected: Kind::Page,
                    found: e.kind,
                });
            }
            Some(_) => {}
        }
        let mut at = Some(parent.clone());
        let mut steps = 0;
        while let Some(p) = at {
            if Some(&p) == page {
                return Err(meridian_core::Error::InvalidRange {
                    field: "parent",
                    detail: "a page cannot be placed inside itself or one of its own sub-pages"
                        .into(),
                }
                .into());
            }
            let Some(f) = facts.get(&p) else {
                return Ok(());
            };
            at = f.page.as_ref().and_then(|pf| pf.parent.clone());
            steps += 1;
            if steps > facts.len() {
                return Ok(());
            }
        }
        Ok(())
    }

    /// The catalog and each linking document's facts, re-reading only what changed.
    /// Runs on a blocking thread: a changed document is loaded whole.
    ///
    /// What was read is kept in the store's derived cache too (keyed by heads), so a new
    /// process (each CLI command, the app after a start) loads only the documents that
    /// changed since some process last read them, not every document.
    pub(super) async fn link_facts(
        &self,
    ) -> Result<(Arc<Vec<CatalogEntry>>, Arc<FactsById>), Error> {
        let (cached, cached_entries, at) = {
            let state = lock(&self.inner.links);
            (state.facts.clone(), state.entries.clone(), state.at.clone())
        };
        let known = cached.clone();
        let read = self
            .inner
            .store
            .read(move |store| -> Result<_, Error> {
                let cached = known;
                // Read first: whatever is written meanwhile has a later generation, so the
                // next call reads it.
                let generation = store.generation_blocking()?;
                if at.as_ref() == Some(&generation) {
                    return Ok(None);
                }
                let entries = store.list_blocking(None, false)?;
                let heads: HashMap<DocId, String> = store
                    .heads_blocking()?
                    .into_iter()
                    .map(|(id, heads, _)| (id, heads))
                    .collect();
                // The stored facts, read once per process (while nothing is cached).
                let mut stored: HashMap<DocId, (String, Vec<u8>)> = if cached.is_empty() {
                    store
                        .derived_blocking()?
                        .into_iter()
                        .map(|(id, heads, data)| (id, (heads, data)))
                        .collect()
                } else {
                    HashMap::new()
                };
                let mut fresh = HashMap::with_capacity(entries.len());
                let mut new_rows = Vec::new();
                for e in entries.iter().filter(|e| cached_kind(e.kind)) {
                    let Some(heads) = heads.get(&e.id) else {
                        continue;
                    };
                    let facts = match cached.get(&e.id) {
                        Some(f) if &f.heads == heads => f.clone(),
                        _ => match stored
                            .remove(&e.id)
                            .and_then(|row| from_row(row, heads, e.kind))
                        {
                            Some(f) => Arc::new(f),
                            None => {
                                let f = read_facts(store, e, heads.clone())?;
                                if let Ok(data) = serde_json::to_vec(&f) {
                                    new_rows.push((e.id.clone(), heads.clone(), data));
                                }
                                Arc::new(f)
                            }
                        },
                    };
                    fresh.insert(e.id.clone(), facts);
                }
                Ok(Some((entries, fresh, new_rows, generation)))
            })
            .await?;
        let Some((entries, fresh, new_rows, generation)) = read else {
            return Ok((cached_entries, cached));
        };
        let (entries, fresh) = (Arc::new(entries), Arc::new(fresh));
        {
            let mut state = lock(&self.inner.links);
            state.facts = fresh.clone();
            state.entries = entries.clone();
            state.at = Some(generation);
            state.backlinks = None;
        }
        self.counters().link_facts(new_rows.len());
        if !new_rows.is_empty() {
            // A cache: the answer does not wait for it, and a failed write only means the
            // next process reads those documents again.
            let stored = self.inner.store.put_derived(new_rows);
            tokio::spawn(async move {
                if let Err(error) = stored.await {
                    tracing::warn!(%error, "the derived link facts were not stored");
                }
            });
        }
        Ok((entries, fresh))
    }

    fn my_today(&self) -> chrono::NaiveDate {
        let tz: chrono_tz::Tz = self
            .workspace_info()
            .me
            .tz
            .parse()
            .unwrap_or(chrono_tz::UTC);
        chrono::DateTime::from_timestamp_millis(self.now_ms())
            .unwrap_or_default()
            .with_timezone(&tz)
            .date_naive()
    }
}

/// Facts stored at `heads`, if the row is of those heads and reads.
fn from_row((stored, data): (String, Vec<u8>), heads: &str, kind: Kind) -> Option<Facts> {
    if stored != heads {
        return None;
    }
    let mut facts: Facts = serde_json::from_slice(&data).ok()?;
    if facts.object.is_none() && VIEWED.contains(&kind) {
        // Stored before the views' objects were kept with the facts: read it again.
        return None;
    }
    facts.heads = stored;
    Some(facts)
}

fn read_facts(store: &Store, entry: &CatalogEntry, heads: String) -> Result<Facts, Error> {
    let doc = store.load_blocking(&entry.id, TextEncoding::Utf16CodeUnit)?;
    let object = meridian_core::read_any(&doc)?;
    Ok(facts_of(&object, heads))
}

/// The derived-cache row of a document just made from `object` (at `heads`, as the
/// store's heads key): an import stores its documents' link facts with them, so the first
/// page tree or backlinks after it need not load every document again.
pub(super) fn derived_row(
    id: &DocId,
    object: &Object,
    heads: String,
) -> Option<(DocId, String, Vec<u8>)> {
    if !cached_kind(object.kind()) {
        return None;
    }
    let data = serde_json::to_vec(&facts_of(object, heads.clone())).ok()?;
    Some((id.clone(), heads, data))
}

fn facts_of(object: &Object, heads: String) -> Facts {
    let page = match &object {
        Object::Page(p) => Some(PageFacts {
            parent: p.parent.as_deref().and_then(|s| s.parse().ok()),
            tags: p.tags.clone(),
            owner: p.owner.clone(),
            review_by: p.review_by.clone(),
        }),
        _ => None,
    };
    Facts {
        heads,
        links: object.links(),
        path: object.path().map(str::to_owned),
        page,
        message_kind: match &object {
            Object::Thread(t) => Some(t.message_kind.clone()),
            _ => None,
        },
        object: VIEWED.contains(&object.kind()).then(|| object.clone()),
    }
}

fn is_past(date: &str, today: chrono::NaiveDate) -> bool {
    meridian_core::parse_date("review_by", date).is_ok_and(|d| d < today)
}

/// How a link found its object. Links found by a file's name or path follow the file when
/// it moves (`Workspace::set_object_path` rewrites them); links by id or title do not
/// need to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum By {
    Id,
    /// The whole path, from the folder's root.
    Path,
    /// The last components of a path (`[[features/graph-view]]`).
    Suffix,
    /// The file name without `.md` (`[[graph-view]]`).
    Stem,
    /// A path relative to the linking object's own file (`../remote/index.md`).
    Relative,
    Title,
    /// A slug of the title (`pages/hiring-plan.md` names "Hiring plan").
    Slug,
}

/// Finds the object a link names. A wikilink: by id, by path (with or without `.md`), by
/// the last components of a path, by file name (several files of one name: the shortest
/// path), by title (any case), by the slug of a title. A Markdown link: by id, by a path
/// relative to the linking object's own file (`./`, `../`, a trailing `/` for its
/// `index.md`, `.md` left out), by file name when it has no folder, by the slug of a
/// title. A path is the one a page or decision remembers (`Page::path`).
pub(super) struct Resolver<'a> {
    ids: HashMap<String, &'a DocId>,
    titles: HashMap<String, &'a DocId>,
    slugs: HashMap<String, &'a DocId>,
    /// Lowercased path → object.
    paths: HashMap<String, &'a DocId>,
    /// Lowercased file stem → (lowercased path, object), the preferred first.
    stems: HashMap<String, Vec<(String, &'a DocId)>>,
    path_of: HashMap<&'a DocId, &'a str>,
    kind_of: HashMap<&'a DocId, Kind>,
}

impl<'a> Resolver<'a> {
    /// `moved` overrides one object's path: the resolver as it will be once it moved.
    pub(super) fn new(
        entries: &'a [CatalogEntry],
        facts: &'a FactsById,
        moved: Option<(&'a DocId, Option<&'a str>)>,
    ) -> Self {
        let mut r = Resolver {
            ids: HashMap::new(),
            titles: HashMap::new(),
            slugs: HashMap::new(),
            paths: HashMap::new(),
            stems: HashMap::new(),
            path_of: HashMap::new(),
            kind_of: HashMap::new(),
        };
        // Oldest last, so the most recently updated object wins a shared title.
        for e in entries.iter().rev() {
            if matches!(e.kind, Kind::Workspace | Kind::Charter) {
                continue;
            }
            r.ids.insert(e.id.to_string(), &e.id);
            r.titles.insert(e.title.trim().to_lowercase(), &e.id);
            let slug = meridian_vault::slugify(&e.title, "");
            if !slug.is_empty() {
                r.slugs.insert(slug, &e.id);
            }
            r.kind_of.insert(&e.id, e.kind);
            let path = match moved {
                Some((id, path)) if id == &e.id => path,
                _ => facts.get(&e.id).and_then(|f| f.path.as_deref()),
            };
            if let Some(path) = path {
                r.path_of.insert(&e.id, path);
            }
        }
        // Paths in a stable order, so which of two files wins does not depend on the
        // catalog's order: the shortest path, then the first by name.
        let mut by_path: Vec<(&'a str, &'a DocId)> =
            r.path_of.iter().map(|(id, p)| (*p, *id)).collect();
        by_path.sort_by_key(|(p, id)| (p.split('/').count(), p.len(), *p, *id));
        for (path, id) in by_path {
            let lower = path.to_lowercase();
            r.stems
                .entry(file_stem(&lower).to_owned())
                .or_default()
                .push((lower.clone(), id));
            r.paths.entry(lower).or_insert(id);
        }
        r
    }

    /// The path object `id` remembers.
    pub(super) fn path_of(&self, id: &DocId) -> Option<&'a str> {
        self.path_of.get(id).copied()
    }

    pub(super) fn kind_of(&self, id: &DocId) -> Option<Kind> {
        self.kind_of.get(id).copied()
    }

    /// The object `link` names, written in an object whose file is `from` (`None`: an
    /// object with no file, whose relative links start at the root), and how it was found.
    pub(super) fn resolve(&self, link: &Link, from: Option<&str>) -> Option<(&'a DocId, By)> {
        if link.is_external() || link.is_attachment() {
            return None;
        }
        let t = link.target.trim();
        if let Some(id) = self.ids.get(t) {
            return Some((id, By::Id));
        }
        let dir = from.map_or("", parent_dir);
        match link.kind {
            LinkKind::Wiki => {
                if t.starts_with("./") || t.starts_with("../") {
                    let (path, above) = join_path(dir, t);
                    if let Some(id) = self.relative(&path, above) {
                        return Some((id, By::Relative));
                    }
                } else {
                    let lower = t.trim_start_matches('/').to_lowercase();
                    let bare = strip_md(&lower);
                    if let Some(id) = self.paths.get(&format!("{bare}.md")) {
                        return Some((id, By::Path));
                    }
                    let found = if bare.contains('/') {
                        let suffix = format!("/{bare}.md");
                        self.stems
                            .get(file_stem(bare))
                            .and_then(|l| l.iter().find(|(p, _)| p.ends_with(&suffix)))
                            .map(|(_, id)| (*id, By::Suffix))
                    } else {
                        self.stems
                            .get(bare)
                            .and_then(|l| l.first())
                            .map(|(_, id)| (*id, By::Stem))
                    };
                    if found.is_some() {
                        return found;
                    }
                }
                if let Some(id) = self.titles.get(&t.to_lowercase()) {
                    return Some((id, By::Title));
                }
                let slug = meridian_vault::slugify(t, "");
                self.slugs.get(&slug).map(|id| (*id, By::Slug))
            }
            LinkKind::Markdown => {
                // A mirror file named by id (`pages/<id>.md`).
                let stem = file_stem(t);
                if let Some(id) = self.ids.get(stem) {
                    return Some((id, By::Id));
                }
                let (path, above) = join_path(dir, t);
                if let Some(id) = self.relative(&path, above) {
                    let by = if t.starts_with('/') {
                        By::Path
                    } else {
                        By::Relative
                    };
                    return Some((id, by));
                }
                if !t.contains('/') {
                    let lower = stem.to_lowercase();
                    if let Some((_, id)) = self.stems.get(&lower).and_then(|l| l.first()) {
                        return Some((id, By::Stem));
                    }
                }
                self.slugs
                    .get(stem)
                    .or_else(|| self.slugs.get(&stem.to_lowercase()))
                    .map(|id| (*id, By::Slug))
            }
        }
    }

    /// The object at `path` (from [`join_path`]: relative to the root, `above` levels
    /// climbed above it). A trailing `/` means the folder's `index.md` (or `README.md`, or
    /// the file of the folder's name), a path without `.md` the file with it or the
    /// folder's `index.md`. Climbing above the
    /// root leaves a mirror folder's `pages/` for its `decisions/` (or the reverse).
    fn relative(&self, path: &str, above: usize) -> Option<&'a DocId> {
        let lower = path.to_lowercase();
        let (lower, kind) = if above > 0 {
            let (root, rest) = lower.split_once('/')?;
            let kind = match root {
                "pages" => Kind::Page,
                "decisions" => Kind::Decision,
                _ => return None,
            };
            (rest.to_owned(), Some(kind))
        } else {
            (lower, None)
        };
        let candidates: Vec<String> = if lower.is_empty() {
            vec!["index.md".to_owned(), "readme.md".to_owned()]
        } else if let Some(folder) = lower.strip_suffix('/') {
            // Sites built from docs (the handbook's) serve `x.md` at `x/` too.
            vec![
                format!("{lower}index.md"),
                format!("{lower}readme.md"),
                format!("{folder}.md"),
            ]
        } else if lower.ends_with(".md") {
            vec![lower]
        } else {
            vec![format!("{lower}.md"), format!("{lower}/index.md"), lower]
        };
        candidates.iter().find_map(|c| {
            let id = self.paths.get(c)?;
            match kind {
                Some(k) if self.kind_of(id) != Some(k) => None,
                _ => Some(*id),
            }
        })
    }
}

/// The folder a mirror keeps objects of `kind` in, for links between them.
pub(super) fn kind_folder(kind: Kind) -> &'static str {
    match kind {
        Kind::Decision => "decisions",
        _ => "pages",
    }
}

/// `relative_path` between the two roots of a mirror folder (a page linking a decision).
pub(super) fn relative_across(from_kind: Kind, from_dir: &str, to_kind: Kind, to: &str) -> String {
    let from = match from_dir {
        "" => kind_folder(from_kind).to_owned(),
        d => format!("{}/{d}", kind_folder(from_kind)),
    };
    relative_path(&from, &format!("{}/{to}", kind_folder(to_kind)))
}
