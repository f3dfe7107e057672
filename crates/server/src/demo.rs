//! The demo commons, kept in `demo/commons.json` and embedded in the binary,
//! loaded through the same import path as any other bundle.

use stigmergy_core::ImportBundle;

use crate::store::{ImportReport, Store};

const DEMO_COMMONS: &str = include_str!("../../../demo/commons.json");

/// The embedded demo bundle.
pub fn bundle() -> anyhow::Result<ImportBundle> {
    Ok(serde_json::from_str(DEMO_COMMONS)?)
}

/// Loads the demo commons when the database holds no design yet.
pub async fn load_if_empty(store: &dyn Store) -> anyhow::Result<Option<ImportReport>> {
    if store.count_designs().await? > 0 {
        return Ok(None);
    }
    let report = store
        .import(&bundle()?)
        .await
        .map_err(|e| anyhow::anyhow!("cannot load the demo commons: {e:?}"))?;
    Ok(Some(report))
}
