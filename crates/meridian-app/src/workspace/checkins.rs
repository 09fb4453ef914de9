//! Check-in commands: creating a check-in, every check-in as I see it today
//! (`meridian_core::views::checkins`), answering (and changing today's answer), and the
//! digest of everyone's answers per local date (`meridian_core::norms`).

use meridian_core::norms::{self, Person};
use meridian_core::views::checkins::checkin_cards;
use meridian_core::{Checkin, CheckinEntry, Member, parse_date};

use super::*;

impl Workspace {
    pub async fn create_checkin(&self, new: NewCheckin) -> Result<(DocId, Checkin), Error> {
        let mut participants = self.resolve_members(&new.participants).await?;
        if participants.is_empty() {
            participants.push(self.workspace_info().me.id.to_string());
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
    pub async fn checkins(
        &self,
        at: Option<chrono::DateTime<chrono::Utc>>,
    ) -> Result<CheckinsView, Error> {
        let at = at.unwrap_or_else(|| meridian_core::norms::from_ms(self.now_ms()));
        let me = self.workspace_info().me;
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

    /// Records `who`'s answers for their current local date (replacing earlier ones that day).
    pub async fn answer_checkin(
        &self,
        id: &DocId,
        answers: Vec<String>,
        as_member: Option<&str>,
    ) -> Result<Checkin, Error> {
        let who = self.member_or_me(as_member).await?;
        let person = Person::new(who.to_string(), self.get::<Member>(&who).await?)?;
        let at = self.at(None);
        let date = person
            .schedule
            .local_date(at)
            .format("%Y-%m-%d")
            .to_string();
        let who = who.to_string();
        self.update::<Checkin>(id, |c| {
            if !c.participants.contains(&who) {
                return Err(meridian_core::Error::InvalidRange {
                    field: "check-in",
                    detail: format!("{} is not a participant of this check-in", person.name()),
                }
                .into());
            }
            if answers.len() != c.questions.len() {
                return Err(meridian_core::Error::InvalidRange {
                    field: "check-in",
                    detail: format!(
                        "{} answers for {} questions",
                        answers.len(),
                        c.questions.len()
                    ),
                }
                .into());
            }
            c.entries.retain(|e| !(e.member == who && e.date == date));
            c.entries.push(CheckinEntry {
                member: who,
                date,
                answers,
                at_ms: at.timestamp_millis(),
            });
            Ok(())
        })
        .await
    }

    /// The answers to a check-in on a local date (today in my zone by default).
    pub async fn checkin_digest(
        &self,
        id: &DocId,
        date: Option<&str>,
    ) -> Result<norms::CheckinDigest, Error> {
        let c: Checkin = self.get(id).await?;
        let people = self.people().await?;
        let date = match date {
            Some(d) => parse_date("date", d)?,
            None => {
                let me = self.workspace_info().me.id.to_string();
                let at = self.at(None);
                people
                    .get(&me)
                    .map_or_else(|| at.date_naive(), |p| p.schedule.local_date(at))
            }
        };
        Ok(norms::checkin_digest(id.as_str(), &c, &people, date))
    }
}
