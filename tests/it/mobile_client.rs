//! A client without a cookie jar, as a mobile app would be (`[load] client`): whole runs of the
//! built-in `mobile-client` scenario, shortened, asserting what its numbers must show.

use crate::support::Finished;
use authlab::measure::RangeStats;
use authlab::scenario::StrategyName::{self, Session, Token};
use authlab::scenario::builtin;

/// The built-in scenario, shortened to a few seconds, with its client replaced by `client`.
fn mobile_client_run(client: &str) -> Finished {
    let mut text = builtin::source("mobile-client").expect("the built-in mobile-client scenario").to_owned();
    for (from, to) in [
        ("duration = \"30s\"", "duration = \"4s\"".to_owned()),
        ("target = 50", "target = 20".to_owned()),
        ("client = \"mobile_naive\"", format!("client = \"{client}\"")),
    ] {
        assert!(text.contains(from), "the test expects {from:?} in scenarios/mobile-client.toml");
        text = text.replacen(from, &to, 1);
    }
    crate::support::run_scenario(&text)
}

fn whole(run: &Finished, strategy: StrategyName) -> RangeStats {
    run.recording.aggregate(strategy, 0.0, f64::MAX).unwrap_or_else(|| panic!("{strategy:?} ran"))
}

fn credential_bytes(run: &Finished, strategy: &str) -> f64 {
    run.strategy(strategy)["credential_bytes_per_request"].as_f64().expect("credential_bytes_per_request")
}

#[test]
fn without_cookie_code_every_session_request_is_refused_while_tokens_work_unchanged() {
    let run = mobile_client_run("mobile_naive");
    let summary = &run.summary;

    // Tokens: the app copies the token from the login's JSON, as it always did.
    assert_eq!(run.count("token", "failed"), 0, "{summary}");
    assert!(run.count("token", "ok") > 200, "{summary}");
    assert!(credential_bytes(&run, "token") > 100.0, "a bearer header on every request: {summary}");

    // Sessions: nothing goes back, so every request of a visit gets 401 and a new login.
    let session = whole(&run, Session);
    let refused = run.count("session", "unauthorized");
    assert!(refused > 200, "{summary}");
    assert_eq!(credential_bytes(&run, "session"), 0.0, "no cookie is ever sent: {summary}");
    assert!(session.forced_relogins * 10 >= refused * 9, "each 401 forces a login: {session:?}");
    // What succeeded is logins and logouts only: no request of a visit ever got through.
    let visits = session.logins - session.forced_relogins;
    let ok = run.count("session", "ok");
    assert!(ok <= session.logins + visits + 20, "only logins ({}) and logouts succeed: {ok} ok", session.logins);
    // Each of those logins left a session on the server that no client will present again.
    assert!(
        session.sessions_held_peak > 5 * session.users_logged_in_peak,
        "orphaned sessions pile up: {} held for {} users",
        session.sessions_held_peak,
        session.users_logged_in_peak
    );
    assert_eq!(whole(&run, Token).forced_relogins, 0);
}

#[test]
fn an_app_that_hand_carries_the_cookie_runs_sessions_like_a_browser() {
    let run = mobile_client_run("mobile");
    let summary = &run.summary;
    for strategy in ["session", "token"] {
        assert_eq!(run.count(strategy, "failed"), 0, "{strategy}: {summary}");
        assert!(run.count(strategy, "ok") > 200, "{strategy}: {summary}");
    }
    // `Cookie: sid=<22 characters>` on every request.
    assert!((20.0..60.0).contains(&credential_bytes(&run, "session")), "{summary}");
    let session = whole(&run, Session);
    assert_eq!(session.forced_relogins, 0);
    assert!(session.sessions_held_peak <= session.logins, "one session per login, no more: {session:?}");
}
