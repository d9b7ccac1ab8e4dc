#!/usr/bin/env bash
# make bench-core: Vigil's isolation core vs River HalfSpaceTrees and krcf's random cut forest.
# Creates a Python venv under the build folder on first use (pip install river krcf numpy).
set -euo pipefail
VIGIL=${1:-.build/release/vigil}
ROOT=$(cd "$(dirname "$0")/.." && pwd)
VENV=$ROOT/.build/bench-venv
if [ ! -x "$VENV/bin/python" ] || ! "$VENV/bin/python" -c "import river, krcf, numpy" 2>/dev/null; then
  python3 -m venv "$VENV"
  "$VENV/bin/pip" install -q river krcf numpy
fi
shift || true
exec "$VENV/bin/python" "$ROOT/Benchmarks/bench_core.py" "$VIGIL" "$ROOT/../shared/datasets/outliers" "$ROOT/.build/bench-core" "$@"
