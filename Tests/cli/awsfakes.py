"""Stand-ins and fixtures for the S3 and SQS tests (`s3_test.py`): moto's server, CloudTrail's
object layout, the four shapes of object notification, a container-credentials/IMDSv2 endpoint and
a throttling (or untrusted-TLS) proxy, all on loopback. Test tooling only.
"""
import gzip
import hashlib
import json
import os
import socket
import subprocess
import time
from collections import defaultdict
from datetime import datetime, timezone

from clitest import TMP, free_port

BUCKET = "org-trail-logs"


class Moto:
    """moto_server on a free loopback port. With `auth`, IAM authentication is enforced after the
    first three calls (which create the admin user the rest of the set-up signs with), so moto
    checks every signature. moto's checker rejects any signed query value holding a `/` (botocore's
    own requests too), so listings with a prefix or a delimiter are tested on a server without auth."""

    def __init__(self, auth):
        import boto3
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        env = dict(os.environ)
        if auth:
            env["INITIAL_NO_AUTH_ACTION_COUNT"] = "3"
        self.proc = subprocess.Popen(["moto_server", "-H", "127.0.0.1", "-p", str(self.port)], env=env,
                                     stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        for _ in range(150):
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=0.2).close()
                break
            except OSError:
                time.sleep(0.1)
        anon = dict(endpoint_url=self.url, region_name="us-east-1", aws_access_key_id="setup", aws_secret_access_key="setup")
        iam = boto3.client("iam", **anon)
        iam.create_user(UserName="admin")
        key = iam.create_access_key(UserName="admin")["AccessKey"]
        iam.put_user_policy(UserName="admin", PolicyName="all", PolicyDocument=json.dumps(
            {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}))
        self.key, self.secret = key["AccessKeyId"], key["SecretAccessKey"]
        signed = dict(endpoint_url=self.url, region_name="us-east-1", aws_access_key_id=self.key, aws_secret_access_key=self.secret)
        self.s3 = boto3.client("s3", **signed)
        self.iam = boto3.client("iam", **signed)
        self.sts = boto3.client("sts", **signed)

    def env(self, **extra):
        """An environment with nothing of the caller's AWS settings, pointed at this server."""
        e = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
        e.update(AWS_ENDPOINT_URL=self.url, AWS_REGION="us-east-1", AWS_EC2_METADATA_DISABLED="true",
                 AWS_SHARED_CREDENTIALS_FILE=os.path.join(TMP, "no-credentials"), AWS_CONFIG_FILE=os.path.join(TMP, "no-config"))
        e.update(extra)
        return e

    def keys_env(self, **extra):
        return self.env(AWS_ACCESS_KEY_ID=self.key, AWS_SECRET_ACCESS_KEY=self.secret, **extra)

    def stop(self):
        self.proc.kill()
        self.proc.wait()


def cloudtrail_layout(data, root, org=None):
    """Writes CloudTrail lines as AWS delivers them: one gzip `{"Records":[…]}` object per account,
    region and hour (CloudTrail's are five minutes; an hour keeps moto's part of the test short),
    named and foldered as CloudTrail names them. Returns the keys."""
    groups = defaultdict(list)
    for line in data.splitlines():
        if not line.strip():
            continue
        r = json.loads(line)
        t = datetime.fromisoformat(r["eventTime"].replace("Z", "+00:00")).astimezone(timezone.utc)
        slot = t.replace(minute=0, second=0, microsecond=0)
        acct = r.get("recipientAccountId") or r.get("userIdentity", {}).get("accountId") or "123456789012"
        groups[(acct, r.get("awsRegion", "us-east-1"), slot)].append(r)
    keys = []
    for (acct, region, slot), records in sorted(groups.items()):
        tag = hashlib.sha1(f"{acct}{region}{slot}".encode()).hexdigest()[:16]
        base = f"AWSLogs/{org}/{acct}" if org else f"AWSLogs/{acct}"
        key = f"{base}/CloudTrail/{region}/{slot:%Y/%m/%d}/{acct}_CloudTrail_{region}_{slot:%Y%m%dT%H%MZ}_{tag}.json.gz"
        path = os.path.join(root, key)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "wb") as f:
            f.write(gzip.compress(json.dumps({"Records": records}).encode(), mtime=0))
        keys.append(key)
    return keys


def upload(moto, root, keys, bucket=BUCKET):
    moto.s3.create_bucket(Bucket=bucket)
    for k in keys:
        with open(os.path.join(root, k), "rb") as f:
            moto.s3.put_object(Bucket=bucket, Key=k, Body=f.read(), ContentType="application/json", ContentEncoding="gzip")


def notification(i, bucket, keys):
    """A message announcing `keys`, in one of the four shapes that announce CloudTrail objects."""
    s3_event = {"Records": [{"eventVersion": "2.1", "eventSource": "aws:s3", "awsRegion": "us-east-1", "eventName": "ObjectCreated:Put",
                             "s3": {"bucket": {"name": bucket}, "object": {"key": k.replace(" ", "+"), "size": 1}}} for k in keys]}
    shape = i % 4
    if shape == 0:
        return json.dumps(s3_event)
    if shape == 1:
        return json.dumps({"Type": "Notification", "MessageId": f"sns-{i}", "TopicArn": "arn:aws:sns:us-east-1:123456789012:trail",
                           "Message": json.dumps(s3_event)})
    if shape == 2:
        return json.dumps({"Type": "Notification", "MessageId": f"sns-{i}",
                           "Message": json.dumps({"s3Bucket": bucket, "s3ObjectKey": keys})})
    return json.dumps({"version": "0", "detail-type": "Object Created", "source": "aws.s3",
                       "detail": {"bucket": {"name": bucket}, "object": {"key": keys[0]}}}) if len(keys) == 1 else json.dumps(s3_event)


def queue_depth(m, url):
    a = m.sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"])["Attributes"]
    return int(a["ApproximateNumberOfMessages"]) + int(a["ApproximateNumberOfMessagesNotVisible"])


class LoopbackServer:
    """An HTTP(S) server on a free loopback port, on a thread of its own, for stand-ins."""

    def serve(self, handler, cert=None):
        import http.server
        import ssl
        import threading
        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
        scheme = "http"
        if cert:
            ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            ctx.load_cert_chain(*cert)
            self.server.socket = ctx.wrap_socket(self.server.socket, server_side=True)
            scheme = "https"
        self.url = f"{scheme}://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def stop(self):
        self.server.shutdown()


class MetadataServer(LoopbackServer):
    """A stand-in for the ECS container credentials endpoint and EC2's IMDSv2 on loopback, handing
    out moto's admin keys with an expiry `ttl` seconds away; counts what it was asked."""

    def __init__(self, key, secret, token, ttl):
        import http.server
        outer = self
        self.hits = defaultdict(int)

        def creds():
            exp = datetime.fromtimestamp(time.time() + ttl, tz=timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
            return json.dumps({"AccessKeyId": key, "SecretAccessKey": secret, "Token": token, "Expiration": exp}).encode()

        class H(http.server.BaseHTTPRequestHandler):
            def answer(self, code, body=b""):
                self.send_response(code)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def do_PUT(self):
                if self.path == "/latest/api/token" and self.headers.get("X-aws-ec2-metadata-token-ttl-seconds"):
                    outer.hits["token"] += 1
                    return self.answer(200, b"imds-session-token")
                self.answer(403)

            def do_GET(self):
                if self.path == "/creds":
                    if self.headers.get("Authorization") != "container-auth-token":
                        return self.answer(401)
                    outer.hits["container"] += 1
                    return self.answer(200, creds())
                if self.headers.get("X-aws-ec2-metadata-token") != "imds-session-token":
                    return self.answer(401)   # IMDSv2 only
                if self.path == "/latest/meta-data/iam/security-credentials/":
                    return self.answer(200, b"vigil-instance-role")
                if self.path == "/latest/meta-data/iam/security-credentials/vigil-instance-role":
                    outer.hits["imds"] += 1
                    return self.answer(200, creds())
                self.answer(404)

            def log_message(self, *a):
                pass

        self.serve(H)


class FlakyProxy(LoopbackServer):
    """Forwards to a server, answering every `every`-th request with S3's 503 SlowDown instead (a
    throttled S3), optionally over TLS with a self-signed certificate nobody trusts."""

    def __init__(self, target, every=3, cert=None):
        import http.server
        import threading
        import urllib.request
        outer = self
        self.count = 0
        self.throttled = 0
        self.lock = threading.Lock()

        class H(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_GET(self):
                with outer.lock:
                    outer.count += 1
                    flaky = outer.count % every == 0
                    if flaky:
                        outer.throttled += 1
                if flaky:
                    body = b"<Error><Code>SlowDown</Code><Message>Please reduce your request rate.</Message></Error>"
                    self.send_response(503)
                else:
                    req = urllib.request.Request(target + self.path, headers={k: v for k, v in self.headers.items() if k.lower() != "host"})
                    try:
                        with urllib.request.urlopen(req) as r:
                            body, code = r.read(), r.status
                    except urllib.error.HTTPError as e:
                        body, code = e.read(), e.code
                    self.send_response(code)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *a):
                pass

        self.serve(H, cert)
