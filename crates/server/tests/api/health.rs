use stigmergy_server::store::Backend;

use crate::helpers::{Seed, TestApp, both_stores};

both_stores!(health_reports_ok_and_the_database_backend,);

async fn health_reports_ok_and_the_database_backend(backend: Backend) {
    let app = TestApp::for_backend(backend, Seed::Empty).await;

    let body = app.get_json("/api/health", 200).await;

    assert_eq!(body["status"], "ok");
    let expected = match backend {
        Backend::Sqlite => "sqlite",
        Backend::Postgres => "postgres",
    };
    assert_eq!(body["database"], expected);
}

#[tokio::test]
async fn a_new_sqlite_database_gets_its_folder_created() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("data/nested/stigmergy.db");
    let url = format!("sqlite://{}", file.display());

    let store = stigmergy_server::store::connect(&url)
        .await
        .expect("the store opens");

    store.health().await.unwrap();
    assert!(file.is_file());
}
