//! What each command does: resolve arguments, call the engine, print.

use std::io::Read;
use std::path::Path;

use anyhow::{Context, anyhow, bail};
use meridian_app::core::{
    AgendaItem, Checkin, DecisionStatus, DocId, Kind, Meeting, MeetingState, Member, Role, Task,
    TaskState, Thread, ThreadState,
};
use meridian_app::{DecisionPatch, NewDecision, NewOption, NewPage, PagePatch, Workspace};

use crate::args::*;
use crate::output;

pub async fn run(cli: Cli) -> anyhow::Result<()> {
    let data_dir = cli
        .data_dir
        .clone()
        .unwrap_or_else(meridian_app::default_data_dir);
    let json = cli.json;
    if let Command::Init { name, me, tz } = &cli.command {
        let ws = Workspace::create(&data_dir, name, me, tz).await?;
        let info = ws.info();
        if json {
            return output::json(&info);
        }
        println!(
            "Created workspace \"{}\" in {} (you are {}, {})",
            info.name, info.data_dir, info.me.name, info.me.tz
        );
        return Ok(());
    }
    let ws = Workspace::open(&data_dir).await?;
    match cli.command {
        Command::Init { .. } => unreachable!("handled above"),
        Command::Import { dir } => {
            let report = ws.import_markdown(&dir).await?;
            if json {
                return output::json(&report);
            }
            println!(
                "Imported {} pages and {} decisions from {} in {:.2} s.",
                report.pages,
                report.decisions,
                dir.display(),
                report.elapsed_ms as f64 / 1000.0
            );
            if !report.skipped.is_empty() {
                println!("Skipped {}:", report.skipped.len());
                for s in &report.skipped {
                    println!("  {}: {}", s.path, s.reason);
                }
            }
        }
        Command::Export { dir, format } => {
            let report = match format {
                ExportFormat::Markdown => ws.export_markdown(&dir).await?,
                ExportFormat::Automerge => ws.export_automerge(&dir).await?,
            };
            if json {
                return output::json(&report);
            }
            println!(
                "Wrote {} files under {}.",
                report.files.len(),
                dir.display()
            );
        }
        Command::List { kind, all } => {
            let kind = kind.map(|k| k.parse::<Kind>()).transpose()?;
            let rows = ws.list(kind, all).await?;
            if json {
                return output::json(&rows);
            }
            output::table(&rows);
        }
        Command::Show { id } => {
            let shown = ws.show(&id.parse()?).await?;
            if json {
                return output::json(&shown);
            }
            output::shown(&shown)?;
        }
        Command::Trash { id } => {
            let s = ws.trash(&id.parse()?).await?;
            if json {
                return output::json(&s);
            }
            println!("Moved {} \"{}\" to the trash.", s.kind, s.title);
        }
        Command::Page(cmd) => page(&ws, cmd, json).await?,
        Command::Decision(cmd) => decision(&ws, cmd, json).await?,
        Command::Member(cmd) => member(&ws, cmd, json).await?,
        Command::Meeting(cmd) => meeting(&ws, cmd, json).await?,
        Command::Thread(cmd) => thread(&ws, cmd, json).await?,
        Command::Task(cmd) => task(&ws, cmd, json).await?,
        Command::Checkin(cmd) => checkin(&ws, cmd, json).await?,
    }
    Ok(())
}

/// Prints what a create/edit command produced: the object in JSON, or one line.
async fn done(ws: &Workspace, id: &DocId, verb: &str, json: bool) -> anyhow::Result<()> {
    if json {
        return output::json(&ws.show(id).await?);
    }
    let s = ws.summary(id).await?;
    println!("{verb} {} {} \"{}\"", s.kind, s.id, s.title);
    Ok(())
}

fn read_text(args: &BodyArgs) -> anyhow::Result<Option<String>> {
    if let Some(text) = &args.body {
        return Ok(Some(text.clone()));
    }
    args.body_file
        .as_deref()
        .map(read_file_or_stdin)
        .transpose()
}

fn read_file_or_stdin(path: &Path) -> anyhow::Result<String> {
    if path == Path::new("-") {
        let mut s = String::new();
        std::io::stdin()
            .read_to_string(&mut s)
            .context("cannot read the text from stdin")?;
        return Ok(s);
    }
    std::fs::read_to_string(path).with_context(|| {
        format!(
            "cannot read {}: it must be a UTF-8 text file",
            path.display()
        )
    })
}

/// Resolves member names (case-insensitive) or ids to member ids.
async fn members(ws: &Workspace, who: &[String]) -> anyhow::Result<Vec<String>> {
    let all = ws.list(Some(Kind::Member), false).await?;
    who.iter()
        .map(|w| w.trim())
        .filter(|w| !w.is_empty())
        .map(|w| {
            all.iter()
                .find(|m| m.id.as_str() == w || m.title.eq_ignore_ascii_case(w))
                .map(|m| m.id.to_string())
                .ok_or_else(|| {
                    let names: Vec<&str> = all.iter().map(|m| m.title.as_str()).collect();
                    anyhow!("no member called `{w}`; members are: {}", names.join(", "))
                })
        })
        .collect()
}

async fn page(ws: &Workspace, cmd: PageCmd, json: bool) -> anyhow::Result<()> {
    match cmd {
        PageCmd::New {
            title,
            body,
            tags,
            parent,
        } => {
            let new = NewPage {
                title,
                body: read_text(&body)?.unwrap_or_default(),
                tags,
                parent: parent.map(|p| p.parse()).transpose()?,
            };
            let (id, _) = ws.create_page(new).await?;
            done(ws, &id, "Created", json).await
        }
        PageCmd::Edit {
            id,
            title,
            body,
            tags,
        } => {
            let id: DocId = id.parse()?;
            let patch = PagePatch {
                title,
                body: read_text(&body)?,
                tags: (!tags.is_empty()).then_some(tags),
                ..PagePatch::default()
            };
            ws.update_page(&id, patch).await?;
            done(ws, &id, "Updated", json).await
        }
    }
}

async fn decision(ws: &Workspace, cmd: DecisionCmd, json: bool) -> anyhow::Result<()> {
    match cmd {
        DecisionCmd::New {
            title,
            context,
            context_file,
            drivers,
            options,
            chosen,
            rationale,
            consequences,
            deciders,
            status,
        } => {
            let context = match (context, context_file) {
                (Some(c), _) => c,
                (None, Some(f)) => read_file_or_stdin(&f)?,
                (None, None) => String::new(),
            };
            let new = NewDecision {
                title,
                context,
                drivers,
                options: options
                    .into_iter()
                    .map(|title| NewOption {
                        title,
                        ..NewOption::default()
                    })
                    .collect(),
                chosen,
                rationale: rationale.unwrap_or_default(),
                consequences: consequences.unwrap_or_default(),
                deciders,
                status: status.map(|s| s.parse::<DecisionStatus>()).transpose()?,
            };
            let (id, _) = ws.create_decision(new).await?;
            done(ws, &id, "Recorded", json).await
        }
        DecisionCmd::Edit {
            id,
            title,
            context,
            rationale,
            consequences,
            drivers,
        } => {
            let id: DocId = id.parse()?;
            let patch = DecisionPatch {
                title,
                context,
                rationale,
                consequences,
                drivers: (!drivers.is_empty()).then_some(drivers),
                ..DecisionPatch::default()
            };
            ws.update_decision(&id, patch).await?;
            done(ws, &id, "Updated", json).await
        }
        DecisionCmd::Option {
            id,
            title,
            description,
            pros,
            cons,
        } => {
            let id: DocId = id.parse()?;
            let (_, option) = ws
                .add_option(
                    &id,
                    NewOption {
                        title,
                        description,
                        pros,
                        cons,
                    },
                )
                .await?;
            if json {
                return output::json(&option);
            }
            println!("Added option {} \"{}\"", option.id, option.title);
            Ok(())
        }
        DecisionCmd::Choose {
            id,
            option,
            rationale,
        } => {
            let id: DocId = id.parse()?;
            ws.choose_option(&id, &option, rationale).await?;
            done(ws, &id, "Chose an option for", json).await
        }
        DecisionCmd::Status { id, status } => {
            let id: DocId = id.parse()?;
            ws.set_decision_status(&id, status.parse()?).await?;
            done(ws, &id, "Updated", json).await
        }
    }
}

async fn member(ws: &Workspace, cmd: MemberCmd, json: bool) -> anyhow::Result<()> {
    match cmd {
        MemberCmd::Add { name, tz, role } => {
            let role: Role = role.parse()?;
            let (id, _) = ws
                .create_object(Member::new(name.trim(), tz.trim(), role))
                .await?;
            done(ws, &id, "Added", json).await
        }
        MemberCmd::List => {
            let rows = ws.list(Some(Kind::Member), false).await?;
            if json {
                let mut out = Vec::new();
                for r in rows {
                    out.push(ws.show(&r.id).await?);
                }
                return output::json(&out);
            }
            output::table(&rows);
            Ok(())
        }
        MemberCmd::Edit {
            who,
            name,
            tz,
            role,
        } => {
            let id: DocId = members(ws, &[who]).await?.remove(0).parse()?;
            let role = role.map(|r| r.parse::<Role>()).transpose()?;
            ws.update::<Member>(&id, |m| {
                if let Some(n) = name {
                    m.display_name = n.trim().to_owned();
                }
                if let Some(z) = tz {
                    m.tz = z.trim().to_owned();
                }
                if let Some(r) = role {
                    m.role = r;
                }
                Ok(())
            })
            .await?;
            done(ws, &id, "Updated", json).await
        }
    }
}

/// `30m`, `1h`, `1h30m`, `90` (minutes).
fn parse_duration(s: &str) -> anyhow::Result<u32> {
    let s = s.trim().to_ascii_lowercase();
    if let Ok(m) = s.parse::<u32>() {
        return Ok(m);
    }
    let mut total = 0u32;
    let mut num = String::new();
    for c in s.chars() {
        match c {
            '0'..='9' => num.push(c),
            'h' | 'm' if !num.is_empty() => {
                let n: u32 = num.parse()?;
                total += if c == 'h' { n * 60 } else { n };
                num.clear();
            }
            _ => bail!("`{s}` is not a duration; write e.g. 30m, 1h or 1h30m"),
        }
    }
    if !num.is_empty() || total == 0 {
        bail!("`{s}` is not a duration; write e.g. 30m, 1h or 1h30m");
    }
    Ok(total)
}

fn parse_instant(s: &str) -> anyhow::Result<i64> {
    meridian_app::parse_rfc3339_ms(s).ok_or_else(|| {
        anyhow!("`{s}` is not an RFC 3339 instant; write e.g. 2026-12-01T15:00:00Z or 2026-12-01T16:00:00+01:00")
    })
}

async fn meeting(ws: &Workspace, cmd: MeetingCmd, json: bool) -> anyhow::Result<()> {
    match cmd {
        MeetingCmd::New {
            title,
            start,
            duration,
            attendees,
            purpose,
            items,
        } => {
            let me = ws.info().me;
            let mut attendees = members(ws, &attendees).await?;
            if !attendees.contains(&me.id.to_string()) {
                attendees.insert(0, me.id.to_string());
            }
            let meeting = Meeting {
                title: title.trim().to_owned(),
                purpose,
                decisions_sought: Vec::new(),
                start_ms: parse_instant(&start)?,
                duration_min: parse_duration(&duration)?,
                organiser_tz: me.tz,
                weekly: false,
                attendees,
                agenda: items.into_iter().map(agenda_item).collect(),
                notes: String::new(),
                summary: String::new(),
                decisions: Vec::new(),
                tasks: Vec::new(),
                state: MeetingState::Scheduled,
                created_at_ms: ws.now_ms(),
            };
            let (id, _) = ws.create_object(meeting).await?;
            done(ws, &id, "Scheduled", json).await
        }
        MeetingCmd::Edit {
            id,
            title,
            start,
            duration,
            purpose,
            items,
            state,
        } => {
            let id: DocId = id.parse()?;
            let start = start.as_deref().map(parse_instant).transpose()?;
            let duration = duration.as_deref().map(parse_duration).transpose()?;
            let state = state.map(|s| s.parse::<MeetingState>()).transpose()?;
            ws.update::<Meeting>(&id, |m| {
                if let Some(t) = title {
                    m.title = t.trim().to_owned();
                }
                if let Some(s) = start {
                    m.start_ms = s;
                }
                if let Some(d) = duration {
                    m.duration_min = d;
                }
                if let Some(p) = purpose {
                    m.purpose = p;
                }
                m.agenda.extend(items.into_iter().map(agenda_item));
                if let Some(s) = state {
                    m.state = s;
                }
                Ok(())
            })
            .await?;
            done(ws, &id, "Updated", json).await
        }
    }
}

fn agenda_item(title: String) -> AgendaItem {
    AgendaItem {
        id: meridian_app::item_id(),
        title,
        owner: None,
        minutes: 10,
        notes: String::new(),
        pre_reads: Vec::new(),
        resolved_async: false,
    }
}

async fn thread(ws: &Workspace, cmd: ThreadCmd, json: bool) -> anyhow::Result<()> {
    match cmd {
        ThreadCmd::New {
            kind,
            to,
            title,
            body,
            reason,
        } => {
            let thread = Thread {
                title: title.trim().to_owned(),
                message_kind: kind.trim().to_ascii_lowercase(),
                body: read_text(&body)?.unwrap_or_default(),
                author: ws.info().me.id.to_string(),
                recipients: members(ws, &to).await?,
                delivery: meridian_app::core::Delivery::Now,
                urgent_reason: reason,
                messages: Vec::new(),
                acknowledgements: Vec::new(),
                state: ThreadState::Open,
                linked_decision: None,
                created_at_ms: ws.now_ms(),
            };
            let (id, _) = ws.create_object(thread).await?;
            done(ws, &id, "Posted", json).await
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

async fn task(ws: &Workspace, cmd: TaskCmd, json: bool) -> anyhow::Result<()> {
    match cmd {
        TaskCmd::New { title, owner, due } => {
            let owner = match owner {
                Some(o) => members(ws, &[o]).await?.into_iter().next(),
                None => None,
            };
            let task = Task {
                title: title.trim().to_owned(),
                owner,
                due,
                state: TaskState::Open,
                source: None,
                created_at_ms: ws.now_ms(),
            };
            let (id, _) = ws.create_object(task).await?;
            done(ws, &id, "Created", json).await
        }
        TaskCmd::State { id, state } => {
            let id: DocId = id.parse()?;
            let state: TaskState = state.parse()?;
            ws.update::<Task>(&id, |t| {
                t.state = state;
                Ok(())
            })
            .await?;
            done(ws, &id, "Updated", json).await
        }
        TaskCmd::Edit {
            id,
            title,
            owner,
            due,
        } => {
            let id: DocId = id.parse()?;
            let owner = match owner {
                Some(o) => members(ws, &[o]).await?.into_iter().next(),
                None => None,
            };
            ws.update::<Task>(&id, |t| {
                if let Some(v) = title {
                    t.title = v.trim().to_owned();
                }
                if owner.is_some() {
                    t.owner = owner;
                }
                if due.is_some() {
                    t.due = due;
                }
                Ok(())
            })
            .await?;
            done(ws, &id, "Updated", json).await
        }
    }
}

/// `mon-fri`, `mon,wed,fri`, `sat-sun` → 0-based weekdays.
fn parse_days(s: &str) -> anyhow::Result<Vec<u8>> {
    const NAMES: [&str; 7] = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"];
    let day = |d: &str| {
        let d = d.trim().to_ascii_lowercase();
        NAMES
            .iter()
            .position(|n| d.starts_with(n))
            .map(|p| p as u8)
            .ok_or_else(|| anyhow!("`{d}` is not a weekday; use mon, tue, wed, thu, fri, sat, sun"))
    };
    let mut out = Vec::new();
    for part in s.split(',') {
        match part.split_once('-') {
            Some((a, b)) => {
                let (a, b) = (day(a)?, day(b)?);
                if a > b {
                    bail!("`{part}` runs backwards; write e.g. mon-fri");
                }
                out.extend(a..=b);
            }
            None => out.push(day(part)?),
        }
    }
    out.sort_unstable();
    out.dedup();
    Ok(out)
}

async fn checkin(ws: &Workspace, cmd: CheckinCmd, json: bool) -> anyhow::Result<()> {
    match cmd {
        CheckinCmd::New {
            title,
            questions,
            participants,
            days,
            at,
        } => {
            let mut participants = members(ws, &participants).await?;
            if participants.is_empty() {
                participants.push(ws.info().me.id.to_string());
            }
            let checkin = Checkin {
                title: title.trim().to_owned(),
                questions,
                weekdays: parse_days(&days)?,
                prompt_time: at,
                participants,
                entries: Vec::new(),
                created_at_ms: ws.now_ms(),
            };
            let (id, _) = ws.create_object(checkin).await?;
            done(ws, &id, "Created", json).await
        }
        CheckinCmd::Edit {
            id,
            title,
            questions,
            days,
            at,
        } => {
            let id: DocId = id.parse()?;
            let days = days.as_deref().map(parse_days).transpose()?;
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
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations() {
        assert_eq!(parse_duration("30m").ok(), Some(30));
        assert_eq!(parse_duration("1h30m").ok(), Some(90));
        assert_eq!(parse_duration("2h").ok(), Some(120));
        assert_eq!(parse_duration("45").ok(), Some(45));
        assert!(parse_duration("soon").is_err());
        assert!(parse_duration("1h30").is_err());
    }

    #[test]
    fn days() {
        assert_eq!(parse_days("mon-fri").ok(), Some(vec![0, 1, 2, 3, 4]));
        assert_eq!(parse_days("mon,wed,fri").ok(), Some(vec![0, 2, 4]));
        assert!(parse_days("fri-mon").is_err());
        assert!(parse_days("funday").is_err());
    }
}
