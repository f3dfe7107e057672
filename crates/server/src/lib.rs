//! The Stigmergy server: the JSON API under `/api`, and the built browser
//! app for every other path.
//!
//! [`Application::build`] binds the listener and assembles the app, so the
//! binary and the tests start the server through one code path.

pub mod auth;
pub mod capacities;
pub mod claims;
pub mod config;
pub mod connections;
pub mod demo;
pub mod designs;
pub mod error;
pub mod events;
pub mod extract;
pub mod health;
pub mod idempotency;
pub mod ledger;
pub mod live;
pub mod map;
pub mod matching;
pub mod needs;
pub mod openapi;
pub mod organizations;
pub mod planner;
mod state;
pub mod store;
pub mod timeouts;
pub mod web;

pub use state::AppState;

use std::future::Future;
use std::net::SocketAddr;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::http::{Request, StatusCode};
use axum::routing::{any, get};
use tokio::net::TcpListener;
use tower_http::compression::CompressionLayer;
use tower_http::request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer};
use tower_http::trace::TraceLayer;
use utoipa::OpenApi;
use utoipa_axum::router::OpenApiRouter;

use crate::config::Config;
use crate::error::AppError;
use crate::store::Store;

/// Request bodies larger than this are refused with 413.
pub const MAX_BODY_BYTES: usize = 1024 * 1024;

#[derive(OpenApi)]
#[openapi(
    info(
        title = "Stigmergy API",
        description = "Coordinate physical production through a design commons: designs with \
                       their bill of materials; needs, capacity and claims; (soon) open accounts. \
                       Every error is `{\"error\": {\"code\", \"message\", \"fields\"}}`."
    ),
    tags(
        (name = "designs", description = "The design commons"),
        (name = "accounts", description = "Registering, signing in and out, API tokens. Browser writes send the `x-stigmergy-csrf` header; software sends `Authorization: Bearer <token>`."),
        (name = "organizations", description = "Agents, organizations and coalitions, and who belongs to which"),
        (name = "live", description = "Server-Sent Events of changes as they happen"),
        (name = "needs", description = "Needs and their open remainder, capacity, claims and their steps, the gap signal, economic events"),
        (name = "health", description = "Liveness and database checks"),
    )
)]
struct ApiDoc;

/// The API routes with their OpenAPI document, which lists the responses
/// every operation shares (see [`openapi`]) as well as each one's own.
pub fn api() -> (Router<AppState>, utoipa::openapi::OpenApi) {
    let (router, mut doc) = OpenApiRouter::with_openapi(ApiDoc::openapi())
        .merge(health::router())
        .merge(auth::router())
        .merge(organizations::router())
        .merge(designs::router())
        .merge(needs::router())
        .merge(claims::router())
        .merge(capacities::router())
        .merge(events::router())
        .merge(matching::router())
        .merge(planner::router())
        .merge(live::router())
        .merge(map::router())
        .merge(ledger::router())
        .split_for_parts();
    openapi::add_shared_responses(&mut doc);
    idempotency::document(&mut doc);
    live::document(&mut doc);
    (router, doc)
}

/// The whole HTTP app: API, OpenAPI document, the built browser app, and
/// the layers every response passes through.
pub fn app(state: AppState, static_dir: &Path) -> Router {
    let tile_origin = state
        .map_tiles
        .as_deref()
        .and_then(config::tile_origin)
        .map(str::to_owned);
    let https = state.secure_cookies;
    let demo_portal = state.demo_portal;
    let request_timeout = state.request_timeout;
    let (api, openapi) = api();
    let openapi = Arc::new(openapi);
    let api = api
        .route(
            "/api/openapi.json",
            get(move || async move { axum::Json(openapi.as_ref().clone()) }),
        )
        .route("/api", any(api_not_found))
        .route("/api/{*rest}", any(api_not_found))
        .method_not_allowed_fallback(method_not_allowed)
        // Inside the CSRF guard: a forged write is refused before its key
        // is kept.
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            idempotency::guard,
        ))
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            live::position,
        ))
        .with_state(state)
        // Compressed per response: the API's answers. The app's files are
        // compressed once, at build time (see `web::app_files`).
        .layer(CompressionLayer::new());
    let router = api
        .merge(web::app_files(static_dir.to_path_buf(), demo_portal))
        .layer(axum::middleware::from_fn(auth::session::csrf_guard))
        .layer(DefaultBodyLimit::max(MAX_BODY_BYTES));
    // Inside the security headers, so a timed-out answer carries them too.
    let router = router.layer(axum::middleware::from_fn_with_state(
        request_timeout,
        timeouts::request_timeout,
    ));
    web::security_headers(router, tile_origin.as_deref(), https)
        .layer(PropagateRequestIdLayer::x_request_id())
        .layer(TraceLayer::new_for_http().make_span_with(|request: &Request<_>| {
            let id = request
                .headers()
                .get("x-request-id")
                .and_then(|v| v.to_str().ok())
                .unwrap_or_default();
            tracing::info_span!("request", method = %request.method(), path = %request.uri().path(), id)
        }))
        .layer(SetRequestIdLayer::x_request_id(MakeRequestUuid))
}

async fn api_not_found() -> AppError {
    AppError::NotFound(
        "There is no such API endpoint; see /api/openapi.json for the ones there are.".into(),
    )
}

async fn method_not_allowed() -> AppError {
    AppError::BadRequest {
        status: StatusCode::METHOD_NOT_ALLOWED,
        code: "method_not_allowed",
        message: "This endpoint does not accept that method.".into(),
    }
}

/// A bound, ready-to-run server.
pub struct Application {
    listener: TcpListener,
    router: Router,
    store: Arc<dyn Store>,
    hub: Arc<live::Hub>,
    header_read_timeout: Duration,
}

impl Application {
    /// Opens (and migrates) the database, loads the demo commons when asked
    /// and the database is empty, and binds the listener.
    pub async fn build(config: &Config) -> anyhow::Result<Application> {
        let store = store::connect(&config.database_url).await?;
        Application::build_on(config, store).await
    }

    /// As [`Application::build`], on a store already open on
    /// `config.database_url` (the race tests' breaking control).
    pub async fn build_on(config: &Config, store: Arc<dyn Store>) -> anyhow::Result<Application> {
        if config.demo
            && let Some(report) = demo::load_if_empty(store.as_ref()).await?
        {
            tracing::info!(
                agents = report.agents,
                designs = report.designs,
                "loaded the demo commons"
            );
        }
        let demo_accounts = demo::open_demo_accounts(store.as_ref()).await?;
        if !demo_accounts.is_empty() {
            tracing::warn!(
                accounts = %demo_accounts.join(", "),
                "demo accounts exist and sign in with the password printed in the README: \
                 this is a demo portal, not one for real work"
            );
        }
        if !web::is_built(&config.static_dir) {
            tracing::warn!(dir = %config.static_dir.display(), "no built app here; only the API will work");
        }
        let hub = live::Hub::start(store.clone(), &config.database_url).await?;
        let state = AppState {
            store: store.clone(),
            secure_cookies: config.secure_cookies,
            hub: hub.clone(),
            map_tiles: config.map_tiles.clone(),
            trusted_proxies: config.trusted_proxies.clone().into(),
            demo_portal: !demo_accounts.is_empty(),
            hashing: Arc::new(auth::hashing::Hashing::new(config.hash_wait)),
            sign_ups_per_hour: config.sign_ups_per_hour,
            request_timeout: config.request_timeout,
        };
        let router = app(state, &config.static_dir);
        let listener = TcpListener::bind(config.bind).await?;
        Ok(Application {
            listener,
            router,
            store,
            hub,
            header_read_timeout: config.header_read_timeout,
        })
    }

    pub fn local_addr(&self) -> std::io::Result<SocketAddr> {
        self.listener.local_addr()
    }

    pub fn store(&self) -> Arc<dyn Store> {
        self.store.clone()
    }

    /// Serves until `shutdown` completes, then finishes the requests in
    /// flight (for at most ten seconds).
    pub async fn run_until(
        self,
        shutdown: impl Future<Output = ()> + Send + 'static,
    ) -> anyhow::Result<()> {
        let (stopping_tx, stopping_rx) = tokio::sync::oneshot::channel::<()>();
        let hub = self.hub.clone();
        let server = tokio::spawn(connections::serve(
            self.listener,
            self.router,
            self.header_read_timeout,
            async move {
                shutdown.await;
                // Live streams never end by themselves: end them first.
                hub.close();
                let _ = stopping_tx.send(());
            },
        ));
        let _ = stopping_rx.await;
        match tokio::time::timeout(Duration::from_secs(10), server).await {
            Ok(result) => result?,
            Err(_) => tracing::warn!("requests still running after 10 s; stopping anyway"),
        }
        Ok(())
    }
}

/// Resolves on SIGINT (Ctrl-C) or SIGTERM.
pub async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = terminate => {},
    }
    tracing::info!("shutting down");
}
