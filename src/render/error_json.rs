//! The `.error.json` payload of a volume whose Connector access was rejected by Connectors
//! Approval: the only file in the volume (no configurations, no built-ins), so the workload
//! starts, finds no usable configuration and fails fast with a reason it can print.

use serde::Serialize;

use super::Payload;

/// File name of the rejection report.
pub const ERROR_FILE: &str = ".error.json";

/// Schema version of [`ERROR_FILE`].
pub const ERROR_SCHEMA: &str = "connectors-csi/error/v1";

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

#[derive(Serialize)]
struct ErrorReport<'a> {
    schema: &'static str,
    reason: &'static str,
    message: String,
    connectors: &'a [RejectedAccess],
}

/// The payload holding only [`ERROR_FILE`] for `rejected` (at least one entry).
pub fn error_payload(rejected: &[RejectedAccess]) -> Payload {
    let names: Vec<String> = rejected
        .iter()
        .map(|r| format!("{}/{}", r.connector.namespace, r.connector.name))
        .collect();
    let report = ErrorReport {
        schema: ERROR_SCHEMA,
        reason: "AccessRejected",
        message: format!(
            "use of connector(s) {} was rejected by Connectors Approval; this volume holds no configuration. Re-run the workload to request access again",
            names.join(", ")
        ),
        connectors: rejected,
    };
    let mut json = serde_json::to_vec_pretty(&report).expect("error report serializes");
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
                "schema": "connectors-csi/error/v1",
                "reason": "AccessRejected",
                "message": "use of connector(s) shared/prod-harbor was rejected by Connectors Approval; this volume holds no configuration. Re-run the workload to request access again",
                "connectors": [{
                    "connector": {"namespace": "shared", "name": "prod-harbor"},
                    "accessRequest": {"namespace": "shared", "name": "build-prod-harbor-0123456789"},
                    "reason": "Rejected",
                    "message": "rejected by alice",
                }],
            })
        );
    }
}
