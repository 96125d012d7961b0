//! Stored credentials: an access and refresh token pair per profile and server.
//!
//! Three stores implement [`CredentialStore`]: the OS keyring ([`KeyringStore`]), a 0600
//! JSON file in the config folder ([`FileStore`]) and memory ([`MemoryStore`], for tests).
//! `CLOUDMASTER_CREDENTIALS=auto|keyring|file` picks one through [`open`]; `auto` (the
//! default) uses the keyring where it works (macOS, Windows, a Linux desktop with a Secret
//! Service) and otherwise the file, saying so once — when it creates the file. A token in
//! `CLOUDMASTER_TOKEN` overrides every store; the CLI handles that before it asks a store.
//!
//! Secrets are [`SecretString`]s: they never appear in `Debug` output, and [`mask`] shows
//! only a recognisable prefix (`cm_pat_abcd…`).

use std::collections::HashMap;
use std::fmt;
use std::path::{Path, PathBuf};
use std::str::FromStr;
use std::sync::{Mutex, OnceLock};

use secrecy::{ExposeSecret, SecretString};
use serde::{Deserialize, Serialize};

use crate::api::TokenPair;
use crate::config::{Paths, write_atomically};
use crate::error::{Error, Result};

/// The keyring service name every entry is stored under.
pub const KEYRING_SERVICE: &str = "cloudmaster";

/// Which credential store to use.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Backend {
    /// The OS keyring where it works, else the file.
    #[default]
    Auto,
    Keyring,
    File,
}

impl Backend {
    pub fn as_str(self) -> &'static str {
        match self {
            Backend::Auto => "auto",
            Backend::Keyring => "keyring",
            Backend::File => "file",
        }
    }
}

impl FromStr for Backend {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s {
            "auto" => Ok(Backend::Auto),
            "keyring" => Ok(Backend::Keyring),
            "file" => Ok(Backend::File),
            other => Err(format!(
                "unknown credential store `{other}`: expected auto, keyring or file"
            )),
        }
    }
}

/// What authenticates requests: a bearer token, and for a login session the refresh token
/// that renews it. `Debug` shows masked tokens only.
#[derive(Clone)]
pub struct Credential {
    access_token: SecretString,
    refresh_token: Option<SecretString>,
}

impl Credential {
    /// A bearer token without refresh: a personal API token (`cm_pat_...`) or an access token.
    pub fn token(token: impl Into<String>) -> Credential {
        Credential {
            access_token: SecretString::from(token.into()),
            refresh_token: None,
        }
    }

    /// A login session.
    pub fn session(
        access_token: impl Into<String>,
        refresh_token: impl Into<String>,
    ) -> Credential {
        Credential {
            access_token: SecretString::from(access_token.into()),
            refresh_token: Some(SecretString::from(refresh_token.into())),
        }
    }

    /// The session a login or refresh answered with.
    pub fn from_pair(pair: &TokenPair) -> Credential {
        Credential::session(pair.access_token.clone(), pair.refresh_token.clone())
    }

    pub fn access_token(&self) -> &str {
        self.access_token.expose_secret()
    }

    pub fn refresh_token(&self) -> Option<&str> {
        self.refresh_token.as_ref().map(|t| t.expose_secret())
    }

    /// Whether this is a personal API token rather than a login session.
    pub fn is_api_token(&self) -> bool {
        self.access_token().starts_with(API_TOKEN_PREFIX)
    }
}

impl fmt::Debug for Credential {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Credential")
            .field("access_token", &mask(self.access_token()))
            .field("refresh_token", &self.refresh_token().map(mask))
            .finish()
    }
}

/// The prefix of personal API tokens.
pub const API_TOKEN_PREFIX: &str = "cm_pat_";

/// A token shortened so it can be recognised but not used: `cm_pat_abcd…`, `eyJh…`.
pub fn mask(token: &str) -> String {
    let shown = if token.starts_with(API_TOKEN_PREFIX) {
        API_TOKEN_PREFIX.len() + 4
    } else {
        4
    };
    if token.chars().count() < shown + 8 {
        // Too short to show any of it without giving much of it away.
        return "…".to_owned();
    }
    let prefix: String = token.chars().take(shown).collect();
    format!("{prefix}…")
}

/// What a credential is stored under: a profile and a server, so one machine can hold
/// sessions for several servers and profiles at once.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Key {
    pub profile: String,
    /// The server's base URL as configured.
    pub server: String,
}

impl Key {
    pub fn new(profile: impl Into<String>, server: &url::Url) -> Key {
        Key {
            profile: profile.into(),
            server: server.as_str().to_owned(),
        }
    }

    fn keyring_user(&self) -> String {
        format!("{}@{}", self.profile, self.server)
    }
}

impl fmt::Display for Key {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "profile `{}` on {}", self.profile, self.server)
    }
}

/// Somewhere to keep credentials between runs.
pub trait CredentialStore: Send + Sync {
    fn load(&self, key: &Key) -> Result<Option<Credential>>;
    fn save(&self, key: &Key, credential: &Credential) -> Result<()>;
    /// Returns whether there was something to delete.
    fn delete(&self, key: &Key) -> Result<bool>;
    /// A one-line description for `cloudmaster doctor`, such as "file ~/.config/... (mode 0600)".
    fn describe(&self) -> String;
}

/// The stored form of one credential (in the file, and as the keyring's secret).
#[derive(Serialize, Deserialize)]
struct Stored {
    access_token: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    refresh_token: Option<String>,
}

impl Stored {
    fn from_credential(c: &Credential) -> Stored {
        Stored {
            access_token: c.access_token().to_owned(),
            refresh_token: c.refresh_token().map(str::to_owned),
        }
    }

    fn into_credential(self) -> Credential {
        Credential {
            access_token: SecretString::from(self.access_token),
            refresh_token: self.refresh_token.map(SecretString::from),
        }
    }
}

/// Opens the store `backend` names. `notice` receives the one-time message `auto` gives when
/// it falls back to the file.
pub fn open(
    backend: Backend,
    paths: &Paths,
    notice: Box<dyn Fn(&str) + Send + Sync>,
) -> Box<dyn CredentialStore> {
    let file = FileStore::new(paths.credentials_file());
    match backend {
        Backend::File => Box::new(file),
        Backend::Keyring => Box::new(KeyringStore),
        Backend::Auto => Box::new(AutoStore {
            file,
            keyring_works: OnceLock::new(),
            notice,
        }),
    }
}

// ---------------------------------------------------------------------------------------------
// File

/// A JSON file readable only by the user (mode 0600 from the moment it exists).
#[derive(Debug, Clone)]
pub struct FileStore {
    path: PathBuf,
}

#[derive(Default, Serialize, Deserialize)]
struct CredentialsFile {
    version: u32,
    /// Keyed by `PROFILE@SERVER`.
    #[serde(default)]
    credentials: std::collections::BTreeMap<String, Stored>,
}

impl FileStore {
    pub fn new(path: PathBuf) -> FileStore {
        FileStore { path }
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    fn read(&self) -> Result<Option<CredentialsFile>> {
        let text = match std::fs::read_to_string(&self.path) {
            Ok(text) => text,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(Error::io("cannot read", &self.path, e)),
        };
        restrict_permissions(&self.path)?;
        serde_json::from_str(&text).map(Some).map_err(|e| {
            Error::credentials(format!(
                "{} is not a valid credentials file ({e}); delete it and log in again",
                self.path.display()
            ))
        })
    }

    fn write(&self, file: &CredentialsFile) -> Result<()> {
        let json = serde_json::to_vec_pretty(file).expect("credentials serialize");
        write_atomically(&self.path, &json)
    }

    /// Saves and reports whether the file was created by this call.
    fn save_reporting_creation(&self, key: &Key, credential: &Credential) -> Result<bool> {
        let existing = self.read()?;
        let created = existing.is_none();
        let mut file = existing.unwrap_or_default();
        file.version = 1;
        file.credentials
            .insert(key.keyring_user(), Stored::from_credential(credential));
        self.write(&file)?;
        Ok(created)
    }
}

impl CredentialStore for FileStore {
    fn load(&self, key: &Key) -> Result<Option<Credential>> {
        Ok(self
            .read()?
            .and_then(|mut f| f.credentials.remove(&key.keyring_user()))
            .map(Stored::into_credential))
    }

    fn save(&self, key: &Key, credential: &Credential) -> Result<()> {
        self.save_reporting_creation(key, credential).map(drop)
    }

    fn delete(&self, key: &Key) -> Result<bool> {
        let Some(mut file) = self.read()? else {
            return Ok(false);
        };
        let removed = file.credentials.remove(&key.keyring_user()).is_some();
        if removed {
            self.write(&file)?;
        }
        Ok(removed)
    }

    fn describe(&self) -> String {
        format!("file {} (mode 0600)", self.path.display())
    }
}

/// Takes group and other permissions away from a credentials file someone widened.
fn restrict_permissions(path: &Path) -> Result<()> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let meta = std::fs::metadata(path).map_err(|e| Error::io("cannot read", path, e))?;
        if meta.permissions().mode() & 0o077 != 0 {
            std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600))
                .map_err(|e| Error::io("cannot restrict permissions of", path, e))?;
        }
    }
    #[cfg(not(unix))]
    let _ = path;
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// Keyring

/// The OS keyring: Keychain, Windows Credential Manager or the Secret Service over D-Bus.
#[derive(Debug, Clone, Copy)]
pub struct KeyringStore;

impl KeyringStore {
    fn entry(key: &Key) -> Result<keyring::Entry> {
        keyring::Entry::new(KEYRING_SERVICE, &key.keyring_user()).map_err(keyring_error)
    }

    /// Whether the keyring answers at all (a missing entry is an answer).
    pub fn works(&self) -> bool {
        let probe = keyring::Entry::new(KEYRING_SERVICE, "probe@cloudmaster");
        matches!(
            probe.map(|e| e.get_password()),
            Ok(Ok(_) | Err(keyring::Error::NoEntry))
        )
    }
}

fn keyring_error(e: keyring::Error) -> Error {
    Error::credentials(format!("OS keyring: {e}"))
}

impl CredentialStore for KeyringStore {
    fn load(&self, key: &Key) -> Result<Option<Credential>> {
        match KeyringStore::entry(key)?.get_password() {
            Ok(secret) => serde_json::from_str::<Stored>(&secret)
                .map(|s| Some(s.into_credential()))
                .map_err(|e| {
                    Error::credentials(format!("OS keyring entry for {key} is unreadable: {e}"))
                }),
            Err(keyring::Error::NoEntry) => Ok(None),
            Err(e) => Err(keyring_error(e)),
        }
    }

    fn save(&self, key: &Key, credential: &Credential) -> Result<()> {
        let secret = serde_json::to_string(&Stored::from_credential(credential))
            .expect("credentials serialize");
        KeyringStore::entry(key)?
            .set_password(&secret)
            .map_err(keyring_error)
    }

    fn delete(&self, key: &Key) -> Result<bool> {
        match KeyringStore::entry(key)?.delete_credential() {
            Ok(()) => Ok(true),
            Err(keyring::Error::NoEntry) => Ok(false),
            Err(e) => Err(keyring_error(e)),
        }
    }

    fn describe(&self) -> String {
        "OS keyring".to_owned()
    }
}

// ---------------------------------------------------------------------------------------------
// Auto

/// The keyring where it works, else the file (with a notice when the file is created).
struct AutoStore {
    file: FileStore,
    /// Probed once, on first use.
    keyring_works: OnceLock<bool>,
    notice: Box<dyn Fn(&str) + Send + Sync>,
}

impl AutoStore {
    fn keyring(&self) -> Option<KeyringStore> {
        self.keyring_works
            .get_or_init(|| KeyringStore.works())
            .then_some(KeyringStore)
    }
}

impl CredentialStore for AutoStore {
    fn load(&self, key: &Key) -> Result<Option<Credential>> {
        if let Some(keyring) = self.keyring()
            && let Some(c) = keyring.load(key)?
        {
            return Ok(Some(c));
        }
        self.file.load(key)
    }

    fn save(&self, key: &Key, credential: &Credential) -> Result<()> {
        if let Some(keyring) = self.keyring()
            && keyring.save(key, credential).is_ok()
        {
            // A copy left in the file from a time without keyring would go stale.
            self.file.delete(key)?;
            return Ok(());
        }
        if self.file.save_reporting_creation(key, credential)? {
            (self.notice)(&format!(
                "no OS keyring found; credentials are stored in {} (mode 0600)",
                self.file.path.display()
            ));
        }
        Ok(())
    }

    fn delete(&self, key: &Key) -> Result<bool> {
        let in_keyring = match self.keyring() {
            Some(keyring) => keyring.delete(key)?,
            None => false,
        };
        Ok(self.file.delete(key)? || in_keyring)
    }

    fn describe(&self) -> String {
        match self.keyring() {
            Some(keyring) => format!("auto: {}", keyring.describe()),
            None => format!("auto: no OS keyring found; {}", self.file.describe()),
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Memory

/// Credentials in memory only, for tests and for embedding.
#[derive(Default)]
pub struct MemoryStore {
    entries: Mutex<HashMap<Key, Credential>>,
}

impl MemoryStore {
    pub fn new() -> MemoryStore {
        MemoryStore::default()
    }
}

impl CredentialStore for MemoryStore {
    fn load(&self, key: &Key) -> Result<Option<Credential>> {
        Ok(self.entries.lock().expect("lock").get(key).cloned())
    }

    fn save(&self, key: &Key, credential: &Credential) -> Result<()> {
        self.entries
            .lock()
            .expect("lock")
            .insert(key.clone(), credential.clone());
        Ok(())
    }

    fn delete(&self, key: &Key) -> Result<bool> {
        Ok(self.entries.lock().expect("lock").remove(key).is_some())
    }

    fn describe(&self) -> String {
        "memory".to_owned()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(profile: &str) -> Key {
        Key::new(profile, &url::Url::parse("http://127.0.0.1:8080/").unwrap())
    }

    #[test]
    fn debug_never_shows_secrets() {
        let c = Credential::session("eyJhbGciOiJFZERTQSJ9.secret", "refresh-secret-value");
        let debug = format!("{c:?}");
        assert!(!debug.contains("secret"), "{debug}");
        assert!(debug.contains("eyJh…"), "{debug}");
        assert_eq!(mask("cm_pat_abcdefghijkl"), "cm_pat_abcd…");
        assert_eq!(mask("short"), "…");
    }

    #[test]
    fn file_store_round_trips_with_mode_0600() {
        let dir = tempfile::tempdir().unwrap();
        let store = FileStore::new(dir.path().join("cfg").join("credentials.json"));
        assert!(store.load(&key("default")).unwrap().is_none());
        assert!(
            store
                .save_reporting_creation(&key("default"), &Credential::session("a1", "r1"))
                .unwrap()
        );
        assert!(
            !store
                .save_reporting_creation(&key("ci"), &Credential::token("cm_pat_x"))
                .unwrap()
        );
        let loaded = store.load(&key("default")).unwrap().unwrap();
        assert_eq!(loaded.access_token(), "a1");
        assert_eq!(loaded.refresh_token(), Some("r1"));
        assert!(store.load(&key("ci")).unwrap().unwrap().is_api_token());
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(store.path())
                .unwrap()
                .permissions()
                .mode();
            assert_eq!(mode & 0o777, 0o600);
        }
        assert!(store.delete(&key("default")).unwrap());
        assert!(!store.delete(&key("default")).unwrap());
        assert!(store.load(&key("default")).unwrap().is_none());
        assert!(store.load(&key("ci")).unwrap().is_some());
    }

    #[test]
    fn memory_store() {
        let store = MemoryStore::new();
        store
            .save(&key("p"), &Credential::token("t-123456789"))
            .unwrap();
        assert_eq!(
            store.load(&key("p")).unwrap().unwrap().access_token(),
            "t-123456789"
        );
        assert!(store.load(&key("q")).unwrap().is_none());
    }
}
