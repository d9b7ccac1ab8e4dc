#!/usr/bin/env bash
# Throughput benchmark: Vigil's full pipeline against reference runs in the same invocation.
#   reference 1: zstd -dc | wc -l       (decompression and line splitting only: an I/O ceiling)
#   reference 2: Python json.loads      (a typical scripted detector's parsing cost, one core)
#   vigil parse-only: vigil train with a 1-tree forest would still score; instead we time replay
#   vigil replay: decode → frame → parse → baseline → score → detect → JSONL
# Usage: Benchmarks/bench.sh path/to/vigil [input]
set -euo pipefail
VIGIL=${1:-.build/release/vigil}
ROOT=$(cd "$(dirname "$0")/.." && pwd)
INPUT=${2:-$ROOT/SampleLogs/cloudtrail.jsonl.zst}
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

best=999999
for i in 1 2 3; do
  t0=$(now); "$VIGIL" replay --quiet --stats "$TMP/stats.json" "$INPUT" > "$TMP/alerts.jsonl"; t1=$(now)
  t=$(echo "$t1 - $t0" | bc -l)
  best=$(echo "if ($t < $best) $t else $best" | bc -l)
done
alerts=$(wc -l < "$TMP/alerts.jsonl")
rss=$( { /usr/bin/time -f '%M' "$VIGIL" replay --quiet "$INPUT" > /dev/null; } 2>&1 | tail -1 )

printf '\ninput: %s (%d events, %.1f MB decoded)\n' "$INPUT" "$events" "$(echo "$bytes/1048576" | bc -l)"
printf '%-34s %10s %14s %10s\n' "run" "seconds" "events/s" "vs vigil"
row() { printf '%-34s %10.3f %14.0f %10.2fx\n' "$1" "$2" "$(echo "$events / $2" | bc -l)" "$(echo "$2 / $best" | bc -l)"; }
row "reference: zstd -dc | wc -l" "$ref_io"
row "reference: python json.loads" "$ref_py"
row "vigil replay (full pipeline)" "$best"
printf 'alerts: %d   peak RSS: %.1f MB\n' "$alerts" "$(echo "$rss/1024" | bc -l)"
