//! KubeSource, mint_direct and client_from_config against the in-process fake API server, with
//! real kube clients, one module per concern: `caches` (sync, waits, watch events, Secret
//! watches), `access` (TokenRequest, SubjectAccessReview, namespace scope, outages) and `clients`
//! (direct minting, kubeconfig loading, RBAC errors, the real-cluster e2e).

use std::sync::Arc;
use std::time::{Duration, Instant};

use connectors_csi::connector::kube::{
    build_client, client_from_config, HttpVersion, KubeSource, KubeSourceOptions,
    STREAMS_PER_CONNECTION,
};
use connectors_csi::connector::source::check_namespace_scope;
use connectors_csi::connector::{
    Connector, ConnectorSource, ObjectKey, PodInfo, SourceError, SourceEvent, TokenRequestSpec,
};
use connectors_csi::token::direct::mint_direct;
use k8s_openapi::api::core::v1::Secret;
use kube::ResourceExt;
use serde_json::{json, Value};
use test_support::{wait_for, FakeApiServer};
use tokio::sync::broadcast;

mod access;
mod caches;
mod clients;

pub(crate) fn connector(ns: &str, name: &str, address: &str) -> Value {
    json!({
        "apiVersion": "connectors.alauda.io/v1alpha1",
        "kind": "Connector",
        "metadata": {"name": name, "namespace": ns},
        "spec": {
            "connectorClassName": "k8s",
            "address": address,
            "auth": {"name": "bearerTokenAuth", "secretRef": {"name": format!("{name}-secret")}},
        },
        "status": {"proxy": {"httpAddress": {"url": format!("http://c-{name}.{ns}.svc.cluster.local")}}},
    })
}

pub(crate) fn class(name: &str, ca: &str) -> Value {
    json!({
        "apiVersion": "connectors.alauda.io/v1alpha1",
        "kind": "ConnectorClass",
        "metadata": {"name": name},
        "spec": {"proxy": {"CACerts": ca}, "configurations": [{"name": "kubeconfig", "data": {"kubeconfig": "x"}}]},
    })
}

pub(crate) fn secret(ns: &str, name: &str, token: &str) -> Value {
    use base64::Engine;
    json!({
        "apiVersion": "v1",
        "kind": "Secret",
        "metadata": {"name": name, "namespace": ns},
        "type": "connectors.cpaas.io/bearer-token",
        "data": {"token": base64::engine::general_purpose::STANDARD.encode(token)},
    })
}

pub(crate) fn namespace(name: &str, labels: Value) -> Value {
    json!({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": name, "labels": labels}})
}

pub(crate) fn pod(ns: &str, sa: &str) -> PodInfo {
    PodInfo {
        namespace: ns.into(),
        name: "builder-0".into(),
        uid: "1b4e28ba-2fa1-11d2-883f-0016d3cca427".into(),
        service_account: sa.into(),
    }
}

pub(crate) fn fast_opts() -> KubeSourceOptions {
    KubeSourceOptions {
        wait_for_connector: Duration::from_secs(3),
        ..Default::default()
    }
}

pub(crate) async fn start(server: &FakeApiServer, opts: KubeSourceOptions) -> Arc<KubeSource> {
    start_with_client(server.client().await, opts).await
}

pub(crate) async fn start_with_client(
    client: kube::Client,
    opts: KubeSourceOptions,
) -> Arc<KubeSource> {
    let source = KubeSource::start(client, opts).await;
    let deadline = Instant::now() + Duration::from_secs(10);
    while !source.is_synced() {
        assert!(
            Instant::now() < deadline,
            "KubeSource did not sync within 10s"
        );
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    source
}

pub(crate) async fn next_event(rx: &mut broadcast::Receiver<SourceEvent>, want: &SourceEvent) {
    let found = tokio::time::timeout(Duration::from_secs(3), async {
        loop {
            match rx.recv().await {
                Ok(e) if &e == want => return,
                Ok(_) => continue,
                Err(e) => panic!("event channel: {e}"),
            }
        }
    })
    .await;
    assert!(found.is_ok(), "no {want:?} within 3s");
}
