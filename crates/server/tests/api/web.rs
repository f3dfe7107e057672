//! Serving the built app, and the headers every response carries.

use stigmergy_server::store::Backend;

use crate::helpers::{Seed, TestApp, TestDb, assert_error, both_stores};

both_stores!(
    client_routes_get_the_app_and_missing_files_get_404,
    hashed_assets_are_cached_for_a_year_and_others_revalidate,
    every_response_carries_the_security_headers,
    json_is_compressed_for_clients_that_accept_it,
    unknown_endpoints_and_methods_answer_in_the_envelope,
    a_configured_tile_server_is_offered_to_the_map_and_allowed_by_the_csp,
    only_a_demo_portal_has_demo_accounts_and_says_so_on_every_page,
);

const INDEX: &str = "<!doctype html><html><body><p>Stigmergy test app</p></body></html>";

/// A server whose static directory holds a stand-in build.
async fn spawn_with_files(backend: Backend) -> (TestApp, tempfile::TempDir) {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("index.html"), INDEX).unwrap();
    std::fs::write(
        dir.path().join("stigmergy-app-0123456789abcdef_bg.wasm"),
        [0u8, 97, 115, 109],
    )
    .unwrap();
    std::fs::write(dir.path().join("robots.txt"), "User-agent: *\n").unwrap();
    let app = TestApp::spawn_on(
        TestDb::for_backend(backend).await,
        Seed::Empty,
        dir.path().to_path_buf(),
    )
    .await;
    (app, dir)
}

async fn client_routes_get_the_app_and_missing_files_get_404(backend: Backend) {
    let (app, _dir) = spawn_with_files(backend).await;

    for path in ["/", "/designs/open-microscope", "/some/deep/route?x=1"] {
        let response = app.get(path).await;
        assert_eq!(response.status(), 200, "{path}");
        assert_eq!(response.headers()["cache-control"], "no-cache", "{path}");
        assert_eq!(response.text().await.unwrap(), INDEX, "{path}");
    }
    assert_eq!(app.get("/missing-0123456789abcdef.js").await.status(), 404);
}

async fn hashed_assets_are_cached_for_a_year_and_others_revalidate(backend: Backend) {
    let (app, _dir) = spawn_with_files(backend).await;

    let wasm = app.get("/stigmergy-app-0123456789abcdef_bg.wasm").await;
    let robots = app.get("/robots.txt").await;

    assert_eq!(wasm.status(), 200);
    assert_eq!(
        wasm.headers()["cache-control"],
        "public, max-age=31536000, immutable"
    );
    assert_eq!(wasm.headers()["content-type"], "application/wasm");
    assert_eq!(robots.headers()["cache-control"], "no-cache");
}

async fn every_response_carries_the_security_headers(backend: Backend) {
    let (app, _dir) = spawn_with_files(backend).await;

    for path in ["/", "/api/health", "/api/designs/nope", "/api/nowhere"] {
        let response = app.get(path).await;
        let headers = response.headers();
        let csp = headers["content-security-policy"].to_str().unwrap();
        assert!(
            csp.contains("script-src 'self' 'wasm-unsafe-eval'"),
            "{path}: {csp}"
        );
        assert!(csp.contains("frame-ancestors 'none'"), "{path}: {csp}");
        assert!(!csp.contains("unsafe-inline"), "{path}: {csp}");
        assert_eq!(headers["x-content-type-options"], "nosniff", "{path}");
        assert_eq!(
            headers["referrer-policy"], "strict-origin-when-cross-origin",
            "{path}"
        );
        assert!(headers.contains_key("x-request-id"), "{path}");
    }
}

async fn json_is_compressed_for_clients_that_accept_it(backend: Backend) {
    let app = TestApp::for_backend(backend, Seed::Demo).await;

    let response = app
        .client
        .get(app.url("/api/designs?limit=50"))
        .header("accept-encoding", "br")
        .send()
        .await
        .unwrap();

    assert_eq!(response.status(), 200);
    assert_eq!(response.headers()["content-encoding"], "br");
}

async fn unknown_endpoints_and_methods_answer_in_the_envelope(backend: Backend) {
    let app = TestApp::for_backend(backend, Seed::Empty).await;

    let body = app.get_json("/api/no-such-thing", 404).await;
    assert_error(&body, "not_found");

    let response = app
        .client
        .delete(app.url("/api/designs"))
        .header("x-stigmergy-csrf", "1")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 405);
    assert_error(&response.json().await.unwrap(), "method_not_allowed");
}

async fn a_configured_tile_server_is_offered_to_the_map_and_allowed_by_the_csp(backend: Backend) {
    let plain = TestApp::for_backend(backend, Seed::Empty).await;
    let settings = plain.get_json("/api/map", 200).await;
    assert!(settings["tiles"].is_null(), "offline outlines by default");
    let csp = plain.get("/api/map").await.headers()["content-security-policy"]
        .to_str()
        .unwrap()
        .to_owned();
    assert!(csp.contains("img-src 'self' data:;"), "{csp}");

    let tiles = "https://tiles.example.org/osm/{z}/{x}/{y}.png";
    let app =
        TestApp::spawn_configured(TestDb::for_backend(backend).await, Seed::Empty, |config| {
            config.map_tiles = Some(tiles.into());
        })
        .await;
    assert_eq!(app.get_json("/api/map", 200).await["tiles"], tiles);
    let csp = app.get("/").await.headers()["content-security-policy"]
        .to_str()
        .unwrap()
        .to_owned();
    assert!(
        csp.contains("img-src 'self' data: https://tiles.example.org;"),
        "{csp}"
    );
    assert!(
        csp.contains("script-src 'self' 'wasm-unsafe-eval';"),
        "{csp}"
    );
}

/// The binary on its own creates no demo accounts; a demo portal (asked
/// for with `--demo`) says so on every page, and one whose demo accounts
/// no longer sign in with the public password does not.
async fn only_a_demo_portal_has_demo_accounts_and_says_so_on_every_page(backend: Backend) {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("index.html"), INDEX).unwrap();
    let login =
        serde_json::json!({"login": "amara-okafor", "password": "open hardware for everyone"});

    let plain = TestApp::spawn_on(
        TestDb::for_backend(backend).await,
        Seed::Empty,
        dir.path().to_path_buf(),
    )
    .await;
    assert_eq!(
        plain.post_json("/api/auth/login", &login).await.status(),
        401
    );
    for path in ["/", "/index.html", "/needs"] {
        let page = plain.get(path).await.text().await.unwrap();
        assert_eq!(page, INDEX, "{path}");
    }

    let demo = TestApp::spawn_on(
        TestDb::for_backend(backend).await,
        Seed::Demo,
        dir.path().to_path_buf(),
    )
    .await;
    for path in [
        "/",
        "/index.html",
        "/needs",
        "/coalitions/open-hardware-africa",
    ] {
        let response = demo.get(path).await;
        assert_eq!(response.status(), 200, "{path}");
        let page = response.text().await.unwrap();
        assert!(
            page.contains("data-testid=\"demo-banner\"")
                && page.contains("Demo portal: example data and accounts"),
            "{path}: {page}"
        );
    }
    assert_eq!(
        demo.post_json("/api/auth/login", &login).await.status(),
        200
    );

    // Once every demo account has another password, the banner goes (at
    // the next start).
    let store = stigmergy_server::store::connect(&demo.db.url)
        .await
        .unwrap();
    let hash = stigmergy_server::auth::password::hash("a harbour of nets, mended at dawn").unwrap();
    for handle in [
        "tomas-novak",
        "kenji-watanabe",
        "amara-okafor",
        "lucia-fernandez",
    ] {
        let id = stigmergy_core::AgentId::parse(handle).unwrap();
        store.set_password(&id, &hash, "").await.unwrap();
    }
    let changed = TestApp::spawn_on(demo.db.sharing(), Seed::Demo, dir.path().to_path_buf()).await;
    assert_eq!(changed.get("/").await.text().await.unwrap(), INDEX);
}

// The app's files as `scripts/build-app` leaves them: each compressible one
// with the `.br` and `.gz` copies `precompress` wrote beside it. These
// tests read no data, so they run on SQLite only.

const WASM: &str = "/stigmergy-app-0123456789abcdef_bg.wasm";
const RAW: &[u8] = b"\0asm raw module bytes";
/// Stand-ins for the copies: the server must send them untouched, so any
/// bytes show which file went out.
const BROTLI_COPY: &[u8] = b"the brotli-11 copy";
const GZIP_COPY: &[u8] = b"the gzip-9 copy";

/// A server whose static directory holds a stand-in build with copies.
async fn spawn_with_precompressed_files() -> (TestApp, tempfile::TempDir) {
    let dir = tempfile::tempdir().unwrap();
    let file = |name: &str, bytes: &[u8]| std::fs::write(dir.path().join(name), bytes).unwrap();
    file("index.html", INDEX.as_bytes());
    file(&WASM[1..], RAW);
    file(&format!("{}.br", &WASM[1..]), BROTLI_COPY);
    file(&format!("{}.gz", &WASM[1..]), GZIP_COPY);
    file(
        "robots.txt",
        "User-agent: *\nDisallow: /api/\n".repeat(4).as_bytes(),
    );
    let app = TestApp::spawn_on(TestDb::sqlite(), Seed::Empty, dir.path().to_path_buf()).await;
    (app, dir)
}

async fn get_accepting(app: &TestApp, path: &str, encoding: Option<&str>) -> reqwest::Response {
    let request = app.client.get(app.url(path));
    let request = match encoding {
        Some(encoding) => request.header("accept-encoding", encoding),
        None => request,
    };
    request.send().await.unwrap()
}

fn header<'a>(response: &'a reqwest::Response, name: &str) -> Option<&'a str> {
    response
        .headers()
        .get(name)
        .map(|value| value.to_str().unwrap())
}

#[tokio::test]
async fn a_client_that_accepts_brotli_gets_the_brotli_copy_as_it_is_with_the_asset_headers() {
    let (app, _dir) = spawn_with_precompressed_files().await;

    let response = get_accepting(&app, WASM, Some("gzip, deflate, br, zstd")).await;

    assert_eq!(response.status(), 200);
    assert_eq!(header(&response, "content-encoding"), Some("br"));
    assert_eq!(header(&response, "content-type"), Some("application/wasm"));
    assert_eq!(
        header(&response, "cache-control"),
        Some("public, max-age=31536000, immutable")
    );
    assert!(
        header(&response, "vary")
            .is_some_and(|v| v.to_ascii_lowercase().contains("accept-encoding"))
    );
    assert_eq!(header(&response, "x-content-type-options"), Some("nosniff"));
    assert!(header(&response, "content-security-policy").is_some());
    assert_eq!(response.bytes().await.unwrap(), BROTLI_COPY);
}

#[tokio::test]
async fn a_client_that_accepts_only_gzip_gets_the_gzip_copy() {
    let (app, _dir) = spawn_with_precompressed_files().await;

    let response = get_accepting(&app, WASM, Some("gzip")).await;

    assert_eq!(response.status(), 200);
    assert_eq!(header(&response, "content-encoding"), Some("gzip"));
    assert_eq!(header(&response, "content-type"), Some("application/wasm"));
    assert_eq!(response.bytes().await.unwrap(), GZIP_COPY);
}

#[tokio::test]
async fn a_client_that_accepts_no_encoding_or_asks_for_a_range_gets_the_plain_file() {
    let (app, _dir) = spawn_with_precompressed_files().await;

    for encoding in [None, Some("identity")] {
        let response = get_accepting(&app, WASM, encoding).await;
        assert_eq!(response.status(), 200, "{encoding:?}");
        assert_eq!(header(&response, "content-encoding"), None, "{encoding:?}");
        assert_eq!(header(&response, "content-type"), Some("application/wasm"));
        assert_eq!(response.bytes().await.unwrap(), RAW, "{encoding:?}");
    }

    let range = app
        .client
        .get(app.url(WASM))
        .header("accept-encoding", "br, gzip")
        .header("range", "bytes=0-3")
        .send()
        .await
        .unwrap();
    assert_eq!(range.status(), 206);
    assert_eq!(header(&range, "content-encoding"), None);
    assert_eq!(range.bytes().await.unwrap(), &RAW[..4]);
}

#[tokio::test]
async fn a_file_without_copies_is_sent_plain_not_compressed_on_the_fly() {
    let (app, _dir) = spawn_with_precompressed_files().await;

    let response = get_accepting(&app, "/robots.txt", Some("br, gzip")).await;

    assert_eq!(response.status(), 200);
    assert_eq!(header(&response, "content-encoding"), None);
    assert!(response.text().await.unwrap().starts_with("User-agent: *"));
}

#[tokio::test]
async fn api_answers_and_the_app_page_are_still_compressed_per_response() {
    let (app, _dir) = spawn_with_precompressed_files().await;

    let json = get_accepting(&app, "/api/openapi.json", Some("gzip")).await;
    assert_eq!(json.status(), 200);
    assert_eq!(header(&json, "content-encoding"), Some("gzip"));
    assert!(header(&json, "content-type").is_some_and(|t| t.starts_with("application/json")));
    let spec: serde_json::Value = serde_json::from_slice(&ungzip(&json.bytes().await.unwrap()))
        .expect("the gzip body is the OpenAPI document");
    assert!(spec["paths"].is_object());

    for path in ["/", "/needs", "/designs/open-microscope"] {
        let page = get_accepting(&app, path, Some("gzip")).await;
        assert_eq!(page.status(), 200, "{path}");
        assert_eq!(header(&page, "content-encoding"), Some("gzip"), "{path}");
        assert_eq!(header(&page, "cache-control"), Some("no-cache"), "{path}");
        let html = ungzip(&page.bytes().await.unwrap());
        assert_eq!(String::from_utf8(html).unwrap(), INDEX, "{path}");
    }
}

fn ungzip(bytes: &[u8]) -> Vec<u8> {
    use std::io::Read;
    let mut out = Vec::new();
    flate2::read::GzDecoder::new(bytes)
        .read_to_end(&mut out)
        .expect("a gzip body");
    out
}
