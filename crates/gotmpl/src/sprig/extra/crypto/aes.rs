//! Sprig's `encryptAES`/`decryptAES`: AES-256-CBC with the password zero-padded (or cut) to
//! 32 bytes as the key, a random IV prepended, PKCS#7-style padding, base64 (std) text.

use aes::cipher::{generic_array::GenericArray, BlockDecrypt, BlockEncrypt, KeyInit};
use rand::RngCore;

use super::super::encoding::{b64_decode, b64_encode, go_string};
use super::super::{arg_bytes, def};
use crate::{Arity, FuncError, FuncMap, Ty, Value};

const BLOCK: usize = 16;

pub(super) fn register(m: &mut FuncMap) {
    // func(password string, plaintext string) (string, error)
    def(
        m,
        "encryptAES",
        Arity::Fixed(&[Ty::String, Ty::String]),
        |a| {
            let mut iv = [0u8; BLOCK];
            rand::rng().fill_bytes(&mut iv);
            Ok(Value::from(encrypt(arg_bytes(a, 0), arg_bytes(a, 1), iv)))
        },
    );
    // func(password string, crypt64 string) (string, error)
    def(
        m,
        "decryptAES",
        Arity::Fixed(&[Ty::String, Ty::String]),
        |a| decrypt(arg_bytes(a, 0), arg_bytes(a, 1)).map(Value::from),
    );
}

fn cipher(password: &[u8]) -> aes::Aes256 {
    let mut key = [0u8; 32];
    let n = password.len().min(32);
    key[..n].copy_from_slice(&password[..n]);
    aes::Aes256::new(GenericArray::from_slice(&key))
}

fn encrypt(password: &[u8], plaintext: &[u8], iv: [u8; BLOCK]) -> String {
    if plaintext.is_empty() {
        return String::new();
    }
    let c = cipher(password);
    let mut content = plaintext.to_vec();
    let pad = BLOCK - content.len() % BLOCK;
    content.extend(std::iter::repeat_n(pad as u8, pad));
    let mut out = iv.to_vec();
    let mut prev = iv;
    for chunk in content.chunks(BLOCK) {
        let mut block = [0u8; BLOCK];
        for i in 0..BLOCK {
            block[i] = chunk[i] ^ prev[i];
        }
        let mut ga = GenericArray::from(block);
        c.encrypt_block(&mut ga);
        prev.copy_from_slice(&ga);
        out.extend_from_slice(&ga);
    }
    b64_encode(&out)
}

/// The errors are Go's: a base64 `CorruptInputError`, or the runtime panics sprig's code runs
/// into on short or malformed input.
fn decrypt(password: &[u8], crypt64: &[u8]) -> Result<crate::Str, FuncError> {
    if crypt64.is_empty() {
        return Ok(crate::Str::new());
    }
    let crypt = b64_decode(crypt64)
        .map_err(|at| FuncError::new(format!("illegal base64 data at input byte {at}")))?;
    if crypt.len() < BLOCK {
        return Err(FuncError::new(format!(
            "runtime error: slice bounds out of range [:16] with capacity {}",
            crypt.len()
        )));
    }
    let (iv, body) = crypt.split_at(BLOCK);
    if body.len() % BLOCK != 0 {
        return Err(FuncError::new("crypto/cipher: input not full blocks"));
    }
    let c = cipher(password);
    let mut out = Vec::with_capacity(body.len());
    let mut prev: &[u8] = iv;
    for chunk in body.chunks(BLOCK) {
        let mut ga = GenericArray::clone_from_slice(chunk);
        c.decrypt_block(&mut ga);
        out.extend(ga.iter().zip(prev).map(|(a, b)| a ^ b));
        prev = chunk;
    }
    let Some(&last) = out.last() else {
        return Err(FuncError::new("runtime error: index out of range [-1]"));
    };
    let n = out.len();
    if last as usize > n {
        return Err(FuncError::new(format!(
            "runtime error: slice bounds out of range [:{}]",
            n as i64 - last as i64
        )));
    }
    out.truncate(n - last as usize);
    Ok(go_string(out))
}

#[cfg(test)]
mod tests {
    use super::super::super::testutil::{call, call_str, s};
    use super::*;

    // crypto_test.go TestEncryptDecryptAES
    #[test]
    fn round_trip() {
        let c = call_str("encryptAES", &[s("secretkey"), s("plaintext")]);
        assert_eq!(
            call_str("decryptAES", &[s("secretkey"), s(&c)]),
            "plaintext"
        );
        assert_ne!(
            c,
            call_str("encryptAES", &[s("secretkey"), s("plaintext")]),
            "random IV"
        );
        let long_key = "k".repeat(40);
        let c = call_str("encryptAES", &[s(&long_key), s("sixteen bytes!!!")]);
        assert_eq!(
            b64_decode(c.as_bytes()).unwrap().len(),
            48,
            "IV + text + full pad block"
        );
        assert_eq!(
            call_str("decryptAES", &[s(&"k".repeat(32)), s(&c)]),
            "sixteen bytes!!!"
        );
        assert_eq!(call_str("encryptAES", &[s("k"), s("")]), "");
        assert_eq!(call_str("decryptAES", &[s("k"), s("")]), "");
    }

    // Generated with Go: sprig's encryptAES with the IV fixed to 00 01 .. 0f.
    #[test]
    fn matches_go_with_fixed_iv() {
        let iv: [u8; 16] = std::array::from_fn(|i| i as u8);
        assert_eq!(
            encrypt(b"secretkey", b"plaintext", iv),
            "AAECAwQFBgcICQoLDA0OD4aChIkqfhLglmmHSXlA6r0="
        );
        assert_eq!(
            decrypt(
                b"secretkey",
                b"AAECAwQFBgcICQoLDA0OD4aChIkqfhLglmmHSXlA6r0="
            )
            .unwrap(),
            "plaintext"
        );
    }

    #[test]
    fn malformed_input_is_an_error_not_a_panic() {
        assert!(call("decryptAES", &[s("k"), s("!!")]).is_err());
        assert!(call("decryptAES", &[s("k"), s("AAAA")]).is_err());
        assert!(call("decryptAES", &[s("k"), s(&b64_encode(&[0u8; 20]))]).is_err());
        // A full block whose last byte claims more padding than there is.
        let _ = call("decryptAES", &[s("k"), s(&b64_encode(&[7u8; 32]))]);
    }
}
