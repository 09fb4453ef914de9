//! The file a page or decision remembers (`Page::path`), and what moving it does to the
//! links that found it by that file: they are rewritten in every object's prose, so links
//! keep resolving after a file was renamed or moved in a folder (issue 17).

use meridian_core::links::{
    Link, LinkKind, LinkSpan, Prose, file_stem, join_path, normalize_path, parent_dir,
    percent_encode_path, relative_path, rewrite_links, strip_md,
};
use meridian_core::{Meeting, Thread};

use super::links::{By, Facts, Resolver, relative_across};
use super::*;

impl Workspace {
    /// Records that page or decision `id` is now the file `path` (relative to the root of
    /// its kind's folder, `/`-separated; `None`: no file), and rewrites the links that
    /// found it by its old file, in the prose of every page, decision, meeting and thread:
    /// `[[old-name]]` becomes `[[new-name]]` (its `#heading` and `|shown text` kept),
    /// `[[folder/old-name]]` the new path, a relative Markdown link the new path relative
    /// to the linking file. Links by id or title are left as they are, except where the
    /// moved file would now take them from the object they named (then they name that
    /// object by its path). The object's own relative links are recomputed from its new
    /// folder. Every change is an ordinary edit: it syncs like any other.
    ///
    /// Returns the other objects whose prose changed.
    pub async fn set_object_path(
        &self,
        id: &DocId,
        path: Option<String>,
    ) -> Result<Vec<DocId>, Error> {
        let new_path = path.as_deref().map(normalize_path).transpose()?;
        let (entries, facts) = self.link_facts().await?;
        let Some(entry) = entries.iter().find(|e| &e.id == id) else {
            // Trashed (the catalog lists only live objects here): nothing links to it that
            // needs to keep working, so only its path changes.
            let entry = self
                .catalog_entry(id)
                .await?
                .ok_or_else(|| Error::NotFound(id.clone()))?;
            check_kind(id, entry.kind)?;
            self.set_path_only(id, entry.kind, new_path).await?;
            return Ok(Vec::new());
        };
        check_kind(id, entry.kind)?;
        let old_path = facts.get(id).and_then(|f| f.path.clone());
        if old_path == new_path {
            return Ok(Vec::new());
        }
        let mv = Move {
            id,
            before: Resolver::new(&entries, &facts, None),
            after: Resolver::new(&entries, &facts, Some((id, new_path.as_deref()))),
        };
        // Which objects have a link to rewrite, decided on the cached links; the texts
        // are rewritten on each document as it is when it is changed.
        let mut linkers: Vec<(&DocId, Kind)> = entries
            .iter()
            .filter(|e| &e.id != id)
            .filter(|e| {
                facts.get(&e.id).is_some_and(|f| {
                    let from = f.path.as_deref();
                    f.links.iter().any(|l| mv.wants(l, &e.id, from).is_some())
                })
            })
            .map(|e| (&e.id, e.kind))
            .collect();
        linkers.sort_by_key(|(id, _)| id.to_string());

        let own = mv.with_paths(id, facts.get(id).map(Arc::as_ref));
        match entry.kind {
            Kind::Page => {
                self.update::<Page>(id, |p| {
                    p.path = new_path.clone();
                    own.rewrite(p);
                    Ok(())
                })
                .await?;
            }
            _ => {
                self.update::<Decision>(id, |d| {
                    d.path = new_path.clone();
                    own.rewrite(d);
                    Ok(())
                })
                .await?;
            }
        }
        let mut changed = Vec::new();
        for (linker, kind) in linkers {
            let rewrite = mv.with_paths(linker, facts.get(linker).map(Arc::as_ref));
            let did = match kind {
                Kind::Page => self.rewrite_prose::<Page>(linker, &rewrite).await?,
                Kind::Decision => self.rewrite_prose::<Decision>(linker, &rewrite).await?,
                Kind::Meeting => self.rewrite_prose::<Meeting>(linker, &rewrite).await?,
                Kind::Thread => self.rewrite_prose::<Thread>(linker, &rewrite).await?,
                _ => false,
            };
            if did {
                changed.push(linker.clone());
            }
        }
        Ok(changed)
    }

    /// Rewrites the links of object `id` as `rewrite` says; whether its prose changed.
    async fn rewrite_prose<T: ObjectSchema + Prose>(
        &self,
        id: &DocId,
        rewrite: &Rewrite<'_, '_>,
    ) -> Result<bool, Error> {
        let current: T = self.get(id).await?;
        let mut probe = current;
        if !rewrite.rewrite(&mut probe) {
            return Ok(false);
        }
        self.update::<T>(id, |v| {
            rewrite.rewrite(v);
            Ok(())
        })
        .await?;
        Ok(true)
    }

    async fn set_path_only(
        &self,
        id: &DocId,
        kind: Kind,
        path: Option<String>,
    ) -> Result<(), Error> {
        match kind {
            Kind::Page => {
                self.update::<Page>(id, |p| {
                    p.path = path;
                    Ok(())
                })
                .await?;
            }
            _ => {
                self.update::<Decision>(id, |d| {
                    d.path = path;
                    Ok(())
                })
                .await?;
            }
        }
        Ok(())
    }
}

fn check_kind(id: &DocId, kind: Kind) -> Result<(), Error> {
    match kind {
        Kind::Page | Kind::Decision => Ok(()),
        found => Err(Error::WrongKind {
            id: id.clone(),
            expected: Kind::Page,
            found,
        }),
    }
}

/// One object's file moving: the links as they resolve before and after.
struct Move<'a> {
    id: &'a DocId,
    before: Resolver<'a>,
    after: Resolver<'a>,
}

impl<'a> Move<'a> {
    /// The object a link of `linker` (whose file was `from_old`) must keep naming, when
    /// the move would otherwise break or divert it.
    fn wants(&self, link: &Link, linker: &DocId, from_old: Option<&str>) -> Option<&'a DocId> {
        let from_new = if linker == self.id {
            self.after.path_of(linker)
        } else {
            from_old
        };
        let (target, by) = self.before.resolve(link, from_old)?;
        let after = self.after.resolve(link, from_new).map(|(t, _)| t);
        if after == Some(target) {
            return None;
        }
        match by {
            By::Id => None,
            // Named by title: only worth a rewrite when the moved file took the link from
            // an object that has a path to name it by.
            By::Title | By::Slug => self.after.path_of(target).map(|_| target),
            By::Path | By::Suffix | By::Stem | By::Relative => Some(target),
        }
    }

    fn with_paths<'m>(&'m self, linker: &'m DocId, f: Option<&'m Facts>) -> Rewrite<'a, 'm> {
        let from_old = f.and_then(|f| f.path.as_deref());
        let from_new = if linker == self.id {
            self.after.path_of(linker)
        } else {
            from_old
        };
        Rewrite {
            mv: self,
            linker,
            linker_kind: self.before.kind_of(linker).unwrap_or(Kind::Page),
            from_old,
            from_new,
        }
    }
}

/// The links of one object to rewrite for a move.
struct Rewrite<'a, 'm> {
    mv: &'m Move<'a>,
    linker: &'m DocId,
    linker_kind: Kind,
    from_old: Option<&'m str>,
    from_new: Option<&'m str>,
}

impl Rewrite<'_, '_> {
    /// Rewrites every prose field of `value`; whether any changed.
    fn rewrite<T: Prose>(&self, value: &mut T) -> bool {
        let mut changed = false;
        for text in value.prose_mut() {
            let fresh = {
                let current: &str = text;
                rewrite_links(current, |span| self.new_target(span, current))
            };
            if let Some(fresh) = fresh {
                *text = fresh;
                changed = true;
            }
        }
        changed
    }

    /// What goes where the span's target is written, or `None` to leave it.
    fn new_target(&self, span: &LinkSpan, text: &str) -> Option<String> {
        let mv = self.mv;
        let link = &span.link;
        let target = mv.wants(link, self.linker, self.from_old)?;
        let (_, by) = mv.before.resolve(link, self.from_old)?;
        let path = mv.after.path_of(target)?;
        let raw = &text[span.target.clone()];
        let dir = self.from_new.map_or("", parent_dir);
        let keep_md = |p: &str| -> String {
            if link.target.to_lowercase().ends_with(".md") {
                p.to_owned()
            } else {
                strip_md(p).to_owned()
            }
        };
        let mut candidates: Vec<String> = Vec::new();
        match link.kind {
            LinkKind::Wiki => {
                if raw.starts_with("./") || raw.starts_with("../") {
                    let rel = relative_path(dir, path);
                    let rel = if rel.starts_with("../") {
                        rel
                    } else {
                        format!("./{rel}")
                    };
                    candidates.push(keep_md(&rel));
                } else if raw.starts_with('/') {
                    candidates.push(format!("/{}", keep_md(path)));
                } else {
                    // As many components as were written: a file name stays a file name.
                    let written = raw.split('/').filter(|p| !p.is_empty()).count().max(1);
                    let parts: Vec<&str> = path.split('/').collect();
                    let tail = parts[parts.len().saturating_sub(written)..].join("/");
                    candidates.push(keep_md(&tail));
                }
                candidates.push(keep_md(path));
            }
            LinkKind::Markdown => {
                let (_, above) = join_path(self.from_old.map_or("", parent_dir), &link.target);
                let target_kind = mv.after.kind_of(target).unwrap_or(Kind::Page);
                if by == By::Stem {
                    let name = path.rsplit('/').next().unwrap_or(path);
                    candidates.push(keep_md(name));
                }
                let rel = if link.target.starts_with('/') {
                    format!("/{path}")
                } else if above > 0 {
                    relative_across(self.linker_kind, dir, target_kind, path)
                } else {
                    relative_path(dir, path)
                };
                // `folder/` stays a folder: its `index.md`, or the file of its name.
                let rel = if !link.target.ends_with('/') {
                    keep_md(&rel)
                } else if file_stem(&rel).eq_ignore_ascii_case("index") {
                    match parent_dir(&rel) {
                        "" => "./".to_owned(),
                        d => format!("{d}/"),
                    }
                } else {
                    format!("{}/", strip_md(&rel))
                };
                candidates.push(rel);
            }
        }
        let found = candidates.into_iter().find(|c| {
            let probe = Link {
                target: c.clone(),
                ..link.clone()
            };
            mv.after.resolve(&probe, self.from_new).map(|(t, _)| t) == Some(target)
        })?;
        Some(match link.kind {
            LinkKind::Markdown if !span.angle => percent_encode_path(&found),
            _ => found,
        })
    }
}
