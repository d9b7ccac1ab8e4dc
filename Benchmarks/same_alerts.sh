#!/usr/bin/env bash
# Benchmarks/same_alerts.sh OLD NEW: do two vigil binaries say the same thing? Runs both over the
# 1M-line bench file (make bench generates it), SampleLogs (replay and eval), every Panther fixture
# file, the 300k-principal flood and a --redact pii run, and compares the alerts byte for byte
# (and --stats, without timings). Exits 1 on any difference. For hot-path changes that must not
# change what Vigil says.
set -u
OLD=$1; NEW=$2
ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"
TMP=$(mktemp -d); trap 'rm -rf "$TMP"' EXIT
CT=.build/bench/ct1m.jsonl.zst FLOOD=.build/bench/flood300k.jsonl.zst
for f in "$CT" "$FLOOD"; do [ -s "$f" ] || { echo "same_alerts: $f is missing (run make bench once)"; exit 2; }; done
mkdir -p "$TMP/panther"
python3 - "$ROOT/../shared/fixtures/panther" "$TMP/panther" <<'PY'
import json, os, sys
src, out = sys.argv[1], sys.argv[2]
for f in sorted(os.listdir(src)):
    if f.endswith(".jsonl"):
        with open(os.path.join(out, f), "w") as o:
            for line in open(os.path.join(src, f)):
                o.write(json.dumps(json.loads(line)["log"]) + "\n")
PY
run() {   # run BIN OUTDIR
  local bin=$1 out=$2; mkdir -p "$out"
  "$bin" replay --quiet --stats "$out/ct1m.stats" "$CT" > "$out/ct1m.alerts"
  "$bin" replay --quiet --stats "$out/sample.stats" SampleLogs/logs > "$out/sample.alerts"
  "$bin" eval --quiet --labels SampleLogs/labels.csv SampleLogs/logs > "$out/eval.txt"
  for f in "$TMP"/panther/*.jsonl; do "$bin" replay --quiet --stats "$out/$(basename "$f").stats" "$f" > "$out/$(basename "$f").alerts"; done
  "$bin" replay --quiet --max-principals 100000 --stats "$out/flood.stats" "$FLOOD" > "$out/flood.alerts"
  mkdir -p "$out/state"; printf 'same-alerts-comparison-key-0123456789abcdef' > "$out/state/redact.key"
  "$bin" replay --quiet --redact pii --state "$out/state" SampleLogs/logs > "$out/redact.alerts"
}
run "$OLD" "$TMP/old"; run "$NEW" "$TMP/new"
status=0
for f in "$TMP"/old/*.alerts "$TMP"/old/eval.txt; do
  b=$(basename "$f")
  if cmp -s "$f" "$TMP/new/$b"; then echo "same  $b ($(wc -l < "$f") lines)"; else echo "DIFFERENT $b"; status=1; fi
done
python3 - "$TMP/old" "$TMP/new" <<'PY' || status=1
import glob, json, os, sys
bad = 0
for f in sorted(glob.glob(os.path.join(sys.argv[1], "*.stats"))):
    a, b = json.load(open(f)), json.load(open(os.path.join(sys.argv[2], os.path.basename(f))))
    # Timing, and how records were read (which parser path, the symbol table), may differ between
    # versions; what was read and found may not.
    how_read = ("seconds", "events_per_s", "parse_fast", "parse_full", "symbols", "symbol_bytes", "symbol_resets")
    d = {k: (a.get(k), b.get(k)) for k in set(a) & set(b) if k not in how_read and a[k] != b[k]}
    if d: bad = 1; print("DIFFERENT stats", os.path.basename(f), d)
sys.exit(bad)
PY
exit $status
