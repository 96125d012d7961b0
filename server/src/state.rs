//! [`AppState`]: what every handler shares. Cheap to clone (one `Arc`).
//!
//! It holds nothing that must be shared between replicas: the store is the source of
//! truth, the signing keys are read from the key directory the replicas share (and re-read
//! as it changes, see [`crate::keys`]), and the in-memory parts (rate-limit counters,
//! pending API-token uses, the catalog cache) are per-replica accelerators whose
//! cross-replica behaviour is documented in their modules. Background tasks (rate-limit
//! flushes, token-use batches, pruning) hold only a weak reference and stop with the state.

use std::sync::{Arc, Weak};
use std::time::Duration;

use cloudmaster_core::api::{Role, Tier, User};
use time::OffsetDateTime;
use uuid::Uuid;

use crate::auth::cache::AuthCache;
use crate::auth::password::{self, PasswordHasher};
use crate::auth::records::NewUser;
use crate::auth::tokens::TokenUses;
use crate::billing::Billing;
use crate::bundles::{BundleCache, PublishedCourse};
use crate::cache::CatalogCache;
use crate::config::ServerConfig;
use crate::error::ApiError;
use crate::keys::{KeyDir, Keys};
use crate::mail::Mailer;
use crate::metrics::Metrics;
use crate::ratelimit::{AuthLimiters, RateLimiter};
use crate::server_error::{Context as _, ServerError};
use crate::store::{self, Store, StoreError};
use crate::tutor::Tutor;

/// Where the time comes from; tests may substitute their own.
pub trait Clock: Send + Sync + 'static {
    fn now(&self) -> OffsetDateTime;
}

/// The system clock, in UTC.
#[derive(Debug, Clone, Copy, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> OffsetDateTime {
        OffsetDateTime::now_utc()
    }
}

#[derive(Clone)]
pub struct AppState {
    inner: Arc<Inner>,
}

struct Inner {
    config: ServerConfig,
    store: Arc<dyn Store>,
    keys: Keys,
    clock: Arc<dyn Clock>,
    limiter: RateLimiter,
    auth_limiters: AuthLimiters,
    hasher: PasswordHasher,
    token_uses: TokenUses,
    catalog: CatalogCache,
    bundles: BundleCache,
    auth_cache: AuthCache,
    metrics: Metrics,
    billing: Billing,
    tutor: Tutor,
    mailer: Mailer,
    /// The server's identity, read from the database once (see [`AppState::server_id`]).
    server_id: tokio::sync::OnceCell<String>,
    /// Accounts suspended through this replica, for what holds them open (SSH sessions).
    suspensions: tokio::sync::broadcast::Sender<Uuid>,
}

/// An [`AppState`] that background jobs hold without keeping the server alive.
pub(crate) struct WeakState(Weak<Inner>);

impl WeakState {
    pub(crate) fn upgrade(&self) -> Option<AppState> {
        self.0.upgrade().map(|inner| AppState { inner })
    }
}

/// Suspensions announced that a listener may fall behind by before it is told it lagged.
const SUSPENSIONS_QUEUED: usize = 64;
/// How often local rate-limit counts are written to the database.
const RATE_FLUSH_EVERY: Duration = Duration::from_millis(250);
/// API-token uses are written every this many rate flushes (5 s).
const TOKEN_FLUSH_TICKS: u64 = 20;
/// Old rate-limit windows are pruned every this many rate flushes (10 min).
const PRUNE_TICKS: u64 = 2_400;
/// The key directory is read again every this many rate flushes (`keys::RELOAD_EVERY`).
const KEY_RELOAD_TICKS: u64 =
    crate::keys::RELOAD_EVERY.as_millis() as u64 / RATE_FLUSH_EVERY.as_millis() as u64;

impl AppState {
    /// Opens the database named by `config` (running migrations) and prepares the state.
    /// The data directory, when the database lives there or it exists, is made
    /// owner-only (0700), and the SQLite file 0600.
    pub async fn open(config: &ServerConfig) -> Result<AppState, ServerError> {
        if config.uses_default_database() || config.data_dir.exists() {
            crate::owner_only::ensure_dir(&config.data_dir, "data directory")?;
        }
        let url = config.database_url();
        let store = store::open(&url, config.pool_size)
            .await
            .with_context(|| format!("cannot open database {}", crate::config::redact_url(&url)))?;
        AppState::with_store(config, store, Arc::new(SystemClock)).await
    }

    /// A state over an already opened store, with the signing keys of the key directory
    /// (prepared by [`Keys::open`]: created when missing, moved there from the database).
    pub async fn with_store(
        config: &ServerConfig,
        store: Arc<dyn Store>,
        clock: Arc<dyn Clock>,
    ) -> Result<AppState, ServerError> {
        let keys = Keys::open(KeyDir::new(config.key_dir()), &*store, clock.now())
            .await
            .context("cannot load the signing keys")?;
        let state = AppState {
            inner: Arc::new(Inner {
                keys,
                limiter: RateLimiter::new(store.clone(), config.rate_limit_window_secs),
                auth_limiters: AuthLimiters::new(store.clone()),
                hasher: PasswordHasher::start(config.hashing_limits())
                    .map_err(ServerError::Refused)?,
                catalog: CatalogCache::new(Duration::from_millis(config.catalog_cache_ms)),
                bundles: BundleCache::default(),
                auth_cache: AuthCache::new(Duration::from_millis(config.auth_cache_ms)),
                token_uses: TokenUses::default(),
                metrics: Metrics::default(),
                billing: Billing::from_config(&config.billing, config.listen)
                    .map_err(|e| ServerError::Refused(e.to_string()))?,
                tutor: Tutor::from_config(&config.tutor)
                    .map_err(|e| ServerError::Refused(e.to_string()))?,
                mailer: Mailer::from_config(&config.mail).map_err(ServerError::Refused)?,
                server_id: tokio::sync::OnceCell::new(),
                suspensions: tokio::sync::broadcast::channel(SUSPENSIONS_QUEUED).0,
                config: config.clone(),
                store,
                clock,
            }),
        };
        spawn_background(Arc::downgrade(&state.inner));
        crate::jobs::spawn(state.downgrade());
        Ok(state)
    }

    /// A handle that does not keep the state alive (for background jobs).
    pub(crate) fn downgrade(&self) -> WeakState {
        WeakState(Arc::downgrade(&self.inner))
    }

    pub fn config(&self) -> &ServerConfig {
        &self.inner.config
    }

    pub fn store(&self) -> &dyn Store {
        &*self.inner.store
    }

    pub fn now(&self) -> OffsetDateTime {
        self.inner.clock.now()
    }

    /// The payment provider and plans.
    pub fn billing(&self) -> &Billing {
        &self.inner.billing
    }

    /// The SMTP relay, if the server sends mail.
    pub fn mailer(&self) -> &Mailer {
        &self.inner.mailer
    }

    /// The tutor's model provider and retrieval indexes.
    pub fn tutor(&self) -> &Tutor {
        &self.inner.tutor
    }

    /// Signs and verifies access tokens.
    pub(crate) fn jwt(&self) -> &Keys {
        &self.inner.keys
    }

    /// The signing keys (tokens and certificates).
    pub fn keys(&self) -> &Keys {
        &self.inner.keys
    }

    pub(crate) fn limiter(&self) -> &RateLimiter {
        &self.inner.limiter
    }

    pub(crate) fn auth_limiters(&self) -> &AuthLimiters {
        &self.inner.auth_limiters
    }

    /// Argon2id hashing on its bounded pool of threads.
    pub fn hasher(&self) -> &PasswordHasher {
        &self.inner.hasher
    }

    pub(crate) fn token_uses(&self) -> &TokenUses {
        &self.inner.token_uses
    }

    pub(crate) fn catalog(&self) -> &CatalogCache {
        &self.inner.catalog
    }

    /// The current published version of a course, with its whole content.
    pub async fn published_course(
        &self,
        course_id: &str,
    ) -> Result<Arc<PublishedCourse>, ApiError> {
        self.inner.bundles.current(self.store(), course_id).await
    }

    /// One published version of a course (attempts and lab sessions keep theirs).
    pub async fn course_version(
        &self,
        course_id: &str,
        version: i64,
    ) -> Result<Arc<PublishedCourse>, ApiError> {
        self.inner
            .bundles
            .version(self.store(), course_id, version)
            .await
    }

    pub(crate) fn metrics(&self) -> &Metrics {
        &self.inner.metrics
    }

    pub(crate) fn auth_cache(&self) -> &AuthCache {
        &self.inner.auth_cache
    }

    /// Tells whoever listens (see [`AppState::suspensions`]) that `user` was suspended.
    pub(crate) fn announce_suspension(&self, user: Uuid) {
        // Nobody listening (no SSH session open) is fine.
        let _ = self.inner.suspensions.send(user);
    }

    /// The accounts suspended through this replica from now on. A receiver that falls more
    /// than [`SUSPENSIONS_QUEUED`] behind is told it lagged, and then reads the account.
    pub(crate) fn suspensions(&self) -> tokio::sync::broadcast::Receiver<Uuid> {
        self.inner.suspensions.subscribe()
    }

    /// The server's identity (32 hex digits): made on first use and kept in the database, so
    /// it outlives restarts, addresses and ports, and every replica answers the same.
    pub async fn server_id(&self) -> Result<String, ApiError> {
        self.inner
            .server_id
            .get_or_try_init(|| async {
                let candidate = *uuid::Uuid::new_v4().as_bytes();
                let id = self
                    .store()
                    .get_or_init_value("server_id", &candidate, self.now())
                    .await?;
                Ok::<_, ApiError>(hex::encode(id))
            })
            .await
            .cloned()
    }

    /// Whether `user` is enrolled in `course` (positive answers are cached briefly).
    pub async fn is_enrolled(&self, user: uuid::Uuid, course: &str) -> Result<bool, ApiError> {
        if self.auth_cache().enrolled(user, course) {
            return Ok(true);
        }
        let enrolled = self.store().is_enrolled(user, course).await?;
        if enrolled {
            self.auth_cache().put_enrolled(user, course);
        }
        Ok(enrolled)
    }

    /// Writes what is buffered in memory (rate-limit counts, token uses). Called at
    /// shutdown; also useful in tests that look at the database directly.
    pub async fn flush(&self) {
        self.inner.limiter.flush_all(self.now()).await;
        self.inner.auth_limiters.flush_all(self.now()).await;
        self.inner.token_uses.flush(self.store()).await;
    }

    /// Creates an account (registration, and `cloudmaster-server create-user`).
    pub async fn create_user(
        &self,
        email: &str,
        name: &str,
        password: &str,
        role: Role,
    ) -> Result<User, ApiError> {
        let email = normalize_email(email)?;
        let name = name.trim();
        if name.is_empty() {
            return Err(ApiError::Validation("name must not be empty".to_owned()));
        }
        if name.chars().count() > 200 {
            return Err(ApiError::Validation(
                "name too long: use at most 200 characters".to_owned(),
            ));
        }
        password::check_policy(password)?;
        let password_hash = self.hasher().hash(password.to_owned()).await?;
        let new = NewUser {
            email: email.clone(),
            name: name.to_owned(),
            password_hash,
            role,
            tier: Tier::Free,
        };
        self.store()
            .create_user(new, self.now())
            .await
            .map_err(|e| match e {
                StoreError::Conflict(_) => {
                    ApiError::Conflict(format!("an account with email {email} already exists"))
                }
                other => other.into(),
            })
    }

    pub async fn user_by_email(&self, email: &str) -> Result<Option<User>, ApiError> {
        Ok(self
            .store()
            .user_by_email(email.trim())
            .await?
            .map(|account| account.user))
    }
}

/// Trims and checks an email address (the store compares case-insensitively).
fn normalize_email(email: &str) -> Result<String, ApiError> {
    let email = email.trim();
    let valid = email.len() <= 254
        && email.split_once('@').is_some_and(|(local, domain)| {
            !local.is_empty()
                && !domain.is_empty()
                && !domain.starts_with('.')
                && !domain.ends_with('.')
                && !email.chars().any(char::is_whitespace)
        });
    if valid {
        Ok(email.to_owned())
    } else {
        Err(ApiError::Validation(format!(
            "`{email}` is not an email address"
        )))
    }
}

fn spawn_background(state: Weak<Inner>) {
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(RATE_FLUSH_EVERY);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
        let mut ticks: u64 = 0;
        loop {
            tick.tick().await;
            let Some(inner) = state.upgrade() else { break };
            let now = inner.clock.now();
            inner.limiter.flush_all(now).await;
            inner.auth_limiters.flush_all(now).await;
            ticks += 1;
            if ticks.is_multiple_of(TOKEN_FLUSH_TICKS) {
                inner.token_uses.flush(&*inner.store).await;
            }
            if ticks % PRUNE_TICKS == 1 {
                inner.limiter.prune(now).await;
                let failures_before = now - crate::auth::backoff::FORGET_AFTER;
                let sessions_before =
                    now - time::Duration::days(crate::auth::session::REFRESH_TOKEN_DAYS + 1);
                let pruned = inner
                    .store
                    .prune_login_state(failures_before, sessions_before)
                    .await;
                if let Err(err) = pruned {
                    tracing::warn!(error = %crate::error::error_chain(&err), "pruning login state failed");
                }
            }
            if ticks.is_multiple_of(KEY_RELOAD_TICKS) {
                let reloading = inner.clone();
                let reloaded = tokio::task::spawn_blocking(move || reloading.keys.reload()).await;
                if let Ok(Err(err)) = reloaded {
                    tracing::warn!(
                        error = crate::error::error_chain(&err),
                        "cannot reload the signing keys"
                    );
                }
            }
        }
    });
}

#[cfg(test)]
mod tests {
    use super::normalize_email;

    #[test]
    fn emails() {
        assert_eq!(normalize_email(" a@b.c ").unwrap(), "a@b.c");
        for bad in ["", "a", "@b", "a@", "a b@c.d", "a@.c"] {
            assert!(normalize_email(bad).is_err(), "{bad}");
        }
    }
}
