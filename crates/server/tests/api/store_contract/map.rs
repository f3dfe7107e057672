//! The supply map: a planned flow for every active claim and a delivered
//! one for every confirmed delivery, the agents with their roles, and
//! filters by need, coalition, design, supplied receivers and time that
//! agree with the whole.

use std::collections::BTreeSet;

use chrono::Duration;
use stigmergy_core::{AgentRole, ClaimState, EventAction, FlowKind, FlowMap};
use stigmergy_server::store::{
    Backend, Claims, Events, FlowFilter, Organizations, SqlStore, SupplyMap,
};

use super::needs::{any_state, every_need};
use super::{activity_store, agent, now};

contract!(
    the_map_draws_every_active_claim_and_every_confirmed_delivery,
    the_maps_filters_agree_with_the_whole_map,
);

async fn map(store: &SqlStore, filter: FlowFilter) -> FlowMap {
    store.flow_map(&filter).await.unwrap()
}

fn flows_of(map: &FlowMap, kind: FlowKind) -> BTreeSet<u64> {
    map.flows
        .iter()
        .filter(|f| f.kind == kind)
        .map(|f| f.claim)
        .collect()
}

async fn the_map_draws_every_active_claim_and_every_confirmed_delivery(backend: Backend) {
    let (store, _db, _) = activity_store(backend).await;
    let mut active = BTreeSet::new();
    let mut confirmed = BTreeSet::new();
    for need in every_need(&store, &any_state(100)).await {
        for claim in store.claims_of_need(need.id).await.unwrap() {
            match claim.state {
                ClaimState::Confirmed => confirmed.insert(claim.id),
                state if state.is_active() => active.insert(claim.id),
                _ => false,
            };
        }
    }

    let whole = map(&store, FlowFilter::default()).await;

    assert_eq!(flows_of(&whole, FlowKind::Planned), active);
    assert_eq!(flows_of(&whole, FlowKind::Delivered), confirmed);
    let transfers = store.economic_events(None, None, 0, 10_000).await.unwrap();
    let transfers: Vec<_> = transfers
        .iter()
        .filter(|e| e.action == EventAction::Transfer)
        .collect();
    for flow in &whole.flows {
        let claim = store.claim(flow.claim).await.unwrap();
        assert_eq!((flow.need, flow.state), (claim.need, claim.state));
        assert_eq!(
            (&flow.provider, &flow.receiver),
            (&claim.provider.id, &claim.receiver.id)
        );
        assert_eq!(flow.quantity, claim.quantity.value);
        if flow.kind == FlowKind::Delivered {
            assert!(transfers.iter().any(|e| e.fulfils == Some(flow.claim)));
        }
    }
    let coalitions: BTreeSet<_> = store
        .coalitions()
        .await
        .unwrap()
        .into_iter()
        .map(|c| c.agent.id)
        .collect();
    let drawn: BTreeSet<_> = whole
        .agents
        .iter()
        .filter(|a| a.role == AgentRole::Coalition)
        .map(|a| a.id.clone())
        .collect();
    assert_eq!(drawn, coalitions);
    let ids: BTreeSet<_> = whole.agents.iter().map(|a| a.id.clone()).collect();
    assert_eq!(ids.len(), whole.agents.len(), "each agent once");
    for flow in &whole.flows {
        assert!(ids.contains(&flow.provider) && ids.contains(&flow.receiver));
    }
}

async fn the_maps_filters_agree_with_the_whole_map(backend: Backend) {
    let (store, _db, _) = activity_store(backend).await;
    let whole = map(&store, FlowFilter::default()).await;
    let claims_where = |keep: &dyn Fn(&stigmergy_core::Flow) -> bool| {
        whole
            .flows
            .iter()
            .filter(|f| keep(f))
            .map(|f| (f.kind == FlowKind::Planned, f.claim))
            .collect::<BTreeSet<_>>()
    };
    let claims_in = |map: &FlowMap| {
        map.flows
            .iter()
            .map(|f| (f.kind == FlowKind::Planned, f.claim))
            .collect::<BTreeSet<_>>()
    };

    let need = whole.flows[0].need;
    let one = map(
        &store,
        FlowFilter {
            need: Some(need),
            ..FlowFilter::default()
        },
    )
    .await;
    assert_eq!(claims_in(&one), claims_where(&|f| f.need == need));
    let touched: BTreeSet<_> = one
        .flows
        .iter()
        .flat_map(|f| [f.provider.clone(), f.receiver.clone()])
        .collect();
    let drawn: BTreeSet<_> = one.agents.iter().map(|a| a.id.clone()).collect();
    assert_eq!(drawn, touched, "only the agents its flows touch");

    let coalition = agent("open-hardware-africa");
    let theirs = map(
        &store,
        FlowFilter {
            coalition: Some(coalition.clone()),
            ..FlowFilter::default()
        },
    )
    .await;
    let expected = claims_where(&|f| f.coalition.as_ref() == Some(&coalition));
    assert!(!expected.is_empty());
    assert_eq!(claims_in(&theirs), expected);
    let members = store.organization(&coalition).await.unwrap().members;
    for member in members {
        assert!(
            theirs.agents.iter().any(|a| a.id == member.agent.id),
            "{} is drawn",
            member.agent.id
        );
    }

    let design = whole.flows.iter().find_map(|f| f.design.clone()).unwrap();
    let made = map(
        &store,
        FlowFilter {
            design: Some(design.clone()),
            flows_only: true,
            ..FlowFilter::default()
        },
    )
    .await;
    assert_eq!(
        claims_in(&made),
        claims_where(&|f| f.design.as_ref() == Some(&design))
    );
    assert!(made.agents.is_empty(), "flows only");
    // Who supplied the materials (needs for no design) these agents received.
    let receivers: BTreeSet<_> = whole
        .flows
        .iter()
        .filter(|f| f.design.is_none())
        .map(|f| f.receiver.clone())
        .collect();
    assert!(!receivers.is_empty(), "the demo has material flows");
    let supplying = map(
        &store,
        FlowFilter {
            supplying: Some(receivers.iter().cloned().collect()),
            ..FlowFilter::default()
        },
    )
    .await;
    assert_eq!(
        claims_in(&supplying),
        claims_where(&|f| f.design.is_none() && receivers.contains(&f.receiver))
    );
    let nobody = FlowFilter {
        supplying: Some(Vec::new()),
        ..FlowFilter::default()
    };
    assert!(map(&store, nobody).await.flows.is_empty());
    let later = map(
        &store,
        FlowFilter {
            since: Some(now() + Duration::days(1)),
            ..FlowFilter::default()
        },
    )
    .await;
    assert!(later.flows.is_empty(), "nothing changed tomorrow yet");
}
