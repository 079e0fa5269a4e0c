//! Connectors Approval types: the `AccessRequest` resource, the labels and spec the driver
//! creates it with, the `connectors/proxy` capability it is about, and how its status
//! conditions read as pending, rejected, granted or revoked (no IO here).
//!
//! Shapes follow the Alauda Connectors technical design (`approval.tech-design.md`, "CSI Driver")
//! and the `accessrequests.connectors.alauda.io` CRD.

use std::collections::BTreeMap;
use std::fmt;

use kube::CustomResource;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use sha2::{Digest, Sha256};

use super::source::{ObjectKey, PodInfo};
use super::types::Condition;

/// Label: kind of the context object (`Pod`).
pub const LABEL_CONTEXT_KIND: &str = "connectors.cpaas.io/contextObjectKind";
/// Label: name of the context object (the pod).
pub const LABEL_CONTEXT_NAME: &str = "connectors.cpaas.io/contextObjectName";
/// Label: namespace of the context object (the pod's namespace).
pub const LABEL_CONTEXT_NAMESPACE: &str = "connectors.cpaas.io/contextObjectNamespace";
/// Label: name of the requested Connector.
pub const LABEL_CONNECTOR: &str = "connectors.cpaas.io/connector";

/// The RBAC resource of the `connectors/proxy` capability bound to one pod:
/// `connectors/proxy/v1/pod/<pod namespace>/<pod name>`.
pub fn proxy_resource(pod: &PodInfo) -> String {
    format!("connectors/proxy/v1/pod/{}/{}", pod.namespace, pod.name)
}

/// `spec.subject` of an AccessRequest (an RBAC subject).
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct AccessSubject {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub api_group: Option<String>,
    #[serde(default)]
    pub kind: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub namespace: Option<String>,
    #[serde(default)]
    pub name: String,
}

/// `spec.connectorRef`: a Connector in the AccessRequest's namespace.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq)]
pub struct ConnectorRef {
    #[serde(default)]
    pub name: String,
}

/// `spec.context.objectRef`: the object the request is bound to (a Pod).
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct ContextObjectRef {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub api_version: Option<String>,
    #[serde(default)]
    pub kind: String,
    #[serde(default)]
    pub name: String,
    #[serde(default)]
    pub namespace: String,
    #[serde(flatten)]
    pub extra: BTreeMap<String, Value>,
}

/// `spec.context`.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct AccessContext {
    #[serde(default)]
    pub object_ref: ContextObjectRef,
}

/// The AccessRequest spec.
#[derive(CustomResource, Serialize, Deserialize, Clone, Debug, Default, PartialEq)]
#[kube(
    group = "connectors.alauda.io",
    version = "v1alpha1",
    kind = "AccessRequest",
    plural = "accessrequests",
    namespaced,
    status = "AccessRequestStatus",
    schema = "disabled"
)]
#[serde(rename_all = "camelCase")]
pub struct AccessRequestSpec {
    #[serde(default)]
    pub subject: AccessSubject,
    #[serde(default)]
    pub connector_ref: ConnectorRef,
    #[serde(default)]
    pub context: AccessContext,
}

/// The AccessRequest status: the driver reads only the conditions.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct AccessRequestStatus {
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub conditions: Vec<Condition>,
    #[serde(flatten)]
    pub extra: BTreeMap<String, Value>,
}

/// What an AccessRequest says about the pod's use of the Connector.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ApprovalState {
    /// Not decided yet (no status, checks pending, permission not synced, no policy matched yet).
    Pending { reason: String, message: String },
    /// `AccessCheckReady` is False with reason `Rejected`: final.
    Rejected { reason: String, message: String },
    /// `Ready` is True: the temporary permission is synced.
    Granted,
    /// The permission ended: the pod is no longer a valid context, or the synced permission was
    /// cleaned up or revoked.
    Revoked { reason: String, message: String },
}

impl ApprovalState {
    /// The state as a short word for messages and logs.
    pub fn word(&self) -> &'static str {
        match self {
            ApprovalState::Pending { .. } => "pending",
            ApprovalState::Rejected { .. } => "rejected",
            ApprovalState::Granted => "granted",
            ApprovalState::Revoked { .. } => "revoked",
        }
    }
}

fn reason_message(c: &Condition, default_reason: &str) -> (String, String) {
    (
        c.reason
            .clone()
            .filter(|r| !r.is_empty())
            .unwrap_or_else(|| default_reason.to_string()),
        c.message.clone().unwrap_or_default(),
    )
}

impl AccessRequest {
    /// The AccessRequest the driver creates for `pod` using `connector`: in the Connector's
    /// namespace, labelled with the context object and the Connector, with the pod's
    /// ServiceAccount as subject and the pod as context object.
    pub fn for_pod(pod: &PodInfo, connector: &ObjectKey) -> AccessRequest {
        let mut ar = AccessRequest::new(
            &access_request_name(pod, connector),
            AccessRequestSpec {
                subject: AccessSubject {
                    api_group: Some("rbac.authorization.k8s.io".into()),
                    kind: "ServiceAccount".into(),
                    namespace: Some(pod.namespace.clone()),
                    name: pod.service_account.clone(),
                },
                connector_ref: ConnectorRef {
                    name: connector.name.clone(),
                },
                context: AccessContext {
                    object_ref: ContextObjectRef {
                        api_version: Some("v1".into()),
                        kind: "Pod".into(),
                        name: pod.name.clone(),
                        namespace: pod.namespace.clone(),
                        extra: BTreeMap::new(),
                    },
                },
            },
        );
        ar.metadata.namespace = Some(connector.namespace.clone());
        ar.metadata.labels = Some(selector_labels(pod, connector));
        ar
    }

    /// Whether this request is about exactly `pod`'s ServiceAccount, `connector` and `pod`.
    pub fn matches(&self, pod: &PodInfo, connector: &ObjectKey) -> bool {
        let s = &self.spec.subject;
        let o = &self.spec.context.object_ref;
        self.metadata.namespace.as_deref() == Some(connector.namespace.as_str())
            && s.kind == "ServiceAccount"
            && s.name == pod.service_account
            && s.namespace.as_deref() == Some(pod.namespace.as_str())
            && self.spec.connector_ref.name == connector.name
            && o.kind == "Pod"
            && o.name == pod.name
            && o.namespace == pod.namespace
    }

    fn condition(&self, type_: &str) -> Option<&Condition> {
        self.status
            .as_ref()
            .and_then(|s| s.conditions.iter().find(|c| c.type_ == type_))
    }

    /// Reads the conditions: `Ready` True is granted; `AccessCheckReady` False with reason
    /// `Rejected` is rejected; a pod context that is no longer valid, or a permission that was
    /// cleaned up or revoked, is revoked; anything else is pending.
    pub fn state(&self) -> ApprovalState {
        if self.condition("Ready").is_some_and(|c| c.status == "True") {
            return ApprovalState::Granted;
        }
        if let Some(c) = self.condition("AccessCheckReady") {
            if c.status == "False" && c.reason.as_deref() == Some("Rejected") {
                let (reason, message) = reason_message(c, "Rejected");
                return ApprovalState::Rejected { reason, message };
            }
        }
        if let Some(c) = self.condition("ContextObjectValid") {
            if c.status == "False" {
                let (reason, message) = reason_message(c, "ContextObjectInvalid");
                return ApprovalState::Revoked { reason, message };
            }
        }
        // The CRD's printer column reads `AccessPermissionSync`; the design calls it
        // `PermissionSynced`. Either reports a cleaned-up or revoked grant.
        for type_ in ["AccessPermissionSync", "PermissionSynced"] {
            if let Some(c) = self.condition(type_) {
                if matches!(
                    c.reason.as_deref(),
                    Some("PermissionCleanUp") | Some("Revoked")
                ) {
                    let (reason, message) = reason_message(c, "Revoked");
                    return ApprovalState::Revoked { reason, message };
                }
            }
        }
        let (reason, message) = match self.condition("Ready") {
            Some(c) => reason_message(c, "Pending"),
            None => (
                "Pending".into(),
                "the AccessRequest has no status yet".into(),
            ),
        };
        ApprovalState::Pending { reason, message }
    }
}

/// The equality label selector of the driver's AccessRequests for (`pod`, `connector`).
pub fn selector_labels(pod: &PodInfo, connector: &ObjectKey) -> BTreeMap<String, String> {
    BTreeMap::from([
        (LABEL_CONTEXT_KIND.to_string(), "Pod".to_string()),
        (LABEL_CONTEXT_NAME.to_string(), pod.name.clone()),
        (LABEL_CONTEXT_NAMESPACE.to_string(), pod.namespace.clone()),
        (LABEL_CONNECTOR.to_string(), connector.name.clone()),
    ])
}

/// `k=v,k=v` form of [`selector_labels`].
pub fn label_selector(pod: &PodInfo, connector: &ObjectKey) -> String {
    selector_labels(pod, connector)
        .iter()
        .map(|(k, v)| format!("{k}={v}"))
        .collect::<Vec<_>>()
        .join(",")
}

/// A stable name per (ServiceAccount, pod, Connector): `<pod>-<connector>-<hash>`, so retries,
/// parallel publishes and restarts converge on one object (a second create answers 409).
pub fn access_request_name(pod: &PodInfo, connector: &ObjectKey) -> String {
    let digest = Sha256::digest(
        format!(
            "{}\n{}\n{}\n{}\n{}",
            pod.namespace, pod.service_account, pod.name, connector.namespace, connector.name
        )
        .as_bytes(),
    );
    let cut = |s: &str| -> String {
        s.chars()
            .take(100)
            .collect::<String>()
            .trim_end_matches(['-', '.'])
            .to_string()
    };
    format!(
        "{}-{}-{}",
        cut(&pod.name),
        cut(&connector.name),
        &hex::encode(digest)[..10]
    )
}

impl fmt::Display for ApprovalState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ApprovalState::Granted => f.write_str("granted"),
            ApprovalState::Pending { reason, message }
            | ApprovalState::Rejected { reason, message }
            | ApprovalState::Revoked { reason, message } => {
                write!(f, "{} ({reason}", self.word())?;
                if !message.is_empty() {
                    write!(f, ": {message}")?;
                }
                f.write_str(")")
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn pod() -> PodInfo {
        PodInfo {
            namespace: "cicd".into(),
            name: "build-7x9k2".into(),
            uid: "u1".into(),
            service_account: "builder".into(),
        }
    }

    fn with_conditions(conditions: Value) -> AccessRequest {
        let mut ar = AccessRequest::for_pod(&pod(), &ObjectKey::new("shared", "prod-harbor"));
        ar.status = Some(serde_json::from_value(json!({ "conditions": conditions })).unwrap());
        ar
    }

    #[test]
    fn created_request_has_the_designed_labels_and_spec() {
        let ar = AccessRequest::for_pod(&pod(), &ObjectKey::new("shared", "prod-harbor"));
        let v = serde_json::to_value(&ar).unwrap();
        assert_eq!(v["apiVersion"], "connectors.alauda.io/v1alpha1");
        assert_eq!(v["kind"], "AccessRequest");
        assert_eq!(v["metadata"]["namespace"], "shared");
        assert_eq!(
            v["metadata"]["labels"],
            json!({
                "connectors.cpaas.io/contextObjectKind": "Pod",
                "connectors.cpaas.io/contextObjectName": "build-7x9k2",
                "connectors.cpaas.io/contextObjectNamespace": "cicd",
                "connectors.cpaas.io/connector": "prod-harbor",
            })
        );
        assert_eq!(
            v["spec"],
            json!({
                "subject": {"apiGroup": "rbac.authorization.k8s.io", "kind": "ServiceAccount", "namespace": "cicd", "name": "builder"},
                "connectorRef": {"name": "prod-harbor"},
                "context": {"objectRef": {"apiVersion": "v1", "kind": "Pod", "name": "build-7x9k2", "namespace": "cicd"}},
            })
        );
        assert!(ar.matches(&pod(), &ObjectKey::new("shared", "prod-harbor")));
        assert!(!ar.matches(&pod(), &ObjectKey::new("shared", "other")));
        let mut other_sa = pod();
        other_sa.service_account = "default".into();
        assert!(!ar.matches(&other_sa, &ObjectKey::new("shared", "prod-harbor")));
        assert_eq!(
            label_selector(&pod(), &ObjectKey::new("shared", "prod-harbor")),
            "connectors.cpaas.io/connector=prod-harbor,connectors.cpaas.io/contextObjectKind=Pod,connectors.cpaas.io/contextObjectName=build-7x9k2,connectors.cpaas.io/contextObjectNamespace=cicd"
        );
    }

    #[test]
    fn names_are_stable_and_valid() {
        let key = ObjectKey::new("shared", "prod-harbor");
        let a = access_request_name(&pod(), &key);
        assert_eq!(a, access_request_name(&pod(), &key));
        assert!(a.starts_with("build-7x9k2-prod-harbor-"), "{a}");
        let mut p = pod();
        p.service_account = "other".into();
        assert_ne!(a, access_request_name(&p, &key));
        p.name = "x".repeat(253);
        let long = access_request_name(&p, &ObjectKey::new("s", "c".repeat(253)));
        assert!(long.len() <= 253, "{}", long.len());
    }

    #[test]
    fn conditions_read_as_the_design_defines() {
        assert!(matches!(
            AccessRequest::for_pod(&pod(), &ObjectKey::new("s", "c")).state(),
            ApprovalState::Pending { .. }
        ));
        let pending = with_conditions(json!([
            {"type": "Ready", "status": "Unknown", "reason": "Pending", "message": "Waiting for ApprovalTask manual-approval to be approved"},
            {"type": "AccessCheckReady", "status": "Unknown", "reason": "Pending"},
        ]));
        assert_eq!(
            pending.state(),
            ApprovalState::Pending {
                reason: "Pending".into(),
                message: "Waiting for ApprovalTask manual-approval to be approved".into()
            }
        );
        let rejected = with_conditions(json!([
            {"type": "Ready", "status": "False", "reason": "Rejected"},
            {"type": "AccessCheckReady", "status": "False", "reason": "Rejected", "message": "rejected by alice"},
        ]));
        assert_eq!(
            rejected.state(),
            ApprovalState::Rejected {
                reason: "Rejected".into(),
                message: "rejected by alice".into()
            }
        );
        // A failed check is not a rejection: the controller may still recover.
        let failed = with_conditions(json!([
            {"type": "Ready", "status": "False", "reason": "Failed"},
            {"type": "AccessCheckReady", "status": "False", "reason": "Failed"},
        ]));
        assert!(matches!(failed.state(), ApprovalState::Pending { .. }));
        let granted = with_conditions(json!([
            {"type": "Ready", "status": "True"},
            {"type": "AccessPermissionSync", "status": "True", "reason": "Synced"},
        ]));
        assert_eq!(granted.state(), ApprovalState::Granted);
        let cleaned = with_conditions(json!([
            {"type": "Ready", "status": "False", "reason": "PermissionCleanUp"},
            {"type": "AccessPermissionSync", "status": "True", "reason": "PermissionCleanUp"},
        ]));
        assert!(matches!(cleaned.state(), ApprovalState::Revoked { .. }));
        let completed = with_conditions(json!([
            {"type": "ContextObjectValid", "status": "False", "reason": "Completed"},
        ]));
        assert!(
            matches!(completed.state(), ApprovalState::Revoked { reason, .. } if reason == "Completed")
        );
    }
}
