//! [`BillingStore`](crate::store::BillingStore), shared by both backends.

use std::collections::HashMap;

use async_trait::async_trait;
use cloudmaster_core::api::{
    Coupon, Money, Payment, PaymentEvent, PaymentKind, PaymentState, Subscription,
    SubscriptionStatus,
};
use time::OffsetDateTime;
use uuid::Uuid;

use super::{Backend, Db};
use crate::billing::records::{
    Checkout, EventMark, KeyClaim, LedgerEntry, NewPayment, RefundEntry, Refunded,
    RenewalOutcome, Settlement, SubscriptionRecord,
};
use crate::store::shared::conflict_on_unique;
use crate::store::{BillingStore, StoreError, StoreResult, Timestamp};

type Tx = sqlx::Transaction<'static, Db>;

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
        by_payment.entry(payment_id).or_default().push(PaymentEvent {
            state: payment_state(&state)?,
            amount,
            note,
            at: at.get(),
        });
    }
    Ok(by_payment)
}

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

#[derive(sqlx::FromRow)]
struct CouponRow {
    code: String,
    percent_off: Option<i64>,
    amount_off: Option<i64>,
    currency: Option<String>,
    course_id: Option<String>,
    expires_at: Option<Timestamp>,
    max_redemptions: Option<i64>,
    redeemed: i64,
    disabled_at: Option<Timestamp>,
    created_at: Timestamp,
}

fn small(n: i64) -> StoreResult<u32> {
    u32::try_from(n).map_err(|_| StoreError::Corrupt(format!("coupon count {n}")))
}

fn coupon(row: CouponRow) -> StoreResult<Coupon> {
    Ok(Coupon {
        code: row.code,
        percent_off: row.percent_off.map(small).transpose()?,
        amount_off: match (row.amount_off, row.currency) {
            (Some(amount), Some(currency)) => Some(Money { amount, currency }),
            _ => None,
        },
        course_id: row.course_id,
        expires_at: row.expires_at.map(Timestamp::get),
        max_redemptions: row.max_redemptions.map(small).transpose()?,
        redeemed: small(row.redeemed)?,
        disabled_at: row.disabled_at.map(Timestamp::get),
        created_at: row.created_at.get(),
    })
}

/// Records the event in the transaction that applies it; false when it was applied before.
async fn first_time(tx: &mut Tx, event: Option<EventMark<'_>>, now: OffsetDateTime) -> StoreResult<bool> {
    let Some(event) = event else {
        return Ok(true);
    };
    let done = sqlx::query(
        "INSERT INTO webhook_events (provider, event_id, name, received_at) \
         VALUES ($1, $2, $3, $4) ON CONFLICT (provider, event_id) DO NOTHING",
    )
    .bind(event.provider)
    .bind(event.id)
    .bind(event.name)
    .bind(Timestamp::new(now))
    .execute(&mut **tx)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Appends an entry to a payment's history (the payment row is locked by the caller).
async fn add_history(
    tx: &mut Tx,
    payment_id: Uuid,
    state: PaymentState,
    amount: i64,
    note: Option<&str>,
    reference: Option<&str>,
    at: OffsetDateTime,
) -> StoreResult<()> {
    sqlx::query(
        "INSERT INTO payment_events (payment_id, seq, state, amount, note, reference, at) \
         SELECT $1, COALESCE(MAX(seq), 0) + 1, $2, $3, $4, $5, $6 \
         FROM payment_events WHERE payment_id = $1",
    )
    .bind(payment_id)
    .bind(state.as_str())
    .bind(amount)
    .bind(note)
    .bind(reference)
    .bind(Timestamp::new(at))
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// Expires a live subscription, sets its user back to free and removes their enrollments
/// in paid courses they did not buy. Returns the user, `None` when it was not live.
async fn expire(tx: &mut Tx, subscription_id: Uuid) -> StoreResult<Option<Uuid>> {
    let user: Option<(Uuid,)> = sqlx::query_as(
        "UPDATE subscriptions SET status = 'expired', grace_until = NULL, next_retry_at = NULL \
         WHERE id = $1 AND status <> 'expired' RETURNING user_id",
    )
    .bind(subscription_id)
    .fetch_optional(&mut **tx)
    .await?;
    let Some((user_id,)) = user else {
        return Ok(None);
    };
    sqlx::query("UPDATE users SET tier = 'free' WHERE id = $1")
        .bind(user_id)
        .execute(&mut **tx)
        .await?;
    sqlx::query(
        "DELETE FROM enrollments WHERE user_id = $1 \
           AND course_id IN (SELECT id FROM courses WHERE price_amount IS NOT NULL) \
           AND course_id NOT IN (SELECT course_id FROM payments \
                                 WHERE user_id = $1 AND kind = 'course' \
                                   AND course_id IS NOT NULL \
                                   AND state IN ('succeeded', 'partially_refunded'))",
    )
    .bind(user_id)
    .execute(&mut **tx)
    .await?;
    Ok(Some(user_id))
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
impl BillingStore for Backend {
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
        add_history(&mut tx, new.id, PaymentState::Pending, 0, None, None, new.created_at).await?;
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
                add_history(&mut tx, payment_id, PaymentState::Succeeded, total, None, charge_ref, now)
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
                add_history(&mut tx, payment_id, PaymentState::Failed, 0, Some(reason), None, now)
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
            } => (*payment_id, PaymentState::Succeeded, amount.amount, amount.currency.clone(), *charge_ref, None),
            RenewalOutcome::Failed {
                payment_id, reason, ..
            } => (*payment_id, PaymentState::Failed, price, currency, None, Some(*reason)),
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
        add_history(&mut tx, payment_id, PaymentState::Pending, 0, None, None, now).await?;
        let moved = if state == PaymentState::Succeeded { amount } else { 0 };
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

    async fn record_event(&self, event: EventMark<'_>, now: OffsetDateTime) -> StoreResult<bool> {
        let mut tx = self.begin_write().await?;
        let first = first_time(&mut tx, Some(event), now).await?;
        tx.commit().await?;
        Ok(first)
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
            return Err(StoreError::NotFound(format!("payment {}", entry.payment_id)));
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

    async fn insert_coupon(&self, coupon: &Coupon) -> StoreResult<()> {
        sqlx::query(
            "INSERT INTO coupons (code, percent_off, amount_off, currency, course_id, \
               expires_at, max_redemptions, redeemed, disabled_at, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, 0, NULL, $8)",
        )
        .bind(&coupon.code)
        .bind(coupon.percent_off.map(i64::from))
        .bind(coupon.amount_off.as_ref().map(|m| m.amount))
        .bind(coupon.amount_off.as_ref().map(|m| m.currency.as_str()))
        .bind(&coupon.course_id)
        .bind(coupon.expires_at.map(Timestamp::new))
        .bind(coupon.max_redemptions.map(i64::from))
        .bind(Timestamp::new(coupon.created_at))
        .execute(&self.writer)
        .await
        .map_err(|e| conflict_on_unique(e, &format!("coupon `{}`", coupon.code)))?;
        Ok(())
    }

    async fn coupons(&self) -> StoreResult<Vec<Coupon>> {
        let rows: Vec<CouponRow> = sqlx::query_as(concat!(
            "SELECT code, percent_off, amount_off, currency, course_id, expires_at, \
               max_redemptions, redeemed, disabled_at, created_at FROM coupons ORDER BY code",
            bytewise!()
        ))
        .fetch_all(&self.reader)
        .await?;
        rows.into_iter().map(coupon).collect()
    }

    async fn disable_coupon(&self, code: &str, now: OffsetDateTime) -> StoreResult<bool> {
        let done = sqlx::query(
            "UPDATE coupons SET disabled_at = $2 WHERE code = $1 AND disabled_at IS NULL",
        )
        .bind(code)
        .bind(Timestamp::new(now))
        .execute(&self.writer)
        .await?;
        Ok(done.rows_affected() == 1)
    }

    async fn claim_idempotency_key(
        &self,
        user_id: Uuid,
        key: &str,
        request_hash: &[u8],
        now: OffsetDateTime,
    ) -> StoreResult<KeyClaim> {
        let inserted = sqlx::query(
            "INSERT INTO idempotency_keys (user_id, key, request_hash, created_at) \
             VALUES ($1, $2, $3, $4) ON CONFLICT (user_id, key) DO NOTHING",
        )
        .bind(user_id)
        .bind(key)
        .bind(request_hash)
        .bind(Timestamp::new(now))
        .execute(&self.writer)
        .await?;
        if inserted.rows_affected() == 1 {
            return Ok(KeyClaim::New);
        }
        let row: Option<(Vec<u8>, Option<i64>, Option<String>)> = sqlx::query_as(
            "SELECT request_hash, status, body FROM idempotency_keys \
             WHERE user_id = $1 AND key = $2",
        )
        .bind(user_id)
        .bind(key)
        .fetch_optional(&self.writer)
        .await?;
        Ok(match row {
            // Freed between the insert and this read: the caller may try again.
            None => KeyClaim::InProgress,
            Some((hash, _, _)) if hash != request_hash => KeyClaim::Mismatch,
            Some((_, Some(status), Some(body))) => KeyClaim::Answered {
                status: u16::try_from(status)
                    .map_err(|_| StoreError::Corrupt(format!("stored status {status}")))?,
                body,
            },
            Some(_) => KeyClaim::InProgress,
        })
    }

    async fn finish_idempotency_key(
        &self,
        user_id: Uuid,
        key: &str,
        answer: Option<(u16, &str)>,
    ) -> StoreResult<()> {
        let query = match answer {
            Some((status, body)) => sqlx::query(
                "UPDATE idempotency_keys SET status = $3, body = $4 \
                 WHERE user_id = $1 AND key = $2",
            )
            .bind(user_id)
            .bind(key)
            .bind(i64::from(status))
            .bind(body),
            None => sqlx::query("DELETE FROM idempotency_keys WHERE user_id = $1 AND key = $2")
                .bind(user_id)
                .bind(key),
        };
        query.execute(&self.writer).await?;
        Ok(())
    }

    async fn prune_idempotency_keys(&self, before: OffsetDateTime) -> StoreResult<u64> {
        let done = sqlx::query("DELETE FROM idempotency_keys WHERE created_at < $1")
            .bind(Timestamp::new(before))
            .execute(&self.writer)
            .await?;
        Ok(done.rows_affected())
    }

    async fn ledger(&self, from: OffsetDateTime, to: OffsetDateTime) -> StoreResult<Vec<LedgerEntry>> {
        let rows: Vec<(Timestamp, String, Option<String>, Option<String>, String, i64)> =
            sqlx::query_as(
                "SELECT e.at, p.kind, p.course_id, p.plan_id, p.currency, e.amount \
                 FROM payment_events e JOIN payments p ON p.id = e.payment_id \
                 WHERE e.amount <> 0 AND e.at >= $1 AND e.at < $2 ORDER BY e.at",
            )
            .bind(Timestamp::new(from))
            .bind(Timestamp::new(to))
            .fetch_all(&self.reader)
            .await?;
        Ok(rows
            .into_iter()
            .map(|(at, kind, course_id, plan_id, currency, amount)| LedgerEntry {
                at: at.get(),
                item: match (kind.as_str(), course_id, plan_id) {
                    ("course", Some(course), _) => course,
                    (_, _, Some(plan)) => format!("plan:{plan}"),
                    (kind, ..) => kind.to_owned(),
                },
                currency,
                amount,
            })
            .collect())
    }
}
