//! Building and running the application.

use std::sync::{Arc, RwLock};
use std::time::Instant;

use anyhow::Context as _;
use tokio::net::TcpListener;
use tokio::sync::watch;
use zhengwu_core::Calendar;
use zhengwu_store::Db;

use crate::config::Config;
use crate::metrics::Metrics;
use crate::notify::Worker;

/// What every handler can reach.
#[derive(Clone, Debug)]
pub struct AppState {
    pub db: Db,
    pub config: Arc<Config>,
    pub metrics: Arc<Metrics>,
    calendar: Arc<RwLock<Arc<Calendar>>>,
    pub outbox_wake: Arc<tokio::sync::Notify>,
    /// The published catalog and its search index.
    pub guide: Arc<crate::guide::Guide>,
    /// The district's name, for the masthead of every page.
    district_name: Arc<RwLock<String>>,
    /// Turns true when the server stops: long-lived responses (event streams) end then.
    pub shutdown: watch::Receiver<bool>,
}

impl AppState {
    /// The working-day calendar as last loaded from the database.
    pub fn calendar(&self) -> Arc<Calendar> {
        match self.calendar.read() {
            Ok(c) => Arc::clone(&c),
            Err(poisoned) => Arc::clone(&poisoned.into_inner()),
        }
    }

    /// The district's name as last read from the organisation.
    pub fn district_name(&self) -> String {
        match self.district_name.read() {
            Ok(n) => n.clone(),
            Err(p) => p.into_inner().clone(),
        }
    }

    /// Reads the calendar table again (after an edit, or periodically).
    pub async fn reload_calendar(&self) -> anyhow::Result<()> {
        let cal = zhengwu_store::calendar::load(self.db.conn()).await?;
        match self.calendar.write() {
            Ok(mut c) => *c = Arc::new(cal),
            Err(poisoned) => *poisoned.into_inner() = Arc::new(cal),
        }
        Ok(())
    }
}

/// Opens the database named by `config`, migrates it, seeds the calendar and — when the
/// database is new and the demo is on — loads the demo district.
pub async fn prepare_database(config: &Config) -> anyhow::Result<Db> {
    let db = if config.database_url.is_some() {
        Db::connect(&config.database_url()).await
    } else {
        std::fs::create_dir_all(&config.data_dir).with_context(|| {
            format!(
                "cannot create the data directory {}",
                config.data_dir.display()
            )
        })?;
        Db::open_sqlite_file(&config.data_dir.join("zhengwu.db")).await
    }
    .context("cannot open the database")?;
    db.migrate().await.context("cannot migrate the database")?;
    let tx = db.begin_write().await?;
    let seeded = zhengwu_store::calendar::seed_if_empty(&tx).await?;
    tx.commit().await?;
    if seeded > 0 {
        tracing::info!(days = seeded, "seeded the working-day calendar");
    }
    if config.demo && zhengwu_store::demo::is_empty(db.conn()).await? {
        let forms: Option<&zhengwu_store::demo::FormMaker> = if config.demo_forms {
            Some(&crate::catalog_io::demo_forms)
        } else {
            None
        };
        let s = zhengwu_store::demo::load_with(&db, forms).await?;
        tracing::info!(
            halls = s.halls,
            windows = s.windows,
            communities = s.communities,
            stations = s.stations,
            "loaded the demo district"
        );
        demo_accounts(&db, config.demo_password.as_ref()).await?;
        zhengwu_store::demo::create_applicants(&db).await?;
    }
    Ok(db)
}

/// Creates the demo district's staff accounts. Their password is `ZHENGWU_DEMO_PASSWORD`; when
/// that is unset a random one is generated and printed once — there is never a fixed default.
pub async fn demo_accounts(
    db: &Db,
    password: Option<&crate::config::Secret>,
) -> anyhow::Result<()> {
    let (password, generated) = match password {
        Some(p) => (p.expose().to_owned(), false),
        None => (
            zhengwu_core::secret::random_password().map_err(|e| anyhow::anyhow!("{e}"))?,
            true,
        ),
    };
    let hash = tokio::task::spawn_blocking(move || {
        zhengwu_core::secret::hash_password(&password).map(|h| (h, password))
    })
    .await??;
    let users = zhengwu_store::demo::create_accounts(db, &hash.0).await?;
    println!("demo accounts: {}", users.join(", "));
    if generated {
        println!(
            "demo password (shown once; set ZHENGWU_DEMO_PASSWORD to choose it): {}",
            hash.1
        );
    } else {
        println!("demo password: the value of ZHENGWU_DEMO_PASSWORD");
    }
    Ok(())
}

/// The running application: an HTTP server on a bound listener plus its workers.
pub struct Application {
    listener: TcpListener,
    router: axum::Router,
    state: AppState,
    shutdown_tx: watch::Sender<bool>,
    started: Instant,
}

impl Application {
    /// Prepares the database and builds the application on `listener` (which the caller
    /// bound, so tests can use port 0).
    pub async fn build(config: Config, listener: TcpListener) -> anyhow::Result<Self> {
        let started = Instant::now();
        let db = prepare_database(&config).await?;
        Self::build_with_db(config, db, listener, started).await
    }

    /// Builds the application on an already prepared database.
    pub async fn build_with_db(
        config: Config,
        db: Db,
        listener: TcpListener,
        started: Instant,
    ) -> anyhow::Result<Self> {
        let calendar = zhengwu_store::calendar::load(db.conn()).await?;
        let district_name = zhengwu_store::org::list_units(
            db.conn(),
            &zhengwu_store::org::UnitFilter {
                kind: Some(zhengwu_store::org::UnitKind::District),
                ..Default::default()
            },
        )
        .await?
        .into_iter()
        .next()
        .map(|d| d.name)
        .unwrap_or_default();
        let (shutdown_tx, shutdown_rx) = watch::channel(false);
        let guide = crate::guide::Guide::new()?;
        guide.reload(db.conn()).await?;
        tracing::info!(items = guide.items().len(), "indexed the catalog");
        let state = AppState {
            db,
            config: Arc::new(config),
            metrics: Arc::new(Metrics::default()),
            calendar: Arc::new(RwLock::new(Arc::new(calendar))),
            outbox_wake: Arc::new(tokio::sync::Notify::new()),
            guide: Arc::new(guide),
            district_name: Arc::new(RwLock::new(district_name)),
            shutdown: shutdown_rx,
        };
        let router = crate::http::app_router(state.clone());
        Ok(Self {
            listener,
            router,
            state,
            shutdown_tx,
            started,
        })
    }

    pub fn local_addr(&self) -> std::io::Result<std::net::SocketAddr> {
        self.listener.local_addr()
    }

    pub fn state(&self) -> &AppState {
        &self.state
    }

    /// A handle that stops the application when sent `true`.
    pub fn shutdown_handle(&self) -> watch::Sender<bool> {
        self.shutdown_tx.clone()
    }

    /// Serves until `stop` resolves or the shutdown handle fires, then drains requests and
    /// stops the workers.
    pub async fn run_until_stopped(
        self,
        stop: impl std::future::Future<Output = ()> + Send + 'static,
    ) -> anyhow::Result<()> {
        let Self {
            listener,
            router,
            state,
            shutdown_tx,
            started,
        } = self;
        let worker = Worker::new(state.clone(), shutdown_tx.subscribe());
        let worker_task = tokio::spawn(worker.run());
        let refresher = tokio::spawn(refresh_calendar(state.clone(), shutdown_tx.subscribe()));
        let sweeper = tokio::spawn(booking_sweep(state.clone(), shutdown_tx.subscribe()));
        let appeals_sweeper = tokio::spawn(appeals_sweep(state.clone(), shutdown_tx.subscribe()));
        let demo_year = tokio::spawn(demo_year(state.clone(), shutdown_tx.subscribe()));
        let demo_cases = tokio::spawn(demo_cases(state.clone(), shutdown_tx.subscribe()));
        let addr = listener.local_addr()?;
        tracing::info!(%addr, ready_ms = started.elapsed().as_millis() as u64, "zhengwu is listening");
        let mut rx = shutdown_tx.subscribe();
        let tx = shutdown_tx.clone();
        let server = axum::serve(
            listener,
            router.into_make_service_with_connect_info::<std::net::SocketAddr>(),
        )
        .with_graceful_shutdown(async move {
            tokio::select! {
                () = stop => {}
                _ = rx.wait_for(|v| *v) => {}
            }
            let _ = tx.send(true);
            tracing::info!("shutting down");
        });
        server.await.context("the HTTP server failed")?;
        let _ = shutdown_tx.send(true);
        let _ = worker_task.await;
        let _ = refresher.await;
        let _ = sweeper.await;
        let _ = appeals_sweeper.await;
        let _ = demo_year.await;
        let _ = demo_cases.await;
        state.db.clone().close().await.ok();
        Ok(())
    }
}

/// Reloads the calendar every five minutes, so an edit made through another process is seen.
async fn refresh_calendar(state: AppState, mut shutdown: watch::Receiver<bool>) {
    loop {
        tokio::select! {
            _ = shutdown.wait_for(|v| *v) => return,
            () = tokio::time::sleep(std::time::Duration::from_secs(300)) => {}
        }
        if let Err(e) = state.reload_calendar().await {
            tracing::warn!(error = %e, "could not reload the calendar");
        }
    }
}

/// Every sweep interval: marks the appointments whose arrival window closed as no-shows, and
/// sends the reminders that are due (the day before, the hour before), in one transaction.
/// Several processes may sweep at once: each reminder is claimed by a conditional update.
async fn booking_sweep(state: AppState, mut shutdown: watch::Receiver<bool>) {
    loop {
        tokio::select! {
            _ = shutdown.wait_for(|v| *v) => return,
            () = tokio::time::sleep(state.config.booking.sweep_interval) => {}
        }
        if let Err(e) = sweep_once(&state).await {
            tracing::warn!(error = %e, "the booking sweep failed");
        }
    }
}

/// Every appeals sweep interval (an hour by default): lists frequent topics for supervision
/// and makes the look-back checks that are due.
async fn appeals_sweep(state: AppState, mut shutdown: watch::Receiver<bool>) {
    loop {
        tokio::select! {
            _ = shutdown.wait_for(|v| *v) => return,
            () = tokio::time::sleep(state.config.appeals.sweep_interval) => {}
        }
        if let Err(e) = appeals_sweep_once(&state).await {
            tracing::warn!(error = %e, "the appeals sweep failed");
        }
    }
}

/// With the demo and no appeals yet: makes a year of synthetic appeals up to today (the
/// hotline's demo year), in the background so the server answers at once, then runs the
/// supervision rule and the look-back once. Stops between batches on shutdown.
async fn demo_year(state: AppState, mut shutdown: watch::Receiver<bool>) {
    use zhengwu_store::demo::appeals_gen::{GenOptions, generate_appeals};
    let n = state.config.demo_appeals;
    if !state.config.demo || n == 0 {
        return;
    }
    let empty = zhengwu_store::appeals::list(
        state.db.conn(),
        &zhengwu_store::appeals::Filter {
            limit: 1,
            ..Default::default()
        },
    )
    .await
    .map(|v| v.is_empty());
    if !matches!(empty, Ok(true)) {
        return;
    }
    let now = chrono::Utc::now();
    let (from, to) = GenOptions::last_year(now);
    let started = Instant::now();
    let work = async {
        let s = generate_appeals(
            &state.db,
            GenOptions {
                count: n,
                from,
                to,
                seed: 20261128,
                now,
            },
            |_| {},
        )
        .await?;
        let (listed, checks) = appeals_sweep_once(&state).await?;
        anyhow::Ok((s, listed, checks))
    };
    tokio::select! {
        _ = shutdown.wait_for(|v| *v) => {}
        r = work => match r {
            Ok((s, listed, checks)) => tracing::info!(
                appeals = s.appeals,
                closed = s.closed,
                disposals = s.disposals,
                listed,
                checks = checks.iter().sum::<u32>(),
                secs = started.elapsed().as_secs_f64(),
                "made the demo year of appeals"
            ),
            Err(e) => tracing::warn!(error = %e, "could not make the demo year of appeals"),
        }
    }
}

/// With the demo and no cases yet: makes the demo's cases (a few hundred, across items and
/// states, over the last weeks) in the background so the server answers at once.
async fn demo_cases(state: AppState, mut shutdown: watch::Receiver<bool>) {
    let n = state.config.demo_cases;
    if !state.config.demo || n == 0 {
        return;
    }
    let none = zhengwu_store::cases::count(state.db.conn()).await;
    if !matches!(none, Ok(0)) {
        return;
    }
    let started = Instant::now();
    let work =
        zhengwu_store::demo::cases_gen::generate_cases(&state.db, n, 20261128, chrono::Utc::now());
    tokio::select! {
        _ = shutdown.wait_for(|v| *v) => {}
        r = work => match r {
            Ok(s) => tracing::info!(
                cases = s.cases,
                bundles = s.bundles,
                instant = s.instant,
                decided = s.decided,
                open = s.open,
                secs = started.elapsed().as_secs_f64(),
                "made the demo cases"
            ),
            Err(e) => tracing::warn!(error = %e, "could not make the demo cases"),
        }
    }
}

/// One appeals sweep; returns (topics listed, look-back checks made by kind).
pub async fn appeals_sweep_once(state: &AppState) -> anyhow::Result<(usize, [u32; 3])> {
    use zhengwu_store::appeals::{lookback, supervision};
    let now = chrono::Utc::now();
    let cfg = &state.config.appeals;
    let calendar = state.calendar();
    let actor = zhengwu_store::audit::Actor::system("appeals sweep");
    let tx = state.db.begin_write().await?;
    let listed = supervision::list_frequent(
        &tx,
        cfg.supervision_window_days,
        cfg.supervision_threshold,
        cfg.supervision_limit_days,
        &calendar,
        now,
        &actor,
    )
    .await?;
    let made = lookback::schedule(&tx, cfg.lookback, &calendar, now, &actor).await?;
    tx.commit().await?;
    Ok((listed.len(), made))
}

/// One sweep; returns (no-shows marked, reminders sent).
pub async fn sweep_once(state: &AppState) -> anyhow::Result<(usize, usize)> {
    let now = chrono::Utc::now();
    let (base, sink) = crate::http::booking::notices(state);
    let tx = state.db.begin_write().await?;
    let no_shows = zhengwu_store::booking::mark_no_shows(&tx, now).await?;
    let sent = zhengwu_store::booking::send_reminders(
        &tx,
        now,
        &zhengwu_store::booking::Notices {
            sink,
            base_url: &base,
        },
    )
    .await?;
    // Cases at 75 % of their limit, and past it: the department and its supervisors are told.
    let calendar = state.calendar();
    let hours = crate::http::cases::hours();
    let system = zhengwu_store::audit::Actor::system("cases sweep");
    let warned = zhengwu_store::cases::sweep(
        &tx,
        &zhengwu_store::cases::Ctx {
            calendar: &calendar,
            hours: &hours,
            now,
            actor: &system,
            sink,
        },
    )
    .await?;
    tx.commit().await?;
    if sent + warned > 0 {
        state.outbox_wake.notify_one();
    }
    Ok((no_shows, sent))
}

/// A future that resolves on SIGINT (Ctrl-C) or SIGTERM. The handlers are installed when this
/// is called, not when the future is first polled, so a signal that arrives between start-up
/// and serving is not lost (and does not kill the process the default way).
pub fn shutdown_signal() -> impl std::future::Future<Output = ()> + Send + 'static {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        let int = signal(SignalKind::interrupt());
        let term = signal(SignalKind::terminate());
        async move {
            match (int, term) {
                (Ok(mut int), Ok(mut term)) => {
                    tokio::select! {
                        _ = int.recv() => {}
                        _ = term.recv() => {}
                    }
                }
                _ => {
                    let _ = tokio::signal::ctrl_c().await;
                }
            }
        }
    }
    #[cfg(not(unix))]
    async {
        let _ = tokio::signal::ctrl_c().await;
    }
}
