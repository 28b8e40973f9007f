//! The Kubernetes manifests (`deploy/kubernetes/`) as far as one machine can take them, without a
//! Kubernetes: valid against Kubernetes' own API schema (`kubernetes-validate --strict`), and each
//! Deployment's pods run as the kubelet would run their container (its command and args, its env,
//! the Secret mounted as files), as processes on loopback, restarted when they exit. The test asks
//! their probes what the kubelet would ask, and attaches the lab to them with the Secret's token.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

use serde_json::Value;

use crate::attach::{OutsideSupervisor, assert_session_1_crashed_and_came_back, crash_scenario};
use crate::support::python::{PythonLibrary, available, http_get};
use crate::support::{BIN, free_port, run_scenario};

const MANIFESTS: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/deploy/kubernetes");
const TO_JSON: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/scripts/manifests_json.py");
/// Where the image puts the binary (docs/attach.md's Dockerfile).
const IMAGE_BINARY: &str = "/usr/local/bin/authlab";

/// Whether python3 with kubernetes-validate (and its PyYAML) is here: a loud skip, or a failure
/// with `AUTHLAB_REQUIRE_KUBERNETES_VALIDATE=1` (CI).
fn validator_here() -> bool {
    static PROBED: OnceLock<Result<(), String>> = OnceLock::new();
    let library = PythonLibrary {
        import: "kubernetes_validate, yaml",
        name: "kubernetes-validate",
        require: "AUTHLAB_REQUIRE_KUBERNETES_VALIDATE",
        install: "pip install kubernetes-validate==1.37.0",
        tests: "the Kubernetes manifest tests (deploy_kubernetes)",
    };
    available(&library, &PROBED)
}

fn manifest_files() -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(MANIFESTS)
        .expect("deploy/kubernetes/ is there")
        .map(|entry| entry.expect("a directory entry").path())
        .filter(|path| path.extension().is_some_and(|e| e == "yaml"))
        .collect();
    files.sort();
    files
}

/// Every document of every manifest, as JSON.
fn documents() -> Vec<Value> {
    let out = Command::new("python3").arg(TO_JSON).args(manifest_files()).output().expect("python3 runs");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    serde_json::from_slice(&out.stdout).expect("the manifests as JSON")
}

#[test]
fn the_manifests_are_valid_kubernetes_objects() {
    if !validator_here() {
        return;
    }
    let out = Command::new("python3")
        .args(["-m", "kubernetes_validate", "--strict"])
        .args(manifest_files())
        .output()
        .expect("python3 -m kubernetes_validate runs");
    let said = format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    assert!(out.status.success(), "kubernetes-validate --strict refused the manifests:\n{said}");
    // A Deployment and a Service per strategy, and the Secret: each was checked.
    let kinds: Vec<String> = documents()
        .iter()
        .map(|d| format!("{}/{}", d["kind"].as_str().unwrap_or("?"), d["metadata"]["name"].as_str().unwrap_or("?")))
        .collect();
    for kind in [
        "Deployment/authlab-session",
        "Service/authlab-session",
        "Deployment/authlab-token",
        "Service/authlab-token",
        "Secret/authlab-admin",
    ] {
        assert!(kinds.iter().any(|k| k == kind), "{kind} in {kinds:?}");
        let name = kind.split('/').nth(1).unwrap_or_default().to_lowercase();
        let kind = kind.split('/').next().unwrap_or_default().to_lowercase();
        assert!(said.contains(&format!("passed for resource {kind}/{name}")), "{kind}/{name} was validated:\n{said}");
    }
}

/// A directory of the test's own, holding a Secret's files as the kubelet mounts them; removed on
/// drop.
struct MountedSecret(PathBuf);

impl Drop for MountedSecret {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// One pod of a Deployment, as the kubelet would start its container here.
struct Pod {
    strategy: String,
    argv: Vec<String>,
    url: String,
    readiness_path: String,
}

fn find<'a>(list: &'a Value, name: &str) -> &'a Value {
    list.as_array().and_then(|l| l.iter().find(|v| v["name"] == name)).unwrap_or(&Value::Null)
}

/// The pods of every Deployment (`replicas` of each), their container's command line rewritten
/// only where a pod's world differs from this machine's: the image's binary is the one built
/// here, `0.0.0.0:8080` is a free port of 127.0.0.1, and the Secret's mount is `secret`'s
/// directory. `$(VAR)` in the args is expanded from the container's env, as the kubelet does.
fn pods(documents: &[Value], secret: &Path) -> Vec<Pod> {
    let by_kind = |kind: &'static str| documents.iter().filter(move |d| d["kind"] == kind);
    let secret_data = &by_kind("Secret").next().expect("a Secret")["stringData"];
    let mut pods = Vec::new();
    for deployment in by_kind("Deployment") {
        let name = deployment["metadata"]["name"].as_str().expect("a name");
        let spec = &deployment["spec"]["template"]["spec"];
        let containers = spec["containers"].as_array().expect("containers");
        assert_eq!(containers.len(), 1, "{name}: one container");
        let container = &containers[0];
        assert_eq!(container["command"], serde_json::json!([IMAGE_BINARY]), "{name}'s command");

        // The Secret's items become files in the mount.
        let mount = container["volumeMounts"].as_array().and_then(|m| m.first()).expect("a volume mount");
        let volume = find(&spec["volumes"], mount["name"].as_str().expect("mount name"));
        let mount_path = mount["mountPath"].as_str().expect("mountPath");
        for item in volume["secret"]["items"].as_array().expect("the Secret's items") {
            let key = item["key"].as_str().expect("item key");
            let value = secret_data[key].as_str().unwrap_or_else(|| panic!("{name}: the Secret has no {key}"));
            std::fs::write(secret.join(item["path"].as_str().expect("item path")), value).expect("the Secret's file");
        }

        // The port the probes ask is the one the node listens on.
        let http_port = find(&container["ports"], "http")["containerPort"].as_u64().expect("an http port");
        let probe = &container["readinessProbe"]["httpGet"];
        assert_eq!(probe["port"], "http", "{name}: readiness on the http port");
        assert_eq!(container["livenessProbe"]["tcpSocket"]["port"], "http", "{name}: liveness on the http port");

        let replicas = deployment["spec"]["replicas"].as_u64().unwrap_or(1);
        for replica in 0..replicas {
            let pod_name = format!("{name}-{replica}");
            let env: BTreeMap<&str, String> = container["env"]
                .as_array()
                .into_iter()
                .flatten()
                .map(|e| {
                    let value = match e["valueFrom"]["fieldRef"]["fieldPath"].as_str() {
                        Some("metadata.name") => pod_name.clone(),
                        Some(other) => panic!("{name}: no stand-in for the field {other}"),
                        None => e["value"].as_str().unwrap_or_default().to_owned(),
                    };
                    (e["name"].as_str().expect("env name"), value)
                })
                .collect();
            let port = free_port();
            let mut strategy = String::new();
            let mut argv = vec![BIN.to_owned()];
            for arg in container["args"].as_array().expect("args") {
                let mut arg = arg.as_str().expect("an arg is a string").to_owned();
                for (var, value) in &env {
                    arg = arg.replace(&format!("$({var})"), value);
                }
                if let Some(listen) = arg.strip_prefix("--listen=") {
                    assert_eq!(listen, format!("0.0.0.0:{http_port}"), "{name} listens on its http port");
                    arg = format!("--listen=127.0.0.1:{port}");
                }
                if let Some(s) = arg.strip_prefix("--strategy=") {
                    strategy = s.to_owned();
                }
                argv.push(arg.replace(mount_path, secret.to_str().expect("a UTF-8 temp path")));
            }
            let readiness_path = probe["path"].as_str().expect("a readiness path").to_owned();
            pods.push(Pod { strategy, argv, url: format!("http://127.0.0.1:{port}"), readiness_path });
        }
    }
    pods
}

/// What the kubelet's readiness probe would get: the status, 0 when nothing answers.
fn readiness(pod: &Pod) -> u16 {
    http_get(&pod.url, &pod.readiness_path).map_or(0, |(status, _)| status)
}

#[test]
fn the_manifests_pods_wait_unready_until_the_lab_configures_them_and_come_back_after_a_crash() {
    if !validator_here() {
        return;
    }
    let secret = MountedSecret(std::env::temp_dir().join(format!("authlab-test-{}-kube-secret", std::process::id())));
    std::fs::create_dir_all(&secret.0).expect("the Secret's mount");
    let mut pods = pods(&documents(), &secret.0);
    // The session pods first: the crash check reads the supervisor's first node as session/1.
    pods.sort_by_key(|pod| pod.strategy != "session");
    let sessions: Vec<&Pod> = pods.iter().filter(|p| p.strategy == "session").collect();
    let tokens: Vec<&Pod> = pods.iter().filter(|p| p.strategy == "token").collect();
    assert!(sessions.len() >= 2 && !tokens.is_empty(), "two session pods and a token pod at least");
    let supervisor = OutsideSupervisor::start(pods.iter().map(|pod| pod.argv.clone()).collect());

    // Started, alive (the liveness probe's TCP connect), and not ready: unconfigured.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    while pods.iter().any(|pod| readiness(pod) == 0) {
        assert!(std::time::Instant::now() < deadline, "every pod listens within 20 s");
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    for pod in &pods {
        assert!(std::net::TcpStream::connect(pod.url.trim_start_matches("http://")).is_ok(), "liveness");
        assert_eq!(readiness(pod), 503, "{} is not ready before the lab configures it", pod.url);
    }

    // The lab reads the same token the pods were given: the Secret's file.
    let urls = |pods: &[&Pod]| pods.iter().map(|p| p.url.clone()).collect::<Vec<_>>();
    let token_file = secret.0.join("admin-token");
    let token_file = token_file.to_str().expect("a UTF-8 temp path");
    let scenario = crash_scenario("kubernetes manifests", token_file, &urls(&sessions), &urls(&tokens));
    let run = run_scenario(&scenario);
    assert_session_1_crashed_and_came_back(&run, &supervisor, pods.len());
    for strategy in ["session", "token"] {
        assert!(run.count(strategy, "ok") > 100, "{strategy} pods served the load");
    }
    // Configured (the crashed one again, after its restart): every pod is ready now.
    for pod in &pods {
        assert_eq!(readiness(pod), 200, "{} is ready once configured", pod.url);
    }
}
