//! Checks the demo data set, `demo/commons.json`: the first thing newcomers
//! see, so it must load, validate, and give every filter something to find.

use std::collections::{BTreeMap, BTreeSet, HashSet};

use stigmergy_core::{ContributorRole, ImportBundle, Licence, ProcessKind};

const DEMO_PATH: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../demo/commons.json");

fn demo() -> ImportBundle {
    let json = std::fs::read_to_string(DEMO_PATH)
        .unwrap_or_else(|error| panic!("cannot read {DEMO_PATH}: {error}"));
    serde_json::from_str(&json)
        .unwrap_or_else(|error| panic!("{DEMO_PATH} is not a valid ImportBundle: {error}"))
}

#[test]
fn the_demo_holds_at_least_forty_designs_and_twenty_five_agents() {
    let bundle = demo();
    assert!(
        bundle.designs.len() >= 40,
        "the demo has only {} designs; newcomers should find at least 40",
        bundle.designs.len()
    );
    assert!(
        bundle.agents.len() >= 25,
        "the demo has only {} agents; it should have at least 25",
        bundle.agents.len()
    );
}

#[test]
fn every_demo_agent_is_valid() {
    let failures: Vec<String> = demo()
        .agents
        .iter()
        .filter_map(|agent| {
            agent
                .validate()
                .err()
                .map(|errors| format!("agent {}: {errors:?}", agent.id))
        })
        .collect();
    assert!(
        failures.is_empty(),
        "invalid agents:\n{}",
        failures.join("\n")
    );
}

#[test]
fn every_demo_agent_has_a_valid_named_place_and_a_note() {
    let mut failures = Vec::new();
    for agent in demo().agents {
        if let Err(errors) = agent.place.validate() {
            failures.push(format!("agent {}: place {errors:?}", agent.id));
        }
        if !agent.place.name.contains(", ") {
            failures.push(format!(
                "agent {}: place {:?} should read like \"City, Country\"",
                agent.id, agent.place.name
            ));
        }
        if agent.place.lat == 0.0 && agent.place.lon == 0.0 {
            failures.push(format!("agent {}: place has no coordinates", agent.id));
        }
        if agent.note.trim().is_empty() {
            failures.push(format!("agent {}: note is empty", agent.id));
        }
    }
    assert!(
        failures.is_empty(),
        "agents with a faulty place or note:\n{}",
        failures.join("\n")
    );
}

#[test]
fn every_demo_design_is_valid() {
    let failures: Vec<String> = demo()
        .designs
        .iter()
        .filter_map(|design| {
            design
                .validate()
                .err()
                .map(|errors| format!("design {}: {errors:?}", design.id))
        })
        .collect();
    assert!(
        failures.is_empty(),
        "invalid designs:\n{}",
        failures.join("\n")
    );
}

#[test]
fn agent_ids_and_design_ids_are_unique() {
    let bundle = demo();
    let mut agents = HashSet::new();
    for agent in &bundle.agents {
        assert!(
            agents.insert(&agent.id),
            "agent id {} is used twice",
            agent.id
        );
    }
    let mut designs = HashSet::new();
    for design in &bundle.designs {
        assert!(
            designs.insert(&design.id),
            "design id {} is used twice",
            design.id
        );
    }
}

#[test]
fn every_contributor_is_an_agent_in_the_bundle() {
    let bundle = demo();
    let agents: HashSet<_> = bundle.agents.iter().map(|agent| &agent.id).collect();
    let mut failures = Vec::new();
    for design in &bundle.designs {
        for contributor in &design.contributors {
            if !agents.contains(&contributor.agent) {
                failures.push(format!(
                    "design {} credits unknown agent {}",
                    design.id, contributor.agent
                ));
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn every_design_credits_its_author_first_and_one_to_four_contributors() {
    for design in demo().designs {
        assert!(
            (1..=4).contains(&design.contributors.len()),
            "design {} credits {} contributors; give 1 to 4",
            design.id,
            design.contributors.len()
        );
        assert_eq!(
            design.contributors[0].role,
            ContributorRole::Author,
            "design {}: the first contributor should be the author",
            design.id
        );
    }
}

#[test]
fn every_design_has_two_to_five_tags() {
    for design in demo().designs {
        assert!(
            (2..=5).contains(&design.draft.tags.len()),
            "design {} has {} tags; give 2 to 5",
            design.id,
            design.draft.tags.len()
        );
    }
}

#[test]
fn every_fork_names_a_design_earlier_in_the_list() {
    let bundle = demo();
    let mut earlier = HashSet::new();
    for design in &bundle.designs {
        if let Some(parent) = &design.parent {
            assert!(
                earlier.contains(parent),
                "design {} forks {parent}, which does not come before it in the list",
                design.id
            );
        }
        earlier.insert(&design.id);
    }
}

#[test]
fn at_least_eight_designs_are_forks() {
    let forks: Vec<_> = demo()
        .designs
        .iter()
        .filter(|design| design.parent.is_some())
        .map(|design| design.id.to_string())
        .collect();
    assert!(
        forks.len() >= 8,
        "only {} forks ({}); the demo needs at least 8",
        forks.len(),
        forks.join(", ")
    );
}

#[test]
fn at_least_five_licences_are_used_including_the_ppl_and_cern_ohl_s() {
    let licences: BTreeSet<Licence> = demo()
        .designs
        .iter()
        .map(|design| design.draft.licence)
        .collect();
    let ids: Vec<_> = licences.iter().map(|licence| licence.spdx_id()).collect();
    assert!(
        licences.len() >= 5,
        "only {} licences are used: {ids:?}",
        licences.len()
    );
    assert!(
        licences.contains(&Licence::PeerProduction),
        "no design uses LicenseRef-PPL: {ids:?}"
    );
    assert!(
        licences.contains(&Licence::CernOhlS2),
        "no design uses CERN-OHL-S-2.0: {ids:?}"
    );
}

#[test]
fn at_least_eight_process_kinds_are_used() {
    let kinds: BTreeSet<ProcessKind> = demo()
        .designs
        .iter()
        .flat_map(|design| design.draft.bill_of_materials.process_kinds())
        .collect();
    let slugs: Vec<_> = kinds.iter().map(|kind| kind.slug()).collect();
    assert!(
        kinds.len() >= 8,
        "only {} process kinds are used: {slugs:?}",
        kinds.len()
    );
}

#[test]
fn at_least_five_materials_are_shared_by_three_or_more_designs() {
    let mut designs_per_material: BTreeMap<String, usize> = BTreeMap::new();
    for design in demo().designs {
        for material in design.draft.bill_of_materials.materials() {
            *designs_per_material.entry(material).or_default() += 1;
        }
    }
    let shared: Vec<_> = designs_per_material
        .iter()
        .filter(|(_, count)| **count >= 3)
        .map(|(material, count)| format!("{material} ({count})"))
        .collect();
    assert!(
        shared.len() >= 5,
        "only {} materials are used by 3 or more designs: {shared:?}; reuse material names exactly",
        shared.len()
    );
}

#[test]
fn demo_accounts_belong_to_people_in_the_bundle_and_are_valid() {
    let bundle = demo();
    assert!(bundle.accounts.len() >= 3, "a few documented demo accounts");
    for account in &bundle.accounts {
        let agent = bundle.agents.iter().find(|a| a.id == account.agent);
        assert!(
            agent.is_some_and(|a| a.kind == stigmergy_core::AgentKind::Person),
            "{} is not a person in the bundle",
            account.agent
        );
        assert_eq!(account.validate(), Ok(()), "{}", account.agent);
    }
}

#[test]
fn demo_coalitions_and_memberships_refer_to_organizations_in_the_bundle() {
    use stigmergy_core::{AgentKind, MembershipRole};
    let bundle = demo();
    let kind_of =
        |id: &stigmergy_core::AgentId| bundle.agents.iter().find(|a| &a.id == id).map(|a| a.kind);
    assert!(bundle.coalitions.len() >= 2, "two or three coalitions");
    for coalition in &bundle.coalitions {
        assert!(
            kind_of(&coalition.agent).is_some_and(|k| k != AgentKind::Person),
            "{} is not an organization in the bundle",
            coalition.agent
        );
        assert!(!coalition.licences.is_empty(), "{}", coalition.agent);
        let stewards = bundle
            .memberships
            .iter()
            .filter(|m| m.organization == coalition.agent && m.role == MembershipRole::Steward)
            .count();
        assert!(stewards >= 1, "{} has a steward", coalition.agent);
    }
    for membership in &bundle.memberships {
        assert!(
            kind_of(&membership.organization).is_some_and(|k| k != AgentKind::Person),
            "{membership:?}"
        );
        assert!(kind_of(&membership.member).is_some(), "{membership:?}");
        assert_ne!(membership.organization, membership.member);
    }
    let accounts_stewarding = bundle
        .accounts
        .iter()
        .filter(|a| {
            bundle.memberships.iter().any(|m| {
                m.member == a.agent
                    && m.role == MembershipRole::Steward
                    && bundle.coalitions.iter().any(|c| c.agent == m.organization)
            })
        })
        .count();
    assert!(
        accounts_stewarding >= 2,
        "demo accounts can try out a steward's work"
    );
}
