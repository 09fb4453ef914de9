//! The optional sample workspace of the first run (ARCHITECTURE: The desktop app): a few pages and decision
//! records (`crates/meridian-app/sample/`, sources and licences in its README), embedded in
//! the binary so the app needs no files beside it, and imported through the same parser as
//! `meridian import`.

use std::time::Instant;

use meridian_core::{DocId, Kind};

use crate::api::ImportReport;
use crate::error::Error;
use crate::workspace::Workspace;

/// One bundled file: its path under `sample/` and its text.
#[derive(Debug, Clone, Copy)]
pub struct SampleFile {
    pub path: &'static str,
    pub text: &'static str,
}

macro_rules! sample_files {
    ($($path:literal),+ $(,)?) => {
        &[$(SampleFile { path: $path, text: include_str!(concat!("../sample/", $path)) }),+]
    };
}

/// Every file of the sample, pages first (a test checks nothing in `sample/` is missing).
pub const SAMPLE_FILES: &[SampleFile] = sample_files![
    "pages/start-here.md",
    "pages/how-we-work-asynchronously.md",
    "pages/writing-decisions-down.md",
    "pages/retrospectives.md",
    "pages/onboarding-checklist.md",
    "decisions/0001-record-decisions-as-madr.md",
    "decisions/0002-replace-the-monday-call-with-a-written-check-in.md",
];

impl Workspace {
    /// Adds the sample pages and decisions to this workspace as new objects (fresh ids;
    /// calling it twice adds a second copy). They are searchable once the index catches
    /// up, as after `import_markdown`.
    ///
    /// A bundled file that does not import is a defect of this build, reported as
    /// [`Error::SampleContent`]; what was added before it stays.
    pub async fn import_sample(&self) -> Result<ImportReport, Error> {
        let started = Instant::now();
        let now = self.now_ms();
        let mut items = Vec::with_capacity(SAMPLE_FILES.len());
        for file in SAMPLE_FILES {
            let stem = file
                .path
                .rsplit('/')
                .next()
                .and_then(|name| name.strip_suffix(".md"))
                .unwrap_or(file.path);
            let (_, parsed) =
                meridian_vault::parse_markdown(file.text, stem, now).map_err(|e| {
                    Error::SampleContent {
                        file: file.path,
                        reason: e.to_string(),
                    }
                })?;
            items.push((DocId::from_bytes(rand::random()), parsed));
        }
        let mut report = ImportReport::default();
        for (file, result) in SAMPLE_FILES.iter().zip(self.insert_many(items).await?) {
            match result {
                Ok(Kind::Decision) => report.decisions += 1,
                Ok(_) => report.pages += 1,
                Err(Error::Rule(rule)) => {
                    return Err(Error::SampleContent {
                        file: file.path,
                        reason: rule.to_string(),
                    });
                }
                Err(other) => return Err(other),
            }
        }
        report.elapsed_ms = started.elapsed().as_millis() as u64;
        Ok(report)
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;
    use std::path::Path;

    use super::SAMPLE_FILES;

    fn md_files(dir: &Path, rel: &str, out: &mut BTreeSet<String>) {
        for entry in std::fs::read_dir(dir).expect("read sample/") {
            let entry = entry.expect("a directory entry");
            let name = entry.file_name().to_string_lossy().into_owned();
            let rel = if rel.is_empty() {
                name.clone()
            } else {
                format!("{rel}/{name}")
            };
            if entry.path().is_dir() {
                md_files(&entry.path(), &rel, out);
            } else if name.ends_with(".md") && rel != "README.md" {
                out.insert(rel);
            }
        }
    }

    #[test]
    fn every_sample_file_is_embedded() {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("sample");
        let mut on_disk = BTreeSet::new();
        md_files(&dir, "", &mut on_disk);
        let embedded: BTreeSet<String> = SAMPLE_FILES.iter().map(|f| f.path.to_owned()).collect();
        assert_eq!(embedded.len(), SAMPLE_FILES.len(), "a file is listed twice");
        assert_eq!(
            on_disk, embedded,
            "sample/ and SAMPLE_FILES differ: list every sample file in src/sample.rs"
        );
    }
}
