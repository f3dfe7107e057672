//! Serving the built browser app: files from the static directory, hashed
//! assets cached for a year, `index.html` for every client-side route, and
//! the security headers every response carries.

use std::path::{Path, PathBuf};

use axum::Router;
use axum::extract::Request;
use axum::handler::HandlerWithoutStateExt;
use axum::http::{HeaderName, HeaderValue, StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::{Html, IntoResponse, Response};
use tower::ServiceBuilder;
use tower_http::compression::CompressionLayer;
use tower_http::services::ServeDir;
use tower_http::set_header::SetResponseHeaderLayer;

/// The Content-Security-Policy: only this origin's scripts, styles and
/// connections; WebAssembly compilation allowed; nothing inline; no framing.
pub const CONTENT_SECURITY_POLICY: &str = "default-src 'self'; script-src 'self' 'wasm-unsafe-eval'; \
     style-src 'self'; img-src 'self' data:; font-src 'self'; connect-src 'self'; object-src 'none'; \
     base-uri 'self'; form-action 'self'; frame-ancestors 'none'";

/// The policy, letting images come from the map's tile server too when
/// one is configured.
pub fn content_security_policy(tile_origin: Option<&str>) -> String {
    match tile_origin {
        Some(origin) => CONTENT_SECURITY_POLICY.replace(
            "img-src 'self' data:;",
            &format!("img-src 'self' data: {origin};"),
        ),
        None => CONTENT_SECURITY_POLICY.to_owned(),
    }
}

/// The banner every page of a demo portal shows, above the app (plain
/// HTML in `index.html`, so it costs the app nothing and shows even before
/// the app starts).
pub const DEMO_BANNER: &str = "<p class=\"demo-banner\" role=\"note\" data-testid=\"demo-banner\">\
     <strong>Demo portal: example data and accounts.</strong> \
     The demo accounts' password is public; do not enter anything real.</p>";

/// `index.html` with the demo banner as the body's first element.
pub fn with_demo_banner(html: &str) -> String {
    match html.find("<body>") {
        Some(at) => {
            let at = at + "<body>".len();
            format!("{}\n    {DEMO_BANNER}{}", &html[..at], &html[at..])
        }
        None => html.to_owned(),
    }
}

/// The built app under `dir`, with `index.html` for client routes (and the
/// demo banner in it when `demo` is set).
///
/// Files are sent as they are on disk: the `.br` or `.gz` copy that
/// `precompress` wrote beside one (brotli 11 and gzip 9, the sizes the
/// bundle budget counts) when the client accepts it, else the plain file.
/// Only `index.html`, which is rewritten here, is compressed per response.
pub fn app_files(dir: PathBuf, demo: bool) -> Router {
    let index = dir.join("index.html");
    let page = index.clone();
    let client_routes = ServiceBuilder::new()
        .layer(CompressionLayer::new())
        .service(
            (move |request: Request| client_route(index.clone(), demo, request)).into_service(),
        );
    let files = ServiceBuilder::new()
        .map_request(plain_for_ranges)
        .layer(SetResponseHeaderLayer::if_not_present(
            header::VARY,
            HeaderValue::from_static("accept-encoding"),
        ))
        .service(
            ServeDir::new(&dir)
                .precompressed_br()
                .precompressed_gzip()
                .append_index_html_on_directories(false)
                .fallback(client_routes),
        );
    let plain = page.clone();
    let home = move || commons_page(page.clone(), demo);
    let index_html = move || index_page(plain.clone(), demo);
    Router::new()
        .route("/", axum::routing::get(home))
        .route("/index.html", axum::routing::get(index_html))
        .layer(CompressionLayer::new())
        .fallback_service(files)
        .layer(middleware::from_fn(cache_control))
}

/// A `Range` request asks for bytes of the file itself, so it is answered
/// from the plain file, never from a slice of a compressed copy.
fn plain_for_ranges(mut request: Request) -> Request {
    if request.headers().contains_key(header::RANGE) {
        request.headers_mut().remove(header::ACCEPT_ENCODING);
    }
    request
}

/// A path the server has no file for: `index.html` when it looks like one
/// of the app's routes (no file extension), else 404.
async fn client_route(index: PathBuf, demo: bool, request: Request) -> Response {
    let last = request.uri().path().rsplit('/').next().unwrap_or_default();
    if last.contains('.') {
        return (StatusCode::NOT_FOUND, "Not found").into_response();
    }
    index_page(index, demo).await
}

/// What the commons asks of the API as it starts, preloaded from `<head>`
/// so that the answers are on their way while the wasm still downloads.
/// They must be the very requests `src/pages/commons.rs` makes (same URL,
/// same-origin credentials), or the browser fetches twice.
pub const COMMONS_PRELOADS: [&str; 2] = ["/api/designs", "/api/facets"];

/// `html` with a `<link rel=preload>` for each of `urls` at the end of
/// `<head>`.
pub fn with_preloads(html: &str, urls: &[&str]) -> String {
    let links: String = urls
        .iter()
        .map(|url| {
            format!(
                "<link rel=\"preload\" href=\"{url}\" as=\"fetch\" crossorigin=\"anonymous\" />\n  "
            )
        })
        .collect();
    match html.find("</head>") {
        Some(at) => format!("{}{links}{}", &html[..at], &html[at..]),
        None => html.to_owned(),
    }
}

/// `index.html` for the commons (`/`), with its data preloaded.
async fn commons_page(index: PathBuf, demo: bool) -> Response {
    page_with(index, demo, &COMMONS_PRELOADS).await
}

/// `index.html`, read afresh (a new build is served at once).
async fn index_page(index: PathBuf, demo: bool) -> Response {
    page_with(index, demo, &[]).await
}

async fn page_with(index: PathBuf, demo: bool, preloads: &[&str]) -> Response {
    match tokio::fs::read_to_string(&index).await {
        Ok(html) => {
            let html = with_preloads(&html, preloads);
            Html(if demo { with_demo_banner(&html) } else { html }).into_response()
        }
        Err(error) => {
            tracing::error!(path = %index.display(), %error, "the browser app is not built");
            (
                StatusCode::SERVICE_UNAVAILABLE,
                Html(
                    "<!doctype html><title>Stigmergy</title><p>The browser app has not been built. \
                     Run <code>make run</code> from the repository, or point \
                     <code>STIGMERGY_STATIC_DIR</code> at a built <code>dist/</code>. \
                     The API is up at <a href=\"/api/health\">/api/health</a>.</p>",
                ),
            )
                .into_response()
        }
    }
}

/// Whether a file carries a content hash, so its content never changes
/// under that name: Trunk's hashed names (`app-0123456789abcdef_bg.wasm`),
/// or any file in the split app's hashed folder (`/app-0123456789abcdef/…`,
/// written by `scripts/split-wasm.mjs`).
pub fn is_hashed_asset(path: &str) -> bool {
    let mut segments = path.trim_start_matches('/').split('/');
    let name = segments.next_back().unwrap_or_default();
    let hashed_folder = segments.next().is_some_and(|folder| {
        folder
            .strip_prefix("app-")
            .is_some_and(|hash| hash.len() == 16 && hash.bytes().all(|b| b.is_ascii_hexdigit()))
    }) && segments.next().is_none();
    hashed_folder
        || name.match_indices('-').any(|(at, _)| {
            let rest = &name[at + 1..];
            rest.len() > 16
                && rest.as_bytes()[..16].iter().all(u8::is_ascii_hexdigit)
                && matches!(rest.as_bytes()[16], b'.' | b'_')
        })
}

async fn cache_control(request: Request, next: Next) -> Response {
    let hashed = is_hashed_asset(request.uri().path());
    let mut response = next.run(request).await;
    let value = if hashed && response.status().is_success() {
        "public, max-age=31536000, immutable"
    } else {
        // index.html and unhashed files: always revalidate, so a new build
        // is picked up at once.
        "no-cache"
    };
    response
        .headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static(value));
    response
}

/// HSTS: two years, subdomains too. Sent only when the portal is served
/// over HTTPS (secure cookies), since a browser that sees it refuses plain
/// HTTP to the host from then on.
pub const STRICT_TRANSPORT_SECURITY: &str = "max-age=63072000; includeSubDomains";

/// Adds the security headers to every response that lacks them, with
/// `Strict-Transport-Security` when `https` (`STIGMERGY_SECURE_COOKIES=1`).
pub fn security_headers(router: Router, tile_origin: Option<&str>, https: bool) -> Router {
    let router = if https {
        router.layer(SetResponseHeaderLayer::if_not_present(
            header::STRICT_TRANSPORT_SECURITY,
            HeaderValue::from_static(STRICT_TRANSPORT_SECURITY),
        ))
    } else {
        router
    };
    let router = router.layer(SetResponseHeaderLayer::if_not_present(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_str(&content_security_policy(tile_origin))
            .unwrap_or_else(|_| HeaderValue::from_static(CONTENT_SECURITY_POLICY)),
    ));
    let headers: [(HeaderName, &'static str); 5] = [
        (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
        (header::REFERRER_POLICY, "strict-origin-when-cross-origin"),
        (header::X_FRAME_OPTIONS, "DENY"),
        (
            HeaderName::from_static("cross-origin-opener-policy"),
            "same-origin",
        ),
        (
            HeaderName::from_static("permissions-policy"),
            "camera=(), microphone=(), geolocation=(self)",
        ),
    ];
    headers.into_iter().fold(router, |router, (name, value)| {
        router.layer(SetResponseHeaderLayer::if_not_present(
            name,
            HeaderValue::from_static(value),
        ))
    })
}

/// Whether `dir` holds a built app.
pub fn is_built(dir: &Path) -> bool {
    dir.join("index.html").is_file()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_demo_banner_comes_first_in_the_body() {
        let html = "<html><head></head><body>\n<noscript>x</noscript></body></html>";
        let shown = with_demo_banner(html);
        assert!(
            shown.contains("<body>\n    <p class=\"demo-banner\""),
            "{shown}"
        );
        assert!(shown.ends_with("<noscript>x</noscript></body></html>"));
        assert!(!shown.contains("<script"), "nothing inline for the CSP");
    }

    #[test]
    fn preloads_go_at_the_end_of_the_head() {
        let html = "<html><head><title>S</title></head><body></body></html>";
        let shown = with_preloads(html, &["/api/designs"]);
        assert!(
            shown.contains(
                "<link rel=\"preload\" href=\"/api/designs\" as=\"fetch\" crossorigin=\"anonymous\" />\n  </head>"
            ),
            "{shown}"
        );
        assert_eq!(with_preloads(html, &[]), html);
    }

    #[test]
    fn trunk_hashed_names_are_recognised() {
        assert!(is_hashed_asset("/stigmergy-app-9f86d081884c7d65_bg.wasm"));
        assert!(is_hashed_asset("/stigmergy-app-9f86d081884c7d65.js"));
        assert!(is_hashed_asset("/main-0123456789abcdef.css"));
        assert!(!is_hashed_asset("/index.html"));
        assert!(!is_hashed_asset("/designs/open-source-microscope"));
        assert!(!is_hashed_asset("/public/favicon.svg"));
        assert!(is_hashed_asset("/app-0123456789abcdef/split_map.wasm"));
        assert!(is_hashed_asset("/app-0123456789abcdef/__wasm_split.js"));
        assert!(!is_hashed_asset("/app-0123456789abcdef"));
        assert!(!is_hashed_asset("/app-0123456789abcdeg/split_map.wasm"));
        assert!(!is_hashed_asset("/designs/app-0123456789abcdef/x.js"));
        assert!(!is_hashed_asset("/app-0123456789abcdef/nested/x.js"));
    }
}
