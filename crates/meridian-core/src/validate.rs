//! The rules each kind of object must satisfy, checked before any write.

use std::collections::{BTreeSet, HashSet};

use chrono::{NaiveDate, NaiveTime};

use crate::doc::{Object, ObjectSchema};
use crate::objects::*;
use crate::{Error, Kind};

/// What the rules need to know about the rest of the workspace.
#[derive(Debug, Default, Clone, Copy)]
pub struct Context<'a> {
    /// Ids of the workspace's members. References to anyone else are rejected.
    pub members: Option<&'a BTreeSet<String>>,
    /// Message kinds defined by the charter.
    pub message_kinds: &'a [MessageKind],
}

impl Context<'_> {
    fn member(&self, id: &str) -> Result<(), Error> {
        match self.members {
            Some(known) if !known.contains(id) => Err(Error::UnknownMember(id.to_owned())),
            _ => Ok(()),
        }
    }

    fn members<'b>(&self, ids: impl IntoIterator<Item = &'b String>) -> Result<(), Error> {
        ids.into_iter().try_for_each(|id| self.member(id))
    }
}

/// Parses a `YYYY-MM-DD` local date.
pub fn parse_date(field: &'static str, value: &str) -> Result<NaiveDate, Error> {
    NaiveDate::parse_from_str(value.trim(), "%Y-%m-%d").map_err(|_| Error::InvalidDate {
        field,
        value: value.chars().take(40).collect(),
    })
}

/// Parses a `HH:MM` local time of day (`24:00` is accepted as the end of a day).
pub fn parse_time(field: &'static str, value: &str) -> Result<NaiveTime, Error> {
    let v = value.trim();
    if v == "24:00" {
        return Ok(NaiveTime::MIN);
    }
    NaiveTime::parse_from_str(v, "%H:%M").map_err(|_| Error::InvalidTime {
        field,
        value: value.chars().take(40).collect(),
    })
}

fn date_range(field: &'static str, from: &str, to: &str) -> Result<(), Error> {
    if parse_date(field, from)? > parse_date(field, to)? {
        return Err(Error::InvalidRange {
            field,
            detail: format!("{from} to {to} ends before it starts"),
        });
    }
    Ok(())
}

fn weekday(d: u8) -> Result<(), Error> {
    if d > 6 {
        Err(Error::InvalidWeekday(d))
    } else {
        Ok(())
    }
}

/// The ids of a member's focus blocks or out-of-office ranges: present, and each once, so
/// removing by id removes exactly one entry.
fn entry_ids<'a>(field: &'static str, ids: impl Iterator<Item = &'a str>) -> Result<(), Error> {
    let mut seen = HashSet::new();
    for id in ids {
        if id.trim().is_empty() {
            return Err(Error::InvalidRange {
                field,
                detail: "an entry needs an id".into(),
            });
        }
        if !seen.insert(id) {
            return Err(Error::InvalidRange {
                field,
                detail: format!("entry id `{id}` is used twice"),
            });
        }
    }
    Ok(())
}

fn time_zone(tz: &str) -> Result<(), Error> {
    tz.parse::<chrono_tz::Tz>()
        .map(|_| ())
        .map_err(|_| Error::UnknownTimeZone(tz.chars().take(60).collect()))
}

fn title(kind: Kind, title: &str) -> Result<(), Error> {
    if title.trim().is_empty() {
        Err(Error::EmptyTitle(kind))
    } else {
        Ok(())
    }
}

/// What a pre-read points at: an object of the workspace or a web page.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PreRead<'a> {
    Object(&'a str),
    Url(&'a str),
}

/// Reads a pre-read as stored: an object id (32 hex digits) or an `http(s)://` URL.
pub fn parse_pre_read(value: &str) -> Result<PreRead<'_>, Error> {
    let v = value.trim();
    if v.parse::<crate::DocId>().is_ok() {
        return Ok(PreRead::Object(v));
    }
    let lower = v.to_ascii_lowercase();
    let rest = lower
        .strip_prefix("https://")
        .or_else(|| lower.strip_prefix("http://"));
    match rest {
        Some(host) if !host.is_empty() && !v.chars().any(char::is_whitespace) => {
            Ok(PreRead::Url(v))
        }
        _ => Err(Error::InvalidRange {
            field: "pre-read",
            detail: format!(
                "`{}` is neither an object of this workspace nor a web link; pick an object or paste a link starting with https://",
                v.chars().take(60).collect::<String>()
            ),
        }),
    }
}

fn opt_date(field: &'static str, value: &Option<String>) -> Result<(), Error> {
    value
        .as_deref()
        .map_or(Ok(()), |v| parse_date(field, v).map(|_| ()))
}

impl ObjectSchema for WorkspaceDoc {
    const KIND: Kind = Kind::Workspace;
    fn title(&self) -> &str {
        &self.name
    }
    fn validate(&self, _: Option<&Self>, _: &Context<'_>) -> Result<(), Error> {
        title(Kind::Workspace, &self.name)
    }
    fn into_object(self) -> Object {
        Object::Workspace(self)
    }
    fn from_object(object: &Object) -> Option<&Self> {
        match object {
            Object::Workspace(x) => Some(x),
            _ => None,
        }
    }
}

impl ObjectSchema for Member {
    const KIND: Kind = Kind::Member;
    fn title(&self) -> &str {
        &self.display_name
    }
    fn status(&self) -> Option<String> {
        Some(self.role.as_str().to_owned())
    }
    fn validate(&self, _: Option<&Self>, _: &Context<'_>) -> Result<(), Error> {
        title(Kind::Member, &self.display_name)?;
        time_zone(&self.tz)?;
        crate::time::Schedule::of(self)?;
        entry_ids(
            "out of office",
            self.out_of_office.iter().map(|r| r.id.as_str()),
        )?;
        entry_ids(
            "focus block",
            self.focus_blocks.iter().map(|f| f.id.as_str()),
        )?;
        for r in &self.out_of_office {
            date_range("out of office", &r.from, &r.to)?;
        }
        for f in &self.focus_blocks {
            f.weekdays.iter().try_for_each(|d| weekday(*d))?;
            if f.date.is_none() && f.weekdays.is_empty() {
                return Err(Error::InvalidRange {
                    field: "focus block",
                    detail: "needs weekdays or a date".into(),
                });
            }
        }
        if let Some(t) = &self.travel {
            time_zone(&t.tz)?;
            date_range("travel", &t.from, &t.to)?;
        }
        Ok(())
    }
    fn into_object(self) -> Object {
        Object::Member(self)
    }
    fn from_object(object: &Object) -> Option<&Self> {
        match object {
            Object::Member(x) => Some(x),
            _ => None,
        }
    }
}

impl ObjectSchema for Charter {
    const KIND: Kind = Kind::Charter;
    fn title(&self) -> &str {
        "Charter"
    }
    fn validate(&self, _: Option<&Self>, ctx: &Context<'_>) -> Result<(), Error> {
        let mut seen = HashSet::new();
        for k in &self.message_kinds {
            if k.name.trim().is_empty() || !seen.insert(k.name.as_str()) {
                return Err(Error::InvalidRange {
                    field: "message kinds",
                    detail: format!("`{}` is empty or defined twice", k.name),
                });
            }
        }
        parse_time("quiet hours", &self.quiet_hours.start)?;
        parse_time("quiet hours", &self.quiet_hours.end)?;
        parse_time("check-in prompt time", &self.checkin_prompt_time)?;
        ctx.members(&self.escalation_ladder)
    }
    fn into_object(self) -> Object {
        Object::Charter(self)
    }
    fn from_object(object: &Object) -> Option<&Self> {
        match object {
            Object::Charter(x) => Some(x),
            _ => None,
        }
    }
}

impl ObjectSchema for Page {
    const KIND: Kind = Kind::Page;
    fn title(&self) -> &str {
        &self.title
    }
    fn validate(&self, _: Option<&Self>, ctx: &Context<'_>) -> Result<(), Error> {
        title(Kind::Page, &self.title)?;
        if let Some(owner) = &self.owner {
            ctx.member(owner)?;
        }
        opt_date("review by", &self.review_by)
    }
    fn into_object(self) -> Object {
        Object::Page(self)
    }
    fn from_object(object: &Object) -> Option<&Self> {
        match object {
            Object::Page(x) => Some(x),
            _ => None,
        }
    }
}

impl ObjectSchema for Decision {
    const KIND: Kind = Kind::Decision;
    fn title(&self) -> &str {
        &self.title
    }
    fn status(&self) -> Option<String> {
        Some(self.status.as_str().to_owned())
    }
    fn validate(&self, previous: Option<&Self>, ctx: &Context<'_>) -> Result<(), Error> {
        title(Kind::Decision, &self.title)?;
        let mut ids = HashSet::new();
        for o in &self.options {
            if !ids.insert(o.id.as_str()) {
                return Err(Error::DuplicateOptionId(o.id.clone()));
            }
        }
        if let Some(chosen) = &self.chosen_option
            && !ids.contains(chosen.as_str())
        {
            return Err(Error::ChosenOptionUnknown(chosen.clone()));
        }
        if let Some(prev) = previous
            && !prev.status.can_become(self.status)
        {
            return Err(Error::StatusTransition {
                from: prev.status,
                to: self.status,
                allowed: prev
                    .status
                    .next_steps()
                    .iter()
                    .map(|s| s.as_str())
                    .collect::<Vec<_>>()
                    .join(", "),
            });
        }
        if self.status == DecisionStatus::Accepted && self.chosen_option.is_none() {
            return Err(Error::AcceptedWithoutChosenOption);
        }
        for f in &self.feedback {
            ctx.member(&f.author)?;
        }
        ctx.members(&self.acknowledgements)?;
        opt_date("review by", &self.review_by)
    }
    fn into_object(self) -> Object {
        Object::Decision(self)
    }
    fn from_object(object: &Object) -> Option<&Self> {
        match object {
            Object::Decision(x) => Some(x),
            _ => None,
        }
    }
}

impl ObjectSchema for Meeting {
    const KIND: Kind = Kind::Meeting;
    fn title(&self) -> &str {
        &self.title
    }
    fn status(&self) -> Option<String> {
        Some(self.state.as_str().to_owned())
    }
    fn validate(&self, _: Option<&Self>, ctx: &Context<'_>) -> Result<(), Error> {
        title(Kind::Meeting, &self.title)?;
        if self.duration_min == 0 || self.duration_min > 24 * 60 {
            return Err(Error::MeetingDuration(self.duration_min));
        }
        time_zone(&self.organiser_tz)?;
        ctx.members(&self.attendees)?;
        let mut ids = HashSet::new();
        for item in &self.agenda {
            title(Kind::Meeting, &item.title).map_err(|_| Error::InvalidRange {
                field: "agenda item",
                detail: "an agenda item needs a title".into(),
            })?;
            if !ids.insert(item.id.as_str()) {
                return Err(Error::InvalidRange {
                    field: "agenda item",
                    detail: format!("item id `{}` is used twice in this agenda", item.id),
                });
            }
            if let Some(owner) = &item.owner {
                ctx.member(owner)?;
            }
            for p in &item.pre_reads {
                parse_pre_read(p)?;
            }
        }
        Ok(())
    }
    fn into_object(self) -> Object {
        Object::Meeting(self)
    }
    fn from_object(object: &Object) -> Option<&Self> {
        match object {
            Object::Meeting(x) => Some(x),
            _ => None,
        }
    }
}

impl ObjectSchema for Thread {
    const KIND: Kind = Kind::Thread;
    fn title(&self) -> &str {
        &self.title
    }
    fn status(&self) -> Option<String> {
        Some(self.state.as_str().to_owned())
    }
    fn validate(&self, _: Option<&Self>, ctx: &Context<'_>) -> Result<(), Error> {
        title(Kind::Thread, &self.title)?;
        if !ctx.message_kinds.is_empty() {
            let kind = ctx
                .message_kinds
                .iter()
                .find(|k| k.name == self.message_kind)
                .ok_or_else(|| Error::UnknownMessageKind {
                    kind: self.message_kind.clone(),
                    allowed: ctx
                        .message_kinds
                        .iter()
                        .map(|k| k.name.as_str())
                        .collect::<Vec<_>>()
                        .join(", "),
                })?;
            if kind.breaks_focus
                && self
                    .urgent_reason
                    .as_deref()
                    .is_none_or(|r| r.trim().is_empty())
            {
                return Err(Error::UrgentNeedsReason);
            }
        }
        ctx.member(&self.author)?;
        ctx.members(&self.recipients)?;
        ctx.members(&self.acknowledgements)?;
        for m in &self.messages {
            ctx.member(&m.author)?;
        }
        Ok(())
    }
    fn into_object(self) -> Object {
        Object::Thread(self)
    }
    fn from_object(object: &Object) -> Option<&Self> {
        match object {
            Object::Thread(x) => Some(x),
            _ => None,
        }
    }
}

impl ObjectSchema for Checkin {
    const KIND: Kind = Kind::Checkin;
    fn title(&self) -> &str {
        &self.title
    }
    fn validate(&self, _: Option<&Self>, ctx: &Context<'_>) -> Result<(), Error> {
        title(Kind::Checkin, &self.title)?;
        if self.questions.is_empty() || self.questions.iter().any(|q| q.trim().is_empty()) {
            return Err(Error::InvalidRange {
                field: "check-in",
                detail: "a check-in needs at least one question, and no question may be blank"
                    .into(),
            });
        }
        if self.weekdays.is_empty() {
            return Err(Error::InvalidRange {
                field: "check-in",
                detail: "pick at least one weekday on which the check-in asks".into(),
            });
        }
        self.weekdays.iter().try_for_each(|d| weekday(*d))?;
        parse_time("prompt time", &self.prompt_time)?;
        ctx.members(&self.participants)?;
        for e in &self.entries {
            ctx.member(&e.member)?;
            parse_date("check-in entry", &e.date)?;
        }
        Ok(())
    }
    fn into_object(self) -> Object {
        Object::Checkin(self)
    }
    fn from_object(object: &Object) -> Option<&Self> {
        match object {
            Object::Checkin(x) => Some(x),
            _ => None,
        }
    }
}

impl ObjectSchema for Task {
    const KIND: Kind = Kind::Task;
    fn title(&self) -> &str {
        &self.title
    }
    fn status(&self) -> Option<String> {
        Some(self.state.as_str().to_owned())
    }
    fn validate(&self, _: Option<&Self>, ctx: &Context<'_>) -> Result<(), Error> {
        title(Kind::Task, &self.title)?;
        if let Some(owner) = &self.owner {
            ctx.member(owner)?;
        }
        opt_date("due", &self.due)
    }
    fn into_object(self) -> Object {
        Object::Task(self)
    }
    fn from_object(object: &Object) -> Option<&Self> {
        match object {
            Object::Task(x) => Some(x),
            _ => None,
        }
    }
}
