//! The tutor's conversations and the tokens each learner's answers used per day.

use async_trait::async_trait;
use cloudmaster_core::api::{Conversation, ConversationSummary, TutorMessage};
use uuid::Uuid;

use super::StoreResult;

/// A question and its answer, saved together once the answer ended (however it ended).
#[derive(Debug)]
pub struct TutorTurn<'a> {
    pub user_id: Uuid,
    /// Created by its first turn.
    pub conversation_id: Uuid,
    pub course_id: Option<&'a str>,
    /// The title of a new conversation.
    pub title: &'a str,
    pub question: &'a TutorMessage,
    pub answer: &'a TutorMessage,
    /// Tokens the answer used, added to the learner's usage on `day`.
    pub tokens: u64,
    /// Days since 1970-01-01, UTC.
    pub day: i32,
}

#[async_trait]
pub trait TutorStore: Send + Sync {
    /// Saves a turn in one transaction: the conversation (created by its first turn, its
    /// course and title then fixed), both messages, and the tokens on the learner's day.
    /// `NotFound` when the conversation exists but is another user's.
    async fn save_tutor_turn(&self, turn: TutorTurn<'_>) -> StoreResult<()>;

    /// The user's conversations, most recently active first.
    async fn tutor_conversations(&self, user_id: Uuid) -> StoreResult<Vec<ConversationSummary>>;

    /// One of the user's conversations with its messages in order; `None` when there is no
    /// such conversation of theirs.
    async fn tutor_conversation(
        &self,
        user_id: Uuid,
        id: Uuid,
    ) -> StoreResult<Option<Conversation>>;

    /// Deletes one of the user's conversations (or all of them when `id` is `None`) with
    /// their messages; returns how many went. The day's token usage stays: deleting a
    /// conversation does not give its tokens back.
    async fn delete_tutor_conversations(&self, user_id: Uuid, id: Option<Uuid>)
    -> StoreResult<u64>;

    /// Tokens the user's answers used on `day` (days since 1970-01-01, UTC).
    async fn tutor_tokens(&self, user_id: Uuid, day: i32) -> StoreResult<u64>;
}
