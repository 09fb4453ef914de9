//! Tasks: create, list by due date, state, edit.

use std::io::{self, Write};

use meridian_app::core::TaskSource;
use meridian_app::core::views::tasks::DueBucket;
use meridian_app::{NewTask, TaskList, TaskPatch, Workspace};
use serde::Serialize;

use crate::args::TaskCmd;
use crate::commands::done;
use crate::output::{Reply, Report};

pub async fn task(ws: &Workspace, cmd: TaskCmd) -> anyhow::Result<Reply> {
    match cmd {
        TaskCmd::New {
            title,
            owner,
            due,
            from,
        } => {
            let source = match from {
                Some(id) => {
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
            done(ws, &id, "Created").await
        }
        TaskCmd::List { mine, all } => {
            let mut list = ws.task_list(mine, None).await?;
            if !all {
                list.rows.retain(|r| r.bucket != DueBucket::Done);
            }
            Ok(Box::new(Tasks(list)))
        }
        TaskCmd::State { id, state } => {
            ws.set_task_state(&id, state).await?;
            done(ws, &id, "Updated").await
        }
        TaskCmd::Edit {
            id,
            title,
            owner,
            due,
            no_owner,
            no_due,
        } => {
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
            done(ws, &id, "Updated").await
        }
    }
}

/// The task list under one heading per due-date group.
#[derive(Debug, Serialize)]
#[serde(transparent)]
pub struct Tasks(TaskList);

impl Report for Tasks {
    fn human(&self, out: &mut dyn Write) -> io::Result<()> {
        if self.0.rows.is_empty() {
            return writeln!(
                out,
                "No tasks. Create one with `meridian task new --title …`."
            );
        }
        let mut group = None;
        for r in &self.0.rows {
            if group != Some(r.bucket) {
                group = Some(r.bucket);
                writeln!(out, "{}", bucket_label(r.bucket))?;
            }
            let owner = r.owner_name.as_deref().unwrap_or("unassigned");
            let due = match &r.due {
                Some(d) => format!("due {d} ({})", r.tz),
                None => "no due date".to_owned(),
            };
            writeln!(
                out,
                "  {}  {:<7}  {}  — {owner}, {due}",
                r.id, r.state, r.title
            )?;
        }
        Ok(())
    }
}

fn bucket_label(b: DueBucket) -> &'static str {
    match b {
        DueBucket::Overdue => "Overdue",
        DueBucket::Today => "Today",
        DueBucket::ThisWeek => "This week",
        DueBucket::Later => "Later",
        DueBucket::NoDate => "No date",
        DueBucket::Done => "Done or dropped",
    }
}
