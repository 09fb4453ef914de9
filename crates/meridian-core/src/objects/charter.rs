use autosurgeon::{Hydrate, Reconcile};
use serde::{Deserialize, Serialize};

/// The team's communication norms. Changes to it are recorded as decisions.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Reconcile, Hydrate, ts_rs::TS)]
pub struct Charter {
    pub message_kinds: Vec<MessageKind>,
    pub quiet_hours: QuietHours,
    /// Member ids, in the order Urgent messages try them.
    pub escalation_ladder: Vec<String>,
    /// Urgent messages each sender may send per week.
    pub urgent_budget_per_week: u32,
    pub meeting_rules: MeetingRules,
    /// Default check-in prompt time, local `HH:MM`.
    pub checkin_prompt_time: String,
}

/// A kind of message and the reply it expects, in the recipient's working hours.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Reconcile, Hydrate, ts_rs::TS)]
pub struct MessageKind {
    #[key]
    pub name: String,
    /// Working hours of the recipient within which a reply is expected; `None` = no reply expected.
    pub reply_within_hours: Option<u32>,
    /// Whether this kind may break a focus block (only with a stated reason).
    pub breaks_focus: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Reconcile, Hydrate, ts_rs::TS)]
pub struct QuietHours {
    /// Local `HH:MM` in each member's zone.
    pub start: String,
    pub end: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Reconcile, Hydrate, ts_rs::TS)]
pub struct MeetingRules {
    /// The agenda is due this many working hours before the start, in every attendee's zone.
    pub agenda_due_hours_before: u32,
    /// The summary is due within this many working hours after the end.
    pub summary_due_hours_after: u32,
}

impl Default for Charter {
    fn default() -> Self {
        let kind = |name: &str, hours: Option<u32>, breaks_focus: bool| MessageKind {
            name: name.to_owned(),
            reply_within_hours: hours,
            breaks_focus,
        };
        Charter {
            message_kinds: vec![
                kind("fyi", None, false),
                kind("question", Some(8), false),
                kind("request", Some(16), false),
                kind("needs-decision", Some(16), false),
                kind("blocking", Some(4), false),
                kind("urgent", Some(1), true),
            ],
            quiet_hours: QuietHours {
                start: "20:00".into(),
                end: "08:00".into(),
            },
            escalation_ladder: Vec::new(),
            urgent_budget_per_week: 2,
            meeting_rules: MeetingRules {
                agenda_due_hours_before: 24,
                summary_due_hours_after: 8,
            },
            checkin_prompt_time: "09:30".into(),
        }
    }
}
