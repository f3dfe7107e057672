//! Pages in chunks of their own (src/chunk.rs): a chunk that cannot be
//! fetched shows an error with a retry, inside the shell, and the retry
//! works once the chunk is back.

use std::path::{Path, PathBuf};

use super::*;

/// A copy of the built app, so that a test can take a chunk away.
fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), &target).unwrap();
        }
    }
}

/// The files of the split module `name` (`split_<name>.wasm`, and any
/// precompressed copies) in the hashed app folder of `dist`.
fn split_files(dist: &Path, name: &str) -> Vec<PathBuf> {
    let folder = std::fs::read_dir(dist)
        .unwrap()
        .map(|e| e.unwrap().path())
        .find(|p| {
            p.is_dir()
                && p.file_name()
                    .and_then(|n| n.to_str())
                    .is_some_and(|n| n.starts_with("app-"))
        })
        .expect("the split app's folder (app-<hash>/) in dist: scripts/build-app writes it");
    let stem = format!("split_{name}.wasm");
    let files: Vec<PathBuf> = std::fs::read_dir(folder)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| {
            p.file_name()
                .and_then(|n| n.to_str())
                .is_some_and(|n| n.starts_with(&stem))
        })
        .collect();
    assert!(!files.is_empty(), "no {stem} in the app folder");
    files
}

#[tokio::test]
async fn a_page_whose_code_cannot_be_fetched_offers_a_retry_that_works() {
    let copy = tempfile::tempdir().unwrap();
    copy_dir(&dist(), copy.path());
    let hidden = split_files(copy.path(), "designs");
    // `split_designs.wasm.br` → `split_designs.wasm.br.away`, and back.
    let away = |file: &PathBuf| {
        let mut name = file.clone().into_os_string();
        name.push(".away");
        PathBuf::from(name)
    };
    for file in &hidden {
        std::fs::rename(file, away(file)).unwrap();
    }
    let app = TestApp::spawn_on(
        TestDb::for_backend(Backend::Sqlite).await,
        Seed::Demo,
        copy.path().to_path_buf(),
    )
    .await;
    let (client, _driver) = chromium::session().await;
    let browser = Browser {
        client,
        app,
        _driver,
    };

    // The commons is in the main module; the design pages' chunk is gone.
    browser.goto("/").await;
    let card = browser.find("[data-testid=design-card] h2 a").await;
    let href = card.attr("href").await.unwrap().expect("a design link");
    let name = card.text().await.unwrap();
    card.click().await.unwrap();
    browser.until_path(&href).await;
    let failed = browser.text("[data-testid=page-failed] h1").await;
    assert_eq!(failed, "This page could not be loaded");
    // The shell stays: the header still leads everywhere.
    assert!(browser.shows("header nav a[href='/needs']").await);

    // The chunk is back: the retry loads the page, without a reload.
    for file in &hidden {
        std::fs::rename(away(file), file).unwrap();
    }
    browser.click("[data-testid=page-failed] button").await;
    let title = browser.text("[data-testid=design-title]").await;
    assert_eq!(title, name);
    let url = browser.client.current_url().await.unwrap();
    assert_eq!(url.path(), href);
    browser.close().await;
}
