//! Starting and stopping a relay: the HTTP listener with its one WebSocket route
//! (`/sync`), the core thread, and the ticker.

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use axum::Router;
use axum::extract::ws::WebSocketUpgrade;
use axum::extract::{ConnectInfo, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::serve::ListenerExt;
use meridian_sync::wire::MAX_FRAME_BYTES;
use tokio::net::TcpListener;
use tokio::sync::{Semaphore, mpsc, oneshot};
use tokio::task::JoinHandle;
use tokio_util::task::TaskTracker;

use crate::config::{Config, Limits};
use crate::core::{Core, Event, load_workspaces};
use crate::guard::{Gate, Guarded, Peer};
use crate::store::{PgStore, RelayStore, SqliteStore};
use crate::tls::{self, TlsListener};
use crate::{Error, conn};

/// Events waiting for the core; connection tasks wait when it is full.
const INBOX_EVENTS: usize = 4096;
/// How long `/healthz` waits for the store.
const HEALTH_TIMEOUT: Duration = Duration::from_secs(5);
/// How long shutdown waits for connections to write their last frames.
const DRAIN_TIMEOUT: Duration = Duration::from_secs(5);

#[derive(Clone)]
struct AppState {
    core: mpsc::Sender<Event>,
    limits: Limits,
    slots: Arc<Semaphore>,
    budget: Arc<Semaphore>,
    next_conn: Arc<AtomicU64>,
    tracker: TaskTracker,
}

/// A running relay. Stop it with [`Server::shutdown`]; dropping it stops the listener
/// without saying `Bye` (open connections may be cut), and the core thread ends once
/// the last connection has.
#[derive(Debug)]
pub struct Server {
    addr: SocketAddr,
    fingerprint: Option<[u8; 32]>,
    stop: Option<oneshot::Sender<()>>,
    http: JoinHandle<std::io::Result<()>>,
    ticker: JoinHandle<()>,
    core: mpsc::Sender<Event>,
    core_thread: std::thread::JoinHandle<()>,
    tracker: TaskTracker,
}

fn check_listen(config: &Config) -> Result<(), Error> {
    if !config.listen.ip().is_loopback() && !config.insecure && config.tls.is_none() {
        return Err(Error::Insecure(config.listen));
    }
    Ok(())
}

/// Starts a relay with the SQLite store in `config.data_dir`, or on the PostgreSQL
/// database `config.postgres` names; returns once it listens.
pub async fn serve(config: Config) -> Result<Server, Error> {
    check_listen(&config)?;
    if let Some(url) = config.postgres.clone() {
        let store = tokio::task::spawn_blocking(move || PgStore::open_blocking(&url))
            .await
            .map_err(|_| Error::CoreStopped)??;
        tracing::info!(database = %store.target(), "relay storage: PostgreSQL");
        return serve_with_store(config, store).await;
    }
    let dir = config.data_dir.clone();
    let store = tokio::task::spawn_blocking(move || {
        std::fs::create_dir_all(&dir).map_err(|source| Error::DataDir {
            path: dir.clone(),
            source,
        })?;
        Ok::<_, Error>(SqliteStore::open_blocking(
            &dir.join(SqliteStore::FILE_NAME),
        )?)
    })
    .await
    .map_err(|_| Error::CoreStopped)??;
    serve_with_store(config, store).await
}

/// Starts a relay on any [`RelayStore`]; `config.data_dir` is not used.
pub async fn serve_with_store<S: RelayStore>(config: Config, store: S) -> Result<Server, Error> {
    check_listen(&config)?;
    let (tls_setup, data_dir) = (config.tls.clone(), config.data_dir.clone());
    let (mut store, workspaces, tls) = tokio::task::spawn_blocking(move || {
        let mut store = store;
        let workspaces = load_workspaces(&mut store)?;
        let tls = match &tls_setup {
            Some(setup) => Some(tls::load(setup, &data_dir)?),
            None => None,
        };
        Ok::<_, Error>((store, workspaces, tls))
    })
    .await
    .map_err(|_| Error::CoreStopped)??;
    tracing::info!(workspaces = workspaces.len(), "relay storage loaded");

    let bound = match TcpListener::bind(config.listen).await {
        Ok(listener) => listener.local_addr().map(|addr| (listener, addr)),
        Err(source) => Err(source),
    };
    let (listener, addr) = match bound {
        Ok(bound) => bound,
        Err(source) => {
            drop_blocking(store).await;
            return Err(Error::Bind {
                addr: config.listen,
                source,
            });
        }
    };

    let limits = config.limits;
    let gate = Gate::new(limits.clone());
    let (core_tx, core_rx) = mpsc::channel(INBOX_EVENTS);
    // Hints that other relays sharing the store wrote; called on the store's own thread.
    let hints = core_tx.downgrade();
    let watching = store.watch(Box::new(move |remote| {
        hints
            .upgrade()
            .is_some_and(|core| core.blocking_send(Event::Remote(remote)).is_ok())
    }));
    if let Err(e) = watching {
        drop_blocking(store).await;
        return Err(Error::Backend(Box::new(e)));
    }
    let core = Core::new(store, limits.clone(), workspaces);
    let core_thread = std::thread::Builder::new()
        .name("meridian-relay-core".into())
        .spawn(move || core.run_blocking(core_rx))
        .map_err(Error::Thread)?;
    let ticker = tokio::spawn(tick(core_tx.downgrade(), limits.tick_interval));
    let handshakes = crate::tls::HandshakeLimits {
        total: limits.max_pending_logins,
        per_ip: limits.max_connections_per_ip,
        timeout: limits.handshake_timeout,
    };

    let tracker = TaskTracker::new();
    let state = AppState {
        core: core_tx.clone(),
        slots: Arc::new(Semaphore::new(
            limits.max_connections.min(Semaphore::MAX_PERMITS),
        )),
        budget: Arc::new(Semaphore::new(conn::INBOX_BUDGET_KIB)),
        limits,
        next_conn: Arc::new(AtomicU64::new(1)),
        tracker: tracker.clone(),
    };
    let app = Router::new()
        .route("/sync", get(upgrade))
        .route("/healthz", get(healthz))
        .with_state(state)
        .into_make_service_with_connect_info::<Peer>();
    let (stop, stopped) = oneshot::channel::<()>();
    let stopped = async {
        let _ = stopped.await;
    };
    let fingerprint = tls.as_ref().map(|(_, fingerprint)| *fingerprint);
    let http = match tls {
        Some((tls_config, _)) => {
            let listener =
                TlsListener::new(listener, tls_config, handshakes).map_err(|source| {
                    Error::Bind {
                        addr: config.listen,
                        source,
                    }
                })?;
            let listener = Guarded::new(listener, gate);
            tokio::spawn(async move {
                axum::serve(listener, app)
                    .with_graceful_shutdown(stopped)
                    .await
            })
        }
        None => {
            // Frames are small and answered one by one: no Nagle delay.
            let listener = listener.tap_io(|tcp| {
                let _ = tcp.set_nodelay(true);
            });
            let listener = Guarded::new(listener, gate);
            tokio::spawn(async move {
                axum::serve(listener, app)
                    .with_graceful_shutdown(stopped)
                    .await
            })
        }
    };
    tracing::info!(%addr, tls = fingerprint.is_some(), "relay listening");
    Ok(Server {
        addr,
        fingerprint,
        stop: Some(stop),
        http,
        ticker,
        core: core_tx,
        core_thread,
        tracker,
    })
}

/// Drops a store off the async runtime: a backend may own a runtime of its own (the
/// PostgreSQL client does), which must not be dropped inside this one.
async fn drop_blocking<S: Send + 'static>(store: S) {
    let _ = tokio::task::spawn_blocking(move || drop(store)).await;
}

async fn tick(core: mpsc::WeakSender<Event>, every: Duration) {
    let mut interval = tokio::time::interval(every.max(Duration::from_millis(10)));
    interval.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
    loop {
        interval.tick().await;
        let Some(core) = core.upgrade() else {
            return;
        };
        if core.send(Event::Tick).await.is_err() {
            return;
        }
    }
}

async fn upgrade(
    State(state): State<AppState>,
    ConnectInfo(Peer(ticket)): ConnectInfo<Peer>,
    ws: WebSocketUpgrade,
) -> Response {
    if let Some(refusal) = ticket.refused() {
        let headers = [(header::CONNECTION, "close")];
        return (
            StatusCode::SERVICE_UNAVAILABLE,
            headers,
            refusal.to_string(),
        )
            .into_response();
    }
    ticket.upgraded();
    let ws = ws
        .max_message_size(MAX_FRAME_BYTES)
        .max_frame_size(MAX_FRAME_BYTES);
    let Ok(permit) = state.slots.clone().try_acquire_owned() else {
        let max = state.limits.max_connections;
        return ws.on_upgrade(move |socket| conn::refuse_busy(socket, max));
    };
    let id = state.next_conn.fetch_add(1, Ordering::Relaxed);
    let AppState {
        core,
        limits,
        budget,
        tracker,
        ..
    } = state;
    ws.on_upgrade(move |socket| {
        tracker.track_future(async move {
            conn::serve(socket, id, core, budget, limits, permit, ticket).await;
        })
    })
}

/// `GET /healthz`: 200 when the store answers and its schema is the one this relay
/// writes, 503 with the reason otherwise (for load balancers and probes).
async fn healthz(State(state): State<AppState>) -> Response {
    let (done, answer) = oneshot::channel();
    let refused = |why: String| {
        let headers = [(header::CONTENT_TYPE, "text/plain; charset=utf-8")];
        (StatusCode::SERVICE_UNAVAILABLE, headers, why + "\n").into_response()
    };
    if state.core.send(Event::Health { done }).await.is_err() {
        return refused("the relay is shutting down".into());
    }
    match tokio::time::timeout(HEALTH_TIMEOUT, answer).await {
        Ok(Ok(Ok(()))) => (StatusCode::OK, "ok\n").into_response(),
        Ok(Ok(Err(why))) => refused(why),
        Ok(Err(_)) => refused("the relay is shutting down".into()),
        Err(_) => refused(format!(
            "the relay's store did not answer within {} s",
            HEALTH_TIMEOUT.as_secs()
        )),
    }
}

impl Server {
    /// The address the relay listens on (the real port when started on port 0).
    pub fn local_addr(&self) -> SocketAddr {
        self.addr
    }

    /// The URL devices connect to (`wss://` with TLS).
    pub fn url(&self) -> String {
        let scheme = if self.fingerprint.is_some() {
            "wss"
        } else {
            "ws"
        };
        format!("{scheme}://{}/sync", self.addr)
    }

    /// With TLS, the SHA-256 fingerprint of the certificate: the pin an invite carries.
    pub fn cert_fingerprint(&self) -> Option<[u8; 32]> {
        self.fingerprint
    }

    /// Stops gracefully: no new connections; every session gets `Bye` after the frames
    /// already queued for it; the last batch is committed and the store closed.
    pub async fn shutdown(mut self) -> Result<(), Error> {
        let (done, finished) = oneshot::channel();
        if self.core.send(Event::Shutdown { done }).await.is_ok() {
            let _ = finished.await;
        }
        drop(self.core);
        let joined = tokio::task::spawn_blocking(move || self.core_thread.join()).await;
        if !matches!(joined, Ok(Ok(()))) {
            return Err(Error::CoreStopped);
        }
        self.tracker.close();
        if tokio::time::timeout(DRAIN_TIMEOUT, self.tracker.wait())
            .await
            .is_err()
        {
            tracing::warn!("some connections did not close in time");
        }
        self.ticker.abort();
        // Only now stop the listener: axum's graceful shutdown can cut upgraded
        // connections before the `Bye` queued for them is delivered. Connections that
        // arrive meanwhile are refused by their task ("shutting down").
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        match tokio::time::timeout(DRAIN_TIMEOUT, self.http).await {
            Ok(Ok(Ok(()))) => Ok(()),
            Ok(Ok(Err(source))) => Err(Error::Serve(source)),
            Ok(Err(_)) | Err(_) => Err(Error::CoreStopped),
        }
    }
}
