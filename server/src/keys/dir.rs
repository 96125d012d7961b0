//! The key directory on disk.
//!
//! ```text
//! keys.json               the manifest: each key's id, kind, creation and retirement time
//! jwt-<kid>.key           a token signing key: 64 random bytes, base64, one line
//! certificate-<kid>.key   a certificate signing key: a 32-byte Ed25519 seed, base64
//! .lock                   held (flock) by whoever changes the directory
//! ```
//!
//! Every file is 0600 and the directory 0700; a key file or manifest that others may read is
//! refused (see [`crate::owner_only`]). Files are replaced atomically. Writers (server
//! start-up, `cloudmaster-server keys rotate`) hold the lock; readers need none, because a
//! key file is written before the manifest names it and removed only after the manifest
//! stops naming it. A reader that loses that race against the removal of a retired token
//! key skips the key, whose tokens have expired anyway.

use std::fs;
use std::io;
use std::path::{Path, PathBuf};

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use secrecy::{ExposeSecret as _, SecretSlice};
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

use crate::owner_only;
use crate::server_error::{Context as _, ServerError};

/// The manifest's file name.
const MANIFEST: &str = "keys.json";

/// What a key signs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum KeyKind {
    /// Access tokens (HS256).
    Jwt,
    /// Certificates and Open Badges (Ed25519).
    Certificate,
}

impl KeyKind {
    pub fn as_str(self) -> &'static str {
        match self {
            KeyKind::Jwt => "jwt",
            KeyKind::Certificate => "certificate",
        }
    }
}

/// A key's public facts, as the manifest records them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct KeyInfo {
    pub kid: String,
    pub kind: KeyKind,
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
    /// When a newer key of the kind replaced it; `None` for the current key.
    #[serde(with = "time::serde::rfc3339::option", default)]
    pub retired_at: Option<OffsetDateTime>,
}

impl KeyInfo {
    fn file_name(&self) -> String {
        format!("{}-{}.key", self.kind.as_str(), self.kid)
    }
}

/// A key: its facts and its secret (which `Debug` does not print).
#[derive(Debug)]
pub struct Key {
    pub info: KeyInfo,
    pub secret: SecretSlice<u8>,
}

/// Every key in a directory, oldest first.
#[derive(Debug, Default)]
pub struct KeySet {
    pub keys: Vec<Key>,
}

impl KeySet {
    /// The key of `kind` that signs.
    pub fn current(&self, kind: KeyKind) -> Option<&Key> {
        self.of(kind).find(|k| k.info.retired_at.is_none())
    }

    pub fn of(&self, kind: KeyKind) -> impl Iterator<Item = &Key> {
        self.keys.iter().filter(move |k| k.info.kind == kind)
    }

    /// Adds a key. As `current`, it replaces (retires at `now`) the current key of its
    /// kind; otherwise it is added already retired (an older key imported late).
    pub fn add(
        &mut self,
        kind: KeyKind,
        kid: String,
        secret: Vec<u8>,
        now: OffsetDateTime,
        current: bool,
    ) {
        if current {
            for key in self.keys.iter_mut().filter(|k| k.info.kind == kind) {
                key.info.retired_at.get_or_insert(now);
            }
        }
        self.keys.push(Key {
            info: KeyInfo {
                kid,
                kind,
                created_at: now,
                retired_at: (!current).then_some(now),
            },
            secret: SecretSlice::from(secret),
        });
    }

    /// Removes the token keys retired before `cutoff` and returns them. Certificate keys
    /// stay forever: old certificates must keep verifying.
    pub fn remove_jwt_retired_before(&mut self, cutoff: OffsetDateTime) -> Vec<KeyInfo> {
        let (gone, kept) = std::mem::take(&mut self.keys).into_iter().partition(|k| {
            k.info.kind == KeyKind::Jwt && k.info.retired_at.is_some_and(|at| at < cutoff)
        });
        self.keys = kept;
        gone.into_iter().map(|k: Key| k.info).collect()
    }
}

/// A key directory (which may not exist yet).
#[derive(Debug, Clone)]
pub struct KeyDir {
    path: PathBuf,
}

#[derive(Serialize, Deserialize)]
struct Manifest {
    keys: Vec<KeyInfo>,
}

impl KeyDir {
    pub fn new(path: PathBuf) -> KeyDir {
        KeyDir { path }
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Creates the directory (0700), or tightens an existing one.
    pub fn create(&self) -> Result<(), ServerError> {
        owner_only::ensure_dir(&self.path, "key directory")
    }

    /// Takes the writers' lock, waiting for another writer to finish. Released when the
    /// returned file is dropped (or the process dies).
    pub fn lock(&self) -> io::Result<fs::File> {
        use std::os::unix::fs::OpenOptionsExt as _;
        let file = fs::OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .mode(0o600)
            .open(self.path.join(".lock"))?;
        file.lock()?;
        Ok(file)
    }

    /// Reads the manifest and every key it names. An empty set when there is no manifest.
    pub fn read(&self) -> Result<KeySet, ServerError> {
        let manifest_path = self.path.join(MANIFEST);
        let text = match fs::read_to_string(&manifest_path) {
            Ok(text) => text,
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(KeySet::default()),
            Err(e) => {
                return Err(e).with_context(|| format!("cannot read {}", manifest_path.display()));
            }
        };
        owner_only::check_file(&manifest_path, "key manifest")?;
        let manifest: Manifest = serde_json::from_str(&text).with_context(|| {
            format!(
                "{} is not a key manifest; restore it from a backup or move the key \
                 directory aside to start with new keys",
                manifest_path.display()
            )
        })?;
        let mut set = KeySet::default();
        for info in manifest.keys {
            check_kid(&info.kid).with_context(|| format!("in {}", manifest_path.display()))?;
            let path = self.path.join(info.file_name());
            let text = match fs::read_to_string(&path) {
                Ok(text) => text,
                Err(e)
                    if e.kind() == io::ErrorKind::NotFound
                        && info.kind == KeyKind::Jwt
                        && info.retired_at.is_some() =>
                {
                    continue;
                }
                Err(e) => {
                    return Err(e).with_context(|| {
                        format!(
                            "cannot read the key file {} named in {}",
                            path.display(),
                            manifest_path.display()
                        )
                    });
                }
            };
            owner_only::check_file(&path, "key file")?;
            let secret = BASE64
                .decode(text.trim())
                .with_context(|| format!("the key file {} is not base64", path.display()))?;
            set.keys.push(Key {
                info,
                secret: SecretSlice::from(secret),
            });
        }
        Ok(set)
    }

    /// Writes the files of keys that have none yet, then the manifest. Call with the lock.
    pub fn write(&self, set: &KeySet) -> Result<(), ServerError> {
        for key in &set.keys {
            let path = self.path.join(key.info.file_name());
            if !path.exists() {
                let mut line = BASE64.encode(key.secret.expose_secret());
                line.push('\n');
                owner_only::write_atomic(&path, line.as_bytes())?;
            }
        }
        let manifest = Manifest {
            keys: set.keys.iter().map(|k| k.info.clone()).collect(),
        };
        let mut json = serde_json::to_vec_pretty(&manifest).context("encoding the key manifest")?;
        json.push(b'\n');
        owner_only::write_atomic(&self.path.join(MANIFEST), &json)
    }

    /// Deletes the files of keys the manifest no longer names. Call with the lock, after
    /// [`KeyDir::write`].
    pub fn remove_files(&self, removed: &[KeyInfo]) -> Result<(), ServerError> {
        for info in removed {
            let path = self.path.join(info.file_name());
            match fs::remove_file(&path) {
                Ok(()) => {}
                Err(e) if e.kind() == io::ErrorKind::NotFound => {}
                Err(e) => {
                    return Err(e).with_context(|| format!("cannot delete {}", path.display()));
                }
            }
        }
        Ok(())
    }
}

/// Refuses a key id that could escape the directory as part of a file name.
pub fn check_kid(kid: &str) -> Result<(), ServerError> {
    if kid.is_empty() || !kid.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
        return Err(ServerError::Refused(format!(
            "`{kid}` is not a key id: use letters, digits and `_` only"
        )));
    }
    Ok(())
}
