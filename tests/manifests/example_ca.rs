//! The example CA certificates are real X.509 CA certificates, and the kubeconfig rendered from
//! the examples loads in a real client (kube's rustls stack), as it would in kubectl.

use std::sync::Arc;

use connectors_csi::connector::types::{proxy_ca, secret_value};
use connectors_csi::connector::{Connector, ConnectorClass};
use connectors_csi::render::{self, RenderRequest, RenderSecrets, ResolvedConnector};
use k8s_openapi::api::core::v1::Secret;
use rustls_pki_types::pem::PemObject;
use rustls_pki_types::CertificateDer;
use serde_yaml::Value;
use test_support::yaml::load;

/// Every PEM block of `pem` parsed as an X.509 certificate that a client accepts as a trust
/// anchor, and valid now; panics naming `origin` otherwise. Returns how many there were.
fn assert_ca_certificates(pem: &str, origin: &str) -> usize {
    let certs: Vec<CertificateDer<'static>> = CertificateDer::pem_slice_iter(pem.as_bytes())
        .collect::<Result<_, _>>()
        .unwrap_or_else(|e| panic!("{origin}: not PEM certificates: {e:?}"));
    assert!(!certs.is_empty(), "{origin}: no certificate");
    for der in &certs {
        webpki::anchor_from_trusted_cert(der)
            .unwrap_or_else(|e| panic!("{origin}: not a usable X.509 CA certificate: {e:?}"));
        let cert = webpki::EndEntityCert::try_from(der)
            .unwrap_or_else(|e| panic!("{origin}: not an X.509 certificate: {e:?}"));
        drop(cert);
        assert_validity_covers_now(der, origin);
    }
    certs.len()
}

/// The certificate's notBefore/notAfter (UTCTime or GeneralizedTime) bracket the current time.
fn assert_validity_covers_now(der: &[u8], origin: &str) {
    // Validity is the first SEQUENCE of two time values; find both by their tags.
    let times: Vec<String> = (0..der.len().saturating_sub(2))
        .filter_map(|i| {
            let (tag, len) = (der[i], der[i + 1] as usize);
            let body = der.get(i + 2..i + 2 + len)?;
            let ok = (tag == 0x17 && len == 13) || (tag == 0x18 && len == 15);
            ok.then(|| String::from_utf8(body.to_vec()).ok()).flatten()
        })
        .filter(|s| s.ends_with('Z') && s[..s.len() - 1].bytes().all(|b| b.is_ascii_digit()))
        .take(2)
        .collect();
    assert_eq!(times.len(), 2, "{origin}: validity not found");
    let full = |t: &str| {
        if t.len() == 13 {
            format!("20{t}")
        } else {
            t.to_string()
        }
    };
    let now = jiff::Timestamp::now().strftime("%Y%m%d%H%M%SZ").to_string();
    assert!(
        full(&times[0]) <= now && now <= full(&times[1]),
        "{origin}: certificate not valid now ({times:?})"
    );
}

/// Every document of every YAML file under `deploy/examples` (the catalog folders included).
fn examples() -> Vec<Value> {
    let mut files = Vec::new();
    crate::yaml_files(&crate::root().join("deploy/examples"), &mut files);
    files.iter().flat_map(|f| load(&crate::rel(f))).collect()
}

#[test]
fn every_example_and_fixture_ca_is_a_real_ca_certificate() {
    let mut seen = 0;
    for doc in examples() {
        let name = doc["metadata"]["name"]
            .as_str()
            .unwrap_or_default()
            .to_string();
        let kind = doc["kind"].as_str().unwrap_or_default().to_string();
        let mut pems = Vec::new();
        if let Some(p) = doc["status"]["proxy"]["httpAddress"]["CACerts"].as_str() {
            pems.push(p.to_string());
        }
        if let Some(p) = doc["spec"]["proxy"]["CACerts"].as_str() {
            pems.push(p.to_string());
        }
        if kind == "Secret" {
            let secret: Secret = serde_yaml::from_value(doc.clone()).unwrap();
            if let Some(b) = secret_value(&secret, "ca.crt") {
                pems.push(String::from_utf8(b).unwrap());
            }
        }
        for pem in pems {
            seen += assert_ca_certificates(&pem, &format!("deploy/examples {kind} {name}"));
        }
    }
    assert!(
        seen >= 7,
        "expected the proxy CA of every example and the target CA, saw {seen}"
    );
    assert_ca_certificates(test_support::objects::TEST_CA, "test_support TEST_CA");
    assert_ca_certificates(test_support::objects::TEST_CA_2, "test_support TEST_CA_2");
}

#[test]
fn a_made_up_pem_block_is_rejected() {
    let fake = "-----BEGIN CERTIFICATE-----\nbm90IGEgY2VydGlmaWNhdGU=\n-----END CERTIFICATE-----\n";
    let der = CertificateDer::from_pem_slice(fake.as_bytes()).unwrap();
    assert!(webpki::anchor_from_trusted_cert(&der).is_err());
}

/// Renders `configuration` for the example Connector `name` as the driver would.
fn render_example(name: &str, configuration: &str) -> render::Payload {
    let docs = examples();
    let find = |kind: &str, n: &str| {
        docs.iter()
            .find(|d| d["kind"].as_str() == Some(kind) && d["metadata"]["name"].as_str() == Some(n))
            .unwrap_or_else(|| panic!("no example {kind} {n}"))
            .clone()
    };
    let connector: Connector = serde_yaml::from_value(find("Connector", name)).unwrap();
    let class: ConnectorClass =
        serde_yaml::from_value(find("ConnectorClass", &connector.spec.connector_class_name))
            .unwrap();
    let rc = ResolvedConnector {
        proxy_ca: proxy_ca(&connector, &class),
        connector: Arc::new(connector),
        class: Arc::new(class),
        target_ca: None,
    };
    let req = RenderRequest {
        configurations: vec![configuration.to_string()],
        pod_namespace: "default".into(),
        ..Default::default()
    };
    render::render(
        &[rc],
        &req,
        &RenderSecrets {
            token: "example-token",
            direct_token: None,
        },
    )
    .unwrap()
}

#[tokio::test]
async fn the_example_kubeconfig_loads_in_a_real_client() {
    let payload = render_example("k8s-demo", "kubeconfig");
    for f in ["ca.crt", "ca.cert", "context.proxy.caCert"] {
        assert_ca_certificates(std::str::from_utf8(&payload.files[f]).unwrap(), f);
    }
    let kubeconfig = kube::config::Kubeconfig::from_yaml(
        std::str::from_utf8(&payload.files["kubeconfig"]).unwrap(),
    )
    .unwrap();
    let config = kube::Config::from_custom_kubeconfig(kubeconfig, &Default::default())
        .await
        .expect("the kubeconfig loads");
    assert!(config.root_cert.as_ref().is_some_and(|c| !c.is_empty()));
    assert!(config.proxy_url.is_some());
    // This build of kube has no HTTP-proxy connector; the proxy is not what is checked here.
    let mut config = config;
    config.proxy_url = None;
    // Building the client parses the CA into rustls' root store, as kubectl's client-go does;
    // a malformed certificate fails here.
    kube::Client::try_from(config).expect("a client with the proxy CA as root");
}
