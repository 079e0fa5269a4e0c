//! Tables from Masterminds/semver v3 `constraints_test.go` and `version_test.go`, and sprig's
//! `semver_test.go`.

use super::super::testutil::{call, s};
use super::*;

fn check(c: &str, v: &str) -> bool {
    let c = Constraints::parse(c).unwrap_or_else(|e| panic!("{c}: {e}"));
    c.check(&Version::parse(v).unwrap_or_else(|e| panic!("{v}: {e}")))
}

#[test]
fn new_version() {
    let ok = [
        ("1.2.3", "1.2.3"),
        ("v1.2.3", "1.2.3"),
        ("1.0", "1.0.0"),
        ("v1.0", "1.0.0"),
        ("1", "1.0.0"),
        ("v1", "1.0.0"),
        ("1.2-5", "1.2.0-5"),
        ("1.2-beta.5", "1.2.0-beta.5"),
        ("1.2.0-x.Y.0+metadata", "1.2.0-x.Y.0+metadata"),
        (
            "1.2.0-x.Y.0+metadata-width-hypen",
            "1.2.0-x.Y.0+metadata-width-hypen",
        ),
        ("1.2.3-rc1-with-hypen", "1.2.3-rc1-with-hypen"),
        ("1.2.2147483648", "1.2.2147483648"),
        ("2147483648.3.0", "2147483648.3.0"),
        ("01.02.03", "1.2.3"),
    ];
    for (input, norm) in ok {
        let v = Version::parse(input).unwrap_or_else(|e| panic!("{input}: {e}"));
        assert_eq!(v.to_go_string(), norm);
        assert_eq!(v.original, input);
    }
    let bad = [
        ("1.2.beta", "Invalid Semantic Version"),
        ("v1.2.beta", "Invalid Semantic Version"),
        ("foo", "Invalid Semantic Version"),
        ("\n1.2", "Invalid Semantic Version"),
        ("1.2.3.4", "Invalid Semantic Version"),
        ("1.2.3\n", "Invalid Semantic Version"),
        ("", "Invalid Semantic Version"),
        ("1.2.3-01", "Version segment starts with 0"),
        (
            "99999999999999999999.0.0",
            "Error parsing version segment: strconv.ParseUint: parsing \"99999999999999999999\": value out of range",
        ),
    ];
    for (input, err) in bad {
        assert_eq!(
            Version::parse(input).unwrap_err().to_string(),
            err,
            "{input:?}"
        );
    }
}

#[test]
fn compare() {
    let cases = [
        ("1.2.3", "1.5.1", -1),
        ("2.2.3", "1.5.1", 1),
        ("2.2.3", "2.2.2", 1),
        ("3.2-beta", "3.2-beta", 0),
        ("1.3", "1.1.4", 1),
        ("4.2", "4.2-beta", 1),
        ("4.2-beta", "4.2", -1),
        ("4.2-alpha", "4.2-beta", -1),
        ("4.2-alpha", "4.2-alpha", 0),
        ("4.2-beta.2", "4.2-beta.1", 1),
        ("4.2-beta2", "4.2-beta1", 1),
        ("4.2-beta", "4.2-beta.2", -1),
        ("4.2-beta", "4.2-beta.foo", -1),
        ("4.2-beta.2", "4.2-beta", 1),
        ("4.2-beta.foo", "4.2-beta", 1),
        ("1.2+bar", "1.2+baz", 0),
        ("1.0.0-beta.4", "1.0.0-beta.-2", -1),
        ("1.0.0-beta.-2", "1.0.0-beta.-3", -1),
        ("1.0.0-beta.-3", "1.0.0-beta.5", 1),
        ("1.0.0-beta.10", "1.0.0-beta.9", 1),
    ];
    for (a, b, want) in cases {
        let (va, vb) = (Version::parse(a).unwrap(), Version::parse(b).unwrap());
        assert_eq!(va.compare(&vb) as i64, want, "{a} vs {b}");
    }
}

#[test]
fn single_constraints() {
    let cases = [
        ("=2.0.0", "1.2.3", false),
        ("=2.0.0", "2.0.0", true),
        ("=2.0", "1.2.3", false),
        ("=2.0", "2.0.0", true),
        ("=2.0", "2.0.1", true),
        ("4.1", "4.1.0", true),
        ("!=4.1.0", "4.1.0", false),
        ("!=4.1.0", "4.1.1", true),
        ("!=4.1", "4.1.0", false),
        ("!=4.1", "4.1.1", false),
        ("!=4.1", "5.1.0-alpha.1", false),
        ("!=4.1-alpha", "4.1.0", true),
        ("!=4.1", "5.1.0", true),
        ("<11", "0.1.0", true),
        ("<11", "11.1.0", false),
        ("<1.1", "0.1.0", true),
        ("<1.1", "1.1.0", false),
        ("<1.1", "1.1.1", false),
        ("<=11", "1.2.3", true),
        ("<=11", "12.2.3", false),
        ("<=11", "11.2.3", true),
        ("<=1.1", "1.2.3", false),
        ("<=1.1", "0.1.0", true),
        ("<=1.1", "1.1.0", true),
        ("<=1.1", "1.1.1", true),
        (">1.1", "4.1.0", true),
        (">1.1", "1.1.0", false),
        (">0", "0", false),
        (">0", "1", true),
        (">0", "0.0.1-alpha", false),
        (">0.0", "0.0.1-alpha", false),
        (">0-0", "0.0.1-alpha", false),
        (">0.0-0", "0.0.1-alpha", false),
        (">0", "0.0.0-alpha", false),
        (">0-0", "0.0.0-alpha", false),
        (">0.0.0-0", "0.0.0-alpha", true),
        (">1.2.3-alpha.1", "1.2.3-alpha.2", true),
        (">1.2.3-alpha.1", "1.3.3-alpha.2", true),
        (">11", "11.1.0", false),
        (">11.1", "11.1.0", false),
        (">11.1", "11.1.1", false),
        (">11.1", "11.2.1", true),
        (">=11", "11.1.2", true),
        (">=11.1", "11.1.2", true),
        (">=11.1", "11.0.2", false),
        (">=1.1", "4.1.0", true),
        (">=1.1", "1.1.0", true),
        (">=1.1", "0.0.9", false),
        (">=0", "0.0.1-alpha", false),
        (">=0.0", "0.0.1-alpha", false),
        (">=0-0", "0.0.1-alpha", true),
        (">=0.0-0", "0.0.1-alpha", true),
        (">=0", "0.0.0-alpha", false),
        (">=0-0", "0.0.0-alpha", true),
        (">=0.0.0-0", "0.0.0-alpha", true),
        (">=0.0.0-0", "1.2.3", true),
        (">=0.0.0-0", "3.4.5-beta.1", true),
        ("<0", "0.0.0-alpha", false),
        ("<0-z", "0.0.0-alpha", true),
        (">=0", "0", true),
        ("=0", "1", false),
        ("*", "1", true),
        ("*", "4.5.6", true),
        ("*", "1.2.3-alpha.1", false),
        ("*-0", "1.2.3-alpha.1", true),
        ("2.*", "1", false),
        ("2.*", "3.4.5", false),
        ("2.*", "2.1.1", true),
        ("2.1.*", "2.1.1", true),
        ("2.1.*", "2.2.1", false),
        ("", "1", true),
        ("", "4.5.6", true),
        ("", "1.2.3-alpha.1", false),
        ("2", "1", false),
        ("2", "3.4.5", false),
        ("2", "2.1.1", true),
        ("2.1", "2.1.1", true),
        ("2.1", "2.2.1", false),
        ("~1.2.3", "1.2.4", true),
        ("~1.2.3", "1.3.4", false),
        ("~1.2", "1.2.4", true),
        ("~1.2", "1.3.4", false),
        ("~1", "1.2.4", true),
        ("~1", "2.3.4", false),
        ("~0.2.3", "0.2.5", true),
        ("~0.2.3", "0.3.5", false),
        ("~1.2.3-beta.2", "1.2.3-beta.4", true),
        ("~1.2.3-beta.2", "1.2.4-beta.2", true),
        ("~1.2.3-beta.2", "1.3.4-beta.2", false),
        ("^1.2.3", "1.8.9", true),
        ("^1.2.3", "2.8.9", false),
        ("^1.2.3", "1.2.1", false),
        ("^1.1.0", "2.1.0", false),
        ("^1.2.0", "2.2.1", false),
        ("^1.2.0", "1.2.1-alpha.1", false),
        ("^1.2.0-alpha.0", "1.2.1-alpha.1", true),
        ("^1.2.0-alpha.0", "1.2.1-alpha.0", true),
        ("^1.2.0-alpha.2", "1.2.0-alpha.1", false),
        ("^1.2", "1.8.9", true),
        ("^1.2", "2.8.9", false),
        ("^1", "1.8.9", true),
        ("^1", "2.8.9", false),
        ("^0.2.3", "0.2.5", true),
        ("^0.2.3", "0.5.6", false),
        ("^0.2", "0.2.5", true),
        ("^0.2", "0.5.6", false),
        ("^0.0.3", "0.0.3", true),
        ("^0.0.3", "0.0.4", false),
        ("^0.0", "0.0.3", true),
        ("^0.0", "0.1.4", false),
        ("^0.0", "1.0.4", false),
        ("^0", "0.2.3", true),
        ("^0", "1.1.4", false),
        ("^0.2.3-beta.2", "0.2.3-beta.4", true),
        ("^0.2.3-beta.2", "0.2.4-beta.2", true),
        ("^0.2.3-beta.2", "0.3.4-beta.2", false),
        ("^0.2.3-beta.2", "0.2.3-beta.2", true),
    ];
    for (c, v, want) in cases {
        let con = parse_constraint(c).unwrap_or_else(|e| panic!("{c}: {e}"));
        assert_eq!(con.check(&Version::parse(v).unwrap()), want, "{c:?} {v:?}");
    }
}

#[test]
fn constraint_groups() {
    let cases = [
        ("*", "1.2.3", true),
        ("~0.0.0", "1.2.3", true),
        ("0.x.x", "1.2.3", false),
        ("0.0.x", "1.2.3", false),
        ("0.0.0", "1.2.3", false),
        ("^0.0.0", "1.2.3", false),
        ("= 2.0", "1.2.3", false),
        ("= 2.0", "2.0.0", true),
        ("4.1.x", "4.1.3", true),
        ("1.x", "1.4", true),
        ("!=4.1-alpha", "4.1.0-alpha", false),
        ("!=4.1-alpha", "4.1.1-alpha", false),
        ("!=4.x", "5.1.0", true),
        ("!=4.x", "4.1.0", false),
        ("!=4.1.x", "4.2.0", true),
        ("!=4.2.x", "4.2.3", false),
        ("<1.x", "1.1.1", false),
        ("<1.x", "0.1.1", true),
        ("<1.x", "2.0.0", false),
        ("<1.1.x", "1.2.1", false),
        ("<1.1.x", "1.1.500", false),
        ("<1.1.x", "1.0.500", true),
        ("<1.2.x", "1.1.1", true),
        (">=1.1", "4.1.0-beta", false),
        ("<=1.1", "0.1.0-alpha", false),
        ("<=1.1-a", "0.1.0-alpha", true),
        ("<=1.x", "1.1.0", true),
        ("<=2.x", "3.0.0", false),
        ("<=1.1.x", "1.2.500", false),
        ("<=4.5", "3.4.0", true),
        ("<=4.5", "3.7.0", true),
        ("<=4.5", "4.6.3", false),
        (">1.1, <2", "1.1.1", false),
        (">1.1, <2", "1.2.1", true),
        (">1.1, <3", "4.3.2", false),
        (">=1.1, <2, !=1.2.3", "1.2.3", false),
        (">1.1 <2", "1.2.1", true),
        (">1.1    <3", "4.3.2", false),
        (">=1.1    <2    !=1.2.3", "1.2.3", false),
        (">=1.1, <2, !=1.2.3 || > 3", "4.1.2", true),
        (">=1.1, <2, !=1.2.3 || > 3", "3.1.2", false),
        (">=1.1, <2, !=1.2.3 || >= 3", "3.0.0", true),
        (">=1.1, <2, !=1.2.3 || > 3", "3.0.0", false),
        (">=1.1 <2 !=1.2.3 || > 3", "1.2.3", false),
        ("> 1.1, <     2", "1.1.1", false),
        (">   1.1, <2", "1.2.1", true),
        (">= 1.1 <2 != 1.2.3 || >= 3", "3.0.0", true),
        (">=1.1 < 2 !=1.2.3 || > 3", "1.2.3", false),
        ("1.1 - 2", "1.1.1", true),
        ("1.5.0 - 4.5", "3.7.0", true),
        ("1.1-3", "4.3.2", false),
        ("^1.1", "1.1.1", true),
        ("^1.1", "4.3.2", false),
        ("^1.x", "1.1.1", true),
        ("^2.x", "1.1.1", false),
        ("^1.x", "2.1.1", false),
        ("^1.x", "1.1.1-beta1", false),
        ("^1.1.2-alpha", "1.2.1-beta1", true),
        ("^1.2.x-alpha", "1.1.1-beta1", false),
        ("^0.0.1", "0.0.1", true),
        ("^0.0.1", "0.3.1", false),
        ("~*", "2.1.1", true),
        ("~1", "2.1.1", false),
        ("~1", "1.3.5", true),
        ("~1", "1.4", true),
        ("~1.x", "2.1.1", false),
        ("~1.x", "1.3.5", true),
        ("~1.1", "1.1.1-alpha", false),
        ("~1.1-alpha", "1.1.1-beta", true),
        ("~1.1.1-beta", "1.1.1-alpha", false),
        ("~1.1.1-beta", "1.1.1", true),
        ("~1.2.3", "1.2.2", false),
        ("~1.3", "2.4.5", false),
        ("1.0.0 - 2.0.0 <=2.0.0", "1.5.0", true),
        ("1.0.0 - 2.0.0, <=2.0.0", "1.5.0", true),
    ];
    for (c, v, want) in cases {
        assert_eq!(check(c, v), want, "{c:?} {v:?}");
    }
}

#[test]
fn constraint_parsing() {
    let ok = [
        (">= 1.1", 1, 1),
        (">40.50.60, < 50.70", 1, 2),
        ("2.0", 1, 1),
        ("v2.3.5-20161202202307-sha.e8fc5e5", 1, 1),
        (">= 1.2.3 < 2.0", 1, 2),
        (">= 1.2.3 < 2.0 || => 3.0 < 4", 2, 2),
        (">= 1.2.3, < 2.0", 1, 2),
        (">= 1.2.3, < 2.0 || => 3.0, < 4", 2, 2),
        ("3 - 4 || => 3.0, < 4", 2, 2),
        ("12.3.34 ~1.2.3", 1, 2),
        ("1.0.0 - 2.0.0, <=2.0.0", 1, 3),
    ];
    for (input, ors, ands) in ok {
        let c = Constraints::parse(input).unwrap_or_else(|e| panic!("{input}: {e}"));
        assert_eq!((c.0.len(), c.0[0].len()), (ors, ands), "{input}");
    }
    for bad in [
        ">= bar",
        "BAR >= 1.2.3",
        "12.3.4.1234",
        "12.23.4.1234",
        "12.3.34.1234",
        "12.3.34~ 1.2.3",
        "",
    ] {
        let e = Constraints::parse(bad).unwrap_err();
        assert_eq!(e.to_string(), format!("improper constraint: {bad}"));
    }
    let ranges = [
        ("2 - 3", ">= 2, <= 3 "),
        ("2 - 3, 2 - 3", ">= 2, <= 3 ,>= 2, <= 3 "),
        ("2 - 3, 4.0.0 - 5.1", ">= 2, <= 3 ,>= 4.0.0, <= 5.1 "),
        ("2 - 3 4.0.0 - 5.1", ">= 2, <= 3 >= 4.0.0, <= 5.1 "),
        ("1.0.0 - 2.0.0 <=2.0.0", ">= 1.0.0, <= 2.0.0 <=2.0.0"),
    ];
    for (input, want) in ranges {
        assert_eq!(rewrite_range(input), want);
    }
}

// sprig semver_test.go
#[test]
fn sprig_functions() {
    let cmp = |c: &str, v: &str| call("semverCompare", &[s(c), s(v)]);
    assert!(matches!(cmp("1.2.3", "1.2.3"), Ok(Value::Bool(true))));
    assert!(matches!(cmp("^1.2.0", "1.2.3"), Ok(Value::Bool(true))));
    assert!(matches!(cmp("^1.2.0", "2.2.3"), Ok(Value::Bool(false))));
    assert_eq!(
        cmp("badConstraint", "1.2.3").unwrap_err().to_string(),
        "improper constraint: badConstraint"
    );
    assert_eq!(
        cmp("1.2.0", "badVersion").unwrap_err().to_string(),
        "Invalid Semantic Version"
    );

    let ver = |v: &str| call("semver", &[s(v)]).unwrap();
    let Value::Object(o) = ver("v1.2.3-beta.1+c0ff33") else {
        panic!("semver returns an object")
    };
    assert_eq!(o.type_name(), "*semver.Version");
    assert_eq!(o.fmt_v(), "1.2.3-beta.1+c0ff33");
    assert!(matches!(o.field("Major"), Some(Value::Uint(1, _))));
    assert!(matches!(o.field("Minor"), Some(Value::Uint(2, _))));
    assert!(matches!(o.field("Patch"), Some(Value::Uint(3, _))));
    assert_eq!(
        o.field("Prerelease").unwrap().as_str().as_deref(),
        Some("beta.1")
    );
    assert_eq!(
        o.field("Metadata").unwrap().as_str().as_deref(),
        Some("c0ff33")
    );
    assert_eq!(
        o.field("Original").unwrap().as_str().as_deref(),
        Some("v1.2.3-beta.1+c0ff33")
    );
    assert!(o.field("Nope").is_none());
    let Some(Value::Object(next)) = o.field("IncMinor") else {
        panic!()
    };
    assert_eq!(next.fmt_v(), "1.3.0");
    assert_eq!(
        next.field("Original").unwrap().as_str().as_deref(),
        Some("v1.3.0")
    );
    let Some(Value::Object(next)) = o.field("IncPatch") else {
        panic!()
    };
    assert_eq!(next.fmt_v(), "1.2.3");

    let compare = |a: &str, b: &str| {
        let Value::Object(a) = ver(a) else { panic!() };
        match a.method("Compare", &[ver(b)]) {
            Some(Ok(Value::Int(i, _))) => i,
            other => panic!("{other:?}"),
        }
    };
    assert_eq!(compare("1.2.3", "1.2.3"), 0);
    assert_eq!(compare("1.3.3", "1.2.3"), 1);
    assert_eq!(compare("1.2.3", "1.4.3"), -1);
    let e = o.method("Compare", &[s("1.2.3")]).unwrap().unwrap_err();
    assert_eq!(
        e.to_string(),
        "wrong type for value; expected *semver.Version; got string"
    );
    assert!(matches!(
        o.method("LessThan", &[ver("2.0.0")]),
        Some(Ok(Value::Bool(true)))
    ));
    assert!(call("semver", &[s("1.2.beta")]).is_err());
}
