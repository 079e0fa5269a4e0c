//! The live watch of the operator's feature-flag ConfigMap: one object, watched by name
//! (`fieldSelector=metadata.name=…`, so RBAC `resourceNames` can restrict the list and watch),
//! published as a [`ConfigMapState`] on a `tokio::sync::watch` channel.

use std::collections::BTreeMap;

use futures::StreamExt;
use k8s_openapi::api::core::v1::ConfigMap;
use kube::api::Api;
use tokio::sync::watch;

use crate::connector::kube::named::{named_watcher, NamedEvents};

use super::{parse_bool, ConfigMapState, Features, Flag, Overrides};

/// Starts watching ConfigMap `name` in `namespace` and returns the live [`Features`]; the
/// watch runs until the runtime stops. The state starts as `Pending` until the first list
/// completes.
pub fn watch_configmap(
    client: kube::Client,
    namespace: &str,
    name: &str,
    overrides: Overrides,
) -> Features {
    let (tx, rx) = watch::channel(ConfigMapState::Pending(None));
    let api: Api<ConfigMap> = Api::namespaced(client, namespace);
    tokio::spawn(run(api, name.to_string(), tx));
    Features::live(overrides, rx, format!("{namespace}/{name}"))
}

/// The flags a ConfigMap's `data` sets, with unreadable values named for the log.
fn data_of(cm: &ConfigMap) -> BTreeMap<String, String> {
    cm.data.clone().unwrap_or_default()
}

async fn run(api: Api<ConfigMap>, name: String, state: watch::Sender<ConfigMapState>) {
    // The driver's named watch: one object by name, lists from the watch cache, backoff.
    let stream = named_watcher(api, &name);
    futures::pin_mut!(stream);
    let mut fold = NamedEvents::new(&name);
    while let Some(item) = stream.next().await {
        let next = match item {
            Ok(event) => match fold.apply(event) {
                Some(Some(cm)) => ConfigMapState::Present(data_of(&cm)),
                Some(None) => ConfigMapState::Absent,
                None => continue,
            },
            Err(e) => {
                let read = !matches!(*state.borrow(), ConfigMapState::Pending(_));
                if read {
                    tracing::debug!(configmap = %name, error = %e, "watch of the feature-flag ConfigMap failing; keeping the last known flags");
                } else {
                    tracing::warn!(configmap = %name, error = %e, "cannot read the feature-flag ConfigMap (RBAC: get, list and watch on configmaps/{name} in its namespace)");
                    state.send_replace(ConfigMapState::Pending(Some(format!(
                        "{e}; the driver needs get, list and watch on configmaps {name:?} in that namespace"
                    ))));
                }
                continue;
            }
        };
        if let ConfigMapState::Present(data) = &next {
            for f in Flag::ALL {
                if let Some(v) = data.get(f.key()).filter(|v| parse_bool(v).is_none()) {
                    tracing::warn!(configmap = %name, key = f.key(), value = %v,
                        "feature flag is not a boolean (\"true\" or \"false\"); using its default, false");
                }
            }
        }
        let previous = state.send_replace(next.clone());
        if previous != next {
            tracing::info!(configmap = %name, state = ?summary_of(&next), "Connectors feature flags changed");
        }
    }
}

/// The flag keys and values of a state, for the log (ConfigMap data holds no secrets, but only
/// the four flags are logged).
fn summary_of(s: &ConfigMapState) -> BTreeMap<&'static str, String> {
    match s {
        ConfigMapState::Present(data) => Flag::ALL
            .iter()
            .filter_map(|f| data.get(f.key()).map(|v| (f.key(), v.clone())))
            .collect(),
        _ => BTreeMap::new(),
    }
}
