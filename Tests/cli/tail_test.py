#!/usr/bin/env python3
"""Live-tail and durable-state tests: run the built `vigil` as an operator would, against files that
another process is appending, rotating and crashing around, and compare with `vigil replay`.

Usage: Tests/cli/tail_test.py path/to/vigil   (standard library only; run by `make cli`)

Each test states the property it checks. Timing only decides when the test looks; every assertion
compares alert files byte for byte, so a slow machine makes a test slower, not flaky, up to the
generous catch-up limits below.
"""
import os
import random
import shutil
import signal
import subprocess
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import fixture_logs  # noqa: E402
from clitest import TMP, VIGIL, read, run, run_all, sample, test, workdir  # noqa: E402

RNG = random.Random(int(os.environ.get("TAIL_TEST_SEED", "20261126")))


def replay_alerts(path):
    r = run(["replay", "--quiet", path])
    assert r.returncode == 0, r.stderr
    return r.stdout


def append_in_chunks(path, data, seconds, rng, max_chunk=32768):
    """Appends `data` to `path` in random chunk sizes (cutting lines anywhere) over about `seconds`."""
    chunks = []
    i = 0
    while i < len(data):
        n = rng.randint(1, max_chunk)
        chunks.append(data[i:i + n])
        i += n
    pause = seconds / max(1, len(chunks))
    with open(path, "ab", buffering=0) as f:
        for c in chunks:
            f.write(c)
            time.sleep(rng.uniform(0, 2 * pause))


def start_tail(args, quiet=True):
    return subprocess.Popen([VIGIL, "tail"] + (["--quiet"] if quiet else []) + args, stdout=subprocess.DEVNULL,
                            stderr=subprocess.PIPE, text=True)


def settle(alerts, proc, expected, limit=60.0):
    """Waits until the alerts file equals `expected` or stops changing for 3 s (the tailer caught
    up), then stops the tailer gracefully; returns its exit code."""
    started = time.time()
    deadline = started + limit
    last, since = None, time.time()
    while time.time() < deadline and proc.poll() is None:
        cur = read(alerts)
        if cur == expected and time.time() - started > 1.0:   # (1 s: past start-up, signal handlers installed)
            break
        if cur != last:
            last, since = cur, time.time()
        elif time.time() - since > 3:
            break
        time.sleep(0.1)
    proc.send_signal(signal.SIGTERM)
    try:
        return proc.wait(timeout=30)
    except subprocess.TimeoutExpired:
        proc.kill()
        return -1


def same(got, want, what):
    if got == want:
        return
    g, w = got.splitlines(), want.splitlines()
    first = next((i for i, (a, b) in enumerate(zip(g, w)) if a != b), min(len(g), len(w)))
    raise AssertionError(f"{what}: {len(g)} alert lines, expected {len(w)}; first difference at line {first + 1}")


@test("tail --from-start of a file appended in random chunks = replay of the finished file (inotify)")
def determinism_inotify(data, expected):
    determinism(data, expected, [])


@test("tail --from-start of a file appended in random chunks = replay of the finished file (--poll)")
def determinism_poll(data, expected):
    determinism(data, expected, ["--poll"])


def determinism(data, expected, extra):
    d = workdir("det" + "".join(extra).replace("-", ""))
    live, alerts = os.path.join(d, "live.log"), os.path.join(d, "alerts.jsonl")
    open(live, "wb").close()
    p = start_tail(["--from-start", "--alerts", alerts] + extra + [live])
    append_in_chunks(live, data, 3.0, RNG)
    rc = settle(alerts, p, expected)
    assert rc == 0, f"tail exited {rc}: {p.stderr.read()}"
    same(read(alerts), expected, "tailed alerts")
    same(replay_alerts(live), expected, "replay of the finished file")


@test("kill -9 at 25 random points while a writer appends: --alerts FILE = replay (no gaps, no duplicates)")
def crash(data, expected):
    d = workdir("crash")
    live, alerts, state = os.path.join(d, "live.log"), os.path.join(d, "alerts.jsonl"), os.path.join(d, "state")
    open(live, "wb").close()
    writer = threading.Thread(target=append_in_chunks, args=(live, data, 8.0, random.Random(RNG.random())))
    writer.start()
    args = ["--from-start", "--state", state, "--alerts", alerts, "--checkpoint-every", "1500", live]
    kills = cutbacks = 0
    while kills < 25:
        p = start_tail(args, quiet=False)
        time.sleep(RNG.uniform(0.05, 0.6))
        if p.poll() is not None:
            raise AssertionError(f"tail exited by itself ({p.returncode}): {p.stderr.read()}")
        p.kill()
        p.wait()
        cutbacks += "cut " in p.stderr.read()
        kills += 1
    writer.join()
    before = read(alerts).count("\n")
    p = start_tail(args)
    rc = settle(alerts, p, expected)
    assert rc == 0, f"final tail exited {rc}: {p.stderr.read()}"
    got = read(alerts)
    ids = [line.split('"id":"')[1][:32] for line in got.splitlines()]
    assert len(ids) == len(set(ids)), "duplicate alert ids"
    same(got, expected, f"alerts after {kills} kills")
    print(f"     {before} of {len(ids)} alerts were written before the final restart; {cutbacks} restarts cut back "
          f"alerts written after their checkpoint")
    # Started once more on the finished file: nothing new, nothing repeated.
    p = start_tail(args)
    time.sleep(1.0)
    assert settle(alerts, p, expected, limit=3) == 0
    same(read(alerts), expected, "alerts after a further restart")


def rotation(data, expected, style, extra):
    d = workdir(f"rot-{style}{''.join(extra).replace('-', '')}")
    live, alerts = os.path.join(d, "app.log"), os.path.join(d, "alerts.jsonl")
    lines = data.splitlines(keepends=True)
    third = len(lines) // 3
    parts = [b"".join(lines[:third]), b"".join(lines[third:2 * third]), b"".join(lines[2 * third:])]
    open(live, "wb").close()
    p = start_tail(["--alerts", alerts] + extra + [live])
    time.sleep(0.5)
    for i, part in enumerate(parts):
        if i > 0:
            time.sleep(1.5)                     # let the tailer read the part before rotating
            if style == "rename":
                os.rename(live, f"{live}.{i}")
                open(live, "wb").close()
            elif style == "copytruncate":
                shutil.copyfile(live, f"{live}.{i}")
                with open(live, "r+b") as f:
                    f.truncate(0)
            elif style == "recreate":
                os.unlink(live)
                open(live, "wb").close()
        append_in_chunks(live, part, 0.8, RNG)
    rc = settle(alerts, p, expected)
    assert rc == 0, f"tail exited {rc}: {p.stderr.read()}"
    same(read(alerts), expected, f"alerts across two {style} rotations")


@test("rename rotation (app.log -> app.log.1, new app.log): every record read once, in order (inotify)")
def rot_rename(data, expected):
    rotation(data, expected, "rename", [])


@test("copytruncate rotation: the truncated file is read again from its start (inotify)")
def rot_copytruncate(data, expected):
    rotation(data, expected, "copytruncate", [])


@test("delete-and-recreate rotation: the new file is followed (inotify)")
def rot_recreate(data, expected):
    rotation(data, expected, "recreate", [])


@test("rename rotation with --poll")
def rot_rename_poll(data, expected):
    rotation(data, expected, "rename", ["--poll"])


@test("copytruncate rotation with --poll")
def rot_copytruncate_poll(data, expected):
    rotation(data, expected, "copytruncate", ["--poll"])


@test("delete-and-recreate rotation with --poll")
def rot_recreate_poll(data, expected):
    rotation(data, expected, "recreate", ["--poll"])


def directory(data, expected, extra):
    d = workdir("dir" + "".join(extra).replace("-", ""))
    root, alerts, outside = os.path.join(d, "trail"), os.path.join(d, "alerts.jsonl"), os.path.join(d, "outside")
    os.makedirs(root)
    os.makedirs(outside)
    with open(os.path.join(root, "old.json"), "wb") as f:   # present at start: counts as already read
        f.write(data.splitlines(keepends=True)[0])
    lines = data.splitlines(keepends=True)
    third = len(lines) // 3
    parts = [b"".join(lines[:third]), b"".join(lines[third:2 * third]), b"".join(lines[2 * third:])]
    p = start_tail(["--alerts", alerts] + extra + [root])
    time.sleep(0.5)
    # 1: written in place in a new subdirectory, gzip-compressed, closed after writing.
    sub = os.path.join(root, "AWSLogs", "123456789012", "CloudTrail", "us-east-1", "2026", "11", "02")
    os.makedirs(sub)
    gz = subprocess.run(["gzip", "-c"], input=parts[0], capture_output=True, check=True).stdout
    with open(os.path.join(sub, "123456789012_CloudTrail_us-east-1_20261102T0000Z_a.json.gz"), "wb") as f:
        f.write(gz[:len(gz) // 2])
        f.flush()
        time.sleep(0.5)                         # half-written: must not be read yet
        f.write(gz[len(gz) // 2:])
    time.sleep(3.0)
    # 2: moved in from elsewhere, into another new subdirectory.
    src = os.path.join(outside, "b.json")
    with open(src, "wb") as f:
        f.write(parts[1])
    sub2 = os.path.join(root, "later", "deeper")
    os.makedirs(sub2)
    os.rename(src, os.path.join(sub2, "b.json"))
    time.sleep(3.0)
    # 3: written and left open: read once its size has been stable for 2 s.
    f = open(os.path.join(sub2, "c.jsonl.part"), "wb")
    f.write(parts[2])
    f.flush()
    rc = settle(alerts, p, expected, limit=30)
    f.close()
    assert rc == 0, f"tail exited {rc}: {p.stderr.read()}"
    same(read(alerts), expected, "alerts from files in new subdirectories")


@test("directory: new files in new subdirectories (written, moved in, left open) are each read once (inotify)")
def dir_inotify(data, expected):
    directory(data, expected, [])


@test("directory with --poll: the same files are found by scanning")
def dir_poll(data, expected):
    directory(data, expected, ["--poll"])


@test("a second vigil on the same --state refuses to start (exit 4) and names the holder")
def lock(data, expected):
    d = workdir("lock")
    live, state = os.path.join(d, "live.log"), os.path.join(d, "state")
    open(live, "wb").close()
    p = start_tail(["--state", state, "--alerts", os.path.join(d, "a.jsonl"), live])
    time.sleep(0.5)
    r = run(["tail", "--state", state, live], timeout=20)
    settle(os.path.join(d, "a.jsonl"), p, "", limit=1)
    assert r.returncode == 4, f"exit {r.returncode}, expected 4"
    assert "in use by another Vigil" in r.stderr and str(p.pid) in r.stderr, r.stderr


@test("replay --state: killed mid-backfill and rerun, the alerts file equals an uninterrupted replay")
def replay_resume(data, expected):
    d = workdir("replay")
    src, alerts, state = os.path.join(d, "archive.jsonl"), os.path.join(d, "alerts.jsonl"), os.path.join(d, "state")
    with open(src, "wb") as f:
        f.write(data)
    args = [VIGIL, "replay", "--quiet", "--state", state, "--alerts", alerts, "--checkpoint-every", "2000", src]
    p = subprocess.Popen(args)
    time.sleep(0.4)
    p.kill()
    p.wait()
    p = subprocess.Popen(args)          # interrupted gracefully this time
    time.sleep(0.6)
    p.send_signal(signal.SIGINT)
    rc = p.wait()
    assert rc in (0, 130), f"SIGINT exit {rc}"
    r = subprocess.run(args, capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    same(read(alerts), expected, "resumed replay")
    r = subprocess.run(args, capture_output=True, text=True)   # all done: nothing more
    assert r.returncode == 0, r.stderr
    same(read(alerts), expected, "replay after completion")


@test("directory with --state: a file delivered while vigil was stopped is read after the restart")
def dir_restart(data, expected):
    d = workdir("dirstate")
    root, alerts, state = os.path.join(d, "trail"), os.path.join(d, "alerts.jsonl"), os.path.join(d, "state")
    os.makedirs(root)
    lines = data.splitlines(keepends=True)
    half = len(lines) // 2
    args = ["--state", state, "--alerts", alerts, root]
    p = start_tail(args)
    time.sleep(0.5)
    os.makedirs(os.path.join(root, "day1"))
    with open(os.path.join(root, "day1", "a.json"), "wb") as f:
        f.write(b"".join(lines[:half]))
    time.sleep(2.0)
    p.send_signal(signal.SIGTERM)
    assert p.wait(timeout=30) == 0
    os.makedirs(os.path.join(root, "day2"))
    with open(os.path.join(root, "day2", "b.json"), "wb") as f:   # delivered while stopped
        f.write(b"".join(lines[half:]))
    p = start_tail(args)
    rc = settle(alerts, p, expected, limit=30)
    assert rc == 0, f"tail exited {rc}: {p.stderr.read()}"
    same(read(alerts), expected, "alerts across a restart")


@test("train, then tail --model: starts warm, and tails exactly what replay --model gives")
def train_then_tail(data, expected):
    d = workdir("train")
    lines = data.splitlines(keepends=True)
    half = len(lines) // 2
    history, recent, model = os.path.join(d, "history.jsonl"), os.path.join(d, "recent.jsonl"), os.path.join(d, "org.vigil.zst")
    with open(history, "wb") as f:
        f.write(b"".join(lines[:half]))
    r = run(["train", "--quiet", "--out", model, history])
    assert r.returncode == 0, r.stderr
    live, alerts = os.path.join(d, "live.log"), os.path.join(d, "alerts.jsonl")
    with open(recent, "wb") as f:
        f.write(b"".join(lines[half:]))
    want = run(["replay", "--quiet", "--model", model, recent]).stdout
    cold = run(["replay", "--quiet", recent]).stdout
    assert want != cold, "the model made no difference"
    open(live, "wb").close()
    p = start_tail(["--model", model, "--alerts", alerts, live])
    time.sleep(0.5)
    append_in_chunks(live, b"".join(lines[half:]), 1.0, RNG)
    rc = settle(alerts, p, want)
    assert rc == 0, f"tail exited {rc}: {p.stderr.read()}"
    same(read(alerts), want, "tail --model alerts")


@test("tail - follows standard input and ends with it; a missing named file is an error (exit 3)")
def stdin_and_missing(data, expected):
    d = workdir("stdin")
    alerts = os.path.join(d, "alerts.jsonl")
    p = subprocess.Popen([VIGIL, "tail", "--quiet", "--alerts", alerts, "-"], stdin=subprocess.PIPE, stderr=subprocess.PIPE)
    rng = random.Random(7)
    i = 0
    while i < len(data):
        n = rng.randint(1, 65536)
        p.stdin.write(data[i:i + n])
        i += n
    p.stdin.close()
    assert p.wait(timeout=60) == 0, p.stderr.read()
    same(read(alerts), expected, "alerts from stdin")
    r = run(["tail", "--quiet", os.path.join(d, "no-such.log")])
    assert r.returncode == 3 and "not found" in r.stderr, (r.returncode, r.stderr)


@test("tail --sigma of the CloudTrail fixtures appended in random chunks = replay --sigma (Sigma alerts included)")
def sigma_tail(_data, _expected):
    root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    rules = os.path.join(root, "..", "shared", "sigma", "rules")
    fixtures = os.path.join(root, "..", "shared", "fixtures", "panther", "aws_cloudtrail.rule_tests.jsonl")
    d = workdir("sigma")
    src = os.path.join(d, "fixtures.jsonl")
    fixture_logs.write(fixtures, src)
    sigma = ["--sigma", rules, "--sigma-status", "all"]
    want = run(["replay", "--quiet"] + sigma + [src])
    assert want.returncode == 0, want.stderr
    assert '"rule":"sigma:' in want.stdout, "no Sigma alert to compare"
    live, alerts = os.path.join(d, "live.log"), os.path.join(d, "alerts.jsonl")
    open(live, "wb").close()
    p = start_tail(["--from-start", "--alerts", alerts] + sigma + [live])
    append_in_chunks(live, open(src, "rb").read(), 2.0, RNG, max_chunk=4096)
    rc = settle(alerts, p, want.stdout)
    assert rc == 0, f"tail exited {rc}: {p.stderr.read()}"
    same(read(alerts), want.stdout, "tailed alerts with Sigma rules")


def main():
    data = sample()
    live = os.path.join(TMP, "whole.jsonl")
    with open(live, "wb") as f:
        f.write(data)
    expected = replay_alerts(live)
    assert expected.count("\n") >= 10, "sample too quiet to test with"
    print(f"     {expected.count(chr(10))} alerts expected per run")
    run_all("tail tests", [determinism_inotify, determinism_poll, crash, rot_rename, rot_copytruncate, rot_recreate,
                           rot_rename_poll, rot_copytruncate_poll, rot_recreate_poll, dir_inotify, dir_poll, dir_restart,
                           lock, replay_resume, train_then_tail, stdin_and_missing, sigma_tail], data, expected, "TAIL_TESTS")


if __name__ == "__main__":
    main()
