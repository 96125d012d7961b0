//! [`Timestamp`]: the one encoding of time both backends bind and read.
//!
//! SQLite keeps an instant as INTEGER unix microseconds, PostgreSQL as TIMESTAMPTZ (also
//! microseconds). This type encodes to and decodes from both, so the shared queries in
//! `store/sql/` bind and read time the same way on either backend. A value is always UTC
//! and truncated to whole microseconds, so what a write returns equals what a read returns.

use sqlx::encode::IsNull;
use sqlx::error::BoxDynError;
use sqlx::{Database, Decode, Encode, Postgres, Sqlite, Type};
use time::OffsetDateTime;

/// An instant at storage precision (UTC, whole microseconds).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Timestamp(OffsetDateTime);

impl Timestamp {
    /// `t` in UTC, truncated to whole microseconds.
    pub fn new(t: OffsetDateTime) -> Timestamp {
        Timestamp(micros(t))
    }

    /// The instant as the API types carry it.
    pub fn get(self) -> OffsetDateTime {
        self.0
    }

    /// Unix microseconds, SQLite's stored form.
    fn unix_micros(self) -> i64 {
        // i64 microseconds cover ±292,000 years; the cast cannot truncate for real dates.
        (self.0.unix_timestamp_nanos() / 1_000) as i64
    }

    fn from_unix_micros(micros: i64) -> Result<Timestamp, BoxDynError> {
        let t = OffsetDateTime::from_unix_timestamp_nanos(i128::from(micros) * 1_000)
            .map_err(|e| format!("timestamp {micros}: {e}"))?;
        Ok(Timestamp(t))
    }
}

/// The instant `t` in UTC, truncated to whole microseconds: the precision both backends
/// store, so a value returned by a write equals the value a later read returns.
pub(crate) fn micros(t: OffsetDateTime) -> OffsetDateTime {
    let t = t.to_offset(time::UtcOffset::UTC);
    let nanos = t.nanosecond() / 1_000 * 1_000;
    t.replace_nanosecond(nanos).unwrap_or(t)
}

impl From<OffsetDateTime> for Timestamp {
    fn from(t: OffsetDateTime) -> Timestamp {
        Timestamp::new(t)
    }
}

impl From<Timestamp> for OffsetDateTime {
    fn from(t: Timestamp) -> OffsetDateTime {
        t.0
    }
}

impl Type<Sqlite> for Timestamp {
    fn type_info() -> <Sqlite as Database>::TypeInfo {
        <i64 as Type<Sqlite>>::type_info()
    }
    fn compatible(ty: &<Sqlite as Database>::TypeInfo) -> bool {
        <i64 as Type<Sqlite>>::compatible(ty)
    }
}

impl Encode<'_, Sqlite> for Timestamp {
    fn encode_by_ref(
        &self,
        buf: &mut <Sqlite as Database>::ArgumentBuffer,
    ) -> Result<IsNull, BoxDynError> {
        <i64 as Encode<Sqlite>>::encode(self.unix_micros(), buf)
    }
}

impl<'r> Decode<'r, Sqlite> for Timestamp {
    fn decode(value: <Sqlite as Database>::ValueRef<'r>) -> Result<Self, BoxDynError> {
        Timestamp::from_unix_micros(<i64 as Decode<Sqlite>>::decode(value)?)
    }
}

impl Type<Postgres> for Timestamp {
    fn type_info() -> <Postgres as Database>::TypeInfo {
        <OffsetDateTime as Type<Postgres>>::type_info()
    }
    fn compatible(ty: &<Postgres as Database>::TypeInfo) -> bool {
        <OffsetDateTime as Type<Postgres>>::compatible(ty)
    }
}

impl Encode<'_, Postgres> for Timestamp {
    fn encode_by_ref(
        &self,
        buf: &mut <Postgres as Database>::ArgumentBuffer,
    ) -> Result<IsNull, BoxDynError> {
        <OffsetDateTime as Encode<Postgres>>::encode(self.0, buf)
    }
}

impl<'r> Decode<'r, Postgres> for Timestamp {
    fn decode(value: <Postgres as Database>::ValueRef<'r>) -> Result<Self, BoxDynError> {
        Ok(Timestamp::new(
            <OffsetDateTime as Decode<Postgres>>::decode(value)?,
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    #[test]
    fn unix_micros_round_trip_at_storage_precision() {
        let t = Timestamp::new(datetime!(2025-01-01 10:00:00.123456789 +02:00));
        assert_eq!(t.get(), datetime!(2025-01-01 08:00:00.123456 UTC));
        assert_eq!(Timestamp::from_unix_micros(t.unix_micros()).unwrap(), t);
    }

    #[test]
    fn micros_truncates_and_normalises_to_utc() {
        let t = datetime!(2025-01-01 10:00:00.123456789 +02:00);
        let m = micros(t);
        assert_eq!(m.offset(), time::UtcOffset::UTC);
        assert_eq!(m.nanosecond(), 123_456_000);
        assert_eq!(m, datetime!(2025-01-01 08:00:00.123456 UTC));
    }
}
