//! A real, throwaway PostgreSQL server for tests: Debian's `postgresql` package (installed
//! by `scripts/deps.sh test`), `initdb` into a temporary folder, owned by an unprivileged
//! user when the tests run as root (`initdb` and `postgres` refuse root), listening on a
//! free loopback port with password authentication, `fsync` and `synchronous_commit` on.
//! It stops when the [`PgServer`] is dropped; a watchdog stops it too if the test process
//! dies without unwinding.
//!
//! Without PostgreSQL installed, [`PgServer::start`] returns `None` after printing why,
//! so a developer without it still runs the other tests; under CI (`CI` set) it panics,
//! since CI must run them.

use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Duration;

/// The user the server runs as when the tests run as root (created by Debian's package).
const SERVICE_USER: &str = "postgres";
/// The database superuser the server is created with.
pub const USER: &str = "meridian";

/// A PostgreSQL server in a temporary folder.
#[derive(Debug)]
pub struct PgServer {
    dir: tempfile::TempDir,
    bin: PathBuf,
    port: u16,
    password: String,
    run_as: Option<String>,
    watchdog: Option<std::process::Child>,
}

fn find_bin() -> Option<PathBuf> {
    if let Ok(dir) = std::env::var("MERIDIAN_PG_BIN") {
        return Some(PathBuf::from(dir));
    }
    let mut versions: Vec<(u32, PathBuf)> = std::fs::read_dir("/usr/lib/postgresql")
        .ok()?
        .filter_map(Result::ok)
        .filter_map(|e| {
            let v: u32 = e.file_name().to_str()?.parse().ok()?;
            let bin = e.path().join("bin");
            bin.join("initdb").exists().then_some((v, bin))
        })
        .collect();
    versions.sort();
    versions.pop().map(|(_, bin)| bin)
}

fn is_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|o| String::from_utf8_lossy(&o.stdout).trim() == "0")
}

fn id_of(user: &str, flag: &str) -> u32 {
    let out = Command::new("id")
        .args([flag, user])
        .output()
        .unwrap_or_else(|e| panic!("running id {flag} {user}: {e}"));
    String::from_utf8_lossy(&out.stdout)
        .trim()
        .parse()
        .unwrap_or_else(|_| {
            panic!("no user {user} to run PostgreSQL as (install Debian's postgresql package)")
        })
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free loopback port")
}

fn chown_all(path: &Path, uid: u32, gid: u32) {
    std::os::unix::fs::chown(path, Some(uid), Some(gid))
        .unwrap_or_else(|e| panic!("chown {}: {e}", path.display()));
    if path.is_dir() {
        for entry in std::fs::read_dir(path).expect("read dir").flatten() {
            chown_all(&entry.path(), uid, gid);
        }
    }
}

impl PgServer {
    /// Creates and starts a server, or returns `None` (after saying why) when PostgreSQL
    /// is not installed and this is not CI.
    pub fn start() -> Option<PgServer> {
        let Some(bin) = find_bin() else {
            let why =
                "PostgreSQL is not installed (apt-get install postgresql, or scripts/deps.sh test)";
            if std::env::var_os("CI").is_some() {
                panic!("{why}; CI must run the PostgreSQL tests");
            }
            eprintln!("skipped: {why}");
            return None;
        };
        let dir = tempfile::Builder::new()
            .prefix("meridian-pg-")
            .tempdir()
            .expect("temp dir");
        static COUNTER: AtomicU32 = AtomicU32::new(0);
        let password = format!(
            "pw-{}-{}-{}",
            std::process::id(),
            COUNTER.fetch_add(1, Ordering::Relaxed),
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map(|d| d.subsec_nanos())
                .unwrap_or(0)
        );
        std::fs::write(dir.path().join("pw"), &password).expect("write password file");
        let run_as = is_root().then(|| SERVICE_USER.to_owned());
        if let Some(user) = &run_as {
            chown_all(dir.path(), id_of(user, "-u"), id_of(user, "-g"));
        }
        let mut server = PgServer {
            dir,
            bin,
            port: 0,
            password,
            run_as,
            watchdog: None,
        };
        let data = server.data();
        let pwfile = server.dir.path().join("pw");
        server.run(
            "initdb",
            &[
                "-D",
                data.to_str().expect("utf-8 path"),
                "-U",
                USER,
                "--pwfile",
                pwfile.to_str().expect("utf-8 path"),
                "--auth-host=scram-sha-256",
                "--auth-local=trust",
                "-E",
                "UTF8",
                "--locale=C",
                "--no-sync",
            ],
        );
        for attempt in 0..3 {
            server.port = free_port();
            if server.try_start() {
                break;
            }
            assert!(
                attempt < 2,
                "PostgreSQL did not start; see {}",
                server.log().display()
            );
        }
        server.watchdog = server.spawn_watchdog();
        Some(server)
    }

    fn data(&self) -> PathBuf {
        self.dir.path().join("data")
    }

    fn log(&self) -> PathBuf {
        self.dir.path().join("log")
    }

    fn command(&self, program: &str) -> Command {
        let path = self.bin.join(program);
        match &self.run_as {
            Some(user) => {
                let mut c = Command::new("runuser");
                c.args(["-u", user, "--"]).arg(path);
                c
            }
            None => Command::new(path),
        }
    }

    fn run(&self, program: &str, args: &[&str]) -> bool {
        let out = self
            .command(program)
            .args(args)
            .stdin(Stdio::null())
            .output()
            .unwrap_or_else(|e| panic!("running {program}: {e}"));
        if !out.status.success() {
            eprintln!(
                "{program} failed: {}{}",
                String::from_utf8_lossy(&out.stdout),
                String::from_utf8_lossy(&out.stderr)
            );
        }
        out.status.success()
    }

    fn try_start(&self) -> bool {
        let options = format!(
            "-p {} -k {} -c listen_addresses=127.0.0.1 -c fsync=on -c synchronous_commit=on -c max_connections=200",
            self.port,
            self.dir.path().display()
        );
        self.run(
            "pg_ctl",
            &[
                "-D",
                self.data().to_str().expect("utf-8 path"),
                "-l",
                self.log().to_str().expect("utf-8 path"),
                "-o",
                &options,
                "-w",
                "-t",
                "60",
                "start",
            ],
        )
    }

    /// A `sh` loop that stops the server once this process is gone.
    fn spawn_watchdog(&self) -> Option<std::process::Child> {
        let pg_ctl = self.bin.join("pg_ctl");
        let stop = match &self.run_as {
            Some(user) => format!(
                "runuser -u {user} -- {} -D {} -m immediate stop",
                pg_ctl.display(),
                self.data().display()
            ),
            None => format!(
                "{} -D {} -m immediate stop",
                pg_ctl.display(),
                self.data().display()
            ),
        };
        let script = format!(
            "while kill -0 {} 2>/dev/null; do sleep 1; done; {stop} >/dev/null 2>&1",
            std::process::id()
        );
        Command::new("sh")
            .args(["-c", &script])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .ok()
    }

    /// The port it listens on (127.0.0.1).
    pub fn port(&self) -> u16 {
        self.port
    }

    /// A connection URL for database `db` with the right password.
    pub fn url(&self, db: &str) -> String {
        format!(
            "postgresql://{USER}:{}@127.0.0.1:{}/{db}",
            self.password, self.port
        )
    }

    /// The same with a wrong password.
    pub fn url_with_wrong_password(&self, db: &str) -> String {
        format!("postgresql://{USER}:wrong@127.0.0.1:{}/{db}", self.port)
    }

    /// Runs SQL with `psql` on database `db`; returns its output (unaligned, tuples only).
    /// Panics if it fails.
    pub fn psql(&self, db: &str, sql: &str) -> String {
        let out = Command::new(self.bin.join("psql"))
            .arg(self.url(db))
            .args(["-X", "-At", "-v", "ON_ERROR_STOP=1", "-c", sql])
            .stdin(Stdio::null())
            .output()
            .expect("running psql");
        assert!(
            out.status.success(),
            "psql {sql:?} failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).trim().to_owned()
    }

    /// Creates a fresh database and returns its URL.
    pub fn create_database(&self, name: &str) -> String {
        self.psql("postgres", &format!("CREATE DATABASE \"{name}\""));
        self.url(name)
    }

    /// Stops the server like a crash (`pg_ctl stop -m immediate`: no checkpoint; what
    /// was committed is recovered from the WAL at the next start).
    pub fn stop_immediate(&self) {
        assert!(
            self.run(
                "pg_ctl",
                &[
                    "-D",
                    self.data().to_str().expect("utf-8 path"),
                    "-m",
                    "immediate",
                    "-w",
                    "stop"
                ],
            ),
            "pg_ctl stop failed"
        );
    }

    /// Starts it again on the same port after [`PgServer::stop_immediate`].
    pub fn restart(&self) {
        for _ in 0..50 {
            if self.try_start() {
                return;
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        panic!(
            "PostgreSQL did not start again; see {}",
            self.log().display()
        );
    }
}

impl Drop for PgServer {
    fn drop(&mut self) {
        let _ = self
            .command("pg_ctl")
            .args(["-D"])
            .arg(self.data())
            .args(["-m", "immediate", "-w", "stop"])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status();
        if let Some(mut w) = self.watchdog.take() {
            let _ = w.kill();
            let _ = w.wait();
        }
    }
}
