#!/usr/bin/env python3
"""Alert latency of `vigil tail`: time from a line being appended to a followed file until its alert
is in the alerts file, p50/p99 over many probes, against a reference run in the same invocation.

  reference: coreutils `tail -F -n0` copying the file — the floor for anything that follows a file
  vigil tail (idle):        probes only
  vigil tail (under load):  probes while a background writer appends the sample at ~5,000 events/s
  vigil tail --state:       under load, checkpointing every second (5x the default rate)

A probe is a CloudTrail StopLogging call by a principal not seen before, which the
`cloudtrail-logging-stopped` rule reports at once. The clock is read just before the write and again
when the alert line (matched by the probe's unique name) is in the file; the file is watched every
0.2 ms, so figures are upper bounds by that much.

Usage: Benchmarks/latency.py path/to/vigil [probes]
"""
import json
import os
import signal
import subprocess
import sys
import tempfile
import threading
import time

VIGIL = os.path.abspath(sys.argv[1] if len(sys.argv) > 1 else ".build/release/vigil")
PROBES = int(sys.argv[2]) if len(sys.argv) > 2 else 200
ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SAMPLE = os.path.join(ROOT, "SampleLogs", "logs", "cloudtrail.jsonl.zst")


def probe_line(i):
    user = f"latency-probe-{i}-{os.getpid()}"
    rec = {
        "eventVersion": "1.09",
        "userIdentity": {"type": "IAMUser", "arn": f"arn:aws:iam::123456789012:user/{user}",
                         "accountId": "123456789012", "userName": user},
        "eventTime": "2026-11-07T%02d:%02d:%02dZ" % (12 + i // 3600, (i // 60) % 60, i % 60),
        "eventSource": "cloudtrail.amazonaws.com", "eventName": "StopLogging", "awsRegion": "us-east-1",
        "sourceIPAddress": "203.0.113.9", "userAgent": "aws-cli/2.15.30",
        "requestParameters": {"name": "org-trail"}, "eventID": f"probe-{os.getpid()}-{i}",
        "readOnly": False, "recipientAccountId": "123456789012",
    }
    return (json.dumps(rec) + "\n").encode(), user.encode()


def measure(live, out, probes):
    """Appends probes one at a time to `live`; returns latencies (ms) until each shows in `out`."""
    lat = []
    seen = os.path.getsize(out) if os.path.exists(out) else 0
    with open(live, "ab", buffering=0) as f, open(out, "rb") as r:
        for i in range(probes):
            line, key = probe_line(i)
            t0 = time.perf_counter()
            f.write(line)
            deadline = t0 + 5
            found = False
            while time.perf_counter() < deadline:
                r.seek(seen)
                chunk = r.read()
                if key in chunk:
                    lat.append((time.perf_counter() - t0) * 1000)
                    seen += len(chunk)
                    found = True
                    break
                time.sleep(0.0002)
            if not found:
                lat.append(float("inf"))
            time.sleep(0.01)
    return lat


def background(live, stop, rate=5000):
    """Appends sample lines at about `rate` lines/s until `stop` is set."""
    data = subprocess.run(["zstd", "-dcq", SAMPLE], capture_output=True, check=True).stdout.splitlines(keepends=True)
    i, batch = 0, max(1, rate // 100)
    with open(live, "ab", buffering=0) as f:
        while not stop.is_set():
            f.write(b"".join(data[i:i + batch]))
            i = (i + batch) % len(data)
            time.sleep(0.01)


def pct(xs, p):
    s = sorted(xs)
    return s[min(len(s) - 1, int(round(p / 100 * (len(s) - 1))))]


def run_case(name, cmd, tmp, load):
    """`load`: False, True (background writer into the probed file) or "other" (into a second
    followed file, `{other}`: the event-time merge of several inputs)."""
    live, out, other = os.path.join(tmp, name + ".log"), os.path.join(tmp, name + ".out"), os.path.join(tmp, name + ".other.log")
    open(live, "wb").close()
    open(out, "wb").close()
    open(other, "wb").close()
    proc = subprocess.Popen([c.replace("{live}", live).replace("{out}", out).replace("{other}", other) for c in cmd],
                            stdout=open(out, "ab") if cmd[0] == "tail" else subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)
    time.sleep(1.0)
    stop = threading.Event()
    bg = threading.Thread(target=background, args=(other if load == "other" else live, stop)) if load else None
    if bg:
        bg.start()
        time.sleep(2.0)
    lat = measure(live, out, PROBES)
    stop.set()
    if bg:
        bg.join()
    proc.send_signal(signal.SIGTERM)
    proc.wait(timeout=30)
    return lat


def main():
    tmp = tempfile.mkdtemp(prefix="vigil-latency-")
    state = os.path.join(tmp, "state")
    cases = [
        ("reference: tail -F -n0", ["tail", "-F", "-n0", "{live}"], False),
        ("vigil tail (idle)", [VIGIL, "tail", "--quiet", "--alerts", "{out}", "{live}"], False),
        ("vigil tail (5k events/s load)", [VIGIL, "tail", "--quiet", "--alerts", "{out}", "{live}"], True),
        ("vigil tail --state, checkpoint 1/s", [VIGIL, "tail", "--quiet", "--state", state, "--checkpoint-seconds", "1",
                                                "--alerts", "{out}", "{live}"], True),
        # Several inputs are merged by event time behind a watermark; an input silent for --idle-timeout
        # (5 s) stops holding the others back. Second input idle: after its timeout nothing waits.
        ("vigil tail, 2 inputs, other idle", [VIGIL, "tail", "--quiet", "--alerts", "{out}", "{live}", "{other}"], False),
        # Second input busy (5k events/s of the sample, whose times run past the probes'): a probe goes
        # on once the other input has reached its event time.
        ("vigil tail, 2 inputs, other at 5k/s", [VIGIL, "tail", "--quiet", "--alerts", "{out}", "{live}", "{other}"], "other"),
    ]
    print(f"\nalert latency, {PROBES} probes each (append of one line -> its alert in the file)")
    print("%-36s %9s %9s %9s %7s %12s" % ("run", "p50 ms", "p99 ms", "max ms", "missed", "p99 vs ref"))
    ref = None
    for i, (name, cmd, load) in enumerate(cases):
        lat = run_case(f"case{i}", cmd, tmp, load)
        ok = [x for x in lat if x != float("inf")]
        p50, p99 = pct(ok, 50), pct(ok, 99)
        if ref is None:
            ref = p99
        print("%-36s %9.2f %9.2f %9.2f %7d %11.1fx" % (name, p50, p99, max(ok), len(lat) - len(ok), p99 / ref))
    print("target: vigil p99 <= 20 ms on this machine")


if __name__ == "__main__":
    main()
