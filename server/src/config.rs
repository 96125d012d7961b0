//! Server configuration: one clap struct where every field is a flag and a `CLOUDMASTER_*`
//! environment variable, with every default in one `impl Default`.
//!
//! The CLI flattens [`ServerConfig`] into `cloudmaster serve`, so both binaries accept the
//! same flags. Paths are resolved once here (the XDG data directory) and passed down; nothing
//! deeper in the server reads the environment.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::LazyLock;

use cloudmaster_core::lab::{ArchiveLimits, RunOptions};
use ipnet::IpNet;

use crate::auth::password::HashingLimits;

/// How log lines are written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, clap::ValueEnum)]
pub enum LogFormat {
    /// Human-readable lines.
    #[default]
    Text,
    /// One JSON object per line, for log shippers.
    Json,
}

/// Everything `cloudmaster-server` (and `cloudmaster serve`) can be told.
#[derive(Clone, clap::Args)]
pub struct ServerConfig {
    /// Address to listen on (port 0 picks a free port; see --url-file).
    #[arg(long, global = true, env = "CLOUDMASTER_LISTEN", default_value_t = DEFAULTS.listen)]
    pub listen: SocketAddr,

    /// Once listening, write the server's URL to this file (how a script learns the port
    /// picked for `--listen 127.0.0.1:0`)
    ///
    /// The file holds `http://HOST:PORT` and a newline. It appears whole (written aside,
    /// then renamed) once the server accepts connections, and is removed when it stops.
    #[arg(long, global = true, env = "CLOUDMASTER_URL_FILE", value_name = "FILE")]
    pub url_file: Option<PathBuf>,

    /// Database URL: `sqlite://PATH` or `postgres://...` [default: sqlite://<data-dir>/cloudmaster.db]
    #[arg(
        long,
        global = true,
        env = "CLOUDMASTER_DATABASE_URL",
        hide_env_values = true
    )]
    pub database_url: Option<String>,

    /// Directory for the embedded database and other server data.
    #[arg(long, global = true, env = "CLOUDMASTER_DATA_DIR", default_value_os_t = DEFAULTS.data_dir.clone())]
    pub data_dir: PathBuf,

    /// Directory of the token and certificate signing keys, readable only by the server's
    /// user. Replicas on one PostgreSQL database must all be given the same one (a shared
    /// mounted secret directory) [default: <data-dir>/keys]
    #[arg(long, global = true, env = "CLOUDMASTER_KEY_DIR", value_name = "DIR")]
    pub key_dir: Option<PathBuf>,

    /// Maximum database connections of this replica.
    #[arg(long, global = true, env = "CLOUDMASTER_POOL_SIZE", default_value_t = DEFAULTS.pool_size)]
    pub pool_size: u32,

    /// Log format.
    #[arg(long, global = true, env = "CLOUDMASTER_LOG_FORMAT", value_enum, default_value_t = DEFAULTS.log_format)]
    pub log_format: LogFormat,

    /// Largest accepted request body, except publishing.
    #[arg(long, global = true, env = "CLOUDMASTER_MAX_BODY_BYTES", default_value_t = DEFAULTS.max_body_bytes)]
    pub max_body_bytes: usize,

    /// Largest accepted course bundle (publish).
    #[arg(long, global = true, env = "CLOUDMASTER_MAX_PUBLISH_BYTES", default_value_t = DEFAULTS.max_publish_bytes)]
    pub max_publish_bytes: usize,

    /// Requests per rate-limit window for free learners (0 = unlimited).
    #[arg(long, global = true, env = "CLOUDMASTER_RATE_LIMIT_FREE", default_value_t = DEFAULTS.rate_limit_free)]
    pub rate_limit_free: u64,

    /// Requests per window for premium learners (0 = unlimited).
    #[arg(long, global = true, env = "CLOUDMASTER_RATE_LIMIT_PREMIUM", default_value_t = DEFAULTS.rate_limit_premium)]
    pub rate_limit_premium: u64,

    /// Requests per window for instructors and admins (0 = unlimited).
    #[arg(long, global = true, env = "CLOUDMASTER_RATE_LIMIT_STAFF", default_value_t = DEFAULTS.rate_limit_staff)]
    pub rate_limit_staff: u64,

    /// Requests per window for unauthenticated clients, per IP address (0 = unlimited).
    #[arg(long, global = true, env = "CLOUDMASTER_RATE_LIMIT_ANONYMOUS", default_value_t = DEFAULTS.rate_limit_anonymous)]
    pub rate_limit_anonymous: u64,

    /// Length of the fixed rate-limit window, in seconds.
    #[arg(long, global = true, env = "CLOUDMASTER_RATE_LIMIT_WINDOW_SECS", default_value_t = DEFAULTS.rate_limit_window_secs)]
    pub rate_limit_window_secs: u64,

    /// Proxy networks (CIDRs or addresses, comma-separated) whose `X-Forwarded-For` is
    /// believed. A request from one of them is attributed to the rightmost address in
    /// `X-Forwarded-For` that is not itself a trusted proxy; from anywhere else, to the TCP
    /// peer. Empty (the default): the header is ignored.
    #[arg(long, global = true, env = "CLOUDMASTER_TRUST_FORWARDED_FOR", value_delimiter = ',',
        value_name = "CIDR", value_parser = parse_network)]
    pub trust_forwarded_for: Vec<IpNet>,

    /// Login attempts per client address per minute.
    #[arg(long, global = true, env = "CLOUDMASTER_RATE_LIMIT_LOGIN", default_value_t = DEFAULTS.rate_limit_login)]
    pub rate_limit_login: u64,

    /// Registrations per client address per hour.
    #[arg(long, global = true, env = "CLOUDMASTER_RATE_LIMIT_REGISTER", default_value_t = DEFAULTS.rate_limit_register)]
    pub rate_limit_register: u64,

    /// Refresh-token exchanges (and logouts) per client address per minute.
    #[arg(long, global = true, env = "CLOUDMASTER_RATE_LIMIT_REFRESH", default_value_t = DEFAULTS.rate_limit_refresh)]
    pub rate_limit_refresh: u64,

    /// Password-reset requests and redemptions per client address per hour.
    #[arg(long, global = true, env = "CLOUDMASTER_RATE_LIMIT_PASSWORD_RESET", default_value_t = DEFAULTS.rate_limit_password_reset)]
    pub rate_limit_password_reset: u64,

    /// Argon2id memory per password hash, in KiB. Changing a cost parameter re-hashes each
    /// password at its owner's next login.
    #[arg(long, global = true, env = "CLOUDMASTER_ARGON2_MEMORY_KIB", default_value_t = DEFAULTS.argon2_memory_kib,
        value_parser = clap::value_parser!(u32).range(8..=4 * 1024 * 1024))]
    pub argon2_memory_kib: u32,

    /// Argon2id passes over memory per password hash.
    #[arg(long, global = true, env = "CLOUDMASTER_ARGON2_ITERATIONS", default_value_t = DEFAULTS.argon2_iterations,
        value_parser = clap::value_parser!(u32).range(1..=64))]
    pub argon2_iterations: u32,

    /// Argon2id lanes per password hash.
    #[arg(long, global = true, env = "CLOUDMASTER_ARGON2_PARALLELISM", default_value_t = DEFAULTS.argon2_parallelism,
        value_parser = clap::value_parser!(u32).range(1..=16))]
    pub argon2_parallelism: u32,

    /// Password hashes computed at once (each holds its Argon2 memory) [default: CPUs]
    #[arg(long, global = true, env = "CLOUDMASTER_PASSWORD_HASH_THREADS",
        value_parser = clap::value_parser!(u32).range(1..=256))]
    pub password_hash_threads: Option<u32>,

    /// Password hashes allowed to wait for a thread; beyond that, login, registration and
    /// password change answer 503 with `Retry-After`.
    #[arg(long, global = true, env = "CLOUDMASTER_PASSWORD_HASH_QUEUE", default_value_t = DEFAULTS.password_hash_queue)]
    pub password_hash_queue: u32,

    /// Longest a password hash waits for a thread, in milliseconds, before 503.
    #[arg(long, global = true, env = "CLOUDMASTER_PASSWORD_HASH_WAIT_MS", default_value_t = DEFAULTS.password_hash_wait_ms,
        value_parser = clap::value_parser!(u64).range(1..))]
    pub password_hash_wait_ms: u64,

    /// How long this replica serves the catalog from memory before re-reading it, in
    /// milliseconds. A publish through this replica shows at once; through another one
    /// within this time. 0 re-reads on every request.
    #[arg(long, global = true, env = "CLOUDMASTER_CATALOG_CACHE_MS", default_value_t = DEFAULTS.catalog_cache_ms)]
    pub catalog_cache_ms: u64,

    /// How long this replica remembers a session user's role and suspension, their
    /// enrollments and the modules they finished (for module locks), in milliseconds. Changes through another replica apply here within
    /// this time. 0 reads the database on every request.
    #[arg(long, global = true, env = "CLOUDMASTER_AUTH_CACHE_MS", default_value_t = DEFAULTS.auth_cache_ms)]
    pub auth_cache_ms: u64,

    /// Seconds to let in-flight requests finish after SIGINT/SIGTERM.
    #[arg(long, global = true, env = "CLOUDMASTER_SHUTDOWN_GRACE_SECS", default_value_t = DEFAULTS.shutdown_grace_secs)]
    pub shutdown_grace_secs: u64,

    /// Minutes without activity (a check report, a hint, a submission) after which a lab
    /// session expires, whatever its time limit.
    #[arg(long, global = true, env = "CLOUDMASTER_LAB_IDLE_TIMEOUT_MINUTES", default_value_t = DEFAULTS.lab_idle_timeout_minutes,
        value_parser = clap::value_parser!(u32).range(1..))]
    pub lab_idle_timeout_minutes: u32,

    /// Largest accepted lab submission: the compressed workspace archive (`lab submit`).
    #[arg(long, global = true, env = "CLOUDMASTER_LAB_MAX_ARCHIVE_BYTES", default_value_t = DEFAULTS.lab_max_archive_bytes)]
    pub lab_max_archive_bytes: u64,

    /// Largest total size of the files in a submitted lab workspace, uncompressed.
    #[arg(long, global = true, env = "CLOUDMASTER_LAB_MAX_WORKSPACE_BYTES", default_value_t = DEFAULTS.lab_max_workspace_bytes)]
    pub lab_max_workspace_bytes: u64,

    /// Most files and folders a submitted lab workspace may hold.
    #[arg(long, global = true, env = "CLOUDMASTER_LAB_MAX_ARCHIVE_FILES", default_value_t = DEFAULTS.lab_max_archive_files)]
    pub lab_max_archive_files: u64,

    /// Also run labs' `command` and `script` checks on the server when grading a submission,
    /// instead of taking the learner's reported results. They run learner-controlled files:
    /// enable only when the server itself runs inside a sandbox (a container or a VM).
    #[arg(long, global = true, env = "CLOUDMASTER_LAB_SCRIPT_CHECKS", default_value_t = DEFAULTS.lab_script_checks)]
    pub lab_script_checks: bool,

    #[command(flatten)]
    pub billing: crate::billing::config::BillingConfig,

    #[command(flatten)]
    pub tutor: crate::tutor::config::TutorConfig,

    #[command(flatten)]
    pub ssh: crate::ssh::config::SshConfig,

    #[command(flatten)]
    pub mail: crate::mail::MailConfig,
}

/// Evaluated once, so the data directory is resolved from the environment only once.
static DEFAULTS: LazyLock<ServerConfig> = LazyLock::new(ServerConfig::default);

impl Default for ServerConfig {
    fn default() -> Self {
        ServerConfig {
            listen: SocketAddr::from(([127, 0, 0, 1], 8080)),
            url_file: None,
            database_url: None,
            data_dir: default_data_dir(),
            key_dir: None,
            pool_size: 16,
            log_format: LogFormat::Text,
            max_body_bytes: 1024 * 1024,
            max_publish_bytes: 32 * 1024 * 1024,
            rate_limit_free: 1_000,
            rate_limit_premium: 10_000,
            rate_limit_staff: 100_000,
            rate_limit_anonymous: 1_000,
            rate_limit_window_secs: 3_600,
            trust_forwarded_for: Vec::new(),
            rate_limit_login: 20,
            rate_limit_register: 50,
            rate_limit_refresh: 60,
            rate_limit_password_reset: 10,
            argon2_memory_kib: argon2::Params::DEFAULT_M_COST,
            argon2_iterations: argon2::Params::DEFAULT_T_COST,
            argon2_parallelism: argon2::Params::DEFAULT_P_COST,
            password_hash_threads: None,
            password_hash_queue: 64,
            password_hash_wait_ms: 3_000,
            catalog_cache_ms: 1_000,
            auth_cache_ms: 1_000,
            shutdown_grace_secs: 30,
            lab_idle_timeout_minutes: 30,
            lab_max_archive_bytes: 8 * 1024 * 1024,
            lab_max_workspace_bytes: 20 * 1024 * 1024,
            lab_max_archive_files: 2_000,
            lab_script_checks: false,
            billing: crate::billing::config::BillingConfig::default(),
            tutor: crate::tutor::config::TutorConfig::default(),
            ssh: crate::ssh::config::SshConfig::default(),
            mail: crate::mail::MailConfig::default(),
        }
    }
}

impl ServerConfig {
    /// The database URL in force: the flag, or SQLite in the data directory.
    pub fn database_url(&self) -> String {
        match &self.database_url {
            Some(url) => url.clone(),
            None => format!(
                "sqlite://{}",
                self.data_dir.join("cloudmaster.db").display()
            ),
        }
    }

    /// The signing-key directory in force: the flag, or `keys` in the data directory.
    pub fn key_dir(&self) -> PathBuf {
        self.key_dir
            .clone()
            .unwrap_or_else(|| self.data_dir.join("keys"))
    }

    /// How long a lab session may go without activity.
    pub fn lab_idle_timeout(&self) -> time::Duration {
        time::Duration::minutes(i64::from(self.lab_idle_timeout_minutes))
    }

    /// Where lab submissions are unpacked for grading, one folder per session (removed after
    /// grading, and by the expiry job when a crash left one behind).
    pub fn lab_scratch_dir(&self) -> PathBuf {
        self.data_dir.join("lab-submissions")
    }

    /// The limits a submitted lab workspace archive is unpacked with.
    pub fn lab_archive_limits(&self) -> ArchiveLimits {
        ArchiveLimits {
            max_files: self.lab_max_archive_files,
            max_bytes: self.lab_max_workspace_bytes,
            max_compressed_bytes: self.lab_max_archive_bytes,
        }
    }

    /// What the server may run when grading a lab submission.
    pub fn lab_run_options(&self) -> RunOptions {
        if self.lab_script_checks {
            RunOptions::LOCAL
        } else {
            RunOptions::SERVER
        }
    }

    /// Argon2 costs and the bounds on concurrent password hashing.
    pub fn hashing_limits(&self) -> HashingLimits {
        let defaults = HashingLimits::default();
        HashingLimits {
            memory_kib: self.argon2_memory_kib,
            iterations: self.argon2_iterations,
            parallelism: self.argon2_parallelism,
            concurrency: self
                .password_hash_threads
                .map_or(defaults.concurrency, |n| n as usize),
            queue: self.password_hash_queue as usize,
            wait: std::time::Duration::from_millis(self.password_hash_wait_ms),
        }
    }

    /// Whether the database lives in the data directory (which must then exist).
    pub(crate) fn uses_default_database(&self) -> bool {
        self.database_url.is_none()
    }
}

/// Keeps a password in the database URL out of logs and `Debug` output.
impl std::fmt::Debug for ServerConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ServerConfig")
            .field("listen", &self.listen)
            .field("url_file", &self.url_file)
            .field("database_url", &redact_url(&self.database_url()))
            .field("data_dir", &self.data_dir)
            .field("key_dir", &self.key_dir())
            .field("pool_size", &self.pool_size)
            .field("log_format", &self.log_format)
            .field("max_body_bytes", &self.max_body_bytes)
            .field("max_publish_bytes", &self.max_publish_bytes)
            .field("rate_limit_free", &self.rate_limit_free)
            .field("rate_limit_premium", &self.rate_limit_premium)
            .field("rate_limit_staff", &self.rate_limit_staff)
            .field("rate_limit_anonymous", &self.rate_limit_anonymous)
            .field("rate_limit_window_secs", &self.rate_limit_window_secs)
            .field("trust_forwarded_for", &self.trust_forwarded_for)
            .field("rate_limit_login", &self.rate_limit_login)
            .field("rate_limit_register", &self.rate_limit_register)
            .field("rate_limit_refresh", &self.rate_limit_refresh)
            .field("rate_limit_password_reset", &self.rate_limit_password_reset)
            .field("argon2_memory_kib", &self.argon2_memory_kib)
            .field("argon2_iterations", &self.argon2_iterations)
            .field("argon2_parallelism", &self.argon2_parallelism)
            .field("password_hash_threads", &self.password_hash_threads)
            .field("password_hash_queue", &self.password_hash_queue)
            .field("password_hash_wait_ms", &self.password_hash_wait_ms)
            .field("catalog_cache_ms", &self.catalog_cache_ms)
            .field("auth_cache_ms", &self.auth_cache_ms)
            .field("shutdown_grace_secs", &self.shutdown_grace_secs)
            .field("lab_idle_timeout_minutes", &self.lab_idle_timeout_minutes)
            .field("lab_max_archive_bytes", &self.lab_max_archive_bytes)
            .field("lab_max_workspace_bytes", &self.lab_max_workspace_bytes)
            .field("lab_max_archive_files", &self.lab_max_archive_files)
            .field("lab_script_checks", &self.lab_script_checks)
            .field("billing", &self.billing)
            .field("tutor", &self.tutor)
            .field("ssh", &self.ssh)
            .field("mail", &self.mail)
            .finish()
    }
}

/// A network (`10.0.0.0/8`, `fd00::/8`) or a single address (`10.1.2.3`).
fn parse_network(s: &str) -> Result<IpNet, String> {
    let s = s.trim();
    s.parse::<IpNet>()
        .or_else(|_| s.parse::<std::net::IpAddr>().map(IpNet::from))
        .map_err(|_| format!("`{s}` is not a network (10.0.0.0/8) or an address (10.1.2.3)"))
}

/// `postgres://user:secret@host/db` → `postgres://user:***@host/db`.
pub(crate) fn redact_url(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return url.to_owned();
    };
    let Some((userinfo, host)) = rest.split_once('@') else {
        return url.to_owned();
    };
    match userinfo.split_once(':') {
        Some((user, _)) => format!("{scheme}://{user}:***@{host}"),
        None => url.to_owned(),
    }
}

/// `$XDG_DATA_HOME/cloudmaster/server`, else `~/.local/share/cloudmaster/server`.
fn default_data_dir() -> PathBuf {
    let base = std::env::var_os("XDG_DATA_HOME")
        .filter(|v| !v.is_empty())
        .map(PathBuf::from)
        .or_else(|| {
            std::env::var_os("HOME")
                .filter(|v| !v.is_empty())
                .map(|h| PathBuf::from(h).join(".local").join("share"))
        })
        .unwrap_or_else(|| PathBuf::from("."));
    base.join("cloudmaster").join("server")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn database_url_defaults_to_sqlite_in_data_dir() {
        let config = ServerConfig {
            data_dir: PathBuf::from("/srv/cm"),
            ..ServerConfig::default()
        };
        assert_eq!(config.database_url(), "sqlite:///srv/cm/cloudmaster.db");
        assert_eq!(config.key_dir(), PathBuf::from("/srv/cm/keys"));
        let shared = ServerConfig {
            key_dir: Some(PathBuf::from("/run/secrets/cm")),
            ..config
        };
        assert_eq!(shared.key_dir(), PathBuf::from("/run/secrets/cm"));
    }

    #[test]
    fn lab_settings_map_to_the_runner() {
        #[derive(clap::Parser)]
        struct Cli {
            #[command(flatten)]
            config: ServerConfig,
        }
        use clap::Parser as _;
        let defaults = Cli::try_parse_from(["server"]).unwrap().config;
        assert_eq!(defaults.lab_idle_timeout(), time::Duration::minutes(30));
        assert_eq!(defaults.lab_run_options(), RunOptions::SERVER);
        let limits = defaults.lab_archive_limits();
        assert_eq!(
            (limits.max_compressed_bytes, limits.max_files),
            (8 * 1024 * 1024, 2_000)
        );

        let sandboxed = Cli::try_parse_from([
            "server",
            "--lab-script-checks",
            "--lab-max-archive-files",
            "10",
        ])
        .unwrap()
        .config;
        assert_eq!(sandboxed.lab_run_options(), RunOptions::LOCAL);
        assert_eq!(sandboxed.lab_archive_limits().max_files, 10);
        assert!(Cli::try_parse_from(["server", "--lab-idle-timeout-minutes", "0"]).is_err());
    }

    #[test]
    fn trusted_proxies_are_networks_or_addresses() {
        #[derive(clap::Parser)]
        struct Cli {
            #[command(flatten)]
            config: ServerConfig,
        }
        use clap::Parser as _;
        let config = Cli::try_parse_from([
            "server",
            "--trust-forwarded-for",
            "10.0.0.0/8,192.168.1.7, fd00::/8",
        ])
        .unwrap()
        .config;
        let shown: Vec<String> = config
            .trust_forwarded_for
            .iter()
            .map(ToString::to_string)
            .collect();
        assert_eq!(shown, ["10.0.0.0/8", "192.168.1.7/32", "fd00::/8"]);
        let err = Cli::try_parse_from(["server", "--trust-forwarded-for", "yes"])
            .err()
            .unwrap()
            .to_string();
        assert!(err.contains("`yes` is not a network"), "{err}");
        assert!(
            Cli::try_parse_from(["server"])
                .unwrap()
                .config
                .trust_forwarded_for
                .is_empty()
        );
    }

    #[test]
    fn debug_hides_database_password() {
        let config = ServerConfig {
            database_url: Some("postgres://cm:hunter2@db/cm".into()),
            ..ServerConfig::default()
        };
        let shown = format!("{config:?}");
        assert!(!shown.contains("hunter2"), "{shown}");
        assert!(shown.contains("postgres://cm:***@db/cm"));
    }
}
