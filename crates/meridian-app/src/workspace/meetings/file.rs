//! A meeting's mirror file (`meetings/YYYY-MM-DD-slug.md`, ADR 0008) edited outside
//! Meridian: the fields the file changed since the text it was based on, checked by the
//! rules the app's own commands apply (attendees and owners resolved, pre-reads checked,
//! state moves as `set_meeting_state` allows, the schema's validation on write) and applied
//! on a fork at the file's heads. And a new file in `meetings/` made a meeting.
//!
//! Agenda items are matched by the `<!-- item: ID -->` marker under their heading: an
//! item's changed fields apply to that item, a section without a marker is a new item, a
//! section removed removes its item, and the file's order becomes the agenda's.

use automerge::ChangeHash;
use meridian_core::{AgendaItem, Meeting};

use super::super::files::changed;
use super::*;

/// What the file does to one agenda item, worked out (and checked) before the fork.
#[derive(Clone)]
enum Step {
    /// An item the base had: its changed fields as the file writes them, and those the
    /// app's rules wrote otherwise (a name that became a member id).
    Keep(String, AgendaItemPatch, AgendaItemPatch),
    New(AgendaItem),
}

impl Workspace {
    /// Applies a meeting file's edit (`base`: the meeting as the file said before, `new`: as
    /// it says now). Refuses, and applies nothing, when a fixed field changed or any
    /// change breaks a rule.
    pub(in crate::workspace) async fn apply_meeting_file(
        &self,
        id: &DocId,
        base_heads: &[ChangeHash],
        base: &Meeting,
        new: &Meeting,
    ) -> Result<Vec<ChangeHash>, Error> {
        for (field, moved, how) in [
            (
                "organiser",
                base.organiser != new.organiser,
                "the organiser is who scheduled it",
            ),
            (
                "organiser_tz",
                base.organiser_tz != new.organiser_tz,
                "it is the organiser's zone; change the start's offset to move the meeting",
            ),
            (
                "decisions",
                base.decisions != new.decisions,
                "decisions are recorded from the meeting (`meeting summarise`)",
            ),
            (
                "tasks",
                base.tasks != new.tasks,
                "action items are added from the meeting (`meeting action`)",
            ),
            (
                "async_thread",
                base.async_thread != new.async_thread,
                "Meridian sets it when the meeting goes async",
            ),
        ] {
            if moved {
                return Err(Error::Mirror(format!(
                    "{field} cannot be changed in the file ({how}): put it back; nothing of this file was applied"
                )));
            }
        }
        let attendees = if base.attendees == new.attendees {
            None
        } else {
            Some(self.resolve_members(&new.attendees).await?)
        };
        if base.state != new.state {
            // As `set_meeting_state` judges it: from the state the file was based on, with
            // the summary the file now has.
            let mut check = base.clone();
            check.summary = new.summary.clone();
            check_state(&check, new.state)?;
        }
        let steps = self.agenda_steps(&base.agenda, &new.agenda).await?;
        let removed: Vec<String> = base
            .agenda
            .iter()
            .filter(|b| !new.agenda.iter().any(|n| n.id == b.id))
            .map(|b| b.id.clone())
            .collect();
        // What the file cannot say as written (new items, which get ids and markers, and
        // names the rules turned into member ids) comes in a change of its own, so the
        // meeting is written back to the file with it.
        let kept: Vec<Step> = steps
            .iter()
            .filter(|s| matches!(s, Step::Keep(..)))
            .cloned()
            .collect();
        let late = steps.iter().any(|s| match s {
            Step::Keep(_, _, late) => *late != AgendaItemPatch::default(),
            Step::New(_) => true,
        });
        let (attendees, late_attendees) = match attendees {
            Some(a) if a != new.attendees => (None, Some(a)),
            other => (other, None),
        };
        let then = |m: &mut Meeting| {
            let mut any = late && rebuild_agenda(&mut m.agenda, steps, &[], true);
            if let Some(a) = late_attendees
                && m.attendees != a
            {
                m.attendees = a;
                any = true;
            }
            any
        };
        self.apply_forked_then::<Meeting>(
            id,
            base_heads,
            |m| {
                let mut any = false;
                any |= changed(&mut m.title, &base.title, &new.title);
                any |= changed(&mut m.purpose, &base.purpose, &new.purpose);
                any |= changed(&mut m.notes, &base.notes, &new.notes);
                any |= changed(&mut m.summary, &base.summary, &new.summary);
                any |= changed(&mut m.start_ms, &base.start_ms, &new.start_ms);
                any |= changed(&mut m.duration_min, &base.duration_min, &new.duration_min);
                any |= changed(&mut m.weekly, &base.weekly, &new.weekly);
                any |= changed(
                    &mut m.decisions_sought,
                    &base.decisions_sought,
                    &new.decisions_sought,
                );
                any |= changed(&mut m.state, &base.state, &new.state);
                if let Some(a) = attendees
                    && m.attendees != a
                {
                    m.attendees = a;
                    any = true;
                }
                any | rebuild_agenda(&mut m.agenda, kept, &removed, false)
            },
            then,
        )
        .await
    }

    /// The agenda the file asks for, item by item, with owners and pre-reads checked as
    /// `add_agenda_item` and `update_agenda_item` check them.
    async fn agenda_steps(
        &self,
        base: &[AgendaItem],
        new: &[AgendaItem],
    ) -> Result<Vec<Step>, Error> {
        // Sections without a marker that the base had too (the file was applied before
        // Meridian wrote the markers back) are not new again.
        let mut unmarked_before: Vec<&AgendaItem> =
            base.iter().filter(|b| b.id.is_empty()).collect();
        let mut seen: Vec<&str> = Vec::new();
        let mut steps = Vec::new();
        for n in new {
            if n.id.is_empty() {
                if let Some(at) = unmarked_before.iter().position(|b| *b == n) {
                    unmarked_before.remove(at);
                    continue;
                }
                let owner = self.owner_id(n.owner.as_deref()).await?;
                let pre_reads = self.check_pre_reads(&n.pre_reads).await?;
                steps.push(Step::New(AgendaItem {
                    id: item_id(),
                    title: n.title.trim().to_owned(),
                    owner,
                    minutes: if n.minutes == 0 { 10 } else { n.minutes },
                    notes: n.notes.clone(),
                    pre_reads,
                    resolved_async: n.resolved_async,
                }));
                continue;
            }
            if seen.contains(&n.id.as_str()) {
                return Err(Error::Mirror(format!(
                    "the marker of agenda item {} appears twice: remove it from the copy to make that section a new item; nothing of this file was applied",
                    n.id
                )));
            }
            seen.push(&n.id);
            let Some(b) = base.iter().find(|b| b.id == n.id) else {
                return Err(Error::Mirror(format!(
                    "`<!-- item: {} -->` names no agenda item of this meeting: remove that line to add the section as a new item; nothing of this file was applied",
                    n.id.chars().take(40).collect::<String>()
                )));
            };
            let (mut patch, mut late) = (AgendaItemPatch::default(), AgendaItemPatch::default());
            if b.title != n.title {
                patch.title = Some(n.title.trim().to_owned());
            }
            if b.owner != n.owner {
                let owner = self.owner_id(n.owner.as_deref()).await?;
                if owner == n.owner {
                    patch.owner = Some(owner);
                } else {
                    late.owner = Some(owner);
                }
            }
            if b.minutes != n.minutes {
                patch.minutes = Some(n.minutes);
            }
            if b.notes != n.notes {
                patch.notes = Some(n.notes.clone());
            }
            if b.pre_reads != n.pre_reads {
                let pre_reads = self.check_pre_reads(&n.pre_reads).await?;
                if pre_reads == n.pre_reads {
                    patch.pre_reads = Some(pre_reads);
                } else {
                    late.pre_reads = Some(pre_reads);
                }
            }
            if b.resolved_async != n.resolved_async {
                patch.resolved_async = Some(n.resolved_async);
            }
            steps.push(Step::Keep(n.id.clone(), patch, late));
        }
        Ok(steps)
    }

    /// Makes a meeting of a new file in `meetings/`, as `create_meeting` would: I am the
    /// organiser (in my zone unless the file gives one) and an attendee, attendees and
    /// owners are resolved, pre-reads checked, items get ids.
    pub(crate) async fn meeting_from_file(&self, mut m: Meeting) -> Result<Meeting, Error> {
        let me = self.workspace_info().me;
        m.organiser = match m.organiser.as_deref() {
            Some(o) => self.owner_id(Some(o)).await?,
            None => Some(me.id.to_string()),
        };
        if m.organiser_tz.is_empty() {
            m.organiser_tz = me.tz;
        }
        m.attendees = self.resolve_members(&m.attendees).await?;
        if !m.attendees.contains(&me.id.to_string()) {
            m.attendees.insert(0, me.id.to_string());
        }
        let mut check = m.clone();
        check.state = MeetingState::Scheduled;
        check_state(&check, m.state)?;
        for item in &mut m.agenda {
            if item.id.is_empty() {
                item.id = item_id();
            }
            item.owner = self.owner_id(item.owner.as_deref()).await?;
            item.pre_reads = self.check_pre_reads(&item.pre_reads).await?;
        }
        m.created_at_ms = self.now_ms();
        Ok(m)
    }
}

/// The agenda in the file's order: kept items with their changes (with those the rules
/// wrote otherwise too when `late`), new items where the file has them, removed items
/// gone. Items the file never showed (added elsewhere when there was no fork to apply to)
/// stay, at the end.
fn rebuild_agenda(
    agenda: &mut Vec<AgendaItem>,
    steps: Vec<Step>,
    removed: &[String],
    late: bool,
) -> bool {
    let before = agenda.clone();
    let mut rest = std::mem::take(agenda);
    for step in steps {
        match step {
            Step::Keep(id, patch, later) => {
                let Some(at) = rest.iter().position(|i| i.id == id) else {
                    continue;
                };
                let mut item = rest.remove(at);
                let patch = if late {
                    AgendaItemPatch {
                        owner: later.owner.or(patch.owner),
                        pre_reads: later.pre_reads.or(patch.pre_reads),
                        ..patch
                    }
                } else {
                    patch
                };
                if let Some(v) = patch.title {
                    item.title = v;
                }
                if let Some(v) = patch.owner {
                    item.owner = v;
                }
                if let Some(v) = patch.minutes {
                    item.minutes = v;
                }
                if let Some(v) = patch.notes {
                    item.notes = v;
                }
                if let Some(v) = patch.pre_reads {
                    item.pre_reads = v;
                }
                if let Some(v) = patch.resolved_async {
                    item.resolved_async = v;
                }
                agenda.push(item);
            }
            Step::New(item) => {
                if late {
                    agenda.push(item);
                }
            }
        }
    }
    agenda.extend(rest.into_iter().filter(|i| !removed.contains(&i.id)));
    *agenda != before
}
