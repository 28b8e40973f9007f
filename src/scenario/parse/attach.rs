//! `endpoints` and `admin_token_file`: nodes the lab did not start, and what a scenario may ask of
//! them. The lab configures them over their admin API, so it needs their token; it cannot start,
//! restart or add their processes.
//!
//! Endpoints need no `allow_remote`, unlike `[target.*]`: they are `authlab node` processes whose
//! admin token the user holds and names, so listing one is already the user's consent, and the
//! load they take is the lab's own protocol.

use std::ops::Range;
use std::path::PathBuf;

use super::MAX_NODES;
use super::raw::{RawResource, S};
use super::target::base_url;
use super::validate::{Check, Problem, at, nowhere};
use crate::scenario::model::{ClusterSpec, SessionSpec, TokenSpec};

/// `[session] endpoints` or `[token] endpoints`: 1 to [`MAX_NODES`] distinct `http://` base URLs,
/// and no `nodes` beside them (the list says how many). Absent: none.
pub(super) fn endpoints(table: &str, raw: Option<&S<Vec<S<String>>>>, nodes: Option<&S<i64>>) -> Check<Vec<String>> {
    let Some(list) = raw else { return Ok(Vec::new()) };
    if let Some(nodes) = nodes {
        return Err(at(
            nodes,
            format!(
                "[{table}] lists endpoints, the nodes you run yourself: drop `nodes` (the list says how many), or drop \
                 `endpoints` to have the lab start its own nodes"
            ),
        ));
    }
    if list.get_ref().is_empty() {
        return Err(at(list, format!("[{table}] endpoints is empty: list your nodes' base URLs, or drop the key")));
    }
    if list.get_ref().len() > MAX_NODES as usize {
        return Err(at(list, format!("[{table}] endpoints: at most {MAX_NODES} nodes")));
    }
    let mut urls: Vec<String> = Vec::new();
    for value in list.get_ref() {
        let url = base_url(&format!("[{table}] endpoints"), value)?;
        if urls.contains(&url) {
            return Err(at(value, format!("[{table}] endpoints lists {url} twice")));
        }
        urls.push(url);
    }
    Ok(urls)
}

/// `[cluster] admin_token_file`: a path, not empty (read when the run starts, not here).
pub(super) fn token_file(value: &S<String>) -> Check<PathBuf> {
    match value.get_ref().trim() {
        "" => Err(at(value, "admin_token_file must name a file (the one your nodes' --admin-token-file reads)")),
        path => Ok(PathBuf::from(path)),
    }
}

/// What the rest of the scenario must be for its endpoints: a token file to configure them with,
/// no simulated shared store (the lab's gate runs on this machine), no `[resource]` (whose nodes
/// the lab would start beside nodes it does not own).
pub(super) fn check(
    cluster: &ClusterSpec,
    token_file_span: Option<Range<usize>>,
    session: Option<&SessionSpec>,
    token: Option<&TokenSpec>,
    resource: Option<&S<RawResource>>,
) -> Check<()> {
    let attached: Vec<&str> = [
        session.filter(|s| !s.endpoints.is_empty()).map(|_| "session"),
        token.filter(|t| !t.endpoints.is_empty()).map(|_| "token"),
    ]
    .into_iter()
    .flatten()
    .collect();
    match (attached.first(), &cluster.admin_token_file) {
        (Some(table), None) => {
            return Err(nowhere(format!(
                "[{table}] endpoints are configured over their admin API: add [cluster] admin_token_file = \"...\", \
                 the file holding the token your nodes read with --admin-token-file"
            )));
        }
        (None, Some(_)) => {
            return Err(Problem {
                span: token_file_span,
                message: "admin_token_file is the token of [session] or [token] endpoints, and this scenario lists \
                          none"
                    .into(),
            });
        }
        _ => {}
    }
    if session.is_some_and(|s| !s.endpoints.is_empty()) && cluster.store_machine.is_some() {
        return Err(nowhere(
            "store_machine simulates the shared store on this machine, which your own session nodes cannot reach: \
             drop it, or drop [session] endpoints",
        ));
    }
    if let (Some(resource), Some(table)) = (resource, attached.first()) {
        return Err(at(
            resource,
            format!("[resource] runs beside the lab's own nodes, and [{table}] lists endpoints of your own"),
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use crate::scenario::parse::parse_scenario;
    use crate::scenario::{EventAction, NodeRef, StrategyName};

    const HEAD: &str = "name = \"a\"\nduration = \"10s\"\n[load]\nstages = [{ at = \"0s\", target = 5 }]\n";

    fn parse(rest: &str) -> Result<crate::scenario::Scenario, String> {
        parse_scenario(&format!("{HEAD}{rest}"), "a.toml").map_err(|e| e.to_string())
    }

    fn refused(rest: &str) -> String {
        match parse(rest) {
            Ok(s) => panic!("expected an error, got {s:?}"),
            Err(e) => e,
        }
    }

    #[test]
    fn endpoints_are_the_nodes_and_may_be_remote() {
        let s = parse(
            "[cluster]\nadmin_token_file = \"/run/secrets/admin\"\n[session]\nendpoints = [\"http://10.77.0.2:8080/\", \
             \"http://10.77.0.3:8080\"]\n[[events]]\nat = \"2s\"\naction = \"kill_node\"\ntarget = \"session/2\"\n",
        )
        .unwrap_or_else(|e| panic!("{e}"));
        let session = s.session.as_ref().map(|s| (s.nodes, s.endpoints.clone()));
        assert_eq!(session, Some((2, vec!["http://10.77.0.2:8080".into(), "http://10.77.0.3:8080".into()])));
        assert_eq!(s.cluster.admin_token_file.as_deref(), Some(std::path::Path::new("/run/secrets/admin")));
        assert_eq!(s.endpoints(StrategyName::Session).len(), 2);
        let kill = EventAction::KillNode(NodeRef { strategy: StrategyName::Session, number: 2 });
        assert_eq!(s.events.first().map(|e| &e.action), Some(&kill));
    }

    #[test]
    fn what_endpoints_cannot_have_is_refused_where_it_is_written() {
        let token = "[cluster]\nadmin_token_file = \"t\"\n";
        let cases = [
            (
                format!("{token}[token]\nnodes = 2\nendpoints = [\"http://127.0.0.1:1\"]\n"),
                "a.toml:8:9:",
                "drop `nodes`",
            ),
            (format!("{token}[token]\nendpoints = []\n"), "a.toml:8:13:", "endpoints is empty"),
            (format!("{token}[token]\nendpoints = [\"ftp://h\"]\n"), "a.toml:8:14:", "an http:// URL with a host"),
            (format!("{token}[token]\nendpoints = [\"https://h\"]\n"), "a.toml:8:14:", "https is not supported"),
            (
                format!("{token}[token]\nendpoints = [\"http://h:1\", \"http://h:1/\"]\n"),
                "a.toml:8:28:",
                "lists http://h:1 twice",
            ),
            ("[token]\nendpoints = [\"http://h:1\"]\n".to_owned(), "a.toml:", "add [cluster] admin_token_file"),
            (format!("{token}[token]\n"), "a.toml:6:20:", "lists none"),
            ("[cluster]\nadmin_token_file = \" \"\n[token]\n".to_owned(), "a.toml:6:20:", "must name a file"),
            (
                format!(
                    "{token}[session]\nendpoints = [\"http://h:1\"]\n[[events]]\nat = \"1s\"\naction = \"add_node\"\ntarget = \"session\"\n"
                ),
                "a.toml:12:10:",
                "add one's URL in the live view",
            ),
            (
                format!(
                    "{token}[session]\nendpoints = [\"http://h:1\"]\n[[events]]\nat = \"1s\"\naction = \"restart_node\"\ntarget = \"session/1\"\n"
                ),
                "a.toml:12:10:",
                "use kill_node",
            ),
            (
                format!(
                    "{token}[session]\nstore = \"redis\"\nendpoints = [\"http://h:1\"]\n[cluster.store_machine]\nworkers = 1\nservice_time = \"1ms\"\n"
                ),
                "a.toml:",
                "store_machine",
            ),
        ];
        for (text, position, says) in cases {
            let message = refused(&text);
            assert!(message.starts_with(position) && message.contains(says), "{text}\n=> {message}");
        }
    }
}
