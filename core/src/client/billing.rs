//! Billing: `/billing/...` for learners and `/admin/...` for refunds, coupons and revenue.
//! Every mutating call sends the `Idempotency-Key` its caller made for the operation, so a
//! retried request (after a refresh, or by the user running the command again with the
//! same key) is answered without charging twice.

use reqwest::Method;
use uuid::Uuid;

use super::{Client, Request};
use crate::api::{
    BillingStatus, CardRequest, CheckoutRequest, Coupon, IDEMPOTENCY_KEY_HEADER, NewCoupon,
    Payment, Plan, RefundRequest, RevenueRow, SubscribeRequest, Subscription,
};
use crate::error::Result;

impl Client {
    /// `GET /billing/plans`.
    pub async fn billing_plans(&self) -> Result<Vec<Plan>> {
        self.call(Request::get(&["billing", "plans"]).optional_auth())
            .await
    }

    /// `GET /billing/status`.
    pub async fn billing_status(&self) -> Result<BillingStatus> {
        self.call(Request::get(&["billing", "status"])).await
    }

    /// `POST /billing/checkout`.
    pub async fn checkout(&self, request: &CheckoutRequest, key: &str) -> Result<Payment> {
        self.call(
            Request::new(Method::POST, &["billing", "checkout"])
                .json(request)
                .header(IDEMPOTENCY_KEY_HEADER, key.to_owned()),
        )
        .await
    }

    /// `POST /billing/subscriptions`.
    pub async fn subscribe(&self, request: &SubscribeRequest, key: &str) -> Result<Payment> {
        self.call(
            Request::new(Method::POST, &["billing", "subscriptions"])
                .json(request)
                .header(IDEMPOTENCY_KEY_HEADER, key.to_owned()),
        )
        .await
    }

    /// `DELETE /billing/subscription`: cancel at the period's end.
    pub async fn cancel_subscription(&self, key: &str) -> Result<Subscription> {
        self.call(
            Request::new(Method::DELETE, &["billing", "subscription"])
                .header(IDEMPOTENCY_KEY_HEADER, key.to_owned()),
        )
        .await
    }

    /// `GET /billing/payments`.
    pub async fn payments(&self) -> Result<Vec<Payment>> {
        self.call(Request::get(&["billing", "payments"])).await
    }

    /// `GET /billing/payments/{id}`.
    pub async fn payment(&self, id: Uuid) -> Result<Payment> {
        let id = id.to_string();
        self.call(Request::get(&["billing", "payments", &id])).await
    }

    /// `POST /billing/payments/{id}/card` (the sandbox's test cards).
    pub async fn pay_with_card(&self, id: Uuid, card: &str, key: &str) -> Result<Payment> {
        let id = id.to_string();
        self.call(
            Request::new(Method::POST, &["billing", "payments", &id, "card"])
                .json(&CardRequest {
                    card: card.to_owned(),
                })
                .header(IDEMPOTENCY_KEY_HEADER, key.to_owned()),
        )
        .await
    }

    /// `POST /admin/payments/{id}/refunds`.
    pub async fn refund(&self, id: Uuid, request: &RefundRequest, key: &str) -> Result<Payment> {
        let id = id.to_string();
        self.call(
            Request::new(Method::POST, &["admin", "payments", &id, "refunds"])
                .json(request)
                .header(IDEMPOTENCY_KEY_HEADER, key.to_owned()),
        )
        .await
    }

    /// `GET /admin/coupons`.
    pub async fn coupons(&self) -> Result<Vec<Coupon>> {
        self.call(Request::get(&["admin", "coupons"])).await
    }

    /// `POST /admin/coupons`.
    pub async fn create_coupon(&self, coupon: &NewCoupon) -> Result<Coupon> {
        self.call(Request::new(Method::POST, &["admin", "coupons"]).json(coupon))
            .await
    }

    /// `DELETE /admin/coupons/{code}`.
    pub async fn disable_coupon(&self, code: &str) -> Result<()> {
        self.call_empty(Request::new(Method::DELETE, &["admin", "coupons", code]))
            .await
    }

    /// `GET /admin/revenue`.
    pub async fn revenue(&self, to: Option<&str>, days: Option<u32>) -> Result<Vec<RevenueRow>> {
        let mut request = Request::get(&["admin", "revenue"]);
        if let Some(days) = days {
            request = request.query("days", days);
        }
        if let Some(to) = to {
            request = request.query("to", to);
        }
        self.call(request).await
    }
}
