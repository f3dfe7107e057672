//! What is owed: a sale makes its shares owed under the value equation, a
//! claim on a Peer Production License design by a maker outside the
//! coalition a reciprocity fee; payments settle no more than is
//! outstanding, nothing settles what is void, and the totals per creditor
//! agree with the rows.

use std::collections::BTreeMap;

use stigmergy_core::ClaimAction;
use stigmergy_core::ledger::{
    self, COMMONS_FUND, LedgerAction, LedgerInput, LedgerTotals, Owed, TREASURY,
};
use stigmergy_core::unit::{from_milli, to_milli};
use stigmergy_server::store::{Backend, LedgerReads, Ledgers};

use super::agent;
use super::claims::{act, claim};
use super::ledger::{OHA, books, chain, dollars, equation, hours, invalid_at, record};
use super::needs::{declare, design_need, place};

contract!(
    a_sale_makes_its_shares_owed_and_no_more_than_is_owed_is_settled,
    an_outsiders_claim_on_a_ppl_design_owes_the_reciprocity_fee,
);

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
