//! Importing bundles of agents, designs and accounts, and the demo commons:
//! kept in `demo/commons.json`, embedded in the binary, and loaded through
//! the same import path as any other bundle.

use stigmergy_core::{FieldErrors, ImportBundle};

use crate::auth::password;
use crate::store::{ImportReport, ImportedAccount, Store, StoreError, StoreResult};

const DEMO_COMMONS: &str = include_str!("../../../demo/commons.json");

/// The embedded demo bundle.
pub fn bundle() -> anyhow::Result<ImportBundle> {
    Ok(serde_json::from_str(DEMO_COMMONS)?)
}

/// Adds a bundle, all or nothing; account passwords are hashed first.
pub async fn import(store: &dyn Store, bundle: &ImportBundle) -> StoreResult<ImportReport> {
    let mut errors = FieldErrors::new();
    for (i, account) in bundle.accounts.iter().enumerate() {
        if let Err(e) = account.validate() {
            errors.merge_under(&format!("accounts[{i}]"), e);
        }
    }
    if !errors.is_empty() {
        return Err(StoreError::Invalid(errors));
    }
    let inputs = bundle.accounts.clone();
    let accounts = tokio::task::spawn_blocking(move || {
        inputs
            .into_iter()
            .map(|account| {
                Ok(ImportedAccount {
                    password_hash: password::hash(&account.password)?,
                    agent: account.agent,
                    email: account.email,
                })
            })
            .collect::<anyhow::Result<Vec<_>>>()
    })
    .await
    .map_err(|e| StoreError::Other(e.into()))??;
    store.import(bundle, &accounts).await
}

/// Loads the demo commons when the database holds no design yet.
pub async fn load_if_empty(store: &dyn Store) -> anyhow::Result<Option<ImportReport>> {
    if store.count_designs().await? > 0 {
        return Ok(None);
    }
    let report = import(store, &bundle()?)
        .await
        .map_err(|e| anyhow::anyhow!("cannot load the demo commons: {e:?}"))?;
    Ok(Some(report))
}
