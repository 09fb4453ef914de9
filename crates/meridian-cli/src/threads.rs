//! Threads and their clocks: post (with each recipient's reply-by), reply, acknowledge,
//! resolve, promote to a decision, edit; `reply-by` on its own.

use std::io::{self, Write};

use anyhow::anyhow;
use meridian_app::core::Thread;
use meridian_app::core::norms::ReplyBy;
use meridian_app::{NewThread, Posting, Workspace};
use serde::Serialize;

use crate::args::ThreadCmd;
use crate::commands::done;
use crate::input::{delivery, opt_instant, read_text};
use crate::members::names;
use crate::output::{Reply, Report, local, utc};

pub async fn thread(ws: &Workspace, cmd: ThreadCmd) -> anyhow::Result<Reply> {
    match cmd {
        ThreadCmd::Post {
            kind,
            to,
            title,
            body,
            deliver,
            reason,
        } => {
            let new = NewThread {
                kind,
                to,
                title,
                body: read_text(&body)?.unwrap_or_default(),
                delivery: Some(delivery(&deliver)?),
                reason,
            };
            post(ws, new).await
        }
        ThreadCmd::Reply {
            id,
            body,
            as_member,
        } => {
            let text = read_text(&body)?
                .ok_or_else(|| anyhow!("give the reply with --body or --body-file"))?;
            ws.reply_thread(&id, &text, as_member.as_deref()).await?;
            done(ws, &id, "Replied to").await
        }
        ThreadCmd::Ack { id, as_member } => {
            ws.ack_thread(&id, as_member.as_deref()).await?;
            done(ws, &id, "Acknowledged").await
        }
        ThreadCmd::Resolve { id } => {
            ws.resolve_thread(&id).await?;
            done(ws, &id, "Resolved").await
        }
        ThreadCmd::Promote { id } => {
            let (decision, _) = ws.promote_thread(&id).await?;
            done(ws, &decision, "Promoted to the draft decision").await
        }
        ThreadCmd::Edit { id, title, body } => {
            let body = read_text(&body)?;
            ws.update::<Thread>(&id, |t| {
                if let Some(v) = title {
                    t.title = v.trim().to_owned();
                }
                if let Some(b) = body {
                    t.body = b;
                }
                Ok(())
            })
            .await?;
            done(ws, &id, "Updated").await
        }
    }
}

async fn post(ws: &Workspace, new: NewThread) -> anyhow::Result<Reply> {
    let posting = ws.post_thread(new).await?;
    let escalated_to = match &posting.escalation {
        Some(e) => names(ws, &e.notify).await?,
        None => Vec::new(),
    };
    Ok(Box::new(Posted {
        posting,
        escalated_to,
    }))
}

/// A posted thread: each recipient's reply-by, and whom an urgent one notifies.
#[derive(Debug, Serialize)]
#[serde(transparent)]
pub struct Posted {
    posting: Posting,
    #[serde(skip)]
    escalated_to: Vec<String>,
}

impl Report for Posted {
    fn human(&self, out: &mut dyn Write) -> io::Result<()> {
        let posting = &self.posting;
        let id = posting
            .id
            .as_ref()
            .ok_or_else(|| io::Error::other("the thread was not stored"))?;
        writeln!(out, "Posted thread {id}")?;
        for r in &posting.reply_by {
            match (&r.reply_by, &r.reply_by_local) {
                (Some(at), Some(l)) => writeln!(
                    out,
                    "  {}: reply by {} ({} local)",
                    r.recipient,
                    utc(at),
                    local(l)
                )?,
                _ => writeln!(out, "  {}: no reply expected", r.recipient)?,
            }
        }
        if let Some(e) = &posting.escalation {
            let how = if e.via_ladder {
                " via the escalation ladder"
            } else {
                ""
            };
            writeln!(
                out,
                "  urgent: notifies {}{how} now",
                self.escalated_to.join(", ")
            )?;
        }
        Ok(())
    }
}

pub async fn reply_by(
    ws: &Workspace,
    to: &str,
    kind: &str,
    sent_at: Option<&str>,
    deliver: &str,
) -> anyhow::Result<Reply> {
    let reply_by = ws
        .reply_by(to, kind, delivery(deliver)?, opt_instant(sent_at)?)
        .await?;
    Ok(Box::new(ReplyByReport {
        reply_by,
        kind: kind.to_owned(),
    }))
}

/// When one recipient is expected to reply.
#[derive(Debug, Serialize)]
#[serde(transparent)]
pub struct ReplyByReport {
    reply_by: ReplyBy,
    #[serde(skip)]
    kind: String,
}

impl Report for ReplyByReport {
    fn human(&self, out: &mut dyn Write) -> io::Result<()> {
        let r = &self.reply_by;
        match (&r.reply_by, &r.reply_by_local) {
            (Some(at), Some(l)) => writeln!(
                out,
                "{}: reply by {} ({} local, {})",
                r.recipient,
                utc(at),
                local(l),
                r.tz
            ),
            _ => writeln!(out, "{}: no reply expected for {}", r.recipient, self.kind),
        }
    }
}
