//! Every ConnectorClass example (testdata/classes/*.yaml: Alauda's connectors docs and this
//! project's deploy/examples, each naming its source) parses and renders with sample Connector
//! data exactly as Go does (testdata/classes/expected.json, from testdata/classes/regen.sh).

mod corpus;

use std::collections::BTreeMap;

use corpus::{check, crashes, testdata, Case};
use serde::Deserialize as _;

/// Templates of every `spec.configurations[].data` entry, keyed FILE/CLASS/CONFIG/KEY.
fn templates_from_yaml() -> BTreeMap<String, String> {
    let mut out = BTreeMap::new();
    let mut files: Vec<_> = std::fs::read_dir(testdata("classes"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "yaml"))
        .collect();
    files.sort();
    assert!(!files.is_empty(), "no class files");
    for path in files {
        let file = path.file_name().unwrap().to_string_lossy().to_string();
        let text = std::fs::read_to_string(&path).unwrap();
        assert!(
            text.contains("# Source: "),
            "{file} does not name its source"
        );
        for doc in serde_yaml::Deserializer::from_str(&text) {
            let doc = serde_yaml::Value::deserialize(doc).unwrap_or_else(|e| panic!("{file}: {e}"));
            if doc.is_null() {
                continue; // a comment-only document
            }
            let class = doc["metadata"]["name"].as_str().unwrap().to_string();
            for conf in doc["spec"]["configurations"]
                .as_sequence()
                .into_iter()
                .flatten()
            {
                let conf_name = conf["name"].as_str().unwrap();
                for (key, tmpl) in conf["data"].as_mapping().into_iter().flatten() {
                    let key = key.as_str().unwrap();
                    let name = format!("{file}/{class}/{conf_name}/{key}");
                    out.insert(name, tmpl.as_str().unwrap().to_string());
                }
            }
        }
    }
    out
}

fn class_cases() -> Vec<Case> {
    corpus::go_generated_cases("classes")
}

#[test]
fn class_cases_are_the_yaml_templates() {
    let yaml = templates_from_yaml();
    let cases = class_cases();
    for case in &cases {
        let (key, _dataset) = case.name.rsplit_once('@').unwrap();
        assert_eq!(
            yaml.get(key),
            Some(&case.template),
            "{key}: cases.json is stale; run regen.sh"
        );
    }
    for key in yaml.keys() {
        assert!(
            cases.iter().any(|c| c.name.starts_with(&format!("{key}@"))),
            "{key} has no case; run regen.sh"
        );
    }
    assert!(yaml.len() >= 15, "only {} class templates", yaml.len());
}

#[test]
fn classes_render_like_go() {
    check("classes", &class_cases(), &gotmpl::sprig::funcs());
}

#[test]
fn class_templates_never_crash_on_other_data() {
    let datas = [
        serde_json::Value::Null,
        serde_json::json!({"connector": {"status": {"proxyAddress": "::not a url"}, "spec": {"address": 5}}}),
        serde_json::json!({"connectors": "x", "connectorclass": {"proxyAddress": "http://[::1]:80"}, "configurations": null}),
    ];
    let crashed = crashes(&class_cases(), &datas, &gotmpl::sprig::funcs());
    assert!(
        crashed.is_empty(),
        "{} crash(es):\n{}",
        crashed.len(),
        crashed.join("\n")
    );
}
