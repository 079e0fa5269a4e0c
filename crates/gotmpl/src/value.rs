//! The data a template sees: Go's `interface{}` world as decoded from JSON (nil, bool, int64,
//! float64, string, []interface{}, map[string]interface{}) plus opaque objects (time, semver,
//! certificates) that have fields and methods. Strings are Go strings ([`Str`]): any bytes.
//!
//! Maps are references, as in Go: a [`Map`] reached through two paths (two variables, a
//! variable and a field of the data, a `template` call's dot) is one map, and sprig's `set`,
//! `unset` and `merge*` change it for every holder. Lists are values: no Go built-in or sprig
//! function writes into an existing slice (sprig's `append` copies before appending, `slice`
//! shares but nothing can write through it), so an immutable shared list behaves as Go's.

use std::borrow::Cow;
use std::collections::BTreeMap;
use std::fmt;
use std::sync::{Arc, Mutex};

pub use crate::gostr::Str;

/// One template value. Cloning is cheap (strings, lists and maps are shared).
#[derive(Clone)]
pub enum Value {
    /// Go's untyped nil: a JSON `null`, a missing map key, a nil interface. Printed by `{{ }}`
    /// as `<no value>`, by `fmt` as `<nil>`.
    Nil,
    Bool(bool),
    /// A Go signed integer: `int` (template number literals, `len`, range indexes) or `int64`
    /// (integers of the data, sprig's math and `int64`); the kind shows in `%T`, `typeOf`,
    /// `kindOf`, `fmt`'s bad-verb text and `deepEqual`.
    Int(i64, IntKind),
    /// A Go unsigned integer, only from functions: `uint8` (a byte: `index` of a string) or
    /// `uint64` (JSON integers above `i64::MAX` decode as `float64`).
    Uint(u64, UintKind),
    Float(f64),
    /// A Go `string`: any bytes, usually UTF-8 (see [`Str`]).
    String(Str),
    /// Go `[]interface{}` (also stands for `[]string` results of sprig functions).
    List(Arc<Vec<Value>>),
    /// Go `map[string]interface{}`; iteration is in sorted key order, as Go's `range` and `fmt`.
    Map(Map),
    /// A Go struct or pointer with fields/methods (time.Time, *semver.Version, certificates).
    Object(Arc<dyn Object>),
}

/// Which Go signed integer type a [`Value::Int`] is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum IntKind {
    Int,
    Int64,
}

impl IntKind {
    pub fn name(self) -> &'static str {
        match self {
            IntKind::Int => "int",
            IntKind::Int64 => "int64",
        }
    }
}

/// Which Go unsigned integer type a [`Value::Uint`] is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum UintKind {
    Uint8,
    Uint64,
}

impl UintKind {
    pub fn name(self) -> &'static str {
        match self {
            UintKind::Uint8 => "uint8",
            UintKind::Uint64 => "uint64",
        }
    }
}

/// A Go value with named fields and methods, reached by `.Name` in a template.
pub trait Object: Send + Sync + fmt::Debug {
    /// Go's `%T`-style type name, e.g. `time.Time`, `*semver.Version`, `sprig.certificate`.
    fn type_name(&self) -> &str;
    /// A field or niladic method by name; `None` if the type has no such field or method.
    fn field(&self, name: &str) -> Option<Value>;
    /// A method with arguments (`{{ $t.Add 5 }}`); `None` if there is no such method.
    fn method(&self, _name: &str, _args: &[Value]) -> Option<Result<Value, crate::FuncError>> {
        None
    }
    /// What `fmt`'s `%v` prints (Go's `String()` method, or the struct rendering `{a b}`).
    fn fmt_v(&self) -> String;
    /// What `encoding/json` marshals the value as, expressed as a plain value to encode (e.g.
    /// the RFC 3339 string of a `time.Time`, the version string of a `*semver.Version`);
    /// `None` encodes as `{}` (a struct without exported fields).
    fn json(&self) -> Option<Value> {
        None
    }
    /// The number behind a Go named integer type (`time.Month`, `time.Weekday`,
    /// `time.Duration`), for comparisons and integer parameters; `None` for other objects.
    fn as_int(&self) -> Option<i64> {
        None
    }
    /// Go truthiness of a struct is always true; pointers are true unless nil.
    fn as_any(&self) -> &dyn std::any::Any;
}

impl Value {
    /// A Go `int`.
    pub fn int(i: i64) -> Value {
        Value::Int(i, IntKind::Int)
    }
    /// A Go `int64`.
    pub fn int64(i: i64) -> Value {
        Value::Int(i, IntKind::Int64)
    }
    /// A Go `uint64`.
    pub fn uint64(u: u64) -> Value {
        Value::Uint(u, UintKind::Uint64)
    }
    /// A Go string (from `&str`, `String`, `Vec<u8>`, `&[u8]`, ...; bytes need not be UTF-8).
    pub fn str(s: impl Into<Str>) -> Value {
        Value::String(s.into())
    }
    pub fn list(v: Vec<Value>) -> Value {
        Value::List(Arc::new(v))
    }
    pub fn map(m: BTreeMap<String, Value>) -> Value {
        Value::Map(Map::new(m))
    }

    /// Go's `%T`-ish name of the value's type, used in error messages
    /// (`wrong type for value; expected string; got int`).
    pub fn type_name(&self) -> &str {
        match self {
            Value::Nil => "<nil>",
            Value::Bool(_) => "bool",
            Value::Int(_, k) => k.name(),
            Value::Uint(_, k) => k.name(),
            Value::Float(_) => "float64",
            Value::String(_) => "string",
            Value::List(_) => "[]interface {}",
            Value::Map(_) => "map[string]interface {}",
            Value::Object(o) => o.type_name(),
        }
    }

    /// Go's `text/template` truth: false, 0, nil, and empty strings/slices/maps are false.
    pub fn truthy(&self) -> bool {
        match self {
            Value::Nil => false,
            Value::Bool(b) => *b,
            Value::Int(i, _) => *i != 0,
            Value::Uint(u, _) => *u != 0,
            Value::Float(f) => *f != 0.0,
            Value::String(s) => !s.is_empty(),
            Value::List(l) => !l.is_empty(),
            Value::Map(m) => !m.is_empty(),
            Value::Object(_) => true,
        }
    }

    /// A string value as text: borrowed (free) when it is valid UTF-8, and otherwise with each
    /// byte outside a valid UTF-8 sequence read as U+FFFD, as Go's `for range` reads it. Use
    /// [`Value::as_bytes`] where the exact bytes matter.
    pub fn as_str(&self) -> Option<Cow<'_, str>> {
        match self {
            Value::String(s) => Some(s.to_str_lossy()),
            _ => None,
        }
    }

    /// A string value's bytes (Go's `[]byte(s)`).
    pub fn as_bytes(&self) -> Option<&[u8]> {
        match self {
            Value::String(s) => Some(s.as_bytes()),
            _ => None,
        }
    }

    /// A string value as a Go string.
    pub fn as_gostr(&self) -> Option<&Str> {
        match self {
            Value::String(s) => Some(s),
            _ => None,
        }
    }

    /// A JSON document decoded into `interface{}` the way Kubernetes decodes unstructured
    /// objects (`k8s.io/apimachinery/pkg/util/json`, i.e. `sigs.k8s.io/json`'s
    /// `UnmarshalCaseSensitivePreserveInts`): integers that fit become `int64`, every other
    /// number `float64` (integers above `i64::MAX` included), objects
    /// `map[string]interface{}`, arrays `[]interface{}`, `null` a nil interface. Checked
    /// against that package's documented rule (its README: "JSON integers are unmarshaled into
    /// `interface{}` fields as an `int64` instead of a `float64` when possible, falling back
    /// to `float64` on any parse or overflow error"); the corpora's Go oracle decodes the same
    /// way (`testdata/go/gen/main.go`, `decode`).
    pub fn from_json(v: &serde_json::Value) -> Value {
        match v {
            serde_json::Value::Null => Value::Nil,
            serde_json::Value::Bool(b) => Value::Bool(*b),
            serde_json::Value::Number(n) => match n.as_i64() {
                Some(i) => Value::Int(i, IntKind::Int64),
                None => Value::Float(n.as_f64().unwrap_or(0.0)),
            },
            serde_json::Value::String(s) => Value::String(s.as_str().into()),
            serde_json::Value::Array(a) => Value::list(a.iter().map(Value::from_json).collect()),
            serde_json::Value::Object(o) => Value::map(
                o.iter()
                    .map(|(k, v)| (k.clone(), Value::from_json(v)))
                    .collect(),
            ),
        }
    }
}

impl fmt::Debug for Value {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Value::Nil => f.write_str("nil"),
            Value::Bool(b) => write!(f, "{b}"),
            Value::Int(i, _) => write!(f, "{i}"),
            Value::Uint(u, _) => write!(f, "{u}u"),
            Value::Float(x) => write!(f, "{x:?}"),
            Value::String(s) => write!(f, "{s:?}"),
            Value::List(l) => f.debug_list().entries(l.iter()).finish(),
            Value::Map(m) => f.debug_map().entries(m.snapshot().iter()).finish(),
            Value::Object(o) => write!(f, "{o:?}"),
        }
    }
}

impl From<&str> for Value {
    fn from(s: &str) -> Self {
        Value::String(s.into())
    }
}
impl From<String> for Value {
    fn from(s: String) -> Self {
        Value::String(s.into())
    }
}
impl From<Str> for Value {
    fn from(s: Str) -> Self {
        Value::String(s)
    }
}
/// A Go string of these bytes (`string(b)`); they need not be UTF-8.
impl From<Vec<u8>> for Value {
    fn from(b: Vec<u8>) -> Self {
        Value::String(b.into())
    }
}
impl From<&[u8]> for Value {
    fn from(b: &[u8]) -> Self {
        Value::String(b.into())
    }
}
impl From<bool> for Value {
    fn from(b: bool) -> Self {
        Value::Bool(b)
    }
}
/// A Go `int`.
impl From<i64> for Value {
    fn from(i: i64) -> Self {
        Value::Int(i, IntKind::Int)
    }
}
impl From<f64> for Value {
    fn from(x: f64) -> Self {
        Value::Float(x)
    }
}
impl From<Vec<Value>> for Value {
    fn from(v: Vec<Value>) -> Self {
        Value::list(v)
    }
}
impl From<BTreeMap<String, Value>> for Value {
    fn from(m: BTreeMap<String, Value>) -> Self {
        Value::map(m)
    }
}

/// The entries of a [`Map`] at one moment.
pub type Entries = BTreeMap<String, Value>;

/// A Go `map[string]interface{}`: a shared reference to mutable entries. Clones are the same
/// map (Go's map assignment); sprig's `deepCopy` makes a new one.
///
/// Readers take a [`Map::snapshot`] (an `Arc` of the entries, no copy) and iterate it freely:
/// a later write copies the entries only while such a snapshot is still alive, so reading
/// never holds the lock across template code and a `range` sees the entries as they were
/// when it started (Go's `range` over a map also sorts the keys and reads the values once,
/// up front).
#[derive(Clone)]
pub struct Map(Arc<MapCell>);

struct MapCell(Mutex<Arc<Entries>>);

impl Map {
    pub fn new(entries: Entries) -> Map {
        Map(Arc::new(MapCell(Mutex::new(Arc::new(entries)))))
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Arc<Entries>> {
        // A panic while holding the lock cannot leave the entries half-written (every write
        // is one BTreeMap call), so a poisoned lock is still consistent.
        self.0 .0.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// The current entries (shared, not copied).
    pub fn snapshot(&self) -> Arc<Entries> {
        self.lock().clone()
    }

    pub fn get(&self, key: &str) -> Option<Value> {
        self.lock().get(key).cloned()
    }

    pub fn contains_key(&self, key: &str) -> bool {
        self.lock().contains_key(key)
    }

    pub fn len(&self) -> usize {
        self.lock().len()
    }

    pub fn is_empty(&self) -> bool {
        self.lock().is_empty()
    }

    /// Changes the entries in place (seen by every holder of this map).
    pub fn update<R>(&self, f: impl FnOnce(&mut Entries) -> R) -> R {
        let mut g = self.lock();
        f(Arc::make_mut(&mut g))
    }

    pub fn insert(&self, key: String, v: Value) -> Option<Value> {
        self.update(|m| m.insert(key, v))
    }

    pub fn remove(&self, key: &str) -> Option<Value> {
        self.update(|m| m.remove(key))
    }

    /// Whether `self` and `other` are the same Go map.
    pub fn ptr_eq(&self, other: &Map) -> bool {
        Arc::ptr_eq(&self.0, &other.0)
    }

    /// Whether this map can be reached from `v` (through maps and lists): storing `v` in
    /// this map would make it contain itself. Walks without recursion.
    pub fn reachable_from(&self, v: &Value) -> bool {
        let mut stack: Vec<Value> = vec![v.clone()];
        while let Some(v) = stack.pop() {
            match v {
                Value::Map(m) => {
                    if m.ptr_eq(self) {
                        return true;
                    }
                    stack.extend(
                        m.snapshot()
                            .values()
                            .filter(|e| matches!(e, Value::Map(_) | Value::List(_)))
                            .cloned(),
                    );
                }
                Value::List(l) => stack.extend(
                    l.iter()
                        .filter(|e| matches!(e, Value::Map(_) | Value::List(_)))
                        .cloned(),
                ),
                _ => {}
            }
        }
        false
    }
}

/// Below this much free stack, a map being dropped takes its nested values apart without
/// recursion; above it, the ordinary recursive drop (no allocation) is used.
const DROP_STACK_RESERVE: usize = 64 * 1024;

impl Drop for MapCell {
    /// Drops nested maps and lists without recursion once the stack runs low, so a value
    /// nested as deep as a template can make it (one `set` per level) cannot overflow the stack
    /// when it goes away.
    fn drop(&mut self) {
        if stacker::remaining_stack().is_some_and(|r| r > DROP_STACK_RESERVE) {
            return;
        }
        let entries = self.0.get_mut().unwrap_or_else(|e| e.into_inner());
        let Some(entries) = Arc::get_mut(entries) else {
            return;
        };
        if !entries
            .values()
            .any(|v| matches!(v, Value::Map(_) | Value::List(_)))
        {
            return;
        }
        let mut stack: Vec<Value> = std::mem::take(entries).into_values().collect();
        while let Some(v) = stack.pop() {
            match v {
                Value::Map(mut m) => {
                    if let Some(cell) = Arc::get_mut(&mut m.0) {
                        let e = cell.0.get_mut().unwrap_or_else(|e| e.into_inner());
                        if let Some(e) = Arc::get_mut(e) {
                            stack.extend(std::mem::take(e).into_values());
                        }
                    }
                }
                Value::List(mut l) => {
                    if let Some(items) = Arc::get_mut(&mut l) {
                        stack.append(items);
                    }
                }
                _ => {}
            }
        }
    }
}

impl fmt::Debug for Map {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_map().entries(self.snapshot().iter()).finish()
    }
}
