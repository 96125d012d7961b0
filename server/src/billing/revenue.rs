//! Revenue for admins: the ledger summed per UTC day, item and currency, refunds netted on
//! the day they were made.

use std::collections::BTreeMap;

use cloudmaster_core::api::{RevenueQuery, RevenueRow};
use time::{Date, OffsetDateTime, Time};

use crate::error::ApiError;
use crate::state::AppState;

/// The most days one request may sum.
const MAX_DAYS: u32 = 366;

fn day(text: &str, what: &str) -> Result<Date, ApiError> {
    let format = time::macros::format_description!("[year]-[month]-[day]");
    Date::parse(text, &format).map_err(|_| {
        ApiError::BadRequest(format!(
            "`{text}` is not a day for `{what}`: write YYYY-MM-DD"
        ))
    })
}

/// `GET /admin/revenue`.
pub async fn revenue(state: &AppState, query: &RevenueQuery) -> Result<Vec<RevenueRow>, ApiError> {
    let to = match query.to.as_deref() {
        Some(text) => day(text, "to")?,
        None => state.now().date(),
    };
    let days = query.days.unwrap_or(30);
    if !(1..=MAX_DAYS).contains(&days) {
        return Err(ApiError::BadRequest(format!(
            "`days` is 1 to {MAX_DAYS}, not {days}"
        )));
    }
    let from = to - time::Duration::days(i64::from(days) - 1);
    let start = OffsetDateTime::new_utc(from, Time::MIDNIGHT);
    let end = OffsetDateTime::new_utc(to, Time::MIDNIGHT) + time::Duration::days(1);
    let mut sums: BTreeMap<(Date, String, String), RevenueRow> = BTreeMap::new();
    for entry in state.store().ledger(start, end).await? {
        let date = entry.at.to_offset(time::UtcOffset::UTC).date();
        let row = sums
            .entry((date, entry.item.clone(), entry.currency.clone()))
            .or_insert_with(|| RevenueRow {
                day: date.to_string(),
                item: entry.item,
                currency: entry.currency,
                gross: 0,
                refunds: 0,
                net: 0,
                payments: 0,
            });
        if entry.amount > 0 {
            row.gross += entry.amount;
            row.payments += 1;
        } else {
            row.refunds -= entry.amount;
        }
        row.net += entry.amount;
    }
    Ok(sums.into_values().collect())
}
