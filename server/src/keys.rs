//! Signing keys: the HS256 keys of access tokens and the Ed25519 keys of certificates, kept
//! in owner-only files in the key directory (`--key-dir`, default `<data-dir>/keys`; the
//! layout is in [`dir`]). Replicas on one database share one key directory.
//!
//! Each kind has one current key, which signs; older keys are retired, not forgotten:
//! - a retired token key keeps verifying the tokens it signed until they have expired, then
//!   it is deleted ([`JWT_RETENTION`] after retirement, at start-up or the next rotation);
//! - a retired certificate key stays forever and is published in the issuer document, so
//!   every certificate ever issued keeps verifying.
//!
//! [`rotate`] (`cloudmaster-server keys rotate`) makes new current keys. Running servers
//! read the directory again every [`RELOAD_EVERY`], and at once (at most every few seconds)
//! when a token or certificate names a key they do not hold.
//!
//! Servers before this module kept one key of each kind in the database
//! (`server_secrets`). At start-up such a key is moved here, so the tokens and certificates
//! it signed stay valid, and deleted from the database.

use std::sync::{Arc, Mutex, RwLock};
use std::time::{Duration, Instant};

use cloudmaster_core::api::User;
use cloudmaster_core::cert::CertificateSigner;
use rand::RngCore as _;
use secrecy::ExposeSecret as _;
use time::OffsetDateTime;

use crate::auth::jwt::{ACCESS_TOKEN_SECS, Claims, JwtKeys};
use crate::error::ApiError;
use crate::server_error::{Context as _, ServerError, is_read_only};
use crate::store::Store;

pub mod dir;

pub use dir::{KeyDir, KeyInfo, KeyKind, KeySet};

/// How long a retired token key is kept: the lifetime of the tokens it signed, plus time
/// for every replica to notice the rotation ([`RELOAD_EVERY`]) and a margin.
pub const JWT_RETENTION: time::Duration = time::Duration::seconds(ACCESS_TOKEN_SECS + 5 * 60);
/// How often a running server reads the key directory again.
pub const RELOAD_EVERY: Duration = Duration::from_secs(60);
/// Least time between two reloads caused by a token naming an unknown key (anyone can send
/// such tokens).
const UNKNOWN_KEY_RELOAD_GAP: Duration = Duration::from_secs(5);

/// Where servers before the key directory kept their keys (`server_secrets` names).
const DATABASE_SECRETS: [(KeyKind, &str); 2] = [
    (KeyKind::Jwt, "jwt"),
    (KeyKind::Certificate, "certificate_signing_key"),
];

/// The keys of a running server, re-read from the directory as it changes.
pub struct Keys {
    dir: KeyDir,
    loaded: RwLock<Arc<Loaded>>,
    last_unknown_reload: Mutex<Option<Instant>>,
}

struct Loaded {
    jwt: JwtKeys,
    certificates: Arc<CertificateKeys>,
}

/// Every certificate key, the current one first.
pub struct CertificateKeys {
    signers: Vec<CertificateSigner>,
}

impl CertificateKeys {
    /// The key new certificates are signed with.
    pub fn current(&self) -> &CertificateSigner {
        &self.signers[0]
    }

    /// The key named `key_id` in a certificate.
    pub fn get(&self, key_id: &str) -> Option<&CertificateSigner> {
        self.signers.iter().find(|s| s.key_id() == key_id)
    }

    /// All keys, the current one first, then newest to oldest.
    pub fn all(&self) -> &[CertificateSigner] {
        &self.signers
    }
}

impl std::fmt::Debug for Keys {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Keys({})", self.dir.path().display())
    }
}

impl Keys {
    /// Prepares the key directory at start-up and loads it: creates it and any missing
    /// key, moves keys out of the database, deletes token keys whose tokens have expired.
    pub async fn open(
        dir: KeyDir,
        store: &dyn Store,
        now: OffsetDateTime,
    ) -> Result<Keys, ServerError> {
        dir.create()?;
        let locking = dir.clone();
        // A read-only mount (a secret volume) is fine while nothing needs writing.
        let lock = match tokio::task::spawn_blocking(move || locking.lock())
            .await
            .context("locking the key directory")?
        {
            Ok(lock) => Some(lock),
            Err(e) if is_read_only(&e) => None,
            Err(e) => {
                return Err(e).with_context(|| {
                    format!("cannot lock the key directory {}", dir.path().display())
                });
            }
        };
        let mut set = dir.read()?;
        let mut changed = false;
        let mut imported = Vec::new();
        for (kind, name) in DATABASE_SECRETS {
            let Some(secret) = store
                .secret(name)
                .await
                .context("reading keys from the database")?
            else {
                continue;
            };
            changed |= import(&mut set, kind, secret, now)?;
            imported.push(name);
        }
        for kind in [KeyKind::Jwt, KeyKind::Certificate] {
            if set.current(kind).is_none() {
                let (kid, secret) = new_key(kind)?;
                set.add(kind, kid, secret, now, true);
                changed = true;
            }
        }
        let removed = set.remove_jwt_retired_before(now - JWT_RETENTION);
        if changed || !removed.is_empty() {
            let written = dir.write(&set).and_then(|()| dir.remove_files(&removed));
            match written {
                Ok(()) => {}
                Err(err) if !changed && err.is_read_only() => tracing::info!(
                    dir = %dir.path().display(),
                    "the key directory is read-only; expired token keys stay in it"
                ),
                Err(err) if err.is_read_only() => {
                    return Err(err).context(format!(
                        "the key directory {} is read-only, but it lacks keys that start-up \
                         must add (new keys, or keys to move out of the database); start the \
                         server once with a writable key directory",
                        dir.path().display()
                    ));
                }
                Err(err) => return Err(err),
            }
        }
        drop(lock);
        // Only now that the keys are safely on disk.
        for name in imported {
            store
                .delete_secret(name)
                .await
                .context("deleting a key from the database")?;
            tracing::warn!(
                secret = name,
                dir = %dir.path().display(),
                "moved a signing key from the database to the key directory"
            );
        }
        let loaded = load(&set, &dir)?;
        Ok(Keys {
            dir,
            loaded: RwLock::new(Arc::new(loaded)),
            last_unknown_reload: Mutex::new(None),
        })
    }

    /// Reads the key directory again (after a rotation). On error the keys in use stay.
    pub fn reload(&self) -> Result<(), ServerError> {
        let loaded = load(&self.dir.read()?, &self.dir)?;
        *self.loaded.write().unwrap_or_else(|e| e.into_inner()) = Arc::new(loaded);
        Ok(())
    }

    fn snapshot(&self) -> Arc<Loaded> {
        self.loaded
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }

    /// Reloads because something named a key not loaded, unless that happened just now.
    /// True when the keys were reloaded.
    fn reload_for_unknown_key(&self) -> bool {
        {
            let mut last = self
                .last_unknown_reload
                .lock()
                .unwrap_or_else(|e| e.into_inner());
            if last.is_some_and(|at| at.elapsed() < UNKNOWN_KEY_RELOAD_GAP) {
                return false;
            }
            *last = Some(Instant::now());
        }
        match self.reload() {
            Ok(()) => true,
            Err(err) => {
                tracing::warn!(
                    error = crate::error::error_chain(&err),
                    "cannot reload the signing keys"
                );
                false
            }
        }
    }

    /// Signs an access token for `user` in the login session `session` with the current
    /// key.
    pub fn issue(
        &self,
        user: &User,
        session: uuid::Uuid,
        now: OffsetDateTime,
    ) -> Result<(String, u64), ApiError> {
        self.snapshot().jwt.issue(user, session, now)
    }

    /// Verifies an access token with the key its header names.
    pub fn verify(&self, token: &str) -> Result<Claims, ApiError> {
        let loaded = self.snapshot();
        if loaded.jwt.names_unknown_key(token) && self.reload_for_unknown_key() {
            return self.snapshot().jwt.verify(token);
        }
        loaded.jwt.verify(token)
    }

    /// The id of the token key that signs now.
    pub fn current_jwt_kid(&self) -> String {
        self.snapshot().jwt.current_kid().to_owned()
    }

    /// The certificate keys.
    pub fn certificates(&self) -> Arc<CertificateKeys> {
        self.snapshot().certificates.clone()
    }

    /// The certificate key `key_id`, reloading once if it is not known yet (a certificate
    /// signed by another replica after a rotation).
    pub fn certificate_key(&self, key_id: &str) -> Option<CertificateSigner> {
        let known = self.certificates().get(key_id).cloned();
        if known.is_some() || !self.reload_for_unknown_key() {
            return known;
        }
        self.certificates().get(key_id).cloned()
    }
}

/// Makes a new current key of each kind in `kinds`; the old ones are retired (see the
/// module docs). Also deletes expired token keys. Returns the new keys.
pub fn rotate(
    dir: &KeyDir,
    kinds: &[KeyKind],
    now: OffsetDateTime,
) -> Result<Vec<KeyInfo>, ServerError> {
    dir.create()?;
    let _lock = dir
        .lock()
        .with_context(|| format!("cannot lock the key directory {}", dir.path().display()))?;
    let mut set = dir.read()?;
    let mut made = Vec::new();
    for &kind in kinds {
        let (kid, secret) = new_key(kind)?;
        set.add(kind, kid, secret, now, true);
        made.extend(set.keys.last().map(|k| k.info.clone()));
    }
    let removed = set.remove_jwt_retired_before(now - JWT_RETENTION);
    // Refuse to write a directory a server could not load.
    load(&set, dir)?;
    dir.write(&set)?;
    dir.remove_files(&removed)?;
    Ok(made)
}

/// The keys in a directory (no secrets), oldest first.
pub fn list(dir: &KeyDir) -> Result<Vec<KeyInfo>, ServerError> {
    Ok(dir.read()?.keys.into_iter().map(|k| k.info).collect())
}

/// Adds a key found in the database unless the directory has it. It becomes current when
/// the directory has no key of its kind; otherwise it is added retired. True when added.
fn import(
    set: &mut KeySet,
    kind: KeyKind,
    secret: Vec<u8>,
    now: OffsetDateTime,
) -> Result<bool, ServerError> {
    let kid = match kind {
        KeyKind::Jwt => {
            if set
                .of(kind)
                .any(|k| k.secret.expose_secret() == secret.as_slice())
            {
                return Ok(false);
            }
            random_kid()
        }
        KeyKind::Certificate => {
            let kid = CertificateSigner::from_secret(&secret)
                .map_err(|e| {
                    ServerError::Refused(format!(
                        "the certificate signing key in the database is unusable: {e}"
                    ))
                })?
                .key_id();
            if set.of(kind).any(|k| k.info.kid == kid) {
                return Ok(false);
            }
            kid
        }
    };
    let current = set.current(kind).is_none();
    set.add(kind, kid, secret, now, current);
    Ok(true)
}

/// A new random key of `kind` and its id.
fn new_key(kind: KeyKind) -> Result<(String, Vec<u8>), ServerError> {
    Ok(match kind {
        KeyKind::Jwt => {
            let mut secret = vec![0u8; 64];
            rand::rng().fill_bytes(&mut secret);
            (random_kid(), secret)
        }
        KeyKind::Certificate => {
            let mut secret = vec![0u8; 32];
            rand::rng().fill_bytes(&mut secret);
            let kid = CertificateSigner::from_secret(&secret)
                .map_err(|e| ServerError::Refused(format!("a new certificate key: {e}")))?
                .key_id();
            (kid, secret)
        }
    })
}

fn random_kid() -> String {
    let mut bytes = [0u8; 8];
    rand::rng().fill_bytes(&mut bytes);
    hex::encode(bytes)
}

/// Turns the keys of a directory into signers and verifiers.
fn load(set: &KeySet, dir: &KeyDir) -> Result<Loaded, ServerError> {
    let missing = |kind: KeyKind, flag: &str| {
        ServerError::Refused(format!(
            "the key directory {} has no current {} key; run `cloudmaster-server keys rotate \
             {flag}` with `--key-dir {}`",
            dir.path().display(),
            kind.as_str(),
            dir.path().display()
        ))
    };
    let current = set
        .current(KeyKind::Jwt)
        .ok_or_else(|| missing(KeyKind::Jwt, "--jwt"))?;
    let mut jwt = JwtKeys::new(&current.info.kid, current.secret.expose_secret());
    for key in set.of(KeyKind::Jwt).filter(|k| k.info.retired_at.is_some()) {
        jwt = jwt.also_verifying(&key.info.kid, key.secret.expose_secret());
    }

    let mut certificate_keys: Vec<_> = set.of(KeyKind::Certificate).collect();
    if !certificate_keys.iter().any(|k| k.info.retired_at.is_none()) {
        return Err(missing(KeyKind::Certificate, "--certificates"));
    }
    // Current first, then newest to oldest.
    certificate_keys.sort_by_key(|k| {
        (
            k.info.retired_at.is_some(),
            std::cmp::Reverse(k.info.created_at),
        )
    });
    let mut signers = Vec::new();
    for key in certificate_keys {
        let signer = CertificateSigner::from_secret(key.secret.expose_secret()).map_err(|e| {
            ServerError::Refused(format!(
                "the certificate key {} in {} is unusable: {e}",
                key.info.kid,
                dir.path().display()
            ))
        })?;
        if signer.key_id() != key.info.kid {
            return Err(ServerError::Refused(format!(
                "the certificate key file of {} in {} holds the key {}; restore the file",
                key.info.kid,
                dir.path().display(),
                signer.key_id()
            )));
        }
        signers.push(signer);
    }
    Ok(Loaded {
        jwt,
        certificates: Arc::new(CertificateKeys { signers }),
    })
}
