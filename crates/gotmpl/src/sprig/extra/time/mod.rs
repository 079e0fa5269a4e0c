//! Sprig's date functions (`now`, `date`, `dateInZone`, `dateModify`, `toDate`, `ago`,
//! `duration`, `durationRound`, `unixEpoch`, `htmlDate`, ...) over a Go-exact `time.Time`.
//!
//! Our integers do not remember whether Go would have seen an `int` or an `int64`; they are
//! treated as `int64` (what JSON data decodes to), so `duration 95` is `1m35s` where Go, given
//! an untyped template literal (`int`), would print `0s`.

mod duration;
mod gotime;
mod layout;
mod parse;

pub use gotime::{GoTime, Loc};

use super::{arg, arg_str, def};
use crate::{Arity, FuncError, FuncMap, Ty, Value};
use duration::{Duration, SECOND};
use gotime::time_arg;

pub(super) fn register(m: &mut FuncMap) {
    // func() time.Time
    def(m, "now", Arity::Fixed(&[]), |_| Ok(GoTime::now().value()));
    // func(fmt string, date interface{}) string
    def(m, "date", Arity::Fixed(&[Ty::String, Ty::Any]), |a| {
        Ok(Value::from(date_in_zone(
            &arg_str(a, 0),
            arg(a, 1),
            "Local",
        )))
    });
    // func(fmt string, date interface{}, zone string) string
    for name in ["dateInZone", "date_in_zone"] {
        def(
            m,
            name,
            Arity::Fixed(&[Ty::String, Ty::Any, Ty::String]),
            |a| {
                Ok(Value::from(date_in_zone(
                    &arg_str(a, 0),
                    arg(a, 1),
                    &arg_str(a, 2),
                )))
            },
        );
    }
    // func(date interface{}) string
    def(m, "htmlDate", Arity::Fixed(&[Ty::Any]), |a| {
        Ok(Value::from(date_in_zone("2006-01-02", arg(a, 0), "Local")))
    });
    // func(date interface{}, zone string) string
    def(
        m,
        "htmlDateInZone",
        Arity::Fixed(&[Ty::Any, Ty::String]),
        |a| {
            Ok(Value::from(date_in_zone(
                "2006-01-02",
                arg(a, 0),
                &arg_str(a, 1),
            )))
        },
    );
    // func(fmt string, date time.Time) time.Time
    for name in ["dateModify", "date_modify"] {
        def(m, name, Arity::Fixed(&[Ty::String, Ty::Any]), |a| {
            let t = time_arg(arg(a, 1))?;
            Ok(match duration::parse(&arg_str(a, 0)) {
                Ok(d) => t.add(d).value(),
                Err(_) => t.value(),
            })
        });
    }
    // func(fmt string, date time.Time) (time.Time, error)
    for name in ["mustDateModify", "must_date_modify"] {
        def(m, name, Arity::Fixed(&[Ty::String, Ty::Any]), |a| {
            let t = time_arg(arg(a, 1))?;
            let d = duration::parse(&arg_str(a, 0))?;
            Ok(t.add(d).value())
        });
    }
    // func(date interface{}) string
    def(m, "ago", Arity::Fixed(&[Ty::Any]), |a| {
        let t = match arg(a, 0) {
            Value::Int(s, _) => GoTime::from_unix(*s),
            v => time_arg(v).unwrap_or_else(|_| GoTime::now()),
        };
        let since = GoTime::now().sub(&t);
        Ok(Value::from(duration::format(duration::round(
            since, SECOND,
        ))))
    });
    // func(sec interface{}) string
    def(m, "duration", Arity::Fixed(&[Ty::Any]), |a| {
        let n = match arg(a, 0) {
            // strconv.ParseInt's value even on error: 0, or the clamped bound.
            Value::String(s) => match crate::sprig::cast::parse_int(&s.to_str_lossy(), 10, 64) {
                Ok(n) => n,
                Err(e) if e.range && s.as_bytes().starts_with(b"-") => i64::MIN,
                Err(e) if e.range => i64::MAX,
                Err(_) => 0,
            },
            Value::Int(i, _) => *i,
            _ => 0,
        };
        Ok(Value::from(duration::format(n.wrapping_mul(SECOND))))
    });
    // func(duration interface{}) string
    def(m, "durationRound", Arity::Fixed(&[Ty::Any]), |a| {
        let d = match arg(a, 0) {
            Value::String(s) => duration::parse(&s.to_str_lossy()).unwrap_or(0),
            Value::Int(i, _) => *i,
            v => match time_arg(v) {
                Ok(t) => GoTime::now().sub(&t),
                Err(_) => match v {
                    Value::Object(o) => o.as_any().downcast_ref::<Duration>().map_or(0, |d| d.0),
                    _ => 0,
                },
            },
        };
        Ok(Value::from(duration_round(d)))
    });
    // func(fmt, str string) time.Time
    def(m, "toDate", Arity::Fixed(&[Ty::String, Ty::String]), |a| {
        Ok(parse::parse(&arg_str(a, 0), &arg_str(a, 1), Loc::local())
            .unwrap_or_else(|_| GoTime::zero())
            .value())
    });
    // func(fmt, str string) (time.Time, error)
    def(
        m,
        "mustToDate",
        Arity::Fixed(&[Ty::String, Ty::String]),
        |a| {
            parse::parse(&arg_str(a, 0), &arg_str(a, 1), Loc::local())
                .map(GoTime::value)
                .map_err(FuncError::new)
        },
    );
    // func(date time.Time) string
    def(m, "unixEpoch", Arity::Fixed(&[Ty::Any]), |a| {
        Ok(Value::from(time_arg(arg(a, 0))?.unix.to_string()))
    });
}

/// Sprig's `dateInZone`: a `time.Time` or Unix seconds (anything else means now), shown in
/// `zone` (an unknown zone means UTC).
fn date_in_zone(fmt: &str, date: &Value, zone: &str) -> String {
    let t = match date {
        Value::Int(s, _) => GoTime::from_unix(*s),
        v => time_arg(v).unwrap_or_else(|_| GoTime::now()),
    };
    let loc = Loc::load(zone).unwrap_or(Loc::Utc);
    layout::format(&t.in_loc(loc), fmt)
}

/// Sprig's `durationRound`: the largest whole unit (years of 365 days, months of 30 days).
fn duration_round(d: i64) -> String {
    let u = d.unsigned_abs();
    let hour = 3600 * SECOND as u64;
    let units = [
        (hour * 24 * 365, "y"),
        (hour * 24 * 30, "mo"),
        (hour * 24, "d"),
        (hour, "h"),
        (60 * SECOND as u64, "m"),
        (SECOND as u64, "s"),
    ];
    for (unit, suffix) in units {
        if u > unit {
            return format!("{}{suffix}", u / unit);
        }
    }
    "0s".into()
}

#[cfg(test)]
mod tests;
