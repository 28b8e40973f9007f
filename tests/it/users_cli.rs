//! `authlab users --seed S --count N`: the deterministic user directory as CSV, and the fact that
//! a node with the same seed accepts exactly those credentials.
use crate::support::*;
use std::io::Read;
use std::process::{Command, Stdio};

#[test]
fn csv_has_header_and_n_rows_with_padded_usernames() {
    let rows = users_csv(42, 25);
    assert_eq!(rows.len(), 25);
    for (i, (u, p)) in rows.iter().enumerate() {
        assert_eq!(u, &format!("user{i:07}"), "username of row {i}");
        assert!(!p.is_empty(), "empty password for {u}");
        assert!(!p.contains(',') && !p.contains('"'), "password needs CSV quoting: {p:?}");
    }
    // Passwords are per user, not one shared value.
    let mut pw: Vec<&String> = rows.iter().map(|(_, p)| p).collect();
    pw.sort();
    pw.dedup();
    assert!(pw.len() > 20, "passwords are not distinct per user: {pw:?}");
}

#[test]
fn csv_is_deterministic_for_a_seed_and_differs_across_seeds() {
    let a1 = users_csv(42, 50);
    let a2 = users_csv(42, 50);
    let b = users_csv(43, 50);
    assert_eq!(a1, a2, "same seed must give the same CSV");
    assert_ne!(a1, b, "another seed must give another CSV");
    // The usernames are the same; the passwords differ (at least most of them).
    let same_pw = a1.iter().zip(&b).filter(|(x, y)| x.1 == y.1).count();
    assert!(same_pw < 5, "{same_pw} of 50 passwords are equal across seeds");
    for (x, y) in a1.iter().zip(&b) {
        assert_eq!(x.0, y.0, "usernames do not depend on the seed");
    }
}

#[test]
fn a_million_users_completes() {
    let mut child = Command::new(BIN)
        .args(["users", "--seed", "1", "--count", "1000000"])
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawning `authlab users --count 1000000`");
    let mut out = child.stdout.take().expect("stdout pipe");
    let mut lines = 0usize;
    let mut last = 0u8;
    let mut buf = vec![0u8; 1 << 16];
    loop {
        let n = out.read(&mut buf).expect("reading the users pipe");
        if n == 0 {
            break;
        }
        lines += buf[..n].iter().filter(|&&b| b == b'\n').count();
        last = buf[n - 1];
    }
    let mut err = String::new();
    child.stderr.take().expect("stderr pipe").read_to_string(&mut err).expect("reading stderr");
    let status = child.wait().expect("waiting for `authlab users`");
    assert!(status.success(), "`authlab users --count 1000000` failed: {status:?}\n{err}");
    assert_eq!(last, b'\n', "output ends with a newline");
    assert_eq!(lines, 1_000_001, "header + 1,000,000 rows");
}

#[tokio::test]
async fn printed_credentials_log_in_on_a_node_with_the_same_seed_only() {
    let rows = users_csv(7, 20);
    let same = Node::start(&["--strategy", "session", "--seed", "7", "--users", "20", "--password-hash", "sha256"]);
    let other = Node::start(&["--strategy", "session", "--seed", "8", "--users", "20", "--password-hash", "sha256"]);
    let c = client();
    for idx in [0usize, 1, 10, 19] {
        let (u, p) = &rows[idx];
        let r = login(&c, &same, u, p).await;
        assert_eq!(r.status().as_u16(), 200, "login {u} on a node with the same seed");
        let r = login(&c, &other, u, p).await;
        expect_error(r, 401, &format!("login {u} on a node with another seed")).await;
    }
    // Another user's password does not work either.
    let r = login(&c, &same, &rows[0].0, &rows[1].1).await;
    expect_error(r, 401, "user 0 with user 1's password").await;
}

#[tokio::test]
async fn printed_credentials_log_in_on_a_token_node_too() {
    let rows = users_csv(11, 5);
    let node = Node::start(&["--strategy", "token", "--seed", "11", "--users", "5", "--password-hash", "sha256"]);
    let c = client();
    for (u, p) in &rows {
        let r = login(&c, &node, u, p).await;
        assert_eq!(r.status().as_u16(), 200, "token login {u}");
    }
    let r = login(&c, &node, &rows[0].0, "not-the-password").await;
    expect_error(r, 401, "token login with a wrong password").await;
}
