"""Wall time of the main report, where it goes, and of a parallel batch.

1. ``cnimodel report DATA --out TMP`` run ``--repeats`` times: median wall time of the whole
   command (goal < 5 s), and where it goes, from the executed notebook's papermill timings and
   the runner's wall time: **process** (CLI start, planning, index), **kernel start**, one line
   per notebook phase (cells tagged ``"cnimodel": {"phase": ...}``: load, statistics, fit,
   verdict, plots, tables), **export** (HTML) and **kernel stop / other**.
2. With ``--against DIR`` (an export of another revision, e.g. ``git archive main | tar -x -C
   DIR``) the same command of that revision runs interleaved with this one (A, B, A, B, ...),
   so both medians are measured under the same machine load: the ratio is the figure.
3. ``--batch N``: a batch of N runs (a grid over the bootstrap seed) with ``--jobs``, as a
   ratio to the median single run measured above in the same invocation.

Usage: ``.venv/bin/python benchmarks/bench_report.py [--data data] [--repeats 3]
[--against /tmp/main] [--batch 0] [--jobs 2]``.  Prints what it measured; never asserts.
"""
from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def _ts(s):
    return dt.datetime.fromisoformat(s.replace("Z", "+00:00")) if s else None


def _phases(nb_file: Path, run_wall: float) -> dict:
    """Seconds per phase of one executed notebook (papermill cell timings)."""
    nb = json.loads(nb_file.read_text())
    pm = nb["metadata"].get("papermill", {})
    out = {}
    cells = [c for c in nb["cells"] if c["cell_type"] == "code"]
    starts = [_ts(c["metadata"].get("papermill", {}).get("start_time")) for c in cells]
    first = next((s for s in starts if s), None)
    if first and pm.get("start_time"):
        out["kernel start"] = (first - _ts(pm["start_time"])).total_seconds()
    for c in cells:
        meta = c["metadata"]
        d = meta.get("papermill", {}).get("duration") or 0.0
        phase = (meta.get("cnimodel") or {}).get("phase") or "untagged cells"
        out[phase] = out.get(phase, 0.0) + d
    nb_total = pm.get("duration") or 0.0
    out["export + kernel stop"] = max(0.0, run_wall - nb_total)
    return out


def _run(repo: Path, args, out):
    cmd = [sys.executable, "-m", "cnimodel", "report", *args, "--out", str(out), "--no-progress"]
    env = {**os.environ, "PYTHONPATH": str(repo)}
    t0 = time.perf_counter()
    proc = subprocess.run(cmd, cwd=repo, capture_output=True, text=True, env=env)
    wall = time.perf_counter() - t0
    if proc.returncode != 0:
        sys.exit(f"report failed ({proc.returncode}) in {repo}: {proc.stderr[-2000:]}")
    doc = json.loads((Path(out) / "summary.json").read_text())
    return wall, doc["runs"]


def _measure(repo, data, notebook, tmp, tag, i):
    out = Path(tmp) / f"{tag}{i}"
    wall, runs = _run(repo, [data, "--notebook", notebook], out)
    r = runs[0]
    ph = _phases(out / r["notebook"], r["wall_time_s"])
    ph["process (CLI, planning, index)"] = wall - r["wall_time_s"]
    html = out / r["html"]
    return wall, ph, html.stat().st_size


def _report(tag, walls, phases, sizes):
    med = statistics.median(walls)
    print(f"\n[{tag}] median report wall time {med:.2f} s over {len(walls)} runs "
          f"(each: {', '.join(f'{w:.2f}' for w in walls)}); HTML {statistics.median(sizes) / 1e6:.2f} MB")
    keys = list(dict.fromkeys(k for p in phases for k in p))
    for k in keys:
        v = statistics.median(p.get(k, 0.0) for p in phases)
        print(f"    {k:<34} {v:6.2f} s  {100 * v / med:5.1f} %")
    return med


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--data", default=str(REPO / "data"))
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--against", help="another revision's source tree, measured interleaved")
    ap.add_argument("--batch", type=int, default=0)
    ap.add_argument("--jobs", type=int, default=2)
    ap.add_argument("--notebook", default="comparison_report")
    a = ap.parse_args(argv)
    print(f"cpus: {os.cpu_count()}, load average at start: {os.getloadavg()[0]:.2f}")
    repos = [("this", REPO)] + ([("against", Path(a.against).resolve())] if a.against else [])
    res = {t: ([], [], []) for t, _ in repos}
    with tempfile.TemporaryDirectory(prefix="bench-report-") as tmp:
        for i in range(a.repeats):
            for tag, repo in repos:
                w, ph, size = _measure(repo, a.data, a.notebook, tmp, tag, i)
                for lst, v in zip(res[tag], (w, ph, size)):
                    lst.append(v)
                print(f"run {i + 1} [{tag}]: {w:.2f} s")
        meds = {t: _report(f"{t}: {r}", *res[t]) for t, r in repos}
        if a.against:
            print(f"\nthis / against: {meds['this'] / meds['against']:.2f} (same session, interleaved)")
        if a.batch:
            grid = Path(tmp) / "grid.yaml"
            grid.write_text(json.dumps({"grid": {"seed": list(range(a.batch))}}))
            bwall, bruns = _run(REPO, [a.data, "--notebook", a.notebook, "--params-file", str(grid),
                                       "--jobs", str(a.jobs)], Path(tmp) / "batch")
            print(f"batch of {a.batch} runs with --jobs {a.jobs}: {bwall:.2f} s = {bwall / meds['this']:.2f} x "
                  f"one run (ideal {a.batch / a.jobs:.0f} x); per-run median "
                  f"{statistics.median(r['wall_time_s'] for r in bruns):.2f} s")
    print(f"load average at end: {os.getloadavg()[0]:.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
