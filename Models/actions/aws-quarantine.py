#!/usr/bin/env python3
"""Vigil action for AWS IAM principals: quarantine (or release) the principal named by Vigil.

Vigil runs this program directly (no shell) with the phase as first argument (`quarantine` or
`release`), then the principal ARN and the alert ID; the same values and more arrive as environment
variables (VIGIL_PRINCIPAL_KIND, VIGIL_USER_NAME, VIGIL_ROLE_NAME, VIGIL_ACCESS_KEY_ID, VIGIL_NOW...).
Every value is passed to the aws CLI as its own argument: attacker-chosen names cannot inject
anything.

- IAM user: an inline deny-all policy `vigil-quarantine`, and the access key used set Inactive.
- Role (assumed-role sessions, whose temporary keys cannot be deactivated): an inline policy
  `vigil-revoke-sessions` denying everything to sessions whose token was issued before now
  (`aws:TokenIssueTime`), the same thing the console's "Revoke active sessions" does.
- release: deletes those policies and sets the key Active again.

Set VIGIL_AWS_ENDPOINT_URL to point the aws CLI at another endpoint (a test server); credentials and
region come from the usual AWS_* variables or profile.
"""
import json
import os
import subprocess
import sys

DENY_ALL = {"Version": "2012-10-17", "Statement": [{"Sid": "VigilQuarantine", "Effect": "Deny", "Action": "*", "Resource": "*"}]}


def aws(*args):
    cmd = ["aws"]
    if os.environ.get("VIGIL_AWS_ENDPOINT_URL"):
        cmd += ["--endpoint-url", os.environ["VIGIL_AWS_ENDPOINT_URL"]]
    cmd += list(args)
    r = subprocess.run(cmd, capture_output=True, text=True)
    sys.stdout.write(f"$ {' '.join(cmd[:1] + list(args[:2]))} ... -> {r.returncode}\n{r.stderr}")
    return r.returncode


def main():
    phase = sys.argv[1] if len(sys.argv) > 1 else os.environ.get("VIGIL_PHASE", "")
    kind = os.environ.get("VIGIL_PRINCIPAL_KIND", "other")
    rc = 0
    if kind == "user":
        user = os.environ["VIGIL_USER_NAME"]
        key = os.environ.get("VIGIL_ACCESS_KEY_ID", "")
        if phase == "quarantine":
            rc |= aws("iam", "put-user-policy", "--user-name", user, "--policy-name", "vigil-quarantine",
                      "--policy-document", json.dumps(DENY_ALL))
            if key.startswith("AKIA"):
                rc |= aws("iam", "update-access-key", "--user-name", user, "--access-key-id", key, "--status", "Inactive")
        elif phase == "release":
            rc |= aws("iam", "delete-user-policy", "--user-name", user, "--policy-name", "vigil-quarantine")
            if key.startswith("AKIA"):
                rc |= aws("iam", "update-access-key", "--user-name", user, "--access-key-id", key, "--status", "Active")
    elif kind == "role":
        role = os.environ["VIGIL_ROLE_NAME"]
        if phase == "quarantine":
            doc = {"Version": "2012-10-17", "Statement": [{
                "Sid": "VigilRevokeOlderSessions", "Effect": "Deny", "Action": "*", "Resource": "*",
                "Condition": {"DateLessThan": {"aws:TokenIssueTime": os.environ["VIGIL_NOW"]}}}]}
            rc |= aws("iam", "put-role-policy", "--role-name", role, "--policy-name", "vigil-revoke-sessions",
                      "--policy-document", json.dumps(doc))
        elif phase == "release":
            rc |= aws("iam", "delete-role-policy", "--role-name", role, "--policy-name", "vigil-revoke-sessions")
    else:
        print(f"not an IAM user or role: nothing to do for {os.environ.get('VIGIL_PRINCIPAL', '?')}")
        return 3
    return 1 if rc else 0


if __name__ == "__main__":
    sys.exit(main())
