//! `connectors-csi render`: render connectors' files without mounting, for class authors.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;

use clap::Args;

use crate::connector::dir::load_path;
use crate::connector::types::proxy_ca;
use crate::connector::{Connector, ConnectorClass};
use crate::render::{self, RenderRequest, RenderSecrets, ResolvedConnector};

#[derive(Args, Debug)]
pub struct RenderArgs {
    /// YAML file or folder with the Connector(s), repeatable: every Connector found, in order,
    /// is one of the volume's connectors (templates see them all in `.connectors`). Classes in
    /// these files are used too.
    #[arg(long = "connector", required = true, value_name = "FILE|DIR")]
    pub connectors: Vec<PathBuf>,
    /// YAML file or folder with ConnectorClass(es), repeatable. Each connector uses the class
    /// its `spec.connectorClassName` names; a single class given for a single connector is used
    /// whatever its name.
    #[arg(long = "class", value_name = "FILE|DIR")]
    pub classes: Vec<PathBuf>,
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
    /// Namespace of the pod (default: the first connector's).
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

/// The connectors and classes named by `args`, each connector paired with its class.
fn load(args: &RenderArgs) -> Result<Vec<(Connector, ConnectorClass)>, String> {
    let mut connectors = Vec::new();
    let mut classes: Vec<ConnectorClass> = Vec::new();
    for p in &args.connectors {
        let loaded = load_path(p)?;
        if loaded.connectors.is_empty() {
            return Err(format!("{}: no Connector found", p.display()));
        }
        connectors.extend(loaded.connectors);
        classes.extend(loaded.classes);
    }
    let mut given: Vec<ConnectorClass> = Vec::new();
    for p in &args.classes {
        let loaded = load_path(p)?;
        if loaded.classes.is_empty() {
            return Err(format!("{}: no ConnectorClass found", p.display()));
        }
        given.extend(loaded.classes);
    }
    // One class for one connector: used whatever its name (how the command always worked).
    if connectors.len() == 1 && given.len() == 1 {
        let class = given.remove(0);
        return Ok(vec![(connectors.remove(0), class)]);
    }
    // Of same-named classes the last one wins (as in the directory source), and those given
    // with --class win over those found next to the connectors.
    let mut all = classes;
    all.extend(given);
    let given = all;
    let key = |c: &Connector| {
        format!(
            "{}/{}",
            c.metadata.namespace.as_deref().unwrap_or_default(),
            c.metadata.name.as_deref().unwrap_or_default()
        )
    };
    let mut seen = Vec::new();
    let mut out = Vec::new();
    for c in connectors {
        let k = key(&c);
        if seen.contains(&k) {
            return Err(format!(
                "connector {k} is given twice; name each connector once"
            ));
        }
        seen.push(k.clone());
        let wanted = &c.spec.connector_class_name;
        let class = given
            .iter()
            .rfind(|cl| cl.metadata.name.as_deref() == Some(wanted.as_str()))
            .cloned()
            .ok_or_else(|| {
                let mut names: Vec<&str> = given
                    .iter()
                    .filter_map(|cl| cl.metadata.name.as_deref())
                    .collect();
                names.sort();
                names.dedup();
                format!(
                    "connector {k} uses connector class {wanted:?}, which was not given; pass it with --class (classes found: {})",
                    if names.is_empty() { "none".to_string() } else { names.join(", ") }
                )
            })?;
        out.push((c, class));
    }
    Ok(out)
}

/// Renders the files named by `args` (pure apart from reading the YAML files).
pub fn render_files(args: &RenderArgs) -> Result<BTreeMap<String, Vec<u8>>, String> {
    let pairs = load(args)?;
    let first = &pairs[0].0;
    let ns = first
        .metadata
        .namespace
        .clone()
        .unwrap_or_else(|| "default".into());
    let mut ctx = std::collections::HashMap::new();
    // The volume attributes a pod would set for these connectors.
    let list = pairs
        .iter()
        .map(|(c, _)| {
            format!(
                "{}/{}",
                c.metadata.namespace.as_deref().unwrap_or("default"),
                c.metadata.name.as_deref().unwrap_or_default()
            )
        })
        .collect::<Vec<_>>()
        .join(",");
    ctx.insert("connectors".to_string(), list);
    ctx.insert(
        crate::csi::request::POD_NAMESPACE.to_string(),
        args.pod_namespace.clone().unwrap_or(ns),
    );
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
    let resolved: Vec<ResolvedConnector> = pairs
        .into_iter()
        .map(|(connector, class)| ResolvedConnector {
            proxy_ca: proxy_ca(&connector, &class),
            connector: Arc::new(connector),
            class: Arc::new(class),
            target_ca: None,
        })
        .collect();
    let rendered = render::render_with_warnings(
        &resolved,
        &req,
        &RenderSecrets {
            token: &args.token,
            direct_token: None,
        },
    )
    .map_err(|e| e.to_string())?;
    // What a pod would see in its ConnectorVolumeWarning event.
    for w in &rendered.warnings {
        eprintln!("warning: {w}");
    }
    Ok(rendered.payload.files)
}
