//! How clients write numbers and times for people, so that the CLI and the TUI say the
//! same thing the same way.

/// `72%`, `72.5%`: a percentage with one decimal only when it says something.
pub fn percent(value: f64) -> String {
    let rounded = (value * 10.0).round() / 10.0;
    if rounded.fract() == 0.0 {
        format!("{rounded:.0}%")
    } else {
        format!("{rounded:.1}%")
    }
}

/// A moment to the minute, in UTC: `2026-03-01 14:05` (the caller says `UTC` where it
/// matters).
pub fn date(at: &time::OffsetDateTime) -> String {
    let at = at.to_offset(time::UtcOffset::UTC);
    format!(
        "{:04}-{:02}-{:02} {:02}:{:02}",
        at.year(),
        u8::from(at.month()),
        at.day(),
        at.hour(),
        at.minute()
    )
}

/// The countdown of a timed exam: `12:04 left`, `1:02:03 left`, or `time is up`.
pub fn countdown(seconds_left: i64) -> String {
    if seconds_left <= 0 {
        return "time is up".to_owned();
    }
    let (h, m, s) = (
        seconds_left / 3600,
        seconds_left / 60 % 60,
        seconds_left % 60,
    );
    if h > 0 {
        format!("{h}:{m:02}:{s:02} left")
    } else {
        format!("{m}:{s:02} left")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_are_utc_to_the_minute() {
        let at = time::macros::datetime!(2026-03-01 15:05:59 +01:00);
        assert_eq!(date(&at), "2026-03-01 14:05");
    }

    #[test]
    fn percentages_keep_a_decimal_only_when_it_says_something() {
        assert_eq!(percent(72.0), "72%");
        assert_eq!(percent(66.666), "66.7%");
        assert_eq!(percent(99.96), "100%");
    }

    #[test]
    fn countdowns() {
        assert_eq!(countdown(12 * 60 + 4), "12:04 left");
        assert_eq!(countdown(3600 + 65), "1:01:05 left");
        assert_eq!(countdown(1), "0:01 left");
        assert_eq!(countdown(0), "time is up");
        assert_eq!(countdown(-30), "time is up");
    }
}
