//! The data a template sees: Go's `interface{}` world as decoded from JSON (nil, bool, int64,
//! float64, string, []interface{}, map[string]interface{}) plus opaque objects (time, semver,
//! certificates) that have fields and methods.

use std::collections::BTreeMap;
use std::fmt;
use std::sync::Arc;

/// One template value. Cloning is cheap (strings, lists and maps are shared).
#[derive(Clone)]
pub enum Value {
    /// Go's untyped nil: a JSON `null`, a missing map key, a nil interface. Printed by `{{ }}`
    /// as `<no value>`, by `fmt` as `<nil>`.
    Nil,
    Bool(bool),
    /// Go `int`/`int64` (template number literals are `int`; sprig math returns `int64`).
    Int(i64),
    /// Go `uint64` (only from functions; JSON integers above `i64::MAX`).
    Uint(u64),
    Float(f64),
    String(Arc<str>),
    /// Go `[]interface{}` (also stands for `[]string` results of sprig functions).
    List(Arc<Vec<Value>>),
    /// Go `map[string]interface{}`; iteration is in sorted key order, as Go's `range` and `fmt`.
    Map(Arc<BTreeMap<String, Value>>),
    /// A Go struct or pointer with fields/methods (time.Time, *semver.Version, certificates).
    Object(Arc<dyn Object>),
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
    pub fn str(s: impl Into<Arc<str>>) -> Value {
        Value::String(s.into())
    }
    pub fn list(v: Vec<Value>) -> Value {
        Value::List(Arc::new(v))
    }
    pub fn map(m: BTreeMap<String, Value>) -> Value {
        Value::Map(Arc::new(m))
    }

    /// Go's `%T`-ish name of the value's type, used in error messages
    /// (`wrong type for value; expected string; got int`).
    pub fn type_name(&self) -> &str {
        match self {
            Value::Nil => "<nil>",
            Value::Bool(_) => "bool",
            Value::Int(_) => "int",
            Value::Uint(_) => "uint64",
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
            Value::Int(i) => *i != 0,
            Value::Uint(u) => *u != 0,
            Value::Float(f) => *f != 0.0,
            Value::String(s) => !s.is_empty(),
            Value::List(l) => !l.is_empty(),
            Value::Map(m) => !m.is_empty(),
            Value::Object(_) => true,
        }
    }

    pub fn as_str(&self) -> Option<&str> {
        match self {
            Value::String(s) => Some(s),
            _ => None,
        }
    }

    /// A JSON document as Go's `encoding/json` would decode it into `interface{}` the way
    /// Kubernetes' unstructured decoding does: integers become `int64`, other numbers `float64`.
    pub fn from_json(v: &serde_json::Value) -> Value {
        match v {
            serde_json::Value::Null => Value::Nil,
            serde_json::Value::Bool(b) => Value::Bool(*b),
            serde_json::Value::Number(n) => match (n.as_i64(), n.as_u64()) {
                (Some(i), _) => Value::Int(i),
                (None, Some(u)) => Value::Uint(u),
                _ => Value::Float(n.as_f64().unwrap_or(0.0)),
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
            Value::Int(i) => write!(f, "{i}"),
            Value::Uint(u) => write!(f, "{u}u"),
            Value::Float(x) => write!(f, "{x:?}"),
            Value::String(s) => write!(f, "{s:?}"),
            Value::List(l) => f.debug_list().entries(l.iter()).finish(),
            Value::Map(m) => f.debug_map().entries(m.iter()).finish(),
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
impl From<bool> for Value {
    fn from(b: bool) -> Self {
        Value::Bool(b)
    }
}
impl From<i64> for Value {
    fn from(i: i64) -> Self {
        Value::Int(i)
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
