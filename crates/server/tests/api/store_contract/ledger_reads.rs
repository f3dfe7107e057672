//! Reading a ledger in bounded pieces: pages newest first whose filters
//! agree with the entries, runs in chain order that verify, one entry, the
//! agents named, and sums per head that agree with a fold over the whole
//! chain.

use std::collections::BTreeSet;

use stigmergy_core::ledger::{
    self, LedgerAction, LedgerEntry, LedgerInput, LedgerTotals, TREASURY, Verifier,
};
use stigmergy_server::store::{Backend, EntryFilter, LedgerReads, SqlStore};

use super::agent;
use super::ledger::{OHA, books, chain, dollars, entry, equation, hours, record};

contract!(
    pages_run_newest_first_and_their_filters_agree_with_the_entries,
    runs_read_the_chain_in_order_and_it_verifies,
    the_sums_at_a_head_agree_with_a_fold_over_the_chain,
);

/// A month of the coalition's accounts, as in the demo: sales, a grant,
/// membership fees, purchases, work, machine use, a citation and materials
/// given.
fn a_month() -> Vec<LedgerInput> {
    vec![
        dollars("komfo-anokye-hospital", TREASURY, 2400.0, "sale"),
        dollars("nairobi-county-health", TREASURY, 3100.0, "sale"),
        dollars(
            "east-africa-health-innovation-fund",
            TREASURY,
            6000.0,
            "grant",
        ),
        dollars("kamukunji-metal-coop", TREASURY, 50.0, "membership"),
        dollars("kampala-solar-works", TREASURY, 50.0, "membership"),
        dollars(TREASURY, "table-bay-steel", 1150.0, "materials"),
        dollars(TREASURY, "huaqiang-open-electronics", 380.0, "tools"),
        dollars(TREASURY, "kamukunji-metal-coop", 300.0, "space"),
        hours(LedgerAction::Work, "amara-okafor", 22.0, "coordination"),
        hours(LedgerAction::Work, "grace-wanjiru", 28.0, "welding"),
        hours(
            LedgerAction::Work,
            "hana-yusuf",
            18.0,
            "electronics-assembly",
        ),
        hours(
            LedgerAction::Use,
            "kamukunji-metal-coop",
            26.0,
            "cnc-routing",
        ),
        entry(
            LedgerAction::Cite,
            ("amara-okafor", TREASURY),
            (12.0, "piece", "flexure-microscope"),
            "design",
        ),
        entry(
            LedgerAction::Transfer,
            ("table-bay-steel", TREASURY),
            (60.0, "kg", "Mild steel offcuts"),
            "materials",
        ),
    ]
}

async fn books_with_a_month(backend: Backend) -> (SqlStore, crate::helpers::TestDb) {
    let (store, db) = books(backend).await;
    for input in a_month() {
        record(&store, OHA, input).await.unwrap();
    }
    (store, db)
}

/// Which entries a filter should let through.
type Keeps = Box<dyn Fn(&LedgerEntry) -> bool>;

/// Every entry `filter` lets through, page after page of `limit`.
async fn every_page(store: &SqlStore, filter: &EntryFilter, limit: u32) -> Vec<LedgerEntry> {
    let coalition = agent(OHA);
    let mut entries = Vec::new();
    let mut before = None;
    loop {
        let page = store
            .ledger_page(&coalition, filter, before, limit)
            .await
            .unwrap();
        assert!(page.items.len() <= limit as usize);
        entries.extend(page.items);
        match page.next {
            Some(next) => before = Some(next),
            None => {
                assert_eq!(page.total as usize, entries.len(), "{filter:?}");
                break;
            }
        }
    }
    entries
}

async fn pages_run_newest_first_and_their_filters_agree_with_the_entries(backend: Backend) {
    let (store, _db) = books_with_a_month(backend).await;
    let all = chain(&store, OHA).await;
    assert_eq!(all.len(), a_month().len());

    let paged = every_page(&store, &EntryFilter::default(), 4).await;

    let mut newest_first = all.clone();
    newest_first.reverse();
    assert_eq!(paged, newest_first);
    let seqs = |entries: &[LedgerEntry]| entries.iter().map(|e| e.seq).collect::<BTreeSet<_>>();
    let filters: Vec<(EntryFilter, Keeps)> = vec![
        (
            EntryFilter {
                action: Some(LedgerAction::Work),
                ..EntryFilter::default()
            },
            Box::new(|e| e.action == LedgerAction::Work),
        ),
        (
            EntryFilter {
                money: Some(true),
                ..EntryFilter::default()
            },
            Box::new(LedgerEntry::is_money),
        ),
        (
            EntryFilter {
                money: Some(false),
                ..EntryFilter::default()
            },
            Box::new(|e| !e.is_money()),
        ),
        (
            EntryFilter {
                category: Some("materials".into()),
                ..EntryFilter::default()
            },
            Box::new(|e| e.category == "materials"),
        ),
        (
            EntryFilter {
                account: Some("kamukunji-metal-coop".into()),
                money: Some(true),
                ..EntryFilter::default()
            },
            Box::new(|e| {
                e.is_money()
                    && (e.provider == "kamukunji-metal-coop"
                        || e.receiver == "kamukunji-metal-coop")
            }),
        ),
    ];
    for (filter, keeps) in filters {
        let expected: Vec<_> = all.iter().filter(|e| keeps(e)).cloned().collect();
        assert!(!expected.is_empty(), "{filter:?} matches something");
        let found = every_page(&store, &filter, 2).await;
        assert_eq!(seqs(&found), seqs(&expected), "{filter:?}");
        assert!(
            found.windows(2).all(|w| w[0].seq > w[1].seq),
            "newest first"
        );
    }
    let named: Vec<_> = store
        .ledger_agent_names(&agent(OHA))
        .await
        .unwrap()
        .into_iter()
        .map(|(id, _)| id)
        .collect();
    let mut expected: Vec<_> = all
        .iter()
        .flat_map(|e| [e.provider.clone(), e.receiver.clone()])
        .filter(|a| !a.starts_with('@'))
        .collect::<BTreeSet<_>>()
        .into_iter()
        .collect();
    expected.sort();
    assert_eq!(named, expected, "its own accounts left out");
}

async fn runs_read_the_chain_in_order_and_it_verifies(backend: Backend) {
    let (store, _db) = books_with_a_month(backend).await;
    let coalition = agent(OHA);
    let head = store.ledger_head(&coalition).await.unwrap();

    let mut verifier = Verifier::new();
    let mut read = Vec::new();
    let mut after = 0;
    while after < head.seq {
        let run = store
            .ledger_run(&coalition, after, head.seq, 4)
            .await
            .unwrap();
        assert!(!run.is_empty() && run.len() <= 4);
        assert!(run.iter().all(|e| verifier.check(e)));
        after = run.last().map_or(head.seq, |e| e.seq);
        read.extend(run);
    }

    let verification = verifier.finish();
    assert!(verification.valid, "{verification:?}");
    assert_eq!(verification.head, head.hash);
    assert_eq!(verification, ledger::verify(&read));
    assert_eq!(
        read.iter().map(|e| e.seq).collect::<Vec<_>>(),
        (1..=head.seq).collect::<Vec<_>>()
    );
    let middle = store.ledger_run(&coalition, 2, 5, 100).await.unwrap();
    assert_eq!(middle, read[2..5], "after 2, through 5");
    assert_eq!(store.ledger_entry(&coalition, 7).await.unwrap(), read[6]);
}

async fn the_sums_at_a_head_agree_with_a_fold_over_the_chain(backend: Backend) {
    let (store, _db) = books_with_a_month(backend).await;
    let coalition = agent(OHA);
    let head = store.ledger_head(&coalition).await.unwrap();

    let cached = store.ledger_totals(&coalition, &head).await.unwrap();
    let again = store.ledger_totals(&coalition, &head).await.unwrap();

    let fold = LedgerTotals::of(&chain(&store, OHA).await);
    assert_eq!(*cached, fold);
    assert_eq!(*again, fold);
    assert_eq!(
        (cached.seq(), cached.head()),
        (head.seq, head.hash.as_str())
    );
    assert_eq!(
        cached.balances().values().sum::<i64>(),
        0,
        "every payment leaves one account for another"
    );
    let shares = cached.shares(&equation());
    let total: f64 = shares.iter().map(|s| s.share).sum();
    assert!((total - 1.0).abs() < 1e-9, "{total}");

    // A new entry moves the head; the sums there include it.
    record(
        &store,
        OHA,
        dollars("kampala-solar-works", TREASURY, 75.0, "donation"),
    )
    .await
    .unwrap();
    let moved = store.ledger_head(&coalition).await.unwrap();
    let totals = store.ledger_totals(&coalition, &moved).await.unwrap();
    assert_eq!(moved.seq, head.seq + 1);
    assert_eq!(*totals, LedgerTotals::of(&chain(&store, OHA).await));
    assert_ne!(totals.balances(), cached.balances());
}
