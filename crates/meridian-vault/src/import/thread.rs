//! A thread file of the mirror (`threads/slug.md`) back into a thread; the format is
//! [`crate::render_thread`]'s.

use chrono::DateTime;
use meridian_core::{Delivery, Message, Thread, ThreadState};

use super::frontmatter::Meta;
use super::sections::{
    REPLIES, field, invalid, no_other_keys, section_lead, shown, split_body, take_list, take_text,
};
use crate::Error;

/// Reads a thread. Every field may be missing (empty, `now`, `open`): the engine says
/// what a new thread needs. A reply without a marker has an empty id, author and time:
/// the engine takes it as a new reply.
pub(super) fn build(mut meta: Meta, body: &str, now_ms: i64) -> Result<Thread, Error> {
    let message_kind = take_text(&mut meta, "message_kind")?.unwrap_or_default();
    let author = take_text(&mut meta, "author")?.unwrap_or_default();
    let recipients = take_list(&mut meta, "recipients")?;
    let delivery = match take_text(&mut meta, "delivery")? {
        Some(d) => d
            .parse::<Delivery>()
            .map_err(|e| invalid("delivery", e.to_string()))?,
        None => Delivery::Now,
    };
    let urgent_reason = take_text(&mut meta, "urgent_reason")?;
    let state = match take_text(&mut meta, "state")? {
        Some(s) => s
            .parse::<ThreadState>()
            .map_err(|e| invalid("state", e.to_string()))?,
        None => ThreadState::Open,
    };
    let acknowledgements = take_list(&mut meta, "acknowledged_by")?;
    let linked_decision = take_text(&mut meta, "linked_decision")?;
    let source_meeting = take_text(&mut meta, "source_meeting")?;
    no_other_keys(meta, "thread")?;

    let body = split_body(body, &[REPLIES])?;
    let mut messages = Vec::new();
    for (_, range) in body.subsections(REPLIES)? {
        let lead = section_lead(&body.outline.src[range], "reply", &[]);
        let mut m = Message {
            id: String::new(),
            author: String::new(),
            body: lead.rest,
            at_ms: 0,
        };
        if let Some(marker) = &lead.marker {
            m.id = field(marker, "reply").unwrap_or_default().to_owned();
            m.author = field(marker, "by").unwrap_or_default().to_owned();
            let at = field(marker, "at").unwrap_or_default();
            m.at_ms = DateTime::parse_from_rfc3339(at)
                .map_err(|_| {
                    invalid(
                        "reply",
                        format!(
                            "the marker line of reply {} has `at: {}`, which is not a time: put the line back as Meridian wrote it",
                            shown(&m.id),
                            shown(at)
                        ),
                    )
                })?
                .timestamp_millis();
        }
        messages.push(m);
    }
    Ok(Thread {
        title: body.title.clone(),
        message_kind,
        body: body.lead.clone(),
        author,
        recipients,
        delivery,
        urgent_reason,
        messages,
        acknowledgements,
        state,
        linked_decision,
        source_meeting,
        created_at_ms: now_ms,
    })
}
