//! Generated CSI v1 (`csi.v1`) protobuf messages and tonic services.
//!
//! The code is generated at build time by `build.rs` from `proto/csi.proto`
//! (a trimmed, node-only copy of the upstream CSI spec: the Identity and Node
//! services in full, plus `Controller.ControllerGetCapabilities`).
//!
//! The tests below pin the wire format (field numbers, wire types, enum
//! values, service/method paths) to the values in the upstream CSI spec
//! (container-storage-interface/spec `spec.md` @ 01bfa0409ed3), because
//! kubelet and csi-sanity are generated from that spec and any drift is a
//! silent interoperability bug.
#![allow(
    clippy::all,
    clippy::pedantic,
    clippy::nursery,
    dead_code,
    missing_docs,
    unreachable_pub,
    rustdoc::all
)]

tonic::include_proto!("csi.v1");

#[cfg(test)]
mod tests {
    use super::*;
    use prost::Message;
    use std::collections::HashMap;

    fn enc<M: Message>(m: &M) -> Vec<u8> {
        m.encode_to_vec()
    }

    fn map1(k: &str, v: &str) -> HashMap<String, String> {
        HashMap::from([(k.to_owned(), v.to_owned())])
    }

    /// Bytes of a single-entry `map<string,string>` entry message for 1-byte
    /// key and value: key = 1 (0x0A), value = 2 (0x12).
    fn map_entry(k: u8, v: u8) -> Vec<u8> {
        vec![0x0A, 0x01, k, 0x12, 0x01, v]
    }

    /// Tag byte for field numbers < 16: (field << 3) | wire_type.
    const fn tag(field: u8, wire_type: u8) -> u8 {
        (field << 3) | wire_type
    }
    const VARINT: u8 = 0;
    const LEN: u8 = 2;

    fn mount_cap(fs_type: &str, flags: &[&str], group: &str) -> VolumeCapability {
        VolumeCapability {
            access_type: Some(volume_capability::AccessType::Mount(
                volume_capability::MountVolume {
                    fs_type: fs_type.to_owned(),
                    mount_flags: flags.iter().map(|s| (*s).to_owned()).collect(),
                    volume_mount_group: group.to_owned(),
                },
            )),
            access_mode: Some(volume_capability::AccessMode {
                mode: volume_capability::access_mode::Mode::SingleNodeWriter as i32,
            }),
        }
    }

    // ----------------------------------------------------------------- Identity

    #[test]
    fn get_plugin_info_response_fields() {
        // name = 1, vendor_version = 2, manifest = 3
        let m = GetPluginInfoResponse {
            name: "n".into(),
            vendor_version: "v".into(),
            manifest: map1("a", "b"),
        };
        let mut want = vec![tag(1, LEN), 1, b'n', tag(2, LEN), 1, b'v', tag(3, LEN), 6];
        want.extend(map_entry(b'a', b'b'));
        assert_eq!(enc(&m), want);
        assert_eq!(GetPluginInfoResponse::decode(&want[..]).unwrap(), m);
    }

    #[test]
    fn probe_response_ready_is_bool_value_field_1() {
        // ready = 1, google.protobuf.BoolValue { value = 1 }
        let ready = ProbeResponse { ready: Some(true) };
        assert_eq!(enc(&ready), vec![tag(1, LEN), 2, tag(1, VARINT), 1]);
        // Explicit `false` must still be present on the wire (wrapper type).
        let not_ready = ProbeResponse { ready: Some(false) };
        assert_eq!(enc(&not_ready), vec![tag(1, LEN), 0]);
        assert_eq!(ProbeResponse::decode(&[0x0A, 0x00][..]).unwrap(), not_ready);
        // Absent means "ready" per spec; encodes to nothing.
        assert!(enc(&ProbeResponse { ready: None }).is_empty());
    }

    #[test]
    fn plugin_capability_oneof_fields_and_enums() {
        use plugin_capability::{service, volume_expansion};
        // GetPluginCapabilitiesResponse.capabilities = 1
        // PluginCapability: service = 1, volume_expansion = 2; both Type type = 1
        let m = GetPluginCapabilitiesResponse {
            capabilities: vec![
                PluginCapability {
                    r#type: Some(plugin_capability::Type::Service(
                        plugin_capability::Service {
                            r#type: service::Type::VolumeAccessibilityConstraints as i32,
                        },
                    )),
                },
                PluginCapability {
                    r#type: Some(plugin_capability::Type::VolumeExpansion(
                        plugin_capability::VolumeExpansion {
                            r#type: volume_expansion::Type::Online as i32,
                        },
                    )),
                },
            ],
        };
        #[rustfmt::skip]
        let want = vec![
            tag(1, LEN), 4, tag(1, LEN), 2, tag(1, VARINT), 2,
            tag(1, LEN), 4, tag(2, LEN), 2, tag(1, VARINT), 1,
        ];
        assert_eq!(enc(&m), want);
        assert_eq!(GetPluginCapabilitiesResponse::decode(&want[..]).unwrap(), m);

        let svc = [
            (service::Type::Unknown, 0, "UNKNOWN"),
            (service::Type::ControllerService, 1, "CONTROLLER_SERVICE"),
            (
                service::Type::VolumeAccessibilityConstraints,
                2,
                "VOLUME_ACCESSIBILITY_CONSTRAINTS",
            ),
            (
                service::Type::GroupControllerService,
                3,
                "GROUP_CONTROLLER_SERVICE",
            ),
            (
                service::Type::SnapshotMetadataService,
                4,
                "SNAPSHOT_METADATA_SERVICE",
            ),
        ];
        for (v, n, name) in svc {
            assert_eq!(v as i32, n);
            assert_eq!(v.as_str_name(), name);
        }
        let exp = [
            (volume_expansion::Type::Unknown, 0, "UNKNOWN"),
            (volume_expansion::Type::Online, 1, "ONLINE"),
            (volume_expansion::Type::Offline, 2, "OFFLINE"),
        ];
        for (v, n, name) in exp {
            assert_eq!(v as i32, n);
            assert_eq!(v.as_str_name(), name);
        }
    }

    // --------------------------------------------------------------- Controller

    #[test]
    fn controller_capabilities_fields_and_rpc_enum() {
        use controller_service_capability::rpc::Type as T;
        // ControllerGetCapabilitiesResponse.capabilities = 1;
        // ControllerServiceCapability.rpc = 1; RPC.type = 1
        let m = ControllerGetCapabilitiesResponse {
            capabilities: vec![ControllerServiceCapability {
                r#type: Some(controller_service_capability::Type::Rpc(
                    controller_service_capability::Rpc {
                        r#type: T::GetSnapshot as i32,
                    },
                )),
            }],
        };
        assert_eq!(
            enc(&m),
            vec![tag(1, LEN), 4, tag(1, LEN), 2, tag(1, VARINT), 15]
        );
        assert!(enc(&ControllerGetCapabilitiesResponse::default()).is_empty());

        let all = [
            (T::Unknown, 0, "UNKNOWN"),
            (T::CreateDeleteVolume, 1, "CREATE_DELETE_VOLUME"),
            (T::PublishUnpublishVolume, 2, "PUBLISH_UNPUBLISH_VOLUME"),
            (T::ListVolumes, 3, "LIST_VOLUMES"),
            (T::GetCapacity, 4, "GET_CAPACITY"),
            (T::CreateDeleteSnapshot, 5, "CREATE_DELETE_SNAPSHOT"),
            (T::ListSnapshots, 6, "LIST_SNAPSHOTS"),
            (T::CloneVolume, 7, "CLONE_VOLUME"),
            (T::PublishReadonly, 8, "PUBLISH_READONLY"),
            (T::ExpandVolume, 9, "EXPAND_VOLUME"),
            (
                T::ListVolumesPublishedNodes,
                10,
                "LIST_VOLUMES_PUBLISHED_NODES",
            ),
            (T::VolumeCondition, 11, "VOLUME_CONDITION"),
            (T::GetVolume, 12, "GET_VOLUME"),
            (T::SingleNodeMultiWriter, 13, "SINGLE_NODE_MULTI_WRITER"),
            (T::ModifyVolume, 14, "MODIFY_VOLUME"),
            (T::GetSnapshot, 15, "GET_SNAPSHOT"),
        ];
        for (v, n, name) in all {
            assert_eq!(v as i32, n, "{name}");
            assert_eq!(v.as_str_name(), name);
            assert_eq!(T::from_str_name(name), Some(v));
        }
        assert_eq!(T::try_from(16).ok(), None);
    }

    // ------------------------------------------------------- Shared volume types

    #[test]
    fn volume_capability_mount_and_access_mode() {
        // VolumeCapability: block = 1, mount = 2, access_mode = 3
        // MountVolume: fs_type = 1, mount_flags = 2, volume_mount_group = 3
        // AccessMode: mode = 1
        let m = mount_cap("ext4", &["ro"], "1000");
        #[rustfmt::skip]
        let inner: Vec<u8> = [
            &[tag(1, LEN), 4][..], b"ext4",
            &[tag(2, LEN), 2][..], b"ro",
            &[tag(3, LEN), 4][..], b"1000",
        ]
        .concat();
        let mut want = vec![tag(2, LEN), inner.len() as u8];
        want.extend(&inner);
        want.extend([tag(3, LEN), 2, tag(1, VARINT), 1]);
        assert_eq!(enc(&m), want);
        assert_eq!(VolumeCapability::decode(&want[..]).unwrap(), m);

        let block = VolumeCapability {
            access_type: Some(volume_capability::AccessType::Block(
                volume_capability::BlockVolume {},
            )),
            access_mode: Some(volume_capability::AccessMode {
                mode: volume_capability::access_mode::Mode::MultiNodeReaderOnly as i32,
            }),
        };
        assert_eq!(
            enc(&block),
            vec![tag(1, LEN), 0, tag(3, LEN), 2, tag(1, VARINT), 3]
        );
    }

    #[test]
    fn access_mode_enum_values() {
        use volume_capability::access_mode::Mode as M;
        let all = [
            (M::Unknown, 0, "UNKNOWN"),
            (M::SingleNodeWriter, 1, "SINGLE_NODE_WRITER"),
            (M::SingleNodeReaderOnly, 2, "SINGLE_NODE_READER_ONLY"),
            (M::MultiNodeReaderOnly, 3, "MULTI_NODE_READER_ONLY"),
            (M::MultiNodeSingleWriter, 4, "MULTI_NODE_SINGLE_WRITER"),
            (M::MultiNodeMultiWriter, 5, "MULTI_NODE_MULTI_WRITER"),
            (M::SingleNodeSingleWriter, 6, "SINGLE_NODE_SINGLE_WRITER"),
            (M::SingleNodeMultiWriter, 7, "SINGLE_NODE_MULTI_WRITER"),
        ];
        for (v, n, name) in all {
            assert_eq!(v as i32, n, "{name}");
            assert_eq!(v.as_str_name(), name);
        }
        assert_eq!(M::try_from(8).ok(), None);
    }

    #[test]
    fn capacity_range_and_topology() {
        // CapacityRange: required_bytes = 1, limit_bytes = 2 (int64 varint)
        let c = CapacityRange {
            required_bytes: 5,
            limit_bytes: 300,
        };
        assert_eq!(enc(&c), vec![tag(1, VARINT), 5, tag(2, VARINT), 0xAC, 0x02]);
        // Topology: segments = 1
        let t = Topology {
            segments: map1("z", "1"),
        };
        let mut want = vec![tag(1, LEN), 6];
        want.extend(map_entry(b'z', b'1'));
        assert_eq!(enc(&t), want);
    }

    // --------------------------------------------------------------------- Node

    #[test]
    fn node_publish_volume_request_fields() {
        // volume_id = 1, publish_context = 2, staging_target_path = 3,
        // target_path = 4, volume_capability = 5, readonly = 6,
        // secrets = 7, volume_context = 8
        let cap = VolumeCapability {
            access_type: Some(volume_capability::AccessType::Mount(Default::default())),
            access_mode: None,
        };
        let m = NodePublishVolumeRequest {
            volume_id: "v".into(),
            publish_context: map1("p", "q"),
            staging_target_path: "s".into(),
            target_path: "t".into(),
            volume_capability: Some(cap),
            readonly: true,
            secrets: map1("k", "x"),
            volume_context: map1("c", "d"),
        };
        let mut want = vec![tag(1, LEN), 1, b'v', tag(2, LEN), 6];
        want.extend(map_entry(b'p', b'q'));
        want.extend([tag(3, LEN), 1, b's', tag(4, LEN), 1, b't']);
        want.extend([tag(5, LEN), 2, tag(2, LEN), 0]); // VolumeCapability{mount: {}}
        want.extend([tag(6, VARINT), 1]);
        want.extend([tag(7, LEN), 6]);
        want.extend(map_entry(b'k', b'x'));
        want.extend([tag(8, LEN), 6]);
        want.extend(map_entry(b'c', b'd'));
        assert_eq!(enc(&m), want);
        assert_eq!(NodePublishVolumeRequest::decode(&want[..]).unwrap(), m);
    }

    #[test]
    fn node_publish_decodes_kubelet_style_request_and_skips_unknown_fields() {
        // A request as a newer CO might send it: includes a field number the
        // trimmed schema does not know (99, varint) which must be skipped.
        let mut bytes = vec![tag(1, LEN), 3, b'p', b'v', b'1'];
        bytes.extend([tag(4, LEN), 2, b'/', b't']);
        let cap = enc(&mount_cap("", &[], "2000"));
        bytes.extend([tag(5, LEN), cap.len() as u8]);
        bytes.extend(&cap);
        bytes.extend([0x98, 0x06, 0x01]); // field 99, varint 1
        bytes.extend([tag(8, LEN), 6]);
        bytes.extend(map_entry(b'a', b'b'));

        let m = NodePublishVolumeRequest::decode(&bytes[..]).unwrap();
        assert_eq!(m.volume_id, "pv1");
        assert_eq!(m.target_path, "/t");
        assert!(!m.readonly);
        assert_eq!(m.volume_context.get("a").map(String::as_str), Some("b"));
        let cap = m.volume_capability.unwrap();
        match cap.access_type {
            Some(volume_capability::AccessType::Mount(mv)) => {
                assert_eq!(mv.volume_mount_group, "2000")
            }
            other => panic!("expected mount access type, got {other:?}"),
        }
        assert_eq!(
            cap.access_mode.unwrap().mode(),
            volume_capability::access_mode::Mode::SingleNodeWriter
        );
    }

    #[test]
    fn node_stage_and_unstage_fields() {
        // NodeStageVolumeRequest: volume_id = 1, publish_context = 2,
        // staging_target_path = 3, volume_capability = 4, secrets = 5,
        // volume_context = 6
        let m = NodeStageVolumeRequest {
            volume_id: "v".into(),
            publish_context: map1("p", "q"),
            staging_target_path: "s".into(),
            volume_capability: Some(VolumeCapability::default()),
            secrets: map1("k", "x"),
            volume_context: map1("c", "d"),
        };
        let mut want = vec![tag(1, LEN), 1, b'v', tag(2, LEN), 6];
        want.extend(map_entry(b'p', b'q'));
        want.extend([tag(3, LEN), 1, b's', tag(4, LEN), 0, tag(5, LEN), 6]);
        want.extend(map_entry(b'k', b'x'));
        want.extend([tag(6, LEN), 6]);
        want.extend(map_entry(b'c', b'd'));
        assert_eq!(enc(&m), want);

        // NodeUnstageVolumeRequest: volume_id = 1, staging_target_path = 2
        let u = NodeUnstageVolumeRequest {
            volume_id: "v".into(),
            staging_target_path: "s".into(),
        };
        assert_eq!(enc(&u), vec![tag(1, LEN), 1, b'v', tag(2, LEN), 1, b's']);
    }

    #[test]
    fn node_unpublish_fields() {
        // volume_id = 1, target_path = 2
        let m = NodeUnpublishVolumeRequest {
            volume_id: "v".into(),
            target_path: "t".into(),
        };
        assert_eq!(enc(&m), vec![tag(1, LEN), 1, b'v', tag(2, LEN), 1, b't']);
    }

    #[test]
    fn node_get_volume_stats_fields() {
        // Request: volume_id = 1, volume_path = 2, staging_target_path = 3
        let r = NodeGetVolumeStatsRequest {
            volume_id: "v".into(),
            volume_path: "p".into(),
            staging_target_path: "s".into(),
        };
        assert_eq!(
            enc(&r),
            vec![
                tag(1, LEN),
                1,
                b'v',
                tag(2, LEN),
                1,
                b'p',
                tag(3, LEN),
                1,
                b's'
            ]
        );

        // Response: usage = 1, volume_condition = 2
        // VolumeUsage: available = 1, total = 2, used = 3, unit = 4
        // VolumeCondition: abnormal = 1, message = 2
        let resp = NodeGetVolumeStatsResponse {
            usage: vec![VolumeUsage {
                available: 1,
                total: 3,
                used: 2,
                unit: volume_usage::Unit::Inodes as i32,
            }],
            volume_condition: Some(VolumeCondition {
                abnormal: true,
                message: "m".into(),
            }),
        };
        #[rustfmt::skip]
        let want = vec![
            tag(1, LEN), 8,
            tag(1, VARINT), 1, tag(2, VARINT), 3, tag(3, VARINT), 2, tag(4, VARINT), 2,
            tag(2, LEN), 5, tag(1, VARINT), 1, tag(2, LEN), 1, b'm',
        ];
        assert_eq!(enc(&resp), want);
        assert_eq!(NodeGetVolumeStatsResponse::decode(&want[..]).unwrap(), resp);

        assert_eq!(volume_usage::Unit::Unknown as i32, 0);
        assert_eq!(volume_usage::Unit::Bytes as i32, 1);
        assert_eq!(volume_usage::Unit::Inodes as i32, 2);
        assert_eq!(volume_usage::Unit::Bytes.as_str_name(), "BYTES");
    }

    #[test]
    fn node_expand_volume_fields() {
        // Request: volume_id = 1, volume_path = 2, capacity_range = 3,
        // staging_target_path = 4, volume_capability = 5, secrets = 6
        let r = NodeExpandVolumeRequest {
            volume_id: "v".into(),
            volume_path: "p".into(),
            capacity_range: Some(CapacityRange {
                required_bytes: 1,
                limit_bytes: 0,
            }),
            staging_target_path: "s".into(),
            volume_capability: Some(VolumeCapability::default()),
            secrets: map1("k", "x"),
        };
        #[rustfmt::skip]
        let mut want = vec![
            tag(1, LEN), 1, b'v', tag(2, LEN), 1, b'p',
            tag(3, LEN), 2, tag(1, VARINT), 1,
            tag(4, LEN), 1, b's', tag(5, LEN), 0, tag(6, LEN), 6,
        ];
        want.extend(map_entry(b'k', b'x'));
        assert_eq!(enc(&r), want);

        // Response: capacity_bytes = 1
        let resp = NodeExpandVolumeResponse { capacity_bytes: 7 };
        assert_eq!(enc(&resp), vec![tag(1, VARINT), 7]);
    }

    #[test]
    fn node_capabilities_fields_and_rpc_enum() {
        use node_service_capability::rpc::Type as T;
        // NodeGetCapabilitiesResponse.capabilities = 1;
        // NodeServiceCapability.rpc = 1; RPC.type = 1
        let m = NodeGetCapabilitiesResponse {
            capabilities: vec![NodeServiceCapability {
                r#type: Some(node_service_capability::Type::Rpc(
                    node_service_capability::Rpc {
                        r#type: T::VolumeMountGroup as i32,
                    },
                )),
            }],
        };
        let want = vec![tag(1, LEN), 4, tag(1, LEN), 2, tag(1, VARINT), 6];
        assert_eq!(enc(&m), want);
        assert_eq!(NodeGetCapabilitiesResponse::decode(&want[..]).unwrap(), m);

        let all = [
            (T::Unknown, 0, "UNKNOWN"),
            (T::StageUnstageVolume, 1, "STAGE_UNSTAGE_VOLUME"),
            (T::GetVolumeStats, 2, "GET_VOLUME_STATS"),
            (T::ExpandVolume, 3, "EXPAND_VOLUME"),
            (T::VolumeCondition, 4, "VOLUME_CONDITION"),
            (T::SingleNodeMultiWriter, 5, "SINGLE_NODE_MULTI_WRITER"),
            (T::VolumeMountGroup, 6, "VOLUME_MOUNT_GROUP"),
        ];
        for (v, n, name) in all {
            assert_eq!(v as i32, n, "{name}");
            assert_eq!(v.as_str_name(), name);
            assert_eq!(T::from_str_name(name), Some(v));
        }
        assert_eq!(T::try_from(7).ok(), None);
    }

    #[test]
    fn node_get_info_response_fields() {
        // node_id = 1, max_volumes_per_node = 2 (int64), accessible_topology = 3
        let m = NodeGetInfoResponse {
            node_id: "n".into(),
            max_volumes_per_node: 5,
            accessible_topology: Some(Topology {
                segments: map1("z", "1"),
            }),
        };
        #[rustfmt::skip]
        let mut want = vec![
            tag(1, LEN), 1, b'n',
            tag(2, VARINT), 5,
            tag(3, LEN), 8, tag(1, LEN), 6,
        ];
        want.extend(map_entry(b'z', b'1'));
        assert_eq!(enc(&m), want);
        assert_eq!(NodeGetInfoResponse::decode(&want[..]).unwrap(), m);
    }

    #[test]
    fn empty_messages_encode_empty() {
        assert!(enc(&GetPluginInfoRequest {}).is_empty());
        assert!(enc(&GetPluginCapabilitiesRequest {}).is_empty());
        assert!(enc(&ProbeRequest {}).is_empty());
        assert!(enc(&ControllerGetCapabilitiesRequest {}).is_empty());
        assert!(enc(&NodeStageVolumeResponse {}).is_empty());
        assert!(enc(&NodeUnstageVolumeResponse {}).is_empty());
        assert!(enc(&NodePublishVolumeResponse {}).is_empty());
        assert!(enc(&NodeUnpublishVolumeResponse {}).is_empty());
        assert!(enc(&NodeGetCapabilitiesRequest {}).is_empty());
        assert!(enc(&NodeGetInfoRequest {}).is_empty());
    }

    // ----------------------------------------------------- Service/method names

    #[test]
    fn service_names() {
        assert_eq!(identity_server::SERVICE_NAME, "csi.v1.Identity");
        assert_eq!(controller_server::SERVICE_NAME, "csi.v1.Controller");
        assert_eq!(node_server::SERVICE_NAME, "csi.v1.Node");
    }

    #[test]
    fn method_paths_match_spec() {
        // gRPC routes are "/<package>.<Service>/<Method>"; check every RPC
        // the server must answer appears in the generated router.
        let generated = include_str!(concat!(env!("OUT_DIR"), "/csi.v1.rs"));
        let paths = [
            "/csi.v1.Identity/GetPluginInfo",
            "/csi.v1.Identity/GetPluginCapabilities",
            "/csi.v1.Identity/Probe",
            "/csi.v1.Controller/ControllerGetCapabilities",
            "/csi.v1.Node/NodeStageVolume",
            "/csi.v1.Node/NodeUnstageVolume",
            "/csi.v1.Node/NodePublishVolume",
            "/csi.v1.Node/NodeUnpublishVolume",
            "/csi.v1.Node/NodeGetVolumeStats",
            "/csi.v1.Node/NodeExpandVolume",
            "/csi.v1.Node/NodeGetCapabilities",
            "/csi.v1.Node/NodeGetInfo",
        ];
        for p in paths {
            assert!(
                generated.contains(&format!("\"{p}\" =>")),
                "server route {p} missing from generated code"
            );
        }
    }
}
