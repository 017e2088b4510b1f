//! A TLS setup made at test time: a self-signed certificate for `localhost` (rcgen), and
//! rustls server and client configs on the `ring` provider that trust it.

use std::io;
use std::path::PathBuf;
use std::sync::Arc;

use futures_rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer, ServerName};
use futures_rustls::rustls::{self, ClientConfig, RootCertStore, ServerConfig};
use futures_rustls::{TlsAcceptor, TlsConnector};

pub struct Tls {
    pub acceptor: TlsAcceptor,
    pub connector: TlsConnector,
    /// The certificate, PEM-encoded, for clients outside Rust.
    pub cert_pem: String,
}

/// rustls's `ring` provider. rustls 0.23.48 deprecates it (no post-quantum key exchange)
/// in favour of aws-lc-rs, whose C build would dominate CI time; tests need no PQ.
#[allow(deprecated)]
fn provider() -> Arc<rustls::crypto::CryptoProvider> {
    Arc::new(rustls::crypto::ring::default_provider())
}

impl Tls {
    /// A fresh certificate and the configs around it; `alpn` is offered by both sides.
    pub fn new(alpn: &[&[u8]]) -> io::Result<Tls> {
        let certified =
            rcgen::generate_simple_self_signed(vec!["localhost".to_owned()]).map_err(io::Error::other)?;
        let cert: CertificateDer<'static> = certified.cert.der().clone();
        let key = PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(certified.key_pair.serialize_der()));

        let mut server = ServerConfig::builder_with_provider(provider())
            .with_safe_default_protocol_versions()
            .map_err(io::Error::other)?
            .with_no_client_auth()
            .with_single_cert(vec![cert.clone()], key)
            .map_err(io::Error::other)?;
        server.alpn_protocols = alpn.iter().map(|p| p.to_vec()).collect();

        let mut roots = RootCertStore::empty();
        roots.add(cert).map_err(io::Error::other)?;
        let mut client = ClientConfig::builder_with_provider(provider())
            .with_safe_default_protocol_versions()
            .map_err(io::Error::other)?
            .with_root_certificates(roots)
            .with_no_client_auth();
        client.alpn_protocols = alpn.iter().map(|p| p.to_vec()).collect();

        Ok(Tls {
            acceptor: TlsAcceptor::from(Arc::new(server)),
            connector: TlsConnector::from(Arc::new(client)),
            cert_pem: certified.cert.pem(),
        })
    }

    /// The server name the certificate is for.
    pub fn server_name() -> ServerName<'static> {
        ServerName::try_from("localhost").expect("a valid DNS name")
    }

    /// Writes the certificate to a file of its own (for python's `ssl`) and returns the
    /// path; the caller removes it.
    pub fn write_cert(&self, tag: &str) -> io::Result<PathBuf> {
        let path = std::env::temp_dir().join(format!("crest-compat-{tag}-{}.pem", std::process::id()));
        std::fs::write(&path, &self.cert_pem)?;
        Ok(path)
    }
}
