//! Function calls: lookup (context functions, the template's functions, built-ins),
//! Go's argument-count and type checks, the special built-ins (`and`, `or`, `call`), and
//! context functions that execute templates of the running set (Helm's `include`/`tpl`).

use std::collections::HashMap;
use std::sync::Arc;

use super::{At, Budget, Set, State, Val, R};
use crate::error::Error;
use crate::parse::Arg;
use crate::strconv::quote;
use crate::{Arity, FuncError, Function, Str, Ty, Value};

/// What a context function can do with the execution that called it.
pub trait Context {
    /// Executes the named template of the running set on `data` and returns its output, the
    /// bytes as a Go string (Helm's `include`). Counts against the same [`super::Limits`] as
    /// the caller.
    fn execute_template(&mut self, name: &str, data: &Value) -> Result<Str, FuncError>;
    /// Parses `src` as a template named `name` next to the running set's templates (its
    /// `define`s may override them for this call only) and executes it on `data`
    /// (Helm's `tpl`).
    fn execute_source(&mut self, name: &str, src: &str, data: &Value) -> Result<Str, FuncError>;
}

/// The body of a context function.
pub type CtxFuncBody =
    Arc<dyn Fn(&mut dyn Context, &[Value]) -> Result<Value, FuncError> + Send + Sync>;

/// A function that receives the execution [`Context`] besides its checked arguments.
#[derive(Clone)]
pub struct CtxFunction {
    pub name: &'static str,
    pub arity: Arity,
    pub call: CtxFuncBody,
}

impl CtxFunction {
    pub fn new(
        name: &'static str,
        arity: Arity,
        call: impl Fn(&mut dyn Context, &[Value]) -> Result<Value, FuncError> + Send + Sync + 'static,
    ) -> Self {
        CtxFunction {
            name,
            arity,
            call: Arc::new(call),
        }
    }
}

/// Context functions by name; they take precedence over same-named plain functions.
#[derive(Clone, Default)]
pub struct CtxFuncMap(HashMap<&'static str, Arc<CtxFunction>>);

impl CtxFuncMap {
    pub fn new() -> Self {
        Self::default()
    }
    pub fn insert(&mut self, f: CtxFunction) {
        self.0.insert(f.name, Arc::new(f));
    }
    pub fn get(&self, name: &str) -> Option<&CtxFunction> {
        self.0.get(name).map(|f| f.as_ref())
    }
    /// Plain stand-ins with the same names and arities, to put in the [`crate::FuncMap`]
    /// given to [`crate::Template::parse`] so the parser knows the names. Calling a stand-in
    /// outside [`crate::Template::execute_with`] is an error.
    pub fn placeholders(&self) -> crate::FuncMap {
        let mut m = crate::FuncMap::new();
        for f in self.0.values() {
            let name = f.name;
            m.insert(Function::new(name, f.arity, move |_| {
                Err(FuncError::new(format!("{name} needs an execution context")))
            }));
        }
        m
    }
}

enum Callee {
    Ctx(Arc<CtxFunction>),
    Plain(Function, bool),
}

impl Callee {
    fn arity(&self) -> Arity {
        match self {
            Callee::Ctx(f) => f.arity,
            Callee::Plain(f, _) => f.arity,
        }
    }
}

impl<'a> State<'a, '_> {
    pub(super) fn func_error(&mut self, name: &str, e: FuncError) -> Error {
        let limit = self.budget.limit_hit;
        self.error_with(format!("error calling {name}: {}", e.0), limit)
    }

    fn find_function(&self, name: &str) -> Option<Callee> {
        if let Some(f) = self.budget.ctx.0.get(name) {
            return Some(Callee::Ctx(f.clone()));
        }
        if let Some(f) = self.set.funcs.get(name) {
            let builtin = crate::builtins::is_builtin(f);
            return Some(Callee::Plain(f.clone(), builtin));
        }
        None
    }

    pub(super) fn eval_function(
        &mut self,
        dot: &Val,
        ident: &'a Arg,
        name: &str,
        cmd: At<'a>,
        args: &'a [Arg],
        final_: Option<Val>,
    ) -> R<Val> {
        self.at(At::Arg(ident));
        let Some(f) = self.find_function(name) else {
            return Err(self.errorf(format!("{} is not a defined function", quote(name))));
        };
        self.eval_call(dot, f, cmd, name, args, final_)
    }

    fn eval_call(
        &mut self,
        dot: &Val,
        f: Callee,
        node: At<'a>,
        name: &str,
        args: &'a [Arg],
        final_: Option<Val>,
    ) -> R<Val> {
        let num_in = args.len() + usize::from(final_.is_some());
        let (fixed, variadic): (&[Ty], Option<Ty>) = match f.arity() {
            Arity::Fixed(p) => (p, None),
            Arity::Variadic(p, v) => (p, Some(v)),
        };
        if variadic.is_some() {
            if num_in < fixed.len() {
                return Err(self.errorf(format!(
                    "wrong number of args for {name}: want at least {} got {}",
                    fixed.len(),
                    args.len()
                )));
            }
        } else if num_in != fixed.len() {
            return Err(self.errorf(format!(
                "wrong number of args for {name}: want {} got {num_in}",
                fixed.len()
            )));
        }
        let builtin = matches!(f, Callee::Plain(_, true));
        if builtin && (name == "and" || name == "or") {
            let want = name == "or";
            let mut v = Val::nil();
            for a in args {
                v = self.eval_arg(dot, Some(Ty::Any), a)?;
                if v.v.truthy() == want {
                    return Ok(v.unwrapped());
                }
            }
            if let Some(f) = final_ {
                v = f;
            }
            return Ok(v.unwrapped());
        }
        let mut argv: Vec<Value> = Vec::with_capacity(num_in);
        // Per argument: whether it came from the data (for Go type names in messages).
        let mut data: Vec<bool> = Vec::with_capacity(num_in);
        // Per argument: whether it is still an `interface{}` slot (a map entry or list
        // element passed as is); `slice` rejects such indexes as Go does.
        let mut iface: Vec<bool> = Vec::with_capacity(num_in);
        let mut raw_first: Option<Val> = None;
        for (i, a) in args.iter().enumerate() {
            let t = if i < fixed.len() {
                fixed[i]
            } else {
                variadic.unwrap_or(Ty::Any)
            };
            let is_literal = matches!(
                a,
                Arg::Bool { .. } | Arg::Number(_) | Arg::String { .. } | Arg::Nil { .. }
            );
            if is_literal {
                argv.push(self.eval_arg(dot, Some(t), a)?.v);
                data.push(false);
                iface.push(false);
                continue;
            }
            let v = self.eval_arg(dot, None, a)?;
            if i == 0 {
                raw_first = Some(v.clone());
            }
            data.push(v.data);
            iface.push(v.iface);
            argv.push(self.validate_type(v, t)?);
        }
        if let Some(fv) = final_ {
            let t = match variadic {
                Some(vt) if num_in > fixed.len() => vt,
                _ => fixed[num_in - 1],
            };
            if args.is_empty() {
                raw_first = Some(fv.clone());
            }
            data.push(fv.data);
            iface.push(fv.iface);
            argv.push(self.validate_type(fv, t)?);
        }
        if builtin && name == "call" {
            let callee = match args.first() {
                Some(a) => a.to_string(),
                None => match &argv[0] {
                    Value::String(s) => s.to_string(),
                    v => format!("<{} Value>", super::go_type_name(v, data[0])),
                },
            };
            let msg = match &argv[0] {
                Value::Nil => "call of nil".to_string(),
                v => format!(
                    "non-function {callee} of type {}",
                    super::go_type_name(v, data[0])
                ),
            };
            self.at(node);
            return Err(self.func_error(name, FuncError(msg)));
        }
        if builtin && name == "len" {
            if let Some(Val {
                v: Value::Nil,
                iface: true,
                ..
            }) = raw_first
            {
                self.at(node);
                return Err(self.func_error(name, FuncError::new("len of nil pointer")));
            }
        }
        if !builtin && MUTATORS.contains(&name) {
            self.budget.dict_writes += 1;
            if self.budget.dict_writes > MAX_DICT_WRITES {
                self.at(node);
                return Err(self.limit_error(format!(
                    "error calling {name}: exceeded the dict change limit ({MAX_DICT_WRITES} calls of set, unset and merge)"
                )));
            }
        }
        let r = match f {
            Callee::Plain(f, true) => match crate::builtins::call_typed(name, &argv, &data, &iface)
            {
                Some(r) => r.map(|v| {
                    let d = matches!(name, "index" | "slice") && data[0];
                    (v, d)
                }),
                None => (f.call)(&argv).map(|v| (v, false)),
            },
            Callee::Plain(f, false) => (f.call)(&argv).map(|v| (v, false)),
            Callee::Ctx(f) => {
                let mut ctx = CtxState { s: self };
                (f.call)(&mut ctx, &argv).map(|v| (v, false))
            }
        };
        match r {
            Ok((v, d)) => {
                let budget = self.budget.limits.max_output_bytes.saturating_mul(4);
                let (size, depth) = logical_size(&v, budget);
                if size > budget {
                    self.at(node);
                    return Err(self.limit_error(format!(
                        "error calling {name}: result exceeded the value size limit ({budget} bytes)"
                    )));
                }
                if depth > MAX_VALUE_DEPTH {
                    self.at(node);
                    return Err(self.limit_error(format!(
                        "error calling {name}: result exceeded the value nesting limit ({MAX_VALUE_DEPTH} levels)"
                    )));
                }
                let mut v = Val::plain(v);
                v.data = d;
                Ok(v)
            }
            Err(e) => {
                self.at(node);
                Err(self.func_error(name, e))
            }
        }
    }

    fn nested_limits(&mut self) -> Result<(), FuncError> {
        if self.depth >= self.budget.limits.max_depth {
            self.budget.limit_hit = true;
            return Err(FuncError(format!(
                "exceeded maximum template depth ({})",
                self.budget.limits.max_depth
            )));
        }
        Ok(())
    }
}

/// The size a value has when printed or serialized, roughly (string bytes; 8 per scalar
/// and per element), counted only until it exceeds `budget`. Values share structure, so a
/// few calls can build one whose printed form is enormous (`$l = list $l $l`); such a
/// result is stopped here before anything formats it.
/// Deepest nesting of lists and maps a function may return. Go has no such bound, but values
/// nested deeper than this only come from a template building them in a loop, and dropping or
/// printing one recurses once per level: without the bound a template could overflow the
/// stack of the thread that renders it.
pub(crate) const MAX_VALUE_DEPTH: usize = 1000;

/// Approximate size in bytes of `v` (strings, keys, 8 per other value) and its nesting depth,
/// walked without recursion; stops early once the size passes `budget` or the depth passes
/// [`MAX_VALUE_DEPTH`].
fn logical_size(v: &Value, budget: usize) -> (usize, usize) {
    let mut total = 0usize;
    let mut deepest = 0usize;
    // Only lists and maps are pushed (scalars are counted where they are found).
    let scalar = |e: &Value| match e {
        Value::String(s) => s.len(),
        _ => 8,
    };
    let mut stack = Vec::new();
    match v {
        Value::List(_) | Value::Map(_) => stack.push((v.clone(), 0usize)),
        v => return (scalar(v), 0),
    }
    while let Some((v, depth)) = stack.pop() {
        deepest = deepest.max(depth);
        total += 8;
        let mut visit = |e: &Value, total: &mut usize, deepest: &mut usize| match e {
            Value::List(_) | Value::Map(_) => stack.push((e.clone(), depth + 1)),
            e => {
                *deepest = (*deepest).max(depth + 1);
                *total += scalar(e);
            }
        };
        match &v {
            Value::List(l) => l.iter().for_each(|e| visit(e, &mut total, &mut deepest)),
            Value::Map(m) => {
                for (k, e) in m.snapshot().iter() {
                    total += k.len();
                    visit(e, &mut total, &mut deepest);
                }
            }
            _ => {}
        }
        if total > budget || deepest > MAX_VALUE_DEPTH {
            break;
        }
    }
    (total, deepest)
}

/// Calls of sprig's dict-changing functions one execution may make. Go has no such bound; a
/// chain of dicts built with `set` grows one level per call, and printing, copying or
/// comparing it recurses once per level, so the calls are bounded (far above any real class).
pub(crate) const MAX_DICT_WRITES: u64 = 100_000;

/// Sprig functions that change their first argument (a dict) in place, as in Go.
const MUTATORS: &[&str] = &[
    "set",
    "unset",
    "merge",
    "mustMerge",
    "mergeOverwrite",
    "mustMergeOverwrite",
];

struct CtxState<'s, 'a, 'b> {
    s: &'s mut State<'a, 'b>,
}

impl Context for CtxState<'_, '_, '_> {
    fn execute_template(&mut self, name: &str, data: &Value) -> Result<Str, FuncError> {
        self.s.nested_limits()?;
        let set = self.s.set;
        let Some(tree) = set.trees.get(name) else {
            return Err(FuncError(format!(
                "template: no template {} associated with template {}",
                quote(name),
                quote(&set.name)
            )));
        };
        let depth = self.s.depth + 1;
        let budget: &mut Budget = &mut *self.s.budget;
        stacker::maybe_grow(64 * 1024, 1024 * 1024, || {
            super::execute(set, tree, data, budget, depth)
        })
        .map(Str::from)
        .map_err(|e| FuncError(e.to_string()))
    }

    fn execute_source(&mut self, name: &str, src: &str, data: &Value) -> Result<Str, FuncError> {
        self.s.nested_limits()?;
        let set = self.s.set;
        let funcs = set.funcs.clone();
        let ctx_names = self.s.budget.ctx.clone();
        let has = |n: &str| funcs.get(n).is_some() || ctx_names.get(n).is_some();
        let new_trees =
            crate::parse::parse(name, src, &has).map_err(|e| FuncError(e.to_string()))?;
        let mut trees = set.trees.clone();
        for (n, t) in new_trees {
            let replace = match trees.get(&n) {
                Some(old) => !t.is_empty() || old.is_empty(),
                None => true,
            };
            if replace {
                trees.insert(n, Arc::new(t));
            }
        }
        let local = Set {
            name: set.name.clone(),
            trees,
            funcs,
            missing_key: set.missing_key,
        };
        let Some(tree) = local.trees.get(name).cloned() else {
            return Ok(Str::new());
        };
        let depth = self.s.depth + 1;
        let budget: &mut Budget = &mut *self.s.budget;
        stacker::maybe_grow(64 * 1024, 1024 * 1024, || {
            super::execute(&local, &tree, data, budget, depth)
        })
        .map(Str::from)
        .map_err(|e| FuncError(e.to_string()))
    }
}
