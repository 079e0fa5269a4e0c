//! The executor: walks parse trees over a [`Value`] with Go's semantics (truthiness,
//! variable scoping, `range`/`break`/`continue`, template calls) inside [`Limits`].

mod call;
mod eval;

use std::collections::HashMap;
use std::sync::Arc;

use crate::error::Error;
use crate::parse::{Arg, Command, List, Node, Pipe, Tree};
use crate::strconv::quote;
use crate::{FuncMap, Value};

pub use call::{Context, CtxFuncMap, CtxFunction};

/// Bounds on one execution. Exceeding any of them stops execution with an error for which
/// [`Error::is_limit`] is true.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Limits {
    /// Largest output (and largest output of any nested `include`/`tpl`), in bytes.
    pub max_output_bytes: usize,
    /// Evaluation steps (nodes walked, commands evaluated, range iterations).
    pub max_steps: u64,
    /// Nesting of `{{template}}` calls and context-function (`include`/`tpl`) executions.
    pub max_depth: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_output_bytes: 4 << 20,
            max_steps: 1_000_000,
            max_depth: 100,
        }
    }
}

/// What a missing map key evaluates to (Go's `missingkey` option).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum MissingKey {
    /// `missingkey=default` (or `invalid`): no value; prints `<no value>`.
    #[default]
    Default,
    /// `missingkey=zero`: the zero value of the map's element type (a nil interface).
    Zero,
    /// `missingkey=error`: execution stops with `map has no entry for key "k"`.
    Error,
}

/// A parsed set of associated templates and the functions they were parsed with.
pub(crate) struct Set {
    pub name: String,
    pub trees: HashMap<String, Arc<Tree>>,
    pub funcs: FuncMap,
    pub missing_key: MissingKey,
}

/// What one execution (including nested `include`/`tpl` executions) has used so far.
pub(crate) struct Budget {
    pub limits: Limits,
    pub steps: u64,
    pub limit_hit: bool,
    pub ctx: CtxFuncMap,
    /// Calls of dict-changing functions so far (see `call::MAX_DICT_WRITES`).
    pub dict_writes: u64,
}

/// A value during evaluation. `iface` marks a value read from an `interface{}` slot (a map
/// entry or list element) before Go's pipeline unwrapping, which changes a few messages
/// (`nil pointer evaluating interface {}.x`, `got interface {}`).
///
/// `data` marks a value that came from the data given to `execute` (or from inside it): a
/// decoded list has the capacity `encoding/json` gave it, which `slice` can reach, where a
/// list made by a function has none to spare. (Integer types no longer depend on it: a
/// [`Value::Int`] carries its Go kind.)
#[derive(Clone, Debug)]
pub(crate) struct Val {
    pub v: Value,
    pub iface: bool,
    pub data: bool,
}

impl Val {
    pub fn plain(v: Value) -> Val {
        Val {
            v,
            iface: false,
            data: false,
        }
    }
    pub fn nil() -> Val {
        Val::plain(Value::Nil)
    }
    /// A value read from inside a data container (a map entry or list element).
    pub fn elem(v: Value, data: bool) -> Val {
        Val {
            v,
            iface: true,
            data,
        }
    }
    /// The same value after Go's interface unwrapping at the end of a pipeline command.
    pub fn unwrapped(self) -> Val {
        Val {
            iface: false,
            ..self
        }
    }
    /// Go's name of the value's dynamic type, as error messages print it.
    pub fn type_name(&self) -> &str {
        if self.iface {
            "interface {}"
        } else {
            go_type_name(&self.v, self.data)
        }
    }
}

/// Go's type name of `v` (integers carry their Go kind, so where a value came from no
/// longer matters).
pub(crate) fn go_type_name(v: &Value, _data: bool) -> &str {
    v.type_name()
}

/// The node execution is at, for error messages (Go's `state.at`).
#[derive(Clone, Copy)]
pub(crate) enum At<'a> {
    None,
    Node(&'a Node),
    Pipe(&'a Pipe),
    Cmd(&'a Command),
    Arg(&'a Arg),
    List(&'a List),
}

impl At<'_> {
    fn pos(&self) -> usize {
        match self {
            At::None => 0,
            At::Node(n) => n.pos(),
            At::Pipe(p) => p.pos,
            At::Cmd(c) => c.pos,
            At::Arg(a) => a.pos(),
            At::List(l) => l.pos,
        }
    }
    fn describe(&self) -> String {
        match self {
            At::None => String::new(),
            At::Node(n) => n.to_string(),
            At::Pipe(p) => p.to_string(),
            At::Cmd(c) => c.to_string(),
            At::Arg(a) => a.to_string(),
            At::List(l) => l.to_string(),
        }
    }
}

enum Flow {
    Normal,
    Break,
    Continue,
}

type R<T> = Result<T, Error>;

pub(crate) struct State<'a, 'b> {
    set: &'a Set,
    tree: &'a Tree,
    vars: Vec<(&'a str, Val)>,
    /// The output so far: bytes, as Go writes them (string values need not be UTF-8).
    out: Vec<u8>,
    node: At<'a>,
    depth: usize,
    budget: &'b mut Budget,
}

/// Executes template `tree` of `set` on `data`.
pub(crate) fn execute(
    set: &Set,
    tree: &Tree,
    data: &Value,
    budget: &mut Budget,
    depth: usize,
) -> R<Vec<u8>> {
    let mut s = State {
        set,
        tree,
        vars: vec![(
            "$",
            Val {
                v: data.clone(),
                iface: false,
                data: true,
            },
        )],
        out: Vec::new(),
        node: At::None,
        depth,
        budget,
    };
    let dot = Val {
        v: data.clone(),
        iface: false,
        data: true,
    };
    s.walk_list(&dot, &tree.root)?;
    Ok(s.out)
}

impl<'a> State<'a, '_> {
    fn at(&mut self, at: At<'a>) {
        self.node = at;
    }

    /// Go's `state.errorf`: the message prefixed with location and context.
    fn errorf(&self, msg: impl Into<String>) -> Error {
        self.error_with(msg.into(), false)
    }

    fn error_with(&self, msg: String, limit: bool) -> Error {
        let name = quote(&self.tree.name);
        match self.node {
            At::None => Error::Exec {
                text: format!("template: {}: {}", self.tree.name, msg),
                line: None,
                limit,
            },
            at => {
                let (loc, line) = self.tree.location(at.pos());
                let mut ctx = at.describe();
                if limit && ctx.chars().count() > 40 {
                    ctx = ctx.chars().take(40).collect::<String>() + "...";
                }
                Error::Exec {
                    text: format!("template: {loc}: executing {name} at <{ctx}>: {msg}"),
                    line: Some(line),
                    limit,
                }
            }
        }
    }

    fn limit_error(&mut self, msg: String) -> Error {
        self.budget.limit_hit = true;
        self.error_with(msg, true)
    }

    fn step(&mut self) -> R<()> {
        self.budget.steps += 1;
        if self.budget.steps > self.budget.limits.max_steps {
            let max = self.budget.limits.max_steps;
            return Err(
                self.limit_error(format!("exceeded the execution step limit ({max} steps)"))
            );
        }
        Ok(())
    }

    fn write(&mut self, s: &[u8]) -> R<()> {
        self.out.extend_from_slice(s);
        self.check_output()
    }

    fn check_output(&mut self) -> R<()> {
        if self.out.len() > self.budget.limits.max_output_bytes {
            let max = self.budget.limits.max_output_bytes;
            return Err(self.limit_error(format!("exceeded the output size limit ({max} bytes)")));
        }
        Ok(())
    }

    fn push(&mut self, name: &'a str, v: Val) {
        self.vars.push((name, v));
    }

    fn set_var(&mut self, name: &str, v: Val) -> R<()> {
        match self.vars.iter_mut().rev().find(|(n, _)| *n == name) {
            Some(slot) => {
                slot.1 = v;
                Ok(())
            }
            None => Err(self.errorf(format!("undefined variable: {name}"))),
        }
    }

    fn set_top_var(&mut self, n: usize, v: Val) {
        let i = self.vars.len() - n;
        self.vars[i].1 = v;
    }

    fn var_value(&self, name: &str) -> R<Val> {
        match self.vars.iter().rev().find(|(n, _)| *n == name) {
            Some((_, v)) => Ok(v.clone()),
            None => Err(self.errorf(format!("undefined variable: {name}"))),
        }
    }

    fn walk_list(&mut self, dot: &Val, list: &'a List) -> R<Flow> {
        self.at(At::List(list));
        for n in &list.nodes {
            match self.walk(dot, n)? {
                Flow::Normal => {}
                f => return Ok(f),
            }
        }
        Ok(Flow::Normal)
    }

    fn walk(&mut self, dot: &Val, node: &'a Node) -> R<Flow> {
        self.at(At::Node(node));
        self.step()?;
        match node {
            Node::Text { text, .. } => self.write(text.as_bytes())?,
            Node::Action { pipe, .. } => {
                let v = self.eval_pipeline(dot, pipe)?;
                if pipe.decl.is_empty() {
                    self.at(At::Node(node));
                    self.print_value(&v)?;
                }
            }
            Node::Break { .. } => return Ok(Flow::Break),
            Node::Continue { .. } => return Ok(Flow::Continue),
            Node::If(b) | Node::With(b) => {
                let is_with = matches!(node, Node::With(_));
                let mark = self.vars.len();
                let r = stacker::maybe_grow(64 * 1024, 1024 * 1024, || {
                    let val = self.eval_pipeline(dot, &b.pipe)?;
                    if val.v.truthy() {
                        if is_with {
                            self.walk_list(&val, &b.list)
                        } else {
                            self.walk_list(dot, &b.list)
                        }
                    } else if let Some(e) = &b.else_list {
                        self.walk_list(dot, e)
                    } else {
                        Ok(Flow::Normal)
                    }
                });
                self.vars.truncate(mark);
                return r;
            }
            Node::Range(b) => {
                let mark = self.vars.len();
                let r = stacker::maybe_grow(64 * 1024, 1024 * 1024, || self.walk_range(dot, b));
                self.vars.truncate(mark);
                r?;
            }
            Node::Template { name, pipe, .. } => {
                self.walk_template(dot, node, name, pipe.as_ref())?
            }
        }
        Ok(Flow::Normal)
    }

    fn walk_range(&mut self, dot: &Val, r: &'a crate::parse::Branch) -> R<()> {
        let val = self.eval_pipeline(dot, &r.pipe)?;
        let mark = self.vars.len();
        let decl = &r.pipe.decl;
        let mut ran = false;
        let data = val.data;
        let items: Box<dyn Iterator<Item = (Val, Val)>> = match &val.v {
            Value::Int(..) | Value::Uint(..) => {
                if decl.len() > 1 {
                    return Err(self.errorf(format!(
                        "can't use {} to iterate over more than one variable",
                        crate::fmt::format_v(&val.v)
                    )));
                }
                let n = match val.v {
                    Value::Int(i, _) => i.max(0) as u64,
                    Value::Uint(u, _) => u,
                    _ => 0,
                };
                // Go's range over an integer yields that integer's type.
                // Go's range over an integer yields that integer's type.
                let proto = val.v.clone();
                Box::new((0..n).map(move |i| {
                    let v = match proto {
                        Value::Int(_, k) => Value::Int(i as i64, k),
                        Value::Uint(_, k) => Value::Uint(i, k),
                        _ => Value::Nil,
                    };
                    let mut v = Val::plain(v);
                    v.data = data;
                    (Val::nil(), v)
                }))
            }
            Value::List(l) => {
                let l = l.clone();
                Box::new((0..l.len()).map(move |i| {
                    (
                        Val::plain(Value::int(i as i64)),
                        Val::elem(l[i].clone(), data),
                    )
                }))
            }
            Value::Map(m) => {
                // Go's range over a map sorts the keys and reads the values once, up front.
                let entries: Vec<(Val, Val)> = m
                    .snapshot()
                    .iter()
                    .map(|(k, v)| {
                        (
                            Val::plain(Value::str(k.as_str())),
                            Val::elem(v.clone(), data),
                        )
                    })
                    .collect();
                Box::new(entries.into_iter())
            }
            Value::Nil => Box::new(std::iter::empty()),
            other => {
                return Err(self.errorf(format!(
                    "range can't iterate over {}",
                    crate::fmt::format_v(other)
                )));
            }
        };
        for (index, elem) in items {
            ran = true;
            self.step()?;
            if !decl.is_empty() {
                if r.pipe.is_assign {
                    if decl.len() > 1 {
                        self.set_var(&decl[0], index.clone())?;
                    } else {
                        self.set_var(&decl[0], elem.clone())?;
                    }
                } else {
                    self.set_top_var(1, elem.clone());
                }
            }
            if decl.len() > 1 {
                if r.pipe.is_assign {
                    self.set_var(&decl[1], elem.clone())?;
                } else {
                    self.set_top_var(2, index.clone());
                }
            }
            let flow = self.walk_list(&elem, &r.list);
            self.vars.truncate(mark);
            match flow? {
                Flow::Break => break,
                Flow::Continue | Flow::Normal => {}
            }
        }
        if !ran {
            if let Some(e) = &r.else_list {
                self.walk_list(dot, e)?;
            }
        }
        Ok(())
    }

    fn walk_template(
        &mut self,
        dot: &Val,
        node: &'a Node,
        name: &str,
        pipe: Option<&'a Pipe>,
    ) -> R<()> {
        self.at(At::Node(node));
        let Some(tmpl) = self.set.trees.get(name) else {
            return Err(self.errorf(format!("template {} not defined", quote(name))));
        };
        if self.depth >= self.budget.limits.max_depth {
            let max = self.budget.limits.max_depth;
            return Err(self.limit_error(format!("exceeded maximum template depth ({max})")));
        }
        let new_dot = match pipe {
            Some(p) => self.eval_pipeline(dot, p)?,
            None => Val::nil(),
        };
        let new_dot = new_dot.unwrapped();
        let tmpl: &'a Tree = tmpl;
        let saved_tree = std::mem::replace(&mut self.tree, tmpl);
        let saved_vars = std::mem::replace(&mut self.vars, vec![("$", new_dot.clone())]);
        self.depth += 1;
        let r = stacker::maybe_grow(64 * 1024, 1024 * 1024, || {
            self.walk_list(&new_dot, &tmpl.root)
        });
        self.depth -= 1;
        self.vars = saved_vars;
        self.tree = saved_tree;
        self.node = At::Node(node);
        r.map(|_| ())
    }

    /// Go's `printValue`: `%v` of the value straight into the output (a string's bytes as
    /// they are).
    fn print_value(&mut self, v: &Val) -> R<()> {
        match &v.v {
            Value::Nil => self.write(b"<no value>"),
            Value::String(s) => self.write(s.as_bytes()),
            other => {
                crate::fmt::write_v(&mut self.out, other);
                self.check_output()
            }
        }
    }
}
