//! Certificates parse back (structure, CN, SANs, CA flag, validity) and chain-verify with
//! rustls-webpki; the cases follow sprig's `crypto_test.go`.

use rustls_pki_types::{CertificateDer, ServerName, UnixTime};

use super::super::super::testutil::{call, dsa_pem, s};
use super::*;

fn cert_of(v: Value) -> Certificate {
    cert_arg(&v).expect("a sprig.certificate")
}

fn der_of(c: &Certificate) -> Vec<u8> {
    let (kind, der_bytes) = der::pem_decode(&c.cert).expect("PEM certificate");
    assert_eq!(kind, "CERTIFICATE");
    assert!(c.cert.starts_with("-----BEGIN CERTIFICATE-----\n"));
    der_bytes
}

/// (CN, is CA, DNS names, IPs, validity strings, serial bytes) from the DER.
struct Fields {
    cn: String,
    is_ca: bool,
    dns: Vec<String>,
    ips: Vec<Vec<u8>>,
    validity: (String, String),
    serial: Vec<u8>,
    has_ski: bool,
    has_aki: bool,
}

fn fields(der_bytes: &[u8]) -> Fields {
    let cert = der::expect(der_bytes, der::SEQUENCE).unwrap();
    let parts = der::children(cert.content).unwrap();
    let tbs = der::children(parts[0].content).unwrap();
    assert_eq!(tbs[0].raw, [0xa0, 0x03, 0x02, 0x01, 0x02], "v3");
    let serial = tbs[1].content.to_vec();
    let validity = der::children(tbs[4].content).unwrap();
    let s = |t: &der::Tlv| String::from_utf8(t.content.to_vec()).unwrap();
    let subject = der::children(tbs[5].content).unwrap();
    let cn = if subject.is_empty() {
        String::new()
    } else {
        let atv = der::children(der::children(subject[0].content).unwrap()[0].content).unwrap();
        s(&atv[1])
    };
    let mut f = Fields {
        cn,
        is_ca: false,
        dns: vec![],
        ips: vec![],
        validity: (s(&validity[0]), s(&validity[1])),
        serial,
        has_ski: false,
        has_aki: false,
    };
    let exts = der::children(der::expect(tbs[7].content, der::SEQUENCE).unwrap().content).unwrap();
    for e in exts {
        let p = der::children(e.content).unwrap();
        let value = p.last().unwrap().content;
        let id = p[0].raw;
        if id == der::oid(&[2, 5, 29, 19]) {
            f.is_ca = der::children(der::expect(value, der::SEQUENCE).unwrap().content)
                .unwrap()
                .len()
                == 1;
        } else if id == der::oid(&[2, 5, 29, 17]) {
            for n in der::children(der::expect(value, der::SEQUENCE).unwrap().content).unwrap() {
                match n.tag {
                    0x82 => f.dns.push(s(&n)),
                    0x87 => f.ips.push(n.content.to_vec()),
                    _ => panic!("unexpected SAN"),
                }
            }
        } else if id == der::oid(&[2, 5, 29, 14]) {
            f.has_ski = true;
        } else if id == der::oid(&[2, 5, 29, 35]) {
            f.has_aki = true;
        }
    }
    f
}

fn verify(leaf: &Certificate, ca: &Certificate, name: &str) {
    let ca_der = CertificateDer::from(der_of(ca));
    let anchor = webpki::anchor_from_trusted_cert(&ca_der).expect("CA parses as a trust anchor");
    let leaf_der = CertificateDer::from(der_of(leaf));
    let ee = webpki::EndEntityCert::try_from(&leaf_der).expect("leaf parses");
    ee.verify_for_usage(
        webpki::ALL_VERIFICATION_ALGS,
        &[anchor],
        &[],
        UnixTime::now(),
        webpki::KeyUsage::server_auth(),
        None,
        None,
    )
    .expect("chain verifies");
    let server = ServerName::try_from(name.to_string()).unwrap();
    ee.verify_is_valid_for_subject_name(&server)
        .expect("name matches");
}

fn list(items: &[&str]) -> Value {
    Value::list(items.iter().map(|i| s(i)).collect())
}

fn with_key(f: &str, algo: &str, mut args: Vec<Value>) -> Certificate {
    let key = call("genPrivateKey", &[s(algo)]).unwrap();
    args.push(key.clone());
    let c = cert_of(call(f, &args).unwrap_or_else(|e| panic!("{f} {algo}: {e}")));
    assert_eq!(
        Value::from(c.key.as_str()).as_str(),
        key.as_str(),
        "the given key is returned"
    );
    c
}

// crypto_test.go testGenCA
#[test]
fn gen_ca() {
    let mut cas = vec![cert_of(
        call("genCA", &[s("foo-ca"), Value::int(365)]).unwrap(),
    )];
    for algo in ["ecdsa", "ed25519"] {
        cas.push(with_key(
            "genCAWithKey",
            algo,
            vec![s("foo-ca"), Value::int(365)],
        ));
    }
    for ca in &cas {
        let f = fields(&der_of(ca));
        assert_eq!(f.cn, "foo-ca");
        assert!(f.is_ca && f.has_ski && !f.has_aki);
        assert!(
            f.serial.len() <= 17 && f.serial[0] & 0x80 == 0,
            "positive 128-bit serial"
        );
        let (from, to) = &f.validity;
        let year = |t: &str| t[..2].parse::<i64>().unwrap();
        assert_eq!(year(to) - year(from), 1, "{from} .. {to}");
        assert_eq!(
            &from[2..],
            &to[2..],
            "exactly 365 days later, same time of day (non-leap)"
        );
        // A CA verifies itself as the anchor of its own chain.
        let ca_der = CertificateDer::from(der_of(ca));
        webpki::anchor_from_trusted_cert(&ca_der).unwrap();
    }
    assert!(cas[0].key.starts_with("-----BEGIN RSA PRIVATE KEY-----"));
}

// crypto_test.go testGenSelfSignedCert
#[test]
fn gen_self_signed() {
    let args = || {
        vec![
            s("foo.com"),
            list(&["10.0.0.1", "10.0.0.2"]),
            list(&["bar.com", "bat.com"]),
            Value::int(365),
        ]
    };
    let mut certs = vec![cert_of(call("genSelfSignedCert", &args()).unwrap())];
    for algo in ["ecdsa", "ed25519"] {
        certs.push(with_key("genSelfSignedCertWithKey", algo, args()));
    }
    for c in &certs {
        let f = fields(&der_of(c));
        assert_eq!(f.cn, "foo.com");
        assert_eq!(f.ips, [vec![10, 0, 0, 1], vec![10, 0, 0, 2]]);
        assert_eq!(f.dns, ["bar.com", "bat.com"]);
        assert!(!f.is_ca && !f.has_ski && !f.has_aki);
        verify(c, c, "bar.com");
        verify(c, c, "10.0.0.2");
    }
}

// crypto_test.go testGenSignedCert, every CA key type with every leaf key type.
#[test]
fn gen_signed() {
    let args = || {
        vec![
            s("foo.com"),
            list(&["10.0.0.1", "10.0.0.2"]),
            list(&["bar.com", "bat.com"]),
            Value::int(365),
        ]
    };
    let mut cas = vec![cert_of(
        call("genCA", &[s("foo"), Value::int(365)]).unwrap(),
    )];
    for algo in ["ecdsa", "ed25519"] {
        cas.push(with_key(
            "genCAWithKey",
            algo,
            vec![s("foo"), Value::int(365)],
        ));
    }
    for ca in &cas {
        let mut a = args();
        a.push(ca.clone().value());
        // An RSA leaf (2048-bit generation is slow in debug builds) under the RSA CA only.
        let mut leaves = Vec::new();
        if ca.key.starts_with("-----BEGIN RSA") {
            leaves.push(cert_of(call("genSignedCert", &a).unwrap()));
        }
        for algo in ["ecdsa", "ed25519"] {
            let key = call("genPrivateKey", &[s(algo)]).unwrap();
            let mut a = args();
            a.push(ca.clone().value());
            a.push(key);
            leaves.push(cert_of(call("genSignedCertWithKey", &a).unwrap()));
        }
        for leaf in &leaves {
            let f = fields(&der_of(leaf));
            assert_eq!(
                (f.cn.as_str(), f.is_ca, f.has_aki),
                ("foo.com", false, true)
            );
            assert_eq!(f.dns, ["bar.com", "bat.com"]);
            verify(leaf, ca, "bat.com");
            verify(leaf, ca, "10.0.0.1");
        }
    }
}

#[test]
fn signed_cert_needs_the_cas_own_key() {
    let ca = cert_of(
        call(
            "genCAWithKey",
            &[
                s("ca"),
                Value::int(1),
                call("genPrivateKey", &[s("ecdsa")]).unwrap(),
            ],
        )
        .unwrap(),
    );
    let other = call("genPrivateKey", &[s("ecdsa")]).unwrap();
    let forged = Certificate {
        cert: ca.cert.clone(),
        key: other.as_str().unwrap().to_string(),
    };
    let e = call(
        "genSignedCert",
        &[
            s("x"),
            Value::Nil,
            Value::Nil,
            Value::int(1),
            forged.value(),
        ],
    )
    .unwrap_err();
    assert_eq!(
        e.to_string(),
        "error creating certificate: x509: provided PrivateKey doesn't match parent's PublicKey"
    );
    let e = call(
        "genSignedCert",
        &[
            s("x"),
            Value::Nil,
            Value::Nil,
            Value::int(1),
            s("not a cert"),
        ],
    )
    .unwrap_err();
    assert_eq!(
        e.to_string(),
        "wrong type for value; expected sprig.certificate; got string"
    );
}

#[test]
fn argument_errors_are_sprigs() {
    let e = call(
        "genSelfSignedCert",
        &[s("x"), list(&["10.0.0.300"]), Value::Nil, Value::int(1)],
    )
    .unwrap_err();
    assert_eq!(e.to_string(), "error parsing ip: 10.0.0.300");
    let e = call(
        "genSelfSignedCert",
        &[
            s("x"),
            Value::list(vec![Value::int(1)]),
            Value::Nil,
            Value::int(1),
        ],
    )
    .unwrap_err();
    assert_eq!(e.to_string(), "error parsing ip: 1 is not a string");
    let e = call(
        "genSelfSignedCert",
        &[
            s("x"),
            Value::Nil,
            Value::list(vec![Value::Bool(true)]),
            Value::int(1),
        ],
    )
    .unwrap_err();
    assert_eq!(
        e.to_string(),
        "error processing alternate dns name: true is not a string"
    );
    let e = call("genCAWithKey", &[s("x"), Value::int(1), s("junk")]).unwrap_err();
    assert_eq!(e.to_string(), "parsing private key: no PEM data in input");
}

// crypto_test.go TestBuildCustomCert
/// Go's `x509.CreateCertificate` refuses DSA keys: a `*dsa.PrivateKey` is no `crypto.Signer`
/// (checked first) and a `*dsa.PublicKey` is an unsupported public key type. sprig's
/// `parsePrivateKeyPEM` reads them, so `buildCustomCert` takes one.
#[test]
fn dsa_keys_are_refused_where_go_refuses_them() {
    let dsa = s(dsa_pem());
    let none = Value::list(vec![]);
    let not_signer =
        "error creating certificate: x509: certificate private key does not implement crypto.Signer";
    let e = call("genCAWithKey", &[s("ca"), Value::int(1), dsa.clone()]).unwrap_err();
    assert_eq!(e.to_string(), not_signer);
    let args = [
        s("a.com"),
        none.clone(),
        none.clone(),
        Value::int(1),
        dsa.clone(),
    ];
    let e = call("genSelfSignedCertWithKey", &args).unwrap_err();
    assert_eq!(e.to_string(), not_signer);
    let ec = call("genPrivateKey", &[s("ecdsa")]).unwrap();
    let ca = call("genCAWithKey", &[s("ca"), Value::int(1), ec]).unwrap();
    let args = [
        s("b.com"),
        none.clone(),
        none.clone(),
        Value::int(1),
        ca.clone(),
        dsa.clone(),
    ];
    let e = call("genSignedCertWithKey", &args).unwrap_err();
    assert_eq!(
        e.to_string(),
        "error creating certificate: x509: unsupported public key type: *dsa.PublicKey"
    );
    let ca = cert_of(ca);
    let b64 = |t: &str| super::super::super::encoding::b64_encode(t.as_bytes());
    let built = cert_of(call("buildCustomCert", &[s(&b64(&ca.cert)), s(&b64(dsa_pem()))]).unwrap());
    assert_eq!((built.cert, built.key.as_str()), (ca.cert, dsa_pem()));
}

#[test]
fn build_custom_cert() {
    let ca = cert_of(
        call(
            "genCAWithKey",
            &[
                s("example.com"),
                Value::int(365),
                call("genPrivateKey", &[s("ed25519")]).unwrap(),
            ],
        )
        .unwrap(),
    );
    let b64 = |t: &str| super::super::super::encoding::b64_encode(t.as_bytes());
    let built = cert_of(call("buildCustomCert", &[s(&b64(&ca.cert)), s(&b64(&ca.key))]).unwrap());
    assert_eq!(built, ca);
    let e = call("buildCustomCert", &[s(&b64("fail")), s(&b64(&ca.key))]).unwrap_err();
    assert_eq!(e.to_string(), "unable to decode certificate");
    let e = call("buildCustomCert", &[s("!!"), s(&b64(&ca.key))]).unwrap_err();
    assert_eq!(e.to_string(), "unable to decode base64 certificate");
    let e = call("buildCustomCert", &[s(&b64(&ca.cert)), s(&b64("nope"))]).unwrap_err();
    assert_eq!(
        e.to_string(),
        "error parsing private key: no PEM data in input"
    );
    let bad = der::pem_encode("CERTIFICATE", &[0x30, 0x00]);
    let e = call("buildCustomCert", &[s(&b64(&bad)), s(&b64(&ca.key))]).unwrap_err();
    assert_eq!(
        e.to_string(),
        "error parsing certificate: decodedCert.Bytes: x509: malformed certificate"
    );
}

#[test]
fn certificate_object() {
    let c = Certificate {
        cert: "C".into(),
        key: "K".into(),
    };
    assert_eq!(c.fmt_v(), "{C K}");
    assert_eq!(c.field("Cert").unwrap().as_str().as_deref(), Some("C"));
    assert_eq!(c.field("Key").unwrap().as_str().as_deref(), Some("K"));
    assert!(c.field("Other").is_none());
    assert_eq!(c.type_name(), "sprig.certificate");
}
