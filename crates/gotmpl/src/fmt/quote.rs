//! Go's `strconv` quoting as used by `fmt`'s `%q`: `Quote`, `QuoteToASCII`, `QuoteRune`,
//! `QuoteRuneToASCII` and `CanBackquote`.

use super::isprint::is_print;
use crate::gostr::{decode_rune, REPLACEMENT};

const LOWERHEX: &[u8; 16] = b"0123456789abcdef";

/// Go `strconv.Quote(s)` (`ascii_only == false`) or `strconv.QuoteToASCII(s)`: a byte that
/// does not start a valid UTF-8 sequence is written as `\xNN` (Go's `appendQuotedWith`).
pub(crate) fn quote(s: &[u8], ascii_only: bool) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    let mut i = 0;
    while i < s.len() {
        let (r, width) = decode_rune(&s[i..]);
        if width == 1 && r == REPLACEMENT {
            out.push_str("\\x");
            out.push(LOWERHEX[(s[i] >> 4) as usize] as char);
            out.push(LOWERHEX[(s[i] & 0xf) as usize] as char);
        } else {
            escape_rune(&mut out, r as u32, '"', ascii_only);
        }
        i += width;
    }
    out.push('"');
    out
}

/// Go `strconv.QuoteRune(r)` / `QuoteRuneToASCII(r)`; invalid runes (surrogates, values above
/// U+10FFFF) quote as the replacement character.
pub(crate) fn quote_rune(r: u32, ascii_only: bool) -> String {
    let r = if char::from_u32(r).is_some() {
        r
    } else {
        0xFFFD
    };
    let mut out = String::with_capacity(8);
    out.push('\'');
    escape_rune(&mut out, r, '\'', ascii_only);
    out.push('\'');
    out
}

/// Go `strconv.CanBackquote(s)`: valid UTF-8 with no control characters other than tab, no
/// backquote, no DEL, no byte-order mark.
pub(crate) fn can_backquote(s: &[u8]) -> bool {
    let Ok(s) = std::str::from_utf8(s) else {
        return false;
    };
    s.chars().all(|c| match c {
        '\t' => true,
        '`' | '\u{7f}' | '\u{feff}' => false,
        c => c >= ' ',
    })
}

/// Go `strconv.IsPrint`.
pub(crate) fn is_printable(r: u32) -> bool {
    is_print(r)
}

fn escape_rune(out: &mut String, r: u32, quote: char, ascii_only: bool) {
    if r == quote as u32 || r == '\\' as u32 {
        out.push('\\');
        out.push(char::from_u32(r).unwrap_or('\u{fffd}'));
        return;
    }
    let printable = is_print(r);
    if ascii_only {
        if r < 0x80 && printable {
            out.push(r as u8 as char);
            return;
        }
    } else if printable {
        out.push(char::from_u32(r).unwrap_or('\u{fffd}'));
        return;
    }
    match r {
        0x07 => out.push_str("\\a"),
        0x08 => out.push_str("\\b"),
        0x0c => out.push_str("\\f"),
        0x0a => out.push_str("\\n"),
        0x0d => out.push_str("\\r"),
        0x09 => out.push_str("\\t"),
        0x0b => out.push_str("\\v"),
        r if r < 0x20 || r == 0x7f => {
            out.push_str("\\x");
            out.push(LOWERHEX[(r >> 4) as usize & 0xf] as char);
            out.push(LOWERHEX[r as usize & 0xf] as char);
        }
        r => {
            let r = if char::from_u32(r).is_some() {
                r
            } else {
                0xFFFD
            };
            let (prefix, digits) = if r < 0x10000 { ("\\u", 4) } else { ("\\U", 8) };
            out.push_str(prefix);
            for i in (0..digits).rev() {
                out.push(LOWERHEX[(r >> (4 * i)) as usize & 0xf] as char);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quote_matches_strconv() {
        assert_eq!(quote("abc".as_bytes(), false), r#""abc""#);
        assert_eq!(quote("a\"b\\c".as_bytes(), false), r#""a\"b\\c""#);
        assert_eq!(
            quote("é\n\t\x01\x7f".as_bytes(), false),
            "\"é\\n\\t\\x01\\x7f\""
        );
        assert_eq!(quote("é☺".as_bytes(), true), r#""\u00e9\u263a""#);
        assert_eq!(quote("\u{1F600}".as_bytes(), true), r#""\U0001f600""#);
        assert_eq!(quote("\u{1F600}".as_bytes(), false), "\"\u{1F600}\"");
        assert_eq!(quote("\u{200b}".as_bytes(), false), r#""\u200b""#);
        assert_eq!(quote("'".as_bytes(), false), r#""'""#);
        // Go: strconv.Quote("\xff") == `"\xff"`, and each byte of a cut sequence alone.
        assert_eq!(quote(b"\xff", false), r#""\xff""#);
        assert_eq!(quote(b"h\xc3", true), r#""h\xc3""#);
        assert_eq!(quote(b"\xe2\x82a", false), r#""\xe2\x82a""#);
    }

    #[test]
    fn quote_rune_matches_strconv() {
        assert_eq!(quote_rune('a' as u32, false), "'a'");
        assert_eq!(quote_rune('\'' as u32, false), r"'\''");
        assert_eq!(quote_rune('"' as u32, false), "'\"'");
        assert_eq!(quote_rune(0xD800, false), "'\u{fffd}'");
        assert_eq!(quote_rune(0x11_0000, true), r"'\ufffd'");
        assert_eq!(quote_rune(0, false), r"'\x00'");
    }

    #[test]
    fn backquote() {
        assert!(can_backquote("a\tb\"c".as_bytes()));
        assert!(!can_backquote("a`b".as_bytes()));
        assert!(!can_backquote("a\nb".as_bytes()));
        assert!(!can_backquote("\u{feff}".as_bytes()));
        assert!(can_backquote("é".as_bytes()));
        assert!(!can_backquote(b"\xff"));
    }

    #[test]
    fn printable_table() {
        assert!(is_printable(' ' as u32));
        assert!(!is_printable(0xa0));
        assert!(is_printable(0xe9));
        assert!(!is_printable(0x7f));
        assert!(!is_printable(0xad));
    }
}
