//! Configuration, layered: built-in defaults → `zhengwu.toml` (if present, or the file named
//! by `--config`) → `ZHENGWU_*` environment variables → command-line flags. Clap reads the
//! flags and the environment; this module merges the file beneath them.

use std::fmt;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::Deserialize;

/// A value that must not appear in logs or debug output (a password inside a URL, a token).
#[derive(Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(transparent)]
pub struct Secret(String);

impl Secret {
    pub fn new(s: impl Into<String>) -> Self {
        Self(s.into())
    }
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret(***)")
    }
}

/// How log lines are written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, clap::ValueEnum, Default)]
#[serde(rename_all = "lowercase")]
pub enum LogFormat {
    #[default]
    Text,
    Json,
}

/// Everything the server needs to run.
#[derive(Debug, Clone)]
pub struct Config {
    pub listen: SocketAddr,
    pub data_dir: PathBuf,
    /// `None`: the SQLite file in `data_dir`.
    pub database_url: Option<Secret>,
    pub demo: bool,
    /// With the demo, make a blank form and a filled sample for the catalog's forms (a few
    /// hundred small spreadsheets; tests turn it off to start faster).
    pub demo_forms: bool,
    /// With the demo, a year of synthetic hotline appeals made in the background on the first
    /// start (`--demo-appeals`; 0: none).
    pub demo_appeals: u64,
    /// With the demo, a few hundred cases (办件) across items and states, made in the
    /// background on the first start (`--demo-cases`; 0: none).
    pub demo_cases: u64,
    pub log_format: LogFormat,
    pub notify: NotifyConfig,
    /// Largest request body accepted, in bytes.
    pub max_body_bytes: usize,
    /// Largest body of a request that uploads files (an appeal with its photos), in bytes.
    pub max_upload_bytes: usize,
    pub session: SessionConfig,
    /// The demo accounts' password (`ZHENGWU_DEMO_PASSWORD`); `None`: a random one, printed
    /// once when the accounts are created.
    pub demo_password: Option<Secret>,
    pub booking: BookingConfig,
    pub appeals: AppealsConfig,
    /// How call-next orders the queue (the starvation guard).
    pub queue_order: zhengwu_store::queue::CallOrder,
}

/// Appointments and ratings.
#[derive(Debug, Clone)]
pub struct BookingConfig {
    /// When no-shows block new bookings (3 in 90 days block for 30 days).
    pub no_show: zhengwu_core::booking::NoShowRule,
    /// A bad rating's rectification is due this many working days later.
    pub rectify_working_days: u32,
    /// The site's public address, for links in messages; `None`: `http://` and the listen
    /// address.
    pub public_url: Option<String>,
    /// How often reminders and no-shows are looked for.
    pub sweep_interval: Duration,
}

impl Default for BookingConfig {
    fn default() -> Self {
        Self {
            no_show: zhengwu_core::booking::NoShowRule::default(),
            rectify_working_days: 5,
            public_url: None,
            sweep_interval: Duration::from_secs(60),
        }
    }
}

/// Citizen appeals: listed supervision and look-back checks.
#[derive(Debug, Clone)]
pub struct AppealsConfig {
    /// A topic with at least `supervision_threshold` appeals in the last
    /// `supervision_window_days` days is listed for supervision (挂牌督办), due in
    /// `supervision_limit_days` working days.
    pub supervision_window_days: u32,
    pub supervision_threshold: i64,
    pub supervision_limit_days: u32,
    /// When look-back checks (回头看) are made.
    pub lookback: zhengwu_store::appeals::lookback::Rules,
    /// How often the rule and the look-back run.
    pub sweep_interval: Duration,
}

impl Default for AppealsConfig {
    fn default() -> Self {
        Self {
            supervision_window_days: 30,
            supervision_threshold: 100,
            supervision_limit_days: 10,
            lookback: zhengwu_store::appeals::lookback::Rules::default(),
            sweep_interval: Duration::from_secs(3600),
        }
    }
}

/// Staff sessions.
#[derive(Debug, Clone)]
pub struct SessionConfig {
    /// A session unused for this long ends.
    pub idle: Duration,
    /// A session ends this long after login, used or not.
    pub absolute: Duration,
    /// Send the session cookie with `Secure` (set when served over HTTPS).
    pub secure_cookie: bool,
}

impl Default for SessionConfig {
    fn default() -> Self {
        Self {
            idle: Duration::from_secs(30 * 60),
            absolute: Duration::from_secs(12 * 3600),
            secure_cookie: false,
        }
    }
}

/// The outbox worker and its sinks.
#[derive(Debug, Clone)]
pub struct NotifyConfig {
    /// Where the webhook sink posts; without it, every message goes to the log sink.
    pub webhook_url: Option<Secret>,
    pub max_attempts: i32,
    pub base_delay: Duration,
    pub max_delay: Duration,
    pub poll_interval: Duration,
    pub request_timeout: Duration,
}

impl Default for NotifyConfig {
    fn default() -> Self {
        Self {
            webhook_url: None,
            max_attempts: 10,
            base_delay: Duration::from_secs(5),
            max_delay: Duration::from_secs(3600),
            poll_interval: Duration::from_secs(1),
            request_timeout: Duration::from_secs(10),
        }
    }
}

impl Config {
    /// Defaults for a data directory: listen on 127.0.0.1:8080, SQLite, demo district on.
    pub fn for_data_dir(data_dir: impl Into<PathBuf>) -> Self {
        Self {
            listen: SocketAddr::from(([127, 0, 0, 1], 8080)),
            data_dir: data_dir.into(),
            database_url: None,
            demo: true,
            demo_forms: true,
            demo_appeals: 50_000,
            demo_cases: 400,
            log_format: LogFormat::Text,
            notify: NotifyConfig::default(),
            max_body_bytes: 1 << 20,
            max_upload_bytes: 26 << 20,
            session: SessionConfig::default(),
            demo_password: None,
            booking: BookingConfig::default(),
            appeals: AppealsConfig::default(),
            queue_order: zhengwu_store::queue::CallOrder::default(),
        }
    }

    /// How links in messages begin: the configured public address, or the listen address.
    pub fn public_url(&self) -> String {
        self.booking
            .public_url
            .clone()
            .unwrap_or_else(|| format!("http://{}", self.listen))
    }

    /// The database URL to connect to.
    pub fn database_url(&self) -> String {
        match &self.database_url {
            Some(url) => url.expose().to_owned(),
            None => format!(
                "sqlite://{}?mode=rwc",
                self.data_dir.join("zhengwu.db").display()
            ),
        }
    }
}

/// The file `zhengwu.toml`: every key optional.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FileConfig {
    pub listen: Option<SocketAddr>,
    pub data_dir: Option<PathBuf>,
    pub database_url: Option<Secret>,
    pub no_demo: Option<bool>,
    pub demo_appeals: Option<u64>,
    pub demo_cases: Option<u64>,
    pub log_format: Option<LogFormat>,
    pub max_body_bytes: Option<usize>,
    pub max_upload_bytes: Option<usize>,
    #[serde(default)]
    pub notify: FileNotify,
    #[serde(default)]
    pub session: FileSession,
    #[serde(default)]
    pub booking: FileBooking,
    #[serde(default)]
    pub appeals: FileAppeals,
    #[serde(default)]
    pub queue: FileQueue,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FileQueue {
    pub starvation_guard_minutes: Option<i64>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FileBooking {
    pub no_show_limit: Option<u32>,
    pub no_show_window_days: Option<i64>,
    pub no_show_block_days: Option<i64>,
    pub rectify_working_days: Option<u32>,
    pub public_url: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FileAppeals {
    pub supervision_window_days: Option<u32>,
    pub supervision_threshold: Option<i64>,
    pub supervision_limit_days: Option<u32>,
    pub lookback_sample_one_in: Option<u32>,
    pub lookback_closed_within_days: Option<u32>,
    pub lookback_due_days: Option<u32>,
    pub sweep_minutes: Option<u64>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FileSession {
    pub idle_minutes: Option<u64>,
    pub absolute_hours: Option<u64>,
    pub secure_cookie: Option<bool>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FileNotify {
    pub webhook_url: Option<Secret>,
    pub max_attempts: Option<i32>,
    pub base_delay_secs: Option<u64>,
    pub max_delay_secs: Option<u64>,
}

impl FileConfig {
    /// Reads `path`; a missing file is an empty configuration only when `required` is false.
    pub fn read(path: &Path, required: bool) -> anyhow::Result<Self> {
        match std::fs::read_to_string(path) {
            Ok(text) => {
                toml::from_str(&text).map_err(|e| anyhow::anyhow!("{}: {e}", path.display()))
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound && !required => Ok(Self::default()),
            Err(e) => Err(anyhow::anyhow!("cannot read {}: {e}", path.display())),
        }
    }
}

/// The database options shared by every sub-command that touches the database.
#[derive(Debug, Clone, Default, clap::Args)]
pub struct DbArgs {
    /// Directory for the SQLite database and uploaded files.
    #[arg(long, global = true, env = "ZHENGWU_DATA_DIR", value_name = "DIR")]
    pub data_dir: Option<PathBuf>,
    /// `postgres://…` for PostgreSQL; default: SQLite in the data directory.
    #[arg(
        long,
        global = true,
        env = "ZHENGWU_DATABASE_URL",
        value_name = "URL",
        hide_env_values = true
    )]
    pub database_url: Option<String>,
    /// Configuration file (default: ./zhengwu.toml when it exists).
    #[arg(long, global = true, env = "ZHENGWU_CONFIG", value_name = "FILE")]
    pub config: Option<PathBuf>,
}

/// `zhengwu serve`'s own options.
#[derive(Debug, Clone, Default, clap::Args)]
pub struct ServeArgs {
    #[command(flatten)]
    pub db: DbArgs,
    /// Address to listen on.
    #[arg(long, env = "ZHENGWU_LISTEN", value_name = "ADDR")]
    pub listen: Option<SocketAddr>,
    /// Do not load the demo district into a new database.
    #[arg(long, env = "ZHENGWU_NO_DEMO")]
    pub no_demo: bool,
    /// With the demo, how many synthetic appeals (a year of the hotline) to make in the
    /// background while the appeals are still empty (default 50,000; 0: none).
    #[arg(long, env = "ZHENGWU_DEMO_APPEALS", value_name = "N")]
    pub demo_appeals: Option<u64>,
    /// With the demo, how many cases (办件) across items and states to make in the background
    /// while there are none (default 400; 0: none).
    #[arg(long, env = "ZHENGWU_DEMO_CASES", value_name = "N")]
    pub demo_cases: Option<u64>,
    /// Log format.
    #[arg(long, env = "ZHENGWU_LOG_FORMAT", value_enum)]
    pub log_format: Option<LogFormat>,
    /// Webhook that receives every notification (HTTP POST, JSON, Idempotency-Key header).
    #[arg(
        long,
        env = "ZHENGWU_WEBHOOK_URL",
        value_name = "URL",
        hide_env_values = true
    )]
    pub webhook_url: Option<String>,
}

impl DbArgs {
    /// Merges defaults, the file and these arguments.
    pub fn resolve(&self) -> anyhow::Result<(Config, FileConfig)> {
        let (path, required) = match &self.config {
            Some(p) => (p.clone(), true),
            None => (PathBuf::from("zhengwu.toml"), false),
        };
        let file = FileConfig::read(&path, required)?;
        let data_dir = self
            .data_dir
            .clone()
            .or_else(|| file.data_dir.clone())
            .unwrap_or_else(|| PathBuf::from("zhengwu-data"));
        let mut c = Config::for_data_dir(data_dir);
        c.database_url = self
            .database_url
            .clone()
            .map(Secret::new)
            .or_else(|| file.database_url.clone())
            .or_else(|| std::env::var("DATABASE_URL").ok().map(Secret::new));
        if let Some(n) = file.max_body_bytes {
            c.max_body_bytes = n;
        }
        if let Some(n) = file.max_upload_bytes {
            c.max_upload_bytes = n;
        }
        if let Some(f) = file.log_format {
            c.log_format = f;
        }
        if let Some(m) = file.session.idle_minutes {
            anyhow::ensure!(m >= 1, "session.idle_minutes must be at least 1");
            c.session.idle = Duration::from_secs(m * 60);
        }
        if let Some(h) = file.session.absolute_hours {
            anyhow::ensure!(h >= 1, "session.absolute_hours must be at least 1");
            c.session.absolute = Duration::from_secs(h * 3600);
        }
        if let Some(b) = file.session.secure_cookie {
            c.session.secure_cookie = b;
        }
        if let Some(m) = file.queue.starvation_guard_minutes {
            anyhow::ensure!(
                (5..=480).contains(&m),
                "queue.starvation_guard_minutes must be 5–480"
            );
            c.queue_order.starvation_guard_minutes = m;
        }
        let a = &file.appeals;
        let within =
            |v: Option<u32>, lo: u32, hi: u32, name: &str| -> anyhow::Result<Option<u32>> {
                match v {
                    Some(x) if !(lo..=hi).contains(&x) => {
                        anyhow::bail!("appeals.{name} must be {lo}–{hi}")
                    }
                    other => Ok(other),
                }
            };
        if let Some(d) = within(a.supervision_window_days, 1, 366, "supervision_window_days")? {
            c.appeals.supervision_window_days = d;
        }
        if let Some(n) = a.supervision_threshold {
            anyhow::ensure!(n >= 1, "appeals.supervision_threshold must be at least 1");
            c.appeals.supervision_threshold = n;
        }
        if let Some(d) = within(a.supervision_limit_days, 1, 250, "supervision_limit_days")? {
            c.appeals.supervision_limit_days = d;
        }
        if let Some(n) = within(
            a.lookback_sample_one_in,
            1,
            10_000,
            "lookback_sample_one_in",
        )? {
            c.appeals.lookback.sample_one_in = n;
        }
        if let Some(d) = within(
            a.lookback_closed_within_days,
            1,
            366,
            "lookback_closed_within_days",
        )? {
            c.appeals.lookback.closed_within_days = d;
        }
        if let Some(d) = within(a.lookback_due_days, 1, 250, "lookback_due_days")? {
            c.appeals.lookback.due_days = d;
        }
        if let Some(m) = a.sweep_minutes {
            anyhow::ensure!(
                (1..=1440).contains(&m),
                "appeals.sweep_minutes must be 1–1440"
            );
            c.appeals.sweep_interval = Duration::from_secs(m * 60);
        }
        let b = &file.booking;
        if let Some(n) = b.no_show_limit {
            c.booking.no_show.limit = n;
        }
        if let Some(d) = b.no_show_window_days {
            anyhow::ensure!(
                (1..=3650).contains(&d),
                "booking.no_show_window_days must be 1–3650"
            );
            c.booking.no_show.window_days = d;
        }
        if let Some(d) = b.no_show_block_days {
            anyhow::ensure!(
                (0..=3650).contains(&d),
                "booking.no_show_block_days must be 0–3650"
            );
            c.booking.no_show.block_days = d;
        }
        if let Some(d) = b.rectify_working_days {
            anyhow::ensure!(
                (1..=250).contains(&d),
                "booking.rectify_working_days must be 1–250"
            );
            c.booking.rectify_working_days = d;
        }
        if let Some(u) = &b.public_url {
            anyhow::ensure!(
                u.starts_with("http://") || u.starts_with("https://"),
                "booking.public_url must start with http:// or https://"
            );
            c.booking.public_url = Some(u.trim_end_matches('/').to_owned());
        }
        c.demo_password = std::env::var("ZHENGWU_DEMO_PASSWORD")
            .ok()
            .filter(|p| !p.is_empty())
            .map(Secret::new);
        Ok((c, file))
    }
}

impl ServeArgs {
    pub fn resolve(&self) -> anyhow::Result<Config> {
        let (mut c, file) = self.db.resolve()?;
        if let Some(l) = self.listen.or(file.listen) {
            c.listen = l;
        }
        c.demo = !(self.no_demo || file.no_demo.unwrap_or(false));
        if let Some(n) = self.demo_appeals.or(file.demo_appeals) {
            anyhow::ensure!(n <= 10_000_000, "demo_appeals must be at most 10,000,000");
            c.demo_appeals = n;
        }
        if let Some(n) = self.demo_cases.or(file.demo_cases) {
            anyhow::ensure!(n <= 100_000, "demo_cases must be at most 100,000");
            c.demo_cases = n;
        }
        if let Some(f) = self.log_format {
            c.log_format = f;
        }
        c.notify.webhook_url = self
            .webhook_url
            .clone()
            .map(Secret::new)
            .or(file.notify.webhook_url);
        if let Some(n) = file.notify.max_attempts {
            anyhow::ensure!(n >= 1, "notify.max_attempts must be at least 1");
            c.notify.max_attempts = n;
        }
        if let Some(s) = file.notify.base_delay_secs {
            c.notify.base_delay = Duration::from_secs(s);
        }
        if let Some(s) = file.notify.max_delay_secs {
            c.notify.max_delay = Duration::from_secs(s);
        }
        Ok(c)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_never_show_in_debug_output() {
        let mut c = Config::for_data_dir("/tmp/x");
        c.database_url = Some(Secret::new("postgres://u:hunter2@h/db"));
        assert!(!format!("{c:?}").contains("hunter2"));
    }

    #[test]
    fn flags_win_over_the_file_and_the_file_over_defaults() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("zhengwu.toml");
        std::fs::write(
            &path,
            "listen = \"127.0.0.1:9000\"\ndata_dir = \"/srv/zw\"\nno_demo = true\n[notify]\nmax_attempts = 3\n",
        )
        .unwrap();
        let args = ServeArgs {
            db: DbArgs {
                config: Some(path.clone()),
                data_dir: Some("/flag".into()),
                ..Default::default()
            },
            ..Default::default()
        };
        let c = args.resolve().unwrap();
        assert_eq!(c.listen, "127.0.0.1:9000".parse().unwrap());
        assert_eq!(c.data_dir, PathBuf::from("/flag"));
        assert!(!c.demo);
        assert_eq!(c.notify.max_attempts, 3);
    }

    #[test]
    fn booking_and_queue_rules_come_from_the_file_and_are_checked() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("zhengwu.toml");
        std::fs::write(
            &path,
            "[booking]\nno_show_limit = 2\nno_show_block_days = 7\nrectify_working_days = 3\npublic_url = \"https://zw.example.gov.cn/\"\n[queue]\nstarvation_guard_minutes = 30\n",
        )
        .unwrap();
        let args = ServeArgs {
            db: DbArgs {
                config: Some(path.clone()),
                ..Default::default()
            },
            ..Default::default()
        };
        let c = args.resolve().unwrap();
        assert_eq!(c.booking.no_show.limit, 2);
        assert_eq!(c.booking.no_show.block_days, 7);
        assert_eq!(c.booking.no_show.window_days, 90);
        assert_eq!(c.booking.rectify_working_days, 3);
        assert_eq!(c.public_url(), "https://zw.example.gov.cn");
        assert_eq!(c.queue_order.starvation_guard_minutes, 30);
        std::fs::write(&path, "[queue]\nstarvation_guard_minutes = 0\n").unwrap();
        let err = args.resolve().unwrap_err().to_string();
        assert!(err.contains("starvation_guard_minutes"), "{err}");
        std::fs::write(&path, "[booking]\npublic_url = \"zw.example\"\n").unwrap();
        assert!(args.resolve().is_err());
    }

    #[test]
    fn an_unknown_key_in_the_file_is_an_error() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("zhengwu.toml");
        std::fs::write(&path, "lisen = \"127.0.0.1:9000\"\n").unwrap();
        let err = FileConfig::read(&path, true).unwrap_err().to_string();
        assert!(err.contains("lisen"), "{err}");
    }
}
