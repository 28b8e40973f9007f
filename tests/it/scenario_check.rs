//! `authlab check FILE...`: every scenario in `scenarios/` is valid, and a bad file is reported as
//! `file:line:col: message` with a non-zero exit status.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

const BIN: &str = env!("CARGO_BIN_EXE_authlab");

fn check(files: &[&Path]) -> Output {
    Command::new(BIN).arg("check").args(files).output().expect("running `authlab check`")
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// A scratch directory of this test process.
fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("authlab-scenario-check-{}-{name}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("creating a scratch directory");
    dir
}

fn library() -> Vec<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios");
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .expect("reading scenarios/")
        .map(|e| e.expect("listing scenarios/").path())
        .filter(|p| p.extension().is_some_and(|x| x == "toml"))
        .collect();
    files.sort();
    files
}

#[test]
fn every_library_scenario_is_valid() {
    let files = library();
    assert!(!files.is_empty(), "no scenarios/*.toml");
    let refs: Vec<&Path> = files.iter().map(PathBuf::as_path).collect();
    let out = check(&refs);
    let (stdout, stderr) = (text(&out.stdout), text(&out.stderr));
    assert!(out.status.success(), "authlab check failed:\n{stderr}\n{stdout}");
    assert!(stderr.trim().is_empty(), "unexpected stderr:\n{stderr}");
    for file in &files {
        let line = format!("{}: ok (", file.display());
        assert!(stdout.lines().any(|l| l.starts_with(&line)), "no `{line}...` line in:\n{stdout}");
    }
}

#[test]
fn a_scenario_is_summarised() {
    let file = Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios/node-crash.toml");
    let out = check(&[&file]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert_eq!(
        text(&out.stdout).trim(),
        format!(
            "{}: ok (A node crashes: sessions are lost, tokens are not, 30s, session: 3 nodes / token: 3 nodes)",
            file.display()
        )
    );
}

#[test]
fn a_bad_file_fails_with_file_line_col() {
    let dir = scratch("bad");
    let bad = dir.join("bad.toml");
    std::fs::write(
        &bad,
        "name = \"bad\"\nduration = \"10s\"\n\n[load]\nstages = [ { at = \"0s\", target = 5 } ]\n\n\
         [cluster]\nrouting = \"stiky\"\n\n[token]\n",
    )
    .expect("writing the bad scenario");
    let good = dir.join("good.toml");
    std::fs::write(
        &good,
        "name = \"good\"\nduration = \"5s\"\n[load]\nstages = [ { at = \"0s\", target = 1 } ]\n[session]\n",
    )
    .expect("writing the good scenario");

    let out = check(&[&good, &bad]);
    let (stdout, stderr) = (text(&out.stdout), text(&out.stderr));
    assert!(!out.status.success(), "a bad file must fail the check:\n{stdout}");
    let expected = format!(
        "{}:8:11: unknown routing \"stiky\"; expected one of round_robin, random, sticky, least_outstanding",
        bad.display()
    );
    assert!(stderr.lines().any(|l| l == expected), "expected `{expected}` in stderr:\n{stderr}");
    // The good file is still checked and reported.
    assert!(stdout.contains(&format!("{}: ok (good, 5s, session: 1 node / token: off)", good.display())), "{stdout}");
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn a_missing_file_fails_and_says_so() {
    let missing = scratch("missing").join("nope.toml");
    let out = check(&[&missing]);
    assert!(!out.status.success());
    let stderr = text(&out.stderr);
    assert!(stderr.contains(&format!("{}: cannot read: ", missing.display())), "{stderr}");
}

#[test]
fn check_needs_at_least_one_file() {
    let out = Command::new(BIN).arg("check").output().expect("running `authlab check`");
    assert!(!out.status.success(), "`authlab check` with no file must fail");
}

#[test]
fn the_built_in_scenarios_are_listed_with_a_summary_or_in_korean_by_name() {
    let list = |args: &[&str]| {
        let output = Command::new(BIN).args(args).output().expect("running `authlab scenarios`");
        assert!(output.status.success(), "{}", text(&output.stderr));
        text(&output.stdout)
    };
    let english = list(&["scenarios"]);
    for (name, _) in authlab::scenario::builtin::BUILT_IN {
        assert!(english.lines().any(|line| line.starts_with(name)), "{name} is listed:\n{english}");
    }
    assert!(
        english.contains("memory-growth           Every logged-in user costs a session on the server"),
        "{english}"
    );
    let korean = list(&["--lang", "ko", "scenarios"]);
    assert!(korean.contains("memory-growth           로그인 사용자와 함께 늘어나는 메모리"), "{korean}");
}

#[test]
fn a_reader_that_stops_early_is_no_error() {
    use std::io::Read;
    // Megabytes of CSV: far more than a pipe holds, so authlab is still writing when it closes.
    // (`authlab scenarios` shares the handling, but its list fits in a pipe: it cannot hit this.)
    let mut child = Command::new(BIN)
        .args(["users", "--count", "100000"])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("starting authlab");
    let mut first = [0u8; 16];
    child.stdout.take().expect("stdout").read_exact(&mut first).expect("the first bytes");
    // The pipe is closed now, as `| head -c 16` would leave it.
    let output = child.wait_with_output().expect("authlab ends");
    let stderr = text(&output.stderr);
    assert!(output.status.success() && !stderr.contains("panicked"), "{stderr}");
}
