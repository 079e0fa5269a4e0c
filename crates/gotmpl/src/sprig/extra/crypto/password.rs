//! `bcrypt` and `htpasswd` (Go's `x/crypto/bcrypt`, `$2a$`, cost 10) and `derivePassword`
//! (the Master Password algorithm: scrypt N=32768 r=8 p=2 over the user, HMAC-SHA256 over the
//! site, a template chosen by the seed).

use hmac::{Hmac, Mac};
use sha2::Sha256;

use super::super::{arg_bytes, arg_int, arg_str, def};
use crate::{Arity, FuncError, FuncMap, Ty, Value};

pub(super) fn register(m: &mut FuncMap) {
    // func(input string) string
    def(m, "bcrypt", Arity::Fixed(&[Ty::String]), |a| {
        Ok(Value::from(bcrypt(arg_bytes(a, 0))))
    });
    // func(username string, password string) string
    def(
        m,
        "htpasswd",
        Arity::Fixed(&[Ty::String, Ty::String]),
        |a| {
            // fmt.Sprintf("%s:%s", username, bcrypt(password)): the name's bytes as they are.
            let user = arg_bytes(a, 0);
            let prefix: &[u8] = if user.contains(&b':') {
                b"invalid username: "
            } else {
                b""
            };
            let mut out = [prefix, user].concat();
            if prefix.is_empty() {
                out.push(b':');
                out.extend_from_slice(bcrypt(arg_bytes(a, 1)).as_bytes());
            }
            Ok(Value::from(out))
        },
    );
    // func(counter uint32, passwordType, password, user, site string) string
    def(
        m,
        "derivePassword",
        Arity::Fixed(&[Ty::Int, Ty::String, Ty::String, Ty::String, Ty::String]),
        |a| {
            let counter = u32::try_from(arg_int(a, 0)).map_err(|_| {
                FuncError::new(format!("cannot convert {} to uint32", arg_int(a, 0)))
            })?;
            derive_password(
                counter,
                &arg_str(a, 1),
                arg_bytes(a, 2),
                arg_bytes(a, 3),
                arg_bytes(a, 4),
            )
            .map(Value::from)
        },
    );
}

/// Sprig's `bcrypt`: errors become the result text, as sprig returns them.
fn bcrypt(input: &[u8]) -> String {
    if input.len() > 72 {
        return "failed to encrypt string with bcrypt: bcrypt: password length exceeds 72 bytes"
            .into();
    }
    match bcrypt::hash_with_result(input, 10) {
        Ok(h) => h.format_for_version(bcrypt::Version::TwoA),
        Err(e) => format!("failed to encrypt string with bcrypt: {e}"),
    }
}

const SEED: &str = "com.lyndir.masterpassword";

fn templates(kind: &str) -> Option<&'static [&'static str]> {
    Some(match kind {
        "maximum" => &["anoxxxxxxxxxxxxxxxxx", "axxxxxxxxxxxxxxxxxno"],
        "long" => &[
            "CvcvnoCvcvCvcv",
            "CvcvCvcvnoCvcv",
            "CvcvCvcvCvcvno",
            "CvccnoCvcvCvcv",
            "CvccCvcvnoCvcv",
            "CvccCvcvCvcvno",
            "CvcvnoCvccCvcv",
            "CvcvCvccnoCvcv",
            "CvcvCvccCvcvno",
            "CvcvnoCvcvCvcc",
            "CvcvCvcvnoCvcc",
            "CvcvCvcvCvccno",
            "CvccnoCvccCvcv",
            "CvccCvccnoCvcv",
            "CvccCvccCvcvno",
            "CvcvnoCvccCvcc",
            "CvcvCvccnoCvcc",
            "CvcvCvccCvccno",
            "CvccnoCvcvCvcc",
            "CvccCvcvnoCvcc",
            "CvccCvcvCvccno",
        ],
        "medium" => &["CvcnoCvc", "CvcCvcno"],
        "short" => &["Cvcn"],
        "basic" => &["aaanaaan", "aannaaan", "aaannaaa"],
        "pin" => &["nnnn"],
        _ => return None,
    })
}

fn class_chars(c: u8) -> &'static [u8] {
    match c {
        b'V' => b"AEIOU",
        b'C' => b"BCDFGHJKLMNPQRSTVWXYZ",
        b'v' => b"aeiou",
        b'c' => b"bcdfghjklmnpqrstvwxyz",
        b'A' => b"AEIOUBCDFGHJKLMNPQRSTVWXYZ",
        b'a' => b"AEIOUaeiouBCDFGHJKLMNPQRSTVWXYZbcdfghjklmnpqrstvwxyz",
        b'n' => b"0123456789",
        b'o' => b"@&%?,=[]_:-+*$#!'^~;()/.",
        _ => b"AEIOUaeiouBCDFGHJKLMNPQRSTVWXYZbcdfghjklmnpqrstvwxyz0123456789!@#$%^&*()",
    }
}

/// Sprig's `derivePassword` (Master Password v3 templates).
fn derive_password(
    counter: u32,
    kind: &str,
    password: &[u8],
    user: &[u8],
    site: &[u8],
) -> Result<String, FuncError> {
    let Some(templates) = templates(kind) else {
        return Ok(format!("cannot find password template {kind}"));
    };
    let mut salt = SEED.as_bytes().to_vec();
    salt.extend_from_slice(&(user.len() as u32).to_be_bytes());
    salt.extend_from_slice(user);
    let params = scrypt::Params::new(15, 8, 2, 64)
        .map_err(|e| FuncError::new(format!("failed to derive password: {e}")))?;
    let mut key = [0u8; 64];
    scrypt::scrypt(password, &salt, &params, &mut key)
        .map_err(|e| FuncError::new(format!("failed to derive password: {e}")))?;

    let mut msg = SEED.as_bytes().to_vec();
    msg.extend_from_slice(&(site.len() as u32).to_be_bytes());
    msg.extend_from_slice(site);
    msg.extend_from_slice(&counter.to_be_bytes());
    let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(&key)
        .map_err(|e| FuncError::new(format!("failed to derive password: {e}")))?;
    mac.update(&msg);
    let seed = mac.finalize().into_bytes();

    let template = templates[seed[0] as usize % templates.len()].as_bytes();
    Ok(template
        .iter()
        .enumerate()
        .map(|(i, &c)| {
            let chars = class_chars(c);
            chars[seed[i + 1] as usize % chars.len()] as char
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::super::super::testutil::{call_str, s};
    use crate::Value;

    // sprig crypto_test.go TestDerivePassword (the published Master Password vectors).
    #[test]
    fn derive_password_vectors() {
        let cases = [
            (1, "long", "ZedaFaxcZaso9*"),
            (2, "long", "Fovi2@JifpTupx"),
            (1, "maximum", "pf4zS1LjCg&LjhsZ7T2~"),
            (1, "medium", "ZedJuz8$"),
            (1, "basic", "pIS54PLs"),
            (1, "short", "Zed5"),
            (1, "pin", "6685"),
        ];
        for (counter, kind, want) in cases {
            let got = call_str(
                "derivePassword",
                &[
                    Value::int(counter),
                    s(kind),
                    s("password"),
                    s("user"),
                    s("example.com"),
                ],
            );
            assert_eq!(got, want, "{counter} {kind}");
        }
        assert_eq!(
            call_str(
                "derivePassword",
                &[Value::int(1), s("nope"), s("p"), s("u"), s("s")]
            ),
            "cannot find password template nope"
        );
    }

    // crypto_test.go TestBcrypt / TestHtpasswd: the hashes verify.
    #[test]
    fn bcrypt_and_htpasswd_verify() {
        let h = call_str("bcrypt", &[s("abc")]);
        assert!(h.starts_with("$2a$10$") && h.len() == 60, "{h}");
        assert!(bcrypt::verify("abc", &h).unwrap());
        assert!(!bcrypt::verify("abd", &h).unwrap());
        for (user, pass) in [
            ("myUser", "myPassword"),
            (
                "special'o79Cv_*qFe,)<user",
                "special<j7+3p#6-.Jx2U:m8G;kGypassword",
            ),
        ] {
            let line = call_str("htpasswd", &[s(user), s(pass)]);
            let (u, hash) = line.split_once(':').unwrap();
            assert_eq!(u, user);
            assert!(bcrypt::verify(pass, hash).unwrap());
        }
        assert_eq!(
            call_str("htpasswd", &[s("wrongus:er"), s("x")]),
            "invalid username: wrongus:er"
        );
        assert_eq!(
            call_str("bcrypt", &[s(&"x".repeat(73))]),
            "failed to encrypt string with bcrypt: bcrypt: password length exceeds 72 bytes"
        );
    }
}
