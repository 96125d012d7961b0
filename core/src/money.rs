//! Money: integer minor units of an ISO 4217 currency, never floating point.
//!
//! [`Money`] has no constructor or conversion from `f32`/`f64`, and its JSON form takes the
//! amount as an integer only (`49.5` is refused when decoding), so a price cannot pass
//! through a binary fraction anywhere between the course YAML, the ledger and a receipt.
//! Amounts people type ("49.00") are parsed as decimal text by [`Money::parse`].

use std::fmt;

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// An amount in minor units (cents for USD, yen for JPY) with its currency.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
pub struct Money {
    /// Integer minor units: 4900 is 49.00 USD.
    pub amount: i64,
    /// ISO 4217 code, three upper-case letters.
    pub currency: String,
}

/// Why an amount or currency was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MoneyError {
    #[error("`{0}` is not an ISO 4217 currency code (three upper-case letters, such as USD)")]
    Currency(String),
    #[error(
        "`{text}` is not an amount of {currency}: write digits with at most {digits} decimal places, such as {example}"
    )]
    Amount {
        text: String,
        currency: String,
        digits: u32,
        example: String,
    },
    #[error("the amount is too large")]
    Overflow,
}

impl Money {
    /// `amount` minor units of `currency`, which must look like an ISO 4217 code.
    pub fn new(amount: i64, currency: &str) -> Result<Money, MoneyError> {
        Ok(Money {
            amount,
            currency: checked_currency(currency)?,
        })
    }

    /// Parses an amount written in major units ("49", "49.5", "49.00") as exact decimal text.
    pub fn parse(text: &str, currency: &str) -> Result<Money, MoneyError> {
        let currency = checked_currency(currency)?;
        let digits = minor_digits(&currency);
        let bad = || MoneyError::Amount {
            text: text.to_owned(),
            currency: currency.clone(),
            digits,
            example: if digits == 0 {
                "500".to_owned()
            } else {
                format!("12.{}", "0".repeat(digits as usize))
            },
        };
        let (whole, fraction) = text.trim().split_once('.').unwrap_or((text.trim(), ""));
        let all_digits = |s: &str| s.bytes().all(|b| b.is_ascii_digit());
        if whole.is_empty()
            || !all_digits(whole)
            || !all_digits(fraction)
            || fraction.len() > digits as usize
            || (text.contains('.') && fraction.is_empty())
        {
            return Err(bad());
        }
        let scale = 10i64.pow(digits);
        let whole: i64 = whole.parse().map_err(|_| MoneyError::Overflow)?;
        let fraction: i64 = if fraction.is_empty() {
            0
        } else {
            format!("{fraction:0<width$}", width = digits as usize)
                .parse()
                .map_err(|_| bad())?
        };
        let amount = whole
            .checked_mul(scale)
            .and_then(|a| a.checked_add(fraction))
            .ok_or(MoneyError::Overflow)?;
        Ok(Money { amount, currency })
    }

    /// The amount in major units as exact decimal text, without the currency: "49.00".
    pub fn decimal(&self) -> String {
        let digits = minor_digits(&self.currency);
        if digits == 0 {
            return self.amount.to_string();
        }
        let scale = 10u64.pow(digits);
        let sign = if self.amount < 0 { "-" } else { "" };
        let abs = self.amount.unsigned_abs();
        format!(
            "{sign}{}.{:0width$}",
            abs / scale,
            abs % scale,
            width = digits as usize
        )
    }

    /// `percent` per cent of this amount, rounded half up to a whole minor unit.
    pub fn percent(&self, percent: u32) -> i64 {
        let product = i128::from(self.amount) * i128::from(percent);
        let rounded = (product + 50).div_euclid(100);
        i64::try_from(rounded).unwrap_or(i64::MAX)
    }
}

impl fmt::Display for Money {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", self.decimal(), self.currency)
    }
}

/// The code upper-cased if it is three ASCII letters.
pub fn checked_currency(code: &str) -> Result<String, MoneyError> {
    if code.len() == 3 && code.bytes().all(|b| b.is_ascii_alphabetic()) {
        Ok(code.to_ascii_uppercase())
    } else {
        Err(MoneyError::Currency(code.to_owned()))
    }
}

/// Digits after the decimal point in the currency's minor unit (ISO 4217): none for the
/// yen and the won, three for the dinars of Bahrain, Iraq, Jordan, Kuwait, Libya and
/// Tunisia and the Omani rial, two for the rest.
pub fn minor_digits(currency: &str) -> u32 {
    match currency {
        "BIF" | "CLP" | "DJF" | "GNF" | "ISK" | "JPY" | "KMF" | "KRW" | "PYG" | "RWF" | "UGX"
        | "VND" | "VUV" | "XAF" | "XOF" | "XPF" => 0,
        "BHD" | "IQD" | "JOD" | "KWD" | "LYD" | "OMR" | "TND" => 3,
        _ => 2,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn amounts_parse_as_exact_decimals() {
        assert_eq!(Money::parse("49.00", "usd").unwrap().amount, 4900);
        assert_eq!(Money::parse("49.5", "USD").unwrap().amount, 4950);
        assert_eq!(Money::parse("0.07", "USD").unwrap().amount, 7);
        assert_eq!(Money::parse("500", "JPY").unwrap().amount, 500);
        assert_eq!(Money::parse("1.250", "KWD").unwrap().amount, 1250);
        for bad in ["", "1.", ".5", "1.234", "-1", "1e3", "1,50", "NaN"] {
            assert!(Money::parse(bad, "USD").is_err(), "{bad}");
        }
        assert!(Money::parse("1.5", "JPY").is_err());
        assert!(Money::parse("1", "US").is_err());
        assert_eq!(
            Money::parse("99999999999999999999", "USD"),
            Err(MoneyError::Overflow)
        );
    }

    #[test]
    fn amounts_print_in_major_units() {
        let m = |a, c| Money::new(a, c).unwrap().to_string();
        assert_eq!(m(4900, "USD"), "49.00 USD");
        assert_eq!(m(7, "EUR"), "0.07 EUR");
        assert_eq!(m(-1250, "USD"), "-12.50 USD");
        assert_eq!(m(500, "JPY"), "500 JPY");
        assert_eq!(m(1250, "KWD"), "1.250 KWD");
    }

    #[test]
    fn percentages_round_half_up_in_integers() {
        let price = Money::new(4900, "USD").unwrap();
        assert_eq!(price.percent(25), 1225);
        assert_eq!(Money::new(1, "USD").unwrap().percent(50), 1);
        assert_eq!(Money::new(3, "USD").unwrap().percent(33), 1);
        assert_eq!(Money::new(i64::MAX, "USD").unwrap().percent(100), i64::MAX);
    }

    #[test]
    fn json_refuses_fractional_amounts() {
        let ok: Money = serde_json::from_str(r#"{"amount": 4900, "currency": "USD"}"#).unwrap();
        assert_eq!(ok.amount, 4900);
        for float in [
            r#"{"amount": 49.5, "currency": "USD"}"#,
            r#"{"amount": 4900.0, "currency": "USD"}"#,
            r#"{"amount": 1e3, "currency": "USD"}"#,
        ] {
            assert!(serde_json::from_str::<Money>(float).is_err(), "{float}");
        }
    }
}
