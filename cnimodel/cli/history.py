"""``cnimodel history``: keep the runs of datasets over time (add, show, compact)."""
from __future__ import annotations

import contextlib
import sys


def register(sub):
    p = sub.add_parser("history", help="keep datasets' rows and headline figures over time",
                       description="A history store keeps every added dataset's tidy rows and "
                       "headline figures in Parquet files, with its fingerprint, labels and times "
                       "(see docs/history.md and the trend_report notebook).")
    hs = p.add_subparsers(dest="history_command", metavar="ACTION")
    hs.required = True
    a = hs.add_parser("add", help="add datasets to a store (the same dataset twice changes nothing)")
    a.add_argument("datasets", nargs="+", metavar="DATASET", help="dataset directory or file")
    a.add_argument("--store", required=True, metavar="DIR", help="history store (created if new)")
    a.add_argument("--label", action="append", default=[], metavar="KEY=VALUE",
                   help="label of the run(s): cluster, cni, kernel, ...; repeatable")
    a.add_argument("--executor", choices=("local", "dask"), default="local",
                   help="add in this process (default) or on dask.distributed")
    a.add_argument("--scheduler", metavar="ADDRESS", help="with --executor dask: an existing cluster")
    a.add_argument("--jobs", "-j", type=int, default=1, metavar="N",
                   help="workers of the LocalCluster --executor dask starts (default 1)")
    a.add_argument("--compact", action="store_true",
                   help="then merge the store's loose files into one segment (`history compact`)")
    a.add_argument("--no-progress", action="store_true", help="no progress bar")
    a.set_defaults(func=run_add)
    s = hs.add_parser("show", help="list the runs of a store")
    s.add_argument("--store", required=True, metavar="DIR")
    s.add_argument("--label", action="append", default=[], metavar="KEY=VALUE",
                   help="only runs with this label; repeatable")
    s.add_argument("--json", action="store_true", help="one JSON document on stdout")
    s.set_defaults(func=run_show)
    c = hs.add_parser("compact", help="merge the files of many adds into one segment (faster reads)")
    c.add_argument("--store", required=True, metavar="DIR")
    c.set_defaults(func=run_compact)


def add_to_history(store, datasets, labels=None, executor=None, progress=True) -> int:
    """Add ``datasets`` (on ``executor``, if any); print one line per dataset; exit status."""
    from ..history import add_datasets

    results = add_datasets(store, datasets, labels=labels, executor=executor,
                           progress=None if progress else False)
    for r in results:
        fp = (r.get("fingerprint") or "")[:12]
        if r["status"] == "failed":
            print(f"cnimodel history: {r['dataset']}: failed: {r['error']}", file=sys.stderr)
        else:
            rows = f", {r['n_rows']} rows" if r.get("n_rows") is not None else ""
            print(f"cnimodel history: {r['dataset']}: {r['status']} ({fp}{rows})", file=sys.stderr)
    return 1 if any(r["status"] == "failed" for r in results) else 0


def run_add(args) -> int:
    from ..errors import ReportError
    from ..history import parse_labels

    labels = parse_labels(args.label)
    if args.scheduler and args.executor != "dask":
        raise ReportError("--scheduler needs --executor dask")
    if args.executor == "dask":
        from ..report.distributed import dask_executor

        ctx = dask_executor(args.scheduler, args.jobs)
    else:
        ctx = contextlib.nullcontext(None)
    with ctx as ex:
        status = add_to_history(args.store, args.datasets, labels, ex, not args.no_progress)
    if args.compact:
        run_compact(args)
    return status


def run_show(args) -> int:
    from ..history import open_history, parse_labels
    from ..history.show import runs_json, runs_text

    runs = open_history(args.store).runs(labels=parse_labels(args.label))
    print(runs_json(runs) if args.json else runs_text(runs, args.store))
    return 0


def run_compact(args) -> int:
    from ..history import compact

    r = compact(args.store)
    print(f"cnimodel history: merged {r['merged_runs']} run(s)"
          + (f" into {r['segment']}" if r["segment"] else ""), file=sys.stderr)
    return 0
