//! Go's `strconv` pieces the template engine needs: `Quote`, `Unquote`, `UnquoteChar`,
//! `ParseInt`/`ParseUint`/`ParseFloat` with base prefixes and `_` separators.

/// Go's `unicode.IsPrint` approximated without Unicode tables: graphic characters and the
/// ASCII space; controls, other spaces, common format characters, private use and
/// noncharacters are not printable.
pub fn is_print(c: char) -> bool {
    if c == ' ' {
        return true;
    }
    if c.is_control() || c.is_whitespace() {
        return false;
    }
    let u = c as u32;
    !matches!(u,
        0xAD | 0x600..=0x605 | 0x61C | 0x6DD | 0x70F | 0x180E | 0x200B..=0x200F
        | 0x2028..=0x202E | 0x2060..=0x206F | 0xFEFF | 0xFFF9..=0xFFFB
        | 0xE000..=0xF8FF | 0xFFFE | 0xFFFF | 0xF0000..=0x10FFFF)
}

/// Go's `strconv.Quote` (what `%q` prints for a string).
pub fn quote(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        quote_char_into(&mut out, c, '"');
    }
    out.push('"');
    out
}

fn quote_char_into(out: &mut String, c: char, q: char) {
    match c {
        '\x07' => out.push_str("\\a"),
        '\x08' => out.push_str("\\b"),
        '\x0c' => out.push_str("\\f"),
        '\n' => out.push_str("\\n"),
        '\r' => out.push_str("\\r"),
        '\t' => out.push_str("\\t"),
        '\x0b' => out.push_str("\\v"),
        '\\' => out.push_str("\\\\"),
        c if c == q => {
            out.push('\\');
            out.push(c);
        }
        c if is_print(c) => out.push(c),
        c if (c as u32) < 0x80 => out.push_str(&format!("\\x{:02x}", c as u32)),
        c if (c as u32) < 0x10000 => out.push_str(&format!("\\u{:04x}", c as u32)),
        c => out.push_str(&format!("\\U{:08x}", c as u32)),
    }
}

/// Go's `fmt.Sprintf("%.10q", s)`: the first `n` runes of `s`, quoted.
pub fn quote_prefix(s: &str, n: usize) -> String {
    let cut: String = s.chars().take(n).collect();
    quote(&cut)
}

/// Go's `%#U` of a rune: `U+0041 'A'` (the quoted form only for printable runes).
pub fn sharp_u(c: char) -> String {
    if is_print(c) {
        format!("U+{:04X} '{}'", c as u32, c)
    } else {
        format!("U+{:04X}", c as u32)
    }
}

/// Go's `strconv.UnquoteChar`: decodes the first character or escape of `s`, where `q` is
/// the surrounding quote. Returns the decoded bytes (a rune or, for `\x`/octal, one raw
/// byte) and the rest of the string.
fn unquote_char(s: &str, q: u8) -> Result<(Vec<u8>, &str), ()> {
    let b = s.as_bytes();
    if b.is_empty() {
        return Err(());
    }
    let c = b[0];
    if c == q && (q == b'\'' || q == b'"') {
        return Err(());
    }
    if c >= 0x80 {
        let ch = s.chars().next().ok_or(())?;
        let mut buf = [0u8; 4];
        return Ok((
            ch.encode_utf8(&mut buf).as_bytes().to_vec(),
            &s[ch.len_utf8()..],
        ));
    }
    if c != b'\\' {
        return Ok((vec![c], &s[1..]));
    }
    if b.len() <= 1 {
        return Err(());
    }
    let e = b[1];
    if !e.is_ascii() {
        return Err(());
    }
    let rest = &s[2..];
    let simple = |v: u8| Ok((vec![v], rest));
    match e {
        b'a' => simple(7),
        b'b' => simple(8),
        b'f' => simple(12),
        b'n' => simple(b'\n'),
        b'r' => simple(b'\r'),
        b't' => simple(b'\t'),
        b'v' => simple(11),
        b'\\' => simple(b'\\'),
        b'\'' | b'"' => {
            if e != q {
                return Err(());
            }
            simple(e)
        }
        b'x' | b'u' | b'U' => {
            let n = match e {
                b'x' => 2,
                b'u' => 4,
                _ => 8,
            };
            if rest.len() < n || !rest.is_char_boundary(n) {
                return Err(());
            }
            let v = u32::from_str_radix(&rest[..n], 16).map_err(|_| ())?;
            if rest[..n].starts_with('+') || rest[..n].starts_with('-') {
                return Err(());
            }
            if e == b'x' {
                return Ok((vec![v as u8], &rest[n..]));
            }
            let ch = char::from_u32(v).ok_or(())?;
            let mut buf = [0u8; 4];
            Ok((ch.encode_utf8(&mut buf).as_bytes().to_vec(), &rest[n..]))
        }
        b'0'..=b'7' => {
            let digits = &s.as_bytes()[1..];
            if digits.len() < 3 {
                return Err(());
            }
            let mut v: u32 = 0;
            for &d in &digits[..3] {
                if !(b'0'..=b'7').contains(&d) {
                    return Err(());
                }
                v = v * 8 + (d - b'0') as u32;
            }
            if v > 255 {
                return Err(());
            }
            Ok((vec![v as u8], &s[4..]))
        }
        _ => Err(()),
    }
}

/// Go's `strconv.Unquote` for `"..."` and `` `...` `` literals, as the bytes of the Go string
/// (`\x` and octal escapes make any byte); the error text is Go's `invalid syntax`.
pub fn unquote_bytes(s: &str) -> Result<Vec<u8>, &'static str> {
    const BAD: &str = "invalid syntax";
    let b = s.as_bytes();
    if b.len() < 2 || b[0] != b[b.len() - 1] {
        return Err(BAD);
    }
    let inner = &s[1..s.len() - 1];
    match b[0] {
        b'`' => {
            if inner.contains('`') {
                return Err(BAD);
            }
            Ok(inner.replace('\r', "").into_bytes())
        }
        b'"' => {
            if inner.contains('\n') {
                return Err(BAD);
            }
            let mut out = Vec::with_capacity(inner.len());
            let mut rest = inner;
            while !rest.is_empty() {
                let (bytes, r) = unquote_char(rest, b'"').map_err(|_| BAD)?;
                out.extend_from_slice(&bytes);
                rest = r;
            }
            Ok(out)
        }
        _ => Err(BAD),
    }
}

/// [`unquote_bytes`] as a Go string value. A literal without escapes (the common case) is
/// its source text: no per-character decoding, no UTF-8 check.
pub fn unquote_str(s: &str) -> Result<crate::Str, &'static str> {
    let b = s.as_bytes();
    if b.len() >= 2 && b[0] == b'"' && b[b.len() - 1] == b'"' {
        let inner = &s[1..s.len() - 1];
        if !inner.contains(['\\', '"', '\n']) {
            return Ok(crate::Str::from(inner));
        }
    }
    unquote_bytes(s).map(crate::Str::from)
}

/// [`unquote_bytes`] as text, for template names: bytes that are not UTF-8 read as U+FFFD.
pub fn unquote(s: &str) -> Result<String, &'static str> {
    unquote_bytes(s).map(|b| crate::gostr::lossy(&b).into_owned())
}

/// A template character constant (`'a'`, `'\n'`, `'\u00e9'`) → its rune value.
pub fn unquote_rune(text: &str) -> Result<i64, String> {
    let b = text.as_bytes();
    if b.len() < 2 || b[0] != b'\'' {
        return Err("invalid syntax".into());
    }
    let body = &text[1..];
    let (bytes, tail) = unquote_char(body, b'\'').map_err(|_| "invalid syntax".to_string())?;
    if tail != "'" {
        return Err(format!("malformed character constant: {text}"));
    }
    let v = if bytes.len() == 1 {
        bytes[0] as i64
    } else {
        std::str::from_utf8(&bytes)
            .ok()
            .and_then(|s| s.chars().next())
            .map(|c| c as i64)
            .unwrap_or(0xFFFD)
    };
    Ok(v)
}

fn underscore_ok(s: &str) -> bool {
    let mut s = s.as_bytes();
    let mut saw = b'^';
    if !s.is_empty() && (s[0] == b'-' || s[0] == b'+') {
        s = &s[1..];
    }
    let mut i = 0;
    let mut hex = false;
    if s.len() >= 2 && s[0] == b'0' && matches!(s[1] | 0x20, b'b' | b'o' | b'x') {
        i = 2;
        saw = b'0';
        hex = s[1] | 0x20 == b'x';
    }
    while i < s.len() {
        let c = s[i];
        if c.is_ascii_digit() || (hex && (c | 0x20).is_ascii_hexdigit()) {
            saw = b'0';
        } else if c == b'_' {
            if saw != b'0' {
                return false;
            }
            saw = b'_';
        } else {
            if saw == b'_' {
                return false;
            }
            saw = b'!';
        }
        i += 1;
    }
    saw != b'_'
}

/// Go's `strconv.ParseUint(s, 0, 64)`.
pub fn parse_uint(s: &str) -> Option<u64> {
    if s.is_empty() || s.starts_with('+') || s.starts_with('-') {
        return None;
    }
    let b = s.as_bytes();
    let (base, digits, prefixed) = if b.len() >= 2 && b[0] == b'0' {
        match b[1] | 0x20 {
            b'x' => (16, &s[2..], true),
            b'o' => (8, &s[2..], true),
            b'b' => (2, &s[2..], true),
            _ => (8, &s[1..], false),
        }
    } else {
        (10, s, false)
    };
    if s.contains('_') && !underscore_ok(s) {
        return None;
    }
    let clean: String = digits.chars().filter(|&c| c != '_').collect();
    if clean.is_empty() {
        return if !prefixed && base == 8 {
            Some(0)
        } else {
            None
        };
    }
    u64::from_str_radix(&clean, base).ok()
}

/// Go's `strconv.ParseInt(s, 0, 64)`.
pub fn parse_int(s: &str) -> Option<i64> {
    let (neg, body) = match s.as_bytes().first() {
        Some(b'-') => (true, &s[1..]),
        Some(b'+') => (false, &s[1..]),
        _ => (false, s),
    };
    let u = parse_uint(body)?;
    if neg {
        if u <= (i64::MAX as u64) + 1 {
            Some((u as i64).wrapping_neg())
        } else {
            None
        }
    } else if u <= i64::MAX as u64 {
        Some(u as i64)
    } else {
        None
    }
}

/// Go's `strconv.ParseFloat(s, 64)` for decimal and hexadecimal (`0x1p-2`) literals.
pub fn parse_float(s: &str) -> Option<f64> {
    if s.contains('_') && !underscore_ok(s) {
        return None;
    }
    let clean: String = s.chars().filter(|&c| c != '_').collect();
    let (neg, body) = match clean.as_bytes().first() {
        Some(b'-') => (true, &clean[1..]),
        Some(b'+') => (false, &clean[1..]),
        _ => (false, &clean[..]),
    };
    let v = if body.len() > 2 && body.as_bytes()[0] == b'0' && body.as_bytes()[1] | 0x20 == b'x' {
        parse_hex_float(&body[2..])?
    } else {
        if body.is_empty()
            || !body
                .bytes()
                .all(|c| c.is_ascii_digit() || matches!(c, b'.' | b'e' | b'E' | b'+' | b'-'))
            || !body.bytes().any(|c| c.is_ascii_digit())
        {
            return None;
        }
        body.parse::<f64>().ok()?
    };
    if v.is_infinite() {
        return None;
    }
    Some(if neg { -v } else { v })
}

fn parse_hex_float(s: &str) -> Option<f64> {
    let p = s.find(['p', 'P'])?;
    let (mant, exp) = (&s[..p], &s[p + 1..]);
    let exp: i32 = exp.parse().ok()?;
    let (ip, fp) = match mant.find('.') {
        Some(d) => (&mant[..d], &mant[d + 1..]),
        None => (mant, ""),
    };
    if ip.is_empty() && fp.is_empty() {
        return None;
    }
    let mut v = 0f64;
    for c in ip.chars() {
        v = v * 16.0 + c.to_digit(16)? as f64;
    }
    let mut scale = 1.0 / 16.0;
    for c in fp.chars() {
        v += c.to_digit(16)? as f64 * scale;
        scale /= 16.0;
    }
    Some(v * 2f64.powi(exp))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quoting() {
        assert_eq!(quote("a\"b\n\u{1}é"), "\"a\\\"b\\n\\x01é\"");
        assert_eq!(quote_prefix("abcdefghijklmn", 10), "\"abcdefghij\"");
        assert_eq!(sharp_u('!'), "U+0021 '!'");
    }

    #[test]
    fn unquoting() {
        assert_eq!(
            unquote(r#""a\tb\u00e9\x41\101\U0001F600""#).unwrap(),
            "a\tbéAA😀"
        );
        assert_eq!(unquote("`a\\n`").unwrap(), "a\\n");
        assert!(unquote(r#""\q""#).is_err());
        assert!(unquote(r#""\'""#).is_err());
        assert!(unquote("\"\\é\"").is_err());
        assert!(unquote_rune("'\\é'").is_err());
        assert_eq!(unquote_rune("'a'").unwrap(), 97);
        assert_eq!(unquote_rune(r"'\n'").unwrap(), 10);
        assert!(unquote_rune("'ab'").is_err());
    }

    #[test]
    fn numbers() {
        assert_eq!(parse_int("0x1F"), Some(31));
        assert_eq!(parse_int("0o17"), Some(15));
        assert_eq!(parse_int("017"), Some(15));
        assert_eq!(parse_int("0b101"), Some(5));
        assert_eq!(parse_int("1_000"), Some(1000));
        assert_eq!(parse_int("1__0"), None);
        assert_eq!(parse_int("-0"), Some(0));
        assert_eq!(parse_int("08"), None);
        assert_eq!(parse_uint("-1"), None);
        assert_eq!(parse_float("1e3"), Some(1000.0));
        assert_eq!(parse_float(".5"), Some(0.5));
        assert_eq!(parse_float("0x1p-2"), Some(0.25));
        assert_eq!(parse_float("0x1F"), None);
        assert_eq!(parse_float("-"), None);
    }
}
