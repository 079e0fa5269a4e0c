//! The Alauda Connectors feature flags the driver follows, and where each value comes from: a
//! CLI/env flag, else the operator's ConfigMap `connectors-config` (watched live, see
//! [`configmap`]), else a default.
//!
//! Alauda keeps the flags in ConfigMap `connectors-config` in the Connectors namespace (default
//! `connectors-system`) as string booleans, set through
//! `ConnectorsConfig.spec.components.core.spec.featureFlags` (docs `overview/feature_flags.mdx`).
//! A cluster without the operator has no such ConfigMap; the driver then keeps its own defaults.

pub mod configmap;

use std::collections::BTreeMap;

use serde::Serialize;
use tokio::sync::watch;

/// Name of the operator's feature-flag ConfigMap.
pub const CONFIGMAP_NAME: &str = "connectors-config";
/// Namespace the operator installs into by default.
pub const DEFAULT_NAMESPACE: &str = "connectors-system";

/// One feature flag the driver follows.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Flag {
    /// Every mounted Connector also needs the `connectors/proxy` capability for the pod.
    ConnectorProxyPermissions,
    /// A denied capability is requested through an AccessRequest (with the flag above).
    ConnectorsApproval,
    /// A volume may list several Connectors.
    MultiConnector,
    /// `spec.caCertSecretRef` of a Connector is trusted (the driver uses it in `tokenfile`
    /// direct mode, to verify the target cluster).
    CustomCaCerts,
}

impl Flag {
    pub const ALL: [Flag; 4] = [
        Flag::ConnectorProxyPermissions,
        Flag::ConnectorsApproval,
        Flag::MultiConnector,
        Flag::CustomCaCerts,
    ];

    /// The ConfigMap key (also the CLI flag without its `--`).
    pub fn key(self) -> &'static str {
        match self {
            Flag::ConnectorProxyPermissions => "enable-connector-proxy-permissions",
            Flag::ConnectorsApproval => "enable-connectors-approval",
            Flag::MultiConnector => "enable-multi-connector",
            Flag::CustomCaCerts => "enable-custom-ca-certs",
        }
    }

    /// The value when the ConfigMap exists but lacks the key: the operator's documented
    /// default, `"false"` for all four (docs `overview/feature_flags.mdx`, "Built-in Feature
    /// Flags").
    fn operator_default(self) -> bool {
        false
    }

    /// The value without the ConfigMap (no operator): what the driver did before it read the
    /// ConfigMap. Several connectors and `spec.caCertSecretRef` always worked; the approval
    /// checks were off.
    fn driver_default(self) -> bool {
        matches!(self, Flag::MultiConnector | Flag::CustomCaCerts)
    }
}

/// Values given on the command line or in the environment; each one set wins over the
/// ConfigMap, in both directions.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Overrides {
    pub connector_proxy_permissions: Option<bool>,
    pub connectors_approval: Option<bool>,
    pub multi_connector: Option<bool>,
    pub custom_ca_certs: Option<bool>,
}

impl Overrides {
    pub fn get(&self, flag: Flag) -> Option<bool> {
        match flag {
            Flag::ConnectorProxyPermissions => self.connector_proxy_permissions,
            Flag::ConnectorsApproval => self.connectors_approval,
            Flag::MultiConnector => self.multi_connector,
            Flag::CustomCaCerts => self.custom_ca_certs,
        }
    }

    fn all_set(&self) -> bool {
        Flag::ALL.iter().all(|f| self.get(*f).is_some())
    }
}

/// What the driver knows of the ConfigMap.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ConfigMapState {
    /// Not read: no cluster (directory source), or reading it was turned off.
    NotWatched,
    /// Watched, but not read yet; the error of the last attempt, if any.
    Pending(Option<String>),
    /// Read: there is no such ConfigMap (a cluster without the Connectors operator).
    Absent,
    /// Read: its `data`.
    Present(BTreeMap<String, String>),
}

/// Where a flag's value came from.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Origin {
    /// `--enable-…` / `ENABLE_…` of the driver.
    Flag,
    /// The ConfigMap's value.
    Configmap,
    /// The ConfigMap exists without this key: the operator's default.
    OperatorDefault,
    /// No ConfigMap: the driver's own default.
    DriverDefault,
}

/// The flags in force at one moment.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct FeatureFlags {
    pub connector_proxy_permissions: bool,
    pub connectors_approval: bool,
    pub multi_connector: bool,
    pub custom_ca_certs: bool,
}

impl FeatureFlags {
    pub fn get(&self, flag: Flag) -> bool {
        match flag {
            Flag::ConnectorProxyPermissions => self.connector_proxy_permissions,
            Flag::ConnectorsApproval => self.connectors_approval,
            Flag::MultiConnector => self.multi_connector,
            Flag::CustomCaCerts => self.custom_ca_certs,
        }
    }

    fn set(&mut self, flag: Flag, v: bool) {
        match flag {
            Flag::ConnectorProxyPermissions => self.connector_proxy_permissions = v,
            Flag::ConnectorsApproval => self.connectors_approval = v,
            Flag::MultiConnector => self.multi_connector = v,
            Flag::CustomCaCerts => self.custom_ca_certs = v,
        }
    }
}

/// A flag value from the ConfigMap: Go's `strconv.ParseBool` spellings. Anything else is not a
/// boolean (`None`).
pub fn parse_bool(s: &str) -> Option<bool> {
    match s.trim() {
        "1" | "t" | "T" | "TRUE" | "true" | "True" => Some(true),
        "0" | "f" | "F" | "FALSE" | "false" | "False" => Some(false),
        _ => None,
    }
}

/// The flags could not be decided: the ConfigMap is watched but was never read.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("the Connectors feature flags are not known yet: ConfigMap {location} has not been read{}; kubelet retries the mount", .error.as_ref().map(|e| format!(" ({e})")).unwrap_or_default())]
pub struct FlagsUnknown {
    pub location: String,
    pub error: Option<String>,
}

/// The driver's live view of the flags: its overrides plus the latest ConfigMap state. Cheap to
/// clone; every clone sees ConfigMap changes as they arrive.
#[derive(Clone, Debug)]
pub struct Features {
    overrides: Overrides,
    state: watch::Receiver<ConfigMapState>,
    /// `namespace/name` of the watched ConfigMap.
    location: String,
}

impl Default for Features {
    /// No overrides, no ConfigMap: the driver's defaults.
    fn default() -> Self {
        Features::fixed(Overrides::default())
    }
}

impl Features {
    /// Only `overrides` and the driver's defaults (no ConfigMap is read).
    pub fn fixed(overrides: Overrides) -> Self {
        let (_tx, rx) = watch::channel(ConfigMapState::NotWatched);
        Features {
            overrides,
            state: rx,
            location: String::new(),
        }
    }

    /// `overrides` over the ConfigMap state published on `state` (see
    /// [`configmap::watch_configmap`]); `location` names it in messages.
    pub fn live(
        overrides: Overrides,
        state: watch::Receiver<ConfigMapState>,
        location: impl Into<String>,
    ) -> Self {
        Features {
            overrides,
            state,
            location: location.into(),
        }
    }

    pub fn overrides(&self) -> Overrides {
        self.overrides
    }

    /// The ConfigMap state right now.
    pub fn configmap_state(&self) -> ConfigMapState {
        self.state.borrow().clone()
    }

    /// Waits until the ConfigMap has been read (or is not watched), at most `timeout`.
    pub async fn wait_read(&self, timeout: std::time::Duration) -> bool {
        let mut rx = self.state.clone();
        tokio::time::timeout(
            timeout,
            rx.wait_for(|s| !matches!(s, ConfigMapState::Pending(_))),
        )
        .await
        .is_ok_and(|r| r.is_ok())
    }

    /// Each flag's value and origin, or an error when a flag not set on the command line
    /// depends on a ConfigMap that was never read.
    pub fn resolve(&self) -> Result<(FeatureFlags, BTreeMap<Flag, Origin>), FlagsUnknown> {
        let state = self.state.borrow();
        if let ConfigMapState::Pending(err) = &*state {
            if !self.overrides.all_set() {
                return Err(FlagsUnknown {
                    location: self.location.clone(),
                    error: err.clone(),
                });
            }
        }
        let mut flags = FeatureFlags {
            connector_proxy_permissions: false,
            connectors_approval: false,
            multi_connector: false,
            custom_ca_certs: false,
        };
        let mut origins = BTreeMap::new();
        for f in Flag::ALL {
            let (v, o) = match (self.overrides.get(f), &*state) {
                (Some(v), _) => (v, Origin::Flag),
                (None, ConfigMapState::Present(data)) => {
                    match data.get(f.key()).and_then(|v| parse_bool(v)) {
                        Some(v) => (v, Origin::Configmap),
                        None => (f.operator_default(), Origin::OperatorDefault),
                    }
                }
                (None, _) => (f.driver_default(), Origin::DriverDefault),
            };
            flags.set(f, v);
            origins.insert(f, o);
        }
        Ok((flags, origins))
    }

    /// The flags in force (see [`Features::resolve`]).
    pub fn current(&self) -> Result<FeatureFlags, FlagsUnknown> {
        self.resolve().map(|(f, _)| f)
    }

    /// Where a flag that is off can be turned on, for messages.
    pub fn how_to_enable(&self, flag: Flag) -> String {
        match self.overrides.get(flag) {
            Some(_) => format!(
                "the driver runs with --{}=false; change that flag (or its environment variable)",
                flag.key()
            ),
            None => match &*self.state.borrow() {
                ConfigMapState::Present(_) => format!(
                    "set {}: \"true\" in ConnectorsConfig.spec.components.core.spec.featureFlags (it is \"false\" in ConfigMap {}), or start the driver with --{}",
                    flag.key(),
                    self.location,
                    flag.key()
                ),
                _ => format!("start the driver with --{}", flag.key()),
            },
        }
    }

    /// The flags in force and their origins, for `/debug/volumes` and `connectors-csi volumes`.
    pub fn report(&self) -> serde_json::Value {
        let configmap = match self.configmap_state() {
            ConfigMapState::NotWatched => serde_json::json!({"state": "not-watched"}),
            ConfigMapState::Pending(e) => {
                serde_json::json!({"name": self.location, "state": "not-read-yet", "error": e})
            }
            ConfigMapState::Absent => serde_json::json!({"name": self.location, "state": "absent"}),
            ConfigMapState::Present(_) => {
                serde_json::json!({"name": self.location, "state": "present"})
            }
        };
        let flags = match self.resolve() {
            Ok((flags, origins)) => Flag::ALL
                .iter()
                .map(|f| {
                    (
                        f.key().to_string(),
                        serde_json::json!({"enabled": flags.get(*f), "from": origins[f]}),
                    )
                })
                .collect::<serde_json::Map<_, _>>(),
            Err(_) => Default::default(),
        };
        serde_json::json!({"configMap": configmap, "flags": flags})
    }
}

/// One line per flag for the `volumes` table: `enable-x=true (configmap)`.
pub fn summary(report: &serde_json::Value) -> String {
    let Some(flags) = report["flags"].as_object().filter(|f| !f.is_empty()) else {
        return format!(
            "feature flags unknown: ConfigMap {} {}",
            report["configMap"]["name"].as_str().unwrap_or("?"),
            report["configMap"]["state"].as_str().unwrap_or("?")
        );
    };
    let parts: Vec<String> = flags
        .iter()
        .map(|(k, v)| {
            format!(
                "{k}={} ({})",
                v["enabled"].as_bool().unwrap_or(false),
                v["from"].as_str().unwrap_or("?")
            )
        })
        .collect();
    format!("feature flags: {}", parts.join(", "))
}

#[cfg(test)]
mod tests;
