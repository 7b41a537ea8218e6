//! The emulated add-ons' own web servers: a real loopback listener per add-on with Ingress,
//! standing for the container's Ingress port (the real Supervisor proxies to
//! `http://{app.ip_address}:{app.ingress_port}/`, `supervisor/api/ingress.py`
//! `APIIngress._create_url`). It answers 200, or, once told to hang, accepts the connection
//! and reads the request but never replies: a stuck add-on that Docker still calls running.

use std::sync::{Arc, Mutex};

use axum::Router;
use axum::extract::State;
use axum::routing::any;

/// One add-on's web server.
#[derive(Clone)]
pub struct AddonWeb {
    pub port: u16,
    hung: Arc<Mutex<bool>>,
}

impl AddonWeb {
    /// Starts a server on 127.0.0.1 that answers until [`Self::hang`].
    pub async fn start() -> AddonWeb {
        let hung = Arc::new(Mutex::new(false));
        let app = Router::new().fallback(any(answer)).with_state(hung.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind the add-on's Ingress port");
        let port = listener.local_addr().expect("addr").port();
        tokio::spawn(async move { axum::serve(listener, app).await });
        AddonWeb { port, hung }
    }

    /// From now on every request is read and never answered (`false`: answers again).
    pub fn hang(&self, hung: bool) {
        *self
            .hung
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner) = hung;
    }
}

async fn answer(State(hung): State<Arc<Mutex<bool>>>) -> &'static str {
    let stuck = *hung
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    if stuck {
        std::future::pending::<()>().await;
    }
    "<html>add-on UI</html>"
}
