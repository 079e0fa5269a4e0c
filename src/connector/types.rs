//! Typed views of the `connectors.alauda.io/v1alpha1` resources.
//!
//! Every struct keeps the fields it does not know in `extra` (flattened), so objects written for the
//! Alauda operator's CRDs round-trip unchanged and templates can reach any field through
//! `.connector.spec.<anything>`.

use std::collections::BTreeMap;

use k8s_openapi::api::core::v1::Secret;
use kube::CustomResource;
use serde::{Deserialize, Serialize};
use serde_json::Value;

/// `{name, value}` pairs used by `spec.params` and `spec.addressExtensions`.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq)]
pub struct NameValue {
    #[serde(default)]
    pub name: String,
    #[serde(default)]
    pub value: String,
}

/// A reference to an object by name (namespace optional, defaults to the referrer's).
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq)]
pub struct ObjectRef {
    #[serde(default)]
    pub name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub namespace: Option<String>,
    #[serde(flatten)]
    pub extra: BTreeMap<String, Value>,
}

/// `spec.auth` of a Connector.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct ConnectorAuth {
    #[serde(default)]
    pub name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub secret_ref: Option<ObjectRef>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub params: Vec<NameValue>,
    #[serde(flatten)]
    pub extra: BTreeMap<String, Value>,
}

/// The Connector spec.
#[derive(CustomResource, Serialize, Deserialize, Clone, Debug, Default, PartialEq)]
#[kube(
    group = "connectors.alauda.io",
    version = "v1alpha1",
    kind = "Connector",
    plural = "connectors",
    namespaced,
    status = "ConnectorStatus",
    schema = "disabled"
)]
#[serde(rename_all = "camelCase")]
pub struct ConnectorSpec {
    #[serde(default)]
    pub connector_class_name: String,
    #[serde(default)]
    pub address: String,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub address_extensions: Vec<NameValue>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub auth: Option<ConnectorAuth>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub params: Vec<NameValue>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ca_cert_secret_ref: Option<ObjectRef>,
    #[serde(flatten)]
    pub extra: BTreeMap<String, Value>,
}

/// A knative-style condition.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct Condition {
    #[serde(default, rename = "type")]
    pub type_: String,
    #[serde(default)]
    pub status: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
    #[serde(flatten)]
    pub extra: BTreeMap<String, Value>,
}

/// knative "Addressable": `{url, name, CACerts, audience}`.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq)]
pub struct Addressable {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(default, rename = "CACerts", skip_serializing_if = "Option::is_none")]
    pub ca_certs: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub audience: Option<String>,
    #[serde(flatten)]
    pub extra: BTreeMap<String, Value>,
}

/// `status.proxy` of a Connector or ConnectorClass.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct ProxyStatus {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub http_address: Option<Addressable>,
    #[serde(flatten)]
    pub extra: BTreeMap<String, Value>,
}

/// `status.api` of a Connector.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq)]
pub struct ApiStatus {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub path: Option<String>,
    #[serde(flatten)]
    pub extra: BTreeMap<String, Value>,
}

/// Connector status.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct ConnectorStatus {
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub conditions: Vec<Condition>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub proxy: Option<ProxyStatus>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub api: Option<ApiStatus>,
    #[serde(flatten)]
    pub extra: BTreeMap<String, Value>,
}

/// A parameter declaration (`spec.address`, `spec.params[]`, `configurations[].params[]`).
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq)]
pub struct ParamSpec {
    #[serde(default)]
    pub name: String,
    #[serde(default, rename = "type", skip_serializing_if = "Option::is_none")]
    pub type_: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub default: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    #[serde(flatten)]
    pub extra: BTreeMap<String, Value>,
}

/// One entry of `spec.auth.types[]`.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct AuthType {
    #[serde(default)]
    pub name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub secret_type: Option<String>,
    #[serde(default)]
    pub optional: bool,
    #[serde(flatten)]
    pub extra: BTreeMap<String, Value>,
}

/// `spec.auth` of a ConnectorClass.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq)]
pub struct ClassAuth {
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub types: Vec<AuthType>,
    #[serde(flatten)]
    pub extra: BTreeMap<String, Value>,
}

/// `spec.proxy` of a ConnectorClass.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq)]
pub struct ClassProxy {
    #[serde(default, rename = "CACerts", skip_serializing_if = "Option::is_none")]
    pub ca_certs: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub audience: Option<String>,
    #[serde(flatten)]
    pub extra: BTreeMap<String, Value>,
}

/// One entry of `spec.configurations[]`: file name → Go template.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq)]
pub struct ClassConfiguration {
    #[serde(default)]
    pub name: String,
    #[serde(default)]
    pub data: BTreeMap<String, String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub params: Vec<ParamSpec>,
    #[serde(flatten)]
    pub extra: BTreeMap<String, Value>,
}

/// The ConnectorClass spec (cluster scoped).
#[derive(CustomResource, Serialize, Deserialize, Clone, Debug, Default, PartialEq)]
#[kube(
    group = "connectors.alauda.io",
    version = "v1alpha1",
    kind = "ConnectorClass",
    plural = "connectorclasses",
    status = "ConnectorClassStatus",
    schema = "disabled"
)]
#[serde(rename_all = "camelCase")]
pub struct ConnectorClassSpec {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub address: Option<ParamSpec>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub address_extensions: Vec<ParamSpec>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub params: Vec<ParamSpec>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub auth: Option<ClassAuth>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub proxy: Option<ClassProxy>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub configurations: Vec<ClassConfiguration>,
    #[serde(flatten)]
    pub extra: BTreeMap<String, Value>,
}

/// ConnectorClass status.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct ConnectorClassStatus {
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub conditions: Vec<Condition>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub proxy: Option<ProxyStatus>,
    #[serde(flatten)]
    pub extra: BTreeMap<String, Value>,
}

impl Connector {
    /// The `Ready` condition, if the operator has set one.
    pub fn ready_condition(&self) -> Option<&Condition> {
        self.status
            .as_ref()
            .and_then(|s| s.conditions.iter().find(|c| c.type_ == "Ready"))
    }

    /// The forward-proxy address from `status.proxy.httpAddress.url`.
    pub fn proxy_url(&self) -> Option<&str> {
        self.status
            .as_ref()
            .and_then(|s| s.proxy.as_ref())
            .and_then(|p| p.http_address.as_ref())
            .and_then(|a| a.url.as_deref())
            .filter(|u| !u.is_empty())
    }

    /// Value of a `spec.params[]` entry.
    pub fn param(&self, name: &str) -> Option<&str> {
        self.spec
            .params
            .iter()
            .find(|p| p.name == name)
            .map(|p| p.value.as_str())
    }
}

impl ConnectorClass {
    /// The configuration called `name`, if the class defines it.
    pub fn configuration(&self, name: &str) -> Option<&ClassConfiguration> {
        self.spec.configurations.iter().find(|c| c.name == name)
    }

    /// Names of every configuration the class defines, in declaration order.
    pub fn configuration_names(&self) -> Vec<&str> {
        self.spec
            .configurations
            .iter()
            .map(|c| c.name.as_str())
            .collect()
    }
}

/// The proxy CA PEM for a connector: the Connector's `status.proxy.httpAddress.CACerts`, else the
/// class's `status.proxy.httpAddress.CACerts`, else the class's `spec.proxy.CACerts`.
pub fn proxy_ca(connector: &Connector, class: &ConnectorClass) -> Option<String> {
    let from_status = |p: Option<&ProxyStatus>| {
        p.and_then(|p| p.http_address.as_ref())
            .and_then(|a| a.ca_certs.clone())
            .filter(|s| !s.trim().is_empty())
    };
    from_status(connector.status.as_ref().and_then(|s| s.proxy.as_ref()))
        .or_else(|| from_status(class.status.as_ref().and_then(|s| s.proxy.as_ref())))
        .or_else(|| {
            class
                .spec
                .proxy
                .as_ref()
                .and_then(|p| p.ca_certs.clone())
                .filter(|s| !s.trim().is_empty())
        })
}

/// Bytes of a Secret key (`data` first, then `stringData`).
pub fn secret_value(secret: &Secret, key: &str) -> Option<Vec<u8>> {
    if let Some(v) = secret.data.as_ref().and_then(|d| d.get(key)) {
        return Some(v.0.clone());
    }
    secret
        .string_data
        .as_ref()
        .and_then(|d| d.get(key))
        .map(|s| s.as_bytes().to_vec())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn connector_tolerates_unknown_fields_and_round_trips_them() {
        let yaml = r#"
apiVersion: connectors.alauda.io/v1alpha1
kind: Connector
metadata: {name: k8s-a, namespace: team}
spec:
  connectorClassName: k8s
  address: https://api.example.com:6443/prefix
  futureField: {x: 1}
  auth: {name: bearerTokenAuth, secretRef: {name: k8s-a-secret}}
  params: [{name: p, value: v}]
status:
  conditions: [{type: Ready, status: "True", severity: ""}]
  proxy: {httpAddress: {url: "http://c-k8s-a.team.svc.cluster.local", CACerts: "PEM"}}
  api: {path: /connectors/team/k8s-a}
"#;
        let c: Connector = serde_yaml::from_str(yaml).unwrap();
        assert_eq!(c.spec.connector_class_name, "k8s");
        assert_eq!(c.param("p"), Some("v"));
        assert_eq!(c.proxy_url(), Some("http://c-k8s-a.team.svc.cluster.local"));
        assert_eq!(c.ready_condition().unwrap().status, "True");
        let back = serde_json::to_value(&c).unwrap();
        assert_eq!(back["spec"]["futureField"]["x"], 1);
        assert_eq!(back["status"]["proxy"]["httpAddress"]["CACerts"], "PEM");
    }

    #[test]
    fn class_address_is_an_object_and_proxy_ca_falls_back() {
        let yaml = r#"
apiVersion: connectors.alauda.io/v1alpha1
kind: ConnectorClass
metadata: {name: k8s}
spec:
  address: {type: string, name: address}
  proxy: {CACerts: "CLASS-SPEC"}
  configurations:
  - name: kubeconfig
    data: {kubeconfig: "x"}
"#;
        let class: ConnectorClass = serde_yaml::from_str(yaml).unwrap();
        assert_eq!(class.spec.address.as_ref().unwrap().name, "address");
        assert_eq!(class.configuration_names(), vec!["kubeconfig"]);
        let conn = Connector::new("c", ConnectorSpec::default());
        assert_eq!(proxy_ca(&conn, &class).as_deref(), Some("CLASS-SPEC"));
        let mut class2 = class.clone();
        class2.status = Some(ConnectorClassStatus {
            proxy: Some(ProxyStatus {
                http_address: Some(Addressable {
                    ca_certs: Some("CLASS-STATUS".into()),
                    ..Default::default()
                }),
                ..Default::default()
            }),
            ..Default::default()
        });
        assert_eq!(proxy_ca(&conn, &class2).as_deref(), Some("CLASS-STATUS"));
    }
}
