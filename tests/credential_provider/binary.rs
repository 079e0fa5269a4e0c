//! The real `connectors-csi credential-provider` binary answering a request piped to stdin.

use super::*;

#[test]
fn binary_answers_a_request_on_stdin() {
    use std::io::Write;
    use std::process::{Command, Stdio};

    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("harbor.yaml"),
        r#"apiVersion: connectors.alauda.io/v1alpha1
kind: Connector
metadata: {name: harbor, namespace: team}
spec:
  connectorClassName: harbor
  address: https://harbor.example.com
  auth: {name: basicAuth, secretRef: {name: harbor-robot}}
status:
  conditions: [{type: Ready, status: "True"}]
---
apiVersion: v1
kind: Secret
metadata: {name: harbor-robot, namespace: team}
type: kubernetes.io/basic-auth
stringData: {username: "robot$ci", password: harbor-pw}
"#,
    )
    .unwrap();
    let source = format!("dir:{}", dir.path().display());
    let exe = env!("CARGO_BIN_EXE_connectors-csi");
    let pipe = |input: &str| {
        let mut child = Command::new(exe)
            .args(["credential-provider", "--source", &source])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        child
            .stdin
            .take()
            .unwrap()
            .write_all(input.as_bytes())
            .unwrap();
        child.wait_with_output().unwrap()
    };

    let out = pipe(&request("v1", "harbor.example.com/library/nginx").to_string());
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let resp: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(resp["auth"]["harbor.example.com"]["username"], "robot$ci");
    assert_eq!(resp["apiVersion"], "credentialprovider.kubelet.k8s.io/v1");

    let out = pipe(&request("v1", "quay.io/x").to_string());
    assert!(out.status.success());
    let resp: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(resp["auth"], json!({}));

    let out = pipe(
        r#"{"apiVersion":"credentialprovider.kubelet.k8s.io/v1","serviceAccountToken":"leak-me""#,
    );
    assert!(!out.status.success());
    assert!(out.stdout.is_empty());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(stderr.trim_end().lines().count(), 1, "{stderr}");
    assert!(!stderr.contains("leak-me"), "{stderr}");
}
