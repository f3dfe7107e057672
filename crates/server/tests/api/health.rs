use crate::helpers::{Seed, TestApp};

#[tokio::test]
async fn health_reports_ok_and_the_database_backend() {
    let app = TestApp::spawn(Seed::Empty).await;

    let body = app.get_json("/api/health", 200).await;

    assert_eq!(body["status"], "ok");
    assert_eq!(body["database"], "sqlite");
}
