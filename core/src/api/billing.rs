//! Billing: plans, checkouts, payments and their receipts, subscriptions, coupons, refunds
//! and revenue (PRODUCT.md §7). Every amount is [`Money`]-style integer minor units.

use serde::{Deserialize, Serialize};
use time::OffsetDateTime;
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use super::Tier;
pub use crate::money::Money;

/// The request header that makes a mutating billing call safe to retry.
pub const IDEMPOTENCY_KEY_HEADER: &str = "Idempotency-Key";

/// How often a plan renews.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Interval {
    Month,
    Year,
}

impl Interval {
    pub fn as_str(self) -> &'static str {
        match self {
            Interval::Month => "month",
            Interval::Year => "year",
        }
    }
}

impl std::str::FromStr for Interval {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "month" | "monthly" => Ok(Interval::Month),
            "year" | "yearly" => Ok(Interval::Year),
            other => Err(format!("`{other}` is not an interval: use month or year")),
        }
    }
}

/// A premium plan (`GET /billing/plans`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct Plan {
    pub id: String,
    pub price: Money,
    pub interval: Interval,
}

/// Where a payment is in its life. Every change is kept in [`Payment::history`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum PaymentState {
    /// Created; waiting for the card or the provider's confirmation.
    Pending,
    Succeeded,
    /// Declined or abandoned; nothing was charged.
    Failed,
    /// Wholly refunded.
    Refunded,
    /// Part of the amount was refunded; what was bought stays.
    PartiallyRefunded,
}

impl PaymentState {
    pub fn as_str(self) -> &'static str {
        match self {
            PaymentState::Pending => "pending",
            PaymentState::Succeeded => "succeeded",
            PaymentState::Failed => "failed",
            PaymentState::Refunded => "refunded",
            PaymentState::PartiallyRefunded => "partially_refunded",
        }
    }

    pub fn parse(s: &str) -> Option<PaymentState> {
        Some(match s {
            "pending" => PaymentState::Pending,
            "succeeded" => PaymentState::Succeeded,
            "failed" => PaymentState::Failed,
            "refunded" => PaymentState::Refunded,
            "partially_refunded" => PaymentState::PartiallyRefunded,
            _ => return None,
        })
    }
}

/// What a payment buys.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum PaymentKind {
    /// One course, for good.
    Course,
    /// The first period of a premium plan.
    Subscription,
    /// A later period of a premium plan.
    Renewal,
}

impl PaymentKind {
    pub fn as_str(self) -> &'static str {
        match self {
            PaymentKind::Course => "course",
            PaymentKind::Subscription => "subscription",
            PaymentKind::Renewal => "renewal",
        }
    }

    pub fn parse(s: &str) -> Option<PaymentKind> {
        Some(match s {
            "course" => PaymentKind::Course,
            "subscription" => PaymentKind::Subscription,
            "renewal" => PaymentKind::Renewal,
            _ => return None,
        })
    }
}

/// One entry of a payment's history: a change of state or a refund.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct PaymentEvent {
    pub state: PaymentState,
    /// Money moved by this entry in minor units: the total when it succeeded, minus the
    /// refunded amount for a refund, 0 otherwise.
    pub amount: i64,
    /// Why (a decline reason, a refund's reason), when there is one.
    pub note: Option<String>,
    #[serde(with = "time::serde::rfc3339")]
    pub at: OffsetDateTime,
}

/// A payment and its receipt (`GET /billing/payments/{id}`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct Payment {
    pub id: Uuid,
    pub user_id: Uuid,
    pub kind: PaymentKind,
    /// The course bought (kind `course`).
    pub course_id: Option<String>,
    /// The plan paid for (kinds `subscription` and `renewal`).
    pub plan_id: Option<String>,
    pub state: PaymentState,
    /// ISO 4217; every amount below is in its minor units.
    pub currency: String,
    /// The list price.
    pub subtotal: i64,
    /// Taken off by the coupon.
    pub discount: i64,
    /// Tax charged on top (0 where none is collected).
    pub tax: i64,
    /// What the card was charged: subtotal − discount + tax.
    pub total: i64,
    /// Refunded so far.
    pub refunded: i64,
    pub coupon: Option<String>,
    /// `sandbox` or `stripe`.
    pub provider: String,
    /// The provider's id of the charge (a Checkout Session, a payment intent).
    pub provider_ref: Option<String>,
    /// Where to pay, for providers with a hosted payment page.
    pub checkout_url: Option<String>,
    /// The card as shown to people: brand and last four digits.
    pub card: Option<String>,
    /// Why it failed, once it has.
    pub failure: Option<String>,
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
    /// Every change, oldest first.
    pub history: Vec<PaymentEvent>,
}

impl Payment {
    /// The total as [`Money`].
    pub fn total_money(&self) -> Money {
        Money {
            amount: self.total,
            currency: self.currency.clone(),
        }
    }
}

/// `POST /billing/checkout`: buy a course.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct CheckoutRequest {
    pub course: String,
    #[serde(default)]
    pub coupon: Option<String>,
    /// Sandbox only: a test card number to pay with at once (see `cloudmaster billing
    /// plans`); without it the payment waits for [`CardRequest`].
    #[serde(default)]
    pub card: Option<String>,
}

/// `POST /billing/subscriptions`: subscribe to a premium plan.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct SubscribeRequest {
    pub plan: String,
    #[serde(default)]
    pub coupon: Option<String>,
    #[serde(default)]
    pub card: Option<String>,
}

/// `POST /billing/payments/{id}/card`: pay a pending sandbox payment with a test card.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct CardRequest {
    pub card: String,
}

/// `POST /billing/payments/{id}/refunds` (admins).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct RefundRequest {
    /// Minor units; the whole remaining amount when absent.
    #[serde(default)]
    pub amount: Option<i64>,
    #[serde(default)]
    pub reason: Option<String>,
}

/// Where a subscription is in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum SubscriptionStatus {
    /// Paid for the current period.
    Active,
    /// A renewal failed; premium lasts until the grace period ends or a retry succeeds.
    PastDue,
    /// Ended: cancelled at the end of a period, not renewed in time, or refunded.
    Expired,
}

impl SubscriptionStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            SubscriptionStatus::Active => "active",
            SubscriptionStatus::PastDue => "past_due",
            SubscriptionStatus::Expired => "expired",
        }
    }

    pub fn parse(s: &str) -> Option<SubscriptionStatus> {
        Some(match s {
            "active" => SubscriptionStatus::Active,
            "past_due" => SubscriptionStatus::PastDue,
            "expired" => SubscriptionStatus::Expired,
            _ => return None,
        })
    }
}

/// A premium subscription.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct Subscription {
    pub id: Uuid,
    pub plan_id: String,
    pub status: SubscriptionStatus,
    #[serde(with = "time::serde::rfc3339")]
    pub current_period_end: OffsetDateTime,
    /// Set by `billing cancel`: premium lasts until the period ends, then stops.
    #[serde(with = "time::serde::rfc3339::option")]
    pub cancel_at: Option<OffsetDateTime>,
    /// After a failed renewal: premium lasts until then unless a retry succeeds.
    #[serde(with = "time::serde::rfc3339::option")]
    pub grace_until: Option<OffsetDateTime>,
    pub provider: String,
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
}

/// `GET /billing/status`: the caller's tier and what they bought.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct BillingStatus {
    pub tier: Tier,
    /// Until when premium lasts as things stand (the period end, or the grace period's).
    #[serde(with = "time::serde::rfc3339::option")]
    pub premium_until: Option<OffsetDateTime>,
    pub subscription: Option<Subscription>,
    /// Courses bought outright (kept whatever the tier), sorted.
    pub purchased_courses: Vec<String>,
    /// The payment provider of this server: `sandbox` or `stripe`.
    pub provider: String,
}

/// A coupon (admins create, list and disable them).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct Coupon {
    pub code: String,
    /// Per cent off (1–100), or
    pub percent_off: Option<u32>,
    /// an amount off in minor units of `currency`.
    pub amount_off: Option<Money>,
    /// Only this course; every course and plan when absent.
    pub course_id: Option<String>,
    #[serde(with = "time::serde::rfc3339::option")]
    pub expires_at: Option<OffsetDateTime>,
    pub max_redemptions: Option<u32>,
    /// Redemptions held by pending and successful payments.
    pub redeemed: u32,
    #[serde(with = "time::serde::rfc3339::option")]
    pub disabled_at: Option<OffsetDateTime>,
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
}

/// `POST /admin/coupons`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct NewCoupon {
    pub code: String,
    #[serde(default)]
    pub percent_off: Option<u32>,
    #[serde(default)]
    pub amount_off: Option<Money>,
    #[serde(default)]
    pub course_id: Option<String>,
    #[serde(default, with = "time::serde::rfc3339::option")]
    pub expires_at: Option<OffsetDateTime>,
    #[serde(default)]
    pub max_redemptions: Option<u32>,
}

/// One row of `GET /admin/revenue`: what came in on one day for one item in one currency.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct RevenueRow {
    /// The UTC day, `YYYY-MM-DD`.
    pub day: String,
    /// A course id, or `plan:<id>` for premium plans.
    pub item: String,
    pub currency: String,
    /// Charged that day, minor units.
    pub gross: i64,
    /// Refunded that day, minor units.
    pub refunds: i64,
    /// gross − refunds.
    pub net: i64,
    pub payments: u32,
}

/// Query of `GET /admin/revenue`: `days` days up to and including `to`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct RevenueQuery {
    /// The last day, `YYYY-MM-DD` (UTC) [default: today].
    #[serde(default)]
    #[param(value_type = Option<String>, format = Date)]
    pub to: Option<String>,
    /// How many days, 1 to 366 [default: 30].
    #[serde(default)]
    #[param(minimum = 1, maximum = 366)]
    pub days: Option<u32>,
}

/// A test card of the built-in sandbox provider: what paying with it does. The numbers are
/// the ones payment providers document for the same outcomes; the sandbox takes no others.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TestCard {
    pub number: &'static str,
    pub brand: &'static str,
    /// The payment method's name kept on the payment (as Stripe's test `pm_card_*`).
    pub payment_method: &'static str,
    pub behaviour: CardBehaviour,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CardBehaviour {
    Succeeds,
    Declined,
    InsufficientFunds,
    /// The first payment succeeds; every renewal is declined.
    FailsOnRenewal,
}

/// The sandbox's test cards.
pub const TEST_CARDS: [TestCard; 5] = [
    TestCard {
        number: "4242424242424242",
        brand: "Visa",
        payment_method: "pm_card_visa",
        behaviour: CardBehaviour::Succeeds,
    },
    TestCard {
        number: "5555555555554444",
        brand: "Mastercard",
        payment_method: "pm_card_mastercard",
        behaviour: CardBehaviour::Succeeds,
    },
    TestCard {
        number: "4000000000000002",
        brand: "Visa",
        payment_method: "pm_card_visa_chargeDeclined",
        behaviour: CardBehaviour::Declined,
    },
    TestCard {
        number: "4000000000009995",
        brand: "Visa",
        payment_method: "pm_card_visa_chargeDeclinedInsufficientFunds",
        behaviour: CardBehaviour::InsufficientFunds,
    },
    TestCard {
        number: "4000000000000341",
        brand: "Visa",
        payment_method: "pm_card_chargeCustomerFail",
        behaviour: CardBehaviour::FailsOnRenewal,
    },
];

impl TestCard {
    /// The test card with this number (spaces and dashes ignored).
    pub fn find(number: &str) -> Option<TestCard> {
        let digits: String = number.chars().filter(|c| !matches!(c, ' ' | '-')).collect();
        TEST_CARDS.into_iter().find(|card| card.number == digits)
    }

    /// The test card whose payment method this is.
    pub fn by_payment_method(name: &str) -> Option<TestCard> {
        TEST_CARDS.into_iter().find(|c| c.payment_method == name)
    }

    /// The card as receipts show it: "Visa ending in 4242".
    pub fn label(&self) -> String {
        let last4 = self.number.get(self.number.len() - 4..).unwrap_or_default();
        format!("{} ending in {last4}", self.brand)
    }

    /// What paying with it does, for people.
    pub fn outcome(&self) -> &'static str {
        match self.behaviour {
            CardBehaviour::Succeeds => "succeeds",
            CardBehaviour::Declined => "declined",
            CardBehaviour::InsufficientFunds => "insufficient funds",
            CardBehaviour::FailsOnRenewal => "succeeds, then every renewal fails",
        }
    }
}
