//! The fake API server's opt-in RBAC mode: bearer tokens map to identities, every request is
//! turned into authorizer attributes the way the real API server's request-info resolver does it,
//! and [`crate::rbac::Rbac`] decides, with 403 Forbidden bodies like the real server's.
//! SubjectAccessReviews are answered by the same RBAC objects.

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

use axum::http::{Method, StatusCode};
use axum::response::Response;
use serde_json::json;

use super::auth::{SarDecision, SarRequest};
use super::routes::{json_response, status, Target};
use super::{FakeApiServer, DEFAULT_TOKEN};
use crate::rbac::{Attributes, Rbac, UserInfo};

/// Group that bypasses authorization, as on a real API server.
const MASTERS: &str = "system:masters";

/// Who may do what, when RBAC is enforced.
pub(crate) struct Enforcer {
    rbac: Rbac,
    users: HashMap<String, UserInfo>,
}

/// A request the RBAC mode refused.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DeniedRequest {
    pub user: String,
    pub attributes: Attributes,
}

/// The authorizer attributes of a request (`k8s.io/apiserver/pkg/endpoints/request`
/// `RequestInfoFactory`): verb from method, name and `watch`; list/watch with a
/// `fieldSelector=metadata.name=<n>` carry the name; `GET /api/v1/namespaces/<n>` is in
/// namespace `<n>`.
pub(crate) fn attributes(
    path: &str,
    method: &Method,
    query: &BTreeMap<String, String>,
    target: Option<&Target>,
) -> Option<Attributes> {
    if path == "/apis/authorization.k8s.io/v1/subjectaccessreviews" {
        return Some(Attributes::new(
            if method == Method::POST {
                "create"
            } else {
                "get"
            },
            "authorization.k8s.io",
            "subjectaccessreviews",
        ));
    }
    let t = target?;
    let group = t
        .info
        .prefix
        .strip_prefix("/apis/")
        .and_then(|g| g.split('/').next())
        .unwrap_or_default();
    let watch = matches!(
        query.get("watch").map(String::as_str),
        Some("true") | Some("1")
    );
    let verb = match (method, t.name.is_some(), watch) {
        (&Method::GET, true, _) => "get",
        (&Method::GET, false, true) => "watch",
        (&Method::GET, false, false) => "list",
        (&Method::POST, _, _) => "create",
        (&Method::PUT, _, _) => "update",
        (&Method::PATCH, _, _) => "patch",
        (&Method::DELETE, true, _) => "delete",
        (&Method::DELETE, false, _) => "deletecollection",
        _ => "unknown",
    };
    let mut a = Attributes::new(verb, group, t.info.plural);
    a.subresource = t.subresource.clone().unwrap_or_default();
    a.namespace = t.namespace.clone().unwrap_or_default();
    a.name = t.name.clone().unwrap_or_default();
    if t.info.plural == "namespaces" && a.namespace.is_empty() {
        a.namespace = a.name.clone();
    }
    if a.name.is_empty() && (verb == "list" || verb == "watch") {
        if let Some(sel) = query.get("fieldSelector") {
            let names: Vec<&str> = sel
                .split(',')
                .filter_map(|p| p.trim().strip_prefix("metadata.name="))
                .collect();
            if let [one] = names[..] {
                a.name = one.to_string();
            }
        }
    }
    Some(a)
}

impl Enforcer {
    /// `Ok` when the request may proceed; otherwise the refused request (for 403s) and the
    /// 401/403 response to send.
    pub(crate) fn check(
        &self,
        authorization: Option<&str>,
        attrs: Option<&Attributes>,
    ) -> Result<(), (Option<DeniedRequest>, Response)> {
        let Some(user) = authorization
            .and_then(|a| a.strip_prefix("Bearer "))
            .and_then(|t| self.users.get(t))
        else {
            return Err((
                None,
                status(StatusCode::UNAUTHORIZED, "Unauthorized", "Unauthorized"),
            ));
        };
        if user.groups.iter().any(|g| g == MASTERS) {
            return Ok(());
        }
        let Some(a) = attrs else {
            // Paths the fake does not serve: let routing answer 404.
            return Ok(());
        };
        if self.rbac.allows(user, a) {
            return Ok(());
        }
        let body = json!({
            "kind": "Status",
            "apiVersion": "v1",
            "metadata": {},
            "status": "Failure",
            "message": Rbac::forbidden_message(user, a),
            "reason": "Forbidden",
            "details": {"name": a.name, "group": a.api_group, "kind": a.resource},
            "code": 403,
        });
        Err((
            Some(DeniedRequest {
                user: user.name.clone(),
                attributes: a.clone(),
            }),
            json_response(StatusCode::FORBIDDEN, &body),
        ))
    }
}

impl FakeApiServer {
    /// Switches on RBAC: every request must present one of `identities`' bearer tokens (401
    /// otherwise) and is authorized by `rbac` (403 with the real server's message otherwise);
    /// [`DEFAULT_TOKEN`] stays an administrator (`system:masters`), which the HTTP-less
    /// [`FakeApiServer::apply`] does not need anyway. SubjectAccessReviews are answered by `rbac`
    /// too, like a real API server answers them with its authorizer.
    pub fn enforce_rbac(&self, rbac: Rbac, identities: &[(&str, UserInfo)]) {
        let mut users: HashMap<String, UserInfo> = identities
            .iter()
            .map(|(t, u)| (t.to_string(), u.clone()))
            .collect();
        users
            .entry(DEFAULT_TOKEN.to_string())
            .or_insert_with(|| UserInfo::new("system:admin", &[MASTERS]));
        let enforcer = Arc::new(Enforcer {
            rbac: rbac.clone(),
            users,
        });
        self.inner.lock().rbac = Some(enforcer);
        self.set_sar_policy(move |r: &SarRequest| {
            let user = UserInfo {
                name: r.user.clone(),
                groups: r.groups.clone(),
            };
            let a = Attributes::new(&r.verb, &r.group, &r.resource)
                .in_namespace(&r.namespace)
                .named(&r.name);
            match rbac.allowed_by(&user, &a) {
                Some(by) => SarDecision::allow(format!("RBAC: allowed by {by}")),
                None => SarDecision::deny(""),
            }
        });
    }

    /// A kube client presenting `token` (an identity given to [`FakeApiServer::enforce_rbac`]).
    pub async fn client_with_token(&self, token: &str) -> kube::Client {
        let config = kube::Config::from_custom_kubeconfig(
            self.kubeconfig_with_token(token),
            &kube::config::KubeConfigOptions::default(),
        )
        .await
        .expect("kube config from the generated kubeconfig");
        kube::Client::try_from(config).expect("kube client for the fake API server")
    }

    /// Every request the RBAC mode refused with 403, in order.
    pub fn denied_requests(&self) -> Vec<DeniedRequest> {
        self.inner.lock().denied.clone()
    }
}
