//! The template parser: Go's `parse.Tree` grammar (pipelines, declarations, control
//! structures, `define`/`block`/`template`), variable scoping and Go's parse errors.

mod expr;
mod node;
mod number;

use std::collections::HashMap;
use std::sync::Arc;

use crate::error::Error;
use crate::lex::{lex, Item, ItemType};
use crate::strconv::{quote, unquote};
pub use node::{Arg, Branch, Command, List, Node, Number, Pipe, Tree};
use number::new_number;

/// Go's `maxStackDepth` for nested parenthesized expressions; also bounds the nesting of
/// control structures (Go has no such bound; it keeps our stack use finite).
pub const MAX_STACK_DEPTH: usize = 10_000;
const MAX_PIPELINE_CMDS: usize = 100_000;

/// Parses `src` (named `name`) into its set of named trees, as Go's `parse.Parse`.
pub fn parse(
    name: &str,
    src: &str,
    has_function: &dyn Fn(&str) -> bool,
) -> Result<HashMap<String, Tree>, Error> {
    let items = lex(src, !has_function("break"), !has_function("continue"));
    let mut p = Parser {
        items,
        cur: 0,
        hi: 0,
        parse_name: Arc::from(name),
        text: Arc::from(src),
        has_function,
        vars: vec!["$".into()],
        trees: HashMap::new(),
        action_line: 0,
        range_depth: 0,
        stack_depth: 0,
    };
    let root = p.parse_top()?;
    p.add(name.to_string(), root)?;
    Ok(p.trees)
}

/// Parser-internal result of `textOrAction`: a real node or an `{{end}}`/`{{else}}` marker.
enum Parsed {
    Node(Node),
    End,
    Else { pos: usize },
}

impl Parsed {
    fn describe(&self) -> String {
        match self {
            Parsed::Node(n) => n.to_string(),
            Parsed::End => "{{end}}".into(),
            Parsed::Else { .. } => "{{else}}".into(),
        }
    }
}

struct Parser<'f> {
    items: Vec<Item>,
    cur: usize,
    hi: usize,
    parse_name: Arc<str>,
    text: Arc<str>,
    has_function: &'f dyn Fn(&str) -> bool,
    vars: Vec<String>,
    trees: HashMap<String, Tree>,
    action_line: usize,
    range_depth: usize,
    stack_depth: usize,
}

type R<T> = Result<T, Error>;

impl Parser<'_> {
    fn next(&mut self) -> Item {
        let i = self.cur.min(self.items.len() - 1);
        self.cur = i + 1;
        self.hi = self.hi.max(i);
        self.items[i].clone()
    }

    fn backup(&mut self) {
        self.cur -= 1;
    }

    fn peek(&mut self) -> Item {
        let it = self.next();
        self.backup();
        it
    }

    fn next_non_space(&mut self) -> Item {
        loop {
            let it = self.next();
            if it.typ != ItemType::Space {
                return it;
            }
        }
    }

    fn peek_non_space(&mut self) -> Item {
        let it = self.next_non_space();
        self.backup();
        it
    }

    fn line(&self) -> usize {
        self.items[self.hi.min(self.items.len() - 1)].line
    }

    fn errorf(&self, msg: impl Into<String>) -> Error {
        self.error_at_line(self.line(), msg)
    }

    fn error_at_line(&self, line: usize, msg: impl Into<String>) -> Error {
        Error::Parse {
            text: format!("template: {}:{}: {}", self.parse_name, line, msg.into()),
            line,
        }
    }

    fn unexpected(&self, token: &Item, context: &str) -> Error {
        if token.typ == ItemType::Error {
            let mut extra = String::new();
            if self.action_line != 0 && self.action_line != token.line {
                extra = format!(
                    " in action started at {}:{}",
                    self.parse_name, self.action_line
                );
                if token.val.ends_with(" action") {
                    extra = extra[" in action".len()..].to_string();
                }
            }
            return self.errorf(format!("{token}{extra}"));
        }
        self.errorf(format!("unexpected {token} in {context}"))
    }

    fn expect(&mut self, typ: ItemType, context: &str) -> R<Item> {
        let t = self.next_non_space();
        if t.typ != typ {
            return Err(self.unexpected(&t, context));
        }
        Ok(t)
    }

    /// Go's `Tree.add`: a later empty definition never replaces a non-empty one.
    fn add(&mut self, name: String, root: List) -> R<()> {
        let tree = Tree {
            name: name.clone(),
            parse_name: self.parse_name.clone(),
            text: self.text.clone(),
            root,
        };
        match self.trees.get(&name) {
            Some(old) if !old.is_empty() => {
                if !tree.is_empty() {
                    return Err(self.errorf(format!(
                        "template: multiple definition of template {}",
                        quote(&name)
                    )));
                }
            }
            _ => {
                self.trees.insert(name, tree);
            }
        }
        Ok(())
    }

    fn parse_top(&mut self) -> R<List> {
        let mut root = List {
            pos: self.peek().pos,
            nodes: Vec::new(),
        };
        while self.peek().typ != ItemType::Eof {
            if self.peek().typ == ItemType::LeftDelim {
                let mark = self.cur;
                self.next();
                if self.next_non_space().typ == ItemType::Define {
                    self.parse_definition()?;
                    continue;
                }
                self.cur = mark;
            }
            match self.text_or_action()? {
                Parsed::Node(n) => root.nodes.push(n),
                other => return Err(self.errorf(format!("unexpected {}", other.describe()))),
            }
        }
        Ok(root)
    }

    /// Runs `f` as the parse of a separate tree (a `define` or `block` body): fresh
    /// variables and range depth, as Go's `startParse` on a new `Tree`.
    fn in_new_tree<T>(&mut self, f: impl FnOnce(&mut Self) -> R<T>) -> R<T> {
        let vars = std::mem::replace(&mut self.vars, vec!["$".into()]);
        let range_depth = std::mem::replace(&mut self.range_depth, 0);
        let r = f(self);
        self.vars = vars;
        self.range_depth = range_depth;
        r
    }

    fn parse_definition(&mut self) -> R<()> {
        const CONTEXT: &str = "define clause";
        self.in_new_tree(|p| {
            let name = p.next_non_space();
            if name.typ != ItemType::String && name.typ != ItemType::RawString {
                return Err(p.unexpected(&name, CONTEXT));
            }
            let name = unquote(&name.val).map_err(|e| p.errorf(e))?;
            p.expect(ItemType::RightDelim, CONTEXT)?;
            let (list, end) = p.item_list()?;
            if !matches!(end, Parsed::End) {
                return Err(p.errorf(format!("unexpected {} in {CONTEXT}", end.describe())));
            }
            p.add(name, list)
        })
    }

    fn item_list(&mut self) -> R<(List, Parsed)> {
        let mut list = List {
            pos: self.peek_non_space().pos,
            nodes: Vec::new(),
        };
        while self.peek_non_space().typ != ItemType::Eof {
            match self.text_or_action()? {
                Parsed::Node(n) => list.nodes.push(n),
                other => return Ok((list, other)),
            }
        }
        Err(self.errorf("unexpected EOF"))
    }

    fn text_or_action(&mut self) -> R<Parsed> {
        let token = self.next_non_space();
        match token.typ {
            ItemType::Text => Ok(Parsed::Node(Node::Text {
                pos: token.pos,
                text: token.val,
            })),
            ItemType::LeftDelim => {
                self.action_line = token.line;
                let r = self.action();
                self.action_line = 0;
                r
            }
            _ => Err(self.unexpected(&token, "input")),
        }
    }

    fn action(&mut self) -> R<Parsed> {
        let token = self.next_non_space();
        match token.typ {
            ItemType::Block => return self.block_control().map(Parsed::Node),
            ItemType::Break | ItemType::Continue => {
                let is_break = token.typ == ItemType::Break;
                let what = if is_break {
                    "{{break}}"
                } else {
                    "{{continue}}"
                };
                let t = self.next_non_space();
                if t.typ != ItemType::RightDelim {
                    return Err(self.unexpected(&t, what));
                }
                if self.range_depth == 0 {
                    return Err(self.errorf(format!("{what} outside {{{{range}}}}")));
                }
                let pos = token.pos;
                return Ok(Parsed::Node(if is_break {
                    Node::Break { pos }
                } else {
                    Node::Continue { pos }
                }));
            }
            ItemType::Else => return self.else_control(),
            ItemType::End => {
                self.expect(ItemType::RightDelim, "end")?;
                return Ok(Parsed::End);
            }
            ItemType::If => return self.control("if").map(|b| Parsed::Node(Node::If(b))),
            ItemType::Range => return self.control("range").map(|b| Parsed::Node(Node::Range(b))),
            ItemType::With => return self.control("with").map(|b| Parsed::Node(Node::With(b))),
            ItemType::Template => return self.template_control().map(Parsed::Node),
            _ => {}
        }
        self.backup();
        let pos = self.peek().pos;
        let pipe = self.pipeline("command", ItemType::RightDelim)?;
        Ok(Parsed::Node(Node::Action { pos, pipe }))
    }

    fn else_control(&mut self) -> R<Parsed> {
        let peek = self.peek_non_space();
        if peek.typ == ItemType::If || peek.typ == ItemType::With {
            return Ok(Parsed::Else { pos: peek.pos });
        }
        let t = self.expect(ItemType::RightDelim, "else")?;
        Ok(Parsed::Else { pos: t.pos })
    }

    fn deeper(&mut self) -> R<()> {
        if self.stack_depth >= MAX_STACK_DEPTH {
            return Err(self.errorf("max expression depth exceeded"));
        }
        self.stack_depth += 1;
        Ok(())
    }

    fn control(&mut self, context: &str) -> R<Box<Branch>> {
        self.deeper()?;
        let n_vars = self.vars.len();
        let r = stacker::maybe_grow(64 * 1024, 1024 * 1024, || self.control_inner(context));
        self.vars.truncate(n_vars);
        self.stack_depth -= 1;
        r
    }

    fn control_inner(&mut self, context: &str) -> R<Box<Branch>> {
        let pipe = self.pipeline(context, ItemType::RightDelim)?;
        if context == "range" {
            self.range_depth += 1;
        }
        let r = self.item_list();
        if context == "range" {
            self.range_depth -= 1;
        }
        let (list, next) = r?;
        let mut else_list = None;
        match next {
            Parsed::End => {}
            Parsed::Else { pos } => {
                let pt = self.peek().typ;
                if context == "if" && pt == ItemType::If {
                    self.next();
                    let inner = self.control("if")?;
                    else_list = Some(List {
                        pos,
                        nodes: vec![Node::If(inner)],
                    });
                } else if context == "with" && pt == ItemType::With {
                    self.next();
                    let inner = self.control("with")?;
                    else_list = Some(List {
                        pos,
                        nodes: vec![Node::With(inner)],
                    });
                } else {
                    let (l, next) = self.item_list()?;
                    if !matches!(next, Parsed::End) {
                        return Err(self.errorf(format!("expected end; found {}", next.describe())));
                    }
                    else_list = Some(l);
                }
            }
            Parsed::Node(_) => unreachable!("item_list returns only end/else markers"),
        }
        Ok(Box::new(Branch {
            pos: pipe.pos,
            pipe,
            list,
            else_list,
        }))
    }

    fn parse_template_name(&mut self, token: &Item, context: &str) -> R<String> {
        match token.typ {
            ItemType::String | ItemType::RawString => {
                unquote(&token.val).map_err(|e| self.errorf(e))
            }
            _ => Err(self.unexpected(token, context)),
        }
    }

    fn block_control(&mut self) -> R<Node> {
        const CONTEXT: &str = "block clause";
        let token = self.next_non_space();
        let name = self.parse_template_name(&token, CONTEXT)?;
        let pipe = self.pipeline(CONTEXT, ItemType::RightDelim)?;
        let outer_line = self.line();
        self.deeper()?;
        let r = self.in_new_tree(|p| {
            let (list, end) = p.item_list()?;
            if !matches!(end, Parsed::End) {
                return Err(p.error_at_line(
                    outer_line,
                    format!("unexpected {} in {CONTEXT}", end.describe()),
                ));
            }
            p.add(name.clone(), list)
        });
        self.stack_depth -= 1;
        r?;
        Ok(Node::Template {
            pos: token.pos,
            name,
            pipe: Some(pipe),
        })
    }

    fn template_control(&mut self) -> R<Node> {
        const CONTEXT: &str = "template clause";
        let token = self.next_non_space();
        let name = self.parse_template_name(&token, CONTEXT)?;
        let mut pipe = None;
        if self.next_non_space().typ != ItemType::RightDelim {
            self.backup();
            pipe = Some(self.pipeline(CONTEXT, ItemType::RightDelim)?);
        }
        Ok(Node::Template {
            pos: token.pos,
            name,
            pipe,
        })
    }
}
