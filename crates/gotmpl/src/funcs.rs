//! The function-call contract between the executor and every function (Go built-ins and
//! sprig): declared parameter types, arity, and Go-shaped errors.

use std::collections::HashMap;
use std::sync::Arc;

use crate::Value;

/// Go parameter types that matter for argument checking. The executor converts or rejects each
/// argument before the call exactly as Go's `reflect`-based `evalArg` does, so a function body
/// can trust its argument kinds (e.g. `Ty::String` → `Value::String`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Ty {
    /// `interface{}`: anything, including nil.
    Any,
    String,
    /// `int` (number literals convert; floats/strings from data do not).
    Int,
    /// `int64`
    Int64,
    /// `float64`
    Float64,
    Bool,
    /// `[]string`
    StringList,
    /// `[]interface{}`
    List,
    /// `map[string]interface{}`
    Map,
}

/// Number of parameters: fixed, or fixed plus a variadic tail of `Ty`.
#[derive(Clone, Copy, Debug)]
pub enum Arity {
    Fixed(&'static [Ty]),
    Variadic(&'static [Ty], Ty),
}

/// What a function returns on failure; the executor wraps it Go's way:
/// `error calling NAME: MESSAGE`.
#[derive(Debug, Clone, thiserror::Error)]
#[error("{0}")]
pub struct FuncError(pub String);

impl FuncError {
    pub fn new(msg: impl Into<String>) -> Self {
        FuncError(msg.into())
    }
}

/// The body of a function: receives checked arguments.
pub type FuncBody = Arc<dyn Fn(&[Value]) -> Result<Value, FuncError> + Send + Sync>;

/// One named function as a Go `template.FuncMap` entry.
#[derive(Clone)]
pub struct Function {
    pub name: &'static str,
    pub arity: Arity,
    pub call: FuncBody,
}

impl Function {
    /// A function from a plain `fn` or a closure.
    pub fn new(
        name: &'static str,
        arity: Arity,
        call: impl Fn(&[Value]) -> Result<Value, FuncError> + Send + Sync + 'static,
    ) -> Self {
        Function {
            name,
            arity,
            call: Arc::new(call),
        }
    }
}

/// Functions by name; later insertions replace earlier ones (as `Funcs` does in Go).
#[derive(Clone, Default)]
pub struct FuncMap(HashMap<&'static str, Arc<Function>>);

impl FuncMap {
    pub fn new() -> Self {
        Self::default()
    }
    pub fn insert(&mut self, f: Function) {
        self.0.insert(f.name, Arc::new(f));
    }
    pub fn extend(&mut self, other: &FuncMap) {
        for (k, v) in &other.0 {
            self.0.insert(k, v.clone());
        }
    }
    /// Every function, in no particular order.
    pub fn iter(&self) -> impl Iterator<Item = &Function> {
        self.0.values().map(|f| f.as_ref())
    }
    pub fn get(&self, name: &str) -> Option<&Function> {
        self.0.get(name).map(|f| f.as_ref())
    }
    /// Removes a function (used to disable sprig's `env`-style functions, if wanted).
    pub fn remove(&mut self, name: &str) {
        self.0.remove(name);
    }
}
