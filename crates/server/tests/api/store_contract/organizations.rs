//! Organizations: coalitions made once, memberships from request to
//! decision, and profiles.

use chrono::{SubsecRound, Utc};
use stigmergy_core::AgentId;
use stigmergy_server::store::{Accounts, Backend, NewAccount, Organizations, StoreError};

use super::account_store;

contract!(memberships_go_from_request_to_decision);

async fn memberships_go_from_request_to_decision(backend: Backend) {
    use stigmergy_core::{
        AgentKind, MembershipRole, MembershipState, OrganizationInput, Place, ProfileInput,
    };
    let (store, _db, steward) = account_store(backend).await;
    let now = Utc::now().trunc_subsecs(3);
    let coalition = AgentId::parse("andean-makers").unwrap();
    let input = OrganizationInput {
        id: None,
        name: "Andean Makers".into(),
        kind: AgentKind::Hub,
        note: String::new(),
        place: Place {
            name: "Cusco, Peru".into(),
            lat: -13.53,
            lon: -71.97,
        },
        coalition_licences: Some(vec![stigmergy_core::Licence::PeerProduction]),
    };
    store
        .create_organization(&coalition, &input, &steward, now)
        .await
        .unwrap();
    assert!(matches!(
        store
            .create_organization(&coalition, &input, &steward, now)
            .await,
        Err(StoreError::Conflict(_))
    ));
    let joiner = AgentId::parse("mateo").unwrap();
    let joiner_account = NewAccount {
        handle: &joiner,
        name: "Mateo",
        email: "m@example.org",
        password_hash: "h",
        now,
    };
    store.create_account(&joiner_account).await.unwrap();

    store
        .request_membership(&coalition, &joiner, &joiner, now)
        .await
        .unwrap();
    assert!(matches!(
        store
            .request_membership(&coalition, &joiner, &joiner, now)
            .await,
        Err(StoreError::Conflict(_))
    ));
    assert_eq!(store.pending_requests(&coalition).await.unwrap().len(), 1);
    store
        .decide_request(&coalition, &joiner, None, &steward, now)
        .await
        .unwrap();
    assert_eq!(
        store.membership(&coalition, &joiner).await.unwrap(),
        Some((MembershipRole::Member, MembershipState::Declined))
    );
    store
        .request_membership(&coalition, &joiner, &joiner, now)
        .await
        .unwrap();
    store
        .decide_request(
            &coalition,
            &joiner,
            Some(MembershipRole::Steward),
            &steward,
            now,
        )
        .await
        .unwrap();
    assert!(matches!(
        store
            .decide_request(&coalition, &joiner, None, &steward, now)
            .await,
        Err(StoreError::NotFound)
    ));

    let organization = store.organization(&coalition).await.unwrap();
    assert_eq!(
        organization.coalition_licences,
        Some(vec![stigmergy_core::Licence::PeerProduction])
    );
    assert_eq!(organization.members.len(), 2);
    assert!(
        organization
            .members
            .iter()
            .all(|m| m.role == MembershipRole::Steward)
    );
    assert_eq!(store.coalitions().await.unwrap().len(), 1);
    assert!(
        matches!(store.organization(&joiner).await, Err(StoreError::NotFound)),
        "people are not organizations"
    );

    let profile = ProfileInput {
        name: "Mateo Quispe".into(),
        note: "Welder.".into(),
        place: Some(Place {
            name: "Cusco, Peru".into(),
            lat: -13.53,
            lon: -71.97,
        }),
    };
    store.update_profile(&joiner, &profile).await.unwrap();
    let seen = store.agent_profile(&joiner).await.unwrap();
    assert_eq!(seen.agent.name, "Mateo Quispe");
    assert_eq!(seen.agent.place.unwrap().name, "Cusco, Peru");
    assert_eq!(seen.memberships[0].organization.id, coalition);
}
