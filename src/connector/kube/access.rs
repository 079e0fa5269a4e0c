//! Access checks and tokens against the API server: the pod's SubjectAccessReview (cached),
//! namespace labels for project scoping (cached), and pod-bound TokenRequests.

use std::collections::BTreeMap;
use std::time::Instant;

use k8s_openapi::api::authentication::v1::{
    BoundObjectReference, TokenRequest, TokenRequestSpec as K8sTokenRequestSpec,
};
use k8s_openapi::api::authorization::v1::{
    ResourceAttributes, SubjectAccessReview, SubjectAccessReviewSpec, SubjectAccessReviewStatus,
};
use k8s_openapi::api::core::v1::{Namespace, ServiceAccount};
use kube::api::{Api, PostParams};

use super::errors::{map_kube_error, timeout_error, ApiCall};
use super::{lock, KubeSource, CONNECTORS_GROUP};
use crate::connector::source::{ObjectKey, PodInfo, SourceError, TokenRequestSpec};
use crate::token::Token;

impl KubeSource {
    pub(super) async fn fetch_namespace_labels(
        &self,
        ns: &str,
    ) -> Result<BTreeMap<String, String>, SourceError> {
        let stale = {
            let cache = lock(&self.namespaces);
            match cache.get(ns) {
                Some((at, labels)) if at.elapsed() < self.opts.namespace_cache_ttl => {
                    return Ok(labels.clone())
                }
                Some((_, labels)) => Some(labels.clone()),
                None => None,
            }
        };
        let call = ApiCall {
            verb: "get",
            resource: "namespaces".into(),
            kind: "namespace",
            key: ns.to_string(),
        };
        let api = Api::<Namespace>::all(self.client.clone());
        let result = match tokio::time::timeout(self.opts.api_timeout, api.get_opt(ns)).await {
            Ok(Ok(found)) => Ok(found.and_then(|n| n.metadata.labels).unwrap_or_default()),
            Ok(Err(e)) => Err(map_kube_error(e, &call)),
            Err(_) => Err(timeout_error(&call, self.opts.api_timeout)),
        };
        match result {
            Ok(labels) => {
                lock(&self.namespaces).insert(ns.to_string(), (Instant::now(), labels.clone()));
                Ok(labels)
            }
            Err(SourceError::Unavailable(msg)) if stale.is_some() => {
                tracing::warn!(namespace = ns, error = %msg, "using expired namespace labels: the API server is unreachable");
                Ok(stale.unwrap_or_default())
            }
            Err(e) => Err(e),
        }
    }

    pub(super) async fn review_access(
        &self,
        pod: &PodInfo,
        connector: &ObjectKey,
    ) -> Result<(), SourceError> {
        if pod.service_account.is_empty() || pod.namespace.is_empty() {
            return Err(SourceError::Invalid(
                "cannot check access to the connector: the volume request does not name the pod's ServiceAccount; the CSIDriver object must set podInfoOnMount: true".into(),
            ));
        }
        let user = pod.sa_username();
        let cache_key = (user.clone(), connector.clone());
        if let Some((at, answer)) = lock(&self.sar_cache).get(&cache_key) {
            if at.elapsed() < self.opts.sar_cache_ttl {
                return answer.clone();
            }
        }
        let attributes = ResourceAttributes {
            group: Some(CONNECTORS_GROUP.into()),
            resource: Some("connectors".into()),
            verb: Some("get".into()),
            namespace: Some(connector.namespace.clone()),
            name: Some(connector.name.clone()),
            ..Default::default()
        };
        let status = self
            .subject_access_review(pod, attributes, format!("{user} get connector {connector}"))
            .await?;
        let answer = if status.allowed {
            Ok(())
        } else {
            let reason = denial_reason(status);
            Err(SourceError::PermissionDenied(format!(
                "ServiceAccount {}/{} may not get connectors.{CONNECTORS_GROUP} {:?}: {reason}; grant it with a Role in namespace {} allowing verb get on resource connectors (apiGroup {CONNECTORS_GROUP}, resourceNames [{}]) and a RoleBinding to the ServiceAccount",
                pod.namespace,
                pod.service_account,
                connector.to_string(),
                connector.namespace,
                connector.name,
            )))
        };
        lock(&self.sar_cache).insert(cache_key, (Instant::now(), answer.clone()));
        answer
    }

    /// Asks whether the pod's ServiceAccount (with its groups) may do `attributes`.
    pub(super) async fn subject_access_review(
        &self,
        pod: &PodInfo,
        attributes: ResourceAttributes,
        what: String,
    ) -> Result<SubjectAccessReviewStatus, SourceError> {
        let review = SubjectAccessReview {
            spec: SubjectAccessReviewSpec {
                user: Some(pod.sa_username()),
                groups: Some(vec![
                    "system:serviceaccounts".into(),
                    format!("system:serviceaccounts:{}", pod.namespace),
                    "system:authenticated".into(),
                ]),
                resource_attributes: Some(attributes),
                ..Default::default()
            },
            ..Default::default()
        };
        let call = ApiCall {
            verb: "create",
            resource: "subjectaccessreviews.authorization.k8s.io".into(),
            kind: "subjectaccessreview",
            key: what,
        };
        let api = Api::<SubjectAccessReview>::all(self.client.clone());
        match tokio::time::timeout(
            self.opts.api_timeout,
            api.create(&PostParams::default(), &review),
        )
        .await
        {
            Ok(Ok(r)) => Ok(r.status.unwrap_or_default()),
            Ok(Err(e)) => Err(map_kube_error(e, &call)),
            Err(_) => Err(timeout_error(&call, self.opts.api_timeout)),
        }
    }

    pub(super) async fn mint_pod_token(
        &self,
        spec: &TokenRequestSpec,
    ) -> Result<Token, SourceError> {
        let pod = &spec.pod;
        if pod.service_account.is_empty() || pod.name.is_empty() || pod.uid.is_empty() {
            return Err(SourceError::Invalid(
                "cannot mint a pod-bound token: the volume request does not carry the pod's name, uid and ServiceAccount; the CSIDriver object must set podInfoOnMount: true".into(),
            ));
        }
        let request = TokenRequest {
            spec: K8sTokenRequestSpec {
                audiences: if spec.audience.is_empty() {
                    Vec::new()
                } else {
                    vec![spec.audience.clone()]
                },
                expiration_seconds: Some(spec.expiration.as_secs() as i64),
                bound_object_ref: Some(BoundObjectReference {
                    api_version: Some("v1".into()),
                    kind: Some("Pod".into()),
                    name: Some(pod.name.clone()),
                    uid: Some(pod.uid.clone()),
                }),
            },
            ..Default::default()
        };
        let call = ApiCall {
            verb: "create",
            resource: "serviceaccounts/token".into(),
            kind: "serviceaccount",
            key: format!("{}/{}", pod.namespace, pod.service_account),
        };
        let api = Api::<ServiceAccount>::namespaced(self.client.clone(), &pod.namespace);
        let issued_at = jiff::Timestamp::now();
        let created: TokenRequest = match tokio::time::timeout(
            self.opts.api_timeout,
            api.create_subresource(
                "token",
                &pod.service_account,
                &PostParams::default(),
                &request,
            ),
        )
        .await
        {
            Ok(Ok(r)) => r,
            Ok(Err(e)) => return Err(map_kube_error(e, &call)),
            Err(_) => return Err(timeout_error(&call, self.opts.api_timeout)),
        };
        let status = created.status.ok_or_else(|| {
            SourceError::Unavailable(format!(
                "the TokenRequest for ServiceAccount {} returned no status",
                call.key
            ))
        })?;
        if status.token.is_empty() {
            return Err(SourceError::Unavailable(format!(
                "the TokenRequest for ServiceAccount {} returned an empty token",
                call.key
            )));
        }
        Ok(Token::new(
            status.token,
            issued_at,
            status.expiration_timestamp.0,
        ))
    }
}

/// Why a SubjectAccessReview said no, for the user-facing message: the authorizer's reason,
/// else its evaluation error, else a generic "no RBAC rule allows it".
pub(super) fn denial_reason(status: SubjectAccessReviewStatus) -> String {
    status
        .reason
        .filter(|r| !r.is_empty())
        .or(status.evaluation_error.filter(|r| !r.is_empty()))
        .unwrap_or_else(|| "no RBAC rule allows it".into())
}
