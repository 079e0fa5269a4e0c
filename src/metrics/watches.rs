//! `connectors_csi_watched_objects{kind}`: how many objects the connector source watches right
//! now (Connectors and Secrets in use on this node, and the ConnectorClass cache), read from the
//! source on each scrape. It grows with the node's own volumes, never with the cluster.

use std::fmt;
use std::sync::Arc;

use prometheus_client::collector::Collector;
use prometheus_client::encoding::{DescriptorEncoder, EncodeMetric};
use prometheus_client::metrics::gauge::ConstGauge;

use crate::connector::ConnectorSource;

/// Reads [`ConnectorSource::watched`] when scraped.
pub struct WatchCollector(pub Arc<dyn ConnectorSource>);

impl fmt::Debug for WatchCollector {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "WatchCollector({})", self.0.kind())
    }
}

impl Collector for WatchCollector {
    fn encode(&self, mut encoder: DescriptorEncoder) -> Result<(), std::fmt::Error> {
        let watched = self.0.watched();
        if watched.is_empty() {
            return Ok(());
        }
        let mut family = encoder.encode_descriptor(
            "connectors_csi_watched_objects",
            "Objects the connector source watches now, by kind (only those this node's volumes use, and the ConnectorClass cache)",
            None,
            prometheus_client::metrics::MetricType::Gauge,
        )?;
        for (kind, n) in watched {
            let g = ConstGauge::new(n as i64);
            g.encode(family.encode_family(&[("kind", kind)])?)?;
        }
        Ok(())
    }
}
