//! Template-level tests of sprig's specialised functions (math, dates, encoding, semver, URL,
//! random, crypto, OS/network deviations) through the parser and executor; expectations from
//! sprig's `*_test.go` files and docs, and from Go 1.27 where the value is Go's own formatting.

use gotmpl::{Limits, Template, Value};

fn render(src: &str, data: serde_json::Value) -> Result<String, String> {
    let t = Template::parse("t", src, &gotmpl::sprig::funcs()).map_err(|e| e.to_string())?;
    t.execute(&Value::from_json(&data), &Limits::default())
        .map_err(|e| e.to_string())
}

fn ok(src: &str) -> String {
    render(src, serde_json::Value::Null).unwrap_or_else(|e| panic!("{src}: {e}"))
}

fn err(src: &str) -> String {
    match render(src, serde_json::Value::Null) {
        Ok(out) => panic!("{src}: expected an error, got {out:?}"),
        Err(e) => e,
    }
}

#[test]
fn math() {
    // numeric_test.go and docs/math.md
    assert_eq!(ok("{{ 3 | add 1 2 }}"), "6");
    assert_eq!(ok(r#"{{ 1 | mul "2" 3 "4" }}"#), "24");
    assert_eq!(ok("{{ add1 41 }}"), "42");
    assert_eq!(ok("{{ sub 3 5 }}"), "-2");
    assert_eq!(ok("{{ div 7 2 }} {{ mod 7 2 }}"), "3 1");
    assert_eq!(ok("{{ biggest 1 2 3 345 5 6 7 }} {{ max 345 }}"), "345 345");
    assert_eq!(ok("{{ min 1 2 3 345 5 6 7 }}"), "1");
    assert_eq!(
        ok("{{ floor 1.5 }} {{ ceil 1.5 }} {{ round 3.746 2 }}"),
        "1 2 3.75"
    );
    assert_eq!(
        ok("{{ addf 1.1 2.2 }} {{ subf 7.5 2 3 }} {{ mulf 1.5 2 2 }} {{ divf 10 2 4 }}"),
        "3.3 2.5 6 1.25"
    );
    assert_eq!(
        ok("{{ add1f 1.4 }} {{ maxf 1 2.5 }} {{ minf 1 2.5 }}"),
        "2.4 2.5 1"
    );
    let e = err("{{ div 1 0 }}");
    assert!(
        e.contains("error calling div: runtime error: integer divide by zero"),
        "{e}"
    );
    let n: i64 = ok("{{ randInt 5 10 }}").parse().unwrap();
    assert!((5..10).contains(&n));
}

#[test]
fn encodings() {
    assert_eq!(ok(r#"{{ "Hello World" | b64enc }}"#), "SGVsbG8gV29ybGQ=");
    assert_eq!(ok(r#"{{ "SGVsbG8gV29ybGQ=" | b64dec }}"#), "Hello World");
    assert_eq!(
        ok(r#"{{ "Hello World" | b32enc }}"#),
        "JBSWY3DPEBLW64TMMQ======"
    );
    assert_eq!(
        ok(r#"{{ "JBSWY3DPEBLW64TMMQ======" | b32dec }}"#),
        "Hello World"
    );
    assert_eq!(
        ok(r#"{{ "Zm9v!" | b64dec }}"#),
        "illegal base64 data at input byte 4"
    );
}

#[test]
fn semver() {
    // semver_test.go
    assert_eq!(ok(r#"{{ semverCompare "1.2.3" "1.2.3" }}"#), "true");
    assert_eq!(ok(r#"{{ semverCompare "^1.2.0" "1.2.3" }}"#), "true");
    assert_eq!(ok(r#"{{ semverCompare "^1.2.0" "2.2.3" }}"#), "false");
    assert_eq!(
        ok(r#"{{ semverCompare ">=1.0.0-0 <2.0.0-0" "1.5.0-beta.1" }}"#),
        "true"
    );
    assert!(err(r#"{{ semverCompare "badConstraint" "1.2.3" }}"#)
        .contains("improper constraint: badConstraint"));
    assert!(err(r#"{{ semverCompare "1.2.0" "badVersion" }}"#).contains("Invalid Semantic Version"));
    assert_eq!(
        ok(r#"{{ $s := semver "1.2.3-beta.1+c0ff33" }}{{ $s.Prerelease }}"#),
        "beta.1"
    );
    assert_eq!(
        ok(r#"{{ $s := semver "1.2.3-beta.1+c0ff33" }}{{ $s.Major }}"#),
        "1"
    );
    assert_eq!(
        ok(r#"{{ semver "1.2.3" | (semver "1.2.3").Compare }}"#),
        "0"
    );
    assert_eq!(
        ok(r#"{{ semver "1.2.3" | (semver "1.3.3").Compare }}"#),
        "1"
    );
    assert_eq!(
        ok(r#"{{ semver "1.4.3" | (semver "1.2.3").Compare }}"#),
        "-1"
    );
    assert_eq!(ok(r#"{{ semver "v1.2" }}"#), "1.2.0");
    assert_eq!(ok(r#"{{ (semver "v1.2").Original }}"#), "v1.2");
}

#[test]
fn dates_with_fixed_input() {
    let data = serde_json::json!({"t": 1257221106});
    let r = |src: &str| render(src, data.clone()).unwrap_or_else(|e| panic!("{src}: {e}"));
    assert_eq!(
        r(r#"{{ dateInZone "2006-01-02 15:04:05 MST" .t "UTC" }}"#),
        "2009-11-03 04:05:06 UTC"
    );
    assert_eq!(
        r(r#"{{ dateInZone "Mon Jan _2 3:04PM -07:00" .t "America/New_York" }}"#),
        "Mon Nov  2 11:05PM -05:00"
    );
    assert_eq!(r(r#"{{ htmlDateInZone .t "Asia/Tokyo" }}"#), "2009-11-03");
    assert_eq!(
        ok(r#"{{ toDate "2006-01-02" "2017-12-31" | date "02/01/2006" }}"#),
        "31/12/2017"
    );
    assert_eq!(
        ok(
            r#"{{ (mustToDate "2006-01-02T15:04:05Z07:00" "2017-12-31T10:00:00+01:00") | unixEpoch }}"#
        ),
        "1514710800"
    );
    assert_eq!(
        ok(
            r#"{{ $d := mustToDate "2006-01-02T15:04:05Z07:00" "2017-12-31T10:00:00Z" }}{{ dateInZone "15:04" ($d | dateModify "90m") "UTC" }}"#
        ),
        "11:30"
    );
    assert_eq!(
        ok(r#"{{ $d := toDate "2006-01-02" "2017-12-31" }}{{ $d.Year }} {{ $d.YearDay }}"#),
        "2017 365"
    );
    assert!(err(r#"{{ mustToDate "2006-01-02" "2017-13-01" }}"#)
        .contains("parsing time \"2017-13-01\": month out of range"));
    assert!(err(r#"{{ mustDateModify "x" now }}"#).contains("time: invalid duration \"x\""));
    assert_eq!(
        ok(r#"{{ duration "95" }} {{ durationRound "2400h5s" }}"#),
        "1m35s 3mo"
    );
    let year: i64 = ok("{{ now.Year }}").parse().unwrap();
    assert!(year >= 2024);
    assert_eq!(
        ok(r#"{{ $d := toDate "2006-01-02" "2017-12-31" }}{{ $d.Month }} {{ $d.Weekday }}"#),
        "December Sunday"
    );
    assert_eq!(
        ok(r#"{{ (toDate "2006-01-02" "2017-12-31").Format "Jan 2, 2006" }}"#),
        "Dec 31, 2017"
    );
    let u = ok(r#"{{ toDate "2006-01-02" "2017-12-31" }}"#);
    assert!(u.starts_with("2017-12-31 00:00:00 "), "{u}");
}

#[test]
fn urls() {
    // url_test.go
    assert_eq!(
        ok(r#"{{ index ( urlParse "proto://auth@host:80/path?query#fragment" ) "host" }}"#),
        "host:80"
    );
    assert_eq!(
        ok(
            r#"{{ urlJoin (dict "fragment" "fragment" "host" "host:80" "path" "/path" "query" "query" "scheme" "proto") }}"#
        ),
        "proto://host:80/path?query#fragment"
    );
    assert_eq!(
        ok(
            r#"{{ urlJoin (dict "fragment" "fragment" "host" "host:80" "path" "/path" "scheme" "proto" "userinfo" "ASDJKJSD") }}"#
        ),
        "proto://ASDJKJSD@host:80/path#fragment"
    );
    assert_eq!(ok(r#"{{ (urlParse "https://u:p@h/a%20b").path }}"#), "/a b");
    assert!(err(r#"{{ urlParse "http://h:port/" }}"#).contains(
        "unable to parse url: parse \"http://h:port/\": invalid port \":port\" after host"
    ));
}

#[test]
fn random_and_uuid() {
    assert_eq!(ok("{{ randAlphaNum 10 | len }} {{ randAlpha 5 | len }} {{ randNumeric 3 | len }} {{ randAscii 7 | len }}"), "10 5 3 7");
    assert_eq!(ok("{{ uuidv4 | len }}"), "36");
    // 12 random bytes are 16 base64 characters.
    assert_eq!(ok("{{ randBytes 12 | len }}"), "16");
}

#[test]
fn os_network_and_flow_deviations() {
    assert_eq!(ok(r#"[{{ env "HOME" }}]"#), "[]");
    assert_eq!(
        ok(r#"{{ expandenv "home=$HOME path=${PATH} cost=$$" }}"#),
        "home= path= cost="
    );
    let e = err(r#"{{ getHostByName "example.com" }}"#);
    assert!(
        e.contains("getHostByName is disabled: templates must not make network calls"),
        "{e}"
    );
    let e = err(r#"{{ fail "value is required" }}"#);
    assert!(e.contains("error calling fail: value is required"), "{e}");
}

#[test]
fn crypto() {
    // crypto_test.go
    assert_eq!(
        ok(r#"{{ "abc" | sha1sum }}"#),
        "a9993e364706816aba3e25717850c26c9cd0d89d"
    );
    assert_eq!(
        ok(r#"{{ "abc" | sha256sum }}"#),
        "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
    );
    assert_eq!(ok(r#"{{ "abc" | adler32sum }}"#), "38600999");
    assert_eq!(
        ok(r#"{{ derivePassword 1 "long" "password" "user" "example.com" }}"#),
        "ZedaFaxcZaso9*"
    );
    assert_eq!(
        ok(r#"{{ "plaintext" | encryptAES "secretkey" | decryptAES "secretkey" }}"#),
        "plaintext"
    );
    let out = ok(
        r#"{{ $ca := genPrivateKey "ecdsa" | genCAWithKey "foo-ca" 365 }}{{ $c := genPrivateKey "ed25519" | genSignedCertWithKey "foo.com" (list "10.0.0.1") (list "bar.com") 365 $ca }}{{ $c.Cert }}{{ $c.Key }}"#,
    );
    assert!(out.starts_with("-----BEGIN CERTIFICATE-----\n"), "{out}");
    assert!(
        out.contains("-----END CERTIFICATE-----\n-----BEGIN PRIVATE KEY-----\n"),
        "{out}"
    );
    let h = ok(r#"{{ htpasswd "myUser" "myPassword" }}"#);
    assert!(h.starts_with("myUser:$2a$10$"), "{h}");
}

/// Every name in sprig v3.3.0's `TxtFuncMap()` (functions.go, plus `sha512sum` from 3.3.0).
#[test]
fn every_sprig_v3_function_is_registered() {
    const NAMES: &str = "hello ago date date_in_zone date_modify dateInZone dateModify duration durationRound \
        htmlDate htmlDateInZone must_date_modify mustDateModify mustToDate now toDate unixEpoch \
        abbrev abbrevboth trunc trim upper lower title untitle substr repeat trimall trimAll trimSuffix \
        trimPrefix nospace initials randAlphaNum randAlpha randAscii randNumeric swapcase shuffle \
        snakecase camelcase kebabcase wrap wrapWith contains hasPrefix hasSuffix quote squote cat \
        indent nindent replace plural sha1sum sha256sum sha512sum adler32sum toString atoi int64 int \
        float64 seq toDecimal split splitList splitn toStrings until untilStep add1 add sub div mod \
        mul randInt add1f addf subf divf mulf biggest max min maxf minf ceil floor round join \
        sortAlpha default empty coalesce all any compact mustCompact fromJson toJson toPrettyJson \
        toRawJson mustFromJson mustToJson mustToPrettyJson mustToRawJson ternary deepCopy \
        mustDeepCopy typeOf typeIs typeIsLike kindOf kindIs deepEqual env expandenv getHostByName \
        base dir clean ext isAbs osBase osClean osDir osExt osIsAbs b64enc b64dec b32enc b32dec \
        tuple list dict get set unset hasKey pluck keys pick omit merge mergeOverwrite mustMerge \
        mustMergeOverwrite values append push mustAppend mustPush prepend mustPrepend first \
        mustFirst rest mustRest last mustLast initial mustInitial reverse mustReverse uniq mustUniq \
        without mustWithout has mustHas slice mustSlice concat dig chunk mustChunk bcrypt htpasswd \
        genPrivateKey derivePassword buildCustomCert genCA genCAWithKey genSelfSignedCert \
        genSelfSignedCertWithKey genSignedCert genSignedCertWithKey encryptAES decryptAES randBytes \
        uuidv4 semver semverCompare fail regexMatch mustRegexMatch regexFindAll mustRegexFindAll \
        regexFind mustRegexFind regexReplaceAll mustRegexReplaceAll regexReplaceAllLiteral \
        mustRegexReplaceAllLiteral regexSplit mustRegexSplit regexQuoteMeta urlParse urlJoin";
    let funcs = gotmpl::sprig::funcs();
    let missing: Vec<&str> = NAMES
        .split_whitespace()
        .filter(|n| funcs.get(n).is_none())
        .collect();
    assert!(missing.is_empty(), "not registered: {missing:?}");
}
