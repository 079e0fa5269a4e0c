//! Render benchmark: every example ConnectorClass configuration of `deploy/examples/`, rendered
//! through `connectors_csi::render::render` as the driver does on publish and refresh.
//!
//! Run: `cargo bench --bench render`. Prints a Markdown table (per-render p50/p99 in µs) for
//! BENCHMARKS.md. "parse + execute" clears the parsed-template cache before every render;
//! "cached execute" renders with the cache warm (the steady state of refreshes).

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use connectors_csi::connector::types::proxy_ca;
use connectors_csi::connector::{Connector, ConnectorClass};
use connectors_csi::render::{self, RenderRequest, RenderSecrets, ResolvedConnector};
use serde::Deserialize;

const TOKEN: &str = "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJiZW5jaCJ9.ZmFrZQ";

fn load_examples() -> Vec<ResolvedConnector> {
    let mut connectors = Vec::new();
    let mut classes: BTreeMap<String, ConnectorClass> = BTreeMap::new();
    for file in [
        "deploy/examples/classes.yaml",
        "deploy/examples/connectors.yaml",
    ] {
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join(file);
        let text = std::fs::read_to_string(&path).expect("read examples");
        for doc in serde_yaml::Deserializer::from_str(&text) {
            let value = serde_yaml::Value::deserialize(doc).expect("yaml");
            match value["kind"].as_str() {
                Some("Connector") => {
                    connectors.push(serde_yaml::from_value::<Connector>(value).expect("connector"))
                }
                Some("ConnectorClass") => {
                    let c: ConnectorClass = serde_yaml::from_value(value).expect("class");
                    classes.insert(c.metadata.name.clone().unwrap_or_default(), c);
                }
                _ => {}
            }
        }
    }
    connectors
        .into_iter()
        .filter_map(|c| {
            let class = classes.get(&c.spec.connector_class_name)?.clone();
            (!class.configuration_names().is_empty()).then(|| ResolvedConnector {
                proxy_ca: proxy_ca(&c, &class),
                connector: Arc::new(c),
                class: Arc::new(class),
                target_ca: None,
            })
        })
        .collect()
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    sorted[((sorted.len() - 1) as f64 * p).round() as usize]
}

fn measure(rcs: &[ResolvedConnector], iterations: usize, cold: bool) -> (Duration, Duration) {
    let secrets = RenderSecrets {
        token: TOKEN,
        direct_token: None,
    };
    let mut samples = Vec::with_capacity(iterations * rcs.len());
    for _ in 0..iterations {
        for rc in rcs {
            let req = RenderRequest {
                configurations: rc
                    .class
                    .configuration_names()
                    .into_iter()
                    .map(String::from)
                    .collect(),
                pod_namespace: "apps".into(),
                ..Default::default()
            };
            if cold {
                render::clear_template_cache();
            }
            let start = Instant::now();
            let payload = render::render(std::slice::from_ref(rc), &req, &secrets);
            samples.push(start.elapsed());
            assert!(payload.is_ok(), "{}: {:?}", rc.key(), payload.err());
        }
    }
    samples.sort();
    (percentile(&samples, 0.5), percentile(&samples, 0.99))
}

fn main() {
    // `cargo test --benches` runs bench targets once with `--bench`-less args; keep that quick.
    let quick = !std::env::args().any(|a| a == "--bench");
    let iterations = if quick { 3 } else { 2000 };
    let rcs = load_examples();
    let files: usize = rcs
        .iter()
        .flat_map(|rc| rc.class.spec.configurations.iter())
        .map(|c| c.data.len())
        .sum();
    measure(&rcs, iterations.min(50), false);
    let (cold50, cold99) = measure(&rcs, iterations, true);
    let (warm50, warm99) = measure(&rcs, iterations, false);
    println!(
        "{} example connectors, {files} class template files, {iterations} renders each\n",
        rcs.len()
    );
    println!("| render of one connector's class configurations | p50 | p99 |");
    println!("|---|---|---|");
    for (label, p50, p99) in [
        ("parse + execute", cold50, cold99),
        ("cached execute", warm50, warm99),
    ] {
        println!(
            "| {label} | {:.1} µs | {:.1} µs |",
            p50.as_secs_f64() * 1e6,
            p99.as_secs_f64() * 1e6
        );
    }
}
