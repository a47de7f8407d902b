"""Benchmark: browser round trip of one planner control change (Voila + Chromium).

Serves the planner with ``cnimodel planner --port 0``, opens it in headless
Chromium (Playwright, Debian's ``/usr/bin/chromium``) and changes controls the
way a user does (type + Enter, pick an option, type into a slider readout).
The round trip of each change is measured inside the page: from the control's
commit event to the moment the redrawn status line (written after the table
and the plot) is in the DOM.  The kernel's own time per update (compute +
render) is read from the page too.

Prints median and p90 per control and overall, and, as the figure that survives
noisy machines, the ratio to a reference measured in the same run: the round
trip of a rejected input (MTU 40 B), which exercises the same path (browser ->
Voila -> kernel -> browser) with no model evaluation and no table/plot redraw.

Run: ``.venv/bin/python benchmarks/bench_planner.py [--rounds 8] [--json out.json]``.
"""
from __future__ import annotations

import argparse
import itertools
import json
import statistics
import sys
import time


def pct(values, q):
    v = sorted(values)
    if not v:
        return float("nan")
    k = (len(v) - 1) * q
    lo, hi = int(k), min(int(k) + 1, len(v) - 1)
    return v[lo] + (v[hi] - v[lo]) * (k - lo)


#: (control, values cycled through, the first differing from the app's default); each
#: change differs from the previous value.
CHANGES = (
    ("link_rate", (25, 40, 100, 10)),
    ("underlay_mtu", (9000, 1450, 9001, 1500)),
    ("encap", ("geneve", "ipip", "wireguard", "vxlan")),
    ("load_per_pod", (200, 50, 400, 100)),
    ("pods_per_node", (40, 20, 60, 30)),
    ("target", (300, 800, 200, 500)),
)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rounds", type=int, default=8, help="changes per control (default 8)")
    ap.add_argument("--json", help="write every measurement to this file")
    args = ap.parse_args(argv)

    from cnimodel.widgets.browser import (PlannerPage, PlannerServer, browser_available,
                                          launch_chromium)

    ok, why = browser_available()
    if not ok:
        print(f"bench_planner: cannot run: {why}", file=sys.stderr)
        return 2
    from playwright.sync_api import sync_playwright

    rows = []
    t_start = time.monotonic()
    with PlannerServer() as srv, sync_playwright() as pw:
        ctx, _ = launch_chromium(pw)
        try:
            page = PlannerPage(ctx.new_page(), srv.url)
            t_ready = time.monotonic() - t_start
            for name, vals in CHANGES:          # warm-up: one change of each control
                page.change(name, vals[0])
            cycles = {name: itertools.cycle(vals[1:] + vals[:1]) for name, vals in CHANGES}
            last = {name: vals[0] for name, vals in CHANGES}
            for r in range(args.rounds):
                for name, _ in CHANGES:
                    v = last[name] = next(cycles[name])
                    rt = page.change(name, v)
                    st = page.read()["status"]
                    rows.append({"control": name, "value": v, "round_trip_ms": rt * 1e3,
                                 "kernel_ms": st["kernel_ms"], "kind": st["kind"]})
                # reference: a rejected input, then back to a valid value (not counted)
                rt = page.change("underlay_mtu", 40)
                st = page.read()["status"]
                rows.append({"control": "reference (rejected MTU)", "value": 40,
                             "round_trip_ms": rt * 1e3, "kernel_ms": st["kernel_ms"],
                             "kind": st["kind"]})
                page.change("underlay_mtu", last["underlay_mtu"])
        finally:
            ctx.close()

    ref = [r["round_trip_ms"] for r in rows if r["control"].startswith("reference")]
    real = [r for r in rows if not r["control"].startswith("reference")]
    rts = [r["round_trip_ms"] for r in real]
    print(f"planner app ready in {t_ready:.1f} s (server start + page load); "
          f"{len(rts)} control changes, {args.rounds} per control")
    print(f"{'control':26s} {'median ms':>9s} {'p90 ms':>8s} {'kernel median ms':>17s}")
    for name, _ in CHANGES:
        v = [r["round_trip_ms"] for r in real if r["control"] == name]
        k = [r["kernel_ms"] for r in real if r["control"] == name and r["kernel_ms"] is not None]
        print(f"{name:26s} {statistics.median(v):9.1f} {pct(v, 0.9):8.1f} {statistics.median(k):17.1f}")
    kern = [r["kernel_ms"] for r in real if r["kernel_ms"] is not None]
    print(f"{'ALL control changes':26s} {statistics.median(rts):9.1f} {pct(rts, 0.9):8.1f} "
          f"{statistics.median(kern):17.1f}")
    print(f"{'reference (rejected MTU)':26s} {statistics.median(ref):9.1f} {pct(ref, 0.9):8.1f}")
    print(f"round trip / reference: median {statistics.median(rts) / statistics.median(ref):.2f}x, "
          f"p90 {pct(rts, 0.9) / pct(ref, 0.9):.2f}x; target: median < 100 ms -> "
          f"{'met' if statistics.median(rts) < 100 else 'NOT met'}")
    if args.json:
        with open(args.json, "w") as f:
            json.dump(rows, f, indent=1)
    return 0


if __name__ == "__main__":
    sys.exit(main())
