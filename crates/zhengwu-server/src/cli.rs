//! The `zhengwu` command line. Every sub-command that touches the database takes the same
//! `--data-dir` / `--database-url` / `--config` as `serve`.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context as _;
use chrono::NaiveDate;
use clap::{Parser, Subcommand};
use zhengwu_core::calendar::SpecialDay;

use crate::config::{Config, DbArgs, LogFormat, ServeArgs};

#[derive(Debug, Parser)]
#[command(
    name = "zhengwu",
    version,
    about = "zhengwu 政务 — one-stop smart government services"
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the web server (migrates the database; loads the demo district into a new one).
    Serve(ServeArgs),
    /// Apply pending database migrations and exit.
    Migrate(DbArgs),
    /// Load the demo district into an empty database, or reset it.
    Demo {
        #[command(flatten)]
        db: DbArgs,
        /// Delete the whole organisation and load the demo district again.
        #[arg(long)]
        reset: bool,
    },
    /// The working-day calendar: show a year, set or clear a date.
    Calendar {
        #[command(flatten)]
        db: DbArgs,
        #[command(subcommand)]
        action: CalendarAction,
    },
    /// The policy rule language: check a policy file, run its test cases, evaluate it for one
    /// enterprise.
    Rules {
        #[command(subcommand)]
        action: RulesAction,
    },
    /// Staff accounts.
    User {
        #[command(flatten)]
        db: DbArgs,
        #[command(subcommand)]
        action: UserAction,
    },
    /// API tokens for integrations.
    Token {
        #[command(flatten)]
        db: DbArgs,
        #[command(subcommand)]
        action: TokenAction,
    },
    /// The audit trail.
    Audit {
        #[command(flatten)]
        db: DbArgs,
        #[command(subcommand)]
        action: AuditAction,
    },
    /// Synthetic data at scale: `zhengwu gen appeals --count N` (a year of hotline appeals).
    Gen {
        #[command(flatten)]
        db: DbArgs,
        #[command(subcommand)]
        what: GenWhat,
    },
    /// Cases (办件): `zhengwu cases figures` prints the share of materials applicants no
    /// longer bring and the working time from acceptance to decision, per item and department.
    Cases {
        #[command(flatten)]
        db: DbArgs,
        #[command(subcommand)]
        action: CasesAction,
    },
    /// Print the OpenAPI document.
    Openapi,
    /// Measurements behind docs/benchmarks.md.
    Bench {
        #[command(subcommand)]
        what: BenchWhat,
    },
}

#[derive(Debug, Subcommand)]
pub enum CalendarAction {
    /// The special days of a year (holidays and adjusted working days).
    Show { year: i32 },
    /// Make a date a day off (`off`) or an adjusted working day (`work`), with its holiday.
    Set {
        date: NaiveDate,
        #[arg(value_parser = ["off", "work"])]
        kind: String,
        name: String,
    },
    /// Remove a date from the table: it follows the weekday rule again.
    Clear { date: NaiveDate },
}

#[derive(Debug, Subcommand)]
pub enum UserAction {
    /// Add a member of staff. The password comes from ZHENGWU_NEW_PASSWORD, or a random one
    /// is generated and printed once.
    Add {
        username: String,
        /// The name shown in the console.
        #[arg(long)]
        name: String,
        /// A role, optionally with its scope as `ROLE@UNIT` (a unit's code or id; default: the
        /// whole district). Repeat for several roles.
        #[arg(long = "role", required = true)]
        roles: Vec<String>,
    },
    /// List staff with their roles.
    List,
    /// Disable an account (its sessions end).
    Disable { username: String },
    /// Enable a disabled account.
    Enable { username: String },
    /// Set a new password (ZHENGWU_NEW_PASSWORD, or a random one printed once); unlocks the
    /// account and ends its sessions.
    ResetPassword { username: String },
}

#[derive(Debug, Subcommand)]
pub enum TokenAction {
    /// Create an API token; it is printed once and stored only as a digest.
    Add {
        #[arg(long)]
        name: String,
        #[arg(long)]
        role: String,
        /// The unit (code or id) the role is held in; default: the whole district.
        #[arg(long)]
        scope: Option<String>,
    },
}

#[derive(Debug, Subcommand)]
pub enum AuditAction {
    /// Check the hash chain; exits non-zero naming the first entry that was changed, inserted
    /// or deleted.
    Verify,
}

#[derive(Debug, Subcommand)]
pub enum RulesAction {
    /// Compile and type-check; errors name line and column.
    Check { file: PathBuf },
    /// Run the policy's YAML test cases (the `.cases.yaml` file beside it).
    Test { file: PathBuf },
    /// Evaluate the policy for one enterprise: eligibility and amount per clause.
    Eval {
        file: PathBuf,
        /// The enterprise's data as a JSON object.
        #[arg(long)]
        input: String,
        /// The date the policy is evaluated for, YYYY-MM-DD.
        #[arg(long)]
        date: String,
        /// Include the trace: every condition with its inputs, the parameters in force.
        #[arg(long)]
        trace: bool,
    },
}

#[derive(Debug, Subcommand)]
pub enum CasesAction {
    /// The figures of shared materials and decision times, computed from the cases.
    Figures {
        /// How many items to list (the most applied for first).
        #[arg(long, default_value_t = 15)]
        items: usize,
        /// Print the whole report as JSON instead.
        #[arg(long)]
        json: bool,
    },
}

#[derive(Debug, Subcommand)]
pub enum GenWhat {
    /// Cases (办件) across the catalog's items and every state over the last weeks, through
    /// the store's own moves, into a database that holds the demo district (loaded first if
    /// empty).
    Cases {
        #[arg(long, default_value_t = 400)]
        count: u64,
        #[arg(long, default_value_t = 20261128)]
        seed: u64,
    },
    /// A year of citizen appeals with the topics' weights and seasons, their units and
    /// outcomes, into a database that holds the demo district (loaded first if empty).
    Appeals {
        /// How many appeals.
        #[arg(long, default_value_t = 30_000)]
        count: u64,
        /// The year they fall in (appeals after today stay open).
        #[arg(long, default_value_t = 2026)]
        year: i32,
        /// Seed of the generator (the same seed gives the same appeals).
        #[arg(long, default_value_t = 20261128)]
        seed: u64,
    },
}

#[derive(Debug, Subcommand)]
pub enum BenchWhat {
    /// Start `zhengwu serve` on a fresh data directory with the demo district, and measure
    /// the time until /readyz answers and the resident memory.
    Startup {
        /// How many fresh starts to measure.
        #[arg(long, default_value_t = 5)]
        runs: u32,
        /// Also measure restarts on the existing database.
        #[arg(long, default_value_t = true)]
        warm: bool,
    },
    /// The queue over HTTP: issue → call next → finish cycles against SQLite with many counters
    /// open at once; cycles per second and call-next latency.
    Queue {
        /// Counters open at one hall.
        #[arg(long, default_value_t = 200)]
        counters: usize,
        /// Concurrent clients.
        #[arg(long, default_value_t = 64)]
        clients: usize,
        /// Seconds to run.
        #[arg(long, default_value_t = 10)]
        seconds: u64,
    },
    /// Booking contention over HTTP: many people book one slot at once; requests per second,
    /// latency, and the places booked (never more than the capacity).
    Booking {
        /// Booking requests, each by a different person.
        #[arg(long, default_value_t = 1000)]
        requests: usize,
        /// Concurrent clients.
        #[arg(long, default_value_t = 64)]
        clients: usize,
        /// The slot's capacity.
        #[arg(long, default_value_t = 10)]
        capacity: i32,
    },
    /// Appeals from intake to dispatch over HTTP under load: appeals per second, and p50/p99 of
    /// the intake, the dispatch and both, on a database holding a generated year.
    Appeals {
        /// Appeals taken in and dispatched.
        #[arg(long, default_value_t = 2000)]
        count: usize,
        /// Concurrent clients (operators and dispatchers).
        #[arg(long, default_value_t = 16)]
        clients: usize,
        /// Generated appeals already in the database.
        #[arg(long, default_value_t = 50_000)]
        existing: u64,
    },
    /// The wait estimate's error over a simulated day at one hall (arrivals peaking mid-morning
    /// and mid-afternoon, random service times): mean absolute error in minutes.
    QueueWait {
        /// Open counters.
        #[arg(long, default_value_t = 5)]
        counters: usize,
        /// Tickets over the day.
        #[arg(long, default_value_t = 400)]
        tickets: usize,
        /// Seed of the simulation.
        #[arg(long, default_value_t = 20261125)]
        seed: u64,
    },
    /// Guidance: recall@1, recall@3 and MRR of the labelled questions (per split), and the
    /// query latency over a catalog grown to `--items` items.
    Guide {
        /// The directory of `questions-*.toml`.
        #[arg(long, default_value = "tests/guide")]
        questions: std::path::PathBuf,
        /// How many items the latency catalog holds (the demo's, varied).
        #[arg(long, default_value_t = 10_000)]
        items: usize,
        /// How many times each question is asked for the latency figures.
        #[arg(long, default_value_t = 20)]
        rounds: usize,
        /// List the questions not answered within the top three.
        #[arg(long)]
        misses: bool,
    },
}

/// Sets up logging: text or JSON lines, filtered by `RUST_LOG` (default `info`).
pub fn init_tracing(format: LogFormat) {
    use tracing_subscriber::EnvFilter;
    let filter = EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| EnvFilter::new("info,sqlx=warn,sea_orm=warn"));
    // Logs go to standard error (standard output is for what a command prints), coloured only
    // on a terminal.
    let ansi = std::io::IsTerminal::is_terminal(&std::io::stderr());
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(ansi);
    let _ = match format {
        LogFormat::Json => builder.json().try_init(),
        LogFormat::Text => builder.try_init(),
    };
}

/// The database of `args`, with the demo district loaded first when it is empty.
async fn demo_database(args: &DbArgs) -> anyhow::Result<zhengwu_store::Db> {
    let demo_password = args.resolve()?.0.demo_password;
    let db = open_database(args).await?;
    if zhengwu_store::demo::is_empty(db.conn()).await? {
        zhengwu_store::demo::load(&db).await?;
        crate::startup::demo_accounts(&db, demo_password.as_ref()).await?;
        zhengwu_store::demo::create_applicants(&db).await?;
    }
    Ok(db)
}

/// The figures of cases as a plain table: all, per department, the top `items` items.
fn figures_table(r: &zhengwu_store::cases::figures::Report, items: usize) -> String {
    use std::fmt::Write;
    let mut out = String::new();
    // Chinese characters take two columns of a terminal.
    let name = |s: &str| {
        let mut out = String::new();
        let mut width = 0;
        for c in s.chars() {
            let w = if c.is_ascii() { 1 } else { 2 };
            if width + w > 32 {
                break;
            }
            out.push(c);
            width += w;
        }
        out + &" ".repeat(34 - width)
    };
    let line = |out: &mut String, f: &zhengwu_store::cases::figures::Figures| {
        let _ = writeln!(
            out,
            "{}{:>6} {:>6} {:>7.1}% {:>6} {:>8.2} {:>8.2} {:>7.1}%",
            name(&f.name),
            f.cases,
            f.materials,
            f.shared_share * 100.0,
            f.decided,
            f.mean_days_to_decision,
            f.mean_legal_days,
            f.faster_than_legal * 100.0
        );
    };
    let head = format!(
        "{}{:>6} {:>6} {:>8} {:>6} {:>8} {:>8} {:>8}\n",
        name(""),
        "cases",
        "mats",
        "shared",
        "decid",
        "days",
        "legal",
        "faster"
    );
    let mut all = r.all.clone();
    all.name = "ALL".into();
    out.push_str(&head);
    line(&mut out, &all);
    out.push_str("\nper department\n");
    out.push_str(&head);
    for f in &r.departments {
        line(&mut out, f);
    }
    out.push_str("\nper item (most applied for)\n");
    out.push_str(&head);
    for f in r.items.iter().take(items) {
        line(&mut out, f);
    }
    out
}

/// Runs a parsed command line.
pub async fn run(cli: Cli) -> anyhow::Result<ExitCode> {
    match cli.command {
        Command::Serve(args) => {
            let config = args.resolve()?;
            init_tracing(config.log_format);
            serve(config).await?;
        }
        Command::Migrate(db) => {
            open_database(&db).await?;
            println!("migrated");
        }
        Command::Demo { db, reset } => {
            let demo_password = db.resolve()?.0.demo_password;
            let db = open_database(&db).await?;
            let summary = if reset {
                zhengwu_store::demo::reset_with(&db, Some(&crate::catalog_io::demo_forms)).await?
            } else {
                zhengwu_store::demo::load_with(&db, Some(&crate::catalog_io::demo_forms)).await?
            };
            println!("{}", serde_json::to_string_pretty(&summary)?);
            crate::startup::demo_accounts(&db, demo_password.as_ref()).await?;
            zhengwu_store::demo::create_applicants(&db).await?;
        }
        Command::Gen { db, what } => match what {
            GenWhat::Cases { count, seed } => {
                let db = demo_database(&db).await?;
                let started = std::time::Instant::now();
                let s = zhengwu_store::demo::cases_gen::generate_cases(
                    &db,
                    count,
                    seed,
                    chrono::Utc::now(),
                )
                .await?;
                println!(
                    "{} cases ({} company setups, {} approved instantly, {} decided, {} open, {} rated) in {:.1} s",
                    s.cases,
                    s.bundles,
                    s.instant,
                    s.decided,
                    s.open,
                    s.rated,
                    started.elapsed().as_secs_f64()
                );
            }
            GenWhat::Appeals { count, year, seed } => {
                let db = demo_database(&db).await?;
                let started = std::time::Instant::now();
                let mut last = std::time::Instant::now();
                let s = zhengwu_store::demo::appeals_gen::generate_appeals(
                    &db,
                    {
                        let (from, to) = zhengwu_store::demo::appeals_gen::GenOptions::year(year)
                            .ok_or_else(|| anyhow::anyhow!("no such year: {year}"))?;
                        zhengwu_store::demo::appeals_gen::GenOptions {
                            count,
                            from,
                            to,
                            seed,
                            now: chrono::Utc::now(),
                        }
                    },
                    |done| {
                        if last.elapsed() >= std::time::Duration::from_secs(5) {
                            last = std::time::Instant::now();
                            let secs = started.elapsed().as_secs_f64();
                            eprintln!(
                                "{done} / {count} appeals, {:.0} a second",
                                done as f64 / secs
                            );
                        }
                    },
                )
                .await?;
                let secs = started.elapsed().as_secs_f64();
                println!(
                    "{} appeals ({} closed) and {} assignments in {secs:.1} s: {:.0} appeals a second",
                    s.appeals,
                    s.closed,
                    s.assignments,
                    s.appeals as f64 / secs
                );
            }
        },
        Command::Cases {
            db,
            action: CasesAction::Figures { items, json },
        } => {
            let db = open_database(&db).await?;
            let cal = zhengwu_store::calendar::load(db.conn()).await?;
            let r = zhengwu_store::cases::figures::report(
                db.conn(),
                &cal,
                &crate::http::cases::hours(),
            )
            .await?;
            if json {
                println!("{}", serde_json::to_string_pretty(&r)?);
            } else {
                print!("{}", figures_table(&r, items));
            }
        }
        Command::Calendar { db, action } => {
            let db = open_database(&db).await?;
            calendar(&db, action).await?;
        }
        Command::User { db, action } => {
            let db = open_database(&db).await?;
            return crate::admin::user(&db, action).await;
        }
        Command::Token { db, action } => {
            let db = open_database(&db).await?;
            return crate::admin::token(&db, action).await;
        }
        Command::Audit { db, action } => {
            let db = open_database(&db).await?;
            return crate::admin::audit(&db, action).await;
        }
        Command::Rules { action } => {
            let outcome = match action {
                RulesAction::Check { file } => zhengwu_rules::cli::check(&file),
                RulesAction::Test { file } => zhengwu_rules::cli::test(&file),
                RulesAction::Eval {
                    file,
                    input,
                    date,
                    trace,
                } => zhengwu_rules::cli::eval(&file, &input, &date, trace),
            };
            print!("{}", outcome.stdout);
            eprint!("{}", outcome.stderr);
            if !outcome.success {
                return Ok(ExitCode::FAILURE);
            }
        }
        Command::Openapi => {
            println!("{}", crate::http::openapi().to_pretty_json()?);
        }
        Command::Bench { what } => match what {
            BenchWhat::Startup { runs, warm } => crate::bench::startup(runs, warm).await?,
            BenchWhat::Queue {
                counters,
                clients,
                seconds,
            } => crate::bench::queue(counters, clients, seconds).await?,
            BenchWhat::Booking {
                requests,
                clients,
                capacity,
            } => crate::bench::booking(requests, clients, capacity).await?,
            BenchWhat::Appeals {
                count,
                clients,
                existing,
            } => crate::bench::appeals(count, clients, existing).await?,
            BenchWhat::QueueWait {
                counters,
                tickets,
                seed,
            } => crate::bench::queue_wait(counters, tickets, seed).await?,
            BenchWhat::Guide {
                questions,
                items,
                rounds,
                misses,
            } => crate::bench::guide(&questions, items, rounds, misses)?,
        },
    }
    Ok(ExitCode::SUCCESS)
}

/// Opens and migrates the database of a sub-command other than `serve` (never loading the
/// demo district on its own).
async fn open_database(args: &DbArgs) -> anyhow::Result<zhengwu_store::Db> {
    let (config, _) = args.resolve()?;
    init_tracing(config.log_format);
    crate::startup::prepare_database(&Config {
        demo: false,
        ..config
    })
    .await
}

async fn serve(config: Config) -> anyhow::Result<()> {
    let listener = tokio::net::TcpListener::bind(config.listen)
        .await
        .with_context(|| format!("cannot listen on {}", config.listen))?;
    // The signal handlers go in before anything else, so that a SIGTERM during start-up or
    // right after the address is printed stops the server cleanly.
    let stop = crate::startup::shutdown_signal();
    let app = crate::Application::build(config, listener).await?;
    // Tools (and `zhengwu bench startup`) read the address from this line.
    println!("listening on http://{}", app.local_addr()?);
    app.run_until_stopped(stop).await
}

async fn calendar(db: &zhengwu_store::Db, action: CalendarAction) -> anyhow::Result<()> {
    match action {
        CalendarAction::Show { year } => {
            let cal = zhengwu_store::calendar::load(db.conn()).await?;
            for d in cal
                .special_days()
                .filter(|d| chrono::Datelike::year(&d.date) == year)
            {
                println!(
                    "{} {} {}",
                    d.date,
                    if d.working_day { "work" } else { "off" },
                    d.name
                );
            }
        }
        CalendarAction::Set { date, kind, name } => {
            anyhow::ensure!(!name.trim().is_empty(), "the holiday's name is missing");
            let tx = db.begin_write().await?;
            zhengwu_store::calendar::set_day(
                &tx,
                &zhengwu_store::audit::Actor::system("zhengwu cli"),
                SpecialDay {
                    date,
                    working_day: kind == "work",
                    name: name.trim().to_owned(),
                },
            )
            .await?;
            tx.commit().await?;
            println!("{date} {kind} {name}");
        }
        CalendarAction::Clear { date } => {
            let tx = db.begin_write().await?;
            let removed = zhengwu_store::calendar::clear_day(
                &tx,
                &zhengwu_store::audit::Actor::system("zhengwu cli"),
                date,
            )
            .await?;
            tx.commit().await?;
            println!(
                "{date} {}",
                if removed {
                    "cleared"
                } else {
                    "was not in the table"
                }
            );
        }
    }
    Ok(())
}

/// The data directory a test or benchmark may use.
pub fn temp_data_dir(name: &str) -> PathBuf {
    std::env::temp_dir().join(format!("zhengwu-{name}-{}", uuid::Uuid::new_v4()))
}
