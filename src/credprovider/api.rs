//! The kubelet image credential provider exec API (`credentialprovider.kubelet.k8s.io`):
//! `CredentialProviderRequest` (stdin) and `CredentialProviderResponse` (stdout).
//!
//! Parsing never echoes input: the request carries a ServiceAccount token and a response carries
//! registry passwords, so errors name the offending field and position only, and `Debug` redacts.

use std::collections::BTreeMap;
use std::fmt;
use std::time::Duration;

use serde::{Deserialize, Serialize};
use serde_json::Value;

/// API group of the exec plugin protocol.
pub const GROUP: &str = "credentialprovider.kubelet.k8s.io";
/// `kind` of the request.
pub const REQUEST_KIND: &str = "CredentialProviderRequest";
/// `kind` of the response.
pub const RESPONSE_KIND: &str = "CredentialProviderResponse";

/// Versions of the protocol this plugin speaks; the response always uses the request's version.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ApiVersion {
    /// `credentialprovider.kubelet.k8s.io/v1` (GA since Kubernetes 1.26).
    V1,
    /// `credentialprovider.kubelet.k8s.io/v1beta1` (1.24–1.25).
    V1beta1,
    /// `credentialprovider.kubelet.k8s.io/v1alpha1` (1.20–1.23).
    V1alpha1,
}

impl ApiVersion {
    pub const ALL: [ApiVersion; 3] = [ApiVersion::V1, ApiVersion::V1beta1, ApiVersion::V1alpha1];

    pub fn as_str(self) -> &'static str {
        match self {
            ApiVersion::V1 => "credentialprovider.kubelet.k8s.io/v1",
            ApiVersion::V1beta1 => "credentialprovider.kubelet.k8s.io/v1beta1",
            ApiVersion::V1alpha1 => "credentialprovider.kubelet.k8s.io/v1alpha1",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|v| v.as_str() == s)
    }
}

impl fmt::Display for ApiVersion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A ServiceAccount token from the request. Never printed: `Debug`/`Display` are redacted.
#[derive(Clone, PartialEq, Eq)]
pub struct SaToken(String);

impl SaToken {
    pub fn new(value: impl Into<String>) -> Self {
        SaToken(value.into())
    }
    /// The token itself. Never log what this returns.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for SaToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SaToken(<redacted>)")
    }
}

/// What the kubelet asks for.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CredentialProviderRequest {
    pub api_version: ApiVersion,
    /// The image being pulled: registry host, optional port and repository path (the kubelet
    /// strips tag and digest).
    pub image: String,
    /// The pod's ServiceAccount token, present when the provider config sets `tokenAttributes`
    /// (KEP-4412, v1 only).
    pub service_account_token: Option<SaToken>,
    /// The ServiceAccount annotations the provider config asked for.
    pub service_account_annotations: BTreeMap<String, String>,
}

/// Why a request (or response) could not be decoded. Never contains input values.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct DecodeError(pub String);

/// JSON syntax errors reported by category and position only: serde messages can quote input.
fn json_error(what: &str, e: &serde_json::Error) -> DecodeError {
    use serde_json::error::Category;
    let kind = match e.classify() {
        Category::Io => "I/O error",
        Category::Syntax => "invalid JSON",
        Category::Data => "unexpected JSON structure",
        Category::Eof => "truncated JSON",
    };
    DecodeError(format!(
        "{what} is not valid: {kind} at line {} column {}",
        e.line(),
        e.column()
    ))
}

fn string_field(
    obj: &serde_json::Map<String, Value>,
    name: &str,
) -> Result<Option<String>, DecodeError> {
    match obj.get(name) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => Ok(Some(s.clone())),
        Some(_) => Err(DecodeError(format!("field {name:?} must be a string"))),
    }
}

fn check_type_meta(
    obj: &serde_json::Map<String, Value>,
    want_kind: &str,
) -> Result<ApiVersion, DecodeError> {
    let version = string_field(obj, "apiVersion")?
        .ok_or_else(|| DecodeError("field \"apiVersion\" is missing".into()))?;
    let api_version = ApiVersion::parse(&version).ok_or_else(|| {
        DecodeError(format!(
            "apiVersion {version:?} is not supported; use one of {}",
            ApiVersion::ALL.map(|v| v.as_str()).join(", ")
        ))
    })?;
    // The kubelet always sets kind; tolerate its absence but not a different kind.
    if let Some(kind) = string_field(obj, "kind")? {
        if kind != want_kind {
            return Err(DecodeError(format!("kind {kind:?} is not {want_kind:?}")));
        }
    }
    Ok(api_version)
}

impl CredentialProviderRequest {
    /// Decodes the JSON the kubelet writes to the plugin's stdin. Unknown fields are ignored.
    pub fn from_json(bytes: &[u8]) -> Result<Self, DecodeError> {
        let value: Value =
            serde_json::from_slice(bytes).map_err(|e| json_error("the request", &e))?;
        let Value::Object(obj) = value else {
            return Err(DecodeError("the request must be a JSON object".into()));
        };
        let api_version = check_type_meta(&obj, REQUEST_KIND)?;
        let image = string_field(&obj, "image")?
            .filter(|s| !s.trim().is_empty())
            .ok_or_else(|| DecodeError("field \"image\" is missing or empty".into()))?;
        let service_account_token = string_field(&obj, "serviceAccountToken")?
            .filter(|s| !s.is_empty())
            .map(SaToken);
        let mut service_account_annotations = BTreeMap::new();
        match obj.get("serviceAccountAnnotations") {
            None | Some(Value::Null) => {}
            Some(Value::Object(m)) => {
                for (k, v) in m {
                    let Value::String(v) = v else {
                        return Err(DecodeError(format!(
                            "serviceAccountAnnotations[{k:?}] must be a string"
                        )));
                    };
                    service_account_annotations.insert(k.clone(), v.clone());
                }
            }
            Some(_) => {
                return Err(DecodeError(
                    "field \"serviceAccountAnnotations\" must be an object of strings".into(),
                ))
            }
        }
        Ok(CredentialProviderRequest {
            api_version,
            image,
            service_account_token,
            service_account_annotations,
        })
    }

    /// The request as the kubelet would encode it (used by tests and tooling).
    pub fn to_json(&self) -> Value {
        let mut obj = serde_json::Map::new();
        obj.insert("apiVersion".into(), self.api_version.as_str().into());
        obj.insert("kind".into(), REQUEST_KIND.into());
        obj.insert("image".into(), self.image.clone().into());
        if let Some(t) = &self.service_account_token {
            obj.insert("serviceAccountToken".into(), t.expose().into());
        }
        if !self.service_account_annotations.is_empty() {
            obj.insert(
                "serviceAccountAnnotations".into(),
                serde_json::to_value(&self.service_account_annotations)
                    .expect("string map serializes"),
            );
        }
        Value::Object(obj)
    }
}

/// How the kubelet caches a response.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum CacheKeyType {
    /// Per image (registry, port and path).
    Image,
    /// Per registry `host[:port]`: the response must hold every key of that registry.
    Registry,
    /// For every image the provider's `matchImages` covers.
    Global,
}

/// Credentials for one auth key. `Debug` redacts the password.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuthConfig {
    pub username: String,
    pub password: String,
}

impl fmt::Debug for AuthConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AuthConfig")
            .field("username", &self.username)
            .field("password", &"<redacted>")
            .finish()
    }
}

/// What the plugin answers.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CredentialProviderResponse {
    pub api_version: ApiVersion,
    pub cache_key_type: CacheKeyType,
    /// `None` lets the kubelet use the provider's `defaultCacheDuration`; zero disables caching.
    pub cache_duration: Option<Duration>,
    /// Match pattern (`host[:port][/path]`) → credentials. Empty when nothing applies.
    pub auth: BTreeMap<String, AuthConfig>,
}

#[derive(Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
struct ResponseWire {
    api_version: String,
    kind: String,
    cache_key_type: CacheKeyType,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    cache_duration: Option<String>,
    #[serde(default)]
    auth: Option<BTreeMap<String, AuthConfig>>,
}

impl CredentialProviderResponse {
    /// An answer without credentials (the kubelet then pulls anonymously or with other providers).
    pub fn empty(api_version: ApiVersion, cache_duration: Option<Duration>) -> Self {
        CredentialProviderResponse {
            api_version,
            cache_key_type: CacheKeyType::Registry,
            cache_duration,
            auth: BTreeMap::new(),
        }
    }

    /// The JSON written to stdout.
    pub fn to_json(&self) -> Value {
        serde_json::to_value(ResponseWire {
            api_version: self.api_version.as_str().to_string(),
            kind: RESPONSE_KIND.to_string(),
            cache_key_type: self.cache_key_type,
            cache_duration: self.cache_duration.map(format_go_duration),
            auth: Some(self.auth.clone()),
        })
        .expect("response serializes")
    }

    /// Decodes a response (tests and tooling); errors never quote the input.
    pub fn from_json(bytes: &[u8]) -> Result<Self, DecodeError> {
        let value: Value =
            serde_json::from_slice(bytes).map_err(|e| json_error("the response", &e))?;
        let Value::Object(obj) = &value else {
            return Err(DecodeError("the response must be a JSON object".into()));
        };
        let api_version = check_type_meta(obj, RESPONSE_KIND)?;
        let wire: ResponseWire =
            serde_json::from_value(value).map_err(|e| json_error("the response", &e))?;
        let cache_duration = wire
            .cache_duration
            .map(|s| {
                parse_go_duration(&s)
                    .map_err(|_| DecodeError("cacheDuration is not a Go duration".into()))
            })
            .transpose()?;
        Ok(CredentialProviderResponse {
            api_version,
            cache_key_type: wire.cache_key_type,
            cache_duration,
            auth: wire.auth.unwrap_or_default(),
        })
    }
}

/// Formats a duration the way Go's `time.Duration.String` does (`5m0s`, `1h0m0s`, `1.5s`,
/// `300ms`, `0s`), which is what `metav1.Duration` fields expect.
pub fn format_go_duration(d: Duration) -> String {
    fn frac(v: u128, prec: u32) -> (String, u128) {
        let p = 10u128.pow(prec);
        let (int, f) = (v / p, v % p);
        if f == 0 {
            return (String::new(), int);
        }
        let digits = format!("{:0width$}", f, width = prec as usize);
        (format!(".{}", digits.trim_end_matches('0')), int)
    }
    let n = d.as_nanos();
    if n == 0 {
        return "0s".into();
    }
    if n < 1_000 {
        return format!("{n}ns");
    }
    if n < 1_000_000 {
        let (f, i) = frac(n, 3);
        return format!("{i}{f}µs");
    }
    if n < 1_000_000_000 {
        let (f, i) = frac(n, 6);
        return format!("{i}{f}ms");
    }
    let (f, secs) = frac(n, 9);
    let mut out = format!("{}{f}s", secs % 60);
    let mins = secs / 60;
    if mins > 0 {
        out = format!("{}m{out}", mins % 60);
        let hours = mins / 60;
        if hours > 0 {
            out = format!("{hours}h{out}");
        }
    }
    out
}

pub use crate::token::parse_go_duration;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn go_duration_format_matches_go() {
        for (d, want) in [
            (Duration::ZERO, "0s"),
            (Duration::from_secs(300), "5m0s"),
            (Duration::from_secs(3600), "1h0m0s"),
            (Duration::from_secs(3661), "1h1m1s"),
            (Duration::from_secs(59), "59s"),
            (Duration::from_millis(1500), "1.5s"),
            (Duration::from_millis(90_500), "1m30.5s"),
            (Duration::from_millis(300), "300ms"),
            (Duration::from_micros(1500), "1.5ms"),
            (Duration::from_nanos(1200), "1.2µs"),
            (Duration::from_nanos(7), "7ns"),
            (Duration::from_secs(36 * 3600), "36h0m0s"),
        ] {
            assert_eq!(format_go_duration(d), want);
            assert_eq!(parse_go_duration(want).unwrap(), d, "{want}");
        }
        assert!(parse_go_duration("-5m").is_err());
        assert!(parse_go_duration("five").is_err());
        assert!(parse_go_duration("5ö").is_err());
        assert_eq!(parse_go_duration("3us"), Ok(Duration::from_micros(3)));
    }

    #[test]
    fn request_errors_name_fields_not_values() {
        let cases: &[(&str, &str)] = &[
            (
                r#"{"apiVersion":"credentialprovider.kubelet.k8s.io/v1","kind":"CredentialProviderRequest","image":7,"serviceAccountToken":"s3cr3t"}"#,
                "\"image\" must be a string",
            ),
            (
                r#"{"apiVersion":"credentialprovider.kubelet.k8s.io/v1","kind":"CredentialProviderRequest","serviceAccountToken":"s3cr3t"}"#,
                "\"image\" is missing",
            ),
            (
                r#"{"apiVersion":"v1","kind":"CredentialProviderRequest","image":"a.io/x","serviceAccountToken":"s3cr3t"}"#,
                "not supported",
            ),
            (
                r#"{"apiVersion":"credentialprovider.kubelet.k8s.io/v1","kind":"Pod","image":"a.io/x","serviceAccountToken":"s3cr3t"}"#,
                "is not \"CredentialProviderRequest\"",
            ),
            (
                r#"{"apiVersion":"credentialprovider.kubelet.k8s.io/v1","image":"a.io","serviceAccountToken":["s3cr3t"]}"#,
                "\"serviceAccountToken\" must be a string",
            ),
            (
                r#"{"apiVersion":"credentialprovider.kubelet.k8s.io/v1","image":"a.io","serviceAccountAnnotations":{"k":1},"serviceAccountToken":"s3cr3t"}"#,
                "must be a string",
            ),
            (r#"{"serviceAccountToken":"s3cr3t" "#, "truncated JSON"),
            (r#"{"serviceAccountToken":"s3cr3t" x"#, "invalid JSON"),
            (r#"["s3cr3t"]"#, "must be a JSON object"),
        ];
        for (input, want) in cases {
            let err = CredentialProviderRequest::from_json(input.as_bytes()).unwrap_err();
            let msg = err.to_string();
            assert!(msg.contains(want), "{input}: {msg}");
            assert!(!msg.contains("s3cr3t"), "{msg}");
            assert!(!msg.contains('\n'));
        }
    }

    #[test]
    fn debug_output_is_redacted() {
        let req = CredentialProviderRequest {
            api_version: ApiVersion::V1,
            image: "a.io/x".into(),
            service_account_token: Some(SaToken::new("tok-value")),
            service_account_annotations: BTreeMap::new(),
        };
        assert!(!format!("{req:?}").contains("tok-value"));
        let auth = AuthConfig {
            username: "u".into(),
            password: "pw-value".into(),
        };
        assert!(!format!("{auth:?}").contains("pw-value"));
    }
}
