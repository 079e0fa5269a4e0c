//! Unit tests of the directory source: redaction, document parsing and token files.

use super::*;

#[test]
fn redaction_hides_quoted_values() {
    assert_eq!(
        redact_quoted(r#"invalid type: string "s3cr\"et", expected a map at line 3"#),
        r#"invalid type: string "…", expected a map at line 3"#
    );
}

#[test]
fn jwt_claims_are_read_without_verification() {
    let b64 = |s: &str| base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(s);
    let jwt = format!(
        "{}.{}.sig",
        b64(r#"{"alg":"RS256"}"#),
        b64(r#"{"exp":1900000000,"iat":1800000000}"#)
    );
    assert_eq!(jwt_times(&jwt), Some((Some(1800000000), 1900000000)));
    assert_eq!(jwt_times("opaque-token"), None);
    assert_eq!(jwt_times("a.b.c.d"), None);
}

#[test]
fn documents_parse_and_string_data_merges() {
    let objs = parse_documents(
        r#"
apiVersion: v1
kind: Secret
metadata: {name: s}
data: {a: YQ==}
stringData: {b: bee}
---
---
kind: ConfigMap
metadata: {name: ignored}
---
kind: List
items:
- {kind: Namespace, metadata: {name: team, labels: {cpaas.io/project: p}}}
"#,
    )
    .unwrap();
    assert_eq!(objs.len(), 2);
    let FileObject::Secret(s) = &objs[0] else {
        panic!("secret first")
    };
    assert_eq!(s.metadata.namespace.as_deref(), Some("default"));
    let data = s.data.as_ref().unwrap();
    assert_eq!(data["a"].0, b"a");
    assert_eq!(data["b"].0, b"bee");
    assert!(s.string_data.is_none());
    let FileObject::Namespace(n, labels) = &objs[1] else {
        panic!("namespace second")
    };
    assert_eq!(
        (n.as_str(), labels["cpaas.io/project"].as_str()),
        ("team", "p")
    );
}

#[test]
fn parse_errors_do_not_echo_values() {
    let err = parse_documents(
        "kind: Secret\nmetadata: {name: s}\ndata: {token: \"not base64 !!hunter2\"}\n",
    )
    .unwrap_err();
    assert!(err.contains("document 1"), "{err}");
    assert!(!err.contains("hunter2"), "{err}");
}
