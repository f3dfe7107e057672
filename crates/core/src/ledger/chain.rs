//! The entries of a coalition's ledger and their hash chain: each entry's
//! canonical form and hash, how a new entry is sealed onto the chain, and
//! the check of a whole chain, at once or a piece at a time.

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use super::LedgerInput;
use crate::Timestamp;
use crate::unit::{from_milli, to_milli};

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
    /// The amount owed (see [`Owed`](super::Owed)) this payment settles.
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
            quantity: from_milli(to_milli(input.quantity)),
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ledger::TREASURY;
    use crate::ledger::fixtures::{append, money};

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
}
