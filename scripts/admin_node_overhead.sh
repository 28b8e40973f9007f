#!/usr/bin/env bash
# What serving through the admin API's dispatch costs a node: wrk against two token nodes of the
# release build on loopback, one plain and one started as the lab starts its own nodes
# (--admin-token-file F --configured), in alternating rounds; each round's req/s and the node's
# own CPU per request (from /proc/PID/stat).
#
#   cargo build --release && scripts/admin_node_overhead.sh [ROUNDS] [SECONDS]
set -euo pipefail
rounds=${1:-5}
seconds=${2:-4}
bin="$(dirname "$0")/../target/release/authlab"
command -v wrk >/dev/null || { echo "needs wrk (apt-get install wrk)" >&2; exit 2; }
[ -x "$bin" ] || { echo "needs the release build: cargo build --release" >&2; exit 2; }
dir=$(mktemp -d)
# Every node started leaves its pid in $dir/NAME.pid (start runs in a subshell: $(start ...)).
cleanup() {
  for pid_file in "$dir"/*.pid; do [ -e "$pid_file" ] && kill "$(cat "$pid_file")" 2>/dev/null; done
  rm -rf "$dir"
}
trap cleanup EXIT
head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n' > "$dir/admin-token"
chmod 600 "$dir/admin-token"
password=$("$bin" users --seed 42 --count 1 | awk -F, 'NR == 2 { print $2 }')

start() { # start NAME ARGS...: a token node on a free port; prints its URL
  local name=$1; shift
  "$bin" node --strategy token --listen 127.0.0.1:0 --password-hash sha256 --users 1000 --seed 42 "$@" \
    > "$dir/$name.out" 2>/dev/null &
  echo $! > "$dir/$name.pid"
  for _ in $(seq 50); do [ -s "$dir/$name.out" ] && break; sleep 0.1; done
  head -1 "$dir/$name.out"
}
token() { curl -s -X POST -H 'content-type: application/json' \
  -d "{\"username\":\"user0000000\",\"password\":\"$password\"}" "$1/login" \
  | python3 -c 'import json, sys; print(json.load(sys.stdin)["access_token"])'; }
cpu_ticks() { awk '{ print $14 + $15 }' "/proc/$1/stat"; }

plain=$(start plain)
admin=$(start admin --admin-token-file "$dir/admin-token" --configured)
declare -A url=([plain]=$plain [admin]=$admin) bearer=([plain]=$(token "$plain") [admin]=$(token "$admin"))
hz=$(getconf CLK_TCK)
for round in $(seq "$rounds"); do
  for name in plain admin; do
    pid=$(cat "$dir/$name.pid")
    before=$(cpu_ticks "$pid")
    out=$(wrk -t1 -c32 -d"${seconds}s" -H "Authorization: Bearer ${bearer[$name]}" "${url[$name]}/api/profile")
    after=$(cpu_ticks "$pid")
    requests=$(awk '/requests in/ { print $1 }' <<< "$out")
    rps=$(awk '/Requests\/sec/ { print $2 }' <<< "$out")
    non2xx=$(awk '/Non-2xx/ { print $5 }' <<< "$out")
    us=$(awk -v t=$((after - before)) -v hz="$hz" -v n="$requests" 'BEGIN { printf "%.1f", t * 1e6 / hz / n }')
    printf 'round %d  %-5s  %10s req/s  node CPU %5s us/request  non-2xx %s\n' "$round" "$name" "$rps" "$us" "${non2xx:-0}"
  done
done
