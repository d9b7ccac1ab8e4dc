#!/usr/bin/env python3
"""Operations and investigation: what the operator watching `vigil tail` as a service and the
analyst reading `vigil report` see, tested through the built binary as they would use it.

Usage: Tests/cli/ops_test.py path/to/vigil   (standard library only; run by `make cli`)

- metrics: `tail --metrics-address 127.0.0.1:0` serves /metrics, /healthz, /readyz over HTTP; the
  series agree with what `replay --stats` counts on the same input.
- report: `vigil report` of SampleLogs rendered in headless Chromium (Debian's `chromium`, which
  .ci/run installs): the DOM holds one `data-incident` element per incident of the alerts file, a
  chart per alerting principal, no Content-Security-Policy violation; a `<script>` in a user agent,
  bucket name or principal renders as text. Skipped, saying so, only where Chromium is missing.
"""
import calendar
import html.parser
import shutil
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


def chromium():
    for name in ("chromium", "chromium-browser", "google-chrome"):
        if shutil.which(name):
            return shutil.which(name)
    return None


def browse(page, *extra):
    """(DOM after load, Chromium's log) of a local page in headless Chromium."""
    r = subprocess.run([chromium(), "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--enable-logging=stderr",
                        "--v=0", f"--user-data-dir={os.path.dirname(page)}/chromium-profile", *extra, "file://" + page],
                       capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stderr[-2000:]
    return r.stdout, r.stderr


class DOM(html.parser.HTMLParser):
    """Counts what the test looks for in a dumped DOM: data-incident values, charts, tags, text."""
    def __init__(self, text):
        super().__init__()
        self.incidents, self.charts, self.tags, self.text = [], [], {}, []
        self.feed(text)

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        self.tags[tag] = self.tags.get(tag, 0) + 1
        if "data-incident" in a:
            self.incidents.append(a["data-incident"])
        if tag == "svg" and "activity" in (a.get("class") or "").split():
            self.charts.append(a.get("data-principal"))

    def handle_data(self, d):
        self.text.append(d)


def no_csp_violation(log):
    bad = [l for l in log.splitlines() if "Content Security Policy" in l or "Refused to" in l]
    assert not bad, bad[:3]


@test("report of SampleLogs in headless Chromium: one data-incident element per incident, a chart per principal, phone screenshot")
def report_sample(_data, _expected):
    if not chromium():
        print("skip report in Chromium: no chromium binary (apt-get install chromium; .ci/run installs it)")
        return "skip"
    d = workdir("report")
    logs = os.path.join(ROOT, "SampleLogs", "logs")
    alerts, page = os.path.join(d, "alerts.jsonl"), os.path.join(d, "report.html")
    r = run(["replay", "--quiet", "--alerts", alerts, logs])
    assert r.returncode == 0, r.stderr
    lines = [json.loads(l) for l in read(alerts).splitlines()]
    r = run(["report", "--quiet", "--alerts", alerts, "--out", page, logs])
    assert r.returncode == 0, r.stderr
    assert oct(os.stat(page).st_mode & 0o777) == "0o600", oct(os.stat(page).st_mode)
    dom_text, log = browse(page, "--dump-dom")
    dom = DOM(dom_text)
    incidents = {a["incident"] for a in lines}
    assert len(incidents) >= 10, "SampleLogs should give many incidents"
    assert sorted(dom.incidents) == sorted(incidents), (len(dom.incidents), len(incidents))
    # Drift findings (vigil:model) and silent log sources (source:…) have no activity of their own.
    principals = {a["principal"] for a in lines if a["principal"] != "vigil:model" and not a["principal"].startswith("source:")}
    assert sorted(dom.charts) == sorted(principals), (len(dom.charts), len(principals))
    assert dom.tags.get("rect", 0) > len(principals) and dom.tags.get("polygon", 0) >= 1, dom.tags
    assert dom.tags.get("script", 0) == 0 and dom.tags.get("img", 0) == 0
    # Every evidence event of the alerts is in a timeline row.
    rows = dom.tags.get("tr", 0)
    assert rows >= len({e for a in lines for e in a["events"]}), rows
    no_csp_violation(log)
    shot = os.path.join(d, "phone.png")
    browse(page, f"--screenshot={shot}", "--window-size=412,915", "--hide-scrollbars")
    with open(shot, "rb") as f:
        png = f.read()
    assert png[:8] == b"\x89PNG\r\n\x1a\n" and len(png) > 20_000, len(png)


@test("report: a <script> in a user agent, bucket name or principal renders as text in Chromium")
def report_escapes(_data, _expected):
    if not chromium():
        print("skip report escaping in Chromium: no chromium binary")
        return "skip"
    d = workdir("report-xss")
    evil_agent = "<script>alert('agent')</script> aws-cli/2 kali-linux"
    evil_bucket = "<img src=x onerror=alert('bucket')>"
    user = "<script>alert('user')</script>"
    recs = []
    for i in range(3):
        recs.append({"eventVersion": "1.09", "userIdentity": {"type": "IAMUser", "arn": f"arn:aws:iam::123456789012:user/{user}",
                     "accountId": "123456789012", "userName": user}, "eventTime": f"2026-11-02T10:0{i}:00Z",
                     "eventSource": "s3.amazonaws.com", "eventName": "GetBucketAcl", "awsRegion": "us-east-1",
                     "sourceIPAddress": "198.51.100.7", "userAgent": evil_agent, "requestParameters": {"bucketName": evil_bucket},
                     "eventID": f"evil-{i}", "readOnly": True, "recipientAccountId": "123456789012"})
    src = os.path.join(d, "evil.jsonl")
    with open(src, "w") as f:
        f.write("".join(json.dumps(r) + "\n" for r in recs))
    alerts, page = os.path.join(d, "alerts.jsonl"), os.path.join(d, "report.html")
    r = run(["replay", "--quiet", "--alerts", alerts, src])
    assert r.returncode == 0 and read(alerts), (r.stderr, "the offensive-tool rule should fire")
    r = run(["report", "--quiet", "--alerts", alerts, "--out", page, src])
    assert r.returncode == 0, r.stderr
    dom_text, log = browse(page, "--dump-dom")
    dom = DOM(dom_text)
    text = "".join(dom.text)
    assert dom.tags.get("script", 0) == 0 and dom.tags.get("img", 0) == 0, dom.tags
    for s in (evil_agent, evil_bucket, user):
        assert s in text, f"{s!r} not shown as text"
    assert "alert(" not in "".join(l for l in log.splitlines() if "CONSOLE" in l)
    no_csp_violation(log)
    # --redact pii: the report hashes the addresses from the logs with the run's key, as the alerts do.
    st, ralerts = os.path.join(d, "state"), os.path.join(d, "redacted.jsonl")
    r = run(["replay", "--quiet", "--state", st, "--redact", "pii", "--alerts", ralerts, src])
    assert r.returncode == 0, r.stderr
    r = run(["report", "--quiet", "--state", st, "--redact", "pii", "--alerts", ralerts, "--out", page, src])
    assert r.returncode == 0, r.stderr
    shown = read(page)
    assert "198.51.100.7" not in shown and "pii:" in shown, "source IP not redacted in the report"
    assert sorted(DOM(shown).charts) == sorted({json.loads(l)["principal"] for l in read(ralerts).splitlines()})


@test("report: usage errors are clear (missing alerts file, a line that is not an alert, --redact without a key)")
def report_errors(_data, _expected):
    d = workdir("report-errors")
    r = run(["report", "--alerts", os.path.join(d, "none.jsonl"), "--out", os.path.join(d, "r.html")])
    assert r.returncode == 3 and "cannot read alerts file" in r.stderr, (r.returncode, r.stderr)
    bad = os.path.join(d, "bad.jsonl")
    with open(bad, "w") as f:
        f.write('{"not":"an alert"}\n')
    r = run(["report", "--alerts", bad, "--out", os.path.join(d, "r.html")])
    assert r.returncode == 3 and "line 1" in r.stderr, (r.returncode, r.stderr)
    r = run(["report", "--alerts", bad, "--out", os.path.join(d, "r.html"), "--redact", "pii"])
    assert r.returncode == 2 and "redaction key" in r.stderr or "needs the key" in r.stderr, (r.returncode, r.stderr)
    assert not os.path.exists(os.path.join(d, "r.html"))


def main():
    data = sample()
    run_all("ops tests", [metrics, metrics_bad_address, report_sample, report_escapes, report_errors], data, None, "OPS_TESTS")


if __name__ == "__main__":
    main()
