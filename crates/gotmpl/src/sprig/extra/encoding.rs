//! Sprig's `b64enc`/`b64dec`/`b32enc`/`b32dec`: Go's standard (padded) encodings, with Go's
//! decoder semantics — newlines are skipped and a corrupt input yields Go's error text
//! (`illegal base64 data at input byte N`) as the function's *result*, as sprig returns it.

use super::{arg_bytes, def};
use crate::{Arity, FuncMap, Ty, Value};

const B64: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
const B32: &[u8; 32] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";

pub(super) fn register(m: &mut FuncMap) {
    const S: Arity = Arity::Fixed(&[Ty::String]);
    // func(v string) string
    def(m, "b64enc", S, |a| {
        Ok(Value::from(b64_encode(arg_bytes(a, 0))))
    });
    def(m, "b64dec", S, |a| {
        Ok(Value::from(match b64_decode(arg_bytes(a, 0)) {
            Ok(b) => go_string(b),
            Err(at) => format!("illegal base64 data at input byte {at}").into(),
        }))
    });
    def(m, "b32enc", S, |a| {
        Ok(Value::from(b32_encode(arg_bytes(a, 0))))
    });
    def(m, "b32dec", S, |a| {
        Ok(Value::from(match b32_decode(arg_bytes(a, 0)) {
            Ok(b) => go_string(b),
            Err(at) => format!("illegal base32 data at input byte {at}").into(),
        }))
    });
}

/// Go's `string(bytes)`: any bytes.
pub(crate) fn go_string(b: Vec<u8>) -> crate::Str {
    crate::Str::from(b)
}

/// `base64.StdEncoding.EncodeToString`.
pub(crate) fn b64_encode(src: &[u8]) -> String {
    let mut out = String::with_capacity(src.len().div_ceil(3) * 4);
    for chunk in src.chunks(3) {
        let b = [
            chunk[0],
            *chunk.get(1).unwrap_or(&0),
            *chunk.get(2).unwrap_or(&0),
        ];
        let v = (b[0] as u32) << 16 | (b[1] as u32) << 8 | b[2] as u32;
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(B64[(v >> (18 - 6 * i) & 63) as usize] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}

fn b64_value(c: u8) -> Option<u8> {
    B64.iter().position(|&x| x == c).map(|p| p as u8)
}

/// `base64.StdEncoding.DecodeString`; `Err(offset)` is Go's `CorruptInputError`.
pub(crate) fn b64_decode(src: &[u8]) -> Result<Vec<u8>, usize> {
    let mut out = Vec::with_capacity(src.len() / 4 * 3);
    let mut si = 0;
    while si < src.len() {
        // One quantum, as Go's decodeQuantum.
        let mut dbuf = [0u8; 4];
        let mut dlen = 4;
        let mut err = None;
        let mut j = 0;
        while j < 4 {
            if si == src.len() {
                if j == 0 {
                    return Ok(out);
                }
                return Err(si - j);
            }
            let c = src[si];
            si += 1;
            if let Some(v) = b64_value(c) {
                dbuf[j] = v;
                j += 1;
                continue;
            }
            if c == b'\n' || c == b'\r' {
                continue;
            }
            if c != b'=' || j < 2 {
                return Err(si - 1);
            }
            if j == 2 {
                while si < src.len() && (src[si] == b'\n' || src[si] == b'\r') {
                    si += 1;
                }
                if si == src.len() {
                    return Err(src.len());
                }
                if src[si] != b'=' {
                    return Err(si - 1);
                }
                si += 1;
            }
            while si < src.len() && (src[si] == b'\n' || src[si] == b'\r') {
                si += 1;
            }
            if si < src.len() {
                err = Some(si);
            }
            dlen = j;
            break;
        }
        let v = (dbuf[0] as u32) << 18
            | (dbuf[1] as u32) << 12
            | (dbuf[2] as u32) << 6
            | dbuf[3] as u32;
        let bytes = [(v >> 16) as u8, (v >> 8) as u8, v as u8];
        out.extend_from_slice(&bytes[..dlen - 1]);
        if let Some(at) = err {
            return Err(at);
        }
    }
    Ok(out)
}

/// `base32.StdEncoding.EncodeToString`.
pub(crate) fn b32_encode(src: &[u8]) -> String {
    let mut out = String::with_capacity(src.len().div_ceil(5) * 8);
    for chunk in src.chunks(5) {
        let mut b = [0u8; 5];
        b[..chunk.len()].copy_from_slice(chunk);
        let v = b.iter().fold(0u64, |acc, &x| acc << 8 | x as u64);
        // Output characters carrying data for 1..=5 input bytes.
        let used = [0, 2, 4, 5, 7, 8][chunk.len()];
        for i in 0..8 {
            if i < used {
                out.push(B32[(v >> (35 - 5 * i) & 31) as usize] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}

/// `base32.StdEncoding.DecodeString` (newlines are stripped first, so offsets count without
/// them); `Err(offset)` is Go's `CorruptInputError`.
pub(crate) fn b32_decode(src: &[u8]) -> Result<Vec<u8>, usize> {
    let src: Vec<u8> = src
        .iter()
        .copied()
        .filter(|&c| c != b'\n' && c != b'\r')
        .collect();
    let olen = src.len();
    let mut rest: &[u8] = &src;
    let mut out = Vec::with_capacity(olen / 8 * 5);
    let mut end = false;
    while !rest.is_empty() && !end {
        let mut dbuf = [0u8; 8];
        let mut dlen = 8;
        let mut j = 0;
        while j < 8 {
            let Some((&c, tail)) = rest.split_first() else {
                return Err(olen - j);
            };
            rest = tail;
            if c == b'=' && j >= 2 && rest.len() < 8 {
                if rest.len() + j < 7 {
                    return Err(olen);
                }
                for k in 0..7 - j {
                    if rest.len() > k && rest[k] != b'=' {
                        return Err(olen - rest.len() + k - 1);
                    }
                }
                dlen = j;
                end = true;
                if matches!(dlen, 1 | 3 | 6) {
                    return Err(olen - rest.len() - 1);
                }
                break;
            }
            match B32.iter().position(|&x| x == c) {
                Some(v) => dbuf[j] = v as u8,
                None => return Err(olen - rest.len() - 1),
            }
            j += 1;
        }
        let v = dbuf.iter().fold(0u64, |acc, &x| acc << 5 | x as u64);
        let bytes = v.to_be_bytes();
        let n = match dlen {
            8 => 5,
            7 => 4,
            5 => 3,
            4 => 2,
            2 => 1,
            _ => 0,
        };
        out.extend_from_slice(&bytes[3..3 + n]);
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::super::testutil::{call_str, s};
    use super::*;

    // encoding_test.go / docs/encoding.md: "Hello World" round trips.
    #[test]
    fn sprig_examples() {
        assert_eq!(call_str("b64enc", &[s("hello world")]), "aGVsbG8gd29ybGQ=");
        assert_eq!(call_str("b64dec", &[s("aGVsbG8gd29ybGQ=")]), "hello world");
        assert_eq!(
            call_str("b32enc", &[s("hello world")]),
            "NBSWY3DPEB3W64TMMQ======"
        );
        assert_eq!(
            call_str("b32dec", &[s("NBSWY3DPEB3W64TMMQ======")]),
            "hello world"
        );
    }

    #[test]
    fn rfc4648_vectors() {
        let cases = [
            ("", "", ""),
            ("f", "Zg==", "MY======"),
            ("fo", "Zm8=", "MZXQ===="),
            ("foo", "Zm9v", "MZXW6==="),
            ("foob", "Zm9vYg==", "MZXW6YQ="),
            ("fooba", "Zm9vYmE=", "MZXW6YTB"),
            ("foobar", "Zm9vYmFy", "MZXW6YTBOI======"),
        ];
        for (plain, b64, b32) in cases {
            assert_eq!(b64_encode(plain.as_bytes()), b64);
            assert_eq!(b32_encode(plain.as_bytes()), b32);
            assert_eq!(b64_decode(b64.as_bytes()).unwrap(), plain.as_bytes());
            assert_eq!(b32_decode(b32.as_bytes()).unwrap(), plain.as_bytes());
        }
    }

    // Offsets generated with Go 1.27's encoding/base64 and encoding/base32 DecodeString.
    #[test]
    fn go_error_offsets() {
        let b64 = [
            ("Zg=", 3),
            ("Zg", 0),
            ("Z", 0),
            ("Zm9v!", 4),
            ("Zg==Zg==", 4),
            ("Zm8=x", 4),
            ("=", 0),
            ("Zm9vYmFy\nZg=", 12),
            ("Zg=a", 2),
            ("Z===", 1),
        ];
        for (input, at) in b64 {
            assert_eq!(b64_decode(input.as_bytes()), Err(at), "{input:?}");
        }
        assert_eq!(b64_decode(b"Zm9v\r\nYmFy").unwrap(), b"foobar");
        let b32 = [
            ("MY=====", 7),
            ("MY", 0),
            ("M1======", 1),
            ("MZX=====", 3),
            ("MY======MY======", 2),
            ("MY===a==", 4),
        ];
        for (input, at) in b32 {
            assert_eq!(b32_decode(input.as_bytes()), Err(at), "{input:?}");
        }
        assert_eq!(
            call_str("b64dec", &[s("Zm9v!")]),
            "illegal base64 data at input byte 4"
        );
        assert_eq!(
            call_str("b32dec", &[s("MY")]),
            "illegal base32 data at input byte 0"
        );
    }
}
