//! Background jobs: closing attempts whose time is up or that were abandoned, expiring
//! lab sessions, renewing and expiring subscriptions, abandoning checkouts that never got a
//! card, sending queued mail, and forgetting old idempotency keys, reset codes and sent mail.
//! Every replica runs them; each job is an idempotent conditional update (mail is claimed for
//! one sender at a time), so replicas racing on the same row cannot both act on it.
//!
//! [`run_once`] is what the loop runs; tests call it directly with an injected clock.

use std::time::Duration;

use crate::server_error::{Context as _, ServerError};
use crate::state::{AppState, WeakState};

/// How often the jobs run.
pub const EVERY: Duration = Duration::from_secs(30);

/// What one run of the jobs did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct JobReport {
    /// Attempts closed (time limit reached or abandoned) and graded.
    pub attempts_closed: u32,
    /// Lab sessions ended by their time limit or idle timeout.
    pub lab_sessions_expired: u32,
    /// Subscription renewals charged and subscriptions expired.
    pub renewals: crate::billing::renewals::RenewalReport,
    /// Sandbox checkouts that waited too long for a card.
    pub checkouts_abandoned: u32,
    /// Queued mail sent.
    pub mail_sent: u32,
}

/// How long reset codes are kept after they expire, and sent mail after it was queued.
const RESETS_KEPT_FOR: time::Duration = time::Duration::days(1);
const MAIL_KEPT_FOR: time::Duration = time::Duration::days(7);

/// Runs every job once at the state's clock.
pub async fn run_once(state: &AppState) -> Result<JobReport, ServerError> {
    let now = state.now();
    Ok(JobReport {
        attempts_closed: crate::learning::close_expired_attempts(state, now)
            .await
            .context("closing overdue attempts")?,
        lab_sessions_expired: crate::labs::expire_sessions(state, now).await?,
        renewals: {
            let keys_before = now - crate::billing::idempotency::KEPT_FOR;
            state
                .store()
                .prune_idempotency_keys(keys_before)
                .await
                .context("forgetting old idempotency keys")?;
            crate::billing::renewals::run(state, now)
                .await
                .context("renewing subscriptions")?
        },
        checkouts_abandoned: crate::billing::checkout::abandon_stale_checkouts(state, now)
            .await
            .context("abandoning stale checkouts")?,
        mail_sent: {
            let store = state.store();
            store
                .prune_password_resets(now - RESETS_KEPT_FOR)
                .await
                .context("forgetting expired reset codes")?;
            store
                .prune_mail(now - MAIL_KEPT_FOR)
                .await
                .context("forgetting sent mail")?;
            crate::mail::deliver_due(state, now)
                .await
                .context("sending queued mail")?
        },
    })
}

pub(crate) fn spawn(state: WeakState) {
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(EVERY);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
        loop {
            tick.tick().await;
            let Some(state) = state.upgrade() else { break };
            match run_once(&state).await {
                Ok(report) if report != JobReport::default() => {
                    tracing::info!(?report, "background jobs ran");
                }
                Ok(_) => {}
                Err(err) => tracing::warn!(
                    error = crate::error::error_chain(&err),
                    "background job failed"
                ),
            }
        }
    });
}
