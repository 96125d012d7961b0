//! What the server is told about the tutor: which model provider answers, where, with which
//! model, its timeouts, and each tier's daily token budget. The provider's key comes from the
//! environment or a file, never a flag (flags show in `ps`).

use std::path::PathBuf;
use std::time::Duration;

use cloudmaster_core::api::Tier;
use secrecy::SecretString;
use url::Url;

/// The environment variable holding the provider's API key (else `--tutor-api-key-file`).
pub const TUTOR_API_KEY_ENV: &str = "CLOUDMASTER_TUTOR_API_KEY";

/// Which model provider answers the tutor's questions.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum ProviderKind {
    /// No model: the tutor answers with the best-matching passages, retrieval only.
    None,
    /// Any OpenAI-compatible chat completions API: OpenAI, Ollama, vLLM, llama.cpp's server,
    /// LM Studio.
    Openai,
    /// Anthropic's Messages API.
    Anthropic,
}

#[derive(Debug, Clone, clap::Args)]
pub struct TutorConfig {
    /// The tutor's model provider.
    #[arg(long, global = true, env = "CLOUDMASTER_TUTOR_PROVIDER", value_enum,
        default_value_t = ProviderKind::None)]
    pub tutor_provider: ProviderKind,

    /// The provider's API base URL [default: https://api.openai.com/v1 or
    /// https://api.anthropic.com/v1; Ollama is http://localhost:11434/v1]
    #[arg(
        long,
        global = true,
        env = "CLOUDMASTER_TUTOR_BASE_URL",
        value_name = "URL"
    )]
    pub tutor_base_url: Option<Url>,

    /// The model to ask (required with a provider), such as `gpt-4o-mini`,
    /// `claude-sonnet-4-5` or `llama3.2`.
    #[arg(
        long,
        global = true,
        env = "CLOUDMASTER_TUTOR_MODEL",
        value_name = "MODEL"
    )]
    pub tutor_model: Option<String>,

    /// File holding the provider's API key (else CLOUDMASTER_TUTOR_API_KEY; local servers
    /// such as Ollama need none).
    #[arg(
        long,
        global = true,
        env = "CLOUDMASTER_TUTOR_API_KEY_FILE",
        value_name = "FILE"
    )]
    pub tutor_api_key_file: Option<PathBuf>,

    /// Seconds to wait for the provider's first token, and between two tokens, before the
    /// answer fails with `provider_timeout`.
    #[arg(long, global = true, env = "CLOUDMASTER_TUTOR_TIMEOUT_SECS", default_value_t = 30,
        value_parser = clap::value_parser!(u64).range(1..))]
    pub tutor_timeout_secs: u64,

    /// The longest answer, in tokens.
    #[arg(long, global = true, env = "CLOUDMASTER_TUTOR_MAX_ANSWER_TOKENS", default_value_t = 800,
        value_parser = clap::value_parser!(u32).range(16..))]
    pub tutor_max_answer_tokens: u32,

    /// Tokens (question and answer, as the provider counts them) a free learner may use per
    /// UTC day.
    #[arg(
        long,
        global = true,
        env = "CLOUDMASTER_TUTOR_DAILY_TOKENS_FREE",
        default_value_t = 20_000
    )]
    pub tutor_daily_tokens_free: u64,

    /// Tokens a premium learner may use per UTC day.
    #[arg(
        long,
        global = true,
        env = "CLOUDMASTER_TUTOR_DAILY_TOKENS_PREMIUM",
        default_value_t = 200_000
    )]
    pub tutor_daily_tokens_premium: u64,
}

impl Default for TutorConfig {
    fn default() -> Self {
        TutorConfig {
            tutor_provider: ProviderKind::None,
            tutor_base_url: None,
            tutor_model: None,
            tutor_api_key_file: None,
            tutor_timeout_secs: 30,
            tutor_max_answer_tokens: 800,
            tutor_daily_tokens_free: 20_000,
            tutor_daily_tokens_premium: 200_000,
        }
    }
}

/// Why the tutor's configuration cannot be used.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct TutorConfigError(pub String);

impl TutorConfig {
    pub fn timeout(&self) -> Duration {
        Duration::from_secs(self.tutor_timeout_secs)
    }

    /// The daily budget of a learner of `tier`.
    pub fn daily_tokens(&self, tier: Tier) -> u64 {
        match tier {
            Tier::Free => self.tutor_daily_tokens_free,
            Tier::Premium => self.tutor_daily_tokens_premium,
        }
    }

    /// The base URL in force: the flag, else the provider's public API.
    pub fn base_url(&self) -> Result<Url, TutorConfigError> {
        if let Some(url) = &self.tutor_base_url {
            return Ok(url.clone());
        }
        let default = match self.tutor_provider {
            ProviderKind::Anthropic => "https://api.anthropic.com/v1",
            _ => "https://api.openai.com/v1",
        };
        Url::parse(default).map_err(|e| TutorConfigError(e.to_string()))
    }

    /// The model, which a provider needs.
    pub fn model(&self) -> Result<String, TutorConfigError> {
        self.tutor_model.clone().ok_or_else(|| {
            TutorConfigError(
                "--tutor-provider needs --tutor-model (or CLOUDMASTER_TUTOR_MODEL): the model to ask, such as gpt-4o-mini"
                    .to_owned(),
            )
        })
    }

    /// The API key: the file's first line, else the environment variable, else none (a
    /// local server needs none; a hosted one answers 401, reported as such).
    pub fn api_key(&self) -> Result<Option<SecretString>, TutorConfigError> {
        let text = match &self.tutor_api_key_file {
            Some(path) => std::fs::read_to_string(path).map_err(|e| {
                TutorConfigError(format!(
                    "cannot read --tutor-api-key-file {}: {e}",
                    path.display()
                ))
            })?,
            None => std::env::var(TUTOR_API_KEY_ENV).unwrap_or_default(),
        };
        let key = text.lines().next().unwrap_or("").trim();
        Ok((!key.is_empty()).then(|| SecretString::from(key.to_owned())))
    }
}
