//! Open accounting: each coalition's ledger of economic events, in money
//! (a currency, the medium of exchange) and in kind (work hours, machine
//! use, materials, design citations).
//!
//! The ledger is append-only: a mistake is fixed by a new entry that
//! `corrects` the old one, which then no longer counts. Balances are derived
//! from the entries in force, never stored. Every entry carries
//! `hash = SHA-256(previous hash ‖ "\n" ‖ canonical form of the entry)`, so
//! anyone holding the export can re-check that no entry was changed,
//! removed or reordered: [`verify`] does it here, on the server and in the
//! browser alike.
//!
//! One file per concept: `chain` (the entries and their hash chain),
//! `input` (what a steward records, and its checks), `equation` (the value
//! equation and how a sale is shared out), `effects` (what a write makes
//! owed or entered: shares, fees, deliveries), `budget`, `accounts` (the coalition's own
//! accounts, balances, flows, what is owed, and the overview), `export`
//! (the downloads) and `totals` (the sums a server folds forward one entry
//! at a time). Everything is re-exported here, so callers name
//! `ledger::LedgerEntry`, `ledger::verify` and so on.

mod accounts;
mod budget;
mod chain;
mod effects;
mod equation;
mod export;
#[cfg(test)]
mod fixtures;
mod input;
mod totals;

pub use accounts::{
    AccountsOverview, AccountsRead, Balance, BudgetActual, COMMONS_FUND, Flows, MAX_BUDGET_LINES,
    Owed, OwedTotal, TREASURY, balances, budget_actuals, flows, is_own,
};
pub use budget::BudgetLine;
pub use chain::{
    GENESIS, LedgerAction, LedgerEntry, LedgerPage, Verification, Verifier, in_force, is_currency,
    verify,
};
pub use effects::{Delivered, NewOwed, OwedKind, owed_after_sale, reciprocity_fee, voiding};
pub use equation::{
    MAX_RECIPROCITY_FEE, MAX_WEIGHTS, Share, ShareLine, ValueEquation, Weight, shares, split_sale,
};
pub use export::{
    CSV_COLUMNS, JSON_LD_CONTEXT, JsonLdAgent, JsonLdContext, JsonLdEvent, JsonLdMeasure,
    JsonLdRef, JsonLdResource, JsonLdUnit, LedgerExport, csv_header, csv_rows, json_ld_event,
};
pub use input::{CATEGORIES, LedgerInput, MAX_ENTRY_QUANTITY, VoidInput};
pub use totals::LedgerTotals;
