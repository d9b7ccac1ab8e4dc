#!/usr/bin/env python3
"""Event-time merge of several inputs (the Contract's "Order and time"): replay and tail take records
from whichever input is earliest, so the alerts depend on the set of files, never on the order they
are named in or written at.

Usage: Tests/cli/merge_test.py path/to/vigil   (standard library only; run by `make cli`)
"""
import gzip
import itertools
import json
import os
import random
import signal
import subprocess
import sys
import threading
import time
from datetime import datetime, timedelta, timezone

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from clitest import VIGIL, read, run, run_all, sample, test, workdir  # noqa: E402

RNG = random.Random(int(os.environ.get("MERGE_TEST_SEED", "20261203")))


def event_time(line):
    r = json.loads(line)
    t = datetime.fromisoformat(r["eventTime"].replace("Z", "+00:00"))
    return t, r["eventID"]


def replay(args):
    r = run(["replay", "--quiet"] + args)
    assert r.returncode == 0, r.stderr
    return r.stdout


def stats_of(args, path):
    r = run(["replay", "--quiet", "--stats", path] + args)
    assert r.returncode == 0, r.stderr
    with open(path) as f:
        return json.load(f), r.stdout


def split(lines, parts):
    """Deals time-ordered lines at random into `parts` files that each keep time order."""
    out = [[] for _ in range(parts)]
    for line in lines:
        out[RNG.randrange(parts)].append(line)
    return out


def write(path, lines):
    with open(path, "wb") as f:
        f.write(b"".join(lines))


def split_into(d, lines, names):
    """Deals `lines` at random into files `names` in `d` (each keeping time order); their paths."""
    paths = [os.path.join(d, n) for n in names]
    for path, part in zip(paths, split(lines, len(names))):
        write(path, part)
    return paths


@test("three files that interleave in time give byte-identical alerts in all six argument orders, "
      "equal to one file holding their records in merged order")
def six_orders(lines, merged_alerts):
    d = workdir("six")
    paths = split_into(d, lines, ["part-a.jsonl", "part-b.jsonl", "part-c.jsonl"])
    runs = {order: replay(list(order)) for order in itertools.permutations(paths)}
    first = runs[tuple(paths)]
    assert first.count("\n") >= 10, "too few alerts to compare"
    for order, alerts in runs.items():
        assert alerts == first, f"order {[os.path.basename(p) for p in order]} differs"
    assert first == merged_alerts, "merged replay differs from the single merged file"
    st, _ = stats_of(paths, os.path.join(d, "stats.json"))
    assert st["late"] == 0 and st["inputs"] == 3, st
    one = replay(["--threads", "1"] + paths[::-1])
    assert one == first, "--threads 1 differs"


@test("a directory of thousands of CloudTrail objects is merged by event time with few files open at once")
def cloudtrail_directory(lines, merged_alerts):
    d = workdir("trail")
    by_object = {}
    for line in lines:
        t, _ = event_time(line)
        region = RNG.choice(["us-east-1", "eu-west-1", "ap-south-1"])
        slot = t.replace(minute=t.minute - t.minute % 5, second=0, microsecond=0) + timedelta(minutes=5)
        by_object.setdefault((region, slot), []).append(json.loads(line))
    delays = {key: timedelta(minutes=RNG.randrange(0, 10)) for key in by_object}   # within CloudTrail's delay
    names = []
    for (region, slot), records in by_object.items():
        delivered = slot + delays[(region, slot)]
        day = os.path.join(d, "AWSLogs", "123456789012", "CloudTrail", region, delivered.strftime("%Y/%m/%d"))
        os.makedirs(day, exist_ok=True)
        name = os.path.join(day, f"123456789012_CloudTrail_{region}_{delivered.strftime('%Y%m%dT%H%MZ')}_{RNG.getrandbits(32):08x}.json.gz")
        with gzip.open(name, "wt") as f:
            json.dump({"Records": records}, f)
        names.append(name)
    assert len(names) > 1000, len(names)
    st, alerts = stats_of([d], os.path.join(d, "..", "trail-stats.json"))
    assert st["inputs"] == len(names), st
    assert 2 <= st["inputs_open_max"] <= 40, f"{st['inputs_open_max']} of {len(names)} files open at once"
    assert alerts == merged_alerts, "directory replay differs from the single merged file"


@test("files without a time in their names are ordered by their first record")
def first_record_order(lines, merged_alerts):
    d = workdir("firstrec")
    third = len(lines) // 3
    # Named so that path order is the reverse of time order.
    for name, part in (("z.jsonl", lines[:third]), ("m.jsonl", lines[third:2 * third]), ("a.jsonl", lines[2 * third:])):
        write(os.path.join(d, name), part)
    st, alerts = stats_of([d], os.path.join(d, "..", "firstrec-stats.json"))
    assert st["late"] == 0, st
    assert alerts == merged_alerts, "directory replay differs from the single merged file"


@test("replay --state over merged inputs, killed and resumed, writes each alert once, as one run does")
def resume(lines, merged_alerts):
    d = workdir("resume")
    paths = split_into(d, lines, ["in0.jsonl", "in1.jsonl", "in2.jsonl"])
    alerts, state = os.path.join(d, "alerts.jsonl"), os.path.join(d, "state")
    args = [VIGIL, "replay", "--quiet", "--threads", "1", "--state", state, "--alerts", alerts,
            "--checkpoint-every", "500"] + paths
    interrupted = 0
    for delay in (0.15, 0.3, 0.45):
        p = subprocess.Popen(args)
        time.sleep(delay)
        if p.poll() is None:
            interrupted += 1
        p.kill()
        p.wait()
    r = subprocess.run(args, capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    assert interrupted > 0, "every run finished before it could be killed: nothing was tested"
    assert read(alerts) == merged_alerts, "resumed merged replay differs from one uninterrupted run"


@test("tail following three files written at once gives the alerts of replaying the finished files")
def tail_concurrent(lines, merged_alerts):
    d = workdir("tail")
    parts = split(lines, 3)
    paths = [os.path.join(d, f"live{i}.log") for i in range(3)]
    for p in paths:
        open(p, "wb").close()
    alerts = os.path.join(d, "alerts.jsonl")
    proc = subprocess.Popen([VIGIL, "tail", "--quiet", "--alerts", alerts] + paths, stderr=subprocess.PIPE, text=True)
    time.sleep(0.5)

    def writer(path, part, seed):
        rng = random.Random(seed)
        data = b"".join(part)
        with open(path, "ab", buffering=0) as f:
            i = 0
            while i < len(data):
                n = rng.randint(1, 16384)
                f.write(data[i:i + n])
                i += n
                time.sleep(rng.uniform(0, 0.004))

    threads = [threading.Thread(target=writer, args=(p, part, i)) for i, (p, part) in enumerate(zip(paths, parts))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    deadline = time.time() + 40      # the last records wait for the idle timeout (5 s)
    while time.time() < deadline and read(alerts) != merged_alerts:
        time.sleep(0.2)
    proc.send_signal(signal.SIGTERM)
    rc = proc.wait(timeout=30)
    assert rc == 0, f"tail exited {rc}: {proc.stderr.read()}"
    got = read(alerts)
    assert got == merged_alerts, f"tail gave {got.count(chr(10))} alerts, replay {merged_alerts.count(chr(10))}"


def main():
    data = sample()
    lines = sorted(data.splitlines(keepends=True), key=event_time)
    merged = os.path.join(workdir("merged"), "merged.jsonl")
    write(merged, lines)
    merged_alerts = replay([merged])
    print(f"     {len(lines)} records, {merged_alerts.count(chr(10))} alerts from the merged file")
    run_all("merge tests", [six_orders, cloudtrail_directory, first_record_order, resume, tail_concurrent],
            lines, merged_alerts, "MERGE_TESTS")


if __name__ == "__main__":
    main()
