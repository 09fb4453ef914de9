//! Meetings: scheduling them (`schedule.rs`: creation, agenda and summary deadlines, fair
//! slots, and unprepared meetings turned into async threads), the agenda builder
//! (`agenda.rs`), what a meeting resolves (`outcome.rs`: decisions with the meeting as their
//! source, action items that become tasks, summarising), its mirror file edited outside
//! Meridian (`file.rs`), and here the notes and summary typed in the editor and the state
//! changes.

mod agenda;
mod file;
mod outcome;
mod schedule;

use meridian_core::{Meeting, MeetingState};

use super::*;

impl Workspace {
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
