//! Search and the index behind it.

use std::io::{self, Write};
use std::time::Instant;

use meridian_app::Workspace;
use meridian_app::search::Hit;
use serde::Serialize;

use crate::commands::progress;
use crate::output::{Reply, Report};

/// Search results.
#[derive(Debug, Serialize)]
#[serde(transparent)]
pub struct Hits {
    hits: Vec<Hit>,
    #[serde(skip)]
    query: String,
}

impl Report for Hits {
    fn human(&self, out: &mut dyn Write) -> io::Result<()> {
        if self.hits.is_empty() {
            writeln!(out, "No results for {:?}.", self.query)?;
        }
        for h in &self.hits {
            writeln!(out, "{}  {:<8}  {}", h.id, h.kind, h.title)?;
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
            writeln!(out, "    {line}")?;
        }
        Ok(())
    }
}

pub async fn search(
    ws: &Workspace,
    query: &str,
    kind: Option<String>,
    limit: usize,
) -> anyhow::Result<Reply> {
    // The index is a cache: bring it up to date with the store first (quick when it is).
    ws.catch_up_search(progress).await?;
    let mut q = query.to_owned();
    if let Some(k) = kind {
        q.push_str(&format!(" kind:{}", k.trim()));
    }
    let hits = ws.search(&q, limit).await?;
    Ok(Box::new(Hits {
        hits,
        query: query.to_owned(),
    }))
}

/// What `reindex` did. The fields are in the order `--json` always printed them.
#[derive(Debug, Serialize)]
pub struct Reindexed {
    elapsed_ms: u64,
    indexed: usize,
    #[serde(skip)]
    elapsed_s: f64,
}

impl Report for Reindexed {
    fn human(&self, out: &mut dyn Write) -> io::Result<()> {
        writeln!(
            out,
            "Indexed {} documents in {:.2} s.",
            self.indexed, self.elapsed_s
        )
    }
}

pub async fn reindex(ws: &Workspace) -> anyhow::Result<Reply> {
    let start = Instant::now();
    let indexed = ws.reindex(progress).await?;
    eprintln!();
    let elapsed = start.elapsed();
    Ok(Box::new(Reindexed {
        elapsed_ms: elapsed.as_millis() as u64,
        indexed,
        elapsed_s: elapsed.as_secs_f64(),
    }))
}
