"""False-alarm rate and detection power of the history's change points (issue 17, point 3).

Series are built from REAL repetitions, never from invented noise:

* cells: every (condition, path, tool, test, protocol, direction, streams, message size)
  of the datasets given (default ``data/``: 280 cells of 3 repetitions each), with the
  metric the report judges that test by (:func:`cnimodel.summary.choose_metric`);
* one simulated run of a cell = the median of ``--reps`` values drawn with replacement from
  the cell's measured repetitions (each repetition is its own lab session, so this is
  session-to-session noise as measured);
* a stable series = ``--runs`` such runs; a false alarm = at least one change point
  reported by :func:`cnimodel.history.change_points` (default settings) on it;
* a real step: the first half of the runs resampled from one cell, the second half from
  the same cell of another measured condition (e.g. MTU 1500 -> 9000, shaped -> unshaped);
  only pairs whose medians differ by more than ``2 x`` the threshold count; detected = a
  change point within +-1 run of the true one;
* scaled steps: the second half multiplied by (1 + s) for s in ``--steps`` (the +130 % is
  the nftables-rules latency change the issue measured).

Usage: ``.venv/bin/python benchmarks/bench_changepoints.py [--data data] [--runs 30]
[--series 20] [--seed 0]``.  Prints the rates with the number of series behind them.
"""
from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from cnimodel.history import change_points  # noqa: E402
from cnimodel.history.changepoints import DEFAULT_THRESHOLD_REL  # noqa: E402
from cnimodel.io import load_dataset  # noqa: E402
from cnimodel.summary import choose_metric  # noqa: E402

KEYS = ["condition", "path", "tool", "test", "protocol", "direction", "streams", "msg_size_bytes"]


def cells(frames):
    """{key: repetition values} of every cell with at least 2 finite values."""
    out = {}
    for df in frames:
        for key, g in df.groupby([k for k in KEYS if k in df.columns], dropna=False, sort=True):
            m = choose_metric(key[KEYS.index("test")], g)
            if m is None:
                continue
            x = g[m].to_numpy(float)
            x = x[np.isfinite(x)]
            if x.size >= 2:
                out[key + (m,)] = x
    return out


def runs_from(x, n, reps, rng):
    return np.median(rng.choice(x, size=(n, reps), replace=True), axis=1)


def detected(cps, at):
    return any(abs(c["index"] - at) <= 1 for c in cps)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--data", nargs="+", default=[str(REPO / "data")])
    ap.add_argument("--runs", type=int, default=30, help="runs per series")
    ap.add_argument("--series", type=int, default=20, help="series per cell")
    ap.add_argument("--reps", type=int, default=3, help="repetitions per simulated run")
    ap.add_argument("--steps", type=float, nargs="+", default=[0.05, 0.10, 0.30, 1.30])
    ap.add_argument("--seed", type=int, default=0)
    a = ap.parse_args(argv)
    rng = np.random.default_rng(a.seed)
    c = cells([load_dataset(d)[0] for d in a.data])
    t0 = time.perf_counter()
    # 1. stable series
    alarms = series = n_cp = 0
    for x in c.values():
        for _ in range(a.series):
            cps = change_points(runs_from(x, a.runs, a.reps, rng))
            series += 1
            alarms += bool(cps)
            n_cp += len(cps)
    print(f"cells: {len(c)} from {', '.join(a.data)}; series of {a.runs} runs, each run the median "
          f"of {a.reps} repetitions resampled from the cell's measured ones; threshold "
          f"{DEFAULT_THRESHOLD_REL:.0%}")
    print(f"stable series: {alarms} of {series} with a false alarm = {alarms / series:.2%} "
          f"({n_cp} change points over {series * (a.runs - 1)} run-to-run steps = "
          f"{n_cp / (series * (a.runs - 1)):.3%} per step)")
    # 2. real steps between measured conditions
    half = a.runs // 2
    by_rest = {}
    for k, x in c.items():
        by_rest.setdefault(k[1:], []).append((k[0], x))
    hit = tot = 0
    for rest, group in by_rest.items():
        for i, (ca, xa) in enumerate(group):
            for cb, xb in group[i + 1:]:
                ma, mb = np.median(xa), np.median(xb)
                if abs(mb - ma) / abs(ma) < 2 * DEFAULT_THRESHOLD_REL:
                    continue
                for _ in range(a.series):
                    s = np.r_[runs_from(xa, half, a.reps, rng), runs_from(xb, a.runs - half, a.reps, rng)]
                    tot += 1
                    hit += detected(change_points(s), half)
    if tot:
        print(f"real steps (another measured condition, level moved > {2 * DEFAULT_THRESHOLD_REL:.0%}): "
              f"detected {hit} of {tot} = {hit / tot:.1%}")
    # 3. scaled steps on the measured noise
    for step in a.steps:
        hit = tot = 0
        for x in c.values():
            for _ in range(a.series):
                s = runs_from(x, a.runs, a.reps, rng)
                s[half:] *= 1 + step
                tot += 1
                hit += detected(change_points(s), half)
        print(f"step +{step:.0%} at run {half}: detected {hit} of {tot} = {hit / tot:.1%}")
    print(f"(measured in {time.perf_counter() - t0:.1f} s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
