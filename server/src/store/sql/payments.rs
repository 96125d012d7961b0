//! [`PaymentStore`](crate::store::PaymentStore), shared by both backends.

use std::collections::HashMap;

use async_trait::async_trait;
use cloudmaster_core::api::{Payment, PaymentEvent, PaymentKind, PaymentState};
use time::OffsetDateTime;
use uuid::Uuid;

use super::billing::{add_history, expire, first_time};
use super::{Backend, Db};
use crate::billing::records::{Checkout, EventMark, NewPayment, RefundEntry, Refunded, Settlement};
use crate::store::shared::conflict_on_unique;
use crate::store::{PaymentStore, StoreError, StoreResult, Timestamp};

/// The columns of [`PaymentRow`], as one string literal.
macro_rules! payment_columns {
    () => {
        "id, user_id, kind, course_id, plan_id, state, currency, subtotal, discount, tax, total, \
         refunded, coupon, provider, provider_ref, checkout_url, card, failure, created_at"
    };
}

#[derive(sqlx::FromRow)]
struct PaymentRow {
    id: Uuid,
    user_id: Uuid,
    kind: String,
    course_id: Option<String>,
    plan_id: Option<String>,
    state: String,
    currency: String,
    subtotal: i64,
    discount: i64,
    tax: i64,
    total: i64,
    refunded: i64,
    coupon: Option<String>,
    provider: String,
    provider_ref: Option<String>,
    checkout_url: Option<String>,
    card: Option<String>,
    failure: Option<String>,
    created_at: Timestamp,
}

/// `payment_id, state, amount, note, at` of `payment_events`.
type EventRow = (Uuid, String, i64, Option<String>, Timestamp);

fn payment_state(s: &str) -> StoreResult<PaymentState> {
    PaymentState::parse(s).ok_or_else(|| StoreError::Corrupt(format!("payment state `{s}`")))
}

fn payment(row: PaymentRow, history: Vec<PaymentEvent>) -> StoreResult<Payment> {
    Ok(Payment {
        id: row.id,
        user_id: row.user_id,
        kind: PaymentKind::parse(&row.kind)
            .ok_or_else(|| StoreError::Corrupt(format!("payment kind `{}`", row.kind)))?,
        course_id: row.course_id,
        plan_id: row.plan_id,
        state: payment_state(&row.state)?,
        currency: row.currency,
        subtotal: row.subtotal,
        discount: row.discount,
        tax: row.tax,
        total: row.total,
        refunded: row.refunded,
        coupon: row.coupon,
        provider: row.provider,
        provider_ref: row.provider_ref,
        checkout_url: row.checkout_url,
        card: row.card,
        failure: row.failure,
        created_at: row.created_at.get(),
        history,
    })
}

/// Sorts event rows (ordered by payment, then sequence) into histories per payment.
fn histories(rows: Vec<EventRow>) -> StoreResult<HashMap<Uuid, Vec<PaymentEvent>>> {
    let mut by_payment: HashMap<Uuid, Vec<PaymentEvent>> = HashMap::new();
    for (payment_id, state, amount, note, at) in rows {
        by_payment
            .entry(payment_id)
            .or_default()
            .push(PaymentEvent {
                state: payment_state(&state)?,
                amount,
                note,
                at: at.get(),
            });
    }
    Ok(by_payment)
}

impl Backend {
    async fn payment_on(&self, id: Uuid, pool: &sqlx::Pool<Db>) -> StoreResult<Option<Payment>> {
        let row: Option<PaymentRow> = sqlx::query_as(concat!(
            "SELECT ",
            payment_columns!(),
            " FROM payments WHERE id = $1"
        ))
        .bind(id)
        .fetch_optional(pool)
        .await?;
        let Some(row) = row else { return Ok(None) };
        let events: Vec<EventRow> = sqlx::query_as(
            "SELECT payment_id, state, amount, note, at FROM payment_events \
             WHERE payment_id = $1 ORDER BY seq",
        )
        .bind(id)
        .fetch_all(pool)
        .await?;
        let history = histories(events)?.remove(&id).unwrap_or_default();
        payment(row, history).map(Some)
    }
}

#[async_trait]
impl PaymentStore for Backend {
    async fn begin_checkout(&self, new: NewPayment) -> StoreResult<Checkout> {
        let mut tx = self.begin_write().await?;
        // The partial unique indexes decide between concurrent checkouts: the one insert
        // that goes in creates the payment, the others find it below.
        let inserted = sqlx::query(concat!(
            "INSERT INTO payments (",
            payment_columns!(),
            ") \
             VALUES ($1, $2, $3, $4, $5, 'pending', $6, $7, $8, $9, $10, 0, $11, $12, NULL, \
                     NULL, NULL, NULL, $13) \
             ON CONFLICT DO NOTHING"
        ))
        .bind(new.id)
        .bind(new.user_id)
        .bind(new.kind.as_str())
        .bind(&new.course_id)
        .bind(&new.plan_id)
        .bind(&new.currency)
        .bind(new.subtotal)
        .bind(new.discount)
        .bind(new.tax)
        .bind(new.total)
        .bind(&new.coupon)
        .bind(&new.provider)
        .bind(Timestamp::new(new.created_at))
        .execute(&mut *tx)
        .await?;
        if inserted.rows_affected() == 0 {
            tx.rollback().await?;
            let existing: Option<(Uuid,)> = sqlx::query_as(
                "SELECT id FROM payments WHERE user_id = $1 AND kind = $2 \
                   AND ((kind = 'course' AND course_id = $3 \
                         AND state IN ('pending', 'succeeded', 'partially_refunded')) \
                     OR (kind = 'subscription' AND state = 'pending'))",
            )
            .bind(new.user_id)
            .bind(new.kind.as_str())
            .bind(&new.course_id)
            .fetch_optional(&self.writer)
            .await?;
            let found = match existing {
                Some((id,)) => self.payment_on(id, &self.writer).await?,
                None => None,
            };
            return found.map(Checkout::Existing).ok_or_else(|| {
                StoreError::Conflict(format!("payment {} (its id is taken)", new.id))
            });
        }
        if let Some(code) = &new.coupon {
            let claimed = sqlx::query(
                "UPDATE coupons SET redeemed = redeemed + 1 \
                 WHERE code = $1 AND disabled_at IS NULL \
                   AND (expires_at IS NULL OR expires_at > $2) \
                   AND (max_redemptions IS NULL OR redeemed < max_redemptions)",
            )
            .bind(code)
            .bind(Timestamp::new(new.created_at))
            .execute(&mut *tx)
            .await?;
            if claimed.rows_affected() == 0 {
                tx.rollback().await?;
                return Ok(Checkout::CouponUnavailable);
            }
        }
        add_history(
            &mut tx,
            new.id,
            PaymentState::Pending,
            0,
            None,
            None,
            new.created_at,
        )
        .await?;
        tx.commit().await?;
        let created = self.payment_on(new.id, &self.writer).await?;
        created
            .map(Checkout::Created)
            .ok_or_else(|| StoreError::NotFound(format!("payment {}", new.id)))
    }

    async fn payment(&self, id: Uuid) -> StoreResult<Option<Payment>> {
        self.payment_on(id, &self.reader).await
    }

    async fn payments_of(&self, user_id: Uuid) -> StoreResult<Vec<Payment>> {
        let rows: Vec<PaymentRow> = sqlx::query_as(concat!(
            "SELECT ",
            payment_columns!(),
            " FROM payments WHERE user_id = $1 \
             ORDER BY created_at DESC, id"
        ))
        .bind(user_id)
        .fetch_all(&self.reader)
        .await?;
        let events: Vec<EventRow> = sqlx::query_as(
            "SELECT e.payment_id, e.state, e.amount, e.note, e.at \
             FROM payment_events e JOIN payments p ON p.id = e.payment_id \
             WHERE p.user_id = $1 ORDER BY e.payment_id, e.seq",
        )
        .bind(user_id)
        .fetch_all(&self.reader)
        .await?;
        let mut histories = histories(events)?;
        rows.into_iter()
            .map(|row| {
                let history = histories.remove(&row.id).unwrap_or_default();
                payment(row, history)
            })
            .collect()
    }

    async fn purchased_courses(&self, user_id: Uuid) -> StoreResult<Vec<String>> {
        let rows: Vec<(String,)> = sqlx::query_as(concat!(
            "SELECT course_id FROM payments \
             WHERE user_id = $1 AND kind = 'course' AND course_id IS NOT NULL \
               AND state IN ('succeeded', 'partially_refunded') ORDER BY course_id",
            bytewise!()
        ))
        .bind(user_id)
        .fetch_all(&self.reader)
        .await?;
        Ok(rows.into_iter().map(|(id,)| id).collect())
    }

    async fn abandoned_checkouts(
        &self,
        provider: &str,
        before: OffsetDateTime,
    ) -> StoreResult<Vec<Uuid>> {
        let rows: Vec<(Uuid,)> = sqlx::query_as(
            "SELECT id FROM payments \
             WHERE state = 'pending' AND provider = $1 AND payment_method IS NULL \
               AND created_at < $2 \
             ORDER BY created_at LIMIT 500",
        )
        .bind(provider)
        .bind(Timestamp::new(before))
        .fetch_all(&self.reader)
        .await?;
        Ok(rows.into_iter().map(|(id,)| id).collect())
    }

    async fn set_checkout(
        &self,
        payment_id: Uuid,
        provider_ref: &str,
        checkout_url: &str,
    ) -> StoreResult<()> {
        sqlx::query("UPDATE payments SET provider_ref = $2, checkout_url = $3 WHERE id = $1")
            .bind(payment_id)
            .bind(provider_ref)
            .bind(checkout_url)
            .execute(&self.writer)
            .await?;
        Ok(())
    }

    async fn attach_card(
        &self,
        payment_id: Uuid,
        card: &str,
        payment_method: &str,
    ) -> StoreResult<bool> {
        let done = sqlx::query(
            "UPDATE payments SET card = $2, payment_method = $3 \
             WHERE id = $1 AND state = 'pending' AND payment_method IS NULL",
        )
        .bind(payment_id)
        .bind(card)
        .bind(payment_method)
        .execute(&self.writer)
        .await?;
        Ok(done.rows_affected() == 1)
    }

    async fn settle_payment(
        &self,
        event: Option<EventMark<'_>>,
        payment_id: Uuid,
        settlement: Settlement<'_>,
        now: OffsetDateTime,
    ) -> StoreResult<bool> {
        let mut tx = self.begin_write().await?;
        if !first_time(&mut tx, event, now).await? {
            return Ok(false);
        }
        let row: Option<(String, String, Option<String>, Uuid, Option<String>, i64)> =
            sqlx::query_as(concat!(
                "SELECT state, kind, course_id, user_id, coupon, total FROM payments \
                 WHERE id = $1",
                for_update!()
            ))
            .bind(payment_id)
            .fetch_optional(&mut *tx)
            .await?;
        let Some((state, kind, course_id, user_id, coupon, total)) = row else {
            tx.commit().await?;
            return Ok(false);
        };
        if state != PaymentState::Pending.as_str() {
            tx.commit().await?;
            return Ok(false);
        }
        match settlement {
            Settlement::Paid {
                charge_ref,
                card,
                subscription,
            } => {
                sqlx::query(
                    "UPDATE payments SET state = 'succeeded', \
                       provider_ref = COALESCE($2, provider_ref), card = COALESCE($3, card) \
                     WHERE id = $1",
                )
                .bind(payment_id)
                .bind(charge_ref)
                .bind(card)
                .execute(&mut *tx)
                .await?;
                add_history(
                    &mut tx,
                    payment_id,
                    PaymentState::Succeeded,
                    total,
                    None,
                    charge_ref,
                    now,
                )
                .await?;
                if let (Some(course_id), "course") = (&course_id, kind.as_str()) {
                    sqlx::query(
                        "INSERT INTO enrollments (user_id, course_id, enrolled_at) \
                         VALUES ($1, $2, $3) ON CONFLICT (user_id, course_id) DO NOTHING",
                    )
                    .bind(user_id)
                    .bind(course_id)
                    .bind(Timestamp::new(now))
                    .execute(&mut *tx)
                    .await?;
                }
                if let Some(new) = subscription {
                    sqlx::query(
                        "INSERT INTO subscriptions (id, user_id, plan_id, status, provider, \
                           provider_ref, payment_method, currency, amount, current_period_end, \
                           created_at) \
                         SELECT $1, user_id, plan_id, 'active', provider, $2, payment_method, \
                           currency, $3, $4, $5 FROM payments WHERE id = $6",
                    )
                    .bind(new.id)
                    .bind(&new.provider_ref)
                    .bind(new.renewal_amount)
                    .bind(Timestamp::new(new.period_end))
                    .bind(Timestamp::new(now))
                    .bind(payment_id)
                    .execute(&mut *tx)
                    .await
                    .map_err(|e| conflict_on_unique(e, "a live subscription"))?;
                    sqlx::query("UPDATE users SET tier = 'premium' WHERE id = $1")
                        .bind(user_id)
                        .execute(&mut *tx)
                        .await?;
                }
            }
            Settlement::Failed { reason } => {
                sqlx::query("UPDATE payments SET state = 'failed', failure = $2 WHERE id = $1")
                    .bind(payment_id)
                    .bind(reason)
                    .execute(&mut *tx)
                    .await?;
                add_history(
                    &mut tx,
                    payment_id,
                    PaymentState::Failed,
                    0,
                    Some(reason),
                    None,
                    now,
                )
                .await?;
                if let Some(code) = coupon {
                    sqlx::query(
                        "UPDATE coupons SET redeemed = redeemed - 1 \
                         WHERE code = $1 AND redeemed > 0",
                    )
                    .bind(code)
                    .execute(&mut *tx)
                    .await?;
                }
            }
        }
        tx.commit().await?;
        Ok(true)
    }

    async fn refund(&self, entry: RefundEntry<'_>, now: OffsetDateTime) -> StoreResult<Refunded> {
        let mut tx = self.begin_write().await?;
        let row: Option<(String, String, Option<String>, Uuid, i64, i64)> =
            sqlx::query_as(concat!(
                "SELECT state, kind, course_id, user_id, total, refunded FROM payments \
                 WHERE id = $1",
                for_update!()
            ))
            .bind(entry.payment_id)
            .fetch_optional(&mut *tx)
            .await?;
        let Some((state, kind, course_id, user_id, total, refunded)) = row else {
            return Err(StoreError::NotFound(format!(
                "payment {}",
                entry.payment_id
            )));
        };
        let paid = [PaymentState::Succeeded, PaymentState::PartiallyRefunded]
            .iter()
            .any(|s| s.as_str() == state);
        let refundable = if paid { total - refunded } else { 0 };
        if entry.amount <= 0 || entry.amount > refundable {
            return Ok(Refunded::NotRefundable { refundable });
        }
        let whole = entry.amount == refundable;
        let new_state = if whole {
            PaymentState::Refunded
        } else {
            PaymentState::PartiallyRefunded
        };
        sqlx::query("UPDATE payments SET refunded = refunded + $2, state = $3 WHERE id = $1")
            .bind(entry.payment_id)
            .bind(entry.amount)
            .bind(new_state.as_str())
            .execute(&mut *tx)
            .await?;
        add_history(
            &mut tx,
            entry.payment_id,
            new_state,
            -entry.amount,
            entry.reason,
            Some(entry.reference),
            now,
        )
        .await?;
        if whole {
            match (kind.as_str(), course_id) {
                ("course", Some(course_id)) => {
                    sqlx::query(
                        "DELETE FROM enrollments WHERE user_id = $1 AND course_id = $2 \
                           AND NOT EXISTS (SELECT 1 FROM users \
                                           WHERE id = $1 AND tier = 'premium')",
                    )
                    .bind(user_id)
                    .bind(course_id)
                    .execute(&mut *tx)
                    .await?;
                }
                _ => {
                    let live: Option<(Uuid,)> = sqlx::query_as(
                        "SELECT id FROM subscriptions WHERE user_id = $1 AND status <> 'expired'",
                    )
                    .bind(user_id)
                    .fetch_optional(&mut *tx)
                    .await?;
                    if let Some((id,)) = live {
                        expire(&mut tx, id).await?;
                    }
                }
            }
        }
        tx.commit().await?;
        let payment = self.payment_on(entry.payment_id, &self.writer).await?;
        payment
            .map(|p| Refunded::Done(Box::new(p)))
            .ok_or_else(|| StoreError::NotFound(format!("payment {}", entry.payment_id)))
    }
}
