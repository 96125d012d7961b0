//! Server configuration: one clap struct where every field is a flag and a `CLOUDMASTER_*`
//! environment variable, with every default in one `impl Default`.
//!
//! The CLI flattens [`ServerConfig`] into `cloudmaster serve`, so both binaries accept the
//! same flags. Paths are resolved once here (the XDG data directory) and passed down; nothing
//! deeper in the server reads the environment.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::LazyLock;

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

    /// How long this replica remembers a session user's role and suspension and their
    /// enrollments, in milliseconds. Changes through another replica apply here within
    /// this time. 0 reads the database on every request.
    #[arg(long, global = true, env = "CLOUDMASTER_AUTH_CACHE_MS", default_value_t = DEFAULTS.auth_cache_ms)]
    pub auth_cache_ms: u64,

    /// Seconds to let in-flight requests finish after SIGINT/SIGTERM.
    #[arg(long, global = true, env = "CLOUDMASTER_SHUTDOWN_GRACE_SECS", default_value_t = DEFAULTS.shutdown_grace_secs)]
    pub shutdown_grace_secs: u64,
}

/// Evaluated once, so the data directory is resolved from the environment only once.
static DEFAULTS: LazyLock<ServerConfig> = LazyLock::new(ServerConfig::default);

impl Default for ServerConfig {
    fn default() -> Self {
        ServerConfig {
            listen: SocketAddr::from(([127, 0, 0, 1], 8080)),
            database_url: None,
            data_dir: default_data_dir(),
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
