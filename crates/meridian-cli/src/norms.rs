//! Time and norms from the command line: members' calendars, reply-by clocks, threads,
//! meetings and slots, check-ins, the charter, the inbox and the team clock.

use anyhow::{anyhow, bail};
use chrono::{DateTime, FixedOffset, Utc};
use meridian_app::core::norms::{from_ms, utc_rfc3339};
use meridian_app::core::time::{format_minute, parse_duration_minutes, parse_weekdays};
use meridian_app::core::{
    Checkin, DecisionStatus, Delivery, DocId, Meeting, MeetingState, Role, Thread, Travel,
};
use meridian_app::{
    AgendaItemPatch, MeetingOutcome, MeetingText, MemberPatch, NewAgendaItem, NewCheckin, NewFocus,
    NewMeeting, NewOption, NewTask, NewThread, SlotQuery, Workspace,
};

use crate::args::*;
use crate::commands::{done, read_text};
use crate::output;

fn instant(s: &str) -> anyhow::Result<DateTime<Utc>> {
    meridian_app::parse_rfc3339_ms(s).map(from_ms).ok_or_else(|| {
        anyhow!("`{s}` is not an RFC 3339 instant; write e.g. 2026-12-01T15:00:00Z or 2026-12-01T16:00:00+01:00")
    })
}

fn opt_instant(s: Option<&str>) -> anyhow::Result<Option<DateTime<Utc>>> {
    s.map(instant).transpose()
}

fn delivery(s: &str) -> anyhow::Result<Delivery> {
    Ok(s.trim().to_ascii_lowercase().parse::<Delivery>()?)
}

/// `2026-12-01T17:00:00+11:00` → `Tue 1 Dec 17:00 +11:00`.
fn local(s: &str) -> String {
    DateTime::<FixedOffset>::parse_from_rfc3339(s)
        .map(|t| t.format("%a %-d %b %H:%M %:z").to_string())
        .unwrap_or_else(|_| s.to_owned())
}

fn utc(s: &str) -> String {
    DateTime::parse_from_rfc3339(s)
        .map(|t| t.to_utc().format("%a %-d %b %H:%M UTC").to_string())
        .unwrap_or_else(|_| s.to_owned())
}

pub async fn member(ws: &Workspace, cmd: MemberCmd, json: bool) -> anyhow::Result<()> {
    let show = |m: meridian_app::MemberView| -> anyhow::Result<()> {
        if json {
            return output::json(&m);
        }
        println!(
            "{}  {}  {}  {}",
            m.id, m.member.display_name, m.member.tz, m.hours
        );
        Ok(())
    };
    match cmd {
        MemberCmd::Add {
            name,
            tz,
            hours,
            role,
        } => {
            let role: Role = role.parse()?;
            let id = ws.add_member(&name, &tz, role, hours.as_deref()).await?;
            let m = ws.member(&id).await?;
            if !json {
                print!("Added ");
            }
            show(m)
        }
        MemberCmd::List => {
            let all = ws.members().await?;
            if json {
                return output::json(&all);
            }
            for m in all {
                let mut extra = String::new();
                if !m.member.focus_blocks.is_empty() {
                    extra.push_str(&format!("  focus: {}", focus_text(&m.member.focus_blocks)));
                }
                for o in &m.member.out_of_office {
                    extra.push_str(&format!("  away {}..{}", o.from, o.to));
                }
                if let Some(t) = &m.member.travel {
                    extra.push_str(&format!("  travelling: {} {}..{}", t.tz, t.from, t.to));
                }
                println!(
                    "{}  {:<16} {:<22} {:<7} {}{}",
                    m.id, m.member.display_name, m.member.tz, m.member.role, m.hours, extra
                );
            }
            Ok(())
        }
        MemberCmd::Edit {
            who,
            name,
            tz,
            role,
            hours,
            travel_tz,
            travel_from,
            travel_to,
            no_travel,
        } => {
            let id = ws.resolve_member(&who).await?;
            let travel = match (travel_tz, travel_from, travel_to) {
                (Some(tz), Some(from), Some(to)) => Some(Some(Travel { tz, from, to })),
                _ if no_travel => Some(None),
                _ => None,
            };
            let patch = MemberPatch {
                name,
                tz,
                role: role.map(|r| r.parse::<Role>()).transpose()?,
                hours,
                travel,
            };
            let m = ws.update_member(&id, patch).await?;
            if !json {
                print!("Updated ");
            }
            show(m)
        }
        MemberCmd::Ooo {
            who,
            from,
            to,
            note,
        } => {
            let id = ws.resolve_member(&who).await?;
            let m = ws.add_out_of_office(&id, &from, &to, &note).await?;
            if json {
                return output::json(&m);
            }
            println!("{} is out of office {from} to {to}.", m.member.display_name);
            Ok(())
        }
        MemberCmd::Focus {
            who,
            days,
            date,
            from,
            to,
        } => {
            let id = ws.resolve_member(&who).await?;
            let m = ws
                .add_focus_block(
                    &id,
                    NewFocus {
                        days,
                        date,
                        start: from,
                        end: to,
                    },
                )
                .await?;
            if json {
                return output::json(&m);
            }
            println!(
                "{} focuses {}.",
                m.member.display_name,
                focus_text(&m.member.focus_blocks)
            );
            Ok(())
        }
    }
}

fn focus_text(blocks: &[meridian_app::core::FocusBlock]) -> String {
    blocks
        .iter()
        .map(|f| {
            let when = match &f.date {
                Some(d) => d.clone(),
                None => f
                    .weekdays
                    .iter()
                    .map(|d| meridian_app::core::time::weekday_name(*d))
                    .collect::<Vec<_>>()
                    .join(","),
            };
            format!("{when} {}-{}", f.start, f.end)
        })
        .collect::<Vec<_>>()
        .join("; ")
}

pub async fn reply_by(
    ws: &Workspace,
    to: &str,
    kind: &str,
    sent_at: Option<&str>,
    deliver: &str,
    json: bool,
) -> anyhow::Result<()> {
    let r = ws
        .reply_by(to, kind, delivery(deliver)?, opt_instant(sent_at)?)
        .await?;
    if json {
        return output::json(&r);
    }
    match (&r.reply_by, &r.reply_by_local) {
        (Some(at), Some(l)) => println!(
            "{}: reply by {} ({} local, {})",
            r.recipient,
            utc(at),
            local(l),
            r.tz
        ),
        _ => println!("{}: no reply expected for {kind}", r.recipient),
    }
    Ok(())
}

pub async fn thread(ws: &Workspace, cmd: ThreadCmd, json: bool) -> anyhow::Result<()> {
    match cmd {
        ThreadCmd::Post {
            kind,
            to,
            title,
            body,
            deliver,
            reason,
        } => {
            let posting = ws
                .post_thread(NewThread {
                    kind,
                    to,
                    title,
                    body: read_text(&body)?.unwrap_or_default(),
                    delivery: Some(delivery(&deliver)?),
                    reason,
                })
                .await?;
            if json {
                return output::json(&posting);
            }
            let id = posting
                .id
                .clone()
                .ok_or_else(|| anyhow!("the thread was not stored"))?;
            println!("Posted thread {id}");
            for r in &posting.reply_by {
                match (&r.reply_by, &r.reply_by_local) {
                    (Some(at), Some(l)) => {
                        println!(
                            "  {}: reply by {} ({} local)",
                            r.recipient,
                            utc(at),
                            local(l)
                        )
                    }
                    _ => println!("  {}: no reply expected", r.recipient),
                }
            }
            if let Some(e) = &posting.escalation {
                let names = members_names(ws, &e.notify).await?;
                let how = if e.via_ladder {
                    " via the escalation ladder"
                } else {
                    ""
                };
                println!("  urgent: notifies {}{how} now", names.join(", "));
            }
            Ok(())
        }
        ThreadCmd::Reply {
            id,
            body,
            as_member,
        } => {
            let id: DocId = id.parse()?;
            let text = read_text(&body)?
                .ok_or_else(|| anyhow!("give the reply with --body or --body-file"))?;
            ws.reply_thread(&id, &text, as_member.as_deref()).await?;
            done(ws, &id, "Replied to", json).await
        }
        ThreadCmd::Ack { id, as_member } => {
            let id: DocId = id.parse()?;
            ws.ack_thread(&id, as_member.as_deref()).await?;
            done(ws, &id, "Acknowledged", json).await
        }
        ThreadCmd::Resolve { id } => {
            let id: DocId = id.parse()?;
            ws.resolve_thread(&id).await?;
            done(ws, &id, "Resolved", json).await
        }
        ThreadCmd::Promote { id } => {
            let (decision, _) = ws.promote_thread(&id.parse()?).await?;
            done(ws, &decision, "Promoted to the draft decision", json).await
        }
        ThreadCmd::Edit { id, title, body } => {
            let id: DocId = id.parse()?;
            let body = read_text(&body)?;
            ws.update::<Thread>(&id, |t| {
                if let Some(v) = title {
                    t.title = v.trim().to_owned();
                }
                if let Some(b) = body {
                    t.body = b;
                }
                Ok(())
            })
            .await?;
            done(ws, &id, "Updated", json).await
        }
    }
}

async fn members_names(ws: &Workspace, ids: &[String]) -> anyhow::Result<Vec<String>> {
    let mut names = Vec::new();
    for id in ids {
        names.push(ws.member(&id.parse()?).await?.member.display_name);
    }
    Ok(names)
}

fn print_times(t: &meridian_app::MeetingTimes) {
    match &t.agenda_due {
        Some(due) => {
            println!("  agenda due {}", utc(due));
            for l in &t.agenda_due_local {
                println!("    {:<16} {}", l.name, local(&l.local));
            }
        }
        None => println!("  agenda deadline unknown"),
    }
    if let Some(s) = &t.summary_due {
        println!("  summary due {}", utc(s));
    }
    if let Some(p) = &t.problem {
        println!("  note: {p}");
    }
    if let Some(th) = &t.async_thread {
        println!("  converted to the async thread {th}");
    }
}

pub async fn meeting(ws: &Workspace, cmd: MeetingCmd, json: bool) -> anyhow::Result<()> {
    match cmd {
        MeetingCmd::New {
            title,
            start,
            duration,
            attendees,
            purpose,
            decisions_sought,
            items,
        } => {
            let (id, times) = ws
                .create_meeting(NewMeeting {
                    title,
                    purpose,
                    start,
                    duration_min: parse_duration_minutes(&duration)?,
                    attendees,
                    items,
                    decisions_sought,
                })
                .await?;
            if json {
                return output::json(&times);
            }
            println!(
                "Scheduled meeting {id} \"{}\" at {}",
                times.title,
                utc(&times.start)
            );
            print_times(&times);
            Ok(())
        }
        MeetingCmd::Item {
            id,
            title,
            owner,
            minutes,
            pre_reads,
            notes,
        } => {
            let id: DocId = id.parse()?;
            ws.add_agenda_item_with(
                &id,
                NewAgendaItem {
                    title,
                    owner,
                    minutes,
                    pre_reads,
                    notes,
                },
            )
            .await?;
            done(ws, &id, "Added an agenda item to", json).await
        }
        MeetingCmd::ItemEdit {
            id,
            item,
            title,
            owner,
            no_owner,
            minutes,
            notes,
            pre_reads,
            resolved,
            unresolved,
        } => {
            let id: DocId = id.parse()?;
            let patch = AgendaItemPatch {
                title,
                owner: if no_owner {
                    Some(None)
                } else {
                    owner.map(Some)
                },
                minutes,
                notes,
                pre_reads: (!pre_reads.is_empty()).then_some(pre_reads),
                resolved_async: match (resolved, unresolved) {
                    (true, _) => Some(true),
                    (_, true) => Some(false),
                    _ => None,
                },
            };
            ws.update_agenda_item(&id, &item, patch).await?;
            done(ws, &id, "Changed an agenda item of", json).await
        }
        MeetingCmd::ItemRemove { id, item } => {
            let id: DocId = id.parse()?;
            ws.remove_agenda_item(&id, &item).await?;
            done(ws, &id, "Removed an agenda item from", json).await
        }
        MeetingCmd::ItemMove { id, item, to } => {
            let id: DocId = id.parse()?;
            ws.move_agenda_item(&id, &item, to.saturating_sub(1))
                .await?;
            done(ws, &id, "Reordered the agenda of", json).await
        }
        MeetingCmd::Note { id, body } => {
            let id: DocId = id.parse()?;
            let text = read_text(&body)?
                .ok_or_else(|| anyhow!("give the notes with --body or --body-file"))?;
            ws.set_meeting_text(&id, MeetingText::Notes, text).await?;
            done(ws, &id, "Updated the notes of", json).await
        }
        MeetingCmd::Summary { id, body } => {
            let id: DocId = id.parse()?;
            let text = read_text(&body)?
                .ok_or_else(|| anyhow!("give the summary with --body or --body-file"))?;
            ws.set_meeting_text(&id, MeetingText::Summary, text).await?;
            done(ws, &id, "Updated the summary of", json).await
        }
        MeetingCmd::Action {
            id,
            title,
            owner,
            due,
        } => {
            let task = ws
                .add_action_item(
                    &id.parse()?,
                    NewTask {
                        title,
                        owner,
                        due,
                        source: None,
                    },
                )
                .await?;
            done(ws, &task, "Created", json).await
        }
        MeetingCmd::State { id, state } => {
            let id: DocId = id.parse()?;
            ws.set_meeting_state(&id, state.parse::<MeetingState>()?)
                .await?;
            done(ws, &id, "Updated", json).await
        }
        MeetingCmd::Summarise {
            id,
            summary,
            decision,
            item,
            options,
            chosen,
            rationale,
        } => {
            let id: DocId = id.parse()?;
            let wants_decision = decision.is_some() || item.is_some() || chosen.is_some();
            let decision = if wants_decision {
                let mut d = ws.draft_meeting_decision(&id, item.as_deref()).await?;
                if let Some(t) = decision {
                    d.title = t;
                }
                d.options = options
                    .into_iter()
                    .map(|title| NewOption {
                        title,
                        ..NewOption::default()
                    })
                    .collect();
                d.status = chosen.as_ref().map(|_| DecisionStatus::Accepted);
                d.chosen = chosen;
                d.rationale = rationale.unwrap_or_default();
                Some(d)
            } else {
                None
            };
            let out = ws
                .summarise_meeting(
                    &id,
                    MeetingOutcome {
                        summary,
                        decision,
                        agenda_item: item,
                        tasks: Vec::new(),
                    },
                )
                .await?;
            if json {
                return output::json(&out);
            }
            println!("Summarised meeting {id} \"{}\"", out.meeting.title);
            if let Some(d) = &out.decision {
                let s = ws.summary(d).await?;
                println!(
                    "  decision {d} \"{}\" ({})",
                    s.title,
                    s.status.unwrap_or_default()
                );
            }
            Ok(())
        }
        MeetingCmd::Times { id } => {
            let times = ws.meeting_times(&id.parse()?).await?;
            if json {
                return output::json(&times);
            }
            println!(
                "{} \"{}\" ({}) at {}",
                times.id,
                times.title,
                times.state,
                utc(&times.start)
            );
            print_times(&times);
            Ok(())
        }
        MeetingCmd::Convert { at } => {
            let converted = ws
                .convert_unprepared_meetings(opt_instant(at.as_deref())?)
                .await?;
            if json {
                return output::json(&converted);
            }
            if converted.is_empty() {
                println!("No meeting is past its agenda deadline with an empty agenda.");
            }
            for id in converted {
                let m: Meeting = ws.get(&id).await?;
                println!(
                    "\"{}\" had no agenda at its deadline: it continues as thread {}",
                    m.title,
                    m.async_thread.unwrap_or_default()
                );
            }
            Ok(())
        }
        MeetingCmd::Edit {
            id,
            title,
            start,
            duration,
            purpose,
            items,
            state,
            summary,
        } => {
            let id: DocId = id.parse()?;
            for item in &items {
                ws.add_agenda_item(&id, item, None, 10).await?;
            }
            let start = start.as_deref().map(instant).transpose()?;
            let duration = duration
                .as_deref()
                .map(parse_duration_minutes)
                .transpose()?;
            let state = state.map(|s| s.parse::<MeetingState>()).transpose()?;
            ws.update::<Meeting>(&id, |m| {
                if let Some(t) = title {
                    m.title = t.trim().to_owned();
                }
                if let Some(s) = start {
                    m.start_ms = s.timestamp_millis();
                }
                if let Some(d) = duration {
                    m.duration_min = d;
                }
                if let Some(p) = purpose {
                    m.purpose = p;
                }
                if let Some(s) = state {
                    m.state = s;
                }
                if let Some(s) = summary {
                    m.summary = s;
                }
                Ok(())
            })
            .await?;
            done(ws, &id, "Updated", json).await
        }
    }
}

pub async fn checkin(ws: &Workspace, cmd: CheckinCmd, json: bool) -> anyhow::Result<()> {
    match cmd {
        CheckinCmd::New {
            title,
            questions,
            participants,
            days,
            at,
        } => {
            let (id, _) = ws
                .create_checkin(NewCheckin {
                    title,
                    questions,
                    weekdays: parse_weekdays(&days)?,
                    prompt_time: at,
                    participants,
                })
                .await?;
            done(ws, &id, "Created", json).await
        }
        CheckinCmd::Today => {
            let view = ws.checkins_view(None).await?;
            if json {
                return output::json(&view);
            }
            let mine: Vec<_> = view.cards.iter().filter(|c| c.participant).collect();
            if mine.is_empty() {
                println!(
                    "No check-in asks you anything. Create one with `meridian checkin new --title … --question …`."
                );
            }
            println!("Check-ins for {} ({})", view.today, view.me.tz);
            for c in mine {
                let state = if c.due {
                    format!(
                        "due now (asked {})",
                        c.prompt_local.as_deref().map(local).unwrap_or_default()
                    )
                } else if c.my_answers.is_some() {
                    "answered today".to_owned()
                } else if c.asks_today {
                    format!(
                        "asks at {}",
                        c.prompt_local.as_deref().map(local).unwrap_or_default()
                    )
                } else {
                    "nothing today".to_owned()
                };
                println!("  {}  {}  — {state}", c.id, c.title);
                let answers = c.my_answers.clone().unwrap_or_default();
                for (i, q) in c.questions.iter().enumerate() {
                    match answers.get(i) {
                        Some(a) => println!("    {q}  {a}"),
                        None => println!("    {q}"),
                    }
                }
                if !c.due
                    && let Some(n) = &c.next_prompt_local
                {
                    println!("    next: {}", local(n));
                }
            }
            Ok(())
        }
        CheckinCmd::Edit {
            id,
            title,
            questions,
            days,
            at,
        } => {
            let id: DocId = id.parse()?;
            let days = days.as_deref().map(parse_weekdays).transpose()?;
            ws.update::<Checkin>(&id, |c| {
                if let Some(v) = title {
                    c.title = v.trim().to_owned();
                }
                if !questions.is_empty() {
                    c.questions = questions;
                }
                if let Some(d) = days {
                    c.weekdays = d;
                }
                if let Some(a) = at {
                    c.prompt_time = a;
                }
                Ok(())
            })
            .await?;
            done(ws, &id, "Updated", json).await
        }
        CheckinCmd::Answer {
            id,
            answers,
            as_member,
        } => {
            let id: DocId = id.parse()?;
            ws.answer_checkin(&id, answers, as_member.as_deref())
                .await?;
            done(ws, &id, "Answered", json).await
        }
        CheckinCmd::Digest { id, date } => {
            let d = ws.checkin_digest(&id.parse()?, date.as_deref()).await?;
            if json {
                return output::json(&d);
            }
            println!("{} — {}", d.title, d.date);
            for a in &d.answers {
                println!("  {}:", a.name);
                for (q, ans) in d.questions.iter().zip(&a.answers) {
                    println!("    {q}  {ans}");
                }
            }
            if !d.missing.is_empty() {
                println!("  not yet answered: {}", d.missing.join(", "));
            }
            Ok(())
        }
    }
}

pub async fn charter(ws: &Workspace, cmd: CharterCmd, json: bool) -> anyhow::Result<()> {
    let charter = match cmd {
        CharterCmd::Show => ws.show_charter().await?,
        CharterCmd::Kind { name, reply_within } => {
            let hours = if reply_within.trim().eq_ignore_ascii_case("none") {
                None
            } else {
                let minutes = parse_duration_minutes(&reply_within)?;
                if minutes % 60 != 0 {
                    bail!("reply expectations are whole working hours, e.g. 8h");
                }
                Some(minutes / 60)
            };
            ws.set_message_kind(&name, hours).await?
        }
        CharterCmd::Ladder { members } => ws.set_escalation_ladder(&members).await?,
        CharterCmd::Quiet { hours } => ws.set_quiet_hours(&hours).await?,
        CharterCmd::Budget { per_week } => ws.set_urgent_budget(per_week).await?,
        CharterCmd::Meetings {
            agenda_due,
            summary_due,
        } => ws.set_meeting_rules(agenda_due, summary_due).await?,
    };
    if json {
        return output::json(&charter);
    }
    println!("Message kinds (reply expected within the recipient's working hours):");
    for k in &charter.message_kinds {
        let within = k
            .reply_within_hours
            .map_or("no reply expected".to_owned(), |h| format!("{h}h"));
        let focus = if k.breaks_focus {
            "  (breaks focus, with a reason)"
        } else {
            ""
        };
        println!("  {:<16} {within}{focus}", k.name);
    }
    println!(
        "Quiet hours: {}-{}",
        charter.quiet_hours.start, charter.quiet_hours.end
    );
    let ladder = members_names(ws, &charter.escalation_ladder).await?;
    println!(
        "Escalation ladder: {}",
        if ladder.is_empty() {
            "(none)".to_owned()
        } else {
            ladder.join(" → ")
        }
    );
    println!(
        "Urgent budget: {} per sender per 7 days",
        charter.urgent_budget_per_week
    );
    println!(
        "Meetings: agenda due {}h before, summary due {}h after (working hours)",
        charter.meeting_rules.agenda_due_hours_before,
        charter.meeting_rules.summary_due_hours_after
    );
    Ok(())
}

pub async fn inbox(
    ws: &Workspace,
    as_member: Option<&str>,
    at: Option<&str>,
    json: bool,
) -> anyhow::Result<()> {
    let view = ws.inbox(as_member, opt_instant(at)?).await?;
    if json {
        return output::json(&view);
    }
    println!("Inbox of {} at {}", view.me.name, utc(&view.at));
    if view.items.is_empty() {
        println!("  Nothing waits for you.");
    }
    for i in &view.items {
        let due = match (&i.due_local, i.overdue) {
            (Some(l), true) => format!("OVERDUE since {}", local(l)),
            (Some(l), false) => format!("by {}", local(l)),
            (None, _) => "no deadline".into(),
        };
        println!(
            "  [{:<8}] {:<34} {}  — {}  {}",
            i.section, due, i.title, i.detail, i.id
        );
    }
    if !view.waiting.is_empty() {
        println!("Waiting on others:");
        for w in &view.waiting {
            let state = if w.replied {
                "replied".to_owned()
            } else {
                match &w.reply_by_local {
                    Some(l) if w.overdue => format!("OVERDUE since {}", local(l)),
                    Some(l) => format!("reply by {}", local(l)),
                    None => "no reply expected".into(),
                }
            };
            println!("  {:<16} {:<34} {}", w.name, state, w.title);
        }
    }
    for c in &view.converted {
        println!("Converted meeting {c} to an async thread (no agenda by its deadline).");
    }
    Ok(())
}

pub async fn team(ws: &Workspace, at: Option<&str>, json: bool) -> anyhow::Result<()> {
    let view = ws.team(opt_instant(at)?).await?;
    if json {
        return output::json(&view);
    }
    println!("Team at {}", utc(&view.at));
    for r in &view.rows {
        let local_time = DateTime::<FixedOffset>::parse_from_rfc3339(&r.local)
            .map(|t| t.format("%a %H:%M").to_string())
            .unwrap_or_default();
        let state = match (r.state.as_str(), &r.until) {
            ("working", Some(u)) => format!("working until {}", short_local(u, &r.local)),
            ("focusing", Some(u)) => format!("focusing until {}", short_local(u, &r.local)),
            (s, _) => s.to_owned(),
        };
        let next = r
            .next_reachable_local
            .as_deref()
            .map(|n| format!(", reachable {}", local(n)))
            .unwrap_or_default();
        let bars: Vec<String> = r
            .hours_today
            .iter()
            .map(|[a, b]| format!("{}-{}", format_minute(*a), format_minute(*b)))
            .collect();
        println!(
            "  {:<16} {:<22} {} {}  {state}{next}  [{}]",
            r.name,
            r.tz,
            local_time,
            r.offset,
            if bars.is_empty() {
                "no hours today".into()
            } else {
                bars.join(" ")
            }
        );
        if let Some(n) = &r.note {
            println!("    note: {n}");
        }
    }
    Ok(())
}

/// An instant (UTC) shown as `HH:MM` on the clock of `reference` (an RFC 3339 local time).
fn short_local(instant_utc: &str, reference: &str) -> String {
    let offset = DateTime::<FixedOffset>::parse_from_rfc3339(reference).map(|t| *t.offset());
    match (DateTime::parse_from_rfc3339(instant_utc), offset) {
        (Ok(t), Ok(o)) => t.with_timezone(&o).format("%H:%M").to_string(),
        _ => instant_utc.to_owned(),
    }
}

pub async fn slots(
    ws: &Workspace,
    with: Vec<String>,
    duration: &str,
    within: &str,
    from: Option<String>,
    limit: u32,
    json: bool,
) -> anyhow::Result<()> {
    let within_min = parse_duration_minutes(within)?;
    let slots = ws
        .suggest_slots(SlotQuery {
            with,
            duration_min: parse_duration_minutes(duration)?,
            from: from.map(|f| instant(&f).map(utc_rfc3339)).transpose()?,
            within_days: within_min.div_ceil(1440),
            limit,
        })
        .await?;
    if json {
        return output::json(&slots);
    }
    if slots.is_empty() {
        println!("No slot of that length fits in the window.");
    }
    for s in &slots {
        println!("{}  fairness {:>3}", utc(&s.start), s.fairness);
        for a in &s.attendees {
            let mut how = match (&a.outside, a.out_of_office) {
                (_, true) => " OUT OF OFFICE".to_owned(),
                (Some(w), _) => format!(" {w}, {} min outside working hours", a.minutes_outside),
                (None, _) => String::new(),
            };
            if a.minutes_in_focus > 0 {
                how.push_str(&format!(" (in a focus block {} min)", a.minutes_in_focus));
            }
            println!("    {:<16} {}{how}", a.name, local(&a.local_start));
        }
    }
    Ok(())
}
