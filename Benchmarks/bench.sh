#!/usr/bin/env bash
# make bench: Vigil's throughput and memory against reference runs, in one invocation.
#
# Inputs (generated once, cached under .build/bench/, zstd -3):
#   ct1m      1,000,000 CloudTrail lines from ../shared/bench/gen_cloudtrail.py (100k principals,
#             Pareto-spread activity, 10 actions, S3 data events; about 50 minutes of event time)
#   flood300k 300,000 events, each from a new principal (Benchmarks/gen_flood.py)
#   flood1m   1,000,000 events, each from a new principal: resident bytes per tracked principal
# Runs on ct1m:
#   reference: zstd -dc | wc -l         decompression and line splitting only (an I/O floor)
#   reference: python orjson/json       a scripted detector's parse loop, one core
#   vigil replay --parse-only           decode, frame, parse (reading thread) and count
#   vigil replay --threads 1 / 2        the full default model and rules; alerts must be identical
# Then the flood (--max-principals 100000) and the 1M-principal memory run.
# Usage: Benchmarks/bench.sh path/to/vigil      (BENCH_RUNS=N: best of N, default 3;
#        BENCH_FLOOD10M=1 also streams 10M new principals through --max-principals 100000)
set -euo pipefail
VIGIL=${1:-.build/release/vigil}
ROOT=$(cd "$(dirname "$0")/.." && pwd)
CACHE=$ROOT/.build/bench
RUNS=${BENCH_RUNS:-3}
mkdir -p "$CACHE"
TMP=$(mktemp -d); trap 'rm -rf "$TMP"' EXIT
command -v zstd >/dev/null || { echo "bench: zstd is needed (apt-get install zstd)"; exit 1; }

cached() {   # cached NAME GENERATOR-COMMAND... -> path of NAME.jsonl.zst, generated once
  local out=$CACHE/$1.jsonl.zst; shift
  if [ ! -s "$out" ]; then
    echo "bench: generating $(basename "$out") (once; cached in $CACHE)" >&2
    "$@" "$TMP/gen.jsonl" && zstd -q -3 -f "$TMP/gen.jsonl" -o "$out.part" && mv "$out.part" "$out" && rm -f "$TMP/gen.jsonl"
  fi
  echo "$out"
}
CT=$(cached ct1m python3 "$ROOT/../shared/bench/gen_cloudtrail.py" 1000000)
FLOOD=$(cached flood300k python3 "$ROOT/Benchmarks/gen_flood.py" 300000)
DISTINCT=$(cached flood1m python3 "$ROOT/Benchmarks/gen_flood.py" 1000000)

now() { date +%s.%N; }
secs() { echo "$2 - $1" | bc -l; }
min() { echo "if ($1 < $2) $1 else $2" | bc -l; }
peak_kb() {   # peak_kb CMD... -> peak RSS in KiB of CMD (output discarded)
  if [ -x /usr/bin/time ]; then { /usr/bin/time -f '%M' "$@" > /dev/null; } 2>&1 | tail -1; else echo 0; fi
}
best() {      # best CMD... -> best wall seconds of RUNS runs; stdout of the last run in $TMP/out
  local b=999999 t0 t1
  for _ in $(seq "$RUNS"); do
    t0=$(now); "$@" > "$TMP/out"; t1=$(now)
    b=$(min "$(secs "$t0" "$t1")" "$b")
  done
  echo "$b"
}

events=$(zstd -dc "$CT" | wc -l)
bytes=$(zstd -dc "$CT" | wc -c)
ref_io=$(best sh -c "zstd -dc '$CT' | wc -l")
PARSER=json; python3 -c 'import orjson' 2>/dev/null && PARSER=orjson
ref_py=$(best sh -c "zstd -dc '$CT' | python3 -c '
import sys
from $PARSER import loads
n = 0
for line in sys.stdin.buffer:
    r = loads(line); n += 1
    _ = (r.get(\"eventTime\"), r.get(\"eventName\"), r.get(\"userIdentity\", {}).get(\"arn\"))
'")
parse=$(best "$VIGIL" replay --quiet --parse-only "$CT")
one=$(best "$VIGIL" replay --quiet --threads 1 "$CT"); cp "$TMP/out" "$TMP/alerts1.jsonl"
# With a state directory and the default checkpoints (every 50,000 records or 5 s): a fresh one each run.
state=$(best sh -c "rm -rf '$TMP/state'; '$VIGIL' replay --quiet --threads 1 --state '$TMP/state' --stats '$TMP/state.json' '$CT'")
same_state=$(cmp -s "$TMP/alerts1.jsonl" "$TMP/out" && echo identical || echo DIFFERENT)
two=$(best "$VIGIL" replay --quiet --threads 2 --stats "$TMP/stats.json" "$CT"); cp "$TMP/out" "$TMP/alerts2.jsonl"
same=$(cmp -s "$TMP/alerts1.jsonl" "$TMP/alerts2.jsonl" && echo identical || echo DIFFERENT)
# More threads than this machine may have cores: helpers are capped at the processors online, and
# the alerts must not change either way.
four=$(best "$VIGIL" replay --quiet --threads 4 "$CT"); cmp -s "$TMP/alerts1.jsonl" "$TMP/out" || same=DIFFERENT
eight=$(best "$VIGIL" replay --quiet --threads 8 "$CT"); cmp -s "$TMP/alerts1.jsonl" "$TMP/out" || same=DIFFERENT
# Sigma: all of ../shared/sigma loaded (default statuses stable,test), and the same without its low rules.
SIGMA_RULES="$ROOT/../shared/sigma/rules"
sig_all=$(best "$VIGIL" replay --quiet --sigma "$SIGMA_RULES" "$CT"); sig_alerts=$(wc -l < "$TMP/out")
sig_med=$(best "$VIGIL" replay --quiet --sigma "$SIGMA_RULES" --sigma-min-level medium "$CT")
rss=$(peak_kb "$VIGIL" replay --quiet "$CT")

printf '\ninput: %s (%d events, %.0f MB decoded)\n' "$(basename "$CT")" "$events" "$(echo "$bytes/1048576" | bc -l)"
printf '%-38s %9s %11s %12s %12s\n' "run" "seconds" "events/s" "÷ zstd|wc" "÷ python"
row() { printf '%-38s %9.2f %11.0f %11.3fx %11.2fx\n' "$1" "$2" "$(echo "$events / $2" | bc -l)" \
  "$(echo "$ref_io / $2" | bc -l)" "$(echo "$ref_py / $2" | bc -l)"; }
row "reference: zstd -dc | wc -l" "$ref_io"
row "reference: python $PARSER parse loop" "$ref_py"
row "vigil replay --parse-only" "$parse"
row "vigil replay --threads 1" "$one"
row "vigil replay --threads 1 --state" "$state"
row "vigil replay --threads 2 (default)" "$two"
row "vigil replay --threads 4" "$four"
row "vigil replay --threads 8" "$eight"
row "  + --sigma ../shared/sigma (all)" "$sig_all"
row "  + --sigma, --sigma-min-level medium" "$sig_med"
printf 'sigma: end to end %.2fx of the default replay with all rules (%d alerts), %.2fx from medium up\n' \
  "$(echo "$two / $sig_all" | bc -l)" "$sig_alerts" "$(echo "$two / $sig_med" | bc -l)"
printf 'alerts: %d (threads 1, 2, 4 and 8: %s)   peak RSS of the default replay: %.0f MiB\n' \
  "$(wc -l < "$TMP/alerts2.jsonl")" "$same" "$(echo "$rss/1024" | bc -l)"
printf 'state: replay --state at %.2fx replay (--threads 1, alerts %s); %s\n' "$(echo "$one / $state" | bc -l)" "$same_state" \
  "$(python3 -c "import json; d = json.load(open('$TMP/state.json')); print('checkpoints: %d bases, %d deltas, %d records, staging %.2f s, writing %.2f s' % (d['checkpoint_bases'], d['checkpoint_deltas'], d['checkpoint_records'], d['checkpoint_stage_seconds'], d['checkpoint_write_seconds']))")"

# Flood: every event a new principal, capped at 100,000 principals.
fevents=$(zstd -dc "$FLOOD" | wc -l)
flood=$(best "$VIGIL" replay --quiet --max-principals 100000 --stats "$TMP/flood.json" "$FLOOD"); cp "$TMP/out" "$TMP/flood2.jsonl"
fsame=identical
for n in 1 8; do
  "$VIGIL" replay --quiet --threads $n --max-principals 100000 "$FLOOD" | cmp -s - "$TMP/flood2.jsonl" || fsame=DIFFERENT
done
frss=$(peak_kb "$VIGIL" replay --quiet --max-principals 100000 "$FLOOD")
fev=$(python3 -c "import json; d = json.load(open('$TMP/flood.json')); print(d['principals_evicted'], d['principals_compacted'], d['dormant_forgotten'])")
printf '\nflood: %d events, each a new principal, --max-principals 100000\n' "$fevents"
printf '  %.2f s, %.0f events/s, peak RSS %.0f MiB; evicted, compacted, compact forms dropped: %s\n' \
  "$flood" "$(echo "$fevents / $flood" | bc -l)" "$(echo "$frss/1024" | bc -l)" "$fev"
printf '  alerts: %d (threads 1, 2 and 8: %s)\n' "$(wc -l < "$TMP/flood2.jsonl")" "$fsame"

# Memory per principal: 1M distinct principals, none evicted, against parsing the same file.
drss=$( { /usr/bin/time -f '%M' "$VIGIL" replay --quiet --max-principals 2000000 --stats "$TMP/distinct.json" "$DISTINCT" > /dev/null; } 2>&1 | tail -1)
prss=$(peak_kb "$VIGIL" replay --quiet --parse-only "$DISTINCT")
tracked=$(python3 -c "import json; print(json.load(open('$TMP/distinct.json'))['principals'])")
accounted=$(python3 -c "import json; print(json.load(open('$TMP/distinct.json'))['accounted_bytes'])")
printf '\nmemory: %d principals tracked, peak RSS %.0f MiB (parse-only on the same file: %.0f MiB)\n' \
  "$tracked" "$(echo "$drss/1024" | bc -l)" "$(echo "$prss/1024" | bc -l)"
printf '  resident bytes per tracked principal: %.0f (accounted by --memory-limit: %.0f)\n' \
  "$(echo "($drss - $prss) * 1024 / $tracked" | bc -l)" "$(echo "$accounted / $tracked" | bc -l)"

# A full checkpoint of the 1M principals (the only one: at the end of the run).
rm -rf "$TMP/dstate"
"$VIGIL" replay --quiet --max-principals 2000000 --state "$TMP/dstate" --checkpoint-every 100000000 --checkpoint-seconds 100000 \
  --stats "$TMP/dstate.json" "$DISTINCT" > /dev/null
python3 -c "import json; d = json.load(open('$TMP/dstate.json')); print('  full checkpoint of %d principals: staging %.2f s (detecting thread), writing %.2f s (checkpoint thread), %.0f MB on disk' % (d['checkpoint_records'], d['checkpoint_stage_seconds'], d['checkpoint_write_seconds'], d['checkpoint_bytes'] / 1e6))"

if [ "${BENCH_FLOOD10M:-}" = 1 ]; then
  t0=$(now)
  k=$( { python3 "$ROOT/Benchmarks/gen_flood.py" 10000000 - | /usr/bin/time -f '%M' "$VIGIL" replay --quiet \
        --max-principals 100000 --stats "$TMP/f10m.json" - > /dev/null; } 2>&1 | tail -1)
  t1=$(now)
  printf '\nflood 10M (generator piped in): %.0f s, peak RSS %.0f MiB, %s\n' "$(secs "$t0" "$t1")" "$(echo "$k/1024" | bc -l)" \
    "$(python3 -c "import json; d = json.load(open('$TMP/f10m.json')); print('events', d['events'], 'tracked', d['principals'], 'compact', d['dormant'], 'evicted', d['principals_evicted'])")"
fi
