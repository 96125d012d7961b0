//! The AI tutor (PRODUCT.md §8): a question with its context, the answer streamed back as
//! server-sent [`TutorEvent`]s, the learner's conversations and their daily token budget.

use serde::{Deserialize, Serialize};
use time::OffsetDateTime;
use utoipa::ToSchema;
use uuid::Uuid;

/// The longest question the tutor takes, in bytes.
pub const MAX_QUESTION_BYTES: usize = 4_000;
/// The longest check output a question may carry, in bytes (the tail is kept).
pub const MAX_CHECK_OUTPUT_BYTES: usize = 4_000;

/// `POST /tutor/ask`: a question and where the learner is. Every field but `question` is
/// optional; what is given is checked against the learner's own enrollments, sessions and
/// attempts on the server, so a client cannot widen what the tutor sees.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct TutorQuestion {
    pub question: String,
    /// The course the question is about; without it, every course the learner is enrolled in.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub course: Option<String>,
    /// The lesson the learner is reading.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lesson: Option<String>,
    /// The learner's lab session, when the question is about a lab.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lab_session: Option<Uuid>,
    /// What the last failed check of the current lab step printed (the tail is kept).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub check_output: Option<String>,
    /// Continue this conversation (its last turns are the model's memory); a new one
    /// otherwise.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub conversation: Option<Uuid>,
}

/// Where a passage of a cited source comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum SourceKind {
    Lesson,
    /// A lab step's instructions.
    Lab,
    /// The explanation of a question the learner has answered.
    Explanation,
}

/// A cited passage. `reference` is what the CLI and TUI open:
/// `course/lesson#heading-anchor` for a lesson section, `course/lab/step` for a lab step and
/// `course/question/id` for a question's explanation.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct Citation {
    /// 1-based; the answer refers to it as `[n]`.
    pub number: u32,
    pub reference: String,
    pub kind: SourceKind,
    pub course: String,
    /// The lesson, lab or question id.
    pub item: String,
    /// The section's heading, when the passage is one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub heading: Option<String>,
    /// The lesson's (or lab step's) title.
    pub title: String,
    /// The start of the passage, for display.
    pub excerpt: String,
}

/// How the answer is made.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(tag = "mode", rename_all = "snake_case")]
pub enum TutorMode {
    /// A language model wrote the answer from the cited passages.
    Model { provider: String, model: String },
    /// No model is configured: the answer is the best passages, said to be retrieval only.
    Retrieval,
    /// The tutor declined without asking a model (a timed exam is in progress).
    Declined,
}

/// Tokens an answer used, from the provider's own usage figures when it gave them.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct TutorUsage {
    pub prompt_tokens: u32,
    pub completion_tokens: u32,
    /// The provider gave no usage (a cancelled stream): the figures are estimated from the
    /// text, about four bytes a token.
    #[serde(default)]
    pub estimated: bool,
}

impl TutorUsage {
    pub fn total(&self) -> u64 {
        u64::from(self.prompt_tokens) + u64::from(self.completion_tokens)
    }
}

/// Why an answer ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum FinishReason {
    /// The model finished.
    Stop,
    /// The answer reached the tutor's length limit.
    Length,
    /// The client went away; what arrived until then is kept.
    Cancelled,
}

/// One server-sent event of `POST /tutor/ask` (the SSE `event` is the `type`, the `data`
/// this JSON). A stream is `start`, any number of `delta`s, then `done` or `error`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum TutorEvent {
    Start {
        conversation: Uuid,
        #[serde(flatten)]
        mode: TutorMode,
        citations: Vec<Citation>,
    },
    /// The next piece of the answer's text.
    Delta { text: String },
    Done {
        /// The stored answer (in the conversation's history).
        message: Uuid,
        finish: FinishReason,
        usage: TutorUsage,
    },
    /// The answer failed after it began: `code` is `provider_timeout`, `provider_error`,
    /// `refused` or `malformed_stream`; `message` says what happened, for the learner.
    Error { code: String, message: String },
}

impl TutorEvent {
    /// The SSE event name.
    pub fn name(&self) -> &'static str {
        match self {
            TutorEvent::Start { .. } => "start",
            TutorEvent::Delta { .. } => "delta",
            TutorEvent::Done { .. } => "done",
            TutorEvent::Error { .. } => "error",
        }
    }
}

/// Who wrote a message of a conversation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum TutorRole {
    Learner,
    Tutor,
}

impl TutorRole {
    pub fn as_str(self) -> &'static str {
        match self {
            TutorRole::Learner => "learner",
            TutorRole::Tutor => "tutor",
        }
    }

    pub fn parse(s: &str) -> Option<TutorRole> {
        match s {
            "learner" => Some(TutorRole::Learner),
            "tutor" => Some(TutorRole::Tutor),
            _ => None,
        }
    }
}

/// One message of a conversation.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct TutorMessage {
    pub id: Uuid,
    pub role: TutorRole,
    pub text: String,
    #[serde(default)]
    pub citations: Vec<Citation>,
    #[serde(with = "time::serde::rfc3339")]
    #[schema(value_type = String, format = DateTime)]
    pub created_at: OffsetDateTime,
}

/// A conversation without its messages (`GET /tutor/conversations`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct ConversationSummary {
    pub id: Uuid,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub course: Option<String>,
    /// The first question, shortened.
    pub title: String,
    /// How many messages it holds (questions and answers).
    pub message_count: u32,
    #[serde(with = "time::serde::rfc3339")]
    #[schema(value_type = String, format = DateTime)]
    pub created_at: OffsetDateTime,
    #[serde(with = "time::serde::rfc3339")]
    #[schema(value_type = String, format = DateTime)]
    pub updated_at: OffsetDateTime,
}

/// `GET /tutor/conversations/{id}`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct Conversation {
    #[serde(flatten)]
    pub summary: ConversationSummary,
    pub messages: Vec<TutorMessage>,
}

/// `GET /tutor/budget`: the learner's tokens today (UTC).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct TutorBudget {
    pub used_tokens: u64,
    pub daily_tokens: u64,
    #[serde(with = "time::serde::rfc3339")]
    #[schema(value_type = String, format = DateTime)]
    pub resets_at: OffsetDateTime,
}
