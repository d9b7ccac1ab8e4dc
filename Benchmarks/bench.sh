#!/usr/bin/env bash
# Throughput benchmark: Vigil's full pipeline against reference runs in the same invocation.
#   reference 1: zstd -dc | wc -l       (decompression and line splitting only: an I/O ceiling)
#   reference 2: Python json.loads      (a typical scripted detector's parsing cost, one core)
#   vigil replay: decode → frame → parse → baseline → score → detect → JSONL, on one thread and
#   with reading on a second thread (the default); ratios are against the default
# Usage: Benchmarks/bench.sh path/to/vigil [input]
set -euo pipefail
VIGIL=${1:-.build/release/vigil}
ROOT=$(cd "$(dirname "$0")/.." && pwd)
INPUT=${2:-$ROOT/SampleLogs/logs/cloudtrail.jsonl.zst}
TMP=$(mktemp -d); trap 'rm -rf "$TMP"' EXIT

now() { date +%s.%N; }
events=$(zstd -dc "$INPUT" | wc -l)
bytes=$(zstd -dc "$INPUT" | wc -c)

t0=$(now); zstd -dc "$INPUT" | wc -l >/dev/null; t1=$(now)
ref_io=$(echo "$t1 - $t0" | bc -l)

t0=$(now)
zstd -dc "$INPUT" | python3 -c '
import json, sys
n = 0
for line in sys.stdin:
    r = json.loads(line); n += 1
    _ = (r.get("eventTime"), r.get("eventName"), r.get("userIdentity", {}).get("arn"))
' ; t1=$(now)
ref_py=$(echo "$t1 - $t0" | bc -l)

best_of_three() {   # best_of_three THREADS -> seconds
  local b=999999 t t0 t1
  for i in 1 2 3; do
    t0=$(now); "$VIGIL" replay --quiet --threads "$1" --stats "$TMP/stats.json" "$INPUT" > "$TMP/alerts.jsonl"; t1=$(now)
    t=$(echo "$t1 - $t0" | bc -l)
    b=$(echo "if ($t < $b) $t else $b" | bc -l)
  done
  echo "$b"
}
one=$(best_of_three 1)
best=$(best_of_three 2)
alerts=$(wc -l < "$TMP/alerts.jsonl")
rss=$( { /usr/bin/time -f '%M' "$VIGIL" replay --quiet "$INPUT" > /dev/null; } 2>&1 | tail -1 )

printf '\ninput: %s (%d events, %.1f MB decoded)\n' "$INPUT" "$events" "$(echo "$bytes/1048576" | bc -l)"
printf '%-34s %10s %14s %10s\n' "run" "seconds" "events/s" "vs vigil"
row() { printf '%-34s %10.3f %14.0f %10.2fx\n' "$1" "$2" "$(echo "$events / $2" | bc -l)" "$(echo "$2 / $best" | bc -l)"; }
row "reference: zstd -dc | wc -l" "$ref_io"
row "reference: python json.loads" "$ref_py"
row "vigil replay --threads 1" "$one"
row "vigil replay --threads 2 (default)" "$best"
printf 'alerts: %d   peak RSS: %.1f MB\n' "$alerts" "$(echo "$rss/1024" | bc -l)"
