//! Evaluation of pipelines, commands, fields, variables and arguments (Go's `evalPipeline`,
//! `evalCommand`, `evalField`, `evalArg`, `validateType`).

use super::{At, MissingKey, State, Val, R};
use crate::parse::{Arg, Command, Number, Pipe};
use crate::strconv::quote;
use crate::{Ty, Value};

/// Go's spelling of a parameter type in messages.
pub(crate) fn ty_name(t: Ty) -> &'static str {
    match t {
        Ty::Any => "interface {}",
        Ty::String => "string",
        Ty::Int => "int",
        Ty::Int64 => "int64",
        Ty::Float64 => "float64",
        Ty::Bool => "bool",
        Ty::StringList => "[]string",
        Ty::List => "[]interface {}",
        Ty::Map => "map[string]interface {}",
    }
}

impl<'a> State<'a, '_> {
    pub(super) fn eval_pipeline(&mut self, dot: &Val, pipe: &'a Pipe) -> R<Val> {
        self.at(At::Pipe(pipe));
        let mut value: Option<Val> = None;
        for cmd in &pipe.cmds {
            let v = self.eval_command(dot, cmd, value.take())?;
            value = Some(v.unwrapped());
        }
        let value = value.unwrap_or_else(Val::nil);
        for name in &pipe.decl {
            if pipe.is_assign {
                self.set_var(name, value.clone())?;
            } else {
                self.push(name, value.clone());
            }
        }
        Ok(value)
    }

    fn not_a_function(&self, first: &Arg, rest: &[Arg], final_: &Option<Val>) -> R<()> {
        if !rest.is_empty() || final_.is_some() {
            return Err(self.errorf(format!("can't give argument to non-function {first}")));
        }
        Ok(())
    }

    fn eval_command(&mut self, dot: &Val, cmd: &'a Command, final_: Option<Val>) -> R<Val> {
        self.step()?;
        let first = &cmd.args[0];
        let rest = &cmd.args[1..];
        match first {
            Arg::Field { ident, .. } => {
                self.at(At::Arg(first));
                return self.eval_field_chain(dot, dot.clone(), first, ident, rest, final_);
            }
            Arg::Chain { .. } => return self.eval_chain(dot, first, rest, final_),
            Arg::Identifier { name, .. } => {
                return self.eval_function(dot, first, name, At::Cmd(cmd), rest, final_)
            }
            Arg::Pipe(p) => {
                self.not_a_function(first, rest, &final_)?;
                return stacker::maybe_grow(64 * 1024, 1024 * 1024, || self.eval_pipeline(dot, p));
            }
            Arg::Variable { .. } => return self.eval_variable(dot, first, rest, final_),
            _ => {}
        }
        self.at(At::Arg(first));
        self.not_a_function(first, rest, &final_)?;
        Ok(match first {
            Arg::Bool { val, .. } => Val::plain(Value::Bool(*val)),
            Arg::Dot { .. } => dot.clone(),
            Arg::Nil { .. } => return Err(self.errorf("nil is not a command")),
            Arg::Number(n) => Val::plain(self.ideal_constant(n)?),
            Arg::String { text, .. } => Val::plain(Value::String(text.clone())),
            _ => unreachable!("handled above"),
        })
    }

    /// Go's `idealConstant`: an untyped number literal in a context without a type.
    fn ideal_constant(&self, n: &Number) -> R<Value> {
        if let Some((re, im)) = n.complex {
            return Ok(Value::Object(std::sync::Arc::new(Complex { re, im })));
        }
        let is_hex_int = n.text.len() > 2
            && n.text.starts_with('0')
            && matches!(n.text.as_bytes()[1], b'x' | b'X')
            && !n.text.contains(['p', 'P']);
        let is_rune = n.text.starts_with('\'');
        if n.is_float && !is_hex_int && !is_rune && n.text.contains(['.', 'e', 'E', 'p', 'P']) {
            return Ok(Value::Float(n.float));
        }
        if n.is_int {
            return Ok(Value::int(n.int));
        }
        if n.is_uint {
            return Err(self.errorf(format!("{} overflows int", n.text)));
        }
        Ok(Value::Nil)
    }

    fn eval_chain(
        &mut self,
        dot: &Val,
        chain: &'a Arg,
        rest: &'a [Arg],
        final_: Option<Val>,
    ) -> R<Val> {
        self.at(At::Arg(chain));
        let Arg::Chain { node, field, .. } = chain else {
            unreachable!("eval_chain on a chain")
        };
        if matches!(node.as_ref(), Arg::Nil { .. }) {
            return Err(self.errorf(format!("indirection through explicit nil in {chain}")));
        }
        let recv = self.eval_arg(dot, None, node)?;
        self.eval_field_chain(dot, recv, chain, field, rest, final_)
    }

    fn eval_variable(
        &mut self,
        dot: &Val,
        var: &'a Arg,
        rest: &'a [Arg],
        final_: Option<Val>,
    ) -> R<Val> {
        self.at(At::Arg(var));
        let Arg::Variable { ident, .. } = var else {
            unreachable!("eval_variable on a variable")
        };
        let value = self.var_value(&ident[0])?;
        if ident.len() == 1 {
            self.not_a_function(var, rest, &final_)?;
            return Ok(value);
        }
        self.eval_field_chain(dot, value, var, &ident[1..], rest, final_)
    }

    fn eval_field_chain(
        &mut self,
        dot: &Val,
        mut receiver: Val,
        node: &'a Arg,
        ident: &'a [String],
        rest: &'a [Arg],
        final_: Option<Val>,
    ) -> R<Val> {
        let n = ident.len();
        for name in &ident[..n - 1] {
            receiver = self.eval_field(dot, name, node, &[], None, receiver)?;
        }
        self.eval_field(dot, &ident[n - 1], node, rest, final_, receiver)
    }

    fn eval_field(
        &mut self,
        dot: &Val,
        name: &str,
        node: &'a Arg,
        args: &'a [Arg],
        final_: Option<Val>,
        receiver: Val,
    ) -> R<Val> {
        if matches!(receiver.v, Value::Nil) && !receiver.iface {
            if self.set.missing_key == MissingKey::Error {
                return Err(self.errorf(format!("nil data; no entry for key {}", quote(name))));
            }
            return Ok(Val::nil());
        }
        let typ = receiver.type_name().to_string();
        let has_args = !args.is_empty() || final_.is_some();
        match &receiver.v {
            Value::Nil => Err(self.errorf(format!("nil pointer evaluating {typ}.{name}"))),
            Value::Object(o) => {
                let o = o.clone();
                if has_args {
                    let mut argv = Vec::with_capacity(args.len() + 1);
                    for a in args {
                        argv.push(self.eval_arg(dot, Some(Ty::Any), a)?.v);
                    }
                    if let Some(f) = final_ {
                        argv.push(f.v);
                    }
                    match o.method(name, &argv) {
                        Some(Ok(v)) => return Ok(Val::plain(v)),
                        Some(Err(e)) => {
                            self.at(At::Arg(node));
                            return Err(self.func_error(name, e));
                        }
                        None => {}
                    }
                    if o.field(name).is_some() {
                        return Err(self.errorf(format!(
                            "{name} has arguments but cannot be invoked as function"
                        )));
                    }
                } else {
                    if let Some(v) = o.field(name) {
                        return Ok(Val::plain(v));
                    }
                    match o.method(name, &[]) {
                        Some(Ok(v)) => return Ok(Val::plain(v)),
                        Some(Err(e)) => return Err(self.func_error(name, e)),
                        None => {}
                    }
                }
                Err(self.errorf(format!("can't evaluate field {name} in type {typ}")))
            }
            Value::Map(m) => {
                if has_args {
                    return Err(self.errorf(format!("{name} is not a method but has arguments")));
                }
                Ok(match m.get(name) {
                    Some(v) => Val::elem(v.clone(), receiver.data),
                    None => match self.set.missing_key {
                        MissingKey::Default => Val::nil(),
                        // The zero value of the map's element type, interface{}: a nil
                        // interface.
                        MissingKey::Zero => Val::elem(Value::Nil, receiver.data),
                        MissingKey::Error => {
                            return Err(
                                self.errorf(format!("map has no entry for key {}", quote(name)))
                            )
                        }
                    },
                })
            }
            _ => Err(self.errorf(format!("can't evaluate field {name} in type {typ}"))),
        }
    }

    /// Go's `evalArg`: evaluates one argument for a parameter of type `ty` (`None`: no
    /// type, as for the receiver of a chain).
    pub(super) fn eval_arg(&mut self, dot: &Val, ty: Option<Ty>, n: &'a Arg) -> R<Val> {
        self.at(At::Arg(n));
        let v = match n {
            Arg::Dot { .. } => dot.clone(),
            Arg::Nil { .. } => {
                return match ty {
                    None | Some(Ty::Any) => Ok(Val::nil()),
                    Some(t) if can_be_nil(t) => Ok(Val::plain(zero(t))),
                    Some(t) => Err(self.errorf(format!("cannot assign nil to {}", ty_name(t)))),
                }
            }
            Arg::Field { ident, .. } => {
                self.eval_field_chain(dot, dot.clone(), n, ident, &[], None)?
            }
            Arg::Variable { .. } => self.eval_variable(dot, n, &[], None)?,
            Arg::Pipe(p) => {
                stacker::maybe_grow(64 * 1024, 1024 * 1024, || self.eval_pipeline(dot, p))?
            }
            Arg::Identifier { name, .. } => {
                self.eval_function(dot, n, name, At::Arg(n), &[], None)?
            }
            Arg::Chain { .. } => self.eval_chain(dot, n, &[], None)?,
            lit => {
                let Some(t) = ty else {
                    return Err(self.errorf(format!("can't handle {lit} for arg of type <nil>")));
                };
                return self.eval_literal(t, lit).map(Val::plain);
            }
        };
        match ty {
            None => Ok(v),
            Some(t) => self.validate_type(v, t).map(Val::plain),
        }
    }

    fn eval_literal(&mut self, t: Ty, n: &'a Arg) -> R<Value> {
        match (t, n) {
            (Ty::Any, Arg::Bool { val, .. }) => Ok(Value::Bool(*val)),
            (Ty::Any, Arg::Number(num)) => self.ideal_constant(num),
            (Ty::Any, Arg::String { text, .. }) => Ok(Value::String(text.clone())),
            (Ty::Bool, Arg::Bool { val, .. }) => Ok(Value::Bool(*val)),
            (Ty::Bool, _) => Err(self.errorf(format!("expected bool; found {n}"))),
            (Ty::String, Arg::String { text, .. }) => Ok(Value::String(text.clone())),
            (Ty::String, _) => Err(self.errorf(format!("expected string; found {n}"))),
            (Ty::Int, Arg::Number(num)) if num.is_int => Ok(Value::int(num.int)),
            (Ty::Int64, Arg::Number(num)) if num.is_int => Ok(Value::int64(num.int)),
            (Ty::Int | Ty::Int64, _) => Err(self.errorf(format!("expected integer; found {n}"))),
            (Ty::Float64, Arg::Number(num)) if num.is_float => Ok(Value::Float(num.float)),
            (Ty::Float64, _) => Err(self.errorf(format!("expected float; found {n}"))),
            (t, _) => Err(self.errorf(format!("can't handle {n} for arg of type {}", ty_name(t)))),
        }
    }

    /// Go's `validateType`: converts or rejects a value for a parameter type.
    pub(super) fn validate_type(&self, v: Val, t: Ty) -> R<Value> {
        if matches!(v.v, Value::Nil) {
            if !v.iface {
                return match t {
                    Ty::Any => Ok(Value::Nil),
                    t if can_be_nil(t) => Ok(zero(t)),
                    t => Err(self.errorf(format!("invalid value; expected {}", ty_name(t)))),
                };
            }
            return match t {
                Ty::Any => Ok(Value::Nil),
                t => Err(self.errorf(format!(
                    "wrong type for value; expected {}; got interface {{}}",
                    ty_name(t)
                ))),
            };
        }
        let ok = match (t, &v.v) {
            (Ty::Any, _) => true,
            (Ty::String, Value::String(_)) => true,
            // Go's `int` and `int64` are distinct types: neither parameter takes the other.
            (Ty::Int, Value::Int(_, k)) => *k == crate::IntKind::Int,
            (Ty::Int64, Value::Int(_, k)) => *k == crate::IntKind::Int64,
            (Ty::Float64, Value::Float(_)) => true,
            (Ty::Bool, Value::Bool(_)) => true,
            (Ty::List, Value::List(_)) => true,
            (Ty::Map, Value::Map(_)) => true,
            (Ty::StringList, Value::List(l)) => l.iter().all(|e| matches!(e, Value::String(_))),
            _ => false,
        };
        if ok {
            Ok(v.v)
        } else {
            Err(self.errorf(format!(
                "wrong type for value; expected {}; got {}",
                ty_name(t),
                super::go_type_name(&v.v, v.data)
            )))
        }
    }
}

fn can_be_nil(t: Ty) -> bool {
    matches!(t, Ty::Any | Ty::List | Ty::Map | Ty::StringList)
}

fn zero(t: Ty) -> Value {
    match t {
        Ty::List | Ty::StringList => Value::list(Vec::new()),
        Ty::Map => Value::map(Default::default()),
        _ => Value::Nil,
    }
}

/// A Go `complex128` constant from the template (`{{1+2i}}`); it only prints and compares.
#[derive(Debug)]
struct Complex {
    re: f64,
    im: f64,
}

impl crate::Object for Complex {
    fn type_name(&self) -> &str {
        "complex128"
    }
    fn field(&self, _name: &str) -> Option<Value> {
        None
    }
    fn fmt_v(&self) -> String {
        format!(
            "({}{}i)",
            crate::fmt::sprintf("%g", &[Value::Float(self.re)]),
            crate::fmt::sprintf("%+g", &[Value::Float(self.im)])
        )
    }
    fn as_any(&self) -> &dyn std::any::Any {
        self
    }
}
