//! Daily token budgets: each tier's tokens per UTC day, counted from what the provider says
//! each answer used. Checked before a question is sent, so the answer that crosses the line
//! completes and the next question is refused with 429 and when the budget resets.

use cloudmaster_core::api::{TutorBudget, User};
use time::{Duration, OffsetDateTime, Time};

use crate::error::ApiError;
use crate::state::AppState;

/// Days since 1970-01-01 (UTC) of `at`.
pub fn day(at: OffsetDateTime) -> i32 {
    let days = (at.unix_timestamp()).div_euclid(86_400);
    i32::try_from(days).unwrap_or(i32::MAX)
}

/// When the budget of the day of `at` resets: the next UTC midnight.
pub fn resets_at(at: OffsetDateTime) -> OffsetDateTime {
    let utc = at.to_offset(time::UtcOffset::UTC);
    utc.replace_time(Time::MIDNIGHT) + Duration::days(1)
}

/// The learner's budget today.
pub async fn budget(
    state: &AppState,
    user: &User,
    now: OffsetDateTime,
) -> Result<TutorBudget, ApiError> {
    Ok(TutorBudget {
        used_tokens: state.store().tutor_tokens(user.id, day(now)).await?,
        daily_tokens: state.config().tutor.daily_tokens(user.tier),
        resets_at: resets_at(now),
    })
}

/// 429 when the learner's tokens for today are spent.
pub async fn check(state: &AppState, user: &User, now: OffsetDateTime) -> Result<(), ApiError> {
    let budget = budget(state, user, now).await?;
    if budget.used_tokens < budget.daily_tokens {
        return Ok(());
    }
    let retry_after = u64::try_from((budget.resets_at - now).whole_seconds()).unwrap_or(0);
    let resets = budget
        .resets_at
        .format(&time::format_description::well_known::Rfc3339)
        .unwrap_or_default();
    let more = match user.tier {
        cloudmaster_core::api::Tier::Free => " (premium learners get more)",
        cloudmaster_core::api::Tier::Premium => "",
    };
    Err(ApiError::Throttled {
        message: format!(
            "you have used today's tutor budget of {} tokens{more}; it resets at {resets}",
            budget.daily_tokens
        ),
        retry_after: retry_after.max(1),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    #[test]
    fn the_day_turns_at_utc_midnight() {
        let before = datetime!(2026-03-01 23:59:59 UTC);
        assert_eq!(day(before) + 1, day(before + Duration::seconds(1)));
        assert_eq!(resets_at(before), datetime!(2026-03-02 00:00 UTC));
        assert_eq!(
            resets_at(datetime!(2026-03-01 20:00 -05:00)),
            datetime!(2026-03-03 00:00 UTC)
        );
    }
}
