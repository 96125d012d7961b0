//! [`SubscriptionStore`](crate::store::SubscriptionStore), shared by both backends.

use async_trait::async_trait;
use cloudmaster_core::api::{Money, PaymentState, Subscription, SubscriptionStatus};
use time::OffsetDateTime;
use uuid::Uuid;

use super::Backend;
use super::billing::{add_history, expire, first_time};
use crate::billing::records::{EventMark, RenewalOutcome, SubscriptionRecord};
use crate::store::{StoreError, StoreResult, SubscriptionStore, Timestamp};

#[derive(sqlx::FromRow)]
struct SubscriptionRow {
    id: Uuid,
    user_id: Uuid,
    plan_id: String,
    status: String,
    provider: String,
    provider_ref: String,
    payment_method: Option<String>,
    currency: String,
    amount: i64,
    current_period_end: Timestamp,
    cancel_at: Option<Timestamp>,
    grace_until: Option<Timestamp>,
    next_retry_at: Option<Timestamp>,
    created_at: Timestamp,
}

/// The columns of [`SubscriptionRow`], as one string literal.
macro_rules! subscription_columns {
    () => {
        "id, user_id, plan_id, status, provider, provider_ref, payment_method, currency, amount, \
         current_period_end, cancel_at, grace_until, next_retry_at, created_at"
    };
}

fn subscription(row: SubscriptionRow) -> StoreResult<SubscriptionRecord> {
    Ok(SubscriptionRecord {
        subscription: Subscription {
            id: row.id,
            plan_id: row.plan_id,
            status: SubscriptionStatus::parse(&row.status).ok_or_else(|| {
                StoreError::Corrupt(format!("subscription status `{}`", row.status))
            })?,
            current_period_end: row.current_period_end.get(),
            cancel_at: row.cancel_at.map(Timestamp::get),
            grace_until: row.grace_until.map(Timestamp::get),
            provider: row.provider,
            created_at: row.created_at.get(),
        },
        user_id: row.user_id,
        provider_ref: row.provider_ref,
        payment_method: row.payment_method,
        price: Money {
            amount: row.amount,
            currency: row.currency,
        },
        next_retry_at: row.next_retry_at.map(Timestamp::get),
    })
}

#[async_trait]
impl SubscriptionStore for Backend {
    async fn record_renewal(
        &self,
        event: Option<EventMark<'_>>,
        subscription_id: Uuid,
        outcome: RenewalOutcome<'_>,
        now: OffsetDateTime,
    ) -> StoreResult<bool> {
        let mut tx = self.begin_write().await?;
        if !first_time(&mut tx, event, now).await? {
            return Ok(false);
        }
        let row: Option<(Uuid, String, i64)> = sqlx::query_as(concat!(
            "SELECT user_id, currency, amount FROM subscriptions \
             WHERE id = $1 AND status <> 'expired'",
            for_update!()
        ))
        .bind(subscription_id)
        .fetch_optional(&mut *tx)
        .await?;
        let Some((user_id, currency, price)) = row else {
            tx.commit().await?;
            return Ok(false);
        };
        let (payment_id, state, amount, currency, charge_ref, failure) = match &outcome {
            RenewalOutcome::Paid {
                payment_id,
                charge_ref,
                amount,
                ..
            } => (
                *payment_id,
                PaymentState::Succeeded,
                amount.amount,
                amount.currency.clone(),
                *charge_ref,
                None,
            ),
            RenewalOutcome::Failed {
                payment_id, reason, ..
            } => (
                *payment_id,
                PaymentState::Failed,
                price,
                currency,
                None,
                Some(*reason),
            ),
        };
        sqlx::query(
            "INSERT INTO payments (id, user_id, kind, plan_id, state, currency, subtotal, \
               discount, tax, total, refunded, provider, provider_ref, card, failure, \
               created_at) \
             SELECT $1, user_id, 'renewal', plan_id, $2, $3, $4, 0, 0, $4, 0, provider, $5, \
               NULL, $6, $7 FROM subscriptions WHERE id = $8",
        )
        .bind(payment_id)
        .bind(state.as_str())
        .bind(&currency)
        .bind(amount)
        .bind(charge_ref)
        .bind(failure)
        .bind(Timestamp::new(now))
        .bind(subscription_id)
        .execute(&mut *tx)
        .await?;
        add_history(
            &mut tx,
            payment_id,
            PaymentState::Pending,
            0,
            None,
            None,
            now,
        )
        .await?;
        let moved = if state == PaymentState::Succeeded {
            amount
        } else {
            0
        };
        add_history(&mut tx, payment_id, state, moved, failure, charge_ref, now).await?;
        match outcome {
            RenewalOutcome::Paid { period_end, .. } => {
                sqlx::query(
                    "UPDATE subscriptions SET status = 'active', current_period_end = $2, \
                       grace_until = NULL, next_retry_at = NULL WHERE id = $1",
                )
                .bind(subscription_id)
                .bind(Timestamp::new(period_end))
                .execute(&mut *tx)
                .await?;
                sqlx::query("UPDATE users SET tier = 'premium' WHERE id = $1")
                    .bind(user_id)
                    .execute(&mut *tx)
                    .await?;
            }
            RenewalOutcome::Failed {
                grace_until,
                next_retry_at,
                ..
            } => {
                sqlx::query(
                    "UPDATE subscriptions SET status = 'past_due', grace_until = $2, \
                       next_retry_at = $3 WHERE id = $1",
                )
                .bind(subscription_id)
                .bind(Timestamp::new(grace_until))
                .bind(Timestamp::new(next_retry_at))
                .execute(&mut *tx)
                .await?;
            }
        }
        tx.commit().await?;
        Ok(true)
    }

    async fn end_subscription(
        &self,
        event: Option<EventMark<'_>>,
        subscription_id: Uuid,
        now: OffsetDateTime,
    ) -> StoreResult<bool> {
        let mut tx = self.begin_write().await?;
        if !first_time(&mut tx, event, now).await? {
            return Ok(false);
        }
        let ended = expire(&mut tx, subscription_id).await?.is_some();
        tx.commit().await?;
        Ok(ended)
    }

    async fn subscription_of(&self, user_id: Uuid) -> StoreResult<Option<SubscriptionRecord>> {
        let row: Option<SubscriptionRow> = sqlx::query_as(concat!(
            "SELECT ",
            subscription_columns!(),
            " FROM subscriptions WHERE user_id = $1 \
             ORDER BY CASE WHEN status = 'expired' THEN 1 ELSE 0 END, created_at DESC LIMIT 1"
        ))
        .bind(user_id)
        .fetch_optional(&self.reader)
        .await?;
        row.map(subscription).transpose()
    }

    async fn subscription_by_ref(
        &self,
        provider: &str,
        provider_ref: &str,
    ) -> StoreResult<Option<SubscriptionRecord>> {
        let row: Option<SubscriptionRow> = sqlx::query_as(concat!(
            "SELECT ",
            subscription_columns!(),
            " FROM subscriptions \
             WHERE provider = $1 AND provider_ref = $2"
        ))
        .bind(provider)
        .bind(provider_ref)
        .fetch_optional(&self.reader)
        .await?;
        row.map(subscription).transpose()
    }

    async fn due_subscriptions(&self, now: OffsetDateTime) -> StoreResult<Vec<SubscriptionRecord>> {
        let rows: Vec<SubscriptionRow> = sqlx::query_as(concat!(
            "SELECT ",
            subscription_columns!(),
            " FROM subscriptions \
             WHERE (status = 'active' AND current_period_end <= $1) \
                OR (status = 'past_due' AND (next_retry_at <= $1 OR grace_until <= $1)) \
             ORDER BY current_period_end, id"
        ))
        .bind(Timestamp::new(now))
        .fetch_all(&self.reader)
        .await?;
        rows.into_iter().map(subscription).collect()
    }

    async fn set_cancel_at(
        &self,
        subscription_id: Uuid,
        cancel_at: Option<OffsetDateTime>,
    ) -> StoreResult<bool> {
        let done = sqlx::query(
            "UPDATE subscriptions SET cancel_at = $2 WHERE id = $1 AND status <> 'expired'",
        )
        .bind(subscription_id)
        .bind(cancel_at.map(Timestamp::new))
        .execute(&self.writer)
        .await?;
        Ok(done.rows_affected() == 1)
    }
}
