//! The AI tutor (PRODUCT.md §8): answers grounded in the learner's courses, with citations,
//! streamed from a model provider (or, with none configured, the best passages themselves),
//! within a daily token budget per tier. See `docs/tutor.md`.
//!
//! - [`retrieval`]: the passages of a course and their ranking for a question;
//! - [`context`]: what the tutor may know of the learner's situation, decided on the server;
//! - [`prompt`]: what the model receives;
//! - [`provider`]: OpenAI-compatible and Anthropic streaming;
//! - [`answer`]: one question, from its checks to the saved answer;
//! - [`budget`]: tokens per tier per day.

pub mod answer;
pub mod budget;
pub mod config;
pub mod context;
pub mod prompt;
pub mod provider;
pub mod retrieval;

use config::{TutorConfig, TutorConfigError};
use provider::Provider;
use retrieval::IndexCache;

/// The tutor's long-lived parts: the provider (with its connection pool) and the indexes.
pub struct Tutor {
    provider: Option<Provider>,
    indexes: IndexCache,
}

impl Tutor {
    pub fn from_config(config: &TutorConfig) -> Result<Tutor, TutorConfigError> {
        let provider = Provider::from_config(config)?;
        if let Some(p) = &provider {
            tracing::info!(provider = p.name(), model = p.model(), base_url = %p.base_url(), "tutor model provider");
        }
        Ok(Tutor {
            provider,
            indexes: IndexCache::default(),
        })
    }

    /// `None` when the tutor answers retrieval only.
    pub fn provider(&self) -> Option<&Provider> {
        self.provider.as_ref()
    }

    pub fn indexes(&self) -> &IndexCache {
        &self.indexes
    }
}
