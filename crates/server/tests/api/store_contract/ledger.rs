//! Ledgers: opened once in one currency; entries numbered and hash-chained
//! as they are appended; a correction replaces an entry once; equations are
//! versioned, budgets replaced per year. (What is owed is in `owed.rs`.)

use stigmergy_core::ledger::BudgetLine;
use stigmergy_core::ledger::{
    self, GENESIS, LedgerAction, LedgerEntry, LedgerInput, TREASURY, ValueEquation,
};
use stigmergy_core::unit::to_milli;
use stigmergy_server::demo;
use stigmergy_server::store::{Backend, LedgerReads, Ledgers, SqlStore, StoreError, StoreResult};

use super::{TestDb, agent, demo_store, import_buyers_and_funders, now};

contract!(
    a_ledger_opens_once_in_one_currency,
    entries_are_numbered_and_hash_chained_as_they_are_appended,
    a_correction_replaces_an_entry_once,
    equations_are_versioned_and_budgets_replaced_per_year,
);

pub(super) const OHA: &str = "open-hardware-africa";
pub(super) const STEWARD: &str = "amara-okafor";

/// Records `input` in `coalition`'s ledger as its steward would, now: the
/// suite's one call of `record_entry` (checked against the currency first,
/// as the API does before it calls the store).
pub(super) async fn record(
    store: &SqlStore,
    coalition: &str,
    input: LedgerInput,
) -> StoreResult<LedgerEntry> {
    let coalition = agent(coalition);
    let currency = store.ledger_currency(&coalition).await?;
    input.validate(&currency).map_err(StoreError::Invalid)?;
    store
        .record_entry(&coalition, input, Some(&agent(STEWARD)), now())
        .await
}

/// An entry of `quantity` `unit` of `resource`.
pub(super) fn entry(
    action: LedgerAction,
    (provider, receiver): (&str, &str),
    (quantity, unit, resource): (f64, &str, &str),
    category: &str,
) -> LedgerInput {
    LedgerInput {
        action,
        provider: provider.into(),
        receiver: receiver.into(),
        resource: resource.into(),
        quantity,
        unit: unit.into(),
        category: category.into(),
        note: String::new(),
        corrects: None,
        claim: None,
        settles: None,
        event: None,
    }
}

/// Money, in US dollars (the Open Hardware Africa Coalition's currency).
pub(super) fn dollars(provider: &str, receiver: &str, amount: f64, category: &str) -> LedgerInput {
    entry(
        LedgerAction::Transfer,
        (provider, receiver),
        (amount, "USD", "USD"),
        category,
    )
}

/// Hours of work or machine use given to the coalition.
pub(super) fn hours(action: LedgerAction, who: &str, hours: f64, skill: &str) -> LedgerInput {
    entry(action, (who, TREASURY), (hours, "h", skill), "production")
}

/// The demo coalition's value equation: 55% of each sale to contributors,
/// 10% to the commons fund, a fee of 0.25 a piece.
pub(super) fn equation() -> ValueEquation {
    let seed = demo::accounts::seed().unwrap();
    let books = seed
        .coalitions
        .iter()
        .find(|c| c.coalition.as_str() == OHA)
        .unwrap();
    ValueEquation {
        version: 0,
        weights: books.equation.weights.clone(),
        contributors_share: books.equation.contributors_share,
        commons_share: books.equation.commons_share,
        reciprocity_fee: books.equation.reciprocity_fee,
        note: books.equation.note.clone(),
        set_by: None,
        set_at: None,
    }
}

/// The demo commons, the buyers and funders the demo accounts deal with,
/// and the coalition's ledger open in USD under its value equation.
pub(super) async fn books(backend: Backend) -> (SqlStore, TestDb) {
    let (store, db, _) = demo_store(backend).await;
    import_buyers_and_funders(&store).await;
    let coalition = agent(OHA);
    store.open_ledger(&coalition, "USD", now()).await.unwrap();
    store
        .set_value_equation(&coalition, equation(), &agent(STEWARD), now())
        .await
        .unwrap();
    (store, db)
}

/// The whole chain, in order.
pub(super) async fn chain(store: &SqlStore, coalition: &str) -> Vec<LedgerEntry> {
    let coalition = agent(coalition);
    let head = store.ledger_head(&coalition).await.unwrap();
    store
        .ledger_run(&coalition, 0, head.seq, 1000)
        .await
        .unwrap()
}

/// Whether `result` was refused for `field`, saying `says`.
pub(super) fn invalid_at(result: &StoreResult<LedgerEntry>, field: &str, says: &str) -> bool {
    matches!(result, Err(StoreError::Invalid(f)) if f.get(field).is_some_and(|m| m.contains(says)))
}

async fn a_ledger_opens_once_in_one_currency(backend: Backend) {
    let (store, _db, _) = demo_store(backend).await;
    let coalition = agent(OHA);
    assert!(matches!(
        store.ledger_currency(&coalition).await,
        Err(StoreError::NotFound)
    ));
    assert!(matches!(
        store.ledger_head(&coalition).await,
        Err(StoreError::NotFound)
    ));

    let lower = store.open_ledger(&coalition, "usd", now()).await;
    let person = store.open_ledger(&agent(STEWARD), "USD", now()).await;
    store.open_ledger(&coalition, "USD", now()).await.unwrap();
    let again = store.open_ledger(&coalition, "EUR", now()).await;

    assert!(matches!(lower, Err(StoreError::Invalid(f)) if f.get("currency").is_some()));
    assert!(matches!(person, Err(StoreError::NotFound)), "{person:?}");
    assert!(
        matches!(&again, Err(StoreError::Conflict(m)) if m.contains("USD")),
        "{again:?}"
    );
    assert_eq!(store.ledger_currency(&coalition).await.unwrap(), "USD");
    let head = store.ledger_head(&coalition).await.unwrap();
    assert_eq!((head.seq, head.hash.as_str()), (0, GENESIS));
    assert!(store.value_equations(&coalition).await.unwrap().is_empty());
    assert!(store.owed(&coalition).await.unwrap().is_empty());
    assert!(matches!(
        store.owed(&agent("andes-commons")).await,
        Err(StoreError::NotFound)
    ));
}

async fn entries_are_numbered_and_hash_chained_as_they_are_appended(backend: Backend) {
    let (store, _db) = books(backend).await;
    let month = [
        dollars("komfo-anokye-hospital", TREASURY, 2400.0, "sale"),
        dollars("kamukunji-metal-coop", TREASURY, 50.0, "membership"),
        hours(LedgerAction::Work, "grace-wanjiru", 28.0, "welding"),
        hours(LedgerAction::Use, "suame-agro-works", 20.0, "welding"),
        dollars(TREASURY, "table-bay-steel", 1150.0, "materials"),
    ];

    let mut recorded = Vec::new();
    for input in month {
        recorded.push(record(&store, OHA, input).await.unwrap());
    }

    let mut prev = GENESIS.to_owned();
    for (i, entry) in recorded.iter().enumerate() {
        assert_eq!(entry.seq, i as u64 + 1);
        assert_eq!(entry.prev_hash, prev, "entry {} links back", entry.seq);
        assert_eq!(entry.hash, entry.compute_hash());
        assert_eq!(entry.recorded_by.as_deref(), Some(STEWARD));
        prev = entry.hash.clone();
    }
    let coalition = agent(OHA);
    let head = store.ledger_head(&coalition).await.unwrap();
    assert_eq!((head.seq, head.hash.as_str()), (5, prev.as_str()));
    let stored = chain(&store, OHA).await;
    assert_eq!(stored, recorded, "read back exactly");
    let verification = ledger::verify(&stored);
    assert!(verification.valid, "{verification:?}");
    assert_eq!((verification.entries, verification.head), (5, prev));
    assert_eq!(
        store.ledger_entry(&coalition, 3).await.unwrap(),
        recorded[2]
    );
    assert!(matches!(
        store.ledger_entry(&coalition, 6).await,
        Err(StoreError::NotFound)
    ));

    // Refused entries take no number.
    let stranger = record(
        &store,
        OHA,
        dollars("nobody-we-know", TREASURY, 10.0, "donation"),
    )
    .await;
    let no_books = record(
        &store,
        "andes-commons",
        dollars(TREASURY, "milpa-libre", 10.0, "payout"),
    )
    .await;
    assert!(
        invalid_at(&stranger, "provider", "nobody-we-know"),
        "{stranger:?}"
    );
    assert!(
        matches!(no_books, Err(StoreError::NotFound)),
        "{no_books:?}"
    );
    assert_eq!(store.ledger_head(&coalition).await.unwrap(), head);
}

async fn a_correction_replaces_an_entry_once(backend: Backend) {
    let (store, _db) = books(backend).await;
    let grant = |amount| {
        dollars(
            "east-africa-health-innovation-fund",
            TREASURY,
            amount,
            "grant",
        )
    };
    record(&store, OHA, grant(6000.0)).await.unwrap();
    let wrong = record(
        &store,
        OHA,
        dollars("savanna-farmers-union", TREASURY, 165.0, "sale"),
    )
    .await
    .unwrap();

    let fix = LedgerInput {
        corrects: Some(wrong.seq),
        note: "The seeders sold for 1,650, not 165.".into(),
        ..dollars("savanna-farmers-union", TREASURY, 1650.0, "sale")
    };
    let fixed = record(&store, OHA, fix.clone()).await.unwrap();
    let twice = record(&store, OHA, fix).await;
    let missing = record(
        &store,
        OHA,
        LedgerInput {
            corrects: Some(99),
            ..grant(1.0)
        },
    )
    .await;

    assert_eq!((fixed.seq, fixed.corrects), (3, Some(wrong.seq)));
    assert!(
        invalid_at(
            &twice,
            "corrects",
            &format!("already corrected by entry {}", fixed.seq)
        ),
        "{twice:?}"
    );
    assert!(
        invalid_at(&missing, "corrects", "no entry 99"),
        "{missing:?}"
    );
    let coalition = agent(OHA);
    let head = store.ledger_head(&coalition).await.unwrap();
    assert_eq!(head.seq, 3, "the refused corrections took no number");
    let totals = store.ledger_totals(&coalition, &head).await.unwrap();
    assert!(totals.is_corrected(wrong.seq));
    assert_eq!(
        totals.balances().get(TREASURY),
        Some(&to_milli(6000.0 + 1650.0)),
        "the corrected entry no longer counts"
    );
    let page = store
        .ledger_page(&coalition, &Default::default(), None, 10)
        .await
        .unwrap();
    assert_eq!(page.corrected_by, [(wrong.seq, fixed.seq)]);
}

async fn equations_are_versioned_and_budgets_replaced_per_year(backend: Backend) {
    let (store, _db) = books(backend).await;
    let coalition = agent(OHA);
    let steward = agent("grace-wanjiru");
    let at = now();
    let fairer = ValueEquation {
        commons_share: 0.15,
        note: "A larger share for the commons fund from next quarter.".into(),
        ..equation()
    };

    let set = store
        .set_value_equation(&coalition, fairer, &steward, at)
        .await
        .unwrap();

    assert_eq!(set.version, 2);
    assert_eq!(
        (set.set_by, set.set_at),
        (Some(steward.clone()), Some(at.into()))
    );
    let versions = store.value_equations(&coalition).await.unwrap();
    let numbers: Vec<_> = versions.iter().map(|v| v.version).collect();
    assert_eq!(numbers, [2, 1], "newest first");
    assert_eq!(
        (versions[0].commons_share, versions[1].commons_share),
        (0.15, 0.1)
    );

    let line = |year, direction: &str, category: &str, amount| BudgetLine {
        year,
        direction: direction.into(),
        category: category.into(),
        amount,
    };
    let draft = [
        line(2026, "income", "sale", 52_000.0),
        line(2026, "spending", "materials", 14_000.0),
        line(2026, "income", "grant", 24_000.0),
    ];
    let agreed = [
        line(2026, "spending", "payout", 28_000.5),
        line(2026, "income", "sale", 55_000.125),
    ];
    store.set_budget(&coalition, 2026, &draft).await.unwrap();
    store.set_budget(&coalition, 2026, &agreed).await.unwrap();
    store
        .set_budget(
            &coalition,
            2027,
            &[line(2027, "income", "membership", 1_800.0)],
        )
        .await
        .unwrap();

    assert_eq!(
        store.budget(&coalition).await.unwrap(),
        [
            line(2026, "income", "sale", 55_000.125),
            line(2026, "spending", "payout", 28_000.5),
            line(2027, "income", "membership", 1_800.0),
        ],
        "the year replaced, by year, direction and category"
    );
    assert!(matches!(
        store
            .set_budget(&agent("andes-commons"), 2026, &agreed)
            .await,
        Err(StoreError::NotFound)
    ));
    let ids: Vec<String> = ["samuel-mensah", "no-such-agent", "grace-wanjiru"]
        .map(String::from)
        .to_vec();
    assert_eq!(
        store.agent_names(&ids).await.unwrap(),
        [
            ("grace-wanjiru".to_owned(), "Grace Wanjiru".to_owned()),
            ("samuel-mensah".to_owned(), "Samuel Mensah".to_owned()),
        ]
    );
}
