#!/usr/bin/env python3
"""Independent oracle for Vigil's Sigma engine (test tooling, never a runtime dependency).

pySigma's SQLite backend converts the same Sigma rules to SQL, which runs over the same records
(those Vigil processed after the Contract's duplicate removal: `vigil rules test --all` names them)
loaded into SQLite, one TEXT column per dotted path of the record (objects flattened; an object or
array is also stored as its JSON text under its own path). Sigma's case-insensitive equality is
given to SQLite as COLLATE NOCASE (LIKE is case-insensitive already); REGEXP is Python's re.search.
Prints the (rule, event) matches on which the two disagree, per rule, and exits 1 when any differ.

usage: oracle.py VIGIL RULES_DIR RECORDS.jsonl
"""
import json, re, sqlite3, subprocess, sys
from pathlib import Path

from sigma.backends.sqlite import sqliteBackend
from sigma.collection import SigmaCollection


def flatten(prefix, value, out):
    if isinstance(value, dict):
        if prefix:
            out[prefix] = json.dumps(value)
        for k, v in value.items():
            flatten(f"{prefix}.{k}" if prefix else k, v, out)
    elif isinstance(value, list):
        out[prefix] = json.dumps(value)
    elif value is None:
        pass
    elif isinstance(value, bool):
        out[prefix] = "true" if value else "false"
    else:
        out[prefix] = value if isinstance(value, str) else json.dumps(value)


def main():
    vigil, rules_dir, records = sys.argv[1:4]
    rules = sorted(p for p in Path(rules_dir).rglob("*.yml") if "/aws/" in str(p))
    lines = open(records).read().split("\n")

    # The records Vigil processed (after duplicate removal and dead letters), and its matches.
    out = subprocess.run([vigil, "rules", "test", "--all", "--sigma-status", "all", "--sigma", rules_dir, records],
                         check=True, capture_output=True, text=True).stdout
    processed = [json.loads(l) for l in out.splitlines()]
    vigil_matches = {(r, p["line"]) for p in processed for r in p["rules"]}

    rows = []
    for p in processed:
        flat = {}
        flatten("", json.loads(lines[p["line"] - 1]), flat)
        rows.append((p["line"], flat))
    # SQLite column names ignore case, Sigma field names do not: of paths that differ only in case
    # the most common spelling keeps the name, the others get a prefix no rule names.
    from collections import Counter
    counts = Counter(c for _, f in rows for c in f)
    spelling = {}
    for c, _ in counts.most_common():
        spelling.setdefault(c.lower(), c)
    renamed = [c for c in counts if spelling[c.lower()] != c]
    rows = [(line, {(c if spelling[c.lower()] == c else "~case~" + c): v for c, v in f.items()}) for line, f in rows]
    columns = sorted({c for _, f in rows for c in f})
    if renamed:
        print(f"paths spelled in another case than their usual one (kept apart, as Sigma field names are case-sensitive): {len(renamed)}")
    db = sqlite3.connect(":memory:")
    db.create_function("REGEXP", 2, lambda pattern, value: value is not None and re.search(pattern, value) is not None)
    cols = ", ".join(f"`{c}` TEXT COLLATE NOCASE" for c in columns)
    db.execute(f"CREATE TABLE logs (_line INTEGER, {cols})")
    for line, flat in rows:
        keys = ["_line"] + list(flat)
        db.execute(f"INSERT INTO logs ({', '.join('`%s`' % k for k in keys)}) VALUES ({', '.join('?' * len(keys))})",
                   [line] + list(flat.values()))

    backend = sqliteBackend()
    oracle_matches, unconverted, differing = set(), [], {}
    for path in rules:
        text = path.read_text()
        rid = "sigma:" + re.search(r"^id:\s*(\S+)", text, re.M).group(1)
        try:
            queries = backend.convert(SigmaCollection.from_yaml(text))
        except Exception as e:  # noqa: BLE001 - report, never stop
            unconverted.append((path.name, str(e)[:120]))
            continue
        for q in queries:
            q = q.replace("SELECT * FROM logs", "SELECT _line FROM logs", 1)
            try:
                for (line,) in db.execute(q):
                    oracle_matches.add((rid, line))
            except sqlite3.OperationalError as e:
                if "no such column" in str(e):
                    continue  # a field no record has: the rule matches nothing (unless negated; see below)
                unconverted.append((path.name, f"SQL error: {e}"))
    for rid, line in vigil_matches ^ oracle_matches:
        side = "vigil only" if (rid, line) in vigil_matches else "oracle only"
        differing.setdefault(rid, []).append((line, side))

    n_rules = len(rules)
    print(f"records: {len(rows)} processed by Vigil; rules: {n_rules} CloudTrail rules")
    print(f"matches: vigil {len(vigil_matches)}, oracle {len(oracle_matches)}, common {len(vigil_matches & oracle_matches)}")
    print(f"rules firing: vigil {len({r for r, _ in vigil_matches})}, oracle {len({r for r, _ in oracle_matches})}")
    for name, why in unconverted:
        print(f"not converted by the oracle: {name}: {why}")
    for rid, diffs in sorted(differing.items()):
        print(f"DIFFER {rid}: {sorted(diffs)[:10]}")
    sys.exit(1 if differing else 0)


if __name__ == "__main__":
    main()
