#!/usr/bin/env python3
"""Scale-out on NATS JetStream: `vigil route` and `vigil worker` against a real `nats-server -js`
(Debian's; .ci/run installs it) started here on a free loopback port with a temporary store.

Usage: Tests/cli/cluster_test.py path/to/vigil   (standard library only; run by `make cli`)

The specification these tests check (docs/scale-out.md):
- one router and one worker with --shards 1 give exactly the alerts of `vigil replay`;
- with N shards, worker K gives exactly the alerts of `vigil replay --shard K --shards N`;
- a worker killed with -9 and restarted leaves each alert exactly once in VIGIL_ALERTS and in its
  --alerts file; a router killed with -9 and restarted stores no event twice;
- secrets stay off the command line (credentials file, TLS with a CA file), and mismatched shard
  counts or state directories are refused with a clear error.
Without nats-server these tests are skipped, saying so (and fail under CI, where it must be there).
"""
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from clitest import ROOT, VIGIL, free_port, private, read, run, test, workdir, results, TMP  # noqa: E402

NATS = next((p for p in ["/usr/sbin/nats-server", "/usr/bin/nats-server", "/usr/local/bin/nats-server"]
             if os.access(p, os.X_OK)), shutil.which("nats-server"))
LOGS = os.path.join(ROOT, "SampleLogs", "logs")


class Server:
    """nats-server -js on a free loopback port, its store under the test's directory."""

    def __init__(self, d, extra=()):
        self.port = free_port()
        self.store = os.path.join(d, "store")
        self.proc = subprocess.Popen([NATS, "-js", "-a", "127.0.0.1", "-p", str(self.port), "-sd", self.store, *extra],
                                     stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.time() + 10
        while time.time() < deadline:
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=0.2).close()
                return
            except OSError:
                time.sleep(0.05)
        raise AssertionError("nats-server did not start")

    @property
    def url(self):
        return f"nats://127.0.0.1:{self.port}"

    def stop(self):
        self.proc.terminate()
        self.proc.wait(timeout=10)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.stop()


def needs_nats(fn):
    def inner(*a):
        if not NATS:
            if os.environ.get("CI"):
                raise AssertionError("nats-server is not installed (.ci/run installs it)")
            print(f"skip {fn.__name__}: no nats-server (apt-get install nats-server)")
            return "skip"
        return fn(*a)
    inner.__name__ = fn.__name__
    return inner


def ok(r):
    assert r.returncode == 0, f"exit {r.returncode}: {r.stderr[-2000:]}"
    return r


def replay(d, name, extra=()):
    out = os.path.join(d, name)
    ok(run(["replay", "--quiet", "--alerts", out, *extra, LOGS]))
    return read(out)


def route(url, shards, extra=()):
    return ok(run(["route", "--nats", url, "--shards", str(shards), *extra, LOGS]))


def worker_args(url, shards, k, d, extra=(), idle="1.5"):
    return ["worker", "--quiet", "--nats", url, "--shards", str(shards), "--shard", str(k),
            "--state", os.path.join(d, f"state-{k}"), "--alerts", os.path.join(d, f"alerts-{k}.jsonl"),
            "--exit-when-idle", idle, *extra]


def stream_alerts(url):
    return ok(run(["alerts", "--nats", url])).stdout


@test("--shards 1: one router and one worker give exactly the alerts of replay (file and VIGIL_ALERTS, same order)")
@needs_nats
def shards1_equals_replay():
    d = workdir("shards1")
    with Server(d) as s:
        expected = replay(d, "replay.jsonl")
        assert expected.count("\n") > 20, "the sample should raise alerts"
        r = route(s.url, 1)
        assert "routed 86355 events" in r.stderr, r.stderr
        ok(run(worker_args(s.url, 1, 0, d)))
        assert read(os.path.join(d, "alerts-0.jsonl")) == expected
        assert stream_alerts(s.url) == expected


@test("--shards 2: worker K's alerts are replay --shard K --shards 2's; a second routing run stores nothing twice")
@needs_nats
def shards2_equal_replay_of_each_shard():
    d = workdir("shards2")
    with Server(d) as s:
        route(s.url, 2)
        again = route(s.url, 2)
        assert "(86355 already in the stream" in again.stderr, again.stderr
        procs = [subprocess.Popen([VIGIL] + worker_args(s.url, 2, k, d), stderr=subprocess.PIPE, text=True) for k in (0, 1)]
        for p in procs:
            assert p.wait(timeout=300) == 0, p.stderr.read()
        union = []
        for k in (0, 1):
            expected = replay(d, f"replay-{k}.jsonl", ["--shard", str(k), "--shards", "2"])
            got = read(os.path.join(d, f"alerts-{k}.jsonl"))
            assert got == expected, f"shard {k}: {got.count(chr(10))} alerts vs replay's {expected.count(chr(10))}"
            union += expected.splitlines()
        stream = stream_alerts(s.url).splitlines()
        assert sorted(stream) == sorted(union)
        # The shards partition the principals: no principal alerts on both (except Vigil's own
        # findings, drift of the model and silence of a log source, which each worker raises over its shard).
        def principals(k):
            seen = {json.loads(l)["principal"] for l in read(os.path.join(d, f"alerts-{k}.jsonl")).splitlines()}
            return {p for p in seen if p != "vigil:model" and not p.startswith("source:")}
        p0, p1 = principals(0), principals(1)
        assert p0 and p1 and not (p0 & p1)


@test("kill -9 of one worker among two mid-run: restarted, each alert is once in VIGIL_ALERTS and in its file")
@needs_nats
def worker_kill9_exactly_once():
    d = workdir("kill9")
    with Server(d) as s:
        route(s.url, 2)
        other = subprocess.Popen([VIGIL] + worker_args(s.url, 2, 1, d, ["--checkpoint-every", "5000"]), stderr=subprocess.PIPE, text=True)
        victim = subprocess.Popen([VIGIL] + worker_args(s.url, 2, 0, d, ["--checkpoint-every", "5000"]), stderr=subprocess.PIPE, text=True)
        alerts0 = os.path.join(d, "alerts-0.jsonl")
        deadline = time.time() + 60
        # Kill once some alerts are out and a checkpoint exists, well before the shard is done.
        state0 = os.path.join(d, "state-0")

        def checkpointed():
            return os.path.isdir(state0) and os.path.exists(os.path.join(state0, "MANIFEST"))
        while time.time() < deadline and (read(alerts0).count("\n") < 5 or not checkpointed()):
            time.sleep(0.05)
        assert victim.poll() is None, "worker 0 finished before it could be killed: " + victim.stderr.read()
        victim.send_signal(signal.SIGKILL)
        victim.wait()
        ok(run(worker_args(s.url, 2, 0, d, ["--checkpoint-every", "5000"])))
        assert other.wait(timeout=300) == 0, other.stderr.read()
        union = []
        for k in (0, 1):
            expected = replay(d, f"replay-{k}.jsonl", ["--shard", str(k), "--shards", "2"])
            assert read(os.path.join(d, f"alerts-{k}.jsonl")) == expected, f"shard {k}'s alerts file differs from replay"
            union += expected.splitlines()
        stream = stream_alerts(s.url).splitlines()
        ids = [json.loads(l)["id"] for l in stream]
        assert len(ids) == len(set(ids)), f"{len(ids) - len(set(ids))} alerts twice in VIGIL_ALERTS"
        assert sorted(stream) == sorted(union), f"{len(stream)} alerts in the stream, {len(union)} expected"


@test("a worker whose acknowledgements wait for checkpoints (max_ack_pending reached) waits for them, not stopping as if idle")
@needs_nats
def worker_at_max_ack_pending_is_not_idle():
    d = workdir("ackpending")
    with Server(d) as s:
        route(s.url, 1)
        stats = os.path.join(d, "stats.json")
        # JetStream stops delivering after 2,000 unacknowledged messages, long before a checkpoint is
        # due (every 20,000): without one, the worker would see an empty shard and stop early.
        ok(run(worker_args(s.url, 1, 0, d, ["--checkpoint-every", "20000", "--batch", "500", "--max-ack-pending", "2000",
                                            "--stats", stats])))
        assert json.loads(read(stats))["events"] == 86355
        assert read(os.path.join(d, "alerts-0.jsonl")) == replay(d, "replay.jsonl")


@test("kill -9 of the router mid-run with --state: the rerun resumes, the stream holds every event once")
@needs_nats
def router_kill9_resumes():
    d = workdir("router-kill")
    with Server(d) as s:
        state = os.path.join(d, "router-state")
        p = subprocess.Popen([VIGIL, "route", "--nats", s.url, "--shards", "1", "--state", state, "--checkpoint-every", "5000",
                              "--threads", "1", LOGS], stderr=subprocess.PIPE, text=True)
        time.sleep(0.6)
        assert p.poll() is None, "router finished before it could be killed: " + p.stderr.read()
        p.send_signal(signal.SIGKILL)
        p.wait()
        r = ok(run(["route", "--nats", s.url, "--shards", "1", "--state", state, LOGS]))
        assert "already in the stream" in r.stderr
        stats = os.path.join(d, "worker-stats.json")
        ok(run(worker_args(s.url, 1, 0, d, ["--stats", stats])))
        st = json.loads(read(stats))
        assert st["events"] == 86355, st["events"]
        assert read(os.path.join(d, "alerts-0.jsonl")) == replay(d, "replay.jsonl")


@test("route --follow: a file that grows (and gets its second half later) is routed as it arrives; SIGTERM ends it with exit 0; the worker's alerts equal replay of the finished file")
@needs_nats
def route_follow():
    d = workdir("follow")
    with Server(d) as s:
        lines = subprocess.run(["zstd", "-dcq", os.path.join(LOGS, "cloudtrail.jsonl.zst")], capture_output=True,
                               check=True).stdout.splitlines(keepends=True)
        trail = os.path.join(d, "trail.jsonl")
        half = len(lines) // 2
        with open(trail, "wb") as f:
            f.writelines(lines[:half])
        # No --state: nothing but the router's own flush after each pass sends the last events.
        router = subprocess.Popen([VIGIL, "route", "--nats", s.url, "--shards", "1", "--follow", "--from-start", trail],
                                  stderr=subprocess.PIPE, text=True)
        time.sleep(2)
        with open(trail, "ab") as f:
            f.writelines(lines[half:])
        stats = os.path.join(d, "stats.json")
        # The worker stops after 3 s without messages: the router has long published the second half.
        time.sleep(2)
        ok(run(worker_args(s.url, 1, 0, d, ["--stats", stats], idle="3")))
        router.send_signal(signal.SIGTERM)
        assert router.wait(timeout=30) == 0, router.stderr.read()
        assert json.loads(read(stats))["events"] == len(lines)
        expected = os.path.join(d, "replay.jsonl")
        ok(run(["replay", "--quiet", "--alerts", expected, trail]))
        assert read(os.path.join(d, "alerts-0.jsonl")) == read(expected)


@test("a running worker's alerts reach VIGIL_ALERTS as it raises them, long before its next checkpoint; SIGTERM exits 0")
@needs_nats
def worker_alerts_are_prompt():
    d = workdir("prompt")
    with Server(d) as s:
        route(s.url, 1)
        expected = replay(d, "replay.jsonl").count("\n")
        w = subprocess.Popen([VIGIL] + worker_args(s.url, 1, 0, d, ["--checkpoint-every", "1000000", "--checkpoint-seconds", "600"],
                                                    idle="600"), stderr=subprocess.PIPE, text=True)
        deadline, seen = time.time() + 60, 0
        while time.time() < deadline and seen < expected:
            time.sleep(0.5)
            seen = stream_alerts(s.url).count("\n")
        assert w.poll() is None, "the worker stopped: " + w.stderr.read()
        assert seen == expected, f"{seen} of {expected} alerts in VIGIL_ALERTS while the worker runs"
        w.send_signal(signal.SIGTERM)
        assert w.wait(timeout=60) == 0, w.stderr.read()
        assert stream_alerts(s.url).count("\n") == expected


@test("refusals: another --shards than the stream's, another shard's state, credentials in the URL, bad shard numbers")
@needs_nats
def refusals():
    d = workdir("refuse")
    with Server(d) as s:
        route(s.url, 2)
        r = run(["route", "--nats", s.url, "--shards", "3", LOGS])
        assert r.returncode == 2 and "created with --shards 2, not 3" in r.stderr, r.stderr
        r = run(worker_args(s.url, 4, 0, d))
        assert r.returncode == 2 and "created with --shards 2, not 4" in r.stderr, r.stderr
        ok(run(worker_args(s.url, 2, 0, d)))
        r = run(["worker", "--nats", s.url, "--shards", "2", "--shard", "1", "--state", os.path.join(d, "state-0"), "--exit-when-idle", "1"])
        assert r.returncode == 2 and "holds the state of VIGIL_EVENTS/vigil.events.0" in r.stderr, r.stderr
        r = run(["route", "--nats", f"nats://vigil:hunter2@127.0.0.1:{s.port}", "--shards", "2", LOGS])
        assert r.returncode == 2 and "credentials" in r.stderr and "hunter2" not in r.stderr, r.stderr
        r = run(["worker", "--nats", s.url, "--shards", "2", "--shard", "2", "--state", os.path.join(d, "x")])
        assert r.returncode == 2 and "--shard must be 0…1" in r.stderr, r.stderr
        r = run(["worker", "--nats", s.url, "--shards", "2", "--shard", "0"])
        assert r.returncode == 2 and "needs --state" in r.stderr, r.stderr


@test("--nats-creds-file: token and user/password from a private file; refused when world-readable; secrets never printed")
@needs_nats
def credentials_file():
    d = workdir("creds")
    token = "s3cr3t-token-for-vigil"
    with Server(d, ["--auth", token]) as s:
        creds = private(os.path.join(d, "nats.creds"), f"token: {token}\n")
        r = route(s.url, 1, ["--nats-creds-file", creds])
        assert token not in r.stderr + r.stdout
        r = run(["route", "--nats", s.url, "--shards", "1", LOGS])
        assert r.returncode == 3 and "uthorization" in r.stderr, r.stderr
        os.chmod(creds, 0o644)
        r = run(["route", "--nats", s.url, "--shards", "1", "--nats-creds-file", creds, LOGS])
        assert r.returncode == 2 and "world-readable" in r.stderr and token not in r.stderr, r.stderr
    with Server(workdir("creds-user"), ["--user", "vigil", "--pass", "pa55-w0rd"]) as s:
        creds = private(os.path.join(d, "user.creds"), "user: vigil\npassword: pa55-w0rd\n")
        route(s.url, 1, ["--nats-creds-file", creds])
        with open(creds, "w") as f:
            f.write("user: vigil\npassword: wrong\n")
        r = run(["route", "--nats", s.url, "--shards", "1", "--nats-creds-file", creds, LOGS])
        assert r.returncode == 3 and "wrong" not in r.stderr, r.stderr


@test("tls:// with --nats-ca-file: routes over TLS; without the CA the certificate is refused, clearly; nats:// to a TLS server refused")
@needs_nats
def tls():
    if not shutil.which("openssl"):
        print("skip tls: no openssl to make a test CA")
        return "skip"
    d = workdir("tls")

    def ssl(*args):
        subprocess.run(["openssl", *args], cwd=d, check=True, capture_output=True)
    ssl("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", "ca.key", "-out", "ca.pem", "-days", "2", "-subj", "/CN=Vigil test CA")
    ssl("req", "-newkey", "rsa:2048", "-nodes", "-keyout", "srv.key", "-out", "srv.csr", "-subj", "/CN=localhost")
    with open(os.path.join(d, "ext.cnf"), "w") as f:
        f.write("subjectAltName=DNS:localhost,IP:127.0.0.1\n")
    ssl("x509", "-req", "-in", "srv.csr", "-CA", "ca.pem", "-CAkey", "ca.key", "-CAcreateserial", "-out", "srv.pem", "-days", "2", "-extfile", "ext.cnf")
    with Server(d, ["--tls", "--tlscert", os.path.join(d, "srv.pem"), "--tlskey", os.path.join(d, "srv.key")]) as s:
        ca = os.path.join(d, "ca.pem")
        for host in ("localhost", "127.0.0.1"):
            r = ok(run(["route", "--nats", f"tls://{host}:{s.port}", "--nats-ca-file", ca, "--shards", "1", LOGS]))
            assert "routed 86355 events" in r.stderr
        r = run(["route", "--nats", f"tls://localhost:{s.port}", "--shards", "1", LOGS])
        assert r.returncode == 3 and "CERTIFICATE_VERIFY_FAILED" in r.stderr, r.stderr
        r = run(["route", "--nats", f"nats://localhost:{s.port}", "--shards", "1", LOGS])
        assert r.returncode == 3 and "requires TLS" in r.stderr, r.stderr
        ok(run(["worker", "--quiet", "--nats", f"tls://localhost:{s.port}", "--nats-ca-file", ca, "--shards", "1", "--shard", "0",
                "--state", os.path.join(d, "st"), "--alerts", os.path.join(d, "a.jsonl"), "--exit-when-idle", "1.5"]))
        assert read(os.path.join(d, "a.jsonl")) == replay(d, "replay.jsonl")


if __name__ == "__main__":
    only = os.environ.get("CLUSTER_ONLY")
    for t in [shards1_equals_replay, shards2_equal_replay_of_each_shard, worker_kill9_exactly_once,
              worker_at_max_ack_pending_is_not_idle, worker_alerts_are_prompt, router_kill9_resumes, route_follow,
              refusals, credentials_file, tls]:
        if only and not any(o in t.__name__ for o in only.split(",")):
            continue
        t()
    print(f"cluster: {results['passed']} passed, {results['failed']} failed, {results['skipped']} skipped")
    shutil.rmtree(TMP, ignore_errors=True)
    sys.exit(1 if results["failed"] else 0)
