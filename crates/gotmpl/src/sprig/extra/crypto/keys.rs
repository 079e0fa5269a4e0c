//! Private keys as sprig handles them: generation (`genPrivateKey`: RSA 4096, DSA L2048N256,
//! ECDSA P-256, Ed25519), Go's PEM encodings (`RSA PRIVATE KEY` PKCS#1, `DSA PRIVATE KEY` in
//! OpenSSL's layout, `EC PRIVATE KEY` SEC 1, `PRIVATE KEY` PKCS#8 for Ed25519), Go's
//! `parsePrivateKeyPEM`, public key info, and signing.
//!
//! DSA keys are generated and parsed as sprig does, but, as in Go, they cannot sign or be
//! certified: Go's `x509.CreateCertificate` refuses them (a `*dsa.PrivateKey` is no
//! `crypto.Signer`, a `*dsa.PublicKey` is an unsupported public key type), so the certificate
//! functions fail with Go's messages.

use ring::rand::SystemRandom;
use ring::signature::{self, EcdsaKeyPair, Ed25519KeyPair, KeyPair, RsaKeyPair};

use super::super::{arg_bytes, def};
use super::der::{self, Tlv};
use crate::{Arity, FuncError, FuncMap, Ty, Value};

const OID_RSA: &[u64] = &[1, 2, 840, 113549, 1, 1, 1];
const OID_SHA256_RSA: &[u64] = &[1, 2, 840, 113549, 1, 1, 11];
const OID_EC: &[u64] = &[1, 2, 840, 10045, 2, 1];
const OID_P256: &[u64] = &[1, 2, 840, 10045, 3, 1, 7];
const OID_P384: &[u64] = &[1, 3, 132, 0, 34];
const OID_ECDSA_SHA256: &[u64] = &[1, 2, 840, 10045, 4, 3, 2];
const OID_ECDSA_SHA384: &[u64] = &[1, 2, 840, 10045, 4, 3, 3];
const OID_ED25519: &[u64] = &[1, 3, 101, 112];

pub(super) fn register(m: &mut FuncMap) {
    // func(typ string) string
    def(m, "genPrivateKey", Arity::Fixed(&[Ty::String]), |a| {
        let typ = arg_bytes(a, 0);
        let key = match typ {
            b"" | b"rsa" => PrivateKey::generate_rsa(4096)?,
            b"ecdsa" => PrivateKey::generate_p256()?,
            b"ed25519" => PrivateKey::generate_ed25519()?,
            b"dsa" => PrivateKey::generate_dsa(),
            _ => return Ok(Value::from([&b"Unknown type "[..], typ].concat())),
        };
        Ok(Value::from(key.to_pem()))
    });
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Curve {
    P256,
    P384,
}

impl Curve {
    fn oid(self) -> &'static [u64] {
        match self {
            Curve::P256 => OID_P256,
            Curve::P384 => OID_P384,
        }
    }
    fn scalar_len(self) -> usize {
        match self {
            Curve::P256 => 32,
            Curve::P384 => 48,
        }
    }
    fn signing(self) -> &'static signature::EcdsaSigningAlgorithm {
        match self {
            Curve::P256 => &signature::ECDSA_P256_SHA256_ASN1_SIGNING,
            Curve::P384 => &signature::ECDSA_P384_SHA384_ASN1_SIGNING,
        }
    }
    fn from_oid(o: &[u8]) -> Option<Curve> {
        [Curve::P256, Curve::P384]
            .into_iter()
            .find(|c| der::oid(c.oid()).get(2..) == Some(o))
    }
}

/// A private key in one of the forms sprig's certificate functions accept.
#[derive(Clone, Debug)]
pub enum PrivateKey {
    /// PKCS#1 `RSAPrivateKey` DER.
    Rsa(Vec<u8>),
    /// Private scalar and uncompressed public point.
    Ec {
        curve: Curve,
        d: Vec<u8>,
        public: Vec<u8>,
    },
    Ed25519 {
        seed: [u8; 32],
        public: [u8; 32],
    },
    /// Domain parameters, public and private values, as big-endian magnitudes.
    Dsa(DsaKey),
}

/// A DSA key: the fields of Go's `dsa.PrivateKey` (and of sprig's `DSAKeyFormat`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DsaKey {
    pub p: Vec<u8>,
    pub q: Vec<u8>,
    pub g: Vec<u8>,
    pub y: Vec<u8>,
    pub x: Vec<u8>,
}

/// What Go's `x509.CreateCertificate` says when the signing key is DSA.
const DSA_NOT_SIGNER: &str = "x509: certificate private key does not implement crypto.Signer";
/// What it says when the certified key is DSA.
const DSA_PUBLIC_UNSUPPORTED: &str = "x509: unsupported public key type: *dsa.PublicKey";

fn unspecified(what: &str) -> FuncError {
    FuncError::new(format!("failed to generate private key: {what}"))
}

/// The field values of an `ECPrivateKey` (SEC 1): scalar, optional curve OID content,
/// optional public point.
type Sec1Fields = (Vec<u8>, Option<Vec<u8>>, Option<Vec<u8>>);

/// Parses an `ECPrivateKey` (SEC 1) into its [`Sec1Fields`].
fn parse_sec1(der_bytes: &[u8]) -> Option<Sec1Fields> {
    let s = der::expect(der_bytes, der::SEQUENCE)?;
    let f = der::children(s.content)?;
    if f.len() < 2
        || f[0].tag != der::INTEGER
        || f[0].content != [1]
        || f[1].tag != der::OCTET_STRING
    {
        return None;
    }
    let mut curve = None;
    let mut public = None;
    for t in &f[2..] {
        match t.tag {
            0xa0 => curve = Some(der::expect(t.content, der::OID)?.content.to_vec()),
            0xa1 => {
                let bits = der::expect(t.content, der::BIT_STRING)?.content;
                public = Some(bits.get(1..)?.to_vec());
            }
            _ => return None,
        }
    }
    Some((f[1].content.to_vec(), curve, public))
}

/// The algorithm OID content, its parameters, and the key bytes of a PKCS#8 `PrivateKeyInfo`.
fn parse_pkcs8(der_bytes: &[u8]) -> Option<(Vec<u8>, Option<Tlv<'_>>, &[u8])> {
    let s = der::expect(der_bytes, der::SEQUENCE)?;
    let f = der::children(s.content)?;
    if f.len() < 3
        || f[0].tag != der::INTEGER
        || f[1].tag != der::SEQUENCE
        || f[2].tag != der::OCTET_STRING
    {
        return None;
    }
    let alg = der::children(f[1].content)?;
    let oid = alg.first().filter(|t| t.tag == der::OID)?.content.to_vec();
    Some((oid, alg.get(1).copied(), f[2].content))
}

impl PrivateKey {
    pub fn generate_rsa(bits: usize) -> Result<PrivateKey, FuncError> {
        use rsa::pkcs1::EncodeRsaPrivateKey;
        let key = rsa::RsaPrivateKey::new(&mut rand_core::OsRng, bits)
            .map_err(|e| unspecified(&e.to_string()))?;
        let der = key
            .to_pkcs1_der()
            .map_err(|e| unspecified(&e.to_string()))?;
        Ok(PrivateKey::Rsa(der.as_bytes().to_vec()))
    }

    /// Go's `dsa.GenerateParameters(&key.Parameters, rand.Reader, dsa.L2048N256)` and
    /// `dsa.GenerateKey`, as sprig's `genPrivateKey "dsa"` calls them: a 2048-bit prime p, a
    /// 256-bit prime q dividing p-1, a generator g of the order-q subgroup, a private x in
    /// [1, q) and y = g^x mod p.
    pub fn generate_dsa() -> PrivateKey {
        let mut rng = rand_core::OsRng;
        let components = dsa::Components::generate(&mut rng, dsa::KeySize::DSA_2048_256);
        let key = dsa::SigningKey::generate(&mut rng, components);
        let public = key.verifying_key();
        let c = public.components();
        PrivateKey::Dsa(DsaKey {
            p: c.p().to_bytes_be(),
            q: c.q().to_bytes_be(),
            g: c.g().to_bytes_be(),
            y: public.y().to_bytes_be(),
            x: key.x().to_bytes_be(),
        })
    }

    pub fn generate_p256() -> Result<PrivateKey, FuncError> {
        let rng = SystemRandom::new();
        let doc = EcdsaKeyPair::generate_pkcs8(Curve::P256.signing(), &rng)
            .map_err(|_| unspecified("ecdsa"))?;
        let (_, _, inner) = parse_pkcs8(doc.as_ref()).ok_or_else(|| unspecified("ecdsa"))?;
        let (d, _, public) = parse_sec1(inner).ok_or_else(|| unspecified("ecdsa"))?;
        Ok(PrivateKey::Ec {
            curve: Curve::P256,
            d,
            public: public.ok_or_else(|| unspecified("ecdsa"))?,
        })
    }

    pub fn generate_ed25519() -> Result<PrivateKey, FuncError> {
        let rng = SystemRandom::new();
        let doc = Ed25519KeyPair::generate_pkcs8(&rng).map_err(|_| unspecified("ed25519"))?;
        let (_, _, inner) = parse_pkcs8(doc.as_ref()).ok_or_else(|| unspecified("ed25519"))?;
        let seed = der::expect(inner, der::OCTET_STRING).ok_or_else(|| unspecified("ed25519"))?;
        let seed: [u8; 32] = seed
            .content
            .try_into()
            .map_err(|_| unspecified("ed25519"))?;
        let kp = Ed25519KeyPair::from_seed_unchecked(&seed).map_err(|_| unspecified("ed25519"))?;
        let public: [u8; 32] = kp
            .public_key()
            .as_ref()
            .try_into()
            .map_err(|_| unspecified("ed25519"))?;
        Ok(PrivateKey::Ed25519 { seed, public })
    }

    /// Go's `pemBlockForKey` + `pem.EncodeToMemory`.
    pub fn to_pem(&self) -> String {
        match self {
            PrivateKey::Rsa(pkcs1) => der::pem_encode("RSA PRIVATE KEY", pkcs1),
            PrivateKey::Ec { curve, d, public } => {
                // x509.MarshalECPrivateKey: version 1, scalar padded to the curve size,
                // [0] named curve, [1] public key.
                let mut scalar = vec![0u8; curve.scalar_len().saturating_sub(d.len())];
                scalar.extend_from_slice(d);
                let sec1 = der::seq(&[
                    der::small_int(1),
                    der::octet_string(&scalar),
                    der::tlv(0xa0, &der::oid(curve.oid())),
                    der::tlv(0xa1, &der::bit_string(public)),
                ]);
                der::pem_encode("EC PRIVATE KEY", &sec1)
            }
            PrivateKey::Ed25519 { seed, .. } => {
                let pkcs8 = der::seq(&[
                    der::small_int(0),
                    der::seq(&[der::oid(OID_ED25519)]),
                    der::octet_string(&der::octet_string(seed)),
                ]);
                der::pem_encode("PRIVATE KEY", &pkcs8)
            }
            // sprig's `asn1.Marshal(DSAKeyFormat{P, Q, G, Y, X})`: SEQUENCE { INTEGER 0, p, q,
            // g, y, x }, the layout OpenSSL reads as a DSA private key.
            PrivateKey::Dsa(k) => {
                let fields = der::seq(&[
                    der::small_int(0),
                    der::uint(&k.p),
                    der::uint(&k.q),
                    der::uint(&k.g),
                    der::uint(&k.y),
                    der::uint(&k.x),
                ]);
                der::pem_encode("DSA PRIVATE KEY", &fields)
            }
        }
    }

    /// Sprig's `parsePrivateKeyPEM`, with its error messages.
    pub fn from_pem(pem: &str) -> Result<PrivateKey, String> {
        let (kind, der_bytes) = der::pem_decode(pem).ok_or("no PEM data in input")?;
        if kind == "PRIVATE KEY" {
            return PrivateKey::from_pkcs8(&der_bytes)
                .map_err(|e| format!("decoding PEM as PKCS#8: {e}"));
        }
        let Some(algo) = kind.strip_suffix(" PRIVATE KEY") else {
            return Err(format!("no private key data in PEM block of type {kind}"));
        };
        match algo {
            "RSA" => PrivateKey::from_pkcs1(&der_bytes)
                .map_err(|e| format!("parsing RSA private key from PEM: {e}")),
            "EC" => PrivateKey::from_sec1(&der_bytes, None)
                .map_err(|e| format!("parsing EC private key from PEM: {e}")),
            "DSA" => PrivateKey::from_dsa_der(&der_bytes)
                .map_err(|e| format!("parsing DSA private key from PEM: {e}")),
            _ => Err(format!("invalid private key type {kind}")),
        }
    }

    /// sprig's `asn1.Unmarshal(block.Bytes, &DSAKeyFormat{})`: a SEQUENCE of a version and
    /// five integers (like Go, the values are not checked; a short sequence is Go's
    /// `sequence truncated`, other shapes a structure error).
    fn from_dsa_der(der_bytes: &[u8]) -> Result<PrivateKey, String> {
        const TRUNCATED: &str = "asn1: syntax error: sequence truncated";
        let Some((outer, _)) = der::read(der_bytes) else {
            return Err(TRUNCATED.into());
        };
        if outer.tag != der::SEQUENCE {
            return Err(
                "asn1: structure error: tags don't match (DSAKeyFormat is a SEQUENCE)".into(),
            );
        }
        let fields = der::children(outer.content).ok_or(TRUNCATED)?;
        if fields.len() < 6 {
            return Err(TRUNCATED.into());
        }
        if fields[..6].iter().any(|f| f.tag != der::INTEGER) {
            return Err(
                "asn1: structure error: tags don't match (DSAKeyFormat fields are INTEGERs)".into(),
            );
        }
        let mag = |i: usize| -> Vec<u8> {
            let c: &[u8] = fields[i].content;
            c.iter().copied().skip_while(|&b| b == 0).collect()
        };
        Ok(PrivateKey::Dsa(DsaKey {
            p: mag(1),
            q: mag(2),
            g: mag(3),
            y: mag(4),
            x: mag(5),
        }))
    }

    fn from_pkcs1(der_bytes: &[u8]) -> Result<PrivateKey, String> {
        RsaKeyPair::from_der(der_bytes)
            .map_err(|e| format!("x509: invalid RSA private key: {e}"))?;
        Ok(PrivateKey::Rsa(der_bytes.to_vec()))
    }

    fn from_sec1(der_bytes: &[u8], curve_oid: Option<&[u8]>) -> Result<PrivateKey, String> {
        let (d, named, public) =
            parse_sec1(der_bytes).ok_or("x509: failed to parse EC private key")?;
        let oid = named
            .as_deref()
            .or(curve_oid)
            .ok_or("x509: unknown elliptic curve")?;
        let curve = Curve::from_oid(oid).ok_or("x509: unknown elliptic curve")?;
        let d: Vec<u8> = d.iter().copied().skip_while(|&b| b == 0).collect();
        let mut scalar = vec![0u8; curve.scalar_len().saturating_sub(d.len())];
        scalar.extend_from_slice(&d);
        let public = public.ok_or("x509: EC private key without a public key is not supported")?;
        EcdsaKeyPair::from_private_key_and_public_key(
            curve.signing(),
            &scalar,
            &public,
            &SystemRandom::new(),
        )
        .map_err(|e| format!("x509: invalid EC private key: {e}"))?;
        Ok(PrivateKey::Ec {
            curve,
            d: scalar,
            public,
        })
    }

    fn from_pkcs8(der_bytes: &[u8]) -> Result<PrivateKey, String> {
        let (oid, params, inner) =
            parse_pkcs8(der_bytes).ok_or("x509: failed to parse private key")?;
        let is = |arcs: &[u64]| der::oid(arcs).get(2..) == Some(&oid[..]);
        if is(OID_RSA) {
            PrivateKey::from_pkcs1(inner)
        } else if is(OID_EC) {
            let curve = params.filter(|t| t.tag == der::OID).map(|t| t.content);
            PrivateKey::from_sec1(inner, curve)
        } else if is(OID_ED25519) {
            let seed = der::expect(inner, der::OCTET_STRING)
                .and_then(|t| <[u8; 32]>::try_from(t.content).ok())
                .ok_or("x509: invalid Ed25519 private key")?;
            let kp = Ed25519KeyPair::from_seed_unchecked(&seed)
                .map_err(|e| format!("x509: invalid Ed25519 private key: {e}"))?;
            let public: [u8; 32] = kp
                .public_key()
                .as_ref()
                .try_into()
                .map_err(|_| "x509: invalid Ed25519 private key")?;
            Ok(PrivateKey::Ed25519 { seed, public })
        } else {
            Err("x509: PKCS#8 wrapping contained private key with unknown algorithm".into())
        }
    }

    /// `SubjectPublicKeyInfo` DER and the raw key bytes inside its BIT STRING.
    pub fn public_key_info(&self) -> Result<(Vec<u8>, Vec<u8>), FuncError> {
        let (alg, key) = match self {
            PrivateKey::Rsa(pkcs1) => {
                let kp = RsaKeyPair::from_der(pkcs1)
                    .map_err(|e| FuncError::new(format!("invalid RSA key: {e}")))?;
                (
                    der::seq(&[der::oid(OID_RSA), der::tlv(der::NULL, &[])]),
                    kp.public().as_ref().to_vec(),
                )
            }
            PrivateKey::Ec { curve, public, .. } => (
                der::seq(&[der::oid(OID_EC), der::oid(curve.oid())]),
                public.clone(),
            ),
            PrivateKey::Ed25519 { public, .. } => {
                (der::seq(&[der::oid(OID_ED25519)]), public.to_vec())
            }
            PrivateKey::Dsa(_) => {
                return Err(FuncError::new(format!(
                    "error creating certificate: {DSA_PUBLIC_UNSUPPORTED}"
                )))
            }
        };
        Ok((der::seq(&[alg, der::bit_string(&key)]), key))
    }

    /// The signature `AlgorithmIdentifier` Go picks for this key.
    pub fn signature_algorithm(&self) -> Vec<u8> {
        match self {
            PrivateKey::Rsa(_) => der::seq(&[der::oid(OID_SHA256_RSA), der::tlv(der::NULL, &[])]),
            PrivateKey::Ec {
                curve: Curve::P256, ..
            } => der::seq(&[der::oid(OID_ECDSA_SHA256)]),
            PrivateKey::Ec {
                curve: Curve::P384, ..
            } => der::seq(&[der::oid(OID_ECDSA_SHA384)]),
            PrivateKey::Ed25519 { .. } => der::seq(&[der::oid(OID_ED25519)]),
            // Never used: `check_certifiable` refuses a DSA signer first.
            PrivateKey::Dsa(_) => Vec::new(),
        }
    }

    /// Go's `x509.CreateCertificate` checks, in its order, that the signing key can sign and
    /// that the certified key is a supported public key type; DSA keys are neither.
    pub fn check_certifiable(subject: &PrivateKey, signer: &PrivateKey) -> Result<(), FuncError> {
        let refuse = |why: &str| Err(FuncError::new(format!("error creating certificate: {why}")));
        if matches!(signer, PrivateKey::Dsa(_)) {
            return refuse(DSA_NOT_SIGNER);
        }
        if matches!(subject, PrivateKey::Dsa(_)) {
            return refuse(DSA_PUBLIC_UNSUPPORTED);
        }
        Ok(())
    }

    pub fn sign(&self, msg: &[u8]) -> Result<Vec<u8>, FuncError> {
        let rng = SystemRandom::new();
        let fail =
            |e: &dyn std::fmt::Display| FuncError::new(format!("error creating certificate: {e}"));
        match self {
            PrivateKey::Rsa(pkcs1) => {
                let kp = RsaKeyPair::from_der(pkcs1).map_err(|e| fail(&e))?;
                let mut sig = vec![0u8; kp.public().modulus_len()];
                kp.sign(&signature::RSA_PKCS1_SHA256, &rng, msg, &mut sig)
                    .map_err(|e| fail(&e))?;
                Ok(sig)
            }
            PrivateKey::Ec { curve, d, public } => {
                let kp =
                    EcdsaKeyPair::from_private_key_and_public_key(curve.signing(), d, public, &rng)
                        .map_err(|e| fail(&e))?;
                Ok(kp.sign(&rng, msg).map_err(|e| fail(&e))?.as_ref().to_vec())
            }
            PrivateKey::Ed25519 { seed, public } => {
                let kp =
                    Ed25519KeyPair::from_seed_and_public_key(seed, public).map_err(|e| fail(&e))?;
                Ok(kp.sign(msg).as_ref().to_vec())
            }
            PrivateKey::Dsa(_) => Err(fail(&DSA_NOT_SIGNER)),
        }
    }
}

#[cfg(test)]
#[path = "keys_tests.rs"]
mod tests;
