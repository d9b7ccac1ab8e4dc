#!/usr/bin/env python3
"""make bench (and make bench-cluster): scale-out through NATS JetStream against one `vigil replay`.

Input: ct1m (1,000,000 generated CloudTrail lines, made and cached by Benchmarks/bench.sh).
A fresh `nats-server -js` (file storage, temporary store) on a free loopback port per run.

Runs, in one invocation so the ratios compare like with like on this noisy machine:
  replay            vigil replay --threads 1 (the reference: one process, one detection thread),
                    and with --state (a worker always checkpoints: every 50,000 events or 5 s, and at the end)
  route             vigil route --shards 1 into an empty stream (reading, stitching, publishing)
  cluster-1         router + 1 worker at once; wall time from start to the last event processed
  cluster-2         router + 2 workers (shards 2) at once
  kill-9            router + 2 workers; worker 0 killed with -9 about 40 % into its shard and
                    restarted: alerts in VIGIL_ALERTS against replay --shard K --shards 2 (lost, duplicated)
The workers' --exit-when-idle wait (1 s) is taken off their wall time.
Usage: Benchmarks/bench_cluster.py path/to/vigil   (BENCH_CLUSTER_INPUT=path to use another input)
"""
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time

VIGIL = os.path.abspath(sys.argv[1] if len(sys.argv) > 1 else ".build/release/vigil")
ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
INPUT = os.environ.get("BENCH_CLUSTER_INPUT", os.path.join(ROOT, ".build", "bench", "ct1m.jsonl.zst"))
NATS = next((p for p in ["/usr/sbin/nats-server", "/usr/bin/nats-server"] if os.access(p, os.X_OK)), shutil.which("nats-server"))
IDLE = 1.0
TMP = tempfile.mkdtemp(prefix="vigil-bench-cluster-")


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    p = s.getsockname()[1]
    s.close()
    return p


class Server:
    def __init__(self, name):
        self.port = free_port()
        self.store = os.path.join(TMP, name, "store")
        os.makedirs(self.store)
        self.proc = subprocess.Popen([NATS, "-js", "-a", "127.0.0.1", "-p", str(self.port), "-sd", self.store],
                                     stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        for _ in range(200):
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=0.2).close()
                return
            except OSError:
                time.sleep(0.05)
        raise SystemExit("bench-cluster: nats-server did not start")

    url = property(lambda self: f"nats://127.0.0.1:{self.port}")

    def stop(self):
        self.proc.terminate()
        self.proc.wait()


def vigil(args, **kw):
    r = subprocess.run([VIGIL] + args, capture_output=True, text=True, **kw)
    if r.returncode != 0:
        raise SystemExit(f"bench-cluster: vigil {' '.join(args[:2])} failed: {r.stderr[-1500:]}")
    return r


def worker(url, shards, k, d, extra=()):
    return subprocess.Popen([VIGIL, "worker", "--quiet", "--nats", url, "--shards", str(shards), "--shard", str(k),
                             "--state", os.path.join(d, f"state-{k}"), "--alerts", os.path.join(d, f"alerts-{k}.jsonl"),
                             "--stats", os.path.join(d, f"stats-{k}.json"), "--exit-when-idle", str(IDLE), *extra],
                            stderr=subprocess.PIPE, text=True)


def lines(path):
    with open(path) as f:
        return f.read().splitlines()


def cluster(name, shards, kill_at=None, extra=()):
    """Router and `shards` workers at once; returns (seconds to the last event processed, dir, server url, restarts)."""
    d = os.path.join(TMP, name)
    s = Server(name)
    try:
        t0 = time.time()
        workers = [worker(s.url, shards, k, d, extra) for k in range(shards)]
        router = subprocess.Popen([VIGIL, "route", "--quiet", "--nats", s.url, "--shards", str(shards), INPUT],
                                  stderr=subprocess.PIPE, text=True)
        killed = None
        if kill_at is not None:
            # Kill worker 0 once its checkpoint says it is kill_at of the way through its shard.
            deadline = time.time() + 600
            expected = kill_at
            while time.time() < deadline and workers[0].poll() is None:
                st = os.path.join(d, "state-0", "MANIFEST")
                if os.path.exists(st) and time.time() - t0 > expected:
                    break
                time.sleep(0.05)
            workers[0].send_signal(signal.SIGKILL)
            workers[0].wait()
            killed = time.time() - t0
            workers[0] = worker(s.url, shards, 0, d, extra)
        if router.wait() != 0:
            raise SystemExit("bench-cluster: route failed: " + router.stderr.read()[-1500:])
        for w in workers:
            if w.wait() != 0:
                raise SystemExit("bench-cluster: worker failed: " + w.stderr.read()[-1500:])
        wall = time.time() - t0 - IDLE
        alerts = subprocess.run([VIGIL, "alerts", "--nats", s.url], capture_output=True, text=True, check=True).stdout.splitlines()
        return wall, d, alerts, killed
    finally:
        s.stop()


def main():
    if not NATS:
        print("bench-cluster: skipped, no nats-server (apt-get install nats-server)")
        return
    if not os.path.exists(INPUT):
        raise SystemExit(f"bench-cluster: {INPUT} is missing: run Benchmarks/bench.sh first (it generates ct1m)")
    n = int(subprocess.run(f"zstd -dc {INPUT} | wc -l", shell=True, capture_output=True, text=True).stdout)
    print(f"== scale-out through NATS JetStream (file storage, loopback), {n:,} events, {os.cpu_count()} cores")

    ref_alerts = os.path.join(TMP, "replay.jsonl")
    t = time.time()
    vigil(["replay", "--quiet", "--threads", "1", "--alerts", ref_alerts, INPUT])
    replay = time.time() - t
    print(f"replay --threads 1          {replay:7.2f} s  {n / replay:9,.0f} events/s  (reference)")
    t = time.time()
    vigil(["replay", "--quiet", "--threads", "1", "--state", os.path.join(TMP, "replay-state"), "--alerts",
           os.path.join(TMP, "replay-state.jsonl"), INPUT])
    replay_state = time.time() - t
    print(f"replay --threads 1 --state  {replay_state:7.2f} s  {n / replay_state:9,.0f} events/s  (checkpoints as a worker writes them)")

    s = Server("route-only")
    try:
        t = time.time()
        vigil(["route", "--quiet", "--nats", s.url, "--shards", "1", INPUT])
        route = time.time() - t
    finally:
        s.stop()
    print(f"route alone (shards 1)      {route:7.2f} s  {n / route:9,.0f} events/s  ratio to replay {replay / route:5.2f}")

    wall1, d1, stream1, _ = cluster("cluster-1", 1)
    same1 = lines(os.path.join(d1, "alerts-0.jsonl")) == lines(ref_alerts)
    print(f"router + 1 worker           {wall1:7.2f} s  {n / wall1:9,.0f} events/s  ratio to replay {replay / wall1:5.2f},"
          f" to replay --state {replay_state / wall1:5.2f}  alerts {len(stream1)} (= replay: {same1})")

    slow = ["--checkpoint-seconds", "30"]
    t = time.time()
    vigil(["replay", "--quiet", "--threads", "1", "--state", os.path.join(TMP, "replay-state-30"), *slow, "--alerts",
           os.path.join(TMP, "replay-state-30.jsonl"), INPUT])
    replay30 = time.time() - t
    print(f"replay --state, ckpt 30 s   {replay30:7.2f} s  {n / replay30:9,.0f} events/s")
    wall30, _, _, _ = cluster("cluster-1-ckpt30", 1, extra=slow)
    print(f"router + 1 worker, ckpt 30 s {wall30:6.2f} s  {n / wall30:9,.0f} events/s  ratio to replay {replay / wall30:5.2f},"
          f" to replay --state (same checkpoints) {replay30 / wall30:5.2f}")

    wall2, d2, stream2, _ = cluster("cluster-2", 2)
    print(f"router + 2 workers          {wall2:7.2f} s  {n / wall2:9,.0f} events/s  ratio to replay {replay / wall2:5.2f},"
          f" to replay --state {replay_state / wall2:5.2f}  alerts {len(stream2)}")

    expected = []
    for k in (0, 1):
        out = os.path.join(TMP, f"replay-shard-{k}.jsonl")
        vigil(["replay", "--quiet", "--shard", str(k), "--shards", "2", "--alerts", out, INPUT])
        expected += lines(out)
        assert lines(os.path.join(d2, f"alerts-{k}.jsonl")) == lines(out), f"shard {k} differs from replay --shard {k}"
    assert sorted(stream2) == sorted(expected), "2-worker alerts differ from replay --shard 0/1"

    wallk, dk, streamk, killed = cluster("kill-9", 2, kill_at=0.4 * wall2)
    ids = [json.loads(l)["id"] for l in streamk]
    want = {json.loads(l)["id"] for l in expected}
    lost, dup = len(want - set(ids)), len(ids) - len(set(ids))
    extra = len(set(ids) - want)
    files_ok = all(lines(os.path.join(dk, f"alerts-{k}.jsonl")) == lines(os.path.join(TMP, f"replay-shard-{k}.jsonl")) for k in (0, 1))
    print(f"kill -9 of worker 0 at {killed:5.1f} s, restarted: {len(ids)} alerts in VIGIL_ALERTS, {lost} lost, {dup} duplicated,"
          f" {extra} unexpected; alerts files = replay --shard: {files_ok}  ({wallk:.2f} s)")
    for k in (0, 1):
        st = json.load(open(os.path.join(dk, f"stats-{k}.json")))
        print(f"  worker {k}{'s restarted run' if k == 0 else ''}: {st['events']:,} events, {st['alerts']} alerts")
    shutil.rmtree(TMP, ignore_errors=True)
    if lost or dup or extra or not files_ok or not same1:
        raise SystemExit("bench-cluster: exactly-once or equality check FAILED")


if __name__ == "__main__":
    main()
