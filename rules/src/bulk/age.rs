//! Ages and other spans derived from a date at the evaluation date, over whole columns.
//!
//! A rule such as "age at least 60" never needs the ages themselves: it holds exactly for the
//! dates of birth on or before one day, the last day 60 years before the evaluation date, so the
//! engine compares the date column with that day ([`at_least_from`]) and derives no column. The
//! full derivation ([`derive`]) is kept for the rare comparisons that need the numbers (an age
//! against another fact); a test checks that the two agree day by day.

use chrono::{Datelike, NaiveDate};

use crate::facts::days_from_date;
use crate::vocabulary::Unit;

/// Completed years, months or days from each date of `dates` to `as_of`, `None` where the date
/// is unknown or after `as_of`, by integer civil-date arithmetic.
pub fn derive(dates: &[Option<i64>], as_of: NaiveDate, unit: Unit) -> Vec<Option<i64>> {
    let (ay, am, ad) = (i64::from(as_of.year()), i64::from(as_of.month()), i64::from(as_of.day()));
    let as_of_days = days_from_date(as_of);
    dates
        .iter()
        .map(|d| {
            let days = (*d)?;
            if days > as_of_days {
                return None;
            }
            if unit == Unit::Days {
                return Some(as_of_days - days);
            }
            let (y, m, d) = civil_from_days(days);
            let mut total = (ay - y) * 12 + (am - m);
            if ad < d {
                total -= 1;
            }
            Some(if unit == Unit::Months { total } else { total.div_euclid(12) })
        })
        .collect()
}

/// The last date (in days since 1970) whose span to `as_of` in `unit` is at least `k`: a span
/// is at least `k` exactly for the dates on or before it (and not after `as_of`). `None` when
/// `k` is too far out to be worth the arithmetic (beyond a million years or months), where the
/// caller derives instead.
pub fn at_least_from(as_of: NaiveDate, unit: Unit, k: i64) -> Option<i64> {
    if k.abs() > 1_000_000 {
        return None;
    }
    let as_of_days = days_from_date(as_of);
    let months_back = match unit {
        Unit::Days => return Some(as_of_days - k),
        Unit::Months => k,
        Unit::Years => k * 12,
    };
    // The span is at least k months exactly when (year, month, day) of the date is at most
    // (year, month) of `as_of` moved back k months with `as_of`'s day; where that day does not
    // exist in the month (the 31st, 29 February), the month's last day is the last such date.
    let index = i64::from(as_of.year()) * 12 + i64::from(as_of.month()) - 1 - months_back;
    let (y, m) = (index.div_euclid(12), index.rem_euclid(12) + 1);
    let d = i64::from(as_of.day()).min(days_in_month(y, m));
    Some(days_from_civil(y, m, d))
}

fn days_in_month(y: i64, m: i64) -> i64 {
    match m {
        4 | 6 | 9 | 11 => 30,
        2 if (y % 4 == 0 && y % 100 != 0) || y % 400 == 0 => 29,
        2 => 28,
        _ => 31,
    }
}

/// Days since 1970-01-01 to (year, month, day), Howard Hinnant's algorithm.
pub fn civil_from_days(z: i64) -> (i64, i64, i64) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    (y, m, d)
}

/// (year, month, day) to days since 1970-01-01, the inverse of [`civil_from_days`].
pub fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = if m > 2 { m - 3 } else { m + 9 };
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::facts::date_from_days;

    #[test]
    fn civil_dates_match_chrono_both_ways() {
        for days in (-30_000..40_000).step_by(7) {
            let d = date_from_days(days);
            let ymd = (i64::from(d.year()), i64::from(d.month()), i64::from(d.day()));
            assert_eq!(civil_from_days(days), ymd);
            assert_eq!(days_from_civil(ymd.0, ymd.1, ymd.2), days);
        }
    }

    /// The threshold day decides "span at least k" exactly as the derived span does, on every
    /// day around it, for evaluation dates on month ends and leap days.
    #[test]
    fn the_threshold_day_agrees_with_the_derived_span() {
        let as_ofs = ["2024-02-29", "2023-03-31", "2026-11-23", "2025-01-31", "2024-12-31", "2023-02-28"];
        for as_of in as_ofs {
            let as_of: NaiveDate = as_of.parse().unwrap();
            let today = days_from_date(as_of);
            for unit in [Unit::Years, Unit::Months, Unit::Days] {
                for k in [-2, 0, 1, 2, 11, 12, 13, 15, 18, 49, 60, 70, 79, 80, 270] {
                    let last = at_least_from(as_of, unit, k).unwrap();
                    let dates: Vec<Option<i64>> =
                        (last - 40..=last + 40).chain(today - 3..=today).map(Some).collect();
                    for (d, span) in dates.iter().zip(derive(&dates, as_of, unit)) {
                        let d = d.unwrap();
                        let by_threshold = d <= last && d <= today;
                        assert_eq!(
                            by_threshold,
                            span.is_some_and(|s| s >= k),
                            "{unit:?} >= {k} on {as_of}: born {}",
                            date_from_days(d)
                        );
                    }
                }
            }
        }
    }
}
