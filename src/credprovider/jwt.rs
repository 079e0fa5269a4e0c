//! Reads the claims of the pod ServiceAccount token the kubelet passes in SA-token mode.
//!
//! The signature is not checked: the plugin only needs the expiry (to bound the kubelet's cache)
//! and the ServiceAccount's namespace (to resolve bare connector names and apply the namespace
//! scope rules). The connectors proxy authenticates the token when the runtime pulls.
//! Errors never contain the token or its claims' values.

use base64::Engine;
use jiff::Timestamp;
use serde::Deserialize;

/// What the plugin uses from a Kubernetes ServiceAccount JWT.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SaClaims {
    pub expires_at: Timestamp,
    /// Namespace of the ServiceAccount (`kubernetes.io.namespace`, else from `sub`).
    pub namespace: Option<String>,
    /// Name of the ServiceAccount (`kubernetes.io.serviceaccount.name`, else from `sub`).
    pub service_account: Option<String>,
}

#[derive(Deserialize)]
struct RawClaims {
    exp: Option<serde_json::Number>,
    sub: Option<String>,
    #[serde(rename = "kubernetes.io")]
    kubernetes: Option<KubeClaims>,
}

#[derive(Deserialize)]
struct KubeClaims {
    namespace: Option<String>,
    serviceaccount: Option<NamedRef>,
}

#[derive(Deserialize)]
struct NamedRef {
    name: Option<String>,
}

/// Decodes the payload of a JWT (`header.payload.signature`).
pub fn decode_sa_claims(token: &str) -> Result<SaClaims, String> {
    const NOT_JWT: &str =
        "serviceAccountToken is not a JWT (expected three base64url parts separated by '.')";
    let mut parts = token.split('.');
    let (Some(_header), Some(payload), Some(_sig), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err(NOT_JWT.into());
    };
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(payload.trim_end_matches('='))
        .map_err(|_| NOT_JWT.to_string())?;
    let raw: RawClaims = serde_json::from_slice(&bytes).map_err(|_| {
        "serviceAccountToken payload is not a JSON object of JWT claims".to_string()
    })?;
    let exp = raw
        .exp
        .and_then(|n| n.as_i64().or_else(|| n.as_f64().map(|f| f as i64)))
        .ok_or("serviceAccountToken has no numeric \"exp\" claim")?;
    let expires_at = Timestamp::from_second(exp)
        .map_err(|_| "serviceAccountToken \"exp\" claim is out of range".to_string())?;
    // `sub` is `system:serviceaccount:<namespace>:<name>`.
    let from_sub = raw.sub.as_deref().and_then(|s| {
        let rest = s.strip_prefix("system:serviceaccount:")?;
        let (ns, name) = rest.split_once(':')?;
        Some((ns.to_string(), name.to_string()))
    });
    let kube = raw.kubernetes;
    let namespace = kube
        .as_ref()
        .and_then(|k| k.namespace.clone())
        .or_else(|| from_sub.as_ref().map(|(ns, _)| ns.clone()))
        .filter(|s| !s.is_empty());
    let service_account = kube
        .and_then(|k| k.serviceaccount)
        .and_then(|s| s.name)
        .or_else(|| from_sub.map(|(_, n)| n))
        .filter(|s| !s.is_empty());
    Ok(SaClaims {
        expires_at,
        namespace,
        service_account,
    })
}

/// Builds an unsigned JWT with the given claims (tests and examples only: the plugin never
/// verifies signatures, the connectors proxy does).
pub fn unsigned_jwt(claims: &serde_json::Value) -> String {
    let enc = base64::engine::general_purpose::URL_SAFE_NO_PAD;
    format!(
        "{}.{}.{}",
        enc.encode(br#"{"alg":"RS256","typ":"JWT"}"#),
        enc.encode(claims.to_string()),
        enc.encode(b"signature")
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn reads_exp_and_service_account() {
        let t = unsigned_jwt(&json!({
            "exp": 1767229200,
            "sub": "system:serviceaccount:team:builder",
            "kubernetes.io": {"namespace": "team", "serviceaccount": {"name": "builder", "uid": "u"}}
        }));
        let c = decode_sa_claims(&t).unwrap();
        assert_eq!(c.expires_at, Timestamp::from_second(1767229200).unwrap());
        assert_eq!(c.namespace.as_deref(), Some("team"));
        assert_eq!(c.service_account.as_deref(), Some("builder"));
    }

    #[test]
    fn falls_back_to_sub() {
        let t = unsigned_jwt(&json!({"exp": 10, "sub": "system:serviceaccount:ns1:sa1"}));
        let c = decode_sa_claims(&t).unwrap();
        assert_eq!(c.namespace.as_deref(), Some("ns1"));
        assert_eq!(c.service_account.as_deref(), Some("sa1"));
    }

    #[test]
    fn rejects_non_jwts_without_echoing_them() {
        for bad in [
            "opaque-secret-token".to_string(),
            "a.b".to_string(),
            "a.!!!.c".to_string(),
            unsigned_jwt(&json!({"sub": "secret-sub"})),
            unsigned_jwt(&json!({"exp": "secret-exp"})),
        ] {
            let err = decode_sa_claims(&bad).unwrap_err();
            assert!(!err.contains("secret"), "{err}");
            assert!(err.contains("serviceAccountToken"), "{err}");
        }
    }
}
