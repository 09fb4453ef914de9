//! What of each object is searchable: one [`SearchDoc`] per object, every kind covered.

use meridian_core::Object;

use crate::markdown::reader_text;

/// The searchable text and facets of one object.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct SearchDoc {
    pub id: String,
    pub kind: String,
    pub title: String,
    /// Everything else worth finding, in reading order, separated by blank lines. Markdown
    /// fields are here as a reader sees them (see [`search_doc`]), so snippets cut from
    /// this text show no link addresses or markup.
    pub body: String,
    pub tags: Vec<String>,
    /// Member ids involved (author, owner, recipients, attendees, deciders …).
    pub people: Vec<String>,
    pub status: Option<String>,
    /// When it last changed, UTC milliseconds (for `after:`/`before:` and recency).
    pub date_ms: i64,
    /// The document heads this text was read at, so a stale entry can be recognised.
    pub heads: String,
}

fn push(body: &mut String, text: &str) {
    let t = text.trim();
    if !t.is_empty() {
        if !body.is_empty() {
            body.push_str("\n\n");
        }
        body.push_str(t);
    }
}

/// Pushes a Markdown field as the text a reader sees.
fn push_md(body: &mut String, markdown: &str) {
    push(body, &reader_text(markdown));
}

/// The search document of an object, or `None` for kinds that are not searched (the
/// workspace index and the charter). Long-form fields (bodies, notes, context, answers) are
/// Markdown and are indexed as their reader text; one-line fields (drivers, pros and cons,
/// questions) are indexed as written.
pub fn search_doc(id: &str, object: &Object, date_ms: i64, heads: &str) -> Option<SearchDoc> {
    let mut d = SearchDoc {
        id: id.to_owned(),
        date_ms,
        heads: heads.to_owned(),
        ..SearchDoc::default()
    };
    let b = &mut d.body;
    match object {
        Object::Workspace(_) | Object::Charter(_) => return None,
        Object::Member(m) => {
            d.kind = "member".into();
            d.title = m.display_name.clone();
            push(b, &m.tz);
        }
        Object::Page(p) => {
            d.kind = "page".into();
            d.title = p.title.clone();
            push_md(b, &p.body);
            d.tags = p.tags.clone();
            d.people.extend(p.owner.clone());
        }
        Object::Decision(x) => {
            d.kind = "decision".into();
            d.title = x.title.clone();
            d.status = Some(x.status.as_str().to_owned());
            push_md(b, &x.context);
            for driver in &x.drivers {
                push(b, driver);
            }
            for o in &x.options {
                push(b, &o.title);
                push_md(b, &o.description);
                for p in o.pros.iter().chain(&o.cons) {
                    push(b, p);
                }
            }
            push_md(b, &x.rationale);
            push_md(b, &x.consequences);
            for f in &x.feedback {
                push_md(b, &f.text);
            }
            d.people.extend(
                x.deciders
                    .iter()
                    .chain(&x.consulted)
                    .chain(&x.informed)
                    .cloned(),
            );
            d.people.extend(x.feedback.iter().map(|f| f.author.clone()));
        }
        Object::Meeting(m) => {
            d.kind = "meeting".into();
            d.title = m.title.clone();
            d.status = Some(m.state.as_str().to_owned());
            push_md(b, &m.purpose);
            for s in &m.decisions_sought {
                push(b, s);
            }
            for item in &m.agenda {
                push(b, &item.title);
                push_md(b, &item.notes);
            }
            push_md(b, &m.notes);
            push_md(b, &m.summary);
            d.people
                .extend(m.attendees.iter().chain(&m.organiser).cloned());
        }
        Object::Thread(t) => {
            d.kind = "thread".into();
            d.title = t.title.clone();
            d.status = Some(t.state.as_str().to_owned());
            push_md(b, &t.body);
            for m in &t.messages {
                push_md(b, &m.body);
            }
            d.tags = vec![t.message_kind.clone()];
            d.people.push(t.author.clone());
            d.people.extend(t.recipients.iter().cloned());
            d.people.extend(t.messages.iter().map(|m| m.author.clone()));
        }
        Object::Checkin(c) => {
            d.kind = "checkin".into();
            d.title = c.title.clone();
            for q in &c.questions {
                push(b, q);
            }
            for e in &c.entries {
                for a in &e.answers {
                    push_md(b, a);
                }
            }
            d.people.extend(c.participants.iter().cloned());
        }
        Object::Task(t) => {
            d.kind = "task".into();
            d.title = t.title.clone();
            d.status = Some(t.state.as_str().to_owned());
            d.people.extend(t.owner.clone());
        }
    }
    d.people.sort();
    d.people.dedup();
    Some(d)
}
