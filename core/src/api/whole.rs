//! Integers in request bodies, read the way JSON Schema defines them: `3` and `3.0` are the
//! same integer, so a client (or a generator working from the OpenAPI document) that writes
//! a whole number with a zero fraction is not refused. `3.5`, a number out of the field's
//! range, or one beyond ±[`MAX_SAFE`] (where JSON numbers stop being exact in most
//! clients) still is; the OpenAPI document says so with `maximum`.

use std::fmt;
use std::marker::PhantomData;

use serde::de::{self, Deserializer, Visitor};

/// The largest integer every JSON implementation reads exactly: 2^53 − 1.
pub const MAX_SAFE: i64 = 9_007_199_254_740_991;

/// `#[serde(deserialize_with = "whole::required")]` for an integer field.
pub fn required<'de, D, T>(d: D) -> Result<T, D::Error>
where
    D: Deserializer<'de>,
    T: TryFrom<i64> + TryFrom<u64>,
{
    d.deserialize_any(Whole(PhantomData))
}

/// `#[serde(default, deserialize_with = "whole::optional")]` for an `Option` of an integer.
pub fn optional<'de, D, T>(d: D) -> Result<Option<T>, D::Error>
where
    D: Deserializer<'de>,
    T: TryFrom<i64> + TryFrom<u64>,
{
    d.deserialize_option(Maybe(PhantomData))
}

struct Whole<T>(PhantomData<T>);

impl<T: TryFrom<i64> + TryFrom<u64>> Visitor<'_> for Whole<T> {
    type Value = T;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        write!(
            f,
            "an integer from {} to {}",
            min::<T>(),
            max::<T>().min(i128::from(MAX_SAFE))
        )
    }

    fn visit_i64<E: de::Error>(self, v: i64) -> Result<T, E> {
        let refused = || E::invalid_value(de::Unexpected::Signed(v), &self);
        if !(-MAX_SAFE..=MAX_SAFE).contains(&v) {
            return Err(refused());
        }
        T::try_from(v).map_err(|_| refused())
    }

    fn visit_u64<E: de::Error>(self, v: u64) -> Result<T, E> {
        match i64::try_from(v) {
            Ok(signed) if signed <= MAX_SAFE => {
                T::try_from(v).map_err(|_| E::invalid_value(de::Unexpected::Unsigned(v), &self))
            }
            _ => Err(E::invalid_value(de::Unexpected::Unsigned(v), &self)),
        }
    }

    fn visit_f64<E: de::Error>(self, v: f64) -> Result<T, E> {
        let refused = || E::invalid_value(de::Unexpected::Float(v), &self);
        // 2^53 - 1 is exact in an f64, and a whole f64 within it is exact in an i64.
        let safe = MAX_SAFE as f64;
        if v.fract() != 0.0 || !(-safe..=safe).contains(&v) {
            return Err(refused());
        }
        let whole = v as i64;
        T::try_from(whole).map_err(|_| refused())
    }
}

struct Maybe<T>(PhantomData<T>);

impl<'de, T: TryFrom<i64> + TryFrom<u64>> Visitor<'de> for Maybe<T> {
    type Value = Option<T>;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("an integer or null")
    }

    fn visit_none<E: de::Error>(self) -> Result<Option<T>, E> {
        Ok(None)
    }

    fn visit_unit<E: de::Error>(self) -> Result<Option<T>, E> {
        Ok(None)
    }

    fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Option<T>, D::Error> {
        required(d).map(Some)
    }
}

/// The smallest and largest value of `T`, for messages.
fn min<T: TryFrom<i64>>() -> i128 {
    if T::try_from(-1).is_ok() {
        // Every signed type the API uses is i64.
        -i128::from(MAX_SAFE)
    } else {
        0
    }
}

fn max<T: TryFrom<u64>>() -> i128 {
    let mut bits = 64;
    while bits > 8 && T::try_from(1u64 << (bits - 1)).is_err() {
        bits -= 1;
    }
    // The largest power of two that fits, doubled, minus one.
    (1i128 << bits) - 1
}

#[cfg(test)]
mod tests {
    use serde::Deserialize;

    #[derive(Debug, Deserialize, PartialEq)]
    struct Probe {
        #[serde(deserialize_with = "super::required")]
        version: i64,
        #[serde(default, deserialize_with = "super::optional")]
        days: Option<u32>,
    }

    fn parse(json: &str) -> Result<Probe, String> {
        serde_json::from_str(json).map_err(|e| e.to_string())
    }

    #[test]
    fn whole_numbers_with_a_zero_fraction_are_integers() {
        assert_eq!(
            parse(r#"{"version": -3.0, "days": 7.0}"#),
            Ok(Probe {
                version: -3,
                days: Some(7)
            })
        );
        assert_eq!(
            parse(r#"{"version": 2}"#),
            Ok(Probe {
                version: 2,
                days: None
            })
        );
        assert_eq!(
            parse(r#"{"version": 2, "days": null}"#),
            Ok(Probe {
                version: 2,
                days: None
            })
        );
    }

    #[test]
    fn fractions_and_out_of_range_values_are_refused() {
        let err = parse(r#"{"version": 1.5}"#).unwrap_err();
        assert!(err.contains("invalid value: floating point `1.5`"), "{err}");
        let err = parse(r#"{"version": 1, "days": -1}"#).unwrap_err();
        assert!(
            err.contains("expected an integer from 0 to 4294967295"),
            "{err}"
        );
        let err = parse(r#"{"version": 1, "days": 4294967296.0}"#).unwrap_err();
        assert!(err.contains("4294967296"), "{err}");
        let err = parse(r#"{"version": "1"}"#).unwrap_err();
        assert!(err.contains("invalid type: string"), "{err}");
    }
}
