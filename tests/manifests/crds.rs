//! The CRDs and the objects they must accept: scope, versions, status and printer columns,
//! the example objects and operator-shaped objects against the schemas.

use super::*;
use crate::checks::*;

#[test]
fn crds_have_scope_status_and_printer_columns() {
    let c = load("deploy/crds/connectors.alauda.io_connectors.yaml");
    assert_eq!(c.len(), 1);
    check_crd(&c[0], "Connector", "connectors", "Namespaced");
    let columns: Vec<&str> = seq(&c[0], "spec.versions.0.additionalPrinterColumns", "crd")
        .iter()
        .map(name_of)
        .collect();
    assert_eq!(columns, ["Class", "Address", "Ready", "Reason", "Age"]);

    let cc = load("deploy/crds/connectors.alauda.io_connectorclasses.yaml");
    assert_eq!(cc.len(), 1);
    check_crd(&cc[0], "ConnectorClass", "connectorclasses", "Cluster");
    // ConnectorClass spec.address is a parameter declaration object with a required name.
    let addr = req(
        crd_schema(&cc[0]),
        "properties.spec.properties.address",
        "crd",
    );
    assert_eq!(s(addr, "type", "address"), "object");
    assert_eq!(seq(addr, "required", "address"), &vec![Value::from("name")]);
}

#[test]
fn example_objects_satisfy_the_crd_schemas() {
    let connector_crd = load("deploy/crds/connectors.alauda.io_connectors.yaml").remove(0);
    let class_crd = load("deploy/crds/connectors.alauda.io_connectorclasses.yaml").remove(0);
    let mut seen = (0, 0);
    let mut files = Vec::new();
    yaml_files(&root().join("deploy/examples"), &mut files);
    for f in files {
        for d in parse_docs(&std::fs::read_to_string(&f).unwrap(), &rel(&f)) {
            let errors = match kind(&d) {
                "Connector" => {
                    seen.0 += 1;
                    // What the driver itself requires of a Connector.
                    assert!(!s(&d, "metadata.namespace", "Connector").is_empty());
                    assert!(!s(&d, "spec.connectorClassName", "Connector").is_empty());
                    validate_against(&connector_crd, &d)
                }
                "ConnectorClass" => {
                    seen.1 += 1;
                    validate_against(&class_crd, &d)
                }
                _ => continue,
            };
            assert!(errors.is_empty(), "{}: {errors:#?}", rel(&f));
        }
    }
    assert!(
        seen.0 >= 6 && seen.1 >= 6,
        "expected the example connectors and classes, saw {seen:?}"
    );
}

/// Objects shaped like the Alauda operator's CRDs (address parameter with a typed default,
/// auth params, probes, api/proxy references, status addresses) are accepted, and the one
/// structural difference users get wrong (a string spec.address on a class) is caught.
#[test]
fn operator_shaped_objects_are_accepted_and_shape_errors_caught() {
    let connector_crd = load("deploy/crds/connectors.alauda.io_connectors.yaml").remove(0);
    let class_crd = load("deploy/crds/connectors.alauda.io_connectorclasses.yaml").remove(0);
    let class = parse_docs(
        r#"
apiVersion: connectors.alauda.io/v1alpha1
kind: ConnectorClass
metadata: {name: gitlab}
spec:
  address:
    name: address
    type: string
    default: {type: string, stringVal: "https://gitlab.com", arrayVal: [], objectVal: {}}
  api:
    ref: {kind: Service, name: gitlab-api, namespace: connectors-system}
  auth:
    types:
      - name: patAuth
        secretType: connectors.cpaas.io/gitlab-pat-auth
        optional: false
        params:
          - {name: username, type: string, default: {type: string, stringVal: "", arrayVal: [], objectVal: {}}}
        generator: {rego: "package proxy"}
  authProbes:
    - authName: patAuth
      probe: {http: {path: /api/v4/user, method: GET}}
  livenessProbe: {http: {path: /-/health}}
  proxy:
    ref: {kind: Service, name: connectors-proxy}
  configurations:
    - name: gitconfig
      annotations: {x: y}
      data: {.gitconfig: "[http]"}
status:
  conditions: [{type: Ready, status: "True", reason: Ok}]
  proxy: {httpAddress: {url: "http://proxy", name: p}}
  api: {address: {url: "http://api"}}
"#,
        "class fixture",
    )
    .remove(0);
    assert_eq!(validate_against(&class_crd, &class), Vec::<String>::new());

    let connector = parse_docs(
        r#"
apiVersion: connectors.alauda.io/v1alpha1
kind: Connector
metadata: {name: gl, namespace: team}
spec:
  connectorClassName: gitlab
  address: https://gitlab.com
  auth:
    name: patAuth
    params: {repository: group/app}
    secretRef: {name: gl-pat, kind: Secret, apiVersion: v1}
status:
  observedGeneration: 3
  annotations: {a: b}
  conditions: [{type: Ready, status: "False", reason: AuthFailed, severity: Error}]
  proxy: {httpAddress: {url: "http://c-gl.team.svc", CACerts: "pem", audience: a}}
"#,
        "connector fixture",
    )
    .remove(0);
    assert_eq!(
        validate_against(&connector_crd, &connector),
        Vec::<String>::new()
    );

    let mut bad_class = class.clone();
    bad_class["spec"]["address"] = Value::from("https://gitlab.com");
    let errors = validate_against(&class_crd, &bad_class);
    assert!(
        errors
            .iter()
            .any(|e| e.contains("spec.address: expected object")),
        "{errors:?}"
    );
    let mut nameless = class.clone();
    nameless["spec"]["address"]
        .as_mapping_mut()
        .unwrap()
        .remove("name");
    let errors = validate_against(&class_crd, &nameless);
    assert!(
        errors.iter().any(|e| e.contains("required field \"name\"")),
        "{errors:?}"
    );
    let mut bad_condition = connector.clone();
    bad_condition["status"]["conditions"][0]
        .as_mapping_mut()
        .unwrap()
        .remove("status");
    assert!(!validate_against(&connector_crd, &bad_condition).is_empty());
}

/// The free-form table of `test_support::crd_shapes` follows the CRD schemas (so the driver's
/// acceptance of it is acceptance of what the CRDs accept), and the driver's types load every
/// object, keep its free-form parts unchanged and give objects without `spec` an empty one.
#[test]
fn free_form_table_follows_the_crds_and_loads_into_the_driver_types() {
    use connectors_csi::connector::{Connector, ConnectorClass};
    use test_support::crd_shapes;
    let connector_crd = load("deploy/crds/connectors.alauda.io_connectors.yaml").remove(0);
    let class_crd = load("deploy/crds/connectors.alauda.io_connectorclasses.yaml").remove(0);
    for (name, json) in crd_shapes::connectors() {
        let yaml: Value = serde_yaml::to_value(&json).unwrap();
        assert_eq!(
            validate_against(&connector_crd, &yaml),
            Vec::<String>::new(),
            "{name}"
        );
        let c: Connector = serde_json::from_value(json.clone())
            .unwrap_or_else(|e| panic!("Connector {name} rejected: {e}"));
        let back = serde_json::to_value(&c).unwrap();
        crd_shapes::assert_free_form_kept(&json, &back, name);
        if json.get("spec").is_none() {
            assert_eq!(c.spec, Default::default(), "{name}");
        }
        // The YAML route (directory source, render CLI) agrees with the JSON route (API server).
        let from_yaml: Connector = serde_yaml::from_value(yaml).unwrap();
        assert_eq!(from_yaml, c, "{name}");
    }
    for (name, json) in crd_shapes::classes() {
        let yaml: Value = serde_yaml::to_value(&json).unwrap();
        assert_eq!(
            validate_against(&class_crd, &yaml),
            Vec::<String>::new(),
            "{name}"
        );
        let c: ConnectorClass = serde_json::from_value(json.clone())
            .unwrap_or_else(|e| panic!("ConnectorClass {name} rejected: {e}"));
        crd_shapes::assert_free_form_kept(&json, &serde_json::to_value(&c).unwrap(), name);
        if json.get("spec").is_none() {
            assert_eq!(c.spec, Default::default(), "{name}");
        }
        assert_eq!(
            serde_yaml::from_value::<ConnectorClass>(yaml).unwrap(),
            c,
            "{name}"
        );
    }
}
