#!/usr/bin/env bash
# Vigil's Sigma matches on the CloudTrail fixtures against pySigma's SQLite backend (Tests/sigma/oracle.py).
# Skips, saying so, where pySigma is not installed (python3 -m pip install pysigma pysigma-backend-sqlite).
set -euo pipefail
VIGIL=$1
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
if ! python3 -c 'import sigma.backends.sqlite' 2>/dev/null; then
  echo "sigma oracle: SKIPPED (pySigma and its SQLite backend are not installed: python3 -m pip install 'pysigma==2.0.1' 'pysigma-backend-sqlite==2.1.1')"
  exit 0
fi
TMP=$(mktemp -d); trap 'rm -rf "$TMP"' EXIT
python3 "$ROOT/Tests/cli/fixture_logs.py" "$ROOT/../shared/fixtures/panther/aws_cloudtrail.rule_tests.jsonl" "$TMP/cloudtrail.jsonl"
python3 "$ROOT/Tests/sigma/oracle.py" "$VIGIL" "$ROOT/../shared/sigma/rules" "$TMP/cloudtrail.jsonl"
echo "sigma oracle: Vigil's (rule, event) matches equal pySigma's"
