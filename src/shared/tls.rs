//! TLS with rustls (no OpenSSL): the server's settings built from Redis's `tls-*` parameters,
//! kept behind a lock so that CONFIG SET can swap certificates while connections run (a new
//! connection takes the settings of the moment it arrives, as Redis's).

use parking_lot::RwLock;
use rustls::crypto::ring as provider;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use rustls::server::{ServerSessionMemoryCache, WebPkiClientVerifier};
use rustls::{RootCertStore, ServerConfig, SupportedCipherSuite};
use std::sync::Arc;

/// The `tls-*` values a TLS setup is built from.
#[derive(Clone, Debug, Default)]
pub struct TlsParams {
    pub cert_file: String,
    pub key_file: String,
    pub key_file_pass: String,
    pub ca_cert_file: String,
    pub ca_cert_dir: String,
    /// `yes`, `no` or `optional`.
    pub auth_clients: String,
    /// `TLSv1.2 TLSv1.3` (empty: both).
    pub protocols: String,
    /// TLS 1.2 ciphers, OpenSSL names separated by `:`.
    pub ciphers: String,
    /// TLS 1.3 cipher suites, separated by `:`.
    pub ciphersuites: String,
    pub prefer_server_ciphers: bool,
    pub session_caching: bool,
    pub session_cache_size: usize,
}

/// The current setup; None until `tls-port` is set with a certificate.
#[derive(Default)]
pub struct Tls {
    config: RwLock<Option<Arc<ServerConfig>>>,
}

impl Tls {
    pub fn current(&self) -> Option<Arc<ServerConfig>> {
        self.config.read().clone()
    }

    pub fn set(&self, c: Option<Arc<ServerConfig>>) {
        *self.config.write() = c;
    }
}

impl TlsParams {
    /// The values as the parameters hold them now.
    pub fn from(params: &super::params::Params) -> TlsParams {
        let get = |n: &str| params.value(n);
        TlsParams {
            cert_file: get("tls-cert-file"),
            key_file: get("tls-key-file"),
            key_file_pass: get("tls-key-file-pass"),
            ca_cert_file: get("tls-ca-cert-file"),
            ca_cert_dir: get("tls-ca-cert-dir"),
            auth_clients: get("tls-auth-clients"),
            protocols: get("tls-protocols"),
            ciphers: get("tls-ciphers"),
            ciphersuites: get("tls-ciphersuites"),
            prefer_server_ciphers: get("tls-prefer-server-ciphers") == "yes",
            session_caching: get("tls-session-caching") != "no",
            session_cache_size: get("tls-session-cache-size").parse().unwrap_or(20480),
        }
    }
}

/// The TLS port (`tls-port`; 0: none).
pub fn port(params: &super::params::Params) -> u16 {
    params.value("tls-port").parse().unwrap_or(0)
}

/// rustls's suites by the names Redis's settings use (OpenSSL's for TLS 1.2).
const SUITE_NAMES: &[(&str, &str)] = &[
    ("TLS13_AES_256_GCM_SHA384", "TLS_AES_256_GCM_SHA384"),
    ("TLS13_AES_128_GCM_SHA256", "TLS_AES_128_GCM_SHA256"),
    (
        "TLS13_CHACHA20_POLY1305_SHA256",
        "TLS_CHACHA20_POLY1305_SHA256",
    ),
    (
        "TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384",
        "ECDHE-ECDSA-AES256-GCM-SHA384",
    ),
    (
        "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256",
        "ECDHE-ECDSA-AES128-GCM-SHA256",
    ),
    (
        "TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256",
        "ECDHE-ECDSA-CHACHA20-POLY1305",
    ),
    (
        "TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384",
        "ECDHE-RSA-AES256-GCM-SHA384",
    ),
    (
        "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256",
        "ECDHE-RSA-AES128-GCM-SHA256",
    ),
    (
        "TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256",
        "ECDHE-RSA-CHACHA20-POLY1305",
    ),
];

fn suite_name(s: &SupportedCipherSuite) -> &'static str {
    let internal = format!("{:?}", s.suite());
    SUITE_NAMES
        .iter()
        .find(|(r, _)| *r == internal)
        .map_or("", |(_, n)| n)
}

/// The suites a list allows. TLS 1.3's names must all be known; TLS 1.2's list is OpenSSL's
/// cipher string, whose keywords (`HIGH`, `!aNULL`...) rustls has no use for: only the names
/// it knows count, and a list without any leaves the defaults.
fn pick_suites(
    all: &[SupportedCipherSuite],
    list: &str,
    tls13: bool,
) -> Result<Vec<SupportedCipherSuite>, String> {
    let of_version =
        |s: &&SupportedCipherSuite| matches!(s, SupportedCipherSuite::Tls13(_)) == tls13;
    let defaults: Vec<SupportedCipherSuite> = all.iter().filter(of_version).copied().collect();
    let names: Vec<&str> = list
        .split(':')
        .map(str::trim)
        .filter(|n| !n.is_empty())
        .collect();
    if names.is_empty() {
        return Ok(defaults);
    }
    let mut chosen = Vec::new();
    for n in names {
        match defaults.iter().find(|s| suite_name(s) == n) {
            Some(s) => chosen.push(*s),
            None if tls13 => return Err(format!("Failed to configure ciphersuites: unknown {n}")),
            None => {}
        }
    }
    Ok(if chosen.is_empty() { defaults } else { chosen })
}

fn read_certs(path: &str) -> Result<Vec<CertificateDer<'static>>, String> {
    let certs: Vec<_> = CertificateDer::pem_file_iter(path)
        .map_err(|e| format!("Failed to load certificate: {path}: {e}"))?
        .collect::<Result<_, _>>()
        .map_err(|e| format!("Failed to load certificate: {path}: {e}"))?;
    if certs.is_empty() {
        return Err(format!(
            "Failed to load certificate: {path}: no certificate"
        ));
    }
    Ok(certs)
}

/// The private key in the PEM file at `path`: PKCS#8 encrypted with `pass` ("ENCRYPTED PRIVATE
/// KEY", what `openssl pkcs8 -topk8` and `openssl genpkey -aes256` write), or plain (PKCS#8,
/// PKCS#1 or SEC1; `pass` is then unused, as OpenSSL ignores it).
fn read_key(path: &str, pass: &str) -> Result<PrivateKeyDer<'static>, String> {
    let fail = |e: &dyn std::fmt::Display| format!("Failed to load private key: {path}: {e}");
    let text = std::fs::read_to_string(path).map_err(|e| fail(&e))?;
    if !text.contains("-----BEGIN ENCRYPTED PRIVATE KEY-----") {
        if text.contains("Proc-Type: 4,ENCRYPTED") {
            return Err(fail(
                &"a key encrypted in OpenSSL's traditional format; convert it with `openssl pkcs8 -topk8`",
            ));
        }
        return PrivateKeyDer::from_pem_slice(text.as_bytes()).map_err(|e| fail(&e));
    }
    if pass.is_empty() {
        return Err(fail(
            &"the key is encrypted and tls-key-file-pass is not set",
        ));
    }
    let (_, doc) = pkcs8::der::Document::from_pem(&text).map_err(|e| fail(&e))?;
    let info = pkcs8::EncryptedPrivateKeyInfoRef::try_from(doc.as_bytes()).map_err(|e| fail(&e))?;
    let plain = info
        .decrypt(pass)
        .map_err(|_| fail(&"cannot decrypt it with tls-key-file-pass"))?;
    Ok(PrivateKeyDer::Pkcs8(plain.as_bytes().to_vec().into()))
}

/// Builds the server's TLS setup (Err: Redis-like reason, for CONFIG SET or start-up).
pub fn build(p: &TlsParams) -> Result<Arc<ServerConfig>, String> {
    if p.cert_file.is_empty() || p.key_file.is_empty() {
        return Err("No tls-cert-file or tls-key-file configured".into());
    }
    let certs = read_certs(&p.cert_file)?;
    let key = read_key(&p.key_file, &p.key_file_pass)?;
    let base = provider::default_provider();
    let mut suites = pick_suites(&base.cipher_suites, &p.ciphersuites, true)?;
    suites.extend(pick_suites(&base.cipher_suites, &p.ciphers, false)?);
    let provider = Arc::new(rustls::crypto::CryptoProvider {
        cipher_suites: suites,
        ..base
    });
    let mut versions = Vec::new();
    let protocols = if p.protocols.trim().is_empty() {
        "TLSv1.2 TLSv1.3"
    } else {
        p.protocols.as_str()
    };
    for v in protocols.split_whitespace() {
        match v.to_ascii_lowercase().as_str() {
            "tlsv1.2" => versions.push(&rustls::version::TLS12),
            "tlsv1.3" => versions.push(&rustls::version::TLS13),
            "tlsv1" | "tlsv1.1" => {
                return Err(format!(
                    "{v} is not supported (rustls speaks TLSv1.2 and TLSv1.3)"
                ))
            }
            _ => return Err(format!("Invalid tls-protocols specified: {v}")),
        }
    }
    let builder = ServerConfig::builder_with_provider(provider.clone())
        .with_protocol_versions(&versions)
        .map_err(|e| format!("Failed to configure TLS: {e}"))?;
    let auth = p.auth_clients.to_ascii_lowercase();
    let builder = if auth == "no" {
        builder.with_no_client_auth()
    } else {
        let mut roots = RootCertStore::empty();
        if !p.ca_cert_file.is_empty() {
            for c in read_certs(&p.ca_cert_file)? {
                roots.add(c).map_err(|e| {
                    format!("Failed to configure CA certificate(s) file/directory: {e}")
                })?;
            }
        }
        if !p.ca_cert_dir.is_empty() {
            let dir = std::fs::read_dir(&p.ca_cert_dir).map_err(|e| {
                format!("Failed to configure CA certificate(s) file/directory: {e}")
            })?;
            for entry in dir.flatten() {
                if let Ok(certs) = read_certs(&entry.path().to_string_lossy()) {
                    for c in certs {
                        let _ = roots.add(c);
                    }
                }
            }
        }
        if roots.is_empty() {
            return Err("Either tls-ca-cert-file or tls-ca-cert-dir must be specified when tls-cluster, tls-replication or tls-auth-clients are enabled!".into());
        }
        let verifier = WebPkiClientVerifier::builder_with_provider(Arc::new(roots), provider);
        let verifier = if auth == "optional" {
            verifier.allow_unauthenticated()
        } else {
            verifier
        };
        builder.with_client_cert_verifier(
            verifier
                .build()
                .map_err(|e| format!("Failed to configure client verification: {e}"))?,
        )
    };
    let mut config = builder
        .with_single_cert(certs, key)
        .map_err(|e| format!("Failed to load certificate and key: {e}"))?;
    config.ignore_client_order = p.prefer_server_ciphers;
    if p.session_caching {
        config.session_storage = ServerSessionMemoryCache::new(p.session_cache_size.max(1));
    } else {
        config.session_storage = Arc::new(rustls::server::NoServerSessionStorage {});
        config.send_tls13_tickets = 0;
    }
    Ok(Arc::new(config))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn suites_by_redis_names() {
        let all = provider::default_provider().cipher_suites;
        let t13 = pick_suites(&all, "TLS_CHACHA20_POLY1305_SHA256", true).unwrap();
        assert_eq!(t13.len(), 1);
        assert!(pick_suites(&all, "TLS_NOPE", true).is_err());
        let t12 = pick_suites(&all, "HIGH:!aNULL:ECDHE-RSA-AES128-GCM-SHA256", false).unwrap();
        assert_eq!(t12.len(), 1);
        // Only OpenSSL keywords: the defaults.
        assert!(pick_suites(&all, "DEFAULT:!MEDIUM", false).unwrap().len() > 1);
        assert!(build(&TlsParams::default()).is_err());
    }
}
