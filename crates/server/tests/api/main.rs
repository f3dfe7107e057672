//! API tests: the real server on 127.0.0.1:0, real HTTP, a fresh database per
//! test. Also the store contract suite, run against SQLite and PostgreSQL.

mod auth;
mod authorization;
mod bounded;
mod bounded_reads;
mod coalition_asks;
mod design_writes;
mod designs;
mod health;
mod helpers;
mod idempotency;
mod ledger;
mod ledger_reads;
mod ledger_rules;
mod limits;
mod live;
mod needs;
mod numbers;
mod openapi;
mod organizations;
mod own_account;
mod races;
mod store_contract;
mod web;
