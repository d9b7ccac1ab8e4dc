#!/usr/bin/env bash
# make cluster-demo: a JetStream server, one router and two workers on SampleLogs, then the alerts
# from VIGIL_ALERTS. Everything it starts runs under a temporary directory and is stopped on exit.
set -euo pipefail
BIN=${1:-.build/release/vigil}
LOGS=${2:-SampleLogs/logs}
NATS=$(command -v nats-server || echo /usr/sbin/nats-server)
[ -x "$NATS" ] || { echo "cluster-demo needs nats-server (apt-get install nats-server)"; exit 1; }
DIR=$(mktemp -d /tmp/vigil-cluster-demo.XXXXXX)
PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
URL=nats://127.0.0.1:$PORT
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$DIR"
}
trap cleanup EXIT INT TERM

echo "== nats-server -js on $URL (store in $DIR/store)"
"$NATS" -js -a 127.0.0.1 -p "$PORT" -sd "$DIR/store" >"$DIR/nats.log" 2>&1 &
pids+=($!)
for _ in $(seq 100); do (exec 3<>/dev/tcp/127.0.0.1/$PORT) 2>/dev/null && break; sleep 0.1; done

echo "== two workers (shards 0 and 1 of 2), waiting for events"
for k in 0 1; do
  "$BIN" worker --nats "$URL" --shards 2 --shard $k --state "$DIR/worker-$k" --alerts "$DIR/alerts-$k.jsonl" \
    --exit-when-idle 3 2>"$DIR/worker-$k.log" &
  pids+=($!)
done

echo "== vigil route --shards 2 $LOGS"
"$BIN" route --nats "$URL" --shards 2 --state "$DIR/router" "$LOGS"

echo "== waiting for the workers to drain their shards"
for p in "${pids[@]:1}"; do wait "$p"; done
cat "$DIR"/worker-*.log

echo "== alerts in VIGIL_ALERTS (vigil alerts --nats $URL), as text"
"$BIN" alerts --nats "$URL" >"$DIR/stream.jsonl"
python3 - "$DIR/stream.jsonl" <<'PY'
import json, sys
rows = [json.loads(l) for l in open(sys.argv[1])]
for a in rows:
    who = a["principal"] + (f" (actor {a['actor']['arn']})" if "actor" in a else "")
    print(f"{a['time']}  {a['severity']:<8} {a.get('rule') or 'anomaly':<34} {who}")
    print(f"    {a['title']}")
print(f"{len(rows)} alerts, {len({a['id'] for a in rows})} distinct ids")
PY
