//! HTTP routing of the fake API server: path parsing, request accounting, authentication,
//! outage/forbidden answers, and get/list of stored objects.

use std::collections::BTreeMap;
use std::sync::atomic::Ordering;
use std::sync::Arc;

use axum::body::{Body, Bytes};
use axum::extract::State;
use axum::http::{header, HeaderMap, Method, StatusCode, Uri};
use axum::response::Response;
use serde_json::{json, Value};

use super::auth::{subject_access_review, token_request};
use super::rbac_mode::attributes as rbac_attributes;
use super::store::{resource_by_path, Inner, ObjKey, RecordedRequest, ResourceInfo};
use super::watches::watch_objects;
use super::writes::{create_object, patch_object};
pub(crate) fn json_response(code: StatusCode, body: &Value) -> Response {
    Response::builder()
        .status(code)
        .header(header::CONTENT_TYPE, "application/json")
        .body(Body::from(
            serde_json::to_vec(body).expect("JSON value serializes"),
        ))
        .expect("JSON response")
}

pub(crate) fn status(code: StatusCode, reason: &str, message: impl Into<String>) -> Response {
    let body = json!({
        "kind": "Status",
        "apiVersion": "v1",
        "metadata": {},
        "status": "Failure",
        "message": message.into(),
        "reason": reason,
        "code": code.as_u16(),
    });
    json_response(code, &body)
}

/// A parsed resource path.
pub(crate) struct Target {
    pub(crate) info: &'static ResourceInfo,
    pub(crate) namespace: Option<String>,
    pub(crate) name: Option<String>,
    pub(crate) subresource: Option<String>,
}

pub(crate) fn parse_path(path: &str) -> Option<Target> {
    let prefixes = ["/apis/connectors.alauda.io/v1alpha1", "/api/v1"];
    let prefix = prefixes.iter().find(|p| path.starts_with(**p))?;
    let rest = path[prefix.len()..].trim_start_matches('/');
    let segs: Vec<&str> = rest.split('/').filter(|s| !s.is_empty()).collect();
    if segs.first() == Some(&"namespaces") && segs.len() >= 3 {
        let info = resource_by_path(prefix, segs[2])?;
        if !info.namespaced {
            return None;
        }
        return Some(Target {
            info,
            namespace: Some(segs[1].to_string()),
            name: segs.get(3).map(|s| s.to_string()),
            subresource: segs.get(4).map(|s| s.to_string()),
        });
    }
    let info = resource_by_path(prefix, segs.first()?)?;
    Some(Target {
        info,
        namespace: None,
        name: segs.get(1).map(|s| s.to_string()),
        subresource: segs.get(2).map(|s| s.to_string()),
    })
}

/// Field and label selectors of a list or watch.
#[derive(Default)]
pub(crate) struct Selectors {
    pub(crate) fields: Vec<(String, String, bool)>,
    pub(crate) labels: Vec<(String, String, bool)>,
}

pub(crate) fn parse_selector(s: &str, what: &str) -> Result<Vec<(String, String, bool)>, String> {
    let mut out = Vec::new();
    for part in s.split(',').map(str::trim).filter(|p| !p.is_empty()) {
        let (k, v, eq) = if let Some((k, v)) = part.split_once("!=") {
            (k, v, false)
        } else if let Some((k, v)) = part.split_once("==") {
            (k, v, true)
        } else if let Some((k, v)) = part.split_once('=') {
            (k, v, true)
        } else {
            return Err(format!(
                "{what} {part:?} is not supported by the fake API server (only k=v, k==v, k!=v)"
            ));
        };
        out.push((k.trim().to_string(), v.trim().to_string(), eq));
    }
    Ok(out)
}

impl Selectors {
    pub(crate) fn parse(query: &BTreeMap<String, String>) -> Result<Selectors, String> {
        let mut s = Selectors::default();
        if let Some(f) = query.get("fieldSelector") {
            s.fields = parse_selector(f, "fieldSelector")?;
            for (k, _, _) in &s.fields {
                if k != "metadata.name" && k != "metadata.namespace" {
                    return Err(format!(
                        "field label not supported: {k} (the fake API server knows metadata.name and metadata.namespace)"
                    ));
                }
            }
        }
        if let Some(l) = query.get("labelSelector") {
            s.labels = parse_selector(l, "labelSelector")?;
        }
        Ok(s)
    }

    pub(crate) fn matches(&self, obj: &Value) -> bool {
        let meta = &obj["metadata"];
        let fields_ok = self.fields.iter().all(|(k, v, eq)| {
            let actual = match k.as_str() {
                "metadata.name" => meta["name"].as_str().unwrap_or_default(),
                _ => meta["namespace"].as_str().unwrap_or_default(),
            };
            (actual == v) == *eq
        });
        let labels_ok = self.labels.iter().all(|(k, v, eq)| {
            let actual = meta["labels"][k.as_str()].as_str();
            (actual == Some(v.as_str())) == *eq
        });
        fields_ok && labels_ok
    }
}

pub(crate) fn bearer(headers: &HeaderMap) -> Option<String> {
    headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .map(str::to_string)
}

pub(crate) async fn handle(
    State(inner): State<Arc<Inner>>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let full_path = uri.path().to_string();
    let prefix = inner.lock().path_prefix.clone();
    let path = match prefix.as_deref() {
        None => full_path.clone(),
        Some(p) => match full_path.strip_prefix(p) {
            Some(rest) if rest.starts_with('/') => rest.to_string(),
            _ => format!("/outside-prefix{full_path}"),
        },
    };
    let query_str = uri.query().unwrap_or_default().to_string();
    let query: BTreeMap<String, String> = url::form_urlencoded::parse(query_str.as_bytes())
        .into_owned()
        .collect();
    let authorization = bearer(&headers);
    let is_watch = matches!(
        query.get("watch").map(String::as_str),
        Some("true") | Some("1")
    );
    let target = parse_path(&path);
    let (verb, resource) = if path == "/apis/authorization.k8s.io/v1/subjectaccessreviews" {
        ("create", "subjectaccessreviews".to_string())
    } else if let Some(t) = &target {
        let resource = match &t.subresource {
            Some(sub) => format!("{}/{sub}", t.info.plural),
            None => t.info.plural.to_string(),
        };
        let verb = match (&method, t.name.is_some(), is_watch) {
            (&Method::GET, true, _) => "get",
            (&Method::GET, false, true) => "watch",
            (&Method::GET, false, false) => "list",
            (&Method::POST, _, _) => "create",
            (&Method::PATCH, _, _) => "patch",
            (&Method::DELETE, _, _) => "delete",
            _ => "other",
        };
        (verb, resource)
    } else {
        ("other", "other".to_string())
    };

    {
        let mut st = inner.lock();
        st.requests.push(RecordedRequest {
            method: method.to_string(),
            path: full_path.clone(),
            query: query_str.clone(),
            authorization: authorization.clone(),
            at: std::time::Instant::now(),
        });
        *st.counts
            .by_verb_resource
            .entry((verb.to_string(), resource.clone()))
            .or_default() += 1;
        if let Some(accepted) = &st.accepted_tokens {
            let ok = authorization
                .as_deref()
                .and_then(|a| a.strip_prefix("Bearer "))
                .is_some_and(|t| accepted.contains(t));
            if !ok {
                return status(StatusCode::UNAUTHORIZED, "Unauthorized", "Unauthorized");
            }
        }
    }
    let enforcer = inner.lock().rbac.clone();
    if let Some(enforcer) = enforcer {
        let attrs = rbac_attributes(&path, &method, &query, target.as_ref());
        if let Err((denied, response)) = enforcer.check(authorization.as_deref(), attrs.as_ref()) {
            if let Some(d) = denied {
                inner.lock().denied.push(d);
            }
            return response;
        }
    }
    let forbidden = inner
        .lock()
        .forbidden
        .contains(&(verb.to_string(), resource.clone()));
    if forbidden {
        let user = "system:serviceaccount:connectors-system:connectors-csi";
        return status(
            StatusCode::FORBIDDEN,
            "Forbidden",
            format!(
                "{resource} is forbidden: User \"{user}\" cannot {verb} resource \"{resource}\""
            ),
        );
    }
    if inner.down.load(Ordering::SeqCst) {
        return status(
            StatusCode::SERVICE_UNAVAILABLE,
            "ServiceUnavailable",
            "the fake API server is down",
        );
    }

    if path == "/apis/authorization.k8s.io/v1/subjectaccessreviews" {
        if method != Method::POST {
            return status(
                StatusCode::METHOD_NOT_ALLOWED,
                "MethodNotAllowed",
                "use POST",
            );
        }
        return subject_access_review(&inner, &body);
    }
    let Some(t) = target else {
        return status(
            StatusCode::NOT_FOUND,
            "NotFound",
            format!("the server could not find the requested resource ({path})"),
        );
    };
    match (&method, t.name.as_deref(), t.subresource.as_deref()) {
        (&Method::POST, Some(sa), Some("token")) if t.info.plural == "serviceaccounts" => {
            token_request(
                &inner,
                t.namespace.as_deref().unwrap_or_default(),
                sa,
                &body,
                authorization,
            )
        }
        (&Method::POST, None, None)
            if t.info.plural == "events" || t.info.plural == "accessrequests" =>
        {
            create_object(&inner, &t, &body)
        }
        (&Method::PATCH, Some(name), None) if t.info.plural == "events" => {
            patch_object(&inner, &t, name, &body)
        }
        (&Method::GET, Some(name), None) => get_object(&inner, &t, name),
        (&Method::GET, None, None) => {
            let selectors = match Selectors::parse(&query) {
                Ok(s) => s,
                Err(e) => return status(StatusCode::BAD_REQUEST, "BadRequest", e),
            };
            let client = authorization
                .as_deref()
                .and_then(|a| a.strip_prefix("Bearer "))
                .map(str::to_string);
            if is_watch {
                watch_objects(&inner, &t, selectors, &query, client)
            } else {
                list_objects(&inner, &t, &selectors, client.as_deref())
            }
        }
        _ => status(
            StatusCode::METHOD_NOT_ALLOWED,
            "MethodNotAllowed",
            format!("{method} {path} is not supported by the fake API server"),
        ),
    }
}

pub(crate) fn get_object(inner: &Inner, t: &Target, name: &str) -> Response {
    let key = ObjKey {
        plural: t.info.plural,
        namespace: t.namespace.clone().unwrap_or_default(),
        name: name.to_string(),
    };
    match inner.lock().objects.get(&key) {
        Some(obj) => json_response(StatusCode::OK, obj),
        None => {
            let body = json!({
                "kind": "Status",
                "apiVersion": "v1",
                "metadata": {},
                "status": "Failure",
                "message": format!("{} {name:?} not found", t.info.plural),
                "reason": "NotFound",
                "details": {"name": name, "kind": t.info.plural},
                "code": 404,
            });
            json_response(StatusCode::NOT_FOUND, &body)
        }
    }
}

pub(crate) fn in_scope(t: &Target, namespace: &str) -> bool {
    t.namespace.as_deref().is_none_or(|ns| ns == namespace)
}

pub(crate) fn list_objects(
    inner: &Inner,
    t: &Target,
    selectors: &Selectors,
    client: Option<&str>,
) -> Response {
    let mut st = inner.lock();
    let items: Vec<Value> = st
        .objects
        .iter()
        .filter(|(k, v)| {
            k.plural == t.info.plural && in_scope(t, &k.namespace) && selectors.matches(v)
        })
        .map(|(_, v)| v.clone())
        .collect();
    let body = serde_json::to_vec(&json!({
        "apiVersion": t.info.api_version,
        "kind": format!("{}List", t.info.kind),
        "metadata": {"resourceVersion": st.rv.to_string()},
        "items": items,
    }))
    .expect("JSON value serializes");
    st.counts
        .add_bytes("list", t.info.plural, client, body.len());
    Response::builder()
        .status(StatusCode::OK)
        .header(header::CONTENT_TYPE, "application/json")
        .body(Body::from(body))
        .expect("JSON response")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_parse_into_resources() {
        let t = parse_path("/apis/connectors.alauda.io/v1alpha1/connectors").unwrap();
        assert_eq!(t.info.kind, "Connector");
        assert!(t.namespace.is_none() && t.name.is_none());
        let t =
            parse_path("/apis/connectors.alauda.io/v1alpha1/namespaces/team/connectors/a").unwrap();
        assert_eq!(
            (t.namespace.as_deref(), t.name.as_deref()),
            (Some("team"), Some("a"))
        );
        let t = parse_path("/api/v1/namespaces/team").unwrap();
        assert_eq!(
            (t.info.kind, t.name.as_deref()),
            ("Namespace", Some("team"))
        );
        let t = parse_path("/api/v1/namespaces/team/serviceaccounts/builder/token").unwrap();
        assert_eq!(t.subresource.as_deref(), Some("token"));
        assert!(parse_path("/api/v1/namespaces/team/pods").is_none());
    }
}
