//! Links between objects and the page tree, derived from the documents.
//!
//! What each document links to (and, for pages, its parent, tags, owner and review date)
//! is cached in memory keyed by each document's heads, so a query re-reads only the
//! documents that changed since the last one, whoever changed them (this device, a sync
//! merge, another process on the same folder). Nothing here is stored: it is a cache.

use meridian_core::links::Link;

use super::*;

/// What one document says about its links.
#[derive(Debug, Clone, Default)]
pub(super) struct Facts {
    /// The document's heads when it was read.
    heads: String,
    links: Vec<Link>,
    page: Option<PageFacts>,
    /// A thread's message kind.
    message_kind: Option<String>,
}

#[derive(Debug, Clone, Default)]
struct PageFacts {
    parent: Option<DocId>,
    tags: Vec<String>,
    owner: Option<String>,
    review_by: Option<String>,
}

/// Kinds whose documents hold prose, and so links.
const LINKING: [Kind; 4] = [Kind::Page, Kind::Decision, Kind::Meeting, Kind::Thread];

type FactsById = HashMap<DocId, Arc<Facts>>;
pub(super) type LinkCache = Mutex<FactsById>;

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

    /// Each thread's message kind, for the message board.
    pub async fn thread_kinds(&self) -> Result<Vec<ThreadKind>, Error> {
        let (_, facts) = self.link_facts().await?;
        Ok(facts
            .into_iter()
            .filter_map(|(id, f)| {
                let kind = f.message_kind.clone()?;
                Some(ThreadKind { id, kind })
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
        let resolver = Resolver::new(&entries);
        let outgoing = facts
            .get(id)
            .map(|f| {
                f.links
                    .iter()
                    .map(|l| LinkView {
                        target: l.target().to_owned(),
                        object: resolver
                            .resolve(l)
                            .and_then(|t| by_id.get(t))
                            .map(|e| summary((*e).clone())),
                    })
                    .collect()
            })
            .unwrap_or_default();
        let mut backlinks: Vec<ObjectSummary> = entries
            .iter()
            .filter(|e| e.id != me.id)
            .filter(|e| {
                facts
                    .get(&e.id)
                    .is_some_and(|f| f.links.iter().any(|l| resolver.resolve(l) == Some(&me.id)))
            })
            .map(|e| summary(e.clone()))
            .collect();
        backlinks.sort_by(|a, b| b.updated_at.cmp(&a.updated_at));
        Ok(Links {
            outgoing,
            backlinks,
        })
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
    async fn link_facts(&self) -> Result<(Vec<CatalogEntry>, FactsById), Error> {
        let cached: FactsById = lock(&self.inner.links).clone();
        let (entries, fresh) = self
            .inner
            .store
            .read(move |store| -> Result<_, Error> {
                let entries = store.list_blocking(None, false)?;
                let heads: HashMap<DocId, String> = store
                    .heads_blocking()?
                    .into_iter()
                    .map(|(id, heads, _)| (id, heads))
                    .collect();
                let mut fresh = HashMap::with_capacity(entries.len());
                for e in entries.iter().filter(|e| LINKING.contains(&e.kind)) {
                    let Some(heads) = heads.get(&e.id) else {
                        continue;
                    };
                    let facts = match cached.get(&e.id) {
                        Some(f) if &f.heads == heads => f.clone(),
                        _ => Arc::new(read_facts(store, e, heads.clone())?),
                    };
                    fresh.insert(e.id.clone(), facts);
                }
                Ok((entries, fresh))
            })
            .await?;
        *lock(&self.inner.links) = fresh.clone();
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

fn read_facts(store: &Store, entry: &CatalogEntry, heads: String) -> Result<Facts, Error> {
    let doc = store.load_blocking(&entry.id, TextEncoding::Utf16CodeUnit)?;
    let object = meridian_core::read_any(&doc)?;
    let page = match &object {
        Object::Page(p) => Some(PageFacts {
            parent: p.parent.as_deref().and_then(|s| s.parse().ok()),
            tags: p.tags.clone(),
            owner: p.owner.clone(),
            review_by: p.review_by.clone(),
        }),
        _ => None,
    };
    Ok(Facts {
        heads,
        links: object.links(),
        page,
        message_kind: match &object {
            Object::Thread(t) => Some(t.message_kind.clone()),
            _ => None,
        },
    })
}

fn is_past(date: &str, today: chrono::NaiveDate) -> bool {
    meridian_core::parse_date("review_by", date).is_ok_and(|d| d < today)
}

/// Finds the object a link names: by id, by title (any case), or by a mirror file name
/// (`pages/hiring-plan.md` names the object whose title slugs to `hiring-plan`).
struct Resolver<'a> {
    ids: HashMap<String, &'a DocId>,
    titles: HashMap<String, &'a DocId>,
    slugs: HashMap<String, &'a DocId>,
}

impl<'a> Resolver<'a> {
    fn new(entries: &'a [CatalogEntry]) -> Self {
        let mut r = Resolver {
            ids: HashMap::new(),
            titles: HashMap::new(),
            slugs: HashMap::new(),
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
        }
        r
    }

    fn resolve(&self, link: &Link) -> Option<&'a DocId> {
        let t = link.target().trim();
        if let Some(id) = self.ids.get(t) {
            return Some(id);
        }
        match link {
            Link::Wiki(_) => self.titles.get(&t.to_lowercase()).copied(),
            Link::Markdown(_) => {
                if t.contains("://") || t.starts_with('#') || t.starts_with("mailto:") {
                    return None;
                }
                let file = t.rsplit('/').next().unwrap_or(t);
                let file = file.split('#').next().unwrap_or(file);
                let stem = file.strip_suffix(".md").unwrap_or(file);
                if let Some(id) = self.ids.get(stem) {
                    return Some(id);
                }
                self.slugs.get(stem).copied()
            }
        }
    }
}
