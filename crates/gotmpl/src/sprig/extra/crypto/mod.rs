//! Sprig's crypto functions: digests (`sha1sum`, `sha256sum`, `sha512sum`, `adler32sum`),
//! password hashing (`bcrypt`, `htpasswd`, `derivePassword`), `encryptAES`/`decryptAES`, and
//! keys and certificates (`genPrivateKey`, `genCA`, `genSelfSignedCert`, `genSignedCert`,
//! their `WithKey` variants, `buildCustomCert`).

mod aes;
mod certs;
mod der;
mod keys;
mod password;

use sha1::Digest;

use super::{arg_bytes, def};
use crate::{Arity, FuncMap, Ty, Value};

pub(super) fn register(m: &mut FuncMap) {
    const S: Arity = Arity::Fixed(&[Ty::String]);
    // func(input string) string
    def(m, "sha1sum", S, |a| {
        Ok(Value::from(hex(&sha1::Sha1::digest(arg_bytes(a, 0)))))
    });
    def(m, "sha256sum", S, |a| {
        Ok(Value::from(hex(&sha2::Sha256::digest(arg_bytes(a, 0)))))
    });
    def(m, "sha512sum", S, |a| {
        Ok(Value::from(hex(&sha2::Sha512::digest(arg_bytes(a, 0)))))
    });
    def(m, "adler32sum", S, |a| {
        Ok(Value::from(adler32(arg_bytes(a, 0)).to_string()))
    });
    password::register(m);
    aes::register(m);
    keys::register(m);
    certs::register(m);
}

pub(crate) fn hex(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}

/// Adler-32 (RFC 1950), as Go's `hash/adler32`.
fn adler32(data: &[u8]) -> u32 {
    const MOD: u32 = 65521;
    let (mut a, mut b) = (1u32, 0u32);
    for chunk in data.chunks(5552) {
        for &x in chunk {
            a += x as u32;
            b += a;
        }
        a %= MOD;
        b %= MOD;
    }
    b << 16 | a
}

#[cfg(test)]
mod tests {
    use super::super::testutil::{call_str, s};

    // sprig crypto_test.go
    #[test]
    fn digests() {
        assert_eq!(
            call_str("sha1sum", &[s("abc")]),
            "a9993e364706816aba3e25717850c26c9cd0d89d"
        );
        assert_eq!(
            call_str("sha256sum", &[s("abc")]),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
        assert_eq!(
            call_str("sha512sum", &[s("abc")]),
            "ddaf35a193617abacc417349ae20413112e6fa4e89a97ea20a9eeee64b55d39a2192992a274fc1a836ba3c23a3feebbd454d4423643ce80e2a9ac94fa54ca49f"
        );
        assert_eq!(call_str("adler32sum", &[s("abc")]), "38600999");
        assert_eq!(call_str("adler32sum", &[s("")]), "1");
        // Go: adler32.Checksum of 100000 bytes 0xff.
        let big = "\u{7f}".repeat(100_000);
        assert_eq!(
            call_str("adler32sum", &[s(&big)]),
            super::adler32(big.as_bytes()).to_string()
        );
    }
}
