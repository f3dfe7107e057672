//! The stewards' form for setting the next version of the value equation,
//! and its sending.

use stigmergy_core::ledger::{AccountsOverview, LedgerAction, ValueEquation, Weight};
use stigmergy_markup::escape;

use crate::http;
use crate::mount::refresh;
use crate::page::Shared;

/// The form (markup), starting from the `current` version's weights and
/// shares, with two empty rows for new weights.
pub(crate) fn form(overview: &AccountsOverview, current: Option<&ValueEquation>) -> String {
    let weights = current.map(|v| v.weights.as_slice()).unwrap_or_default();
    let rows: String = (0..weights.len() + 2)
        .map(|i| {
            let w = weights.get(i);
            let options: String = LedgerAction::ALL
                .into_iter()
                .map(|a| {
                    let chosen = if w.is_some_and(|w| w.action == a) {
                        " selected"
                    } else {
                        ""
                    };
                    format!(r#"<option value="{}"{chosen}>{}</option>"#, a.as_str(), a.label())
                })
                .collect();
            let resource = escape(w.and_then(|w| w.resource.as_deref()).unwrap_or_default());
            let weight = w.map(|w| w.weight.to_string()).unwrap_or_default();
            format!(
                r#"<tr><td><select id="eq-w{i}-action" aria-label="Action of weight {n}">{options}</select></td><td><input id="eq-w{i}-resource" aria-label="Skill, process or resource of weight {n} (empty for any)" value="{resource}"><p class="field-error" id="eq-w{i}-resource-error"></p></td><td><input id="eq-w{i}-weight" inputmode="decimal" aria-label="Points per unit of weight {n} (empty to drop it)" value="{weight}"><p class="field-error" id="eq-w{i}-weight-error"></p></td></tr>"#,
                n = i + 1
            )
        })
        .collect();
    let value = |f: fn(&ValueEquation) -> f64, scale: f64| {
        current
            .map(|v| ((f(v) * scale * 1000.0).round() / 1000.0).to_string())
            .unwrap_or_default()
    };
    let input = |id: &str, label: &str, value: String| {
        format!(
            r#"<div class="field form-field"><label for="eq-{id}">{label}</label><input id="eq-{id}" inputmode="decimal" value="{}"><p class="field-error" id="eq-{id}-error"></p></div>"#,
            escape(&value)
        )
    };
    format!(
        r#"<details data-testid="equation-edit"><summary>Set a new version</summary><p class="muted">As a steward. The new version applies to sales recorded from now on; earlier versions stay as they were, for anyone to read.</p><form class="stacked-form" data-testid="equation-form" novalidate><div class="table-scroll"><table class="data-table"><thead><tr><th scope="col">Action</th><th scope="col">Skill, process or resource</th><th scope="col">Points per unit</th></tr></thead><tbody>{rows}</tbody></table></div>{}{}{}<div class="field form-field"><label for="eq-note">Why</label><textarea id="eq-note" rows="2">{}</textarea><p class="field-error" id="eq-note-error"></p></div><button type="submit" class="button">Set the new version</button><p role="status" data-testid="equation-result"></p></form></details>"#,
        input(
            "contributors",
            "Share of each sale to contributors (%)",
            value(|v| v.contributors_share, 100.0)
        ),
        input(
            "commons",
            "Share of each sale to the commons fund (%)",
            value(|v| v.commons_share, 100.0)
        ),
        input(
            "fee",
            &format!("Reciprocity fee a piece ({})", escape(&overview.currency)),
            value(|v| v.reciprocity_fee, 1.0)
        ),
        escape(current.map(|v| v.note.as_str()).unwrap_or_default()),
    )
}

/// Sends the stewards' new version of the value equation; on success
/// redraws the page with it, else names what is wrong beside each field.
pub(crate) async fn send(state: Shared) {
    let (equation, rows, coalition) = {
        let s = state.borrow();
        let mut problems: Vec<(String, &str)> = Vec::new();
        let mut weights = Vec::new();
        // Which form row each weight sent came from, for the server's errors.
        let mut rows = Vec::new();
        let mut i = 0;
        while s.has(&format!("eq-w{i}-weight")) {
            for part in ["resource", "weight"] {
                s.mark(&format!("eq-w{i}-{part}"), None);
            }
            let weight = s.value(&format!("eq-w{i}-weight"));
            if !weight.is_empty() {
                let action = LedgerAction::parse(&s.value(&format!("eq-w{i}-action")));
                match (action, weight.replace(',', ".").parse::<f64>()) {
                    (Some(action), Ok(weight)) => {
                        let resource = s.value(&format!("eq-w{i}-resource"));
                        weights.push(Weight {
                            action,
                            resource: (!resource.is_empty()).then_some(resource),
                            weight,
                        });
                        rows.push(i);
                    }
                    (None, _) => problems.push((format!("eq-w{i}-action"), "Choose an action.")),
                    (_, Err(_)) => problems.push((
                        format!("eq-w{i}-weight"),
                        "Give the points as a number, such as 1.5.",
                    )),
                }
            }
            i += 1;
        }
        let mut number = |id: &str, scale: f64| {
            s.mark(id, None);
            match s.value(id).replace(',', ".").parse::<f64>() {
                Ok(v) => v / scale,
                Err(_) => {
                    problems.push((id.to_owned(), "Give a number."));
                    f64::NAN
                }
            }
        };
        let contributors_share = number("eq-contributors", 100.0);
        let commons_share = number("eq-commons", 100.0);
        let reciprocity_fee = number("eq-fee", 1.0);
        if !problems.is_empty() {
            for (id, message) in &problems {
                s.mark(id, Some(message));
            }
            s.say(
                "equation-result",
                false,
                "Nothing was changed: see the fields marked above.",
            );
            return;
        }
        // The server numbers the version and says who set it, and when.
        let equation = ValueEquation {
            version: 0,
            weights,
            contributors_share,
            commons_share,
            reciprocity_fee,
            note: s.value("eq-note"),
            set_by: None,
            set_at: None,
        };
        (equation, rows, s.coalition.clone())
    };
    match http::set_value_equation(&coalition, &equation).await {
        Ok(saved) => {
            if refresh(state.clone()).await.is_ok() {
                let s = state.borrow();
                if let Some(details) = s.find("equation-edit") {
                    let _ = details.set_attribute("open", "");
                }
                s.say(
                    "equation-result",
                    true,
                    &format!(
                        "Version {} is in force; the shares above follow it.",
                        saved.version
                    ),
                );
            }
        }
        Err(error) => {
            let s = state.borrow();
            for (field, text) in error.fields().into_iter().flat_map(|f| &f.0) {
                if let Some(id) = field_id(field, &rows) {
                    s.mark(&id, Some(text));
                }
            }
            s.say(
                "equation-result",
                false,
                &format!("Nothing was changed: {error}"),
            );
        }
    }
}

/// The id of the form field the server means by `field`; `rows` says which
/// form row each weight sent came from (`weights.{n}.{part}` is the n-th).
fn field_id(field: &str, rows: &[usize]) -> Option<String> {
    Some(match field {
        "contributors_share" => "eq-contributors".to_owned(),
        "commons_share" => "eq-commons".to_owned(),
        "reciprocity_fee" => "eq-fee".to_owned(),
        "note" => "eq-note".to_owned(),
        other => {
            let mut parts = other.split('.');
            match (
                parts.next(),
                parts.next().and_then(|n| n.parse::<usize>().ok()),
                parts.next(),
            ) {
                (Some("weights"), Some(n), Some(part)) => {
                    format!("eq-w{}-{part}", rows.get(n).copied().unwrap_or(n))
                }
                _ => return None,
            }
        }
    })
}
