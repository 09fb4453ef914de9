//! Decision commands.

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

    /// Objects of a kind, read whole (for export and derived views).
    pub async fn objects(&self, kind: Kind) -> Result<Vec<(DocId, Object)>, Error> {
        let mut out = Vec::new();
        for e in self.inner.store.list_blocking(Some(kind), false)? {
            out.push((e.id.clone(), self.show(&e.id).await?.object));
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
