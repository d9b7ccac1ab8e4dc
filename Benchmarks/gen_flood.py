#!/usr/bin/env python3
"""Flood of new principals for the bench: N CloudTrail events, each from a principal never seen before
(the shape of a credential-stuffing run or of public-bucket scraping, where every source is new).
usage: gen_flood.py N OUT.jsonl [--seed S]
Every event comes from a distinct IAM user and a distinct source address.""" 
import argparse, datetime, json, random
ap = argparse.ArgumentParser(); ap.add_argument("n", type=int); ap.add_argument("out")
ap.add_argument("--seed", type=int, default=11)
a = ap.parse_args(); rnd = random.Random(a.seed)
acct = "123456789012"
t0 = datetime.datetime(2026, 2, 2, tzinfo=datetime.timezone.utc)
with open(a.out, "w") as o:
    for k in range(a.n):
        ip = f"{11 + k % 200}.{(k // 200) % 250}.{(k // 50000) % 250}.{k % 250 + 1}"
        ident = {"type": "IAMUser", "principalId": f"AIDF{k:016d}", "arn": f"arn:aws:iam::{acct}:user/flood-{k}",
                 "accountId": acct, "accessKeyId": f"AKIF{k:016d}", "userName": f"flood-{k}"}
        t = t0 + datetime.timedelta(milliseconds=k * 2)
        ev = {"eventVersion": "1.08", "userIdentity": ident, "eventTime": t.strftime("%Y-%m-%dT%H:%M:%SZ"),
              "eventSource": "s3.amazonaws.com", "eventName": "GetObject", "awsRegion": "us-east-1",
              "sourceIPAddress": ip, "userAgent": "python-requests/2.31.0",
              "requestParameters": {"bucketName": "public-assets", "key": f"site/{k % 997}.html"},
              "responseElements": None, "additionalEventData": {"bytesTransferredOut": rnd.randrange(200, 20000)},
              "requestID": f"{k:032x}", "eventID": f"f100d{k:011x}-0000-4000-8000-000000000000",
              "readOnly": True, "eventType": "AwsApiCall", "managementEvent": False,
              "recipientAccountId": acct, "eventCategory": "Data"}
        o.write(json.dumps(ev, separators=(",", ":")) + "\n")
