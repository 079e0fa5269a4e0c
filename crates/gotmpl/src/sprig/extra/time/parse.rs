//! Go's `time.ParseInLocation` over reference-time layouts, with Go's `ParseError` messages.

use super::duration::go_quote;
use super::gotime::{days_in, is_leap, GoTime, Loc, LONG_DAYS, LONG_MONTHS};
use super::layout::{next_std_chunk, Std};

/// Go's `*time.ParseError` rendered by `Error()`.
fn parse_error(layout: &str, value: &str, elem: &str, velem: &str, msg: &str) -> String {
    if msg.is_empty() {
        format!(
            "parsing time {} as {}: cannot parse {} as {}",
            go_quote(value),
            go_quote(layout),
            go_quote(velem),
            go_quote(elem)
        )
    } else {
        format!("parsing time {}{msg}", go_quote(value))
    }
}

fn digit(s: &[u8], i: usize) -> bool {
    s.get(i).is_some_and(u8::is_ascii_digit)
}

/// Go's `getnum`: one or two digits (exactly two if `fixed`).
fn getnum(s: &str, fixed: bool) -> Option<(i64, &str)> {
    let b = s.as_bytes();
    if !digit(b, 0) {
        return None;
    }
    if !digit(b, 1) {
        if fixed {
            return None;
        }
        return Some(((b[0] - b'0') as i64, &s[1..]));
    }
    Some((((b[0] - b'0') * 10 + (b[1] - b'0')) as i64, &s[2..]))
}

fn getnum3(s: &str, fixed: bool) -> Option<(i64, &str)> {
    let b = s.as_bytes();
    let n = (0..3).take_while(|&i| digit(b, i)).count();
    if n == 0 || (fixed && n != 3) {
        return None;
    }
    Some((s[..n].parse().ok()?, &s[n..]))
}

/// Go's `skip`: match the literal layout text; a space matches any run of spaces.
fn skip<'a>(mut value: &'a str, mut prefix: &str) -> Result<&'a str, &'a str> {
    while !prefix.is_empty() {
        if prefix.as_bytes()[0] == b' ' {
            if !value.is_empty() && value.as_bytes()[0] != b' ' {
                return Err(value);
            }
            prefix = prefix.trim_start_matches(' ');
            value = value.trim_start_matches(' ');
            continue;
        }
        if value.is_empty() || value.as_bytes()[0] != prefix.as_bytes()[0] {
            return Err(value);
        }
        prefix = &prefix[1..];
        value = &value[1..];
    }
    Ok(value)
}

/// Go's `lookup`: a case-insensitive (ASCII letters) prefix match against a name table.
fn lookup<'a>(tab: &[&str], val: &'a str) -> Option<(usize, &'a str)> {
    for (i, v) in tab.iter().enumerate() {
        if val.len() >= v.len() {
            let head = &val.as_bytes()[..v.len()];
            let same = head.iter().zip(v.bytes()).all(|(&a, b)| {
                a == b || {
                    let (la, lb) = (a | 0x20, b | 0x20);
                    la == lb && la.is_ascii_lowercase()
                }
            });
            if same {
                return Some((i, &val[v.len()..]));
            }
        }
    }
    None
}

/// Go's `atoi` over ASCII digits with an optional sign.
fn atoi(s: &str) -> Option<i64> {
    let (neg, digits) = match s.as_bytes().first() {
        Some(b'-') => (true, &s[1..]),
        Some(b'+') => (false, &s[1..]),
        _ => (false, s),
    };
    if !digits.bytes().all(|c| c.is_ascii_digit()) {
        return None;
    }
    let mut x: u64 = 0;
    for c in digits.bytes() {
        if x > (1 << 63) / 10 {
            return None;
        }
        x = x * 10 + (c - b'0') as u64;
        if x > 1 << 63 {
            return None;
        }
    }
    let x = x as i64;
    Some(if neg { x.wrapping_neg() } else { x })
}

/// Go's `parseNanoseconds`: `value[0]` is the separator, then `nbytes-1` digits.
fn parse_nanos(value: &str, nbytes: usize) -> Result<i64, ()> {
    let b = value.as_bytes();
    if !(b[0] == b'.' || b[0] == b',') {
        return Err(());
    }
    let nbytes = nbytes.min(10);
    let mut ns = atoi(&value[1..nbytes]).ok_or(())?;
    for _ in 0..(10 - nbytes) {
        ns *= 10;
    }
    Ok(ns)
}

fn short_names(long: &[&'static str]) -> Vec<&'static str> {
    long.iter().map(|s| &s[..3]).collect()
}

/// Go's `parseTimeZone`: the length of a zone abbreviation at the start of `value`.
fn parse_time_zone(value: &str) -> Option<usize> {
    let b = value.as_bytes();
    if b.len() < 3 {
        return None;
    }
    if b.len() >= 4 && (&b[..4] == b"ChST" || &b[..4] == b"MeST") {
        return Some(4);
    }
    if &b[..3] == b"GMT" {
        return Some(
            3 + if b.len() > 3 {
                parse_signed_offset(&value[3..])
            } else {
                0
            },
        );
    }
    if b[0] == b'+' || b[0] == b'-' {
        let n = parse_signed_offset(value);
        return (n > 0).then_some(n);
    }
    let upper = b
        .iter()
        .take(6)
        .take_while(|c| c.is_ascii_uppercase())
        .count();
    match upper {
        5 if b[4] == b'T' => Some(5),
        4 if b[3] == b'T' || &b[..4] == b"WITA" => Some(4),
        3 => Some(3),
        _ => None,
    }
}

fn parse_signed_offset(value: &str) -> usize {
    let b = value.as_bytes();
    if b.is_empty() || (b[0] != b'-' && b[0] != b'+') {
        return 0;
    }
    let n = b[1..].iter().take_while(|c| c.is_ascii_digit()).count();
    if n == 0 {
        return 0;
    }
    match value[1..1 + n].parse::<u64>() {
        Ok(x) if x <= 23 => 1 + n,
        _ => 0,
    }
}

/// Go's `time.ParseInLocation(layout, value, loc)` (`loc` is also the zone for names and
/// offsets that match it).
pub fn parse(layout: &str, value: &str, loc: Loc) -> Result<GoTime, String> {
    let (alayout, avalue) = (layout, value);
    let (mut layout, mut value) = (layout, value);
    let mut range_err = "";
    let (mut am, mut pm) = (false, false);
    let (mut year, mut month, mut day, mut yday) = (0i64, -1i64, -1i64, -1i64);
    let (mut hour, mut min, mut sec, mut nsec) = (0i64, 0i64, 0i64, 0i64);
    let mut utc = false;
    let mut zone_offset: Option<i64> = None;
    let mut zone_name = String::new();
    let short_months = short_names(&LONG_MONTHS);
    let short_days = short_names(&LONG_DAYS);

    loop {
        let (prefix, std, suffix) = next_std_chunk(layout);
        let stdstr = &layout[prefix.len()..layout.len() - suffix.len()];
        value = skip(value, prefix).map_err(|v| parse_error(alayout, avalue, prefix, v, ""))?;
        let Some(std) = std else {
            if !value.is_empty() {
                return Err(parse_error(
                    alayout,
                    avalue,
                    "",
                    value,
                    &format!(": extra text: {}", go_quote(value)),
                ));
            }
            break;
        };
        layout = suffix;
        let hold = value;
        let mut ok = true;
        match std {
            Std::Year => {
                if value.len() < 2 || !value.is_char_boundary(2) {
                    ok = false;
                } else {
                    match atoi(&value[..2]) {
                        Some(y) => {
                            year = if y >= 69 { y + 1900 } else { y + 2000 };
                            value = &value[2..];
                        }
                        None => ok = false,
                    }
                }
            }
            Std::LongYear => {
                if value.len() < 4 || !digit(value.as_bytes(), 0) || !value.is_char_boundary(4) {
                    ok = false;
                } else {
                    match atoi(&value[..4]) {
                        Some(y) => {
                            year = y;
                            value = &value[4..];
                        }
                        None => ok = false,
                    }
                }
            }
            Std::Month | Std::LongMonth => {
                let tab: Vec<&str> = if std == Std::Month {
                    short_months.clone()
                } else {
                    LONG_MONTHS.to_vec()
                };
                match lookup(&tab, value) {
                    Some((i, rest)) => {
                        month = i as i64 + 1;
                        value = rest;
                    }
                    None => ok = false,
                }
            }
            Std::NumMonth | Std::ZeroMonth => match getnum(value, std == Std::ZeroMonth) {
                Some((m, rest)) => {
                    month = m;
                    value = rest;
                    if !(1..=12).contains(&m) {
                        range_err = "month";
                    }
                }
                None => ok = false,
            },
            Std::WeekDay | Std::LongWeekDay => {
                let tab: Vec<&str> = if std == Std::WeekDay {
                    short_days.clone()
                } else {
                    LONG_DAYS.to_vec()
                };
                match lookup(&tab, value) {
                    Some((_, rest)) => value = rest,
                    None => ok = false,
                }
            }
            Std::Day | Std::UnderDay | Std::ZeroDay => {
                if std == Std::UnderDay && value.starts_with(' ') {
                    value = &value[1..];
                }
                match getnum(value, std == Std::ZeroDay) {
                    Some((d, rest)) => {
                        day = d;
                        value = rest;
                    }
                    None => ok = false,
                }
            }
            Std::UnderYearDay | Std::ZeroYearDay => {
                for _ in 0..2 {
                    if std == Std::UnderYearDay && value.starts_with(' ') {
                        value = &value[1..];
                    }
                }
                match getnum3(value, std == Std::ZeroYearDay) {
                    Some((d, rest)) => {
                        yday = d;
                        value = rest;
                    }
                    None => ok = false,
                }
            }
            Std::Hour => match getnum(value, false) {
                Some((h, rest)) => {
                    hour = h;
                    value = rest;
                    if h >= 24 {
                        range_err = "hour";
                    }
                }
                None => ok = false,
            },
            Std::Hour12 | Std::ZeroHour12 => match getnum(value, std == Std::ZeroHour12) {
                Some((h, rest)) => {
                    hour = h;
                    value = rest;
                    if h > 12 {
                        range_err = "hour";
                    }
                }
                None => ok = false,
            },
            Std::Minute | Std::ZeroMinute => match getnum(value, std == Std::ZeroMinute) {
                Some((m, rest)) => {
                    min = m;
                    value = rest;
                    if m >= 60 {
                        range_err = "minute";
                    }
                }
                None => ok = false,
            },
            Std::Second | Std::ZeroSecond => match getnum(value, std == Std::ZeroSecond) {
                Some((s, rest)) => {
                    sec = s;
                    value = rest;
                    if s >= 60 {
                        range_err = "second";
                    } else {
                        let b = value.as_bytes();
                        if b.len() >= 2 && (b[0] == b'.' || b[0] == b',') && digit(b, 1) {
                            let (_, next, _) = next_std_chunk(layout);
                            if !matches!(next, Some(Std::FracSecond0(..) | Std::FracSecond9(..))) {
                                let n =
                                    2 + b[2..].iter().take_while(|c| c.is_ascii_digit()).count();
                                match parse_nanos(value, n) {
                                    Ok(ns) => nsec = ns,
                                    Err(()) => ok = false,
                                }
                                value = &value[n..];
                            }
                        }
                    }
                }
                None => ok = false,
            },
            Std::PM | Std::Pm => {
                let (up, low) = if std == Std::PM {
                    ("PM", "AM")
                } else {
                    ("pm", "am")
                };
                if value.len() < 2 || !value.is_char_boundary(2) {
                    ok = false;
                } else {
                    let p = &value[..2];
                    value = &value[2..];
                    if p == up {
                        pm = true;
                    } else if p == low {
                        am = true;
                    } else {
                        ok = false;
                    }
                }
            }
            Std::Iso8601TZ
            | Std::Iso8601ShortTZ
            | Std::Iso8601ColonTZ
            | Std::Iso8601SecondsTZ
            | Std::Iso8601ColonSecondsTZ
                if value.starts_with('Z') =>
            {
                value = &value[1..];
                utc = true;
            }
            Std::Iso8601TZ
            | Std::Iso8601ShortTZ
            | Std::Iso8601ColonTZ
            | Std::Iso8601SecondsTZ
            | Std::Iso8601ColonSecondsTZ
            | Std::NumTZ
            | Std::NumShortTZ
            | Std::NumColonTZ
            | Std::NumSecondsTz
            | Std::NumColonSecondsTZ => {
                let b = value.as_bytes();
                // (needed length, positions of sign/hh/mm/ss, required colons)
                let parts = match std {
                    Std::Iso8601ColonTZ | Std::NumColonTZ => {
                        (b.len() >= 6 && b[3] == b':').then_some((6, [1, 4, usize::MAX]))
                    }
                    Std::NumShortTZ | Std::Iso8601ShortTZ => {
                        (b.len() >= 3).then_some((3, [1, usize::MAX, usize::MAX]))
                    }
                    Std::Iso8601ColonSecondsTZ | Std::NumColonSecondsTZ => {
                        (b.len() >= 9 && b[3] == b':' && b[6] == b':').then_some((9, [1, 4, 7]))
                    }
                    Std::Iso8601SecondsTZ | Std::NumSecondsTz => {
                        (b.len() >= 7).then_some((7, [1, 3, 5]))
                    }
                    _ => (b.len() >= 5).then_some((5, [1, 3, usize::MAX])),
                };
                match parts {
                    None => ok = false,
                    Some((len, pos)) if value.is_char_boundary(len) => {
                        let field = |p: usize| -> Option<i64> {
                            if p == usize::MAX {
                                return Some(0);
                            }
                            getnum(&value[p..p + 2], true).map(|(n, _)| n)
                        };
                        match (field(pos[0]), field(pos[1]), field(pos[2])) {
                            (Some(hr), Some(mm), Some(ss)) => {
                                if hr > 24 {
                                    range_err = "time zone offset hour";
                                }
                                if mm > 60 {
                                    range_err = "time zone offset minute";
                                }
                                if ss > 60 {
                                    range_err = "time zone offset second";
                                }
                                let off = (hr * 60 + mm) * 60 + ss;
                                match b[0] {
                                    b'+' => zone_offset = Some(off),
                                    b'-' => zone_offset = Some(-off),
                                    _ => ok = false,
                                }
                            }
                            _ => ok = false,
                        }
                        value = &value[len..];
                    }
                    Some(_) => ok = false,
                }
            }
            Std::TZ => {
                if value.starts_with("UTC") {
                    utc = true;
                    value = &value[3..];
                } else {
                    match parse_time_zone(value) {
                        Some(n) => {
                            zone_name = value[..n].to_string();
                            value = &value[n..];
                        }
                        None => ok = false,
                    }
                }
            }
            Std::FracSecond0(n, _) => {
                let ndigit = 1 + n;
                if value.len() < ndigit || !value.is_char_boundary(ndigit) {
                    ok = false;
                } else {
                    match parse_nanos(value, ndigit) {
                        Ok(ns) => nsec = ns,
                        Err(()) => ok = false,
                    }
                    value = &value[ndigit..];
                }
            }
            Std::FracSecond9(..) => {
                let b = value.as_bytes();
                if b.len() >= 2 && (b[0] == b'.' || b[0] == b',') && b[1].is_ascii_digit() {
                    let i = b[1..].iter().take_while(|c| c.is_ascii_digit()).count();
                    match parse_nanos(value, 1 + i) {
                        Ok(ns) => nsec = ns,
                        Err(()) => ok = false,
                    }
                    value = &value[1 + i..];
                }
            }
        }
        if !range_err.is_empty() {
            return Err(parse_error(
                alayout,
                avalue,
                stdstr,
                value,
                &format!(": {range_err} out of range"),
            ));
        }
        if !ok {
            return Err(parse_error(alayout, avalue, stdstr, hold, ""));
        }
    }
    if pm && hour < 12 {
        hour += 12;
    } else if am && hour == 12 {
        hour = 0;
    }

    if yday >= 0 {
        let mut m = 0;
        let mut d = 0;
        let mut yd = yday;
        if is_leap(year) {
            if yd == 31 + 29 {
                m = 2;
                d = 29;
            } else if yd > 31 + 29 {
                yd -= 1;
            }
        }
        if !(1..=365).contains(&yd) {
            return Err(parse_error(
                alayout,
                avalue,
                "",
                value,
                ": day-of-year out of range",
            ));
        }
        if m == 0 {
            // Non-leap month table, as Go's daysBefore.
            let before = |m: i64| -> i64 { (1..m).map(|k| days_in(k, 2001)).sum() };
            m = (yd - 1) / 31 + 1;
            if before(m + 1) < yd {
                m += 1;
            }
            d = yd - before(m);
        }
        if month >= 0 && month != m {
            return Err(parse_error(
                alayout,
                avalue,
                "",
                value,
                ": day-of-year does not match month",
            ));
        }
        month = m;
        if day >= 0 && day != d {
            return Err(parse_error(
                alayout,
                avalue,
                "",
                value,
                ": day-of-year does not match day",
            ));
        }
        day = d;
    } else {
        if month < 0 {
            month = 1;
        }
        if day < 0 {
            day = 1;
        }
    }
    if day < 1 || day > days_in(month, year) {
        return Err(parse_error(
            alayout,
            avalue,
            "",
            value,
            ": day out of range",
        ));
    }

    if utc {
        return Ok(GoTime::date(
            year,
            month,
            day,
            hour,
            min,
            sec,
            nsec,
            Loc::Utc,
        ));
    }
    if let Some(off) = zone_offset {
        let mut t = GoTime::date(year, month, day, hour, min, sec, nsec, Loc::Utc);
        t.unix -= off;
        let (name, local_off) = loc.lookup(t.unix);
        if local_off as i64 == off && (zone_name.is_empty() || name == zone_name) {
            t.loc = loc;
        } else {
            t.loc = Loc::Fixed(zone_name, off as i32);
        }
        return Ok(t);
    }
    if !zone_name.is_empty() {
        let mut t = GoTime::date(year, month, day, hour, min, sec, nsec, Loc::Utc);
        // Go's lookupName: the zone's offset when the abbreviation is one of `loc`'s.
        let (name, off) = loc.lookup(t.unix);
        let (name2, off2) = loc.lookup(t.unix - off as i64);
        if name2 == zone_name || name == zone_name {
            let o = if name2 == zone_name { off2 } else { off };
            t.unix -= o as i64;
            t.loc = loc;
            return Ok(t);
        }
        let mut offset = 0i64;
        if zone_name.len() > 3 && zone_name.starts_with("GMT") {
            offset = atoi(&zone_name[3..]).unwrap_or(0) * 3600;
        }
        // Go does not shift the instant here: "10:00 GMT+3" is 10:00 UTC shown at +03:00.
        t.loc = Loc::Fixed(zone_name, offset as i32);
        return Ok(t);
    }
    Ok(GoTime::date(year, month, day, hour, min, sec, nsec, loc))
}
