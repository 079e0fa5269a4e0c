//! An in-process source whose objects are set by code: used by tests, benchmarks and the demo.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use async_trait::async_trait;
use k8s_openapi::api::core::v1::Secret;
use tokio::sync::broadcast;

use super::source::{
    ConnectorSource, ObjectKey, PodInfo, SourceError, SourceEvent, TokenRequestSpec,
};
use super::store::{Snapshot, Store};
use super::types::{Connector, ConnectorClass};
use crate::token::Token;

/// Objects held in memory; `fail_with` makes every read fail (to simulate an outage).
#[derive(Default)]
pub struct MemorySource {
    pub store: Store,
    synced: AtomicBool,
    failure: Mutex<Option<SourceError>>,
    denied: Mutex<Vec<(String, ObjectKey)>>,
    /// Number of tokens minted through [`ConnectorSource::request_token`].
    pub tokens_minted: AtomicUsize,
    /// Lifetime of minted tokens; `None` disables minting.
    pub mint_lifetime: Mutex<Option<std::time::Duration>>,
}

impl MemorySource {
    pub fn new() -> Arc<Self> {
        let s = MemorySource::default();
        s.synced.store(true, Ordering::SeqCst);
        Arc::new(s)
    }

    pub fn set(&self, f: impl FnOnce(&mut Snapshot)) {
        self.store.update(f);
    }

    /// Every subsequent call fails with `err` until cleared with `None`.
    pub fn fail_with(&self, err: Option<SourceError>) {
        *self.failure.lock().unwrap() = err;
    }

    /// Deny `authorize` for this ServiceAccount username and connector.
    pub fn deny(&self, sa_username: &str, connector: ObjectKey) {
        self.denied
            .lock()
            .unwrap()
            .push((sa_username.to_string(), connector));
    }

    pub fn set_synced(&self, synced: bool) {
        self.synced.store(synced, Ordering::SeqCst);
    }

    fn check(&self) -> Result<(), SourceError> {
        match &*self.failure.lock().unwrap() {
            Some(e) => Err(e.clone()),
            None => Ok(()),
        }
    }
}

#[async_trait]
impl ConnectorSource for MemorySource {
    fn kind(&self) -> &'static str {
        "memory"
    }
    fn is_synced(&self) -> bool {
        self.synced.load(Ordering::SeqCst)
    }
    async fn connector(&self, key: &ObjectKey) -> Result<Arc<Connector>, SourceError> {
        self.check()?;
        self.store.connector(key)
    }
    async fn list_connectors(&self) -> Result<Vec<Arc<Connector>>, SourceError> {
        self.check()?;
        Ok(self.store.current().connectors.values().cloned().collect())
    }
    async fn connector_class(&self, name: &str) -> Result<Arc<ConnectorClass>, SourceError> {
        self.check()?;
        self.store.connector_class(name)
    }
    async fn secret(&self, key: &ObjectKey) -> Result<Arc<Secret>, SourceError> {
        self.check()?;
        self.store.secret(key)
    }
    async fn namespace_labels(&self, ns: &str) -> Result<BTreeMap<String, String>, SourceError> {
        self.check()?;
        Ok(self.store.namespace_labels(ns))
    }
    async fn authorize(&self, pod: &PodInfo, connector: &ObjectKey) -> Result<(), SourceError> {
        self.check()?;
        let user = pod.sa_username();
        if self
            .denied
            .lock()
            .unwrap()
            .iter()
            .any(|(u, k)| *u == user && k == connector)
        {
            return Err(SourceError::PermissionDenied(format!(
                "ServiceAccount {user} may not get connectors.connectors.alauda.io {connector}"
            )));
        }
        Ok(())
    }
    async fn request_token(&self, spec: &TokenRequestSpec) -> Result<Token, SourceError> {
        self.check()?;
        let Some(life) = *self.mint_lifetime.lock().unwrap() else {
            return Err(SourceError::Unsupported(
                "the in-memory source cannot mint tokens; pass kubelet tokens".into(),
            ));
        };
        let n = self.tokens_minted.fetch_add(1, Ordering::SeqCst) + 1;
        let now = jiff::Timestamp::now();
        let exp = now + jiff::SignedDuration::try_from(life.min(spec.expiration)).unwrap();
        Ok(Token::new(
            format!("minted-{}-{n}", spec.pod.name),
            now,
            exp,
        ))
    }
    fn subscribe(&self) -> broadcast::Receiver<SourceEvent> {
        self.store.subscribe()
    }
}
