//! [`BillingStore`](crate::store::BillingStore), shared by both backends, and what the
//! payment and subscription files share: the event record, payment history entries and
//! subscription expiry, each run inside its caller's transaction.

use async_trait::async_trait;
use cloudmaster_core::api::{Coupon, Money, PaymentState};
use time::OffsetDateTime;
use uuid::Uuid;

use super::{Backend, Db};
use crate::billing::records::{EventMark, KeyClaim, LedgerEntry};
use crate::store::shared::conflict_on_unique;
use crate::store::{BillingStore, StoreError, StoreResult, Timestamp};

pub(super) type Tx = sqlx::Transaction<'static, Db>;

/// The columns of [`CouponRow`], as one string literal.
macro_rules! coupon_columns {
    () => {
        "code, percent_off, amount_off, currency, course_id, expires_at, max_redemptions, \
         redeemed, disabled_at, created_at"
    };
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
pub(super) async fn first_time(
    tx: &mut Tx,
    event: Option<EventMark<'_>>,
    now: OffsetDateTime,
) -> StoreResult<bool> {
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
pub(super) async fn add_history(
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
pub(super) async fn expire(tx: &mut Tx, subscription_id: Uuid) -> StoreResult<Option<Uuid>> {
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

#[async_trait]
impl BillingStore for Backend {
    async fn record_event(&self, event: EventMark<'_>, now: OffsetDateTime) -> StoreResult<bool> {
        let mut tx = self.begin_write().await?;
        let first = first_time(&mut tx, Some(event), now).await?;
        tx.commit().await?;
        Ok(first)
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
            "SELECT ",
            coupon_columns!(),
            " FROM coupons ORDER BY code",
            bytewise!()
        ))
        .fetch_all(&self.reader)
        .await?;
        rows.into_iter().map(coupon).collect()
    }

    async fn coupon(&self, code: &str) -> StoreResult<Option<Coupon>> {
        let row: Option<CouponRow> = sqlx::query_as(concat!(
            "SELECT ",
            coupon_columns!(),
            " FROM coupons WHERE code = $1"
        ))
        .bind(code)
        .fetch_optional(&self.reader)
        .await?;
        row.map(coupon).transpose()
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

    async fn ledger(
        &self,
        from: OffsetDateTime,
        to: OffsetDateTime,
    ) -> StoreResult<Vec<LedgerEntry>> {
        let rows: Vec<(
            Timestamp,
            String,
            Option<String>,
            Option<String>,
            String,
            i64,
        )> = sqlx::query_as(
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
            .map(
                |(at, kind, course_id, plan_id, currency, amount)| LedgerEntry {
                    at: at.get(),
                    item: match (kind.as_str(), course_id, plan_id) {
                        ("course", Some(course), _) => course,
                        (_, _, Some(plan)) => format!("plan:{plan}"),
                        (kind, ..) => kind.to_owned(),
                    },
                    currency,
                    amount,
                },
            )
            .collect())
    }
}
