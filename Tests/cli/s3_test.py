#!/usr/bin/env python3
"""Reading CloudTrail where AWS delivers it: `vigil replay s3://…`, `vigil tail s3://…` and
`vigil tail sqs://…` against real S3, SQS, STS and IAM APIs (moto_server on loopback, with IAM
authentication on where moto allows it, so request signatures are checked), compared byte for byte
with `vigil replay` of the same objects on disk. Stand-ins and fixtures are in `awsfakes.py`.

Usage: Tests/cli/s3_test.py path/to/vigil   (run by `make cli`; needs moto[server] and boto3 from
pip, which `.ci/run` installs; without them the tests are skipped and say so)
"""
import gzip
import hashlib
import json
import os
import shutil
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from clitest import TMP, VIGIL, free_port, private, run_all, sample, test, workdir  # noqa: E402
from awsfakes import BUCKET, FlakyProxy, MetadataServer, Moto, cloudtrail_layout, notification, queue_depth, upload  # noqa: E402


def vigil(args, env):
    return subprocess.run([VIGIL] + args, capture_output=True, text=True, env=env)


def stats(path):
    with open(path) as f:
        return json.loads(f.read())


STATE = {}


def setup(data):
    """One server and one bucket for the tests that only read: SampleLogs-like days in AWS's layout,
    a digest file CloudTrail writes beside them, and an organization trail's copy under o-…."""
    if "moto" in STATE:
        return STATE["moto"]
    if not shutil.which("moto_server"):
        return None
    try:
        import boto3  # noqa: F401
    except ImportError:
        return None
    m, plain = Moto(auth=True), Moto(auth=False)
    root = workdir("bucket")
    keys = cloudtrail_layout(data, root)
    digest = "AWSLogs/123456789012/CloudTrail-Digest/us-east-1/2024/05/01/123456789012_CloudTrail-Digest_us-east-1_x_20240501T000000Z.json.gz"
    for server in (m, plain):
        upload(server, root, keys)
        server.s3.put_object(Bucket=BUCKET, Key=digest, Body=gzip.compress(b'{"awsAccountId":"123456789012","digestStartTime":"x"}'))
    org_root = workdir("org")
    org_keys = cloudtrail_layout(data, org_root, org="o-a1b2c3d4e5")
    upload(plain, org_root, org_keys, bucket="org-trail-2")
    STATE.update(moto=m, plain=plain, root=root, keys=keys, org_root=org_root, org_keys=org_keys)
    return m


def begin(data, name):
    """The authenticating server, a scratch folder, the bucket's URL and the alerts of the same
    objects replayed from disk; (None, …) when moto is missing."""
    m = setup(data)
    if m is None:
        return None, None, None, None
    return m, workdir(name), f"s3://{BUCKET}/", vigil(["replay", "--quiet", STATE["root"]], m.env()).stdout


def skip_message():
    print("skip s3 tests: moto_server or boto3 not installed (pip install 'moto[server]')")
    return "skip"


@test("replay s3://bucket/ equals replay of the same objects on disk, byte for byte; every object read once, signed requests accepted")
def replay_equals_disk(data, expected):
    m = setup(data)
    if m is None:
        return skip_message()
    d = workdir("equal")
    local = vigil(["replay", "--quiet", STATE["root"]], m.env())
    assert local.returncode == 0 and local.stdout, local.stderr
    st = os.path.join(d, "stats.json")
    remote = vigil(["replay", "--quiet", "--stats", st, f"s3://{BUCKET}/"], m.keys_env())
    assert remote.returncode == 0, remote.stderr
    assert remote.stdout == local.stdout, "alerts differ between s3:// and disk"
    s = stats(st)
    assert s["s3_objects_read"] == len(STATE["keys"]) == s["s3_objects_listed"], s   # the digest file is left out
    # Objects stored with Content-Encoding: gzip (as CloudTrail's are) arrive decoded by the HTTP
    # layer, so the bytes read are the bytes the decoders saw.
    assert s["s3_bytes_read"] == s["bytes"] >= sum(os.path.getsize(os.path.join(STATE["root"], k)) for k in STATE["keys"]), s
    assert s["events"] == stats_of_local(m, STATE["root"])["events"], s
    assert "s3_lag_seconds" in s and s["s3_lag_seconds"] > 0, s
    # An organization trail's layout (AWSLogs/<org-id>/<account>/…) reads the same.
    org = vigil(["replay", "--quiet", "s3://org-trail-2/AWSLogs/"], STATE["plain"].keys_env())
    assert org.returncode == 0 and org.stdout == local.stdout, org.stderr


def stats_of_local(m, path, extra=()):
    st = os.path.join(TMP, f"local-{hashlib.sha1((path + ''.join(extra)).encode()).hexdigest()[:8]}.json")
    r = vigil(["replay", "--quiet", "--stats", st] + list(extra) + [path], m.env())
    assert r.returncode == 0, r.stderr
    return stats(st)


@test("--since/--until list only the days asked for (one day: a listing per level and one per day), and equal the same days read from disk")
def one_day(data, expected):
    m = setup(data)
    if m is None:
        return skip_message()
    days = sorted({k.split("/CloudTrail/")[1].split("/", 1)[1][:10] for k in STATE["keys"]})
    assert len(days) >= 4, days
    day = days[1].replace("/", "-")
    d = workdir("one-day")
    st = os.path.join(d, "stats.json")
    remote = vigil(["replay", "--quiet", "--stats", st, "--since", day, "--until", day, f"s3://{BUCKET}/"], STATE["plain"].keys_env())
    assert remote.returncode == 0, remote.stderr
    local = vigil(["replay", "--quiet", "--since", day, "--until", day, STATE["root"]], m.env())
    assert remote.stdout == local.stdout, "one day differs between s3:// and disk"
    s = stats(st)
    wanted = [k for k in STATE["keys"] if f"/{days[1]}/" in k]
    assert s["s3_objects_read"] == len(wanted), (s["s3_objects_read"], len(wanted))
    regions = {k.split("/CloudTrail/")[0] + k.split("/CloudTrail/")[1].split("/")[0] for k in STATE["keys"]}
    # Levels walked: the bucket root, AWSLogs/, each account, its CloudTrail/ folder, then one day per region.
    accounts = {k.split("/")[1] for k in STATE["keys"]}
    assert s["s3_list_calls"] <= 2 + 3 * len(accounts) + len(regions), (s["s3_list_calls"], len(accounts), len(regions))
    whole = stats_of_local(m, STATE["root"])
    assert 0 < s["events"] < whole["events"], (s["events"], whole["events"])


@test("credentials: a profile in the shared credentials file, a role assumed through source_profile (moto's STS), and web identity; wrong keys are refused with a clear error and exit 3")
def credential_chain(data, expected):
    m, d, url, want = begin(data, "creds")
    if m is None:
        return skip_message()
    creds = private(os.path.join(d, "credentials"), f"[reader]\naws_access_key_id = {m.key}\naws_secret_access_key = {m.secret}\n")
    r = vigil(["replay", "--quiet", url], m.env(AWS_SHARED_CREDENTIALS_FILE=creds, AWS_PROFILE="reader"))
    assert r.returncode == 0 and r.stdout == want, r.stderr
    # A role (readable by its trust policy) assumed with the profile's keys.
    trust = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"AWS": "*"}, "Action": ["sts:AssumeRole", "sts:AssumeRoleWithWebIdentity"]}]}
    role = m.iam.create_role(RoleName="vigil-reader", AssumeRolePolicyDocument=json.dumps(trust))["Role"]["Arn"]
    m.iam.put_role_policy(RoleName="vigil-reader", PolicyName="read", PolicyDocument=json.dumps(
        {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": ["s3:ListBucket", "s3:GetObject"], "Resource": "*"}]}))
    config = private(os.path.join(d, "config"), f"[profile auditor]\nrole_arn = {role}\nsource_profile = reader\nregion = us-east-1\n")
    r = vigil(["replay", "--quiet", url], m.env(AWS_SHARED_CREDENTIALS_FILE=creds, AWS_CONFIG_FILE=config, AWS_PROFILE="auditor"))
    assert r.returncode == 0 and r.stdout == want, r.stderr
    # Web identity: moto answers an unsigned AssumeRoleWithWebIdentity only with authentication
    # off (with it on, it fails with HTTP 500), so this runs on the other server. With no keys
    # anywhere and instance metadata disabled, only the STS call can have given credentials.
    plain = STATE["plain"]
    token = private(os.path.join(d, "token"), "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJ2aWdpbCJ9.c2lnbmF0dXJl\n")
    web = dict(AWS_WEB_IDENTITY_TOKEN_FILE=token, AWS_ROLE_ARN="arn:aws:iam::123456789012:role/vigil-reader", AWS_ROLE_SESSION_NAME="vigil-test")
    r = vigil(["replay", "--quiet", url], plain.env(**web))
    assert r.returncode == 0 and r.stdout == want, r.stderr
    r = vigil(["replay", "--quiet", url], plain.env(**dict(web, AWS_WEB_IDENTITY_TOKEN_FILE=os.path.join(d, "missing-token"))))
    assert r.returncode == 3 and "web identity token file" in r.stderr, (r.returncode, r.stderr)
    r = vigil(["replay", "--quiet", url], plain.env())
    assert r.returncode == 2 and "no AWS credentials" in r.stderr, (r.returncode, r.stderr)
    r = vigil(["replay", "--quiet", url], m.env(AWS_ACCESS_KEY_ID=m.key, AWS_SECRET_ACCESS_KEY="not-the-secret"))
    assert r.returncode == 3 and "SignatureDoesNotMatch" in r.stderr, (r.returncode, r.stderr)
    assert "not-the-secret" not in r.stderr and m.secret not in r.stderr
    r = vigil(["replay", "--quiet", "s3://no-such-bucket-here/"], m.keys_env())
    assert r.returncode == 3 and "NoSuchBucket" in r.stderr, (r.returncode, r.stderr)


@test("replay s3:// --state: killed midway and run again, each alert once and the same alerts as one uninterrupted run")
def resume_after_kill(data, expected):
    m, d, url, want = begin(data, "resume")
    if m is None:
        return skip_message()
    alerts, state = os.path.join(d, "alerts.jsonl"), os.path.join(d, "state")
    args = [VIGIL, "replay", "--quiet", "--state", state, "--checkpoint-every", "500", "--alerts", alerts, url]
    p = subprocess.Popen(args, env=m.keys_env(), stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    deadline = time.time() + 60
    while time.time() < deadline and p.poll() is None:
        if os.path.exists(alerts) and len(open(alerts).read().splitlines()) >= 10:
            break
        time.sleep(0.02)
    assert p.poll() is None, "the run ended before it could be killed: the test needs more input"
    p.kill()
    p.wait()
    r = subprocess.run(args, env=m.keys_env(), capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    got = open(alerts).read()
    assert got == want, f"{len(got.splitlines())} alerts after the restart, {len(want.splitlines())} in one run"


@test("tail s3://: new objects are picked up by polling; killed -9 and restarted with --state, each alert once, equal to a replay of every object")
def tail_bucket(data, expected):
    m = setup(data)
    if m is None:
        return skip_message()
    plain = STATE["plain"]
    d = workdir("tail")
    bucket = "tailed-trail"
    # Objects arrive in time order, as CloudTrail delivers them: the first half, then the rest.
    keys = sorted(STATE["keys"], key=lambda k: (k.rsplit("_", 2)[-2], k))
    half = len(keys) // 2
    upload(plain, STATE["root"], keys[:half], bucket=bucket)
    want = vigil(["replay", "--quiet", STATE["root"]], plain.env()).stdout
    alerts, state = os.path.join(d, "alerts.jsonl"), os.path.join(d, "state")
    args = [VIGIL, "tail", "--quiet", "--from-start", "--poll-seconds", "1", "--state", state, "--checkpoint-every", "300",
            "--alerts", alerts, f"s3://{bucket}/"]
    p = subprocess.Popen(args, env=plain.keys_env(), stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    deadline = time.time() + 60
    while time.time() < deadline and not read_lines(alerts):
        time.sleep(0.05)
    time.sleep(0.3)
    p.kill()   # mid-batch, or between polls
    p.wait()
    upload_rest = keys[half:]
    for k in upload_rest:
        with open(os.path.join(STATE["root"], k), "rb") as f:
            plain.s3.put_object(Bucket=bucket, Key=k, Body=f.read())
    p = subprocess.Popen(args, env=plain.keys_env(), stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    deadline = time.time() + 120
    while time.time() < deadline and len(read_lines(alerts)) < len(want.splitlines()):
        time.sleep(0.2)
    time.sleep(1.5)   # one more poll: nothing may come twice
    p.send_signal(2)
    _, err = p.communicate(timeout=60)
    assert p.returncode == 0, err
    got = open(alerts).read()
    assert got == want, f"{len(got.splitlines())} alerts from tail, {len(want.splitlines())} from one replay"
    r = vigil(["tail", "--quiet", "s3://no-such-bucket-here/"], plain.keys_env())
    assert r.returncode == 3 and "NoSuchBucket" in r.stderr, (r.returncode, r.stderr)   # said at once, not retried forever


@test("tail sqs://: S3, SNS, CloudTrail and EventBridge notifications; killed -9 midway and restarted, each alert once, equal to a replay; poison and missing-object messages dead-lettered once and deleted; the queue ends empty")
def tail_queue(data, expected):
    m = setup(data)
    if m is None:
        return skip_message()
    import boto3
    m.sqs = boto3.client("sqs", endpoint_url=m.url, region_name="us-east-1", aws_access_key_id=m.key, aws_secret_access_key=m.secret)
    d = workdir("queue")
    bucket = "queued-trail"
    keys = sorted(STATE["keys"], key=lambda k: (k.rsplit("_", 2)[-2], k))
    upload(m, STATE["root"], keys, bucket=bucket)
    url = m.sqs.create_queue(QueueName="trail-objects")["QueueUrl"]
    i = n = 0
    while i < len(keys):
        take = 2 if n % 4 == 2 else 1
        m.sqs.send_message(QueueUrl=url, MessageBody=notification(n, bucket, keys[i:i + take]))
        i += take
        n += 1
        if n == 7:
            m.sqs.send_message(QueueUrl=url, MessageBody="this is not a notification")
            m.sqs.send_message(QueueUrl=url, MessageBody=json.dumps({"Service": "Amazon S3", "Event": "s3:TestEvent", "Bucket": bucket}))
        if n == 20:
            m.sqs.send_message(QueueUrl=url, MessageBody=notification(0, bucket, ["AWSLogs/123456789012/CloudTrail/us-east-1/2026/01/01/gone.json.gz"]))
    want = vigil(["replay", "--quiet", STATE["root"]], m.env()).stdout
    alerts, dead, state = os.path.join(d, "alerts.jsonl"), os.path.join(d, "dead.jsonl"), os.path.join(d, "state")
    args = [VIGIL, "tail", "--quiet", "--poll-seconds", "1", "--visibility-timeout", "2", "--state", state, "--checkpoint-every", "300",
            "--alerts", alerts, "--dead-letter", dead, "--stats", os.path.join(d, "stats.json"), "sqs://trail-objects"]
    p = subprocess.Popen(args, env=m.keys_env(), stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    deadline = time.time() + 60
    while time.time() < deadline and not read_lines(alerts):
        time.sleep(0.05)
    time.sleep(0.2)
    p.kill()
    p.wait()
    time.sleep(2.5)   # what the killed run had received is visible again
    port = free_port()
    p = subprocess.Popen(args[:2] + ["--metrics-address", f"127.0.0.1:{port}"] + args[2:], env=m.keys_env(),
                         stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    deadline = time.time() + 120
    while time.time() < deadline and (queue_depth(m, url) > 0 or len(read_lines(alerts)) < len(want.splitlines())):
        time.sleep(0.3)
    time.sleep(1.5)
    import urllib.request
    metrics = urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=10).read().decode()
    served = {l.split()[0]: float(l.split()[1]) for l in metrics.splitlines() if l and not l.startswith("#")}
    assert served.get("vigil_sqs_messages_deleted_total", 0) > 0 and served.get("vigil_s3_objects_read_total", 0) > 0, metrics[-800:]
    assert "vigil_s3_lag_seconds" in served and "vigil_events_total" in served, sorted(served)[:40]
    p.send_signal(2)
    _, err = p.communicate(timeout=60)
    assert p.returncode == 0, err
    assert queue_depth(m, url) == 0, "messages left on the queue"
    got = open(alerts).read()
    assert got == want, f"{len(got.splitlines())} alerts from the queue, {len(want.splitlines())} from one replay"
    reasons = sorted(json.loads(l)["reason"] for l in read_lines(dead))
    assert reasons == ["object-missing: s3://queued-trail/AWSLogs/123456789012/CloudTrail/us-east-1/2026/01/01/gone.json.gz", "sqs-not-json"], reasons
    s = stats(os.path.join(d, "stats.json"))
    assert s["sqs_messages_deleted"] > 0 and s["sqs_messages_left_on_queue"] == 0 and s["s3_objects_read"] > 0, s   # the restarted run


@test("credentials from the container endpoint and from IMDSv2 (loopback stand-ins): signed requests accepted, and credentials close to expiry fetched again before use")
def metadata_credentials(data, expected):
    m, d, url, want = begin(data, "metadata")
    if m is None:
        return skip_message()
    # An instance role's temporary keys (moto's S3 accepts an assumed role's keys with their token).
    trust = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"AWS": "*"}, "Action": "sts:AssumeRole"}]}
    role = m.iam.create_role(RoleName="vigil-instance-role", AssumeRolePolicyDocument=json.dumps(trust))["Role"]["Arn"]
    m.iam.put_role_policy(RoleName="vigil-instance-role", PolicyName="read", PolicyDocument=json.dumps(
        {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": ["s3:ListBucket", "s3:GetObject"], "Resource": "*"}]}))
    session = m.sts.assume_role(RoleArn=role, RoleSessionName="i-0abc123def4567890")["Credentials"]
    meta = MetadataServer(session["AccessKeyId"], session["SecretAccessKey"], session["SessionToken"],
                          ttl=120)   # inside the 5-minute refresh margin: every use refetches
    try:
        r = vigil(["replay", "--quiet", url], m.env(AWS_CONTAINER_CREDENTIALS_FULL_URI=meta.url + "/creds",
                                                   AWS_CONTAINER_AUTHORIZATION_TOKEN="container-auth-token"))
        assert r.returncode == 0 and r.stdout == want, r.stderr
        assert meta.hits["container"] > 1, meta.hits   # refreshed, not fetched once and trusted to expiry
        r = vigil(["replay", "--quiet", url], m.env(AWS_EC2_METADATA_DISABLED="false", AWS_EC2_METADATA_SERVICE_ENDPOINT=meta.url))
        assert r.returncode == 0 and r.stdout == want, r.stderr
        assert meta.hits["imds"] > 1 and meta.hits["token"] >= 1, meta.hits
        assert session["SessionToken"] not in r.stderr and session["SecretAccessKey"] not in r.stderr
    finally:
        meta.stop()


@test("throttled S3 (503 SlowDown on every third request) is retried with backoff and gives the same alerts; an endpoint whose TLS certificate is not trusted is refused")
def throttling_and_tls(data, expected):
    m = setup(data)
    if m is None:
        return skip_message()
    plain = STATE["plain"]
    d = workdir("flaky")
    want = vigil(["replay", "--quiet", STATE["root"]], plain.env()).stdout
    proxy = FlakyProxy(plain.url, every=3)
    try:
        st = os.path.join(d, "stats.json")
        r = vigil(["replay", "--quiet", "--stats", st, f"s3://{BUCKET}/"], plain.keys_env(AWS_ENDPOINT_URL=proxy.url))
        assert r.returncode == 0 and r.stdout == want, r.stderr
        s = stats(st)
        assert proxy.throttled > 0 and s["s3_retries"] >= proxy.throttled, (proxy.throttled, s["s3_retries"])
        assert s["s3_objects_read"] == len(STATE["keys"]), s
    finally:
        proxy.stop()
    if not shutil.which("openssl"):
        print("  (TLS half skipped: openssl not installed)")
        return
    key, crt = os.path.join(d, "key.pem"), os.path.join(d, "crt.pem")
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", key, "-out", crt, "-days", "1",
                    "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1"], capture_output=True, check=True)
    tls = FlakyProxy(plain.url, every=10**9, cert=(crt, key))
    try:
        r = vigil(["replay", "--quiet", f"s3://{BUCKET}/"], plain.keys_env(AWS_ENDPOINT_URL=tls.url))
        assert r.returncode == 3 and r.stdout == "", (r.returncode, r.stderr)
        assert tls.count == 0, "a request got through an untrusted certificate"
    finally:
        tls.stop()


def read_lines(path):
    try:
        with open(path) as f:
            return f.read().splitlines()
    except FileNotFoundError:
        return []


def main():
    data = sample()
    try:
        run_all("s3 tests", [replay_equals_disk, one_day, credential_chain, metadata_credentials, throttling_and_tls, resume_after_kill, tail_bucket, tail_queue], data, None, "S3_TESTS")
    finally:
        for k in ("moto", "plain"):
            if k in STATE:
                STATE[k].stop()


if __name__ == "__main__":
    main()
