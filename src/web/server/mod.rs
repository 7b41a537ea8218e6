//! The HTTP server: accepts connections under a cap and serves the router on each with time
//! limits, so a client that connects and sends nothing, stops half-way through its headers
//! or its body, or keeps an idle connection open cannot hold a descriptor for long.
//!
//! `axum::serve` has no header, body or idle timeout and no connection cap; this is the same
//! hyper connection it builds, with those added.

pub mod bodies;
pub mod connections;
pub mod limits;
pub mod parse_errors;

use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::body::Body;
use axum::extract::ConnectInfo;
use hyper::body::Incoming;
use hyper_util::rt::{TokioIo, TokioTimer};
use tokio::net::{TcpListener, TcpStream};
use tokio::task::JoinSet;
use tokio_util::sync::CancellationToken;
use tower::ServiceExt;

use bodies::{BodyTimeoutFlag, GuardedBody, TimedBody};
use connections::{Admitted, BusyGuard, ConnectionTable, ReceivingGuard};
pub use limits::{ServerLimits, descriptor_budget};

/// Pause after a failed `accept` (out of descriptors, most likely) before the next one, so
/// the loop does not spin while connections close.
const ACCEPT_BACKOFF: Duration = Duration::from_millis(50);

/// Serves `app` on `listener` until `stop`; then stops accepting, lets each connection finish
/// its current response, and returns once all are closed.
pub async fn serve(
    listener: TcpListener,
    app: Router,
    table: Arc<ConnectionTable>,
    limits: ServerLimits,
    stop: CancellationToken,
) -> std::io::Result<()> {
    let mut connections = JoinSet::new();
    loop {
        let accepted = tokio::select! {
            _ = stop.cancelled() => break,
            accepted = listener.accept() => accepted,
            // Reap finished connection tasks so the set does not grow with every connection.
            Some(_) = connections.join_next(), if !connections.is_empty() => continue,
        };
        let (stream, remote) = match accepted {
            Ok(accepted) => accepted,
            Err(err) => {
                tracing::warn!(error = %err, "cannot accept a connection; trying again shortly");
                tokio::time::sleep(ACCEPT_BACKOFF).await;
                continue;
            }
        };
        let Some(admitted) = table.admit() else {
            tracing::debug!(%remote, "every connection is busy: refused");
            continue;
        };
        connections.spawn(serve_connection(
            stream,
            remote,
            app.clone(),
            admitted,
            table.clone(),
            limits,
            stop.clone(),
        ));
    }
    while connections.join_next().await.is_some() {}
    Ok(())
}

/// One connection: HTTP/1.1 with keep-alive, closed when idle or slow past the limits, when a
/// newcomer takes its place, or (after its current response) when the server stops.
async fn serve_connection(
    stream: TcpStream,
    remote: SocketAddr,
    app: Router,
    admitted: Admitted,
    table: Arc<ConnectionTable>,
    limits: ServerLimits,
    stop: CancellationToken,
) {
    let Admitted {
        id,
        busy,
        receiving,
        evicted,
    } = admitted;
    let service = hyper::service::service_fn(move |request: hyper::Request<Incoming>| {
        let guard = BusyGuard::new(&busy);
        let flag = BodyTimeoutFlag::default();
        let mut request = request.map(|body| {
            use http_body::Body as _;
            let arriving = (!body.is_end_stream()).then(|| ReceivingGuard::new(&receiving));
            Body::new(TimedBody::new(
                body,
                limits.body_timeout,
                flag.clone(),
                arriving,
            ))
        });
        request.extensions_mut().insert(ConnectInfo(remote));
        request.extensions_mut().insert(flag);
        let response = app.clone().oneshot(request);
        async move {
            let response = response
                .await
                .unwrap_or_else(|never: Infallible| match never {});
            Ok::<_, Infallible>(response.map(|body| Body::new(GuardedBody::new(body, guard))))
        }
    });
    let mut builder = hyper::server::conn::http1::Builder::new();
    // The header timeout also runs while a kept-alive connection waits for its next request,
    // which makes it the idle timeout too.
    builder
        .timer(TokioTimer::new())
        .header_read_timeout(limits.header_timeout)
        .keep_alive(true);
    let stream = parse_errors::JsonParseErrors::new(stream);
    let connection = builder.serve_connection(TokioIo::new(stream), service);
    tokio::pin!(connection);
    let mut stopping = false;
    loop {
        tokio::select! {
            result = connection.as_mut() => {
                if let Err(err) = result {
                    tracing::debug!(%remote, error = %err, "connection ended with an error");
                }
                break;
            }
            _ = evicted.cancelled() => {
                tracing::debug!(%remote, "idle connection closed to make room");
                break;
            }
            _ = stop.cancelled(), if !stopping => {
                stopping = true;
                connection.as_mut().graceful_shutdown();
            }
        }
    }
    table.close(id);
}
