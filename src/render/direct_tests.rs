//! Unit tests of the owner-controlled direct-mode policy ([`super::direct_grant`]).

use std::collections::BTreeMap;
use std::time::Duration;

use super::*;
use crate::connector::types::ConnectorSpec;

fn connector(annotations: &[(&str, &str)]) -> Connector {
    let mut c = Connector::new("remote", ConnectorSpec::default());
    c.metadata.namespace = Some("team".into());
    if !annotations.is_empty() {
        c.metadata.annotations = Some(
            annotations
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
        );
    }
    c
}

fn request(params: &[(&str, &str)]) -> RenderRequest {
    let mut req = RenderRequest {
        configurations: vec!["tokenfile".into()],
        pod_namespace: "apps".into(),
        ..Default::default()
    };
    if !params.is_empty() {
        req.params.insert(
            "tokenfile".into(),
            params
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect::<BTreeMap<_, _>>(),
        );
    }
    req
}

fn grant(ns: &str, name: &str, secs: u64) -> Option<DirectGrant> {
    Some(DirectGrant {
        namespace: ns.into(),
        name: name.into(),
        duration: Duration::from_secs(secs),
    })
}

const LIST: (&str, &str) = (ANNOTATION_SERVICE_ACCOUNTS, "ci/deployer, ci/reader");

#[test]
fn proxy_mode_never_consults_the_policy() {
    let c = connector(&[]);
    for params in [&[][..], &[("mode", "proxy")][..]] {
        assert_eq!(direct_grant(&c, &request(params)).unwrap(), None);
    }
    // tokenfile not among the configurations: nothing to mint, whatever the params say.
    let mut req = request(&[("serviceAccount", "kube-system/admin")]);
    req.configurations = vec!["kubeconfig".into()];
    assert_eq!(direct_grant(&c, &req).unwrap(), None);
}

#[test]
fn listed_service_accounts_and_the_default_are_granted() {
    let c = connector(&[LIST]);
    let cases: &[(&[(&str, &str)], Option<DirectGrant>)] = &[
        (&[("mode", "direct")], grant("ci", "deployer", 3600)),
        (
            &[("serviceAccount", "ci/reader")],
            grant("ci", "reader", 3600),
        ),
        (
            &[
                ("mode", "direct"),
                ("serviceAccount", "ci/deployer"),
                ("duration", "20m"),
            ],
            grant("ci", "deployer", 1200),
        ),
        (
            &[("mode", "direct"), ("duration", "24h")],
            grant("ci", "deployer", 86400),
        ),
    ];
    for (params, want) in cases {
        assert_eq!(
            &direct_grant(&c, &request(params)).unwrap(),
            want,
            "{params:?}"
        );
    }
}

#[test]
fn a_service_account_outside_the_list_is_denied_naming_the_owner() {
    let c = connector(&[LIST]);
    let err = direct_grant(&c, &request(&[("serviceAccount", "kube-system/admin")])).unwrap_err();
    let RenderError::PermissionDenied(msg) = &err else {
        panic!("want PermissionDenied, got {err:?}");
    };
    for want in [
        "kube-system/admin",
        "ci/deployer, ci/reader",
        ANNOTATION_SERVICE_ACCOUNTS,
        "whoever manages Connector team/remote",
    ] {
        assert!(msg.contains(want), "{want:?} missing from {msg}");
    }
}

#[test]
fn without_an_allowlist_direct_mode_is_off() {
    for annotations in [&[][..], &[(ANNOTATION_SERVICE_ACCOUNTS, "  ")][..]] {
        let c = connector(annotations);
        for params in [
            &[("serviceAccount", "ci/deployer")][..],
            &[("mode", "direct")][..],
        ] {
            let err = direct_grant(&c, &request(params)).unwrap_err();
            let RenderError::PermissionDenied(msg) = &err else {
                panic!("want PermissionDenied, got {err:?}");
            };
            assert!(
                msg.contains("does not allow tokenfile direct mode")
                    && msg.contains(ANNOTATION_SERVICE_ACCOUNTS)
                    && msg.contains("may update connectors in namespace team"),
                "{msg}"
            );
        }
    }
}

#[test]
fn the_owner_lowers_the_maximum_and_the_default_follows() {
    let c = connector(&[LIST, (ANNOTATION_MAX_DURATION, "30m")]);
    assert_eq!(
        direct_grant(&c, &request(&[("mode", "direct")])).unwrap(),
        grant("ci", "deployer", 1800),
        "the 1h default is capped by the owner's maximum"
    );
    assert_eq!(
        direct_grant(&c, &request(&[("mode", "direct"), ("duration", "30m")])).unwrap(),
        grant("ci", "deployer", 1800)
    );
    let err = direct_grant(&c, &request(&[("mode", "direct"), ("duration", "45m")])).unwrap_err();
    let msg = err.to_string();
    assert!(matches!(err, RenderError::PermissionDenied(_)));
    assert!(
        msg.contains("45m") && msg.contains("30m") && msg.contains(ANNOTATION_MAX_DURATION),
        "{msg}"
    );
    // The driver's ceiling cannot be raised.
    let c = connector(&[LIST, (ANNOTATION_MAX_DURATION, "48h")]);
    let err = direct_grant(&c, &request(&[("mode", "direct"), ("duration", "25h")])).unwrap_err();
    assert!(err.to_string().contains("24h"), "{err}");
    assert!(err.to_string().contains("the driver's ceiling"), "{err}");
}

#[test]
fn malformed_owner_annotations_are_a_precondition_error_not_a_wildcard() {
    for (k, v, want) in [
        (ANNOTATION_SERVICE_ACCOUNTS, "ci/*", "no wildcards"),
        (ANNOTATION_SERVICE_ACCOUNTS, "deployer", "\"deployer\""),
        (
            ANNOTATION_SERVICE_ACCOUNTS,
            "ci/deployer,Kube/x",
            "\"Kube/x\"",
        ),
        (ANNOTATION_MAX_DURATION, "5m", "10m minimum"),
        (ANNOTATION_MAX_DURATION, "forever", "not a duration"),
    ] {
        let mut a = vec![LIST];
        if k == ANNOTATION_SERVICE_ACCOUNTS {
            a[0].1 = v;
        } else {
            a.push((k, v));
        }
        let err = direct_grant(&connector(&a), &request(&[("mode", "direct")])).unwrap_err();
        let RenderError::Precondition(msg) = &err else {
            panic!("{k}={v}: want Precondition, got {err:?}");
        };
        assert!(msg.contains(want) && msg.contains(k), "{k}={v}: {msg}");
    }
}

#[test]
fn pod_parameters_are_checked_before_the_policy() {
    let c = connector(&[LIST]);
    for (params, want) in [
        (
            &[("mode", "sideways")][..],
            "\"proxy\" (the default) or \"direct\"",
        ),
        (
            &[("mode", "proxy"), ("serviceAccount", "ci/deployer")][..],
            "only applies to direct mode",
        ),
        (&[("duration", "1h")][..], "only applies to direct mode"),
        (
            &[("serviceAccount", "deployer")][..],
            "\"<namespace>/<name>\"",
        ),
        (
            &[("mode", "direct"), ("duration", "5m")][..],
            "at least 10m",
        ),
    ] {
        let err = direct_grant(&c, &request(params)).unwrap_err();
        assert!(
            matches!(err, RenderError::Invalid(_)),
            "{params:?}: {err:?}"
        );
        assert!(err.to_string().contains(want), "{params:?}: {err}");
    }
}

#[test]
fn policy_parsing_dedups_and_keeps_the_first_as_default() {
    let c = connector(&[(ANNOTATION_SERVICE_ACCOUNTS, "ci/b ci/a,ci/b\n ci/c")]);
    let p = DirectPolicy::of(&c).unwrap().unwrap();
    let names: Vec<String> = p.allowed.iter().map(|(n, s)| format!("{n}/{s}")).collect();
    assert_eq!(names, ["ci/b", "ci/a", "ci/c"]);
    assert_eq!(p.max_duration, MAX_DURATION);
}

#[test]
fn direct_mode_applies_to_the_connector_whose_builtin_tokenfile_renders() {
    use crate::connector::types::ClassConfiguration;
    use crate::connector::ConnectorClass;
    use crate::render::{builtin_tokenfile_connector, ResolvedConnector};
    use std::sync::Arc;
    let resolved = |class: &str, own_tokenfile: bool| {
        let mut c = connector(&[LIST]);
        c.spec.connector_class_name = class.into();
        let mut k = ConnectorClass::new(class, Default::default());
        if own_tokenfile {
            k.spec.configurations = vec![ClassConfiguration {
                name: "tokenfile".into(),
                ..Default::default()
            }];
        }
        ResolvedConnector {
            connector: Arc::new(c),
            class: Arc::new(k),
            proxy_ca: None,
            target_ca: None,
        }
    };
    let req = request(&[("mode", "direct")]);
    let git = resolved("git", false);
    let k8s = resolved("k8s", false);
    // The first k8s connector, not simply the first one.
    assert_eq!(
        builtin_tokenfile_connector(&[git.clone(), k8s.clone()], &req),
        Some(1)
    );
    assert_eq!(builtin_tokenfile_connector(&[git.clone()], &req), None);
    // A class that defines its own tokenfile wins: no direct mode, nothing to mint.
    let custom = resolved("k8s", true);
    assert_eq!(
        builtin_tokenfile_connector(&[k8s.clone(), custom], &req),
        None
    );
    // tokenfile not requested.
    let mut other = req.clone();
    other.configurations = vec!["kubeconfig".into()];
    assert_eq!(builtin_tokenfile_connector(&[k8s], &other), None);
}
