#!/usr/bin/env bash
# Makes the documentation's screenshots with the real app under Xvfb:
#   readme     docs/screenshots/{live,replay}-{en,ko}.png
#   scenarios  docs/scenarios/NAME.png, one per built-in scenario, taken live at the moment that
#              shows its effect
# Needs xvfb-run and ImageMagick's `import` (Debian: apt-get install xvfb imagemagick).
# Usage: scripts/screenshots.sh [readme|scenarios|all]   (default all)
# AUTHLAB_BIN=target/debug/authlab uses an existing build instead of building a release one.
set -euo pipefail
cd "$(dirname "$0")/.."
what=${1:-all}
bin=${AUTHLAB_BIN:-}
if [ -z "$bin" ]; then
  cargo build --release
  bin=target/release/authlab
fi
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

shot() { # OUT_FILE SECONDS ARGS...
  local file=$1 wait=$2
  shift 2
  mkdir -p "$(dirname "$file")"
  xvfb-run -a -s "-screen 0 1400x900x24" bash -c "
    HOME=$work $bin $* >/dev/null 2>&1 &
    app=\$!
    sleep $wait
    import -window root '$file'
    kill \$app; wait \$app 2>/dev/null || true"
  echo "$file"
}

if [ "$what" = readme ] || [ "$what" = all ]; then
  # A recording to replay: the node-crash scenario, shortened.
  "$bin" run node-crash --duration 20s --out "$work/node-crash.jsonl" >/dev/null
  shot docs/screenshots/replay-en.png 4 replay "$work/node-crash.jsonl" --lang en
  shot docs/screenshots/replay-ko.png 4 replay "$work/node-crash.jsonl" --lang ko
  shot docs/screenshots/live-en.png 22 --start node-crash --lang en
  shot docs/screenshots/live-ko.png 22 --start node-crash --lang ko
fi

if [ "$what" = scenarios ] || [ "$what" = all ]; then
  # NAME SECONDS: when the scenario's effect is on screen (after its events, with some time after).
  while read -r name wait; do
    shot "docs/scenarios/$name.png" "$wait" --start "$name" --lang en
  done <<'LIST'
memory-growth 40
shared-store 40
memory-limit 48
round-robin-vs-sticky 32
node-crash 24
scale-out 58
store-scale-out 24
revocation 30
revocation-denylist 24
algorithm-cost-hs256 20
algorithm-cost-rs256 20
algorithm-cost-es256 20
algorithm-cost-eddsa 20
token-size 15
key-rotation 50
LIST
fi
