//! [`Context`]: what every command runs with, built once per invocation from the global
//! options, the environment and `config.toml` — the configuration, the credential store, the
//! HTTP client (made on first use, so offline commands never touch the keyring) and how to
//! print.

use std::sync::{Arc, OnceLock};

use anyhow::Context as _;
use clap::ArgMatches;
use clap::parser::ValueSource;
use cloudmaster_core::Client;
use cloudmaster_core::api::TokenPair;
use cloudmaster_core::config::{
    Config, ConfigFile, Origin, OutputFormat, Overrides, Paths, Setting,
};
use cloudmaster_core::credentials::{self, Backend, Credential, CredentialStore, Key};

use crate::cli::GlobalArgs;
use crate::exit::{Exit, fail};

/// Settings that only come from the environment (never flags: a token in argv would be
/// visible to every user of the machine). Read once, in [`crate::commands::run`].
#[derive(Default)]
pub struct Env {
    /// `CLOUDMASTER_TOKEN`.
    pub token: Option<String>,
    /// `CLOUDMASTER_CREDENTIALS`.
    pub credentials: Option<String>,
    /// `CLOUDMASTER_TIMEOUT`.
    pub timeout: Option<String>,
}

impl Env {
    pub fn from_process() -> Env {
        let var = |name| std::env::var(name).ok().filter(|v| !v.is_empty());
        Env {
            token: var("CLOUDMASTER_TOKEN"),
            credentials: var("CLOUDMASTER_CREDENTIALS"),
            timeout: var("CLOUDMASTER_TIMEOUT"),
        }
    }
}

/// Everything a command needs. See the module documentation.
pub struct Context {
    pub config: Config,
    pub output: OutputFormat,
    pub quiet: bool,
    pub yes: bool,
    /// Colour on stdout / stderr.
    pub color: bool,
    pub stderr_color: bool,
    env_token: Option<Credential>,
    store: Arc<dyn CredentialStore>,
    client: OnceLock<Client>,
}

impl Context {
    /// Builds the context. With `lenient`, an unreadable `config.toml` is reported as a
    /// warning and ignored (so `config set` and `doctor` can still help fix it).
    pub fn new(
        global: &GlobalArgs,
        matches: &ArgMatches,
        env: Env,
        lenient: bool,
    ) -> anyhow::Result<Context> {
        let paths = Paths::from_env()?;
        let origin = |id: &str| match matches.value_source(id) {
            Some(ValueSource::EnvVariable) => Origin::Env,
            _ => Origin::Flag,
        };
        let credentials = env
            .credentials
            .map(|v| v.parse::<Backend>())
            .transpose()
            .map_err(|e| fail(Exit::Usage, format!("CLOUDMASTER_CREDENTIALS: {e}")))?;
        let timeout = env
            .timeout
            .map(|v| v.parse::<u64>().ok().filter(|n| *n > 0).ok_or(v))
            .transpose()
            .map_err(|v| {
                fail(
                    Exit::Usage,
                    format!("CLOUDMASTER_TIMEOUT: `{v}` is not a whole number of seconds ≥ 1"),
                )
            })?;
        let overrides = Overrides {
            profile: global
                .profile
                .clone()
                .map(|p| Setting::new(p, origin("profile"))),
            server: global
                .server
                .clone()
                .map(|s| Setting::new(s, origin("server"))),
            output: global
                .output
                .map(|o| Setting::new(o.into(), origin("output"))),
            timeout_seconds: timeout.map(|t| Setting::new(t, Origin::Env)),
            credentials: credentials.map(|c| Setting::new(c, Origin::Env)),
        };
        let file = match ConfigFile::load(&paths.config_file()) {
            Ok(file) => file,
            Err(e) if lenient => {
                eprintln!("warning: {e}; ignoring the file");
                ConfigFile::default()
            }
            Err(e) => return Err(e.into()),
        };
        let config = Config::layer(paths, file, overrides)?;
        let quiet = global.quiet;
        let stderr_color = global.stderr_color();
        let notice = Box::new(move |message: &str| {
            if !quiet {
                eprintln!(
                    "{}",
                    paint(stderr_color, note_style(), "note:") + " " + message
                );
            }
        });
        let store: Arc<dyn CredentialStore> = Arc::from(credentials::open(
            config.credentials.value,
            &config.paths,
            notice,
        ));
        Ok(Context {
            output: config.output.value,
            quiet,
            yes: global.yes,
            color: global.stdout_color(),
            stderr_color,
            env_token: env.token.map(Credential::token),
            store,
            client: OnceLock::new(),
            config,
        })
    }

    /// The key credentials are stored under: this profile on this server.
    pub fn key(&self) -> Key {
        Key::new(self.config.profile.value.clone(), &self.config.server.value)
    }

    pub fn store(&self) -> &dyn CredentialStore {
        &*self.store
    }

    /// Whether `CLOUDMASTER_TOKEN` is in force (it overrides stored credentials).
    pub fn token_from_env(&self) -> bool {
        self.env_token.is_some()
    }

    /// The credential requests use: `CLOUDMASTER_TOKEN`, else the stored one.
    pub fn credential(&self) -> Option<Credential> {
        if let Some(token) = &self.env_token {
            return Some(token.clone());
        }
        match self.store.load(&self.key()) {
            Ok(credential) => credential,
            Err(e) => {
                self.warn(&format!("cannot read stored credentials: {e}"));
                None
            }
        }
    }

    /// The client for the configured server, made on first use. A refreshed session is
    /// saved back to the store.
    pub fn client(&self) -> anyhow::Result<&Client> {
        if let Some(client) = self.client.get() {
            return Ok(client);
        }
        let credential = self.credential();
        let client = Client::with_timeout(
            self.config.server.value.clone(),
            credential,
            self.config.timeout.value,
        )?;
        if !self.token_from_env() {
            let store = self.store.clone();
            let key = self.key();
            client.on_refresh(move |credential| store.save(&key, credential));
        }
        match cloudmaster_core::device::token(&self.config.paths.data_dir, client.base_url()) {
            Ok(token) => client.set_device_token(Some(token)),
            Err(e) => self.warn(&format!(
                "cannot read this device's token ({e}); logins will not be recognised as \
                 coming from a known device"
            )),
        }
        Ok(self.client.get_or_init(|| client))
    }

    /// Stores the session of a login and uses it from then on.
    pub fn save_session(&self, pair: &TokenPair) -> anyhow::Result<()> {
        let credential = Credential::from_pair(pair);
        self.store
            .save(&self.key(), &credential)
            .context("cannot store the session")?;
        self.client()?.set_credential(Some(credential));
        Ok(())
    }

    /// A line on stderr, unless `--quiet`.
    pub fn notice(&self, message: &str) {
        if !self.quiet {
            eprintln!("{message}");
        }
    }

    /// A warning on stderr (printed even with `--quiet`).
    pub fn warn(&self, message: &str) {
        eprintln!(
            "{} {message}",
            paint(
                self.stderr_color,
                anstyle::AnsiColor::Yellow.on_default().bold(),
                "warning:"
            )
        );
    }
}

fn note_style() -> anstyle::Style {
    anstyle::AnsiColor::Cyan.on_default().bold()
}

/// `text` in `style` when `color` is on.
pub fn paint(color: bool, style: anstyle::Style, text: &str) -> String {
    if color {
        format!("{style}{text}{style:#}")
    } else {
        text.to_owned()
    }
}
