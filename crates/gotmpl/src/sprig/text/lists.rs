//! Sprig's list functions (`list.go`: `list`, `append`, `first`, `uniq`, `slice`, `chunk`, …
//! and their `must*` forms) and integer sequences (`until`, `untilStep`, `seq`).
//!
//! In sprig the plain forms panic where the `must*` forms return an error; a template reports
//! both as `error calling NAME: MESSAGE`, so here they share one body.

use super::defaults::{deep_equal, is_empty};
use super::ty::{A, I};
use super::{iarg, kind_name, nil_deref};
use crate::sprig::cast::to_int;
use crate::{Arity, FuncError, FuncMap, Function, Value};

type R = Result<Value, FuncError>;

/// Upper bound on generated sequences (`until`, `seq`), which Go would try to allocate.
const MAX_SEQ: i64 = 10_000_000;

fn both(m: &mut FuncMap, names: &[&'static str], arity: Arity, body: fn(&[Value]) -> R) {
    for &n in names {
        m.insert(Function::new(n, arity, body));
    }
}

/// The elements of a slice argument, or sprig's "Cannot VERB type KIND" error.
fn elems<'a>(v: &'a Value, what: &str) -> Result<&'a [Value], FuncError> {
    match v {
        Value::List(l) => Ok(l),
        Value::Nil => Err(nil_deref()),
        other => Err(FuncError::new(format!("{what} {}", kind_name(other)))),
    }
}

pub(super) fn register(m: &mut FuncMap) {
    use Arity::{Fixed, Variadic};
    both(m, &["list", "tuple"], Variadic(&[], A), |a| {
        Ok(Value::list(a.to_vec()))
    });
    both(
        m,
        &["append", "push", "mustAppend", "mustPush"],
        Fixed(&[A, A]),
        |a| {
            let mut l = elems(&a[0], "Cannot push on type")?.to_vec();
            l.push(a[1].clone());
            Ok(Value::list(l))
        },
    );
    both(m, &["prepend", "mustPrepend"], Fixed(&[A, A]), |a| {
        let l = elems(&a[0], "Cannot prepend on type")?;
        let mut out = Vec::with_capacity(l.len() + 1);
        out.push(a[1].clone());
        out.extend_from_slice(l);
        Ok(Value::list(out))
    });
    both(m, &["first", "mustFirst"], Fixed(&[A]), |a| {
        let l = elems(&a[0], "Cannot find first on type")?;
        Ok(l.first().cloned().unwrap_or(Value::Nil))
    });
    both(m, &["last", "mustLast"], Fixed(&[A]), |a| {
        let l = elems(&a[0], "Cannot find last on type")?;
        Ok(l.last().cloned().unwrap_or(Value::Nil))
    });
    both(m, &["rest", "mustRest"], Fixed(&[A]), |a| {
        let l = elems(&a[0], "Cannot find rest on type")?;
        Ok(Value::list(l.get(1..).unwrap_or(&[]).to_vec()))
    });
    both(m, &["initial", "mustInitial"], Fixed(&[A]), |a| {
        let l = elems(&a[0], "Cannot find initial on type")?;
        Ok(Value::list(l[..l.len().saturating_sub(1)].to_vec()))
    });
    both(m, &["reverse", "mustReverse"], Fixed(&[A]), |a| {
        let l = elems(&a[0], "Cannot find reverse on type")?;
        Ok(Value::list(l.iter().rev().cloned().collect()))
    });
    both(m, &["compact", "mustCompact"], Fixed(&[A]), |a| {
        let l = elems(&a[0], "Cannot compact on type")?;
        Ok(Value::list(
            l.iter().filter(|v| !is_empty(v)).cloned().collect(),
        ))
    });
    both(m, &["uniq", "mustUniq"], Fixed(&[A]), |a| {
        let l = elems(&a[0], "Cannot find uniq on type")?;
        let mut out: Vec<Value> = Vec::new();
        for v in l {
            if !out.iter().any(|x| deep_equal(v, x)) {
                out.push(v.clone());
            }
        }
        Ok(Value::list(out))
    });
    both(m, &["without", "mustWithout"], Variadic(&[A], A), |a| {
        let l = elems(&a[0], "Cannot find without on type")?;
        let omit = &a[1..];
        Ok(Value::list(
            l.iter()
                .filter(|v| !omit.iter().any(|o| deep_equal(v, o)))
                .cloned()
                .collect(),
        ))
    });
    both(m, &["has", "mustHas"], Fixed(&[A, A]), |a| {
        if let Value::Nil = a[1] {
            return Ok(false.into());
        }
        let l = elems(&a[1], "Cannot find has on type")?;
        Ok(l.iter().any(|v| deep_equal(&a[0], v)).into())
    });
    both(m, &["slice", "mustSlice"], Variadic(&[A], A), slice);
    m.insert(Function::new(
        "concat",
        Variadic(&[], A),
        |a: &[Value]| {
            let mut out = Vec::new();
            for l in a {
                out.extend_from_slice(elems(l, "Cannot concat type").map_err(|e| {
                    if matches!(l, Value::Nil) {
                        e
                    } else {
                        FuncError::new(format!("{e} as list"))
                    }
                })?);
            }
            Ok(Value::list(out))
        },
    ));
    both(m, &["chunk", "mustChunk"], Fixed(&[I, A]), chunk);
    m.insert(Function::new("until", Fixed(&[I]), |a: &[Value]| {
        let n = iarg(a, 0);
        ints(until_step(0, n, if n < 0 { -1 } else { 1 })?)
    }));
    m.insert(Function::new(
        "untilStep",
        Fixed(&[I, I, I]),
        |a: &[Value]| ints(until_step(iarg(a, 0), iarg(a, 1), iarg(a, 2))?),
    ));
    m.insert(Function::new("seq", Variadic(&[], I), |a: &[Value]| {
        let p: Vec<i64> = (0..a.len()).map(|i| iarg(a, i)).collect();
        let v = match p[..] {
            [end] => {
                let inc = if end < 1 { -1 } else { 1 };
                until_step(1, end.wrapping_add(inc), inc)?
            }
            [start, end] => {
                let step = if end < start { -1 } else { 1 };
                until_step(start, end.wrapping_add(step), step)?
            }
            [start, step, end] => {
                let mut inc = 1;
                if end < start {
                    inc = -1;
                    if step > 0 {
                        return Ok("".into());
                    }
                }
                until_step(start, end.wrapping_add(inc), step)?
            }
            _ => Vec::new(),
        };
        let parts: Vec<String> = v.iter().map(i64::to_string).collect();
        Ok(parts.join(" ").into())
    }));
}

fn ints(v: Vec<i64>) -> R {
    Ok(Value::list(v.into_iter().map(Value::int).collect()))
}

/// sprig's `untilStep`: from `start` toward `stop` (exclusive) by `step`; empty when the step
/// points the wrong way.
fn until_step(start: i64, stop: i64, step: i64) -> Result<Vec<i64>, FuncError> {
    let count = if stop < start {
        if step >= 0 {
            return Ok(Vec::new());
        }
        (start as i128 - stop as i128 - step as i128 - 1) / -(step as i128)
    } else {
        if step <= 0 {
            return Ok(Vec::new());
        }
        (stop as i128 - start as i128 + step as i128 - 1) / step as i128
    };
    if count > MAX_SEQ as i128 {
        return Err(FuncError::new(format!(
            "sequence of {count} elements exceeds the limit of {MAX_SEQ}"
        )));
    }
    Ok((0..count)
        .map(|k| (start as i128 + k * step as i128) as i64)
        .collect())
}

/// sprig's `slice LIST [START [END]]`: Go's `reflect.Value.Slice` on a slice or string.
fn slice(a: &[Value]) -> R {
    let len = match &a[0] {
        Value::List(l) => l.len(),
        Value::String(s) => s.len(),
        Value::Nil => return Err(nil_deref()),
        other => {
            return Err(FuncError::new(format!(
                "list should be type of string, slice or array but {}",
                kind_name(other)
            )))
        }
    } as i64;
    if len == 0 {
        return Ok(Value::Nil);
    }
    let start = a.get(1).map(to_int).unwrap_or(0);
    let end = a.get(2).map(to_int).unwrap_or(len);
    let bad = start < 0 || end < start || end > len;
    match &a[0] {
        Value::String(s) => {
            if bad {
                return Err(FuncError::new(
                    "reflect.Value.Slice: string slice index out of bounds",
                ));
            }
            Ok(Value::from(&s.as_bytes()[start as usize..end as usize]))
        }
        Value::List(l) => {
            if bad {
                return Err(FuncError::new(
                    "reflect.Value.Slice: slice index out of bounds",
                ));
            }
            Ok(Value::list(l[start as usize..end as usize].to_vec()))
        }
        _ => Ok(Value::Nil),
    }
}

/// sprig's `chunk SIZE LIST`, including the float arithmetic that decides the chunk count
/// (and Go's `makeslice` panic for the sizes that make it negative).
fn chunk(a: &[Value]) -> R {
    let size = iarg(a, 0);
    let l = elems(&a[1], "Cannot chunk type")?;
    let n = l.len() as i64;
    let out_of_range = || FuncError::new("runtime error: makeslice: len out of range");
    let cs = crate::sprig::cast::float_to_i64(((n - 1) as f64 / size as f64).floor() + 1.0);
    if cs < 0 {
        return Err(out_of_range());
    }
    let mut out = Vec::with_capacity(cs.min(n.max(1)) as usize);
    for i in 0..cs {
        let mut clen = size;
        if i == cs - 1 {
            clen = crate::sprig::cast::float_to_i64((n as f64 % size as f64).floor());
            if clen == 0 {
                clen = size;
            }
        }
        if clen < 0 {
            return Err(out_of_range());
        }
        let mut c = Vec::with_capacity(clen.min(n) as usize);
        for j in 0..clen {
            let ix = i * size + j;
            match l.get(ix as usize) {
                Some(v) if ix >= 0 => c.push(v.clone()),
                _ => return Err(FuncError::new("reflect: slice index out of range")),
            }
        }
        out.push(Value::list(c));
    }
    Ok(Value::list(out))
}
