//! `stele-verifier`: the HTTP verifier service and the clerk's counter page.
//!
//! The service wraps `stele-core`'s verification pipeline and
//! `stele-registry`'s chain reads behind axum routes: the counter flow
//! (`/v1/challenges`, `/v1/verify`), VC-API, the DID Resolution HTTP binding,
//! status lists and operations endpoints (see [`ROUTES`] and
//! `schemas/verifier-openapi.json`). Core's pipeline is synchronous and runs
//! on blocking threads (ADR 0011); every verification is recorded in a
//! hash-chained audit log before it is answered ([`audit`]).
//!
//! # Using it in-process
//!
//! ```no_run
//! # async fn run() -> Result<(), stele_verifier::StartError> {
//! let mut config = stele_verifier::Config::default();
//! config.listen = "127.0.0.1:0".parse().expect("a literal address");
//! config.data_dir = "/tmp/stele-verifier".into();
//! let running = stele_verifier::start(config).await?;
//! println!("clerk page: {}", running.url());
//! println!("counter key: {:?}", running.counter_api_key());
//! running.shutdown().await?; // commits every queued audit record
//! # Ok(()) }
//! ```
//!
//! From synchronous code (the CLI), [`start_blocking`] runs the service on
//! a runtime of its own. [`StartOptions::chain`] hands the service a chain
//! that is already open (an embedded chain can be opened by one handle only).

#![forbid(unsafe_code)]

pub mod apikey;
pub mod audit;
pub mod config;
mod files;
pub mod locale;
pub mod metrics;
pub mod page;
pub mod png;
pub mod problem;
pub mod ratelimit;
mod routes;
pub mod state;
pub mod tls;
mod workers;

use std::future::Future;
use std::net::SocketAddr;

pub use audit::{AnchorSource, Report as AuditReport, verify_audit_log};
pub use config::Config;
pub use routes::{LoggedReasons, ROUTES, router};
pub use state::{AppState, StartError, StartOptions};

/// A running service: its address, the generated counter key, and the
/// handle to stop it.
pub struct Running {
    addr: SocketAddr,
    url: String,
    counter_api_key: Option<String>,
    generated: bool,
    state: AppState,
    stop: tokio::sync::oneshot::Sender<()>,
    task: tokio::task::JoinHandle<std::io::Result<()>>,
}

impl std::fmt::Debug for Running {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Running")
            .field("addr", &self.addr)
            .finish_non_exhaustive()
    }
}

impl Running {
    /// The address the service listens on (the real port when 0 was asked).
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// The clerk page's URL (`public_url`, or `http(s)://<addr>/`).
    pub fn url(&self) -> &str {
        &self.url
    }

    /// The counter API key when the service generated its counter (no
    /// counters configured): the one generated now, or the one kept in
    /// `<data dir>/counter-api-key`. `None` with configured counters.
    pub fn counter_api_key(&self) -> Option<&str> {
        self.counter_api_key.as_deref()
    }

    /// The clerk page's URL with the counter key in its fragment
    /// (`…/#key=…`, ADR 0030): opened once, the page keeps the key for the
    /// tab and removes it from the address bar. `None` without a generated key.
    pub fn page_url_with_key(&self) -> Option<String> {
        self.counter_api_key
            .as_deref()
            .map(|k| format!("{}#key={k}", self.url))
    }

    /// Whether the counter key was generated at this start (print it once).
    pub fn key_is_new(&self) -> bool {
        self.generated
    }

    /// The shared state (for tests and embedding).
    pub fn state(&self) -> &AppState {
        &self.state
    }

    /// Stops accepting connections, lets requests in flight finish, commits
    /// every queued audit record and closes the log.
    pub async fn shutdown(self) -> Result<(), StartError> {
        let _ = self.stop.send(());
        let served = self.task.await;
        let state = self.state;
        // Closing joins the audit threads, and the chain client must not be
        // dropped inside the runtime: both happen on a blocking thread.
        let _ = tokio::task::spawn_blocking(move || {
            state.close();
            drop(state);
        })
        .await;
        match served {
            Ok(Ok(())) => Ok(()),
            Ok(Err(e)) => Err(StartError::Io(format!("server: {e}"))),
            Err(_) => Err(StartError::Io("server task failed".into())),
        }
    }
}

/// Starts the service described by `config`.
pub async fn start(config: Config) -> Result<Running, StartError> {
    start_with(config, StartOptions::default()).await
}

/// Starts the service with a chain, clock … supplied by the caller.
pub async fn start_with(config: Config, options: StartOptions) -> Result<Running, StartError> {
    let listen = config.listen;
    let public_url = config.public_url.clone();
    // The certificate and key are read before anything else is opened: a
    // file that does not parse stops the start.
    let tls = config.tls.as_ref().map(tls::acceptor).transpose()?;
    let scheme = if tls.is_some() { "https" } else { "http" };
    let key_file = config.data_dir.join(state::COUNTER_KEY_FILE);
    let configured_counters = !config.counters.is_empty();
    let state = tokio::task::spawn_blocking(move || AppState::build(config, options))
        .await
        .map_err(|_| StartError::Io("the start-up task failed".into()))??;
    let listener = match tokio::net::TcpListener::bind(listen).await {
        Ok(l) => l,
        Err(error) => {
            let s = state.clone();
            let _ = tokio::task::spawn_blocking(move || s.close()).await;
            return Err(StartError::Bind {
                addr: listen,
                error,
            });
        }
    };
    let addr = listener
        .local_addr()
        .map_err(|e| StartError::Io(format!("local address: {e}")))?;
    let generated = state.generated_counter_key().map(str::to_owned);
    let counter_api_key = match (&generated, configured_counters) {
        (Some(k), _) => Some(k.clone()),
        (None, false) => std::fs::read_to_string(&key_file)
            .ok()
            .map(|k| k.trim().to_owned()),
        (None, true) => None,
    };
    let app = router(state.clone());
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let stopped = async {
        let _ = stopped.await;
    };
    let task = match tls {
        None => tokio::spawn(async move {
            axum::serve(listener, app)
                .with_graceful_shutdown(stopped)
                .await
        }),
        Some(acceptor) => {
            let listener = tls::TlsListener::new(listener, acceptor)
                .map_err(|e| StartError::Io(format!("local address: {e}")))?;
            tokio::spawn(async move {
                axum::serve(listener, app)
                    .with_graceful_shutdown(stopped)
                    .await
            })
        }
    };
    Ok(Running {
        addr,
        url: public_url.unwrap_or_else(|| format!("{scheme}://{addr}/")),
        counter_api_key,
        generated: generated.is_some(),
        state,
        stop,
        task,
    })
}

/// Runs the service until `shutdown` completes, then stops it gracefully.
/// Prints where the clerk page is, and the counter key when it is new.
pub async fn serve(
    config: Config,
    shutdown: impl Future<Output = ()> + Send,
) -> Result<(), StartError> {
    let running = start(config).await?;
    print_banner(&running);
    shutdown.await;
    eprintln!("stele-verifier: shutting down (finishing requests, committing the audit log)");
    running.shutdown().await
}

/// Prints the service's address, chain and, once, the generated counter key.
pub fn print_banner(running: &Running) {
    let c = running.state().config();
    let d = running.state().deployment();
    let scheme = if c.tls.is_some() { "https" } else { "http" };
    println!("stele-verifier listening on {scheme}://{}/", running.addr());
    println!("  clerk page:  {}", running.url());
    println!(
        "  chain:       {} (chain id {})",
        c.chain
            .clone()
            .unwrap_or_else(|| format!("embedded:{}", c.data_dir.join("chain").display())),
        d.chain_id
    );
    println!("  data:        {}", c.data_dir.display());
    if let (true, Some(k)) = (running.key_is_new(), running.counter_api_key()) {
        println!(
            "  counter API key (shown once; kept in {}, mode 0600):",
            c.data_dir.join(state::COUNTER_KEY_FILE).display()
        );
        println!("    {k}");
        if let Some(u) = running.page_url_with_key() {
            println!("  open the clerk page with the key: {u}");
        }
    }
}

/// The service on a runtime of its own, for synchronous callers (`stele demo`).
pub struct BackgroundService {
    runtime: tokio::runtime::Runtime,
    running: Running,
}

impl std::fmt::Debug for BackgroundService {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.running.fmt(f)
    }
}

/// Starts the service on a new multi-threaded runtime and returns once it
/// listens. Call from synchronous code only (not inside a tokio runtime).
pub fn start_blocking(
    config: Config,
    options: StartOptions,
) -> Result<BackgroundService, StartError> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .thread_name("stele-verifier")
        .build()
        .map_err(|e| StartError::Io(format!("runtime: {e}")))?;
    let running = runtime.block_on(start_with(config, options))?;
    Ok(BackgroundService { runtime, running })
}

impl BackgroundService {
    /// The running service (address, URL, counter key).
    pub fn running(&self) -> &Running {
        &self.running
    }

    /// Blocks until SIGINT or SIGTERM.
    pub fn wait_for_signal(&self) {
        self.runtime.block_on(shutdown_signal());
    }

    /// Stops the service gracefully (see [`Running::shutdown`]).
    pub fn shutdown(self) -> Result<(), StartError> {
        let BackgroundService { runtime, running } = self;
        let r = runtime.block_on(running.shutdown());
        runtime.shutdown_timeout(std::time::Duration::from_secs(5));
        r
    }
}

/// Completes on SIGINT (Ctrl-C) or, on Unix, SIGTERM.
pub async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = term => {},
    }
}
