//! Task commands: create (from a meeting, a decision or a thread, or on its own), change
//! state, owner and due date, and the task list grouped by due date on each owner's
//! calendar (`meridian_core::views::tasks`).

use meridian_core::views::tasks::task_rows;
use meridian_core::{Meeting, Task, TaskSource, TaskState, parse_date};

use super::*;

impl Workspace {
    /// Creates a task; one whose source is a meeting is added to the meeting's `tasks`.
    pub async fn create_task(&self, new: NewTask) -> Result<(DocId, Task), Error> {
        let task = self.checked_task(new, None).await?;
        let id = self.insert_task(task.clone()).await?;
        Ok((id, task))
    }

    pub async fn update_task(&self, id: &DocId, patch: TaskPatch) -> Result<Task, Error> {
        let owner = match patch.owner {
            Some(o) => Some(self.owner_id(o.as_deref()).await?),
            None => None,
        };
        let due = patch.due.map(|d| normalise_due(d.as_deref())).transpose()?;
        self.update::<Task>(id, |t| {
            if let Some(v) = patch.title {
                t.title = v.trim().to_owned();
            }
            if let Some(v) = owner {
                t.owner = v;
            }
            if let Some(v) = due {
                t.due = v;
            }
            if let Some(v) = patch.state {
                t.state = v;
            }
            Ok(())
        })
        .await
    }

    pub async fn set_task_state(&self, id: &DocId, state: TaskState) -> Result<Task, Error> {
        self.update_task(
            id,
            TaskPatch {
                state: Some(state),
                ..TaskPatch::default()
            },
        )
        .await
    }

    /// Every task (or only mine), grouped by where its due date falls on its owner's
    /// calendar at `at` (now by default).
    pub async fn task_list(
        &self,
        only_mine: bool,
        at: Option<chrono::DateTime<chrono::Utc>>,
    ) -> Result<TaskList, Error> {
        let at = at.unwrap_or_else(|| meridian_core::norms::from_ms(self.now_ms()));
        let me = self.workspace_info().me;
        let tasks = self.typed::<Task>().await?;
        let people = self.people().await?;
        Ok(TaskList {
            rows: task_rows(&tasks, &people, me.id.as_str(), only_mine, at),
            at: meridian_core::norms::utc_rfc3339(at),
            me,
        })
    }

    /// A task built from `new` with everything checked (owner, date, source), not stored
    /// yet. `meeting` is the source when the task is an action item of that meeting.
    pub(super) async fn checked_task(
        &self,
        new: NewTask,
        meeting: Option<&DocId>,
    ) -> Result<Task, Error> {
        let source = match (meeting, new.source) {
            (Some(m), _) => Some(TaskSource {
                kind: Kind::Meeting.as_str().to_owned(),
                id: m.to_string(),
            }),
            (None, Some(s)) => Some(self.check_source(s).await?),
            (None, None) => None,
        };
        let task = Task {
            title: new.title.trim().to_owned(),
            owner: self.owner_id(new.owner.as_deref()).await?,
            due: normalise_due(new.due.as_deref())?,
            state: TaskState::Open,
            source,
            created_at_ms: self.now_ms(),
        };
        // Validation runs again on write; here it stops a batch before its first write.
        self.with_context(|ctx| meridian_core::ObjectSchema::validate(&task, None, ctx))?;
        Ok(task)
    }

    /// Stores a checked task and lists it on its source meeting.
    pub(super) async fn insert_task(&self, task: Task) -> Result<DocId, Error> {
        let meeting = task
            .source
            .as_ref()
            .filter(|s| s.kind == Kind::Meeting.as_str())
            .map(|s| s.id.parse::<DocId>())
            .transpose()?;
        let (id, _) = self.create_object(task).await?;
        if let Some(m) = meeting {
            self.update::<Meeting>(&m, |m| {
                m.tasks.push(id.to_string());
                Ok(())
            })
            .await?;
        }
        Ok(id)
    }

    /// A task's source must be an existing meeting, decision or thread.
    async fn check_source(&self, s: TaskSource) -> Result<TaskSource, Error> {
        let kind: Kind = s.kind.parse()?;
        if !matches!(kind, Kind::Meeting | Kind::Decision | Kind::Thread) {
            return Err(meridian_core::Error::InvalidRange {
                field: "task source",
                detail: format!(
                    "a task comes from a meeting, a decision or a thread, not a {kind}"
                ),
            }
            .into());
        }
        let id: DocId = s.id.trim().parse()?;
        let found = self.summary(&id).await?;
        if found.kind != kind {
            return Err(Error::WrongKind {
                id,
                expected: kind,
                found: found.kind,
            });
        }
        Ok(TaskSource {
            kind: kind.as_str().to_owned(),
            id: id.to_string(),
        })
    }
}

/// A due date as stored: `YYYY-MM-DD`, or none for an empty value.
fn normalise_due(due: Option<&str>) -> Result<Option<String>, Error> {
    match due.map(str::trim).filter(|d| !d.is_empty()) {
        Some(d) => Ok(Some(parse_date("due", d)?.format("%Y-%m-%d").to_string())),
        None => Ok(None),
    }
}
