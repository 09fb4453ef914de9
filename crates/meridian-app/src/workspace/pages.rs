//! Page commands.

use super::*;

impl Workspace {
    // ----- pages -----

    pub async fn create_page(&self, new: NewPage) -> Result<(DocId, Page), Error> {
        if let Some(parent) = &new.parent {
            self.check_parent(None, parent).await?;
        }
        self.create_object(Page {
            title: new.title.trim().to_owned(),
            body: new.body,
            tags: new.tags,
            parent: new.parent.map(|p| p.to_string()),
            created_at_ms: self.now_ms(),
            ..Page::default()
        })
        .await
    }

    pub async fn update_page(&self, id: &DocId, patch: PagePatch) -> Result<Page, Error> {
        if let Some(Some(parent)) = &patch.parent {
            self.check_parent(Some(id), parent).await?;
        }
        let owner = match patch.owner {
            Some(Some(who)) => Some(Some(self.resolve_member(&who).await?.to_string())),
            other => other,
        };
        self.update::<Page>(id, |p| {
            if let Some(t) = patch.title {
                p.title = t.trim().to_owned();
            }
            if let Some(b) = patch.body {
                p.body = b;
            }
            if let Some(t) = patch.tags {
                p.tags = t;
            }
            if let Some(parent) = patch.parent {
                p.parent = parent.map(|p| p.to_string());
            }
            if let Some(r) = patch.review_by {
                p.review_by = r;
            }
            if let Some(o) = owner {
                p.owner = o;
            }
            Ok(())
        })
        .await
    }

    /// Applies editor keystrokes to a page body (UTF-16 positions, as the webview counts).
    pub async fn edit_page_body(&self, id: &DocId, splices: &[TextSplice]) -> Result<(), Error> {
        self.splice_prose::<Page>(id, "body", splices).await
    }

    pub(super) async fn splice_prose<T: ObjectSchema>(
        &self,
        id: &DocId,
        field: &str,
        splices: &[TextSplice],
    ) -> Result<(), Error> {
        if splices.is_empty() {
            return Ok(());
        }
        let mut open = self.lock_doc::<T>(id).await?;
        self.apply(&mut open, |doc, _| {
            meridian_core::splice_prose(doc, field, splices)
        })?;
        // Prose is never the title or the status, so the catalog already holds them: the
        // whole document is not read again on every batch of keystrokes (a long page's
        // hydration was most of the engine's work per key).
        let entry = self.catalog_entry(id).await?;
        let (title, status) = match entry {
            Some(entry) => (entry.title, entry.status),
            None => {
                self.counters().hydrated();
                let value: T = meridian_core::read(&open.doc)?;
                (value.title().to_owned(), value.status())
            }
        };
        let summary = self
            .persist_as(id, &mut open, T::KIND, &title, status)
            .await?;
        drop(open);
        let _ = self.inner.events.send(Event::ObjectChanged { summary });
        Ok(())
    }
}
