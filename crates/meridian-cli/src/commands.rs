//! From the parsed command line to the feature's handler. Handlers return a report
//! (`output::Report`); `main` prints it.

use meridian_app::Workspace;
use meridian_app::core::DocId;
use meridian_app::sync::Routes;

use crate::args::*;
use crate::output::{Done, Reply};
use crate::{
    catchup, charter, checkins, decisions, history, meetings, members, mirror, pages, search, sync,
    tasks, threads, trash, views, workspace,
};

/// Runs one command. `None`: nothing to print (`sync` until interrupted).
pub async fn run(cli: Cli) -> anyhow::Result<Option<Reply>> {
    let data_dir = cli
        .data_dir
        .clone()
        .unwrap_or_else(meridian_app::default_data_dir);
    let command = match cli.command {
        Command::Init {
            name,
            me,
            tz,
            sample,
        } => {
            return workspace::init(&data_dir, &name, &me, &tz, sample)
                .await
                .map(Some);
        }
        Command::Join { code, me, tz, wait } => {
            return sync::join(&data_dir, &code, &me, &tz, &wait)
                .await
                .map(Some);
        }
        Command::Recover { relay, timeout } => {
            return sync::recover(&data_dir, relay.as_deref(), &timeout)
                .await
                .map(Some);
        }
        other => other,
    };
    let ws = Workspace::open(&data_dir).await?;
    let reply = match command {
        Command::Init { .. } | Command::Join { .. } | Command::Recover { .. } => {
            unreachable!("handled above")
        }
        Command::Invite {
            relay,
            role,
            expires,
        } => sync::invite(&ws, &relay, role, &expires).await?,
        Command::Sync {
            once,
            timeout,
            no_lan,
            peer,
            listen,
        } => {
            let routes = Routes {
                discover: !no_lan,
                peers: peer,
                listen,
            };
            return sync::sync(&ws, once, &timeout, &routes).await;
        }
        Command::Peers => sync::peers(&ws).await?,
        Command::Relay(RelayCommand::Set { url }) => sync::set_relay(&ws, &url).await?,
        Command::Mirror {
            dir,
            once,
            status,
            allow_mass_delete,
        } => {
            if status {
                mirror::status(&ws).await?
            } else if once {
                mirror::once(&ws, dir.as_deref(), allow_mass_delete).await?
            } else {
                return mirror::watch(&ws, dir.as_deref()).await;
            }
        }
        Command::Devices => sync::devices(&ws).await?,
        Command::Approval { mode } => sync::approval(&ws, &mode).await?,
        Command::JoinRequests => sync::join_requests(&ws).await?,
        Command::Approve { device } => sync::approve(&ws, &device).await?,
        Command::RemoveDevice { device } => sync::remove_device(&ws, &device).await?,
        Command::SyncStatus => sync::status(&ws).await?,
        Command::Import { dir } => workspace::import(&ws, &dir).await?,
        Command::Export { dir, format } => workspace::export(&ws, &dir, format).await?,
        Command::List { kind, all } => workspace::list(&ws, kind, all).await?,
        Command::Show { id, at: None } => workspace::show(&ws, &id).await?,
        Command::Show { id, at: Some(at) } => history::show_at(&ws, &id, &at).await?,
        Command::History { id, limit, offset } => history::history(&ws, &id, offset, limit).await?,
        Command::Diff { id, from, to } => history::diff(&ws, &id, &from, &to).await?,
        Command::Trash(args) => trash::trash(&ws, args).await?,
        Command::Merged(args) => trash::merged(&ws, args).await?,
        Command::Restore { id, to: None } => workspace::restore(&ws, &id).await?,
        Command::Restore { id, to: Some(to) } => history::restore_to(&ws, &id, &to).await?,
        Command::Page(cmd) => pages::page(&ws, cmd).await?,
        Command::Decision(cmd) => decisions::decision(&ws, cmd).await?,
        Command::Member(cmd) => members::member(&ws, cmd).await?,
        Command::Meeting(cmd) => meetings::meeting(&ws, cmd).await?,
        Command::Thread(cmd) => threads::thread(&ws, cmd).await?,
        Command::Task(cmd) => tasks::task(&ws, cmd).await?,
        Command::Checkin(cmd) => checkins::checkin(&ws, cmd).await?,
        Command::Charter(cmd) => charter::charter(&ws, cmd).await?,
        Command::ReplyBy {
            to,
            kind,
            sent_at,
            deliver,
        } => threads::reply_by(&ws, &to, &kind, sent_at.as_deref(), &deliver).await?,
        Command::CatchUp { since } => catchup::catch_up(&ws, since.as_deref()).await?,
        Command::Seen { id, all } => catchup::seen(&ws, id, all).await?,
        Command::Follow { id } => catchup::follow(&ws, &id, true).await?,
        Command::Unfollow { id } => catchup::follow(&ws, &id, false).await?,
        Command::Inbox { as_member, at } => {
            views::inbox(&ws, as_member.as_deref(), at.as_deref()).await?
        }
        Command::Search { query, kind, limit } => search::search(&ws, &query, kind, limit).await?,
        Command::Reindex => search::reindex(&ws).await?,
        Command::Team { at } => views::team(&ws, at.as_deref()).await?,
        Command::Slots {
            with,
            duration,
            within,
            from,
            limit,
        } => meetings::slots(&ws, with, &duration, &within, from, limit).await?,
    };
    Ok(Some(reply))
}

/// What a create or edit command reports: the object it produced.
pub async fn done(ws: &Workspace, id: &DocId, verb: &'static str) -> anyhow::Result<Reply> {
    Ok(Box::new(Done {
        shown: ws.show_object(id).await?,
        verb,
        summary: ws.summary(id).await?,
    }))
}

/// A one-line progress bar on stderr.
pub fn progress(done: usize, total: usize) {
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
