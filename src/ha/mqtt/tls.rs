//! TLS to the broker on the one rustls stack the add-on already has (reqwest's rustls 0.23,
//! aws-lc-rs, the platform verifier). rumqttc's own TLS would add a second rustls-webpki and
//! the unmaintained rustls-pemfile (ADR 0019), so rumqttc speaks plain MQTT to a private Unix
//! socket and this bridge carries each connection over TLS to the broker.
//!
//! A refused certificate ends the connection before MQTT starts; the bridge keeps the reason,
//! which the status then shows instead of rumqttc's "connection closed".

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use rustls::ClientConfig;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer, ServerName};
use rustls_platform_verifier::BuilderVerifierExt;
use tokio::net::{TcpStream, UnixListener, UnixStream};
use tokio_rustls::TlsConnector;
use tokio_util::sync::CancellationToken;

use crate::config::BrokerTls;
use crate::util::lock;

/// Longest wait for the broker's TCP connect and TLS handshake.
const HANDSHAKE: Duration = Duration::from_secs(10);

/// The rustls client settings for `tls`: the CA file's certificates or the system's, and the
/// client certificate when one is set.
pub fn client_config(tls: &BrokerTls) -> Result<ClientConfig, String> {
    let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
    let builder = ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| format!("TLS: {e}"))?;
    let builder = match &tls.ca_file {
        Some(path) => {
            let mut roots = rustls::RootCertStore::empty();
            for cert in certificates(path, "mqtt.ca_file")? {
                roots
                    .add(cert)
                    .map_err(|e| format!("mqtt.ca_file {}: {e}", path.display()))?;
            }
            builder.with_root_certificates(roots)
        }
        None => builder
            .with_platform_verifier()
            .map_err(|e| format!("TLS: the system's certificates: {e}"))?,
    };
    match &tls.client_cert {
        None => Ok(builder.with_no_client_auth()),
        Some((cert, key)) => {
            let chain = certificates(cert, "mqtt.client_cert")?;
            let key = PrivateKeyDer::from_pem_file(key)
                .map_err(|e| format!("mqtt.client_key {}: {e}", key.display()))?;
            builder
                .with_client_auth_cert(chain, key)
                .map_err(|e| format!("mqtt.client_cert {}: {e}", cert.display()))
        }
    }
}

fn certificates(path: &Path, option: &str) -> Result<Vec<CertificateDer<'static>>, String> {
    let certs = CertificateDer::pem_file_iter(path)
        .and_then(|certs| certs.collect::<Result<Vec<_>, _>>())
        .map_err(|e| format!("{option} {}: {e}", path.display()))?;
    if certs.is_empty() {
        return Err(format!(
            "{option} {}: no PEM certificate in it",
            path.display()
        ));
    }
    Ok(certs)
}

/// The running bridge: where rumqttc connects, and the last failure to reach the broker.
#[derive(Debug)]
pub struct Bridge {
    pub socket: PathBuf,
    /// Why the last connection to the broker failed (`None` after one succeeded).
    pub error: Arc<Mutex<Option<String>>>,
    dir: PathBuf,
}

impl Drop for Bridge {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.socket);
        let _ = std::fs::remove_dir(&self.dir);
    }
}

/// Listens on a Unix socket in a private (0700) folder and carries each connection over TLS
/// to `host`:`port` until `cancel`.
pub fn start(
    host: &str,
    port: u16,
    config: ClientConfig,
    name: &str,
    cancel: CancellationToken,
) -> Result<Bridge, String> {
    use std::os::unix::fs::DirBuilderExt;
    let server = ServerName::try_from(host.to_string())
        .map_err(|e| format!("mqtt.host {host:?} as a TLS server name: {e}"))?;
    static BRIDGES: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(0);
    let n = BRIDGES.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let dir = std::env::temp_dir().join(format!("{name}-{}-{n}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::DirBuilder::new()
        .mode(0o700)
        .create(&dir)
        .map_err(|e| format!("TLS bridge folder {}: {e}", dir.display()))?;
    let socket = dir.join("broker.sock");
    let listener = UnixListener::bind(&socket)
        .map_err(|e| format!("TLS bridge socket {}: {e}", socket.display()))?;
    let error = Arc::new(Mutex::new(None));
    let connector = TlsConnector::from(Arc::new(config));
    let address = format!("{host}:{port}");
    let slot = error.clone();
    tokio::spawn(async move {
        loop {
            let local = tokio::select! {
                _ = cancel.cancelled() => return,
                accepted = listener.accept() => match accepted {
                    Ok((local, _)) => local,
                    Err(err) => {
                        tracing::warn!(error = %err, "TLS bridge: accept failed");
                        tokio::time::sleep(Duration::from_secs(1)).await;
                        continue;
                    }
                },
            };
            let (connector, server, address, slot) = (
                connector.clone(),
                server.clone(),
                address.clone(),
                slot.clone(),
            );
            tokio::spawn(carry(local, connector, server, address, slot));
        }
    });
    Ok(Bridge { socket, error, dir })
}

/// One connection: TLS to the broker, then bytes both ways until either side closes.
async fn carry(
    mut local: UnixStream,
    connector: TlsConnector,
    server: ServerName<'static>,
    address: String,
    slot: Arc<Mutex<Option<String>>>,
) {
    let connected = tokio::time::timeout(HANDSHAKE, async {
        let tcp = TcpStream::connect(&address)
            .await
            .map_err(|e| format!("cannot reach the broker {address}: {e}"))?;
        connector
            .connect(server, tcp)
            .await
            .map_err(|e| format!("TLS to the broker {address} refused: {e}"))
    })
    .await
    .unwrap_or_else(|_| Err(format!("TLS to the broker {address}: no answer in time")));
    match connected {
        Ok(mut remote) => {
            *lock(&slot) = None;
            // With TLS 1.3 a broker refuses a missing client certificate after the handshake:
            // its alert ends the copy, and is what the status should show.
            if let Err(err) = tokio::io::copy_bidirectional(&mut local, &mut remote).await {
                *lock(&slot) = Some(format!("TLS to the broker {address}: {err}"));
            }
        }
        Err(err) => {
            tracing::debug!(error = %err, "TLS bridge");
            *lock(&slot) = Some(err);
        }
    }
}
