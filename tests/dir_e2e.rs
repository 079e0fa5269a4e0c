//! End to end with the directory source over deploy/examples: every example class configuration
//! published through gRPC onto real tmpfs yields exactly the golden files of the renderer, and the
//! mounted kubeconfig loads with kube's kubeconfig parser.

use std::collections::BTreeMap;
use std::path::Path;

use connectors_csi::connector::dir::DirSource;
use test_support::*;

/// The token the render golden files were made with.
const GOLDEN_TOKEN: &str = "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJzeXN0ZW06c2VydmljZWFjY291bnQ6YXBwczpidWlsZGVyIn0.ZmFrZS1zaWduYXR1cmU";

fn golden(case: &str) -> BTreeMap<String, Vec<u8>> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/golden/render")
        .join(case);
    std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| {
            let e = e.unwrap();
            (
                e.file_name().to_string_lossy().into_owned(),
                std::fs::read(e.path()).unwrap(),
            )
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_example_configuration_mounts_its_golden_files() {
    if !require_root("every_example_configuration_mounts_its_golden_files") {
        return;
    }
    let examples = Path::new(env!("CARGO_MANIFEST_DIR")).join("deploy/examples");
    let source = DirSource::open(examples, None).await.unwrap();
    let mut t = TestDriver::start(source).await;
    let cases = [
        ("k8s-demo", "kubeconfig", "k8s-kubeconfig"),
        ("git-demo", "gitconfig", "git-gitconfig"),
        ("oci-demo", "registry-config", "oci-registry-config"),
        ("npm-demo", "npmrc", "npm-npmrc"),
        ("maven-demo", "settings", "maven-settings"),
        ("pypi-demo", "pipconf", "pypi-pipconf"),
    ];
    for (i, (connector, configuration, case)) in cases.iter().enumerate() {
        let vol = format!("vol-ex{i}");
        let target = t.target(&vol);
        let mut req = publish_request(
            &vol,
            &target,
            &[
                ("connector.name", connector),
                ("configuration.names", configuration),
            ],
            GOLDEN_TOKEN,
        );
        req.volume_context
            .insert("csi.storage.k8s.io/pod.namespace".into(), "default".into());
        t.node
            .node_publish_volume(req)
            .await
            .unwrap_or_else(|e| panic!("{case}: {e:?}"));
        let mounted_files: BTreeMap<String, Vec<u8>> = std::fs::read_dir(&target)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .filter(|n| !n.starts_with(".."))
            .map(|n| {
                let data = std::fs::read(target.join(&n)).unwrap();
                (n, data)
            })
            .collect();
        assert_eq!(
            mounted_files,
            golden(case),
            "{case}: mounted files differ from the golden render"
        );
        if *configuration == "kubeconfig" {
            let kc = kube::config::Kubeconfig::read_from(target.join("kubeconfig")).unwrap();
            let cluster = kc.clusters[0].cluster.as_ref().unwrap();
            assert!(cluster
                .proxy_url
                .as_deref()
                .unwrap()
                .contains("default%2Fk8s-demo:"));
            assert!(cluster.certificate_authority_data.is_some());
            assert_eq!(
                kc.current_context.as_deref(),
                Some(kc.contexts[0].name.as_str())
            );
        }
        t.node
            .node_unpublish_volume(unpublish_request(&vol, &target))
            .await
            .unwrap();
    }
    // An exclusion removes a built-in file from what is mounted.
    let target = t.target("vol-excl");
    let mut req = publish_request(
        "vol-excl",
        &target,
        &[
            ("connector.name", "k8s-demo"),
            ("configuration.names", "kubeconfig,!.env,!ca.crt"),
        ],
        GOLDEN_TOKEN,
    );
    req.volume_context
        .insert("csi.storage.k8s.io/pod.namespace".into(), "default".into());
    t.node.node_publish_volume(req).await.unwrap();
    assert!(target.join("kubeconfig").exists());
    assert!(!target.join(".env").exists() && !target.join("ca.crt").exists());
    t.node
        .node_unpublish_volume(unpublish_request("vol-excl", &target))
        .await
        .unwrap();
    t.stop().await;
}
