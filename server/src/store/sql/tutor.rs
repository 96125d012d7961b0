//! [`TutorStore`](crate::store::TutorStore), shared by both backends.

use async_trait::async_trait;
use cloudmaster_core::api::{Citation, Conversation, ConversationSummary, TutorMessage, TutorRole};
use sqlx::types::Json;
use uuid::Uuid;

use super::Backend;
use crate::store::{StoreError, StoreResult, Timestamp, TutorStore, TutorTurn};

#[derive(sqlx::FromRow)]
struct ConversationRow {
    id: Uuid,
    course_id: Option<String>,
    title: String,
    messages: i32,
    created_at: Timestamp,
    updated_at: Timestamp,
}

impl From<ConversationRow> for ConversationSummary {
    fn from(row: ConversationRow) -> Self {
        ConversationSummary {
            id: row.id,
            course: row.course_id,
            title: row.title,
            message_count: u32::try_from(row.messages).unwrap_or(0),
            created_at: row.created_at.get(),
            updated_at: row.updated_at.get(),
        }
    }
}

#[async_trait]
impl TutorStore for Backend {
    async fn save_tutor_turn(&self, turn: TutorTurn<'_>) -> StoreResult<()> {
        let mut tx = self.begin_write().await?;
        let now = Timestamp::new(turn.answer.created_at);
        // The conditional upsert both creates the conversation and refuses another user's:
        // no row comes back when the id is taken by someone else.
        let messages: Option<(i32,)> = sqlx::query_as(
            "INSERT INTO tutor_conversations \
                 (id, user_id, course_id, title, messages, created_at, updated_at) \
             VALUES ($1, $2, $3, $4, 2, $5, $5) \
             ON CONFLICT (id) DO UPDATE \
                 SET messages = tutor_conversations.messages + 2, updated_at = $5 \
                 WHERE tutor_conversations.user_id = $2 \
             RETURNING messages",
        )
        .bind(turn.conversation_id)
        .bind(turn.user_id)
        .bind(turn.course_id)
        .bind(turn.title)
        .bind(now)
        .fetch_optional(&mut *tx)
        .await?;
        let Some((messages,)) = messages else {
            return Err(StoreError::NotFound("conversation".to_owned()));
        };
        for (seq, message) in [(messages - 2, turn.question), (messages - 1, turn.answer)] {
            sqlx::query(
                "INSERT INTO tutor_messages \
                     (id, conversation_id, seq, role, body, citations, created_at) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7)",
            )
            .bind(message.id)
            .bind(turn.conversation_id)
            .bind(seq)
            .bind(message.role.as_str())
            .bind(&message.text)
            .bind(Json(&message.citations))
            .bind(Timestamp::new(message.created_at))
            .execute(&mut *tx)
            .await?;
        }
        sqlx::query(
            "INSERT INTO tutor_usage (user_id, day, tokens) VALUES ($1, $2, $3) \
             ON CONFLICT (user_id, day) DO UPDATE SET tokens = tutor_usage.tokens + excluded.tokens",
        )
        .bind(turn.user_id)
        .bind(turn.day)
        .bind(i64::try_from(turn.tokens).unwrap_or(i64::MAX))
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(())
    }

    async fn tutor_conversations(&self, user_id: Uuid) -> StoreResult<Vec<ConversationSummary>> {
        let rows: Vec<ConversationRow> = sqlx::query_as(
            "SELECT id, course_id, title, messages, created_at, updated_at \
             FROM tutor_conversations WHERE user_id = $1 ORDER BY updated_at DESC, id",
        )
        .bind(user_id)
        .fetch_all(&self.reader)
        .await?;
        Ok(rows.into_iter().map(Into::into).collect())
    }

    async fn tutor_conversation(
        &self,
        user_id: Uuid,
        id: Uuid,
    ) -> StoreResult<Option<Conversation>> {
        let row: Option<ConversationRow> = sqlx::query_as(
            "SELECT id, course_id, title, messages, created_at, updated_at \
             FROM tutor_conversations WHERE id = $1 AND user_id = $2",
        )
        .bind(id)
        .bind(user_id)
        .fetch_optional(&self.reader)
        .await?;
        let Some(row) = row else {
            return Ok(None);
        };
        let rows: Vec<(Uuid, String, String, Json<Vec<Citation>>, Timestamp)> = sqlx::query_as(
            "SELECT id, role, body, citations, created_at FROM tutor_messages \
             WHERE conversation_id = $1 ORDER BY seq",
        )
        .bind(id)
        .fetch_all(&self.reader)
        .await?;
        let messages = rows
            .into_iter()
            .map(|(id, role, text, citations, created_at)| {
                Ok(TutorMessage {
                    id,
                    role: TutorRole::parse(&role).ok_or_else(|| {
                        StoreError::Corrupt(format!("tutor message role `{role}`"))
                    })?,
                    text,
                    citations: citations.0,
                    created_at: created_at.get(),
                })
            })
            .collect::<StoreResult<_>>()?;
        Ok(Some(Conversation {
            summary: row.into(),
            messages,
        }))
    }

    async fn delete_tutor_conversations(
        &self,
        user_id: Uuid,
        id: Option<Uuid>,
    ) -> StoreResult<u64> {
        let done = sqlx::query(
            "DELETE FROM tutor_conversations WHERE user_id = $1 AND ($2 IS NULL OR id = $2)",
        )
        .bind(user_id)
        .bind(id)
        .execute(&self.writer)
        .await?;
        Ok(done.rows_affected())
    }

    async fn tutor_tokens(&self, user_id: Uuid, day: i32) -> StoreResult<u64> {
        let tokens: Option<(i64,)> =
            sqlx::query_as("SELECT tokens FROM tutor_usage WHERE user_id = $1 AND day = $2")
                .bind(user_id)
                .bind(day)
                .fetch_optional(&self.reader)
                .await?;
        Ok(tokens.map_or(0, |(t,)| u64::try_from(t).unwrap_or(0)))
    }
}
