"""Adding datasets to a history store: one at a time, or many on any executor (Dask too).

>>> import pathlib, tempfile
>>> from cnimodel.history import add_dataset, open_history
>>> store = tempfile.mkdtemp()
>>> data = pathlib.Path(__file__).resolve().parents[2] / "data" / "mtu1500-2g"
>>> r = add_dataset(store, data, labels={"cluster": "lab"})
>>> r["status"], r["n_rows"] > 0, add_dataset(store, data)["status"]
('added', True, 'unchanged')
>>> open_history(store).runs()["label_cluster"].tolist()
['lab']
"""
from __future__ import annotations

import concurrent.futures as cf
import time
from pathlib import Path

from ..errors import ParameterError
from ..io import load_dataset
from .figures import run_figures
from .fingerprint import dataset_files, dataset_fingerprint
from .store import init_store, is_seen, run_record, write_run

__all__ = ["add_dataset", "add_datasets", "parse_labels"]


def parse_labels(items) -> dict:
    """``["cluster=a", "cni=cilium"]`` -> ``{"cluster": "a", "cni": "cilium"}`` (values are text).

    >>> parse_labels(["cluster=prod-1", "kernel=6.1=x"])
    {'cluster': 'prod-1', 'kernel': '6.1=x'}
    """
    out = {}
    for item in items or ():
        key, sep, value = str(item).partition("=")
        key = key.strip()
        if not sep or not key:
            raise ParameterError("--label", item, "key=value")
        out[key] = value
    return out


def add_dataset(store, dataset, labels: dict | None = None) -> dict:
    """Add one dataset (directory or file) to the store; idempotent by fingerprint.

    Returns ``{"dataset", "fingerprint", "status", "n_rows", "skipped", "wall_time_s"}``
    with ``status`` ``added`` or ``unchanged`` (the store had this fingerprint: nothing
    was written).  Files the readers skipped are counted in ``skipped`` (their reasons
    are in ``cnimodel read``'s report); a dataset with no readable row is an error.
    """
    t0 = time.perf_counter()
    store = init_store(store)
    fp = dataset_fingerprint(dataset)
    out = {"dataset": str(dataset), "fingerprint": fp, "status": "unchanged", "n_rows": None,
           "skipped": None}
    if not is_seen(store, fp):
        df, rep = load_dataset(dataset)
        out["n_rows"], out["skipped"] = int(len(df)), len(rep.skipped)
        if len(df) == 0:
            raise ParameterError("DATASET", str(dataset), "a dataset with at least one readable "
                                 "benchmark file", f"no row read ({len(rep.skipped)} file(s) skipped)")
        rec = run_record(fp, Path(dataset).resolve(), df, run_figures(df), labels or {},
                         len(dataset_files(dataset)))
        if write_run(store, rec, df):
            out["status"] = "added"
    out["wall_time_s"] = round(time.perf_counter() - t0, 3)
    return out


def _add_one(store, dataset, labels):
    try:
        return add_dataset(store, dataset, labels)
    except Exception as exc:  # noqa: BLE001 - one bad dataset is recorded, the others go on
        return {"dataset": str(dataset), "fingerprint": None, "status": "failed",
                "error": f"{type(exc).__name__}: {exc}", "n_rows": None, "skipped": None}


def add_datasets(store, datasets, labels: dict | None = None, executor: cf.Executor | None = None,
                 progress=None) -> list:
    """Add many datasets; each one's failure is its own (``status`` ``failed`` with the
    ``error``).  ``executor``: any :class:`concurrent.futures.Executor` (e.g. the Dask one of
    :mod:`cnimodel.report.distributed`); default: one after another in this process.
    Paths are resolved here, so workers with another working directory find them."""
    from tqdm.auto import tqdm

    store = str(init_store(store).resolve())
    datasets = [str(Path(d).resolve()) for d in datasets]
    bar = tqdm(total=len(datasets), unit="dataset", desc="cnimodel history add",
               disable=(None if progress is None else not progress))
    results = {}
    if executor is None:
        for d in datasets:
            results[d] = _add_one(store, d, labels)
            bar.update(1)
    else:
        futures = {executor.submit(_add_one, store, d, labels): d for d in datasets}
        for f in cf.as_completed(futures):
            d = futures[f]
            try:
                results[d] = f.result()
            except Exception as exc:  # noqa: BLE001 - the executor lost this task (worker died)
                results[d] = {"dataset": d, "fingerprint": None, "status": "failed",
                              "error": f"{type(exc).__name__}: {exc}", "n_rows": None, "skipped": None}
            bar.update(1)
    bar.close()
    return [results[d] for d in datasets]
