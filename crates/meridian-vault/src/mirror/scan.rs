//! Finding the mirror's files on disk.

use std::fs;
use std::io::Read;
use std::path::{Path, PathBuf};

use meridian_core::DocId;

use super::{DiskFile, hash};
use crate::Error;
use crate::import::front_matter_id;

/// Files larger than this are refused: a page is prose, and the mirror holds every
/// candidate in memory while planning.
pub const MAX_FILE_BYTES: u64 = 8 * 1024 * 1024;

/// Every `*.md` file under `root` (extension in any case), sorted by path.
///
/// Never follows a symlink: a symlinked `.md` file or folder is returned with an error
/// text giving the reason. Skips folders and files whose name starts with `.` (`.git`,
/// `.obsidian`, `.trash`, `.meridian`, vim's `.name.md.swp`, Emacs' `.#name.md` lock) and
/// every name not ending in `.md`, which covers editor temp, swap and backup files
/// (`name.md~`, `4913`, `*.tmp`, `*.swx`, `#name.md#`, `name.md___jb_tmp___`). A file whose
/// path is not valid UTF-8, that is not a regular file, is over [`MAX_FILE_BYTES`], is not
/// UTF-8, has front matter that is not valid YAML, or holds merge-conflict markers comes
/// back with an error text: it is there, but cannot be used as it is.
///
/// Errors only for `root` itself: missing, not a folder, or unreadable. A missing root
/// must pause the mirror, never read as "every file deleted".
pub fn scan(root: &Path) -> Result<Vec<DiskFile>, Error> {
    let meta = fs::metadata(root).map_err(|source| match source.kind() {
        std::io::ErrorKind::NotFound => Error::DirNotFound(root.to_owned()),
        _ => Error::ReadDir {
            path: root.to_owned(),
            source,
        },
    })?;
    if !meta.is_dir() {
        return Err(Error::NotADirectory(root.to_owned()));
    }
    fs::read_dir(root).map_err(|source| Error::ReadDir {
        path: root.to_owned(),
        source,
    })?;
    let mut out = Vec::new();
    walk(root, "", &mut out);
    out.sort_by(|a, b| a.path.cmp(&b.path));
    Ok(out)
}

fn walk(root: &Path, rel_dir: &str, out: &mut Vec<DiskFile>) {
    let Ok(entries) = fs::read_dir(root.join(rel_dir)) else {
        // The folder vanished or became unreadable mid-scan; its files are not reported,
        // so its entries look gone. Report it so nothing is trashed for it.
        out.push(refused(rel_dir.into(), "cannot read this folder".into()));
        return;
    };
    for entry in entries.filter_map(Result::ok) {
        let name = entry.file_name();
        let Some(name) = name.to_str() else {
            let rel = join(rel_dir, &name.to_string_lossy());
            out.push(refused(
                rel.into(),
                "the name is not valid UTF-8: rename it".into(),
            ));
            continue;
        };
        if name.starts_with('.') {
            continue;
        }
        let rel = join(rel_dir, name);
        let is_md = Path::new(name)
            .extension()
            .is_some_and(|e| e.eq_ignore_ascii_case("md"));
        let Ok(meta) = fs::symlink_metadata(root.join(&rel)) else {
            continue;
        };
        if meta.file_type().is_symlink() {
            let is_dir = fs::metadata(root.join(&rel)).is_ok_and(|m| m.is_dir());
            if is_md || is_dir {
                out.push(refused(
                    rel.into(),
                    "a symlink: the mirror never follows links; replace it with the real file or folder"
                        .into(),
                ));
            }
        } else if meta.is_dir() {
            walk(root, &rel, out);
        } else if is_md {
            out.push(read(root, rel, &meta));
        }
    }
}

fn join(dir: &str, name: &str) -> String {
    if dir.is_empty() {
        name.to_owned()
    } else {
        format!("{dir}/{name}")
    }
}

fn refused(path: PathBuf, reason: String) -> DiskFile {
    DiskFile {
        path,
        hash: String::new(),
        text: Err(reason),
        id: None,
    }
}

fn read(root: &Path, rel: String, meta: &fs::Metadata) -> DiskFile {
    if !meta.is_file() {
        return refused(
            rel.into(),
            "not a regular file (a device, pipe or socket)".into(),
        );
    }
    if meta.len() > MAX_FILE_BYTES {
        return refused(
            rel.into(),
            format!(
                "larger than {} MiB; split it into smaller pages",
                MAX_FILE_BYTES >> 20
            ),
        );
    }
    let mut bytes = Vec::new();
    // `take` bounds the read even if the file grew since it was measured.
    let read = fs::File::open(root.join(&rel))
        .and_then(|f| f.take(MAX_FILE_BYTES + 1).read_to_end(&mut bytes));
    if let Err(e) = read {
        return refused(rel.into(), format!("cannot read: {e}"));
    }
    let hash = hash(&bytes);
    if bytes.len() as u64 > MAX_FILE_BYTES {
        return DiskFile {
            hash,
            ..refused(
                rel.into(),
                format!(
                    "larger than {} MiB; split it into smaller pages",
                    MAX_FILE_BYTES >> 20
                ),
            )
        };
    }
    let text = match String::from_utf8(bytes) {
        Ok(t) => t,
        Err(e) => {
            let at = e.utf8_error().valid_up_to();
            let id = lenient_id(&String::from_utf8_lossy(e.as_bytes()));
            return DiskFile {
                path: rel.into(),
                hash,
                text: Err(format!(
                    "not valid UTF-8 (first bad byte at offset {at}); save it as UTF-8"
                )),
                id,
            };
        }
    };
    let (id, problem) = match front_matter_id(&text) {
        Ok(id) => (id, None),
        Err(e) => (lenient_id(&text), Some(e.to_string())),
    };
    let problem = problem.or_else(|| {
        (text.contains('\0')).then(|| "contains NUL bytes: a binary file, not Markdown".into())
    });
    let problem = problem.or_else(|| {
        has_conflict_markers(&text).then(|| {
            "has merge-conflict markers (<<<<<<< / >>>>>>>); resolve the conflict and save".into()
        })
    });
    DiskFile {
        path: rel.into(),
        hash,
        text: match problem {
            Some(reason) => Err(reason),
            None => Ok(text),
        },
        id,
    }
}

/// Git or another tool is mid-merge: importing half a conflict would spread it.
fn has_conflict_markers(text: &str) -> bool {
    let mut open = false;
    for line in text.lines() {
        if line.starts_with("<<<<<<< ") || line == "<<<<<<<" {
            open = true;
        } else if open && (line.starts_with(">>>>>>> ") || line == ">>>>>>>") {
            return true;
        }
    }
    false
}

/// The `id:` of a leading block that is not valid YAML (or of a text that is not
/// UTF-8), read line by line: enough to know which object the broken file belongs to.
fn lenient_id(text: &str) -> Option<DocId> {
    let mut lines = text.trim_start_matches('\u{feff}').lines();
    if lines.next().map(str::trim_end) != Some("---") {
        return None;
    }
    lines
        .take_while(|l| !matches!(l.trim_end(), "---" | "..."))
        .find_map(|l| {
            let v = l.strip_prefix("id:")?;
            v.trim().trim_matches(['"', '\'']).parse().ok()
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn conflict_markers_need_both_ends() {
        assert!(has_conflict_markers(
            "a\n<<<<<<< HEAD\nx\n=======\ny\n>>>>>>> b\n"
        ));
        assert!(!has_conflict_markers("<<<<<<< just a line\n"));
    }

    #[test]
    fn lenient_id_reads_broken_front_matter() {
        let id = "0123456789abcdef0123456789abcdef";
        assert_eq!(
            lenient_id(&format!("---\ntitle: [unclosed\nid: \"{id}\"\n---\nbody")),
            id.parse().ok()
        );
        assert_eq!(lenient_id(&format!("id: {id}\n")), None);
    }
}
