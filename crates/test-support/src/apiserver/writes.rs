//! Writes the fake API server accepts over HTTP for Events and AccessRequests: `create` (POST to the collection)
//! and `patch` (JSON merge patch, which for the fields the driver sends is also what a
//! strategic merge patch does), with resourceVersion, uid and watch notifications like
//! [`super::FakeApiServer::apply`].

use axum::http::StatusCode;
use axum::response::Response;
use serde_json::{json, Value};

use super::routes::{json_response, status, Target};
use super::store::{now_rfc3339, Inner, ObjKey, StoredEvent};

/// `POST …/namespaces/{ns}/{plural}`: 201 with the stored object, 409 when the name exists.
pub(crate) fn create_object(inner: &Inner, t: &Target, body: &[u8]) -> Response {
    let mut obj: Value = match serde_json::from_slice(body) {
        Ok(v) => v,
        Err(e) => return status(StatusCode::BAD_REQUEST, "BadRequest", format!("body: {e}")),
    };
    let namespace = t.namespace.clone().unwrap_or_default();
    let name = match obj["metadata"]["name"].as_str().filter(|n| !n.is_empty()) {
        Some(n) => n.to_string(),
        None => {
            return status(
                StatusCode::UNPROCESSABLE_ENTITY,
                "Invalid",
                "metadata.name: Required value",
            )
        }
    };
    if obj["metadata"]["namespace"]
        .as_str()
        .is_some_and(|n| n != namespace)
    {
        return status(
            StatusCode::BAD_REQUEST,
            "BadRequest",
            "the namespace of the provided object does not match the namespace sent on the request",
        );
    }
    let key = ObjKey {
        plural: t.info.plural,
        namespace: namespace.clone(),
        name: name.clone(),
    };
    let mut st = inner.lock();
    if st.objects.contains_key(&key) {
        return status(
            StatusCode::CONFLICT,
            "AlreadyExists",
            format!("{} {name:?} already exists", t.info.plural),
        );
    }
    st.rv += 1;
    st.uid_counter += 1;
    let rv = st.rv;
    obj["apiVersion"] = json!(t.info.api_version);
    obj["kind"] = json!(t.info.kind);
    obj["metadata"]["namespace"] = json!(namespace);
    obj["metadata"]["resourceVersion"] = json!(rv.to_string());
    obj["metadata"]["uid"] = json!(format!("00000000-0000-4000-9000-{:012}", st.uid_counter));
    obj["metadata"]["creationTimestamp"] = json!(now_rfc3339(0));
    st.objects.insert(key, obj.clone());
    record(inner, &mut st, t, namespace, "ADDED", &obj, rv);
    json_response(StatusCode::CREATED, &obj)
}

/// `PATCH …/namespaces/{ns}/{plural}/{name}` with a merge patch: 200 with the result, 404 when
/// the object does not exist.
pub(crate) fn patch_object(inner: &Inner, t: &Target, name: &str, body: &[u8]) -> Response {
    let patch: Value = match serde_json::from_slice(body) {
        Ok(v) => v,
        Err(e) => return status(StatusCode::BAD_REQUEST, "BadRequest", format!("body: {e}")),
    };
    let namespace = t.namespace.clone().unwrap_or_default();
    let key = ObjKey {
        plural: t.info.plural,
        namespace: namespace.clone(),
        name: name.to_string(),
    };
    let mut st = inner.lock();
    let Some(mut obj) = st.objects.get(&key).cloned() else {
        return status(
            StatusCode::NOT_FOUND,
            "NotFound",
            format!("{} {name:?} not found", t.info.plural),
        );
    };
    merge_patch(&mut obj, &patch);
    st.rv += 1;
    let rv = st.rv;
    obj["metadata"]["resourceVersion"] = json!(rv.to_string());
    st.objects.insert(key, obj.clone());
    record(inner, &mut st, t, namespace, "MODIFIED", &obj, rv);
    json_response(StatusCode::OK, &obj)
}

fn record(
    inner: &Inner,
    st: &mut super::store::ServerState,
    t: &Target,
    namespace: String,
    type_: &'static str,
    obj: &Value,
    rv: u64,
) {
    let ev = StoredEvent {
        rv,
        plural: t.info.plural,
        namespace,
        type_,
        object: obj.clone(),
    };
    st.log.push(ev.clone());
    let _ = inner.events.send(ev);
}

/// RFC 7386 JSON merge patch.
fn merge_patch(target: &mut Value, patch: &Value) {
    let Value::Object(p) = patch else {
        *target = patch.clone();
        return;
    };
    if !target.is_object() {
        *target = json!({});
    }
    let t = target.as_object_mut().expect("object");
    for (k, v) in p {
        if v.is_null() {
            t.remove(k);
        } else {
            merge_patch(t.entry(k.clone()).or_insert(Value::Null), v);
        }
    }
}
