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
