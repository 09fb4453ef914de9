//! A thread as the mirror's `threads/slug.md`.

use std::collections::BTreeMap;

use chrono::DateTime;
use meridian_core::{DocId, Thread};
use serde_yaml_ng::Mapping;

use super::render::{block, front_matter, one_line, put, put_opt, strings};
use crate::import::sections::{REPLIES, reply_marker};

/// A thread as Markdown: front matter (id, `kind: thread`, message_kind, author,
/// recipients, delivery, urgent_reason, state, acknowledged_by, linked_decision,
/// source_meeting), then `# Title`, the body, and `## Replies` with one `### Name · time`
/// section per reply: a `<!-- reply: ID; by: MEMBER; at: TIME -->` marker (which is what
/// is read back: the heading is for people) and the reply's text.
///
/// `names` maps member ids to display names for the reply headings; an id without a name
/// is shown as it is.
pub fn render_thread(id: &DocId, t: &Thread, names: &BTreeMap<String, String>) -> String {
    let mut fm = Mapping::new();
    put(&mut fm, "id", id.as_str());
    put(&mut fm, "kind", "thread");
    put(&mut fm, "message_kind", &t.message_kind);
    put(&mut fm, "author", &t.author);
    fm.insert("recipients".into(), strings(&t.recipients));
    put(&mut fm, "delivery", t.delivery.as_str());
    put_opt(&mut fm, "urgent_reason", t.urgent_reason.as_deref());
    put(&mut fm, "state", t.state.as_str());
    if !t.acknowledgements.is_empty() {
        fm.insert("acknowledged_by".into(), strings(&t.acknowledgements));
    }
    put_opt(&mut fm, "linked_decision", t.linked_decision.as_deref());
    put_opt(&mut fm, "source_meeting", t.source_meeting.as_deref());

    let mut out = front_matter(&fm);
    out.push_str(&format!("# {}\n", one_line(&t.title)));
    if !t.body.trim().is_empty() {
        out.push('\n');
        out.push_str(t.body.trim());
        out.push('\n');
    }
    block(&mut out, &format!("## {REPLIES}"), "");
    for m in &t.messages {
        let who = names
            .get(&m.author)
            .map(|n| one_line(n))
            .filter(|n| !n.is_empty())
            .unwrap_or_else(|| m.author.clone());
        let when = DateTime::from_timestamp_millis(m.at_ms)
            .unwrap_or_default()
            .format("%Y-%m-%d %H:%M UTC");
        out.push_str(&format!(
            "\n### {who} · {when}\n{}\n",
            reply_marker(&m.id, &m.author, m.at_ms)
        ));
        if !m.body.trim().is_empty() {
            out.push('\n');
            out.push_str(m.body.trim());
            out.push('\n');
        }
    }
    out
}
