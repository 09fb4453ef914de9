//! The team's communication charter: reading it, and changing it (message kinds, the
//! escalation ladder, quiet hours, the urgent budget, meeting rules), each change recorded
//! as an accepted decision. The rules it sets are applied in `meridian_core::norms`.

use meridian_core::time;

use super::*;

impl Workspace {
    /// The charter and the id of its document.
    pub(super) async fn charter_doc(&self) -> Result<(DocId, Charter), Error> {
        let (_, charter) = self.workspace_head().await?;
        let id = charter.ok_or_else(|| Error::Metadata("the workspace has no charter".into()))?;
        let charter = self.get::<Charter>(&id).await?;
        Ok((id, charter))
    }

    /// The workspace's name and its charter's id, read without the index of every object
    /// (which grows with the workspace).
    pub(super) async fn workspace_head(&self) -> Result<(String, Option<DocId>), Error> {
        let open = self
            .lock_doc::<WorkspaceDoc>(&self.inner.workspace_doc)
            .await?;
        let name = WorkspaceDoc::name_in(&open.doc)?;
        // An id that does not parse (a peer's bug) reads as no charter, as before.
        let charter = WorkspaceDoc::charter_in(&open.doc)?.and_then(|c| c.parse::<DocId>().ok());
        Ok((name, charter))
    }

    pub async fn charter(&self) -> Result<Charter, Error> {
        Ok(self.charter_doc().await?.1)
    }

    /// Changes the charter and records the change as an accepted decision, so the team's
    /// norms have a history and a reason like any other decision.
    async fn change_charter(
        &self,
        what: String,
        change: impl FnOnce(&mut Charter) -> Result<(), Error>,
    ) -> Result<Charter, Error> {
        let (id, mut charter) = self.charter_doc().await?;
        change(&mut charter)?;
        let updated = self
            .update::<Charter>(&id, |c| {
                *c = charter;
                Ok(())
            })
            .await?;
        self.create_decision(NewDecision {
            title: format!("Charter: {what}"),
            context: "A change to the team's communication charter.".into(),
            options: vec![NewOption {
                title: what.clone(),
                ..NewOption::default()
            }],
            chosen: Some(what),
            status: Some(meridian_core::DecisionStatus::Accepted),
            deciders: vec![self.workspace_info().me.id.to_string()],
            ..NewDecision::default()
        })
        .await?;
        self.refresh_context().await?;
        Ok(updated)
    }

    /// Adds or changes a message kind's reply expectation (`None`: no reply expected).
    pub async fn set_message_kind(&self, name: &str, hours: Option<u32>) -> Result<Charter, Error> {
        let name = name.trim().to_ascii_lowercase();
        if name.is_empty() || !name.chars().all(|c| c.is_ascii_alphanumeric() || c == '-') {
            return Err(meridian_core::Error::InvalidRange {
                field: "message kind",
                detail: format!(
                    "`{}` is not a kind name; use letters, digits and dashes",
                    name.chars().take(40).collect::<String>()
                ),
            }
            .into());
        }
        let what = match hours {
            Some(h) => format!("{name} messages expect a reply within {h} working hours"),
            None => format!("{name} messages expect no reply"),
        };
        self.change_charter(what, |c| {
            match c.message_kinds.iter_mut().find(|k| k.name == name) {
                Some(k) => k.reply_within_hours = hours,
                None => c.message_kinds.push(meridian_core::MessageKind {
                    name,
                    reply_within_hours: hours,
                    breaks_focus: false,
                }),
            }
            Ok(())
        })
        .await
    }

    pub async fn set_escalation_ladder(&self, who: &[String]) -> Result<Charter, Error> {
        let ids = self.resolve_members(who).await?;
        let mut names = Vec::new();
        for id in &ids {
            names.push(self.get::<Member>(&id.parse()?).await?.display_name);
        }
        let what = format!(
            "urgent messages escalate along {}",
            if names.is_empty() {
                "no ladder".into()
            } else {
                names.join(" → ")
            }
        );
        self.change_charter(what, |c| {
            c.escalation_ladder = ids;
            Ok(())
        })
        .await
    }

    pub async fn set_quiet_hours(&self, hours: &str) -> Result<Charter, Error> {
        let (start, end) =
            hours
                .trim()
                .split_once('-')
                .ok_or_else(|| meridian_core::Error::InvalidRange {
                    field: "quiet hours",
                    detail: format!(
                        "`{}` is not a range; write e.g. 20:00-08:00",
                        hours.chars().take(40).collect::<String>()
                    ),
                })?;
        let start = time::format_minute(time::parse_minute("quiet hours", start)?);
        let end = time::format_minute(time::parse_minute("quiet hours", end)?);
        self.change_charter(format!("quiet hours are {start}-{end}"), |c| {
            c.quiet_hours = meridian_core::QuietHours { start, end };
            Ok(())
        })
        .await
    }

    pub async fn set_urgent_budget(&self, per_week: u32) -> Result<Charter, Error> {
        self.change_charter(
            format!("each sender may send {per_week} urgent messages a week"),
            |c| {
                c.urgent_budget_per_week = per_week;
                Ok(())
            },
        )
        .await
    }

    pub async fn set_meeting_rules(
        &self,
        agenda_due: Option<u32>,
        summary_due: Option<u32>,
    ) -> Result<Charter, Error> {
        let (_, current) = self.charter_doc().await?;
        let agenda = agenda_due.unwrap_or(current.meeting_rules.agenda_due_hours_before);
        let summary = summary_due.unwrap_or(current.meeting_rules.summary_due_hours_after);
        let what = format!(
            "agendas are due {agenda} working hours before a meeting, summaries {summary} after"
        );
        self.change_charter(what, |c| {
            c.meeting_rules.agenda_due_hours_before = agenda;
            c.meeting_rules.summary_due_hours_after = summary;
            Ok(())
        })
        .await
    }
}
