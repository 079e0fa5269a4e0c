//! The Quick Start of Alauda's CSI page (docs `connectors/concepts/connectors_csi.mdx`, "Quick
//! Start"), with its manifests exactly as printed: a ConnectorClass `my-git` with one
//! configuration and no `spec.proxy`, a Connector without auth, a pod mounting
//! `configuration.names: "config"`. It must mount: the configuration, the token and a `.env`
//! without proxy settings (the class has no proxy), and one warning event saying which proxy
//! files were left out.

use std::time::Duration;

use connectors_csi::features::Overrides;

use super::*;

/// Step 1 of the Quick Start, as printed.
const CLASS: &str = r#"
apiVersion: connectors.alauda.io/v1alpha1
kind: ConnectorClass
metadata:
  name: my-git
spec:
  address:
    type: string
  configurations:
  - name: config
    data:
      .gitconfig: |
        this is git config
"#;

/// Step 2, as printed (`kubectl apply` puts it in namespace `default`).
const CONNECTOR: &str = r#"
apiVersion: connectors.alauda.io/v1alpha1
kind: Connector
metadata:
  name: git-connector
spec:
  address: https://github.com
  connectorClassName: my-git
"#;

/// Step 3's volume attributes, as printed (pod `default/csi-demo`).
const ATTRIBUTES: &[(&str, &str)] = &[
    ("connectors", "default/git-connector"),
    ("configuration.names", "config"),
];

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_docs_quick_start_mounts() {
    if !require_root("the_docs_quick_start_mounts") {
        return;
    }
    let json = |text: &str| -> Value {
        serde_json::to_value(test_support::yaml::parse_docs(text, "quick start").remove(0)).unwrap()
    };
    let class = json(CLASS);
    let mut connector = json(CONNECTOR);
    connector["metadata"]["namespace"] = json!("default");
    // What the operator reports for it: Ready, and no proxy address (the class has no proxy:
    // its ProxyReady condition is True with reason NonProxy).
    connector["status"] = json!({"conditions": [{"type": "Ready", "status": "True"}]});
    let mut env = setup(Overrides::default(), vec![class, connector]).await;
    env.grants.grant(
        "system:serviceaccount:default:default",
        "get",
        "connectors",
        "default",
        "git-connector",
    );
    let target = env.t.target("csi-demo");
    let mut req = publish_request_with_token(
        "csi-demo",
        &target,
        ATTRIBUTES,
        Some(("quick-start-token", Duration::from_secs(3600))),
    );
    req.volume_context
        .insert("csi.storage.k8s.io/pod.namespace".into(), "default".into());
    req.volume_context.insert(
        "csi.storage.k8s.io/serviceAccount.name".into(),
        "default".into(),
    );
    env.t
        .node
        .node_publish_volume(req)
        .await
        .unwrap_or_else(|e| panic!("the Quick Start must mount: {e:?}"));

    // `cat /tmp/config/.gitconfig` shows the class's content.
    let mounted = files(&target);
    assert_eq!(mounted[".gitconfig"], b"this is git config\n");
    check_golden("quick-start", &mounted);

    let msg = warning(&env.api, "csi-demo").await;
    assert!(
        msg.contains("connector default/git-connector has no proxy")
            && msg.contains("http.proxy is not written")
            && msg.contains(".env holds no proxy settings"),
        "{msg}"
    );
}
