//! The `tokenfile` layout keeps a long-running client working: a real `kube::Client` built from the
//! mounted kubeconfig (`tokenFile: token`, path relative to the kubeconfig) keeps running while the
//! driver rotates the token file, and the API server starts seeing the new token without a client
//! restart. kube-rs, like client-go, re-reads a token file at least once a minute.

use std::time::{Duration, Instant};

use connectors_csi::connector::store::Snapshot;
use test_support::FakeApiServer;
use test_support::*;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rotated_token_file_reaches_a_running_client() {
    if !require_root("rotated_token_file_reaches_a_running_client") {
        return;
    }
    let api = FakeApiServer::start().await;
    api.apply(
        serde_json::json!({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "team"}}),
    );
    // Proxy mode: the connector's proxy address is where the client talks (here: the fake server).
    let src = default_source();
    src.set(|s: &mut Snapshot| {
        let mut c = connector("team", "k8s-a", "https://api.example.com:6443", &api.url());
        set_proxy_ca(&mut c, None);
        s.insert_connector(c);
    });
    let mut t = TestDriver::start(src).await;
    let target = t.target("vol-tf");
    let attrs = [
        ("connector.name", "k8s-a"),
        ("configuration.names", "tokenfile"),
    ];
    t.node
        .node_publish_volume(publish_request("vol-tf", &target, &attrs, "rotating-1"))
        .await
        .unwrap();

    // In-cluster layout present with the expected content.
    assert_eq!(
        std::fs::read_to_string(target.join("token")).unwrap(),
        "rotating-1"
    );
    assert_eq!(
        std::fs::read_to_string(target.join("TOKEN_FILE")).unwrap(),
        "rotating-1"
    );
    assert_eq!(
        std::fs::read_to_string(target.join("namespace")).unwrap(),
        "team"
    );
    let kubeconfig_path = target.join("kubeconfig");
    let kubeconfig_before = std::fs::read(&kubeconfig_path).unwrap();
    let kc = kube::config::Kubeconfig::read_from(&kubeconfig_path).unwrap();
    let user = kc.auth_infos[0].auth_info.as_ref().unwrap();
    assert_eq!(
        user.token_file.as_deref(),
        Some(target.join("token").to_str().unwrap()),
        "relative tokenFile resolved against the kubeconfig's directory"
    );

    let config = kube::Config::from_custom_kubeconfig(kc, &Default::default())
        .await
        .unwrap();
    let client = kube::Client::try_from(config).unwrap();
    let ns: kube::Api<k8s_openapi::api::core::v1::Namespace> = kube::Api::all(client);
    ns.get("team").await.unwrap();
    let seen = |tok: &str| {
        api.requests()
            .iter()
            .any(|r| r.authorization.as_deref() == Some(&format!("Bearer {tok}")))
    };
    assert!(seen("rotating-1"));

    // Kubelet's republish brings a new token: the token file rotates atomically, the kubeconfig
    // stays byte-identical.
    t.node
        .node_publish_volume(publish_request("vol-tf", &target, &attrs, "rotating-2"))
        .await
        .unwrap();
    assert_eq!(
        std::fs::read_to_string(target.join("token")).unwrap(),
        "rotating-2"
    );
    assert_eq!(std::fs::read(&kubeconfig_path).unwrap(), kubeconfig_before);

    // The same client, never restarted, switches to the new token on its next token-file reload.
    let t0 = Instant::now();
    while !seen("rotating-2") && t0.elapsed() < Duration::from_secs(75) {
        ns.get("team").await.unwrap();
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
    println!(
        "running client picked up the rotated token after {:?}",
        t0.elapsed()
    );
    assert!(
        seen("rotating-2"),
        "client never presented the rotated token"
    );
    t.node
        .node_unpublish_volume(unpublish_request("vol-tf", &target))
        .await
        .unwrap();
    t.stop().await;
}
