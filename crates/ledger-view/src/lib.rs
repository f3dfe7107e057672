//! The accounts page as its own wasm module. The main app's route loads it
//! (with Chart.js) only when someone opens a coalition's accounts, and calls
//! [`mount`] with the element to draw in, so what the page costs stays out
//! of the bundle every other page loads. Most of the page never changes once
//! drawn, so it is written as markup (everything from data escaped); the
//! Verify button re-checks the ledger's hash chain here with the same code
//! the server runs (`stigmergy_core::ledger::verify`), and the ledger is
//! fetched a page at a time as the reader filters and asks for more.
//!
//! - `mount`: the entry, the page's events, and redrawing it;
//! - `http`: every request, in the core's wire types;
//! - `draw/`: the page's markup and charts, one file per part;
//! - `forms/`: the stewards' forms (record an entry, set the value
//!   equation, void a contribution);
//! - `ledger`: paging and filtering the ledger; `verify`: the Verify button;
//! - `format`: numbers, money and account names as people read them;
//! - `page`: what the page keeps between events, and finding its elements.

mod draw;
mod format;
mod forms;
mod http;
mod js;
mod ledger;
mod mount;
mod page;
mod verify;

pub use mount::{Page, mount};
