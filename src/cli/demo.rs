//! `connectors-csi demo`: the driver end to end with no cluster.

use std::collections::HashMap;
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;
use std::time::{Duration, Instant};

use clap::Args;

use crate::connector::dir::DirSource;
use crate::csi::proto::{self, node_client::NodeClient};
use crate::driver::{Driver, DriverConfig};
use crate::metrics::Metrics;
use crate::volume::atomic;

#[derive(Args, Debug)]
pub struct DemoArgs {
    /// Folder with example Connector/ConnectorClass/Secret YAML (copied; the original is not modified).
    #[arg(long, default_value = "deploy/examples")]
    pub examples: PathBuf,
    /// Connector to mount (namespace/name).
    #[arg(long, default_value = "default/k8s-demo")]
    pub connector: String,
    /// Configurations to mount.
    #[arg(long, default_value = "kubeconfig")]
    pub configurations: String,
}

pub async fn run(args: DemoArgs) -> ExitCode {
    super::init_logging(super::LogFormat::Text, "warn");
    match demo(args).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("demo failed: {e}");
            ExitCode::FAILURE
        }
    }
}

fn step(n: u32, text: &str) {
    println!("\n\x1b[1m[{n}] {text}\x1b[0m");
}

async fn demo(args: DemoArgs) -> Result<(), String> {
    let work = tempfile::Builder::new()
        .prefix("connectors-csi-demo.")
        .tempdir()
        .map_err(|e| e.to_string())?;
    let examples = work.path().join("examples");
    std::fs::create_dir_all(&examples).map_err(|e| e.to_string())?;
    for e in std::fs::read_dir(&args.examples).map_err(|e| {
        format!(
            "read {}: {e} (run the demo from the repository root or pass --examples)",
            args.examples.display()
        )
    })? {
        let e = e.map_err(|e| e.to_string())?;
        if e.path()
            .extension()
            .is_some_and(|x| x == "yaml" || x == "yml")
        {
            std::fs::copy(e.path(), examples.join(e.file_name())).map_err(|e| e.to_string())?;
        }
    }
    let root = crate::volume::mount::can_mount();
    let mut cfg = DriverConfig::for_root(work.path());
    cfg.mount = root;
    cfg.node_id = "demo-node".into();
    step(
        1,
        &format!(
            "starting the driver with the directory source {}",
            args.examples.display()
        ),
    );
    if !root {
        println!("WARNING: not root: files go into a plain directory instead of a tmpfs (run as root for the real mount)");
    }
    let source = DirSource::open(examples.clone(), None)
        .await
        .map_err(|e| e.to_string())?;
    let driver =
        Driver::new(cfg.clone(), source, Arc::new(Metrics::new())).map_err(|e| e.to_string())?;
    driver.recover().await.map_err(|e| e.to_string())?;
    let socket = work.path().join("csi.sock");
    let listener = crate::csi::server::bind(&socket).map_err(|e| e.to_string())?;
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let sock = socket.clone();
    let d = driver.clone();
    let server = tokio::spawn(async move {
        crate::csi::server::serve(d, listener, &sock, async {
            let _ = stopped.await;
        })
        .await
    });
    let channel = crate::csi::server::connect(&socket)
        .await
        .map_err(|e| e.to_string())?;
    let mut node = NodeClient::new(channel);
    println!("gRPC server on {}", socket.display());

    let target = cfg
        .kubelet_dir
        .join("pods/demo-pod-uid/volumes/kubernetes.io~csi/creds/mount");
    std::fs::create_dir_all(target.parent().unwrap()).map_err(|e| e.to_string())?;
    let (ns, name) = args
        .connector
        .split_once('/')
        .unwrap_or(("default", &args.connector));
    let token = format!("demo-token-{}", rand::random::<u32>());
    step(
        2,
        &format!(
            "NodePublishVolume: connector {ns}/{name}, configuration.names={}",
            args.configurations
        ),
    );
    let req = publish_request(&target, ns, name, &args.configurations, &token);
    let started = Instant::now();
    node.node_publish_volume(req)
        .await
        .map_err(|s| crate::cli::client::explain(&s))?;
    println!(
        "published in {:.1} ms at {}",
        started.elapsed().as_secs_f64() * 1000.0,
        target.display()
    );
    print_tree(&target);

    let kubeconfig = target.join("kubeconfig");
    if let Ok(text) = std::fs::read_to_string(&kubeconfig) {
        step(3, "the rendered kubeconfig (token masked)");
        println!("{}", text.replace(&token, "****"));
    }

    step(
        4,
        "changing the connector's spec.address in the example YAML",
    );
    let before = std::fs::read_to_string(&kubeconfig).unwrap_or_default();
    let data_before = std::fs::read_link(target.join(atomic::DATA_DIR)).ok();
    let changed =
        change_address(&examples, name).map_err(|e| format!("editing the example: {e}"))?;
    let t0 = Instant::now();
    let mut updated = None;
    while t0.elapsed() < Duration::from_secs(5) {
        if let Ok(now) = std::fs::read_to_string(&kubeconfig) {
            if now != before {
                updated = Some(now);
                break;
            }
        }
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    match updated {
        Some(now) => {
            println!("files updated {:.0} ms after the change (one atomic ..data swap):", t0.elapsed().as_secs_f64() * 1000.0);
            println!(
                "  ..data: {} -> {}",
                data_before.map(|p| p.display().to_string()).unwrap_or_default(),
                std::fs::read_link(target.join(atomic::DATA_DIR)).map(|p| p.display().to_string()).unwrap_or_default()
            );
            for line in now.lines().filter(|l| l.contains("server:")) {
                println!("  {}", line.trim());
            }
            println!("  (new address {changed})");
        }
        None => println!("the files did not change within 5 s (is the example a k8s connector with a kubeconfig?)"),
    }

    step(5, "NodeUnpublishVolume");
    node.node_unpublish_volume(proto::NodeUnpublishVolumeRequest {
        volume_id: "demo-volume".into(),
        target_path: target.to_string_lossy().into_owned(),
    })
    .await
    .map_err(|s| crate::cli::client::explain(&s))?;
    println!("unpublished; target exists afterwards: {}", target.exists());
    let _ = stop.send(());
    let _ = server.await;
    Ok(())
}

fn publish_request(
    target: &Path,
    ns: &str,
    name: &str,
    configurations: &str,
    token: &str,
) -> proto::NodePublishVolumeRequest {
    let mut ctx = HashMap::new();
    ctx.insert("connector.name".to_string(), name.to_string());
    ctx.insert("connector.namespace".to_string(), ns.to_string());
    ctx.insert(
        "configuration.names".to_string(),
        configurations.to_string(),
    );
    ctx.insert(
        crate::csi::request::POD_NAMESPACE.to_string(),
        ns.to_string(),
    );
    ctx.insert(
        crate::csi::request::POD_NAME.to_string(),
        "demo-pod".to_string(),
    );
    ctx.insert(
        crate::csi::request::POD_UID.to_string(),
        "demo-pod-uid".to_string(),
    );
    ctx.insert(
        crate::csi::request::POD_SA.to_string(),
        "default".to_string(),
    );
    ctx.insert(
        crate::csi::request::EPHEMERAL.to_string(),
        "true".to_string(),
    );
    let exp = jiff::Timestamp::now() + jiff::SignedDuration::from_mins(30);
    let mut secrets = HashMap::new();
    secrets.insert(
        crate::token::KUBELET_TOKENS_KEY.to_string(),
        serde_json::json!({"connectors-proxy": {"token": token, "expirationTimestamp": exp.to_string()}}).to_string(),
    );
    proto::NodePublishVolumeRequest {
        volume_id: "demo-volume".into(),
        publish_context: HashMap::new(),
        staging_target_path: String::new(),
        target_path: target.to_string_lossy().into_owned(),
        volume_capability: Some(proto::VolumeCapability {
            access_type: Some(proto::volume_capability::AccessType::Mount(
                Default::default(),
            )),
            access_mode: Some(proto::volume_capability::AccessMode {
                mode: proto::volume_capability::access_mode::Mode::SingleNodeWriter as i32,
            }),
        }),
        readonly: true,
        secrets,
        volume_context: ctx,
    }
}

fn print_tree(target: &Path) {
    let mut entries: Vec<_> = std::fs::read_dir(target)
        .map(|r| r.flatten().collect())
        .unwrap_or_default();
    entries.sort_by_key(|e| e.file_name());
    for e in entries {
        let name = e.file_name().to_string_lossy().into_owned();
        let meta = std::fs::symlink_metadata(e.path());
        match std::fs::read_link(e.path()) {
            Ok(link) => {
                let size = std::fs::metadata(e.path()).map(|m| m.len()).unwrap_or(0);
                let mode = std::fs::metadata(e.path())
                    .map(|m| m.mode() & 0o777)
                    .unwrap_or(0);
                println!(
                    "  {name:<32} -> {:<40} {mode:04o} {size:>6} B",
                    link.display()
                );
            }
            Err(_) => {
                let mode = meta.map(|m| m.mode() & 0o777).unwrap_or(0);
                println!("  {name:<32}    (payload dir) {mode:04o}");
            }
        }
    }
}

/// Rewrites `spec.address` of Connector `name` in the example files; returns the new address.
fn change_address(dir: &Path, name: &str) -> Result<String, String> {
    let new_address = "https://api.rotated.example.com:6443".to_string();
    for e in std::fs::read_dir(dir).map_err(|e| e.to_string())?.flatten() {
        let text = std::fs::read_to_string(e.path()).map_err(|e| e.to_string())?;
        let mut docs: Vec<serde_yaml::Value> = Vec::new();
        let mut found = false;
        for d in serde_yaml::Deserializer::from_str(&text) {
            let mut v = <serde_yaml::Value as serde::Deserialize>::deserialize(d)
                .map_err(|e| e.to_string())?;
            if v.get("kind").and_then(|k| k.as_str()) == Some("Connector")
                && v.get("metadata")
                    .and_then(|m| m.get("name"))
                    .and_then(|n| n.as_str())
                    == Some(name)
            {
                v["spec"]["address"] = serde_yaml::Value::String(new_address.clone());
                found = true;
            }
            docs.push(v);
        }
        if found {
            let out: Vec<String> = docs
                .iter()
                .map(|d| serde_yaml::to_string(d).unwrap_or_default())
                .collect();
            let tmp = e.path().with_extension("yaml.tmp");
            std::fs::write(&tmp, out.join("---\n")).map_err(|e| e.to_string())?;
            std::fs::rename(&tmp, e.path()).map_err(|e| e.to_string())?;
            return Ok(new_address);
        }
    }
    Err(format!("connector {name} not found in {}", dir.display()))
}
