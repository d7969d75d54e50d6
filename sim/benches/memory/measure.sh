#!/usr/bin/env bash
# Memory per event of `tidemark run`: peak RSS (GNU time's "Maximum resident
# set size") minus the peak RSS of a tiny scenario, divided by the events
# generated. Usage, from the repository root:
#   cargo build --release
#   sim/benches/memory/measure.sh [SCENARIO.yaml ...]
# Defaults to events_1m.yaml and events_10m.yaml beside this script.
#
# Against a baseline binary (say main's, built in another target dir or
# copied before a change), interleaved A,B,A,B so both see the same load:
#   BASELINE=/tmp/tidemark-main PAIRS=3 sim/benches/memory/measure.sh
# prints every sample, then per scenario the median ratio new/baseline of
# bytes per event and of wall time, with their range over the pairs.
# Needs GNU time at /usr/bin/time (Debian: apt-get install time).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
bin=${TIDEMARK:-target/release/tidemark}
[ -x "$bin" ] || { echo "build first: cargo build --release ($bin missing)" >&2; exit 2; }
baseline=${BASELINE:-}
[ -z "$baseline" ] || [ -x "$baseline" ] || { echo "BASELINE=$baseline is not executable" >&2; exit 2; }
pairs=${PAIRS:-3}
peak() { # binary scenario -> "events maxrss_kb wall_seconds"
  local out err
  out=$(mktemp) err=$(mktemp)
  /usr/bin/time -v "$1" run "$2" >"$out" 2>"$err" || true
  local events rss wall
  events=$(awk '/^events /{print $2}' "$out")
  rss=$(awk -F': ' '/Maximum resident set size/{print $2}' "$err")
  # h:mm:ss or m:ss.ss, in seconds.
  wall=$(awk -F'): ' '/Elapsed \(wall clock\)/{print $2}' "$err" |
    awk -F: '{s = 0; for (i = 1; i <= NF; i++) s = s * 60 + $i; print s}')
  rm -f "$out" "$err"
  echo "$events $rss $wall"
}
per_event() { # events rss base_rss -> bytes per event over the tiny scenario
  awk -v e="$1" -v r="$2" -v b="$3" 'BEGIN { printf "%.1f", (r - b) * 1024 / e }'
}
read -r base_events base_rss _ <<<"$(peak "$bin" "$here/tiny.yaml")"
echo "tiny: $here/tiny.yaml, $base_events events, max RSS ${base_rss} KB ($bin)"
if [ -n "$baseline" ]; then
  read -r _ old_base_rss _ <<<"$(peak "$baseline" "$here/tiny.yaml")"
  echo "tiny: max RSS ${old_base_rss} KB ($baseline)"
fi
[ $# -gt 0 ] || set -- "$here/events_1m.yaml" "$here/events_10m.yaml"
for s in "$@"; do
  if [ -z "$baseline" ]; then
    read -r events rss wall <<<"$(peak "$bin" "$s")"
    awk -v s="$s" -v e="$events" -v r="$rss" -v w="$wall" -v p="$(per_event "$events" "$rss" "$base_rss")" 'BEGIN {
      printf "%s: %d events, wall %.1f s, max RSS %.0f MB, %s bytes/event over the tiny scenario\n",
        s, e, w, r / 1024, p }'
    continue
  fi
  ratios_mem=() ratios_wall=()
  for i in $(seq "$pairs"); do
    read -r oe orss ow <<<"$(peak "$baseline" "$s")"
    read -r ne nrss nw <<<"$(peak "$bin" "$s")"
    op=$(per_event "$oe" "$orss" "$old_base_rss")
    np=$(per_event "$ne" "$nrss" "$base_rss")
    echo "$s pair $i: baseline ${op} B/event ${ow} s, new ${np} B/event ${nw} s"
    ratios_mem+=("$(awk -v a="$np" -v b="$op" 'BEGIN { printf "%.4f", a / b }')")
    ratios_wall+=("$(awk -v a="$nw" -v b="$ow" 'BEGIN { printf "%.4f", a / b }')")
  done
  summary() { printf '%s\n' "$@" | sort -n | awk '{ v[NR] = $1 } END {
    m = (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2
    printf "median %.1f%% (range %.1f-%.1f%%)", m * 100, v[1] * 100, v[NR] * 100 }'; }
  echo "$s: new/baseline bytes per event $(summary "${ratios_mem[@]}"); wall $(summary "${ratios_wall[@]}")"
done
