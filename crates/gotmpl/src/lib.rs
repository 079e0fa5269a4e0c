//! Go `text/template` for Rust: lexer, parser and executor with Go's semantics, Go's `fmt`
//! verbs for `print`/`printf`, and the sprig v3 function library.
//!
//! The module split follows Go's own package: `lex` → `parse` → `exec`, with `fmt` for Go's
//! formatting rules, `value` for the data model and `funcs` for the function-call contract.

pub mod fmt;
pub mod funcs;
pub mod sprig;
pub mod value;

pub use funcs::{Arity, FuncError, FuncMap, Function, Ty};
pub use value::{Object, Value};
