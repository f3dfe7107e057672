//! Accepting connections: the server's own accept loop on hyper-util's
//! HTTP/1 and HTTP/2 builder, because `axum::serve` cannot bound how long
//! a client may take to send a request's headers. A client that connects
//! and sends nothing, or half a request line, holds a connection (a file
//! descriptor, a task, buffers) until the header-read timeout closes it.

use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use axum::Router;
use axum::extract::ConnectInfo;
use hyper::body::Incoming;
use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
use hyper_util::server::conn::auto::Builder;
use hyper_util::server::graceful::{GracefulShutdown, Watcher};
use tokio::net::{TcpListener, TcpStream};
use tower::ServiceExt;

/// Serves `router` on `listener` until `shutdown` completes; then stops
/// accepting, lets each connection finish the request it is on, and
/// returns once every connection has closed.
///
/// Each request carries `ConnectInfo<SocketAddr>` (the TCP peer), as
/// `into_make_service_with_connect_info` would give it.
pub async fn serve(
    listener: TcpListener,
    router: Router,
    header_read_timeout: Duration,
    shutdown: impl Future<Output = ()>,
) {
    let mut builder = Builder::new(TokioExecutor::new());
    builder
        .http1()
        .timer(TokioTimer::new())
        .header_read_timeout(header_read_timeout);
    builder.http2().timer(TokioTimer::new());
    let graceful = GracefulShutdown::new();
    tokio::pin!(shutdown);
    loop {
        let (stream, peer) = tokio::select! {
            () = &mut shutdown => break,
            accepted = listener.accept() => match accepted {
                Ok(accepted) => accepted,
                Err(e) => {
                    accept_failed(e).await;
                    continue;
                }
            },
        };
        tokio::spawn(serve_connection(
            builder.clone(),
            stream,
            peer,
            router.clone(),
            header_read_timeout,
            graceful.watcher(),
        ));
    }
    drop(listener);
    graceful.shutdown().await;
}

/// One connection, until it closes or `watcher` sees the shutdown and
/// the request in flight is answered.
async fn serve_connection(
    builder: Builder<TokioExecutor>,
    stream: TcpStream,
    peer: SocketAddr,
    router: Router,
    header_read_timeout: Duration,
    watcher: Watcher,
) {
    // Set once the first request's headers are in. hyper bounds the
    // headers of each HTTP/1 request from when it starts reading them;
    // this bounds the time before that, while the builder is still
    // finding out which HTTP it speaks (a silent client, a partial
    // HTTP/2 preface).
    let started = Arc::new(AtomicBool::new(false));
    let service = {
        let started = started.clone();
        hyper::service::service_fn(move |mut request: hyper::Request<Incoming>| {
            started.store(true, Ordering::Relaxed);
            request.extensions_mut().insert(ConnectInfo(peer));
            router.clone().oneshot(request)
        })
    };
    let connection = builder.serve_connection(TokioIo::new(stream), service);
    let served = watcher.watch(connection);
    tokio::pin!(served);
    tokio::select! {
        result = &mut served => return finished(result, peer),
        () = tokio::time::sleep(header_read_timeout) => {}
    }
    if started.load(Ordering::Relaxed) {
        finished(served.await, peer);
    } else {
        tracing::debug!(%peer, "no request within the header-read timeout; closing");
    }
}

fn finished(result: Result<(), Box<dyn std::error::Error + Send + Sync>>, peer: SocketAddr) {
    if let Err(e) = result {
        tracing::debug!(%peer, error = %e, "connection ended with an error");
    }
}

/// After a failed accept: a client that gave up is nothing, but running
/// out of file descriptors (or memory) is retried after a pause rather
/// than spun on.
async fn accept_failed(e: std::io::Error) {
    use std::io::ErrorKind;
    if matches!(
        e.kind(),
        ErrorKind::ConnectionRefused | ErrorKind::ConnectionAborted | ErrorKind::ConnectionReset
    ) {
        return;
    }
    tracing::error!(error = %e, "cannot accept a connection; pausing for a second");
    tokio::time::sleep(Duration::from_secs(1)).await;
}
