//! The outbox of mail the server sends (delivery is `crate::mail`).

use async_trait::async_trait;
use time::OffsetDateTime;
use uuid::Uuid;

use super::StoreResult;
use crate::mail::{NewMail, QueuedMail};

#[async_trait]
pub trait MailStore: Send + Sync {
    /// Queues a message on its own (messages caused by another write are queued in that
    /// write's transaction, such as [`super::PasswordResetStore::create_password_reset`]).
    async fn queue_mail(&self, mail: NewMail) -> StoreResult<()>;

    /// Claims up to `limit` messages due at `now`, oldest first, counting an attempt on each
    /// and holding it until `lease_until`: a sender that dies mid-way leaves the message due
    /// again then, and other senders (replicas) skip it meanwhile.
    async fn claim_due_mail(
        &self,
        now: OffsetDateTime,
        lease_until: OffsetDateTime,
        limit: u32,
    ) -> StoreResult<Vec<QueuedMail>>;

    /// Marks a message sent and forgets its body.
    async fn mail_sent(&self, id: Uuid, now: OffsetDateTime) -> StoreResult<()>;

    /// Records a failed attempt: the message is due again at `retry_at`, or, when None,
    /// given up on at `now` (its body forgotten).
    async fn mail_failed(
        &self,
        id: Uuid,
        error: &str,
        retry_at: Option<OffsetDateTime>,
        now: OffsetDateTime,
    ) -> StoreResult<()>;

    /// Forgets messages created before `before` that were sent or given up on.
    async fn prune_mail(&self, before: OffsetDateTime) -> StoreResult<u64>;
}
