//! Billing for learners: plans, checkout, subscriptions, cards, payments and receipts; and
//! the provider's webhook (an open route: its signature is its authentication). Every
//! mutating call takes an `Idempotency-Key` ([`crate::billing::idempotency`]).

use axum::Router;
use axum::body::Bytes;
use axum::extract::{DefaultBodyLimit, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use axum::routing::{delete, get, post};
use cloudmaster_core::api::{
    BillingStatus, CardRequest, CheckoutRequest, ErrorBody, Payment, Plan, Scope, SubscribeRequest,
    Subscription,
};
use uuid::Uuid;

use crate::auth::Auth;
use crate::billing::{account, checkout, events, idempotency};
use crate::error::ApiError;
use crate::extract::{Json, Path};
use crate::state::AppState;

/// The `Idempotency-Key` header of the mutating billing routes, as the OpenAPI document
/// describes it ([`idempotency`] reads it).
#[derive(serde::Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Header)]
pub struct IdempotencyKey {
    /// Makes a retry safe: the same key and request get the first answer again.
    #[serde(rename = "Idempotency-Key")]
    #[param(pattern = "^[!-~]{1,255}$")]
    _key: Option<String>,
}

/// The largest webhook delivery read (Stripe's events are a few KiB).
const MAX_WEBHOOK_BYTES: usize = 256 * 1024;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/billing/plans", get(plans))
        .route("/billing/status", get(status))
        .route("/billing/checkout", post(buy_course))
        .route("/billing/subscriptions", post(subscribe))
        .route("/billing/subscription", delete(cancel))
        .route("/billing/payments", get(payments))
        .route("/billing/payments/{payment}", get(payment))
        .route("/billing/payments/{payment}/card", post(pay_with_card))
        .route("/billing/return", get(checkout_return))
}

/// The routes a payment provider calls, without an account.
pub fn webhook_router() -> Router<AppState> {
    Router::new().route(
        "/billing/webhooks/stripe",
        post(stripe_webhook).layer(DefaultBodyLimit::max(MAX_WEBHOOK_BYTES)),
    )
}

/// The premium plans.
#[utoipa::path(get, path = "/api/v1/billing/plans", tag = "billing",
    responses((status = 200, body = [Plan])))]
pub async fn plans(State(state): State<AppState>) -> Json<Vec<Plan>> {
    Json(state.billing().plans().to_vec())
}

/// The caller's tier, subscription and purchased courses.
#[utoipa::path(get, path = "/api/v1/billing/status", tag = "billing",
    security(("bearer" = [])),
    responses((status = 200, body = BillingStatus), (status = 401, body = ErrorBody)))]
pub async fn status(
    State(state): State<AppState>,
    auth: Auth,
) -> Result<Json<BillingStatus>, ApiError> {
    auth.require(Scope::Learn)?;
    Ok(Json(account::status(&state, &auth.user).await?))
}

/// Buys a course: a pending payment to pay (with `card` at once on the sandbox, or on the
/// provider's page at `checkout_url`). The learner's pending payment for the course comes
/// back instead of a new one (200).
#[utoipa::path(post, path = "/api/v1/billing/checkout", tag = "billing",
    security(("bearer" = [])),
    params(IdempotencyKey),
    request_body = CheckoutRequest,
    responses(
        (status = 201, body = Payment),
        (status = 200, description = "the pending payment for this course", body = Payment),
        (status = 400, body = ErrorBody),
        (status = 402, description = "the provider refused", body = ErrorBody),
        (status = 404, description = "no such course or coupon", body = ErrorBody),
        (status = 409, description = "already bought; prerequisites missing; coupon used up; key in use", body = ErrorBody),
        (status = 422, description = "free course; unusable coupon; not a test card; key reused", body = ErrorBody),
        (status = 503, description = "the provider is unavailable", body = ErrorBody),
    ))]
pub async fn buy_course(
    State(state): State<AppState>,
    auth: Auth,
    headers: HeaderMap,
    Json(request): Json<CheckoutRequest>,
) -> Result<Response, ApiError> {
    auth.require(Scope::Learn)?;
    let user = &auth.user;
    Ok(
        idempotency::once(&state, user.id, &headers, "checkout", &request, || async {
            checkout::buy_course(&state, user, &request).await
        })
        .await,
    )
}

/// Subscribes to a premium plan: a pending payment for the first period.
#[utoipa::path(post, path = "/api/v1/billing/subscriptions", tag = "billing",
    security(("bearer" = [])),
    params(IdempotencyKey),
    request_body = SubscribeRequest,
    responses(
        (status = 201, body = Payment),
        (status = 200, description = "the pending subscription checkout", body = Payment),
        (status = 400, body = ErrorBody),
        (status = 402, body = ErrorBody),
        (status = 404, description = "no such plan or coupon", body = ErrorBody),
        (status = 409, description = "already subscribed; coupon used up; key in use", body = ErrorBody),
        (status = 422, body = ErrorBody),
        (status = 503, body = ErrorBody),
    ))]
pub async fn subscribe(
    State(state): State<AppState>,
    auth: Auth,
    headers: HeaderMap,
    Json(request): Json<SubscribeRequest>,
) -> Result<Response, ApiError> {
    auth.require(Scope::Learn)?;
    let user = &auth.user;
    Ok(
        idempotency::once(&state, user.id, &headers, "subscribe", &request, || async {
            checkout::subscribe(&state, user, &request).await
        })
        .await,
    )
}

/// Cancels the subscription at the end of the period paid for (premium lasts until then).
#[utoipa::path(delete, path = "/api/v1/billing/subscription", tag = "billing",
    security(("bearer" = [])),
    params(IdempotencyKey),
    responses(
        (status = 200, body = Subscription),
        (status = 404, description = "no subscription", body = ErrorBody),
        (status = 409, description = "a request with this key is still running", body = ErrorBody),
        (status = 503, body = ErrorBody),
    ))]
pub async fn cancel(
    State(state): State<AppState>,
    auth: Auth,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    auth.require(Scope::Learn)?;
    let user = &auth.user;
    Ok(
        idempotency::once(&state, user.id, &headers, "cancel", &(), || async {
            Ok((StatusCode::OK, account::cancel(&state, user).await?))
        })
        .await,
    )
}

/// The caller's payments, newest first, each with its history.
#[utoipa::path(get, path = "/api/v1/billing/payments", tag = "billing",
    security(("bearer" = [])),
    responses((status = 200, body = [Payment]), (status = 401, body = ErrorBody)))]
pub async fn payments(
    State(state): State<AppState>,
    auth: Auth,
) -> Result<Json<Vec<Payment>>, ApiError> {
    auth.require(Scope::Learn)?;
    Ok(Json(state.store().payments_of(auth.user.id).await?))
}

/// One payment: its receipt (the caller's own; admins see any).
#[utoipa::path(get, path = "/api/v1/billing/payments/{payment}", tag = "billing",
    security(("bearer" = [])),
    params(("payment" = Uuid, Path)),
    responses((status = 200, body = Payment), (status = 400, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn payment(
    State(state): State<AppState>,
    auth: Auth,
    Path(id): Path<Uuid>,
) -> Result<Json<Payment>, ApiError> {
    auth.require(Scope::Learn)?;
    Ok(Json(visible_payment(&state, &auth, id).await?))
}

/// Pays a pending payment with a sandbox test card. The outcome arrives asynchronously:
/// poll the payment until it is no longer `pending`.
#[utoipa::path(post, path = "/api/v1/billing/payments/{payment}/card", tag = "billing",
    security(("bearer" = [])),
    params(("payment" = Uuid, Path), IdempotencyKey),
    request_body = CardRequest,
    responses(
        (status = 202, description = "the card is being charged", body = Payment),
        (status = 400, body = ErrorBody),
        (status = 404, body = ErrorBody),
        (status = 409, description = "the payment is not pending", body = ErrorBody),
        (status = 422, description = "not a test card, or not the sandbox", body = ErrorBody),
    ))]
pub async fn pay_with_card(
    State(state): State<AppState>,
    auth: Auth,
    headers: HeaderMap,
    Path(id): Path<Uuid>,
    Json(request): Json<CardRequest>,
) -> Result<Response, ApiError> {
    auth.require(Scope::Learn)?;
    let payment = visible_payment(&state, &auth, id).await?;
    if payment.user_id != auth.user.id {
        return Err(ApiError::Forbidden(
            "only the payer pays a payment".to_owned(),
        ));
    }
    let operation = format!("card {id}");
    Ok(idempotency::once(
        &state,
        auth.user.id,
        &headers,
        &operation,
        &request,
        || async {
            checkout::pay_with_card(&state, &payment, &request.card).await?;
            let now = state.store().payment(id).await?.unwrap_or(payment.clone());
            Ok((StatusCode::ACCEPTED, now))
        },
    )
    .await)
}

/// The caller's payment, or any for admins; 404 for anyone else's.
async fn visible_payment(state: &AppState, auth: &Auth, id: Uuid) -> Result<Payment, ApiError> {
    state
        .store()
        .payment(id)
        .await?
        .filter(|p| p.user_id == auth.user.id || auth.is_admin())
        .ok_or_else(|| ApiError::NotFound(format!("no payment {id}")))
}

/// Where a hosted checkout sends the payer back: a page that says to return to the terminal.
#[utoipa::path(get, path = "/api/v1/billing/return", tag = "billing",
    responses((status = 200, description = "plain text", content_type = "text/plain")))]
pub async fn checkout_return() -> &'static str {
    "cloudmaster: you can close this page. Your terminal shows the payment's outcome as soon as \
     the provider confirms it (`cloudmaster billing payments`).\n"
}

/// Stripe's webhook: verified with the signing secret (`Stripe-Signature`), applied once
/// per event id. A forged, stale or malformed delivery is a 400 and changes nothing.
#[utoipa::path(post, path = "/api/v1/billing/webhooks/stripe", tag = "billing",
    params(("Stripe-Signature" = String, Header, description = "t=<unix time>,v1=<HMAC-SHA256>")),
    request_body(content = String, description = "Stripe's event JSON", content_type = "application/json"),
    responses(
        (status = 200, description = "applied, or seen before"),
        (status = 400, description = "bad signature, stale timestamp, malformed event", body = ErrorBody),
        (status = 404, description = "this server does not use Stripe", body = ErrorBody),
        (status = 413, body = ErrorBody),
    ))]
pub async fn stripe_webhook(
    State(state): State<AppState>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<StatusCode, ApiError> {
    if !headers.contains_key(crate::billing::signature::SIGNATURE_HEADER) {
        return Err(ApiError::BadRequest(
            "webhook refused: the Stripe-Signature header is missing".to_owned(),
        ));
    }
    let provider = state.billing().provider().clone();
    if provider.name() != "stripe" {
        return Err(ApiError::NotFound(
            "this server does not take payments through Stripe".to_owned(),
        ));
    }
    events::receive(&state, &*provider, &headers, &body).await?;
    Ok(StatusCode::OK)
}
