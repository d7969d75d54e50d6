#!/usr/bin/env bash
# Memory per event of `tidemark run`: peak RSS (GNU time's "Maximum resident
# set size") minus the peak RSS of a tiny scenario, divided by the events
# generated. Usage, from the repository root:
#   cargo build --release
#   sim/benches/memory/measure.sh [SCENARIO.yaml ...]
# Defaults to events_1m.yaml and events_10m.yaml beside this script.
# Needs GNU time at /usr/bin/time (Debian: apt-get install time).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
bin=${TIDEMARK:-target/release/tidemark}
[ -x "$bin" ] || { echo "build first: cargo build --release ($bin missing)" >&2; exit 2; }
peak() { # scenario -> "events maxrss_kb wall"
  local out err
  out=$(mktemp) err=$(mktemp)
  /usr/bin/time -v "$bin" run "$1" >"$out" 2>"$err" || true
  local events rss wall
  events=$(awk '/^events /{print $2}' "$out")
  rss=$(awk -F': ' '/Maximum resident set size/{print $2}' "$err")
  wall=$(awk -F'): ' '/Elapsed \(wall clock\)/{print $2}' "$err")
  rm -f "$out" "$err"
  echo "$events $rss $wall"
}
read -r base_events base_rss _ <<<"$(peak "$here/tiny.yaml")"
echo "baseline: $here/tiny.yaml, $base_events events, max RSS ${base_rss} KB"
[ $# -gt 0 ] || set -- "$here/events_1m.yaml" "$here/events_10m.yaml"
for s in "$@"; do
  read -r events rss wall <<<"$(peak "$s")"
  awk -v s="$s" -v e="$events" -v r="$rss" -v b="$base_rss" -v w="$wall" 'BEGIN {
    printf "%s: %d events, wall %s, max RSS %.0f MB, %.0f bytes/event over the baseline\n",
      s, e, w, r / 1024, (r - b) * 1024 / e }'
done
