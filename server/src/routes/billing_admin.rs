//! Billing for admins: refunds, coupons and revenue. Every route needs the `admin` scope,
//! checked before a body is read.

use axum::Router;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use axum::routing::{delete, get, post};
use cloudmaster_core::api::{
    Coupon, ErrorBody, NewCoupon, Payment, RefundRequest, RevenueQuery, RevenueRow, Scope,
};
use cloudmaster_core::money::checked_currency;
use uuid::Uuid;

use crate::auth::Auth;
use crate::billing::{idempotency, refunds, revenue};
use crate::error::ApiError;
use crate::extract::{Json, Path, Query};
use crate::state::AppState;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/admin/payments/{payment}/refunds", post(refund))
        .route("/admin/coupons", get(coupons).post(create_coupon))
        .route("/admin/coupons/{code}", delete(disable_coupon))
        .route("/admin/revenue", get(revenue_report))
        .route_layer(axum::middleware::from_fn_with_state(
            Scope::Admin,
            super::require_scope,
        ))
}

/// Refunds a payment, wholly (no amount) or in part. A whole refund of a course ends the
/// learner's paid access to it; of a subscription payment, the subscription.
#[utoipa::path(post, path = "/api/v1/admin/payments/{payment}/refunds", tag = "admin",
    security(("bearer" = [])),
    params(("payment" = Uuid, Path), super::billing::IdempotencyKey),
    request_body = RefundRequest,
    responses(
        (status = 200, body = Payment),
        (status = 400, body = ErrorBody),
        (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody),
        (status = 409, description = "not paid, or less than that left to refund", body = ErrorBody),
        (status = 422, body = ErrorBody),
        (status = 503, body = ErrorBody),
    ))]
pub async fn refund(
    State(state): State<AppState>,
    auth: Auth,
    headers: HeaderMap,
    Path(id): Path<Uuid>,
    Json(request): Json<RefundRequest>,
) -> Result<Response, ApiError> {
    auth.require(Scope::Admin)?;
    let operation = format!("refund {id}");
    let admin = &auth.user;
    Ok(
        idempotency::once(&state, admin.id, &headers, &operation, &request, || async {
            Ok((
                StatusCode::OK,
                refunds::refund(&state, admin, id, &request).await?,
            ))
        })
        .await,
    )
}

/// Every coupon, by code.
#[utoipa::path(get, path = "/api/v1/admin/coupons", tag = "admin",
    security(("bearer" = [])),
    responses((status = 200, body = [Coupon]), (status = 403, body = ErrorBody)))]
pub async fn coupons(
    State(state): State<AppState>,
    auth: Auth,
) -> Result<Json<Vec<Coupon>>, ApiError> {
    auth.require(Scope::Admin)?;
    Ok(Json(state.store().coupons().await?))
}

/// Creates a coupon: a percentage or an amount off, for one course or everything.
#[utoipa::path(post, path = "/api/v1/admin/coupons", tag = "admin",
    security(("bearer" = [])),
    request_body = NewCoupon,
    responses(
        (status = 201, body = Coupon),
        (status = 400, body = ErrorBody),
        (status = 403, body = ErrorBody),
        (status = 404, description = "no such course", body = ErrorBody),
        (status = 409, description = "the code exists", body = ErrorBody),
        (status = 422, body = ErrorBody),
    ))]
pub async fn create_coupon(
    State(state): State<AppState>,
    auth: Auth,
    Json(new): Json<NewCoupon>,
) -> Result<(StatusCode, Json<Coupon>), ApiError> {
    auth.require(Scope::Admin)?;
    let coupon = valid_coupon(&state, new).await?;
    state.store().insert_coupon(&coupon).await?;
    Ok((StatusCode::CREATED, Json(coupon)))
}

async fn valid_coupon(state: &AppState, new: NewCoupon) -> Result<Coupon, ApiError> {
    let code = new.code.trim().to_uppercase();
    let invalid = |why: &str| Err(ApiError::Validation(format!("coupon `{code}`: {why}")));
    if !(3..=40).contains(&code.len())
        || !code
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
    {
        return invalid("a code is 3 to 40 letters, digits, `-` or `_`");
    }
    let amount_off = match (new.percent_off, new.amount_off) {
        (Some(percent), None) if (1..=100).contains(&percent) => None,
        (Some(_), None) => return invalid("percent_off is 1 to 100"),
        (None, Some(mut off)) if off.amount > 0 => {
            off.currency =
                checked_currency(&off.currency).map_err(|e| ApiError::Validation(e.to_string()))?;
            Some(off)
        }
        (None, Some(_)) => return invalid("amount_off must be above zero (minor units)"),
        _ => return invalid("give exactly one of percent_off and amount_off"),
    };
    if new.max_redemptions == Some(0) {
        return invalid("max_redemptions must be at least 1 (leave it out for no limit)");
    }
    if let Some(course) = &new.course_id
        && state.store().course_detail(course).await?.is_none()
    {
        return Err(ApiError::NotFound(format!("no course `{course}`")));
    }
    Ok(Coupon {
        code,
        percent_off: new.percent_off,
        amount_off,
        course_id: new.course_id,
        expires_at: new.expires_at,
        max_redemptions: new.max_redemptions,
        redeemed: 0,
        disabled_at: None,
        created_at: state.now(),
    })
}

/// Disables a coupon: no new checkout can use it; payments made with it stay.
#[utoipa::path(delete, path = "/api/v1/admin/coupons/{code}", tag = "admin",
    security(("bearer" = [])),
    params(("code" = String, Path)),
    responses((status = 204), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn disable_coupon(
    State(state): State<AppState>,
    auth: Auth,
    Path(code): Path<String>,
) -> Result<StatusCode, ApiError> {
    auth.require(Scope::Admin)?;
    let code = code.to_uppercase();
    if state.store().disable_coupon(&code, state.now()).await? {
        Ok(StatusCode::NO_CONTENT)
    } else {
        Err(ApiError::NotFound(format!(
            "no coupon `{code}` that is not disabled already"
        )))
    }
}

/// Revenue per UTC day, item (course, or `plan:<id>`) and currency, refunds netted on the
/// day they were made: `days` days up to and including `to`.
#[utoipa::path(get, path = "/api/v1/admin/revenue", tag = "admin",
    security(("bearer" = [])),
    params(RevenueQuery),
    responses((status = 200, body = [RevenueRow]), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody)))]
pub async fn revenue_report(
    State(state): State<AppState>,
    auth: Auth,
    Query(query): Query<RevenueQuery>,
) -> Result<Json<Vec<RevenueRow>>, ApiError> {
    auth.require(Scope::Admin)?;
    Ok(Json(revenue::revenue(&state, &query).await?))
}
