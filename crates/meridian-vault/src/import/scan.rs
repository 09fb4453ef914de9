//! Reading a folder of Markdown files.

use std::fs;
use std::path::{Path, PathBuf};

use super::{Parsed, Scan, Skipped, parse_markdown};
use crate::Error;

/// Files larger than this are skipped: no page is 64 MiB of prose.
const MAX_FILE_BYTES: u64 = 64 * 1024 * 1024;

/// Walks `dir` recursively in sorted, deterministic order and parses every `*.md` file
/// (extension in any case). Folders whose name starts with `.` (`.git`, `.obsidian`,
/// `.trash`) are not entered; symlinks are read only when they point at a file inside
/// `dir`, and symlinked folders are never followed. Empty files import as empty pages.
/// A file that cannot be imported is listed in [`Scan::skipped`] with the reason.
///
/// Errors only for `dir` itself: missing, not a folder, or unreadable.
pub fn scan_dir(dir: &Path, now_ms: i64) -> Result<Scan, Error> {
    let meta = fs::metadata(dir).map_err(|source| match source.kind() {
        std::io::ErrorKind::NotFound => Error::DirNotFound(dir.to_owned()),
        _ => Error::ReadDir {
            path: dir.to_owned(),
            source,
        },
    })?;
    if !meta.is_dir() {
        return Err(Error::NotADirectory(dir.to_owned()));
    }
    let root = dir.canonicalize().map_err(|source| Error::ReadDir {
        path: dir.to_owned(),
        source,
    })?;
    fs::read_dir(&root).map_err(|source| Error::ReadDir {
        path: dir.to_owned(),
        source,
    })?;
    let mut scan = Scan::default();
    walk(&root, Path::new(""), now_ms, &mut scan);
    Ok(scan)
}

fn walk(root: &Path, rel_dir: &Path, now_ms: i64, scan: &mut Scan) {
    let abs_dir = root.join(rel_dir);
    let entries = match fs::read_dir(&abs_dir) {
        Ok(rd) => rd,
        Err(e) => {
            skip(scan, rel_dir.to_owned(), format!("cannot read folder: {e}"));
            return;
        }
    };
    let mut names: Vec<_> = entries
        .filter_map(Result::ok)
        .map(|e| e.file_name())
        .collect();
    names.sort();
    for name in names {
        let rel = rel_dir.join(&name);
        let abs = root.join(&rel);
        let is_md = Path::new(&name)
            .extension()
            .is_some_and(|e| e.eq_ignore_ascii_case("md"));
        let Ok(meta) = fs::symlink_metadata(&abs) else {
            continue;
        };
        if meta.file_type().is_symlink() {
            symlink(root, &rel, &abs, is_md, now_ms, scan);
        } else if meta.is_dir() {
            if !name.to_string_lossy().starts_with('.') {
                walk(root, &rel, now_ms, scan);
            }
        } else if is_md {
            if meta.is_file() {
                read_file(&abs, rel, meta.len(), now_ms, scan);
            } else {
                skip(
                    scan,
                    rel,
                    "not a regular file (a device, pipe or socket)".into(),
                );
            }
        }
    }
}

fn symlink(root: &Path, rel: &Path, abs: &Path, is_md: bool, now_ms: i64, scan: &mut Scan) {
    let Ok(target) = abs.canonicalize() else {
        if is_md {
            skip(scan, rel.to_owned(), "broken symlink".into());
        }
        return;
    };
    let inside = target.starts_with(root);
    let target_meta = fs::metadata(&target).ok();
    if target_meta.as_ref().is_some_and(fs::Metadata::is_dir) {
        skip(
            scan,
            rel.to_owned(),
            if inside {
                "symlinked folder, not followed (its files are read where they really are)".into()
            } else {
                "symlink leaving the folder, not followed".into()
            },
        );
    } else if is_md {
        if !inside {
            skip(
                scan,
                rel.to_owned(),
                "symlink leaving the folder, not followed".into(),
            );
        } else if let Some(m) = target_meta.filter(fs::Metadata::is_file) {
            read_file(&target, rel.to_owned(), m.len(), now_ms, scan);
        } else {
            skip(
                scan,
                rel.to_owned(),
                "not a regular file (a device, pipe or socket)".into(),
            );
        }
    }
}

fn read_file(abs: &Path, rel: PathBuf, len: u64, now_ms: i64, scan: &mut Scan) {
    if len > MAX_FILE_BYTES {
        skip(
            scan,
            rel,
            format!(
                "larger than {} MiB; split it into smaller pages",
                MAX_FILE_BYTES >> 20
            ),
        );
        return;
    }
    let bytes = match fs::read(abs) {
        Ok(b) => b,
        Err(e) => return skip(scan, rel, format!("cannot read: {e}")),
    };
    let text = match String::from_utf8(bytes) {
        Ok(t) => t,
        Err(e) => {
            let at = e.utf8_error().valid_up_to();
            return skip(
                scan,
                rel,
                format!("not valid UTF-8 (first bad byte at offset {at}); save it as UTF-8"),
            );
        }
    };
    if text.contains('\0') {
        return skip(
            scan,
            rel,
            "contains NUL bytes: a binary file, not Markdown".into(),
        );
    }
    let stem = rel
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_default();
    match parse_markdown(&text, &stem, now_ms) {
        Ok((id, mut object)) => {
            remember_path(&mut object, &rel);
            scan.files.push(super::ParsedFile {
                rel_path: rel,
                id,
                object,
            });
        }
        Err(e) => skip(scan, rel, e.to_string()),
    }
}

/// Pages and decisions remember the file they came from, relative to the scanned folder
/// and `/`-separated on every system, so links by file name and relative path find them.
fn remember_path(object: &mut Parsed, rel: &Path) {
    let path = rel
        .components()
        .map(|c| c.as_os_str().to_string_lossy())
        .collect::<Vec<_>>()
        .join("/");
    if let Parsed::Page(p) = object {
        p.path = Some(path);
    } else if let Parsed::Decision(d) = object {
        d.path = Some(path);
    }
}

fn skip(scan: &mut Scan, rel_path: PathBuf, reason: String) {
    scan.skipped.push(Skipped { rel_path, reason });
}
