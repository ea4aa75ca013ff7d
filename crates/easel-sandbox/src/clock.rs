//! Time as the services write it: HTTP dates, Unix seconds and compact UTC stamps.

use std::time::{SystemTime, UNIX_EPOCH};

use axum::http::header::HeaderValue;

/// An IMF-fixdate header value.
pub(crate) fn http_date(time: SystemTime) -> HeaderValue {
    HeaderValue::from_str(&httpdate::fmt_http_date(time)).expect("an IMF-fixdate is a valid header value")
}

/// Seconds since 1970 (0 if the clock is set before then).
pub(crate) fn unix_time() -> u64 {
    SystemTime::now().duration_since(UNIX_EPOCH).unwrap_or_default().as_secs()
}

/// `YYYYmmddHHMMSS` in UTC, as AUTOMATIC1111 writes its `job_timestamp`.
pub(crate) fn compact_utc(time: SystemTime) -> String {
    let secs = time.duration_since(UNIX_EPOCH).unwrap_or_default().as_secs();
    let (days, rest) = ((secs / 86_400) as i64, secs % 86_400);
    // Civil date from days since 1970-01-01 (Howard Hinnant's algorithm).
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let day_of_era = z - era * 146_097;
    let year_of_era = (day_of_era - day_of_era / 1460 + day_of_era / 36_524 - day_of_era / 146_096) / 365;
    let day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
    let month_index = (5 * day_of_year + 2) / 153;
    let day = day_of_year - (153 * month_index + 2) / 5 + 1;
    let month = if month_index < 10 { month_index + 3 } else { month_index - 9 };
    let year = year_of_era + era * 400 + i64::from(month <= 2);
    format!("{year:04}{month:02}{day:02}{:02}{:02}{:02}", rest / 3600, rest % 3600 / 60, rest % 60)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn compact_stamps_are_utc_civil_time() {
        let march = UNIX_EPOCH + Duration::from_secs(1_709_251_200 + 3661);
        assert_eq!(compact_utc(march), "20240301010101");
    }
}
