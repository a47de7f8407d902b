"""Wall time of the main report and of a parallel batch (issue 6 acceptance figures).

1. ``cnimodel report DATA --out TMP`` (kernel start, execution, HTML export, index) run
   ``--repeats`` times: median wall time of the whole command (target < 20 s).
2. A batch of ``--batch`` runs (a parameter grid over the bootstrap seed) with
   ``--jobs 2``: its wall time as a ratio to the median single run measured above in the
   same invocation (target < 5x for 8 runs on 2 jobs; the ideal is 4x).

Usage: ``.venv/bin/python benchmarks/bench_report.py [--data data] [--repeats 3]
[--batch 8] [--jobs 2]``.  Prints the figures and exits 1 when a target is missed.
"""
from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def _run(args, out):
    cmd = [sys.executable, "-m", "cnimodel", "report", *args, "--out", str(out), "--no-progress"]
    t0 = time.perf_counter()
    proc = subprocess.run(cmd, cwd=REPO, capture_output=True, text=True)
    wall = time.perf_counter() - t0
    if proc.returncode != 0:
        sys.exit(f"report failed ({proc.returncode}): {proc.stderr[-2000:]}")
    doc = json.loads((Path(out) / "summary.json").read_text())
    return wall, [r["wall_time_s"] for r in doc["runs"]]


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--data", default=str(REPO / "data"))
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--batch", type=int, default=8)
    ap.add_argument("--jobs", type=int, default=2)
    ap.add_argument("--notebook", default="comparison_report")
    a = ap.parse_args(argv)
    print(f"cpus: {os.cpu_count()}, load average at start: {os.getloadavg()[0]:.2f}")
    with tempfile.TemporaryDirectory(prefix="bench-report-") as tmp:
        singles, inner = [], []
        for i in range(a.repeats):
            wall, runs = _run([a.data, "--notebook", a.notebook], Path(tmp) / f"single{i}")
            singles.append(wall)
            inner.extend(runs)
            print(f"single run {i + 1}: {wall:.2f} s (notebook run incl. kernel start and export: {runs[0]:.2f} s)")
        single = statistics.median(singles)
        grid = Path(tmp) / "grid.yaml"
        grid.write_text(json.dumps({"grid": {"seed": list(range(a.batch))}}))
        bwall, bruns = _run([a.data, "--notebook", a.notebook, "--params-file", str(grid), "--jobs", str(a.jobs)],
                            Path(tmp) / "batch")
    ratio = bwall / single
    print(f"\nmedian single report wall time: {single:.2f} s over {a.repeats} runs "
          f"(target < 20 s) -> {'OK' if single < 20 else 'MISSED'}")
    print(f"batch of {a.batch} runs with --jobs {a.jobs}: {bwall:.2f} s = {ratio:.2f} x one run "
          f"(target < 5 x; ideal {a.batch / a.jobs:.0f} x) -> {'OK' if ratio < 5 else 'MISSED'}")
    print(f"per-run wall times inside the batch: median {statistics.median(bruns):.2f} s")
    print(f"load average at end: {os.getloadavg()[0]:.2f}")
    return 0 if single < 20 and ratio < 5 else 1


if __name__ == "__main__":
    sys.exit(main())
