//! The accounts virtual users log in as: the lab's directory derived from the seed, or the list a
//! `[target.*]` table names (a CSV file, or a command that prints one).

use std::path::PathBuf;
use std::sync::Arc;

use crate::scenario::target::AccountSource;
use crate::users;

/// Why a target's accounts could not be read.
#[derive(Debug, thiserror::Error)]
pub enum AccountsError {
    /// The CSV file could not be read.
    #[error("cannot read the accounts file {path}: {error}")]
    Read {
        /// The file.
        path: PathBuf,
        /// Why.
        error: std::io::Error,
    },
    /// The command could not be started.
    #[error("cannot run users_command {program:?}: {error}")]
    Start {
        /// Its program.
        program: String,
        /// Why.
        error: std::io::Error,
    },
    /// The command failed.
    #[error("users_command {program:?} failed ({status}): {stderr}")]
    Failed {
        /// Its program.
        program: String,
        /// How it ended.
        status: std::process::ExitStatus,
        /// The end of what it wrote to stderr.
        stderr: String,
    },
    /// The text is not `username,password` CSV with a header line.
    #[error("{origin}: {message}")]
    Csv {
        /// The file or command.
        origin: String,
        /// What is wrong, and on which line.
        message: String,
    },
}

/// Who the driver logs in as.
#[derive(Debug, Clone)]
pub enum Accounts {
    /// The lab's user directory: `users::username(i)`, `users::password(seed, i)`.
    Derived {
        /// The scenario's seed.
        seed: u64,
        /// Accounts in the directory.
        count: u32,
    },
    /// A target's accounts, as listed.
    Listed(Arc<Vec<(String, String)>>),
}

impl Accounts {
    /// Account `index` (modulo their number): its user name and password.
    pub fn get(&self, index: u64) -> (String, String) {
        match self {
            Accounts::Derived { seed, count } => {
                let i = (index % u64::from((*count).max(1))) as u32;
                (users::username(i), users::password(*seed, i))
            }
            Accounts::Listed(list) => match list.get((index % list.len().max(1) as u64) as usize) {
                Some((user, password)) => (user.clone(), password.clone()),
                None => (String::new(), String::new()),
            },
        }
    }

    /// Reads a target's accounts (blocking: a file, or a command's output).
    pub fn read(source: &AccountSource) -> Result<Accounts, AccountsError> {
        let (origin, text) = match source {
            AccountSource::Csv(path) => {
                let text =
                    std::fs::read_to_string(path).map_err(|error| AccountsError::Read { path: path.clone(), error })?;
                (path.display().to_string(), text)
            }
            AccountSource::Command(argv) => (argv.join(" "), run_command(argv)?),
        };
        parse_csv(&origin, &text).map(|list| Accounts::Listed(Arc::new(list)))
    }
}

fn run_command(argv: &[String]) -> Result<String, AccountsError> {
    let program = argv.first().cloned().unwrap_or_default();
    let output = std::process::Command::new(&program)
        .args(argv.iter().skip(1))
        .stdin(std::process::Stdio::null())
        .output()
        .map_err(|error| AccountsError::Start { program: program.clone(), error })?;
    if !output.status.success() {
        let stderr = String::from_utf8_lossy(&output.stderr);
        let tail: String =
            stderr.lines().rev().take(5).collect::<Vec<_>>().into_iter().rev().collect::<Vec<_>>().join("\n");
        return Err(AccountsError::Failed { program, status: output.status, stderr: tail });
    }
    String::from_utf8(output.stdout)
        .map_err(|_| AccountsError::Csv { origin: argv.join(" "), message: "the output is not UTF-8".into() })
}

/// `username,password` with a header line; blank lines are skipped.
pub fn parse_csv(origin: &str, text: &str) -> Result<Vec<(String, String)>, AccountsError> {
    let bad = |line: usize, message: String| AccountsError::Csv {
        origin: origin.to_owned(),
        message: format!("line {line}: {message}"),
    };
    let mut lines = text.lines().enumerate().filter(|(_, l)| !l.trim().is_empty());
    match lines.next() {
        Some((_, header)) if header.trim().eq_ignore_ascii_case("username,password") => {}
        Some((n, header)) => {
            return Err(bad(n + 1, format!("expected the header line username,password, not {header:?}")));
        }
        None => return Err(AccountsError::Csv { origin: origin.to_owned(), message: "no accounts".into() }),
    }
    let accounts = lines
        .map(|(n, line)| match line.trim_end_matches('\r').split_once(',') {
            Some((user, password)) if !user.is_empty() => Ok((user.to_owned(), password.to_owned())),
            _ => Err(bad(n + 1, format!("expected username,password, not {line:?}"))),
        })
        .collect::<Result<Vec<_>, _>>()?;
    if accounts.is_empty() {
        return Err(AccountsError::Csv { origin: origin.to_owned(), message: "a header line, but no accounts".into() });
    }
    Ok(accounts)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_csv_of_accounts_reads_with_its_header_and_a_bad_line_is_named() {
        let list = parse_csv("u.csv", "username,password\nann,pw1\n\nbob,p,w\n").unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(list, [("ann".into(), "pw1".into()), ("bob".into(), "p,w".into())]);
        let accounts = Accounts::Listed(Arc::new(list));
        assert_eq!(accounts.get(3).0, "bob", "the accounts go round");
        let e = parse_csv("u.csv", "user,pass\nann,pw\n").err().map(|e| e.to_string()).unwrap_or_default();
        assert!(e.contains("u.csv: line 1") && e.contains("username,password"), "{e}");
        let e = parse_csv("u.csv", "username,password\nann\n").err().map(|e| e.to_string()).unwrap_or_default();
        assert!(e.contains("line 2"), "{e}");
    }

    #[test]
    fn the_lab_directory_is_the_one_the_nodes_derive() {
        let accounts = Accounts::Derived { seed: 7, count: 10 };
        assert_eq!(accounts.get(12), (users::username(2), users::password(7, 2)));
    }
}
