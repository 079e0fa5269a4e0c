//! The `Connector` and `ConnectorClass` objects themselves: metadata + spec + status, their wire
//! format and their `kube::Resource` implementations. Written out rather than derived with
//! `kube::CustomResource` because the CRDs make `spec` optional, which the derive cannot express:
//! an object without `spec` (valid under the CRD) reads as one with an empty spec.

use std::borrow::Cow;

use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;
use kube::core::{ClusterResourceScope, NamespaceResourceScope};
use serde::ser::SerializeStruct;
use serde::{Deserialize, Serialize};

use super::types::{ConnectorClassSpec, ConnectorClassStatus, ConnectorSpec, ConnectorStatus};

/// API group of both kinds.
pub const GROUP: &str = "connectors.alauda.io";
/// API version of both kinds.
pub const VERSION: &str = "v1alpha1";

macro_rules! custom_resource {
    ($(#[$doc:meta])* $kind:ident, $spec:ty, $status:ty, $plural:literal, $scope:ty) => {
        $(#[$doc])*
        #[derive(Deserialize, Clone, Debug, Default, PartialEq)]
        pub struct $kind {
            #[serde(default)]
            pub metadata: ObjectMeta,
            /// Empty when the object has no `spec`.
            #[serde(default)]
            pub spec: $spec,
            #[serde(default)]
            pub status: Option<$status>,
        }

        impl $kind {
            /// An object named `name` with `spec` and no status.
            pub fn new(name: &str, spec: $spec) -> Self {
                Self {
                    metadata: ObjectMeta {
                        name: Some(name.to_string()),
                        ..Default::default()
                    },
                    spec,
                    status: None,
                }
            }
        }

        impl Serialize for $kind {
            fn serialize<S: serde::Serializer>(&self, ser: S) -> Result<S::Ok, S::Error> {
                let fields = 4 + usize::from(self.status.is_some());
                let mut obj = ser.serialize_struct(stringify!($kind), fields)?;
                obj.serialize_field("apiVersion", &format!("{GROUP}/{VERSION}"))?;
                obj.serialize_field("kind", stringify!($kind))?;
                obj.serialize_field("metadata", &self.metadata)?;
                obj.serialize_field("spec", &self.spec)?;
                if let Some(status) = &self.status {
                    obj.serialize_field("status", status)?;
                }
                obj.end()
            }
        }

        impl kube::Resource for $kind {
            type DynamicType = ();
            type Scope = $scope;

            fn group(_: &()) -> Cow<'_, str> {
                GROUP.into()
            }
            fn kind(_: &()) -> Cow<'_, str> {
                stringify!($kind).into()
            }
            fn version(_: &()) -> Cow<'_, str> {
                VERSION.into()
            }
            fn api_version(_: &()) -> Cow<'_, str> {
                format!("{GROUP}/{VERSION}").into()
            }
            fn plural(_: &()) -> Cow<'_, str> {
                $plural.into()
            }
            fn meta(&self) -> &ObjectMeta {
                &self.metadata
            }
            fn meta_mut(&mut self) -> &mut ObjectMeta {
                &mut self.metadata
            }
        }
    };
}

custom_resource!(
    /// A Connector (namespaced): one instance of a tool and its credential.
    Connector,
    ConnectorSpec,
    ConnectorStatus,
    "connectors",
    NamespaceResourceScope
);

custom_resource!(
    /// A ConnectorClass (cluster scoped): a kind of tool and its configuration templates.
    ConnectorClass,
    ConnectorClassSpec,
    ConnectorClassStatus,
    "connectorclasses",
    ClusterResourceScope
);

#[cfg(test)]
mod tests {
    use super::*;
    use kube::Resource;

    #[test]
    fn wire_format_and_resource_identity() {
        let c: Connector = serde_json::from_value(serde_json::json!({
            "apiVersion": "connectors.alauda.io/v1alpha1",
            "kind": "Connector",
            "metadata": {"name": "a", "namespace": "team"}
        }))
        .unwrap();
        assert_eq!(c.spec, ConnectorSpec::default(), "missing spec is empty");
        let v = serde_json::to_value(&c).unwrap();
        assert_eq!(v["apiVersion"], "connectors.alauda.io/v1alpha1");
        assert_eq!(v["kind"], "Connector");
        assert!(v.get("status").is_none());
        assert_eq!(Connector::plural(&()), "connectors");
        assert_eq!(ConnectorClass::kind(&()), "ConnectorClass");
        assert_eq!(
            ConnectorClass::api_version(&()),
            "connectors.alauda.io/v1alpha1"
        );
        let class: ConnectorClass =
            serde_yaml::from_str("kind: ConnectorClass\nmetadata: {name: k}\n").unwrap();
        assert_eq!(class.spec, ConnectorClassSpec::default());
        assert_eq!(class.metadata.name.as_deref(), Some("k"));
    }
}
