//! Go's `time.Time` as a template object: an instant (Unix seconds + nanoseconds) with a
//! location (UTC, Local, an IANA zone, or a fixed offset), its civil fields, its methods
//! (`Unix`, `Year`, `Month`, `Format`, `UTC`, `Add`, ...) and `String()`; plus `time.Month`,
//! `time.Weekday` and `*time.Location`.

use std::sync::Arc;

use jiff::tz::TimeZone;

use super::duration::{Duration, SECOND};
use super::layout;
use crate::{FuncError, Object, Value};

pub const LONG_MONTHS: [&str; 12] = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
];
pub const LONG_DAYS: [&str; 7] = [
    "Sunday",
    "Monday",
    "Tuesday",
    "Wednesday",
    "Thursday",
    "Friday",
    "Saturday",
];

/// A `*time.Location`.
#[derive(Clone, Debug)]
pub enum Loc {
    Utc,
    /// `time.Local`: the system zone.
    Local(TimeZone),
    /// A zone loaded by IANA name.
    Named(String, TimeZone),
    /// `time.FixedZone(name, offset)`.
    Fixed(String, i32),
}

impl Loc {
    pub fn local() -> Loc {
        Loc::Local(TimeZone::system())
    }

    /// Go's `time.LoadLocation`: "" and "UTC" are UTC, "Local" is local, else an IANA name
    /// (exact case, as Go reads zoneinfo files).
    pub fn load(name: &str) -> Option<Loc> {
        match name {
            "" | "UTC" => Some(Loc::Utc),
            "Local" => Some(Loc::local()),
            _ => {
                if name.contains("..") || name.starts_with('/') || name.contains('\\') {
                    return None;
                }
                let tz = jiff::tz::db().get(name).ok()?;
                (tz.iana_name() == Some(name)).then(|| Loc::Named(name.to_string(), tz))
            }
        }
    }

    /// Go's `Location.String()`.
    pub fn name(&self) -> &str {
        match self {
            Loc::Utc => "UTC",
            Loc::Local(_) => "Local",
            Loc::Named(n, _) | Loc::Fixed(n, _) => n,
        }
    }

    /// The zone abbreviation and offset (seconds east of UTC) in effect at a Unix second.
    pub fn lookup(&self, unix: i64) -> (String, i32) {
        match self {
            Loc::Utc => ("UTC".into(), 0),
            Loc::Fixed(n, off) => (n.clone(), *off),
            Loc::Local(tz) | Loc::Named(_, tz) => {
                let clamped = unix.clamp(
                    jiff::Timestamp::MIN.as_second(),
                    jiff::Timestamp::MAX.as_second(),
                );
                let ts =
                    jiff::Timestamp::from_second(clamped).unwrap_or(jiff::Timestamp::UNIX_EPOCH);
                let info = tz.to_offset_info(ts);
                (info.abbreviation().to_string(), info.offset().seconds())
            }
        }
    }
}

/// A Go `time.Time` (without the monotonic clock reading).
#[derive(Clone, Debug)]
pub struct GoTime {
    pub unix: i64,
    pub nsec: u32,
    pub loc: Loc,
}

/// Days since 1970-01-01 of a proleptic Gregorian date (any i64 range that fits).
pub fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146097 + doe - 719468
}

/// (year, month 1-12, day 1-31) of days since 1970-01-01.
pub fn civil_from_days(z: i64) -> (i64, i64, i64) {
    let z = z + 719468;
    let era = z.div_euclid(146097);
    let doe = z - era * 146097;
    let yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    (if m <= 2 { y + 1 } else { y }, m, d)
}

pub fn is_leap(y: i64) -> bool {
    y % 4 == 0 && (y % 100 != 0 || y % 400 == 0)
}

pub fn days_in(month: i64, year: i64) -> i64 {
    match month {
        2 if is_leap(year) => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// The civil fields of a time in its location.
pub struct Civil {
    pub year: i64,
    pub month: i64,
    pub day: i64,
    pub hour: i64,
    pub min: i64,
    pub sec: i64,
    pub nsec: i64,
    /// 0 = Sunday.
    pub weekday: i64,
    /// 1-based day of the year.
    pub yday: i64,
    pub zone: String,
    pub offset: i32,
}

impl GoTime {
    pub fn now() -> GoTime {
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap_or_default();
        GoTime {
            unix: now.as_secs() as i64,
            nsec: now.subsec_nanos(),
            loc: Loc::local(),
        }
    }

    /// `time.Unix(sec, 0)` (Local).
    pub fn from_unix(sec: i64) -> GoTime {
        GoTime {
            unix: sec,
            nsec: 0,
            loc: Loc::local(),
        }
    }

    /// Go's zero `time.Time{}`: January 1, year 1, 00:00:00 UTC.
    pub fn zero() -> GoTime {
        GoTime {
            unix: days_from_civil(1, 1, 1) * 86400,
            nsec: 0,
            loc: Loc::Utc,
        }
    }

    /// Go's `time.Date(...)` in `loc`, normalising out-of-range fields.
    #[allow(clippy::too_many_arguments)]
    pub fn date(y: i64, mo: i64, d: i64, h: i64, mi: i64, s: i64, ns: i64, loc: Loc) -> GoTime {
        let m0 = mo - 1;
        let y = y + m0.div_euclid(12);
        let mo = m0.rem_euclid(12) + 1;
        let sec_total = s + ns.div_euclid(1_000_000_000);
        let ns = ns.rem_euclid(1_000_000_000);
        let local = (days_from_civil(y, mo, 1) + d - 1) * 86400 + h * 3600 + mi * 60 + sec_total;
        let (_, off1) = loc.lookup(local);
        let mut unix = local - off1 as i64;
        let (_, off2) = loc.lookup(unix);
        if off2 != off1 {
            unix = local - off2 as i64;
        }
        GoTime {
            unix,
            nsec: ns as u32,
            loc,
        }
    }

    pub fn in_loc(&self, loc: Loc) -> GoTime {
        GoTime {
            loc,
            ..self.clone()
        }
    }

    pub fn civil(&self) -> Civil {
        let (zone, offset) = self.loc.lookup(self.unix);
        let local = self.unix.saturating_add(offset as i64);
        let days = local.div_euclid(86400);
        let sod = local.rem_euclid(86400);
        let (year, month, day) = civil_from_days(days);
        Civil {
            year,
            month,
            day,
            hour: sod / 3600,
            min: sod % 3600 / 60,
            sec: sod % 60,
            nsec: self.nsec as i64,
            weekday: (days + 4).rem_euclid(7),
            yday: days - days_from_civil(year, 1, 1) + 1,
            zone,
            offset,
        }
    }

    /// Nanoseconds since the Unix epoch (Go's `UnixNano`, wrapping outside ±292 years).
    pub fn unix_nano(&self) -> i64 {
        self.unix
            .wrapping_mul(1_000_000_000)
            .wrapping_add(self.nsec as i64)
    }

    /// `t.Add(d)`.
    pub fn add(&self, d: i64) -> GoTime {
        let total = self.nsec as i64 + d.rem_euclid(SECOND);
        GoTime {
            unix: self
                .unix
                .saturating_add(d.div_euclid(SECOND))
                .saturating_add(total / SECOND),
            nsec: (total % SECOND) as u32,
            loc: self.loc.clone(),
        }
    }

    /// `t.Sub(u)`, saturating like Go.
    pub fn sub(&self, u: &GoTime) -> i64 {
        let secs = (self.unix as i128 - u.unix as i128) * SECOND as i128
            + (self.nsec as i128 - u.nsec as i128);
        secs.clamp(i64::MIN as i128, i64::MAX as i128) as i64
    }

    fn cmp(&self, u: &GoTime) -> std::cmp::Ordering {
        (self.unix, self.nsec).cmp(&(u.unix, u.nsec))
    }

    /// Go's `Time.String()`.
    pub fn to_go_string(&self) -> String {
        layout::format(self, "2006-01-02 15:04:05.999999999 -0700 MST")
    }

    pub fn value(self) -> Value {
        Value::Object(Arc::new(self))
    }
}

/// A `time.Time` argument, or Go's argument-type error.
pub fn time_arg(v: &Value) -> Result<GoTime, FuncError> {
    if let Value::Object(o) = v {
        if let Some(t) = o.as_any().downcast_ref::<GoTime>() {
            return Ok(t.clone());
        }
    }
    Err(FuncError::new(format!(
        "wrong type for value; expected time.Time; got {}",
        v.type_name()
    )))
}

/// An integer-kinded argument (int, int64, `time.Duration`, `time.Month`).
pub fn int_arg(v: &Value) -> Result<i64, FuncError> {
    match v {
        Value::Int(i, _) => Ok(*i),
        Value::Uint(u, _) => Ok(*u as i64),
        Value::Object(o) => {
            if let Some(d) = o.as_any().downcast_ref::<Duration>() {
                return Ok(d.0);
            }
            Err(FuncError::new(format!(
                "wrong type for value; expected time.Duration; got {}",
                o.type_name()
            )))
        }
        other => Err(FuncError::new(format!(
            "wrong type for value; expected time.Duration; got {}",
            other.type_name()
        ))),
    }
}

impl Object for GoTime {
    fn type_name(&self) -> &str {
        "time.Time"
    }

    fn field(&self, name: &str) -> Option<Value> {
        let c = || self.civil();
        Some(match name {
            "Unix" => Value::int64(self.unix),
            "UnixMilli" => Value::int64(
                self.unix
                    .wrapping_mul(1000)
                    .wrapping_add(self.nsec as i64 / 1_000_000),
            ),
            "UnixMicro" => Value::int64(
                self.unix
                    .wrapping_mul(1_000_000)
                    .wrapping_add(self.nsec as i64 / 1000),
            ),
            "UnixNano" => Value::int64(self.unix_nano()),
            "Year" => Value::int(c().year),
            "Month" => Named::month(c().month),
            "Day" => Value::int(c().day),
            "Hour" => Value::int(c().hour),
            "Minute" => Value::int(c().min),
            "Second" => Value::int(c().sec),
            "Nanosecond" => Value::int(self.nsec as i64),
            "YearDay" => Value::int(c().yday),
            "Weekday" => Named::weekday(c().weekday),
            "UTC" => self.in_loc(Loc::Utc).value(),
            "Local" => self.in_loc(Loc::local()).value(),
            "Location" => Value::Object(Arc::new(Location(self.loc.clone()))),
            "IsZero" => Value::Bool(self.unix == GoTime::zero().unix && self.nsec == 0),
            "String" => Value::from(self.to_go_string()),
            _ => return None,
        })
    }

    fn method(&self, name: &str, args: &[Value]) -> Option<Result<Value, FuncError>> {
        let one = || -> Result<&Value, FuncError> {
            match args {
                [a] => Ok(a),
                _ => Err(FuncError::new(format!(
                    "wrong number of args for {name}: want 1 got {}",
                    args.len()
                ))),
            }
        };
        let res = match name {
            "Format" => one().and_then(|a| match a {
                Value::String(l) => Ok(Value::from(layout::format(self, &l.to_str_lossy()))),
                other => Err(FuncError::new(format!(
                    "wrong type for value; expected string; got {}",
                    other.type_name()
                ))),
            }),
            "Add" => one().and_then(int_arg).map(|d| self.add(d).value()),
            "Sub" => one()
                .and_then(time_arg)
                .map(|u| Duration(self.sub(&u)).value()),
            "Before" | "After" | "Equal" | "Compare" => one().and_then(time_arg).map(|u| {
                let o = self.cmp(&u);
                match name {
                    "Before" => Value::Bool(o.is_lt()),
                    "After" => Value::Bool(o.is_gt()),
                    "Equal" => Value::Bool(o.is_eq()),
                    _ => Value::int(o as i64),
                }
            }),
            "AddDate" => {
                let [y, m, d] = args else {
                    return Some(Err(FuncError::new(format!(
                        "wrong number of args for AddDate: want 3 got {}",
                        args.len()
                    ))));
                };
                (|| {
                    let (y, m, d) = (int_arg(y)?, int_arg(m)?, int_arg(d)?);
                    let c = self.civil();
                    Ok(GoTime::date(
                        c.year + y,
                        c.month + m,
                        c.day + d,
                        c.hour,
                        c.min,
                        c.sec,
                        c.nsec,
                        self.loc.clone(),
                    )
                    .value())
                })()
            }
            "Truncate" | "Round" => one().and_then(int_arg).map(|d| {
                if d <= 0 {
                    return self.clone().value();
                }
                // Relative to the zero time (January 1, year 1), as Go does.
                let since = (self.unix as i128 - GoTime::zero().unix as i128) * SECOND as i128
                    + self.nsec as i128;
                let r = since.rem_euclid(d as i128) as i64;
                if name == "Round" && (r as u64).wrapping_add(r as u64) >= d as u64 {
                    self.add(d - r).value()
                } else {
                    self.add(-r).value()
                }
            }),
            _ => return self.field(name).map(Ok),
        };
        Some(res)
    }

    fn fmt_v(&self) -> String {
        self.to_go_string()
    }

    /// `Time.MarshalJSON`: RFC 3339 with nanoseconds.
    fn json(&self) -> Option<Value> {
        Some(Value::from(layout::format(
            self,
            "2006-01-02T15:04:05.999999999Z07:00",
        )))
    }

    fn as_any(&self) -> &dyn std::any::Any {
        self
    }
}

/// `time.Month` and `time.Weekday`: integers that print as their English names.
#[derive(Debug, Clone)]
pub struct Named {
    type_name: &'static str,
    n: i64,
    name: String,
}

impl Named {
    pub fn month(m: i64) -> Value {
        let name = LONG_MONTHS
            .get((m - 1) as usize)
            .map_or_else(|| format!("%!Month({m})"), |s| s.to_string());
        Value::Object(Arc::new(Named {
            type_name: "time.Month",
            n: m,
            name,
        }))
    }
    pub fn weekday(d: i64) -> Value {
        let name = LONG_DAYS
            .get(d as usize)
            .map_or_else(|| format!("%!Weekday({d})"), |s| s.to_string());
        Value::Object(Arc::new(Named {
            type_name: "time.Weekday",
            n: d,
            name,
        }))
    }
}

impl Object for Named {
    fn type_name(&self) -> &str {
        self.type_name
    }
    fn field(&self, name: &str) -> Option<Value> {
        (name == "String").then(|| Value::from(self.name.as_str()))
    }
    fn fmt_v(&self) -> String {
        self.name.clone()
    }
    fn as_int(&self) -> Option<i64> {
        Some(self.n)
    }
    fn json(&self) -> Option<Value> {
        Some(Value::int(self.n))
    }
    fn as_any(&self) -> &dyn std::any::Any {
        self
    }
}

/// A `*time.Location` (prints its name).
#[derive(Debug, Clone)]
pub struct Location(pub Loc);

impl Object for Location {
    fn type_name(&self) -> &str {
        "*time.Location"
    }
    fn field(&self, name: &str) -> Option<Value> {
        (name == "String").then(|| Value::from(self.0.name()))
    }
    fn fmt_v(&self) -> String {
        self.0.name().to_string()
    }
    fn as_any(&self) -> &dyn std::any::Any {
        self
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn civil_round_trip() {
        for days in [-719162i64, -1, 0, 1, 11016, 19000, 2932896] {
            let (y, m, d) = civil_from_days(days);
            assert_eq!(days_from_civil(y, m, d), days);
        }
        assert_eq!(civil_from_days(0), (1970, 1, 1));
        assert_eq!(civil_from_days(-719162), (1, 1, 1));
        assert_eq!(days_from_civil(2000, 3, 1), 11017);
    }

    #[test]
    fn fields_of_a_fixed_time() {
        // 2009-11-10 23:00:00 UTC (the Go playground's clock), a Tuesday.
        let t = GoTime {
            unix: 1257894000,
            nsec: 5,
            loc: Loc::Utc,
        };
        let c = t.civil();
        assert_eq!(
            (c.year, c.month, c.day, c.hour, c.min, c.sec),
            (2009, 11, 10, 23, 0, 0)
        );
        assert_eq!((c.weekday, c.yday), (2, 314));
        assert_eq!(t.fmt_v(), "2009-11-10 23:00:00.000000005 +0000 UTC");
        assert_eq!(t.field("Month").unwrap().fmt_v_str(), "November");
        assert_eq!(t.field("Weekday").unwrap().fmt_v_str(), "Tuesday");
        assert!(matches!(
            t.field("UnixNano"),
            Some(Value::Int(1257894000000000005, crate::IntKind::Int64))
        ));
        assert_eq!(GoTime::zero().fmt_v(), "0001-01-01 00:00:00 +0000 UTC");
        assert!(matches!(
            GoTime::zero().field("IsZero"),
            Some(Value::Bool(true))
        ));
    }

    trait FmtV {
        fn fmt_v_str(&self) -> String;
    }
    impl FmtV for Value {
        fn fmt_v_str(&self) -> String {
            crate::fmt::format_v(self).to_string()
        }
    }
}
