//! Starts and stops what the desktop test needs: a private X display, `tauri-driver`, and
//! temporary HOME / XDG / data folders so the test never touches the user's files.

use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use fantoccini::{Client, ClientBuilder};
use hyper_util::client::legacy::connect::HttpConnector;
use serde_json::json;

pub type TestResult<T = ()> = Result<T, Box<dyn std::error::Error + Send + Sync>>;

#[derive(Debug, Clone)]
pub struct Config {
    pub app: PathBuf,
    pub driver: PathBuf,
    pub artifacts: PathBuf,
    /// The `meridian` CLI and the `meridian-relay` server, for the sync scenarios.
    pub cli: PathBuf,
    pub relay: PathBuf,
}

fn binary_from_env(var: &str) -> PathBuf {
    let path = PathBuf::from(
        std::env::var_os(var)
            .unwrap_or_else(|| panic!("MERIDIAN_E2E=1 needs {var} (scripts/e2e.sh sets it)")),
    );
    assert!(path.is_file(), "{var}={} is not a file", path.display());
    path
}

impl Config {
    /// `None` when the test is not asked for; panics when it is asked for and something is
    /// missing, so a broken setup is never mistaken for a pass.
    pub fn from_env() -> Option<Config> {
        if std::env::var("MERIDIAN_E2E").as_deref() != Ok("1") {
            return None;
        }
        let app = PathBuf::from(std::env::var_os("MERIDIAN_DESKTOP_BIN").expect(
            "MERIDIAN_E2E=1 needs MERIDIAN_DESKTOP_BIN: the desktop binary built with the bundled UI (scripts/e2e.sh)",
        ));
        assert!(
            app.is_file(),
            "MERIDIAN_DESKTOP_BIN={} is not a file",
            app.display()
        );
        let driver = std::env::var_os("TAURI_DRIVER")
            .map(PathBuf::from)
            .or_else(|| find_in_path("tauri-driver"))
            .or_else(|| {
                let p = home_dir()?.join(".cargo/bin/tauri-driver");
                p.is_file().then_some(p)
            })
            .expect(
                "tauri-driver not found: `cargo install tauri-driver --version 2.1.0 --locked`",
            );
        assert!(
            find_in_path("WebKitWebDriver").is_some(),
            "WebKitWebDriver not found: install the Debian package webkit2gtk-driver"
        );
        assert!(
            find_in_path("Xvfb").is_some(),
            "Xvfb not found: install the Debian packages xvfb and xauth"
        );
        let artifacts = std::env::var_os("MERIDIAN_E2E_ARTIFACTS")
            .map(PathBuf::from)
            .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../artifacts/e2e"));
        std::fs::create_dir_all(&artifacts).expect("create the screenshot folder");
        Some(Config {
            app,
            driver,
            artifacts,
            cli: binary_from_env("MERIDIAN_CLI_BIN"),
            relay: binary_from_env("MERIDIAN_RELAY_BIN"),
        })
    }
}

/// A running display and driver. Processes are stopped by [`Harness::stop`] and, should
/// the test panic first, on drop.
#[derive(Debug)]
pub struct Harness {
    pub config: Config,
    /// Holds `data/`, `home/` and `xdg/`; kept for its drop, which removes them.
    root: tempfile::TempDir,
    pub webdriver_url: String,
    xvfb: Option<Child>,
    driver: Option<Child>,
}

/// Desktop tests take turns: each starts its own display, driver and app, and two at once
/// on a small machine slow WebKit down enough to trip the timeouts.
pub async fn one_at_a_time() -> tokio::sync::MutexGuard<'static, ()> {
    static TURN: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());
    TURN.lock().await
}

impl Harness {
    pub fn start(config: Config) -> Harness {
        Harness::start_with_env(config, &[])
    }

    /// Like [`Harness::start`], with extra environment variables for the driver and the app
    /// it launches (e.g. `GTK_THEME=Adwaita:dark`, which WebKitGTK reports to the page as
    /// `prefers-color-scheme: dark`).
    pub fn start_with_env(config: Config, env: &[(&str, &str)]) -> Harness {
        let root = tempfile::tempdir().expect("create a temp folder");
        for dir in [
            "data",
            "home",
            "xdg/data",
            "xdg/cache",
            "xdg/config",
            "xdg/runtime",
        ] {
            std::fs::create_dir_all(root.path().join(dir)).expect("create temp folders");
        }
        let (xvfb, display) = start_xvfb();

        let port = free_port();
        let native_port = free_port();
        let log = std::fs::File::create(config.artifacts.join("tauri-driver.log"))
            .expect("create the driver log");
        let log_err = log.try_clone().expect("clone the driver log handle");
        let mut cmd = Command::new(&config.driver);
        cmd.args([
            "--port",
            &port.to_string(),
            "--native-port",
            &native_port.to_string(),
        ])
        .env("DISPLAY", format!(":{display}"))
        .env("HOME", root.path().join("home"))
        .env("XDG_DATA_HOME", root.path().join("xdg/data"))
        .env("XDG_CACHE_HOME", root.path().join("xdg/cache"))
        .env("XDG_CONFIG_HOME", root.path().join("xdg/config"))
        .env("MERIDIAN_DATA_DIR", root.path().join("data"))
        // Nothing on the machine's real network: a test that wants the local-network
        // route names a loopback address to listen on (MERIDIAN_LAN_LISTEN).
        .env("MERIDIAN_NO_LAN", "1")
        // No GPU under Xvfb: keep WebKit off the DMA-BUF renderer. (Disabling compositing
        // altogether makes WebDriver screenshots hang.)
        .env("WEBKIT_DISABLE_DMABUF_RENDERER", "1")
        // No accessibility bus in a headless session.
        .env("NO_AT_BRIDGE", "1")
        .env("GTK_A11Y", "none")
        .env_remove("WAYLAND_DISPLAY")
        .envs(env.iter().copied())
        .stdout(Stdio::from(log))
        .stderr(Stdio::from(log_err));
        let driver = cmd.spawn().expect("start tauri-driver");
        wait_until(Duration::from_secs(15), || {
            TcpStream::connect(("127.0.0.1", port)).is_ok()
        })
        .expect("tauri-driver did not listen within 15 s");
        // tauri-driver answers before the WebKitWebDriver it starts does; a session created
        // in between fails with "did not respond".
        wait_until(Duration::from_secs(15), || {
            TcpStream::connect(("127.0.0.1", native_port)).is_ok()
        })
        .expect("WebKitWebDriver did not listen within 15 s");

        Harness {
            config,
            root,
            webdriver_url: format!("http://127.0.0.1:{port}"),
            xvfb: Some(xvfb),
            driver: Some(driver),
        }
    }

    /// A session launches the app; ending it quits the app. Retried twice: the first
    /// sessions after the driver starts sometimes fail with "connection reset".
    pub async fn launch(&self) -> TestResult<Client> {
        let mut caps = serde_json::Map::new();
        caps.insert(
            "tauri:options".to_owned(),
            json!({ "application": self.config.app }),
        );
        let mut last = None;
        for attempt in 0..3 {
            if attempt > 0 {
                tokio::time::sleep(Duration::from_secs(1)).await;
            }
            match ClientBuilder::new(HttpConnector::new())
                .capabilities(caps.clone())
                .connect(&self.webdriver_url)
                .await
            {
                Ok(client) => return Ok(client),
                Err(e) => {
                    eprintln!(
                        "creating a WebDriver session failed (attempt {}): {e}",
                        attempt + 1
                    );
                    last = Some(e);
                }
            }
        }
        Err(format!("cannot start the app through tauri-driver: {last:?}").into())
    }

    /// The workspace folder the app opens (`MERIDIAN_DATA_DIR`).
    /// Launches the app, runs `scenario` against it, and closes it whatever the scenario's
    /// result (the scenario's error first, then the close's).
    pub async fn with_app(&self, scenario: impl AsyncFnOnce(&Client) -> TestResult) -> TestResult {
        let client = self.launch().await?;
        let result = scenario(&client).await;
        let closed = client.close().await;
        result?;
        closed?;
        Ok(())
    }

    pub fn data_dir(&self) -> PathBuf {
        self.root.path().join("data")
    }

    /// A folder beside the data folder for the Markdown mirror; it lives as long as the
    /// harness, so an app started later finds the folder it mirrored.
    pub fn mirror_dir(&self) -> PathBuf {
        self.root.path().join("markdown")
    }

    /// Saves a PNG of the window after letting the last DOM change reach the screen.
    pub async fn screenshot(&self, client: &Client, name: &str) -> TestResult {
        // WebKitGTK answers a screenshot at the next rendering update, which a page that
        // does not change (the first-run screen) never has: the request hung. A pixel at 2%
        // opacity, removed a moment later, makes one.
        client
            .execute(
                "const d = document.createElement('div');\
                 d.style.cssText = 'position:fixed;left:0;top:0;width:1px;height:1px;opacity:0.02;pointer-events:none';\
                 document.body.append(d);\
                 setTimeout(() => d.remove(), 400);",
                vec![],
            )
            .await?;
        tokio::time::sleep(Duration::from_millis(300)).await;
        // WebKitWebDriver takes the screenshot at the next paint; a window where nothing
        // changes (no caret blinking) is not painted again, and the request then waits
        // about 60 s. A one-pixel, all but transparent dot blinking for a second (and then
        // removed) gives it the paints it waits for.
        client
            .execute(
                "const dot = document.createElement('div'); \
                 dot.style.cssText = 'position:fixed;right:0;bottom:0;width:1px;height:1px;pointer-events:none'; \
                 document.body.appendChild(dot); let n = 0; \
                 const blink = () => { dot.style.background = n % 2 ? 'transparent' : 'rgba(0,0,0,0.004)'; \
                   if (++n < 60) requestAnimationFrame(blink); else dot.remove(); }; \
                 setTimeout(blink, 50);",
                vec![],
            )
            .await?;
        let png = client.screenshot().await?;
        let path = self.config.artifacts.join(format!("{name}.png"));
        std::fs::write(&path, png)?;
        eprintln!("screenshot: {}", path.display());
        Ok(())
    }

    pub fn stop(mut self) {
        self.kill_all();
    }

    fn kill_all(&mut self) {
        if let Some(mut driver) = self.driver.take() {
            // The driver, WebKitWebDriver and the app it launched: children first.
            for pid in descendants(driver.id()) {
                let _ = Command::new("kill")
                    .args(["-KILL", &pid.to_string()])
                    .status();
            }
            let _ = driver.kill();
            let _ = driver.wait();
        }
        if let Some(xvfb) = self.xvfb.take() {
            stop_xvfb(xvfb);
        }
    }
}

impl Drop for Harness {
    fn drop(&mut self) {
        self.kill_all();
    }
}

/// Every process below `pid`, deepest first, from /proc.
fn descendants(pid: u32) -> Vec<u32> {
    let parents: Vec<(u32, u32)> = std::fs::read_dir("/proc")
        .into_iter()
        .flatten()
        .flatten()
        .filter_map(|e| {
            let child: u32 = e.file_name().to_str()?.parse().ok()?;
            let stat = std::fs::read_to_string(e.path().join("stat")).ok()?;
            // The parent pid is the second field after the ")" that ends the name.
            let ppid = stat
                .rsplit_once(')')?
                .1
                .split_whitespace()
                .nth(1)?
                .parse()
                .ok()?;
            Some((child, ppid))
        })
        .collect();
    let mut out = Vec::new();
    let mut frontier = vec![pid];
    while let Some(p) = frontier.pop() {
        for (child, _) in parents.iter().filter(|(_, pp)| *pp == p) {
            out.push(*child);
            frontier.push(*child);
        }
    }
    out.reverse();
    out
}

fn wait_until(within: Duration, mut ready: impl FnMut() -> bool) -> Result<(), ()> {
    let start = Instant::now();
    while start.elapsed() < within {
        if ready() {
            return Ok(());
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    Err(())
}

fn free_port() -> u16 {
    TcpListener::bind(("127.0.0.1", 0))
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("find a free TCP port")
}

/// A private X display: the Xvfb process and its display number. Xvfb picks a free display
/// itself and prints its number once it accepts clients (-displayfd): runs in parallel
/// never race for a number, and the lock files that killed servers leave behind are no
/// obstacle.
pub fn start_xvfb() -> (Child, u32) {
    let mut xvfb = Command::new("Xvfb")
        .args([
            "-displayfd",
            "1",
            "-screen",
            "0",
            "1280x800x24",
            "-nolisten",
            "tcp",
        ])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("start Xvfb (Debian packages xvfb, xauth)");
    let display = display_of(&mut xvfb).expect("Xvfb did not open a display within 10 s");
    (xvfb, display)
}

/// The display number Xvfb prints on stdout (`-displayfd 1`) once it is ready.
fn display_of(xvfb: &mut Child) -> Option<u32> {
    use std::io::BufRead;
    let stdout = xvfb.stdout.take()?;
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let mut line = String::new();
        let _ = std::io::BufReader::new(stdout).read_line(&mut line);
        let _ = tx.send(line.trim().parse::<u32>().ok());
    });
    rx.recv_timeout(Duration::from_secs(10)).ok().flatten()
}

/// SIGTERM, so Xvfb removes its socket and lock file (SIGKILL leaves them behind), then
/// SIGKILL if it has not gone within 2 s.
pub fn stop_xvfb(mut xvfb: Child) {
    let _ = Command::new("kill")
        .args(["-TERM", &xvfb.id().to_string()])
        .status();
    let gone = wait_until(Duration::from_secs(2), || {
        matches!(xvfb.try_wait(), Ok(Some(_)))
    });
    if gone.is_err() {
        let _ = xvfb.kill();
    }
    let _ = xvfb.wait();
}

fn find_in_path(name: &str) -> Option<PathBuf> {
    std::env::split_paths(&std::env::var_os("PATH")?)
        .map(|dir| dir.join(name))
        .find(|p| p.is_file())
}

fn home_dir() -> Option<PathBuf> {
    std::env::var_os("HOME").map(PathBuf::from)
}
