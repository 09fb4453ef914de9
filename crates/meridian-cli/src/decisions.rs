//! Decision records: record, edit, options, status, feedback, acknowledgement, supersede.

use std::io::{self, Write};

use meridian_app::core::DecisionOption;
use meridian_app::{DecisionPatch, NewDecision, NewOption, Workspace};
use serde::Serialize;

use crate::args::DecisionCmd;
use crate::commands::done;
use crate::input::read_file_or_stdin;
use crate::output::{Reply, Report};

pub async fn decision(ws: &Workspace, cmd: DecisionCmd) -> anyhow::Result<Reply> {
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
                status,
            };
            let (id, _) = ws.create_decision(new).await?;
            done(ws, &id, "Recorded").await
        }
        DecisionCmd::Edit {
            id,
            title,
            context,
            rationale,
            consequences,
            drivers,
        } => {
            let patch = DecisionPatch {
                title,
                context,
                rationale,
                consequences,
                drivers: (!drivers.is_empty()).then_some(drivers),
                ..DecisionPatch::default()
            };
            ws.update_decision(&id, patch).await?;
            done(ws, &id, "Updated").await
        }
        DecisionCmd::Option {
            id,
            title,
            description,
            pros,
            cons,
        } => {
            let new = NewOption {
                title,
                description,
                pros,
                cons,
            };
            let (_, option) = ws.add_option(&id, new).await?;
            Ok(Box::new(OptionAdded(option)))
        }
        DecisionCmd::Choose {
            id,
            option,
            rationale,
        } => {
            ws.choose_option(&id, &option, rationale).await?;
            done(ws, &id, "Chose an option for").await
        }
        DecisionCmd::Status { id, status } => {
            ws.set_decision_status(&id, status).await?;
            done(ws, &id, "Updated").await
        }
        DecisionCmd::Feedback { id, stance, text } => {
            ws.give_feedback(&id, stance, &text).await?;
            done(ws, &id, "Gave feedback on").await
        }
        DecisionCmd::Ack { id } => {
            ws.acknowledge_decision(&id).await?;
            done(ws, &id, "Acknowledged").await
        }
        DecisionCmd::Supersede { id, by } => {
            ws.supersede_decision(&id, &by).await?;
            done(ws, &id, "Superseded").await
        }
    }
}

/// The option `decision option` added.
#[derive(Debug, Serialize)]
#[serde(transparent)]
pub struct OptionAdded(DecisionOption);

impl Report for OptionAdded {
    fn human(&self, out: &mut dyn Write) -> io::Result<()> {
        writeln!(out, "Added option {} \"{}\"", self.0.id, self.0.title)
    }
}
