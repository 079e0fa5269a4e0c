//! The public API: a parsed set of associated templates ([`Template`]) that can be executed
//! on a [`Value`] within [`Limits`].

use std::collections::HashMap;
use std::sync::Arc;

use crate::error::Error;
use crate::exec::{self, Budget, CtxFuncMap, Limits, MissingKey, Set};
use crate::strconv::quote;
use crate::{FuncMap, Value};

/// A parsed set of associated named templates (the top-level one plus every `define` and
/// `block`), with the functions it was parsed with. Cheap to clone; `Send + Sync`.
#[derive(Clone)]
pub struct Template {
    set: Arc<Set>,
}

impl std::fmt::Debug for Template {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Template")
            .field("name", &self.set.name)
            .field("templates", &self.names())
            .finish()
    }
}

impl Template {
    /// Parses `src` as template `name`. The built-in functions are always available;
    /// `funcs` adds to them and overrides same-named ones (Go's `Funcs` before `Parse`).
    pub fn parse(name: &str, src: &str, funcs: &FuncMap) -> Result<Template, Error> {
        let mut all = crate::builtins::builtins();
        all.extend(funcs);
        let has = |n: &str| all.get(n).is_some();
        let trees = crate::parse::parse(name, src, &has)?;
        let trees: HashMap<String, Arc<crate::parse::Tree>> =
            trees.into_iter().map(|(k, v)| (k, Arc::new(v))).collect();
        Ok(Template {
            set: Arc::new(Set {
                name: name.to_string(),
                trees,
                funcs: all,
                missing_key: MissingKey::Default,
            }),
        })
    }

    /// Go's `Option`: `missingkey=default|invalid|zero|error`. Returns a copy of the
    /// template with the option set; an unknown option is an error (Go panics).
    pub fn option(&self, opt: &str) -> Result<Template, String> {
        let mk = match opt {
            "missingkey=default" | "missingkey=invalid" => MissingKey::Default,
            "missingkey=zero" => MissingKey::Zero,
            "missingkey=error" => MissingKey::Error,
            _ if opt.starts_with("missingkey=") => {
                return Err(format!("unrecognized option: {opt}"))
            }
            _ => return Err(format!("unrecognized option: {opt}")),
        };
        Ok(self.with_missing_key(mk))
    }

    /// A copy of the template with Go's `missingkey` option set.
    pub fn with_missing_key(&self, missing_key: MissingKey) -> Template {
        Template {
            set: Arc::new(Set {
                name: self.set.name.clone(),
                trees: self.set.trees.clone(),
                funcs: self.set.funcs.clone(),
                missing_key,
            }),
        }
    }

    /// Go's `t.New(name).Parse(src)`: a copy of this set with `src` parsed as template `name`
    /// (and its definitions) added, using the set's functions. As in Go, a later non-empty
    /// definition replaces an earlier one and an empty one never does. Helm renders a chart
    /// this way: `_helpers.tpl` and every manifest file in one set.
    pub fn add_parse(&self, name: &str, src: &str) -> Result<Template, Error> {
        let has = |n: &str| self.set.funcs.get(n).is_some();
        let mut trees = self.set.trees.clone();
        for (k, tree) in crate::parse::parse(name, src, &has)? {
            let keep_old = tree.is_empty() && trees.get(&k).is_some_and(|old| !old.is_empty());
            if !keep_old {
                trees.insert(k, Arc::new(tree));
            }
        }
        Ok(Template {
            set: Arc::new(Set {
                name: self.set.name.clone(),
                trees,
                funcs: self.set.funcs.clone(),
                missing_key: self.set.missing_key,
            }),
        })
    }

    /// The name given to [`Template::parse`].
    pub fn name(&self) -> &str {
        &self.set.name
    }

    /// Executes the top-level template, returning the output as text. Go's output is bytes,
    /// and a template can write bytes that are not UTF-8 (`{{"\xff"}}`, `slice` inside a
    /// character, `b64dec` of binary data); here each such byte becomes U+FFFD, as Go's
    /// `for range` reads it. [`Template::execute_bytes`] returns Go's exact bytes.
    pub fn execute(&self, data: &Value, limits: &Limits) -> Result<String, Error> {
        self.execute_named_with(&self.set.name, data, limits, &CtxFuncMap::new())
    }

    /// Executes the top-level template, returning exactly the bytes Go's `Execute` writes.
    pub fn execute_bytes(&self, data: &Value, limits: &Limits) -> Result<Vec<u8>, Error> {
        self.execute_named_with_bytes(&self.set.name, data, limits, &CtxFuncMap::new())
    }

    /// Executes the template called `name` (Go's `ExecuteTemplate`), output as text (see
    /// [`Template::execute`]).
    pub fn execute_named(
        &self,
        name: &str,
        data: &Value,
        limits: &Limits,
    ) -> Result<String, Error> {
        self.execute_named_with(name, data, limits, &CtxFuncMap::new())
    }

    /// Executes the top-level template with context functions (see [`crate::CtxFunction`]),
    /// which take precedence over same-named functions given to [`Template::parse`]; output
    /// as text (see [`Template::execute`]).
    pub fn execute_with(
        &self,
        data: &Value,
        limits: &Limits,
        ctx: &CtxFuncMap,
    ) -> Result<String, Error> {
        self.execute_named_with(&self.set.name, data, limits, ctx)
    }

    /// [`Template::execute_named`] with context functions, output as text (see
    /// [`Template::execute`]).
    pub fn execute_named_with(
        &self,
        name: &str,
        data: &Value,
        limits: &Limits,
        ctx: &CtxFuncMap,
    ) -> Result<String, Error> {
        self.execute_named_with_bytes(name, data, limits, ctx)
            .map(text_of)
    }

    /// The general form: the template called `name`, with context functions, returning
    /// exactly the bytes Go writes.
    pub fn execute_named_with_bytes(
        &self,
        name: &str,
        data: &Value,
        limits: &Limits,
        ctx: &CtxFuncMap,
    ) -> Result<Vec<u8>, Error> {
        let Some(tree) = self.set.trees.get(name) else {
            return Err(Error::Exec {
                text: format!(
                    "template: no template {} associated with template {}",
                    quote(name),
                    quote(&self.set.name)
                ),
                line: None,
                limit: false,
            });
        };
        let mut budget = Budget {
            limits: *limits,
            steps: 0,
            limit_hit: false,
            ctx: ctx.clone(),
            dict_writes: 0,
        };
        exec::execute(&self.set, tree, data, &mut budget, 0)
    }

    /// Names of all templates in the set (the top-level one and every definition), sorted.
    pub fn names(&self) -> Vec<String> {
        let mut v: Vec<String> = self.set.trees.keys().cloned().collect();
        v.sort();
        v
    }

    /// Whether the set has a template called `name`.
    pub fn has(&self, name: &str) -> bool {
        self.set.trees.contains_key(name)
    }
}

/// Output bytes as text: no copy when they are UTF-8 (the common case), otherwise each byte
/// outside a valid sequence as U+FFFD.
fn text_of(out: Vec<u8>) -> String {
    String::from_utf8(out).unwrap_or_else(|e| crate::gostr::lossy(e.as_bytes()).into_owned())
}
