//! Threads with reply-by clocks: the composer's preview, posting (urgent ones need a reason
//! and budget left), replying, acknowledging and resolving. The rules are in
//! `meridian_core::norms`.

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
        let body = body.trim().to_owned();
        if body.is_empty() {
            return Err(meridian_core::Error::InvalidRange {
                field: "reply",
                detail: "a reply needs some text".into(),
            }
            .into());
        }
        let at = self.now_ms();
        self.update::<Thread>(id, |t| {
            if t.recipients.contains(&who) && t.state == ThreadState::Open {
                t.state = ThreadState::Answered;
            }
            t.messages.push(Message {
                id: item_id(),
                author: who,
                body,
                at_ms: at,
            });
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
