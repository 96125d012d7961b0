//! What the store keeps of billing, beside the API's own types ([`Payment`], [`Coupon`]).

use cloudmaster_core::api::{Money, Payment, PaymentKind, Subscription};
use time::OffsetDateTime;
use uuid::Uuid;

/// A payment to create at checkout (state `pending`).
#[derive(Debug, Clone)]
pub struct NewPayment {
    pub id: Uuid,
    pub user_id: Uuid,
    pub kind: PaymentKind,
    pub course_id: Option<String>,
    pub plan_id: Option<String>,
    pub currency: String,
    pub subtotal: i64,
    pub discount: i64,
    pub tax: i64,
    pub total: i64,
    /// Claimed in the same transaction: the checkout fails if it has no redemption left.
    pub coupon: Option<String>,
    pub provider: String,
    pub created_at: OffsetDateTime,
}

/// What a checkout got.
#[derive(Debug, Clone)]
pub enum Checkout {
    Created(Payment),
    /// The learner's payment for the same thing that is already pending or, for a course,
    /// succeeded: concurrent and repeated checkouts meet here.
    Existing(Payment),
    /// The coupon has no redemption left (used up, expired, disabled or unknown).
    CouponUnavailable,
}

/// Names a webhook event in the transaction that applies it, so that it is applied once.
#[derive(Debug, Clone, Copy)]
pub struct EventMark<'a> {
    pub provider: &'a str,
    pub id: &'a str,
    pub name: &'a str,
}

/// How a pending payment settles.
#[derive(Debug, Clone)]
pub enum Settlement<'a> {
    Paid {
        charge_ref: Option<&'a str>,
        card: Option<&'a str>,
        /// For a subscription's first payment: the subscription it starts.
        subscription: Option<NewSubscription>,
    },
    Failed {
        reason: &'a str,
    },
}

/// A subscription started by its first payment (plan, price and payment method are the
/// payment's).
#[derive(Debug, Clone)]
pub struct NewSubscription {
    pub id: Uuid,
    pub provider_ref: String,
    pub period_end: OffsetDateTime,
    /// What each renewal charges (the plan's price, without the first payment's coupon).
    pub renewal_amount: i64,
}

/// A renewal's outcome, recorded as a payment of kind `renewal`.
#[derive(Debug, Clone)]
pub enum RenewalOutcome<'a> {
    Paid {
        payment_id: Uuid,
        charge_ref: Option<&'a str>,
        amount: &'a Money,
        period_end: OffsetDateTime,
    },
    Failed {
        payment_id: Uuid,
        reason: &'a str,
        /// Premium lasts until then unless a retry succeeds.
        grace_until: OffsetDateTime,
        next_retry_at: OffsetDateTime,
    },
}

/// A subscription with what only the server needs of it.
#[derive(Debug, Clone)]
pub struct SubscriptionRecord {
    pub subscription: Subscription,
    pub user_id: Uuid,
    pub provider_ref: String,
    pub payment_method: Option<String>,
    /// What each renewal charges.
    pub price: Money,
    pub next_retry_at: Option<OffsetDateTime>,
}

/// A refund to record on a payment.
#[derive(Debug, Clone)]
pub struct RefundEntry<'a> {
    pub payment_id: Uuid,
    pub amount: i64,
    pub reason: Option<&'a str>,
    /// The provider's refund id.
    pub reference: &'a str,
}

/// What a refund did.
#[derive(Debug, Clone)]
pub enum Refunded {
    Done(Box<Payment>),
    /// The payment cannot be refunded that much (not paid, or less than that is left).
    NotRefundable {
        refundable: i64,
    },
}

/// How an `Idempotency-Key` stands when a request presents it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum KeyClaim {
    /// First use: the request runs, and its answer is stored when it ends.
    New,
    /// A request with this key is running now.
    InProgress,
    /// Used before with another request.
    Mismatch,
    /// Answered before: the status and body to send again.
    Answered { status: u16, body: String },
}

/// One money movement of the ledger, for revenue.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LedgerEntry {
    pub at: OffsetDateTime,
    /// A course id, or `plan:<id>`.
    pub item: String,
    pub currency: String,
    /// Positive for a charge, negative for a refund.
    pub amount: i64,
}
