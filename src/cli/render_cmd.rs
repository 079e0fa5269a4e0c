//! `connectors-csi render`: render a connector's files without mounting, for class authors.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;

use clap::Args;

use crate::connector::types::proxy_ca;
use crate::connector::{Connector, ConnectorClass};
use crate::render::{self, RenderRequest, RenderSecrets, ResolvedConnector};

#[derive(Args, Debug)]
pub struct RenderArgs {
    /// YAML file with the Connector.
    #[arg(long)]
    pub connector: PathBuf,
    /// YAML file with its ConnectorClass.
    #[arg(long)]
    pub class: PathBuf,
    /// Configuration names, as in the `configuration.names` attribute (comma list, `!file` excludes).
    #[arg(long, default_value = "")]
    pub configuration: String,
    /// `configuration.params` JSON.
    #[arg(long)]
    pub params: Option<String>,
    /// Token to render with (default: a visible placeholder).
    #[arg(
        long,
        env = "CONNECTORS_CSI_RENDER_TOKEN",
        default_value = "<pod-serviceaccount-token>"
    )]
    pub token: String,
    /// Namespace of the pod (default: the connector's).
    #[arg(long)]
    pub pod_namespace: Option<String>,
    /// Write the files into this directory instead of printing them.
    #[arg(long)]
    pub out: Option<PathBuf>,
}

pub fn run(args: RenderArgs) -> ExitCode {
    match render_files(&args) {
        Ok(files) => {
            if let Some(dir) = &args.out {
                if let Err(e) = std::fs::create_dir_all(dir) {
                    eprintln!("error: create {}: {e}", dir.display());
                    return ExitCode::FAILURE;
                }
                for (name, data) in &files {
                    if let Err(e) = std::fs::write(dir.join(name), data) {
                        eprintln!("error: write {name}: {e}");
                        return ExitCode::FAILURE;
                    }
                }
                println!("wrote {} files to {}", files.len(), dir.display());
            } else {
                for (name, data) in &files {
                    println!("==> {name} <==");
                    println!("{}", String::from_utf8_lossy(data));
                }
            }
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}

/// Renders the files named by `args` (pure apart from reading the two YAML files).
pub fn render_files(args: &RenderArgs) -> Result<BTreeMap<String, Vec<u8>>, String> {
    let read =
        |p: &PathBuf| std::fs::read_to_string(p).map_err(|e| format!("read {}: {e}", p.display()));
    let connector: Connector = serde_yaml::from_str(&read(&args.connector)?)
        .map_err(|e| format!("{}: not a Connector: {e}", args.connector.display()))?;
    let class: ConnectorClass = serde_yaml::from_str(&read(&args.class)?)
        .map_err(|e| format!("{}: not a ConnectorClass: {e}", args.class.display()))?;
    let mut ctx = std::collections::HashMap::new();
    ctx.insert(
        "connector.name".to_string(),
        connector.metadata.name.clone().unwrap_or_default(),
    );
    let ns = connector
        .metadata
        .namespace
        .clone()
        .unwrap_or_else(|| "default".into());
    ctx.insert(
        crate::csi::request::POD_NAMESPACE.to_string(),
        args.pod_namespace.clone().unwrap_or(ns.clone()),
    );
    ctx.insert("connector.namespace".to_string(), ns);
    if !args.configuration.is_empty() {
        ctx.insert(
            "configuration.names".to_string(),
            args.configuration.clone(),
        );
    }
    if let Some(p) = &args.params {
        ctx.insert("configuration.params".to_string(), p.clone());
    }
    let spec = crate::csi::request::parse_attributes(&ctx, 0o440).map_err(|e| e.0)?;
    let mut req: RenderRequest = spec.render;
    req.pod_namespace = spec.pod.namespace.clone();
    let ca = proxy_ca(&connector, &class);
    let resolved = vec![ResolvedConnector {
        connector: Arc::new(connector),
        class: Arc::new(class),
        proxy_ca: ca,
        target_ca: None,
    }];
    let payload = render::render(
        &resolved,
        &req,
        &RenderSecrets {
            token: &args.token,
            direct_token: None,
        },
    )
    .map_err(|e| e.to_string())?;
    Ok(payload.files)
}
