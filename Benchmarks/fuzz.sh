#!/usr/bin/env bash
# make fuzz: build the libFuzzer harnesses (own scratch folder), seed corpora from the shared
# fixtures, and run each harness for FUZZ_SECONDS. Crashes land in .build-fuzz/artifacts/<harness>/;
# replay one with the ordinary build: .build/release/<Harness> FILE. Leak detection is off: the
# Swift runtime's metadata caches and lazy globals show up as leaks at exit.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
SECONDS_EACH=${FUZZ_SECONDS:-300}
SCRATCH=$ROOT/.build-fuzz
FIXTURES=$ROOT/../shared/fixtures/panther
cd "$ROOT"
for h in FuzzFraming FuzzCloudTrail; do
  swift build --product "$h" --scratch-path "$SCRATCH" --sanitize=fuzzer \
    -Xswiftc -sanitize=fuzzer,address -Xswiftc -D -Xswiftc FUZZING -Xswiftc -parse-as-library
done
BIN=$(swift build --scratch-path "$SCRATCH" --show-bin-path)
# Seed corpora: each fixture record alone (CloudTrail), and small files in every framing shape.
python3 - "$FIXTURES" "$SCRATCH/corpus" <<'PY'
import gzip, json, os, sys
fixtures, out = sys.argv[1], sys.argv[2]
ct = os.path.join(out, "FuzzCloudTrail"); fr = os.path.join(out, "FuzzFraming")
os.makedirs(ct, exist_ok=True); os.makedirs(fr, exist_ok=True)
logs = [json.loads(l)["log"] for l in open(os.path.join(fixtures, "aws_cloudtrail.rule_tests.jsonl"))]
for i, log in enumerate(logs):
    open(os.path.join(ct, f"ct{i:04d}.json"), "w").write(json.dumps(log))
for i in range(0, len(logs), 25):
    chunk = logs[i:i + 5]
    lines = "".join(json.dumps(l) + "\n" for l in chunk).encode()
    records = json.dumps({"Records": chunk}).encode()
    pretty = json.dumps({"Records": chunk}, indent=2).encode()
    for name, data in [("lines", lines), ("records", records), ("pretty", pretty)]:
        open(os.path.join(fr, f"{name}{i:04d}"), "wb").write(bytes([7]) + data)
        open(os.path.join(fr, f"{name}{i:04d}.gz"), "wb").write(gzip.compress(data))
PY
for h in FuzzFraming FuzzCloudTrail; do
  mkdir -p "$SCRATCH/artifacts/$h"
  echo "== $h for ${SECONDS_EACH}s"
  ASAN_OPTIONS=detect_leaks=0 SWIFT_BACKTRACE=enable=no "$BIN/$h" "$SCRATCH/corpus/$h" -max_total_time="$SECONDS_EACH" -rss_limit_mb=4096 -detect_leaks=0 \
    -artifact_prefix="$SCRATCH/artifacts/$h/" -print_final_stats=1 2>&1 | grep -E "^#[0-9]+.*DONE|stat::number_of_executed_units|stat::peak_rss|ERROR|SUMMARY|crash-|Test unit written" || true
  n=$(find "$SCRATCH/artifacts/$h" -type f | wc -l)
  echo "$h: $n crash file(s)"
done
