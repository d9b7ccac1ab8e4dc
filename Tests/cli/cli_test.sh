#!/usr/bin/env bash
# CLI integration tests: run the built binary as a user would and check outputs and exit codes.
# Usage: Tests/cli/cli_test.sh path/to/vigil
set -u
VIGIL=${1:-.build/release/vigil}
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
SAMPLE=$ROOT/SampleLogs/logs/cloudtrail.jsonl.zst
ALL_LOGS=$ROOT/SampleLogs/logs
LABELS=$ROOT/SampleLogs/labels.csv
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
passed=0; failed=0

check() {   # check NAME COMMAND... : passes when the command succeeds
  local name=$1; shift
  if "$@" >"$TMP/out" 2>"$TMP/err"; then passed=$((passed+1)); echo "ok   $name"
  else failed=$((failed+1)); echo "FAIL $name"; sed 's/^/     /' "$TMP/err" | head -20; fi
}
exit_code() {   # exit_code EXPECTED COMMAND... : passes when the command exits with EXPECTED
  local want=$1; shift
  "$@" >"$TMP/ec.out" 2>"$TMP/ec.err"; local got=$?
  [ "$got" = "$want" ] || { echo "exit $got, expected $want: $*"; cat "$TMP/ec.err"; return 1; }
}

# Help is documentation: golden files (regenerate with UPDATE_GOLDEN=1 after an intended change).
for c in vigil replay tail report train eval score simulate audit rules-check rules-test rules-list rules-ranges route worker alerts; do
  args=(); [ "$c" = vigil ] || args=(${c//-/ })
  if [ "${UPDATE_GOLDEN:-}" = 1 ]; then COLUMNS=100 "$VIGIL" "${args[@]}" --help > "$ROOT/Tests/cli/golden/help-$c.txt"; fi
  check "help for '${args[*]:-vigil}' matches its golden file" bash -c "COLUMNS=100 '$VIGIL' ${args[*]} --help | diff -u '$ROOT/Tests/cli/golden/help-$c.txt' -"
done
check "help lists the subcommands" bash -c "'$VIGIL' --help | grep -q replay && '$VIGIL' --help | grep -q simulate"
check "replay --help documents inputs and examples" bash -c "'$VIGIL' replay --help | grep -q 'dead-letter' && '$VIGIL' replay --help | grep -q Examples"
check "unknown option exits 2" exit_code 2 "$VIGIL" replay --no-such-flag "$SAMPLE"
check "unsupported format exits 2" exit_code 2 "$VIGIL" replay --format syslog "$SAMPLE"
check "--format mapped without --mapping exits 2" exit_code 2 "$VIGIL" replay --format mapped "$SAMPLE"
check "missing input exits 3" exit_code 3 "$VIGIL" replay "$TMP/does-not-exist.json"
echo '{"version":1,"rules":[{"id":"x"}]}' > "$TMP/bad-rules.json"
check "bad rules file exits 2" exit_code 2 "$VIGIL" replay --rules "$TMP/bad-rules.json" "$SAMPLE"
echo '{"schema":"vigil.priors/1","date":"2026-12-04","provenance":[],"categories":[]}' > "$TMP/bad-priors.json"
check "priors file without provenance exits 2" exit_code 2 "$VIGIL" replay --priors "$TMP/bad-priors.json" "$SAMPLE"
check "docs/rules.md is what 'vigil rules list' prints for Models/rules.json" bash -c "'$VIGIL' rules list | diff -u '$ROOT/docs/rules.md' -"
# Cold start: one ECS ExecuteCommand (a shell in a container; no rule covers it) by an identity never
# seen before, replayed alone.
echo '{"eventVersion":"1.09","userIdentity":{"type":"IAMUser","arn":"arn:aws:iam::123456789012:user/stratus","accountId":"123456789012","accessKeyId":"AKIAEXAMPLE","userName":"stratus"},"eventTime":"2026-03-02T09:00:05Z","eventSource":"ecs.amazonaws.com","eventName":"ExecuteCommand","awsRegion":"us-east-1","sourceIPAddress":"198.51.100.7","userAgent":"aws-cli/2.15.30","requestParameters":{"cluster":"prod","interactive":true,"command":"/bin/sh"},"eventID":"cold-1","readOnly":false,"recipientAccountId":"123456789012"}' > "$TMP/cold.json"
check "cold start: a first high-impact call alerts by its prior, and --priors none turns that off" bash -c "
  '$VIGIL' replay --quiet '$TMP/cold.json' | grep -q 'prior:compute-execution' &&
  [ -z \"\$('$VIGIL' replay --quiet --priors none '$TMP/cold.json')\" ]"
echo 'not a model' > "$TMP/bad.model"
check "unreadable model exits 4" exit_code 4 "$VIGIL" replay --model "$TMP/bad.model" "$SAMPLE"

check "replay writes vigil.alert/1 lines" bash -c "'$VIGIL' replay --quiet --stats '$TMP/stats.json' '$SAMPLE' > '$TMP/a1.jsonl' && grep -q '\"schema\":\"vigil.alert/1\"' '$TMP/a1.jsonl'"
check "replaying twice is byte-identical" bash -c "'$VIGIL' replay --quiet '$SAMPLE' > '$TMP/a2.jsonl' && cmp '$TMP/a1.jsonl' '$TMP/a2.jsonl'"
check "alerts are identical for --threads 1, 2, 4 and 8 over every SampleLogs source (trees walked on helper threads)" bash -c "
  '$VIGIL' replay --quiet --threads 1 '$ALL_LOGS' > '$TMP/t1.jsonl' && test -s '$TMP/t1.jsonl' &&
  for n in 2 4 8; do '$VIGIL' replay --quiet --threads \$n '$ALL_LOGS' | cmp - '$TMP/t1.jsonl' || exit 1; done"
check "alerts file equals stdout" bash -c "'$VIGIL' replay --quiet --alerts '$TMP/a3.jsonl' '$SAMPLE' && cmp '$TMP/a1.jsonl' '$TMP/a3.jsonl'"
check "stdin gives the same alerts" bash -c "zstd -dc '$SAMPLE' | '$VIGIL' replay --quiet - > '$TMP/a4.jsonl' && cmp '$TMP/a1.jsonl' '$TMP/a4.jsonl'"
check "stats carry the Contract's counters" python3 - "$TMP/stats.json" <<'PY'
import json, sys
s = json.load(open(sys.argv[1]))
for k in ["records", "events", "duplicates", "late", "dead_lettered", "alerts", "incidents", "seconds"]:
    assert k in s, k
assert s["events"] > 50000 and s["dead_lettered"] == 0, s
PY
check "eval meets recall >= 0.9 and <= 1 false incident per 1000 benign events" bash -c "
  '$VIGIL' eval --quiet --labels '$LABELS' '$ALL_LOGS' > '$TMP/eval.json' && python3 -c '
import json,sys; r=json.load(open(sys.argv[1])); print(r)
assert r[\"scenarios\"] >= 17 and r[\"recall\"] >= 0.9 and r[\"false_incidents_per_1000\"] <= 1.0, r' '$TMP/eval.json'"
check "train writes a snapshot and replay --model uses it" bash -c "
  '$VIGIL' train --quiet --out '$TMP/m.zst' '$SAMPLE' && [ -s '$TMP/m.zst' ] &&
  zstd -t -q '$TMP/m.zst' && '$VIGIL' replay --quiet --model '$TMP/m.zst' '$SAMPLE' > /dev/null"
check "dead letters are written with position and reason" bash -c "
  printf '%s\n' 'garbage line' '{\"eventID\":\"1\",\"eventSource\":\"s3.amazonaws.com\"}' > '$TMP/bad.jsonl' &&
  '$VIGIL' replay --quiet --dead-letter '$TMP/dl.jsonl' '$TMP/bad.jsonl' &&
  grep -q '\"reason\":\"unknown-format\"' '$TMP/dl.jsonl' && grep -q '\"reason\":\"missing-time\"' '$TMP/dl.jsonl' && grep -q '\"line\":2' '$TMP/dl.jsonl'"
check "simulate is deterministic for a seed" bash -c "
  '$VIGIL' simulate --quiet --days 4 --principals 40 --seed 5 --cloud aws,gcp,azure --out '$TMP/s1' &&
  '$VIGIL' simulate --quiet --days 4 --principals 40 --seed 5 --cloud aws,gcp,azure --out '$TMP/s2' &&
  for f in cloudtrail.jsonl gcp-audit.jsonl azure.jsonl s3-access.log; do cmp '$TMP/s1/logs/'\$f.zst '$TMP/s2/logs/'\$f.zst || exit 1; done &&
  cmp '$TMP/s1/labels.csv' '$TMP/s2/labels.csv'"
check "text output explains alerts" bash -c "'$VIGIL' replay --quiet --output text '$SAMPLE' | grep -q 'CloudTrail logging stopped'"

# Installation: --version, make install PREFIX, the unit file.
check "--version names the version and the commit" bash -c "'$VIGIL' --version | grep -Eq '^vigil [0-9]+\.[0-9]+\.[0-9]+ \(commit [0-9a-f]{7,}|unknown\)'"
check "make install PREFIX: the installed binary finds its models from anywhere and gives the same alerts" bash -c "
  make -s -C '$ROOT' install PREFIX='$TMP/prefix' > /dev/null &&
  [ -s '$TMP/prefix/share/bash-completion/completions/vigil' ] && [ -s '$TMP/prefix/share/zsh/site-functions/_vigil' ] &&
  [ -s '$TMP/prefix/share/fish/vendor_completions.d/vigil.fish' ] && grep -q replay '$TMP/prefix/share/bash-completion/completions/vigil' &&
  cd / && env -u VIGIL_RULES '$TMP/prefix/bin/vigil' replay --quiet '$SAMPLE' | cmp - '$TMP/a1.jsonl' &&
  '$TMP/prefix/bin/vigil' --version | grep -q \"\$(cat '$TMP/prefix/share/vigil/COMMIT')\""
if command -v systemd-analyze >/dev/null 2>&1; then
  check "deploy/vigil-tail.service passes systemd-analyze verify" bash -c "
    sed 's|/usr/local/bin/vigil|$TMP/prefix/bin/vigil|' '$ROOT/deploy/vigil-tail.service' > '$TMP/vigil-tail.service' &&
    systemd-analyze verify '$TMP/vigil-tail.service' 2>&1 | tee '$TMP/verify.txt' && ! grep -qi 'warn\|error\|unknown' '$TMP/verify.txt'"
  check "deploy/vigil-tail-sqs.conf, as a drop-in of the service, passes systemd-analyze verify" bash -c "
    mkdir -p '$TMP/sqs/vigil-tail.service.d' && cp '$TMP/vigil-tail.service' '$TMP/sqs/' &&
    sed 's|/usr/local/bin/vigil|$TMP/prefix/bin/vigil|' '$ROOT/deploy/vigil-tail-sqs.conf' > '$TMP/sqs/vigil-tail.service.d/sqs.conf' &&
    systemd-analyze verify '$TMP/sqs/vigil-tail.service' 2>&1 | tee '$TMP/verify-sqs.txt' && ! grep -qi 'warn\|error\|unknown\|refusing' '$TMP/verify-sqs.txt'"
else
  echo "skip systemd-analyze verify of deploy/vigil-tail.service: systemd is not installed here"
fi

# Sigma rules (../shared/sigma: SigmaHQ's cloud rules, Detection Rule License 1.1).
SIGMA="$ROOT/../shared/sigma/rules"
check "rules check loads every shared Sigma rule and exits 0" bash -c "
  '$VIGIL' rules check --sigma '$SIGMA' --sigma-status all > '$TMP/rc.json' && python3 -c '
import json,sys; r=json.load(open(sys.argv[1]))
assert r[\"refused\"] == [] and r[\"loaded\"] + r[\"no_source\"] == 206 and r[\"builtin_loaded\"] > 0, r
assert all(x[\"author\"] and x[\"license\"] for x in r[\"sigma_rules\"])' '$TMP/rc.json'"
mkdir -p "$TMP/badsigma"
printf 'title: broken\nid: x1\nlogsource: {product: aws, service: cloudtrail}\ndetection:\n  sel:\n    eventName|expand: \"%%x%%\"\n  condition: sel\n' > "$TMP/badsigma/bad.yml"
printf 'title: [unclosed\n' > "$TMP/badsigma/malformed.yml"
check "rules check names refused Sigma rules and exits 2" bash -c "
  '$VIGIL' rules check --sigma '$TMP/badsigma' > '$TMP/rc2.json'; [ \$? = 2 ] && python3 -c '
import json,sys; r=json.load(open(sys.argv[1])); why=[x[\"reason\"] for x in r[\"refused\"]]
assert len(why) == 2 and any(\"expand\" in w for w in why) and any(\"YAML\" in w for w in why), r' '$TMP/rc2.json'"
python3 "$ROOT/Tests/cli/fixture_logs.py" "$ROOT/../shared/fixtures/panther/aws_cloudtrail.rule_tests.jsonl" "$TMP/ct-fixtures.jsonl"
check "at least 10 distinct Sigma rules fire on the CloudTrail fixtures, named with author and licence" bash -c "
  '$VIGIL' replay --quiet --sigma '$SIGMA' --sigma-status all '$TMP/ct-fixtures.jsonl' > '$TMP/sig.jsonl' && python3 -c '
import json,sys; a=[json.loads(l) for l in open(sys.argv[1])]
s=[x for x in a if (x.get(\"rule\") or \"\").startswith(\"sigma:\")]
assert len({x[\"rule\"] for x in s}) >= 10, len({x[\"rule\"] for x in s})
assert all(\"License\" in x[\"reasons\"][0][\"text\"] and \"rule by\" in x[\"reasons\"][0][\"text\"] for x in s if not x.get(\"update\"))
# An update alert (what a Sigma finding folded since its alert) names the rule and its author too.
assert all(any(\"License\" in r[\"text\"] and \"rule by\" in r[\"text\"] for r in x[\"reasons\"][1:]) for x in s if x.get(\"update\"))' '$TMP/sig.jsonl'"
printf 'sigma:\n  - %s\n' "$SIGMA" > "$TMP/sigma-config.yaml"; chmod 600 "$TMP/sigma-config.yaml"
check "the config file's sigma key loads rules as --sigma does" bash -c "
  '$VIGIL' replay --quiet --config '$TMP/sigma-config.yaml' --sigma-status all '$TMP/ct-fixtures.jsonl' | cmp - '$TMP/sig.jsonl'"
check "Sigma alerts are byte-identical run to run" bash -c "
  '$VIGIL' replay --quiet --sigma '$SIGMA' --sigma-status all '$TMP/ct-fixtures.jsonl' | cmp - '$TMP/sig.jsonl'"

# The reader: SampleLogs' CloudTrail takes the one-pass fast path (at least 99 %, counted in --stats),
# and --parse-only counts what a full replay reads.
check "--stats counts the fast path: at least 99 % of SampleLogs' CloudTrail" bash -c "
  '$VIGIL' replay --quiet --parse-only --stats '$TMP/po.json' '$SAMPLE' && '$VIGIL' replay --quiet --stats '$TMP/full.json' '$SAMPLE' > /dev/null && python3 -c '
import json,sys; p=json.load(open(sys.argv[1])); f=json.load(open(sys.argv[2]))
assert p[\"parse_fast\"] + p[\"parse_full\"] == p[\"records\"], p
assert p[\"parse_fast\"] * 100 >= p[\"records\"] * 99, p
assert (p[\"records\"], p[\"events\"], p[\"dead_lettered\"]) == (f[\"records\"], f[\"events\"] + f[\"duplicates\"], f[\"dead_lettered\"]), (p, f)' '$TMP/po.json' '$TMP/full.json'"
check "SampleLogs' CloudTrail as a Logstash export (@timestamp, @version) gives the original's alerts" bash -c "
  zstd -dc '$SAMPLE' | python3 -c '
import json, sys
for line in sys.stdin:
    d = json.loads(line)
    t = d.pop(\"eventTime\")
    t = t[:-1] + \".000Z\" if \".\" not in t else t
    print(json.dumps({\"@timestamp\": t, \"@version\": \"1\", **d}, ensure_ascii=False, separators=(\",\", \":\")))' > '$TMP/logstash.jsonl' &&
  '$VIGIL' replay --quiet '$SAMPLE' > '$TMP/orig-alerts.jsonl' && '$VIGIL' replay --quiet --stats '$TMP/ls.json' '$TMP/logstash.jsonl' > '$TMP/ls-alerts.jsonl' &&
  test -s '$TMP/orig-alerts.jsonl' && cmp '$TMP/orig-alerts.jsonl' '$TMP/ls-alerts.jsonl' && python3 -c '
import json,sys; p=json.load(open(sys.argv[1]))
assert p[\"parse_time_fallback\"] == p[\"records\"] - p[\"dead_lettered\"] > 60000, p' '$TMP/ls.json'"
check "SampleLogs' CloudTrail wrapped by EventBridge (detail) and Splunk HEC (event) gives the original's alerts, counted as unwrapped" bash -c "
  zstd -dc '$SAMPLE' | python3 -c '
import json, sys
for i, line in enumerate(sys.stdin):
    d = json.loads(line)
    if i % 2: print(json.dumps({\"version\": \"0\", \"detail-type\": \"AWS API Call via CloudTrail\", \"source\": \"aws.cloudtrail\", \"detail\": d}, separators=(\",\", \":\")))
    else: print(json.dumps({\"time\": 0, \"sourcetype\": \"aws:cloudtrail\", \"event\": d}, separators=(\",\", \":\")))' > '$TMP/wrapped.jsonl' &&
  '$VIGIL' replay --quiet --stats '$TMP/wr.json' '$TMP/wrapped.jsonl' > '$TMP/wr-alerts.jsonl' &&
  cmp '$TMP/orig-alerts.jsonl' '$TMP/wr-alerts.jsonl' && python3 -c '
import json,sys; p=json.load(open(sys.argv[1]))
assert p[\"parse_unwrapped\"] == p[\"records\"] - p[\"dead_lettered\"] > 60000, p' '$TMP/wr.json'"
check "S3 server access lines take the fast path too, and the symbol table is counted" bash -c "
  '$VIGIL' replay --quiet --stats '$TMP/s3.json' '$ROOT/SampleLogs/logs/s3-access.log.zst' > /dev/null && python3 -c '
import json,sys; p=json.load(open(sys.argv[1]))
assert p[\"records\"] > 9000 and p[\"parse_fast\"] * 100 >= p[\"records\"] * 99, p
assert 0 < p[\"symbols\"] and 0 < p[\"symbol_bytes\"] <= 32 << 20 and p[\"symbol_resets\"] == 0, p' '$TMP/s3.json'"
# A JSON checkpoint of the previous state layout (vigil-state 1, written by d350334 over the first
# 3,000 SampleLogs CloudTrail lines) is read and upgraded: the next 17,000 lines then give the same
# alerts as this Vigil resuming from its own binary checkpoint of the first 3,000.
zstd -dc -q "$SAMPLE" | head -3000 > "$TMP/first.jsonl"
zstd -dc -q "$SAMPLE" | sed -n 3001,20000p > "$TMP/second.jsonl"
cp -r "$ROOT/Tests/cli/fixtures/state-v1" "$TMP/migrate"
check "a JSON checkpoint of the previous layout is read, upgraded to binary, and goes on as a binary one would" bash -c "
  '$VIGIL' replay --quiet --state '$TMP/migrate' '$TMP/second.jsonl' > '$TMP/migrated.jsonl' &&
  '$VIGIL' replay --quiet --state '$TMP/fresh' '$TMP/first.jsonl' > /dev/null &&
  '$VIGIL' replay --quiet --state '$TMP/fresh' '$TMP/second.jsonl' > '$TMP/resumed.jsonl' &&
  test -s '$TMP/migrated.jsonl' && cmp '$TMP/migrated.jsonl' '$TMP/resumed.jsonl' &&
  grep -qx 'vigil-state 2' '$TMP/migrate/VERSION' && test ! -e '$TMP/migrate/checkpoint.zst' && test -s '$TMP/migrate/MANIFEST'"
# A checkpoint of a version this Vigil does not read is refused with a message naming both versions.
mkdir -p "$TMP/oldstate"
zstd -dc -q "$ROOT/Tests/cli/fixtures/state-v1/checkpoint.zst" | sed 's/"version":1/"version":0/g' > "$TMP/old-checkpoint.json"
echo "vigil-state 1" > "$TMP/oldstate/VERSION"
zstd -q -f "$TMP/old-checkpoint.json" -o "$TMP/oldstate/checkpoint.zst"   # from a file: the frame records its size
check "a checkpoint of another version is refused, naming both versions and what to do" bash -c "
  ! '$VIGIL' replay --quiet --state '$TMP/oldstate' '$SAMPLE' > /dev/null 2> '$TMP/old.err' && grep -q 'version 0 is not one this Vigil reads (it reads version 1)' '$TMP/old.err' && grep -q 'move the state directory away' '$TMP/old.err'"
# A damaged binary checkpoint: the newest file damaged is passed over with a warning (the run
# resumes from the one before and gives the same alerts); the only base damaged is refused (exit 4).
cat "$TMP/first.jsonl" "$TMP/second.jsonl" > "$TMP/all.jsonl"
check "the newest checkpoint file damaged is reported, the checkpoint before it used, and every alert is still in the file once" bash -c "
  '$VIGIL' replay --quiet '$TMP/all.jsonl' > '$TMP/plain-all.jsonl' &&
  '$VIGIL' replay --quiet --state '$TMP/dmg' --checkpoint-every 4000 --alerts '$TMP/dmg.jsonl' '$TMP/all.jsonl' &&
  d=\$(for f in '$TMP/dmg'/*.vcp; do echo \"\${f##*-} \$f\"; done | sort | tail -1 | cut -d' ' -f2) && test -n \"\$d\" &&
  printf '\\377' | dd of=\"\$d\" bs=1 seek=200 count=1 conv=notrunc 2>/dev/null &&
  '$VIGIL' replay --state '$TMP/dmg' --alerts '$TMP/dmg.jsonl' '$TMP/all.jsonl' 2> '$TMP/dmg.err' &&
  grep -q 'damaged' '$TMP/dmg.err' && grep -q 'before it' '$TMP/dmg.err' &&
  test -s '$TMP/plain-all.jsonl' && cmp '$TMP/dmg.jsonl' '$TMP/plain-all.jsonl'"
check "a damaged base with nothing before it is refused in plain words, exit 4" bash -c "
  '$VIGIL' replay --quiet --state '$TMP/dmg2' '$TMP/first.jsonl' > /dev/null &&
  b=\$(ls '$TMP/dmg2'/base-*.vcp) && rm -f '$TMP/dmg2/MANIFEST.prev' &&
  truncate -s -100 \"\$b\" && { '$VIGIL' replay --quiet --state '$TMP/dmg2' '$TMP/second.jsonl' > /dev/null 2> '$TMP/dmg2.err'; test \$? = 4; } &&
  grep -q 'no usable checkpoint' '$TMP/dmg2.err' && grep -q 'cut short' '$TMP/dmg2.err' && grep -q 'move the state directory away' '$TMP/dmg2.err'"

echo "cli: $passed passed, $failed failed"
[ "$failed" = 0 ]
