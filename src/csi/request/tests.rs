//! Unit tests of request validation: attribute parsing, target paths, capabilities and modes.

use super::*;
use std::collections::HashMap;

fn ctx(pairs: &[(&str, &str)]) -> HashMap<String, String> {
    let mut m: HashMap<String, String> = pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    m.entry(POD_NAMESPACE.into())
        .or_insert_with(|| "team".into());
    m
}

fn parse(pairs: &[(&str, &str)]) -> Result<VolumeSpec, String> {
    parse_attributes(&ctx(pairs), 0o440).map_err(|e| e.0)
}

#[test]
fn unknown_attributes_are_ignored_with_one_warning_naming_them() {
    // The original driver ignores attributes it does not know; so does this one, but it says
    // so in the pod's ConnectorVolumeWarning event.
    let s = parse(&[
        ("connectors", "a"),
        ("foo.bar", "1"),
        ("example.com/owner", "team-a"),
        ("csi.storage.k8s.io/pod.name", "p"),
    ])
    .unwrap();
    assert_eq!(s.connectors, vec![ObjectKey::new("team", "a")]);
    assert_eq!(s.warnings.len(), 1, "{:?}", s.warnings);
    assert!(
        s.warnings[0]
            .starts_with("ignored unknown volume attribute(s) \"example.com/owner\", \"foo.bar\""),
        "{:?}",
        s.warnings
    );
    assert!(!s.warnings[0].contains("csi.storage.k8s.io"));
    assert!(parse(&[("connectors", "a")]).unwrap().warnings.is_empty());
    // Still refused: what is malformed, not merely unknown.
    assert!(parse(&[("connectors", "a"), ("configuration.params", "{")]).is_err());
    assert!(parse(&[("connectors", "A_B")]).is_err());
}

#[test]
fn connector_name_defaults_to_pod_namespace() {
    let s = parse(&[
        ("connector.name", "k8s-a"),
        ("configuration.names", "kubeconfig"),
    ])
    .unwrap();
    assert_eq!(s.connectors, vec![ObjectKey::new("team", "k8s-a")]);
    assert_eq!(s.render.configurations, vec!["kubeconfig"]);
    assert_eq!(s.token_expiration, Duration::from_secs(1800));
    assert_eq!(s.file_mode, 0o440);
    let s = parse(&[("connector.name", "a"), ("connector.namespace", "other")]).unwrap();
    assert_eq!(s.connectors, vec![ObjectKey::new("other", "a")]);
}

#[test]
fn connectors_list_and_exclusions_and_params() {
    let s = parse(&[
        ("connectors", "ns1/a, b"),
        ("configuration.names", "kubeconfig,!.env, gitconfig"),
        (
            "configuration.params",
            r#"{"npmrc":{"strict-ssl":false,"registry":"x"}}"#,
        ),
        ("token.expiration", "1h"),
        ("file.mode", "0400"),
    ])
    .unwrap();
    assert_eq!(
        s.connectors,
        vec![ObjectKey::new("ns1", "a"), ObjectKey::new("team", "b")]
    );
    assert_eq!(s.render.configurations, vec!["kubeconfig", "gitconfig"]);
    assert_eq!(s.render.exclusions, vec![".env"]);
    assert_eq!(s.render.params["npmrc"]["strict-ssl"], "false");
    assert_eq!(s.token_expiration, Duration::from_secs(3600));
    assert_eq!(s.file_mode, 0o400);
}

#[test]
fn every_attribute_error_says_what_to_fix() {
    let cases: &[(&[(&str, &str)], &str)] = &[
        (&[], "connectors or connector.name is required"),
        (&[("connectors", " , ")], "connectors is empty"),
        (&[("connectors", "a,a")], "listed twice"),
        (&[("connectors", "a"), ("connector.name", "b")], "not both"),
        (
            &[("connector.name", "Bad_Name")],
            "not a valid Kubernetes object name",
        ),
        (
            &[("connector.name", "a"), ("configuration.names", "x,x")],
            "listed twice",
        ),
        (
            &[("connector.name", "a"), ("configuration.names", "!../x")],
            "does not name a file",
        ),
        (
            &[("connector.name", "a"), ("configuration.params", "{nope")],
            "not valid JSON",
        ),
        (
            &[("connector.name", "a"), ("configuration.params", "[1]")],
            "must be a JSON object",
        ),
        (
            &[
                ("connector.name", "a"),
                ("configuration.params", r#"{"c":1}"#),
            ],
            "must be an object",
        ),
        (
            &[
                ("connector.name", "a"),
                ("configuration.params", r#"{"c":{"p":[1]}}"#),
            ],
            "string, number or boolean",
        ),
        (
            &[("connector.name", "a"), ("token.expiration", "5m")],
            "minimum 10m",
        ),
        (
            &[("connector.name", "a"), ("token.expiration", "tomorrow")],
            "not a duration",
        ),
        (
            &[("connector.name", "a"), ("file.mode", "0777")],
            "0400, 0440 or 0444",
        ),
        (
            &[("connector.name", "a"), ("connectorName", "a")],
            "unknown volume attribute \"connectorName\": did you mean \"connector.name\"?",
        ),
        (
            &[
                ("connector.name", "a"),
                ("configuration.name", "kubeconfig"),
            ],
            "did you mean \"configuration.names\"?",
        ),
        (&[("connector", "a")], "did you mean \"connectors\"?"),
        (
            &[("connector.name", "a"), ("Token_Expiration", "1h")],
            "did you mean \"token.expiration\"?",
        ),
    ];
    for (pairs, want) in cases {
        let err = parse(pairs).unwrap_err();
        assert!(err.contains(want), "{pairs:?}: {err}");
    }
    let mut no_ns = HashMap::new();
    no_ns.insert("connector.name".to_string(), "a".to_string());
    assert!(parse_attributes(&no_ns, 0o440)
        .unwrap_err()
        .0
        .contains("podInfoOnMount"));
}

fn cfg() -> ValidationConfig {
    ValidationConfig {
        kubelet_dir: "/var/lib/kubelet".into(),
        allow_any_target: false,
        default_file_mode: 0o440,
    }
}

#[test]
fn target_path_rules() {
    let ok = "/var/lib/kubelet/pods/u/volumes/kubernetes.io~csi/v/mount";
    assert_eq!(validate_target(ok, &cfg()).unwrap(), PathBuf::from(ok));
    for (bad, want) in [
        ("", "required"),
        ("relative/path", "absolute"),
        ("/var/lib/kubelet/../etc", "normalised"),
        ("/var/lib/kubelet/./x", "normalised"),
        ("/var/lib/kubelet//x", "normalised"),
        ("/var/lib/kubelet/x/", "normalised"),
        ("/etc/passwd", "outside the kubelet directory"),
        ("/var/lib/kubelet", "outside the kubelet directory"),
        (
            "/var/lib/kubelet/plugins/x",
            "outside the kubelet directory",
        ),
        ("/var/lib/kubelet/pods", "outside the kubelet directory"),
        ("/var/lib/kubelet/a\0b", "NUL"),
        ("/", "must not be /"),
    ] {
        let err = validate_target(bad, &cfg()).unwrap_err().0;
        assert!(err.contains(want), "{bad:?}: {err}");
    }
    let t = tempfile::tempdir().unwrap();
    std::os::unix::fs::symlink("/etc", t.path().join("link")).unwrap();
    let c = ValidationConfig {
        allow_any_target: true,
        ..cfg()
    };
    let p = format!("{}/link/x", t.path().canonicalize().unwrap().display());
    assert!(validate_target(&p, &c)
        .unwrap_err()
        .0
        .contains("symbolic link"));
}

#[test]
fn file_mode_defaults_follow_the_fs_group() {
    let publish = |group: &str, mode: Option<&str>| {
        let mut attrs = vec![
            ("connector.name", "a"),
            ("csi.storage.k8s.io/pod.namespace", "team"),
            ("csi.storage.k8s.io/ephemeral", "true"),
        ];
        if let Some(m) = mode {
            attrs.push(("file.mode", m));
        }
        let req = proto::NodePublishVolumeRequest {
            volume_id: "v".into(),
            target_path: "/var/lib/kubelet/pods/u/volumes/kubernetes.io~csi/v/mount".into(),
            readonly: true,
            volume_capability: Some(proto::VolumeCapability {
                access_type: Some(proto::volume_capability::AccessType::Mount(
                    proto::volume_capability::MountVolume {
                        volume_mount_group: group.into(),
                        ..Default::default()
                    },
                )),
                access_mode: None,
            }),
            volume_context: ctx(&attrs),
            ..Default::default()
        };
        validate_publish(&req, &cfg()).unwrap().spec.file_mode
    };
    // With an fsGroup the group reads; without one, everyone (no group could let the pod in).
    assert_eq!(publish("2000", None), 0o440);
    assert_eq!(publish("", None), 0o444);
    // An explicit file.mode is kept as given, with or without an fsGroup.
    for m in ["0400", "0440", "0444"] {
        let want = u32::from_str_radix(m, 8).unwrap();
        assert_eq!(publish("", Some(m)), want, "{m} without fsGroup");
        assert_eq!(publish("2000", Some(m)), want, "{m} with fsGroup");
    }
    assert_eq!(mode_without_fs_group(0o400), 0o400);
    assert_eq!(mode_without_fs_group(0o440), 0o444);
}
