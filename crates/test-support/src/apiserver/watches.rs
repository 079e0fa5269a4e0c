//! Watches of the fake API server: backlog replay from a resourceVersion, live events,
//! bookmarks, outage aborts and 410 Gone on lag.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use axum::body::{Body, Bytes};
use axum::http::{header, StatusCode};
use axum::response::Response;
use serde_json::{json, Value};
use tokio::sync::{broadcast, mpsc};
use tokio_stream::wrappers::ReceiverStream;

use super::routes::{Selectors, Target};
use super::store::{Inner, ResourceInfo, StoredEvent};

/// How often an open watch sends a BOOKMARK when the client allowed them.
pub(crate) const BOOKMARK_INTERVAL: Duration = Duration::from_secs(10);

/// The watch stream's sender; counts the bytes of every line sent.
struct CountingSender {
    tx: mpsc::Sender<Result<Bytes, std::io::Error>>,
    inner: Arc<Inner>,
    resource: &'static str,
    client: Option<String>,
}

impl CountingSender {
    async fn send(
        &self,
        item: Result<Bytes, std::io::Error>,
    ) -> Result<(), mpsc::error::SendError<Result<Bytes, std::io::Error>>> {
        let n = item.as_ref().map(Bytes::len).unwrap_or(0);
        self.tx.send(item).await?;
        self.inner
            .lock()
            .counts
            .add_bytes("watch", self.resource, self.client.as_deref(), n);
        Ok(())
    }
}

pub(crate) fn watch_line(type_: &str, object: &Value) -> Bytes {
    let mut line = serde_json::to_vec(&json!({"type": type_, "object": object}))
        .expect("watch event serializes");
    line.push(b'\n');
    Bytes::from(line)
}

pub(crate) fn bookmark(info: &ResourceInfo, rv: u64) -> Bytes {
    watch_line(
        "BOOKMARK",
        &json!({
            "kind": info.kind,
            "apiVersion": info.api_version,
            "metadata": {"resourceVersion": rv.to_string()},
        }),
    )
}

pub(crate) fn watch_objects(
    inner: &Arc<Inner>,
    t: &Target,
    selectors: Selectors,
    query: &BTreeMap<String, String>,
    client: Option<String>,
) -> Response {
    let since: u64 = query
        .get("resourceVersion")
        .and_then(|v| v.parse().ok())
        .unwrap_or(0);
    let bookmarks = query.get("allowWatchBookmarks").map(String::as_str) == Some("true");
    let timeout = query
        .get("timeoutSeconds")
        .and_then(|v| v.parse::<u64>().ok())
        .map(Duration::from_secs)
        .unwrap_or(Duration::from_secs(1800));
    let info = t.info;
    let scope_ns = t.namespace.clone();
    let wanted = move |ev: &StoredEvent| {
        ev.plural == info.plural
            && scope_ns.as_deref().is_none_or(|ns| ns == ev.namespace)
            && selectors.matches(&ev.object)
    };

    // A restarted API server's watch cache starts at the restart: older versions are gone.
    let floor = inner.lock().watch_floor;
    if since != 0 && since < floor {
        let gone = json!({
            "kind": "Status", "apiVersion": "v1", "metadata": {},
            "status": "Failure", "reason": "Expired", "code": 410,
            "message": format!("too old resource version: {since} ({floor})"),
        });
        return Response::builder()
            .status(StatusCode::OK)
            .header(header::CONTENT_TYPE, "application/json")
            .body(Body::from(watch_line("ERROR", &gone)))
            .expect("watch response");
    }
    // Snapshot the backlog and subscribe under the same lock so no event is lost or repeated.
    let (backlog, mut live, current_rv) = {
        let st = inner.lock();
        let backlog: Vec<Bytes> = if since == 0 {
            // "Any" semantics: synthetic ADDED for everything that exists now.
            st.objects
                .iter()
                .filter(|(k, _)| k.plural == info.plural)
                .map(|(k, v)| StoredEvent {
                    rv: 0,
                    plural: k.plural,
                    namespace: k.namespace.clone(),
                    type_: "ADDED",
                    object: v.clone(),
                })
                .filter(&wanted)
                .map(|ev| watch_line(ev.type_, &ev.object))
                .collect()
        } else {
            st.log
                .iter()
                .filter(|ev| ev.rv > since && wanted(ev))
                .map(|ev| watch_line(ev.type_, &ev.object))
                .collect()
        };
        (backlog, inner.events.subscribe(), st.rv)
    };

    let (raw_tx, rx) = mpsc::channel::<Result<Bytes, std::io::Error>>(256);
    let tx = CountingSender {
        tx: raw_tx,
        inner: inner.clone(),
        resource: info.plural,
        client,
    };
    let mut down_rx = inner.down_tx.subscribe();
    let mut restart_rx = inner.restarts.subscribe();
    restart_rx.borrow_and_update();
    tokio::spawn(async move {
        for line in backlog {
            if tx.send(Ok(line)).await.is_err() {
                return;
            }
        }
        if bookmarks && tx.send(Ok(bookmark(info, current_rv))).await.is_err() {
            return;
        }
        let deadline = tokio::time::sleep(timeout);
        tokio::pin!(deadline);
        let mut ticker = tokio::time::interval(BOOKMARK_INTERVAL);
        ticker.tick().await;
        let mut last_rv = current_rv;
        loop {
            tokio::select! {
                _ = &mut deadline => return,
                _ = tx.tx.closed() => return,
                // An API server restart ends every watch (the connection closes).
                _ = restart_rx.changed() => return,
                changed = down_rx.changed() => {
                    if changed.is_err() || *down_rx.borrow() {
                        let _ = tx
                            .send(Err(std::io::Error::new(
                                std::io::ErrorKind::ConnectionAborted,
                                "fake API server went down",
                            )))
                            .await;
                        return;
                    }
                }
                _ = ticker.tick(), if bookmarks => {
                    if tx.send(Ok(bookmark(info, last_rv))).await.is_err() {
                        return;
                    }
                }
                ev = live.recv() => match ev {
                    Ok(ev) => {
                        last_rv = last_rv.max(ev.rv);
                        if wanted(&ev) && tx.send(Ok(watch_line(ev.type_, &ev.object))).await.is_err() {
                            return;
                        }
                    }
                    Err(broadcast::error::RecvError::Lagged(_)) => {
                        // Like an etcd compaction: tell the client to relist.
                        let gone = json!({
                            "kind": "Status", "apiVersion": "v1", "metadata": {},
                            "status": "Failure", "reason": "Expired", "code": 410,
                            "message": "too old resource version",
                        });
                        let _ = tx.send(Ok(watch_line("ERROR", &gone))).await;
                        return;
                    }
                    Err(broadcast::error::RecvError::Closed) => return,
                },
            }
        }
    });
    Response::builder()
        .status(StatusCode::OK)
        .header(header::CONTENT_TYPE, "application/json")
        .body(Body::from_stream(ReceiverStream::new(rx)))
        .expect("watch response")
}
