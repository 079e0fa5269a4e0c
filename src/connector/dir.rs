//! The directory source: Connectors, ConnectorClasses, Secrets and Namespaces read from a folder
//! of YAML (or JSON) files, for running the driver without a cluster (local development, demos,
//! edge nodes fed by configuration management).
//!
//! * Every `*.yaml`, `*.yml` and `*.json` file directly in the folder is read (hidden files are
//!   skipped, symlinks followed, so a mounted ConfigMap works); a file may hold any number of
//!   `---`-separated documents and `kind: List` documents. Kinds other than Connector,
//!   ConnectorClass, Secret and Namespace are ignored.
//! * Objects without `metadata.namespace` land in namespace `default`.
//! * Secrets accept both `data` (base64) and `stringData`; `stringData` is merged into `data`
//!   (winning on conflicts) as the API server does.
//! * The folder is watched (inotify through `notify`); changes are applied after a short debounce,
//!   and subscribers get one [`SourceEvent`] per changed object.
//! * A file that cannot be read or parsed keeps the objects it defined before (a warning names
//!   the file and the error, never its content).
//! * Files are authoritative: an unknown Connector is `NotFound` at once.
//! * Single-user local mode: [`ConnectorSource::authorize`] allows everything. Tokens come from
//!   kubelet or from `--static-token-file`; the folder cannot mint tokens.

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, Weak};
use std::time::Duration;

use async_trait::async_trait;
use base64::Engine;
use k8s_openapi::api::core::v1::Secret;
use k8s_openapi::ByteString;
use kube::ResourceExt;
use notify::Watcher;
use serde::Deserialize;
use tokio::sync::{broadcast, Notify};

use super::source::{
    ConnectorSource, ObjectKey, PodInfo, SourceError, SourceEvent, TokenRequestSpec,
};
use super::store::{Snapshot, Store};
use super::types::{Connector, ConnectorClass};
use crate::token::Token;

/// Quiet period after a change before the folder is re-read.
const DEBOUNCE: Duration = Duration::from_millis(30);

/// Lifetime assumed for a static token that is not a JWT.
const OPAQUE_TOKEN_LIFETIME: Duration = Duration::from_secs(3600);

/// One object read from a file.
#[derive(Clone, Debug)]
enum FileObject {
    Connector(Connector),
    Class(ConnectorClass),
    Secret(Secret),
    Namespace(String, BTreeMap<String, String>),
}

/// Connectors and friends from a folder of YAML files; see the module docs.
pub struct DirSource {
    dir: PathBuf,
    static_token_file: Option<PathBuf>,
    store: Store,
    /// Last successfully parsed objects of every file.
    files: Mutex<BTreeMap<PathBuf, Vec<FileObject>>>,
    watcher: Mutex<Option<notify::RecommendedWatcher>>,
    task: Mutex<Option<tokio::task::AbortHandle>>,
}

impl Drop for DirSource {
    fn drop(&mut self) {
        if let Some(t) = self.task.lock().unwrap_or_else(|p| p.into_inner()).take() {
            t.abort();
        }
    }
}

impl DirSource {
    /// Loads the folder and starts watching it.
    pub async fn open(
        dir: PathBuf,
        static_token_file: Option<PathBuf>,
    ) -> Result<Arc<DirSource>, SourceError> {
        match std::fs::metadata(&dir) {
            Ok(m) if m.is_dir() => {}
            Ok(_) => {
                return Err(SourceError::Invalid(format!(
                    "connector directory {} is not a directory",
                    dir.display()
                )))
            }
            Err(e) => {
                return Err(SourceError::Invalid(format!(
                    "cannot open connector directory {}: {e}",
                    dir.display()
                )))
            }
        }
        let source = Arc::new(DirSource {
            dir: dir.clone(),
            static_token_file,
            store: Store::default(),
            files: Mutex::new(BTreeMap::new()),
            watcher: Mutex::new(None),
            task: Mutex::new(None),
        });

        // Watch before the first load so a change made during it is not missed.
        let changed = Arc::new(Notify::new());
        let notify_changed = changed.clone();
        let mut watcher =
            notify::recommended_watcher(move |res: notify::Result<notify::Event>| match res {
                Ok(ev) if is_relevant(&ev.kind) => notify_changed.notify_one(),
                Ok(_) => {}
                Err(e) => tracing::warn!(error = %e, "error watching the connector directory"),
            })
            .map_err(|e| {
                SourceError::Unavailable(format!(
                    "cannot watch connector directory {}: {e}",
                    dir.display()
                ))
            })?;
        watcher
            .watch(&dir, notify::RecursiveMode::NonRecursive)
            .map_err(|e| {
                SourceError::Unavailable(format!(
                    "cannot watch connector directory {}: {e}",
                    dir.display()
                ))
            })?;
        *source.watcher.lock().unwrap_or_else(|p| p.into_inner()) = Some(watcher);

        let loader = source.clone();
        tokio::task::spawn_blocking(move || loader.reload())
            .await
            .map_err(|e| SourceError::Unavailable(format!("loading {}: {e}", dir.display())))?;

        let task = tokio::spawn(watch_loop(Arc::downgrade(&source), changed));
        *source.task.lock().unwrap_or_else(|p| p.into_inner()) = Some(task.abort_handle());
        Ok(source)
    }

    /// The folder being served.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// Re-reads every file and publishes the differences; returns the number of events sent.
    pub fn reload(&self) -> usize {
        let paths = match list_files(&self.dir) {
            Ok(p) => p,
            Err(e) => {
                tracing::warn!(dir = %self.dir.display(), error = %e, "cannot list the connector directory; keeping the current objects");
                return 0;
            }
        };
        let mut files = self.files.lock().unwrap_or_else(|p| p.into_inner());
        let mut next = BTreeMap::new();
        for path in paths {
            let parsed = std::fs::read_to_string(&path)
                .map_err(|e| format!("cannot read: {e}"))
                .and_then(|text| parse_documents(&text));
            match parsed {
                Ok(objects) => {
                    next.insert(path, objects);
                }
                Err(error) => {
                    let kept = files.remove(&path);
                    tracing::warn!(
                        file = %path.display(),
                        %error,
                        kept_objects = kept.as_ref().map_or(0, Vec::len),
                        "cannot load connector file; keeping the objects it defined before"
                    );
                    if let Some(kept) = kept {
                        next.insert(path, kept);
                    }
                }
            }
        }
        *files = next;
        let snapshot = build_snapshot(&files);
        // Publish while still holding `files` so concurrent reloads publish in order.
        self.store.replace(snapshot)
    }
}

/// Access events (our own reads open the files) must not trigger reloads.
fn is_relevant(kind: &notify::EventKind) -> bool {
    use notify::event::{AccessKind, AccessMode, EventKind};
    match kind {
        EventKind::Access(AccessKind::Close(AccessMode::Write)) => true,
        EventKind::Access(_) => false,
        _ => true,
    }
}

async fn watch_loop(source: Weak<DirSource>, changed: Arc<Notify>) {
    loop {
        changed.notified().await;
        // Debounce: wait until the folder has been quiet for DEBOUNCE.
        while tokio::time::timeout(DEBOUNCE, changed.notified())
            .await
            .is_ok()
        {}
        let Some(src) = source.upgrade() else {
            return;
        };
        let started = std::time::Instant::now();
        let events = match tokio::task::spawn_blocking(move || src.reload()).await {
            Ok(n) => n,
            Err(e) => {
                tracing::warn!(error = %e, "reloading the connector directory failed");
                continue;
            }
        };
        tracing::debug!(
            events,
            took_ms = started.elapsed().as_millis() as u64,
            "connector directory reloaded"
        );
    }
}

fn list_files(dir: &Path) -> std::io::Result<Vec<PathBuf>> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir)? {
        let entry = entry?;
        let name = entry.file_name();
        let name = name.to_string_lossy();
        if name.starts_with('.') {
            continue;
        }
        let wanted = [".yaml", ".yml", ".json"]
            .iter()
            .any(|ext| name.ends_with(ext));
        if !wanted {
            continue;
        }
        let path = entry.path();
        // Follow symlinks (ConfigMap volumes); skip what is not a regular file.
        if std::fs::metadata(&path)
            .map(|m| m.is_file())
            .unwrap_or(false)
        {
            out.push(path);
        }
    }
    out.sort();
    Ok(out)
}

fn build_snapshot(files: &BTreeMap<PathBuf, Vec<FileObject>>) -> Snapshot {
    let mut snap = Snapshot::default();
    let mut origin: HashMap<String, &Path> = HashMap::new();
    for (path, objects) in files {
        for obj in objects {
            let id = match obj {
                FileObject::Connector(c) => format!(
                    "Connector {}/{}",
                    c.namespace().unwrap_or_default(),
                    c.name_any()
                ),
                FileObject::Class(c) => format!("ConnectorClass {}", c.name_any()),
                FileObject::Secret(s) => format!(
                    "Secret {}/{}",
                    s.namespace().unwrap_or_default(),
                    s.name_any()
                ),
                FileObject::Namespace(n, _) => format!("Namespace {n}"),
            };
            if let Some(first) = origin.insert(id.clone(), path) {
                tracing::warn!(object = %id, first = %first.display(), again = %path.display(), "object defined twice; the later file wins");
            }
            match obj.clone() {
                FileObject::Connector(c) => snap.insert_connector(c),
                FileObject::Class(c) => snap.insert_class(c),
                FileObject::Secret(s) => snap.insert_secret(s),
                FileObject::Namespace(n, labels) => {
                    snap.namespaces.insert(n, labels);
                }
            }
        }
    }
    snap
}

/// Connectors, ConnectorClasses and Secrets read once from YAML outside a running source (the
/// `render` command), in the order they were found.
#[derive(Debug, Default)]
pub struct LoadedObjects {
    pub connectors: Vec<Connector>,
    pub classes: Vec<ConnectorClass>,
    pub secrets: Vec<Secret>,
}

/// Reads `path` as the directory source would: a file (every document, `kind: List` included),
/// or a folder (its `*.yaml`, `*.yml` and `*.json` files in name order, hidden files skipped).
/// Connectors without a namespace get `default`. Errors name the file and document.
pub fn load_path(path: &Path) -> Result<LoadedObjects, String> {
    let files = if path.is_dir() {
        list_files(path).map_err(|e| format!("read {}: {e}", path.display()))?
    } else {
        vec![path.to_path_buf()]
    };
    let mut out = LoadedObjects::default();
    for f in files {
        let text = std::fs::read_to_string(&f).map_err(|e| format!("read {}: {e}", f.display()))?;
        for obj in parse_documents(&text).map_err(|e| format!("{}: {e}", f.display()))? {
            match obj {
                FileObject::Connector(c) => out.connectors.push(c),
                FileObject::Class(c) => out.classes.push(c),
                FileObject::Secret(s) => out.secrets.push(s),
                FileObject::Namespace(..) => {}
            }
        }
    }
    Ok(out)
}

/// Parses every document of a file. Errors name the document and position, never the content.
fn parse_documents(text: &str) -> Result<Vec<FileObject>, String> {
    let mut out = Vec::new();
    for (i, doc) in serde_yaml::Deserializer::from_str(text).enumerate() {
        let n = i + 1;
        let value = serde_yaml::Value::deserialize(doc)
            .map_err(|e| format!("document {n}: {}", redact_quoted(&e.to_string())))?;
        parse_value(value, n, &mut out)?;
    }
    Ok(out)
}

fn parse_value(
    value: serde_yaml::Value,
    n: usize,
    out: &mut Vec<FileObject>,
) -> Result<(), String> {
    if value.is_null() {
        return Ok(());
    }
    let kind = value
        .get("kind")
        .and_then(|k| k.as_str())
        .unwrap_or_default()
        .to_string();
    let name = value
        .get("metadata")
        .and_then(|m| m.get("name"))
        .and_then(|v| v.as_str())
        .unwrap_or_default()
        .to_string();
    let known = matches!(
        kind.as_str(),
        "Connector" | "ConnectorClass" | "Secret" | "Namespace"
    );
    if known && name.is_empty() {
        return Err(format!("document {n}: {kind} without metadata.name"));
    }
    let bad = |e: serde_yaml::Error| {
        format!(
            "document {n} ({kind} {name:?}): {}",
            redact_quoted(&e.to_string())
        )
    };
    match kind.as_str() {
        "Connector" => {
            let mut c: Connector = serde_yaml::from_value(value).map_err(bad)?;
            if c.metadata
                .namespace
                .as_deref()
                .unwrap_or_default()
                .is_empty()
            {
                c.metadata.namespace = Some("default".into());
            }
            out.push(FileObject::Connector(c));
        }
        "ConnectorClass" => {
            let c: ConnectorClass = serde_yaml::from_value(value).map_err(bad)?;
            out.push(FileObject::Class(c));
        }
        "Secret" => {
            let mut s: Secret = serde_yaml::from_value(value).map_err(bad)?;
            if s.metadata
                .namespace
                .as_deref()
                .unwrap_or_default()
                .is_empty()
            {
                s.metadata.namespace = Some("default".into());
            }
            if let Some(string_data) = s.string_data.take() {
                let data = s.data.get_or_insert_with(BTreeMap::new);
                for (k, v) in string_data {
                    data.insert(k, ByteString(v.into_bytes()));
                }
            }
            out.push(FileObject::Secret(s));
        }
        "Namespace" => {
            let labels = value
                .get("metadata")
                .and_then(|m| m.get("labels"))
                .cloned()
                .map(serde_yaml::from_value::<BTreeMap<String, String>>)
                .transpose()
                .map_err(bad)?
                .unwrap_or_default();
            out.push(FileObject::Namespace(name, labels));
        }
        k if k == "List" || k.ends_with("List") => {
            if let Some(items) = value.get("items").and_then(|i| i.as_sequence()) {
                for item in items.clone() {
                    parse_value(item, n, out)?;
                }
            }
        }
        other => {
            tracing::debug!(
                document = n,
                kind = other,
                "ignoring object of a kind the directory source does not use"
            );
        }
    }
    Ok(())
}

/// Replaces every double-quoted part of an error message (where parsers quote input values) with
/// `"…"`, so messages about files holding secrets never echo them.
pub(crate) fn redact_quoted(msg: &str) -> String {
    let mut out = String::with_capacity(msg.len());
    let mut chars = msg.chars();
    while let Some(c) = chars.next() {
        if c == '"' {
            let mut escaped = false;
            for c in chars.by_ref() {
                if escaped {
                    escaped = false;
                } else if c == '\\' {
                    escaped = true;
                } else if c == '"' {
                    break;
                }
            }
            out.push_str("\"…\"");
        } else {
            out.push(c);
        }
    }
    out
}

/// `exp` and `iat` of a JWT, if `token` is one (the signature is not checked).
fn jwt_times(token: &str) -> Option<(Option<i64>, i64)> {
    let mut parts = token.split('.');
    let (_, payload, _) = (parts.next()?, parts.next()?, parts.next()?);
    if parts.next().is_some() {
        return None;
    }
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(payload.trim_end_matches('='))
        .ok()?;
    let claims: serde_json::Value = serde_json::from_slice(&bytes).ok()?;
    let exp = claims.get("exp")?.as_i64()?;
    let iat = claims.get("iat").and_then(|v| v.as_i64());
    Some((iat, exp))
}

impl DirSource {
    fn static_token(&self, path: &Path) -> Result<Token, SourceError> {
        let raw = std::fs::read_to_string(path).map_err(|e| {
            SourceError::Unavailable(format!(
                "cannot read static token file {}: {e}",
                path.display()
            ))
        })?;
        let value = raw.trim();
        if value.is_empty() {
            return Err(SourceError::Invalid(format!(
                "static token file {} is empty",
                path.display()
            )));
        }
        let now = jiff::Timestamp::now();
        let Some((iat, exp)) = jwt_times(value) else {
            let life = jiff::SignedDuration::try_from(OPAQUE_TOKEN_LIFETIME)
                .expect("constant duration fits");
            return Ok(Token::new(value, now, now + life));
        };
        let expires_at = jiff::Timestamp::from_second(exp).map_err(|_| {
            SourceError::Invalid(format!(
                "the JWT in static token file {} has an out-of-range exp claim",
                path.display()
            ))
        })?;
        if expires_at <= now {
            return Err(SourceError::Unavailable(format!(
                "the token in static token file {} expired at {expires_at}; write a fresh token into the file",
                path.display()
            )));
        }
        let issued_at = iat
            .and_then(|s| jiff::Timestamp::from_second(s).ok())
            .filter(|t| *t <= now && *t < expires_at)
            .unwrap_or(now);
        Ok(Token::new(value, issued_at, expires_at))
    }
}

#[async_trait]
impl ConnectorSource for DirSource {
    fn kind(&self) -> &'static str {
        "dir"
    }

    fn is_synced(&self) -> bool {
        // The first load completes inside `open`.
        true
    }

    async fn connector(&self, key: &ObjectKey) -> Result<Arc<Connector>, SourceError> {
        self.store.connector(key)
    }

    async fn list_connectors(&self) -> Result<Vec<Arc<Connector>>, SourceError> {
        Ok(self.store.current().connectors.values().cloned().collect())
    }

    async fn connector_class(&self, name: &str) -> Result<Arc<ConnectorClass>, SourceError> {
        self.store.connector_class(name)
    }

    async fn secret(&self, key: &ObjectKey) -> Result<Arc<Secret>, SourceError> {
        self.store.secret(key)
    }

    async fn namespace_labels(
        &self,
        namespace: &str,
    ) -> Result<BTreeMap<String, String>, SourceError> {
        Ok(self.store.namespace_labels(namespace))
    }

    /// Single-user local mode: whoever can reach the driver's socket may use every connector in
    /// the folder (namespace scoping still applies).
    async fn authorize(&self, _pod: &PodInfo, _connector: &ObjectKey) -> Result<(), SourceError> {
        Ok(())
    }

    async fn request_token(&self, spec: &TokenRequestSpec) -> Result<Token, SourceError> {
        let Some(path) = &self.static_token_file else {
            return Err(SourceError::Unsupported(
                "directory source cannot mint tokens: pass kubelet tokens (CSIDriver tokenRequests) or --static-token-file".into(),
            ));
        };
        tracing::debug!(pod = %spec.pod.name, audience = %spec.audience, "using the static token file (audience and expiration are those of the file)");
        self.static_token(path)
    }

    fn subscribe(&self) -> broadcast::Receiver<SourceEvent> {
        self.store.subscribe()
    }
}

#[cfg(test)]
mod tests;
