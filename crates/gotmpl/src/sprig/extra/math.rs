//! Sprig's integer math (`add`, `sub`, `mul`, `div`, `mod`, `max`, `min`, ...), the float helpers
//! that are not decimal-based (`floor`, `ceil`, `round`, `maxf`, `minf`).

use super::{arg, arg_int, def, to_float64, to_int64};
use crate::{Arity, FuncError, FuncMap, Ty, Value};

const A1: Arity = Arity::Fixed(&[Ty::Any]);
const A2: Arity = Arity::Fixed(&[Ty::Any, Ty::Any]);
const A1_VAR: Arity = Arity::Variadic(&[Ty::Any], Ty::Any);

pub(super) fn register(m: &mut FuncMap) {
    // func(i interface{}) int64
    def(m, "add1", A1, |a| {
        Ok(Value::int64(to_int64(arg(a, 0)).wrapping_add(1)))
    });
    // func(i ...interface{}) int64
    def(m, "add", Arity::Variadic(&[], Ty::Any), |a| {
        Ok(Value::int64(
            a.iter().fold(0i64, |acc, v| acc.wrapping_add(to_int64(v))),
        ))
    });
    // func(a, b interface{}) int64
    def(m, "sub", A2, |a| {
        Ok(Value::int64(
            to_int64(arg(a, 0)).wrapping_sub(to_int64(arg(a, 1))),
        ))
    });
    def(m, "div", A2, |a| {
        let (x, y) = (to_int64(arg(a, 0)), to_int64(arg(a, 1)));
        if y == 0 {
            return Err(divide_by_zero());
        }
        Ok(Value::int64(x.wrapping_div(y)))
    });
    def(m, "mod", A2, |a| {
        let (x, y) = (to_int64(arg(a, 0)), to_int64(arg(a, 1)));
        if y == 0 {
            return Err(divide_by_zero());
        }
        Ok(Value::int64(x.wrapping_rem(y)))
    });
    // func(a interface{}, v ...interface{}) int64
    def(m, "mul", A1_VAR, |a| {
        let first = to_int64(arg(a, 0));
        Ok(Value::int64(
            a.iter()
                .skip(1)
                .fold(first, |acc, v| acc.wrapping_mul(to_int64(v))),
        ))
    });
    // func(min, max int) int
    def(m, "randInt", Arity::Fixed(&[Ty::Int, Ty::Int]), |a| {
        let (lo, hi) = (arg_int(a, 0), arg_int(a, 1));
        let n = hi.wrapping_sub(lo);
        if n <= 0 {
            // math/rand.Intn panics on n <= 0; text/template reports the panic value.
            return Err(FuncError::new("invalid argument to Intn"));
        }
        use rand::Rng;
        Ok(Value::int(rand::rng().random_range(0..n).wrapping_add(lo)))
    });
    // func(a interface{}, i ...interface{}) int64
    for name in ["biggest", "max"] {
        def(m, name, A1_VAR, |a| {
            Ok(Value::int64(
                a.iter()
                    .skip(1)
                    .map(to_int64)
                    .fold(to_int64(arg(a, 0)), i64::max),
            ))
        });
    }
    def(m, "min", A1_VAR, |a| {
        Ok(Value::int64(
            a.iter()
                .skip(1)
                .map(to_int64)
                .fold(to_int64(arg(a, 0)), i64::min),
        ))
    });
    // func(a interface{}, i ...interface{}) float64
    def(m, "maxf", A1_VAR, |a| {
        Ok(Value::Float(
            a.iter()
                .skip(1)
                .map(to_float64)
                .fold(to_float64(arg(a, 0)), go_max),
        ))
    });
    def(m, "minf", A1_VAR, |a| {
        Ok(Value::Float(
            a.iter()
                .skip(1)
                .map(to_float64)
                .fold(to_float64(arg(a, 0)), go_min),
        ))
    });
    // func(a interface{}) float64
    def(m, "floor", A1, |a| {
        Ok(Value::Float(to_float64(arg(a, 0)).floor()))
    });
    def(m, "ceil", A1, |a| {
        Ok(Value::Float(to_float64(arg(a, 0)).ceil()))
    });
    // func(a interface{}, p int, rOpt ...float64) float64
    def(
        m,
        "round",
        Arity::Variadic(&[Ty::Any, Ty::Int], Ty::Float64),
        |a| {
            let round_on = match a.get(2) {
                Some(Value::Float(f)) => *f,
                Some(v) => to_float64(v),
                None => 0.5,
            };
            Ok(Value::Float(round(
                to_float64(arg(a, 0)),
                arg_int(a, 1),
                round_on,
            )))
        },
    );
}

/// The panic text Go's runtime gives for an integer division by zero, which `text/template`
/// turns into the call's error.
fn divide_by_zero() -> FuncError {
    FuncError::new("runtime error: integer divide by zero")
}

/// Go's `math.Max`: NaN wins, `+0` beats `-0`.
fn go_max(x: f64, y: f64) -> f64 {
    if x.is_nan() || y.is_nan() {
        f64::NAN
    } else if x == 0.0 && y == 0.0 {
        if x.is_sign_negative() {
            y
        } else {
            x
        }
    } else if x > y {
        x
    } else {
        y
    }
}

/// Go's `math.Min`: NaN wins, `-0` beats `+0`.
fn go_min(x: f64, y: f64) -> f64 {
    if x.is_nan() || y.is_nan() {
        f64::NAN
    } else if x == 0.0 && y == 0.0 {
        if x.is_sign_negative() {
            x
        } else {
            y
        }
    } else if x < y {
        x
    } else {
        y
    }
}

/// Sprig's `round`: scale by 10^places, round up when the fractional part is at least
/// `round_on` (so negative halves round down), scale back.
fn round(val: f64, places: i64, round_on: f64) -> f64 {
    let pow = 10f64.powf(places as f64);
    let digit = pow * val;
    let frac = digit.fract();
    let r = if frac >= round_on {
        digit.ceil()
    } else {
        digit.floor()
    };
    r / pow
}

#[cfg(test)]
mod tests {
    use super::super::testutil::{call, s};
    use super::*;

    fn int(name: &str, args: &[Value]) -> i64 {
        match call(name, args) {
            Ok(Value::Int(i, _)) => i,
            other => panic!("{name}: {other:?}"),
        }
    }
    fn float(name: &str, args: &[Value]) -> f64 {
        match call(name, args) {
            Ok(Value::Float(f)) => f,
            other => panic!("{name}: {other:?}"),
        }
    }

    // Expectations from sprig's numeric_test.go and docs/math.md.
    #[test]
    fn integer_math() {
        assert_eq!(int("add1", &[Value::int(1)]), 2);
        assert_eq!(
            int("add", &[Value::int(1), Value::int(2), Value::int(3)]),
            6
        );
        assert_eq!(int("add", &[]), 0);
        assert_eq!(int("add", &[s("1"), Value::Float(2.9)]), 3);
        assert_eq!(int("sub", &[Value::int(4), Value::int(2)]), 2);
        assert_eq!(int("div", &[Value::int(8), Value::int(3)]), 2);
        assert_eq!(int("div", &[Value::int(-7), Value::int(2)]), -3);
        assert_eq!(int("mod", &[Value::int(10), Value::int(3)]), 1);
        assert_eq!(int("mod", &[Value::int(-7), Value::int(2)]), -1);
        assert_eq!(
            int("mul", &[Value::int(1), Value::int(2), Value::int(3)]),
            6
        );
        assert_eq!(
            int("max", &[Value::int(1), Value::int(2), Value::int(3)]),
            3
        );
        assert_eq!(int("biggest", &[Value::int(-1), Value::int(-5)]), -1);
        assert_eq!(
            int("min", &[Value::int(1), Value::int(2), Value::int(3)]),
            1
        );
        assert_eq!(int("min", &[Value::int(1)]), 1);
    }

    #[test]
    fn division_by_zero_is_goes_runtime_error() {
        for f in ["div", "mod"] {
            let e = call(f, &[Value::int(1), Value::int(0)]).unwrap_err();
            assert_eq!(e.to_string(), "runtime error: integer divide by zero");
        }
        assert_eq!(
            int("div", &[Value::int(i64::MIN), Value::int(-1)]),
            i64::MIN
        );
        assert_eq!(int("mod", &[Value::int(i64::MIN), Value::int(-1)]), 0);
    }

    #[test]
    fn float_helpers() {
        assert_eq!(float("floor", &[Value::Float(1.5)]), 1.0);
        assert_eq!(float("floor", &[s("-1.5")]), -2.0);
        assert_eq!(float("ceil", &[Value::Float(1.5)]), 2.0);
        assert_eq!(float("ceil", &[Value::int(3)]), 3.0);
        // numeric_test.go TestRound
        assert_eq!(float("round", &[Value::Float(3.746), Value::int(2)]), 3.75);
        assert_eq!(
            float(
                "round",
                &[Value::Float(3.746), Value::int(2), Value::Float(0.5)]
            ),
            3.75
        );
        assert_eq!(float("round", &[Value::int(123), Value::int(0)]), 123.0);
        assert_eq!(float("round", &[s("3.7"), Value::int(0)]), 4.0);
        assert_eq!(
            float("round", &[Value::Float(3.12345), Value::int(3)]),
            3.123
        );
        assert_eq!(float("round", &[Value::Float(-1.5), Value::int(0)]), -2.0);
        assert_eq!(
            float(
                "maxf",
                &[Value::Float(1.5), Value::int(2), Value::Float(-1.0)]
            ),
            2.0
        );
        assert_eq!(
            float(
                "minf",
                &[Value::Float(1.5), Value::int(2), Value::Float(-1.0)]
            ),
            -1.0
        );
        assert!(float("maxf", &[Value::Float(f64::NAN), Value::int(2)]).is_nan());
    }

    #[test]
    fn rand_int_is_in_range() {
        for _ in 0..100 {
            let n = int("randInt", &[Value::int(-3), Value::int(3)]);
            assert!((-3..3).contains(&n), "{n}");
        }
        assert_eq!(
            call("randInt", &[Value::int(3), Value::int(3)])
                .unwrap_err()
                .to_string(),
            "invalid argument to Intn"
        );
    }
}
