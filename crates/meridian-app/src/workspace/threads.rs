//! Threads with reply-by clocks: the composer's preview, posting (urgent ones need a reason
//! and budget left), replying, acknowledging and resolving, and the thread's mirror file
//! edited outside Meridian. The rules are in `meridian_core::norms`.

use chrono::{DateTime, Utc};
use meridian_core::norms::{self, Person};
use meridian_core::{Delivery, Member, Message, Thread, ThreadState};

use super::*;

impl Workspace {
    /// The reply-by of one recipient for a message of `kind` sent at `sent`.
    pub async fn reply_by(
        &self,
        to: &str,
        kind: &str,
        delivery: Delivery,
        sent: Option<DateTime<Utc>>,
    ) -> Result<norms::ReplyBy, Error> {
        let to = self.resolve_member(to).await?;
        let charter = self.charter_doc().await?.1;
        let person = Person::new(to.to_string(), self.get::<Member>(&to).await?)?;
        Ok(norms::reply_by(
            &charter,
            &person,
            kind.trim(),
            delivery,
            self.at(sent),
        )?)
    }

    /// What posting `new` now would give, without posting it: the composer's preview.
    pub async fn preview_thread(&self, new: &NewThread) -> Result<Posting, Error> {
        let snap = self.snapshot().await?;
        self.posting(&snap, new, self.at(None))
    }

    fn posting(
        &self,
        snap: &Snapshot,
        new: &NewThread,
        at: DateTime<Utc>,
    ) -> Result<Posting, Error> {
        let kind = new.kind.trim().to_ascii_lowercase();
        let delivery = new.delivery.unwrap_or(Delivery::Now);
        let mut reply_by = Vec::new();
        for r in &new.to {
            reply_by.push(norms::reply_by(
                &snap.charter,
                snap.person(r)?,
                &kind,
                delivery,
                at,
            )?);
        }
        let urgent = norms::is_urgent(&snap.charter, &kind);
        let me = self.workspace_info().me.id.to_string();
        Ok(Posting {
            id: None,
            reply_by,
            urgent,
            escalation: urgent.then(|| norms::escalate(&snap.charter, &snap.people, &new.to, at)),
            budget: urgent.then(|| {
                norms::urgent_budget(&snap.charter, &me, snap.threads.iter().map(|(_, t)| t), at)
            }),
        })
    }

    /// Posts a thread from me. Urgent ones need a reason and budget left.
    pub async fn post_thread(&self, mut new: NewThread) -> Result<Posting, Error> {
        new.to = self.resolve_members(&new.to).await?;
        let snap = self.snapshot().await?;
        let at = self.at(None);
        let me = self.workspace_info().me.id.to_string();
        let kind = new.kind.trim().to_ascii_lowercase();
        norms::reply_within(&snap.charter, &kind)?;
        if norms::is_urgent(&snap.charter, &kind) {
            norms::check_urgent(
                &snap.charter,
                &me,
                new.reason.as_deref(),
                snap.threads.iter().map(|(_, t)| t),
                at,
            )?;
        }
        let mut posting = self.posting(&snap, &new, at)?;
        let thread = Thread {
            title: new.title.trim().to_owned(),
            message_kind: kind,
            body: new.body,
            author: me,
            recipients: new.to,
            delivery: new.delivery.unwrap_or(Delivery::Now),
            urgent_reason: new
                .reason
                .map(|r| r.trim().to_owned())
                .filter(|r| !r.is_empty()),
            messages: Vec::new(),
            acknowledgements: Vec::new(),
            state: ThreadState::Open,
            linked_decision: None,
            source_meeting: None,
            created_at_ms: at.timestamp_millis(),
        };
        posting.id = Some(self.create_object(thread).await?.0);
        Ok(posting)
    }

    pub async fn reply_thread(
        &self,
        id: &DocId,
        body: &str,
        as_member: Option<&str>,
    ) -> Result<Thread, Error> {
        let who = self.member_or_me(as_member).await?.to_string();
        let body = reply_text(body)?;
        let at = self.now_ms();
        self.update::<Thread>(id, |t| {
            add_reply(t, who, body, at);
            Ok(())
        })
        .await
    }

    pub async fn ack_thread(&self, id: &DocId, as_member: Option<&str>) -> Result<Thread, Error> {
        let who = self.member_or_me(as_member).await?.to_string();
        self.update::<Thread>(id, |t| {
            if !t.acknowledgements.contains(&who) {
                t.acknowledgements.push(who);
            }
            Ok(())
        })
        .await
    }

    pub async fn resolve_thread(&self, id: &DocId) -> Result<Thread, Error> {
        self.update::<Thread>(id, |t| {
            t.state = ThreadState::Resolved;
            Ok(())
        })
        .await
    }
}

/// A reply's text, trimmed; an error when there is none.
fn reply_text(body: &str) -> Result<String, Error> {
    let body = body.trim().to_owned();
    if body.is_empty() {
        return Err(meridian_core::Error::InvalidRange {
            field: "reply",
            detail: "a reply needs some text".into(),
        }
        .into());
    }
    Ok(body)
}

/// Adds a reply by `who`; a recipient's reply answers an open thread.
fn add_reply(t: &mut Thread, who: String, body: String, at_ms: i64) {
    if t.recipients.contains(&who) && t.state == ThreadState::Open {
        t.state = ThreadState::Answered;
    }
    t.messages.push(Message {
        id: item_id(),
        author: who,
        body,
        at_ms,
    });
}

impl Workspace {
    /// Applies a thread's mirror file edit (ADR 0008; `base`: the thread as the file said
    /// before, `new`: as it says now) on a fork at the file's heads: the title, the body
    /// (merged as text), the state and who acknowledged it; the text of my own replies; a
    /// `###` section without a marker under `## Replies` as a new reply by me. Refuses, and
    /// applies nothing, when a fixed field changed (kind, author, recipients, delivery,
    /// urgent reason, links), someone else's reply was edited, or a reply was removed.
    pub(super) async fn apply_thread_file(
        &self,
        id: &DocId,
        base_heads: &[ChangeHash],
        base: &Thread,
        new: &Thread,
    ) -> Result<Vec<ChangeHash>, Error> {
        let refuse = |why: String| {
            Err(Error::Mirror(format!(
                "{why}; nothing of this file was applied"
            )))
        };
        for (field, moved) in [
            ("message_kind", base.message_kind != new.message_kind),
            ("author", base.author != new.author),
            ("recipients", base.recipients != new.recipients),
            ("delivery", base.delivery != new.delivery),
            ("urgent_reason", base.urgent_reason != new.urgent_reason),
            (
                "linked_decision",
                base.linked_decision != new.linked_decision,
            ),
            ("source_meeting", base.source_meeting != new.source_meeting),
        ] {
            if moved {
                return refuse(format!(
                    "{field} cannot be changed once a thread is posted: put it back"
                ));
            }
        }
        let me = self.workspace_info().me.id.to_string();
        let mut edits: Vec<(String, String)> = Vec::new();
        let mut replies: Vec<String> = Vec::new();
        let mut unmarked_before: Vec<&Message> =
            base.messages.iter().filter(|m| m.id.is_empty()).collect();
        for n in &new.messages {
            if n.id.is_empty() {
                if let Some(at) = unmarked_before.iter().position(|b| *b == n) {
                    unmarked_before.remove(at);
                } else {
                    replies.push(reply_text(&n.body)?);
                }
                continue;
            }
            let Some(b) = base.messages.iter().find(|b| b.id == n.id) else {
                return refuse(format!(
                    "the marker `<!-- reply: {} -->` names no reply of this thread: remove the marker line to post the section as a new reply",
                    n.id.chars().take(40).collect::<String>()
                ));
            };
            if b.author != n.author || b.at_ms != n.at_ms {
                return refuse(format!(
                    "the marker line of reply {} was changed: put it back as Meridian wrote it (it says who wrote the reply and when)",
                    b.id
                ));
            }
            if b.body == n.body {
                continue;
            }
            if b.author != me {
                return refuse(format!(
                    "reply {} is someone else's: only its author can change it; undo the edit, or add a reply of your own (a new `###` section under `## Replies`)",
                    b.id
                ));
            }
            edits.push((b.id.clone(), reply_text(&n.body)?));
        }
        if let Some(gone) = base
            .messages
            .iter()
            .find(|b| !b.id.is_empty() && !new.messages.iter().any(|n| n.id == b.id))
        {
            return refuse(format!(
                "reply {} is missing from the file: replies cannot be deleted; put its section back",
                gone.id
            ));
        }
        // Who acknowledged it, by name or id, as `ack_thread` takes them.
        let acks = if base.acknowledgements == new.acknowledgements {
            None
        } else {
            Some(self.resolve_members(&new.acknowledgements).await?)
        };
        let (acks, late_acks) = match acks {
            Some(a) if a != new.acknowledgements => (None, Some(a)),
            other => (other, None),
        };
        let at = self.now_ms();
        // What the file cannot say as written (new replies, which get ids and markers,
        // names that became member ids) comes in a change of its own, so the thread is
        // written back to the file with it.
        let then = |t: &mut Thread| {
            let mut any = !replies.is_empty();
            for body in replies {
                add_reply(t, me.clone(), body, at);
            }
            if let Some(a) = late_acks {
                t.acknowledgements = a;
                any = true;
            }
            any
        };
        self.apply_forked_then::<Thread>(
            id,
            base_heads,
            |t| {
                let mut any = false;
                any |= files::changed(&mut t.title, &base.title, &new.title);
                any |= files::changed(&mut t.body, &base.body, &new.body);
                any |= files::changed(&mut t.state, &base.state, &new.state);
                if let Some(a) = acks {
                    t.acknowledgements = a;
                    any = true;
                }
                for (msg, body) in edits {
                    if let Some(m) = t.messages.iter_mut().find(|m| m.id == msg) {
                        m.body = body;
                        any = true;
                    }
                }
                any
            },
            then,
        )
        .await
    }

    /// Posts a thread from a new file in `threads/`, through `post_thread` (so its rules
    /// hold: a kind of the charter, recipients, urgent ones with a reason and budget).
    /// Returns its id.
    pub(crate) async fn thread_from_file(&self, t: Thread) -> Result<DocId, Error> {
        if t.message_kind.is_empty() || t.recipients.is_empty() {
            return Err(Error::Mirror(
                "a new thread file needs `message_kind:` (a kind of the charter, e.g. question) and `recipients:` (names or ids) in its front matter".into(),
            ));
        }
        if !t.messages.is_empty() {
            return Err(Error::Mirror(
                "a new thread file cannot hold replies: remove the `## Replies` sections, and add them once the thread is posted".into(),
            ));
        }
        let posting = self
            .post_thread(NewThread {
                kind: t.message_kind,
                to: t.recipients,
                title: t.title,
                body: t.body,
                delivery: Some(t.delivery),
                reason: t.urgent_reason,
            })
            .await?;
        posting.id.ok_or(Error::Stopped)
    }
}
