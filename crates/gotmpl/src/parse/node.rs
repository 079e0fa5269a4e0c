//! The parse tree of one template (Go's `parse.Node` family) and each node's `String()`
//! form, which Go prints in error messages (`executing "t" at <.a.b>: ...`).

use std::fmt::{self, Display, Write};
use std::sync::Arc;

/// One named template: its body and where it came from (for error locations).
#[derive(Debug)]
pub struct Tree {
    pub name: String,
    /// Name of the top-level template whose source contained this one.
    pub parse_name: Arc<str>,
    /// The whole source text that was parsed (positions index into it).
    pub text: Arc<str>,
    pub root: List,
}

impl Tree {
    /// Go's `ErrorContext` location: `PARSENAME:LINE:COL` (column in bytes, from 0).
    pub fn location(&self, pos: usize) -> (String, usize) {
        let pos = pos.min(self.text.len());
        let before = &self.text.as_bytes()[..pos];
        let line = 1 + before.iter().filter(|&&b| b == b'\n').count();
        let col = match before.iter().rposition(|&b| b == b'\n') {
            Some(nl) => pos - (nl + 1),
            None => pos,
        };
        (format!("{}:{}:{}", self.parse_name, line, col), line)
    }

    /// Go's `parse.IsEmptyTree` on the root: only whitespace text.
    pub fn is_empty(&self) -> bool {
        self.root.nodes.iter().all(|n| match n {
            Node::Text { text, .. } => text.trim().is_empty(),
            _ => false,
        })
    }
}

#[derive(Debug, Default)]
pub struct List {
    pub pos: usize,
    pub nodes: Vec<Node>,
}

#[derive(Debug)]
pub enum Node {
    Text {
        pos: usize,
        text: String,
    },
    Action {
        pos: usize,
        pipe: Pipe,
    },
    If(Box<Branch>),
    Range(Box<Branch>),
    With(Box<Branch>),
    Template {
        pos: usize,
        name: String,
        pipe: Option<Pipe>,
    },
    Break {
        pos: usize,
    },
    Continue {
        pos: usize,
    },
}

impl Node {
    pub fn pos(&self) -> usize {
        match self {
            Node::Text { pos, .. }
            | Node::Action { pos, .. }
            | Node::Template { pos, .. }
            | Node::Break { pos }
            | Node::Continue { pos } => *pos,
            Node::If(b) | Node::Range(b) | Node::With(b) => b.pos,
        }
    }
}

/// The shared shape of `if`, `range` and `with`.
#[derive(Debug)]
pub struct Branch {
    pub pos: usize,
    pub pipe: Pipe,
    pub list: List,
    pub else_list: Option<List>,
}

#[derive(Debug)]
pub struct Pipe {
    pub pos: usize,
    pub is_assign: bool,
    /// Declared or assigned variables (`$x`), in source order.
    pub decl: Vec<String>,
    pub cmds: Vec<Command>,
}

#[derive(Debug)]
pub struct Command {
    pub pos: usize,
    pub args: Vec<Arg>,
}

#[derive(Debug)]
pub struct Number {
    pub pos: usize,
    pub text: String,
    pub is_int: bool,
    pub is_uint: bool,
    pub is_float: bool,
    pub int: i64,
    pub uint: u64,
    pub float: f64,
    /// A complex constant (`1i`, `1+2i`): real and imaginary parts.
    pub complex: Option<(f64, f64)>,
}

/// An operand of a command.
#[derive(Debug)]
pub enum Arg {
    Identifier {
        pos: usize,
        name: String,
    },
    Dot {
        pos: usize,
    },
    Nil {
        pos: usize,
    },
    Bool {
        pos: usize,
        val: bool,
    },
    Number(Box<Number>),
    String {
        pos: usize,
        quoted: String,
        /// The Go string the literal denotes (escapes can make any bytes).
        text: crate::Str,
    },
    /// `.a.b` → `["a", "b"]`.
    Field {
        pos: usize,
        ident: Vec<String>,
    },
    /// `$x.a` → `["$x", "a"]`.
    Variable {
        pos: usize,
        ident: Vec<String>,
    },
    Pipe(Box<Pipe>),
    /// `(pipe).a.b` or `fn.a`.
    Chain {
        pos: usize,
        node: Box<Arg>,
        field: Vec<String>,
    },
}

impl Arg {
    pub fn pos(&self) -> usize {
        match self {
            Arg::Identifier { pos, .. }
            | Arg::Dot { pos }
            | Arg::Nil { pos }
            | Arg::Bool { pos, .. }
            | Arg::String { pos, .. }
            | Arg::Field { pos, .. }
            | Arg::Variable { pos, .. }
            | Arg::Chain { pos, .. } => *pos,
            Arg::Number(n) => n.pos,
            Arg::Pipe(p) => p.pos,
        }
    }
}

impl Display for List {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for n in &self.nodes {
            write!(f, "{n}")?;
        }
        Ok(())
    }
}

fn branch(f: &mut fmt::Formatter<'_>, kw: &str, b: &Branch) -> fmt::Result {
    write!(f, "{{{{{kw} {}}}}}{}", b.pipe, b.list)?;
    if let Some(e) = &b.else_list {
        write!(f, "{{{{else}}}}{e}")?;
    }
    f.write_str("{{end}}")
}

impl Display for Node {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Node::Text { text, .. } => f.write_str(text),
            Node::Action { pipe, .. } => write!(f, "{{{{{pipe}}}}}"),
            Node::If(b) => branch(f, "if", b),
            Node::Range(b) => branch(f, "range", b),
            Node::With(b) => branch(f, "with", b),
            Node::Template { name, pipe, .. } => {
                let q = crate::strconv::quote(name);
                match pipe {
                    Some(p) => write!(f, "{{{{template {q} {p}}}}}"),
                    None => write!(f, "{{{{template {q}}}}}"),
                }
            }
            Node::Break { .. } => f.write_str("{{break}}"),
            Node::Continue { .. } => f.write_str("{{continue}}"),
        }
    }
}

impl Display for Pipe {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if !self.decl.is_empty() {
            f.write_str(&self.decl.join(", "))?;
            f.write_str(" := ")?;
        }
        for (i, c) in self.cmds.iter().enumerate() {
            if i > 0 {
                f.write_str(" | ")?;
            }
            write!(f, "{c}")?;
        }
        Ok(())
    }
}

impl Display for Command {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, a) in self.args.iter().enumerate() {
            if i > 0 {
                f.write_char(' ')?;
            }
            match a {
                Arg::Pipe(p) => write!(f, "({p})")?,
                a => write!(f, "{a}")?,
            }
        }
        Ok(())
    }
}

impl Display for Arg {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Arg::Identifier { name, .. } => f.write_str(name),
            Arg::Dot { .. } => f.write_char('.'),
            Arg::Nil { .. } => f.write_str("nil"),
            Arg::Bool { val, .. } => write!(f, "{val}"),
            Arg::Number(n) => f.write_str(&n.text),
            Arg::String { quoted, .. } => f.write_str(quoted),
            Arg::Field { ident, .. } => {
                for i in ident {
                    write!(f, ".{i}")?;
                }
                Ok(())
            }
            Arg::Variable { ident, .. } => f.write_str(&ident.join(".")),
            Arg::Pipe(p) => write!(f, "{p}"),
            Arg::Chain { node, field, .. } => {
                match node.as_ref() {
                    Arg::Pipe(p) => write!(f, "({p})")?,
                    n => write!(f, "{n}")?,
                }
                for i in field {
                    write!(f, ".{i}")?;
                }
                Ok(())
            }
        }
    }
}
