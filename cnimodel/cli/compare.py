"""``cnimodel compare BASELINE NEW``: per cell the change with its CI, a test and a verdict."""
from __future__ import annotations

import sys

from ..compare import DEFAULT_ALPHA, DEFAULT_THRESHOLD_REL, VERDICTS, compare_datasets
from ..compare.verdict import ADJUSTMENTS, DEFAULT_ADJUST
from ..compare.html import write_html
from ..errors import ParameterError
from ..jsonclean import dumps


def _pairs(items):
    out = {}
    for text in items or ():
        base, sep, new = text.partition("=")
        if not sep or not base or not new:
            raise ParameterError("--pair-condition", text, "BASELINE_CONDITION=NEW_CONDITION")
        out[base] = new
    return out


def register(sub):
    p = sub.add_parser(
        "compare", help="compare two datasets: regressions and improvements per cell",
        description="Compare NEW against BASELINE (two dataset directories) per condition x path x "
        "test x message size x streams x metric: the change with its CI, Welch's t-test on the "
        "logarithms of the per-repetition values, and a verdict (regression, improvement, "
        "no_change, not_comparable with the reason). A cell is flagged only when the change is "
        "significant AND larger than the practical threshold. See docs/compare.md.")
    p.add_argument("baseline", metavar="BASELINE", help="baseline dataset directory")
    p.add_argument("new", metavar="NEW", help="new dataset directory")
    p.add_argument("--out", metavar="DIR", help="write DIR/compare.html (self-contained)")
    p.add_argument("--json", action="store_true",
                   help='print one JSON document on stdout: {"cells": [...], ...}')
    p.add_argument("--threshold", type=float, default=DEFAULT_THRESHOLD_REL, metavar="REL",
                   help=f"practical threshold, relative (default {DEFAULT_THRESHOLD_REL:g}: a factor "
                   f"of {1 + DEFAULT_THRESHOLD_REL:g} either way; from the measured run-to-run noise)")
    p.add_argument("--alpha", type=float, default=DEFAULT_ALPHA, metavar="P",
                   help=f"significance level; CIs have level 1 - P (default {DEFAULT_ALPHA:g})")
    p.add_argument("--adjust", choices=ADJUSTMENTS, default=DEFAULT_ADJUST,
                   help="adjustment of the p-values over the cells before the verdict (none: each cell "
                   "alone, the default; bh: Benjamini-Hochberg false-discovery rate: fewer false "
                   "alarms, but a change confined to a few cells is often lost with 3 repetitions)")
    p.add_argument("--metric", action="append", metavar="COLUMN",
                   help="metric column to compare (repeatable; default: throughput, transaction "
                   "rate, mean/p50/p90/p99 latency)")
    p.add_argument("--pair-condition", action="append", metavar="BASE=NEW",
                   help="compare condition NEW of the new dataset with condition BASE of the "
                   "baseline (repeatable; default: same names, or the only condition of each)")
    p.add_argument("--relative-to", metavar="PATH",
                   help="compare every path as a ratio to PATH (e.g. host) in the same scenario and "
                   "repetition: a change of the machine's load between the runs cancels; PATH itself "
                   "is not compared")
    p.add_argument("--fail-on-regression", action="store_true",
                   help="exit status 1 when any cell is a regression")
    p.set_defaults(func=run)


def run(args) -> int:
    res = compare_datasets(args.baseline, args.new, threshold_rel=args.threshold, alpha=args.alpha,
                           metrics=args.metric, condition_map=_pairs(args.pair_condition) or None,
                           adjust=args.adjust, relative_to=args.relative_to)
    if args.out:
        page = write_html(res, args.out)
        print(f"cnimodel compare: wrote {page}", file=sys.stderr)
    if args.json:
        print(dumps(res.to_dict(), indent=1))
    n = res.counts()
    print(f"cnimodel compare: {res.baseline_name} -> {res.new_name}: {len(res.cells)} cells: "
          + ", ".join(f"{n[v]} {v}" for v in VERDICTS), file=sys.stderr)
    if not args.json:
        for r in res.flagged().to_dict("records"):
            scen = " ".join(str(r[k]) for k in ("condition", "path", "tool", "test", "protocol", "direction")
                            if r.get(k) is not None and r[k] == r[k])
            size = f" {int(r['msg_size_bytes'])} B" if r.get("msg_size_bytes") == r.get("msg_size_bytes") \
                and r.get("msg_size_bytes") is not None else ""
            print(f"  {r['verdict']:<11} {scen}{size} {r['metric']}: {100 * r['change_rel']:+.1f} % "
                  f"(CI {100 * r['ci_low_rel']:+.1f} .. {100 * r['ci_high_rel']:+.1f} %, p {r['p_value']:.2g}, "
                  f"q {r['q_value']:.2g})")
    return 1 if args.fail_on_regression and res.has_regression else 0


__all__ = ["register", "run"]
