//! Decision commands.

use meridian_core::{Feedback, Stance, Thread};

use super::*;

impl Workspace {
    // ----- decisions -----

    pub async fn create_decision(&self, new: NewDecision) -> Result<(DocId, Decision), Error> {
        let mut d = Decision::new(new.title.trim(), self.now_ms());
        d.context = new.context;
        d.drivers = new.drivers;
        d.options = new.options.into_iter().map(new_option).collect();
        d.rationale = new.rationale;
        d.consequences = new.consequences;
        d.deciders = new.deciders;
        if let Some(chosen) = new.chosen {
            let norm = |s: &str| s.trim().to_lowercase();
            let found = d.options.iter().find(|o| norm(&o.title) == norm(&chosen));
            d.chosen_option = Some(match found {
                Some(o) => o.id.clone(),
                None => {
                    let o = new_option(NewOption {
                        title: chosen,
                        ..NewOption::default()
                    });
                    let id = o.id.clone();
                    d.options.push(o);
                    id
                }
            });
        }
        if let Some(status) = new.status {
            d.status = status;
        }
        self.create_object(d).await
    }

    pub async fn update_decision(
        &self,
        id: &DocId,
        patch: DecisionPatch,
    ) -> Result<Decision, Error> {
        self.update::<Decision>(id, |d| {
            if let Some(v) = patch.title {
                d.title = v.trim().to_owned();
            }
            if let Some(v) = patch.context {
                d.context = v;
            }
            if let Some(v) = patch.drivers {
                d.drivers = v;
            }
            if let Some(options) = patch.options {
                d.options = options
                    .into_iter()
                    .map(|mut o| {
                        if o.id.trim().is_empty() {
                            o.id = item_id();
                        }
                        o
                    })
                    .collect();
            }
            if let Some(v) = patch.chosen_option {
                d.chosen_option = v;
            }
            if let Some(v) = patch.rationale {
                d.rationale = v;
            }
            if let Some(v) = patch.consequences {
                d.consequences = v;
            }
            if let Some(v) = patch.deciders {
                d.deciders = v;
            }
            if let Some(v) = patch.consulted {
                d.consulted = v;
            }
            if let Some(v) = patch.informed {
                d.informed = v;
            }
            if let Some(v) = patch.review_by {
                d.review_by = v;
            }
            if let Some(v) = patch.decide_by_ms {
                d.decide_by_ms = v;
            }
            Ok(())
        })
        .await
    }

    pub async fn set_decision_status(
        &self,
        id: &DocId,
        status: DecisionStatus,
    ) -> Result<Decision, Error> {
        self.update::<Decision>(id, |d| {
            d.status = status;
            Ok(())
        })
        .await
    }

    pub async fn add_option(
        &self,
        id: &DocId,
        new: NewOption,
    ) -> Result<(Decision, DecisionOption), Error> {
        let option = new_option(new);
        let added = option.clone();
        let d = self
            .update::<Decision>(id, |d| {
                d.options.push(option);
                Ok(())
            })
            .await?;
        Ok((d, added))
    }

    /// Chooses an option by id or by (case-insensitive) title.
    pub async fn choose_option(
        &self,
        id: &DocId,
        option: &str,
        rationale: Option<String>,
    ) -> Result<Decision, Error> {
        let wanted = option.trim().to_lowercase();
        self.update::<Decision>(id, |d| {
            let found = d
                .options
                .iter()
                .find(|o| o.id == option || o.title.trim().to_lowercase() == wanted)
                .ok_or_else(|| meridian_core::Error::ChosenOptionUnknown(option.to_owned()))?;
            d.chosen_option = Some(found.id.clone());
            if let Some(r) = rationale {
                d.rationale = r;
            }
            Ok(())
        })
        .await
    }

    /// Records my feedback on a decision. An objection must say why.
    pub async fn give_feedback(
        &self,
        id: &DocId,
        stance: Stance,
        text: &str,
    ) -> Result<Decision, Error> {
        let text = text.trim();
        if stance == Stance::Object && text.is_empty() {
            return Err(meridian_core::Error::InvalidRange {
                field: "feedback",
                detail: "an objection needs a reason: say what would have to change".into(),
            }
            .into());
        }
        let feedback = Feedback {
            id: item_id(),
            author: self.workspace_info().me.id.to_string(),
            stance,
            text: text.to_owned(),
            at_ms: self.now_ms(),
        };
        self.update::<Decision>(id, |d| {
            d.feedback.push(feedback);
            Ok(())
        })
        .await
    }

    /// Records that I have read the outcome of a decision (once it has one).
    pub async fn acknowledge_decision(&self, id: &DocId) -> Result<Decision, Error> {
        let me = self.workspace_info().me.id.to_string();
        self.update::<Decision>(id, |d| {
            use DecisionStatus::*;
            if matches!(d.status, Draft | Proposed) {
                return Err(meridian_core::Error::InvalidRange {
                    field: "acknowledgement",
                    detail: format!(
                        "this decision is still {}: acknowledge it once it is accepted or rejected",
                        d.status
                    ),
                }
                .into());
            }
            if !d.acknowledgements.contains(&me) {
                d.acknowledgements.push(me);
            }
            Ok(())
        })
        .await
    }

    /// Marks `old` as superseded by `new`, linking both ways. `old` must be accepted (or
    /// deprecated): only a decision in force can be superseded.
    pub async fn supersede_decision(&self, old: &DocId, new: &DocId) -> Result<Decision, Error> {
        if old == new {
            return Err(meridian_core::Error::InvalidRange {
                field: "supersede",
                detail: "a decision cannot supersede itself".into(),
            }
            .into());
        }
        // Both must be decisions before either changes; the status rules then judge `old`.
        let _: Decision = self.get(new).await?;
        let superseded = self
            .update::<Decision>(old, |d| {
                d.superseded_by = Some(new.to_string());
                d.status = DecisionStatus::Superseded;
                Ok(())
            })
            .await?;
        self.update::<Decision>(new, |d| {
            d.supersedes = Some(old.to_string());
            Ok(())
        })
        .await?;
        Ok(superseded)
    }

    /// Turns a thread into a draft decision, pre-filled from it: the thread's title, its
    /// body and replies as the context, its author as decider and its recipients as
    /// consulted. The two link to each other. A thread is promoted once.
    pub async fn promote_thread(&self, thread_id: &DocId) -> Result<(DocId, Decision), Error> {
        let thread: Thread = self.get(thread_id).await?;
        if let Some(existing) = &thread.linked_decision {
            return Err(meridian_core::Error::InvalidRange {
                field: "promote",
                detail: format!(
                    "this thread is already linked to decision {existing}; open it there"
                ),
            }
            .into());
        }
        let people = self.people().await?;
        let name = |id: &str| {
            people
                .get(id)
                .map(|p| p.member.display_name.clone())
                .unwrap_or_else(|| id.to_owned())
        };
        let mut context = thread.body.trim().to_owned();
        for m in &thread.messages {
            let when = chrono::DateTime::from_timestamp_millis(m.at_ms)
                .map(|t| t.format("%Y-%m-%d").to_string())
                .unwrap_or_default();
            context.push_str(&format!(
                "\n\n> **{}** ({when}): {}",
                name(&m.author),
                m.body.trim().replace('\n', "\n> ")
            ));
        }
        let mut d = Decision::new(thread.title.trim(), self.now_ms());
        d.context = context;
        d.deciders = vec![name(&thread.author)];
        d.consulted = thread.recipients.iter().map(|r| name(r)).collect();
        d.source_thread = Some(thread_id.to_string());
        let (id, d) = self.create_object(d).await?;
        self.update::<Thread>(thread_id, |t| {
            t.linked_decision = Some(id.to_string());
            Ok(())
        })
        .await?;
        Ok((id, d))
    }

    /// Objects of a kind, read whole (for export and derived views).
    pub async fn objects(&self, kind: Kind) -> Result<Vec<(DocId, Object)>, Error> {
        let mut out = Vec::new();
        let entries = self
            .inner
            .store
            .read(move |s| s.list_blocking(Some(kind), false))
            .await?;
        for e in entries {
            out.push((e.id.clone(), self.show_object(&e.id).await?.object));
        }
        Ok(out)
    }
}

/// A fresh id for an item inside a document (an option, an agenda item, a message):
/// unique within its list, so concurrent inserts merge by identity.
pub fn item_id() -> String {
    let bytes: [u8; 4] = rand::random();
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn new_option(o: NewOption) -> DecisionOption {
    DecisionOption {
        id: item_id(),
        title: o.title.trim().to_owned(),
        description: o.description,
        pros: o.pros,
        cons: o.cons,
    }
}
