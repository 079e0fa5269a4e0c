//! The raw formatter behind Go's `Printf` (Go's `fmt/format.go` rules): flags, width and
//! precision, padding, and the per-kind writers for integers, strings, quotes and floats.

use super::float::format_float;
use super::quote::{can_backquote, is_printable, quote, quote_rune};
use crate::gostr::{rune_count, rune_indices};

const LDIGITS: &[u8; 17] = b"0123456789abcdefx";
const UDIGITS: &[u8; 17] = b"0123456789ABCDEFX";

/// Which digit set (`%x` vs `%X`).
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum Case {
    Lower,
    Upper,
}

impl Case {
    fn digits(self) -> &'static [u8; 17] {
        match self {
            Case::Lower => LDIGITS,
            Case::Upper => UDIGITS,
        }
    }
}

/// Flags of one verb; cleared before each verb.
#[derive(Clone, Copy, Default)]
pub(crate) struct Flags {
    pub wid_present: bool,
    pub prec_present: bool,
    pub minus: bool,
    pub plus: bool,
    pub sharp: bool,
    pub space: bool,
    pub zero: bool,
    /// `%+v`: set instead of `plus` for the `v` verb.
    pub plus_v: bool,
    /// `%#v`: set instead of `sharp` for the `v` verb (Go syntax).
    pub sharp_v: bool,
    pub wid: usize,
    pub prec: usize,
}

/// Output buffer (bytes: Go strings need not be UTF-8) plus the current verb's flags.
#[derive(Default)]
pub(crate) struct Fmt {
    pub buf: Vec<u8>,
    pub f: Flags,
}

impl Fmt {
    pub fn clear_flags(&mut self) {
        self.f = Flags::default();
    }

    pub fn push_str(&mut self, s: &str) {
        self.buf.extend_from_slice(s.as_bytes());
    }

    pub fn push(&mut self, c: char) {
        let mut tmp = [0u8; 4];
        self.buf
            .extend_from_slice(c.encode_utf8(&mut tmp).as_bytes());
    }

    fn write_padding(&mut self, n: usize) {
        let pad = if self.f.zero && !self.f.minus {
            b'0'
        } else {
            b' '
        };
        self.buf.extend(std::iter::repeat_n(pad, n));
    }

    /// Writes `s` padded to the width on the left (or the right with `-`); width counts runes
    /// (Go's `utf8.RuneCount`: a byte outside a valid sequence counts as one).
    pub fn pad(&mut self, s: &[u8]) {
        if !self.f.wid_present || self.f.wid == 0 {
            self.buf.extend_from_slice(s);
            return;
        }
        let width = self.f.wid.saturating_sub(rune_count(s));
        if !self.f.minus {
            self.write_padding(width);
            self.buf.extend_from_slice(s);
        } else {
            self.buf.extend_from_slice(s);
            self.write_padding(width);
        }
    }

    /// `pad` with the zero flag suspended.
    fn pad_spaces(&mut self, s: &[u8]) {
        let zero = self.f.zero;
        self.f.zero = false;
        self.pad(s);
        self.f.zero = zero;
    }

    pub fn fmt_boolean(&mut self, v: bool) {
        self.pad(if v { b"true" } else { b"false" });
    }

    /// `%U`: `U+0078`, or with `#` `U+0078 'x'` when printable.
    pub fn fmt_unicode(&mut self, u: u64) {
        let prec = if self.f.prec_present && self.f.prec > 4 {
            self.f.prec
        } else {
            4
        };
        let mut s = format!("U+{u:0prec$X}");
        if self.f.sharp && u <= 0x10FFFF && is_printable(u as u32) {
            if let Some(c) = char::from_u32(u as u32) {
                s.push_str(" '");
                s.push(c);
                s.push('\'');
            }
        }
        self.pad_spaces(s.as_bytes());
    }

    /// Signed (`u` holds the two's complement) or unsigned integer in base 2, 8, 10 or 16.
    pub fn fmt_integer(&mut self, u: u64, base: u32, signed: bool, verb: char, case: Case) {
        let negative = signed && (u as i64) < 0;
        let mut u = if negative { u.wrapping_neg() } else { u };
        let digits = case.digits();
        let mut prec = 0usize;
        if self.f.prec_present {
            prec = self.f.prec;
            if prec == 0 && u == 0 {
                let zero = self.f.zero;
                self.f.zero = false;
                self.write_padding(self.f.wid);
                self.f.zero = zero;
                return;
            }
        } else if self.f.zero && !self.f.minus && self.f.wid_present {
            prec = self.f.wid;
            if negative || self.f.plus || self.f.space {
                prec = prec.saturating_sub(1);
            }
        }
        // Built right to left, then reversed.
        let mut rev: Vec<u8> = Vec::with_capacity(24 + prec);
        let b = base as u64;
        loop {
            rev.push(digits[(u % b) as usize]);
            u /= b;
            if u == 0 {
                break;
            }
        }
        while rev.len() < prec {
            rev.push(b'0');
        }
        if self.f.sharp {
            match base {
                2 => rev.extend_from_slice(b"b0"),
                8 if rev.last() != Some(&b'0') => rev.push(b'0'),
                16 => {
                    rev.push(digits[16]);
                    rev.push(b'0');
                }
                _ => {}
            }
        }
        if verb == 'O' {
            rev.extend_from_slice(b"o0");
        }
        if negative {
            rev.push(b'-');
        } else if self.f.plus {
            rev.push(b'+');
        } else if self.f.space {
            rev.push(b' ');
        }
        rev.reverse();
        self.pad_spaces(&rev);
    }

    /// The string cut to `precision` runes (Go's `truncateString`, which counts with `range`:
    /// a byte outside a valid sequence is one rune).
    fn truncate<'a>(&self, s: &'a [u8]) -> &'a [u8] {
        if self.f.prec_present {
            if let Some((i, _, _)) = rune_indices(s).nth(self.f.prec) {
                return &s[..i];
            }
        }
        s
    }

    pub fn fmt_s(&mut self, s: &[u8]) {
        let s = self.truncate(s);
        self.pad(s);
    }

    /// `%x` of a string: hex of its bytes (precision limits the bytes; `#` adds `0x`, space
    /// separates bytes).
    pub fn fmt_sx(&mut self, bytes: &[u8], case: Case) {
        let digits = case.digits();
        let mut length = bytes.len();
        if self.f.prec_present && self.f.prec < length {
            length = self.f.prec;
        }
        let mut width = 2 * length;
        if width > 0 {
            if self.f.space {
                if self.f.sharp {
                    width *= 2;
                }
                width += length - 1;
            } else if self.f.sharp {
                width += 2;
            }
        } else {
            if self.f.wid_present {
                self.write_padding(self.f.wid);
            }
            return;
        }
        if self.f.wid_present && self.f.wid > width && !self.f.minus {
            self.write_padding(self.f.wid - width);
        }
        if self.f.sharp {
            self.buf.push(b'0');
            self.buf.push(digits[16]);
        }
        for (i, &c) in bytes[..length].iter().enumerate() {
            if self.f.space && i > 0 {
                self.buf.push(b' ');
                if self.f.sharp {
                    self.buf.push(b'0');
                    self.buf.push(digits[16]);
                }
            }
            self.buf.push(digits[(c >> 4) as usize]);
            self.buf.push(digits[(c & 0xf) as usize]);
        }
        if self.f.wid_present && self.f.wid > width && self.f.minus {
            self.write_padding(self.f.wid - width);
        }
    }

    /// `%q` of a string: Go-quoted (`+` ASCII only, `#` backquoted when possible; bytes
    /// outside valid UTF-8 as `\xNN`).
    pub fn fmt_q(&mut self, s: &[u8]) {
        let s = self.truncate(s);
        if self.f.sharp && can_backquote(s) {
            let mut q = Vec::with_capacity(s.len() + 2);
            q.push(b'`');
            q.extend_from_slice(s);
            q.push(b'`');
            self.pad(&q);
            return;
        }
        let q = quote(s, self.f.plus);
        self.pad(q.as_bytes());
    }

    fn rune_of(c: u64) -> u32 {
        if c > 0x10FFFF {
            0xFFFD
        } else {
            c as u32
        }
    }

    /// `%c`: the integer as a character (invalid → U+FFFD).
    pub fn fmt_c(&mut self, c: u64) {
        let ch = char::from_u32(Self::rune_of(c)).unwrap_or('\u{fffd}');
        let mut tmp = [0u8; 4];
        let s: &str = ch.encode_utf8(&mut tmp);
        self.pad(s.as_bytes());
    }

    /// `%q` of an integer: a Go character literal.
    pub fn fmt_qc(&mut self, c: u64) {
        let q = quote_rune(Self::rune_of(c), self.f.plus);
        self.pad(q.as_bytes());
    }

    /// A float with strconv verb `verb` and default precision `prec` (-1 = shortest).
    pub fn fmt_float(&mut self, v: f64, verb: u8, prec: i32) {
        let prec = if self.f.prec_present {
            self.f.prec as i32
        } else {
            prec
        };
        let s = format_float(v, verb, prec);
        // num[0] is the sign slot.
        let mut num: Vec<u8> = Vec::with_capacity(s.len() + 8);
        if s.starts_with('-') || s.starts_with('+') {
            num.extend_from_slice(s.as_bytes());
        } else {
            num.push(b'+');
            num.extend_from_slice(s.as_bytes());
        }
        if self.f.space && num[0] == b'+' && !self.f.plus {
            num[0] = b' ';
        }
        if num[1] == b'I' || num[1] == b'N' {
            let start = if num[1] == b'N' && !self.f.space && !self.f.plus {
                1
            } else {
                0
            };
            self.pad_spaces(&num[start..]);
            return;
        }
        if self.f.sharp && verb != b'b' {
            let mut digits: i32 = match verb {
                b'v' | b'g' | b'G' | b'x' => {
                    if prec == -1 {
                        6
                    } else {
                        prec
                    }
                }
                _ => 0,
            };
            let mut tail: Vec<u8> = Vec::new();
            let mut has_point = false;
            let mut saw_nonzero = false;
            let mut i = 1;
            while i < num.len() {
                let c = num[i];
                match c {
                    b'.' => has_point = true,
                    b'p' | b'P' => {
                        tail.extend_from_slice(&num[i..]);
                        num.truncate(i);
                    }
                    b'e' | b'E' if verb != b'x' && verb != b'X' => {
                        tail.extend_from_slice(&num[i..]);
                        num.truncate(i);
                    }
                    _ => {
                        if c != b'0' {
                            saw_nonzero = true;
                        }
                        if saw_nonzero {
                            digits -= 1;
                        }
                    }
                }
                i += 1;
            }
            if !has_point {
                if num.len() == 2 && num[1] == b'0' {
                    digits -= 1;
                }
                num.push(b'.');
            }
            while digits > 0 {
                num.push(b'0');
                digits -= 1;
            }
            num.extend_from_slice(&tail);
        }
        if self.f.plus || num[0] != b'+' {
            if self.f.zero && !self.f.minus && self.f.wid_present && self.f.wid > num.len() {
                self.buf.push(num[0]);
                self.write_padding(self.f.wid - num.len());
                self.buf.extend_from_slice(&num[1..]);
                return;
            }
            self.pad(&num);
            return;
        }
        self.pad(&num[1..]);
    }
}
