//! A table of Connector and ConnectorClass objects built to the CRD schemas in `deploy/crds`
//! that exercise their free-form parts: `spec.params[].value`, `spec.auth.params` (a list with
//! free-form values, or a map), `spec.addressExtensions[].value` and parameter `default`s as
//! strings, numbers, booleans, lists, maps and nulls, and objects without `spec`. Every source
//! (API server, directory, `render` CLI) must load them, and templates must see the values as
//! decoded JSON. [`SHOW_EXPECTED`] is what the `show` configuration renders for `ff-params`.

use serde_json::{json, Value};

/// Namespace of the table's Connectors.
pub const NAMESPACE: &str = "team";
/// The class whose `show` configuration prints the free-form values.
pub const CLASS: &str = "free-form";

/// The `show` template: ranges over the connector's params and the configuration's list and
/// map defaults, prints scalars, and uses a string default as a string.
pub const SHOW_TEMPLATE: &str = r#"{{- range .connector.spec.params }}{{ .name }}={{ .value }} ({{ template "kind" .value }})
{{ end -}}
{{- range $i, $v := .configurations.list }}list[{{ $i }}]={{ $v }}
{{ end -}}
{{- range $k, $v := .configurations.map }}map.{{ $k }}={{ $v }}
{{ end -}}
{{- range (index .connector.spec.params 4).value }}item={{ . }}
{{ end -}}
str={{ .configurations.str | upper }} num={{ .configurations.num }} flag={{ .configurations.flag }}
{{ range .connector.spec.addressExtensions }}{{ .name }}: {{ .value }}
{{ end -}}
{{- define "kind" }}{{ if kindIs "slice" . }}list{{ else if kindIs "map" . }}map{{ else if kindIs "string" . }}string{{ else if kindIs "bool" . }}bool{{ else if eq (kindOf .) "invalid" }}nil{{ else }}number{{ end }}{{ end -}}
"#;

/// What [`SHOW_TEMPLATE`] renders for Connector `ff-params` with the class defaults.
pub const SHOW_EXPECTED: &str = "s=text (string)
n=3 (number)
f=1.5 (number)
b=true (bool)
l=[a b] (list)
m=map[k1:v1 k2:2] (map)
nested=[map[host:h1 ports:[1 2]]] (list)
nul=<no value> (nil)
list[0]=x
list[1]=y
map.a=1
map.b=[true]
item=a
item=b
str=PLAIN num=8080 flag=false
http: map[url:http://x]
https: [https://a https://b]
";

/// The Connectors of the table: `(name, object)`.
pub fn connectors() -> Vec<(&'static str, Value)> {
    let connector = |name: &str, spec: Option<Value>| {
        let mut v = json!({
            "apiVersion": "connectors.alauda.io/v1alpha1",
            "kind": "Connector",
            "metadata": {"name": name, "namespace": NAMESPACE},
            "status": {
                "conditions": [{"type": "Ready", "status": "True"}],
                "proxy": {"httpAddress": {"url": format!("http://c-{name}.{NAMESPACE}.svc")}}
            }
        });
        if let Some(spec) = spec {
            v["spec"] = spec;
        }
        v
    };
    vec![
        (
            "ff-params",
            connector(
                "ff-params",
                Some(json!({
                    "connectorClassName": CLASS,
                    "address": "https://tool.example.com",
                    "params": [
                        {"name": "s", "value": "text"},
                        {"name": "n", "value": 3},
                        {"name": "f", "value": 1.5},
                        {"name": "b", "value": true},
                        {"name": "l", "value": ["a", "b"]},
                        {"name": "m", "value": {"k1": "v1", "k2": 2}},
                        {"name": "nested", "value": [{"host": "h1", "ports": [1, 2]}]},
                        {"name": "nul"}
                    ],
                    "addressExtensions": [
                        {"name": "http", "value": {"url": "http://x"}},
                        {"name": "https", "value": ["https://a", "https://b"]}
                    ]
                })),
            ),
        ),
        (
            "ff-auth-list",
            connector(
                "ff-auth-list",
                Some(json!({
                    "connectorClassName": CLASS,
                    "address": "https://tool.example.com",
                    "auth": {
                        "name": "basic",
                        "secretRef": {"name": "ff-secret"},
                        "params": [
                            {"name": "scopes", "value": ["read", "write"]},
                            {"name": "opts", "value": {"x": 1, "y": null}},
                            {"name": "port", "value": 8443}
                        ]
                    }
                })),
            ),
        ),
        (
            "ff-auth-map",
            connector(
                "ff-auth-map",
                Some(json!({
                    "connectorClassName": CLASS,
                    "address": "https://tool.example.com",
                    "auth": {"name": "basic", "params": {"repository": "group/app", "depth": 1}}
                })),
            ),
        ),
        ("ff-no-spec", connector("ff-no-spec", None)),
    ]
}

/// The ConnectorClasses of the table: `(name, object)`.
pub fn classes() -> Vec<(&'static str, Value)> {
    vec![
        (
            CLASS,
            json!({
                "apiVersion": "connectors.alauda.io/v1alpha1",
                "kind": "ConnectorClass",
                "metadata": {"name": CLASS},
                "spec": {
                    "address": {"name": "address", "type": "string"},
                    "params": [
                        {"name": "p", "type": "array", "default": [1, 2]},
                        {"name": "q", "default": {"nested": {"deep": true}}}
                    ],
                    "addressExtensions": [{"name": "http", "default": {"x": "y"}}],
                    "auth": {"types": [{"name": "basic", "params": [{"name": "scopes", "default": ["read"]}]}]},
                    "configurations": [{
                        "name": "show",
                        "params": [
                            {"name": "list", "type": "array", "default": ["x", "y"]},
                            {"name": "map", "type": "object", "default": {"a": 1, "b": [true]}},
                            {"name": "str", "type": "string", "default": "plain"},
                            {"name": "num", "type": "number", "default": 8080},
                            {"name": "flag", "type": "boolean", "default": false}
                        ],
                        "data": {"out.txt": SHOW_TEMPLATE}
                    }]
                }
            }),
        ),
        (
            "ff-class-no-spec",
            json!({
                "apiVersion": "connectors.alauda.io/v1alpha1",
                "kind": "ConnectorClass",
                "metadata": {"name": "ff-class-no-spec"}
            }),
        ),
    ]
}

/// The free-form parts of an object (by JSON pointer), to compare what a source loaded with
/// what was written.
pub const FREE_FORM_POINTERS: &[&str] = &[
    "/spec/params",
    "/spec/addressExtensions",
    "/spec/auth/params",
    "/spec/auth/types",
    "/spec/configurations/0/params",
];

/// Asserts that every free-form part of `written` is in `loaded` unchanged (`what` names the
/// object in the message).
pub fn assert_free_form_kept(written: &Value, loaded: &Value, what: &str) {
    for p in FREE_FORM_POINTERS {
        if let Some(w) = written.pointer(p) {
            assert_eq!(loaded.pointer(p), Some(w), "{what}: {p}");
        }
    }
}

/// Renders configuration `show` of `class` for `connector` as the driver does, and returns
/// `out.txt`.
pub fn render_show(
    connector: std::sync::Arc<connectors_csi::connector::Connector>,
    class: std::sync::Arc<connectors_csi::connector::ConnectorClass>,
) -> Result<String, String> {
    use connectors_csi::render::{render, RenderRequest, RenderSecrets, ResolvedConnector};
    let rc = ResolvedConnector {
        proxy_ca: connectors_csi::connector::types::proxy_ca(&connector, &class),
        connector,
        class,
        target_ca: None,
    };
    let req = RenderRequest {
        configurations: vec!["show".into()],
        pod_namespace: NAMESPACE.into(),
        ..Default::default()
    };
    let secrets = RenderSecrets {
        token: "tok-free-form",
        direct_token: None,
    };
    let payload = render(&[rc], &req, &secrets).map_err(|e| e.to_string())?;
    Ok(String::from_utf8(payload.files["out.txt"].clone()).unwrap())
}
