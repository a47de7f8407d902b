"""History store and Dask batch figures (issue 17 acceptance), as ratios against references
measured in the same invocation.

1. A history of ``--runs`` (default 1,000,000) measured runs, i.e. tidy rows (the schema's
   unit: one row per benchmark run), generated from the REAL rows of ``data/`` for this
   benchmark only, in a temporary directory: ``ceil(runs / 840)`` synthetic datasets, each
   the 840 real rows with every metric multiplied by a factor drawn from the rows' own
   repetition spread, a timestamp shift of one day per dataset and a ``cluster`` label,
   written through the store's own writer (``history.store.write_run``) and then
   ``compact``-ed.  Measured: reopening the store and reading one filtered slice
   (overlay request/response rows of one cluster, 3 columns), against the same read on a
   store holding one dataset (the reference); and the same on the store before compaction
   (one file per added dataset).
2. Adding one real dataset (``data/mtu1500-2g``) to that store, against adding it to an
   empty store (median of ``--repeats``; the added run's files are removed between repeats).
3. ``cnimodel report data --params-file GRID`` with a grid of ``--batch`` bootstrap seeds
   on ``--executor dask --jobs 2`` (a 2-worker LocalCluster, its start-up included), against
   one run of the same report on local processes (the reference).

Usage: ``.venv/bin/python benchmarks/bench_history.py [--runs 1000000] [--repeats 5]
[--batch 8] [--skip-dask]``.  Prints the figures; exits 1 when a target is missed
(read < 1 s, add ratio < 1.5, batch < 4.5 x).
"""
from __future__ import annotations

import argparse
import json
import math
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from cnimodel.history import add_dataset, compact, open_history  # noqa: E402
from cnimodel.history.figures import run_figures  # noqa: E402
from cnimodel.history.store import init_store, run_record, write_run  # noqa: E402
from cnimodel.io import load_dataset  # noqa: E402

METRICS = ("throughput_bps", "transactions_per_s", "latency_mean_s", "latency_p50_s", "latency_p90_s",
           "latency_p99_s")
ONE = REPO / "data" / "mtu1500-2g"


def _generate(store, n_rows, rng):
    """Synthetic datasets from the real rows of data/ (see the module doc); returns how many."""
    base, _ = load_dataset(REPO / "data")
    figures = run_figures(base)  # the real figures, stored with every generated run
    keys = ["condition", "path", "tool", "test", "protocol", "direction", "streams", "msg_size_bytes"]
    spread = {}  # relative spread of each cell's repetitions (real noise)
    for m in METRICS:
        g = base.groupby(keys, dropna=False)[m]
        spread[m] = (g.transform("std") / g.transform("mean")).fillna(0).to_numpy()
    n = math.ceil(n_rows / len(base))
    init_store(store)
    for i in range(n):
        df = base.copy()
        for m in METRICS:
            df[m] = df[m].to_numpy() * (1 + spread[m] * rng.standard_normal(len(df)))
        df["timestamp"] = df["timestamp"] + np.timedelta64(i, "D")
        fp = f"{i:064x}"
        rec = run_record(fp, f"bench/run-{i}", df, figures, {"cluster": f"c{i % 10}"}, 100)
        write_run(store, rec, df)
    return n, n * len(base)


def _read(store):
    t0 = time.perf_counter()
    h = open_history(store)
    fps = h.runs(labels={"cluster": "c3"})["fingerprint"]
    rows = h.rows({"path": "overlay", "test": "rr"}, columns=["msg_size_bytes", "latency_mean_s"],
                  fingerprints=fps)
    return time.perf_counter() - t0, len(rows)


def _best(f, repeats):
    out = [f() for _ in range(repeats)]
    return min(t for t, _ in out), out[0][1]


def _add_time(store, repeats):
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        r = add_dataset(store, ONE, labels={"cluster": "bench"})
        times.append(time.perf_counter() - t0)
        assert r["status"] == "added", r
        fp = r["fingerprint"]
        for p in [*Path(store).glob(f"*/part=loose/{fp}.parquet"), Path(store) / "seen" / fp[:2] / fp]:
            p.unlink()
    return statistics.median(times)


def _report(args, out):
    cmd = [sys.executable, "-m", "cnimodel", "report", *args, "--out", str(out), "--no-progress"]
    t0 = time.perf_counter()
    proc = subprocess.run(cmd, cwd=REPO, capture_output=True, text=True)
    wall = time.perf_counter() - t0
    if proc.returncode != 0:
        sys.exit(f"report failed ({proc.returncode}): {proc.stderr[-2000:]}")
    return wall


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--runs", type=int, default=1_000_000, help="tidy rows (measured runs) in the store")
    ap.add_argument("--repeats", type=int, default=5)
    ap.add_argument("--batch", type=int, default=8)
    ap.add_argument("--skip-dask", action="store_true")
    a = ap.parse_args(argv)
    ok = True
    print(f"cpus: {os.cpu_count()}, load average at start: {os.getloadavg()[0]:.2f}")
    with tempfile.TemporaryDirectory(prefix="bench-history-") as tmp:
        tmp = Path(tmp)
        t0 = time.perf_counter()
        n_ds, n_rows = _generate(tmp / "big", a.runs, np.random.default_rng(0))
        print(f"generated {n_rows:,} runs (tidy rows) in {n_ds} datasets in {time.perf_counter() - t0:.1f} s")
        add_dataset(tmp / "one", ONE, labels={"cluster": "c3"})
        ref, ref_n = _best(lambda: _read(tmp / "one"), a.repeats)
        loose, loose_n = _best(lambda: _read(tmp / "big"), 2)
        t0 = time.perf_counter()
        compact(tmp / "big")
        print(f"compact: {time.perf_counter() - t0:.1f} s")
        big, big_n = _best(lambda: _read(tmp / "big"), a.repeats)
        print(f"reference: reopen + filter a 1-dataset store: {ref:.3f} s ({ref_n} rows)")
        print(f"reopen + filter {n_rows:,} runs, {n_ds} files per table (as added): {loose:.3f} s "
              f"= {loose / ref:.1f} x reference ({loose_n} rows)")
        print(f"reopen + filter {n_rows:,} runs after `history compact`: {big:.3f} s = {big / ref:.1f} x "
              f"reference ({big_n} rows) (target < 1 s) -> {'OK' if big < 1 else 'MISSED'}")
        ok &= big < 1
        empty = _add_time(tmp / "empty", a.repeats)
        full = _add_time(tmp / "big", a.repeats)
        print(f"add one dataset: empty store {empty:.3f} s, {n_rows:,}-run store {full:.3f} s = "
              f"{full / empty:.2f} x (target: the same, < 1.5 x) -> {'OK' if full / empty < 1.5 else 'MISSED'}")
        ok &= full / empty < 1.5
        if not a.skip_dask:
            single = _report([str(REPO / "data")], tmp / "single")
            grid = tmp / "grid.yaml"
            grid.write_text(json.dumps({"grid": {"seed": list(range(a.batch))}}))
            batch = _report([str(REPO / "data"), "--params-file", str(grid), "--executor", "dask",
                             "--jobs", "2"], tmp / "batch")
            doc = json.loads((tmp / "batch" / "summary.json").read_text())
            ratio = batch / single
            print(f"reference: one report run (local): {single:.2f} s")
            print(f"batch of {a.batch} on a 2-worker Dask LocalCluster (start-up included): {batch:.2f} s "
                  f"= {ratio:.2f} x one run, {doc['n_ok']} ok (target < 4.5 x; ideal {a.batch / 2:.0f} x) "
                  f"-> {'OK' if ratio < 4.5 else 'MISSED'}")
            ok &= ratio < 4.5 and doc["n_ok"] == a.batch
        shutil.rmtree(tmp / "big", ignore_errors=True)
    print(f"load average at end: {os.getloadavg()[0]:.2f}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
