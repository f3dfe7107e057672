//! Importing bundles of agents, designs and accounts, and the demo commons:
//! kept in `demo/commons.json`, embedded in the binary, and loaded through
//! the same import path as any other bundle. The demo's activity (needs,
//! capacity, claims in every state) is in `demo/activity.json`, with dates
//! relative to the first start, and goes through the same store calls the
//! API makes, so a confirmed claim records its events like any other. The
//! coalitions' year of open accounts is in `demo/accounts.json` (see
//! [`accounts`]).

use chrono::{DateTime, Duration, SubsecRound, Utc};
use serde::Deserialize;
use stigmergy_core::{
    AgentId, CapacityInput, ClaimAction, ClaimState, DesignId, FieldErrors, ImportBundle,
    NeedInput, Place, ProcessKind, Quantity,
};

pub mod accounts;

use crate::auth::password;
use crate::store::{ImportReport, ImportedAccount, Store, StoreError, StoreResult};

const DEMO_COMMONS: &str = include_str!("../../../../demo/commons.json");
const DEMO_ACTIVITY: &str = include_str!("../../../../demo/activity.json");

/// Needs, capacity and claims, dated relative to when they are loaded.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Activity {
    pub needs: Vec<NeedSeed>,
    pub capacities: Vec<CapacitySeed>,
    pub claims: Vec<ClaimSeed>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NeedSeed {
    /// What claims call the need by.
    pub key: String,
    #[serde(default)]
    pub design: Option<DesignId>,
    #[serde(default)]
    pub resource: Option<String>,
    pub quantity: Quantity,
    #[serde(default)]
    pub minimum_quantity: Option<f64>,
    pub due_in_days: i64,
    pub place: Place,
    #[serde(default)]
    pub coalition: Option<AgentId>,
    pub receiver: AgentId,
    /// A steward of the receiver, when it is an organization.
    #[serde(default)]
    pub declared_by: Option<AgentId>,
    #[serde(default)]
    pub note: String,
    #[serde(default)]
    pub posted_days_ago: i64,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CapacitySeed {
    pub provider: AgentId,
    #[serde(default)]
    pub declared_by: Option<AgentId>,
    pub processes: Vec<ProcessKind>,
    pub materials: Vec<String>,
    pub rate: f64,
    pub radius_km: f64,
    pub place: Place,
    pub note: String,
    pub from_days: i64,
    #[serde(default)]
    pub until_days: Option<i64>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ClaimSeed {
    pub need: String,
    pub provider: AgentId,
    #[serde(default)]
    pub claimed_by: Option<AgentId>,
    pub quantity: f64,
    pub state: ClaimState,
    pub days_ago: i64,
    #[serde(default)]
    pub note: String,
}

/// The embedded demo activity.
pub fn activity() -> anyhow::Result<Activity> {
    Ok(serde_json::from_str(DEMO_ACTIVITY)?)
}

/// What the demo activity added.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize)]
pub struct ActivityReport {
    pub needs: u64,
    pub capacities: u64,
    pub claims: u64,
}

/// Declares the needs and capacity and walks each claim to its state, as
/// if it had happened over the days before `now`.
pub async fn load_activity(
    store: &dyn Store,
    activity: &Activity,
    now: DateTime<Utc>,
) -> anyhow::Result<ActivityReport> {
    let now = now.trunc_subsecs(3);
    let day = |days: i64| Duration::days(days);
    let date = |days: i64| (now + day(days)).format("%Y-%m-%d").to_string();
    let mut ids = std::collections::HashMap::new();
    for seed in &activity.needs {
        let input = NeedInput {
            design: seed.design.clone(),
            resource: seed.resource.clone(),
            quantity: seed.quantity,
            minimum_quantity: seed.minimum_quantity,
            due: date(seed.due_in_days),
            place: seed.place.clone(),
            coalition: seed.coalition.clone(),
            receiver: None,
            note: seed.note.clone(),
        };
        let declared_by = seed.declared_by.as_ref().unwrap_or(&seed.receiver);
        let posted = now - day(seed.posted_days_ago);
        let id = store
            .create_need(&input, &seed.receiver, declared_by, posted)
            .await
            .map_err(|e| anyhow::anyhow!("demo need {}: {e:?}", seed.key))?;
        ids.insert(seed.key.as_str(), id);
    }
    for seed in &activity.capacities {
        let input = CapacityInput {
            provider: None,
            processes: seed.processes.clone(),
            materials: seed.materials.clone(),
            rate: seed.rate,
            available_from: date(seed.from_days),
            available_until: seed.until_days.map(date),
            radius_km: seed.radius_km,
            place: seed.place.clone(),
            note: seed.note.clone(),
        };
        let declared_by = seed.declared_by.as_ref().unwrap_or(&seed.provider);
        store
            .create_capacity(&input, &seed.provider, declared_by, now - day(30))
            .await
            .map_err(|e| anyhow::anyhow!("demo capacity of {}: {e:?}", seed.provider))?;
    }
    // Every claim and each step of its life, at a fraction of the way from
    // when it was made to now, replayed in time order so that events are
    // appended in the order they happened.
    let mut steps: Vec<(DateTime<Utc>, usize, Option<ClaimAction>)> = Vec::new();
    for (i, seed) in activity.claims.iter().enumerate() {
        let made = now - day(seed.days_ago);
        let at = |fraction: f64| {
            made + Duration::seconds((seed.days_ago as f64 * 86_400.0 * fraction) as i64)
        };
        use ClaimAction::*;
        let actions: &[(ClaimAction, f64)] = match seed.state {
            ClaimState::Committed => &[],
            ClaimState::InProgress => &[(Start, 0.2)],
            ClaimState::Delivered => &[(Start, 0.2), (Deliver, 0.7)],
            ClaimState::Confirmed => &[(Start, 0.2), (Deliver, 0.7), (Confirm, 0.85)],
            ClaimState::Declined => &[(Decline, 0.5)],
            ClaimState::Withdrawn => &[(Withdraw, 0.5)],
        };
        steps.push((made, i, None));
        steps.extend(actions.iter().map(|(action, f)| (at(*f), i, Some(*action))));
    }
    steps.sort_by_key(|(at, i, action)| (*at, *i, action.is_some()));
    let mut claim_ids = vec![0; activity.claims.len()];
    for (at, i, action) in steps {
        let seed = &activity.claims[i];
        let failed = |e: StoreError| anyhow::anyhow!("demo claim on {}: {e:?}", seed.need);
        match action {
            None => {
                let need = *ids
                    .get(seed.need.as_str())
                    .ok_or_else(|| anyhow::anyhow!("demo claim on unknown need {}", seed.need))?;
                let claimed_by = seed.claimed_by.as_ref().unwrap_or(&seed.provider);
                claim_ids[i] = store
                    .create_claim(
                        need,
                        &seed.provider,
                        claimed_by,
                        stigmergy_core::unit::to_milli(seed.quantity),
                        &seed.note,
                        at,
                    )
                    .await
                    .map_err(failed)?;
            }
            Some(action) => {
                store
                    .act_on_claim(claim_ids[i], action, at)
                    .await
                    .map_err(failed)?;
            }
        }
    }
    Ok(ActivityReport {
        needs: activity.needs.len() as u64,
        capacities: activity.capacities.len() as u64,
        claims: activity.claims.len() as u64,
    })
}

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

/// The demo accounts that still sign in with the password the README
/// prints: while there is one, anyone can act as it, so the server warns
/// and every page says it is a demo portal.
pub async fn open_demo_accounts(store: &dyn Store) -> anyhow::Result<Vec<String>> {
    let mut open = Vec::new();
    for account in bundle()?.accounts {
        let Some(secret) = store.account_for_login(account.agent.as_str()).await? else {
            continue;
        };
        let hash = secret.password_hash;
        let known =
            tokio::task::spawn_blocking(move || password::verify(&account.password, &hash)).await?;
        if known {
            open.push(secret.handle.to_string());
        }
    }
    Ok(open)
}

/// Loads the demo commons when the database holds no design yet.
pub async fn load_if_empty(store: &dyn Store) -> anyhow::Result<Option<ImportReport>> {
    if store.count_designs().await? > 0 {
        return Ok(None);
    }
    let report = import(store, &bundle()?)
        .await
        .map_err(|e| anyhow::anyhow!("cannot load the demo commons: {e:?}"))?;
    let now = Utc::now();
    accounts::load(store, &accounts::seed()?, now)
        .await
        .map_err(|e| anyhow::anyhow!("cannot load the demo accounts: {e:?}"))?;
    load_activity(store, &activity()?, now)
        .await
        .map_err(|e| anyhow::anyhow!("cannot load the demo activity: {e}"))?;
    Ok(Some(report))
}
