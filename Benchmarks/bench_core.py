"""Side-by-side benchmark of Vigil's isolation core against River's HalfSpaceTrees and a random cut
forest (krcf), on the standard outlier sets, in stored order and in the seed-1 permutation.

Each data set's rows are written once per order (numpy default_rng(1) for the permutation) and every
detector runs on exactly those rows in that order, score-then-learn per row. Times cover the
score-and-learn loop only (loading is excluded for all three).

Usage: python bench_core.py VIGIL_BINARY DATASETS_DIR WORK_DIR [name ...]
"""
import json
import os
import subprocess
import sys
import time

import numpy as np

SETS = ["http", "smtp", "cover", "shuttle", "mammography", "annthyroid", "satimage-2"]
PUBLISHED_IF = {"http": 0.995, "smtp": 0.88, "cover": 0.88, "shuttle": 0.99, "mammography": 0.86, "annthyroid": 0.82}


def auroc(scores, labels):
    scores = np.asarray(scores, dtype=float)
    labels = np.asarray(labels, dtype=bool)
    order = np.argsort(scores, kind="mergesort")
    ranks = np.empty(len(scores))
    s = scores[order]
    i = 0
    while i < len(s):
        j = i
        while j + 1 < len(s) and s[j + 1] == s[i]:
            j += 1
        ranks[order[i:j + 1]] = (i + j) / 2 + 1
        i = j + 1
    pos = labels.sum()
    neg = len(labels) - pos
    return float((ranks[labels].sum() - pos * (pos + 1) / 2) / (pos * neg))


def prepare(name, datasets, work):
    """Writes stored-order and seed-1-permuted plain CSVs once; returns {order: (path, X, y)}."""
    os.makedirs(work, exist_ok=True)
    out = {}
    stored = os.path.join(work, f"{name}.stored.csv")
    if not os.path.exists(stored):
        raw = subprocess.run(["zstd", "-dc", os.path.join(datasets, f"{name}.csv.zst")], check=True, capture_output=True).stdout
        with open(stored, "wb") as f:
            f.write(raw)
    header = open(stored).readline().strip().split(",")
    data = np.loadtxt(stored, delimiter=",", skiprows=1, ndmin=2)
    li = header.index("label")
    y = data[:, li] != 0
    X = np.delete(data, li, axis=1)
    out["stored"] = (stored, X, y)
    shuffled = os.path.join(work, f"{name}.seed1.csv")
    perm = np.random.default_rng(1).permutation(len(y))
    if not os.path.exists(shuffled):
        np.savetxt(shuffled, data[perm], delimiter=",", header=",".join(header), comments="", fmt="%.10g")
    out["seed1"] = (shuffled, X[perm], y[perm])
    return out


def run_vigil(binary, path, threads):
    r = json.loads(subprocess.run([binary, "score", "--threads", str(threads), "--csv", path],
                                  check=True, capture_output=True, text=True).stdout)
    return r["auroc"], r["rows"] / max(r["seconds"], 1e-9)


def score_then_learn(rows, y, score, learn):
    """Scores each row, then learns it; returns (AUROC, rows/s of the loop)."""
    scores = []
    t = time.perf_counter()
    for r in rows:
        scores.append(score(r))
        learn(r)
    dt = time.perf_counter() - t
    return auroc(scores, y), len(rows) / dt


def run_hst(X, y):
    from river import anomaly, preprocessing
    model = preprocessing.MinMaxScaler() | anomaly.HalfSpaceTrees(seed=1)
    rows = [{f"x{i}": float(v) for i, v in enumerate(r)} for r in X]
    return score_then_learn(rows, y, model.score_one, model.learn_one)


def run_rcf(X, y):
    import krcf
    forest = krcf.RandomCutForest({"dimensions": X.shape[1], "shingle_size": 1, "num_trees": 50, "sample_size": 256,
                                   "random_seed": 1, "output_after": 256, "parallel_execution_enabled": False})
    rows = [list(map(float, r)) for r in X]
    return score_then_learn(rows, y, forest.score, forest.update)


def main():
    binary, datasets, work = sys.argv[1:4]
    names = sys.argv[4:] or SETS
    cores = os.cpu_count() or 1
    print(f"vigil/s: all {cores} cores (--threads {cores}); 1 thread/s: --threads 1 (same scores); "
          f"RCF and HST run on one thread. Ratios use the all-cores figure, 1t the one-thread one.")
    print(f"{'set':<12} {'order':<7} {'rows':>7} | {'vigil':>7} {'rcf':>7} {'hst':>7} {'pub.IF':>6} | "
          f"{'vigil/s':>9} {'1 thread/s':>10} {'rcf/s':>8} {'hst/s':>8} | {'x rcf':>6} {'x hst':>6} {'1t rcf':>6} {'1t hst':>6} | targets")
    for name in names:
        prepared = prepare(name, datasets, work)
        for order in ["seed1", "stored"]:
            path, X, y = prepared[order]
            va, vs = run_vigil(binary, path, cores)
            va1, vs1 = run_vigil(binary, path, 1)
            assert va1 == va, f"{name}: --threads 1 AUROC {va1} differs from {va}"
            ra, rs = run_rcf(X, y)
            ha, hs = run_hst(X, y)
            pub = PUBLISHED_IF.get(name)
            misses = []
            if pub is not None and order == "seed1":
                if va < pub: misses.append(f"AUROC<IF by {pub - va:.4f}")
                if va < ra: misses.append(f"AUROC<RCF by {ra - va:.4f}")
                if vs < 20 * rs: misses.append(f"speed {vs / rs:.1f}x RCF<20x")
                if vs < 5 * hs: misses.append(f"speed {vs / hs:.1f}x HST<5x")
            print(f"{name:<12} {order:<7} {len(y):>7} | {va:>7.4f} {ra:>7.4f} {ha:>7.4f} {pub if pub else '-':>6} | "
                  f"{vs:>9.0f} {vs1:>10.0f} {rs:>8.0f} {hs:>8.0f} | {vs / rs:>6.1f} {vs / hs:>6.1f} {vs1 / rs:>6.1f} {vs1 / hs:>6.1f} | "
                  f"{'; '.join(misses) if misses else ('met' if pub and order == 'seed1' else '')}", flush=True)


if __name__ == "__main__":
    main()
