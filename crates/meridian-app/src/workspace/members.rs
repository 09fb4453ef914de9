//! Members: names and ids resolved to members, adding and listing them, and each member's
//! calendar (zone, working hours, travel, focus blocks, out-of-office ranges). The calendar
//! rules are in `meridian_core::time`.

use std::collections::BTreeMap;

use meridian_core::norms::Person;
use meridian_core::time::{self, parse_hours, parse_weekdays};
use meridian_core::{DateRange, FocusBlock, Member, Role};

use super::*;

impl Workspace {
    /// Resolves member names (case-insensitive) or ids to member ids.
    pub async fn resolve_members(&self, who: &[String]) -> Result<Vec<String>, Error> {
        let all = self
            .inner
            .store
            .read(|s| s.list_blocking(Some(Kind::Member), false))
            .await?;
        who.iter()
            .map(|w| w.trim())
            .filter(|w| !w.is_empty())
            .map(|w| {
                all.iter()
                    .find(|m| m.id.as_str() == w || m.title.eq_ignore_ascii_case(w))
                    .map(|m| m.id.to_string())
                    .ok_or_else(|| Error::NoSuchMember {
                        name: w.chars().take(60).collect(),
                        known: all
                            .iter()
                            .map(|m| m.title.as_str())
                            .collect::<Vec<_>>()
                            .join(", "),
                    })
            })
            .collect()
    }

    pub async fn resolve_member(&self, who: &str) -> Result<DocId, Error> {
        let id = self.resolve_members(&[who.to_owned()]).await?;
        match id.first() {
            Some(id) => Ok(id.parse()?),
            None => Err(Error::NoSuchMember {
                name: String::new(),
                known: String::new(),
            }),
        }
    }

    /// `who`, or this device's member.
    pub async fn member_or_me(&self, who: Option<&str>) -> Result<DocId, Error> {
        match who {
            Some(w) => self.resolve_member(w).await,
            None => Ok(self.workspace_info().me.id),
        }
    }

    /// A member name or id → member id; `None` stays `None`.
    pub(super) async fn owner_id(&self, who: Option<&str>) -> Result<Option<String>, Error> {
        match who.map(str::trim).filter(|w| !w.is_empty()) {
            Some(w) => Ok(Some(self.resolve_member(w).await?.to_string())),
            None => Ok(None),
        }
    }

    /// Every member with their parsed calendar. A member whose calendar cannot be read
    /// (which validation prevents) is left out rather than failing every view.
    pub async fn people(&self) -> Result<BTreeMap<String, Person>, Error> {
        Ok(self
            .typed::<Member>()
            .await?
            .into_iter()
            .filter_map(|(id, m)| Person::new(id.clone(), m).ok().map(|p| (id, p)))
            .collect())
    }

    pub async fn add_member(
        &self,
        name: &str,
        tz: &str,
        role: Role,
        hours: Option<&str>,
    ) -> Result<DocId, Error> {
        let mut m = Member::new(name.trim(), tz.trim(), role);
        if let Some(h) = hours {
            m.working_hours = parse_hours(h)?;
        }
        Ok(self.create_object(m).await?.0)
    }

    pub async fn members(&self) -> Result<Vec<MemberView>, Error> {
        Ok(self
            .typed::<Member>()
            .await?
            .into_iter()
            .map(|(id, member)| member_view(&id, member))
            .collect())
    }

    pub async fn member(&self, id: &DocId) -> Result<MemberView, Error> {
        Ok(member_view(id.as_str(), self.get(id).await?))
    }

    /// This device's member, for the settings.
    pub async fn my_profile(&self) -> Result<MemberView, Error> {
        self.member(&self.workspace_info().me.id).await
    }

    pub async fn update_member(&self, id: &DocId, patch: MemberPatch) -> Result<MemberView, Error> {
        let hours = patch.hours.as_deref().map(parse_hours).transpose()?;
        let m = self
            .update::<Member>(id, |m| {
                if let Some(v) = patch.name {
                    m.display_name = v.trim().to_owned();
                }
                if let Some(v) = patch.tz {
                    m.tz = v.trim().to_owned();
                }
                if let Some(v) = patch.role {
                    m.role = v;
                }
                if let Some(v) = hours {
                    m.working_hours = v;
                }
                if let Some(v) = patch.travel {
                    m.travel = v;
                }
                Ok(())
            })
            .await?;
        if *id == self.workspace_info().me.id {
            self.refresh_context().await?;
        }
        Ok(member_view(id.as_str(), m))
    }

    pub async fn add_out_of_office(
        &self,
        id: &DocId,
        from: &str,
        to: &str,
        note: &str,
    ) -> Result<MemberView, Error> {
        let range = DateRange {
            id: item_id(),
            from: from.trim().to_owned(),
            to: to.trim().to_owned(),
            note: note.trim().to_owned(),
        };
        let m = self
            .update::<Member>(id, |m| {
                m.out_of_office.push(range);
                Ok(())
            })
            .await?;
        Ok(member_view(id.as_str(), m))
    }

    pub async fn add_focus_block(&self, id: &DocId, new: NewFocus) -> Result<MemberView, Error> {
        let weekdays = match (&new.days, &new.date) {
            (Some(_), Some(_)) => {
                return Err(meridian_core::Error::InvalidRange {
                    field: "focus block",
                    detail: "give weekdays or a date, not both".into(),
                }
                .into());
            }
            (Some(days), None) => parse_weekdays(days)?,
            (None, Some(_)) => Vec::new(),
            (None, None) => {
                return Err(meridian_core::Error::InvalidRange {
                    field: "focus block",
                    detail: "give weekdays (e.g. mon-fri) or a date".into(),
                }
                .into());
            }
        };
        let (start, end) =
            time::parse_interval("focus block", &format!("{}-{}", new.start, new.end))?;
        let block = FocusBlock {
            id: item_id(),
            weekdays,
            date: new.date.map(|d| d.trim().to_owned()),
            start: time::format_minute(start),
            end: time::format_minute(end),
        };
        let m = self
            .update::<Member>(id, |m| {
                m.focus_blocks.push(block);
                Ok(())
            })
            .await?;
        Ok(member_view(id.as_str(), m))
    }

    /// Removes the focus block with id `entry`. By id, not position: a synced edit made
    /// after the list was read may have moved the entry, and an index would then name
    /// another one.
    pub async fn remove_focus_block(&self, id: &DocId, entry: &str) -> Result<MemberView, Error> {
        let m = self
            .update::<Member>(id, |m| {
                let at = entry_index("focus block", m.focus_blocks.iter().map(|f| &f.id), entry)?;
                m.focus_blocks.remove(at);
                Ok(())
            })
            .await?;
        Ok(member_view(id.as_str(), m))
    }

    /// Removes the out-of-office range with id `entry` (by id, as for focus blocks).
    pub async fn remove_out_of_office(&self, id: &DocId, entry: &str) -> Result<MemberView, Error> {
        let m = self
            .update::<Member>(id, |m| {
                let at = entry_index(
                    "out-of-office range",
                    m.out_of_office.iter().map(|r| &r.id),
                    entry,
                )?;
                m.out_of_office.remove(at);
                Ok(())
            })
            .await?;
        Ok(member_view(id.as_str(), m))
    }
}

fn member_view(id: &str, member: Member) -> MemberView {
    MemberView {
        id: id.parse().unwrap_or_else(|_| DocId::from_bytes([0; 16])),
        hours: time::format_hours(&member.working_hours),
        member,
    }
}

/// Where the entry `wanted` of a member's list (`what`: focus block or out-of-office
/// range) is, given the ids of the list.
fn entry_index<'a>(
    what: &'static str,
    mut ids: impl Iterator<Item = &'a String>,
    wanted: &str,
) -> Result<usize, Error> {
    ids.position(|id| id == wanted).ok_or_else(|| {
        meridian_core::Error::InvalidRange {
            field: what,
            detail: format!(
                "there is no {what} with id `{}` (it may have been removed on another device)",
                wanted.chars().take(40).collect::<String>()
            ),
        }
        .into()
    })
}
