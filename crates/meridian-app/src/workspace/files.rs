//! Applying a Markdown file edited outside Meridian (the mirror folder, ADR 0008) to its
//! object, three ways: only the fields the file changed since the version it was based on,
//! and those applied to the document *as it was then* (a fork at the recorded heads) and
//! merged into the document as it is now. So a teammate's edit that arrived meanwhile, in
//! another paragraph or another field, survives; prose merges character by character
//! (autosurgeon reconciles a changed string with Automerge's own text diff, ADR 0001).

use super::*;

/// Heads as the mirror records them: [`meridian_store::heads_key`], the sorted hashes in
/// hex, concatenated. `None` when the text is not such a key.
pub(crate) fn heads_from_key(key: &str) -> Option<Vec<ChangeHash>> {
    if !key.len().is_multiple_of(64) || !key.is_ascii() {
        return None;
    }
    (0..key.len() / 64)
        .map(|i| key[i * 64..(i + 1) * 64].parse().ok())
        .collect()
}

/// Copies into `value` each listed field that differs between `base` and `new` (the
/// object parsed from the file's base text and from its new text).
macro_rules! changed_fields {
    ($value:expr, $base:expr, $new:expr, [$($field:ident),+ $(,)?]) => {{
        let mut changed = false;
        $(
            if $base.$field != $new.$field {
                $value.$field = $new.$field.clone();
                changed = true;
            }
        )+
        changed
    }};
}

/// Copies `new` into `value` when it differs from `base`; whether it did.
pub(super) fn changed<T: PartialEq + Clone>(value: &mut T, base: &T, new: &T) -> bool {
    if base == new {
        return false;
    }
    *value = new.clone();
    true
}

impl Workspace {
    /// Applies the edit of a mirror file to page, decision, meeting or thread `id`: `base`
    /// is the object parsed from the text the file last had when the mirror wrote or
    /// applied it, `new` the object parsed from the file now, `base_heads` the document's
    /// heads then. Runs the same validation as any edit (meetings and threads: the rules of
    /// their own commands, see `meetings/file.rs` and `threads.rs`). Returns the heads at
    /// which the document says what the file says (see [`Workspace::apply_forked`]).
    pub(crate) async fn apply_file_edit(
        &self,
        id: &DocId,
        base_heads: &[ChangeHash],
        base: &meridian_vault::Parsed,
        new: &meridian_vault::Parsed,
    ) -> Result<Vec<ChangeHash>, Error> {
        use meridian_vault::Parsed;
        match (base, new) {
            (Parsed::Page(b), Parsed::Page(n)) => {
                self.apply_forked::<Page>(id, base_heads, |v| {
                    changed_fields!(
                        v,
                        b,
                        n,
                        [title, body, tags, parent, owner, review_by, properties]
                    )
                })
                .await
            }
            (Parsed::Decision(b), Parsed::Decision(n)) => {
                self.apply_forked::<Decision>(id, base_heads, |v| {
                    changed_fields!(
                        v,
                        b,
                        n,
                        [
                            title,
                            status,
                            context,
                            drivers,
                            options,
                            chosen_option,
                            rationale,
                            consequences,
                            deciders,
                            consulted,
                            informed,
                            decide_by_ms,
                            supersedes,
                            superseded_by,
                            review_by,
                            properties,
                        ]
                    )
                })
                .await
            }
            (Parsed::Meeting(b), Parsed::Meeting(n)) => {
                self.apply_meeting_file(id, base_heads, b, n).await
            }
            (Parsed::Thread(b), Parsed::Thread(n)) => {
                self.apply_thread_file(id, base_heads, b, n).await
            }
            _ => Err(Error::Mirror(
                "the file now reads as another kind of object than it was written as (a page \
                 became a decision record or the reverse): make a new file for the new object"
                    .into(),
            )),
        }
    }

    /// Changes `T` by `change` on a fork of the document at `base_heads` and merges it in;
    /// on the document as it is when those heads are unknown here.
    ///
    /// Returns the heads at which the document is what the file says: the fork's (not the
    /// merged document's). The mirror records them with the file's text as its base, so a
    /// teammate's edit merged in meanwhile reads as a change of the object and the merged
    /// result is written back to the file; recording the merged heads would make the mirror
    /// take the file's text for the object's and never write the merge back.
    pub(super) async fn apply_forked<T: ObjectSchema>(
        &self,
        id: &DocId,
        base_heads: &[ChangeHash],
        change: impl FnOnce(&mut T) -> bool,
    ) -> Result<Vec<ChangeHash>, Error> {
        self.apply_forked_then(id, base_heads, change, |_| false)
            .await
    }

    /// [`Workspace::apply_forked`], then `then` in a change of its own on the fork: what
    /// the file asks for but cannot say as written (a new reply or agenda item gets an id
    /// and a marker only once it exists). The heads returned are those before `then`, so
    /// the mirror sees the object differ from the file and writes it back with the markers.
    pub(super) async fn apply_forked_then<T: ObjectSchema>(
        &self,
        id: &DocId,
        base_heads: &[ChangeHash],
        change: impl FnOnce(&mut T) -> bool,
        then: impl FnOnce(&mut T) -> bool,
    ) -> Result<Vec<ChangeHash>, Error> {
        let mut open = self.lock_doc::<T>(id).await?;
        let known = !base_heads.is_empty()
            && base_heads
                .iter()
                .all(|h| open.doc.get_change_by_hash(h).is_some());
        let mut changed = false;
        let mut said_at = base_heads.to_vec();
        // The fork writes with an actor of its own (this device's is ahead of it): it
        // records who wrote it and when, as every change does (see `history.rs`).
        let (author, now_s) = (self.author(), self.now_ms() / 1000);
        self.apply(&mut open, |doc, ctx| {
            if known {
                let mut fork = doc.fork_at(base_heads)?;
                fork.set_author(Some(author));
                let mut value: T = meridian_core::read(&fork)?;
                if change(&mut value) {
                    meridian_core::write(&mut fork, &value, ctx)?;
                    fork.commit_with(CommitOptions::default().with_time(now_s));
                    said_at = fork.get_heads();
                    changed = true;
                }
                if then(&mut value) {
                    meridian_core::write(&mut fork, &value, ctx)?;
                    fork.commit_with(CommitOptions::default().with_time(now_s));
                    changed = true;
                }
                if changed {
                    doc.merge(&mut fork)?;
                }
            } else {
                let mut value: T = meridian_core::read(doc)?;
                changed = change(&mut value) | then(&mut value);
                if changed {
                    meridian_core::write(doc, &value, ctx)?;
                }
            }
            Ok(())
        })?;
        if !known {
            // No fork: the document as it is now is the closest to what the file says.
            said_at = open.doc.get_heads();
        }
        if !changed {
            return Ok(said_at);
        }
        let value: T = meridian_core::read(&open.doc)?;
        let summary = self.persist(id, &mut open, &value).await?;
        drop(open);
        let _ = self.inner.events.send(Event::ObjectChanged { summary });
        Ok(said_at)
    }

    /// The document's heads as the mirror records them.
    pub(crate) async fn heads_key_of(&self, id: &DocId) -> Result<String, Error> {
        let handle = self.open_doc(id).await?;
        let mut open = handle.lock().await;
        Ok(meridian_store::heads_key(&open.doc.get_heads()))
    }
}
