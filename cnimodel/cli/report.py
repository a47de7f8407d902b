"""``cnimodel report``: papermill batch reports (one notebook run per dataset x parameter set)."""
from __future__ import annotations

import contextlib
import math
import sys

from .history import add_to_history

from ..report.guard import DEFAULT_RUN_TIMEOUT_S


def register(sub):
    p = sub.add_parser(
        "report", help="run a report notebook per dataset (papermill) and export HTML",
        description="Execute a notebook once per DATASET and per parameter set, export each run "
        "to self-contained HTML with the code hidden, and write OUT/index.html and "
        "OUT/summary.json. A failing run is recorded and the others complete; the exit "
        "status is 1 when any run failed. See docs/reports.md.")
    p.add_argument("datasets", nargs="+", metavar="DATASET",
                   help="dataset directory (or file) passed to the notebook's `dataset` parameter")
    p.add_argument("--out", required=True, metavar="DIR", help="output directory")
    p.add_argument("--notebook", default="comparison_report", metavar="NAME",
                   help="notebook name under notebooks/ or a .ipynb path (default comparison_report)")
    p.add_argument("-p", "--parameter", action="append", default=[], metavar="KEY=VALUE",
                   help="notebook parameter; the value is read as a number or YAML "
                   "(true, null, [1, 2]), else kept as text; repeatable; overrides --params-file")
    p.add_argument("-r", "--raw-parameter", action="append", default=[], metavar="KEY=VALUE",
                   help="notebook parameter whose value is always kept as a literal string")
    p.add_argument("--params-file", metavar="YAML",
                   help="parameter sets: {parameters: {...}, grid: {key: [values]}, runs: [{...}]}")
    p.add_argument("--jobs", "-j", type=int, default=1, metavar="N",
                   help="parallel runs: local processes, or the workers of the Dask LocalCluster "
                   "that --executor dask starts without --scheduler (default 1)")
    p.add_argument("--executor", choices=("local", "dask"), default="local",
                   help="where runs execute: local processes (default) or dask.distributed")
    p.add_argument("--scheduler", metavar="ADDRESS",
                   help="with --executor dask: address (tcp://host:8786) or scheduler file of an "
                   "existing Dask cluster (default: a LocalCluster of --jobs workers)")
    p.add_argument("--history", metavar="DIR",
                   help="after the batch, add its datasets to the history store DIR "
                   "(see `cnimodel history`)")
    p.add_argument("--timeout", type=float, default=None, metavar="S",
                   help="per-cell execution timeout in seconds (default: none)")
    p.add_argument("--run-timeout", type=float, default=DEFAULT_RUN_TIMEOUT_S, metavar="S",
                   help=f"time limit of one whole run in seconds; a run over it is stopped and "
                   f"recorded as failed (default {DEFAULT_RUN_TIMEOUT_S:g}; 0 = none)")
    p.add_argument("--kernel", default="python3", help="Jupyter kernel name (default python3)")
    p.add_argument("--no-progress", action="store_true", help="no progress bar")
    p.set_defaults(func=run)


def run(args) -> int:
    from ..errors import ReportError
    from ..report import run_report
    from ..report.params import parameter_sets

    if args.jobs < 1:
        raise ReportError(f"--jobs must be >= 1, got {args.jobs}")
    for flag, v in (("--timeout", args.timeout), ("--run-timeout", args.run_timeout)):
        if v is not None and (not math.isfinite(v) or v < 0):
            raise ReportError(f"{flag} must be a finite number of seconds >= 0, got {v}")
    if args.scheduler and args.executor != "dask":
        raise ReportError("--scheduler needs --executor dask")
    sets = parameter_sets(args.params_file, args.parameter, args.raw_parameter)
    with _executor(args) as ex:
        doc = run_report(args.datasets, args.out, notebook=args.notebook, parameter_sets=sets,
                         jobs=args.jobs, executor=ex, progress=False if args.no_progress else None,
                         kernel_name=args.kernel, execution_timeout_s=args.timeout or None,
                         run_timeout_s=args.run_timeout or None)
        print(f"cnimodel report: {doc['n_ok']} of {doc['n_runs']} run(s) ok, {doc['n_failed']} "
              f"failed; index: {args.out.rstrip('/')}/index.html", file=sys.stderr)
        status = 1 if doc["n_failed"] else 0
        if args.history:
            status = max(status, add_to_history(args.history, args.datasets, executor=ex,
                                                progress=not args.no_progress))
    return status


def _executor(args):
    """``None`` (the runner's own local pool, sized by --jobs) or a Dask executor."""
    if args.executor == "dask":
        from ..report.distributed import dask_executor

        return dask_executor(args.scheduler, args.jobs)
    return contextlib.nullcontext(None)
