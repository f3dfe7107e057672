//! Ledgers: opened once in one currency; entries numbered and hash-chained
//! as they are appended; a correction replaces an entry once; a sale makes
//! its shares owed under the value equation and a claim on a Peer
//! Production License design by an outsider a reciprocity fee; nothing is
//! settled beyond what is owed; equations are versioned, budgets replaced
//! per year.

use std::collections::BTreeMap;

use stigmergy_core::ClaimAction;
use stigmergy_core::ledger::{
    self, COMMONS_FUND, GENESIS, LedgerAction, LedgerEntry, LedgerInput, LedgerTotals, Owed,
    TREASURY, ValueEquation,
};
use stigmergy_core::need::{from_milli, to_milli};
use stigmergy_server::demo;
use stigmergy_server::store::{
    Backend, BudgetLine, LedgerReads, Ledgers, SqlStore, StoreError, StoreResult,
};

use super::claims::{act, claim};
use super::needs::{declare, design_need, place};
use super::{TestDb, agent, demo_store, import_buyers_and_funders, now};

contract!(
    a_ledger_opens_once_in_one_currency,
    entries_are_numbered_and_hash_chained_as_they_are_appended,
    a_correction_replaces_an_entry_once,
    a_sale_makes_its_shares_owed_and_no_more_than_is_owed_is_settled,
    an_outsiders_claim_on_a_ppl_design_owes_the_reciprocity_fee,
    equations_are_versioned_and_budgets_replaced_per_year,
);

pub(super) const OHA: &str = "open-hardware-africa";
const STEWARD: &str = "amara-okafor";

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

fn invalid_at(result: &StoreResult<LedgerEntry>, field: &str, says: &str) -> bool {
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

/// What is still owed and settled per creditor, over what is not void: what
/// `owed_totals` must agree with.
fn totals_of(owed: &[Owed]) -> Vec<(String, i64, i64)> {
    let mut sums: BTreeMap<String, (i64, i64)> = BTreeMap::new();
    for o in owed.iter().filter(|o| !o.void) {
        let sum = sums.entry(o.creditor.clone()).or_default();
        sum.0 += to_milli(o.amount);
        sum.1 += to_milli(o.settled);
    }
    sums.into_iter().map(|(c, (a, s))| (c, a, s)).collect()
}

async fn a_sale_makes_its_shares_owed_and_no_more_than_is_owed_is_settled(backend: Backend) {
    let (store, _db) = books(backend).await;
    let coalition = agent(OHA);
    record(
        &store,
        OHA,
        hours(LedgerAction::Work, "grace-wanjiru", 28.0, "welding"),
    )
    .await
    .unwrap();
    record(
        &store,
        OHA,
        hours(LedgerAction::Work, "samuel-mensah", 34.0, "assembly"),
    )
    .await
    .unwrap();
    let before = chain(&store, OHA).await;

    let sale = record(
        &store,
        OHA,
        dollars("komfo-anokye-hospital", TREASURY, 2400.0, "sale"),
    )
    .await
    .unwrap();

    let owed = store.owed(&coalition).await.unwrap();
    let shares = LedgerTotals::of(&before).shares(&equation());
    let mut expected = ledger::split_sale(to_milli(2400.0), &equation(), &shares);
    expected.sort();
    let mut made: Vec<_> = owed
        .iter()
        .map(|o| (o.creditor.clone(), to_milli(o.amount)))
        .collect();
    made.sort();
    assert_eq!(
        made, expected,
        "the split core makes of the shares before the sale"
    );
    assert_eq!(
        made.iter().map(|(_, a)| a).sum::<i64>(),
        to_milli(2400.0 * 0.65),
        "55% to contributors, 10% to the commons fund"
    );
    for o in &owed {
        assert_eq!((o.debtor.as_str(), o.currency.as_str()), (TREASURY, "USD"));
        assert_eq!(
            (o.triggered_by, o.equation_version),
            (Some(sale.seq), Some(1))
        );
        assert_eq!((o.settled, o.void), (0.0, false));
    }
    let grace = owed.iter().find(|o| o.creditor == "grace-wanjiru").unwrap();
    let pay = |amount: f64| LedgerInput {
        settles: Some(grace.id),
        ..dollars(TREASURY, "grace-wanjiru", amount, "payout")
    };

    let cent_more = from_milli(to_milli(grace.amount) + 10);
    let too_much = record(&store, OHA, pay(cent_more)).await;
    let wrong_payee = record(
        &store,
        OHA,
        LedgerInput {
            settles: Some(grace.id),
            ..dollars(TREASURY, "samuel-mensah", 10.0, "payout")
        },
    )
    .await;
    let nothing_owed = record(
        &store,
        OHA,
        LedgerInput {
            settles: Some(9999),
            ..pay(1.0)
        },
    )
    .await;
    record(&store, OHA, pay(500.0)).await.unwrap();
    let rest = from_milli(to_milli(grace.amount) - to_milli(500.0));
    record(&store, OHA, pay(rest)).await.unwrap();
    let after_all = record(&store, OHA, pay(0.01)).await;

    assert!(
        invalid_at(&too_much, "quantity", "outstanding"),
        "{too_much:?}"
    );
    assert!(
        invalid_at(&wrong_payee, "settles", "grace-wanjiru"),
        "{wrong_payee:?}"
    );
    assert!(
        invalid_at(&nothing_owed, "settles", "9999"),
        "{nothing_owed:?}"
    );
    assert!(
        invalid_at(&after_all, "quantity", "Only 0 is outstanding"),
        "{after_all:?}"
    );
    let owed = store.owed(&coalition).await.unwrap();
    let paid = owed.iter().find(|o| o.id == grace.id).unwrap();
    assert_eq!((paid.settled, paid.outstanding()), (grace.amount, 0.0));
    assert_eq!(
        store.owed_totals(&coalition).await.unwrap(),
        totals_of(&owed)
    );

    // The sale corrected away: what it made owed is void, and stays unpaid.
    let void_sale = LedgerInput {
        corrects: Some(sale.seq),
        ..dollars("komfo-anokye-hospital", TREASURY, 0.0, "sale")
    };
    record(&store, OHA, void_sale).await.unwrap();
    let owed = store.owed(&coalition).await.unwrap();
    assert!(owed.iter().all(|o| o.void), "{owed:?}");
    let fund = owed.iter().find(|o| o.creditor == COMMONS_FUND).unwrap();
    let settle_void = LedgerInput {
        settles: Some(fund.id),
        ..dollars(TREASURY, COMMONS_FUND, 1.0, "payout")
    };
    let result = record(&store, OHA, settle_void).await;
    assert!(invalid_at(&result, "settles", "void"), "{result:?}");
    assert!(store.owed_totals(&coalition).await.unwrap().is_empty());
}

async fn an_outsiders_claim_on_a_ppl_design_owes_the_reciprocity_fee(backend: Backend) {
    let (store, _db) = books(backend).await;
    let coalition = agent(OHA);
    let kisumu = place("Kisumu, Kenya", -0.0917, 34.768);
    let mut desks = design_need("school-desk", 120.0, kisumu.clone(), 45);
    desks.coalition = Some(coalition.clone());
    let mut stoves = design_need("rocket-cookstove", 50.0, kisumu, 45);
    stoves.coalition = Some(coalition.clone());
    let desks = declare(&store, &desks, "grace-wanjiru").await;
    let stoves = declare(&store, &stoves, "grace-wanjiru").await;

    let outsider = claim(&store, desks, "eastside-fab-coop", 40.0)
        .await
        .unwrap();
    claim(&store, desks, "kamukunji-metal-coop", 20.0)
        .await
        .unwrap();
    claim(&store, stoves, "eastside-fab-coop", 50.0)
        .await
        .unwrap();

    let owed = store.owed(&coalition).await.unwrap();
    assert_eq!(
        owed.len(),
        1,
        "only the outsider, only the PPL design: {owed:?}"
    );
    let fee = &owed[0];
    assert_eq!(fee.kind, "reciprocity_fee");
    assert_eq!(
        (fee.creditor.as_str(), fee.debtor.as_str()),
        (COMMONS_FUND, "eastside-fab-coop")
    );
    assert_eq!(fee.amount, 40.0 * 0.25);
    assert_eq!((fee.need_claim, fee.triggered_by), (Some(outsider), None));
    assert_eq!((fee.equation_version, fee.void), (Some(1), false));
    assert_eq!(
        store.owed_totals(&coalition).await.unwrap(),
        [(COMMONS_FUND.to_owned(), to_milli(10.0), 0)]
    );

    act(&store, outsider, ClaimAction::Withdraw).await.unwrap();

    assert!(
        store.owed(&coalition).await.unwrap()[0].void,
        "withdrawn: no fee"
    );
    assert!(store.owed_totals(&coalition).await.unwrap().is_empty());
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
