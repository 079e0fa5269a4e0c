//! Go `text/template` for Rust: lexer, parser and executor with Go's semantics, Go's `fmt`
//! verbs for `print`/`printf`, and the sprig v3 function library.
//!
//! The module split follows Go's own package: `lex` → `parse` → `exec`, with `fmt` for Go's
//! formatting rules, `value` for the data model (`gostr` for Go's strings) and `funcs` for the
//! function-call contract.
//!
//! ```
//! use gotmpl::{FuncMap, Limits, Template, Value};
//! let t = Template::parse("t", "{{range $i, $v := .}}{{$i}}={{$v}} {{end}}", &FuncMap::new()).unwrap();
//! let data = Value::list(vec![Value::from("a"), Value::from("b")]);
//! assert_eq!(t.execute(&data, &Limits::default()).unwrap(), "0=a 1=b ");
//! // Go's output is bytes: a string can hold any.
//! let t = Template::parse("t", r#"{{ "\xff" }}{{ len "\xff" }}"#, &FuncMap::new()).unwrap();
//! assert_eq!(t.execute_bytes(&data, &Limits::default()).unwrap(), b"\xff1");
//! ```
//!
//! # Functions that execute templates (Helm's `include` and `tpl`)
//!
//! A [`CtxFunction`] receives a [`Context`] besides its arguments; through it, it can
//! execute a named template of the running set ([`Context::execute_template`]) or parse and
//! execute new source next to the set's templates ([`Context::execute_source`]). Nested
//! executions share the caller's [`Limits`] budget (steps; depth grows by one).
//! Register them in a [`CtxFuncMap`]; give [`CtxFuncMap::placeholders`] (merged into the
//! parse [`FuncMap`]) to [`Template::parse`] so the parser knows the names, and execute
//! with [`Template::execute_with`]:
//!
//! ```
//! use gotmpl::{Arity, CtxFuncMap, CtxFunction, FuncMap, Limits, Template, Ty, Value};
//! let mut ctx = CtxFuncMap::new();
//! ctx.insert(CtxFunction::new("include", Arity::Fixed(&[Ty::String, Ty::Any]), |c, a| {
//!     c.execute_template(&a[0].as_str().unwrap(), &a[1]).map(Value::from)
//! }));
//! let t = Template::parse(
//!     "t",
//!     r#"{{define "x"}}[{{.}}]{{end}}{{include "x" 1 | print "<"}}"#,
//!     &ctx.placeholders(),
//! )
//! .unwrap();
//! assert_eq!(t.execute_with(&Value::Nil, &Limits::default(), &ctx).unwrap(), "<[1]");
//! ```
//!
//! # Bounds
//!
//! Execution stops with an [`Error`] for which [`Error::is_limit`] is true when it exceeds
//! [`Limits`]: output bytes (function results are also capped at four times that), steps,
//! or nesting of `{{template}}`/context-function calls (Go's own bound is 100000, ours
//! defaults to 100; the error reads as Go's, `exceeded maximum template depth (N)`, so with
//! `max_depth: 100_000` Go's recursion cases render exactly as Go's). Parsing bounds nested parentheses and control structures at 10000
//! (Go: `max expression depth exceeded`); deep but legal nesting never overflows the stack.
//!
//! # Strings are bytes
//!
//! A Go string may hold any bytes (`"\xff"`, `slice` inside a character, `b64dec` of binary
//! data); a [`Value::String`] is such a string, a [`Str`]: valid UTF-8 is kept as a `str`
//! (checked once, so [`Str::as_str`] is free), other bytes as bytes. `len` counts bytes,
//! `index` of a string yields a `uint8` ([`UintKind`]), comparisons are byte-wise, and
//! [`Template::execute_bytes`] returns exactly the bytes Go writes; [`Template::execute`]
//! returns text, each byte outside valid UTF-8 read as U+FFFD (as Go's `for range` reads it).
//! Functions that Go writes over bytes keep such bytes; those that Go writes over runes see
//! U+FFFD. The README's "Bytes outside UTF-8" lists what is checked against Go and what is not
//! matched (map keys and template names are UTF-8 text; error messages are Rust strings).
//!
//! # Integers: `int` and `int64`
//!
//! [`Value::Int`] carries its Go type ([`IntKind`]): number literals, `len`, range indexes,
//! `atoi`, `int` and time fields such as `Year` are `int`; integers of the data (see
//! [`Value::from_json`]), sprig's integer math (`add`, `sub`, `mul`, `div`, `mod`, `add1`,
//! `max`, `min`), `int64`, `toDecimal` and `Unix*`/`*seconds` results are `int64`, as in
//! Go. The type shows where Go shows it: `%T`, `fmt`'s `%!d(int64=1)`, `typeOf`, `kindOf`,
//! `deepEqual` (`int` 1 and `int64` 1 differ), and argument checks (an `int` parameter, such as
//! `trunc`'s or `substr`'s, refuses an `int64`: `wrong type for value; expected int; got
//! int64`, the error Helm users know). `eq`/`lt` compare any two signed integers, as Go's do.
//!
//! # Maps are references, lists are values
//!
//! As in Go, a dict is one map however it is reached ([`value::Map`]): sprig's `set`, `unset`,
//! `merge` and `mergeOverwrite` change it in place, for every variable, field, list element
//! or `template` call that holds it (the data given to `execute` included); `deepCopy` makes
//! an independent copy; `range` over a map reads its keys and values once, up front, as Go's
//! does. Lists never change in place (no Go built-in or sprig function writes into an existing
//! slice: sprig's `append` copies), so sharing them is exact.
//!
//! Two bounds Go does not have keep a template from taking its host down: a change that would
//! make a dict contain itself fails (`... the dict would contain itself`; Go builds the
//! cycle and printing it then overflows Go's stack, a fatal error), and one execution may call
//! the dict-changing functions at most 100000 times ([`Error::is_limit`]).

pub mod builtins;
pub mod error;
mod exec;
pub mod fmt;
pub mod funcs;
mod gostr;
mod lex;
mod parse;
pub mod sprig;
mod strconv;
mod template;
pub mod value;

pub use builtins::builtins;
pub use error::Error;
pub use exec::{Context, CtxFuncMap, CtxFunction, Limits, MissingKey};
pub use funcs::{Arity, FuncError, FuncMap, Function, Ty};
pub use template::Template;
pub use value::{IntKind, Object, Str, UintKind, Value};

/// The README's examples, compiled and run as doctests.
#[doc = include_str!("../README.md")]
#[cfg(doctest)]
pub struct ReadmeDoctests;
