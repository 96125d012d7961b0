//! Checkouts: buying a course or a plan's first period, paying with a sandbox card, and
//! abandoning checkouts that never got one. Every answer that changes money is decided by
//! the store's conditional writes; these functions work out amounts and messages.

use axum::http::StatusCode;
use cloudmaster_core::api::{
    CheckoutRequest, Coupon, Money, Payment, PaymentKind, PaymentState, SubscribeRequest, User,
};
use uuid::Uuid;

use super::provider::{self, ChargeRequest, Started};
use super::records::{Checkout, NewPayment, Settlement};
use super::sandbox::test_card;
use crate::error::ApiError;
use crate::state::AppState;

/// What is being bought, priced.
struct Purchase<'a> {
    kind: PaymentKind,
    course_id: Option<&'a str>,
    plan: Option<&'a cloudmaster_core::api::Plan>,
    description: String,
    price: Money,
}

/// `POST /billing/checkout`: buys a course. 201 with a new pending payment, 200 with the
/// learner's pending one; 409 once bought.
pub async fn buy_course(
    state: &AppState,
    user: &User,
    request: &CheckoutRequest,
) -> Result<(StatusCode, Payment), ApiError> {
    let course = &request.course;
    let detail = state
        .store()
        .course_detail(course)
        .await?
        .ok_or_else(|| ApiError::NotFound(format!("no course `{course}`")))?;
    // Taking money for a course the learner cannot enroll in yet would help no one.
    crate::routes::enrollment::require_prerequisites(state.store(), user.id, &detail).await?;
    let Some(price) = detail.summary.price.clone() else {
        return Err(ApiError::Validation(format!(
            "`{course}` is free: enroll with `cloudmaster enroll {course}`"
        )));
    };
    let purchase = Purchase {
        kind: PaymentKind::Course,
        course_id: Some(course),
        plan: None,
        description: format!("Course: {}", detail.summary.title),
        price,
    };
    check_out(
        state,
        user,
        purchase,
        request.coupon.as_deref(),
        request.card.as_deref(),
    )
    .await
}

/// `POST /billing/subscriptions`: subscribes to a premium plan.
pub async fn subscribe(
    state: &AppState,
    user: &User,
    request: &SubscribeRequest,
) -> Result<(StatusCode, Payment), ApiError> {
    let billing = state.billing();
    let plan = billing.plan(&request.plan).ok_or_else(|| {
        ApiError::NotFound(format!(
            "no plan `{}`; the plans are: {} (`cloudmaster billing plans`)",
            request.plan,
            billing
                .plans()
                .iter()
                .map(|p| p.id.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        ))
    })?;
    if let Some(live) = super::account::live_subscription(state, user.id).await? {
        return Err(ApiError::Conflict(format!(
            "you already subscribe to `{}` (premium until {}); `cloudmaster billing status` shows it",
            live.plan_id,
            cloudmaster_core::display::date(&live.current_period_end)
        )));
    }
    let purchase = Purchase {
        kind: PaymentKind::Subscription,
        course_id: None,
        plan: Some(plan),
        description: format!("Premium: {}", plan.id),
        price: plan.price.clone(),
    };
    check_out(
        state,
        user,
        purchase,
        request.coupon.as_deref(),
        request.card.as_deref(),
    )
    .await
}

async fn check_out(
    state: &AppState,
    user: &User,
    purchase: Purchase<'_>,
    coupon_code: Option<&str>,
    card: Option<&str>,
) -> Result<(StatusCode, Payment), ApiError> {
    let billing = state.billing();
    let now = state.now();
    let coupon = match coupon_code {
        Some(code) => Some(usable_coupon(state, code, &purchase, now).await?),
        None => None,
    };
    let discount = coupon
        .as_ref()
        .map_or(0, |c| super::discounted(&purchase.price, c));
    let net = purchase.price.amount - discount;
    let tax = billing.tax_on(net);
    let new = NewPayment {
        id: Uuid::now_v7(),
        user_id: user.id,
        kind: purchase.kind,
        course_id: purchase.course_id.map(str::to_owned),
        plan_id: purchase.plan.map(|p| p.id.clone()),
        currency: purchase.price.currency.clone(),
        subtotal: purchase.price.amount,
        discount,
        tax,
        total: net + tax,
        coupon: coupon.map(|c| c.code),
        provider: billing.provider().name().to_owned(),
        created_at: now,
    };
    let payment = match state.store().begin_checkout(new).await? {
        Checkout::CouponUnavailable => {
            return Err(ApiError::Conflict(format!(
                "coupon `{}` has no redemptions left",
                coupon_code.unwrap_or_default().to_uppercase()
            )));
        }
        Checkout::Existing(existing) if existing.state != PaymentState::Pending => {
            return Err(ApiError::Conflict(format!(
                "you already bought `{}` (payment {}); `cloudmaster billing payments` lists it",
                existing.course_id.as_deref().unwrap_or_default(),
                existing.id
            )));
        }
        Checkout::Existing(existing) => {
            if existing.checkout_url.is_none() && billing.sandbox().is_none() {
                start_at_provider(state, user, &purchase, &existing).await?;
            }
            if let Some(card) = card {
                pay_with_card(state, &existing, card).await?;
            }
            return Ok((StatusCode::OK, refreshed(state, existing).await?));
        }
        Checkout::Created(payment) => payment,
    };
    if payment.total == 0 {
        // Nothing to charge (a 100 % coupon): settled at once, without a provider.
        state
            .store()
            .settle_payment(None, payment.id, paid_without_charge(state, &payment), now)
            .await?;
        super::events::after_settlement(state, &payment);
        return Ok((StatusCode::CREATED, refreshed(state, payment).await?));
    }
    start_at_provider(state, user, &purchase, &payment).await?;
    if let Some(card) = card {
        pay_with_card(state, &payment, card).await?;
    }
    Ok((StatusCode::CREATED, refreshed(state, payment).await?))
}

/// Starts the payment at the provider: a hosted page to pay on is recorded on the payment.
/// The provider's idempotency key is the payment's, so starting again (after a crash
/// between the provider's answer and recording it) gives the same page, not a second charge.
async fn start_at_provider(
    state: &AppState,
    user: &User,
    purchase: &Purchase<'_>,
    payment: &Payment,
) -> Result<(), ApiError> {
    let billing = state.billing();
    let now = state.now();
    let idempotency_key = format!("checkout-{}", payment.id);
    let started = billing
        .provider()
        .start(&ChargeRequest {
            payment_id: payment.id,
            kind: payment.kind,
            description: &purchase.description,
            amount: &payment.total_money(),
            interval: purchase.plan.map(|p| p.interval),
            customer_email: &user.email,
            idempotency_key: &idempotency_key,
            return_url: &billing.return_url,
        })
        .await;
    match started {
        Ok(Started::HostedPage { provider_ref, url }) => {
            state
                .store()
                .set_checkout(payment.id, &provider_ref, &url)
                .await?;
        }
        Ok(Started::AwaitingCard) => {}
        Err(err) => {
            // Give the coupon back and let the learner try again.
            let reason = err.to_string();
            let failed = Settlement::Failed { reason: &reason };
            state
                .store()
                .settle_payment(None, payment.id, failed, now)
                .await?;
            return Err(provider_error(err));
        }
    }
    Ok(())
}

fn paid_without_charge<'a>(state: &AppState, payment: &Payment) -> Settlement<'a> {
    Settlement::Paid {
        charge_ref: None,
        card: None,
        subscription: super::events::subscription_started_by(state, payment, None),
    }
}

async fn refreshed(state: &AppState, payment: Payment) -> Result<Payment, ApiError> {
    Ok(state.store().payment(payment.id).await?.unwrap_or(payment))
}

/// The coupon if it can be used for this purchase now (the store claims a redemption
/// atomically later; this gives the clear message when it cannot).
async fn usable_coupon(
    state: &AppState,
    code: &str,
    purchase: &Purchase<'_>,
    now: time::OffsetDateTime,
) -> Result<Coupon, ApiError> {
    let code = code.trim().to_uppercase();
    let coupon = state
        .store()
        .coupon(&code)
        .await?
        .ok_or_else(|| ApiError::NotFound(format!("no coupon `{code}`")))?;
    let refuse = |why: String| Err(ApiError::Validation(format!("coupon `{code}` {why}")));
    if coupon.disabled_at.is_some() {
        return refuse("is disabled".to_owned());
    }
    if coupon.expires_at.is_some_and(|at| at <= now) {
        return refuse("has expired".to_owned());
    }
    if let Some(only) = &coupon.course_id
        && purchase.course_id != Some(only.as_str())
    {
        return refuse(format!("is only for the course `{only}`"));
    }
    if let Some(off) = &coupon.amount_off
        && off.currency != purchase.price.currency
    {
        return refuse(format!(
            "takes {off} off, but this is priced in {}",
            purchase.price.currency
        ));
    }
    Ok(coupon)
}

/// Pays a pending sandbox payment with a test card. The card is attached once (a second
/// card for the same payment is ignored, so nothing is charged twice) and the outcome
/// arrives as a webhook event after this returns.
pub async fn pay_with_card(
    state: &AppState,
    payment: &Payment,
    number: &str,
) -> Result<(), ApiError> {
    let Some(sandbox) = state.billing().sandbox().cloned() else {
        return Err(ApiError::Validation(
            "this server's provider takes cards on its own checkout page: open the payment's \
             checkout_url"
                .to_owned(),
        ));
    };
    if payment.state != PaymentState::Pending {
        return Err(ApiError::Conflict(format!(
            "payment {} is {}, not pending",
            payment.id,
            payment.state.as_str()
        )));
    }
    let card = test_card(number).map_err(|e| ApiError::Validation(e.to_string()))?;
    let attached = state
        .store()
        .attach_card(payment.id, &card.label(), card.payment_method)
        .await?;
    if !attached {
        // Someone is paying it already. With the same card, deliver its outcome again:
        // the event id is the payment's, so this settles a payment whose first delivery was
        // lost (the server stopped in between) and changes nothing otherwise.
        if payment.card.as_deref() != Some(card.label().as_str()) {
            return Ok(());
        }
    }
    let delivery = sandbox.charge(payment.id, &card, state.now());
    let state = state.clone();
    // Like a provider's webhook, the outcome comes after the answer.
    tokio::spawn(async move {
        let provider: &dyn provider::PaymentProvider = &*sandbox;
        if let Err(err) =
            super::events::receive(&state, provider, &delivery.headers, &delivery.body).await
        {
            tracing::warn!(error = %err, "sandbox delivery failed");
        }
    });
    Ok(())
}

/// Fails the sandbox checkouts that waited longer than `--billing-checkout-minutes` for a
/// card, giving their coupon redemptions back (a job, on the injected clock). Stripe's
/// checkouts end through its own `checkout.session.expired` event instead: failing one here
/// could not stop the payer from paying on Stripe's page afterwards.
pub async fn abandon_stale_checkouts(
    state: &AppState,
    now: time::OffsetDateTime,
) -> Result<u32, crate::store::StoreError> {
    let Some(sandbox) = state.billing().sandbox() else {
        return Ok(0);
    };
    let name = provider::PaymentProvider::name(&**sandbox);
    let before = now - state.billing().checkout_wait;
    let mut abandoned = 0;
    for id in state.store().abandoned_checkouts(name, before).await? {
        let failed = Settlement::Failed {
            reason: "the checkout was abandoned: no card was sent in time",
        };
        if state.store().settle_payment(None, id, failed, now).await? {
            abandoned += 1;
        }
    }
    Ok(abandoned)
}

/// A provider failure as the API reports it: refusals are the payer's to fix (402),
/// the rest the server's (503).
pub fn provider_error(err: provider::ProviderError) -> ApiError {
    match err {
        provider::ProviderError::Refused(message) => ApiError::PaymentRequired(message),
        provider::ProviderError::Unsupported(message) => ApiError::Conflict(message),
        provider::ProviderError::Unavailable(message) => {
            ApiError::Unavailable(format!("the payment provider is unavailable: {message}"))
        }
    }
}
