//! `connectors-csi csi …`: a small CSI client for debugging a running driver over its socket.

use std::collections::HashMap;
use std::process::ExitCode;

use clap::{Args, Subcommand};
use tonic::Code;

use crate::csi::proto::{self, identity_client::IdentityClient, node_client::NodeClient};

#[derive(Args, Debug)]
pub struct CsiArgs {
    /// Driver socket.
    #[arg(
        long,
        env = "CSI_ENDPOINT",
        default_value = "unix:///csi/csi.sock",
        global = true
    )]
    pub endpoint: String,
    #[command(subcommand)]
    pub command: CsiCommand,
}

#[derive(Subcommand, Debug)]
pub enum CsiCommand {
    /// GetPluginInfo, GetPluginCapabilities, Probe, NodeGetInfo and NodeGetCapabilities.
    Info,
    /// NodePublishVolume (readonly, mount access) like kubelet does for an inline volume.
    Publish {
        /// Volume id.
        #[arg(long)]
        volume_id: String,
        /// Target path.
        #[arg(long)]
        target: String,
        /// Volume attribute `key=value` (repeatable), e.g. --attr connector.name=k8s-a.
        #[arg(long = "attr", value_parser = parse_kv)]
        attrs: Vec<(String, String)>,
        /// Kubelet-style token for the audience, e.g. --token connectors-proxy=<jwt>.
        #[arg(long, value_parser = parse_kv)]
        token: Option<(String, String)>,
        /// fsGroup passed as volume_mount_group.
        #[arg(long)]
        mount_group: Option<u32>,
    },
    /// NodeUnpublishVolume.
    Unpublish {
        #[arg(long)]
        volume_id: String,
        #[arg(long)]
        target: String,
    },
}

fn parse_kv(s: &str) -> Result<(String, String), String> {
    s.split_once('=')
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .ok_or_else(|| format!("{s:?} is not key=value"))
}

/// What to do when a gRPC client other than kubelet or Go cannot talk to the driver's socket.
pub const AUTHORITY_HINT: &str = "gRPC clients other than kubelet and Go (grpcio for Python/C++, grpc-java) send the socket path as the HTTP/2 :authority on a unix socket, which the driver's server rejects with RST_STREAM PROTOCOL_ERROR; set the client's authority to localhost (Python: options=[(\"grpc.default_authority\", \"localhost\")]; Java: overrideAuthority(\"localhost\"); grpcurl: -authority localhost)";

/// A gRPC status in plain words.
pub fn explain(status: &tonic::Status) -> String {
    let what = match status.code() {
        Code::InvalidArgument => "the request is invalid",
        Code::NotFound => "something it names does not exist",
        Code::AlreadyExists => "the volume is already published there with other settings",
        Code::FailedPrecondition => "the cluster is not in a state that allows this",
        Code::PermissionDenied => "access was denied",
        Code::Unavailable => "not available yet; kubelet would retry",
        Code::Unimplemented => "the driver does not implement this call",
        Code::ResourceExhausted => "out of space",
        Code::Internal => "the driver failed internally",
        _ => "the call failed",
    };
    let mut text = format!("{what} ({:?}): {}", status.code(), status.message());
    if status.message().contains("PROTOCOL_ERROR") || status.message().contains("RST_STREAM") {
        text.push_str("; ");
        text.push_str(AUTHORITY_HINT);
    }
    text
}

pub async fn run(args: CsiArgs) -> ExitCode {
    match run_inner(args).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}

async fn run_inner(args: CsiArgs) -> Result<(), String> {
    let path = crate::csi::server::parse_endpoint(&args.endpoint).map_err(|e| e.to_string())?;
    let channel = crate::csi::server::connect(&path).await.map_err(|e| {
        format!(
            "cannot connect to {}: {e} (is the driver running, and is this the socket it serves? Other clients: {AUTHORITY_HINT})",
            path.display()
        )
    })?;
    let mut node = NodeClient::new(channel.clone());
    match args.command {
        CsiCommand::Info => {
            let mut id = IdentityClient::new(channel);
            let info = id
                .get_plugin_info(proto::GetPluginInfoRequest {})
                .await
                .map_err(|s| explain(&s))?
                .into_inner();
            let caps = id
                .get_plugin_capabilities(proto::GetPluginCapabilitiesRequest {})
                .await
                .map_err(|s| explain(&s))?
                .into_inner();
            let probe = id
                .probe(proto::ProbeRequest {})
                .await
                .map_err(|s| explain(&s))?
                .into_inner();
            let ninfo = node
                .node_get_info(proto::NodeGetInfoRequest {})
                .await
                .map_err(|s| explain(&s))?
                .into_inner();
            let ncaps = node
                .node_get_capabilities(proto::NodeGetCapabilitiesRequest {})
                .await
                .map_err(|s| explain(&s))?
                .into_inner();
            println!("driver:       {} {}", info.name, info.vendor_version);
            println!("ready:        {}", probe.ready.unwrap_or(true));
            println!("node id:      {}", ninfo.node_id);
            println!("plugin caps:  {}", caps.capabilities.len());
            let names: Vec<String> = ncaps
                .capabilities
                .iter()
                .filter_map(|c| match &c.r#type {
                    Some(proto::node_service_capability::Type::Rpc(r)) => {
                        proto::node_service_capability::rpc::Type::try_from(r.r#type)
                            .ok()
                            .map(|t| t.as_str_name().to_string())
                    }
                    None => None,
                })
                .collect();
            println!("node caps:    {}", names.join(", "));
        }
        CsiCommand::Publish {
            volume_id,
            target,
            attrs,
            token,
            mount_group,
        } => {
            let mut ctx: HashMap<String, String> = attrs.into_iter().collect();
            ctx.entry("csi.storage.k8s.io/ephemeral".into())
                .or_insert_with(|| "true".into());
            let mut secrets = HashMap::new();
            if let Some((aud, tok)) = token {
                let exp = jiff::Timestamp::now() + jiff::SignedDuration::from_hours(1);
                secrets.insert(
                    crate::token::KUBELET_TOKENS_KEY.to_string(),
                    serde_json::json!({ aud: {"token": tok, "expirationTimestamp": exp.to_string()} }).to_string(),
                );
            }
            node.node_publish_volume(proto::NodePublishVolumeRequest {
                volume_id: volume_id.clone(),
                publish_context: HashMap::new(),
                staging_target_path: String::new(),
                target_path: target.clone(),
                volume_capability: Some(proto::VolumeCapability {
                    access_type: Some(proto::volume_capability::AccessType::Mount(
                        proto::volume_capability::MountVolume {
                            fs_type: String::new(),
                            mount_flags: vec![],
                            volume_mount_group: mount_group
                                .map(|g| g.to_string())
                                .unwrap_or_default(),
                        },
                    )),
                    access_mode: Some(proto::volume_capability::AccessMode {
                        mode: proto::volume_capability::access_mode::Mode::SingleNodeWriter as i32,
                    }),
                }),
                readonly: true,
                secrets,
                volume_context: ctx,
            })
            .await
            .map_err(|s| explain(&s))?;
            println!("published {volume_id} at {target}");
        }
        CsiCommand::Unpublish { volume_id, target } => {
            node.node_unpublish_volume(proto::NodeUnpublishVolumeRequest {
                volume_id: volume_id.clone(),
                target_path: target.clone(),
            })
            .await
            .map_err(|s| explain(&s))?;
            println!("unpublished {volume_id} from {target}");
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn protocol_errors_point_at_the_authority_setting() {
        let reset = tonic::Status::internal(
            "h2 protocol error: stream terminated by RST_STREAM with error code: PROTOCOL_ERROR",
        );
        let text = explain(&reset);
        assert!(text.contains("grpc.default_authority"), "{text}");
        assert!(text.contains("overrideAuthority(\"localhost\")"), "{text}");
        let other = explain(&tonic::Status::not_found("connector \"a/b\" not found"));
        assert!(!other.contains("authority"), "{other}");
    }
}
