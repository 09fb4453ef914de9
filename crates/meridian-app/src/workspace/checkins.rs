//! Check-in commands beyond answering and the digest (with the time rules in `norms.rs`):
//! creating a check-in, and every check-in as I see it today
//! (`meridian_core::views::checkins`).

use meridian_core::Checkin;
use meridian_core::views::checkins::checkin_cards;

use super::*;

impl Workspace {
    pub async fn create_checkin(&self, new: NewCheckin) -> Result<(DocId, Checkin), Error> {
        let mut participants = self.resolve_members(&new.participants).await?;
        if participants.is_empty() {
            participants.push(self.info().me.id.to_string());
        }
        participants.dedup();
        let mut weekdays = new.weekdays;
        weekdays.sort_unstable();
        weekdays.dedup();
        let prompt = new.prompt_time.trim();
        let prompt_time = meridian_core::time::format_minute(meridian_core::time::parse_minute(
            "prompt time",
            if prompt.is_empty() { "09:30" } else { prompt },
        )?);
        self.create_object(Checkin {
            title: new.title.trim().to_owned(),
            questions: new
                .questions
                .iter()
                .map(|q| q.trim().to_owned())
                .filter(|q| !q.is_empty())
                .collect(),
            weekdays,
            prompt_time,
            participants,
            entries: Vec::new(),
            created_at_ms: self.now_ms(),
        })
        .await
    }

    /// Every check-in with my state at `at` (now by default): asked today, due, answered,
    /// the next prompt, and the dates that have answers.
    pub async fn checkins_view(
        &self,
        at: Option<chrono::DateTime<chrono::Utc>>,
    ) -> Result<CheckinsView, Error> {
        let at = at.unwrap_or_else(|| meridian_core::norms::from_ms(self.now_ms()));
        let me = self.info().me;
        let checkins = self.typed::<Checkin>().await?;
        let people = self.people().await?;
        let today = people
            .get(me.id.as_str())
            .map_or_else(|| at.date_naive(), |p| p.schedule.local_date(at))
            .format("%Y-%m-%d")
            .to_string();
        Ok(CheckinsView {
            cards: checkin_cards(&checkins, &people, me.id.as_str(), at),
            at: meridian_core::norms::utc_rfc3339(at),
            today,
            me,
        })
    }
}
