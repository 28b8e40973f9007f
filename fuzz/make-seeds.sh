#!/usr/bin/env bash
# Rewrites the seed corpora that the crate's own code makes (a real recording, minted access
# tokens) from an ignored test of the main crate; the other seeds are hand-written files.
set -euo pipefail
cd "$(dirname "$0")/.."
cp scenarios/*.toml fuzz/seeds/scenario/
nice -n 15 cargo test --test it -- --ignored --exact fuzz_regressions::write_fuzz_seeds
