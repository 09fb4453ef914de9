//! The agenda builder: items with an owner, minutes, notes and pre-reads, changed, removed
//! and reordered by id, and resolved in writing.

use meridian_core::{AgendaItem, Meeting, parse_pre_read};

use super::*;

impl Workspace {
    /// Adds an item at the end of the agenda.
    pub async fn add_agenda_item(&self, id: &DocId, new: NewAgendaItem) -> Result<Meeting, Error> {
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

    /// Pre-reads trimmed, each an existing object of this workspace or a web link.
    pub(super) async fn check_pre_reads(&self, pre_reads: &[String]) -> Result<Vec<String>, Error> {
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
