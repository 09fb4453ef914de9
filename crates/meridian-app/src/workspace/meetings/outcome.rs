//! What a meeting resolves: decisions with the meeting as their source (drafted from the
//! meeting or one of its agenda items), action items that become tasks, and summarising a
//! meeting in one step.

use meridian_core::{Meeting, MeetingState, TaskSource};

use super::*;

impl Workspace {
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
