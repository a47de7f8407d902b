"""Batch runner: one papermill execution per (dataset, parameter set), HTML export,
index and summary, failure isolation, atomic outputs, pluggable executor.

Per run ``ID`` the output directory receives ``ID.ipynb`` (the executed notebook, kept
for failed runs too), ``ID.html`` (code hidden, self-contained) and ``ID.json`` (the
run's status, parameters and recorded figures); ``index.html`` and ``summary.json`` are
rewritten after every finished run.  Every file is written to a temporary name and
moved into place with ``os.replace``.  Nothing is skipped: every run of a batch is
executed again, replacing its previous outputs only when it finishes.
"""
from __future__ import annotations

import concurrent.futures as cf
import glob
import hashlib
import json
import os
import re
import signal
import sys
import tempfile
import time
import traceback
from dataclasses import asdict, dataclass, field
from pathlib import Path

from ..errors import ReportError
from ..jsonclean import jsonable
from .atomic import TMP_PREFIX, atomic_path, remove_stale_temporaries, write_text
from .export import export_html
from .glue import read_recorded
from .guard import DEFAULT_RUN_TIMEOUT_S, KERNEL_PIDS, RunDeadline, batch_lock, check_parameters, \
    kill_tree, worker_init
from .index import summary_document, write_index, write_summary

__all__ = ["NOTEBOOK_DIR", "DEFAULT_NOTEBOOK", "RunSpec", "InlineExecutor", "notebook_path",
           "notebook_parameters", "plan_runs", "execute_run", "run_batch"]

#: Where the project's notebooks live (``notebooks/`` at the repository root).
NOTEBOOK_DIR = Path(__file__).resolve().parents[2] / "notebooks"
#: Notebook ``cnimodel report`` runs by default (the main report).
DEFAULT_NOTEBOOK = "comparison_report"
#: Name of the notebook parameter that receives the dataset directory.
DATASET_PARAMETER = "dataset"


@dataclass(frozen=True)
class RunSpec:
    """One report run: a notebook, a dataset and a parameter set."""

    run_id: str
    notebook: str            # absolute path of the input notebook
    dataset: str             # the dataset as the user gave it
    parameters: dict = field(default_factory=dict)  # user parameters (dataset excluded)
    out_dir: str = "reports"
    kernel_name: str = "python3"
    start_timeout_s: float = 120.0
    execution_timeout_s: float | None = None   # per cell; None = no limit
    run_timeout_s: float | None = DEFAULT_RUN_TIMEOUT_S  # whole run; None or 0 = no limit
    base_dir: str | None = None  # relative dataset / out_dir paths start here (None: the cwd)


def notebook_path(name) -> Path:
    """Resolve ``name``: an existing ``.ipynb`` file, or a notebook name under ``notebooks/``."""
    p = Path(name)
    if p.suffix == ".ipynb" and p.is_file():
        return p.resolve()
    cand = NOTEBOOK_DIR / f"{p.stem if p.suffix == '.ipynb' else name}.ipynb"
    if cand.is_file():
        return cand
    have = sorted(q.stem for q in NOTEBOOK_DIR.glob("*.ipynb")) if NOTEBOOK_DIR.is_dir() else []
    raise ReportError(f"notebook {str(name)!r} not found (not a .ipynb file, not in {NOTEBOOK_DIR}); "
                      f"available: {', '.join(have) or 'none'}")


def notebook_parameters(path) -> dict:
    """Parameters declared in the notebook's ``parameters`` cell (papermill inspection)."""
    _import_lean()
    import papermill as pm

    return pm.inspect_notebook(str(path))


def _slug(text: str, limit: int = 48) -> str:
    s = re.sub(r"[^A-Za-z0-9._-]+", "-", str(text)).strip("-._")
    return (s or "run")[:limit].rstrip("-._") or "run"


def _dataset_name(dataset: str) -> str:
    p = Path(dataset)
    name = p.resolve().name if str(dataset) in (".", "./") or not p.name else p.name
    return _slug(Path(name).stem if p.is_file() else name)


def plan_runs(datasets, parameter_sets, notebook=DEFAULT_NOTEBOOK, out_dir="reports",
              **spec_options) -> list:
    """One :class:`RunSpec` per dataset x parameter set, with unique, readable run ids.

    The id is the dataset's directory name, plus (when there are several parameter
    sets) the parameters that vary across them and a short hash of the whole set.
    """
    datasets = [str(d) for d in datasets]
    if not datasets:
        raise ReportError("no dataset given")
    sets = [dict(s) for s in (parameter_sets or [{}])]
    for s in sets:
        if DATASET_PARAMETER in s:
            raise ReportError(f"parameter {DATASET_PARAMETER!r} is set from the DATASET arguments; "
                              "do not pass it with -p or in the parameter file")
    nb = str(notebook_path(notebook))
    declared = notebook_parameters(nb)
    for s in sets:  # types checked before any run starts (unknown names: the run's error)
        check_parameters(declared, {k: v for k, v in s.items() if k in declared}, Path(nb).stem)
    varying = [k for k in dict.fromkeys(k for s in sets for k in s)
               if len({json.dumps(s.get(k), sort_keys=True, default=str) for s in sets}) > 1]
    specs, used = [], set()
    for d in datasets:
        for s in sets:
            rid = _dataset_name(d)
            if len(sets) > 1:
                tag = "_".join(f"{k}-{s.get(k)}" for k in varying)
                h = hashlib.sha1(json.dumps(s, sort_keys=True, default=str).encode()).hexdigest()[:6]
                rid = f"{rid}--{_slug(tag, 40)}-{h}" if tag else f"{rid}--{h}"
            base, i = rid, 2
            while rid in used:
                rid, i = f"{base}-{i}", i + 1
            used.add(rid)
            specs.append(RunSpec(rid, nb, d, s, str(out_dir), **spec_options))
    return specs


def _error_text(exc) -> tuple:
    """(type name, one readable message) of a run failure."""
    from papermill.exceptions import PapermillExecutionError

    if isinstance(exc, PapermillExecutionError):
        return exc.ename, f"{exc.ename}: {exc.evalue} (in notebook cell {exc.exec_count})"
    return type(exc).__name__, f"{type(exc).__name__}: {exc}"


def _import_lean():
    """Import papermill / nbformat / nbconvert without jsonschema's optional IRI checker.

    jsonschema imports ``rfc3987_syntax`` when installed, which compiles a grammar at
    import time (about 2 s here, in every worker process); nbformat's schema has no IRI
    format, so the checker is never used.  The block is lifted right after the import.
    """
    if "jsonschema" in sys.modules or "rfc3987_syntax" in sys.modules:
        return
    sys.modules["rfc3987_syntax"] = None  # makes `import rfc3987_syntax` raise ImportError
    try:
        import jsonschema  # noqa: F401
        import nbformat  # noqa: F401
    finally:
        if sys.modules.get("rfc3987_syntax", 0) is None:
            del sys.modules["rfc3987_syntax"]


def _ipc_kernel_manager():
    """nbclient's kernel manager talking to the kernel over local IPC sockets, not TCP:
    nothing listens on a network port, and ipykernel does not warn about unencrypted TCP."""
    from jupyter_client.manager import AsyncKernelManager
    from traitlets import default

    class IPCKernelManager(AsyncKernelManager):
        @default("transport")
        def _default_transport(self):
            return "ipc"

        async def _async_launch_kernel(self, kernel_cmd, **kw):
            await super()._async_launch_kernel(kernel_cmd, **kw)
            pid = getattr(self.provisioner, "pid", None)
            if pid:  # known to the run deadline and the parent watchdog (report.guard)
                KERNEL_PIDS.add(pid)

    return IPCKernelManager


def execute_run(spec: RunSpec) -> dict:
    """Execute one run and write its outputs; never raises for a failing notebook.

    Top-level and picklable, so any :class:`concurrent.futures.Executor` can run it.
    Returns the run's result (the ``runs`` entry of ``summary.json``).
    """
    _import_lean()
    import nbformat
    import papermill as pm

    root = Path(spec.base_dir or ".")
    out = root / spec.out_dir
    out.mkdir(parents=True, exist_ok=True)
    t0 = time.perf_counter()
    result = {"id": spec.run_id, "dataset": spec.dataset, "notebook_name": Path(spec.notebook).stem,
              "parameters": jsonable(spec.parameters), "status": "failed", "error": None,
              "error_type": None, "html": None, "notebook": None, "wall_time_s": None,
              "started_utc": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()), "figures": None}
    params = {DATASET_PARAMETER: str((root / spec.dataset).resolve()), **spec.parameters}
    executed = None
    try:
        check_parameters(notebook_parameters(spec.notebook), params, Path(spec.notebook).stem)
        deadline = RunDeadline(spec.run_timeout_s)
        with tempfile.TemporaryDirectory(prefix="cnimodel-run-") as cwd, deadline, \
                atomic_path(out / f"{spec.run_id}.ipynb", suffix=".ipynb") as tmp_nb:
            try:
                pm.execute_notebook(spec.notebook, str(tmp_nb), parameters=params,
                                    kernel_name=spec.kernel_name, cwd=cwd, progress_bar=False,
                                    log_output=False, request_save_on_cell_execute=False,
                                    start_timeout=spec.start_timeout_s,
                                    execution_timeout=spec.execution_timeout_s,
                                    kernel_manager_class=_ipc_kernel_manager())
            except Exception as exc:  # noqa: BLE001 - any notebook failure is recorded, not raised
                result["error_type"], result["error"] = _error_text(exc)
                if deadline.expired:
                    result["error_type"] = "RunTimeout"
                    result["error"] = (f"RunTimeout: the run exceeded its time limit of "
                                       f"{spec.run_timeout_s:g} s (--run-timeout); its kernel was stopped")
            finally:
                KERNEL_PIDS.clear()
            if tmp_nb.stat().st_size:
                executed = nbformat.read(str(tmp_nb), as_version=4)
            else:  # papermill failed before writing anything (e.g. kernel did not start)
                raise ReportError(result["error"] or "papermill wrote no notebook")
        result["notebook"] = f"{spec.run_id}.ipynb"
        result["figures"] = read_recorded(executed)
        export_html(executed, out / f"{spec.run_id}.html",
                    title=f"{Path(spec.notebook).stem}: {spec.run_id}")
        result["html"] = f"{spec.run_id}.html"
        if result["error"] is None:
            result["status"] = "ok"
    except Exception as exc:  # noqa: BLE001 - isolate this run's failure from the batch
        if result["error"] is None:
            result["error_type"], result["error"] = _error_text(exc)
        result["traceback"] = traceback.format_exc(limit=5)
    result["wall_time_s"] = round(time.perf_counter() - t0, 3)
    write_text(out / f"{spec.run_id}.json",
               json.dumps(jsonable(result), indent=2, allow_nan=False, ensure_ascii=False) + "\n")
    return jsonable(result)


class InlineExecutor(cf.Executor):
    """An :class:`concurrent.futures.Executor` that runs each call at submit time, in this
    process (``--jobs 1``: no worker start-up cost)."""

    def submit(self, fn, /, *args, **kwargs):
        f = cf.Future()
        try:
            f.set_result(fn(*args, **kwargs))
        except BaseException as exc:  # noqa: BLE001 - delivered through the future
            if isinstance(exc, KeyboardInterrupt):
                raise
            f.set_exception(exc)
        return f


def _default_executor(jobs: int) -> cf.Executor:
    if jobs <= 1:
        return InlineExecutor()
    import multiprocessing as mp

    method = "forkserver" if "forkserver" in mp.get_all_start_methods() else "spawn"
    return cf.ProcessPoolExecutor(max_workers=jobs, mp_context=mp.get_context(method),
                                  initializer=worker_init, initargs=(os.getpid(),))


def _pending(spec: RunSpec, status="pending") -> dict:
    return {"id": spec.run_id, "dataset": spec.dataset, "notebook_name": Path(spec.notebook).stem,
            "parameters": jsonable(spec.parameters), "status": status, "error": None,
            "error_type": None, "html": None, "notebook": None, "wall_time_s": None,
            "figures": None}


def run_batch(specs, out_dir, executor: cf.Executor | None = None, jobs: int = 1,
              progress: bool | None = None) -> dict:
    """Execute every run, isolating failures; return the ``summary.json`` document.

    Parameters
    ----------
    specs : list of RunSpec
    out_dir : path
        Output directory (created).
    executor : concurrent.futures.Executor, optional
        Any executor (a distributed engine's included): it receives
        ``executor.submit(execute_run, spec)`` per run and is not shut down here.
        Default: in-process for ``jobs=1``, else a ``ProcessPoolExecutor(jobs)``.
    jobs : int
        Parallel runs of the default executor.
    progress : bool, optional
        Progress bar over runs on stderr (default: when stderr is a terminal).
    """
    from tqdm.auto import tqdm

    specs = list(specs)
    out = Path(out_dir)
    if jobs < 1:
        raise ReportError(f"--jobs must be >= 1, got {jobs}")
    with batch_lock(out):
        remove_stale_temporaries(out)
        nb_name = Path(specs[0].notebook).stem if specs else ""
        results = {s.run_id: _pending(s) for s in specs}

        def publish(finished=False):
            doc = summary_document([results[s.run_id] for s in specs], nb_name, finished)
            write_summary(out, doc)
            write_index(out, doc)
            return doc

        publish()
        own = executor is None
        ex = _default_executor(jobs) if own else executor
        bar = tqdm(total=len(specs), unit="run", desc="cnimodel report",
                   disable=(None if progress is None else not progress))
        try:
            _schedule(specs, ex, jobs if own else _slots(ex, len(specs)), results, bar, publish)
        except KeyboardInterrupt:
            _interrupted(specs, results, ex if own else None)
            bar.close()
            publish(finished=True)
            raise
        bar.close()
        if own:
            ex.shutdown(wait=True)
        return publish(finished=True)


def _slots(ex, n: int) -> int:
    """Runs handed at once to a caller's executor: its ``slots`` when it says (the Dask
    executor: its workers' threads, so a worker never holds a queued run that its death
    would fail too), else every run."""
    k = int(getattr(ex, "slots", 0) or 0)
    return max(1, min(k, n)) if k > 0 else n


def _schedule(specs, ex, slots, results, bar, publish):
    """Submit runs as slots free (never more than ``slots`` queued in the executor): after
    a Ctrl-C nothing that has not started can start.  A first SIGINT stops scheduling and
    lets the running runs finish (their results are kept); a second one ends them."""
    queue = list(specs)
    futures = {}
    stopping = False
    previous = None

    def on_sigint(signum, frame):
        nonlocal stopping
        if stopping or not futures:
            raise KeyboardInterrupt
        stopping = True
        print(f"cnimodel report: interrupted: no new run starts; waiting for {len(futures)} "
              "running run(s) (Ctrl-C again to stop them)", file=sys.stderr, flush=True)

    inline = isinstance(ex, InlineExecutor)
    if not inline and threading_main():
        previous = signal.signal(signal.SIGINT, on_sigint)
    try:
        while queue or futures:
            while queue and len(futures) < slots and not stopping:
                s = queue.pop(0)
                futures[ex.submit(execute_run, s)] = s
                if inline:
                    _collect(futures, results, bar, publish, cf.FIRST_COMPLETED)
            if stopping and not futures:
                raise KeyboardInterrupt
            if futures:
                _collect(futures, results, bar, publish, cf.FIRST_COMPLETED)
    except KeyboardInterrupt:
        for f, s in futures.items():  # finished before the interrupt: keep it
            if f.done() and not f.cancelled() and f.exception() is None:
                results[s.run_id] = f.result()
            else:
                f.cancel()
        raise
    finally:
        if previous is not None:
            signal.signal(signal.SIGINT, previous)


def threading_main() -> bool:
    import threading

    return threading.current_thread() is threading.main_thread()


def _interrupted(specs, results, own_executor):
    """After the interrupt: every run not finished is marked ``interrupted``; the workers of
    our own pool are stopped (their kernels die with them, see report.guard)."""
    for s in specs:
        if results[s.run_id]["status"] == "pending":
            results[s.run_id] = _pending(s, "interrupted")
    if own_executor is None:
        return
    procs = list((getattr(own_executor, "_processes", None) or {}).values())
    kill_tree([p.pid for p in procs if p.pid])  # workers and their kernels (new sessions)
    own_executor.shutdown(wait=False, cancel_futures=True)
    for p in procs:
        p.join(timeout=30)


def _executor_failed(spec: RunSpec, exc) -> dict:
    """The record of a run the executor lost (its worker died: ``BrokenProcessPool``, Dask's
    ``KilledWorker``): written to ``ID.json`` like any failed run, and the run's
    half-written temporaries removed (a finished run's outputs are never touched)."""
    r = _pending(spec, "failed")
    r["error_type"], r["error"] = type(exc).__name__, f"{type(exc).__name__}: {exc}"
    out = Path(spec.out_dir)
    for ext in ("ipynb", "html", "json"):
        for p in out.glob(f"{TMP_PREFIX}{glob.escape(spec.run_id)}.{ext}.*"):
            p.unlink(missing_ok=True)
    write_text(out / f"{spec.run_id}.json",
               json.dumps(jsonable(r), indent=2, allow_nan=False, ensure_ascii=False) + "\n")
    return r


def _collect(futures, results, bar, publish, return_when=cf.ALL_COMPLETED):
    done, _ = cf.wait(list(futures), return_when=return_when)
    for f in done:
        s = futures.pop(f)
        try:
            r = f.result()
        except Exception as exc:  # noqa: BLE001 - the executor itself failed for this run
            r = _executor_failed(s, exc)
        results[s.run_id] = r
        bar.update(1)
        if r["status"] != "ok":
            bar.write(f"cnimodel report: run {s.run_id} failed: {r['error']}")
        publish()
