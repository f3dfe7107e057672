use leptos::prelude::*;
use leptos::task::spawn_local;
use leptos_router::hooks::use_params_map;
use stigmergy_core::{
    AskDecision, CoalitionPlan, MembershipRole, Need, Organization, Page, PendingRequest,
};

use crate::api::{self, ClientError};
use crate::components::LicenceBadge;
use crate::load::{self, Load};
use crate::session::use_session;

/// Where the viewer stands with the coalition.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Standing {
    SignedOut,
    Outside,
    Member,
    Steward,
}

/// One coalition (`/coalitions/:id`): its licences with what they mean,
/// its public member list, and what the viewer may do: ask to join when
/// outside it; as a steward, admit or decline who asked.
#[component]
pub fn CoalitionPage() -> impl IntoView {
    let session = use_session();
    let params = use_params_map();
    let id = move || params.with(|p| p.get("id").unwrap_or_default());
    let coalition = Load::new();
    let requests = Load::<Vec<PendingRequest>>::new();
    let load = move || {
        let id = id();
        coalition.run_then(
            async move { api::organization(&id).await },
            |answer: &Result<Organization, ClientError>| {
                if let Ok(found) = answer {
                    crate::set_page_title(&found.agent.name);
                }
            },
        );
    };
    Effect::new(move |_| load());
    let retry = Callback::new(move |()| load());

    let standing = Memo::new(move |_| {
        let Some(handle) = session
            .me
            .with(|me| me.as_ref().map(|me| me.handle.clone()))
        else {
            return Standing::SignedOut;
        };
        coalition
            .value
            .with(|c| match c.as_ref().and_then(|c| c.as_ref().ok()) {
                Some(c) => match c.members.iter().find(|m| m.agent.id == handle) {
                    Some(m) if m.role == MembershipRole::Steward => Standing::Steward,
                    Some(_) => Standing::Member,
                    None => Standing::Outside,
                },
                None => Standing::Outside,
            })
    });
    // Stewards see who is waiting.
    Effect::new(move || {
        if standing.get() == Standing::Steward {
            let id = id();
            requests.run(async move { api::join_requests(&id).await });
        }
    });

    let asking = RwSignal::new(false);
    let asked = RwSignal::new(false);
    let problem = RwSignal::new(None::<String>);
    let ask = move |_| {
        if asking.get_untracked() {
            return;
        }
        asking.set(true);
        problem.set(None);
        let id = id();
        spawn_local(async move {
            let result = api::ask_to_join(&id).await;
            asking.try_set(false);
            match result {
                Ok(()) => {
                    asked.try_set(true);
                }
                Err(error) => {
                    problem.try_set(Some(error.to_string()));
                }
            }
        });
    };
    let deciding = RwSignal::new(None::<String>);
    let decide = move |member: String, approve: bool| {
        if deciding.get_untracked().is_some() {
            return;
        }
        deciding.set(Some(member.clone()));
        problem.set(None);
        let id = id();
        spawn_local(async move {
            let result = api::decide_request(&id, &member, approve).await;
            deciding.try_set(None);
            match result {
                Ok(now) => {
                    requests.value.try_update(|r| {
                        if let Some(Ok(list)) = r {
                            list.retain(|p| p.agent.id.as_str() != member);
                        }
                    });
                    coalition.value.try_set(Some(Ok(now)));
                }
                Err(error) => {
                    problem.try_set(Some(error.to_string()));
                }
            }
        });
    };

    let actions = move || {
        let next = format!("/signin?next=/coalitions/{}", id());
        match standing.get() {
            Standing::SignedOut => view! {
                <p class="muted" data-testid="sign-in-to-join">
                    <a href=next>"Sign in"</a>
                    " to ask to join."
                </p>
            }
            .into_any(),
            Standing::Outside if asked.get() => view! {
                <p class="notice" role="status" data-testid="asked">
                    "Asked. A steward will answer your request."
                </p>
            }
            .into_any(),
            Standing::Outside => view! {
                <button type="button" class="button" data-testid="ask-to-join" disabled=asking on:click=ask>
                    {move || if asking.get() { "Asking…" } else { "Ask to join" }}
                </button>
            }
            .into_any(),
            Standing::Member => {
                view! { <p class="muted" data-testid="standing">"You are a member."</p> }.into_any()
            }
            Standing::Steward => {
                view! { <p class="muted" data-testid="standing">"You steward this coalition."</p> }.into_any()
            }
        }
    };
    let requests_view = move || {
        (standing.get() == Standing::Steward).then(|| {
            let list = requests.view("Loading the requests…", None, move |list: Vec<PendingRequest>| {
                if list.is_empty() {
                    return view! { <p class="muted">"No requests waiting."</p> }.into_any();
                }
                view! {
                    <ul class="link-list">
                        {list
                            .into_iter()
                            .map(|request| {
                                let member = request.agent.id.to_string();
                                let (yes, no) = (member.clone(), member.clone());
                                let busy = move || deciding.get().is_some();
                                view! {
                                    <li data-testid="request">
                                        <strong>{request.agent.name}</strong>
                                        <span class="muted">
                                            {format!(
                                                " · {} · asked {}",
                                                request.agent.kind.label(),
                                                request.requested_at.date(),
                                            )}
                                        </span>
                                        " "
                                        <button type="button" class="button" data-action="approve" disabled=busy on:click=move |_| decide(yes.clone(), true)>
                                            "Admit"
                                        </button>
                                        " "
                                        <button type="button" class="button button-quiet button-danger" data-action="decline" disabled=busy on:click=move |_| decide(no.clone(), false)>
                                            "Decline"
                                        </button>
                                    </li>
                                }
                            })
                            .collect_view()}
                    </ul>
                }
                .into_any()
            });
            view! {
                <section class="design-section" aria-labelledby="requests-title" data-testid="requests">
                    <h2 id="requests-title">"Requests to join"</h2>
                    {list}
                </section>
                <PlanPanel id=id() />
            }
        })
    };
    let content = move || {
        match coalition.value.get() {
        None => load::waiting("Loading the coalition…"),
        Some(Err(error)) if error.is_not_found() => view! {
            <section class="not-found">
                <h1>"Coalition not found"</h1>
                <p>"No coalition has this address. " <a href="/coalitions">"See every coalition"</a></p>
            </section>
        }
        .into_any(),
        Some(Err(error)) => load::failed(error, Some(retry)),
        Some(Ok(found)) => {
            let Organization { agent, note, coalition_licences, members } = found;
            let licences = coalition_licences
                .unwrap_or_default()
                .into_iter()
                .map(|licence| {
                    view! {
                        <li>
                            <LicenceBadge licence />
                            " "
                            {licence.name()}
                            <p class="muted">{licence.explanation()}</p>
                        </li>
                    }
                })
                .collect_view();
            let members = members
                .into_iter()
                .map(|m| {
                    view! {
                        <li data-testid="member">
                            <span class="contributor-name">{m.agent.name}</span>
                            <span class="chip">{m.role.label()}</span>
                            <span class="muted">
                                {m.agent.kind.label()}
                                {m.agent.place.map(|p| format!(" · {}", p.name))}
                            </span>
                        </li>
                    }
                })
                .collect_view();
            view! {
                <header class="design-header">
                    <h1 data-testid="coalition-title">{agent.name}</h1>
                    <p class="lead">{note}</p>
                    <p class="muted">{agent.place.map(|p| p.name).unwrap_or_default()}</p>
                    <p>
                        <a class="button button-quiet" href=format!("/coalitions/{}/accounts", agent.id)>"Open accounts"</a>
                        " "
                        <a class="button button-quiet" href=format!("/map?coalition={}", agent.id)>"Supply chains on the map"</a>
                    </p>
                </header>
                <section class="design-section" aria-labelledby="licences-title">
                    <h2 id="licences-title">"Licences it forms around"</h2>
                    <ul class="link-list">{licences}</ul>
                </section>
                <section class="design-section" aria-labelledby="members-title">
                    <h2 id="members-title">"Members"</h2>
                    <ul class="contributors" data-testid="members">{members}</ul>
                </section>
            }
            .into_any()
        }
    }
    };
    view! {
        <article class="coalition-page">
            <p class="breadcrumb">
                <a href="/coalitions">"← All coalitions"</a>
            </p>
            {content}
            <div class="design-actions">{actions}</div>
            <p class="notice notice-error" role="alert">
                {move || problem.get().unwrap_or_default()}
            </p>
            {move || view! { <AsksPanel id=id() steward=Signal::derive(move || standing.get() == Standing::Steward) /> }}
            {requests_view}
        </article>
    }
}

/// The allocation planner, for stewards: the coalition's open needs
/// assigned to its members' spare capacity, as a table with its totals.
#[component]
fn PlanPanel(id: String) -> impl IntoView {
    let plan = Load::<CoalitionPlan>::new();
    let busy = plan.pending();
    let run = move |_| {
        if busy.get_untracked() {
            return;
        }
        let id = id.clone();
        plan.run(async move { api::coalition_plan(&id).await });
    };
    let table = move || match plan.value.get() {
        None => ().into_any(),
        Some(Err(error)) => load::failed(error, None),
        Some(Ok(plan)) if plan.rows.is_empty() => view! {
            <p class="muted">
                {format!(
                    "No member's capacity can take on the {} open needs now.",
                    plan.needs,
                )}
            </p>
        }
        .into_any(),
        Some(Ok(plan)) => {
            let rows = plan
                .rows
                .into_iter()
                .map(|row| {
                    view! {
                        <tr>
                            <td>
                                <a href=format!("/needs/{}", row.need)>{row.what}</a>
                            </td>
                            <td>{row.need_place}</td>
                            <td>{row.provider}</td>
                            <td>{row.provider_place}</td>
                            <td class="num">{row.quantity}</td>
                            <td class="num">{format!("{} km", row.distance_km)}</td>
                        </tr>
                    }
                })
                .collect_view();
            view! {
                <div class="table-scroll">
                    <table class="data-table" data-testid="plan">
                        <caption>
                            {format!(
                                "{} open needs over {} capacities: {} units assigned, {} not, {} unit-km in all",
                                plan.needs,
                                plan.capacities,
                                plan.assigned,
                                plan.unassigned,
                                plan.total_distance_km,
                            )}
                        </caption>
                        <thead>
                            <tr>
                                <th scope="col">"Need"</th>
                                <th scope="col">"Where"</th>
                                <th scope="col">"Maker"</th>
                                <th scope="col">"From"</th>
                                <th scope="col" class="num">"Units"</th>
                                <th scope="col" class="num">"Distance"</th>
                            </tr>
                        </thead>
                        <tbody>{rows}</tbody>
                        <tfoot>
                            <tr>
                                <th scope="row" colspan="4">"Total"</th>
                                <td class="num">{plan.assigned}</td>
                                <td class="num">{format!("{} unit-km", plan.total_distance_km)}</td>
                            </tr>
                        </tfoot>
                    </table>
                </div>
            }
            .into_any()
        }
    };
    view! {
        <section class="design-section" aria-labelledby="plan-title">
            <h2 id="plan-title">"Allocation plan"</h2>
            <p class="muted">
                "Assigns the coalition's open needs to its members' spare weekly capacity: as many units as can be made, over the least total distance."
            </p>
            <button type="button" class="button" data-testid="make-plan" disabled=busy on:click=run>
                {move || if busy.get() { "Planning…" } else { "Plan the open needs" }}
            </button>
            {table}
        </section>
    }
}

/// The needs asked of the coalition that wait for an answer, public: they
/// count for nobody until a steward takes them on. Stewards accept each,
/// or decline it with a reason the one who asked will read.
#[component]
fn AsksPanel(
    /// The coalition's id.
    id: String,
    /// Whether the viewer stewards it (and so may answer).
    #[prop(into)]
    steward: Signal<bool>,
) -> impl IntoView {
    let asks = Load::<Page<Need>>::new();
    let asked_of = id.clone();
    asks.run(async move { api::asks_of(&asked_of).await });
    let busy = RwSignal::new(None::<u64>);
    let problem = RwSignal::new(None::<String>);
    let reasons = RwSignal::new(Vec::<(u64, String)>::new());
    let answer = move |id: String, need: u64, accept: bool| {
        if busy.get_untracked().is_some() {
            return;
        }
        let reason = reasons.with_untracked(|r| {
            r.iter()
                .rfind(|(n, _)| *n == need)
                .map(|(_, text)| text.clone())
                .unwrap_or_default()
        });
        let decision = AskDecision { accept, reason };
        if let Err(errors) = decision.validate() {
            problem.set(errors.get("reason").map(str::to_owned));
            return;
        }
        busy.set(Some(need));
        problem.set(None);
        spawn_local(async move {
            let result = api::decide_ask(&id, need, &decision).await;
            busy.try_set(None);
            match result {
                Ok(_) => {
                    asks.value.try_update(|a| {
                        if let Some(Ok(page)) = a {
                            page.items.retain(|n| n.id != need);
                        }
                    });
                }
                Err(error) => {
                    problem.try_set(Some(error.to_string()));
                }
            }
        });
    };
    let list = asks.view("Loading what is asked…", None, move |page: Page<Need>| {
        if page.items.is_empty() {
            return view! { <p class="muted">"Nothing is waiting for an answer."</p> }.into_any();
        }
        page
            .items
            .into_iter()
            .map(|need| {
                let n = need.id;
                let (yes, no) = (id.clone(), id.clone());
                let controls = move || {
                    let (yes, no) = (yes.clone(), no.clone());
                    steward.get().then(|| {
                        view! {
                            <label class="field-label" for=format!("ask-reason-{n}")>"Reason, to decline"</label>
                            <input id=format!("ask-reason-{n}") class="input" data-testid="ask-reason" maxlength="500"
                                on:input=move |ev| reasons.update(|r| {
                                    r.retain(|(m, _)| *m != n);
                                    r.push((n, event_target_value(&ev)));
                                }) />
                            " "
                            <button type="button" class="button" data-action="accept" disabled=move || busy.get().is_some()
                                on:click=move |_| answer(yes.clone(), n, true)>
                                "Take it on"
                            </button>
                            " "
                            <button type="button" class="button button-quiet button-danger" data-action="decline-ask"
                                disabled=move || busy.get().is_some() on:click=move |_| answer(no.clone(), n, false)>
                                "Decline"
                            </button>
                        }
                    })
                };
                view! {
                    <li data-testid="ask">
                        <a href=format!("/needs/{n}")>{need.what}</a>
                        <span class="muted">
                            {format!(
                                " · {} {} · {} · for {} · due {}",
                                need.quantity.value,
                                need.quantity.unit.symbol(),
                                need.place.name,
                                need.receiver.name,
                                need.due,
                            )}
                        </span>
                        <div>{controls}</div>
                    </li>
                }
            })
            .collect_view()
            .into_any()
    });
    view! {
        <section class="design-section" aria-labelledby="asks-title" data-testid="asks">
            <h2 id="asks-title">"Asked of the coalition"</h2>
            <p class="muted">
                "Needs others asked the coalition to take on. They count in its gap signal, plans and accounts only once a steward takes them on."
            </p>
            <ul class="link-list">{list}</ul>
            <p class="notice notice-error" role="alert">{move || problem.get().unwrap_or_default()}</p>
        </section>
    }
}
