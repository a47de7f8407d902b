"""``cnimodel explain``: a prediction broken into its terms, or two paths' difference ranked."""
from __future__ import annotations

import json

from ..jsonclean import jsonable
from .model import add_scenario_args, scenario_from_args


def register(sub):
    p = sub.add_parser("explain", help="break a path's predicted latency and CPU into their terms",
                       description="Attribute the predicted transaction latency (hop kind x "
                       "crossings, per byte, serialization, propagation, queueing) and the CPU "
                       "cost per byte of a bulk stream (hop kinds and stages) of a path; with "
                       "--against, rank the terms by which the path exceeds the other.")
    p.add_argument("--params", help="fitted parameters (JSON from cnimodel fit); default: cited defaults")
    p.add_argument("--path", required=True, help="the path to explain")
    p.add_argument("--against", help="a second path: rank the difference path - against")
    add_scenario_args(p)
    p.add_argument("--json", action="store_true",
                   help="JSON: terms [{term, seconds, share}], total_s (and cpu terms)")
    p.set_defaults(func=run_explain)


def compute(args) -> dict:
    from ..explain import compare, cpu_terms, latency_terms
    from ..params import ModelParams

    params = ModelParams.load(args.params) if args.params else ModelParams()
    if args.queue:
        params = params.replace(queue=args.queue)
    sc = scenario_from_args(args)
    test = "crr" if args.test == "crr" else "rr"
    lat_sc = {k: v for k, v in sc.items() if k not in ("streams", "protocol")}
    if args.test == "stream":
        lat_sc.pop("msg_size_bytes", None)
    if args.against:
        out = compare(params, args.path, args.against, test, **lat_sc)
    else:
        t = latency_terms(params, args.path, test, **lat_sc)
        out = {"path": args.path, "test": test, "total_s": t.attrs["total_s"],
               "terms": t[["term", "seconds", "share"]].to_dict(orient="records")}
    cpu_sc = {k: v for k, v in sc.items() if k not in ("load", "protocol")}
    c = cpu_terms(params, args.path, **cpu_sc)
    out["cpu_total_s_per_byte"] = c.attrs["total_s_per_byte"]
    out["cpu_terms"] = c.to_dict(orient="records")
    return jsonable(out)


def run_explain(args) -> int:
    out = compute(args)
    if args.json:
        print(json.dumps(out))
        return 0
    what = f"{out['path']} - {out['against']}" if "against" in out else out["path"]
    print(f"latency of one {out['test'].upper()} transaction, {what}: "
          f"{out['total_s'] * 1e6:.3f} us")
    w = max(len(t["term"]) for t in out["terms"])
    for t in out["terms"]:
        share = "" if t["share"] is None else f"{100 * t['share']:6.1f} %"
        print(f"  {t['term']:<{w}}  {t['seconds'] * 1e6:+9.3f} us  {share}")
    print(f"\nCPU per payload byte of a bulk stream, {out['path']}: "
          f"{out['cpu_total_s_per_byte'] * 1e9:.4f} ns/byte")
    rows = sorted(out["cpu_terms"], key=lambda r: -r["s_per_byte"])
    w = max(len(f"{r['term']} ({r['stage']})") for r in rows)
    for r in rows:
        print(f"  {r['term'] + ' (' + r['stage'] + ')':<{w}}  {r['s_per_byte'] * 1e9:8.4f} ns/byte  "
              f"{100 * r['share']:5.1f} %")
    return 0
