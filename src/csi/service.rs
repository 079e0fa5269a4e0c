//! The CSI Identity, Node and (capabilities-only) Controller services.

use std::sync::Arc;
use std::time::Instant;

use tonic::{Request, Response, Status};
use tracing::{info_span, Instrument};

use super::proto::{
    self, controller_server::Controller, identity_server::Identity, node_server::Node,
};
use super::request::{self, POD_NAME, POD_NAMESPACE};
use crate::driver::Driver;
use crate::metrics::CodeLabel;

/// Implements all three services over one [`Driver`].
#[derive(Clone)]
pub struct CsiService {
    pub driver: Arc<Driver>,
}

fn code_name(r: &Result<(), Status>) -> String {
    match r {
        Ok(()) => "OK".into(),
        Err(s) => format!("{:?}", s.code()),
    }
}

#[tonic::async_trait]
impl Identity for CsiService {
    async fn get_plugin_info(
        &self,
        _: Request<proto::GetPluginInfoRequest>,
    ) -> Result<Response<proto::GetPluginInfoResponse>, Status> {
        Ok(Response::new(proto::GetPluginInfoResponse {
            name: self.driver.cfg.driver_name.clone(),
            vendor_version: env!("CARGO_PKG_VERSION").to_string(),
            manifest: Default::default(),
        }))
    }

    async fn get_plugin_capabilities(
        &self,
        _: Request<proto::GetPluginCapabilitiesRequest>,
    ) -> Result<Response<proto::GetPluginCapabilitiesResponse>, Status> {
        // Node-only driver: no CONTROLLER_SERVICE, no topology constraints.
        Ok(Response::new(proto::GetPluginCapabilitiesResponse {
            capabilities: vec![],
        }))
    }

    async fn probe(
        &self,
        _: Request<proto::ProbeRequest>,
    ) -> Result<Response<proto::ProbeResponse>, Status> {
        let ready = self.driver.source.is_synced();
        self.driver.metrics.source_synced.set(ready as i64);
        Ok(Response::new(proto::ProbeResponse { ready: Some(ready) }))
    }
}

#[tonic::async_trait]
impl Controller for CsiService {
    /// Answered with a single UNKNOWN capability (which enables nothing) so csi-sanity ≤ v5.4.0
    /// can run its Node suite against a node-only driver.
    async fn controller_get_capabilities(
        &self,
        _: Request<proto::ControllerGetCapabilitiesRequest>,
    ) -> Result<Response<proto::ControllerGetCapabilitiesResponse>, Status> {
        use proto::controller_service_capability::{rpc, Rpc, Type};
        Ok(Response::new(proto::ControllerGetCapabilitiesResponse {
            capabilities: vec![proto::ControllerServiceCapability {
                r#type: Some(Type::Rpc(Rpc {
                    r#type: rpc::Type::Unknown as i32,
                })),
            }],
        }))
    }
}

#[tonic::async_trait]
impl Node for CsiService {
    async fn node_stage_volume(
        &self,
        _: Request<proto::NodeStageVolumeRequest>,
    ) -> Result<Response<proto::NodeStageVolumeResponse>, Status> {
        Err(Status::unimplemented(
            "NodeStageVolume is not supported: connectors-csi volumes are not staged",
        ))
    }

    async fn node_unstage_volume(
        &self,
        _: Request<proto::NodeUnstageVolumeRequest>,
    ) -> Result<Response<proto::NodeUnstageVolumeResponse>, Status> {
        Err(Status::unimplemented(
            "NodeUnstageVolume is not supported: connectors-csi volumes are not staged",
        ))
    }

    async fn node_publish_volume(
        &self,
        req: Request<proto::NodePublishVolumeRequest>,
    ) -> Result<Response<proto::NodePublishVolumeResponse>, Status> {
        let req = req.into_inner();
        let ctx = &req.volume_context;
        let span = info_span!(
            "NodePublishVolume",
            volume_id = %req.volume_id,
            pod = %format!(
                "{}/{}",
                ctx.get(POD_NAMESPACE).map(String::as_str).unwrap_or("?"),
                ctx.get(POD_NAME).map(String::as_str).unwrap_or("?")
            )
        );
        let started = Instant::now();
        let result = async {
            let parsed = request::validate_publish(&req, &self.driver.cfg.validation())?;
            self.driver.publish(parsed).await.map_err(Status::from)
        }
        .instrument(span.clone())
        .await;
        let label = CodeLabel {
            code: code_name(&result),
        };
        let m = &self.driver.metrics;
        m.publish_total.get_or_create(&label).inc();
        m.publish_seconds
            .get_or_create(&label)
            .observe(started.elapsed().as_secs_f64());
        if let Err(s) = &result {
            span.in_scope(
                || tracing::warn!(code = ?s.code(), message = s.message(), "publish failed"),
            );
        }
        result.map(|()| Response::new(proto::NodePublishVolumeResponse {}))
    }

    async fn node_unpublish_volume(
        &self,
        req: Request<proto::NodeUnpublishVolumeRequest>,
    ) -> Result<Response<proto::NodeUnpublishVolumeResponse>, Status> {
        let req = req.into_inner();
        let span = info_span!("NodeUnpublishVolume", volume_id = %req.volume_id);
        let started = Instant::now();
        let result = async {
            let (id, target) = request::validate_unpublish(&req, &self.driver.cfg.validation())?;
            self.driver
                .unpublish(&id, &target)
                .await
                .map_err(Status::from)
        }
        .instrument(span.clone())
        .await;
        let label = CodeLabel {
            code: code_name(&result),
        };
        let m = &self.driver.metrics;
        m.unpublish_total.get_or_create(&label).inc();
        m.unpublish_seconds
            .get_or_create(&label)
            .observe(started.elapsed().as_secs_f64());
        if let Err(s) = &result {
            span.in_scope(
                || tracing::warn!(code = ?s.code(), message = s.message(), "unpublish failed"),
            );
        }
        result.map(|()| Response::new(proto::NodeUnpublishVolumeResponse {}))
    }

    async fn node_get_volume_stats(
        &self,
        _: Request<proto::NodeGetVolumeStatsRequest>,
    ) -> Result<Response<proto::NodeGetVolumeStatsResponse>, Status> {
        Err(Status::unimplemented("NodeGetVolumeStats is not supported"))
    }

    async fn node_expand_volume(
        &self,
        _: Request<proto::NodeExpandVolumeRequest>,
    ) -> Result<Response<proto::NodeExpandVolumeResponse>, Status> {
        Err(Status::unimplemented("NodeExpandVolume is not supported"))
    }

    async fn node_get_capabilities(
        &self,
        _: Request<proto::NodeGetCapabilitiesRequest>,
    ) -> Result<Response<proto::NodeGetCapabilitiesResponse>, Status> {
        use proto::node_service_capability::{rpc, Rpc, Type};
        Ok(Response::new(proto::NodeGetCapabilitiesResponse {
            capabilities: vec![proto::NodeServiceCapability {
                r#type: Some(Type::Rpc(Rpc {
                    r#type: rpc::Type::VolumeMountGroup as i32,
                })),
            }],
        }))
    }

    async fn node_get_info(
        &self,
        _: Request<proto::NodeGetInfoRequest>,
    ) -> Result<Response<proto::NodeGetInfoResponse>, Status> {
        Ok(Response::new(proto::NodeGetInfoResponse {
            node_id: self.driver.cfg.node_id.clone(),
            max_volumes_per_node: 0,
            accessible_topology: None,
        }))
    }
}
