//! Tests of sprig's private keys: generation, Go's PEM encodings, parsing back, signing.

use super::super::super::testutil::{call_str, dsa_pem, s};
use super::*;

fn check_key(pem: &str, block: &str) -> PrivateKey {
    let (kind, _) = der::pem_decode(pem).unwrap();
    assert_eq!(kind, block);
    let key = PrivateKey::from_pem(pem).unwrap_or_else(|e| panic!("{block}: {e}"));
    assert_eq!(key.to_pem(), pem, "{block}: re-encodes identically");
    let msg = b"signed";
    let sig = key.sign(msg).unwrap();
    let (_, pubkey) = key.public_key_info().unwrap();
    let alg: &dyn signature::VerificationAlgorithm = match key {
        PrivateKey::Rsa(_) => &signature::RSA_PKCS1_2048_8192_SHA256,
        PrivateKey::Ec { .. } => &signature::ECDSA_P256_SHA256_ASN1,
        PrivateKey::Ed25519 { .. } => &signature::ED25519,
        PrivateKey::Dsa(_) => unreachable!("DSA keys cannot sign (sign fails above)"),
    };
    signature::UnparsedPublicKey::new(alg, &pubkey)
        .verify(msg, &sig)
        .unwrap();
    key
}

// crypto_test.go TestGenPrivateKey
#[test]
fn generated_keys_have_gos_pem_types_and_parse_back() {
    check_key(&call_str("genPrivateKey", &[s("ecdsa")]), "EC PRIVATE KEY");
    check_key(&call_str("genPrivateKey", &[s("ed25519")]), "PRIVATE KEY");
    check_key(
        &PrivateKey::generate_rsa(2048).unwrap().to_pem(),
        "RSA PRIVATE KEY",
    );
    assert_eq!(call_str("genPrivateKey", &[s("bad")]), "Unknown type bad");
    assert_eq!(
        call_str("genPrivateKey", &[Value::from(&b"\xffx"[..])]),
        "Unknown type \u{fffd}x"
    );
}

// sprig's generatePrivateKey("dsa"): dsa.GenerateParameters(..., dsa.L2048N256) and
// dsa.GenerateKey, written as asn1.Marshal(DSAKeyFormat{Version 0, P, Q, G, Y, X}) in a
// "DSA PRIVATE KEY" block. Decoded here with the `der` crate, not the crate's own DER code.
#[test]
fn dsa_keys_are_sprigs_layout_with_valid_parameters() {
    use ::der::Decode;
    use dsa::BigUint;
    let pem = dsa_pem();
    let (kind, der_bytes) = der::pem_decode(pem).unwrap();
    assert_eq!(kind, "DSA PRIVATE KEY");
    let fields = Vec::<::der::asn1::UintRef<'_>>::from_der(&der_bytes).unwrap();
    assert_eq!(fields.len(), 6, "version, p, q, g, y, x");
    assert_eq!(fields[0].as_bytes(), [0], "version 0");
    let n = |i: usize| BigUint::from_bytes_be(fields[i].as_bytes());
    let (p, q, g, y, x) = (n(1), n(2), n(3), n(4), n(5));
    let one = BigUint::from(1u8);
    assert_eq!(p.bits(), 2048, "L = 2048");
    assert_eq!(q.bits(), 256, "N = 256");
    assert_eq!((&p - &one) % &q, BigUint::from(0u8), "q divides p - 1");
    assert!(g > one && g < p);
    assert_eq!(g.modpow(&q, &p), one, "g generates the order-q subgroup");
    assert!(x >= one && x < q, "1 <= x < q");
    assert_eq!(y, g.modpow(&x, &p), "y = g^x mod p");
    // A signature made with the key verifies (the values form a working DSA key).
    let c = dsa::Components::from_components(p, q, g).unwrap();
    let public = dsa::VerifyingKey::from_components(c, y).unwrap();
    let key = dsa::SigningKey::from_components(public.clone(), x).unwrap();
    use dsa::signature::{Signer, Verifier};
    let sig: dsa::Signature = key.sign(b"signed");
    public.verify(b"signed", &sig).unwrap();
}

#[test]
fn dsa_keys_parse_back_as_sprig_parses_them() {
    let pem = dsa_pem();
    let key = PrivateKey::from_pem(pem).unwrap();
    assert!(matches!(key, PrivateKey::Dsa(_)));
    assert_eq!(key.to_pem(), pem, "re-encodes identically");
    // asn1.Unmarshal's message for a short sequence; other shapes are structure errors.
    let short = der::pem_encode("DSA PRIVATE KEY", &[0x30, 0x03, 0x02, 0x01, 0x00]);
    assert_eq!(
        PrivateKey::from_pem(&short).unwrap_err(),
        "parsing DSA private key from PEM: asn1: syntax error: sequence truncated"
    );
    let not_ints = der::pem_encode(
        "DSA PRIVATE KEY",
        &der::seq(&[
            der::small_int(0),
            der::octet_string(b"p"),
            der::small_int(1),
            der::small_int(1),
            der::small_int(1),
            der::small_int(1),
        ]),
    );
    assert!(PrivateKey::from_pem(&not_ints)
        .unwrap_err()
        .starts_with("parsing DSA private key from PEM: asn1: structure error: "));
}

/// RSA-4096 generation takes tens of seconds in a debug build on a busy machine:
/// `cargo test -p gotmpl -- --ignored rsa_4096`.
#[test]
#[ignore]
fn default_and_rsa_keys_are_rsa_4096() {
    for typ in ["", "rsa"] {
        let pem = call_str("genPrivateKey", &[s(typ)]);
        let PrivateKey::Rsa(pkcs1) = check_key(&pem, "RSA PRIVATE KEY") else {
            panic!("{typ}: RSA")
        };
        let kp = RsaKeyPair::from_der(&pkcs1).unwrap();
        assert_eq!(kp.public().modulus_len(), 512, "4096 bits");
    }
}

#[test]
fn parse_errors_are_sprigs() {
    let err = |pem: &str| PrivateKey::from_pem(pem).unwrap_err();
    assert_eq!(err("nothing"), "no PEM data in input");
    let cert = der::pem_encode("CERTIFICATE", &[0x30, 0x00]);
    assert_eq!(
        err(&cert),
        "no private key data in PEM block of type CERTIFICATE"
    );
    let other = der::pem_encode("FOO PRIVATE KEY", &[0x30, 0x00]);
    assert_eq!(err(&other), "invalid private key type FOO PRIVATE KEY");
    assert!(err(&der::pem_encode("RSA PRIVATE KEY", &[0x30, 0x00]))
        .starts_with("parsing RSA private key from PEM: "));
    assert!(err(&der::pem_encode("EC PRIVATE KEY", &[0x30, 0x00]))
        .starts_with("parsing EC private key from PEM: "));
    assert!(
        err(&der::pem_encode("PRIVATE KEY", &[0x30, 0x00])).starts_with("decoding PEM as PKCS#8: ")
    );
}

// A P-256 key generated by Go 1.27 (x509.MarshalECPrivateKey), and its PKCS#8 form.
#[test]
fn reads_go_ec_keys_in_both_encodings() {
    let sec1 = "-----BEGIN EC PRIVATE KEY-----\nMHcCAQEEIGarS/Ub9pgAOEDqvBiNsRMKkC/Ak5iHC7LHpkQF8F7boAoGCCqGSM49\nAwEHoUQDQgAExvgbh69LXN1vBPYGSZJWxsm3/foShPQ+XaqCrrbYlP8mPh487iRH\natrkFu1GBoZCMxuDbP3C1XbFX14rKwBrOg==\n-----END EC PRIVATE KEY-----\n";
    let pkcs8 = "-----BEGIN PRIVATE KEY-----\nMIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQgZqtL9Rv2mAA4QOq8\nGI2xEwqQL8CTmIcLssemRAXwXtuhRANCAATG+BuHr0tc3W8E9gZJklbGybf9+hKE\n9D5dqoKuttiU/yY+HjzuJEdq2uQW7UYGhkIzG4Ns/cLVdsVfXisrAGs6\n-----END PRIVATE KEY-----\n";
    let a = PrivateKey::from_pem(sec1).unwrap();
    let b = PrivateKey::from_pem(pkcs8).unwrap();
    assert_eq!(a.to_pem(), sec1);
    assert_eq!(
        b.to_pem(),
        sec1,
        "PKCS#8 input is written back as Go writes EC keys"
    );
}
