//! The TLS port: certificates made here with rcgen, a rustls client speaking RESP through it
//! (mutual TLS, large values, deep pipelines), `tls-auth-clients`, `tls-protocols`, and
//! certificates swapped with CONFIG SET while the server runs. (CI also runs redis-cli --tls and
//! redis-py with ssl=True against it: .ci/run.)

mod common;
use common::{free_port, ChildServer, Raw};
use rcgen::{
    BasicConstraints, Certificate, CertificateParams, DnType, ExtendedKeyUsagePurpose, IsCa,
    KeyPair, KeyUsagePurpose,
};
use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};
use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

struct Ca {
    cert: Certificate,
    key: KeyPair,
}

fn ca(name: &str) -> Ca {
    let key = KeyPair::generate().unwrap();
    let mut p = CertificateParams::new(Vec::<String>::new()).unwrap();
    p.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    p.distinguished_name.push(DnType::CommonName, name);
    p.key_usages = vec![
        KeyUsagePurpose::KeyCertSign,
        KeyUsagePurpose::DigitalSignature,
    ];
    Ca {
        cert: p.self_signed(&key).unwrap(),
        key,
    }
}

/// A certificate signed by `ca`, for the server (`server`) or a client.
fn leaf(ca: &Ca, server: bool) -> (Certificate, KeyPair) {
    let key = KeyPair::generate().unwrap();
    let names = if server {
        vec!["localhost".to_string(), "127.0.0.1".to_string()]
    } else {
        Vec::new()
    };
    let mut p = CertificateParams::new(names).unwrap();
    p.distinguished_name.push(
        DnType::CommonName,
        if server { "localhost" } else { "client" },
    );
    p.extended_key_usages = vec![if server {
        ExtendedKeyUsagePurpose::ServerAuth
    } else {
        ExtendedKeyUsagePurpose::ClientAuth
    }];
    (p.signed_by(&key, &ca.cert, &ca.key).unwrap(), key)
}

/// Writes a CA, a server certificate and a client certificate under `dir` with `prefix`.
fn write_set(dir: &Path, prefix: &str) -> (Ca, Certificate, KeyPair) {
    let ca = ca(&format!("{prefix} CA"));
    let (srv, srv_key) = leaf(&ca, true);
    let (cli, cli_key) = leaf(&ca, false);
    let w = |name: &str, text: String| std::fs::write(dir.join(format!("{prefix}-{name}")), text);
    w("ca.crt", ca.cert.pem()).unwrap();
    w("server.crt", srv.pem()).unwrap();
    w("server.key", srv_key.serialize_pem()).unwrap();
    (ca, cli, cli_key)
}

type Tls = rustls::StreamOwned<rustls::ClientConnection, TcpStream>;

/// A TLS connection trusting `ca`, with a client certificate when given, limited to
/// `versions` when given.
fn connect(
    port: u16,
    ca: &Ca,
    client: Option<(&Certificate, &KeyPair)>,
    versions: Option<&[&'static rustls::SupportedProtocolVersion]>,
) -> std::io::Result<Tls> {
    let mut roots = rustls::RootCertStore::empty();
    roots.add(ca.cert.der().clone()).unwrap();
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let b = rustls::ClientConfig::builder_with_provider(provider);
    let b = match versions {
        Some(v) => b.with_protocol_versions(v).unwrap(),
        None => b.with_safe_default_protocol_versions().unwrap(),
    }
    .with_root_certificates(roots);
    let cfg = match client {
        Some((cert, key)) => b
            .with_client_auth_cert(
                vec![CertificateDer::from(cert.der().to_vec())],
                PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(key.serialize_der())),
            )
            .unwrap(),
        None => b.with_no_client_auth(),
    };
    let conn =
        rustls::ClientConnection::new(Arc::new(cfg), "localhost".try_into().unwrap()).unwrap();
    let tcp = TcpStream::connect(("127.0.0.1", port))?;
    tcp.set_read_timeout(Some(Duration::from_secs(20)))?;
    let mut s = rustls::StreamOwned::new(conn, tcp);
    // The handshake, and whether the server took the client: a first round trip.
    s.write_all(b"PING\r\n")?;
    let mut buf = [0u8; 7];
    s.read_exact(&mut buf)?;
    if &buf != b"+PONG\r\n" {
        return Err(std::io::Error::other("no PONG"));
    }
    Ok(s)
}

/// Sends `req` and reads `n` bytes of reply.
fn call(s: &mut Tls, req: &[u8], n: usize) -> Vec<u8> {
    s.write_all(req).unwrap();
    let mut out = vec![0u8; n];
    s.read_exact(&mut out).unwrap();
    out
}

fn start(dir: &Path, extra: &[&str]) -> (ChildServer, u16) {
    let tls_port = free_port();
    let p = |n: &str| dir.join(n).to_string_lossy().into_owned();
    let (cert, key, ca) = (p("a-server.crt"), p("a-server.key"), p("a-ca.crt"));
    let port = tls_port.to_string();
    // A plain port too (`port 0` beside a TLS port would serve TLS only).
    let plain = free_port().to_string();
    let mut args = vec![
        "--port",
        plain.as_str(),
        "--tls-port",
        port.as_str(),
        "--tls-cert-file",
        cert.as_str(),
        "--tls-key-file",
        key.as_str(),
        "--tls-ca-cert-file",
        ca.as_str(),
    ];
    args.extend_from_slice(extra);
    (ChildServer::start(&args), tls_port)
}

#[test]
fn mutual_tls_serves_values_and_pipelines() {
    let d = tempfile::tempdir().unwrap();
    let (ca, cli, cli_key) = write_set(d.path(), "a");
    let (s, tls_port) = start(d.path(), &[]);
    // tls-auth-clients yes (the default): a client without a certificate is refused.
    assert!(connect(tls_port, &ca, None, None).is_err());
    let mut t = connect(tls_port, &ca, Some((&cli, &cli_key)), None).unwrap();
    assert_eq!(call(&mut t, b"SET k v\r\n", 5), b"+OK\r\n");
    // A value larger than any TLS record, both ways.
    let big = vec![b'x'; 1 << 20];
    let mut req = format!("*3\r\n$3\r\nSET\r\n$3\r\nbig\r\n${}\r\n", big.len()).into_bytes();
    req.extend_from_slice(&big);
    req.extend_from_slice(b"\r\n");
    assert_eq!(call(&mut t, &req, 5), b"+OK\r\n");
    let reply = call(&mut t, b"GET big\r\n", 10 + big.len() + 2);
    assert!(reply.starts_with(b"$1048576\r\nxxx"));
    assert!(reply.ends_with(b"x\r\n"));
    // A deep pipeline: 20000 commands in one write.
    let req = b"INCR c\r\n".repeat(20_000);
    let mut want = Vec::new();
    for i in 1..=20_000 {
        want.extend_from_slice(format!(":{i}\r\n").as_bytes());
    }
    assert_eq!(call(&mut t, &req, want.len()), want);
    // The plain port serves the same data.
    let mut r = Raw::connect(s.port);
    assert_eq!(r.cmd(&[b"GET", b"c"]), b"$5\r\n20000\r\n");
    // CLIENT LIST shows the TLS connection like any other.
    assert!(String::from_utf8_lossy(&r.cmd(&[b"CLIENT", b"LIST"])).contains("cmd=incr"));
    assert_eq!(call(&mut t, b"QUIT\r\n", 5), b"+OK\r\n");
}

#[test]
fn settings_change_at_run_time() {
    let d = tempfile::tempdir().unwrap();
    let (ca_a, cli, cli_key) = write_set(d.path(), "a");
    let (ca_b, _, _) = write_set(d.path(), "b");
    let (s, tls_port) = start(d.path(), &[]);
    let mut r = Raw::connect(s.port);
    let set = |r: &mut Raw, pairs: &[(&str, String)]| {
        let mut args: Vec<Vec<u8>> = vec![b"CONFIG".to_vec(), b"SET".to_vec()];
        for (k, v) in pairs {
            args.push(k.as_bytes().to_vec());
            args.push(v.as_bytes().to_vec());
        }
        let refs: Vec<&[u8]> = args.iter().map(|a| a.as_slice()).collect();
        String::from_utf8_lossy(&r.cmd(&refs)).into_owned()
    };
    let path = |n: &str| d.path().join(n).to_string_lossy().into_owned();
    assert_eq!(set(&mut r, &[("tls-auth-clients", "no".into())]), "+OK\r\n");
    let mut kept = connect(tls_port, &ca_a, None, None).unwrap();
    // A certificate that cannot be read: refused, the old one stays.
    assert_eq!(
        set(&mut r, &[("tls-cert-file", path("nosuch.crt"))]),
        "-ERR CONFIG SET failed (possibly related to argument 'tls-cert-file') - Unable to update TLS configuration. Check server logs.\r\n"
    );
    assert!(connect(tls_port, &ca_a, None, None).is_ok());
    // Certificate and key swapped together: new connections get the new one.
    assert_eq!(
        set(
            &mut r,
            &[
                ("tls-cert-file", path("b-server.crt")),
                ("tls-key-file", path("b-server.key")),
            ]
        ),
        "+OK\r\n"
    );
    assert!(connect(tls_port, &ca_a, None, None).is_err());
    assert!(connect(tls_port, &ca_b, None, None).is_ok());
    // Connections made before keep theirs.
    assert_eq!(call(&mut kept, b"ECHO hi\r\n", 8), b"$2\r\nhi\r\n");
    // tls-protocols: a TLS 1.2 client is turned away once only 1.3 is allowed.
    assert!(connect(tls_port, &ca_b, None, Some(&[&rustls::version::TLS12])).is_ok());
    assert_eq!(
        set(&mut r, &[("tls-protocols", "TLSv1.3".into())]),
        "+OK\r\n"
    );
    assert!(connect(tls_port, &ca_b, None, Some(&[&rustls::version::TLS12])).is_err());
    assert!(connect(tls_port, &ca_b, None, Some(&[&rustls::version::TLS13])).is_ok());
    assert!(set(&mut r, &[("tls-protocols", "SSLv3".into())]).starts_with("-ERR CONFIG SET failed"));
    // Client certificates again, checked against the CA named.
    assert_eq!(
        set(
            &mut r,
            &[
                ("tls-auth-clients", "optional".into()),
                ("tls-ca-cert-file", path("a-ca.crt"))
            ]
        ),
        "+OK\r\n"
    );
    assert!(connect(tls_port, &ca_b, None, None).is_ok());
    assert!(connect(tls_port, &ca_b, Some((&cli, &cli_key)), None).is_ok());
    let mut g = |n: &str| {
        let reply = r.cmd(&[b"CONFIG", b"GET", n.as_bytes()]);
        String::from_utf8_lossy(&reply).into_owned()
    };
    assert!(g("tls-protocols").contains("TLSv1.3"));
    assert!(g("tls-port").contains(&tls_port.to_string()));
}

/// `port 0` with a TLS port serves TLS only, as Redis: the ready line names the TLS port and
/// CONFIG GET port says 0.
#[test]
fn port_0_serves_tls_only() {
    let d = tempfile::tempdir().unwrap();
    let (ca, cli, cli_key) = write_set(d.path(), "a");
    let p = |n: &str| d.path().join(n).to_string_lossy().into_owned();
    let tls_port = free_port();
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_ringdis"))
        .args(["--port", "0", "--no-pin", "--appendonly", "no", "--dir"])
        .arg(d.path())
        .args(["--tls-port", &tls_port.to_string(), "--tls-cert-file"])
        .args([
            p("a-server.crt"),
            "--tls-key-file".into(),
            p("a-server.key"),
        ])
        .args(["--tls-ca-cert-file".into(), p("a-ca.crt")])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let mut line = String::new();
    std::io::BufRead::read_line(
        &mut std::io::BufReader::new(child.stdout.take().unwrap()),
        &mut line,
    )
    .unwrap();
    assert!(line.contains(&format!(":{tls_port}")), "{line}");
    let mut t = connect(tls_port, &ca, Some((&cli, &cli_key)), None).unwrap();
    let want = b"*2\r\n$4\r\nport\r\n$1\r\n0\r\n";
    assert_eq!(call(&mut t, b"CONFIG GET port\r\n", want.len()), want);
    assert_eq!(call(&mut t, b"SHUTDOWN NOSAVE\r\n", 0), b"");
    assert_eq!(child.wait().unwrap().code(), Some(0));
}

/// tls-key-file-pass opens a PKCS#8 key encrypted with it (PBKDF2-SHA256 and AES-256-CBC, as
/// `openssl pkcs8 -topk8` writes); a wrong one stops start-up.
#[test]
fn an_encrypted_key_opens_with_tls_key_file_pass() {
    use pkcs8::der::{Decode, EncodePem};
    let d = tempfile::tempdir().unwrap();
    let (ca, cli, cli_key) = write_set(d.path(), "a");
    let pem = std::fs::read_to_string(d.path().join("a-server.key")).unwrap();
    let (_, der) = pkcs8::Document::from_pem(&pem).unwrap();
    let info = pkcs8::PrivateKeyInfoRef::from_der(der.as_bytes()).unwrap();
    let params =
        pkcs8::pkcs5::pbes2::Parameters::generate_pbkdf2_sha256_aes256cbc(2048, &[7; 16], [9; 16])
            .unwrap();
    let enc = info.encrypt_with_params(params, "s3cret").unwrap();
    let enc = pkcs8::EncryptedPrivateKeyInfoRef::from_der(enc.as_bytes())
        .unwrap()
        .to_pem(pkcs8::LineEnding::LF)
        .unwrap();
    assert!(enc.starts_with("-----BEGIN ENCRYPTED PRIVATE KEY-----"));
    let key = d.path().join("a-enc.key").to_string_lossy().into_owned();
    std::fs::write(&key, enc).unwrap();
    let (_s, tls_port) = start(
        d.path(),
        &["--tls-key-file", &key, "--tls-key-file-pass", "s3cret"],
    );
    let mut t = connect(tls_port, &ca, Some((&cli, &cli_key)), None).unwrap();
    assert_eq!(call(&mut t, b"SET k v\r\n", 5), b"+OK\r\n");
    // A wrong password, or none, stops start-up with the reason.
    for pass in [&["--tls-key-file-pass", "wrong"][..], &[]] {
        let dir = d.path().to_string_lossy().into_owned();
        let port = free_port().to_string();
        let p = |n: &str| d.path().join(n).to_string_lossy().into_owned();
        let out = std::process::Command::new(env!("CARGO_BIN_EXE_ringdis"))
            .args([
                "--port",
                "0",
                "--no-pin",
                "--appendonly",
                "no",
                "--dir",
                &dir,
            ])
            .args([
                "--tls-port",
                &port,
                "--tls-key-file",
                &key,
                "--tls-cert-file",
            ])
            .args([
                p("a-server.crt"),
                "--tls-ca-cert-file".into(),
                p("a-ca.crt"),
            ])
            .args(pass)
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(1));
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(err.contains("Failed to load private key"), "{err}");
    }
}

#[test]
fn a_bad_tls_setup_stops_start_up() {
    let d = tempfile::tempdir().unwrap();
    let port = free_port().to_string();
    let dir = d.path().to_string_lossy().into_owned();
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_ringdis"))
        .args([
            "--port",
            "0",
            "--no-pin",
            "--dir",
            &dir,
            "--tls-port",
            &port,
        ])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("Failed to configure TLS"), "{err}");
}
