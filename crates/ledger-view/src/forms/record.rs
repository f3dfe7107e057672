//! The stewards' form for recording an entry, and its sending.

use stigmergy_core::ledger::{
    self, AccountsOverview, COMMONS_FUND, LedgerAction, LedgerInput, TREASURY,
};
use stigmergy_markup::escape;

use crate::format::Names;
use crate::http;
use crate::mount::refresh;
use crate::page::Shared;

/// The stewards' form for recording an entry: money in or out, or a
/// contribution in kind; a correction names the entry it replaces. The
/// server checks everything again and names each field it refuses.
pub(crate) fn form(overview: &AccountsOverview, names: &Names) -> String {
    let currency = escape(&overview.currency);
    let accounts: String = [TREASURY, COMMONS_FUND]
        .into_iter()
        .map(str::to_owned)
        .chain(names.agents().cloned())
        .map(|id| {
            format!(
                r#"<option value="{}">{}</option>"#,
                escape(&id),
                escape(&names.of(&id))
            )
        })
        .collect();
    let categories: String = ledger::CATEGORIES
        .into_iter()
        .chain(["production", "design", "materials"])
        .map(|c| format!(r#"<option value="{c}"></option>"#))
        .collect();
    let field = |id: &str, label: &str, input: String, hint: &str| {
        let hint = if hint.is_empty() {
            String::new()
        } else {
            format!(r#"<p class="field-hint" id="entry-{id}-hint">{hint}</p>"#)
        };
        format!(
            r#"<div class="field form-field"><label for="entry-{id}">{label}</label>{hint}{input}<p class="field-error" id="entry-{id}-error"></p></div>"#
        )
    };
    let input = |id: &str, extra: &str| {
        format!(
            r#"<input id="entry-{id}" name="{id}" aria-describedby="entry-{id}-hint entry-{id}-error" {extra}>"#
        )
    };
    let fields = [
        field(
            "action",
            "What happened",
            r#"<select id="entry-action" name="action"><option value="transfer">Money or material changed hands</option><option value="work">Hours of work</option><option value="use">Hours of machine use</option><option value="cite">Pieces made citing a design</option></select>"#.into(),
            "",
        ),
        field(
            "provider",
            "From",
            input("provider", r#"list="entry-accounts" required"#),
            "An agent's handle, @treasury or @commons-fund; the contributor, for work, use and citations.",
        ),
        field(
            "receiver",
            "To",
            input("receiver", r#"list="entry-accounts" value="@treasury" required"#),
            "",
        ),
        field(
            "quantity",
            "How much",
            input("quantity", r#"inputmode="decimal" required"#),
            "",
        ),
        field(
            "unit",
            "Unit",
            input("unit", &format!(r#"value="{currency}" required"#)),
            &format!("{currency} for money; h for work and machine use; piece for citations; kg, m… for material."),
        ),
        field(
            "resource",
            "Resource",
            input("resource", &format!(r#"value="{currency}" required"#)),
            "The currency for money; the skill, process, material or design otherwise.",
        ),
        field(
            "category",
            "Category",
            input("category", r#"list="entry-categories" required"#),
            "For money: sale, grant, donation, membership, materials, tools, space, payout, reciprocity or transfer.",
        ),
        field(
            "note",
            "Note",
            r#"<textarea id="entry-note" name="note" rows="2" aria-describedby="entry-note-error"></textarea>"#.into(),
            "",
        ),
        field(
            "corrects",
            "Corrects entry",
            input("corrects", r#"inputmode="numeric""#),
            "Only to fix a mistake: the number of the entry this one replaces (0 cancels it).",
        ),
        field(
            "settles",
            "Settles what is owed",
            input("settles", r#"inputmode="numeric""#),
            "For a payout: the number of the amount owed it pays.",
        ),
    ]
    .concat();
    format!(
        r#"<section class="design-section" aria-labelledby="record-title"><details data-testid="record"><summary><h2 id="record-title" class="summary-heading">Record an entry</h2></summary><p class="muted">As a steward of this coalition. Entries cannot be changed afterwards: a mistake is fixed by a new entry that corrects it.</p><form class="stacked-form" data-testid="record-form" novalidate>{fields}<button type="submit" class="button">Record the entry</button><p role="status" data-testid="record-result"></p></form><datalist id="entry-accounts">{accounts}</datalist><datalist id="entry-categories">{categories}</datalist></details></section>"#
    )
}

/// The form's fields, named as the server names them (`LedgerInput`); each
/// has the id `entry-{name}`.
const FIELDS: [&str; 10] = [
    "action", "provider", "receiver", "quantity", "unit", "resource", "category", "note",
    "corrects", "settles",
];

/// Sends the stewards' form; on success redraws the page with the new
/// entry and says so, else names what is wrong beside each field.
pub(crate) async fn send(state: Shared) {
    let (input, coalition) = {
        let s = state.borrow();
        for name in FIELDS {
            s.mark(&format!("entry-{name}"), None);
        }
        let value = |name: &str| s.value(&format!("entry-{name}"));
        let mut problems = Vec::new();
        let action = LedgerAction::parse(&value("action"));
        if action.is_none() {
            problems.push(("action", "Choose what happened."));
        }
        let quantity = value("quantity").replace(',', ".").parse::<f64>();
        if quantity.is_err() {
            problems.push(("quantity", "Give the amount as a number, such as 120.50."));
        }
        let reference = |name: &'static str, problems: &mut Vec<(&'static str, &'static str)>| {
            let text = value(name);
            if text.is_empty() {
                return None;
            }
            match text.parse::<u64>() {
                Ok(n) => Some(n),
                Err(_) => {
                    problems.push((name, "Give the entry's or the amount's number, such as 42."));
                    None
                }
            }
        };
        let corrects = reference("corrects", &mut problems);
        let settles = reference("settles", &mut problems);
        let (Some(action), Ok(quantity), true) = (action, quantity, problems.is_empty()) else {
            for (name, message) in &problems {
                s.mark(&format!("entry-{name}"), Some(message));
            }
            s.say(
                "record-result",
                false,
                "Nothing was recorded: see the fields marked above.",
            );
            return;
        };
        let input = LedgerInput {
            action,
            provider: value("provider"),
            receiver: value("receiver"),
            resource: value("resource"),
            quantity,
            unit: value("unit"),
            category: value("category"),
            note: value("note"),
            corrects,
            claim: None,
            settles,
            event: None,
        };
        (input, s.coalition.clone())
    };
    match http::record_entry(&coalition, &input).await {
        Ok(entry) => {
            if refresh(state.clone()).await.is_ok() {
                let s = state.borrow();
                if let Some(details) = s.find("record") {
                    let _ = details.set_attribute("open", "");
                }
                s.say(
                    "record-result",
                    true,
                    &format!(
                        "Recorded as entry {}; the balances, charts and ledger below include it.",
                        entry.seq
                    ),
                );
            }
        }
        Err(error) => {
            let s = state.borrow();
            if let Some(fields) = error.fields() {
                for name in FIELDS {
                    if let Some(text) = fields.get(name) {
                        s.mark(&format!("entry-{name}"), Some(text));
                    }
                }
            }
            s.say(
                "record-result",
                false,
                &format!("Nothing was recorded: {error}"),
            );
        }
    }
}
