//! Sprig's float arithmetic (`addf`, `add1f`, `subf`, `mulf`, `divf`), which goes through
//! shopspring/decimal: each operand becomes the shortest decimal that round-trips the float, the
//! operation is exact (division rounds half away from zero to 16 places), and the result is
//! rounded back to the nearest float — so `addf 1.1 2.2` is `3.3`, not `3.3000000000000003`.

use super::{arg, def, to_float64};
use crate::{Arity, FuncError, FuncMap, Ty, Value};

/// shopspring/decimal's `DivisionPrecision`.
const DIVISION_PRECISION: i32 = 16;

pub(super) fn register(m: &mut FuncMap) {
    const A1_VAR: Arity = Arity::Variadic(&[Ty::Any], Ty::Any);
    // func(i interface{}) float64
    def(m, "add1f", Arity::Fixed(&[Ty::Any]), |a| {
        exec(arg(a, 0), &[Value::int(1)], Op::Add)
    });
    // func(i ...interface{}) float64
    def(m, "addf", Arity::Variadic(&[], Ty::Any), |a| {
        exec(&Value::Float(0.0), a, Op::Add)
    });
    // func(a interface{}, v ...interface{}) float64
    def(m, "subf", A1_VAR, |a| {
        exec(arg(a, 0), a.get(1..).unwrap_or(&[]), Op::Sub)
    });
    def(m, "mulf", A1_VAR, |a| {
        exec(arg(a, 0), a.get(1..).unwrap_or(&[]), Op::Mul)
    });
    def(m, "divf", A1_VAR, |a| {
        exec(arg(a, 0), a.get(1..).unwrap_or(&[]), Op::Div)
    });
}

#[derive(Clone, Copy)]
enum Op {
    Add,
    Sub,
    Mul,
    Div,
}

/// Sprig's `execDecimalOp`: fold the operands into the first with `op`.
fn exec(first: &Value, rest: &[Value], op: Op) -> Result<Value, FuncError> {
    let mut acc = Dec::from_f64(to_float64(first))?;
    for v in rest {
        let d = Dec::from_f64(to_float64(v))?;
        acc = acc.apply(op, d)?;
    }
    Ok(Value::Float(acc.to_f64()))
}

/// A decimal `mant × 10^exp`; `Approx` once a value outgrows 128 bits (beyond what templates
/// compute; the float operation is used from there on).
#[derive(Clone, Copy, Debug)]
enum Dec {
    Exact(i128, i32),
    Approx(f64),
}

impl Dec {
    /// shopspring's `NewFromFloat`: the shortest decimal that round-trips.
    fn from_f64(f: f64) -> Result<Dec, FuncError> {
        if !f.is_finite() {
            let shown = if f.is_nan() {
                "NaN"
            } else if f > 0.0 {
                "+Inf"
            } else {
                "-Inf"
            };
            return Err(FuncError::new(format!(
                "Cannot create a Decimal from {shown}"
            )));
        }
        // `{:e}` prints the shortest round-trip digits: "-1.2345e-7".
        let s = format!("{f:e}");
        let (mant, exp) = s.split_once('e').unwrap_or((&s, "0"));
        let exp: i32 = exp.parse().unwrap_or(0);
        let (int, frac) = mant.split_once('.').unwrap_or((mant, ""));
        let digits = format!("{int}{frac}");
        match digits.parse::<i128>() {
            Ok(m) => Ok(Dec::Exact(m, exp - frac.len() as i32)),
            Err(_) => Ok(Dec::Approx(f)),
        }
    }

    fn to_f64(self) -> f64 {
        match self {
            Dec::Exact(m, e) => format!("{m}e{e}").parse().unwrap_or(f64::NAN),
            Dec::Approx(f) => f,
        }
    }

    fn apply(self, op: Op, other: Dec) -> Result<Dec, FuncError> {
        if let (Op::Div, true) = (op, other.is_zero()) {
            return Err(FuncError::new("decimal division by 0"));
        }
        let exact = match (self, other) {
            (Dec::Exact(m1, e1), Dec::Exact(m2, e2)) => match op {
                Op::Add => add(m1, e1, m2, e2),
                Op::Sub => add(m1, e1, m2.checked_neg().unwrap_or(i128::MAX), e2),
                Op::Mul => m1.checked_mul(m2).map(|m| Dec::Exact(m, e1 + e2)),
                Op::Div => div(m1, e1, m2, e2),
            },
            _ => None,
        };
        Ok(exact.unwrap_or_else(|| {
            let (a, b) = (self.to_f64(), other.to_f64());
            Dec::Approx(match op {
                Op::Add => a + b,
                Op::Sub => a - b,
                Op::Mul => a * b,
                Op::Div => a / b,
            })
        }))
    }

    fn is_zero(self) -> bool {
        match self {
            Dec::Exact(m, _) => m == 0,
            Dec::Approx(f) => f == 0.0,
        }
    }
}

fn pow10(n: i32) -> Option<i128> {
    10i128.checked_pow(u32::try_from(n).ok()?)
}

fn add(m1: i128, e1: i32, m2: i128, e2: i32) -> Option<Dec> {
    let e = e1.min(e2);
    let a = m1.checked_mul(pow10(e1 - e)?)?;
    let b = m2.checked_mul(pow10(e2 - e)?)?;
    Some(Dec::Exact(a.checked_add(b)?, e))
}

/// shopspring's `DivRound(d2, 16)`: the quotient as a multiple of 10^-16, halves away from 0.
fn div(m1: i128, e1: i32, m2: i128, e2: i32) -> Option<Dec> {
    let k = e1 - e2 + DIVISION_PRECISION;
    let (num, den) = if k >= 0 {
        (m1.checked_mul(pow10(k)?)?, m2)
    } else {
        (m1, m2.checked_mul(pow10(-k)?)?)
    };
    let mut q = num / den;
    let r = num % den;
    if r != 0 && r.unsigned_abs() >= den.unsigned_abs() - r.unsigned_abs() {
        q += if (num < 0) == (den < 0) { 1 } else { -1 };
    }
    Some(Dec::Exact(q, -DIVISION_PRECISION))
}

#[cfg(test)]
mod tests {
    use super::super::testutil::{call, s};
    use super::*;

    fn f(name: &str, args: &[Value]) -> f64 {
        match call(name, args) {
            Ok(Value::Float(x)) => x,
            other => panic!("{name}: {other:?}"),
        }
    }

    // Expectations from sprig's docs/mathf.md and numeric_test.go (TestAddf, TestDivf, ...).
    #[test]
    fn decimal_arithmetic() {
        assert_eq!(f("add1f", &[Value::Float(1.1)]), 2.1);
        assert_eq!(f("addf", &[Value::Float(1.1), Value::Float(2.2)]), 3.3);
        assert_eq!(
            f("addf", &[Value::Float(1.5), Value::int(2), Value::int(2)]),
            5.5
        );
        assert_eq!(f("addf", &[]), 0.0);
        assert_eq!(
            f("subf", &[Value::Float(7.5), Value::int(2), Value::int(3)]),
            2.5
        );
        assert_eq!(f("subf", &[Value::Float(0.3), Value::Float(0.1)]), 0.2);
        assert_eq!(
            f("mulf", &[Value::Float(1.5), Value::int(2), Value::int(2)]),
            6.0
        );
        assert_eq!(f("mulf", &[Value::Float(1.1), Value::Float(1.1)]), 1.21);
        assert_eq!(
            f("divf", &[Value::int(10), Value::int(2), Value::int(4)]),
            1.25
        );
        assert_eq!(
            f("divf", &[Value::int(1), Value::int(3)]),
            0.3333333333333333
        );
        assert_eq!(
            f("divf", &[Value::int(2), Value::int(3)]),
            0.6666666666666667
        );
        assert_eq!(
            f("divf", &[Value::int(-2), Value::int(3)]),
            -0.6666666666666667
        );
        assert_eq!(f("addf", &[s("1.5"), s("x")]), 1.5);
        assert_eq!(
            f("mulf", &[Value::Float(1e300), Value::Float(1e300)]),
            f64::INFINITY
        );
    }

    #[test]
    fn decimal_errors_are_shopsprings_panics() {
        let e = call("divf", &[Value::int(1), Value::int(0)]).unwrap_err();
        assert_eq!(e.to_string(), "decimal division by 0");
        let e = call("addf", &[Value::Float(f64::NAN)]).unwrap_err();
        assert_eq!(e.to_string(), "Cannot create a Decimal from NaN");
    }
}
