//! Client configuration: where files live ([`Paths`]), the `config.toml` file with its
//! profiles ([`ConfigFile`]) and the effective settings ([`Config`]).
//!
//! Layering, lowest first: built-in defaults < `config.toml` < `CLOUDMASTER_*` environment
//! variables < command-line flags. The environment and flag layers arrive together as
//! [`Overrides`] (clap reads both and says which one a value came from), so this module never
//! reads the process environment except in [`Paths::from_env`], which the binary calls once.
//!
//! ```toml
//! default_profile = "default"      # optional
//!
//! [profiles.default]
//! server = "http://127.0.0.1:8080/"
//! output = "table"                 # table | json | yaml
//! timeout_seconds = 30
//! credentials = "auto"             # auto | keyring | file
//! ```

use std::collections::BTreeMap;
use std::ffi::OsString;
use std::fmt;
use std::path::{Path, PathBuf};
use std::str::FromStr;
use std::time::Duration;

use serde::{Deserialize, Serialize};
use url::Url;

use crate::credentials::Backend;
use crate::error::{Error, Result};

/// The directory name under each XDG base directory.
pub const APP_DIR: &str = "cloudmaster";
/// The profile used when none is chosen.
pub const DEFAULT_PROFILE: &str = "default";
/// The server used when none is configured: the one `cloudmaster quickstart` starts.
pub const DEFAULT_SERVER: &str = "http://127.0.0.1:8080/";
/// Per-request timeout when none is configured.
pub const DEFAULT_TIMEOUT_SECONDS: u64 = 30;

/// The client's directories, resolved once at start-up and passed to whoever needs them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Paths {
    /// `$XDG_CONFIG_HOME/cloudmaster`: `config.toml`, `credentials.json`.
    pub config_dir: PathBuf,
    /// `$XDG_DATA_HOME/cloudmaster`: quickstart data, lab workspaces.
    pub data_dir: PathBuf,
    /// `$XDG_STATE_HOME/cloudmaster`: logs, the offline progress queue.
    pub state_dir: PathBuf,
}

impl Paths {
    /// Resolves the directories from the process environment (`XDG_CONFIG_HOME`,
    /// `XDG_DATA_HOME`, `XDG_STATE_HOME`, else the platform's defaults under the home folder).
    pub fn from_env() -> Result<Paths> {
        Paths::from_lookup(|key| std::env::var_os(key), etcetera::home_dir().ok())
    }

    /// Resolves the directories from `lookup` (an environment) and a home folder. Relative
    /// XDG values are ignored, as the XDG specification says.
    pub fn from_lookup(
        lookup: impl Fn(&str) -> Option<OsString>,
        home: Option<PathBuf>,
    ) -> Result<Paths> {
        let base = |var: &str, default: &[&str]| -> Result<PathBuf> {
            if let Some(dir) = lookup(var).map(PathBuf::from).filter(|p| p.is_absolute()) {
                return Ok(dir.join(APP_DIR));
            }
            let home = home.clone().ok_or_else(|| {
                Error::config(format!(
                    "cannot find the home folder; set {var} to an absolute path"
                ))
            })?;
            Ok(default
                .iter()
                .fold(home, |p, part| p.join(part))
                .join(APP_DIR))
        };
        Ok(Paths {
            config_dir: base("XDG_CONFIG_HOME", &[".config"])?,
            data_dir: base("XDG_DATA_HOME", &[".local", "share"])?,
            state_dir: base("XDG_STATE_HOME", &[".local", "state"])?,
        })
    }

    /// Every directory under one root, for tests and sandboxes.
    pub fn under(root: &Path) -> Paths {
        Paths {
            config_dir: root.join("config").join(APP_DIR),
            data_dir: root.join("data").join(APP_DIR),
            state_dir: root.join("state").join(APP_DIR),
        }
    }

    pub fn config_file(&self) -> PathBuf {
        self.config_dir.join("config.toml")
    }

    pub fn credentials_file(&self) -> PathBuf {
        self.config_dir.join("credentials.json")
    }

    /// Where `cloudmaster quickstart` keeps its database and catalog by default.
    pub fn quickstart_dir(&self) -> PathBuf {
        self.data_dir.join("quickstart")
    }
}

/// How commands print data.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OutputFormat {
    #[default]
    Table,
    Json,
    Yaml,
}

impl OutputFormat {
    pub fn as_str(self) -> &'static str {
        match self {
            OutputFormat::Table => "table",
            OutputFormat::Json => "json",
            OutputFormat::Yaml => "yaml",
        }
    }
}

impl FromStr for OutputFormat {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s {
            "table" => Ok(OutputFormat::Table),
            "json" => Ok(OutputFormat::Json),
            "yaml" => Ok(OutputFormat::Yaml),
            other => Err(format!(
                "unknown output format `{other}`: expected table, json or yaml"
            )),
        }
    }
}

/// The contents of `config.toml`. Unknown keys are errors, so typos do not pass silently.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ConfigFile {
    /// The profile used when `--profile` and `CLOUDMASTER_PROFILE` are not given.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub default_profile: Option<String>,
    #[serde(default)]
    pub profiles: BTreeMap<String, Profile>,
}

/// One `[profiles.NAME]` table. Every key is optional.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Profile {
    #[serde(default, skip_serializing_if = "Option::is_none", with = "server_url")]
    pub server: Option<Url>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub output: Option<OutputFormat>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub timeout_seconds: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub credentials: Option<Backend>,
}

/// `server = "..."` in the file, parsed like `--server` (a bare `host:port` is allowed).
mod server_url {
    use serde::{Deserialize, Deserializer, Serializer};
    use url::Url;

    pub fn serialize<S: Serializer>(url: &Option<Url>, s: S) -> Result<S::Ok, S::Error> {
        match url {
            Some(url) => s.serialize_str(url.as_str()),
            None => s.serialize_none(),
        }
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Url>, D::Error> {
        let text = String::deserialize(d)?;
        super::parse_server_url(&text)
            .map(Some)
            .map_err(serde::de::Error::custom)
    }
}

/// The keys of a profile, for `config set` and error messages.
pub const PROFILE_KEYS: [&str; 4] = ["server", "output", "timeout_seconds", "credentials"];

impl ConfigFile {
    /// Reads `path`; a missing file is an empty configuration.
    pub fn load(path: &Path) -> Result<ConfigFile> {
        match std::fs::read_to_string(path) {
            Ok(text) => ConfigFile::parse(&text)
                .map_err(|e| Error::config(format!("{}: {}", path.display(), e.trim_end()))),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(ConfigFile::default()),
            Err(e) => Err(Error::io("cannot read", path, e)),
        }
    }

    /// Parses TOML text; the error names the line and column.
    pub fn parse(text: &str) -> Result<ConfigFile, String> {
        toml_edit::de::from_str(text).map_err(|e| e.to_string())
    }
}

/// Where an effective setting came from, lowest precedence first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Origin {
    Default,
    File,
    Env,
    Flag,
}

impl Origin {
    pub fn as_str(self) -> &'static str {
        match self {
            Origin::Default => "default",
            Origin::File => "config file",
            Origin::Env => "environment",
            Origin::Flag => "flag",
        }
    }
}

/// An effective value and where it came from.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Setting<T> {
    pub value: T,
    pub origin: Origin,
}

impl<T> Setting<T> {
    pub fn new(value: T, origin: Origin) -> Setting<T> {
        Setting { value, origin }
    }
}

/// Values from the environment and the command line (the two top layers).
#[derive(Debug, Clone, Default)]
pub struct Overrides {
    pub profile: Option<Setting<String>>,
    pub server: Option<Setting<Url>>,
    pub output: Option<Setting<OutputFormat>>,
    pub timeout_seconds: Option<Setting<u64>>,
    pub credentials: Option<Setting<Backend>>,
}

/// The effective configuration for this run.
#[derive(Debug, Clone)]
pub struct Config {
    pub paths: Paths,
    /// The file as read (empty when there is none).
    pub file: ConfigFile,
    pub profile: Setting<String>,
    pub server: Setting<Url>,
    pub output: Setting<OutputFormat>,
    pub timeout: Setting<Duration>,
    pub credentials: Setting<Backend>,
}

impl Config {
    /// Reads `config.toml` under `paths` and layers `overrides` on top.
    pub fn load(paths: Paths, overrides: Overrides) -> Result<Config> {
        let file = ConfigFile::load(&paths.config_file())?;
        Config::layer(paths, file, overrides)
    }

    /// Layers defaults < `file` < `overrides`.
    pub fn layer(paths: Paths, file: ConfigFile, overrides: Overrides) -> Result<Config> {
        let profile = overrides
            .profile
            .unwrap_or_else(|| match &file.default_profile {
                Some(p) => Setting::new(p.clone(), Origin::File),
                None => Setting::new(DEFAULT_PROFILE.to_owned(), Origin::Default),
            });
        let section = file
            .profiles
            .get(&profile.value)
            .cloned()
            .unwrap_or_default();
        fn pick<T>(over: Option<Setting<T>>, file: Option<T>, default: T) -> Setting<T> {
            over.unwrap_or_else(|| match file {
                Some(v) => Setting::new(v, Origin::File),
                None => Setting::new(default, Origin::Default),
            })
        }
        let default_server = Url::parse(DEFAULT_SERVER).expect("DEFAULT_SERVER is a URL");
        let server = pick(overrides.server, section.server, default_server);
        check_server(&server.value)?;
        let timeout = pick(
            overrides.timeout_seconds,
            section.timeout_seconds,
            DEFAULT_TIMEOUT_SECONDS,
        );
        if timeout.value == 0 {
            return Err(Error::config("timeout_seconds must be at least 1"));
        }
        Ok(Config {
            server,
            output: pick(overrides.output, section.output, OutputFormat::default()),
            timeout: Setting::new(Duration::from_secs(timeout.value), timeout.origin),
            credentials: pick(
                overrides.credentials,
                section.credentials,
                Backend::default(),
            ),
            profile,
            file,
            paths,
        })
    }
}

fn check_server(url: &Url) -> Result<()> {
    if matches!(url.scheme(), "http" | "https") && url.has_host() {
        Ok(())
    } else {
        Err(Error::config(format!(
            "server URL `{url}` must be an http:// or https:// URL with a host"
        )))
    }
}

/// Parses a server URL as users type it (`localhost:8080` becomes `http://localhost:8080/`).
///
/// Text without `://` gets `http://` in front, unless it starts with what can only be a
/// scheme (`htp:/x`, `https:host`): a port follows the colon of `host:port`, so anything
/// else there is a mistyped URL, refused rather than read as a host named `htp`.
pub fn parse_server_url(text: &str) -> Result<Url, String> {
    let with_scheme = if text.contains("://") {
        text.to_owned()
    } else if let Some(scheme) = mistyped_scheme(text) {
        return Err(format!(
            "invalid server URL `{text}`: `{scheme}:` is not followed by `//`; write it as \
             http://HOST[:PORT] or https://HOST[:PORT], such as http://127.0.0.1:8080"
        ));
    } else {
        format!("http://{text}")
    };
    let url = Url::parse(&with_scheme).map_err(|e| format!("invalid server URL `{text}`: {e}"))?;
    check_server(&url).map_err(|e| e.to_string())?;
    Ok(url)
}

/// The scheme-like prefix of `text` (before a colon) when what follows the colon cannot be a
/// port: `htp` for `htp:/x`, none for `localhost:8080` or `localhost`.
fn mistyped_scheme(text: &str) -> Option<&str> {
    let (before, after) = text.split_once(':')?;
    let looks_like_scheme = before.starts_with(|c: char| c.is_ascii_alphabetic())
        && before
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.'));
    let port = after.split(['/', '?', '#']).next().unwrap_or("");
    let is_port = !port.is_empty() && port.chars().all(|c| c.is_ascii_digit());
    (looks_like_scheme && !is_port).then_some(before)
}

/// A key that `cloudmaster config set` accepts: `default_profile`, a profile key (for the
/// current profile) or `profiles.NAME.KEY`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ConfigKey {
    DefaultProfile,
    Profile { profile: String, key: &'static str },
}

impl fmt::Display for ConfigKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ConfigKey::DefaultProfile => f.write_str("default_profile"),
            ConfigKey::Profile { profile, key } => write!(f, "profiles.{profile}.{key}"),
        }
    }
}

impl ConfigKey {
    /// Parses `key`; a bare profile key applies to `current_profile`.
    pub fn parse(key: &str, current_profile: &str) -> Result<ConfigKey> {
        let unknown = || {
            Error::config(format!(
                "unknown config key `{key}`: expected default_profile, {} or \
                 profiles.NAME.KEY",
                PROFILE_KEYS.join(", ")
            ))
        };
        let profile_key = |k: &str| PROFILE_KEYS.iter().copied().find(|p| *p == k);
        if key == "default_profile" {
            return Ok(ConfigKey::DefaultProfile);
        }
        if let Some(k) = profile_key(key) {
            return Ok(ConfigKey::Profile {
                profile: current_profile.to_owned(),
                key: k,
            });
        }
        let rest = key.strip_prefix("profiles.").ok_or_else(unknown)?;
        let (profile, k) = rest.rsplit_once('.').ok_or_else(unknown)?;
        let k = profile_key(k).ok_or_else(unknown)?;
        if profile.is_empty() {
            return Err(unknown());
        }
        Ok(ConfigKey::Profile {
            profile: profile.to_owned(),
            key: k,
        })
    }
}

/// Sets `key` to `value` in the TOML file at `path`, keeping its comments and layout, after
/// checking that the value is valid and the result still loads. The file is replaced
/// atomically. Returns the normalised value written.
pub fn set_value(path: &Path, key: &ConfigKey, value: &str) -> Result<String> {
    let text = match std::fs::read_to_string(path) {
        Ok(text) => text,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => String::new(),
        Err(e) => return Err(Error::io("cannot read", path, e)),
    };
    let mut doc: toml_edit::DocumentMut = text
        .parse()
        .map_err(|e| Error::config(format!("{}: {e}", path.display())))?;
    let item = typed_value(key, value)?;
    let written = match &item {
        toml_edit::Value::String(s) => s.value().clone(),
        other => other.to_string().trim().to_owned(),
    };
    match key {
        ConfigKey::DefaultProfile => doc["default_profile"] = toml_edit::value(item),
        ConfigKey::Profile { profile, key } => {
            let profiles = doc
                .entry("profiles")
                .or_insert_with(|| {
                    let mut t = toml_edit::Table::new();
                    t.set_implicit(true);
                    toml_edit::Item::Table(t)
                })
                .as_table_mut()
                .ok_or_else(|| Error::config("`profiles` in config.toml is not a table"))?;
            let section = profiles
                .entry(profile)
                .or_insert_with(toml_edit::table)
                .as_table_like_mut()
                .ok_or_else(|| Error::config(format!("`profiles.{profile}` is not a table")))?;
            section.insert(key, toml_edit::value(item));
        }
    }
    let new_text = doc.to_string();
    ConfigFile::parse(&new_text).map_err(Error::config)?;
    write_atomically(path, new_text.as_bytes())?;
    Ok(written)
}

fn typed_value(key: &ConfigKey, value: &str) -> Result<toml_edit::Value> {
    let bad = |e: String| Error::config(format!("invalid value for `{key}`: {e}"));
    Ok(match key {
        ConfigKey::DefaultProfile => value.into(),
        ConfigKey::Profile { key: name, .. } => match *name {
            "server" => parse_server_url(value).map_err(bad)?.as_str().into(),
            "output" => value.parse::<OutputFormat>().map_err(bad)?.as_str().into(),
            "credentials" => value.parse::<Backend>().map_err(bad)?.as_str().into(),
            "timeout_seconds" => {
                let n: i64 = value.parse().ok().filter(|n| *n >= 1).ok_or_else(|| {
                    bad(format!("`{value}` is not a whole number of seconds ≥ 1"))
                })?;
                n.into()
            }
            other => return Err(Error::config(format!("unknown profile key `{other}`"))),
        },
    })
}

/// Writes `bytes` to a temporary file next to `path` and renames it over `path`, so readers
/// see the old or the new file, never half of one. The file gets mode 0600 on Unix from the
/// moment it exists (tempfile creates it so).
pub(crate) fn write_atomically(path: &Path, bytes: &[u8]) -> Result<()> {
    use std::io::Write;
    let dir = path.parent().unwrap_or(Path::new("."));
    create_private_dir(dir)?;
    let mut tmp = tempfile::Builder::new()
        .prefix(".cloudmaster-")
        .tempfile_in(dir)
        .map_err(|e| Error::io("cannot create a file in", dir, e))?;
    tmp.write_all(bytes)
        .and_then(|()| tmp.as_file().sync_all())
        .map_err(|e| Error::io("cannot write", tmp.path().to_owned(), e))?;
    tmp.persist(path)
        .map_err(|e| Error::io("cannot write", path, e.error))?;
    Ok(())
}

/// Creates `dir` (and parents); a directory this creates is private to the user (0700).
pub(crate) fn create_private_dir(dir: &Path) -> Result<()> {
    if dir.is_dir() {
        return Ok(());
    }
    let mut builder = std::fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    std::os::unix::fs::DirBuilderExt::mode(&mut builder, 0o700);
    builder
        .create(dir)
        .map_err(|e| Error::io("cannot create folder", dir, e))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env(pairs: &[(&str, &str)]) -> impl Fn(&str) -> Option<OsString> {
        let pairs: Vec<(String, String)> = pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect();
        move |key| pairs.iter().find(|(k, _)| k == key).map(|(_, v)| v.into())
    }

    #[test]
    fn server_urls_as_typed() {
        let ok = |text: &str| parse_server_url(text).unwrap().to_string();
        assert_eq!(ok("localhost:8080"), "http://localhost:8080/");
        assert_eq!(ok("127.0.0.1:8080/base"), "http://127.0.0.1:8080/base");
        assert_eq!(ok("cm.example"), "http://cm.example/");
        assert_eq!(ok("https://cm.example"), "https://cm.example/");
        for typo in [
            "htp:/x",
            "http:/x",
            "https:cm.example",
            "htp://x",
            "ftp://x",
        ] {
            let err = parse_server_url(typo).unwrap_err();
            assert!(
                err.contains(typo) || err.contains("http://"),
                "{typo}: {err}"
            );
        }
        let err = parse_server_url("htp:/x").unwrap_err();
        assert!(err.contains("`htp:` is not followed by `//`"), "{err}");
    }

    #[test]
    fn xdg_variables_win_over_home() {
        let paths = Paths::from_lookup(
            env(&[
                ("XDG_CONFIG_HOME", "/x/conf"),
                ("XDG_STATE_HOME", "relative"),
            ]),
            Some("/home/a".into()),
        )
        .unwrap();
        assert_eq!(paths.config_dir, PathBuf::from("/x/conf/cloudmaster"));
        assert_eq!(
            paths.data_dir,
            PathBuf::from("/home/a/.local/share/cloudmaster")
        );
        // A relative XDG value is ignored.
        assert_eq!(
            paths.state_dir,
            PathBuf::from("/home/a/.local/state/cloudmaster")
        );
        assert!(Paths::from_lookup(env(&[]), None).is_err());
    }

    #[test]
    fn layers_defaults_file_and_overrides() {
        let file = ConfigFile::parse(
            "default_profile = \"work\"\n[profiles.work]\nserver = \"https://cm.example/\"\noutput = \"json\"\n",
        )
        .unwrap();
        let paths = Paths::under(Path::new("/t"));
        let config = Config::layer(paths.clone(), file.clone(), Overrides::default()).unwrap();
        assert_eq!(
            config.profile,
            Setting::new("work".to_owned(), Origin::File)
        );
        assert_eq!(config.server.value.as_str(), "https://cm.example/");
        assert_eq!(
            config.output,
            Setting::new(OutputFormat::Json, Origin::File)
        );
        assert_eq!(config.timeout.origin, Origin::Default);

        let overrides = Overrides {
            output: Some(Setting::new(OutputFormat::Yaml, Origin::Flag)),
            profile: Some(Setting::new("other".to_owned(), Origin::Env)),
            ..Overrides::default()
        };
        let config = Config::layer(paths, file, overrides).unwrap();
        assert_eq!(config.output.value, OutputFormat::Yaml);
        assert_eq!(config.server.value.as_str(), DEFAULT_SERVER);
    }

    #[test]
    fn unknown_keys_are_errors_with_a_position() {
        let err = ConfigFile::parse("[profiles.default]\nsevrer = \"x\"\n").unwrap_err();
        assert!(err.contains("line 2"), "{err}");
        assert!(err.contains("sevrer"), "{err}");
    }

    #[test]
    fn config_keys() {
        assert_eq!(
            ConfigKey::parse("server", "p").unwrap().to_string(),
            "profiles.p.server"
        );
        assert_eq!(
            ConfigKey::parse("profiles.ci.prod.output", "p")
                .unwrap()
                .to_string(),
            "profiles.ci.prod.output"
        );
        assert!(ConfigKey::parse("profiles.x.colour", "p").is_err());
        assert!(ConfigKey::parse("nope", "p").is_err());
    }

    #[test]
    fn set_value_keeps_comments_and_validates() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("config.toml");
        std::fs::write(&path, "# mine\n[profiles.default]\noutput = \"json\"\n").unwrap();
        let key = ConfigKey::parse("server", "default").unwrap();
        assert_eq!(
            set_value(&path, &key, "localhost:9000").unwrap(),
            "http://localhost:9000/"
        );
        let key = ConfigKey::parse("profiles.ci.timeout_seconds", "default").unwrap();
        set_value(&path, &key, "5").unwrap();
        let text = std::fs::read_to_string(&path).unwrap();
        assert!(text.starts_with("# mine\n"), "{text}");
        let file = ConfigFile::parse(&text).unwrap();
        assert_eq!(file.profiles["default"].output, Some(OutputFormat::Json));
        assert_eq!(
            file.profiles["default"].server.as_ref().unwrap().as_str(),
            "http://localhost:9000/"
        );
        assert_eq!(file.profiles["ci"].timeout_seconds, Some(5));
        let key = ConfigKey::parse("output", "default").unwrap();
        assert!(set_value(&path, &key, "xml").is_err());
    }
}
