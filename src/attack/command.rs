//! `authlab attack`: chooses the targets (the lab's own nodes, or the URLs given), runs the
//! attacks, and prints each result as it comes (text) or all of them at the end (JSON).

use std::io::Write;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Instant;

use super::nodes::OwnNodes;
use super::runner::{Outcome, Targets, run_attacks};
use super::{AttackError, catalogue, report};
use crate::i18n::Language;
use crate::token::keys::KeySet;

/// What `authlab attack` was asked to do: its command line, plus the executable and language the
/// shell fills in.
#[derive(Debug, Clone, clap::Args)]
pub struct CommandOptions {
    /// The authlab executable, to start the lab's own nodes with.
    #[arg(skip)]
    pub exe: PathBuf,
    /// Print one JSON array ({name, strategy, sent, expected, got, passed, why, ...}) instead of text.
    #[arg(long)]
    pub json: bool,
    /// Run only this attack, or every attack of a strategy (`session`, `token`).
    #[arg(long, value_name = "NAME")]
    pub only: Option<String>,
    /// List the attacks and exit.
    #[arg(long)]
    pub list: bool,
    /// The language of the report.
    #[arg(skip = Language::English)]
    pub language: Language,
    /// Attack this session node instead of starting the lab's own nodes.
    #[arg(long, value_name = "URL")]
    pub session: Option<String>,
    /// Attack this token node (the no-denylist replay runs here) instead of the lab's own.
    #[arg(long, value_name = "URL")]
    pub token: Option<String>,
    /// A token node started with `--revocation denylist`, for the replay-after-logout attack.
    #[arg(long, value_name = "URL")]
    pub token_denylist: Option<String>,
    /// The given token nodes' `--keys` file, to sign tokens whose only defect is one claim.
    #[arg(long, value_name = "FILE")]
    pub token_keys: Option<PathBuf>,
    /// The user-directory seed of the given nodes (see `authlab users`).
    #[arg(long, default_value_t = 42)]
    pub seed: u64,
}

impl CommandOptions {
    fn given_nodes(&self) -> bool {
        self.session.is_some() || self.token.is_some() || self.token_denylist.is_some()
    }
}

/// Whether every attack that ran passed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    /// Every attack that ran passed (skipped ones do not count against it).
    AllPassed,
    /// At least one attack got through.
    SomeFailed,
}

/// Runs the command, writing the report to `out`. An `Err` means the lab could not run at all.
pub async fn run(options: CommandOptions, out: &mut dyn Write) -> Result<Verdict, AttackError> {
    let attacks = catalogue::select(options.only.as_deref())?;
    let started = Instant::now();
    let lang = options.language;
    let own = if options.given_nodes() { None } else { Some(OwnNodes::start(&options.exe, options.seed).await?) };
    let targets = match &own {
        Some(nodes) => nodes.targets().clone(),
        None => {
            let token_keys = match &options.token_keys {
                Some(path) => Some(Arc::new(read_keys(path)?)),
                None => None,
            };
            Targets {
                session: options.session.clone(),
                token: options.token.clone(),
                token_denylist: options.token_denylist.clone(),
                session_short_ttl: None,
                token_keys,
                seed: options.seed,
            }
            .normalized()?
        }
    };
    if !options.json {
        let _ = writeln!(out, "{}\n", report::text_header(&targets, attacks.len(), own.is_some(), lang));
    }
    let json = options.json;
    let results = run_attacks(&attacks, &targets, |result| {
        if !json {
            let _ = writeln!(out, "{}", report::text_block(result, lang));
            let _ = out.flush();
        }
    })
    .await?;
    if let Some(nodes) = own {
        nodes.stop().await;
    }
    if json {
        let text = serde_json::to_string_pretty(&report::json_results(&results, lang)).unwrap_or_default();
        let _ = writeln!(out, "{text}");
    } else {
        let _ = writeln!(out, "{}", report::text_summary(&results, started.elapsed(), lang));
    }
    let _ = out.flush();
    if results.iter().any(|r| r.outcome == Outcome::Failed) { Ok(Verdict::SomeFailed) } else { Ok(Verdict::AllPassed) }
}

fn read_keys(path: &PathBuf) -> Result<KeySet, AttackError> {
    let fail = |reason: String| AttackError::TokenKeys { path: path.display().to_string(), reason };
    let text = std::fs::read_to_string(path).map_err(|e| fail(e.to_string()))?;
    KeySet::from_jwks_json(&text).map_err(|e| fail(e.to_string()))
}
