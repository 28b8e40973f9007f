#!/usr/bin/env bash
# Runs one fuzz target for a while, growing fuzz/corpus/TARGET from fuzz/seeds/TARGET, and keeps
# libFuzzer's output in fuzz/logs/TARGET.log. Usage: fuzz/run.sh TARGET [SECONDS] [libFuzzer flags...]
# No sanitizer (-s none): see fuzz/README.md. Niced: the build machine is shared.
set -euo pipefail
cd "$(dirname "$0")/.."
target=$1
seconds=${2:-600}
shift $(( $# < 2 ? $# : 2 ))
mkdir -p "fuzz/corpus/$target" fuzz/logs
case $target in
    scenario | recording) max_len=32768 ;;
    *) max_len=4096 ;;
esac
RUSTC_BOOTSTRAP=1 nice -n 15 cargo fuzz run -s none "$target" "fuzz/corpus/$target" "fuzz/seeds/$target" -- \
    -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -max_len="$max_len" -print_final_stats=1 "$@" \
    2>&1 | tee "fuzz/logs/$target.log"
