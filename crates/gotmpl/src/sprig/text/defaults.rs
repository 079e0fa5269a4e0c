//! Sprig's defaults and flow functions (`defaults.go`: `default`, `empty`, `coalesce`, `all`,
//! `any`, `ternary`, `deepCopy`), reflection (`reflect.go`: `typeOf`, `kindOf`, `deepEqual`, …)
//! and type conversion (`numeric.go`: `atoi`, `int`, `int64`, `float64`, `toDecimal`).

use super::ty::{A, B, S};
use super::{barg, kind_name, sarg};
use crate::sprig::cast;
use crate::{Arity, FuncError, FuncMap, Function, Value};

type R = Result<Value, FuncError>;

fn f(m: &mut FuncMap, name: &'static str, arity: Arity, body: fn(&[Value]) -> R) {
    m.insert(Function::new(name, arity, body));
}

/// sprig's `empty`: nil, false, 0, and empty strings, lists and maps; structs never.
pub(super) fn is_empty(v: &Value) -> bool {
    match v {
        Value::Nil => true,
        Value::Bool(b) => !b,
        Value::Int(i, _) => *i == 0,
        Value::Uint(u, _) => *u == 0,
        Value::Float(f) => *f == 0.0,
        Value::String(s) => s.is_empty(),
        Value::List(l) => l.is_empty(),
        Value::Map(m) => m.is_empty(),
        // Named integer types (time.Duration, time.Month) are empty when zero; structs never.
        Value::Object(o) => o.as_int() == Some(0),
    }
}

/// A copy of `v` that shares no map with it (lists are rebuilt only when they hold a map:
/// lists are never changed in place, so sharing one is a copy).
pub(crate) fn deep_copy(v: &Value) -> Value {
    match v {
        Value::Map(m) => stacker::maybe_grow(32 * 1024, 1024 * 1024, || {
            Value::map(
                m.snapshot()
                    .iter()
                    .map(|(k, e)| (k.clone(), deep_copy(e)))
                    .collect(),
            )
        }),
        Value::List(l) if l.iter().any(holds_map) => {
            stacker::maybe_grow(32 * 1024, 1024 * 1024, || {
                Value::list(l.iter().map(deep_copy).collect())
            })
        }
        v => v.clone(),
    }
}

fn holds_map(v: &Value) -> bool {
    match v {
        Value::Map(_) => true,
        Value::List(l) => l.iter().any(holds_map),
        _ => false,
    }
}

/// `reflect.DeepEqual` over template values (types must match: `1` and `1.0` differ).
pub(super) fn deep_equal(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Nil, Value::Nil) => true,
        (Value::Bool(x), Value::Bool(y)) => x == y,
        (Value::Int(x, a), Value::Int(y, b)) => a == b && x == y,
        (Value::Uint(x, a), Value::Uint(y, b)) => a == b && x == y,
        (Value::Float(x), Value::Float(y)) => x == y,
        (Value::String(x), Value::String(y)) => x == y,
        (Value::List(x), Value::List(y)) => {
            x.len() == y.len() && x.iter().zip(y.iter()).all(|(p, q)| deep_equal(p, q))
        }
        (Value::Map(x), Value::Map(y)) => {
            if x.ptr_eq(y) {
                return true;
            }
            let (x, y) = (x.snapshot(), y.snapshot());
            x.len() == y.len()
                && stacker::maybe_grow(32 * 1024, 1024 * 1024, || {
                    x.iter()
                        .all(|(k, v)| y.get(k).is_some_and(|w| deep_equal(v, w)))
                })
        }
        (Value::Object(x), Value::Object(y)) => {
            std::sync::Arc::ptr_eq(x, y)
                || x.type_name() == y.type_name()
                    && x.as_int() == y.as_int()
                    && x.fmt_v() == y.fmt_v()
        }
        _ => false,
    }
}

pub(super) fn register(m: &mut FuncMap) {
    use Arity::{Fixed, Variadic};
    f(m, "default", Variadic(&[A], A), |a| {
        Ok(match a.get(1) {
            Some(g) if !is_empty(g) => g.clone(),
            _ => a[0].clone(),
        })
    });
    f(m, "empty", Fixed(&[A]), |a| Ok(is_empty(&a[0]).into()));
    f(m, "coalesce", Variadic(&[], A), |a| {
        Ok(a.iter()
            .find(|v| !is_empty(v))
            .cloned()
            .unwrap_or(Value::Nil))
    });
    f(m, "all", Variadic(&[], A), |a| {
        Ok(a.iter().all(|v| !is_empty(v)).into())
    });
    f(m, "any", Variadic(&[], A), |a| {
        Ok(a.iter().any(|v| !is_empty(v)).into())
    });
    f(m, "ternary", Fixed(&[A, A, B]), |a| {
        Ok(if barg(a, 2) {
            a[0].clone()
        } else {
            a[1].clone()
        })
    });
    // copystructure.Copy: new maps all the way down, so changing the copy never changes the
    // original (and the reverse).
    f(m, "deepCopy", Fixed(&[A]), |a| Ok(deep_copy(&a[0])));
    f(m, "mustDeepCopy", Fixed(&[A]), |a| Ok(deep_copy(&a[0])));

    f(m, "typeOf", Fixed(&[A]), |a| Ok(a[0].type_name().into()));
    f(m, "typeIs", Fixed(&[S, A]), |a| {
        Ok((*sarg(a, 0) == *a[1].type_name()).into())
    });
    f(m, "typeIsLike", Fixed(&[S, A]), |a| {
        let (target, t) = (sarg(a, 0), a[1].type_name());
        Ok((*target == *t || t.strip_prefix('*') == Some(&*target)).into())
    });
    f(m, "kindOf", Fixed(&[A]), |a| Ok(kind_name(&a[0]).into()));
    f(m, "kindIs", Fixed(&[S, A]), |a| {
        Ok((*sarg(a, 0) == *kind_name(&a[1])).into())
    });
    f(m, "deepEqual", Fixed(&[A, A]), |a| {
        Ok(deep_equal(&a[0], &a[1]).into())
    });

    f(m, "atoi", Fixed(&[S]), |a| {
        Ok(Value::int(atoi(&sarg(a, 0))))
    });
    f(m, "int", Fixed(&[A]), |a| {
        Ok(Value::int(cast::to_int(&a[0])))
    });
    f(m, "int64", Fixed(&[A]), |a| {
        Ok(Value::int64(cast::to_int64(&a[0])))
    });
    f(m, "float64", Fixed(&[A]), |a| {
        Ok(Value::Float(cast::to_float64(&a[0])))
    });
    f(m, "toDecimal", Fixed(&[A]), |a| {
        let text = crate::fmt::sprint(std::slice::from_ref(&a[0]));
        Ok(Value::int64(
            cast::parse_int(&text.to_str_lossy(), 8, 64).unwrap_or(0),
        ))
    });
}

/// `strconv.Atoi` with the error dropped: 0 for bad syntax, the clamped value when out of range.
fn atoi(s: &str) -> i64 {
    match cast::parse_int(s, 10, 64) {
        Ok(i) => i,
        Err(e) if e.range => {
            if s.starts_with('-') {
                i64::MIN
            } else {
                i64::MAX
            }
        }
        Err(_) => 0,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn atoi_clamps_like_go() {
        assert_eq!(atoi("42"), 42);
        assert_eq!(atoi("+7"), 7);
        assert_eq!(atoi("0x1f"), 0);
        assert_eq!(atoi("99999999999999999999"), i64::MAX);
        assert_eq!(atoi("-99999999999999999999"), i64::MIN);
        assert_eq!(atoi("1_000"), 0);
    }
}
