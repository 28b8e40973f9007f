#!/usr/bin/env bash
# Makes the README's screenshots: the live view and the replay view, in English and in Korean.
# Needs xvfb-run and ImageMagick's `import` (Debian: apt-get install xvfb imagemagick).
# Usage: scripts/screenshots.sh [OUT_DIR]   (default docs/screenshots)
set -euo pipefail
cd "$(dirname "$0")/.."
out=${1:-docs/screenshots}
mkdir -p "$out"
cargo build --release
bin=target/release/authlab
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# A recording to replay: the example scenario, shortened.
"$bin" run scenarios/node-crash.toml --duration 15s --out "$work/node-crash.jsonl" >/dev/null

shot() { # NAME SECONDS ARGS...
  local name=$1 wait=$2
  shift 2
  xvfb-run -a -s "-screen 0 1400x900x24" bash -c "
    HOME=$work $bin $* >/dev/null 2>&1 &
    app=\$!
    sleep $wait
    import -window root '$out/$name.png'
    kill \$app; wait \$app 2>/dev/null || true"
  echo "$out/$name.png"
}

shot replay-en 4 replay "$work/node-crash.jsonl" --lang en
shot replay-ko 4 replay "$work/node-crash.jsonl" --lang ko
shot live-en 16 --start scenarios/node-crash.toml --lang en
shot live-ko 16 --start scenarios/node-crash.toml --lang ko
