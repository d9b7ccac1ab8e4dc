#!/usr/bin/env python3
"""Responder tests: webhooks against real HTTP(S) receivers, the signed audit trail, redaction,
configuration safety, crafted log fields, and quarantine against a real IAM-compatible endpoint
(moto_server) driven by the aws CLI — all through the built `vigil`, as an operator would run it.

Usage: Tests/cli/responders_test.py path/to/vigil   (run by `make cli`; needs python3, openssl, and
for the quarantine test moto[server] and awscli from pip — `.ci/run` installs them)
"""
import glob
import hashlib
import hmac
import http.server
import json
import os
import shutil
import signal
import socket
import ssl
import subprocess
import sys
import threading
import time
from datetime import datetime, timedelta, timezone

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from clitest import ROOT, TMP, VIGIL, free_port, private, run, run_all, sample, test, workdir  # noqa: E402

FIXTURES = os.path.join(os.path.dirname(ROOT), "shared", "fixtures", "panther")


class Receiver:
    """A webhook receiver on 127.0.0.1. `mode`: ok | fail (HTTP 500) | slow (answers after 3 s)."""

    def __init__(self, port=None, tls=None):
        self.port = port or free_port()
        self.mode = "ok"
        self.requests = []
        self.lock = threading.Lock()
        outer = self

        class H(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_POST(self):
                n = int(self.headers.get("Content-Length", 0))
                body = self.rfile.read(n)
                mode = outer.mode
                with outer.lock:
                    outer.requests.append({"headers": {k.lower(): v for k, v in self.headers.items()}, "body": body, "mode": mode})
                if mode == "slow":
                    time.sleep(3)
                code = 500 if mode == "fail" else 200
                self.send_response(code)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *a):
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", self.port), H)
        if tls:
            ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            ctx.load_cert_chain(*tls)
            self.server.socket = ctx.wrap_socket(self.server.socket, server_side=True)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def accepted(self):
        with self.lock:
            return [r for r in self.requests if r["mode"] == "ok"]

    def stop(self):
        self.server.shutdown()
        self.server.server_close()


def alert_ids(text):
    return [json.loads(l)["id"] for l in text.splitlines() if l.strip()]


def verify_signature(req, secret):
    sig = req["headers"].get("x-vigil-signature", "")
    parts = dict(p.split("=", 1) for p in sig.split(","))
    mac = hmac.new(secret, parts["t"].encode() + b"." + req["body"], hashlib.sha256).hexdigest()
    return hmac.compare_digest(mac, parts["v1"]) and parts["t"] == req["headers"].get("x-vigil-timestamp")


def start_tail(args):
    return subprocess.Popen([VIGIL, "tail", "--quiet"] + args, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)


@test("webhooks: 500s, timeouts, receiver down, vigil restarted: every alert arrives, none twice after de-dup, all signatures verify")
def webhook_reliability(data, expected):
    d = workdir("hooks")
    recv = Receiver()
    recv.mode = "fail"
    secret = b"s3cr3t-hmac-key-for-tests"
    token = "TOKEN-abc123-never-logged"
    url_file = private(os.path.join(d, "hook.url"), f"http://127.0.0.1:{recv.port}/hook?token={token}\n")
    secret_file = private(os.path.join(d, "hook.key"), secret.decode())
    cfg = private(os.path.join(d, "vigil.yaml"), f"""
webhooks:
  - url_file: {url_file}
    format: json
    secret_file: {secret_file}
retry: {{initial_seconds: 0.2, max_seconds: 1, timeout_seconds: 1}}
drain_seconds: 1
""")
    live, state, alerts = os.path.join(d, "live.log"), os.path.join(d, "state"), os.path.join(d, "alerts.jsonl")
    lines = data.splitlines(keepends=True)
    half = len(lines) // 2
    with open(live, "wb") as f:
        f.write(b"".join(lines[:half]))
    args = ["--from-start", "--state", state, "--config", cfg, "--alerts", alerts, live]
    p = subprocess.Popen([VIGIL, "tail"] + args, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    time.sleep(2.5)                          # receiver answering 500
    recv.mode = "slow"                       # then timing out
    time.sleep(2.5)
    recv.stop()                              # then down
    time.sleep(1.0)
    p.send_signal(signal.SIGTERM)
    err1 = p.communicate(timeout=30)[1]
    assert p.returncode == 0, f"first run exited {p.returncode}: {err1}"
    queued = len(glob.glob(os.path.join(state, "outbox", "*.json")))
    assert queued > 0, "nothing was left in the outbox while the receiver was failing"
    with open(live, "ab") as f:              # more alerts arrive while the receiver is still down
        f.write(b"".join(lines[half:]))
    recv2 = Receiver(port=recv.port)         # back up, same address
    p = subprocess.Popen([VIGIL, "tail"] + args, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    want = set(alert_ids(expected))
    deadline = time.time() + 60
    while time.time() < deadline and {r["headers"].get("idempotency-key") for r in recv2.accepted()} != want:
        time.sleep(0.2)
    time.sleep(1.0)
    p.send_signal(signal.SIGTERM)
    err2 = p.communicate(timeout=30)[1]
    recv2.stop()
    got = recv2.accepted()
    keys = [r["headers"].get("idempotency-key") for r in got]
    assert set(keys) == want, f"{len(set(keys))} of {len(want)} alerts delivered"
    for r in got + recv.requests:
        assert verify_signature(r, secret), "a signature did not verify"
        assert json.loads(r["body"])["id"] == r["headers"]["idempotency-key"], "idempotency key is not the alert id"
    assert alert_ids(open(alerts).read()) == alert_ids(expected), "alerts file differs from replay"
    # The URL's token never leaves the request: not in stderr, state, alerts or the audit trail.
    for name in glob.glob(os.path.join(state, "**"), recursive=True) + [alerts]:
        if os.path.isfile(name) and not name.endswith((".key", ".zst")):
            assert token not in open(name, errors="replace").read(), f"token found in {name}"
    assert token not in err1 + err2, "token in stderr"
    r = run(["audit", "verify", os.path.join(state, "audit.log"), "--public-key", os.path.join(state, "audit.pub")])
    assert r.returncode == 0, r.stdout + r.stderr
    log = open(os.path.join(state, "audit.log")).read()
    assert log.count('"kind":"webhook-delivered"') >= len(want)
    print(f"     {len(recv.requests)} failed attempts first; {queued} left in the outbox at the restart; "
          f"{len(got)} accepted deliveries for {len(want)} alerts")


@test("a receiver that takes 3 s per request does not slow detection: the replay ends, the rest waits in the outbox")
def slow_receiver(data, expected):
    d = workdir("slow")
    recv = Receiver()
    recv.mode = "slow"
    src, state = os.path.join(d, "in.jsonl"), os.path.join(d, "state")
    with open(src, "wb") as f:
        f.write(data)
    cfg = private(os.path.join(d, "c.yaml"), f"webhooks:\n  - url: http://127.0.0.1:{recv.port}/h\ndrain_seconds: 0\nretry: {{timeout_seconds: 5}}\n")
    t0 = time.time()
    r = run(["replay", "--quiet", "--state", state, "--config", cfg, "--alerts", os.path.join(d, "a.jsonl"), src])
    took = time.time() - t0
    recv.stop()
    n = len(alert_ids(expected))
    assert r.returncode == 0, r.stderr
    assert open(os.path.join(d, "a.jsonl")).read() == expected
    left = len(glob.glob(os.path.join(state, "outbox", "*.json")))
    assert took < n * 3 / 2, f"replay took {took:.1f} s for {n} alerts to a 3 s receiver: detection waited for it"
    assert left >= n - 3, f"only {left} of {n} alerts left queued"
    print(f"     replay with {n} alerts took {took:.1f} s (serial delivery would need {3 * n} s); {left} queued for later")


@test("webhooks over https to a receiver whose certificate is signed by a test CA added to the system store")
def webhook_tls(data, expected):
    if os.geteuid() != 0 or not shutil.which("update-ca-certificates") or not shutil.which("openssl"):
        print("skip webhooks over https: needs root, openssl and update-ca-certificates to add a test CA")
        return "skip"
    d = workdir("tls")
    ca_key, ca_crt = os.path.join(d, "ca.key"), os.path.join(d, "ca.crt")
    key, csr, crt, ext = (os.path.join(d, n) for n in ("srv.key", "srv.csr", "srv.crt", "ext.cnf"))
    q = dict(capture_output=True, check=True)
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", ca_key, "-out", ca_crt,
                    "-days", "2", "-subj", "/CN=Vigil Test CA"], **q)
    subprocess.run(["openssl", "req", "-newkey", "rsa:2048", "-nodes", "-keyout", key, "-out", csr, "-subj", "/CN=localhost"], **q)
    with open(ext, "w") as f:
        f.write("subjectAltName=DNS:localhost,IP:127.0.0.1\n")
    subprocess.run(["openssl", "x509", "-req", "-in", csr, "-CA", ca_crt, "-CAkey", ca_key, "-CAcreateserial", "-out", crt,
                    "-days", "2", "-extfile", ext], **q)
    store = "/usr/local/share/ca-certificates/vigil-test-ca.crt"
    shutil.copy(ca_crt, store)
    subprocess.run(["update-ca-certificates"], **q)
    try:
        recv = Receiver(tls=(crt, key))
        src = os.path.join(d, "in.jsonl")
        with open(src, "wb") as f:
            f.write(data)
        r = run(["replay", "--quiet", "--alerts", os.path.join(d, "a.jsonl"), "--webhook", f"https://localhost:{recv.port}/hook", src])
        recv.stop()
        assert r.returncode == 0, r.stderr
        keys = {x["headers"].get("idempotency-key") for x in recv.accepted()}
        assert keys == set(alert_ids(expected)), f"{len(keys)} of {len(alert_ids(expected))} delivered over https: {r.stderr}"
    finally:
        os.unlink(store)
        subprocess.run(["update-ca-certificates", "--fresh"], capture_output=True)


def crafted_events(now, count_users=None):
    """CloudTrail records whose attacker-controlled fields try to break JSON, Slack markup and argv."""
    evil_names = ['eve"},{"x":"y', "eve\n\\u0000<!channel>", "<https://evil.example|click> *bold*", "x; rm -rf / $(touch /tmp/vigil-pwned)",
                  "`whoami`&amp;<@U123>"]
    recs = []
    for i, name in enumerate(evil_names):
        t = (now - timedelta(minutes=5) + timedelta(seconds=i)).strftime("%Y-%m-%dT%H:%M:%SZ")
        recs.append({"eventVersion": "1.09", "userIdentity": {"type": "IAMUser", "arn": f"arn:aws:iam::123456789012:user/{name}",
                     "accountId": "123456789012", "userName": name, "accessKeyId": "AKIAEXAMPLEKEY00001"},
                     "eventTime": t, "eventSource": "cloudtrail.amazonaws.com", "eventName": "StopLogging", "awsRegion": "us-east-1",
                     "sourceIPAddress": "203.0.113.9", "userAgent": f"<!here> {name}", "requestParameters": {"name": f"trail-{name}"},
                     "eventID": f"crafted-{i}", "readOnly": False, "recipientAccountId": "123456789012"})
    return recs, evil_names


@test("crafted principal names and user agents cannot break the JSON, the Slack markup or an action's arguments")
def injection(data, expected):
    d = workdir("inject")
    recs, names = crafted_events(datetime.now(timezone.utc))
    src = os.path.join(d, "evil.jsonl")
    with open(src, "w") as f:
        for r in recs:
            f.write(json.dumps(r) + "\n")
    recorder = private(os.path.join(d, "record.py"), "#!/usr/bin/env python3\nimport json, os, sys\n"
                       f"open({os.path.join(d, 'argv.jsonl')!r}, 'a').write(json.dumps({{'argv': sys.argv[1:], 'principal': os.environ['VIGIL_PRINCIPAL']}}) + '\\n')\n")
    os.chmod(recorder, 0o700)
    policy = private(os.path.join(d, "policy.yaml"), f"""version: 1
max_actions_per_hour: 100
triggers:
  - severities: [critical]
    action: record
actions:
  record:
    command: [{recorder}, quarantine]
""")
    slack, ocsf, js = Receiver(), Receiver(), Receiver()
    outs = {}
    for fmt, recv in (("slack", slack), ("ocsf", ocsf), ("json", js)):
        state = os.path.join(d, "state-" + fmt)
        r = run(["replay", "--quiet", "--state", state, "--alerts", os.path.join(d, f"alerts-{fmt}.jsonl"), "--webhook-format", fmt,
                 "--webhook", f"http://127.0.0.1:{recv.port}/h", "--policy", policy, "--enforce", "--actions", os.path.join(d, f"actions-{fmt}.jsonl"), src])
        assert r.returncode == 0, r.stderr
        recv.stop()
        outs[fmt] = [json.loads(x["body"]) for x in recv.accepted()]      # every body is valid JSON
        assert len(outs[fmt]) == len(names), f"{fmt}: {len(outs[fmt])} deliveries for {len(names)} crafted alerts"
    arns = {f"arn:aws:iam::123456789012:user/{n}" for n in names}
    for line in open(os.path.join(d, "alerts-json.jsonl")):
        assert json.loads(line)["principal"] in arns, "principal altered"
    for m in outs["slack"]:
        text = json.dumps(m)
        for bad in ("<!channel>", "<!here>", "<https://evil", "<@U123>"):
            assert bad not in text, f"Slack message carries raw {bad}"
    every = json.dumps(outs["slack"])
    assert "&lt;!channel&gt;" in every and "&lt;https://evil.example|click&gt;" in every and "&lt;@U123&gt;" in every
    assert {o["class_uid"] for o in outs["ocsf"]} == {2004}
    assert {o["actor"]["user"]["uid"] for o in outs["ocsf"]} == arns
    calls = [json.loads(l) for l in open(os.path.join(d, "argv.jsonl"))]
    principals = {c["principal"] for c in calls}
    assert principals == {f"arn:aws:iam::123456789012:user/{n}" for n in names}, "a principal reached the command altered"
    for c in calls:
        assert c["argv"][0] == "quarantine" and c["argv"][1] == c["principal"] and len(c["argv"]) == 3, f"argv split: {c['argv']}"
    assert not os.path.exists("/tmp/vigil-pwned"), "a crafted name ran a command"


def plant(obj, planted):
    """Replaces every secret-keyed string value (the fixtures carry placeholders such as
    "REDACTED") by a unique, realistic-looking secret, recording it in `planted`."""
    if isinstance(obj, dict):
        for k, v in obj.items():
            if k.lower() in SECRET_KEYS and isinstance(v, str):
                obj[k] = f"wJalrXUtnFEMI{len(planted):04d}K7MDENGbPxRfiCYzEXAMPLEKEY"
                planted.add(obj[k])
            else:
                plant(v, planted)
    elif isinstance(obj, list):
        for v in obj:
            plant(v, planted)


def fixture_logs(d, match=lambda name: True, planted=None):
    """The raw records (`log`) of the Panther rule-test fixtures, one JSON-lines file per fixture;
    with `planted`, their secret fields hold unique secrets (collected there)."""
    out = []
    for fpath in sorted(glob.glob(os.path.join(FIXTURES, "*.jsonl"))):
        name = os.path.basename(fpath)
        if not match(name):
            continue
        dst = os.path.join(d, name.replace(".rule_tests", ""))
        with open(fpath) as src, open(dst, "w") as f:
            for line in src:
                log = json.loads(line).get("log")
                if isinstance(log, dict):
                    if planted is not None:
                        plant(log, planted)
                    f.write(json.dumps(log) + "\n")
        out.append(dst)
    return out


SECRET_KEYS = {"secretaccesskey", "sessiontoken", "password", "secretstring", "clientsecret", "accesstoken", "refreshtoken",
               "authorization", "privatekey", "newpassword", "oldpassword"}


def secrets_in(obj, out):
    if isinstance(obj, dict):
        for k, v in obj.items():
            if k.lower() in SECRET_KEYS and isinstance(v, str) and len(v) >= 8:
                out.add(v)
            else:
                secrets_in(v, out)
    elif isinstance(obj, list):
        for v in obj:
            secrets_in(v, out)


@test("no secret key, session token or password from the fixtures appears in any output")
def no_secrets(data, expected):
    d = workdir("secrets")
    secrets = set()
    files = fixture_logs(d, planted=secrets)
    assert files, f"no fixtures under {FIXTURES}"
    # Secrets also in the places attackers' requests put them: a login password, a bearer header.
    extra = os.path.join(d, "extra.jsonl")
    with open(extra, "w") as f:
        for i, (path, key) in enumerate([("requestParameters", "password"), ("requestParameters", "Authorization"),
                                         ("responseElements", "credentials")]):
            rec = json.loads(ct(datetime.now(timezone.utc), "arn:aws:iam::123456789012:user/leaky", "IAMUser", "leaky",
                                "AKIAEXAMPLEKEY00009", "CreateLoginProfile", 100 + i))
            value = {"sessionToken": f"IQoJb3JpZ2luX2VjEXAMPLETOKEN{i}xyz", "secretAccessKey": f"SECRETKEY{i}wJalrXUtnFEMIK7MDENG"} if key == "credentials" \
                else f"Bearer eyJhbGciOiJIUzI1NiJ9.PLANTED{i}" if key == "Authorization" else f"Hunter2-planted-{i}!"
            rec[path] = {key: value, "userName": "victim"}
            plant(rec, set())
            secrets_in(rec, secrets)
            f.write(json.dumps(rec) + "\n")
            f.write(json.dumps(rec)[:400] + "\n")          # and a truncated copy, dead-lettered
    files.append(extra)
    recv = Receiver()
    state = os.path.join(d, "state")
    outputs = [os.path.join(d, n) for n in ("alerts.jsonl", "dead.jsonl", "stats.json", "actions.jsonl")]
    policy = private(os.path.join(d, "p.yaml"), "version: 1\ntriggers:\n  - severities: [critical, high]\n    action: a\nactions:\n  a:\n    command: [/bin/true]\n")
    r = run(["replay", "--state", state, "--alerts", outputs[0], "--dead-letter", outputs[1], "--stats", outputs[2], "--actions", outputs[3],
             "--policy", policy, "--webhook-format", "slack", "--webhook", f"http://127.0.0.1:{recv.port}/h"] + files)
    recv.stop()
    assert r.returncode == 0, r.stderr
    texts = [r.stdout, r.stderr] + [x["body"].decode() for x in recv.requests]
    for path in outputs + glob.glob(os.path.join(state, "**", "*"), recursive=True):
        if os.path.isfile(path) and not path.endswith((".key", ".zst")):
            texts.append(open(path, errors="replace").read())
    snap = checkpoint_text(state)
    assert len(snap) > 10000, "no checkpoint sections read"
    texts.append(snap)
    leaked = [s for s in secrets if any(s in t for t in texts)]
    if leaked:
        where = [i for i, t in enumerate(texts) if leaked[0] in t]
        raise AssertionError(f"{len(leaked)} of {len(secrets)} secret value(s) leaked, e.g. {leaked[0][:10]}… in output #{where}")
    print(f"     {len(secrets)} secret values from {len(files)} fixture files checked against alerts, dead letters, stats, "
          f"actions, webhooks, audit trail, checkpoint; {len(open(outputs[0]).readlines())} alerts")


def checkpoint_text(state):
    """Every section of every binary checkpoint file in `state`, decompressed, as text (for leak checks).
    Layout: 40-byte header (section count at byte 32), then per section a 32-byte header
    (id, flags, raw length, stored length, two CRCs) and the stored bytes (zstd when flags bit 0)."""
    import struct
    out = []
    for path in sorted(glob.glob(os.path.join(state, "*.vcp"))):
        b = open(path, "rb").read()
        assert b[:8] == b"VIGILCKP", path
        (count,) = struct.unpack_from("<I", b, 32)
        off = 40
        for _ in range(count):
            _sid, flags, _raw, stored, _c1, _c2 = struct.unpack_from("<IIQQII", b, off)
            data = b[off + 32: off + 32 + stored]
            off += 32 + stored
            if flags & 1:
                data = subprocess.run(["zstd", "-dcq"], input=data, capture_output=True, check=True).stdout
            out.append(data.decode(errors="replace"))
    return "\n".join(out)


@test("--redact pii: e-mail and IP addresses leave only as stable keyed tokens")
def redaction(data, expected):
    d = workdir("redact")
    files = fixture_logs(d, lambda n: "okta" not in n and "s3" not in n)
    state = os.path.join(d, "state")
    a1, a2, plain = os.path.join(d, "a1.jsonl"), os.path.join(d, "a2.jsonl"), os.path.join(d, "plain.jsonl")
    assert run(["replay", "--quiet", "--alerts", plain] + files).returncode == 0
    dead = os.path.join(d, "dead.jsonl")
    broken = os.path.join(d, "broken.jsonl")
    with open(broken, "w") as f:      # dead-lettered records carry raw excerpts: redacted too
        f.write('{"eventTime": "2026-11-02T10:00:00Z", "userIdentity": {"arn": "x", "userName": "carol@example.org"}, "sourceIPAddress": "198.51.100.77", \n')
    r = run(["replay", "--quiet", "--state", state, "--redact", "pii", "--alerts", a1, "--dead-letter", dead] + files + [broken])
    assert r.returncode == 0, r.stderr
    dl = open(dead).read()
    assert "carol@example.org" not in dl and "198.51.100.77" not in dl and "pii:" in dl, dl[-400:]
    shutil.rmtree(os.path.join(d, "state2"), ignore_errors=True)
    os.makedirs(os.path.join(d, "state2"))
    shutil.copy(os.path.join(state, "redact.key"), os.path.join(d, "state2", "redact.key"))
    r = run(["replay", "--quiet", "--state", os.path.join(d, "state2"), "--redact", "pii", "--alerts", a2] + files + [broken])
    assert r.returncode == 0, r.stderr
    import re
    email = re.compile(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+\.[A-Za-z0-9.-]+")
    ipv4 = re.compile(r"(?<![\w.])(?:\d{1,3}\.){3}\d{1,3}(?![\w])")
    plain_text, red = open(plain).read(), open(a1).read()
    assert email.search(plain_text) or ipv4.search(plain_text), "fixtures produced no alert with an address to redact"
    assert not email.search(red), f"e-mail left: {email.search(red).group(0)}"
    assert not ipv4.search(red), f"IP left: {ipv4.search(red).group(0)}"
    assert "pii:" in red
    assert red == open(a2).read(), "tokens are not stable for the same key"
    assert alert_ids(red) == alert_ids(plain_text), "redaction changed alert identities"


@test("config, policy or action command writable by group/world, or a world-readable secret file, is refused (exit 2); a tokened URL on argv is refused")
def unsafe_files(data, expected):
    d = workdir("unsafe")
    src = os.path.join(d, "in.jsonl")
    with open(src, "wb") as f:
        f.write(data.splitlines(keepends=True)[0])
    cfg = private(os.path.join(d, "c.yaml"), "drain_seconds: 1\n")
    os.chmod(cfg, 0o666)
    r = run(["replay", "--config", cfg, src])
    assert r.returncode == 2 and "writable" in r.stderr, (r.returncode, r.stderr)
    prog = private(os.path.join(d, "act.sh"), "#!/bin/sh\nexit 0\n")
    os.chmod(prog, 0o777)
    pol = private(os.path.join(d, "p.yaml"), f"version: 1\ntriggers:\n  - action: a\nactions:\n  a:\n    command: [{prog}]\n")
    r = run(["replay", "--state", os.path.join(d, "s"), "--policy", pol, src])
    assert r.returncode == 2 and "action command" in r.stderr, (r.returncode, r.stderr)
    os.chmod(pol, 0o620)
    r = run(["replay", "--state", os.path.join(d, "s2"), "--policy", pol, src])
    assert r.returncode == 2 and "policy" in r.stderr, (r.returncode, r.stderr)
    leaky = private(os.path.join(d, "hook.url"), "https://hooks.slack.com/services/T000/B000/XXXX\n")
    os.chmod(leaky, 0o644)
    r = run(["replay", "--webhook-url-file", leaky, src])
    assert r.returncode == 2 and "world-readable" in r.stderr and "XXXX" not in r.stderr, (r.returncode, r.stderr)
    r = run(["replay", "--webhook", "https://hooks.slack.com/services/T000/B000/XXXX", src])
    assert r.returncode == 2 and "--webhook-url-file" in r.stderr and "XXXX" not in r.stderr, (r.returncode, r.stderr)
    bad = private(os.path.join(d, "bad.yaml"), "webhooks:\n  - url: http://127.0.0.1:1/h\n    formt: json\n")
    r = run(["replay", "--config", bad, src])
    assert r.returncode == 2 and "formt" in r.stderr, (r.returncode, r.stderr)


@test("audit verify: a flipped byte, a deleted line and reordered lines are each found and the entry named")
def audit_tamper(data, expected):
    d = workdir("audit")
    src = os.path.join(d, "in.jsonl")
    with open(src, "wb") as f:
        f.write(data)
    state = os.path.join(d, "state")
    r = run(["replay", "--quiet", "--state", state, "--alerts", os.path.join(d, "a.jsonl"), "--audit-head", os.path.join(d, "head.json"), src])
    assert r.returncode == 0, r.stderr
    log, pub = os.path.join(state, "audit.log"), os.path.join(state, "audit.pub")
    lines = open(log).read().splitlines(keepends=True)
    assert len(lines) > 10
    ok = run(["audit", "verify", log, "--public-key", pub, "--head", os.path.join(d, "head.json")])
    assert ok.returncode == 0, ok.stdout + ok.stderr

    def check(name, new_lines, entry):
        p = os.path.join(d, name)
        with open(p, "w") as f:
            f.writelines(new_lines)
        r = run(["audit", "verify", p, "--public-key", pub])
        assert r.returncode == 1 and f"entry {entry}:" in r.stdout, f"{name}: {r.returncode} {r.stdout}"

    flipped = list(lines)
    flipped[5] = flipped[5].replace('"kind":"alert-emitted"', '"kind":"alert-emittec"', 1) if "alert-emitted" in flipped[5] else flipped[5][:20] + chr(ord(flipped[5][20]) ^ 1) + flipped[5][21:]
    check("flipped.log", flipped, 6)
    check("deleted.log", lines[:4] + lines[5:], 5)
    check("reordered.log", lines[:6] + [lines[7], lines[6]] + lines[8:], 7)
    r = run(["audit", "verify", log, "--public-key", pub, "--head", os.path.join(d, "head.json")])
    with open(os.path.join(d, "cut.log"), "w") as f:
        f.writelines(lines[:-2])
    r = run(["audit", "verify", os.path.join(d, "cut.log"), "--public-key", pub, "--head", os.path.join(d, "head.json")])
    assert r.returncode == 1 and "cut off" in r.stdout, r.stdout


def moto():
    if not shutil.which("moto_server") or not shutil.which("aws"):
        return None
    port = free_port()
    p = subprocess.Popen(["moto_server", "-H", "127.0.0.1", "-p", str(port)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    for _ in range(100):
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return p, f"http://127.0.0.1:{port}"
        except OSError:
            time.sleep(0.1)
    p.kill()
    return None


def aws(endpoint, *args):
    env = dict(os.environ, AWS_ACCESS_KEY_ID="testing", AWS_SECRET_ACCESS_KEY="testing", AWS_DEFAULT_REGION="us-east-1")
    r = subprocess.run(["aws", "--endpoint-url", endpoint, "--output", "json"] + list(args), capture_output=True, text=True, env=env)
    return r.returncode, (json.loads(r.stdout) if r.stdout.strip() else {}), r.stderr


def ct(t, arn, typ, name, key, event, i, extra=None):
    ident = {"type": typ, "arn": arn, "accountId": "123456789012", "accessKeyId": key}
    if typ == "IAMUser":
        ident["userName"] = name
    else:
        ident["sessionContext"] = {"sessionIssuer": {"type": "Role", "arn": f"arn:aws:iam::123456789012:role/{name}", "userName": name}}
    rec = {"eventVersion": "1.09", "userIdentity": ident, "eventTime": t.strftime("%Y-%m-%dT%H:%M:%SZ"),
           "eventSource": "cloudtrail.amazonaws.com", "eventName": event, "awsRegion": "us-east-1", "sourceIPAddress": "198.51.100.23",
           "userAgent": "aws-cli/2.15.30", "requestParameters": {"name": "org-trail"}, "eventID": f"q-{i}-{t.timestamp()}",
           "readOnly": False, "recipientAccountId": "123456789012"}
    return json.dumps(rec)


@test("quarantine on a real IAM endpoint (moto_server + aws CLI): deny policy + inactive key, role session revocation, allowlist, hourly cap, TTL release, old archive untouched")
def quarantine(data, expected):
    m = moto()
    if m is None:
        print("skip quarantine: moto_server and aws not installed (pip install 'moto[server]' awscli)")
        return "skip"
    server, endpoint = m
    try:
        d = workdir("quarantine")
        for u in ("attacker", "breakglass-ops", "intruder"):
            assert aws(endpoint, "iam", "create-user", "--user-name", u)[0] == 0
        keys = {u: aws(endpoint, "iam", "create-access-key", "--user-name", u)[1]["AccessKey"]["AccessKeyId"] for u in ("attacker", "breakglass-ops", "intruder")}
        trust = json.dumps({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"}, "Action": "sts:AssumeRole"}]})
        assert aws(endpoint, "iam", "create-role", "--role-name", "app-role", "--assume-role-policy-document", trust)[0] == 0
        action = os.path.join(d, "aws-quarantine.py")
        shutil.copy(os.path.join(ROOT, "Models", "actions", "aws-quarantine.py"), action)
        os.chmod(action, 0o700)

        def policy(name, cap, ttl_min):
            return private(os.path.join(d, name), f"""version: 1
recent_minutes: 60
max_actions_per_hour: {cap}
ttl_minutes: {ttl_min}
allow: ["arn:aws:iam::*:user/breakglass-*"]
triggers:
  - severities: [critical]
    action: aws-quarantine
actions:
  aws-quarantine:
    command: [{action}, quarantine]
    release: [{action}, release]
    timeout_seconds: 60
""")
        env = dict(os.environ, AWS_ACCESS_KEY_ID="testing", AWS_SECRET_ACCESS_KEY="testing", AWS_DEFAULT_REGION="us-east-1",
                   VIGIL_AWS_ENDPOINT_URL=endpoint)
        now = datetime.now(timezone.utc)
        recent = os.path.join(d, "recent.jsonl")
        with open(recent, "w") as f:
            f.write(ct(now - timedelta(minutes=3), "arn:aws:iam::123456789012:user/breakglass-ops", "IAMUser", "breakglass-ops", keys["breakglass-ops"], "StopLogging", 1) + "\n")
            f.write(ct(now - timedelta(minutes=2), "arn:aws:iam::123456789012:user/attacker", "IAMUser", "attacker", keys["attacker"], "StopLogging", 2) + "\n")
            f.write(ct(now - timedelta(minutes=1), "arn:aws:sts::123456789012:assumed-role/app-role/i-0abc", "AssumedRole", "app-role", "ASIAEXAMPLETEMP0001", "DeleteTrail", 3) + "\n")
            f.write(ct(now - timedelta(seconds=30), "arn:aws:iam::123456789012:user/intruder", "IAMUser", "intruder", keys["intruder"], "StopLogging", 4) + "\n")
        state, acts = os.path.join(d, "state"), os.path.join(d, "actions.jsonl")
        r = subprocess.run([VIGIL, "replay", "--quiet", "--state", state, "--policy", policy("p.yaml", 2, 0.05), "--enforce",
                            "--actions", acts, "--alerts", os.path.join(d, "a.jsonl"), recent], capture_output=True, text=True, env=env)
        assert r.returncode == 0, r.stderr
        records = [json.loads(l) for l in open(acts)]
        by = {(x["principal"].rsplit("/", 1)[-1], x["decision"]) for x in records}
        assert ("attacker", "executed") in by and ("app-role", "executed") in by, f"decisions: {sorted(by)}"
        assert ("breakglass-ops", "skipped") in by, f"allowlist: {sorted(by)}"
        assert ("intruder", "skipped") in by and any("hourly cap" in x["reason"] for x in records), f"cap: {sorted(by)}"
        rc, pol, _ = aws(endpoint, "iam", "get-user-policy", "--user-name", "attacker", "--policy-name", "vigil-quarantine")
        assert rc == 0 and pol["PolicyDocument"]["Statement"][0]["Effect"] == "Deny"
        status = {k["AccessKeyId"]: k["Status"] for k in aws(endpoint, "iam", "list-access-keys", "--user-name", "attacker")[1]["AccessKeyMetadata"]}
        assert status[keys["attacker"]] == "Inactive", status
        rc, rp, _ = aws(endpoint, "iam", "get-role-policy", "--role-name", "app-role", "--policy-name", "vigil-revoke-sessions")
        assert rc == 0 and "aws:TokenIssueTime" in json.dumps(rp["PolicyDocument"]), rp
        for u in ("breakglass-ops", "intruder"):
            assert aws(endpoint, "iam", "list-user-policies", "--user-name", u)[1]["PolicyNames"] == [], f"{u} was touched"
            st = aws(endpoint, "iam", "list-access-keys", "--user-name", u)[1]["AccessKeyMetadata"][0]["Status"]
            assert st == "Active", f"{u} key {st}"
        # TTL (3 s here): the next run releases.
        time.sleep(3.5)
        empty = os.path.join(d, "empty.jsonl")
        open(empty, "w").close()
        r = subprocess.run([VIGIL, "replay", "--quiet", "--state", state, "--policy", policy("p.yaml", 2, 0.05), "--enforce",
                            "--actions", os.path.join(d, "actions2.jsonl"), empty], capture_output=True, text=True, env=env)
        assert r.returncode == 0, r.stderr
        released = [json.loads(l) for l in open(os.path.join(d, "actions2.jsonl"))]
        assert sorted(x["decision"] for x in released) == ["released", "released"], released
        assert aws(endpoint, "iam", "list-user-policies", "--user-name", "attacker")[1]["PolicyNames"] == []
        assert aws(endpoint, "iam", "list-role-policies", "--role-name", "app-role")[1]["PolicyNames"] == []
        st = aws(endpoint, "iam", "list-access-keys", "--user-name", "attacker")[1]["AccessKeyMetadata"][0]["Status"]
        assert st == "Active", st
        # An old archive replayed with --enforce acts on nobody.
        old = os.path.join(d, "old.jsonl")
        then = now - timedelta(days=2)
        with open(old, "w") as f:
            f.write(ct(then, "arn:aws:iam::123456789012:user/intruder", "IAMUser", "intruder", keys["intruder"], "StopLogging", 9) + "\n")
        r = subprocess.run([VIGIL, "replay", "--quiet", "--state", os.path.join(d, "state-old"), "--policy", policy("p2.yaml", 5, 60), "--enforce",
                            "--actions", os.path.join(d, "actions-old.jsonl"), old], capture_output=True, text=True, env=env)
        assert r.returncode == 0, r.stderr
        old_records = [json.loads(l) for l in open(os.path.join(d, "actions-old.jsonl"))]
        assert old_records and all(x["decision"] == "skipped" and "min old" in x["reason"] for x in old_records), old_records
        assert aws(endpoint, "iam", "list-user-policies", "--user-name", "intruder")[1]["PolicyNames"] == []
        ev = glob.glob(os.path.join(state, "quarantine", "*.json"))
        assert ev, "no evidence file written"
        r = run(["audit", "verify", os.path.join(state, "audit.log"), "--public-key", os.path.join(state, "audit.pub")])
        assert r.returncode == 0 and "quarantine-executed" in open(os.path.join(state, "audit.log")).read(), r.stdout
    finally:
        server.kill()
        server.wait()


def main():
    data = sample()
    whole = os.path.join(TMP, "whole.jsonl")
    with open(whole, "wb") as f:
        f.write(data)
    expected = run(["replay", "--quiet", whole]).stdout
    run_all("responder tests", [webhook_reliability, slow_receiver, webhook_tls, injection, no_secrets, redaction,
                                unsafe_files, audit_tamper, quarantine], data, expected, "RESP_TESTS")

if __name__ == "__main__":
    main()
