//! Sprig's dict functions (`dict.go`): `dict`, `get`, `set`, `unset`, `hasKey`, `pluck`, `keys`,
//! `pick`, `omit`, `values`, `dig`, and `merge`/`mergeOverwrite` with mergo v1's rules.
//!
//! Maps are references ([`crate::value::Map`]): `set`, `unset` and the merges change the map
//! they are given and return it, so every holder of the map sees the change, as in Go. A
//! change that would make a map contain itself is refused with an error (Go builds the
//! cycle; printing it then never ends, which no template on a node may do).

use std::collections::BTreeMap;
use std::sync::Arc;

use super::defaults::is_empty;
use super::ty::{A, M, S};
use super::{sarg, str_list};
use crate::sprig::cast::strval;
use crate::value::Map;
use crate::{Arity, FuncError, FuncMap, Function, Value};

type R = Result<Value, FuncError>;
type Dict = BTreeMap<String, Value>;

fn f(m: &mut FuncMap, name: &'static str, arity: Arity, body: fn(&[Value]) -> R) {
    m.insert(Function::new(name, arity, body));
}

/// The entries of a `map[string]interface{}` parameter; nil (Go's nil map) reads as empty.
fn dict_arg(a: &[Value], i: usize) -> Arc<Dict> {
    match a.get(i) {
        Some(Value::Map(m)) => m.snapshot(),
        _ => Arc::default(),
    }
}

fn dict_ref(v: &Value) -> Option<Arc<Dict>> {
    match v {
        Value::Map(m) => Some(m.snapshot()),
        _ => None,
    }
}

/// Stores `v` under `key` in `m`, unless `m` can be reached from `v`.
fn store(m: &Map, key: String, v: Value) -> Result<(), FuncError> {
    if m.reachable_from(&v) {
        return Err(cycle(&key));
    }
    m.insert(key, v);
    Ok(())
}

fn cycle(key: &str) -> FuncError {
    FuncError::new(format!(
        "cannot store a dict under key {key:?} of itself (or of a dict inside it): the dict would contain itself"
    ))
}

pub(super) fn register(m: &mut FuncMap) {
    use Arity::{Fixed, Variadic};
    f(m, "dict", Variadic(&[], A), |a| {
        let mut d = Dict::new();
        for pair in a.chunks(2) {
            let v = pair.get(1).cloned().unwrap_or_else(|| Value::from(""));
            // Keys are UTF-8 text here (a byte outside UTF-8 reads as U+FFFD).
            d.insert(strval(&pair[0]).to_string(), v);
        }
        Ok(Value::map(d))
    });
    f(m, "get", Fixed(&[M, S]), |a| {
        Ok(dict_ref(&a[0])
            .and_then(|d| d.get(&*sarg(a, 1)).cloned())
            .unwrap_or_else(|| "".into()))
    });
    f(m, "set", Fixed(&[M, S, A]), |a| {
        let Value::Map(d) = &a[0] else {
            return Err(FuncError::new("assignment to entry in nil map"));
        };
        store(d, sarg(a, 1).into_owned(), a[2].clone())?;
        Ok(a[0].clone())
    });
    f(m, "unset", Fixed(&[M, S]), |a| {
        if let Value::Map(d) = &a[0] {
            d.remove(&sarg(a, 1));
        }
        Ok(a[0].clone())
    });
    f(m, "hasKey", Fixed(&[M, S]), |a| {
        Ok(dict_ref(&a[0])
            .is_some_and(|d| d.contains_key(&*sarg(a, 1)))
            .into())
    });
    f(m, "pluck", Variadic(&[S], M), |a| {
        let key = sarg(a, 0);
        Ok(Value::list(
            a[1..]
                .iter()
                .filter_map(|d| dict_ref(d).and_then(|d| d.get(&*key).cloned()))
                .collect(),
        ))
    });
    // Go's map order is random; these list keys in sorted order, dict by dict.
    f(m, "keys", Variadic(&[], M), |a| {
        let dicts: Vec<Arc<Dict>> = a.iter().filter_map(dict_ref).collect();
        Ok(str_list(
            dicts.iter().flat_map(|d| d.keys().map(String::as_str)),
        ))
    });
    f(m, "values", Fixed(&[M]), |a| {
        Ok(Value::list(
            dict_ref(&a[0])
                .map(|d| d.values().cloned().collect())
                .unwrap_or_default(),
        ))
    });
    f(m, "pick", Variadic(&[M], S), |a| {
        let d = dict_arg(a, 0);
        let mut out = Dict::new();
        for k in &a[1..] {
            let k = k.as_str().unwrap_or_default();
            if let Some(v) = d.get(&*k) {
                out.insert(k.into_owned(), v.clone());
            }
        }
        Ok(Value::map(out))
    });
    f(m, "omit", Variadic(&[M], S), |a| {
        let mut d = (*dict_arg(a, 0)).clone();
        for k in &a[1..] {
            d.remove(&*k.as_str().unwrap_or_default());
        }
        Ok(Value::map(d))
    });
    for name in ["merge", "mustMerge"] {
        f(m, name, Variadic(&[M], M), |a| merge(a, false));
    }
    for name in ["mergeOverwrite", "mustMergeOverwrite"] {
        f(m, name, Variadic(&[M], M), |a| merge(a, true));
    }
    f(m, "dig", Variadic(&[], A), dig);
}

/// sprig's `merge`/`mergeOverwrite`: mergo merges each source into the first dict in place
/// and returns it (for a nil first dict, mergo makes a new one).
fn merge(a: &[Value], overwrite: bool) -> R {
    let dst = match &a[0] {
        Value::Map(m) => m.clone(),
        _ => Map::new(Dict::new()),
    };
    for src in &a[1..] {
        if let Value::Map(src) = src {
            merge_into(&dst, src, overwrite)?;
        }
    }
    Ok(Value::Map(dst))
}

/// mergo's `deepMerge` for `map[string]interface{}`: absent or empty destination entries take
/// the source value (the same map or list, not a copy); nested maps merge recursively into the
/// destination's own map, in place; with `overwrite` every source value wins (nil and empty
/// ones included) except that a map never replaces a non-empty non-map and a non-empty
/// destination map is merged into rather than replaced.
fn merge_into(dst: &Map, src: &Map, overwrite: bool) -> Result<(), FuncError> {
    if dst.ptr_eq(src) {
        return Ok(());
    }
    let entries = src.snapshot();
    for (k, sv) in entries.iter() {
        let de = dst.get(k);
        let replace = match (sv, &de) {
            (Value::Nil, _) => overwrite,
            (Value::Map(sm), Some(Value::Map(dm))) => {
                stacker::maybe_grow(32 * 1024, 1024 * 1024, || merge_into(dm, sm, overwrite))?;
                // An empty destination map that stayed empty takes the source map itself.
                dm.is_empty()
            }
            (Value::Map(_), Some(d)) => is_empty(d),
            (Value::List(_), Some(d)) if !is_empty(d) => overwrite,
            (_, None) => true,
            (_, Some(d)) => overwrite || is_empty(d),
        };
        if replace {
            store(dst, k.clone(), sv.clone())?;
        }
    }
    Ok(())
}

/// Go's panic text for a failed `x.(T)` type assertion on an `interface{}`.
fn conversion(v: &Value, want: &str) -> FuncError {
    FuncError::new(format!(
        "interface conversion: interface {{}} is {}, not {want}",
        v.type_name()
    ))
}

/// sprig's `dig KEY… DEFAULT DICT`.
fn dig(a: &[Value]) -> R {
    if a.len() < 3 {
        return Err(FuncError::new("dig needs at least three arguments"));
    }
    let last = &a[a.len() - 1];
    let mut d = dict_ref(last).ok_or_else(|| conversion(last, "map[string]interface {}"))?;
    let default = &a[a.len() - 2];
    let keys = &a[..a.len() - 2];
    let mut names = Vec::with_capacity(keys.len());
    for k in keys {
        names.push(k.as_str().ok_or_else(|| conversion(k, "string"))?);
    }
    for (i, k) in names.iter().enumerate() {
        let Some(step) = d.get(&**k).cloned() else {
            return Ok(default.clone());
        };
        if i + 1 == names.len() {
            return Ok(step.clone());
        }
        d = dict_ref(&step).ok_or_else(|| conversion(&step, "map[string]interface {}"))?;
    }
    Ok(default.clone())
}
