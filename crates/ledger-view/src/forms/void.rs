//! The stewards' voiding of a contribution that should not count: the
//! entry's number and why, sent as `POST …/ledger/{seq}/void`; the server
//! records a correction of it to zero with the reason, in the open.

use stigmergy_core::ledger::VoidInput;

use crate::http;
use crate::mount::refresh;
use crate::page::Shared;

/// The form, for stewards (markup).
pub(crate) fn form() -> String {
    r#"<section class="design-section" aria-labelledby="void-title"><details data-testid="void"><summary><h2 id="void-title" class="summary-heading">Void a contribution</h2></summary><p class="muted">As a steward. A delivery, hours of work or machine use, a citation or material given in kind that should not count: it stays in the ledger, struck through, and a correction to zero with your reason follows it; its points leave the shares. Money is corrected with a new entry instead.</p><form class="stacked-form" data-testid="void-form" novalidate><div class="field form-field"><label for="void-seq">Entry number</label><input id="void-seq" inputmode="numeric" autocomplete="off"><p class="field-error" id="void-seq-error"></p></div><div class="field form-field"><label for="void-reason">Why it does not count</label><textarea id="void-reason" rows="2" maxlength="400"></textarea><p class="field-error" id="void-reason-error"></p></div><button type="submit" class="button">Void it</button><p role="status" data-testid="void-result"></p></form></details></section>"#.to_owned()
}

/// Checks and sends the form; on success redraws the page and says so.
pub(crate) async fn send(state: Shared) {
    let (seq, input, coalition) = {
        let s = state.borrow();
        s.mark("void-seq", None);
        s.mark("void-reason", None);
        let seq = s.value("void-seq").parse::<u64>().ok().filter(|n| *n > 0);
        let input = VoidInput {
            reason: s.value("void-reason"),
        };
        let problem = input.validate().err();
        if seq.is_none() {
            s.mark("void-seq", Some("Give the entry's number, such as 42."));
        }
        if let Some(reason) = problem.as_ref().and_then(|p| p.get("reason")) {
            s.mark("void-reason", Some(reason));
        }
        let (Some(seq), None) = (seq, problem) else {
            s.say(
                "void-result",
                false,
                "Nothing was voided: see the fields marked above.",
            );
            return;
        };
        (seq, input, s.coalition.clone())
    };
    match http::void_entry(&coalition, seq, &input).await {
        Ok(correction) => {
            if refresh(state.clone()).await.is_ok() {
                let s = state.borrow();
                if let Some(details) = s.find("void") {
                    let _ = details.set_attribute("open", "");
                }
                s.say(
                    "void-result",
                    true,
                    &format!(
                        "Entry {seq} is void: entry {} corrects it, with your reason.",
                        correction.seq
                    ),
                );
            }
        }
        Err(error) => {
            let s = state.borrow();
            if let Some(fields) = error.fields() {
                for (field, id) in [("seq", "void-seq"), ("reason", "void-reason")] {
                    if let Some(text) = fields.get(field) {
                        s.mark(id, Some(text));
                    }
                }
            }
            s.say(
                "void-result",
                false,
                &format!("Nothing was voided: {error}"),
            );
        }
    }
}
