//! Expectations generated with Go 1.27's `time` package (`Format`, `ParseInLocation`,
//! `String`) and taken from sprig's `date_test.go`.

use super::super::testutil::{call, call_str, s};
use super::gotime::{GoTime, Loc};
use super::*;

/// 2009-11-03 04:05:06.007008009 UTC.
fn base() -> GoTime {
    GoTime::date(2009, 11, 3, 4, 5, 6, 7008009, Loc::Utc)
}

const LAYOUTS: [&str; 18] = [
    "2006-01-02 15:04:05",
    "Mon Jan _2 15:04:05 2006",
    "Mon Jan _2 15:04:05 MST 2006",
    "Mon Jan 02 15:04:05 -0700 2006",
    "02 Jan 06 15:04 MST",
    "02 Jan 06 15:04 -0700",
    "Monday, 02-Jan-06 15:04:05 MST",
    "Mon, 02 Jan 2006 15:04:05 MST",
    "Mon, 02 Jan 2006 15:04:05 -0700",
    "2006-01-02T15:04:05Z07:00",
    "2006-01-02T15:04:05.999999999Z07:00",
    "3:04PM",
    "Jan _2 15:04:05.000000",
    "Monday January _2 __2 002 3:4:5 pm PM",
    "06 1 2 03 04 05 .000 .999 ,000000 .9",
    "Z0700 Z07:00 Z07 Z070000 Z07:00:00 -0700 -07:00 -07 -070000 -07:00:00 MST",
    "Janet Mondays Jan.Mon 2006-01-02T15:04:05.000000000Z07:00",
    "_2006 __2 .0000000000 x",
];

fn check_zone(loc: Loc, want: [&str; 18], string: &str) {
    let t = base().in_loc(loc);
    for (layout, want) in LAYOUTS.iter().zip(want) {
        assert_eq!(
            layout::format(&t, layout),
            want,
            "{layout:?} in {}",
            t.loc.name()
        );
    }
    assert_eq!(t.to_go_string(), string);
}

#[test]
fn format_utc() {
    check_zone(
        Loc::Utc,
        [
            "2009-11-03 04:05:06",
            "Tue Nov  3 04:05:06 2009",
            "Tue Nov  3 04:05:06 UTC 2009",
            "Tue Nov 03 04:05:06 +0000 2009",
            "03 Nov 09 04:05 UTC",
            "03 Nov 09 04:05 +0000",
            "Tuesday, 03-Nov-09 04:05:06 UTC",
            "Tue, 03 Nov 2009 04:05:06 UTC",
            "Tue, 03 Nov 2009 04:05:06 +0000",
            "2009-11-03T04:05:06Z",
            "2009-11-03T04:05:06.007008009Z",
            "4:05AM",
            "Nov  3 04:05:06.007008",
            "Tuesday November  3 307 307 4:5:6 am AM",
            "09 11 3 04 05 06 .007 .007 ,007008 ",
            "Z Z Z Z Z +0000 +00:00 +00 +000000 +00:00:00 UTC",
            "Janet Tuesdays Nov.Tue 2009-11-03T04:05:06.007008009Z",
            "_2009 307 .007008009 x",
        ],
        "2009-11-03 04:05:06.007008009 +0000 UTC",
    );
}

#[test]
fn format_unnamed_fixed_zone() {
    check_zone(
        Loc::Fixed(String::new(), -(3 * 3600 + 30 * 60 + 15)),
        [
            "2009-11-03 00:34:51",
            "Tue Nov  3 00:34:51 2009",
            "Tue Nov  3 00:34:51 -0330 2009",
            "Tue Nov 03 00:34:51 -0330 2009",
            "03 Nov 09 00:34 -0330",
            "03 Nov 09 00:34 -0330",
            "Tuesday, 03-Nov-09 00:34:51 -0330",
            "Tue, 03 Nov 2009 00:34:51 -0330",
            "Tue, 03 Nov 2009 00:34:51 -0330",
            "2009-11-03T00:34:51-03:30",
            "2009-11-03T00:34:51.007008009-03:30",
            "12:34AM",
            "Nov  3 00:34:51.007008",
            "Tuesday November  3 307 307 12:34:51 am AM",
            "09 11 3 12 34 51 .007 .007 ,007008 ",
            "-0330 -03:30 -03 -033015 -03:30:15 -0330 -03:30 -03 -033015 -03:30:15 -0330",
            "Janet Tuesdays Nov.Tue 2009-11-03T00:34:51.007008009-03:30",
            "_2009 307 .007008009 x",
        ],
        "2009-11-03 00:34:51.007008009 -0330 -0330",
    );
}

#[test]
fn format_iana_zones() {
    let ny = Loc::load("America/New_York").expect("tzdb has America/New_York");
    check_zone(
        ny,
        [
            "2009-11-02 23:05:06",
            "Mon Nov  2 23:05:06 2009",
            "Mon Nov  2 23:05:06 EST 2009",
            "Mon Nov 02 23:05:06 -0500 2009",
            "02 Nov 09 23:05 EST",
            "02 Nov 09 23:05 -0500",
            "Monday, 02-Nov-09 23:05:06 EST",
            "Mon, 02 Nov 2009 23:05:06 EST",
            "Mon, 02 Nov 2009 23:05:06 -0500",
            "2009-11-02T23:05:06-05:00",
            "2009-11-02T23:05:06.007008009-05:00",
            "11:05PM",
            "Nov  2 23:05:06.007008",
            "Monday November  2 306 306 11:5:6 pm PM",
            "09 11 2 11 05 06 .007 .007 ,007008 ",
            "-0500 -05:00 -05 -050000 -05:00:00 -0500 -05:00 -05 -050000 -05:00:00 EST",
            "Janet Mondays Nov.Mon 2009-11-02T23:05:06.007008009-05:00",
            "_2009 306 .007008009 x",
        ],
        "2009-11-02 23:05:06.007008009 -0500 EST",
    );
    let t = base();
    let zone = |n: &str| t.in_loc(Loc::load(n).unwrap()).to_go_string();
    assert_eq!(
        zone("Asia/Kolkata"),
        "2009-11-03 09:35:06.007008009 +0530 IST"
    );
    assert_eq!(
        zone("Europe/Berlin"),
        "2009-11-03 05:05:06.007008009 +0100 CET"
    );
    assert!(
        Loc::load("europe/berlin").is_none(),
        "Go's zone names are case-sensitive"
    );
    assert!(Loc::load("Nowhere/Special").is_none());
    assert!(Loc::load("../etc/passwd").is_none());
}

#[test]
fn format_years_outside_four_digits() {
    let at = |y| GoTime::date(y, 1, 1, 0, 0, 0, 0, Loc::Utc);
    assert_eq!(layout::format(&at(-5), "2006 06 Jan"), "-0005 05 Jan");
    assert_eq!(layout::format(&at(12345), "2006 06"), "12345 45");
    let t = GoTime::date(2024, 7, 1, 12, 0, 0, 0, Loc::Utc);
    assert_eq!(
        layout::format(&t, "Mon Monday January 002 __2 3PM"),
        "Mon Monday July 183 183 12PM"
    );
}

#[test]
fn parse_in_utc() {
    type Want = Result<(&'static str, i64), &'static str>;
    let cases: [(&str, &str, Want); 37] = [
        ("2006-01-02", "2024-02-29", Ok(("2024-02-29 00:00:00 +0000 UTC", 1709164800))),
        ("2006-01-02", "2023-02-29", Err("parsing time \"2023-02-29\": day out of range")),
        ("2006-01-02 15:04:05", "2017-12-31 23:59:59", Ok(("2017-12-31 23:59:59 +0000 UTC", 1514764799))),
        ("2006-01-02T15:04:05Z07:00", "2019-10-12T07:20:50.52Z", Ok(("2019-10-12 07:20:50.52 +0000 UTC", 1570864850))),
        ("2006-01-02T15:04:05Z07:00", "2019-10-12T07:20:50+05:30", Ok(("2019-10-12 07:20:50 +0530 +0530", 1570845050))),
        ("Mon, 02 Jan 2006 15:04:05 MST", "Mon, 02 Jan 2006 15:04:05 PST", Ok(("2006-01-02 15:04:05 +0000 PST", 1136214245))),
        ("Mon, 02 Jan 2006 15:04:05 MST", "Mon, 02 Jan 2006 15:04:05 UTC", Ok(("2006-01-02 15:04:05 +0000 UTC", 1136214245))),
        ("Mon, 02 Jan 2006 15:04:05 -0700", "Mon, 02 Jan 2006 15:04:05 -0800", Ok(("2006-01-02 15:04:05 -0800 -0800", 1136243045))),
        ("Mon Jan _2 15:04:05 MST 2006", "Thu Feb  4 21:00:57 PST 2010", Ok(("2010-02-04 21:00:57 +0000 PST", 1265317257))),
        ("Mon Jan _2 15:04:05 2006", "Thu Feb  4 21:00:57 2010", Ok(("2010-02-04 21:00:57 +0000 UTC", 1265317257))),
        ("3:04PM", "3:04PM", Ok(("0000-01-01 15:04:00 +0000 UTC", -62167164960))),
        ("3:04PM", "12:04AM", Ok(("0000-01-01 00:04:00 +0000 UTC", -62167218960))),
        ("Jan _2 2006", "feb  4 2010", Ok(("2010-02-04 00:00:00 +0000 UTC", 1265241600))),
        ("January 2, 2006", "FEBRUARY 4, 2010", Ok(("2010-02-04 00:00:00 +0000 UTC", 1265241600))),
        ("2006-01-02 15:04:05.000", "2010-02-04 21:00:57.012", Ok(("2010-02-04 21:00:57.012 +0000 UTC", 1265317257))),
        ("2006-01-02 15:04:05", "2010-02-04 21:00:57.012345678", Ok(("2010-02-04 21:00:57.012345678 +0000 UTC", 1265317257))),
        ("2006-01-02 15:04:05.999", "2010-02-04 21:00:57", Ok(("2010-02-04 21:00:57 +0000 UTC", 1265317257))),
        ("2006-01-02 15:04:05,000", "2010-02-04 21:00:57,123", Ok(("2010-02-04 21:00:57.123 +0000 UTC", 1265317257))),
        ("2006 002", "2020 060", Ok(("2020-02-29 00:00:00 +0000 UTC", 1582934400))),
        ("2006 __2", "2021  60", Ok(("2021-03-01 00:00:00 +0000 UTC", 1614556800))),
        ("2006-01-02", "2006-13-02", Err("parsing time \"2006-13-02\": month out of range")),
        ("2006-01-02", "2006-01-32", Err("parsing time \"2006-01-32\": day out of range")),
        ("2006-01-02", "2006-1-02", Err("parsing time \"2006-1-02\" as \"2006-01-02\": cannot parse \"1-02\" as \"01\"")),
        ("2006-01-02", "2006-01-02 extra", Err("parsing time \"2006-01-02 extra\": extra text: \" extra\"")),
        ("2006-01-02", "abc", Err("parsing time \"abc\" as \"2006-01-02\": cannot parse \"abc\" as \"2006\"")),
        ("15:04", "25:00", Err("parsing time \"25:00\": hour out of range")),
        ("15:04 MST", "10:00 GMT+3", Ok(("0000-01-01 13:00:00 +0300 GMT+3", -62167183200))),
        ("15:04 MST", "10:00 CEST", Ok(("0000-01-01 10:00:00 +0000 CEST", -62167183200))),
        ("2006-01-02 -0700", "2010-02-04 +2500", Err("parsing time \"2010-02-04 +2500\": time zone offset hour out of range")),
        ("2006-01-02 -07:00", "2010-02-04 +0530", Err("parsing time \"2010-02-04 +0530\" as \"2006-01-02 -07:00\": cannot parse \"+0530\" as \"-07:00\"")),
        ("06-01-02", "69-01-02", Ok(("1969-01-02 00:00:00 +0000 UTC", -31449600))),
        ("06-01-02", "68-01-02", Ok(("2068-01-02 00:00:00 +0000 UTC", 3092688000))),
        ("2006 002 01", "2020 060 03", Err("parsing time \"2020 060 03\": day-of-year does not match month")),
        ("Mon 2006", "Xyz 2006", Err("parsing time \"Xyz 2006\" as \"Mon 2006\": cannot parse \"Xyz 2006\" as \"Mon\"")),
        ("2006-01-02", "", Err("parsing time \"\" as \"2006-01-02\": cannot parse \"\" as \"2006\"")),
        ("", "x", Err("parsing time \"x\": extra text: \"x\"")),
        ("2006", "12345", Err("parsing time \"12345\": extra text: \"5\"")),
    ];
    for (layout, value, want) in cases {
        let got = parse::parse(layout, value, Loc::Utc);
        match (got, want) {
            (Ok(t), Ok((string, unix))) => {
                assert_eq!(
                    (t.to_go_string().as_str(), t.unix),
                    (string, unix),
                    "{layout:?} {value:?}"
                )
            }
            (Err(e), Err(msg)) => assert_eq!(e, msg, "{layout:?} {value:?}"),
            (got, want) => panic!("{layout:?} {value:?}: got {got:?}, want {want:?}"),
        }
    }
}

#[test]
fn parse_never_panics_on_odd_input() {
    for layout in [
        "2006-01-02",
        "Jan _2",
        "15:04:05.000 MST",
        "Z07:00",
        "-07:00:00",
        "__2 002",
        "06",
    ] {
        for value in [
            "",
            "é",
            "2006-01-0é",
            "Jané",
            "12:34:56.é",
            "+05:é0",
            "ZZZ",
            "20é6",
            "\u{1F600}",
        ] {
            let _ = parse::parse(layout, value, Loc::Utc);
        }
    }
}

// sprig date_test.go and docs/date.md, with fixed instants instead of `now`.
#[test]
fn sprig_date_functions() {
    let t = base().value();
    let int = Value::int(1257221106); // 2009-11-03 04:05:06 UTC
    assert_eq!(
        call_str("dateInZone", &[s("2006-01-02 15:04"), t.clone(), s("UTC")]),
        "2009-11-03 04:05"
    );
    assert_eq!(
        call_str(
            "date_in_zone",
            &[s("02 Jan 06 15:04 -0700"), int.clone(), s("Asia/Kolkata")]
        ),
        "03 Nov 09 09:35 +0530"
    );
    assert_eq!(
        call_str(
            "dateInZone",
            &[s("15:04 MST"), int.clone(), s("No/Such_Zone")]
        ),
        "04:05 UTC"
    );
    assert_eq!(
        call_str("htmlDateInZone", &[int.clone(), s("America/New_York")]),
        "2009-11-02"
    );
    assert_eq!(
        call_str("htmlDateInZone", &[t.clone(), s("UTC")]),
        "2009-11-03"
    );
    assert_eq!(
        call_str("unixEpoch", std::slice::from_ref(&t)),
        "1257221106"
    );
    // A string is not a date: sprig formats `now` instead.
    assert_eq!(
        call_str("dateInZone", &[s("2006"), s("2009-01-01"), s("UTC")]).len(),
        4
    );

    let modified = call("dateModify", &[s("-1.5h"), t.clone()]).unwrap();
    assert_eq!(
        crate::fmt::format_v(&modified),
        "2009-11-03 02:35:06.007008009 +0000 UTC"
    );
    let same = call("date_modify", &[s("bogus"), t.clone()]).unwrap();
    assert_eq!(
        crate::fmt::format_v(&same),
        "2009-11-03 04:05:06.007008009 +0000 UTC"
    );
    assert_eq!(
        call("mustDateModify", &[s("bogus"), t.clone()])
            .unwrap_err()
            .to_string(),
        "time: invalid duration \"bogus\""
    );
    assert_eq!(
        call("dateModify", &[s("1h"), s("2009-11-03")])
            .unwrap_err()
            .to_string(),
        "wrong type for value; expected time.Time; got string"
    );

    let parsed = call(
        "mustToDate",
        &[
            s("2006-01-02T15:04:05Z07:00"),
            s("2017-12-31T10:00:00+01:00"),
        ],
    )
    .unwrap();
    assert_eq!(
        call_str("unixEpoch", std::slice::from_ref(&parsed)),
        "1514710800"
    );
    assert_eq!(
        call_str("dateInZone", &[s("02/01/2006 15:04"), parsed, s("UTC")]),
        "31/12/2017 09:00"
    );
    let zero = call("toDate", &[s("2006-01-02"), s("not a date")]).unwrap();
    assert_eq!(crate::fmt::format_v(&zero), "0001-01-01 00:00:00 +0000 UTC");
    assert_eq!(
        call("mustToDate", &[s("2006-01-02"), s("2017-13-01")])
            .unwrap_err()
            .to_string(),
        "parsing time \"2017-13-01\": month out of range"
    );
}

#[test]
fn sprig_durations() {
    let d = |v: Value| call_str("duration", &[v]);
    assert_eq!(d(s("95")), "1m35s");
    assert_eq!(d(Value::int(3600)), "1h0m0s");
    assert_eq!(d(s("x")), "0s");
    assert_eq!(d(Value::Float(1.5)), "0s");
    // date_test.go TestDurationRound
    let r = |v: Value| call_str("durationRound", &[v]);
    assert_eq!(r(s("2h5s")), "2h");
    assert_eq!(r(s("24h5s")), "1d");
    assert_eq!(r(s("2400h5s")), "3mo");
    assert_eq!(r(s("-9000h")), "1y");
    assert_eq!(r(Value::int(90_000_000_000)), "1m");
    assert_eq!(r(s("1s")), "0s");
    assert_eq!(r(s("junk")), "0s");
    let old = GoTime::date(2000, 1, 1, 0, 0, 0, 0, Loc::Utc).value();
    assert!(r(old.clone()).ends_with('y'));
    // `ago` of a time in the past: a rounded, positive Go duration.
    let ago = call_str("ago", &[old]);
    assert!(
        ago.ends_with("s") && ago.contains('h') && !ago.starts_with('-'),
        "{ago}"
    );
}

#[test]
fn now_is_a_local_time() {
    let Value::Object(o) = call("now", &[]).unwrap() else {
        panic!("now returns time.Time")
    };
    assert_eq!(o.type_name(), "time.Time");
    let Some(Value::Int(year, _)) = o.field("Year") else {
        panic!()
    };
    assert!(year >= 2024);
    let Some(Value::Object(loc)) = o.field("Location") else {
        panic!()
    };
    assert_eq!(loc.fmt_v(), "Local");
    let utc = o.field("UTC").unwrap();
    assert!(crate::fmt::format_v(&utc)
        .to_string()
        .ends_with(" +0000 UTC"));
}

#[test]
fn time_methods() {
    let Value::Object(t) = base().value() else {
        unreachable!()
    };
    let m = |name: &str, args: &[Value]| t.method(name, args).unwrap().unwrap();
    assert_eq!(
        m("Format", &[s("Jan 2")]).as_str().as_deref(),
        Some("Nov 3")
    );
    let later = m("Add", &[Value::int(90 * 60 * 1_000_000_000)]);
    assert_eq!(
        crate::fmt::format_v(&later),
        "2009-11-03 05:35:06.007008009 +0000 UTC"
    );
    let Value::Object(l) = later.clone() else {
        unreachable!()
    };
    let d = l.method("Sub", &[base().value()]).unwrap().unwrap();
    assert_eq!(crate::fmt::format_v(&d), "1h30m0s");
    assert!(matches!(
        m("Before", std::slice::from_ref(&later)),
        Value::Bool(true)
    ));
    assert!(matches!(m("After", &[later]), Value::Bool(false)));
    let next = m("AddDate", &[Value::int(0), Value::int(2), Value::int(0)]);
    assert_eq!(
        crate::fmt::format_v(&next),
        "2010-01-03 04:05:06.007008009 +0000 UTC"
    );
    let tr = m("Truncate", &[Value::int(3600 * 1_000_000_000)]);
    assert_eq!(crate::fmt::format_v(&tr), "2009-11-03 04:00:00 +0000 UTC");
    assert!(t.method("Format", &[Value::int(1)]).unwrap().is_err());
    assert_eq!(
        t.json().unwrap().as_str().as_deref(),
        Some("2009-11-03T04:05:06.007008009Z")
    );
    let Some(Value::Object(month)) = t.field("Month") else {
        panic!()
    };
    assert_eq!(
        (month.as_int(), month.fmt_v().as_str()),
        (Some(11), "November")
    );
}
