//! The app's attack lab panel, driven headless with egui_kittest: run the catalogue, see the
//! results appear, open one attack's request, answer and explanation, in English and Korean.

use std::path::PathBuf;
use std::time::{Duration, Instant};

use authlab::app::{AuthlabApp, Prefs, install_fonts};
use authlab::attack::{Outcome, catalogue};
use egui_kittest::Harness;
use egui_kittest::kittest::Queryable;

fn harness() -> Harness<'static, AuthlabApp> {
    let app = AuthlabApp::new(Prefs::default(), PathBuf::from(env!("CARGO_BIN_EXE_authlab"))).expect("the app starts");
    Harness::builder()
        .with_size([1400.0, 900.0])
        .with_context_setup(install_fonts)
        .build_ui_state(|ui, app: &mut AuthlabApp| app.show(ui), app)
}

/// Steps the UI (never blocking it) until `done`, or panics after `timeout`.
fn run_until(harness: &mut Harness<'_, AuthlabApp>, timeout: Duration, done: impl Fn(&AuthlabApp) -> bool) {
    let deadline = Instant::now() + timeout;
    while !done(harness.state()) {
        assert!(Instant::now() < deadline, "the app did not get there in {timeout:?}");
        std::thread::sleep(Duration::from_millis(20));
        harness.step();
    }
}

#[test]
fn the_attack_lab_runs_the_catalogue_and_shows_each_exchange() {
    let mut harness = harness();
    harness.run();
    harness.get_by_label("Attack lab").click();
    harness.run();
    harness.get_by_label("No results yet: run the whole catalogue or one attack.");
    harness.get_by_label("Run all attacks").click();
    harness.step();
    assert!(harness.state().attack_lab.is_running(), "the run goes on off the UI thread");
    run_until(&mut harness, Duration::from_secs(20), |app| !app.attack_lab.is_running());

    let lab = &harness.state().attack_lab;
    assert_eq!(lab.error, None);
    let results = lab.results();
    assert_eq!(results.len(), catalogue::CATALOGUE.len(), "every attack reported");
    let not_passed: Vec<&str> =
        results.iter().filter(|r| r.outcome != Outcome::Passed).map(|r| r.attack.name).collect();
    assert!(not_passed.is_empty(), "against the lab's own nodes, these did not pass: {not_passed:?}");
    let count = results.len();

    // Every attack is listed; one of them, opened, shows its requests, answers and explanation.
    harness.step();
    assert_eq!(harness.query_all_by_label("PASS").count(), count);
    harness.get_by_label("key-confusion").click();
    harness.step();
    harness.step();
    let attack = catalogue::find("key-confusion").expect("in the catalogue");
    harness.get_by_label("Why it matters");
    harness.get_by_label(attack.why.en);
    assert!(harness.query_all_by_label("Request").count() >= 1, "the decisive request is shown");
    assert!(harness.query_all_by_label("Response").count() >= 1, "and its answer");
    assert!(harness.query_all_by_label_contains("/.well-known/jwks.json → 200").count() >= 1, "the JWKS fetch");

    // The panel follows the app's language.
    harness.get_by_label("한국어").click();
    harness.step();
    harness.step();
    harness.get_by_label("왜 중요한가");
    harness.get_by_label(attack.why.ko);

    // A single attack runs alone and replaces its own row.
    harness.get_by_label("이 공격 실행").click();
    harness.step();
    run_until(&mut harness, Duration::from_secs(20), |app| !app.attack_lab.is_running());
    let results = harness.state().attack_lab.results();
    assert_eq!(results.len(), catalogue::CATALOGUE.len());
    assert!(results.iter().all(|r| r.outcome == Outcome::Passed));
}
