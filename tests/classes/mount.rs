//! The catalog through the whole driver: the directory source over every class and example
//! Connector, each golden case published over gRPC onto real tmpfs (root only), its
//! configuration's files equal to the golden render.

use std::collections::BTreeMap;

use connectors_csi::connector::dir::DirSource;
use test_support::*;

use super::{class_path, connector_path, declared_files, load, repo, CASES, TOKEN};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_catalog_case_mounts_its_golden_files() {
    if !require_root("every_catalog_case_mounts_its_golden_files") {
        return;
    }
    // One flat folder, as the directory source reads it (top level only).
    let objects = tempfile::tempdir().unwrap();
    for case in CASES {
        for (kind, path) in [
            ("class", class_path(case.class)),
            ("connector", connector_path(case.class)),
        ] {
            std::fs::copy(
                &path,
                objects.path().join(format!("{kind}-{}.yaml", case.class)),
            )
            .unwrap();
        }
    }
    let source = DirSource::open(objects.path().to_path_buf(), None)
        .await
        .unwrap();
    let mut t = TestDriver::start(source).await;
    for (i, case) in CASES.iter().enumerate() {
        let connector = load(&connector_path(case.class));
        let name = connector["metadata"]["name"].as_str().unwrap();
        let vol = format!("vol-cat{i}");
        let target = t.target(&vol);
        let mut attrs = vec![
            ("connector.name", name),
            ("configuration.names", case.configuration),
        ];
        if let Some(p) = case.params {
            attrs.push(("configuration.params", p));
        }
        let mut req = publish_request(&vol, &target, &attrs, TOKEN);
        req.volume_context
            .insert("csi.storage.k8s.io/pod.namespace".into(), "default".into());
        t.node
            .node_publish_volume(req)
            .await
            .unwrap_or_else(|e| panic!("{}: {e:?}", case.name));
        let golden_dir = repo().join("tests/golden/classes").join(case.name);
        let class = load(&class_path(case.class));
        let mounted: BTreeMap<String, Vec<u8>> = declared_files(&class, case.configuration)
            .into_iter()
            .map(|f| {
                let data = std::fs::read(target.join(&f))
                    .unwrap_or_else(|e| panic!("{}: {f} not mounted: {e}", case.name));
                (f, data)
            })
            .collect();
        for (f, data) in &mounted {
            assert!(
                *data == std::fs::read(golden_dir.join(f)).unwrap(),
                "{}: mounted {f} differs from the golden render",
                case.name
            );
        }
        t.node
            .node_unpublish_volume(unpublish_request(&vol, &target))
            .await
            .unwrap();
    }
    t.stop().await;
}
