//! Spreads the client's requests over as many HTTP/2 connections as its open streams need: at
//! most [`STREAMS_PER_CONNECTION`] requests in flight (a watch is one long-lived request) share a
//! connection, and a new one is opened when every connection is that full.
//!
//! An HTTP/2 server limits the streams one connection may have open (kube-apiserver:
//! `--http2-max-streams-per-connection`, Go's default 250 when unset; RFC 9113 §6.5.2 recommends
//! at least 100). hyper queues a request beyond the limit until another stream closes, so a node
//! with more watches than that would wait forever on the next one; Go's client opens another
//! connection instead, and so does this. With plain HTTP/1.1 every request has a connection of
//! its own anyway.

use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};

use http::{Request, Response};
use hyper::body::{Bytes, Frame, Incoming};
use hyper_util::client::legacy::connect::HttpConnector;

/// Requests in flight on one connection before another is opened.
pub const STREAMS_PER_CONNECTION: usize = 100;

type Https = hyper_rustls::HttpsConnector<HttpConnector>;
type Hyper = hyper_util::client::legacy::Client<Https, kube::client::Body>;

/// One hyper client (so one connection pool, one HTTP/2 connection) and its open requests.
struct Conn {
    client: Hyper,
    open: Arc<AtomicUsize>,
}

/// The `tower::Service` under kube's layers: picks the first connection with room.
#[derive(Clone)]
pub(super) struct Spread {
    builder: hyper_util::client::legacy::Builder,
    connector: Https,
    conns: Arc<Mutex<Vec<Conn>>>,
    per_connection: usize,
}

impl Spread {
    pub(super) fn new(builder: hyper_util::client::legacy::Builder, connector: Https) -> Self {
        Self::with_limit(builder, connector, STREAMS_PER_CONNECTION)
    }

    pub(super) fn with_limit(
        builder: hyper_util::client::legacy::Builder,
        connector: Https,
        per_connection: usize,
    ) -> Self {
        Spread {
            builder,
            connector,
            conns: Arc::new(Mutex::new(Vec::new())),
            per_connection: per_connection.max(1),
        }
    }

    fn pick(&self) -> (Hyper, OpenGuard) {
        let mut conns = self.conns.lock().unwrap_or_else(|p| p.into_inner());
        let conn = match conns
            .iter()
            .position(|c| c.open.load(Ordering::SeqCst) < self.per_connection)
        {
            Some(i) => &conns[i],
            None => {
                conns.push(Conn {
                    client: self.builder.build(self.connector.clone()),
                    open: Arc::new(AtomicUsize::new(0)),
                });
                conns.last().expect("just pushed")
            }
        };
        conn.open.fetch_add(1, Ordering::SeqCst);
        (conn.client.clone(), OpenGuard(conn.open.clone()))
    }
}

/// Counts one open request until the response body (or the failed request) is dropped.
struct OpenGuard(Arc<AtomicUsize>);

impl Drop for OpenGuard {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::SeqCst);
    }
}

impl tower::Service<Request<kube::client::Body>> for Spread {
    type Response = Response<CountedBody>;
    type Error = hyper_util::client::legacy::Error;
    type Future = Pin<Box<dyn Future<Output = Result<Response<CountedBody>, Self::Error>> + Send>>;

    fn poll_ready(&mut self, _: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        // hyper's legacy client is always ready; it waits for a connection inside the call.
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, req: Request<kube::client::Body>) -> Self::Future {
        let (client, guard) = self.pick();
        Box::pin(async move {
            let response = client.request(req).await?;
            Ok(response.map(|inner| CountedBody {
                inner,
                _open: guard,
            }))
        })
    }
}

/// A response body that keeps its request counted as open on its connection.
pub(super) struct CountedBody {
    inner: Incoming,
    _open: OpenGuard,
}

impl http_body::Body for CountedBody {
    type Data = Bytes;
    type Error = hyper::Error;

    fn poll_frame(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, hyper::Error>>> {
        Pin::new(&mut self.get_mut().inner).poll_frame(cx)
    }

    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }

    fn size_hint(&self) -> http_body::SizeHint {
        self.inner.size_hint()
    }
}
