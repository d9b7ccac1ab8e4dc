#!/usr/bin/env python3
"""Writes the `log` records of a Panther rule-test fixture (../shared/fixtures/panther/*.jsonl) as
plain JSON lines, the way Vigil reads audit logs. usage: fixture_logs.py FIXTURE.jsonl OUT.jsonl"""
import json
import sys


def write(fixture, out):
    with open(fixture) as f, open(out, "w") as o:
        for line in f:
            o.write(json.dumps(json.loads(line)["log"]) + "\n")


if __name__ == "__main__":
    write(sys.argv[1], sys.argv[2])
