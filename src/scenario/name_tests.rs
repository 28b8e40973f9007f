//! Tests of the scenario enums' name tables: each name stands for its value, and agrees with serde.

use crate::scenario::*;

fn round_trips<T: Copy + PartialEq + std::fmt::Debug>(
    names: &[(T, &str)],
    name: fn(T) -> &'static str,
    from_name: fn(&str) -> Option<T>,
) {
    for &(value, text) in names {
        assert_eq!(name(value), text);
        assert_eq!(from_name(text), Some(value));
    }
    assert_eq!(from_name("no such name"), None);
}

#[test]
fn every_name_stands_for_its_value_and_back() {
    round_trips(Mode::NAMES, Mode::name, Mode::from_name);
    round_trips(LoadModel::NAMES, LoadModel::name, LoadModel::from_name);
    round_trips(ClientKind::NAMES, ClientKind::name, ClientKind::from_name);
    round_trips(Routing::NAMES, Routing::name, Routing::from_name);
    round_trips(StoreKind::NAMES, StoreKind::name, StoreKind::from_name);
    round_trips(Revocation::NAMES, Revocation::name, Revocation::from_name);
    round_trips(Action::NAMES, Action::name, Action::from_name);
    round_trips(StrategyName::NAMES, StrategyName::name, StrategyName::from_name);
    round_trips(Chart::NAMES, Chart::name, Chart::from_name);
    assert_eq!(Chart::NAMES.len(), 15);
}

#[test]
fn names_are_the_serde_names() {
    // Recordings and summaries serialise these enums with serde; the names must agree.
    for &(action, name) in Action::NAMES {
        assert_eq!(serde_json::to_value(action).ok(), Some(serde_json::json!(name)));
    }
    for &(revocation, name) in Revocation::NAMES {
        assert_eq!(serde_json::to_value(revocation).ok(), Some(serde_json::json!(name)));
    }
    for &(routing, name) in Routing::NAMES {
        assert_eq!(serde_json::to_value(routing).ok(), Some(serde_json::json!(name)));
    }
    for &(chart, name) in Chart::NAMES {
        assert_eq!(serde_json::to_value(chart).ok(), Some(serde_json::json!(name)));
    }
}
