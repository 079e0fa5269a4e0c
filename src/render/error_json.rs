//! The `.error.json` payload of a volume whose Connector access was rejected by Connectors
//! Approval: the only file in the volume (no configurations, no built-ins), so the workload
//! starts, finds no usable configuration and fails fast with a reason it can print.
//!
//! The file is a `google.rpc.Status` in proto3 JSON form, as Alauda documents it (docs
//! `overview/release_notes.mdx`, v1.10.0): `code` 7 (PERMISSION_DENIED), `message`, and one
//! `google.rpc.ErrorInfo` in `details` per rejected Connector, whose `metadata` names the
//! Connector, the AccessRequest and its condition's reason and message.

use std::collections::BTreeMap;

use serde::Serialize;

use super::Payload;

/// File name of the rejection report.
pub const ERROR_FILE: &str = ".error.json";

/// `google.rpc.Code` PERMISSION_DENIED.
pub const CODE_PERMISSION_DENIED: i32 = 7;

/// `@type` of each entry of `details`.
pub const ERROR_INFO_TYPE: &str = "type.googleapis.com/google.rpc.ErrorInfo";

/// `ErrorInfo.domain`: the API group of Connectors and AccessRequests.
pub const ERROR_DOMAIN: &str = "connectors.alauda.io";

/// `ErrorInfo.reason` of a rejected Connector.
pub const REASON_ACCESS_REJECTED: &str = "ACCESS_REJECTED";

/// One Connector whose use was rejected.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct RejectedAccess {
    /// `namespace/name` parts of the Connector.
    pub connector: NamespacedName,
    /// The AccessRequest that carries the decision (in the Connector's namespace).
    pub access_request: NamespacedName,
    /// `reason` of the AccessRequest's `AccessCheckReady` condition (`Rejected`).
    pub reason: String,
    /// `message` of that condition (may be empty).
    pub message: String,
}

/// A namespaced object reference.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct NamespacedName {
    pub namespace: String,
    pub name: String,
}

/// `google.rpc.Status` in proto3 JSON.
#[derive(Serialize)]
struct Status {
    code: i32,
    message: String,
    details: Vec<ErrorInfo>,
}

/// `google.rpc.ErrorInfo` as a `google.protobuf.Any` in proto3 JSON (`@type` first).
#[derive(Serialize)]
struct ErrorInfo {
    #[serde(rename = "@type")]
    type_url: &'static str,
    reason: &'static str,
    domain: &'static str,
    metadata: BTreeMap<&'static str, String>,
}

/// The payload holding only [`ERROR_FILE`] for `rejected` (at least one entry).
pub fn error_payload(rejected: &[RejectedAccess]) -> Payload {
    let names: Vec<String> = rejected
        .iter()
        .map(|r| format!("{}/{}", r.connector.namespace, r.connector.name))
        .collect();
    let details = rejected
        .iter()
        .map(|r| ErrorInfo {
            type_url: ERROR_INFO_TYPE,
            reason: REASON_ACCESS_REJECTED,
            domain: ERROR_DOMAIN,
            metadata: BTreeMap::from([
                (
                    "connector",
                    format!("{}/{}", r.connector.namespace, r.connector.name),
                ),
                (
                    "accessRequest",
                    format!("{}/{}", r.access_request.namespace, r.access_request.name),
                ),
                ("conditionReason", r.reason.clone()),
                ("conditionMessage", r.message.clone()),
            ]),
        })
        .collect();
    let status = Status {
        code: CODE_PERMISSION_DENIED,
        message: format!(
            "use of connector(s) {} was rejected by Connectors Approval; this volume holds no configuration. Re-run the workload to request access again",
            names.join(", ")
        ),
        details,
    };
    let mut json = serde_json::to_vec_pretty(&status).expect("error report serializes");
    json.push(b'\n');
    let mut payload = Payload::default();
    payload.files.insert(ERROR_FILE.to_string(), json);
    payload
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn report_names_connector_request_reason_and_message() {
        let p = error_payload(&[RejectedAccess {
            connector: NamespacedName {
                namespace: "shared".into(),
                name: "prod-harbor".into(),
            },
            access_request: NamespacedName {
                namespace: "shared".into(),
                name: "build-prod-harbor-0123456789".into(),
            },
            reason: "Rejected".into(),
            message: "rejected by alice".into(),
        }]);
        assert_eq!(p.files.len(), 1);
        let v: serde_json::Value = serde_json::from_slice(&p.files[ERROR_FILE]).unwrap();
        assert_eq!(
            v,
            serde_json::json!({
                "code": 7,
                "message": "use of connector(s) shared/prod-harbor was rejected by Connectors Approval; this volume holds no configuration. Re-run the workload to request access again",
                "details": [{
                    "@type": "type.googleapis.com/google.rpc.ErrorInfo",
                    "reason": "ACCESS_REJECTED",
                    "domain": "connectors.alauda.io",
                    "metadata": {
                        "connector": "shared/prod-harbor",
                        "accessRequest": "shared/build-prod-harbor-0123456789",
                        "conditionReason": "Rejected",
                        "conditionMessage": "rejected by alice",
                    },
                }],
            })
        );
        // `@type` comes first, as proto3 JSON writes an Any.
        let text = String::from_utf8(p.files[ERROR_FILE].clone()).unwrap();
        assert!(
            text.find("\"@type\"").unwrap() < text.find("\"reason\"").unwrap(),
            "{text}"
        );
    }
}
