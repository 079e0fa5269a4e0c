//! Sprig's certificate functions, building X.509 v3 certificates as Go's `x509.CreateCertificate`
//! does for sprig's templates: random 128-bit serial, CN-only subject, validity from now for
//! `daysValid` days, key usage (plus cert-sign and `IsCA` for CAs), server+client auth, basic
//! constraints, a SHA-256-derived subject key id on CAs, the parent's key id as authority key
//! id, and DNS/IP alternative names; signed with SHA-256 RSA, ECDSA or Ed25519.

use std::collections::BTreeMap;
use std::net::IpAddr;
use std::sync::Arc;

use rand::RngCore;
use sha2::Digest;

use super::super::encoding::b64_decode;
use super::super::time::{GoTime, Loc};
use super::super::{arg, arg_int, arg_str, def};
use super::der;
use super::keys::PrivateKey;
use crate::{Arity, FuncError, FuncMap, Object, Ty, Value};

const HOUR_NS: i64 = 3_600_000_000_000;

pub(super) fn register(m: &mut FuncMap) {
    use Ty::{Any, Int, List, String as S};
    // func(b64cert string, b64key string) (certificate, error)
    def(m, "buildCustomCert", Arity::Fixed(&[S, S]), |a| {
        build_custom(&arg_str(a, 0), &arg_str(a, 1)).map(Certificate::value)
    });
    // func(cn string, daysValid int) (certificate, error)
    def(m, "genCA", Arity::Fixed(&[S, Int]), |a| {
        let key = rsa_key()?;
        ca(&arg_str(a, 0), arg_int(a, 1), key).map(Certificate::value)
    });
    // func(cn string, daysValid int, privPEM string) (certificate, error)
    def(m, "genCAWithKey", Arity::Fixed(&[S, Int, S]), |a| {
        let key = pem_key(&arg_str(a, 2))?;
        ca(&arg_str(a, 0), arg_int(a, 1), key).map(Certificate::value)
    });
    // func(cn string, ips, alternateDNS []interface{}, daysValid int) (certificate, error)
    def(
        m,
        "genSelfSignedCert",
        Arity::Fixed(&[S, List, List, Int]),
        |a| {
            let key = rsa_key()?;
            self_signed(a, key).map(Certificate::value)
        },
    );
    // ... privPEM string
    def(
        m,
        "genSelfSignedCertWithKey",
        Arity::Fixed(&[S, List, List, Int, S]),
        |a| {
            let key = pem_key(&arg_str(a, 4))?;
            self_signed(a, key).map(Certificate::value)
        },
    );
    // func(cn string, ips, alternateDNS []interface{}, daysValid int, ca certificate)
    def(
        m,
        "genSignedCert",
        Arity::Fixed(&[S, List, List, Int, Any]),
        |a| {
            let ca = cert_arg(arg(a, 4))?;
            let key = rsa_key()?;
            signed(a, &ca, key).map(Certificate::value)
        },
    );
    // ... privPEM string
    def(
        m,
        "genSignedCertWithKey",
        Arity::Fixed(&[S, List, List, Int, Any, S]),
        |a| {
            let ca = cert_arg(arg(a, 4))?;
            let key = pem_key(&arg_str(a, 5))?;
            signed(a, &ca, key).map(Certificate::value)
        },
    );
}

/// Sprig's `certificate` struct: PEM certificate and PEM private key.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Certificate {
    pub cert: String,
    pub key: String,
}

impl Certificate {
    fn value(self) -> Value {
        Value::Object(Arc::new(self))
    }
}

impl Object for Certificate {
    fn type_name(&self) -> &str {
        "sprig.certificate"
    }
    fn field(&self, name: &str) -> Option<Value> {
        match name {
            "Cert" => Some(Value::from(self.cert.as_str())),
            "Key" => Some(Value::from(self.key.as_str())),
            _ => None,
        }
    }
    /// Go's `%v` of a struct: `{field field}`.
    fn fmt_v(&self) -> String {
        format!("{{{} {}}}", self.cert, self.key)
    }
    fn json(&self) -> Option<Value> {
        let mut m = BTreeMap::new();
        m.insert("Cert".to_string(), Value::from(self.cert.as_str()));
        m.insert("Key".to_string(), Value::from(self.key.as_str()));
        Some(Value::map(m))
    }
    fn as_any(&self) -> &dyn std::any::Any {
        self
    }
}

fn cert_arg(v: &Value) -> Result<Certificate, FuncError> {
    if let Value::Object(o) = v {
        if let Some(c) = o.as_any().downcast_ref::<Certificate>() {
            return Ok(c.clone());
        }
    }
    Err(FuncError::new(format!(
        "wrong type for value; expected sprig.certificate; got {}",
        v.type_name()
    )))
}

fn rsa_key() -> Result<PrivateKey, FuncError> {
    PrivateKey::generate_rsa(2048)
        .map_err(|e| FuncError::new(format!("error generating rsa key: {e}")))
}

fn pem_key(pem: &str) -> Result<PrivateKey, FuncError> {
    PrivateKey::from_pem(pem).map_err(|e| FuncError::new(format!("parsing private key: {e}")))
}

/// The parts of a parsed parent certificate that issuing needs.
struct Parsed {
    subject: Vec<u8>,
    spki: Vec<u8>,
    key_id: Option<Vec<u8>>,
}

/// A structural X.509 parse (what `x509.ParseCertificate` must accept for sprig's purposes).
fn parse_cert(der_bytes: &[u8]) -> Result<Parsed, String> {
    let malformed = || "x509: malformed certificate".to_string();
    let cert = der::expect(der_bytes, der::SEQUENCE).ok_or_else(malformed)?;
    let parts = der::children(cert.content).ok_or_else(malformed)?;
    if parts.len() != 3 || parts[0].tag != der::SEQUENCE || parts[2].tag != der::BIT_STRING {
        return Err(malformed());
    }
    let mut tbs = der::children(parts[0].content).ok_or_else(malformed)?;
    if tbs.first().map(|t| t.tag) == Some(0xa0) {
        tbs.remove(0);
    }
    // serial, signature, issuer, validity, subject, spki, [extensions...]
    if tbs.len() < 6
        || tbs[2].tag != der::SEQUENCE
        || tbs[4].tag != der::SEQUENCE
        || tbs[5].tag != der::SEQUENCE
    {
        return Err(malformed());
    }
    let mut key_id = None;
    if let Some(ext) = tbs.iter().find(|t| t.tag == 0xa3) {
        let list = der::expect(ext.content, der::SEQUENCE).ok_or_else(malformed)?;
        for e in der::children(list.content).ok_or_else(malformed)? {
            let f = der::children(e.content).ok_or_else(malformed)?;
            if f.first().map(|t| t.raw) == Some(&der::oid(&[2, 5, 29, 14])[..]) {
                let value = f.last().ok_or_else(malformed)?;
                let id = der::expect(value.content, der::OCTET_STRING).ok_or_else(malformed)?;
                key_id = Some(id.content.to_vec());
            }
        }
    }
    Ok(Parsed {
        subject: tbs[4].raw.to_vec(),
        spki: tbs[5].raw.to_vec(),
        key_id,
    })
}

fn build_custom(b64cert: &str, b64key: &str) -> Result<Certificate, FuncError> {
    let cert = b64_decode(b64cert.as_bytes())
        .map_err(|_| FuncError::new("unable to decode base64 certificate"))?;
    let key = b64_decode(b64key.as_bytes())
        .map_err(|_| FuncError::new("unable to decode base64 private key"))?;
    let (cert, key) = (
        super::super::encoding::go_string(cert).to_string(),
        super::super::encoding::go_string(key).to_string(),
    );
    let (_, der_bytes) =
        der::pem_decode(&cert).ok_or_else(|| FuncError::new("unable to decode certificate"))?;
    parse_cert(&der_bytes).map_err(|e| {
        FuncError::new(format!("error parsing certificate: decodedCert.Bytes: {e}"))
    })?;
    PrivateKey::from_pem(&key)
        .map_err(|e| FuncError::new(format!("error parsing private key: {e}")))?;
    Ok(Certificate { cert, key })
}

/// Sprig's `getBaseCertTemplate` inputs, checked as `getNetIPs`/`getAlternateDNSStrs` do.
struct Template {
    cn: String,
    ips: Vec<IpAddr>,
    dns: Vec<String>,
    days: i64,
    is_ca: bool,
}

fn list(v: &Value) -> &[Value] {
    match v {
        Value::List(l) => l,
        _ => &[],
    }
}

fn template(a: &[Value]) -> Result<Template, FuncError> {
    let mut ips = Vec::new();
    for ip in list(arg(a, 1)) {
        let Value::String(s) = ip else {
            return Err(FuncError::new(format!(
                "error parsing ip: {} is not a string",
                crate::fmt::format_v(ip)
            )));
        };
        ips.push(
            s.to_str_lossy()
                .parse::<IpAddr>()
                .map_err(|_| FuncError::new(format!("error parsing ip: {s}")))?,
        );
    }
    let mut dns = Vec::new();
    for name in list(arg(a, 2)) {
        let Value::String(s) = name else {
            return Err(FuncError::new(format!(
                "error processing alternate dns name: {} is not a string",
                crate::fmt::format_v(name)
            )));
        };
        dns.push(s.to_string());
    }
    Ok(Template {
        cn: arg_str(a, 0).to_string(),
        ips,
        dns,
        days: arg_int(a, 3),
        is_ca: false,
    })
}

fn ca(cn: &str, days: i64, key: PrivateKey) -> Result<Certificate, FuncError> {
    let t = Template {
        cn: cn.to_string(),
        ips: Vec::new(),
        dns: Vec::new(),
        days,
        is_ca: true,
    };
    issue(&t, &key, None, &key)
}

fn self_signed(a: &[Value], key: PrivateKey) -> Result<Certificate, FuncError> {
    let t = template(a)?;
    issue(&t, &key, None, &key)
}

fn signed(a: &[Value], ca: &Certificate, key: PrivateKey) -> Result<Certificate, FuncError> {
    let (_, der_bytes) =
        der::pem_decode(&ca.cert).ok_or_else(|| FuncError::new("unable to decode certificate"))?;
    let parent = parse_cert(&der_bytes).map_err(|e| {
        FuncError::new(format!(
            "error parsing certificate: decodedSignerCert.Bytes: {e}"
        ))
    })?;
    let signer = PrivateKey::from_pem(&ca.key)
        .map_err(|e| FuncError::new(format!("error parsing private key: {e}")))?;
    let t = template(a)?;
    issue(&t, &key, Some(&parent), &signer)
}

fn name(cn: &str) -> Vec<u8> {
    if cn.is_empty() {
        return der::seq(&[]);
    }
    let atv = der::seq(&[der::oid(&[2, 5, 4, 3]), der::directory_string(cn)]);
    der::seq(&[der::tlv(der::SET, &atv)])
}

fn extension(id: &[u64], critical: bool, value: Vec<u8>) -> Vec<u8> {
    let mut parts = vec![der::oid(id)];
    if critical {
        parts.push(der::tlv(der::BOOLEAN, &[0xff]));
    }
    parts.push(der::octet_string(&value));
    der::seq(&parts)
}

fn validity_time(t: &GoTime) -> Vec<u8> {
    let c = t.in_loc(Loc::Utc).civil();
    der::time(c.year, c.month, c.day, c.hour, c.min, c.sec)
}

/// `x509.CreateCertificate(template, parent, subjectKey.Public(), signer)` + PEM encoding.
fn issue(
    t: &Template,
    subject_key: &PrivateKey,
    parent: Option<&Parsed>,
    signer: &PrivateKey,
) -> Result<Certificate, FuncError> {
    let create = |e: String| FuncError::new(format!("error creating certificate: {e}"));
    PrivateKey::check_certifiable(subject_key, signer)?;
    let (spki, public_bytes) = subject_key.public_key_info()?;
    let subject = name(&t.cn);
    let issuer = parent.map_or_else(|| subject.clone(), |p| p.subject.clone());
    if let Some(p) = parent {
        let (signer_spki, _) = signer.public_key_info()?;
        if signer_spki != p.spki {
            return Err(create(
                "x509: provided PrivateKey doesn't match parent's PublicKey".into(),
            ));
        }
    }

    let mut serial = [0u8; 16];
    rand::rng().fill_bytes(&mut serial);
    let now = GoTime::now();
    let not_after = now.add(HOUR_NS.wrapping_mul(24).wrapping_mul(t.days));

    let mut exts = Vec::new();
    // KeyUsage: DigitalSignature | KeyEncipherment (| CertSign), as a minimal BIT STRING.
    let ku = if t.is_ca { [0x02, 0xa4] } else { [0x05, 0xa0] };
    exts.push(extension(
        &[2, 5, 29, 15],
        true,
        der::tlv(der::BIT_STRING, &ku),
    ));
    exts.push(extension(
        &[2, 5, 29, 37],
        false,
        der::seq(&[
            der::oid(&[1, 3, 6, 1, 5, 5, 7, 3, 1]),
            der::oid(&[1, 3, 6, 1, 5, 5, 7, 3, 2]),
        ]),
    ));
    let bc = if t.is_ca {
        der::seq(&[der::tlv(der::BOOLEAN, &[0xff])])
    } else {
        der::seq(&[])
    };
    exts.push(extension(&[2, 5, 29, 19], true, bc));
    if t.is_ca {
        let id = &sha2::Sha256::digest(&public_bytes)[..20];
        exts.push(extension(&[2, 5, 29, 14], false, der::octet_string(id)));
    }
    if let Some(id) = parent
        .filter(|p| p.subject != subject)
        .and_then(|p| p.key_id.as_ref())
    {
        exts.push(extension(
            &[2, 5, 29, 35],
            false,
            der::seq(&[der::tlv(0x80, id)]),
        ));
    }
    if !t.dns.is_empty() || !t.ips.is_empty() {
        let mut names = Vec::new();
        for d in &t.dns {
            if !d.is_ascii() {
                return Err(create(format!(
                    "x509: {} cannot be encoded as an IA5String",
                    crate::sprig::cast::quote(d)
                )));
            }
            names.push(der::tlv(0x82, d.as_bytes()));
        }
        for ip in &t.ips {
            let bytes = match ip {
                IpAddr::V4(v4) => v4.octets().to_vec(),
                IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
                    Some(v4) => v4.octets().to_vec(),
                    None => v6.octets().to_vec(),
                },
            };
            names.push(der::tlv(0x87, &bytes));
        }
        exts.push(extension(
            &[2, 5, 29, 17],
            t.cn.is_empty(),
            der::seq(&names),
        ));
    }

    let sig_alg = signer.signature_algorithm();
    let tbs = der::seq(&[
        der::tlv(0xa0, &der::small_int(2)),
        der::uint(&serial),
        sig_alg.clone(),
        issuer,
        der::seq(&[validity_time(&now), validity_time(&not_after)]),
        subject,
        spki,
        der::tlv(0xa3, &der::seq(&exts)),
    ]);
    let sig = signer.sign(&tbs)?;
    let cert = der::seq(&[tbs, sig_alg, der::bit_string(&sig)]);
    Ok(Certificate {
        cert: der::pem_encode("CERTIFICATE", &cert),
        key: subject_key.to_pem(),
    })
}

#[cfg(test)]
mod tests;
