"""What the CLI integration tests share: the binary under test, a scratch directory, a test
decorator that counts and explains failures, and the small simulated organisation they replay.

Standard library only. Each script is run as `python3 Tests/cli/<name>_test.py path/to/vigil`.
"""
import os
import subprocess
import sys
import tempfile
import time
import traceback
from functools import wraps

VIGIL = os.path.abspath(sys.argv[1] if len(sys.argv) > 1 else ".build/release/vigil")
ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
TMP = tempfile.mkdtemp(prefix="vigil-cli-")
results = {"passed": 0, "failed": 0, "skipped": 0}


def run(args, **kw):
    """Runs `vigil ARGS`, capturing text output."""
    return subprocess.run([VIGIL] + args, capture_output=True, text=True, **kw)


def free_port():
    """A loopback port the kernel just handed out (bound, read, released)."""
    import socket
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    p = s.getsockname()[1]
    s.close()
    return p


def private(path, text):
    """Writes `text` to a file only its owner may read (secrets: credentials, keys)."""
    with open(path, "w") as f:
        f.write(text)
    os.chmod(path, 0o600)
    return path


def workdir(name):
    d = os.path.join(TMP, name)
    os.makedirs(d)
    return d


def read(path):
    try:
        with open(path) as f:
            return f.read()
    except FileNotFoundError:
        return ""


def test(name):
    """Marks a test: prints ok/FAIL with the failing line; a test returning "skip" is counted as
    skipped (and must have printed why)."""
    def wrap(fn):
        @wraps(fn)
        def inner(*a):
            t0 = time.time()
            try:
                if fn(*a) == "skip":
                    results["skipped"] += 1
                    return
                results["passed"] += 1
                print(f"ok   {name} ({time.time() - t0:.1f} s)")
            except AssertionError as e:
                results["failed"] += 1
                where = traceback.extract_tb(e.__traceback__)[-1]
                print(f"FAIL {name}: {e} (line {where.lineno}: {where.line})")
        return inner
    return wrap


def sample():
    """A small simulated organisation with attacks: 4 days, 40 principals (≈16k CloudTrail lines),
    as JSON-lines bytes."""
    out = os.path.join(TMP, "sim")
    if not os.path.exists(out):
        r = run(["simulate", "--days", "4", "--principals", "40", "--seed", "5", "--cloud", "aws", "--out", out])
        assert r.returncode == 0, r.stderr
    return subprocess.run(["zstd", "-dcq", os.path.join(out, "logs", "cloudtrail.jsonl.zst")], capture_output=True, check=True).stdout


def run_all(label, tests, data, expected, only_env):
    """Runs the tests (those named in $only_env, comma-separated, when set), prints the summary and
    exits non-zero on a failure."""
    only = os.environ.get(only_env)
    for t in tests:
        if only and not any(o in t.__name__ for o in only.split(",")):
            continue
        t(data, expected)
    print(f"{label}: {results['passed']} passed, {results['failed']} failed, {results['skipped']} skipped")
    import shutil
    shutil.rmtree(TMP, ignore_errors=True)
    sys.exit(1 if results["failed"] else 0)
