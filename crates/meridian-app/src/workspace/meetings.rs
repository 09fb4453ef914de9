//! Meeting commands beyond scheduling (which lives with the time rules in `norms.rs`): the
//! agenda builder, notes and summary typed in the editor, state changes, and what a
//! meeting resolves — decisions with the meeting as their source, and action items that
//! become tasks.

use meridian_core::{AgendaItem, Meeting, MeetingState, TaskSource, parse_pre_read};

use super::*;

impl Workspace {
    /// Adds an item at the end of the agenda.
    pub async fn add_agenda_item_with(
        &self,
        id: &DocId,
        new: NewAgendaItem,
    ) -> Result<Meeting, Error> {
        let owner = self.owner_id(new.owner.as_deref()).await?;
        let pre_reads = self.check_pre_reads(&new.pre_reads).await?;
        let item = AgendaItem {
            id: item_id(),
            title: new.title.trim().to_owned(),
            owner,
            minutes: if new.minutes == 0 { 10 } else { new.minutes },
            notes: new.notes.trim().to_owned(),
            pre_reads,
            resolved_async: false,
        };
        self.update::<Meeting>(id, |m| {
            m.agenda.push(item);
            Ok(())
        })
        .await
    }

    /// Changes one agenda item (by id).
    pub async fn update_agenda_item(
        &self,
        id: &DocId,
        item: &str,
        patch: AgendaItemPatch,
    ) -> Result<Meeting, Error> {
        let owner = match patch.owner {
            Some(o) => Some(self.owner_id(o.as_deref()).await?),
            None => None,
        };
        let pre_reads = match patch.pre_reads {
            Some(p) => Some(self.check_pre_reads(&p).await?),
            None => None,
        };
        self.update::<Meeting>(id, |m| {
            let it = agenda_entry(m, item)?;
            if let Some(v) = patch.title {
                it.title = v.trim().to_owned();
            }
            if let Some(v) = owner {
                it.owner = v;
            }
            if let Some(v) = patch.minutes {
                it.minutes = v;
            }
            if let Some(v) = patch.notes {
                it.notes = v;
            }
            if let Some(v) = pre_reads {
                it.pre_reads = v;
            }
            if let Some(v) = patch.resolved_async {
                it.resolved_async = v;
            }
            Ok(())
        })
        .await
    }

    pub async fn remove_agenda_item(&self, id: &DocId, item: &str) -> Result<Meeting, Error> {
        self.update::<Meeting>(id, |m| {
            let at = agenda_index(m, item)?;
            m.agenda.remove(at);
            Ok(())
        })
        .await
    }

    /// Moves an agenda item to position `to` (0 is first; past the end means last).
    pub async fn move_agenda_item(
        &self,
        id: &DocId,
        item: &str,
        to: usize,
    ) -> Result<Meeting, Error> {
        self.update::<Meeting>(id, |m| {
            let from = agenda_index(m, item)?;
            let it = m.agenda.remove(from);
            let to = to.min(m.agenda.len());
            m.agenda.insert(to, it);
            Ok(())
        })
        .await
    }

    /// Applies editor keystrokes to a meeting's notes or summary (UTF-16 positions).
    pub async fn edit_meeting_text(
        &self,
        id: &DocId,
        which: MeetingText,
        splices: &[TextSplice],
    ) -> Result<(), Error> {
        self.splice_prose::<Meeting>(id, which.field(), splices)
            .await
    }

    /// Replaces a meeting's notes or summary (merged in as a diff, so concurrent edits of
    /// other parts survive).
    pub async fn set_meeting_text(
        &self,
        id: &DocId,
        which: MeetingText,
        text: String,
    ) -> Result<Meeting, Error> {
        self.update::<Meeting>(id, |m| {
            match which {
                MeetingText::Notes => m.notes = text,
                MeetingText::Summary => m.summary = text,
            }
            Ok(())
        })
        .await
    }

    /// Moves a meeting to `state` by hand: held, summarised (which needs a summary),
    /// cancelled, or back to scheduled. Turning into an async thread happens on its own at
    /// the agenda deadline.
    pub async fn set_meeting_state(
        &self,
        id: &DocId,
        state: MeetingState,
    ) -> Result<Meeting, Error> {
        self.update::<Meeting>(id, |m| check_state(m, state).map(|()| m.state = state))
            .await
    }

    /// A decision about this meeting (or one of its agenda items) as the form starts it:
    /// title and context from the meeting, its attendees as deciders.
    pub async fn draft_meeting_decision(
        &self,
        id: &DocId,
        agenda_item: Option<&str>,
    ) -> Result<NewDecision, Error> {
        let m: Meeting = self.get(id).await?;
        draft(&m, agenda_item)
    }

    /// Records a decision reached in the meeting: the meeting is its source and lists it.
    pub async fn record_meeting_decision(
        &self,
        id: &DocId,
        decision: NewDecision,
    ) -> Result<(DocId, Decision), Error> {
        let _: Meeting = self.get(id).await?;
        let (decision_id, decision) = self.create_meeting_decision(id, decision).await?;
        self.update::<Meeting>(id, |m| {
            m.decisions.push(decision_id.to_string());
            Ok(())
        })
        .await?;
        Ok((decision_id, decision))
    }

    /// An action item of the meeting: a task whose source is the meeting, listed in the
    /// meeting's `tasks`.
    pub async fn add_action_item(&self, id: &DocId, mut task: NewTask) -> Result<DocId, Error> {
        task.source = Some(TaskSource {
            kind: Kind::Meeting.as_str().to_owned(),
            id: id.to_string(),
        });
        Ok(self.create_task(task).await?.0)
    }

    /// Summarises a meeting in one step: sets the summary (if given), records the decision
    /// and the tasks it resolved, and moves it to summarised. Everything is checked before
    /// anything is written, so a bad owner or date leaves the meeting as it was.
    pub async fn summarise_meeting(
        &self,
        id: &DocId,
        outcome: MeetingOutcome,
    ) -> Result<Summarised, Error> {
        let m: Meeting = self.get(id).await?;
        let summary = outcome.summary.clone().unwrap_or_else(|| m.summary.clone());
        let mut check = m.clone();
        check.summary = summary;
        check_state(&check, MeetingState::Summarised)?;
        let decision = match outcome.decision {
            Some(mut d) => {
                // Empty fields mean "as drafted from the meeting".
                let drafted = draft(&m, outcome.agenda_item.as_deref())?;
                if d.title.trim().is_empty() {
                    d.title = drafted.title;
                }
                if d.context.trim().is_empty() {
                    d.context = drafted.context;
                }
                if d.deciders.is_empty() {
                    d.deciders = drafted.deciders;
                }
                Some(d)
            }
            None => None,
        };
        let mut tasks = Vec::new();
        for t in outcome.tasks {
            tasks.push(self.checked_task(t, Some(id)).await?);
        }

        if let Some(s) = outcome.summary {
            self.set_meeting_text(id, MeetingText::Summary, s).await?;
        }
        let decision_id = match decision {
            Some(d) => Some(self.record_meeting_decision(id, d).await?.0),
            None => None,
        };
        let mut task_ids = Vec::new();
        for t in tasks {
            task_ids.push(self.insert_task(t).await?);
        }
        let meeting = self.set_meeting_state(id, MeetingState::Summarised).await?;
        Ok(Summarised {
            meeting,
            decision: decision_id,
            tasks: task_ids,
        })
    }

    async fn create_meeting_decision(
        &self,
        meeting: &DocId,
        new: NewDecision,
    ) -> Result<(DocId, Decision), Error> {
        let deciders = self.resolve_members(&new.deciders).await?;
        let (id, _) = self
            .create_decision(NewDecision { deciders, ..new })
            .await?;
        let d = self
            .update::<Decision>(&id, |d| {
                d.source_meeting = Some(meeting.to_string());
                Ok(())
            })
            .await?;
        Ok((id, d))
    }

    /// A member name or id → member id; `None` stays `None`.
    pub(super) async fn owner_id(&self, who: Option<&str>) -> Result<Option<String>, Error> {
        match who.map(str::trim).filter(|w| !w.is_empty()) {
            Some(w) => Ok(Some(self.resolve_member(w).await?.to_string())),
            None => Ok(None),
        }
    }

    /// Pre-reads trimmed, each an existing object of this workspace or a web link.
    async fn check_pre_reads(&self, pre_reads: &[String]) -> Result<Vec<String>, Error> {
        let mut out = Vec::new();
        for p in pre_reads.iter().map(|p| p.trim()).filter(|p| !p.is_empty()) {
            if let meridian_core::PreRead::Object(o) = parse_pre_read(p)? {
                self.summary(&o.parse()?).await?;
            }
            if !out.iter().any(|q| q == p) {
                out.push(p.to_owned());
            }
        }
        Ok(out)
    }
}

fn draft(m: &Meeting, agenda_item: Option<&str>) -> Result<NewDecision, Error> {
    let (title, context) =
        m.decision_draft(agenda_item)
            .ok_or_else(|| meridian_core::Error::InvalidRange {
                field: "agenda item",
                detail: format!(
                    "`{}` is not an item of this meeting's agenda",
                    agenda_item
                        .unwrap_or_default()
                        .chars()
                        .take(60)
                        .collect::<String>()
                ),
            })?;
    Ok(NewDecision {
        title,
        context,
        deciders: m.attendees.clone(),
        ..NewDecision::default()
    })
}

fn check_state(m: &Meeting, next: MeetingState) -> Result<(), Error> {
    let refuse = |detail: String| -> Result<(), Error> {
        Err(meridian_core::Error::InvalidRange {
            field: "meeting state",
            detail,
        }
        .into())
    };
    if next == MeetingState::ConvertedToAsync && m.state != next {
        return refuse(
            "a meeting becomes an async thread on its own when its agenda is empty at the deadline"
                .into(),
        );
    }
    if !m.state.can_become(next) {
        let allowed: Vec<&str> = m.state.next_steps().iter().map(|s| s.as_str()).collect();
        return refuse(format!(
            "a {} meeting cannot become {next}; it can become: {}",
            m.state,
            if allowed.is_empty() {
                "nothing else".to_owned()
            } else {
                allowed.join(", ")
            }
        ));
    }
    if next == MeetingState::Summarised && m.summary.trim().is_empty() {
        return refuse(
            "write the summary first: what was discussed and what was concluded, for those who were not there"
                .into(),
        );
    }
    Ok(())
}

fn agenda_index(m: &Meeting, item: &str) -> Result<usize, Error> {
    m.agenda.iter().position(|a| a.id == item).ok_or_else(|| {
        meridian_core::Error::InvalidRange {
            field: "agenda item",
            detail: format!(
                "this meeting has no agenda item `{}` (it may have been removed on another device)",
                item.chars().take(40).collect::<String>()
            ),
        }
        .into()
    })
}

fn agenda_entry<'a>(m: &'a mut Meeting, item: &str) -> Result<&'a mut AgendaItem, Error> {
    let at = agenda_index(m, item)?;
    Ok(&mut m.agenda[at])
}
