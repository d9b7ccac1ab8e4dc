#!/usr/bin/env python3
"""Operations and investigation: what the operator watching `vigil tail` as a service and the
analyst reading `vigil report` see, tested through the built binary as they would use it.

Usage: Tests/cli/ops_test.py path/to/vigil   (standard library only; run by `make cli`)

- metrics: `tail --metrics-address 127.0.0.1:0` serves /metrics, /healthz, /readyz over HTTP; the
  series agree with what `replay --stats` counts on the same input.
"""
import calendar
import json
import os
import re
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from clitest import ROOT, VIGIL, read, run, run_all, sample, test, workdir  # noqa: E402


def get(port, path):
    """(status, body) of GET http://127.0.0.1:port/path."""
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}{path}", timeout=5) as r:
            return r.status, r.read().decode()
    except urllib.error.HTTPError as e:
        return e.code, e.read().decode()


def series(text):
    """{'name{labels}': value} of a Prometheus text exposition."""
    out = {}
    for line in text.splitlines():
        if line and not line.startswith("#"):
            k, v = line.rsplit(" ", 1)
            out[k] = float(v)
    return out


def wait_for(cond, limit=60.0, what="condition"):
    deadline = time.time() + limit
    while time.time() < deadline:
        v = cond()
        if v:
            return v
        time.sleep(0.2)
    raise AssertionError(f"timed out waiting for {what}")


@test("tail --metrics-address: /metrics agrees with replay --stats; /healthz, /readyz 200; lag from event time")
def metrics(data, _expected):
    d = workdir("metrics")
    src = os.path.join(d, "audit.jsonl")
    with open(src, "wb") as f:
        f.write(data + b"this is not json\n")
    stats_path = os.path.join(d, "stats.json")
    r = run(["replay", "--quiet", "--stats", stats_path, "--alerts", os.path.join(d, "replayed.jsonl"), src])
    assert r.returncode == 0, r.stderr
    stats = json.load(open(stats_path))
    newest = max(json.loads(l)["eventTime"] for l in data.decode().splitlines())
    newest_s = calendar.timegm(time.strptime(newest[:19], "%Y-%m-%dT%H:%M:%S"))
    alerts = os.path.join(d, "alerts.jsonl")
    # A webhook nobody listens on: deliveries queue and are retried.
    p = subprocess.Popen([VIGIL, "tail", "--from-start", "--state", os.path.join(d, "state"), "--alerts", alerts,
                          "--webhook", "http://127.0.0.1:9/hook", "--metrics-address", "127.0.0.1:0", src],
                         stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    try:
        port = None
        for line in p.stderr:
            m = re.search(r"metrics on http://127\.0\.0\.1:(\d+)/metrics", line)
            if m:
                port = int(m.group(1))
                break
        assert port, "tail did not say where metrics are served"
        s = wait_for(lambda: (lambda v: v if v.get("vigil_events_total") == stats["events"] else None)(
            series(get(port, "/metrics")[1])), what=f"vigil_events_total == {stats['events']}")
        assert get(port, "/healthz")[0] == 200
        assert get(port, "/readyz") == (200, "ready\n")
        assert s['vigil_records_total{format="cloudtrail"}'] == stats["records"] - 1, s
        assert s['vigil_records_total{format="unparsed"}'] == 1, s
        assert s['vigil_dead_letters_total{reason="not-json"}'] == 1, s
        by_sev = {k: v for k, v in s.items() if k.startswith("vigil_alerts_total")}
        assert sum(by_sev.values()) == stats["alerts"] > 0, (by_sev, stats["alerts"])
        lines = read(alerts).splitlines()
        for sev in ("low", "medium", "high", "critical"):
            n = sum(1 for l in lines if json.loads(l)["severity"] == sev)
            assert s[f'vigil_alerts_total{{severity="{sev}"}}'] == n, (sev, n, by_sev)
        assert s["vigil_principals_tracked"] == stats["principals"], (s["vigil_principals_tracked"], stats["principals"])
        assert s["vigil_incidents_open"] >= 0 and s["vigil_principals_evicted_total"] == 0
        assert abs(s["vigil_event_time_lag_seconds"] - (time.time() - newest_s)) < 30, (s["vigil_event_time_lag_seconds"], newest)
        wait_for(lambda: series(get(port, "/metrics")[1])["vigil_webhook_retries_total"] > 0, what="webhook retries")
        s = series(get(port, "/metrics")[1])
        assert s["vigil_webhook_queue_depth"] > 0, s["vigil_webhook_queue_depth"]
        assert "vigil_checkpoint_age_seconds" in s and s['vigil_quarantine_actions_total{result="executed"}'] == 0
        assert get(port, "/nothing")[0] == 404
        # The dashboard and alert rules in deploy/ use only series that a running tail serves.
        served = {k.split("{")[0] for k in s}
        for f in ("grafana-dashboard.json", "prometheus-rules.yaml"):
            used = set(re.findall(r"vigil_[a-z_]+", open(os.path.join(ROOT, "deploy", f)).read()))
            assert used and used <= served, (f, sorted(used - served))
    finally:
        p.send_signal(signal.SIGTERM)
        rc = p.wait(timeout=60)
    assert rc == 0, f"tail exited {rc}"


@test("tail --metrics-address: a bad address is a usage error before anything starts")
def metrics_bad_address(_data, _expected):
    r = run(["tail", "--metrics-address", "localhost", "-"], input="")
    assert r.returncode == 2 and "HOST:PORT" in r.stderr, (r.returncode, r.stderr)


def main():
    data = sample()
    run_all("ops tests", [metrics, metrics_bad_address], data, None, "OPS_TESTS")


if __name__ == "__main__":
    main()
