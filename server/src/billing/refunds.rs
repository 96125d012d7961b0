//! Refunds (admins): through the provider that charged, recorded in the ledger, audited.

use cloudmaster_core::api::{Money, Payment, PaymentState, RefundRequest, User};
use uuid::Uuid;

use super::checkout::provider_error;
use super::provider;
use super::records::{RefundEntry, Refunded};
use crate::auth::records::NewAuditEntry;
use crate::error::ApiError;
use crate::state::AppState;

/// `POST /billing/payments/{id}/refunds` (admins).
pub async fn refund(
    state: &AppState,
    admin: &User,
    payment_id: Uuid,
    request: &RefundRequest,
) -> Result<Payment, ApiError> {
    let payment = state
        .store()
        .payment(payment_id)
        .await?
        .ok_or_else(|| ApiError::NotFound(format!("no payment {payment_id}")))?;
    let paid = matches!(
        payment.state,
        PaymentState::Succeeded | PaymentState::PartiallyRefunded
    );
    let refundable = if paid {
        payment.total - payment.refunded
    } else {
        0
    };
    let amount = request.amount.unwrap_or(refundable);
    if request.amount.is_some_and(|a| a <= 0) {
        return Err(ApiError::Validation(
            "a refund's amount must be above zero (minor units)".to_owned(),
        ));
    }
    if refundable <= 0 || amount > refundable {
        return Err(ApiError::Conflict(format!(
            "payment {payment_id} is {} and {} can be refunded",
            payment.state.as_str(),
            Money {
                amount: refundable,
                currency: payment.currency.clone()
            }
        )));
    }
    let reference = refund_at_provider(state, &payment, amount).await?;
    let entry = RefundEntry {
        payment_id,
        amount,
        reason: request.reason.as_deref(),
        reference: &reference,
    };
    let now = state.now();
    let refunded = match state.store().refund(entry, now).await? {
        Refunded::Done(payment) => *payment,
        Refunded::NotRefundable { refundable } => {
            return Err(ApiError::Conflict(format!(
                "only {refundable} minor units of payment {payment_id} are left to refund"
            )));
        }
    };
    state.auth_cache().forget_user(payment.user_id);
    state
        .store()
        .append_audit(NewAuditEntry {
            at: now,
            actor_id: Some(admin.id),
            action: "billing.refund".to_owned(),
            subject_id: Some(payment.user_id),
            client_ip: None,
            detail: serde_json::json!({
                "payment_id": payment_id,
                "amount": amount,
                "currency": payment.currency,
                "reference": reference,
            }),
        })
        .await?;
    tracing::info!(%payment_id, amount, "refunded");
    Ok(refunded)
}

/// Refunds `amount` of `payment` at the provider that charged it and returns the
/// provider's refund id.
async fn refund_at_provider(
    state: &AppState,
    payment: &Payment,
    amount: i64,
) -> Result<String, ApiError> {
    let provider = state.billing().provider();
    if payment.provider != provider.name() {
        return Err(ApiError::Conflict(format!(
            "payment {} was made through {}, which this server no longer uses: refund it there",
            payment.id, payment.provider
        )));
    }
    let charge_ref = payment.provider_ref.as_deref().ok_or_else(|| {
        ApiError::Conflict(format!("payment {} has no charge to refund", payment.id))
    })?;
    provider
        .refund(&provider::RefundRequest {
            charge_ref,
            amount: &Money {
                amount,
                currency: payment.currency.clone(),
            },
            // A retried refund of the same amount from the same point is the same refund.
            idempotency_key: &format!("refund-{}-{}-{amount}", payment.id, payment.refunded),
        })
        .await
        .map_err(provider_error)
}
