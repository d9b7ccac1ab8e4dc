#!/usr/bin/env bash
# make fuzz: build the libFuzzer harnesses (own scratch folder), seed corpora from the shared
# fixtures, and run each harness for FUZZ_SECONDS. Crashes land in .build-fuzz/artifacts/<harness>/;
# replay one with the ordinary build: .build/release/<Harness> FILE. Leak detection is off: the
# Swift runtime's metadata caches and lazy globals show up as leaks at exit.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
SECONDS_EACH=${FUZZ_SECONDS:-300}
SCRATCH=$ROOT/.build-fuzz
HARNESSES=${FUZZ_HARNESSES:-FuzzFraming FuzzCloudTrail FuzzFastPath FuzzGCPAudit FuzzAzure FuzzS3Access FuzzMapped}
FIXTURES=$ROOT/../shared/fixtures/panther
cd "$ROOT"
for h in $HARNESSES; do
  swift build --product "$h" --scratch-path "$SCRATCH" --sanitize=fuzzer \
    -Xswiftc -sanitize=fuzzer,address -Xswiftc -D -Xswiftc FUZZING -Xswiftc -parse-as-library
done
BIN=$(swift build --scratch-path "$SCRATCH" --show-bin-path)
# Seed corpora: each fixture record alone (CloudTrail), and small files in every framing shape.
python3 - "$FIXTURES" "$SCRATCH/corpus" <<'PY'
import gzip, json, os, sys
fixtures, out = sys.argv[1], sys.argv[2]
def corpus(name):
    d = os.path.join(out, name); os.makedirs(d, exist_ok=True); return d
ct, fr = corpus("FuzzCloudTrail"), corpus("FuzzFraming")
def seed(harness, fixture_file):
    d = corpus(harness)
    for i, l in enumerate(open(os.path.join(fixtures, fixture_file))):
        open(os.path.join(d, f"{fixture_file[:12]}{i:04d}"), "w").write(json.dumps(json.loads(l)["log"]))
seed("FuzzGCPAudit", "gcp_audit.rule_tests.jsonl")
seed("FuzzAzure", "azure_monitor_activity.rule_tests.jsonl")
seed("FuzzAzure", "azure_entra_audit_signin.rule_tests.jsonl")
seed("FuzzMapped", "okta_system_log.rule_tests.jsonl")
s3 = ('79a59df900b949e55d96a1e698fbacedfd6e09d98eacf8f8d5218e7cd47ef2be awsexamplebucket1 [06/Feb/2019:00:00:38 +0000] '
      '192.0.2.3 {req} 3E57427F3EXAMPLE {op} {key} "GET /awsexamplebucket1/{key} HTTP/1.1" {st} - 113 - 7 - "-" "S3Console/0.4" - '
      'hostid= SigV4 ECDHE-RSA-AES128-GCM-SHA256 AuthHeader awsexamplebucket1.s3.us-west-1.amazonaws.com TLSV1.2 - -')
for i, (req, op, key, st) in enumerate([("-", "REST.GET.OBJECT", "a.txt", 200), ("arn:aws:sts::1:assumed-role/r/s", "REST.PUT.ACL", "-", 403),
                                        ("79a59df900b949e55d96a1e698fbacedfd6e09d98eacf8f8d5218e7cd47ef2be", "REST.POST.MULTI_OBJECT_DELETE", "-", 200)]):
    open(os.path.join(corpus("FuzzS3Access"), f"s3access{i}"), "w").write(s3.format(req=req, op=op, key=key, st=st))
    open(os.path.join(corpus("FuzzFastPath"), f"s3access{i}"), "w").write(s3.format(req=req, op=op, key=key, st=st))
logs = [json.loads(l)["log"] for l in open(os.path.join(fixtures, "aws_cloudtrail.rule_tests.jsonl"))]
fp = corpus("FuzzFastPath")
for i, log in enumerate(logs):
    open(os.path.join(ct, f"ct{i:04d}.json"), "w").write(json.dumps(log))
    # The fast path's corpus: compact records (as CloudTrail writes them) and runs of lines.
    open(os.path.join(fp, f"ct{i:04d}.json"), "w").write(json.dumps(log, separators=(",", ":")))
    if i % 10 == 0:
        open(os.path.join(fp, f"lines{i:04d}"), "w").write("".join(json.dumps(l, separators=(",", ":")) + "\n" for l in logs[i:i + 4]))
for i in range(0, len(logs), 25):
    chunk = logs[i:i + 5]
    lines = "".join(json.dumps(l) + "\n" for l in chunk).encode()
    records = json.dumps({"Records": chunk}).encode()
    pretty = json.dumps({"Records": chunk}, indent=2).encode()
    for name, data in [("lines", lines), ("records", records), ("pretty", pretty)]:
        open(os.path.join(fr, f"{name}{i:04d}"), "wb").write(bytes([7]) + data)
        open(os.path.join(fr, f"{name}{i:04d}.gz"), "wb").write(gzip.compress(data))
PY
for h in $HARNESSES; do
  mkdir -p "$SCRATCH/artifacts/$h"
  echo "== $h for ${SECONDS_EACH}s"
  ASAN_OPTIONS=detect_leaks=0 SWIFT_BACKTRACE=enable=no "$BIN/$h" "$SCRATCH/corpus/$h" -max_total_time="$SECONDS_EACH" -rss_limit_mb=4096 -detect_leaks=0 \
    -artifact_prefix="$SCRATCH/artifacts/$h/" -print_final_stats=1 2>&1 | grep -E "^#[0-9]+.*DONE|stat::number_of_executed_units|stat::peak_rss|ERROR|SUMMARY|crash-|Test unit written" || true
  mkdir -p "$SCRATCH/artifacts/$h"
  n=$(find "$SCRATCH/artifacts/$h" -type f 2>/dev/null | wc -l)
  echo "$h: $n crash file(s)"
done
