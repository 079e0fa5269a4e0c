//! Number literals: Go's `parse.newNumber` classification of a literal as int, uint and/or
//! float (`1.0` is also an int, `'a'` is a rune int, `08` is an "integer overflow").

use super::Number;
use crate::lex::ItemType;
use crate::strconv::{parse_float, parse_int, parse_uint, quote, unquote_rune};

/// Go's `newNumber`: classifies a literal as int/uint/float the way the template
/// package does (a float literal with an integral value is also an int, and so on).
pub(super) fn new_number(pos: usize, text: &str, typ: ItemType) -> Result<Number, String> {
    let mut n = Number {
        pos,
        text: text.to_string(),
        is_int: false,
        is_uint: false,
        is_float: false,
        int: 0,
        uint: 0,
        float: 0.0,
    };
    if typ == ItemType::CharConstant {
        let r = unquote_rune(text)?;
        n.is_int = true;
        n.int = r;
        n.is_uint = true;
        n.uint = r as u64;
        n.is_float = true;
        n.float = r as f64;
        return Ok(n);
    }
    if typ == ItemType::Complex || text.ends_with('i') {
        return Err(format!(
            "complex numbers are not supported: {}",
            quote(text)
        ));
    }
    if let Some(u) = parse_uint(text) {
        n.is_uint = true;
        n.uint = u;
    }
    if let Some(i) = parse_int(text) {
        n.is_int = true;
        n.int = i;
        if i == 0 {
            n.is_uint = true;
            n.uint = 0;
        }
    }
    if n.is_int {
        n.is_float = true;
        n.float = n.int as f64;
    } else if n.is_uint {
        n.is_float = true;
        n.float = n.uint as f64;
    } else if let Some(f) = parse_float(text) {
        if !text.contains(['.', 'e', 'E', 'p', 'P']) {
            return Err(format!("integer overflow: {}", quote(text)));
        }
        n.is_float = true;
        n.float = f;
        if !n.is_int && (f as i64) as f64 == f && f.fract() == 0.0 && f.abs() < 9.3e18 {
            n.is_int = true;
            n.int = f as i64;
        }
        if !n.is_uint && f >= 0.0 && (f as u64) as f64 == f && f < 1.8e19 {
            n.is_uint = true;
            n.uint = f as u64;
        }
    }
    if !n.is_int && !n.is_uint && !n.is_float {
        return Err(format!("illegal number syntax: {}", quote(text)));
    }
    Ok(n)
}
