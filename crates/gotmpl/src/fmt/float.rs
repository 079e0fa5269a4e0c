//! Go's `strconv.FormatFloat(x, fmt, prec, 64)` for the formats `fmt` uses: `e E f g G b x X`,
//! with `prec < 0` meaning the shortest representation that reads back to the same float.
//!
//! Decimal digits come from Rust's float formatting (shortest round-trip digits, or exactly
//! rounded digits for a fixed precision); the layout rules are Go's.

/// Decimal digits of a non-negative finite float: `0.d[0]d[1]... × 10^dp`, without trailing
/// zeros (`d` empty for zero).
struct Digits {
    d: Vec<u8>,
    dp: i32,
}

impl Digits {
    fn nd(&self) -> i32 {
        self.d.len() as i32
    }

    /// Parses Rust's `LowerExp` output (`1.2345e-7`, `5e0`).
    fn from_exp(s: &str) -> Digits {
        let (mant, exp) = s.split_once('e').unwrap_or((s, "0"));
        let exp: i32 = exp.parse().unwrap_or(0);
        let d: Vec<u8> = mant.bytes().filter(u8::is_ascii_digit).collect();
        Digits { d, dp: exp + 1 }.trimmed()
    }

    /// Parses Rust's fixed output (`123.4500`, `0.0012`).
    fn from_fixed(s: &str) -> Digits {
        let (int, frac) = s.split_once('.').unwrap_or((s, ""));
        let mut d: Vec<u8> = int.bytes().chain(frac.bytes()).collect();
        let mut dp = int.len() as i32;
        let lead = d.iter().take_while(|&&c| c == b'0').count();
        d.drain(..lead);
        dp -= lead as i32;
        Digits { d, dp }.trimmed()
    }

    fn trimmed(mut self) -> Digits {
        while self.d.last() == Some(&b'0') {
            self.d.pop();
        }
        if self.d.is_empty() {
            self.dp = 0;
        }
        self
    }
}

/// Go `strconv.FormatFloat(v, verb, prec, 64)`.
pub(crate) fn format_float(v: f64, verb: u8, prec: i32) -> String {
    if v.is_nan() {
        return "NaN".into();
    }
    if v.is_infinite() {
        return if v < 0.0 { "-Inf" } else { "+Inf" }.into();
    }
    let neg = v.is_sign_negative();
    match verb {
        b'b' => return fmt_b(v),
        b'x' | b'X' => return fmt_x(v, verb, prec),
        _ => {}
    }
    let a = v.abs();
    let shortest = prec < 0;
    let mut prec = prec;
    let digits = if a == 0.0 {
        Digits {
            d: Vec::new(),
            dp: 0,
        }
    } else if shortest {
        let d = Digits::from_exp(&format!("{a:e}"));
        prec = match verb {
            b'e' | b'E' => (d.nd() - 1).max(0),
            b'f' => (d.nd() - d.dp).max(0),
            _ => d.nd(),
        };
        d
    } else {
        match verb {
            b'f' => Digits::from_fixed(&format!("{a:.*}", prec as usize)),
            b'e' | b'E' => Digits::from_exp(&format!("{a:.*e}", prec as usize)),
            _ => {
                if prec == 0 {
                    prec = 1;
                }
                Digits::from_exp(&format!("{a:.*e}", (prec - 1) as usize))
            }
        }
    };
    fmt_efg(neg, &digits, prec, verb, shortest)
}

fn fmt_efg(neg: bool, digs: &Digits, mut prec: i32, mut verb: u8, shortest: bool) -> String {
    let (s, dp, nd) = (&digs.d, digs.dp, digs.nd());
    if verb == b'g' || verb == b'G' {
        let mut eprec = prec;
        if eprec > nd && nd >= dp {
            eprec = nd;
        }
        if shortest {
            eprec = 6;
        }
        let exp = dp - 1;
        if exp < -4 || exp >= eprec {
            if prec > nd {
                prec = nd;
            }
            prec -= 1;
            verb = if verb == b'g' { b'e' } else { b'E' };
        } else {
            if prec > dp {
                prec = nd;
            }
            prec = (prec - dp).max(0);
            verb = b'f';
        }
    }
    let mut out = String::with_capacity(24);
    if neg {
        out.push('-');
    }
    if verb == b'f' {
        if dp > 0 {
            let m = nd.min(dp);
            out.extend(s[..m as usize].iter().map(|&c| c as char));
            out.extend(std::iter::repeat_n('0', (dp - m) as usize));
        } else {
            out.push('0');
        }
        if prec > 0 {
            out.push('.');
            for i in 0..prec {
                let j = dp + i;
                let c = if j >= 0 && j < nd {
                    s[j as usize]
                } else {
                    b'0'
                };
                out.push(c as char);
            }
        }
        return out;
    }
    // %e: -d.ddddde±dd
    out.push(if nd != 0 { s[0] as char } else { '0' });
    if prec > 0 {
        out.push('.');
        for i in 1..=prec {
            out.push(if i < nd { s[i as usize] as char } else { '0' });
        }
    }
    out.push(verb as char);
    let mut exp = if nd == 0 { 0 } else { dp - 1 };
    if exp < 0 {
        out.push('-');
        exp = -exp;
    } else {
        out.push('+');
    }
    if exp < 10 {
        out.push('0');
    }
    out.push_str(&exp.to_string());
    out
}

/// Mantissa and binary exponent as Go's `ftoa` sees them (denormals have exponent -1022).
fn decompose(v: f64) -> (u64, i32) {
    let bits = v.to_bits();
    let exp = ((bits >> 52) & 0x7ff) as i32;
    let mut mant = bits & ((1u64 << 52) - 1);
    let exp = if exp == 0 {
        1
    } else {
        mant |= 1u64 << 52;
        exp
    };
    (mant, exp - 1023)
}

/// `%b`: decimal mantissa and binary exponent, `-123456p-78`.
fn fmt_b(v: f64) -> String {
    let (mant, exp) = decompose(v);
    let exp = exp - 52;
    let sign = if v.is_sign_negative() { "-" } else { "" };
    let esign = if exp >= 0 { "+" } else { "" };
    format!("{sign}{mant}p{esign}{exp}")
}

/// `%x`/`%X`: hexadecimal mantissa and binary exponent, `-0x1.23abcp+20`.
fn fmt_x(v: f64, verb: u8, prec: i32) -> String {
    let (mut mant, mut exp) = decompose(v);
    if mant == 0 {
        exp = 0;
    }
    mant <<= 60 - 52;
    while mant != 0 && mant & (1u64 << 60) == 0 {
        mant <<= 1;
        exp -= 1;
    }
    if (0..15).contains(&prec) {
        let shift = (prec * 4) as u32;
        let extra = (mant << shift) & ((1u64 << 60) - 1);
        mant >>= 60 - shift;
        if extra | (mant & 1) > 1u64 << 59 {
            mant += 1;
        }
        mant <<= 60 - shift;
        if mant & (1u64 << 61) != 0 {
            mant >>= 1;
            exp += 1;
        }
    }
    let hex: &[u8; 16] = if verb == b'X' {
        b"0123456789ABCDEF"
    } else {
        b"0123456789abcdef"
    };
    let mut out = String::with_capacity(24);
    if v.is_sign_negative() {
        out.push('-');
    }
    out.push('0');
    out.push(verb as char);
    out.push((b'0' + ((mant >> 60) & 1) as u8) as char);
    mant <<= 4;
    if prec < 0 && mant != 0 {
        out.push('.');
        while mant != 0 {
            out.push(hex[((mant >> 60) & 15) as usize] as char);
            mant <<= 4;
        }
    } else if prec > 0 {
        out.push('.');
        for _ in 0..prec {
            out.push(hex[((mant >> 60) & 15) as usize] as char);
            mant <<= 4;
        }
    }
    out.push(if verb == b'X' { 'P' } else { 'p' });
    if exp < 0 {
        out.push('-');
        exp = -exp;
    } else {
        out.push('+');
    }
    if exp < 10 {
        out.push('0');
    }
    out.push_str(&exp.to_string());
    out
}

#[cfg(test)]
mod tests {
    use super::format_float as ff;

    #[test]
    fn shortest_g() {
        assert_eq!(ff(1.0, b'g', -1), "1");
        assert_eq!(ff(1.5, b'g', -1), "1.5");
        assert_eq!(ff(2.75, b'g', -1), "2.75");
        assert_eq!(ff(1e6, b'g', -1), "1e+06");
        assert_eq!(ff(123456.0, b'g', -1), "123456");
        assert_eq!(ff(1234567.0, b'g', -1), "1.234567e+06");
        assert_eq!(ff(1e-5, b'g', -1), "1e-05");
        assert_eq!(ff(0.0001, b'g', -1), "0.0001");
        assert_eq!(ff(-0.0, b'g', -1), "-0");
        assert_eq!(ff(1e100, b'g', -1), "1e+100");
        assert_eq!(ff(5e-324, b'g', -1), "5e-324");
        assert_eq!(ff(f64::INFINITY, b'g', -1), "+Inf");
        assert_eq!(ff(f64::NAN, b'g', -1), "NaN");
    }

    #[test]
    fn fixed_precision() {
        assert_eq!(ff(1.23456, b'f', 2), "1.23");
        assert_eq!(ff(0.0, b'f', 3), "0.000");
        assert_eq!(ff(1e21, b'f', 0), "1000000000000000000000");
        assert_eq!(ff(0.0006, b'f', 3), "0.001");
        assert_eq!(ff(123.456, b'e', 2), "1.23e+02");
        assert_eq!(ff(0.0, b'e', 6), "0.000000e+00");
        assert_eq!(ff(100.0, b'g', 3), "100");
        assert_eq!(ff(1000.0, b'g', 3), "1e+03");
        assert_eq!(ff(0.0, b'g', 3), "0");
        assert_eq!(ff(1.0, b'E', -1), "1E+00");
    }

    #[test]
    fn binary_and_hex() {
        assert_eq!(ff(1.0, b'b', -1), "4503599627370496p-52");
        assert_eq!(ff(0.0, b'b', -1), "0p-1074");
        assert_eq!(ff(1.0, b'x', -1), "0x1p+00");
        assert_eq!(ff(-10.5, b'X', -1), "-0X1.5P+03");
        assert_eq!(ff(1.0, b'x', 3), "0x1.000p+00");
        assert_eq!(ff(0.0, b'x', -1), "0x0p+00");
    }
}
