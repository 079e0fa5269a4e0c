//! DirSource: loading a folder of YAML files, live reload, broken files, tokens.

use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

use base64::Engine;
use connectors_csi::connector::dir::DirSource;
use connectors_csi::connector::source::check_namespace_scope;
use connectors_csi::connector::{
    ConnectorSource, ObjectKey, PodInfo, SourceError, SourceEvent, TokenRequestSpec,
};
use tokio::sync::broadcast;

const DEPLOY_YAML: &str = r#"
apiVersion: connectors.alauda.io/v1alpha1
kind: ConnectorClass
metadata:
  name: k8s
spec:
  address: {name: address, type: string}
  auth:
    types:
    - {name: bearerTokenAuth, secretType: connectors.cpaas.io/bearer-token}
  configurations:
  - name: kubeconfig
    data:
      kubeconfig: |
        apiVersion: v1
        kind: Config
---
apiVersion: connectors.alauda.io/v1alpha1
kind: Connector
metadata:
  name: k8s-a
  namespace: team
spec:
  connectorClassName: k8s
  address: https://api.example.com:6443
  auth:
    name: bearerTokenAuth
    secretRef: {name: k8s-a-secret}
status:
  proxy:
    httpAddress: {url: "http://c-k8s-a.team.svc.cluster.local"}
---
apiVersion: v1
kind: Secret
metadata: {name: k8s-a-secret, namespace: team}
type: connectors.cpaas.io/bearer-token
data:
  token: dG9rLWZyb20tZGF0YQ==
---
apiVersion: v1
kind: Secret
metadata: {name: git-secret, namespace: team}
type: kubernetes.io/basic-auth
stringData:
  username: alice
  password: from-string-data
---
apiVersion: v1
kind: ConfigMap
metadata: {name: ignored, namespace: team}
data: {a: b}
"#;

const NAMESPACES_YAML: &str = r#"
apiVersion: v1
kind: Namespace
metadata:
  name: proj-shared
  labels: {cpaas.io/inner-namespace: p1}
---
apiVersion: v1
kind: Namespace
metadata:
  name: team
  labels: {cpaas.io/project: p1}
"#;

fn connector_yaml(name: &str, address: &str) -> String {
    format!(
        "apiVersion: connectors.alauda.io/v1alpha1\nkind: Connector\nmetadata: {{name: {name}, namespace: team}}\nspec: {{connectorClassName: k8s, address: \"{address}\"}}\n"
    )
}

/// Writes through a temporary file and a rename, as editors and config management do.
fn write_atomically(path: &Path, content: &str) {
    let tmp = path.with_extension("tmp~");
    std::fs::write(&tmp, content).unwrap();
    std::fs::rename(&tmp, path).unwrap();
}

async fn wait_event(rx: &mut broadcast::Receiver<SourceEvent>, want: &SourceEvent) -> Duration {
    let started = Instant::now();
    let found = tokio::time::timeout(Duration::from_secs(2), async {
        loop {
            match rx.recv().await {
                Ok(e) if &e == want => return,
                Ok(_) => continue,
                Err(e) => panic!("event channel: {e}"),
            }
        }
    })
    .await;
    assert!(found.is_ok(), "no {want:?} within 2s");
    started.elapsed()
}

async fn open(dir: &Path) -> Arc<DirSource> {
    DirSource::open(dir.to_path_buf(), None).await.unwrap()
}

#[tokio::test]
async fn loads_multi_document_files_of_every_supported_kind() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("connectors.yaml"), DEPLOY_YAML).unwrap();
    std::fs::write(dir.path().join("namespaces.yml"), NAMESPACES_YAML).unwrap();
    std::fs::write(dir.path().join("README.md"), "not yaml: [").unwrap();
    std::fs::write(dir.path().join(".hidden.yaml"), "kind: [broken").unwrap();
    let source = open(dir.path()).await;
    assert!(source.is_synced());
    assert_eq!(source.kind(), "dir");

    let c = source
        .connector(&ObjectKey::new("team", "k8s-a"))
        .await
        .unwrap();
    assert_eq!(c.spec.address, "https://api.example.com:6443");
    assert_eq!(c.proxy_url(), Some("http://c-k8s-a.team.svc.cluster.local"));
    let class = source.connector_class("k8s").await.unwrap();
    assert_eq!(class.configuration_names(), vec!["kubeconfig"]);
    assert_eq!(source.list_connectors().await.unwrap().len(), 1);

    let s = source
        .secret(&ObjectKey::new("team", "k8s-a-secret"))
        .await
        .unwrap();
    assert_eq!(s.data.as_ref().unwrap()["token"].0, b"tok-from-data");
    let s = source
        .secret(&ObjectKey::new("team", "git-secret"))
        .await
        .unwrap();
    assert_eq!(s.data.as_ref().unwrap()["password"].0, b"from-string-data");

    assert_eq!(
        source.namespace_labels("team").await.unwrap()["cpaas.io/project"],
        "p1"
    );
    let s: &dyn ConnectorSource = &*source;
    check_namespace_scope(s, "team", &ObjectKey::new("proj-shared", "x"))
        .await
        .unwrap();
    assert!(matches!(
        check_namespace_scope(s, "elsewhere", &ObjectKey::new("proj-shared", "x")).await,
        Err(SourceError::PermissionDenied(_))
    ));

    // Files are authoritative: no waiting for unknown objects.
    let started = Instant::now();
    let err = source
        .connector(&ObjectKey::new("team", "missing"))
        .await
        .unwrap_err();
    assert!(matches!(
        err,
        SourceError::NotFound {
            kind: "connector",
            ..
        }
    ));
    assert!(started.elapsed() < Duration::from_millis(100));
    assert!(source
        .connector(&ObjectKey::new("team", "ignored"))
        .await
        .is_err());

    // Local single-user mode allows every connector.
    let pod = PodInfo {
        namespace: "team".into(),
        name: "p".into(),
        uid: "u".into(),
        service_account: "default".into(),
    };
    source
        .authorize(&pod, &ObjectKey::new("team", "k8s-a"))
        .await
        .unwrap();
}

#[tokio::test]
async fn a_changed_file_is_applied_and_announced_within_a_second() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("c.yaml");
    std::fs::write(&file, connector_yaml("k8s-a", "https://one.example.com")).unwrap();
    std::fs::write(
        dir.path().join("other.yaml"),
        connector_yaml("other", "https://x"),
    )
    .unwrap();
    let source = open(dir.path()).await;
    let key = ObjectKey::new("team", "k8s-a");
    let mut rx = source.subscribe();

    // In-place write.
    let started = Instant::now();
    std::fs::write(&file, connector_yaml("k8s-a", "https://two.example.com")).unwrap();
    wait_event(&mut rx, &SourceEvent::Connector(key.clone())).await;
    let latency = started.elapsed();
    assert_eq!(
        source.connector(&key).await.unwrap().spec.address,
        "https://two.example.com"
    );
    println!("in-place write visible after {latency:?}");
    assert!(latency < Duration::from_secs(1), "{latency:?}");

    // Write + rename.
    let started = Instant::now();
    write_atomically(&file, &connector_yaml("k8s-a", "https://three.example.com"));
    wait_event(&mut rx, &SourceEvent::Connector(key.clone())).await;
    let latency = started.elapsed();
    assert_eq!(
        source.connector(&key).await.unwrap().spec.address,
        "https://three.example.com"
    );
    println!("atomic replace visible after {latency:?}");
    assert!(latency < Duration::from_secs(1), "{latency:?}");

    // Only the changed object was announced.
    tokio::time::sleep(Duration::from_millis(100)).await;
    while let Ok(e) = rx.try_recv() {
        assert_eq!(e, SourceEvent::Connector(key.clone()), "unexpected {e:?}");
    }

    // A new file adds objects.
    std::fs::write(
        dir.path().join("new.yaml"),
        connector_yaml("new", "https://n"),
    )
    .unwrap();
    wait_event(
        &mut rx,
        &SourceEvent::Connector(ObjectKey::new("team", "new")),
    )
    .await;
    assert!(source
        .connector(&ObjectKey::new("team", "new"))
        .await
        .is_ok());
}

#[tokio::test]
async fn a_broken_file_keeps_its_last_good_objects() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("c.yaml");
    std::fs::write(&file, connector_yaml("k8s-a", "https://good.example.com")).unwrap();
    let source = open(dir.path()).await;
    let key = ObjectKey::new("team", "k8s-a");
    let mut rx = source.subscribe();

    std::fs::write(
        &file,
        "kind: Connector\nmetadata: {name: k8s-a\nspec: [unclosed",
    )
    .unwrap();
    // A change in another file proves the broken one has been processed by then.
    std::fs::write(
        dir.path().join("sentinel.yaml"),
        connector_yaml("sentinel", "https://s"),
    )
    .unwrap();
    wait_event(
        &mut rx,
        &SourceEvent::Connector(ObjectKey::new("team", "sentinel")),
    )
    .await;
    assert_eq!(
        source.connector(&key).await.unwrap().spec.address,
        "https://good.example.com"
    );
    // A schema error (wrong type) is handled the same way.
    std::fs::write(
        &file,
        "kind: Connector\nmetadata: {name: k8s-a, namespace: team}\nspec: {address: [not, a, string]}\n",
    )
    .unwrap();
    source.reload();
    assert_eq!(
        source.connector(&key).await.unwrap().spec.address,
        "https://good.example.com"
    );

    // Fixing the file applies the new content.
    std::fs::write(&file, connector_yaml("k8s-a", "https://fixed.example.com")).unwrap();
    wait_event(&mut rx, &SourceEvent::Connector(key.clone())).await;
    assert_eq!(
        source.connector(&key).await.unwrap().spec.address,
        "https://fixed.example.com"
    );
}

#[tokio::test]
async fn deleting_a_file_removes_its_objects() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("c.yaml");
    std::fs::write(&file, DEPLOY_YAML).unwrap();
    std::fs::write(
        dir.path().join("keep.yaml"),
        connector_yaml("keep", "https://k"),
    )
    .unwrap();
    let source = open(dir.path()).await;
    let key = ObjectKey::new("team", "k8s-a");
    let mut rx = source.subscribe();

    std::fs::remove_file(&file).unwrap();
    wait_event(&mut rx, &SourceEvent::Connector(key.clone())).await;
    assert!(matches!(
        source.connector(&key).await,
        Err(SourceError::NotFound { .. })
    ));
    assert!(source.connector_class("k8s").await.is_err());
    assert!(source
        .secret(&ObjectKey::new("team", "k8s-a-secret"))
        .await
        .is_err());
    assert!(source
        .connector(&ObjectKey::new("team", "keep"))
        .await
        .is_ok());
}

#[tokio::test]
async fn opening_a_missing_directory_fails_with_its_path() {
    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("nope");
    let Err(err) = DirSource::open(missing.clone(), None).await else {
        panic!("opening a missing directory must fail")
    };
    assert!(
        matches!(&err, SourceError::Invalid(m) if m.contains(&missing.display().to_string())),
        "{err:?}"
    );
}

fn spec() -> TokenRequestSpec {
    TokenRequestSpec {
        pod: PodInfo {
            namespace: "team".into(),
            name: "p".into(),
            uid: "u".into(),
            service_account: "default".into(),
        },
        audience: "connectors-proxy".into(),
        expiration: Duration::from_secs(1800),
    }
}

fn jwt(claims: &str) -> String {
    let b64 = |s: &str| base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(s);
    format!(
        "{}.{}.c2lnbmF0dXJl",
        b64(r#"{"alg":"RS256","typ":"JWT"}"#),
        b64(claims)
    )
}

#[tokio::test]
async fn tokens_come_from_the_static_token_file_only() {
    let dir = tempfile::tempdir().unwrap();
    let source = open(dir.path()).await;
    let err = source.request_token(&spec()).await.unwrap_err();
    assert_eq!(
        err,
        SourceError::Unsupported(
            "directory source cannot mint tokens: pass kubelet tokens (CSIDriver tokenRequests) or --static-token-file".into()
        )
    );

    let token_file = dir.path().join("token");
    let source = DirSource::open(dir.path().to_path_buf(), Some(token_file.clone()))
        .await
        .unwrap();

    // A JWT: expiry from its exp claim, issue time from iat.
    let now = jiff::Timestamp::now().as_second();
    std::fs::write(
        &token_file,
        format!(
            "{}\n",
            jwt(&format!(r#"{{"iat":{},"exp":{}}}"#, now - 60, now + 600))
        ),
    )
    .unwrap();
    let t = source.request_token(&spec()).await.unwrap();
    assert_eq!(t.expires_at.as_second(), now + 600);
    assert_eq!(t.issued_at.as_second(), now - 60);
    assert!(!t.expose().ends_with('\n'), "trimmed");

    // The file is re-read on every call (rotation by rewriting it).
    std::fs::write(&token_file, "  opaque-static-token \n").unwrap();
    let t = source.request_token(&spec()).await.unwrap();
    assert_eq!(t.expose(), "opaque-static-token");
    assert_eq!(t.lifetime(), Duration::from_secs(3600));

    // An expired JWT is refused without echoing it.
    let expired = jwt(&format!(r#"{{"exp":{}}}"#, now - 10));
    std::fs::write(&token_file, &expired).unwrap();
    let err = source.request_token(&spec()).await.unwrap_err();
    assert!(matches!(err, SourceError::Unavailable(_)), "{err:?}");
    assert!(!err.to_string().contains(&expired));
}

/// Objects the CRDs accept with free-form values and without `spec` load from files, keep their
/// values, and render with lists and maps visible to the templates.
#[tokio::test]
async fn free_form_values_and_missing_spec_load_and_render() {
    use test_support::crd_shapes;
    let dir = tempfile::tempdir().unwrap();
    let mut text = String::new();
    for (_, obj) in crd_shapes::connectors()
        .into_iter()
        .chain(crd_shapes::classes())
    {
        text.push_str("---\n");
        text.push_str(&serde_yaml::to_string(&obj).unwrap());
    }
    std::fs::write(dir.path().join("free-form.yaml"), text).unwrap();
    let source = open(dir.path()).await;
    for (name, written) in crd_shapes::connectors() {
        let c = source
            .connector(&ObjectKey::new(crd_shapes::NAMESPACE, name))
            .await
            .unwrap_or_else(|e| panic!("{name}: {e}"));
        crd_shapes::assert_free_form_kept(&written, &serde_json::to_value(&*c).unwrap(), name);
    }
    for (name, written) in crd_shapes::classes() {
        let c = source.connector_class(name).await.unwrap();
        crd_shapes::assert_free_form_kept(&written, &serde_json::to_value(&*c).unwrap(), name);
    }
    let c = source
        .connector(&ObjectKey::new(crd_shapes::NAMESPACE, "ff-params"))
        .await
        .unwrap();
    let class = source.connector_class(crd_shapes::CLASS).await.unwrap();
    assert_eq!(
        crd_shapes::render_show(c, class).unwrap(),
        crd_shapes::SHOW_EXPECTED
    );
}
