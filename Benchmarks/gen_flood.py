#!/usr/bin/env python3
"""Flood of new principals for the bench: N CloudTrail events, each from a principal never seen before
and from its own source address (the shape of a credential-stuffing run or of public-bucket scraping,
where every caller is new). Written from a template so that ten million lines take seconds, not minutes.
usage: gen_flood.py N OUT.jsonl|- [--seed S]"""
import argparse, datetime, random, sys
ap = argparse.ArgumentParser(); ap.add_argument("n", type=int); ap.add_argument("out")
ap.add_argument("--seed", type=int, default=11)
a = ap.parse_args(); rnd = random.Random(a.seed)
acct = "123456789012"
t0 = datetime.datetime(2026, 2, 2, tzinfo=datetime.timezone.utc)
line = ('{"eventVersion":"1.08","userIdentity":{"type":"IAMUser","principalId":"AIDF%016d",'
        '"arn":"arn:aws:iam::' + acct + ':user/flood-%d","accountId":"' + acct + '","accessKeyId":"AKIF%016d",'
        '"userName":"flood-%d"},"eventTime":"%s","eventSource":"s3.amazonaws.com","eventName":"GetObject",'
        '"awsRegion":"us-east-1","sourceIPAddress":"%d.%d.%d.%d","userAgent":"python-requests/2.31.0",'
        '"requestParameters":{"bucketName":"public-assets","key":"site/%d.html"},"responseElements":null,'
        '"additionalEventData":{"bytesTransferredOut":%d},"requestID":"%032x",'
        '"eventID":"f100d%011x-0000-4000-8000-000000000000","readOnly":true,"eventType":"AwsApiCall",'
        '"managementEvent":false,"recipientAccountId":"' + acct + '","eventCategory":"Data"}\n')
out = sys.stdout if a.out == "-" else open(a.out, "w")
stamp, stamp_at = "", -1
for k in range(a.n):
    sec = k // 500                       # 2 ms apart
    if sec != stamp_at:
        stamp = (t0 + datetime.timedelta(seconds=sec)).strftime("%Y-%m-%dT%H:%M:%SZ"); stamp_at = sec
    out.write(line % (k, k, k, k, stamp, 11 + k % 200, (k // 200) % 250, (k // 50000) % 250, k % 250 + 1,
                      k % 997, rnd.randrange(200, 20000), k, k))
out.flush()
