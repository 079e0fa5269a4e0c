//! Sprig's specialised functions: math, dates, encoding, semver, URL, UUID, random, crypto, OS and
//! network (the latter as deliberate deviations).

mod crypto;
mod encoding;
mod math;
mod mathf;
mod os;
mod random;
mod semver;
mod time;
mod url;

use crate::{Arity, FuncError, FuncMap, Function, Value};

pub(super) fn register(m: &mut FuncMap) {
    math::register(m);
    mathf::register(m);
    encoding::register(m);
    os::register(m);
    random::register(m);
    url::register(m);
    semver::register(m);
    time::register(m);
    crypto::register(m);
}

/// Largest list or string a generating function (`seq`, `randAlpha`, `randBytes`, ...) builds:
/// Go would try to allocate whatever a template asks for; a driver must not be taken down by
/// one template.
pub(crate) const MAX_GENERATED: i64 = 1 << 24;

/// Shorthand for registering one function.
fn def(
    m: &mut FuncMap,
    name: &'static str,
    arity: Arity,
    call: impl Fn(&[Value]) -> Result<Value, FuncError> + Send + Sync + 'static,
) {
    m.insert(Function::new(name, arity, call));
}

/// The string argument at `i` as text (the executor has checked it is a `Ty::String`); a byte
/// outside valid UTF-8 reads as U+FFFD, as Go's `range` reads it. Functions that work on
/// bytes in Go use [`arg_bytes`].
fn arg_str(args: &[Value], i: usize) -> std::borrow::Cow<'_, str> {
    args.get(i)
        .and_then(Value::as_str)
        .unwrap_or(std::borrow::Cow::Borrowed(""))
}

/// The string argument at `i`, its bytes.
fn arg_bytes(args: &[Value], i: usize) -> &[u8] {
    args.get(i).and_then(Value::as_bytes).unwrap_or(b"")
}

/// The `int` argument at `i` (the executor has converted it for a `Ty::Int`).
fn arg_int(args: &[Value], i: usize) -> i64 {
    match args.get(i) {
        Some(Value::Int(n, _)) => *n,
        Some(Value::Uint(n, _)) => *n as i64,
        Some(Value::Float(f)) => *f as i64,
        _ => 0,
    }
}

/// The argument at `i`, or nil.
fn arg(args: &[Value], i: usize) -> &Value {
    args.get(i).unwrap_or(&Value::Nil)
}

/// spf13/cast conversions used by the math functions.
fn to_int64(v: &Value) -> i64 {
    super::cast::to_int64(v)
}
fn to_float64(v: &Value) -> f64 {
    super::cast::to_float64(v)
}

#[cfg(test)]
pub(crate) mod testutil {
    use crate::{FuncMap, Value};

    /// Calls a registered sprig function directly (argument kinds as the executor delivers them).
    pub fn call(name: &str, args: &[Value]) -> Result<Value, crate::FuncError> {
        let mut m = FuncMap::new();
        super::register(&mut m);
        let f = m
            .get(name)
            .unwrap_or_else(|| panic!("{name} is not registered"));
        (f.call)(args)
    }

    pub fn s(v: &str) -> Value {
        Value::from(v)
    }

    /// One `genPrivateKey "dsa"` shared by every test that needs a DSA key (parameter
    /// generation is the slow part).
    pub fn dsa_pem() -> &'static str {
        static PEM: std::sync::OnceLock<String> = std::sync::OnceLock::new();
        PEM.get_or_init(|| call_str("genPrivateKey", &[s("dsa")]))
    }

    /// The string a call returned (panics on an error or another kind).
    pub fn call_str(name: &str, args: &[Value]) -> String {
        match call(name, args) {
            Ok(Value::String(s)) => s.to_string(),
            other => panic!("{name}: expected a string, got {other:?}"),
        }
    }
}
