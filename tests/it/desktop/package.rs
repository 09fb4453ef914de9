//! The installable package starts and opens a workspace: the `.deb` that
//! `scripts/package.sh deb` builds is unpacked into a temporary root (`dpkg-deb -x`, what
//! `dpkg -i` puts on disk, without touching the machine), its metadata and files are
//! checked (dependencies that cover every library the binary links, the desktop entry and
//! icons), and the installed binary is launched through WebDriver on a workspace that the
//! CLI created: it must show that workspace and its pages.
//!
//! Needs `MERIDIAN_DEB` (set by `meridian_e2e_env` in scripts/deps.sh when the suite runs on
//! the release build); without it the test says why it is skipped.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::Command;

use fantoccini::Client;

use super::harness::{Config, Harness, TestResult};
use super::ui::*;

const WORKSPACE: &str = "Packaged team";
const PAGE: &str = "Installed from the package";

/// The package and the programs the test needs, or `None` (with the reason printed).
pub fn deb_from_env() -> Option<PathBuf> {
    let Some(deb) = std::env::var_os("MERIDIAN_DEB").map(PathBuf::from) else {
        eprintln!(
            "SKIPPED installed package test: set MERIDIAN_DEB to the .deb of scripts/package.sh deb (scripts/test.sh does)"
        );
        return None;
    };
    assert!(
        deb.is_file(),
        "MERIDIAN_DEB={} is not a file: run scripts/package.sh deb",
        deb.display()
    );
    Some(deb)
}

/// Unpacks the package into `root` and checks what it declares; returns the installed
/// binary.
pub fn install(deb: &Path, root: &Path) -> TestResult<PathBuf> {
    step("package: its control fields");
    let deb_path = deb.to_string_lossy();
    let fields = run("dpkg-deb", &["-f", &deb_path])?;
    let field = |name: &str| {
        fields
            .lines()
            .find_map(|l| l.strip_prefix(&format!("{name}: ")))
            .map(str::to_owned)
            .ok_or_else(|| format!("the package has no {name} field: {fields}"))
    };
    if field("Package")? != "meridian" {
        return Err(format!("unexpected package name: {fields}").into());
    }
    let depends: BTreeSet<String> = field("Depends")?
        .split(',')
        .map(|d| d.split_whitespace().next().unwrap_or_default().to_owned())
        .collect();

    step("package: unpack it into a temporary root");
    run("dpkg-deb", &["-x", &deb_path, &root.to_string_lossy()])?;
    let bin = root.join("usr/bin/meridian-desktop");
    if !bin.is_file() {
        return Err(format!("the package has no {}", bin.display()).into());
    }
    let desktop = root.join("usr/share/applications/Meridian.desktop");
    let entry = std::fs::read_to_string(&desktop).map_err(|e| {
        format!(
            "the package has no desktop entry {}: {e}",
            desktop.display()
        )
    })?;
    for line in [
        "Exec=meridian-desktop",
        "Icon=meridian-desktop",
        "Name=Meridian",
    ] {
        if !entry.lines().any(|l| l == line) {
            return Err(format!("the desktop entry lacks {line:?}:\n{entry}").into());
        }
    }
    for size in ["32x32", "128x128"] {
        let icon = root.join(format!(
            "usr/share/icons/hicolor/{size}/apps/meridian-desktop.png"
        ));
        if !icon.is_file() {
            return Err(format!("the package has no icon {}", icon.display()).into());
        }
    }

    step("package: its dependencies cover every library the binary links");
    check_libraries(&bin, &depends)?;
    Ok(bin)
}

/// Every shared library the binary names (`NEEDED`) resolves, and comes from a package the
/// .deb depends on, from one of their own dependencies, or from libc6 / libgcc-s1 (which
/// every Debian system has).
fn check_libraries(bin: &Path, depends: &BTreeSet<String>) -> TestResult {
    let bin_path = bin.to_string_lossy();
    let dynamic = run("objdump", &["-p", &bin_path])?;
    let needed: Vec<&str> = dynamic
        .lines()
        .filter_map(|l| l.trim().strip_prefix("NEEDED"))
        .map(str::trim)
        .collect();
    if needed.is_empty() {
        return Err("objdump found no NEEDED libraries: is this a dynamic executable?".into());
    }
    let resolved = run("ldd", &[&bin_path])?;
    if let Some(missing) = resolved.lines().find(|l| l.contains("not found")) {
        return Err(format!("the installed binary cannot load a library: {missing}").into());
    }
    let mut covered: BTreeSet<String> = depends.clone();
    covered.extend(["libc6".to_owned(), "libgcc-s1".to_owned()]);
    for package in depends {
        // One level of the declared packages' own dependencies, as installed here.
        if let Ok(theirs) = run("dpkg-query", &["-W", "-f=${Depends}", package]) {
            for d in theirs.split([',', '|']) {
                if let Some(name) = d.split_whitespace().next() {
                    covered.insert(name.split(':').next().unwrap_or(name).to_owned());
                }
            }
        }
    }
    for soname in needed {
        if soname.starts_with("ld-linux") {
            // The dynamic loader (libc6); ldd lists it by path, without "=>".
            continue;
        }
        let path = resolved
            .lines()
            .find_map(|l| {
                let (name, rest) = l.trim().split_once(" => ")?;
                (name == soname).then(|| rest.split(" (").next().unwrap_or(rest).to_owned())
            })
            .ok_or_else(|| format!("ldd does not resolve {soname}:\n{resolved}"))?;
        let owner = run("dpkg", &["-S", &path])
            .or_else(|_| {
                // /lib is a link to /usr/lib on current Debian; dpkg knows one spelling.
                let other = path
                    .strip_prefix("/usr")
                    .map(str::to_owned)
                    .unwrap_or_else(|| format!("/usr{path}"));
                run("dpkg", &["-S", &other])
            })
            .map_err(|e| format!("no package owns {path} ({soname}): {e}"))?;
        let package = owner
            .split(':')
            .next()
            .unwrap_or_default()
            .trim()
            .to_owned();
        if !covered.contains(&package) {
            return Err(format!(
                "the binary links {soname} from {package}, which the package's Depends ({depends:?}) does not bring in"
            )
            .into());
        }
    }
    Ok(())
}

/// The test: install, create a workspace with the CLI, launch the installed binary on it.
pub async fn run_installed(config: Config, deb: &Path) -> TestResult {
    let root = tempfile::tempdir()?;
    let bin = install(deb, root.path())?;
    let config = Config { app: bin, ..config };
    let harness = Harness::start(config);
    let outcome = opens_a_workspace(&harness).await;
    harness.stop();
    outcome
}

async fn opens_a_workspace(h: &Harness) -> TestResult {
    step("package: a workspace made by the CLI");
    let data = h.data_dir();
    cli(
        h,
        &data,
        &["init", "--name", WORKSPACE, "--me", "Ada", "--tz", "UTC"],
    )?;
    cli(
        h,
        &data,
        &[
            "page",
            "new",
            "--title",
            PAGE,
            "--body",
            "Opened by the installed app.",
        ],
    )?;

    step("package: the installed app opens it");
    h.with_app(async |c| shows_the_workspace(h, c).await).await
}

async fn shows_the_workspace(h: &Harness, c: &Client) -> TestResult {
    wait_text(c, "[data-testid=status-workspace]", WORKSPACE).await?;
    click(c, "[data-testid=nav-pages]").await?;
    let list = wait_for(c, "[data-testid=page-list]").await?;
    wait_text(c, "[data-testid=page-list]", PAGE).await?;
    let listed = text_of(&list).await?;
    if !listed.contains(PAGE) {
        return Err(format!("the installed app's page list lacks {PAGE:?}: {listed:?}").into());
    }
    h.screenshot(c, "50-installed-package").await?;
    Ok(())
}

fn cli(h: &Harness, dir: &Path, args: &[&str]) -> TestResult<String> {
    let out = Command::new(&h.config.cli)
        .arg("--data-dir")
        .arg(dir)
        .args(args)
        .env("MERIDIAN_KEYCHAIN", "off")
        .env("MERIDIAN_NO_LAN", "1")
        .output()?;
    if !out.status.success() {
        return Err(format!(
            "meridian {args:?} failed: {}",
            String::from_utf8_lossy(&out.stderr)
        )
        .into());
    }
    Ok(String::from_utf8(out.stdout)?)
}

/// Runs a program to completion; its stdout, or an error with its stderr.
fn run(program: &str, args: &[&str]) -> TestResult<String> {
    let out = Command::new(program)
        .args(args)
        .output()
        .map_err(|e| format!("cannot run {program}: {e}"))?;
    if !out.status.success() {
        return Err(format!(
            "{program} {args:?} failed: {}",
            String::from_utf8_lossy(&out.stderr).trim()
        )
        .into());
    }
    Ok(String::from_utf8(out.stdout)?)
}
