use leptos::prelude::*;
use leptos::task::spawn_local;
use stigmergy_core::{Claim, ClaimAction};

use crate::api;
use crate::session::use_session;

/// Claims as a table, each with the steps the viewer may take on it now:
/// the maker's (start, deliver, withdraw) and the receiver's (confirm,
/// decline). A step done replaces the claim in `claims` and calls
/// `changed`, so the page can refresh what depends on it.
#[component]
pub fn ClaimList(
    /// The claims shown, kept up to date here.
    claims: RwSignal<Vec<Claim>>,
    /// Whether to name the need each claim is for.
    #[prop(optional)]
    with_need: bool,
    /// Called after a step succeeds.
    changed: Callback<()>,
) -> impl IntoView {
    let session = use_session();
    let problem = RwSignal::new(None::<String>);
    let busy = RwSignal::new(None::<u64>);
    let act = move |id: u64, action: ClaimAction| {
        if busy.get_untracked().is_some() {
            return;
        }
        busy.set(Some(id));
        problem.set(None);
        spawn_local(async move {
            let result = api::act_on_claim(id, action).await;
            busy.try_set(None);
            match result {
                Ok(claim) => {
                    claims.try_update(|claims| {
                        if let Some(slot) = claims.iter_mut().find(|c| c.id == claim.id) {
                            *slot = claim;
                        }
                    });
                    changed.run(());
                }
                Err(error) => {
                    problem.try_set(Some(error.to_string()));
                }
            }
        });
    };
    let row = move |claim: Claim| {
        let id = claim.id;
        let actions = session
            .me
            .with_untracked(|me| me.as_ref().map(|me| claim.parties(&me.handle)))
            .unwrap_or_default()
            .into_iter()
            .flat_map(|party| ClaimAction::allowed(claim.state, party))
            .map(|action| {
                view! {
                    <button
                        type="button"
                        class=if matches!(action, ClaimAction::Decline | ClaimAction::Withdraw) {
                            "button button-quiet button-danger"
                        } else {
                            "button"
                        }
                        data-action=action.slug()
                        disabled=move || busy.get() == Some(id)
                        on:click=move |_| act(id, action)
                    >
                        {action.label()}
                    </button>
                }
            })
            .collect_view();
        let need = with_need.then(|| {
            view! {
                <td>
                    <a href=format!("/needs/{}", claim.need)>{claim.what.clone()}</a>
                </td>
            }
        });
        view! {
            <tr data-testid="claim" data-state=claim.state.slug()>
                {need}
                <td>{claim.provider.name}</td>
                <td class="num">{claim.quantity.to_string()}</td>
                <td>
                    <span class="chip">{claim.state.label()}</span>
                </td>
                <td>{claim.updated_at.date().to_owned()}</td>
                <td class="actions">{actions}</td>
            </tr>
        }
    };
    view! {
        <p class="notice notice-error" role="alert">
            {move || problem.get().unwrap_or_default()}
        </p>
        {move || {
            // The steps offered depend on who is signed in.
            session.me.track();
            if claims.with(Vec::is_empty) {
                view! { <p class="muted">"No claims yet."</p> }.into_any()
            } else {
                view! {
                    <div class="table-scroll">
                        <table class="data-table claims">
                            <thead>
                                <tr>
                                    {with_need.then(|| view! { <th scope="col">"Need"</th> })}
                                    <th scope="col">"Maker"</th>
                                    <th scope="col" class="num">"Quantity"</th>
                                    <th scope="col">"State"</th>
                                    <th scope="col">"Updated"</th>
                                    <th scope="col" class="actions">"Next step"</th>
                                </tr>
                            </thead>
                            <tbody>{claims.get().into_iter().map(row).collect_view()}</tbody>
                        </table>
                    </div>
                }
                    .into_any()
            }
        }}
    }
}
