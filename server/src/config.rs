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
    /// Address to listen on.
    #[arg(long, global = true, env = "CLOUDMASTER_LISTEN", default_value_t = DEFAULTS.listen)]
    pub listen: SocketAddr,

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

    /// Take the client address from the first `X-Forwarded-For` entry (only behind a
    /// trusted load balancer that sets it).
    #[arg(long, global = true, env = "CLOUDMASTER_TRUST_FORWARDED_FOR", default_value_t = DEFAULTS.trust_forwarded_for)]
    pub trust_forwarded_for: bool,

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
}

/// Evaluated once, so the data directory is resolved from the environment only once.
static DEFAULTS: LazyLock<ServerConfig> = LazyLock::new(ServerConfig::default);

impl Default for ServerConfig {
    fn default() -> Self {
        ServerConfig {
            listen: SocketAddr::from(([127, 0, 0, 1], 8080)),
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
            trust_forwarded_for: false,
            catalog_cache_ms: 1_000,
            auth_cache_ms: 1_000,
            shutdown_grace_secs: 30,
            lab_idle_timeout_minutes: 30,
            lab_max_archive_bytes: 8 * 1024 * 1024,
            lab_max_workspace_bytes: 20 * 1024 * 1024,
            lab_max_archive_files: 2_000,
            lab_script_checks: false,
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
            .field("catalog_cache_ms", &self.catalog_cache_ms)
            .field("auth_cache_ms", &self.auth_cache_ms)
            .field("shutdown_grace_secs", &self.shutdown_grace_secs)
            .field("lab_idle_timeout_minutes", &self.lab_idle_timeout_minutes)
            .field("lab_max_archive_bytes", &self.lab_max_archive_bytes)
            .field("lab_max_workspace_bytes", &self.lab_max_workspace_bytes)
            .field("lab_max_archive_files", &self.lab_max_archive_files)
            .field("lab_script_checks", &self.lab_script_checks)
            .finish()
    }
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
