//! The whole driver (gRPC → driver → KubeSource → real kube::Client) against the in-process API
//! server **enforcing RBAC** with exactly the objects of the kustomize base and of the Helm chart
//! rendered with default values, as the node plugin's ServiceAccount (not an admin), on real
//! tmpfs: proxy mode works; direct mode without the opt-in Secret grant fails naming it, mounts
//! nothing and breaks nothing else, and works once granted; a ServiceAccount outside the
//! Connector owner's list is denied and nothing is minted; every minted token is audit-logged;
//! pod events can be created and patched.

use std::io::Write;
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, Instant};

use connectors_csi::connector::kube::{KubeSource, KubeSourceOptions};
use connectors_csi::connector::ConnectorSource;
use connectors_csi::connector::PodInfo;
use connectors_csi::driver::DriverConfig;
use connectors_csi::events::kube::KubeEventSink;
use connectors_csi::events::{EventSink, Reason, VolumeEvent};
use connectors_csi::token::TokenSourceMode;
use serde_json::{json, Value};
use test_support::k8s_tools::k8s_tools;
use test_support::rbac::{Rbac, UserInfo};
use test_support::*;
use tonic::Code;

const DRIVER_TOKEN: &str = "token-of-the-connectors-csi-serviceaccount";
const ALLOWLIST: &str = "connectors.cpaas.io/tokenfile-service-accounts";

#[derive(Clone, Copy, Debug)]
enum Install {
    Kustomize,
    Helm,
}

/// The install's objects; `secrets_in` adds the opt-in Secret grant for those namespaces the
/// way an administrator would (the kustomize component with its placeholder renamed, or the Helm
/// value).
fn install(which: Install, secrets_in: &[&str]) -> Vec<serde_yaml::Value> {
    // Each test returned (SKIP) already when the tools are missing.
    let t = k8s_tools("rbac_least_privilege").expect("helm and kubectl");
    let deploy = repo_root().join("deploy");
    match which {
        Install::Kustomize => {
            let mut objects = t.kustomize(&deploy);
            if secrets_in.is_empty() {
                return objects;
            }
            let key = |o: &serde_yaml::Value| {
                (
                    o["kind"].as_str().map(str::to_string),
                    o["metadata"]["namespace"].as_str().map(str::to_string),
                    o["metadata"]["name"].as_str().map(str::to_string),
                )
            };
            let component = deploy.join("components/connector-secrets");
            let with = t.kustomize_with_components(&deploy, &[&component]);
            let extras: Vec<_> = with
                .into_iter()
                .filter(|o| !objects.iter().any(|b| key(b) == key(o)))
                .collect();
            assert!(!extras.is_empty(), "the component adds the Secret grant");
            for ns in secrets_in {
                for mut o in extras.clone() {
                    o["metadata"]["namespace"] = serde_yaml::Value::from(*ns);
                    objects.push(o);
                }
            }
            objects
        }
        Install::Helm => {
            let values = if secrets_in.is_empty() {
                String::new()
            } else {
                format!(
                    "connectorSecrets: {{namespaces: [{}]}}",
                    secrets_in.join(", ")
                )
            };
            t.helm_template(&values)
        }
    }
}

/// The workload side, as in deploy/usage/rbac.yaml: the pods' ServiceAccount (`team/builder`)
/// may `get` the Connectors it mounts.
fn workload_rbac() -> Vec<serde_yaml::Value> {
    serde_yaml::Deserializer::from_str(
        r#"
apiVersion: rbac.authorization.k8s.io/v1
kind: Role
metadata: {name: use-connectors, namespace: team}
rules:
  - apiGroups: ["connectors.alauda.io"]
    resources: ["connectors"]
    resourceNames: ["k8s-a", "remote"]
    verbs: ["get"]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata: {name: builder-uses-connectors, namespace: team}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: Role, name: use-connectors}
subjects: [{kind: ServiceAccount, name: builder, namespace: team}]
"#,
    )
    .map(|d| serde::Deserialize::deserialize(d).unwrap())
    .collect()
}

fn enforce(api: &FakeApiServer, which: Install, secrets_in: &[&str]) {
    let mut objects = install(which, secrets_in);
    objects.extend(workload_rbac());
    let rbac = Rbac::from_yaml(&objects).unwrap();
    api.enforce_rbac(
        rbac,
        &[(
            DRIVER_TOKEN,
            UserInfo::service_account("connectors-system", "connectors-csi"),
        )],
    );
}

/// Captured log lines of this test binary (JSON with flattened events, as the driver logs with
/// LOG_FORMAT=json).
fn logs() -> Arc<Mutex<Vec<u8>>> {
    static LOGS: OnceLock<Arc<Mutex<Vec<u8>>>> = OnceLock::new();
    LOGS.get_or_init(|| {
        let buf = Arc::new(Mutex::new(Vec::new()));
        let writer = buf.clone();
        let subscriber = tracing_subscriber::fmt()
            .json()
            .flatten_event(true)
            .with_max_level(tracing::Level::INFO)
            .with_writer(move || LogWriter(writer.clone()))
            .finish();
        let _ = tracing::subscriber::set_global_default(subscriber);
        buf
    })
    .clone()
}

struct LogWriter(Arc<Mutex<Vec<u8>>>);

impl Write for LogWriter {
    fn write(&mut self, b: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(b);
        Ok(b.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

struct Env {
    api: FakeApiServer,
    target_api: FakeApiServer,
    t: TestDriver,
    _source: Arc<KubeSource>,
}

/// The cluster: class `k8s`, namespace `team`, a proxy-mode Connector `team/k8s-a`, and a
/// Connector `team/remote` whose target cluster is `target_api`, whose owner allows direct-mode
/// tokens for `ci/deployer` only, with its credential in Secret `team/remote-token`.
async fn setup(which: Install, secrets_in: &[&str]) -> Env {
    logs();
    let api = FakeApiServer::start().await;
    let target_api = FakeApiServer::start().await;
    api.apply(k8s_class_value());
    api.apply(json!({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "team"}}));
    api.apply(connector_value(
        "team",
        "k8s-a",
        "https://api.example.com:6443",
        "http://c-k8s-a.team.svc.cluster.local",
        Some(TEST_CA),
    ));
    let mut remote = connector_value(
        "team",
        "remote",
        &target_api.url(),
        "http://c-remote.team.svc.cluster.local",
        Some(TEST_CA),
    );
    remote["metadata"]["annotations"] = json!({ ALLOWLIST: "ci/deployer" });
    remote["spec"]["auth"] =
        json!({"name": "bearerTokenAuth", "secretRef": {"name": "remote-token"}});
    api.apply(remote);
    api.apply(json!({
        "apiVersion": "v1", "kind": "Secret",
        "metadata": {"name": "remote-token", "namespace": "team"},
        "type": "connectors.cpaas.io/bearer-token",
        "stringData": {"token": "the-connector-credential"},
    }));
    enforce(&api, which, secrets_in);
    let opts = KubeSourceOptions {
        wait_for_connector: Duration::from_secs(2),
        ..Default::default()
    };
    let source = KubeSource::start(api.client_with_token(DRIVER_TOKEN).await, opts).await;
    let t0 = Instant::now();
    while !source.is_synced() && t0.elapsed() < Duration::from_secs(10) {
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    assert!(
        source.is_synced(),
        "{which:?}: the base RBAC lets the caches sync"
    );
    let root = tempfile::tempdir().unwrap();
    let mut cfg = DriverConfig::for_root(root.path());
    cfg.refresh_jitter = Duration::ZERO;
    // As the DaemonSet runs it: pod tokens from kubelet only.
    cfg.token_source = TokenSourceMode::Kubelet;
    let t = TestDriver::start_with(root, cfg, source.clone()).await;
    Env {
        api,
        target_api,
        t,
        _source: source,
    }
}

const PROXY: &[(&str, &str)] = &[
    ("connector.name", "k8s-a"),
    ("configuration.names", "kubeconfig"),
];

fn direct(params: &str) -> Vec<(&'static str, String)> {
    vec![
        ("connector.name", "remote".into()),
        ("configuration.names", "tokenfile".into()),
        ("configuration.params", params.into()),
    ]
}

async fn publish(
    env: &mut Env,
    vol: &str,
    attrs: &[(&str, &str)],
    token: &str,
) -> Result<(), tonic::Status> {
    let target = env.t.target(vol);
    env.t
        .node
        .node_publish_volume(publish_request(vol, &target, attrs, token))
        .await
        .map(|_| ())
}

async fn publish_direct(env: &mut Env, vol: &str, params: &str) -> Result<(), tonic::Status> {
    let attrs = direct(params);
    let attrs: Vec<(&str, &str)> = attrs.iter().map(|(k, v)| (*k, v.as_str())).collect();
    publish(env, vol, &attrs, &format!("kubelet-{vol}")).await
}

async fn unpublish_all(env: &mut Env, vols: &[&str]) {
    for vol in vols {
        let target = env.t.target(vol);
        env.t
            .node
            .node_unpublish_volume(unpublish_request(vol, &target))
            .await
            .unwrap();
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn proxy_mode_works_with_the_least_privilege_rbac() {
    if !require_root("proxy_mode_works_with_the_least_privilege_rbac") {
        return;
    }
    if k8s_tools("proxy_mode_works_with_the_least_privilege_rbac").is_none() {
        return;
    }
    for which in [Install::Kustomize, Install::Helm] {
        let mut env = setup(which, &[]).await;
        publish(&mut env, "vol-proxy", PROXY, "kubelet-tok-1")
            .await
            .unwrap_or_else(|e| panic!("{which:?}: proxy mode must work with the base: {e}"));
        let target = env.t.target("vol-proxy");
        assert!(mounted(&target));
        let kc = std::fs::read_to_string(target.join("kubeconfig")).unwrap();
        assert!(
            kc.contains("kubelet-tok-1"),
            "{which:?}: kubelet's token is used"
        );
        // The pod's access was decided by RBAC (SubjectAccessReview), and the driver needed
        // nothing the base does not grant: no request was refused, nothing was minted.
        assert!(!env.api.sar_requests().is_empty());
        assert_eq!(env.api.denied_requests(), vec![], "{which:?}");
        assert!(env.api.token_requests().is_empty(), "{which:?}");
        // A Connector the pod's ServiceAccount may not `get` (not in the Role's resourceNames):
        // the SubjectAccessReview, answered by the same RBAC, denies it.
        env.api.apply(connector_value(
            "team",
            "k8s-b",
            "https://api.example.com:6443",
            "http://c-k8s-b.team.svc.cluster.local",
            Some(TEST_CA),
        ));
        let err = publish(
            &mut env,
            "vol-other",
            &[
                ("connector.name", "k8s-b"),
                ("configuration.names", "kubeconfig"),
            ],
            "kubelet-x",
        )
        .await
        .unwrap_err();
        assert_eq!(err.code(), Code::PermissionDenied, "{which:?}: {err:?}");
        assert!(
            err.message()
                .contains("ServiceAccount team/builder may not get connectors"),
            "{}",
            err.message()
        );
        assert!(!mounted(&env.t.target("vol-other")));
        // Pod events (create, then a patch bumping the count) are allowed by the base.
        let sink = KubeEventSink::new(env.api.client_with_token(DRIVER_TOKEN).await, "node-1");
        let ev = VolumeEvent {
            volume_id: "vol-proxy".into(),
            pod: PodInfo {
                namespace: "team".into(),
                name: "pod-vol-proxy".into(),
                uid: "uid-vol-proxy".into(),
                service_account: "builder".into(),
            },
            reason: Reason::RefreshFailed,
            message: "refresh failed: test".into(),
            key: "test".into(),
        };
        sink.publish(&ev)
            .await
            .unwrap_or_else(|e| panic!("{which:?}: {e}"));
        sink.publish(&ev)
            .await
            .unwrap_or_else(|e| panic!("{which:?}: {e}"));
        let events = env.api.list("Event");
        assert_eq!(events.len(), 1, "{which:?}");
        assert_eq!(events[0]["count"], json!(2), "{which:?}");
        assert_eq!(env.api.denied_requests(), vec![], "{which:?}");
        // Kubelet's periodic republish with a fresh token.
        publish(&mut env, "vol-proxy", PROXY, "kubelet-tok-2")
            .await
            .unwrap();
        let kc = std::fs::read_to_string(target.join("kubeconfig")).unwrap();
        assert!(kc.contains("kubelet-tok-2"));
        unpublish_all(&mut env, &["vol-proxy"]).await;
        env.t.stop().await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn direct_mode_without_the_secret_grant_is_denied_naming_it_and_breaks_nothing() {
    if !require_root("direct_mode_without_the_secret_grant_is_denied_naming_it_and_breaks_nothing")
    {
        return;
    }
    if k8s_tools("direct_mode_without_the_secret_grant_is_denied_naming_it_and_breaks_nothing")
        .is_none()
    {
        return;
    }
    for which in [Install::Kustomize, Install::Helm] {
        let mut env = setup(which, &[]).await;
        publish(&mut env, "vol-before", PROXY, "kubelet-a")
            .await
            .unwrap();

        let err = publish_direct(&mut env, "vol-direct", r#"{"tokenfile":{"mode":"direct"}}"#)
            .await
            .expect_err("direct mode needs the opt-in Secret grant");
        assert_eq!(err.code(), Code::PermissionDenied, "{which:?}: {err:?}");
        let msg = err.message();
        for want in [
            "secrets",
            "\"team\"",
            "deploy/components/connector-secrets",
            "connectorSecrets.namespaces",
            "is forbidden: User \"system:serviceaccount:connectors-system:connectors-csi\"",
        ] {
            assert!(
                msg.contains(want),
                "{which:?}: {want:?} missing from: {msg}"
            );
        }
        assert!(!msg.contains("the-connector-credential"));
        // Nothing half-mounted, nothing minted.
        let target = env.t.target("vol-direct");
        assert!(!mounted(&target), "{which:?}: nothing is mounted");
        assert!(!target.exists(), "{which:?}: no target directory is left");
        assert!(env.target_api.token_requests().is_empty());
        // The refused read was the single-Secret watch, by name, in the Connector's namespace.
        let denied = env.api.denied_requests();
        assert!(!denied.is_empty());
        for d in &denied {
            let a = &d.attributes;
            assert_eq!(
                (a.resource.as_str(), a.namespace.as_str(), a.name.as_str()),
                ("secrets", "team", "remote-token"),
                "{which:?}: {d:?}"
            );
        }
        // Other volumes are unaffected: the mounted one republishes, new ones publish.
        publish(&mut env, "vol-before", PROXY, "kubelet-b")
            .await
            .unwrap();
        let kc = std::fs::read_to_string(env.t.target("vol-before").join("kubeconfig")).unwrap();
        assert!(kc.contains("kubelet-b"));
        publish(&mut env, "vol-after", PROXY, "kubelet-c")
            .await
            .unwrap();

        // The administrator enables the grant for namespace team: the next attempt works,
        // without restarting the driver (the forbidden watch kept retrying).
        enforce(&env.api, which, &["team"]);
        let t0 = Instant::now();
        loop {
            match publish_direct(&mut env, "vol-direct", r#"{"tokenfile":{"mode":"direct"}}"#).await
            {
                Ok(()) => break,
                Err(e) if t0.elapsed() < Duration::from_secs(60) => {
                    assert_eq!(e.code(), Code::PermissionDenied, "{e:?}");
                    tokio::time::sleep(Duration::from_millis(200)).await;
                }
                Err(e) => panic!("{which:?}: still failing after the grant: {e:?}"),
            }
        }
        let minted = env.target_api.token_requests();
        assert_eq!(minted.len(), 1);
        assert_eq!(
            (
                minted[0].namespace.as_str(),
                minted[0].service_account.as_str()
            ),
            ("ci", "deployer"),
            "the owner's default ServiceAccount"
        );
        assert_eq!(
            std::fs::read_to_string(target.join("token")).unwrap(),
            minted[0].issued_token
        );
        unpublish_all(&mut env, &["vol-before", "vol-after", "vol-direct"]).await;
        env.t.stop().await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_service_account_outside_the_owners_list_is_denied_and_nothing_is_minted() {
    if !require_root("a_service_account_outside_the_owners_list_is_denied_and_nothing_is_minted") {
        return;
    }
    if k8s_tools("a_service_account_outside_the_owners_list_is_denied_and_nothing_is_minted")
        .is_none()
    {
        return;
    }
    for which in [Install::Kustomize, Install::Helm] {
        let mut env = setup(which, &["team"]).await;
        for params in [
            r#"{"tokenfile":{"serviceAccount":"kube-system/clusterrole-aggregation-controller"}}"#,
            r#"{"tokenfile":{"serviceAccount":"ci/admin","duration":"1h"}}"#,
        ] {
            let err = publish_direct(&mut env, "vol-hostile", params)
                .await
                .expect_err("not on the owner's list");
            assert_eq!(err.code(), Code::PermissionDenied, "{which:?}: {err:?}");
            let msg = err.message();
            for want in [
                ALLOWLIST,
                "ci/deployer",
                "whoever manages Connector team/remote",
            ] {
                assert!(msg.contains(want), "{want:?} missing from: {msg}");
            }
            assert!(!mounted(&env.t.target("vol-hostile")));
        }
        assert!(
            env.target_api.token_requests().is_empty(),
            "{which:?}: nothing minted on the target cluster"
        );
        // Decided before any Secret was read.
        assert!(
            env.api
                .requests()
                .iter()
                .all(|r| !r.path.contains("/secrets")),
            "{which:?}: the Connector's Secret was not even read"
        );
        // Over the owner's maximum lifetime (the driver's 24h ceiling here).
        let err = publish_direct(
            &mut env,
            "vol-long",
            r#"{"tokenfile":{"mode":"direct","duration":"48h"}}"#,
        )
        .await
        .unwrap_err();
        assert_eq!(err.code(), Code::PermissionDenied, "{err:?}");
        assert!(err.message().contains("24h"), "{}", err.message());
        assert!(env.target_api.token_requests().is_empty());

        // The listed one works, and its minting is audit-logged without the token.
        let vol = format!("vol-audit-{which:?}").to_lowercase();
        publish_direct(
            &mut env,
            &vol,
            r#"{"tokenfile":{"serviceAccount":"ci/deployer","duration":"20m"}}"#,
        )
        .await
        .unwrap();
        let minted = env.target_api.token_requests();
        assert_eq!(minted.len(), 1);
        assert_eq!(minted[0].body["spec"]["expirationSeconds"], json!(1200));
        let logs = String::from_utf8(logs().lock().unwrap().clone()).unwrap();
        let pod = format!("team/pod-{vol}");
        let line: Value = logs
            .lines()
            .filter_map(|l| serde_json::from_str::<Value>(l).ok())
            .find(|l| l["pod"] == json!(pod))
            .unwrap_or_else(|| panic!("no audit line for {pod} in:\n{logs}"));
        assert_eq!(line["target"], json!("connectors_csi::audit"));
        assert_eq!(line["target_server"], json!(env.target_api.url()));
        assert_eq!(line["event"], json!("tokenfile-direct-token-minted"));
        assert_eq!(line["connector"], json!("team/remote"));
        assert_eq!(line["service_account"], json!("ci/deployer"));
        assert_eq!(line["pod_service_account"], json!("builder"));
        let life = line["lifetime_seconds"].as_u64().unwrap();
        assert!((1190..=1200).contains(&life), "20m token, lifetime {life}s");
        assert!(line["expires_at"].as_str().is_some_and(|s| !s.is_empty()));
        assert!(
            !logs.contains(&minted[0].issued_token),
            "tokens never reach the logs"
        );
        assert!(!logs.contains("the-connector-credential"));
        unpublish_all(&mut env, &[&vol]).await;
        env.t.stop().await;
    }
}

/// The feature-flag ConfigMap under the exact shipped RBAC: the driver's watch (a list and a
/// watch with `fieldSelector=metadata.name=connectors-config`, as kube-rs' watcher issues them)
/// reads it and follows a change; a ConfigMap of another name in the same namespace stays
/// unreadable (the Role names one object).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_feature_flag_configmap_is_readable_by_name_only() {
    use connectors_csi::features::configmap::watch_configmap;
    use connectors_csi::features::{ConfigMapState, Overrides};
    for which in [Install::Kustomize, Install::Helm] {
        let api = FakeApiServer::start().await;
        let cm = |approval: &str| {
            json!({"apiVersion": "v1", "kind": "ConfigMap",
                "metadata": {"name": "connectors-config", "namespace": "connectors-system"},
                "data": {"enable-connectors-approval": approval}})
        };
        api.apply(cm("false"));
        api.apply(json!({"apiVersion": "v1", "kind": "ConfigMap",
            "metadata": {"name": "other", "namespace": "connectors-system"}, "data": {}}));
        enforce(&api, which, &[]);
        let client = api.client_with_token(DRIVER_TOKEN).await;
        let flags = watch_configmap(
            client.clone(),
            "connectors-system",
            "connectors-config",
            Overrides::default(),
        );
        assert!(
            flags.wait_read(Duration::from_secs(10)).await,
            "{which:?}: {:?}",
            flags.configmap_state()
        );
        assert!(!flags.current().unwrap().connectors_approval);
        api.apply(cm("true"));
        let t0 = Instant::now();
        while !flags.current().unwrap().connectors_approval {
            assert!(
                t0.elapsed() < Duration::from_secs(10),
                "{which:?}: change not seen"
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        let other = watch_configmap(client, "connectors-system", "other", Overrides::default());
        tokio::time::sleep(Duration::from_millis(500)).await;
        match other.configmap_state() {
            ConfigMapState::Pending(Some(e)) => assert!(
                e.contains("403") || e.to_lowercase().contains("forbidden"),
                "{which:?}: {e}"
            ),
            s => panic!("{which:?}: another ConfigMap must stay unreadable, got {s:?}"),
        }
        assert!(other.current().is_err());
    }
}
