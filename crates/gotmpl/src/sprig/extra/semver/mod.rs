//! Sprig's `semver` and `semverCompare`, with the rules of Masterminds/semver v3.3 (the version
//! sprig v3.3 pins): loose version parsing (`v` prefix, missing minor/patch), SemVer precedence,
//! and its constraint language — `=`, `!=`, `>`, `<`, `>=`, `<=`, `~`, `~>`, `^`, wildcards
//! (`1.2.x`, `*`), hyphen ranges (`1 - 2`), AND by space or comma, OR by `||`, and prereleases
//! only matching constraints that name a prerelease themselves.

use std::cmp::Ordering;
use std::sync::{Arc, LazyLock};

use regex::Regex;

use super::{arg, arg_str, def};
use crate::{Arity, FuncError, FuncMap, Object, Ty, Value};

pub(super) fn register(m: &mut FuncMap) {
    // func(version string) (*semver.Version, error)
    def(m, "semver", Arity::Fixed(&[Ty::String]), |a| {
        let v = Version::parse(&arg_str(a, 0))?;
        Ok(Value::Object(Arc::new(v)))
    });
    // func(constraint, version string) (bool, error)
    def(
        m,
        "semverCompare",
        Arity::Fixed(&[Ty::String, Ty::String]),
        |a| {
            let c = Constraints::parse(&arg_str(a, 0))?;
            let v = Version::parse(&arg_str(a, 1))?;
            Ok(Value::Bool(c.check(&v)))
        },
    );
}

/// Go's `\s` is ASCII whitespace only.
const WS: &str = r"[\t\n\f\r ]";
const VERSION: &str = r"v?([0-9]+)(\.[0-9]+)?(\.[0-9]+)?(-([0-9A-Za-z\-]+(\.[0-9A-Za-z\-]+)*))?(\+([0-9A-Za-z\-]+(\.[0-9A-Za-z\-]+)*))?";
/// Masterminds' constraint version (the `|` inside the classes is theirs, and matters).
const CV: &str = r"v?([0-9|x|X|\*]+)(\.[0-9|x|X|\*]+)?(\.[0-9|x|X|\*]+)?(-([0-9A-Za-z\-]+(\.[0-9A-Za-z\-]+)*))?(\+([0-9A-Za-z\-]+(\.[0-9A-Za-z\-]+)*))?";
const OPS: &str = r"=||!=|>|<|>=|=>|<=|=<|~|~>|\^";

static VERSION_RE: LazyLock<Regex> = LazyLock::new(|| re(&format!("^{VERSION}$")));
static CONSTRAINT_RE: LazyLock<Regex> =
    LazyLock::new(|| re(&format!("^{WS}*({OPS}){WS}*({CV}){WS}*$")));
static RANGE_RE: LazyLock<Regex> =
    LazyLock::new(|| re(&format!("{WS}*({CV}){WS}+-{WS}+({CV}){WS}*")));
static FIND_RE: LazyLock<Regex> = LazyLock::new(|| re(&format!("({OPS}){WS}*({CV})")));
static VALID_RE: LazyLock<Regex> = LazyLock::new(|| {
    re(&format!(
        "^({WS}*({OPS}){WS}*({CV}){WS}*)((?:{WS}+|,{WS}*)({OPS}){WS}*({CV}){WS}*)*$"
    ))
});

fn re(src: &str) -> Regex {
    // The patterns are constants; a failure is a programming error caught by every test.
    Regex::new(src).expect("semver pattern compiles")
}

/// A `*semver.Version`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Version {
    major: u64,
    minor: u64,
    patch: u64,
    pre: String,
    metadata: String,
    original: String,
    /// `*Version` (from `semver`) or `Version` (from `IncMajor` and friends).
    pointer: bool,
}

impl Version {
    /// Masterminds `NewVersion`.
    pub fn parse(v: &str) -> Result<Version, FuncError> {
        let caps = VERSION_RE
            .captures(v)
            .ok_or_else(|| FuncError::new("Invalid Semantic Version"))?;
        let group = |i: usize| caps.get(i).map_or("", |m| m.as_str());
        let num = |s: &str| -> Result<u64, FuncError> {
            if s.is_empty() {
                return Ok(0);
            }
            s.parse::<u64>().map_err(|_| {
                FuncError::new(format!(
                    "Error parsing version segment: strconv.ParseUint: parsing \"{s}\": value out of range"
                ))
            })
        };
        let version = Version {
            major: num(group(1))?,
            minor: num(group(2).trim_start_matches('.'))?,
            patch: num(group(3).trim_start_matches('.'))?,
            pre: group(5).to_string(),
            metadata: group(8).to_string(),
            original: v.to_string(),
            pointer: true,
        };
        validate_prerelease(&version.pre)?;
        Ok(version)
    }

    /// Masterminds `Version.String()`: normalised, without a `v`.
    pub fn to_go_string(&self) -> String {
        let mut s = format!("{}.{}.{}", self.major, self.minor, self.patch);
        if !self.pre.is_empty() {
            s.push('-');
            s.push_str(&self.pre);
        }
        if !self.metadata.is_empty() {
            s.push('+');
            s.push_str(&self.metadata);
        }
        s
    }

    /// SemVer precedence; metadata is ignored.
    pub fn compare(&self, o: &Version) -> Ordering {
        self.major
            .cmp(&o.major)
            .then(self.minor.cmp(&o.minor))
            .then(self.patch.cmp(&o.patch))
            .then_with(|| match (self.pre.is_empty(), o.pre.is_empty()) {
                (true, true) => Ordering::Equal,
                (true, false) => Ordering::Greater,
                (false, true) => Ordering::Less,
                (false, false) => compare_prerelease(&self.pre, &o.pre),
            })
    }

    fn v_prefix(&self) -> &str {
        if self.original.starts_with('v') {
            "v"
        } else {
            ""
        }
    }

    /// The value `IncMajor` & co. return: a `semver.Version` whose original keeps the `v`.
    fn next(&self, f: impl FnOnce(&mut Version)) -> Version {
        let mut n = self.clone();
        f(&mut n);
        n.pointer = false;
        n.original = format!("{}{}", self.v_prefix(), n.to_go_string());
        n
    }
}

fn validate_prerelease(p: &str) -> Result<(), FuncError> {
    if p.is_empty() {
        return Ok(());
    }
    for part in p.split('.') {
        if part.bytes().all(|c| c.is_ascii_digit()) && part.len() > 1 && part.starts_with('0') {
            return Err(FuncError::new("Version segment starts with 0"));
        }
    }
    Ok(())
}

fn compare_prerelease(a: &str, b: &str) -> Ordering {
    let (pa, pb): (Vec<&str>, Vec<&str>) = (a.split('.').collect(), b.split('.').collect());
    for i in 0..pa.len().max(pb.len()) {
        let d = compare_pre_part(
            pa.get(i).copied().unwrap_or(""),
            pb.get(i).copied().unwrap_or(""),
        );
        if d != Ordering::Equal {
            return d;
        }
    }
    Ordering::Equal
}

/// Masterminds `comparePrePart`: numbers (as uint64) before words, words by bytes, a missing
/// part first.
fn compare_pre_part(s: &str, o: &str) -> Ordering {
    if s == o {
        return Ordering::Equal;
    }
    if s.is_empty() {
        return Ordering::Less;
    }
    if o.is_empty() {
        return Ordering::Greater;
    }
    let num = |x: &str| -> Option<u64> {
        if x.is_empty() || !x.bytes().all(|c| c.is_ascii_digit()) {
            return None;
        }
        x.parse().ok()
    };
    match (num(s), num(o)) {
        (None, None) => {
            if s > o {
                Ordering::Greater
            } else {
                Ordering::Less
            }
        }
        (Some(_), None) => Ordering::Less,
        (None, Some(_)) => Ordering::Greater,
        (Some(a), Some(b)) => {
            if a > b {
                Ordering::Greater
            } else {
                Ordering::Less
            }
        }
    }
}

fn version_arg(args: &[Value], i: usize) -> Result<&Version, FuncError> {
    let v = arg(args, i);
    if let Value::Object(o) = v {
        if let Some(ver) = o.as_any().downcast_ref::<Version>() {
            return Ok(ver);
        }
    }
    Err(FuncError::new(format!(
        "wrong type for value; expected *semver.Version; got {}",
        v.type_name()
    )))
}

impl Object for Version {
    fn type_name(&self) -> &str {
        if self.pointer {
            "*semver.Version"
        } else {
            "semver.Version"
        }
    }

    fn field(&self, name: &str) -> Option<Value> {
        let obj = |v: Version| Value::Object(Arc::new(v));
        Some(match name {
            "Major" => Value::uint64(self.major),
            "Minor" => Value::uint64(self.minor),
            "Patch" => Value::uint64(self.patch),
            "Prerelease" => Value::from(self.pre.as_str()),
            "Metadata" => Value::from(self.metadata.as_str()),
            "Original" => Value::from(self.original.as_str()),
            "String" => Value::from(self.to_go_string()),
            "IncPatch" => obj(self.next(|n| {
                if n.pre.is_empty() {
                    n.patch = n.patch.wrapping_add(1);
                }
                n.pre.clear();
                n.metadata.clear();
            })),
            "IncMinor" => obj(self.next(|n| {
                n.minor = n.minor.wrapping_add(1);
                n.patch = 0;
                n.pre.clear();
                n.metadata.clear();
            })),
            "IncMajor" => obj(self.next(|n| {
                n.major = n.major.wrapping_add(1);
                n.minor = 0;
                n.patch = 0;
                n.pre.clear();
                n.metadata.clear();
            })),
            _ => return None,
        })
    }

    fn method(&self, name: &str, args: &[Value]) -> Option<Result<Value, FuncError>> {
        let cmp = |f: fn(Ordering) -> Value| -> Result<Value, FuncError> {
            if args.len() != 1 {
                return Err(FuncError::new(format!(
                    "wrong number of args for {name}: want 1 got {}",
                    args.len()
                )));
            }
            Ok(f(self.compare(version_arg(args, 0)?)))
        };
        Some(match name {
            "Compare" => cmp(|o| Value::int(o as i64)),
            "LessThan" => cmp(|o| Value::Bool(o == Ordering::Less)),
            "GreaterThan" => cmp(|o| Value::Bool(o == Ordering::Greater)),
            "Equal" => cmp(|o| Value::Bool(o == Ordering::Equal)),
            "LessThanEqual" => cmp(|o| Value::Bool(o != Ordering::Greater)),
            "GreaterThanEqual" => cmp(|o| Value::Bool(o != Ordering::Less)),
            "SetPrerelease" | "SetMetadata" => {
                let Some(s) = args.first().and_then(Value::as_str) else {
                    return Some(Err(FuncError::new(format!(
                        "wrong type for value; expected string; got {}",
                        arg(args, 0).type_name()
                    ))));
                };
                let valid = s.is_empty()
                    || s.split('.').all(|p| {
                        !p.is_empty() && p.bytes().all(|c| c.is_ascii_alphanumeric() || c == b'-')
                    });
                if name == "SetPrerelease" {
                    if !valid {
                        return Some(Err(FuncError::new("Invalid Prerelease string")));
                    }
                    if let Err(e) = validate_prerelease(&s) {
                        return Some(Err(e));
                    }
                    Ok(Value::Object(Arc::new(
                        self.next(|n| n.pre = s.to_string()),
                    )))
                } else {
                    if !valid {
                        return Some(Err(FuncError::new("Invalid Metadata string")));
                    }
                    Ok(Value::Object(Arc::new(
                        self.next(|n| n.metadata = s.to_string()),
                    )))
                }
            }
            _ => return self.field(name).map(Ok),
        })
    }

    fn fmt_v(&self) -> String {
        self.to_go_string()
    }

    /// `Version.MarshalJSON`: the version string.
    fn json(&self) -> Option<Value> {
        Some(Value::from(self.to_go_string()))
    }

    fn as_any(&self) -> &dyn std::any::Any {
        self
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Op {
    TildeOrEqual,
    NotEqual,
    Greater,
    Less,
    GreaterEqual,
    LessEqual,
    Tilde,
    Caret,
}

#[derive(Debug)]
struct Constraint {
    op: Op,
    con: Version,
    minor_dirty: bool,
    patch_dirty: bool,
    dirty: bool,
}

/// Masterminds `Constraints`: OR groups of AND-ed constraints.
#[derive(Debug)]
pub struct Constraints(Vec<Vec<Constraint>>);

impl Constraints {
    /// Masterminds `NewConstraint`.
    pub fn parse(c: &str) -> Result<Constraints, FuncError> {
        let c = rewrite_range(c);
        let mut groups = Vec::new();
        for or in c.split("||") {
            if !VALID_RE.is_match(or) {
                return Err(FuncError::new(format!("improper constraint: {or}")));
            }
            let mut group = Vec::new();
            for m in FIND_RE.find_iter(or) {
                group.push(parse_constraint(m.as_str())?);
            }
            groups.push(group);
        }
        Ok(Constraints(groups))
    }

    pub fn check(&self, v: &Version) -> bool {
        self.0.iter().any(|g| g.iter().all(|c| c.check(v)))
    }
}

/// Hyphen ranges `A - B` become `>= A, <= B `.
fn rewrite_range(i: &str) -> String {
    let mut out = i.to_string();
    for caps in RANGE_RE.captures_iter(i) {
        let whole = caps.get(0).map_or("", |m| m.as_str());
        let from = caps.get(1).map_or("", |m| m.as_str());
        let to = caps.get(11).map_or("", |m| m.as_str());
        out = out.replacen(whole, &format!(">= {from}, <= {to} "), 1);
    }
    out
}

fn is_x(s: &str) -> bool {
    matches!(s, "x" | "X" | "*")
}

fn parse_constraint(c: &str) -> Result<Constraint, FuncError> {
    if c.is_empty() {
        // Masterminds' special case: an empty constraint is `*`.
        return Ok(Constraint {
            op: Op::TildeOrEqual,
            con: Version::parse("0.0.0")?,
            minor_dirty: false,
            patch_dirty: false,
            dirty: true,
        });
    }
    let caps = CONSTRAINT_RE
        .captures(c)
        .ok_or_else(|| FuncError::new(format!("improper constraint: {c}")))?;
    let g = |i: usize| caps.get(i).map_or("", |m| m.as_str());
    let op = match g(1) {
        "" | "=" => Op::TildeOrEqual,
        "!=" => Op::NotEqual,
        ">" => Op::Greater,
        "<" => Op::Less,
        ">=" | "=>" => Op::GreaterEqual,
        "<=" | "=<" => Op::LessEqual,
        "~" | "~>" => Op::Tilde,
        _ => Op::Caret,
    };
    let (mut minor_dirty, mut patch_dirty, mut dirty) = (false, false, false);
    let (major, minor, patch, pre) = (g(3), g(4), g(5), g(6));
    let ver = if is_x(major) {
        dirty = true;
        format!("0.0.0{pre}")
    } else if is_x(minor.trim_start_matches('.')) || minor.is_empty() {
        minor_dirty = true;
        dirty = true;
        format!("{major}.0.0{pre}")
    } else if is_x(patch.trim_start_matches('.')) || patch.is_empty() {
        dirty = true;
        patch_dirty = true;
        format!("{major}{minor}.0{pre}")
    } else {
        g(2).to_string()
    };
    let con = Version::parse(&ver).map_err(|_| FuncError::new("constraint Parser Error"))?;
    Ok(Constraint {
        op,
        con,
        minor_dirty,
        patch_dirty,
        dirty,
    })
}

impl Constraint {
    fn check(&self, v: &Version) -> bool {
        // A prerelease only satisfies constraints that name a prerelease (issue 21).
        if !v.pre.is_empty() && self.con.pre.is_empty() {
            return false;
        }
        let c = &self.con;
        match self.op {
            Op::TildeOrEqual => {
                if self.dirty {
                    self.tilde(v)
                } else {
                    v.compare(c) == Ordering::Equal
                }
            }
            Op::Tilde => self.tilde(v),
            Op::NotEqual => {
                if self.dirty {
                    if c.major != v.major {
                        return true;
                    }
                    if c.minor != v.minor && !self.minor_dirty {
                        return true;
                    }
                    if self.minor_dirty {
                        return false;
                    }
                    if c.patch != v.patch && !self.patch_dirty {
                        return true;
                    }
                    if self.patch_dirty {
                        if !v.pre.is_empty() || !c.pre.is_empty() {
                            return compare_prerelease(&v.pre, &c.pre) != Ordering::Equal;
                        }
                        return false;
                    }
                }
                v.compare(c) != Ordering::Equal
            }
            Op::Greater => {
                if !self.dirty {
                    return v.compare(c) == Ordering::Greater;
                }
                if v.major != c.major {
                    return v.major > c.major;
                }
                if self.minor_dirty {
                    return false;
                }
                if self.patch_dirty {
                    return v.minor > c.minor;
                }
                v.compare(c) == Ordering::Greater
            }
            Op::Less => v.compare(c) == Ordering::Less,
            Op::GreaterEqual => v.compare(c) != Ordering::Less,
            Op::LessEqual => {
                if !self.dirty {
                    return v.compare(c) != Ordering::Greater;
                }
                if v.major > c.major {
                    return false;
                }
                !(v.major == c.major && v.minor > c.minor && !self.minor_dirty)
            }
            Op::Caret => self.caret(v),
        }
    }

    /// `~1.2.3` is `>=1.2.3 <1.3.0`; `~1` is `>=1.0.0 <2.0.0`; `~0.0.0` and `~*` match all.
    fn tilde(&self, v: &Version) -> bool {
        let c = &self.con;
        if v.compare(c) == Ordering::Less {
            return false;
        }
        if c.major == 0 && c.minor == 0 && c.patch == 0 && !self.minor_dirty && !self.patch_dirty {
            return true;
        }
        if v.major != c.major {
            return false;
        }
        v.minor == c.minor || self.minor_dirty
    }

    /// `^1.2.3` is `>=1.2.3 <2.0.0`; `^0.2.3` is `>=0.2.3 <0.3.0`; `^0.0.3` is `=0.0.3`;
    /// `^0.0` is `<0.1.0`; `^0` is `<1.0.0`.
    fn caret(&self, v: &Version) -> bool {
        let c = &self.con;
        if v.compare(c) == Ordering::Less {
            return false;
        }
        if c.major > 0 || self.minor_dirty {
            return v.major == c.major;
        }
        if v.major > 0 {
            return false;
        }
        if c.minor > 0 || self.patch_dirty {
            return v.minor == c.minor;
        }
        if v.minor > 0 {
            return false;
        }
        c.patch == v.patch
    }
}

#[cfg(test)]
mod tests;
