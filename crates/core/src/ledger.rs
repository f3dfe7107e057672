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

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::unit::to_milli;
use crate::{Bounds, FieldErrors, Milli, Timestamp};

mod totals;
pub use totals::LedgerTotals;

/// The coalition's own money account.
pub const TREASURY: &str = "@treasury";
/// What the commons' contributors are owed as a whole: reciprocity fees and
/// the commons' share of sales go here.
pub const COMMONS_FUND: &str = "@commons-fund";
/// The hash before the first entry.
pub const GENESIS: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// What an entry records (ValueFlows actions).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum LedgerAction {
    /// Money, material or goods changing hands.
    Transfer,
    /// Goods made (the resource is the design or what was made).
    Produce,
    /// Hours of work (the resource is the skill or process).
    Work,
    /// Hours of a machine (the resource is the process).
    Use,
    /// A design cited by what was made and sold (the resource is the design).
    Cite,
}

impl LedgerAction {
    pub const ALL: [LedgerAction; 5] = [
        LedgerAction::Transfer,
        LedgerAction::Produce,
        LedgerAction::Work,
        LedgerAction::Use,
        LedgerAction::Cite,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            LedgerAction::Transfer => "transfer",
            LedgerAction::Produce => "produce",
            LedgerAction::Work => "work",
            LedgerAction::Use => "use",
            LedgerAction::Cite => "cite",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            LedgerAction::Transfer => "Transfer",
            LedgerAction::Produce => "Made",
            LedgerAction::Work => "Work",
            LedgerAction::Use => "Machine use",
            LedgerAction::Cite => "Design cited",
        }
    }

    pub fn parse(text: &str) -> Option<LedgerAction> {
        LedgerAction::ALL.into_iter().find(|a| a.as_str() == text)
    }
}

/// Whether a unit is a currency: three capital letters (ISO 4217).
pub fn is_currency(unit: &str) -> bool {
    unit.len() == 3 && unit.bytes().all(|b| b.is_ascii_uppercase())
}

/// One entry of a coalition's ledger, as stored and exported.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct LedgerEntry {
    /// Its place in the coalition's chain, from 1.
    pub seq: u64,
    pub at: Timestamp,
    pub action: LedgerAction,
    /// An agent id, or `@treasury` / `@commons-fund`.
    pub provider: String,
    pub receiver: String,
    /// The currency code, the material, the skill or process, or the design.
    pub resource: String,
    pub quantity: f64,
    /// A currency code for money; a unit symbol (`h`, `kg`, `piece`) in kind.
    pub unit: String,
    /// What it was for: `sale`, `grant`, `materials`, `payout`, …
    pub category: String,
    pub note: String,
    /// The entry this one replaces.
    pub corrects: Option<u64>,
    /// The need claim whose delivery it records.
    pub claim: Option<u64>,
    /// The amount owed (see [`Owed`]) this payment settles.
    pub settles: Option<u64>,
    /// The goods event (`/api/economic-events`) this entry carries into the
    /// ledger, for deliveries of claims.
    pub event: Option<u64>,
    /// The previous entry's hash ([`GENESIS`] for the first).
    pub prev_hash: String,
    pub hash: String,
    /// The steward who recorded it; none for deliveries carried in from
    /// confirmed claims. Shown beside the entry, not part of the hashed form.
    #[serde(default)]
    pub recorded_by: Option<String>,
}

fn escape(text: &str, out: &mut String) {
    for c in text.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            c => out.push(c),
        }
    }
}

impl LedgerEntry {
    /// The canonical form hashed: one `name=value` line per field in a fixed
    /// order, quantities in integer thousandths, backslash and line breaks
    /// escaped, absent references empty.
    pub fn canonical(&self) -> String {
        let mut out = String::with_capacity(256);
        let optional = |v: Option<u64>| v.map(|v| v.to_string()).unwrap_or_default();
        let fields: [(&str, String); 14] = [
            ("seq", self.seq.to_string()),
            ("at", self.at.as_str().to_owned()),
            ("action", self.action.as_str().to_owned()),
            ("provider", self.provider.clone()),
            ("receiver", self.receiver.clone()),
            ("resource", self.resource.clone()),
            ("quantity_milli", to_milli(self.quantity).to_string()),
            ("unit", self.unit.clone()),
            ("category", self.category.clone()),
            ("note", self.note.clone()),
            ("corrects", optional(self.corrects)),
            ("claim", optional(self.claim)),
            ("settles", optional(self.settles)),
            ("event", optional(self.event)),
        ];
        for (name, value) in fields {
            out.push_str(name);
            out.push('=');
            escape(&value, &mut out);
            out.push('\n');
        }
        out
    }

    /// `SHA-256(prev_hash ‖ "\n" ‖ canonical)`, in lower-case hex.
    pub fn compute_hash(&self) -> String {
        let mut hasher = Sha256::new();
        hasher.update(self.prev_hash.as_bytes());
        hasher.update(b"\n");
        hasher.update(self.canonical().as_bytes());
        let digest = hasher.finalize();
        let mut hex = String::with_capacity(64);
        for byte in digest {
            const DIGITS: &[u8; 16] = b"0123456789abcdef";
            hex.push(DIGITS[usize::from(byte >> 4)] as char);
            hex.push(DIGITS[usize::from(byte & 15)] as char);
        }
        hex
    }

    /// Numbers, links and hashes a new entry: the one way entries are made.
    pub fn seal(seq: u64, at: Timestamp, input: LedgerInput, prev_hash: &str) -> LedgerEntry {
        let mut entry = LedgerEntry {
            seq,
            at,
            action: input.action,
            provider: input.provider,
            receiver: input.receiver,
            resource: input.resource.trim().to_owned(),
            quantity: crate::unit::from_milli(to_milli(input.quantity)),
            unit: input.unit,
            category: input.category.trim().to_owned(),
            note: input.note.trim().to_owned(),
            corrects: input.corrects,
            claim: input.claim,
            settles: input.settles,
            event: input.event,
            prev_hash: prev_hash.to_owned(),
            hash: String::new(),
            recorded_by: None,
        };
        entry.hash = entry.compute_hash();
        entry
    }

    /// Whether it moves money.
    pub fn is_money(&self) -> bool {
        self.action == LedgerAction::Transfer && is_currency(&self.unit)
    }
}

/// The outcome of re-checking a chain.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Verification {
    /// Whether every entry's hash is right and each links to the one before.
    pub valid: bool,
    /// How many entries were checked.
    pub entries: u64,
    /// The last entry's hash: the chain's head.
    pub head: String,
    /// The first entry that does not check out.
    pub broken_at: Option<u64>,
    /// Why, in words.
    pub problem: Option<String>,
}

/// Re-checks a chain from its first entry: numbering, links and hashes.
pub fn verify(entries: &[LedgerEntry]) -> Verification {
    let mut verifier = Verifier::new();
    for entry in entries {
        if !verifier.check(entry) {
            break;
        }
    }
    verifier.finish()
}

/// [`verify`] one entry at a time, for a chain read in pieces.
#[derive(Debug, Clone)]
pub struct Verifier {
    prev: String,
    checked: u64,
    broken: Option<Verification>,
}

impl Default for Verifier {
    fn default() -> Self {
        Verifier::new()
    }
}

impl Verifier {
    pub fn new() -> Verifier {
        Verifier {
            prev: GENESIS.to_owned(),
            checked: 0,
            broken: None,
        }
    }

    /// Checks the next entry; `false` once the chain is broken (the rest
    /// need not be read).
    pub fn check(&mut self, entry: &LedgerEntry) -> bool {
        if self.broken.is_some() {
            return false;
        }
        let checked = self.checked;
        let broken = |seq: u64, problem: String| Verification {
            valid: false,
            entries: checked,
            head: String::new(),
            broken_at: Some(seq),
            problem: Some(problem),
        };
        let expected = checked + 1;
        if entry.seq != expected {
            self.broken = Some(broken(
                expected,
                format!(
                    "Entry {expected} is missing: entry {} comes in its place.",
                    entry.seq
                ),
            ));
            return false;
        }
        if entry.prev_hash != self.prev {
            self.broken = Some(broken(
                entry.seq,
                format!("Entry {} does not link to the entry before it.", entry.seq),
            ));
            return false;
        }
        let hash = entry.compute_hash();
        if entry.hash != hash {
            self.broken = Some(broken(
                entry.seq,
                format!(
                    "Entry {} was changed after it was written: its hash does not match its content.",
                    entry.seq
                ),
            ));
            return false;
        }
        self.prev = hash;
        self.checked = expected;
        true
    }

    /// The outcome over the entries checked.
    pub fn finish(self) -> Verification {
        self.broken.unwrap_or(Verification {
            valid: true,
            entries: self.checked,
            head: self.prev,
            broken_at: None,
            problem: None,
        })
    }
}

/// The entries in force: every entry no later entry corrects.
pub fn in_force(entries: &[LedgerEntry]) -> Vec<&LedgerEntry> {
    let corrected: std::collections::HashSet<u64> =
        entries.iter().filter_map(|e| e.corrects).collect();
    entries
        .iter()
        .filter(|e| !corrected.contains(&e.seq))
        .collect()
}

/// Each account's money balance in thousandths of the currency: what came
/// in less what went out, over the entries in force. Outside agents (buyers,
/// funders) show what they paid in as a negative balance, so the balances
/// of a ledger always add up to zero.
pub fn balances(entries: &[LedgerEntry]) -> BTreeMap<String, i64> {
    LedgerTotals::of(entries).balances()
}

/// Money in and out of the coalition's own accounts (treasury and commons
/// fund), by month (`2026-11`) and category, in thousandths.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Flows {
    /// `(month, category, amount in thousandths)`, money into the coalition.
    pub income: Vec<(String, String, i64)>,
    /// The same for money out of it.
    pub spending: Vec<(String, String, i64)>,
}

/// Whether an account is the coalition's own.
pub fn is_own(account: &str) -> bool {
    account == TREASURY || account == COMMONS_FUND
}

/// Income and spending by month and category. Money between the treasury
/// and the commons fund is neither.
pub fn flows(entries: &[LedgerEntry]) -> Flows {
    LedgerTotals::of(entries).flows()
}

/// A weight in a value equation: how many points one unit of an action (on
/// a given skill, process or material, or on any) earns.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Weight {
    pub action: LedgerAction,
    /// A skill, process, material or design; `None` for any.
    pub resource: Option<String>,
    /// 0 to 1000, with at most three decimals.
    #[cfg_attr(feature = "openapi", schema(minimum = 0, maximum = 1000))]
    pub weight: f64,
}

/// How a coalition turns contributions into shares of its revenue, set by
/// its stewards; each change is a new version, and every version stays
/// public.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ValueEquation {
    pub version: u32,
    /// 1 to 100 weights.
    #[cfg_attr(feature = "openapi", schema(min_items = 1, max_items = 100))]
    pub weights: Vec<Weight>,
    /// The part of each sale owed to the contributors, from 0 to 1 (at
    /// most three decimals).
    #[cfg_attr(feature = "openapi", schema(minimum = 0, maximum = 1))]
    pub contributors_share: f64,
    /// The part of each sale owed to the commons fund, from 0 to 1 (at
    /// most three decimals); the two shares add up to at most 1.
    #[cfg_attr(feature = "openapi", schema(minimum = 0, maximum = 1))]
    pub commons_share: f64,
    /// Owed to the commons fund per piece when a maker outside the coalition
    /// claims a Peer Production License design, in the coalition's currency:
    /// 0 to 1,000,000, with at most three decimals.
    #[cfg_attr(feature = "openapi", schema(minimum = 0, maximum = 1_000_000))]
    pub reciprocity_fee: f64,
    #[serde(default)]
    pub note: String,
    /// Who set this version, and when (the store fills these in).
    #[serde(default)]
    pub set_by: Option<crate::AgentId>,
    #[serde(default)]
    pub set_at: Option<Timestamp>,
}

/// The most weights one value equation has.
pub const MAX_WEIGHTS: usize = 100;
/// The most lines one year's budget has (`PUT …/budgets/{year}`).
pub const MAX_BUDGET_LINES: usize = 200;

impl ValueEquation {
    /// The weight of one unit of `action` on `resource`: the most specific
    /// weight that applies, or none.
    pub fn weight(&self, action: LedgerAction, resource: &str) -> Option<f64> {
        self.weights
            .iter()
            .find(|w| w.action == action && w.resource.as_deref() == Some(resource))
            .or_else(|| {
                self.weights
                    .iter()
                    .find(|w| w.action == action && w.resource.is_none())
            })
            .map(|w| w.weight)
    }

    /// Checks the rules a steward must keep.
    pub fn validate(&self) -> Result<(), FieldErrors> {
        let mut errors = FieldErrors::new();
        let fraction = Bounds::zero_or_more(1.0);
        let contributors = Milli::check(
            &mut errors,
            "contributors_share",
            self.contributors_share,
            fraction,
            "The contributors' share (a fraction from 0 to 1)",
        );
        let commons = Milli::check(
            &mut errors,
            "commons_share",
            self.commons_share,
            fraction,
            "The commons fund's share (a fraction from 0 to 1)",
        );
        if let (Some(contributors), Some(commons)) = (contributors, commons)
            && contributors.get() + commons.get() > 1000
        {
            errors.add(
                "commons_share",
                "The contributors' and the commons fund's shares together cannot exceed the whole sale.",
            );
        }
        Milli::check(
            &mut errors,
            "reciprocity_fee",
            self.reciprocity_fee,
            Bounds::zero_or_more(MAX_RECIPROCITY_FEE),
            "The reciprocity fee (per piece)",
        );
        if self.weights.is_empty() {
            errors.add("weights", "Give at least one weight.");
        }
        if !crate::validate::at_most(
            &mut errors,
            "weights",
            self.weights.len(),
            MAX_WEIGHTS,
            "weights",
        ) {
            // The duplicate check below is quadratic: not on an oversized list.
            return errors.into_result(());
        }
        for (i, w) in self.weights.iter().enumerate() {
            Milli::check(
                &mut errors,
                &format!("weights.{i}.weight"),
                w.weight,
                Bounds::zero_or_more(1000.0),
                "A weight",
            );
            if self.weights[..i]
                .iter()
                .any(|o| o.action == w.action && o.resource == w.resource)
            {
                errors.add(
                    format!("weights.{i}.resource"),
                    "This action and resource already have a weight.",
                );
            }
        }
        errors.into_result(())
    }
}

/// One line of why a contributor has their share.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ShareLine {
    pub action: LedgerAction,
    pub resource: String,
    pub quantity: f64,
    pub unit: String,
    pub weight: f64,
    pub points: f64,
}

/// A contributor's share under a value equation, with its reasons.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Share {
    pub contributor: String,
    pub points: f64,
    /// From 0 to 1; all shares add up to 1.
    pub share: f64,
    pub lines: Vec<ShareLine>,
}

/// Contributions in force (work, use, citations, and materials given to the
/// coalition) weighed by `equation`: each contributor's points and share,
/// largest first.
pub fn shares(entries: &[LedgerEntry], equation: &ValueEquation) -> Vec<Share> {
    LedgerTotals::of(entries).shares(equation)
}

/// What a sale of `amount` thousandths leaves owed: to the commons fund
/// and to each contributor by their share, in whole thousandths that add up
/// exactly to the parts of the sale (the largest remainders get the odd
/// thousandths).
pub fn split_sale(amount: i64, equation: &ValueEquation, shares: &[Share]) -> Vec<(String, i64)> {
    let mut owed = Vec::new();
    let commons = (amount as f64 * equation.commons_share).round() as i64;
    if commons > 0 {
        owed.push((COMMONS_FUND.to_owned(), commons));
    }
    let pool = (amount as f64 * equation.contributors_share).round() as i64;
    if pool <= 0 || shares.is_empty() {
        return owed;
    }
    let exact: Vec<f64> = shares.iter().map(|s| pool as f64 * s.share).collect();
    let mut parts: Vec<i64> = exact.iter().map(|e| e.floor() as i64).collect();
    let mut left = pool - parts.iter().sum::<i64>();
    let mut order: Vec<usize> = (0..shares.len()).collect();
    order.sort_by(|&a, &b| {
        (exact[b] - exact[b].floor())
            .total_cmp(&(exact[a] - exact[a].floor()))
            .then(a.cmp(&b))
    });
    for &i in order.iter().cycle() {
        if left <= 0 {
            break;
        }
        parts[i] += 1;
        left -= 1;
    }
    for (share, part) in shares.iter().zip(parts) {
        if part > 0 {
            owed.push((share.contributor.clone(), part));
        }
    }
    owed
}

/// An amount owed (a ValueFlows `Claim`): made by a sale for the commons fund
/// and the contributors, or by a claim on a Peer Production License design
/// for a reciprocity fee; settled by payments that name it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Owed {
    pub id: u64,
    /// The entry that made it owed, or for a fee the need claim.
    pub triggered_by: Option<u64>,
    pub need_claim: Option<u64>,
    /// Who is owed, and who owes.
    pub creditor: String,
    pub debtor: String,
    pub amount: f64,
    pub currency: String,
    /// `revenue_share`, `commons_share` or `reciprocity_fee`.
    pub kind: String,
    /// Paid so far, by entries in force that settle it.
    pub settled: f64,
    pub at: Timestamp,
    /// The value equation version it was worked out with.
    pub equation_version: Option<u32>,
    /// No longer owed: the sale that made it was corrected, or the claim
    /// that made a fee owed was withdrawn or declined. Nothing settles it.
    #[serde(default)]
    pub void: bool,
}

impl Owed {
    pub fn outstanding(&self) -> f64 {
        crate::unit::from_milli(to_milli(self.amount) - to_milli(self.settled))
    }
}

/// A steward's voiding of a contribution that should not count: recorded
/// as a correction of it to zero, with the reason as its note.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct VoidInput {
    /// Why it does not count (1 to 400 characters).
    #[cfg_attr(feature = "openapi", schema(min_length = 1, max_length = 400))]
    pub reason: String,
}

impl VoidInput {
    pub fn validate(&self) -> Result<(), FieldErrors> {
        let mut errors = FieldErrors::new();
        let reason = self.reason.trim();
        if reason.is_empty() {
            errors.add("reason", "Say why it does not count: everyone reads it.");
        } else if reason.chars().count() > 400 {
            errors.add("reason", "Keep the reason under 400 characters.");
        }
        errors.into_result(())
    }

    /// The correction that voids `entry`: the same accounts and resource,
    /// zero, with the reason as its note.
    pub fn correction_of(&self, entry: &LedgerEntry) -> LedgerInput {
        LedgerInput {
            action: entry.action,
            provider: entry.provider.clone(),
            receiver: entry.receiver.clone(),
            resource: entry.resource.clone(),
            quantity: 0.0,
            unit: entry.unit.clone(),
            category: entry.category.clone(),
            note: format!("Void: {}", self.reason.trim()),
            corrects: Some(entry.seq),
            claim: entry.claim,
            settles: None,
            event: None,
        }
    }
}

/// The largest quantity of one ledger entry (money or in kind). Bounded so
/// that sums over millions of entries stay far inside `i64` thousandths.
pub const MAX_ENTRY_QUANTITY: f64 = 1.0e9;

/// The largest reciprocity fee per piece: a fee times the largest need
/// (one million pieces) stays far inside `i64` thousandths.
pub const MAX_RECIPROCITY_FEE: f64 = 1.0e6;

/// What a steward records: the entry before the ledger numbers and hashes it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct LedgerInput {
    pub action: LedgerAction,
    pub provider: String,
    pub receiver: String,
    #[cfg_attr(feature = "openapi", schema(min_length = 1, max_length = 120))]
    pub resource: String,
    /// 0 (only in a correction) to 1,000,000,000, with at most three
    /// decimals.
    #[cfg_attr(feature = "openapi", schema(minimum = 0, maximum = 1_000_000_000))]
    pub quantity: f64,
    pub unit: String,
    pub category: String,
    #[serde(default)]
    pub note: String,
    #[serde(default)]
    pub corrects: Option<u64>,
    #[serde(default)]
    pub claim: Option<u64>,
    #[serde(default)]
    pub settles: Option<u64>,
    /// Set by the store for goods events; not for stewards to give.
    #[serde(skip)]
    pub event: Option<u64>,
}

/// Categories a money entry may have.
pub const CATEGORIES: [&str; 10] = [
    "sale",
    "grant",
    "donation",
    "membership",
    "materials",
    "tools",
    "space",
    "payout",
    "reciprocity",
    "transfer",
];

fn is_account(text: &str) -> bool {
    is_own(text) || crate::AgentId::parse(text).is_ok()
}

impl LedgerInput {
    /// Checks an entry against the coalition's currency; references to
    /// other entries are checked against the ledger by the store.
    pub fn validate(&self, currency: &str) -> Result<(), FieldErrors> {
        let mut errors = FieldErrors::new();
        if !is_account(&self.provider) {
            errors.add(
                "provider",
                "The provider is an agent's id, @treasury or @commons-fund.",
            );
        }
        if !is_account(&self.receiver) {
            errors.add(
                "receiver",
                "The receiver is an agent's id, @treasury or @commons-fund.",
            );
        }
        if self.provider == self.receiver {
            errors.add("receiver", "The provider and the receiver differ.");
        }
        let quantity = Milli::check(
            &mut errors,
            "quantity",
            self.quantity,
            Bounds::zero_or_more(MAX_ENTRY_QUANTITY),
            "The quantity",
        );
        if quantity.is_some_and(|q| q.get() == 0) && self.corrects.is_none() {
            errors.add(
                "quantity",
                "Only a correction may be zero (it cancels the entry it corrects).",
            );
        }
        let resource = self.resource.trim();
        if resource.is_empty() || resource.len() > 120 {
            errors.add("resource", "Name the resource (up to 120 characters).");
        }
        let money = is_currency(&self.unit);
        match self.action {
            LedgerAction::Transfer if money && self.unit != currency => errors.add(
                "unit",
                format!("This coalition keeps its accounts in {currency}."),
            ),
            LedgerAction::Transfer if money && resource != currency => {
                errors.add("resource", "Money's resource is its currency code.")
            }
            LedgerAction::Transfer if !money && unit_of(&self.unit).is_none() => errors.add(
                "unit",
                "The unit is the coalition's currency or a unit such as kg or piece.",
            ),
            LedgerAction::Work | LedgerAction::Use if self.unit != "h" => {
                errors.add("unit", "Work and machine use are counted in hours (h).")
            }
            LedgerAction::Produce => errors.add(
                "action",
                "Goods made are recorded by confirming a claim's delivery, not by hand.",
            ),
            LedgerAction::Cite if self.unit != "piece" => errors.add(
                "unit",
                "Citations are counted in pieces made from the design.",
            ),
            _ => {}
        }
        if money && !CATEGORIES.contains(&self.category.as_str()) {
            errors.add(
                "category",
                format!("The category is one of {}.", CATEGORIES.join(", ")),
            );
        } else if !money && self.category.trim().is_empty() {
            errors.add("category", "Say what the contribution was for.");
        }
        if self.note.len() > 500 {
            errors.add("note", "Keep the note under 500 characters.");
        }
        if self.settles.is_some() && !(money && self.action == LedgerAction::Transfer) {
            errors.add("settles", "Only a payment of money settles what is owed.");
        }
        errors.into_result(())
    }
}

fn unit_of(symbol: &str) -> Option<crate::Unit> {
    crate::Unit::ALL.into_iter().find(|u| u.symbol() == symbol)
}

/// An account's money balance.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Balance {
    pub account: String,
    pub amount: f64,
}

/// A budget line beside what actually came in or went out that year.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct BudgetActual {
    pub year: i32,
    /// `income` or `spending`.
    pub direction: String,
    pub category: String,
    pub budget: f64,
    pub actual: f64,
}

/// What one creditor is owed in all, and how much of it is paid.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct OwedTotal {
    pub creditor: String,
    pub owed: f64,
    pub settled: f64,
}

/// `GET /api/coalitions/{id}/accounts`: a coalition's accounts at a glance.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct AccountsOverview {
    pub coalition: crate::AgentId,
    pub currency: String,
    /// How many entries the ledger has, and the last one's hash.
    pub entries: u64,
    pub head: String,
    /// The coalition's own accounts first, then everyone else's by amount.
    pub balances: Vec<Balance>,
    pub flows: Flows,
    pub budget: Vec<BudgetActual>,
    /// The value equation in force, if the stewards have set one.
    pub equation: Option<ValueEquation>,
    pub shares: Vec<Share>,
    pub owed: Vec<OwedTotal>,
    /// Display names of the agents named anywhere above.
    pub names: Vec<(String, String)>,
}

/// `GET /api/coalitions/{id}/ledger`: a page of entries, newest first.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct LedgerPage {
    pub items: Vec<LedgerEntry>,
    /// The entries matching the filters, on all pages.
    pub total: u64,
    /// Pass as `before` for the next page.
    pub next: Option<u64>,
    pub currency: String,
    /// `(entry, the later entry that corrects it)` for the entries above
    /// that no longer count.
    pub corrected_by: Vec<(u64, u64)>,
    pub names: Vec<(String, String)>,
}

/// `GET /api/coalitions/{id}/ledger/export?format=json`: the raw ledger, as
/// anyone can re-verify it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct LedgerExport {
    pub coalition: crate::AgentId,
    pub currency: String,
    pub entries: Vec<LedgerEntry>,
}

/// Budget lines set against the year's actual income and spending.
pub fn budget_actuals(flows: &Flows, budget: &[(i32, String, String, f64)]) -> Vec<BudgetActual> {
    let actual = |direction: &str, year: i32, category: &str| {
        let lines = if direction == "income" {
            &flows.income
        } else {
            &flows.spending
        };
        let sum: i64 = lines
            .iter()
            .filter(|(month, c, _)| c == category && month.starts_with(&year.to_string()))
            .fold(0i64, |sum, l| sum.saturating_add(l.2));
        crate::unit::from_milli(sum)
    };
    budget
        .iter()
        .map(|(year, direction, category, amount)| BudgetActual {
            year: *year,
            direction: direction.clone(),
            category: category.clone(),
            budget: *amount,
            actual: actual(direction, *year, category),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn at(day: u32) -> Timestamp {
        serde_json::from_str(&format!(
            "\"2026-{:02}-{:02}T10:00:00.000Z\"",
            1 + day / 28 % 12,
            1 + day % 28
        ))
        .unwrap()
    }

    fn money(provider: &str, receiver: &str, amount: f64, category: &str) -> LedgerInput {
        LedgerInput {
            action: LedgerAction::Transfer,
            provider: provider.into(),
            receiver: receiver.into(),
            resource: "EUR".into(),
            quantity: amount,
            unit: "EUR".into(),
            category: category.into(),
            note: String::new(),
            corrects: None,
            claim: None,
            settles: None,
            event: None,
        }
    }

    fn in_kind(
        action: LedgerAction,
        who: &str,
        resource: &str,
        quantity: f64,
        unit: &str,
    ) -> LedgerInput {
        LedgerInput {
            action,
            provider: who.into(),
            receiver: TREASURY.into(),
            resource: resource.into(),
            quantity,
            unit: unit.into(),
            category: "production".into(),
            note: String::new(),
            corrects: None,
            claim: None,
            settles: None,
            event: None,
        }
    }

    fn append(ledger: &mut Vec<LedgerEntry>, input: LedgerInput) {
        let prev = ledger
            .last()
            .map_or(GENESIS, |e| e.hash.as_str())
            .to_owned();
        let seq = ledger.len() as u64 + 1;
        ledger.push(LedgerEntry::seal(seq, at(seq as u32), input, &prev));
    }

    fn equation() -> ValueEquation {
        ValueEquation {
            version: 1,
            weights: vec![
                Weight {
                    action: LedgerAction::Work,
                    resource: None,
                    weight: 1.0,
                },
                Weight {
                    action: LedgerAction::Work,
                    resource: Some("cnc-routing".into()),
                    weight: 1.5,
                },
                Weight {
                    action: LedgerAction::Use,
                    resource: None,
                    weight: 0.5,
                },
                Weight {
                    action: LedgerAction::Cite,
                    resource: None,
                    weight: 0.2,
                },
                Weight {
                    action: LedgerAction::Transfer,
                    resource: None,
                    weight: 0.1,
                },
            ],
            contributors_share: 0.6,
            commons_share: 0.1,
            reciprocity_fee: 0.5,
            note: String::new(),
            set_by: None,
            set_at: None,
        }
    }

    #[test]
    fn the_canonical_form_is_fixed_and_escapes_line_breaks() {
        let mut ledger = Vec::new();
        let mut input = money("fab-lab-nairobi", TREASURY, 120.5, "sale");
        input.note = "two lines\nand a \\ backslash".into();
        append(&mut ledger, input);
        let canonical = ledger[0].canonical();
        assert!(canonical.starts_with("seq=1\nat=2026-01-02T10:00:00.000Z\naction=transfer\n"));
        assert!(canonical.contains("quantity_milli=120500\n"));
        assert!(canonical.contains("note=two lines\\nand a \\\\ backslash\n"));
        assert_eq!(canonical.lines().count(), 14);
        assert_eq!(ledger[0].hash.len(), 64);
        assert_eq!(ledger[0].prev_hash, GENESIS);
        // The hash is SHA-256 of the previous hash, a line break and the form.
        let mut hasher = Sha256::new();
        hasher.update(format!("{GENESIS}\n{canonical}").as_bytes());
        let expected: String = hasher
            .finalize()
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect();
        assert_eq!(ledger[0].hash, expected);
    }

    #[test]
    fn verification_names_the_first_entry_changed_removed_or_reordered() {
        let mut ledger = Vec::new();
        append(&mut ledger, money("mesa-fund", TREASURY, 5000.0, "grant"));
        append(
            &mut ledger,
            money(TREASURY, "maas-materials", 800.0, "materials"),
        );
        append(
            &mut ledger,
            money("clinic-kumasi", TREASURY, 1200.0, "sale"),
        );
        let check = verify(&ledger);
        assert!(check.valid);
        assert_eq!(check.entries, 3);
        assert_eq!(check.head, ledger[2].hash);

        let mut changed = ledger.clone();
        changed[1].quantity = 80.0;
        let check = verify(&changed);
        assert!(!check.valid);
        assert_eq!(check.broken_at, Some(2));
        assert!(check.problem.unwrap().contains("changed"));

        let mut removed = ledger.clone();
        removed.remove(1);
        assert_eq!(verify(&removed).broken_at, Some(2));

        let mut rewritten = ledger.clone();
        rewritten[1].quantity = 80.0;
        rewritten[1].hash = rewritten[1].compute_hash();
        // Rehashing the changed entry breaks the link to the next one.
        assert_eq!(verify(&rewritten).broken_at, Some(3));
    }

    #[test]
    fn a_correction_replaces_the_entry_it_corrects() {
        let mut ledger = Vec::new();
        append(
            &mut ledger,
            money("clinic-kumasi", TREASURY, 1200.0, "sale"),
        );
        append(
            &mut ledger,
            money(TREASURY, "maas-materials", 800.0, "materials"),
        );
        let mut fix = money(TREASURY, "maas-materials", 80.0, "materials");
        fix.corrects = Some(2);
        append(&mut ledger, fix);
        let balances = balances(&ledger);
        assert_eq!(balances[TREASURY], 1_120_000);
        assert_eq!(balances["maas-materials"], 80_000);
        assert_eq!(balances.values().sum::<i64>(), 0);
        let flows = flows(&ledger);
        assert_eq!(
            flows.income,
            vec![("2026-01".into(), "sale".into(), 1_200_000)]
        );
        assert_eq!(
            flows.spending,
            vec![("2026-01".into(), "materials".into(), 80_000)]
        );
    }

    #[test]
    fn shares_follow_the_value_equation_and_explain_themselves() {
        let mut ledger = Vec::new();
        append(
            &mut ledger,
            in_kind(LedgerAction::Work, "amara-okafor", "cnc-routing", 10.0, "h"),
        );
        append(
            &mut ledger,
            in_kind(LedgerAction::Work, "kwame-asante", "assembly", 10.0, "h"),
        );
        append(
            &mut ledger,
            in_kind(
                LedgerAction::Use,
                "fab-lab-nairobi",
                "cnc-routing",
                10.0,
                "h",
            ),
        );
        append(
            &mut ledger,
            in_kind(
                LedgerAction::Cite,
                "tomas-novak",
                "plastic-shredder",
                25.0,
                "piece",
            ),
        );
        // Money paid in is not a contribution to weigh.
        append(
            &mut ledger,
            money("clinic-kumasi", TREASURY, 1000.0, "sale"),
        );
        let shares = shares(&ledger, &equation());
        let names: Vec<&str> = shares.iter().map(|s| s.contributor.as_str()).collect();
        assert_eq!(
            names,
            [
                "amara-okafor",
                "kwame-asante",
                "fab-lab-nairobi",
                "tomas-novak"
            ]
        );
        assert_eq!(shares[0].points, 15.0);
        assert_eq!(shares[0].lines[0].weight, 1.5);
        assert!((shares[0].share - 15.0 / 35.0).abs() < 1e-12);
        let total: f64 = shares.iter().map(|s| s.share).sum();
        assert!((total - 1.0).abs() < 1e-12);

        let owed = split_sale(1_000_000, &equation(), &shares);
        assert_eq!(owed[0], (COMMONS_FUND.to_owned(), 100_000));
        assert_eq!(owed.iter().skip(1).map(|o| o.1).sum::<i64>(), 600_000);
    }

    #[test]
    fn a_steward_gets_clear_messages_for_bad_entries() {
        let mut bad = money("Not An Agent", "Not An Agent", -5.0, "snacks");
        bad.unit = "USD".into();
        let errors = bad.validate("EUR").unwrap_err();
        for field in ["provider", "receiver", "quantity", "unit", "category"] {
            assert!(errors.get(field).is_some(), "{field}: {errors:?}");
        }
        let work = in_kind(LedgerAction::Work, "amara-okafor", "assembly", 3.0, "kg");
        assert!(work.validate("EUR").unwrap_err().get("unit").is_some());
        assert!(
            money("clinic-kumasi", TREASURY, 10.0, "sale")
                .validate("EUR")
                .is_ok()
        );
        let mut eq = equation();
        eq.contributors_share = 0.95;
        assert!(eq.validate().unwrap_err().get("commons_share").is_some());
    }

    /// One step of a random history: a payment, or a correction of an
    /// earlier entry (zero cancels it).
    #[derive(Debug, Clone)]
    enum Step {
        Pay { from: usize, to: usize, cents: u32 },
        Correct { which: usize, cents: u32 },
    }

    const ACCOUNTS: [&str; 5] = [
        TREASURY,
        COMMONS_FUND,
        "clinic-kumasi",
        "maas-materials",
        "amara-okafor",
    ];

    fn step() -> impl Strategy<Value = Step> {
        prop_oneof![
            3 => (0..5usize, 0..5usize, 1..10_000_000u32).prop_map(|(from, to, cents)| Step::Pay { from, to, cents }),
            1 => (0..1000usize, 0..10_000_000u32).prop_map(|(which, cents)| Step::Correct { which, cents }),
        ]
    }

    proptest! {
        #[test]
        fn the_money_ledger_always_balances(steps in prop::collection::vec(step(), 1..80)) {
            let mut ledger: Vec<LedgerEntry> = Vec::new();
            // The model: what each entry in force moves, by its sequence number.
            let mut model: BTreeMap<u64, (String, String, i64)> = BTreeMap::new();
            for step in steps {
                match step {
                    Step::Pay { from, to, cents } => {
                        if from == to { continue; }
                        let amount = f64::from(cents) / 100.0;
                        append(&mut ledger, money(ACCOUNTS[from], ACCOUNTS[to], amount, "transfer"));
                        model.insert(ledger.len() as u64, (ACCOUNTS[from].into(), ACCOUNTS[to].into(), i64::from(cents) * 10));
                    }
                    Step::Correct { which, cents } => {
                        // Only entries still in force are corrected.
                        let Some((&old, (from, to, _))) = model.iter().nth(which % model.len().max(1)) else { continue };
                        let (from, to) = (from.clone(), to.clone());
                        let mut fix = money(&from, &to, f64::from(cents) / 100.0, "transfer");
                        fix.corrects = Some(old);
                        append(&mut ledger, fix);
                        model.remove(&old);
                        model.insert(ledger.len() as u64, (from, to, i64::from(cents) * 10));
                    }
                }
            }
            let balances = balances(&ledger);
            prop_assert_eq!(balances.values().sum::<i64>(), 0);
            let mut expected: BTreeMap<String, i64> = BTreeMap::new();
            for (from, to, amount) in model.values() {
                *expected.entry(from.clone()).or_default() -= amount;
                *expected.entry(to.clone()).or_default() += amount;
            }
            for (account, balance) in &balances {
                prop_assert_eq!(*balance, expected.get(account).copied().unwrap_or_default(), "{}", account);
            }
            // The coalition's own balance is its income less its spending.
            let flows = flows(&ledger);
            let own: i64 = balances.iter().filter(|(a, _)| is_own(a)).map(|(_, b)| b).sum();
            let income: i64 = flows.income.iter().map(|f| f.2).sum();
            let spending: i64 = flows.spending.iter().map(|f| f.2).sum();
            prop_assert_eq!(own, income - spending);
            // The chain checks out, and any one change is caught where it is.
            prop_assert!(verify(&ledger).valid);
            if !ledger.is_empty() {
                let i = ledger.len() / 2;
                let mut tampered = ledger.clone();
                tampered[i].quantity += 0.01;
                prop_assert_eq!(verify(&tampered).broken_at, Some(i as u64 + 1));
            }
        }

        #[test]
        fn folding_entry_by_entry_sums_like_the_whole_ledger(
            steps in prop::collection::vec((0..4usize, 0..5usize, 0..5usize, 0..10_000_000u32, 0..1000usize), 1..80)
        ) {
            let equation = equation();
            let mut ledger: Vec<LedgerEntry> = Vec::new();
            let mut folded = LedgerTotals::new();
            for (kind, a, b, cents, which) in steps {
                let amount = f64::from(cents) / 100.0;
                let input = match kind {
                    0 | 1 if a != b => money(ACCOUNTS[a], ACCOUNTS[b], amount, "sale"),
                    0 | 1 => in_kind(LedgerAction::Work, ACCOUNTS[a], "welding", amount, "h"),
                    2 => in_kind(LedgerAction::Use, ACCOUNTS[a], "cnc-routing", amount, "h"),
                    // A correction of any earlier entry (even one corrected
                    // already), moving the money between other accounts.
                    _ if !ledger.is_empty() => {
                        let old = &ledger[which % ledger.len()];
                        let mut fix = if old.is_money() && a != b {
                            money(ACCOUNTS[a], ACCOUNTS[b], amount, "grant")
                        } else {
                            in_kind(old.action, ACCOUNTS[a], "welding", amount, "h")
                        };
                        fix.corrects = Some(old.seq);
                        fix
                    }
                    _ => continue,
                };
                append(&mut ledger, input);
                let entry = ledger.last().unwrap();
                let corrected = entry.corrects.map(|old| &ledger[old as usize - 1]);
                folded.push(entry, corrected);
            }
            let whole = LedgerTotals::of(&ledger);
            prop_assert_eq!(folded.balances(), whole.balances());
            prop_assert_eq!(folded.flows(), whole.flows());
            prop_assert_eq!(folded.shares(&equation), whole.shares(&equation));
            prop_assert_eq!(folded.seq(), ledger.len() as u64);
            prop_assert_eq!(folded.head(), ledger.last().map_or(GENESIS, |e| e.hash.as_str()));
        }

        #[test]
        fn a_sale_is_owed_out_exactly(amount in 0..100_000_000i64, points in prop::collection::vec(1..1000u32, 0..12)) {
            let shares: Vec<Share> = {
                let total: f64 = points.iter().map(|p| f64::from(*p)).sum();
                points.iter().enumerate().map(|(i, p)| Share {
                    contributor: format!("maker-{i}"),
                    points: f64::from(*p),
                    share: f64::from(*p) / total,
                    lines: vec![],
                }).collect()
            };
            let eq = equation();
            let owed = split_sale(amount, &eq, &shares);
            let commons = (amount as f64 * eq.commons_share).round() as i64;
            let pool = if shares.is_empty() { 0 } else { (amount as f64 * eq.contributors_share).round() as i64 };
            prop_assert_eq!(owed.iter().map(|o| o.1).sum::<i64>(), commons + pool);
            prop_assert!(owed.iter().all(|o| o.1 > 0));
        }
    }

    #[test]
    fn a_value_equation_has_at_most_its_cap_of_weights() {
        let mut full = equation();
        full.weights = (0..MAX_WEIGHTS)
            .map(|i| Weight {
                action: LedgerAction::Work,
                resource: Some(format!("resource-{i}")),
                weight: 1.0,
            })
            .collect();
        assert_eq!(full.validate(), Ok(()));
        let mut over = full;
        over.weights.push(Weight {
            action: LedgerAction::Use,
            resource: None,
            weight: 1.0,
        });
        let errors = over.validate().unwrap_err();
        assert_eq!(
            errors.get("weights"),
            Some("At most 100 weights; this has 101.")
        );
    }
}
