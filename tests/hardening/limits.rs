//! Hardening: the tmpfs size cap (RESOURCE_EXHAUSTED, rotation near the cap) and log/permission
//! hygiene of the real driver process at trace level. Real tmpfs mounts: needs root (SKIP
//! otherwise); numbers in docs/hardening.md.

use std::time::{Duration, Instant};

use connectors_csi::connector::types::ConnectorClass;
use connectors_csi::csi::proto;
use test_support::*;
use tonic::Code;

// ---------------------------------------------------------------------------------------------
// tmpfs size cap
// ---------------------------------------------------------------------------------------------

fn literal_class(name: &str, config: &str, file: &str, bytes: usize) -> ConnectorClass {
    serde_json::from_value(serde_json::json!({
        "apiVersion": "connectors.alauda.io/v1alpha1",
        "kind": "ConnectorClass",
        "metadata": {"name": name},
        "spec": {"configurations": [{"name": config, "data": {
            file: format!("{}\n{{{{ .context.token }}}}\n", "F".repeat(bytes))
        }}]}
    }))
    .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tmpfs_size_cap_gives_resource_exhausted_and_rotation_near_the_cap_works() {
    if !require_root("tmpfs_size_cap_gives_resource_exhausted_and_rotation_near_the_cap_works") {
        return;
    }
    let src = default_source();
    src.set(|s| {
        s.insert_class(literal_class("fat", "fat", "fat.txt", 512 * 1024));
        s.insert_class(literal_class("mid", "mid", "mid.txt", 40 * 1024));
        for (name, class) in [("fat-c", "fat"), ("mid-c", "mid")] {
            let mut c = connector("team", name, "https://x.example.com", "http://p.team.svc");
            c.spec.connector_class_name = class.into();
            s.insert_connector(c);
        }
    });
    let root = tempfile::tempdir().unwrap();
    let mut cfg = connectors_csi::driver::DriverConfig::for_root(root.path());
    cfg.tmpfs_size_bytes = 160 * 1024;
    let t = TestDriver::start_with(root, cfg, src).await;
    let mut node = t.node.clone();

    // 512 KiB of files into a 160 KiB tmpfs: ENOSPC → RESOURCE_EXHAUSTED, nothing left behind.
    let target = t.target("vol-fat");
    let err = node
        .node_publish_volume(publish_request(
            "vol-fat",
            &target,
            &[("connector.name", "fat-c"), ("configuration.names", "fat")],
            "tok-fat",
        ))
        .await
        .unwrap_err();
    assert_eq!(err.code(), Code::ResourceExhausted, "{}", err.message());
    assert!(
        err.message().contains("No space left on device") && err.message().contains("--tmpfs-size"),
        "{}",
        err.message()
    );
    assert!(
        our_mounts_under(&t.kubelet_dir()).is_empty(),
        "nothing mounted"
    );
    assert!(state_files(&t.driver.cfg.state_dir).is_empty(), "no state");
    assert!(!target.exists(), "target directory removed");

    // ~48 KiB payloads in the same 160 KiB tmpfs: back-to-back rotations keep retired payloads
    // for their grace period until space runs out, then drop them and still rotate.
    let target = t.target("vol-mid");
    for n in 0..8 {
        node.node_publish_volume(publish_request(
            "vol-mid",
            &target,
            &[("connector.name", "mid-c"), ("configuration.names", "mid")],
            &format!("tok-mid-{n}"),
        ))
        .await
        .unwrap();
        assert_eq!(
            std::fs::read_to_string(target.join("context.token")).unwrap(),
            format!("tok-mid-{n}"),
            "rotation {n} near the tmpfs cap"
        );
        assert!(std::fs::read_to_string(target.join("mid.txt"))
            .unwrap()
            .ends_with(&format!("tok-mid-{n}\n")));
    }
    node.node_unpublish_volume(unpublish_request("vol-mid", &target))
        .await
        .unwrap();
    assert!(our_mounts_under(&t.kubelet_dir()).is_empty());
    t.stop().await;
}

// ---------------------------------------------------------------------------------------------
// Security: permissions and logs
// ---------------------------------------------------------------------------------------------

/// Every way a token can appear in rendered files: raw, URL-escaped, and base64 of the forms
/// the example classes use.
fn leak_forms(secret: &str) -> Vec<String> {
    use base64::Engine;
    let b64 = |s: &str| base64::engine::general_purpose::STANDARD.encode(s);
    vec![
        secret.to_string(),
        b64(secret),
        b64(&format!(":{secret}")),
        b64(&format!("default/git-demo:{secret}")),
        b64(&format!("default/oci-demo:{secret}")),
    ]
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn driver_process_logs_at_trace_carry_no_token_or_secret() {
    if !require_root("driver_process_logs_at_trace_carry_no_token_or_secret") {
        return;
    }
    use std::os::unix::fs::{MetadataExt, PermissionsExt};
    use test_support::FakeApiServer;
    const SECRET: &str = "example-target-cluster-token-not-real";
    // The k8s-demo connector points at a fake API server so `tokenfile` direct mode mints a
    // token with the connector's Secret.
    let api = FakeApiServer::start().await;
    api.set_accepted_tokens(Some(&[SECRET]));
    let root = tempfile::tempdir().unwrap();
    let srcdir = DriverProcess::source_dir(root.path());
    // The example CA Secret is not a real certificate; the fake API server speaks plain HTTP.
    let write_src = |address: &str| {
        write_example_source(&srcdir, address);
        let f = srcdir.join("connectors.yaml");
        let text = std::fs::read_to_string(&f)
            .unwrap()
            .replace("  caCertSecretRef:\n    name: k8s-demo-ca\n", "");
        std::fs::write(&f, text).unwrap();
    };
    write_src(&api.url());
    let mut p = DriverProcess::spawn(root.path(), "trace", &[]);
    let ch = p.ready().await;
    let mut node = proto::node_client::NodeClient::new(ch.clone());
    let kubelet = DriverProcess::kubelet_dir(root.path());
    let run = format!("{:08x}", rand::random::<u32>());
    let tok = |n: u32| format!("tok-LOGLEAK-{run}-{n}");
    let mut issued = Vec::new();

    let mode = std::fs::metadata(&p.socket).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o600, "CSI socket is root-only");

    // Publishes of every example class, republishes with new tokens, direct mode.
    let mut targets = Vec::new();
    for (i, (conn, conf)) in [
        ("k8s-demo", "kubeconfig"),
        ("git-demo", "gitconfig"),
        ("oci-demo", "registry-config"),
        ("npm-demo", "npmrc"),
    ]
    .into_iter()
    .enumerate()
    {
        let vol = format!("vol-log-{i}");
        let target = kubelet_target(&kubelet, &vol);
        for round in 0..2u32 {
            let t = tok(i as u32 * 10 + round);
            let mut r = demo_publish_request(&vol, &target, &t);
            r.volume_context
                .insert("connector.name".into(), conn.into());
            r.volume_context
                .insert("configuration.names".into(), conf.into());
            node.node_publish_volume(r).await.unwrap();
            issued.push(t);
        }
        targets.push((vol, target));
    }
    let (vol0, target0) = targets[0].clone();
    let kube = std::fs::metadata(target0.join("kubeconfig")).unwrap();
    assert_eq!(
        kube.mode() & 0o777,
        0o444,
        "files are 0444 by default without an fsGroup"
    );
    assert!(std::fs::read_to_string(target0.join("kubeconfig"))
        .unwrap()
        .contains(&issued[1]));

    let direct_target = kubelet_target(&kubelet, "vol-log-direct");
    let t = tok(100);
    let mut r = demo_publish_request("vol-log-direct", &direct_target, &t);
    r.volume_context
        .insert("configuration.names".into(), "tokenfile".into());
    r.volume_context.insert(
        "configuration.params".into(),
        r#"{"tokenfile":{"serviceAccount":"team/agent"}}"#.into(),
    );
    node.node_publish_volume(r).await.unwrap();
    issued.push(t);
    let direct = std::fs::read_to_string(direct_target.join("token")).unwrap();
    assert!(
        direct.starts_with("fake-token-"),
        "direct-mode token rendered"
    );
    targets.push(("vol-log-direct".into(), direct_target));

    // Errors carrying tokens: bad attributes, unknown connector, wrong audience, bad JSON.
    let bad = kubelet_target(&kubelet, "vol-log-bad");
    for (n, edit) in [
        (200u32, ("connectorName", "x")),
        (201, ("connector.name", "ghost")),
        (202, ("configuration.params", "{nope")),
        (203, ("configuration.names", "nosuch")),
    ] {
        let t = tok(n);
        let mut r = demo_publish_request("vol-log-bad", &bad, &t);
        r.volume_context.insert(edit.0.into(), edit.1.into());
        let e = node.node_publish_volume(r).await.unwrap_err();
        assert!(!e.message().contains(&t));
        issued.push(t);
    }
    let t = tok(204);
    let mut r = demo_publish_request("vol-log-bad", &bad, &t);
    r.secrets.insert(
        "csi.storage.k8s.io/serviceAccount.tokens".into(),
        serde_json::json!({"other-audience": {"token": t, "expirationTimestamp": "2099-01-01T00:00:00Z"}})
            .to_string(),
    );
    node.node_publish_volume(r).await.unwrap_err();
    issued.push(t);
    let t = tok(205);
    let mut r = demo_publish_request("vol-log-bad", &bad, &t);
    r.secrets.insert(
        "csi.storage.k8s.io/serviceAccount.tokens".into(),
        format!("{{\"connectors-proxy\": {{\"token\": \"{t}\", \"expirationTimestamp\": 17}}}}"),
    );
    node.node_publish_volume(r).await.unwrap_err();
    issued.push(t);

    // Refresh: change the source; every volume re-renders.
    write_src(&format!("{}/changed", api.url()));
    let deadline = Instant::now() + Duration::from_secs(20);
    while !std::fs::read_to_string(target0.join("kubeconfig"))
        .unwrap()
        .contains("/changed")
    {
        assert!(Instant::now() < deadline, "refresh after a source change");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    // Unpublish everything, then a graceful stop.
    for (vol, target) in &targets {
        node.node_unpublish_volume(unpublish_request(vol, target))
            .await
            .unwrap();
    }
    let _ = vol0;
    drop(node);
    drop(ch);
    assert!(p.terminate().success());
    assert!(!p.socket.exists(), "socket removed on SIGTERM");
    assert!(our_mounts_under(&kubelet).is_empty());

    let log = std::fs::read_to_string(&p.log).unwrap();
    assert!(log.contains("volume published"), "info events logged");
    assert!(log.contains("TRACE"), "trace level was on");
    let mut secrets: Vec<String> = issued.iter().flat_map(|t| leak_forms(t)).collect();
    secrets.extend(leak_forms(SECRET));
    secrets.push(direct.clone());
    for s in &secrets {
        assert!(
            !log.contains(s.as_str()),
            "secret {s:?} appears in the driver log ({} bytes of trace logs)",
            log.len()
        );
    }
    eprintln!(
        "trace log: {} bytes, {} lines; searched for {} token/secret forms ({} tokens issued): none found",
        log.len(),
        log.lines().count(),
        secrets.len(),
        issued.len()
    );
}
