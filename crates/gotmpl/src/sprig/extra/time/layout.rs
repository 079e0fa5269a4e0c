//! Go's reference-time layouts (`Mon Jan 2 15:04:05 MST 2006`): the layout scanner
//! (`nextStdChunk`) and `Time.Format`.

use super::gotime::{GoTime, LONG_DAYS, LONG_MONTHS};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Std {
    LongMonth,
    Month,
    NumMonth,
    ZeroMonth,
    LongWeekDay,
    WeekDay,
    Day,
    UnderDay,
    ZeroDay,
    UnderYearDay,
    ZeroYearDay,
    Hour,
    Hour12,
    ZeroHour12,
    Minute,
    ZeroMinute,
    Second,
    ZeroSecond,
    LongYear,
    Year,
    PM,
    Pm,
    TZ,
    Iso8601TZ,
    Iso8601SecondsTZ,
    Iso8601ShortTZ,
    Iso8601ColonTZ,
    Iso8601ColonSecondsTZ,
    NumTZ,
    NumSecondsTz,
    NumShortTZ,
    NumColonTZ,
    NumColonSecondsTZ,
    /// `.000` / `,000`: digits, separator.
    FracSecond0(usize, u8),
    /// `.999` / `,999`: digits, separator.
    FracSecond9(usize, u8),
}

fn starts_lower(s: &[u8]) -> bool {
    s.first().is_some_and(u8::is_ascii_lowercase)
}

/// Go's `nextStdChunk`: (prefix, element, suffix) of the first layout element.
pub(super) fn next_std_chunk(layout: &str) -> (&str, Option<Std>, &str) {
    let l = layout.as_bytes();
    let has = |i: usize, s: &str| l.len() >= i + s.len() && &l[i..i + s.len()] == s.as_bytes();
    for i in 0..l.len() {
        let found = |std: Std, len: usize| (&layout[..i], Some(std), &layout[i + len..]);
        match l[i] {
            b'J' if has(i, "Jan") => {
                if has(i, "January") {
                    return found(Std::LongMonth, 7);
                }
                if !starts_lower(&l[i + 3..]) {
                    return found(Std::Month, 3);
                }
            }
            b'M' if l.len() >= i + 3 => {
                if has(i, "Mon") {
                    if has(i, "Monday") {
                        return found(Std::LongWeekDay, 6);
                    }
                    if !starts_lower(&l[i + 3..]) {
                        return found(Std::WeekDay, 3);
                    }
                }
                if has(i, "MST") {
                    return found(Std::TZ, 3);
                }
            }
            b'0' => {
                if l.len() >= i + 2 && (b'1'..=b'6').contains(&l[i + 1]) {
                    let std = [
                        Std::ZeroMonth,
                        Std::ZeroDay,
                        Std::ZeroHour12,
                        Std::ZeroMinute,
                        Std::ZeroSecond,
                        Std::Year,
                    ][(l[i + 1] - b'1') as usize];
                    return found(std, 2);
                }
                if has(i, "002") {
                    return found(Std::ZeroYearDay, 3);
                }
            }
            b'1' => {
                if has(i, "15") {
                    return found(Std::Hour, 2);
                }
                return found(Std::NumMonth, 1);
            }
            b'2' => {
                if has(i, "2006") {
                    return found(Std::LongYear, 4);
                }
                return found(Std::Day, 1);
            }
            b'_' => {
                if l.len() >= i + 2 && l[i + 1] == b'2' {
                    if has(i + 1, "2006") {
                        return (&layout[..i + 1], Some(Std::LongYear), &layout[i + 5..]);
                    }
                    return found(Std::UnderDay, 2);
                }
                if has(i, "__2") {
                    return found(Std::UnderYearDay, 3);
                }
            }
            b'3' => return found(Std::Hour12, 1),
            b'4' => return found(Std::Minute, 1),
            b'5' => return found(Std::Second, 1),
            b'P' if has(i, "PM") => return found(Std::PM, 2),
            b'p' if has(i, "pm") => return found(Std::Pm, 2),
            b'-' => {
                for (pat, std) in [
                    ("-070000", Std::NumSecondsTz),
                    ("-07:00:00", Std::NumColonSecondsTZ),
                    ("-0700", Std::NumTZ),
                    ("-07:00", Std::NumColonTZ),
                    ("-07", Std::NumShortTZ),
                ] {
                    if has(i, pat) {
                        return found(std, pat.len());
                    }
                }
            }
            b'Z' => {
                for (pat, std) in [
                    ("Z070000", Std::Iso8601SecondsTZ),
                    ("Z07:00:00", Std::Iso8601ColonSecondsTZ),
                    ("Z0700", Std::Iso8601TZ),
                    ("Z07:00", Std::Iso8601ColonTZ),
                    ("Z07", Std::Iso8601ShortTZ),
                ] {
                    if has(i, pat) {
                        return found(std, pat.len());
                    }
                }
            }
            c @ (b'.' | b',') if i + 1 < l.len() && (l[i + 1] == b'0' || l[i + 1] == b'9') => {
                let ch = l[i + 1];
                let mut j = i + 1;
                while j < l.len() && l[j] == ch {
                    j += 1;
                }
                if !(j < l.len() && l[j].is_ascii_digit()) {
                    let n = (j - (i + 1)) & 0xfff;
                    let std = if ch == b'9' {
                        Std::FracSecond9(n, c)
                    } else {
                        Std::FracSecond0(n, c)
                    };
                    return (&layout[..i], Some(std), &layout[j..]);
                }
            }
            _ => {}
        }
    }
    (layout, None, "")
}

/// Go's `appendInt`: decimal with at least `width` digits, sign first.
fn append_int(b: &mut String, x: i64, width: usize) {
    if x < 0 {
        b.push('-');
    }
    let digits = x.unsigned_abs().to_string();
    for _ in digits.len()..width {
        b.push('0');
    }
    b.push_str(&digits);
}

/// Go's `Time.Format(layout)`.
pub fn format(t: &GoTime, layout: &str) -> String {
    let c = t.civil();
    let mut b = String::with_capacity(layout.len() + 10);
    let mut layout = layout;
    loop {
        let (prefix, std, suffix) = next_std_chunk(layout);
        b.push_str(prefix);
        let Some(std) = std else { break };
        layout = suffix;
        match std {
            Std::Year => append_int(&mut b, c.year.abs() % 100, 2),
            Std::LongYear => append_int(&mut b, c.year, 4),
            Std::Month => b.push_str(&LONG_MONTHS[(c.month - 1) as usize][..3]),
            Std::LongMonth => b.push_str(LONG_MONTHS[(c.month - 1) as usize]),
            Std::NumMonth => append_int(&mut b, c.month, 0),
            Std::ZeroMonth => append_int(&mut b, c.month, 2),
            Std::WeekDay => b.push_str(&LONG_DAYS[c.weekday as usize][..3]),
            Std::LongWeekDay => b.push_str(LONG_DAYS[c.weekday as usize]),
            Std::Day => append_int(&mut b, c.day, 0),
            Std::UnderDay => {
                if c.day < 10 {
                    b.push(' ');
                }
                append_int(&mut b, c.day, 0);
            }
            Std::ZeroDay => append_int(&mut b, c.day, 2),
            Std::UnderYearDay => {
                if c.yday < 100 {
                    b.push(' ');
                    if c.yday < 10 {
                        b.push(' ');
                    }
                }
                append_int(&mut b, c.yday, 0);
            }
            Std::ZeroYearDay => append_int(&mut b, c.yday, 3),
            Std::Hour => append_int(&mut b, c.hour, 2),
            Std::Hour12 | Std::ZeroHour12 => {
                let hr = if c.hour % 12 == 0 { 12 } else { c.hour % 12 };
                append_int(&mut b, hr, if std == Std::Hour12 { 0 } else { 2 });
            }
            Std::Minute => append_int(&mut b, c.min, 0),
            Std::ZeroMinute => append_int(&mut b, c.min, 2),
            Std::Second => append_int(&mut b, c.sec, 0),
            Std::ZeroSecond => append_int(&mut b, c.sec, 2),
            Std::PM => b.push_str(if c.hour >= 12 { "PM" } else { "AM" }),
            Std::Pm => b.push_str(if c.hour >= 12 { "pm" } else { "am" }),
            Std::Iso8601TZ
            | Std::Iso8601ColonTZ
            | Std::Iso8601SecondsTZ
            | Std::Iso8601ShortTZ
            | Std::Iso8601ColonSecondsTZ
            | Std::NumTZ
            | Std::NumColonTZ
            | Std::NumSecondsTz
            | Std::NumShortTZ
            | Std::NumColonSecondsTZ => {
                let iso = matches!(
                    std,
                    Std::Iso8601TZ
                        | Std::Iso8601ColonTZ
                        | Std::Iso8601SecondsTZ
                        | Std::Iso8601ShortTZ
                        | Std::Iso8601ColonSecondsTZ
                );
                if c.offset == 0 && iso {
                    b.push('Z');
                    continue;
                }
                let mut zone = c.offset as i64 / 60;
                let mut abs = c.offset as i64;
                if zone < 0 {
                    b.push('-');
                    zone = -zone;
                    abs = -abs;
                } else {
                    b.push('+');
                }
                append_int(&mut b, zone / 60, 2);
                let colon = matches!(
                    std,
                    Std::Iso8601ColonTZ
                        | Std::NumColonTZ
                        | Std::Iso8601ColonSecondsTZ
                        | Std::NumColonSecondsTZ
                );
                if colon {
                    b.push(':');
                }
                if !matches!(std, Std::NumShortTZ | Std::Iso8601ShortTZ) {
                    append_int(&mut b, zone % 60, 2);
                }
                if matches!(
                    std,
                    Std::Iso8601SecondsTZ
                        | Std::NumSecondsTz
                        | Std::NumColonSecondsTZ
                        | Std::Iso8601ColonSecondsTZ
                ) {
                    if matches!(std, Std::NumColonSecondsTZ | Std::Iso8601ColonSecondsTZ) {
                        b.push(':');
                    }
                    append_int(&mut b, abs % 60, 2);
                }
            }
            Std::TZ => {
                if !c.zone.is_empty() {
                    b.push_str(&c.zone);
                    continue;
                }
                let mut zone = c.offset as i64 / 60;
                if zone < 0 {
                    b.push('-');
                    zone = -zone;
                } else {
                    b.push('+');
                }
                append_int(&mut b, zone / 60, 2);
                append_int(&mut b, zone % 60, 2);
            }
            Std::FracSecond0(n, sep) | Std::FracSecond9(n, sep) => {
                let trim = matches!(std, Std::FracSecond9(..));
                if trim && (n == 0 || c.nsec == 0) {
                    continue;
                }
                let mut frac = format!("{:09}", c.nsec);
                frac.truncate(n.min(9));
                if n > 9 {
                    // Go pads with the full nine digits only.
                    frac = format!("{:09}", c.nsec);
                }
                if trim {
                    let t = frac.trim_end_matches('0');
                    if t.is_empty() {
                        continue;
                    }
                    frac = t.to_string();
                }
                b.push(sep as char);
                b.push_str(&frac);
            }
        }
    }
    b
}
