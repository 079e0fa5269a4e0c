//! The fake API server's two `create` endpoints: TokenRequest and SubjectAccessReview, and the
//! policy type that decides the latter.

use std::collections::HashSet;
use std::sync::{Arc, Mutex};

use axum::http::StatusCode;
use axum::response::Response;
use serde_json::{json, Value};

use super::routes::{json_response, status};
use super::store::{now_rfc3339, Inner, RecordedTokenRequest};
#[derive(Clone, Debug, PartialEq, Default)]
pub struct SarRequest {
    pub user: String,
    pub groups: Vec<String>,
    pub verb: String,
    pub group: String,
    pub resource: String,
    pub namespace: String,
    pub name: String,
}

/// The answer of the SubjectAccessReview policy.
#[derive(Clone, Debug, PartialEq)]
pub struct SarDecision {
    pub allowed: bool,
    pub reason: String,
}

impl SarDecision {
    pub fn allow(reason: impl Into<String>) -> Self {
        SarDecision {
            allowed: true,
            reason: reason.into(),
        }
    }
    pub fn deny(reason: impl Into<String>) -> Self {
        SarDecision {
            allowed: false,
            reason: reason.into(),
        }
    }
}

/// A mutable set of allowed (user, verb, resource, namespace, name) for SubjectAccessReviews;
/// clones share the set. `name` `"*"` stands for every name.
#[derive(Clone, Default)]
pub struct SarGrants(Arc<Mutex<HashSet<(String, String, String, String, String)>>>);

impl SarGrants {
    /// Allows `user` to `verb` `resource` named `name` in `namespace`.
    pub fn grant(&self, user: &str, verb: &str, resource: &str, namespace: &str, name: &str) {
        self.0.lock().unwrap().insert((
            user.into(),
            verb.into(),
            resource.into(),
            namespace.into(),
            name.into(),
        ));
    }

    /// Withdraws a grant made with the same arguments.
    pub fn revoke(&self, user: &str, verb: &str, resource: &str, namespace: &str, name: &str) {
        self.0.lock().unwrap().remove(&(
            user.into(),
            verb.into(),
            resource.into(),
            namespace.into(),
            name.into(),
        ));
    }

    /// The answer for `r` (only group `connectors.alauda.io` is granted).
    pub fn decide(&self, r: &SarRequest) -> SarDecision {
        let set = self.0.lock().unwrap();
        let ok = r.group == "connectors.alauda.io"
            && [r.name.as_str(), "*"].iter().any(|n| {
                set.contains(&(
                    r.user.clone(),
                    r.verb.clone(),
                    r.resource.clone(),
                    r.namespace.clone(),
                    n.to_string(),
                ))
            });
        if ok {
            SarDecision::allow("RBAC: allowed by RoleBinding")
        } else {
            SarDecision::deny("")
        }
    }
}

pub(crate) type SarPolicy = Arc<dyn Fn(&SarRequest) -> SarDecision + Send + Sync>;

pub(crate) fn token_request(
    inner: &Inner,
    namespace: &str,
    service_account: &str,
    body: &[u8],
    authorization: Option<String>,
) -> Response {
    let Ok(req) = serde_json::from_slice::<Value>(body) else {
        return status(
            StatusCode::BAD_REQUEST,
            "BadRequest",
            "TokenRequest body is not JSON",
        );
    };
    let seconds = req["spec"]["expirationSeconds"].as_i64().unwrap_or(3600);
    if seconds < 600 {
        return status(
            StatusCode::UNPROCESSABLE_ENTITY,
            "Invalid",
            format!("TokenRequest.authentication.k8s.io {service_account:?} is invalid: spec.expirationSeconds: Invalid value: {seconds}: may not specify a duration less than 10 minutes"),
        );
    }
    let mut st = inner.lock();
    st.tokens_issued += 1;
    let token = format!("fake-token-{}", st.tokens_issued);
    st.token_requests.push(RecordedTokenRequest {
        namespace: namespace.to_string(),
        service_account: service_account.to_string(),
        body: req.clone(),
        authorization,
        issued_token: token.clone(),
    });
    let mut spec = req["spec"].clone();
    if spec.is_null() {
        spec = json!({});
    }
    spec["expirationSeconds"] = json!(seconds);
    if spec.get("audiences").is_none() {
        spec["audiences"] = json!(["https://kubernetes.default.svc"]);
    }
    json_response(
        StatusCode::OK,
        &json!({
            "kind": "TokenRequest",
            "apiVersion": "authentication.k8s.io/v1",
            "metadata": {"name": service_account, "namespace": namespace, "creationTimestamp": null},
            "spec": spec,
            "status": {"token": token, "expirationTimestamp": now_rfc3339(seconds)},
        }),
    )
}

pub(crate) fn subject_access_review(inner: &Inner, body: &[u8]) -> Response {
    let Ok(mut req) = serde_json::from_slice::<Value>(body) else {
        return status(
            StatusCode::BAD_REQUEST,
            "BadRequest",
            "SubjectAccessReview body is not JSON",
        );
    };
    let spec = &req["spec"];
    let attrs = &spec["resourceAttributes"];
    let s = |v: &Value| v.as_str().unwrap_or_default().to_string();
    let sar = SarRequest {
        user: s(&spec["user"]),
        groups: spec["groups"]
            .as_array()
            .map(|a| {
                a.iter()
                    .filter_map(|g| g.as_str().map(str::to_string))
                    .collect()
            })
            .unwrap_or_default(),
        verb: s(&attrs["verb"]),
        group: s(&attrs["group"]),
        resource: s(&attrs["resource"]),
        namespace: s(&attrs["namespace"]),
        name: s(&attrs["name"]),
    };
    let policy = {
        let mut st = inner.lock();
        st.sar_requests.push(sar.clone());
        st.sar_policy.clone()
    };
    let decision = policy(&sar);
    let mut status_obj = json!({"allowed": decision.allowed});
    if !decision.reason.is_empty() {
        status_obj["reason"] = json!(decision.reason);
    }
    req["status"] = status_obj;
    json_response(StatusCode::OK, &req)
}
