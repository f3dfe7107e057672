//! Headless Chromium under its own chromedriver, and the built app it
//! loads, for the browser tests and the map benchmark: Debian's chromium and
//! chromium-driver, a fresh profile each time, and the flags that keep it
//! off the network.

use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use fantoccini::{Client, ClientBuilder};
use serde_json::json;

const CHROMIUM: &str = "/usr/bin/chromium";
const CHROMEDRIVER: &str = "/usr/bin/chromedriver";
const PATIENCE: Duration = Duration::from_secs(15);

/// The built app: `STIGMERGY_TEST_DIST`, or `dist/` at the workspace root.
pub fn dist() -> PathBuf {
    let dir = std::env::var_os("STIGMERGY_TEST_DIST")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../dist"));
    assert!(
        dir.join("index.html").is_file(),
        "no built app in {}: run scripts/build-app (make test does) before the browser tests",
        dir.display()
    );
    dir
}

/// chromedriver on a free port, stopped when dropped.
pub struct Driver {
    child: Child,
    url: String,
    _profile: tempfile::TempDir,
}

impl Drop for Driver {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Reads chromedriver's start-up lines until it names its port, then keeps
/// draining what it writes so that it never blocks on a full pipe.
fn listening_port(child: &mut Child) -> u16 {
    use std::io::{BufRead, BufReader};
    const STARTED: &str = "started successfully on port ";
    let mut lines = BufReader::new(child.stdout.take().expect("chromedriver's stdout")).lines();
    let mut said = Vec::new();
    let port = loop {
        match lines.next() {
            Some(Ok(line)) => {
                if let Some(rest) = line.split(STARTED).nth(1) {
                    let digits: String = rest.chars().take_while(char::is_ascii_digit).collect();
                    break digits
                        .parse()
                        .unwrap_or_else(|e| panic!("chromedriver's port in {line:?}: {e}"));
                }
                said.push(line);
            }
            Some(Err(e)) => panic!("reading chromedriver's output: {e}"),
            None => panic!("chromedriver stopped before it listened: {said:?}"),
        }
    };
    std::thread::spawn(move || lines.for_each(drop));
    port
}

/// A fresh headless Chromium under its own chromedriver, in a desktop
/// window (1280 × 900; headless Chromium draws no browser chrome, so this
/// is the viewport).
pub async fn session() -> (Client, Driver) {
    window_session(1280, 900).await
}

/// A fresh headless Chromium in a `width` × `height` window (at least
/// 500 px wide: see [`phone_session`] for narrower).
pub async fn window_session(width: u32, height: u32) -> (Client, Driver) {
    start(width, height, json!({})).await
}

/// A fresh headless Chromium that lays pages out as a phone whose screen
/// is `width` × `height` CSS pixels (it reads the viewport meta tag, and
/// its scroll bars take no room). A window cannot be that small: headless
/// Chromium keeps a window at least 500 px wide, whatever `--window-size`
/// says. This emulation reports no layout shifts (a page that moves by
/// 0.26 in a window reports none here).
pub async fn phone_session(width: u32, height: u32) -> (Client, Driver) {
    start(width, height, json!({
        "mobileEmulation": {
            "deviceMetrics": { "width": width, "height": height, "pixelRatio": 2.0, "touch": false }
        }
    }))
    .await
}

/// Chromium with the usual flags and the extra `options`.
async fn start(width: u32, height: u32, options: serde_json::Value) -> (Client, Driver) {
    // chromedriver picks a free port itself and says which: no port is
    // chosen here and handed over, for another test to take in between.
    let mut child = Command::new(CHROMEDRIVER)
        .arg("--port=0")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap_or_else(|e| {
            panic!("cannot start {CHROMEDRIVER} ({e}): make test installs chromium-driver")
        });
    let port = listening_port(&mut child);
    let profile = tempfile::tempdir().unwrap();
    let driver = Driver {
        child,
        url: format!("http://127.0.0.1:{port}"),
        _profile: profile,
    };
    let capabilities = json!({
        "goog:chromeOptions": {
            "binary": CHROMIUM,
            "args": [
                "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                "--disable-background-networking", "--disable-component-update", "--disable-sync",
                "--no-first-run", format!("--window-size={width},{height}"),
                format!("--user-data-dir={}", driver._profile.path().display()),
            ]
        }
    });
    let mut capabilities = capabilities.as_object().unwrap().clone();
    if let (Some(chrome), Some(options)) = (
        capabilities["goog:chromeOptions"].as_object_mut(),
        options.as_object(),
    ) {
        chrome.extend(options.clone());
    }
    let started = Instant::now();
    let client = loop {
        let connector = hyper_util::client::legacy::connect::HttpConnector::new();
        match ClientBuilder::new(connector)
            .capabilities(capabilities.clone())
            .connect(&driver.url)
            .await
        {
            Ok(client) => break client,
            Err(_) if started.elapsed() < PATIENCE => {
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
            Err(e) => panic!("chromedriver did not start a Chromium session: {e}"),
        }
    };
    (client, driver)
}
