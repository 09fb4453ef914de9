//! The derived views: the inbox (and what I wait on), the team clock, and notifications
//! (due ones, and those held by a focus block or quiet hours). They are pure functions in
//! `meridian_core::views`; this module loads the documents they read into a [`Snapshot`].

use std::collections::BTreeMap;

use chrono::{DateTime, TimeDelta, Utc};
use meridian_core::norms::{Person, from_ms, utc_rfc3339};
use meridian_core::views::{self, World};
use meridian_core::{Checkin, Meeting, Task, Thread};

use super::*;

/// The documents the derived views read, loaded once per view.
#[derive(Debug)]
pub struct Snapshot {
    pub charter: Charter,
    pub people: BTreeMap<String, Person>,
    pub threads: Vec<(String, Thread)>,
    pub decisions: Vec<(String, Decision)>,
    pub meetings: Vec<(String, Meeting)>,
    pub checkins: Vec<(String, Checkin)>,
    pub tasks: Vec<(String, Task)>,
}

impl Snapshot {
    pub fn world(&self) -> World<'_> {
        World {
            charter: &self.charter,
            people: &self.people,
            threads: &self.threads,
            decisions: &self.decisions,
            meetings: &self.meetings,
            checkins: &self.checkins,
            tasks: &self.tasks,
        }
    }

    pub(super) fn person(&self, id: &str) -> Result<&Person, Error> {
        self.people
            .get(id)
            .ok_or_else(|| Error::Rule(meridian_core::Error::UnknownMember(id.to_owned())))
    }
}

impl Workspace {
    pub async fn snapshot(&self) -> Result<Snapshot, Error> {
        Ok(Snapshot {
            charter: self.charter_doc().await?.1,
            people: self.people().await?,
            threads: self.typed().await?,
            decisions: self.typed().await?,
            meetings: self.typed().await?,
            checkins: self.typed().await?,
            tasks: self.typed().await?,
        })
    }

    pub async fn inbox(
        &self,
        as_member: Option<&str>,
        at: Option<DateTime<Utc>>,
    ) -> Result<InboxView, Error> {
        let at = self.at(at);
        let me = self.member_or_me(as_member).await?;
        let mut snap = self.snapshot().await?;
        // Read the workspace once; again only if a meeting just became a thread.
        let converted = self.convert_in(&snap, at).await?;
        if !converted.is_empty() {
            snap = self.snapshot().await?;
        }
        let person = snap.person(me.as_str())?;
        let world = snap.world();
        Ok(InboxView {
            me: MemberRef {
                id: me.clone(),
                name: person.name().to_owned(),
                tz: person.member.tz.clone(),
            },
            at: utc_rfc3339(at),
            items: views::inbox(&world, me.as_str(), at),
            waiting: views::waiting_on_others(&world, me.as_str(), at),
            converted,
        })
    }

    pub async fn team(&self, at: Option<DateTime<Utc>>) -> Result<TeamView, Error> {
        let at = self.at(at);
        // The team clock reads the people only: no thread, decision or meeting is copied.
        let snap = Snapshot {
            charter: self.charter_doc().await?.1,
            people: self.people().await?,
            threads: Vec::new(),
            decisions: Vec::new(),
            meetings: Vec::new(),
            checkins: Vec::new(),
            tasks: Vec::new(),
        };
        Ok(TeamView {
            at: utc_rfc3339(at),
            rows: views::team_clock(&snap.world(), at),
        })
    }

    /// My notifications that became due in `(since, until]`: direct ones, and held ones
    /// released together as digests when a focus block or quiet hours ended.
    pub async fn notifications(
        &self,
        since: DateTime<Utc>,
        until: Option<DateTime<Utc>>,
    ) -> Result<NotificationBatch, Error> {
        let until = self.at(until);
        let snap = self.snapshot().await?;
        let me = self.workspace_info().me.id.to_string();
        let mut notes = views::notifications(&snap.world(), &me, since, until);
        // @mentions of me, from the catch-up (they have no field in the world to read).
        notes.extend(self.mention_notifications(&snap, since, until).await?);
        let (direct, digests) = views::digests(notes);
        Ok(NotificationBatch {
            at: utc_rfc3339(until),
            direct,
            digests,
        })
    }

    /// Notifications that have arrived for me by `at` but are held by a focus block or quiet
    /// hours, grouped by when they will be released.
    pub async fn pending_notifications(
        &self,
        at: Option<DateTime<Utc>>,
    ) -> Result<NotificationBatch, Error> {
        let at = self.at(at);
        let snap = self.snapshot().await?;
        let me = self.workspace_info().me.id.to_string();
        let arrived_by = utc_rfc3339(at);
        let mut notes = views::notifications(&snap.world(), &me, at, at + TimeDelta::days(3));
        notes.extend(
            self.mention_notifications(&snap, at, at + TimeDelta::days(3))
                .await?,
        );
        let held: Vec<_> = notes
            .into_iter()
            .filter(|n| n.held && n.arrived <= arrived_by)
            .collect();
        let (direct, digests) = views::digests(held);
        Ok(NotificationBatch {
            at: arrived_by,
            direct,
            digests,
        })
    }

    /// Up to when this device has shown notifications (none yet: `None`).
    pub fn notified_until(&self) -> Result<Option<DateTime<Utc>>, Error> {
        Ok(self
            .inner
            .store
            .get_meta_blocking(meta::NOTIFIED)?
            .and_then(|v| crate::parse_rfc3339_ms(&v))
            .map(from_ms))
    }

    pub fn set_notified_until(&self, at: DateTime<Utc>) -> Result<(), Error> {
        Ok(self
            .inner
            .store
            .set_meta_blocking(meta::NOTIFIED, &utc_rfc3339(at))?)
    }
}
