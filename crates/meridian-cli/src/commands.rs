//! What each command does: resolve arguments, call the engine, print.

use std::io::Read;
use std::path::Path;

use anyhow::Context;
use meridian_app::core::views::tasks::DueBucket;
use meridian_app::core::{DecisionStatus, DocId, Kind, TaskSource, TaskState};
use meridian_app::{
    DecisionPatch, NewDecision, NewOption, NewPage, NewTask, PagePatch, TaskPatch, Workspace,
};

use crate::args::*;
use crate::{norms, output, sync};

pub async fn run(cli: Cli) -> anyhow::Result<()> {
    let data_dir = cli
        .data_dir
        .clone()
        .unwrap_or_else(meridian_app::default_data_dir);
    let json = cli.json;
    if let Command::Init {
        name,
        me,
        tz,
        sample,
    } = &cli.command
    {
        let ws = Workspace::create(&data_dir, name, me, tz).await?;
        let info = ws.info();
        let sample = if *sample {
            let report = ws.import_sample().await.with_context(|| {
                format!(
                    "the workspace was created in {}, but the sample content was not added",
                    info.data_dir
                )
            })?;
            ws.catch_up_search(progress).await?;
            eprint!("\r\x1b[K");
            Some(report)
        } else {
            None
        };
        if json {
            return output::json(&output::Initialised { info, sample });
        }
        println!(
            "Created workspace \"{}\" in {} (you are {}, {})",
            info.name, info.data_dir, info.me.name, info.me.tz
        );
        if let Some(report) = sample {
            println!(
                "Added the sample content: {} pages and {} decisions.",
                report.pages, report.decisions
            );
        }
        return Ok(());
    }
    if let Command::Join { code, me, tz, wait } = &cli.command {
        return sync::join(&data_dir, code, me, tz, wait, json).await;
    }
    let ws = Workspace::open(&data_dir).await?;
    match cli.command {
        Command::Init { .. } | Command::Join { .. } => unreachable!("handled above"),
        Command::Invite {
            relay,
            role,
            expires,
        } => sync::invite(&ws, &relay, &role, &expires, json).await?,
        Command::Sync { once, timeout } => sync::sync(&ws, once, &timeout, json).await?,
        Command::Devices => sync::devices(&ws, json).await?,
        Command::Approval { mode } => sync::approval(&ws, &mode, json).await?,
        Command::JoinRequests => sync::join_requests(&ws, json).await?,
        Command::Approve { device } => sync::approve(&ws, &device, json).await?,
        Command::RemoveDevice { device } => sync::remove_device(&ws, &device, json).await?,
        Command::SyncStatus => sync::status(&ws, json).await?,
        Command::Import { dir } => {
            let report = ws.import_markdown(&dir).await?;
            ws.catch_up_search(progress).await?;
            eprint!("\r\x1b[K");
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
        Command::Restore { id } => {
            let s = ws.restore(&id.parse()?).await?;
            if json {
                return output::json(&s);
            }
            println!("Restored {} \"{}\" from the trash.", s.kind, s.title);
        }
        Command::Page(cmd) => page(&ws, cmd, json).await?,
        Command::Decision(cmd) => decision(&ws, cmd, json).await?,
        Command::Member(cmd) => norms::member(&ws, cmd, json).await?,
        Command::Meeting(cmd) => norms::meeting(&ws, cmd, json).await?,
        Command::Thread(cmd) => norms::thread(&ws, cmd, json).await?,
        Command::Task(cmd) => task(&ws, cmd, json).await?,
        Command::Checkin(cmd) => norms::checkin(&ws, cmd, json).await?,
        Command::Charter(cmd) => norms::charter(&ws, cmd, json).await?,
        Command::ReplyBy {
            to,
            kind,
            sent_at,
            deliver,
        } => norms::reply_by(&ws, &to, &kind, sent_at.as_deref(), &deliver, json).await?,
        Command::Inbox { as_member, at } => {
            norms::inbox(&ws, as_member.as_deref(), at.as_deref(), json).await?
        }
        Command::Search { query, kind, limit } => search(&ws, &query, kind, limit, json).await?,
        Command::Reindex => {
            let start = std::time::Instant::now();
            let n = ws.reindex(progress).await?;
            eprintln!();
            if json {
                return output::json(
                    &serde_json::json!({ "indexed": n, "elapsed_ms": start.elapsed().as_millis() as u64 }),
                );
            }
            println!(
                "Indexed {n} documents in {:.2} s.",
                start.elapsed().as_secs_f64()
            );
        }
        Command::Team { at } => norms::team(&ws, at.as_deref(), json).await?,
        Command::Slots {
            with,
            duration,
            within,
            from,
            limit,
        } => norms::slots(&ws, with, &duration, &within, from, limit, json).await?,
    }
    Ok(())
}

/// Prints what a create/edit command produced: the object in JSON, or one line.
pub async fn done(ws: &Workspace, id: &DocId, verb: &str, json: bool) -> anyhow::Result<()> {
    if json {
        return output::json(&ws.show(id).await?);
    }
    let s = ws.summary(id).await?;
    println!("{verb} {} {} \"{}\"", s.kind, s.id, s.title);
    Ok(())
}

pub fn read_text(args: &BodyArgs) -> anyhow::Result<Option<String>> {
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
            parent,
            owner,
            review_by,
        } => {
            let id: DocId = id.parse()?;
            let patch = PagePatch {
                title,
                body: read_text(&body)?,
                tags: (!tags.is_empty()).then_some(tags),
                parent: clearable(parent)
                    .map(|p| p.map(|p| p.parse::<DocId>()).transpose())
                    .transpose()?,
                owner: clearable(owner),
                review_by: clearable(review_by),
            };
            ws.update_page(&id, patch).await?;
            done(ws, &id, "Updated", json).await
        }
        PageCmd::Tree => {
            let tree = ws.page_tree().await?;
            if json {
                return output::json(&tree);
            }
            if tree.is_empty() {
                println!("No pages yet: `meridian page new --title …` creates one.");
            }
            print_tree(&tree, None, 0);
            Ok(())
        }
        PageCmd::Links { id } => {
            let links = ws.links(&id.parse()?).await?;
            if json {
                return output::json(&links);
            }
            println!("Links to:");
            for l in &links.outgoing {
                match &l.object {
                    Some(o) => println!("  {} {} \"{}\"", o.id, o.kind, o.title),
                    None => println!("  {} (not an object here)", l.target),
                }
            }
            println!("Linked from:");
            for o in &links.backlinks {
                println!("  {} {} \"{}\"", o.id, o.kind, o.title);
            }
            Ok(())
        }
    }
}

/// `none` (any case) clears an optional field.
fn clearable(value: Option<String>) -> Option<Option<String>> {
    value.map(|v| (!v.trim().eq_ignore_ascii_case("none")).then_some(v))
}

fn print_tree(tree: &[meridian_app::PageNode], parent: Option<&DocId>, depth: usize) {
    for node in tree.iter().filter(|n| n.parent.as_ref() == parent) {
        let stale = if node.stale { "  [stale]" } else { "" };
        println!("{}{} {}{stale}", "  ".repeat(depth), node.id, node.title);
        print_tree(tree, Some(&node.id), depth + 1);
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
        DecisionCmd::Feedback { id, stance, text } => {
            let id: DocId = id.parse()?;
            ws.give_feedback(&id, stance.parse()?, &text).await?;
            done(ws, &id, "Gave feedback on", json).await
        }
        DecisionCmd::Ack { id } => {
            let id: DocId = id.parse()?;
            ws.acknowledge_decision(&id).await?;
            done(ws, &id, "Acknowledged", json).await
        }
        DecisionCmd::Supersede { id, by } => {
            let id: DocId = id.parse()?;
            ws.supersede(&id, &by.parse()?).await?;
            done(ws, &id, "Superseded", json).await
        }
    }
}

async fn task(ws: &Workspace, cmd: TaskCmd, json: bool) -> anyhow::Result<()> {
    match cmd {
        TaskCmd::New {
            title,
            owner,
            due,
            from,
        } => {
            let source = match from {
                Some(f) => {
                    let id: DocId = f.trim().parse()?;
                    let kind = ws.summary(&id).await?.kind;
                    Some(TaskSource {
                        kind: kind.as_str().to_owned(),
                        id: id.to_string(),
                    })
                }
                None => None,
            };
            let (id, _) = ws
                .create_task(NewTask {
                    title,
                    owner,
                    due,
                    source,
                })
                .await?;
            done(ws, &id, "Created", json).await
        }
        TaskCmd::List { mine, all } => {
            let mut list = ws.task_list(mine, None).await?;
            if !all {
                list.rows.retain(|r| r.bucket != DueBucket::Done);
            }
            if json {
                return output::json(&list);
            }
            output::tasks(&list);
            Ok(())
        }
        TaskCmd::State { id, state } => {
            let id: DocId = id.parse()?;
            ws.set_task_state(&id, state.parse::<TaskState>()?).await?;
            done(ws, &id, "Updated", json).await
        }
        TaskCmd::Edit {
            id,
            title,
            owner,
            due,
            no_owner,
            no_due,
        } => {
            let id: DocId = id.parse()?;
            let patch = TaskPatch {
                title,
                owner: if no_owner {
                    Some(None)
                } else {
                    owner.map(Some)
                },
                due: if no_due { Some(None) } else { due.map(Some) },
                state: None,
            };
            ws.update_task(&id, patch).await?;
            done(ws, &id, "Updated", json).await
        }
    }
}

/// A one-line progress bar on stderr.
fn progress(done: usize, total: usize) {
    use std::io::{IsTerminal, Write};
    if total == 0 || !std::io::stderr().is_terminal() {
        return;
    }
    let width = 30;
    let filled = done * width / total;
    eprint!(
        "\rIndexing [{}{}] {done}/{total}",
        "#".repeat(filled),
        " ".repeat(width - filled)
    );
    let _ = std::io::stderr().flush();
}

async fn search(
    ws: &Workspace,
    query: &str,
    kind: Option<String>,
    limit: usize,
    json: bool,
) -> anyhow::Result<()> {
    // The index is a cache: bring it up to date with the store first (quick when it is).
    ws.catch_up_search(progress).await?;
    let mut q = query.to_owned();
    if let Some(k) = kind {
        q.push_str(&format!(" kind:{}", k.trim()));
    }
    let hits = ws.search(&q, limit).await?;
    if json {
        return output::json(&hits);
    }
    if hits.is_empty() {
        println!("No results for {query:?}.");
    }
    for h in &hits {
        println!("{}  {:<8}  {}", h.id, h.kind, h.title);
        // Highlights as «marks» in the terminal.
        let mut line = String::new();
        let chars: Vec<char> = h.snippet.chars().collect();
        let mut i = 0;
        for [a, b] in &h.highlights {
            line.extend(&chars[i.min(*a)..*a]);
            line.push('«');
            line.extend(&chars[*a..*b]);
            line.push('»');
            i = *b;
        }
        line.extend(&chars[i.min(chars.len())..]);
        println!("    {line}");
    }
    Ok(())
}
