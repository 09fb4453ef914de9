//! Watching the mirror folder for "look again" hints.
//!
//! The watcher never decides anything: an event only names paths to look at (the plan
//! decides from content), and whenever the events may be incomplete it asks for a full
//! rescan instead. Incomplete means: an error, an overflow (inotify's `IN_Q_OVERFLOW`
//! arrives as a `Rescan` flag with no paths), any event without paths, the root itself
//! changing, or a new folder (files created in it before its watch existed send nothing).
//!
//! It watches the folder, never single files: a rename-over save replaces the file and
//! would end a watch on it.

use std::collections::BTreeSet;
use std::fmt;
use std::path::{Component, Path, PathBuf};
use std::sync::mpsc::{Receiver, Sender, channel};
use std::time::Duration;

use notify::event::CreateKind;
use notify::{EventKind, EventKindMask, PollWatcher, RecommendedWatcher, RecursiveMode};
use notify_debouncer_full::{
    Config, DebounceEventResult, Debouncer, NoCache, RecommendedCache, new_debouncer_opt,
};

use crate::Error;

/// Events for one path closer together than this become one.
const DEBOUNCE: Duration = Duration::from_millis(200);
/// How often the polling fallback walks the folder.
const POLL_INTERVAL: Duration = Duration::from_secs(2);

/// What the watcher saw.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Change {
    /// Look again at these paths (relative to the root, `/`-separated, sorted, no
    /// duplicates). Any of them may have been created, changed, renamed or removed.
    Paths(Vec<PathBuf>),
    /// Events may have been missed: scan the whole folder.
    Rescan,
}

/// Watches a mirror folder recursively; stops when dropped (the receiver then reports
/// a disconnect once the debouncer thread has ended).
pub struct Watcher {
    inner: Inner,
}

// Held only for its `Drop`, which stops the watcher and its debouncer thread.
#[expect(dead_code, reason = "held for its Drop")]
enum Inner {
    Native(Debouncer<RecommendedWatcher, RecommendedCache>),
    Polling(Debouncer<PollWatcher, NoCache>),
}

impl fmt::Debug for Watcher {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Watcher")
            .field("polling", &self.is_polling())
            .finish()
    }
}

impl Watcher {
    /// Watches `root` with the platform's watcher (inotify, FSEvents,
    /// ReadDirectoryChangesW) through a 200 ms debouncer, falling back to polling every
    /// 2 s when that cannot start (watch limit reached, a network or WSL file system).
    pub fn start(root: &Path) -> Result<(Watcher, Receiver<Change>), Error> {
        let root = real_root(root)?;
        let (tx, rx) = channel();
        let native = new_debouncer_opt::<_, RecommendedWatcher, RecommendedCache>(
            config(),
            handler(root.clone(), tx.clone()),
            RecommendedCache::new(),
        )
        .and_then(|mut d| d.watch(&root, RecursiveMode::Recursive).map(|()| d));
        match native {
            Ok(d) => Ok((
                Watcher {
                    inner: Inner::Native(d),
                },
                rx,
            )),
            Err(_) => Ok((Self::polling(&root, tx)?, rx)),
        }
    }

    /// Watches `root` by polling every 2 s, whatever the platform offers; for file
    /// systems known to send no events, and for tests of the fallback.
    pub fn start_polling(root: &Path) -> Result<(Watcher, Receiver<Change>), Error> {
        let root = real_root(root)?;
        let (tx, rx) = channel();
        Ok((Self::polling(&root, tx)?, rx))
    }

    /// True when polling (the platform's watcher could not start): worth telling people,
    /// as changes then take seconds to show.
    pub fn is_polling(&self) -> bool {
        matches!(self.inner, Inner::Polling(_))
    }

    fn polling(root: &Path, tx: Sender<Change>) -> Result<Watcher, Error> {
        let fail = |source| Error::Watch {
            path: root.to_owned(),
            source,
        };
        let config = config().with_notify_config(
            notify::Config::default()
                .with_event_kinds(EventKindMask::CORE)
                .with_poll_interval(POLL_INTERVAL),
        );
        let mut d = new_debouncer_opt::<_, PollWatcher, NoCache>(
            config,
            handler(root.to_owned(), tx),
            NoCache,
        )
        .map_err(fail)?;
        d.watch(root, RecursiveMode::Recursive).map_err(fail)?;
        Ok(Watcher {
            inner: Inner::Polling(d),
        })
    }
}

fn config() -> Config {
    Config::default().with_timeout(DEBOUNCE)
}

/// Event paths are reported under the path watched, so the root is resolved once and
/// watched as resolved (FSEvents reports `/private/var/…` for `/var/…`).
fn real_root(root: &Path) -> Result<PathBuf, Error> {
    root.canonicalize().map_err(|source| match source.kind() {
        std::io::ErrorKind::NotFound => Error::DirNotFound(root.to_owned()),
        _ => Error::ReadDir {
            path: root.to_owned(),
            source,
        },
    })
}

fn handler(root: PathBuf, tx: Sender<Change>) -> impl FnMut(DebounceEventResult) + Send + 'static {
    move |result| {
        if let Some(change) = classify(&root, result) {
            // The receiver is gone: the mirror stopped; the watcher follows when dropped.
            let _ = tx.send(change);
        }
    }
}

/// One debounced batch to at most one [`Change`].
fn classify(root: &Path, result: DebounceEventResult) -> Option<Change> {
    let Ok(events) = result else {
        return Some(Change::Rescan);
    };
    let mut paths = BTreeSet::new();
    for event in &events {
        if event.need_rescan() || event.paths.is_empty() {
            return Some(Change::Rescan);
        }
        let new_folder = match event.kind {
            EventKind::Create(CreateKind::Folder) => true,
            EventKind::Create(_) => event.paths.iter().any(|p| p.is_dir()),
            _ => false,
        };
        for path in &event.paths {
            let Ok(rel) = path.strip_prefix(root) else {
                // Outside the root: the root itself moved, or a path we cannot place.
                return Some(Change::Rescan);
            };
            if rel.as_os_str().is_empty() {
                return Some(Change::Rescan);
            }
            if hidden(rel) {
                continue;
            }
            if new_folder {
                return Some(Change::Rescan);
            }
            paths.insert(slashed(rel));
        }
    }
    (!paths.is_empty()).then(|| Change::Paths(paths.into_iter().collect()))
}

/// Under a dot-folder (`.git`, `.obsidian`) or a dot-file (editor temp and lock files,
/// our own temp files): never a mirror file.
fn hidden(rel: &Path) -> bool {
    rel.components().any(|c| match c {
        Component::Normal(s) => s.to_string_lossy().starts_with('.'),
        _ => false,
    })
}

fn slashed(rel: &Path) -> PathBuf {
    PathBuf::from(
        rel.components()
            .map(|c| c.as_os_str().to_string_lossy())
            .collect::<Vec<_>>()
            .join("/"),
    )
}

#[cfg(test)]
mod tests {
    use std::time::Instant;

    use notify::event::{Flag, ModifyKind, RemoveKind};
    use notify::{Error as NotifyError, Event};
    use notify_debouncer_full::DebouncedEvent;

    use super::*;

    fn batch(events: Vec<Event>) -> DebounceEventResult {
        Ok(events
            .into_iter()
            .map(|e| DebouncedEvent::new(e, Instant::now()))
            .collect())
    }

    #[test]
    fn overflow_errors_and_pathless_events_ask_for_a_rescan() {
        let root = Path::new("/m");
        let overflow = Event::new(EventKind::Other).set_flag(Flag::Rescan);
        assert_eq!(classify(root, batch(vec![overflow])), Some(Change::Rescan));
        let pathless = Event::new(EventKind::Modify(ModifyKind::Any));
        assert_eq!(classify(root, batch(vec![pathless])), Some(Change::Rescan));
        assert_eq!(
            classify(root, Err(vec![NotifyError::generic("boom")])),
            Some(Change::Rescan)
        );
        let root_gone = Event::new(EventKind::Remove(RemoveKind::Folder)).add_path("/m".into());
        assert_eq!(classify(root, batch(vec![root_gone])), Some(Change::Rescan));
        let new_folder =
            Event::new(EventKind::Create(CreateKind::Folder)).add_path("/m/pages/new".into());
        assert_eq!(
            classify(root, batch(vec![new_folder])),
            Some(Change::Rescan)
        );
    }

    #[test]
    fn paths_are_relative_deduplicated_and_skip_dot_folders() {
        let root = Path::new("/m");
        let events = vec![
            Event::new(EventKind::Modify(ModifyKind::Any)).add_path("/m/pages/a.md".into()),
            Event::new(EventKind::Modify(ModifyKind::Any)).add_path("/m/pages/a.md".into()),
            Event::new(EventKind::Modify(ModifyKind::Any)).add_path("/m/.git/index".into()),
            Event::new(EventKind::Modify(ModifyKind::Any))
                .add_path("/m/pages/.a.md.123.tmp".into())
                .add_path("/m/pages/b.md".into()),
        ];
        assert_eq!(
            classify(root, batch(events)),
            Some(Change::Paths(vec![
                "pages/a.md".into(),
                "pages/b.md".into()
            ]))
        );
        let only_git =
            Event::new(EventKind::Modify(ModifyKind::Any)).add_path("/m/.git/HEAD".into());
        assert_eq!(classify(root, batch(vec![only_git])), None);
    }
}
