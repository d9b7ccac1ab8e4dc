#!/usr/bin/env python3
"""Reading from S3 against reading from disk, end to end, in one run (issue 30's target: the
network path must not be the bottleneck).

The 1M-line bench file is laid out as CloudTrail delivers it (gzip `{"Records":[…]}` objects per
account, region and five minutes, in `AWSLogs/<account>/CloudTrail/<region>/<yyyy>/<mm>/<dd>/`),
once on disk and once behind a small S3-compatible server on loopback (ListObjectsV2 and GetObject
over a directory, in this file: moto's Python S3 is far slower than S3 and would measure moto). Then
`vigil replay DIR` and `vigil replay s3://bench/` are timed alternately, RUNS times each (default 3),
and their alerts compared byte for byte.

Usage: Benchmarks/bench_s3.py path/to/vigil [CT1M.jsonl.zst]   (run by `make bench-s3`)
"""
import gzip
import hashlib
import http.server
import json
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
from collections import defaultdict
from datetime import datetime, timezone
from xml.sax.saxutils import escape

VIGIL = os.path.abspath(sys.argv[1] if len(sys.argv) > 1 else ".build/release/vigil")
ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SOURCE = sys.argv[2] if len(sys.argv) > 2 else os.path.join(ROOT, ".build", "bench", "ct1m.jsonl.zst")
RUNS = int(os.environ.get("BENCH_RUNS", "3"))


def layout(source, root):
    """Writes the bench lines as CloudTrail objects under `root`; returns (objects, bytes)."""
    groups = defaultdict(list)
    lines = subprocess.run(["zstd", "-dcq", source], capture_output=True, check=True).stdout.splitlines()
    for line in lines:
        if not line.strip():
            continue
        r = json.loads(line)
        t = datetime.fromisoformat(r["eventTime"].replace("Z", "+00:00")).astimezone(timezone.utc)
        slot = t.replace(minute=t.minute - t.minute % 5, second=0, microsecond=0)
        acct = r.get("recipientAccountId") or r.get("userIdentity", {}).get("accountId") or "123456789012"
        groups[(acct, r.get("awsRegion", "us-east-1"), slot)].append(line)
    total = 0
    for (acct, region, slot), recs in groups.items():
        tag = hashlib.sha1(f"{acct}{region}{slot}".encode()).hexdigest()[:16]
        key = f"AWSLogs/{acct}/CloudTrail/{region}/{slot:%Y/%m/%d}/{acct}_CloudTrail_{region}_{slot:%Y%m%dT%H%MZ}_{tag}.json.gz"
        path = os.path.join(root, key)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        body = gzip.compress(b'{"Records":[' + b",".join(recs) + b"]}", compresslevel=6, mtime=0)
        with open(path, "wb") as f:
            f.write(body)
        total += len(body)
    return len(groups), total


def serve(root):
    """A read-only S3 API over `root` as bucket `bench`: ListObjectsV2 (prefix, delimiter,
    start-after, continuation-token, max-keys) and GetObject. No authentication is checked."""
    keys = sorted(os.path.relpath(os.path.join(d, f), root) for d, _, fs in os.walk(root) for f in fs)

    class H(http.server.BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def send(self, code, body, ctype="application/xml"):
            self.send_response(code)
            self.send_header("Content-Type", ctype)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def do_GET(self):
            u = urllib.parse.urlsplit(self.path)
            parts = u.path.lstrip("/").split("/", 1)
            if parts[0] != "bench":
                return self.send(404, b"<Error><Code>NoSuchBucket</Code></Error>")
            if len(parts) == 1 or parts[1] == "":
                return self.list(urllib.parse.parse_qs(u.query))
            path = os.path.join(root, urllib.parse.unquote(parts[1]))
            try:
                with open(path, "rb") as f:
                    return self.send(200, f.read(), "application/json")
            except OSError:
                return self.send(404, b"<Error><Code>NoSuchKey</Code></Error>")

        def list(self, q):
            prefix = q.get("prefix", [""])[0]
            delim = q.get("delimiter", [None])[0]
            after = q.get("continuation-token", q.get("start-after", [""]))[0]
            limit = int(q.get("max-keys", ["1000"])[0])
            contents, prefixes = [], []
            for k in keys:
                if not k.startswith(prefix) or k <= after:
                    continue
                if delim and delim in k[len(prefix):]:
                    p = prefix + k[len(prefix):].split(delim, 1)[0] + delim
                    if p not in prefixes and p > after:
                        prefixes.append(p)
                    continue
                contents.append(k)
                if len(contents) + len(prefixes) >= limit:
                    break
            last = max(contents[-1:] + prefixes[-1:]) if (contents or prefixes) else ""
            truncated = len(contents) + len(prefixes) >= limit
            xml = ["<ListBucketResult><Name>bench</Name>"]
            for k in contents:
                xml.append(f"<Contents><Key>{escape(k)}</Key><Size>{os.path.getsize(os.path.join(root, k))}</Size></Contents>")
            for p in prefixes:
                xml.append(f"<CommonPrefixes><Prefix>{escape(p)}</Prefix></CommonPrefixes>")
            xml.append(f"<IsTruncated>{'true' if truncated else 'false'}</IsTruncated>")
            if truncated:
                xml.append(f"<NextContinuationToken>{escape(last)}</NextContinuationToken>")
            xml.append("</ListBucketResult>")
            self.send(200, "".join(xml).encode())

        def log_message(self, *a):
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), H)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, f"http://127.0.0.1:{server.server_address[1]}"


def timed(args, env):
    t0 = time.monotonic()
    r = subprocess.run([VIGIL] + args, capture_output=True, env=env)
    assert r.returncode == 0, r.stderr.decode()
    return time.monotonic() - t0, r.stdout


def main():
    if not os.path.exists(SOURCE):
        sys.exit(f"{SOURCE} not found: run `make bench` once (it generates the 1M-line file)")
    work = tempfile.mkdtemp(prefix="vigil-bench-s3-")
    root = os.path.join(work, "bucket")
    t0 = time.monotonic()
    objects, size = layout(SOURCE, root)
    print(f"laid out {objects} objects, {size / 1e6:.1f} MB gzip, in {time.monotonic() - t0:.0f} s")
    server, url = serve(root)
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    env.update(AWS_ENDPOINT_URL=url, AWS_REGION="us-east-1", AWS_ACCESS_KEY_ID="bench", AWS_SECRET_ACCESS_KEY="bench",
               AWS_EC2_METADATA_DISABLED="true")
    disk, s3 = [], []
    want = None
    for _ in range(RUNS):
        t, out = timed(["replay", "--quiet", root], env)
        disk.append(t)
        want = want or out
        t, out = timed(["replay", "--quiet", "s3://bench/"], env)
        s3.append(t)
        assert out == want, "alerts differ between s3:// and disk"
    server.shutdown()
    d, s = statistics.median(disk), statistics.median(s3)
    print(f"replay DIR          median {d:.2f} s  ({1e6 / d:,.0f} events/s)  runs {', '.join(f'{x:.2f}' for x in disk)}")
    print(f"replay s3://bench/  median {s:.2f} s  ({1e6 / s:,.0f} events/s)  runs {', '.join(f'{x:.2f}' for x in s3)}")
    print(f"s3 / disk time ratio {s / d:.3f} (target ≤ 1: reading from S3 at least as fast as from disk); alerts identical ({len(want.splitlines())})")
    subprocess.run(["rm", "-rf", work])


if __name__ == "__main__":
    main()
