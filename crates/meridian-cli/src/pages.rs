//! Pages of the knowledge base: create, edit, the tree, links.

use std::io::{self, Write};

use meridian_app::core::DocId;
use meridian_app::{Links, NewPage, PageNode, PagePatch, UnresolvedLink, Workspace};
use serde::Serialize;

use crate::args::PageCmd;
use crate::commands::done;
use crate::input::{Cleared, clearable, read_text};
use crate::output::{Reply, Report};

pub async fn page(ws: &Workspace, cmd: PageCmd) -> anyhow::Result<Reply> {
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
                parent,
            };
            let (id, _) = ws.create_page(new).await?;
            done(ws, &id, "Created").await
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
            let patch = PagePatch {
                title,
                body: read_text(&body)?,
                tags: (!tags.is_empty()).then_some(tags),
                parent: parent.map(Cleared::into_option),
                owner: clearable(owner),
                review_by: clearable(review_by),
            };
            ws.update_page(&id, patch).await?;
            done(ws, &id, "Updated").await
        }
        PageCmd::Tree => Ok(Box::new(Tree(ws.page_tree().await?))),
        PageCmd::Links { id: Some(id), .. } => Ok(Box::new(LinksOf(ws.links(&id).await?))),
        PageCmd::Links { id: None, .. } => Ok(Box::new(Unresolved(ws.unresolved_links().await?))),
    }
}

/// The page tree, with stale pages marked.
#[derive(Debug, Serialize)]
#[serde(transparent)]
pub struct Tree(Vec<PageNode>);

impl Report for Tree {
    fn human(&self, out: &mut dyn Write) -> io::Result<()> {
        if self.0.is_empty() {
            writeln!(
                out,
                "No pages yet: `meridian page new --title …` creates one."
            )?;
        }
        write_tree(out, &self.0, None, 0)
    }
}

fn write_tree(
    out: &mut dyn Write,
    tree: &[PageNode],
    parent: Option<&DocId>,
    depth: usize,
) -> io::Result<()> {
    for node in tree.iter().filter(|n| n.parent.as_ref() == parent) {
        let stale = if node.stale { "  [stale]" } else { "" };
        writeln!(
            out,
            "{}{} {}{stale}",
            "  ".repeat(depth),
            node.id,
            node.title
        )?;
        write_tree(out, tree, Some(&node.id), depth + 1)?;
    }
    Ok(())
}

/// What an object links to, and what links to it.
#[derive(Debug, Serialize)]
#[serde(transparent)]
pub struct LinksOf(Links);

impl Report for LinksOf {
    fn human(&self, out: &mut dyn Write) -> io::Result<()> {
        writeln!(out, "Links to:")?;
        for l in &self.0.outgoing {
            match &l.object {
                Some(o) => writeln!(out, "  {} {} \"{}\"", o.id, o.kind, o.title)?,
                None => writeln!(out, "  {} (not an object here)", l.target)?,
            }
        }
        writeln!(out, "Linked from:")?;
        for o in &self.0.backlinks {
            writeln!(out, "  {} {} \"{}\"", o.id, o.kind, o.title)?;
        }
        Ok(())
    }
}

/// Links that name no object here.
#[derive(Debug, Serialize)]
#[serde(transparent)]
pub struct Unresolved(Vec<UnresolvedLink>);

impl Report for Unresolved {
    fn human(&self, out: &mut dyn Write) -> io::Result<()> {
        if self.0.is_empty() {
            return writeln!(out, "Every link names an object here.");
        }
        let mut from: Option<&DocId> = None;
        for l in &self.0 {
            if from != Some(&l.from.id) {
                writeln!(out, "{} {} \"{}\"", l.from.id, l.from.kind, l.from.title)?;
                from = Some(&l.from.id);
            }
            if l.wiki {
                writeln!(out, "  [[{}]]", l.target)?;
            } else {
                writeln!(out, "  ({})", l.target)?;
            }
        }
        Ok(())
    }

    fn advice(&self, err: &mut dyn Write) -> io::Result<()> {
        if !self.0.is_empty() {
            writeln!(
                err,
                "{} links name no object here: create the missing pages, or correct the links.",
                self.0.len()
            )?;
        }
        Ok(())
    }
}
