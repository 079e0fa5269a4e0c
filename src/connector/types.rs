//! Typed views of the `connectors.alauda.io/v1alpha1` resources.
//!
//! Every struct keeps the fields it does not know in `extra` (flattened), so objects written for the
//! Alauda operator's CRDs round-trip unchanged and templates can reach any field through
//! `.connector.spec.<anything>`.

use std::collections::BTreeMap;

use k8s_openapi::api::core::v1::Secret;
use serde::{Deserialize, Serialize};
use serde_json::Value;

pub use super::resource::{Connector, ConnectorClass};

/// Entries of a `{name, value}` list such as `spec.params`, `spec.addressExtensions` or
/// `spec.auth.params`: the entries whose `name` is a string, in order, with their free-form value
/// (`Null` when absent). The lists are kept untyped in `extra`, because the CRDs leave them
/// free-form (a value may be a string, number, list or map), and anything else there is ignored
/// here rather than rejected.
pub fn name_values(list: Option<&Value>) -> impl Iterator<Item = (&str, &Value)> {
    list.and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(|entry| {
            let name = entry.get("name")?.as_str()?;
            Some((name, entry.get("value").unwrap_or(&Value::Null)))
        })
}

/// A free-form value the driver needs as a string: its text, or an error naming `field` and
/// what it holds instead.
pub fn value_as_str<'a>(value: &'a Value, field: &str) -> Result<&'a str, String> {
    match value {
        Value::String(s) => Ok(s),
        other => Err(format!(
            "{field} must be a string here, but it is {}",
            json_kind(other)
        )),
    }
}

/// `a list`, `a map`, `the number 3`, ... for messages about free-form values.
pub fn json_kind(v: &Value) -> String {
    match v {
        Value::Null => "null (missing)".into(),
        Value::Bool(b) => format!("the boolean {b}"),
        Value::Number(n) => format!("the number {n}"),
        Value::String(_) => "a string".into(),
        Value::Array(_) => "a list".into(),
        Value::Object(_) => "a map".into(),
    }
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
    /// Everything else, including `params` (free-form; see [`name_values`]).
    #[serde(flatten)]
    pub extra: BTreeMap<String, Value>,
}

/// The Connector spec (see [`Connector`]).
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct ConnectorSpec {
    #[serde(default)]
    pub connector_class_name: String,
    #[serde(default)]
    pub address: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub auth: Option<ConnectorAuth>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ca_cert_secret_ref: Option<ObjectRef>,
    /// Everything else, including the free-form `params` and `addressExtensions` lists (see
    /// [`name_values`]); templates see them as they are.
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
    /// Free-form (any JSON value); `null` counts as no default.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub default: Option<Value>,
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
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub optional: Option<bool>,
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

/// The ConnectorClass spec (see [`ConnectorClass`]).
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct ConnectorClassSpec {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub address: Option<ParamSpec>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub auth: Option<ClassAuth>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub proxy: Option<ClassProxy>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub configurations: Vec<ClassConfiguration>,
    /// Everything else, including the class-level `params` and `addressExtensions`
    /// declarations, which the driver does not interpret.
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

    /// The Secrets the Connector references (`spec.auth.secretRef`, `spec.caCertSecretRef`); a
    /// reference without a namespace means the Connector's own.
    pub fn secret_refs(&self) -> Vec<super::source::ObjectKey> {
        let ns = self.metadata.namespace.as_deref().unwrap_or_default();
        self.spec
            .auth
            .as_ref()
            .and_then(|a| a.secret_ref.as_ref())
            .into_iter()
            .chain(self.spec.ca_cert_secret_ref.as_ref())
            .filter(|r| !r.name.is_empty())
            .map(|r| super::source::ObjectKey::new(r.namespace.as_deref().unwrap_or(ns), &r.name))
            .collect()
    }

    /// Value of a `spec.params[]` entry (free-form: a string, number, list, map, ...).
    pub fn param(&self, name: &str) -> Option<&Value> {
        name_values(self.spec.extra.get("params"))
            .find(|(n, _)| *n == name)
            .map(|(_, v)| v)
    }

    /// A `spec.params[]` entry the driver needs as a string; the error names the connector and
    /// the field when it holds something else (a list, a map, ...).
    pub fn param_str(&self, name: &str) -> Result<Option<&str>, String> {
        let Some(v) = self.param(name) else {
            return Ok(None);
        };
        let field = format!(
            "connector {}/{} spec.params[{name:?}].value",
            self.metadata.namespace.as_deref().unwrap_or_default(),
            self.metadata.name.as_deref().unwrap_or_default()
        );
        value_as_str(v, &field).map(Some)
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
        assert_eq!(c.param("p"), Some(&Value::String("v".into())));
        assert_eq!(c.param_str("p"), Ok(Some("v")));
        assert_eq!(c.param_str("absent"), Ok(None));
        assert_eq!(c.proxy_url(), Some("http://c-k8s-a.team.svc.cluster.local"));
        assert_eq!(c.ready_condition().unwrap().status, "True");
        let back = serde_json::to_value(&c).unwrap();
        assert_eq!(back["spec"]["futureField"]["x"], 1);
        assert_eq!(back["status"]["proxy"]["httpAddress"]["CACerts"], "PEM");
    }

    #[test]
    fn free_form_values_are_kept_and_string_uses_name_the_field() {
        let c: Connector = serde_yaml::from_str(
            r#"
metadata: {name: a, namespace: team}
spec:
  params: [{name: url, value: [x, y]}, {name: port, value: 8080}, {name: s, value: text}, {value: nameless}]
  addressExtensions: [{name: http, value: {url: "http://x"}}]
  auth: {name: basic, params: {repository: group/app}}
"#,
        )
        .unwrap();
        assert_eq!(c.param("port"), Some(&serde_json::json!(8080)));
        assert_eq!(c.param_str("s"), Ok(Some("text")));
        assert_eq!(
            c.param_str("url").unwrap_err(),
            "connector team/a spec.params[\"url\"].value must be a string here, but it is a list"
        );
        assert!(c.param_str("port").unwrap_err().contains("the number 8080"));
        let names: Vec<&str> = name_values(c.spec.extra.get("params"))
            .map(|(n, _)| n)
            .collect();
        assert_eq!(
            names,
            ["url", "port", "s"],
            "entries without a name are skipped"
        );
        let back = serde_json::to_value(&c).unwrap();
        assert_eq!(back["spec"]["auth"]["params"]["repository"], "group/app");
        assert_eq!(
            back["spec"]["addressExtensions"][0]["value"]["url"],
            "http://x"
        );
        assert_eq!(
            value_as_str(&serde_json::json!({"a": 1}), "f").unwrap_err(),
            "f must be a string here, but it is a map"
        );
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
