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
        complex: None,
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
    if typ == ItemType::Complex {
        let (re, im) = split_complex(text)
            .ok_or_else(|| "syntax error scanning complex number".to_string())?;
        n.set_complex(re, im);
        return Ok(n);
    }
    // Imaginary constants can only be complex unless they are zero.
    if let Some(f) = text.strip_suffix('i').and_then(parse_float) {
        n.set_complex(0.0, f);
        return Ok(n);
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

/// `1+2i` → (1, 2): the real part, then a signed imaginary part ending in `i`.
fn split_complex(text: &str) -> Option<(f64, f64)> {
    let body = text.strip_suffix('i')?;
    let b = body.as_bytes();
    let cut = (1..b.len())
        .rev()
        .find(|&k| matches!(b[k], b'+' | b'-') && !matches!(b[k - 1], b'e' | b'E' | b'p' | b'P'))?;
    Some((parse_float(&body[..cut])?, parse_float(&body[cut..])?))
}

impl Number {
    /// Go's `simplifyComplex`: a complex constant with no imaginary part is also a float
    /// (and an int when integral).
    fn set_complex(&mut self, re: f64, im: f64) {
        self.complex = Some((re, im));
        if im == 0.0 {
            self.is_float = true;
            self.float = re;
            if re.fract() == 0.0 && re.abs() < 9.2e18 {
                self.is_int = true;
                self.int = re as i64;
            }
            if re.fract() == 0.0 && (0.0..1.8e19).contains(&re) {
                self.is_uint = true;
                self.uint = re as u64;
            }
        }
    }
}
