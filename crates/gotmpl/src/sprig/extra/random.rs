//! Sprig's random generators: `randAlphaNum`, `randAlpha`, `randNumeric`, `randAscii`
//! (goutils' crypto-random strings), `randBytes` (base64 of random bytes) and `uuidv4`.

use rand::seq::IndexedRandom;
use rand::RngCore;

use super::{arg_int, def, encoding::b64_encode, MAX_GENERATED};
use crate::{Arity, FuncError, FuncMap, Ty, Value};

const ALPHA: &[u8] = b"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ";
const ALNUM: &[u8] = b"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
const DIGITS: &[u8] = b"0123456789";

pub(super) fn register(m: &mut FuncMap) {
    const N: Arity = Arity::Fixed(&[Ty::Int]);
    // func(count int) string
    def(m, "randAlphaNum", N, |a| rand_string(arg_int(a, 0), ALNUM));
    def(m, "randAlpha", N, |a| rand_string(arg_int(a, 0), ALPHA));
    def(m, "randNumeric", N, |a| rand_string(arg_int(a, 0), DIGITS));
    def(m, "randAscii", N, |a| {
        // goutils: characters 32..=126.
        let printable: Vec<u8> = (32u8..=126).collect();
        rand_string(arg_int(a, 0), &printable)
    });
    // func(count int) (string, error)
    def(m, "randBytes", N, |a| {
        let n = arg_int(a, 0);
        if n < 0 {
            return Err(FuncError::new("runtime error: makeslice: len out of range"));
        }
        check_len(n)?;
        let mut buf = vec![0u8; n as usize];
        rand::rng().fill_bytes(&mut buf);
        Ok(Value::from(b64_encode(&buf)))
    });
    // func() string
    def(m, "uuidv4", Arity::Fixed(&[]), |_| {
        Ok(Value::from(uuidv4()))
    });
}

fn check_len(n: i64) -> Result<(), FuncError> {
    if n > MAX_GENERATED {
        return Err(FuncError::new(format!(
            "requested length {n} exceeds the limit of {MAX_GENERATED}"
        )));
    }
    Ok(())
}

/// goutils `CryptoRandom` over a fixed alphabet; sprig drops goutils' error for a negative count
/// and returns "".
fn rand_string(count: i64, alphabet: &[u8]) -> Result<Value, FuncError> {
    if count <= 0 {
        return Ok(Value::from(""));
    }
    check_len(count)?;
    let mut rng = rand::rng();
    let s: String = (0..count)
        .map(|_| *alphabet.choose(&mut rng).unwrap_or(&b'a') as char)
        .collect();
    Ok(Value::from(s))
}

/// A random (version 4, RFC 4122 variant) UUID in its canonical text form.
fn uuidv4() -> String {
    let mut b = [0u8; 16];
    rand::rng().fill_bytes(&mut b);
    b[6] = (b[6] & 0x0f) | 0x40;
    b[8] = (b[8] & 0x3f) | 0x80;
    let hex: String = b.iter().map(|x| format!("{x:02x}")).collect();
    format!(
        "{}-{}-{}-{}-{}",
        &hex[0..8],
        &hex[8..12],
        &hex[12..16],
        &hex[16..20],
        &hex[20..32]
    )
}

#[cfg(test)]
mod tests {
    use super::super::encoding::b64_decode;
    use super::super::testutil::{call, call_str};
    use super::*;

    fn gen(name: &str, n: i64) -> String {
        call_str(name, &[Value::int(n)])
    }

    // strings_test.go TestRandom: lengths and alphabets.
    #[test]
    fn random_strings_have_length_and_alphabet() {
        let s = gen("randAlphaNum", 100);
        assert_eq!(s.len(), 100);
        assert!(s.bytes().all(|c| c.is_ascii_alphanumeric()));
        let s = gen("randAlpha", 100);
        assert!(s.len() == 100 && s.bytes().all(|c| c.is_ascii_alphabetic()));
        let s = gen("randNumeric", 100);
        assert!(s.len() == 100 && s.bytes().all(|c| c.is_ascii_digit()));
        let s = gen("randAscii", 1000);
        assert!(s.len() == 1000 && s.bytes().all(|c| (32..=126).contains(&c)));
        assert!(s.contains(' ') || s.bytes().any(|c| c.is_ascii_punctuation()));
        assert_ne!(gen("randAlphaNum", 32), gen("randAlphaNum", 32));
        assert_eq!(gen("randAlpha", 0), "");
        assert_eq!(gen("randAlpha", -3), "");
        assert!(call("randAlpha", &[Value::int(MAX_GENERATED + 1)]).is_err());
    }

    // crypto_test.go TestRandBytes: base64 of N bytes.
    #[test]
    fn rand_bytes_is_base64_of_n_bytes() {
        let s = gen("randBytes", 12);
        assert_eq!(b64_decode(s.as_bytes()).unwrap().len(), 12);
        assert_eq!(gen("randBytes", 0), "");
        assert!(call("randBytes", &[Value::int(-1)]).is_err());
    }

    #[test]
    fn uuidv4_is_version_4() {
        let u = call_str("uuidv4", &[]);
        assert_eq!(u.len(), 36);
        let parts: Vec<&str> = u.split('-').collect();
        assert_eq!(
            parts.iter().map(|p| p.len()).collect::<Vec<_>>(),
            [8, 4, 4, 4, 12]
        );
        assert!(parts[2].starts_with('4'));
        assert!(matches!(parts[3].as_bytes()[0], b'8' | b'9' | b'a' | b'b'));
        assert_ne!(u, call_str("uuidv4", &[]));
    }
}
