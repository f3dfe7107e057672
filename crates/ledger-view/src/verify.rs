//! The Verify button: fetches the raw export and re-computes every hash
//! here, with the same code the server runs (`ledger::verify`).

use stigmergy_core::ledger::{self, LedgerExport};

use crate::http;
use crate::page::Shared;

pub(crate) async fn run(state: Shared) {
    let (coalition, button, status) = {
        let s = state.borrow();
        (
            s.coalition.clone(),
            s.find("verify"),
            s.find("verify-result"),
        )
    };
    let (Some(button), Some(status)) = (button, status) else {
        return;
    };
    if button.has_attribute("disabled") {
        return;
    }
    let _ = button.set_attribute("disabled", "");
    button.set_text_content(Some("Verifying…"));
    status.set_text_content(None);
    let _ = status.set_attribute("class", "");
    let (valid, message) = match http::ledger_export(&coalition).await {
        Ok(export) => check(&export),
        Err(error) => (false, format!("The ledger could not be fetched: {error}")),
    };
    status.set_text_content(Some(&message));
    let _ = status.set_attribute(
        "class",
        if valid {
            "notice notice-ok"
        } else {
            "notice notice-error"
        },
    );
    let _ = button.remove_attribute("disabled");
    button.set_text_content(Some("Verify in this browser"));
}

/// Re-checks an exported ledger: whether it holds, and what to say.
fn check(export: &LedgerExport) -> (bool, String) {
    let check = ledger::verify(&export.entries);
    let message = if check.valid {
        format!(
            "Verified: all {} entries check out, from the first to the latest ({}).",
            check.entries,
            check.head.get(..12).unwrap_or(&check.head)
        )
    } else {
        format!(
            "The chain is broken at entry {}: {}",
            check.broken_at.unwrap_or_default(),
            check.problem.unwrap_or_default()
        )
    };
    (check.valid, message)
}
