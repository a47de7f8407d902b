"""Papermill batch reports: run a notebook per dataset and parameter set, export HTML,
write ``index.html`` and ``summary.json`` (see ``docs/reports.md``).

Notebooks hand their headline figures to the batch with :func:`record` (last cell).

>>> from cnimodel.report import record
>>> record({"headline": ["overlay adds 12 us"], "x": float("nan")})
{'headline': ['overlay adds 12 us'], 'x': None}
"""
from __future__ import annotations

from .glue import GLUE_MIME, read_recorded, record, setup_notebook

__all__ = ["GLUE_MIME", "record", "setup_notebook", "read_recorded", "run_report", "run_batch", "plan_runs",
           "execute_run", "RunSpec", "parameter_sets", "load_dataset"]


def __getattr__(name):  # keep `from cnimodel.report import record` light inside notebooks
    if name in ("run_batch", "plan_runs", "execute_run", "RunSpec", "InlineExecutor"):
        from . import runner

        return getattr(runner, name)
    if name == "load_dataset":
        from .data import load

        return load
    if name == "parameter_sets":
        from .params import parameter_sets

        return parameter_sets
    raise AttributeError(name)


def run_report(datasets, out_dir, notebook=None, parameter_sets=None, jobs: int = 1,
               executor=None, progress=None, **spec_options) -> dict:
    """Plan and execute a batch; return the ``summary.json`` document.

    ``parameter_sets``: list of dicts (default one empty set); ``executor``: any
    ``concurrent.futures.Executor`` (default: in-process for ``jobs=1``, else a process pool).
    """
    from .runner import DEFAULT_NOTEBOOK, plan_runs, run_batch

    specs = plan_runs(datasets, parameter_sets, notebook or DEFAULT_NOTEBOOK, out_dir, **spec_options)
    return run_batch(specs, out_dir, executor=executor, jobs=jobs, progress=progress)
