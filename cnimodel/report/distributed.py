"""The Dask executor of a batch: ``cnimodel report ... --executor dask [--scheduler ADDRESS]``.

:func:`dask_executor` yields a :class:`concurrent.futures.Executor` backed by a
``dask.distributed`` client, which :func:`cnimodel.report.runner.run_batch` drives exactly
like its local process pool: the same :func:`~cnimodel.report.runner.execute_run` per run
(atomic writes, the run's own failure record), the same ``index.html`` / ``summary.json``
rewritten after every finished run, the same progress bar.

* No address: a ``LocalCluster`` of ``jobs`` worker processes with one thread each, on this
  machine, started for the batch and closed after it.  Its scheduler gives up on a run
  whose worker dies (``distributed.scheduler.allowed-failures: 0``): the run is recorded as
  failed (``KilledWorker``), its worker is restarted by its nanny, the other runs complete.
  The runner hands out at most one run per worker thread (:attr:`DaskExecutor.slots`): a
  run queued on a worker would otherwise fail with the run its death kills.
  Its workers are guarded like the local pool's (:func:`cnimodel.report.guard.worker_init`:
  they stop their kernels and exit when the batch process goes away).
* An address (``tcp://host:8786``, or a scheduler file written by ``dask scheduler
  --scheduler-file``): an existing cluster, e.g. one started by dask-kubernetes or
  dask-jobqueue (``docs/reports.md``).  Its workers must see the notebooks, the datasets
  and the output directory at the same paths (a shared file system), and have cnimodel
  installed.  What happens to the run of a worker that dies is that scheduler's
  ``allowed-failures`` setting: the run is retried elsewhere (its outputs are replaced
  atomically) until the limit, then recorded as failed.

Relative dataset and output paths are resolved against the batch's working directory
(:attr:`RunSpec.base_dir`), not the worker's.
"""
from __future__ import annotations

import concurrent.futures as cf
import dataclasses
import os
import sys
from contextlib import contextmanager
from pathlib import Path

import dask
from distributed import Client, LocalCluster, WorkerPlugin

from ..errors import ReportError
from .guard import worker_init

__all__ = ["EXECUTORS", "DaskExecutor", "dask_executor", "batch_executor"]

#: Values of ``--executor``.
EXECUTORS = ("local", "dask")


class _GuardPlugin(WorkerPlugin):
    """Worker plugin of our own LocalCluster: the pool's worker guard in every worker."""

    name = "cnimodel-guard"

    def __init__(self, batch_pid: int):
        self.batch_pid = batch_pid

    def setup(self, worker=None):
        worker_init(self.batch_pid)


class DaskExecutor(cf.Executor):
    """A ``concurrent.futures`` view of a ``dask.distributed`` client for the batch runner.

    Each submission is a distinct task (``pure=False``); a :class:`RunSpec` argument gets
    the batch's working directory as its ``base_dir``.  ``shutdown`` closes nothing: the
    context manager :func:`dask_executor` owns the client and the cluster.
    """

    def __init__(self, client, base_dir=None):
        self.client = client
        self.base_dir = str(Path(base_dir or os.getcwd()).resolve())
        self._ex = client.get_executor(pure=False)

    def submit(self, fn, /, *args, **kwargs):
        args = tuple(dataclasses.replace(a, base_dir=a.base_dir or self.base_dir)
                     if _is_spec(a) else a for a in args)
        return self._ex.submit(fn, *args, **kwargs)

    def shutdown(self, wait=True, *, cancel_futures=False):
        return None

    @property
    def n_workers(self) -> int:
        return len(self.client.scheduler_info().get("workers", {}))

    @property
    def slots(self) -> int:
        """Threads of the cluster's workers now (0 when none has joined yet): the runner
        hands out no more runs at once, so no run waits in a worker's queue, where the
        worker's death would fail it with the run it kills."""
        workers = self.client.scheduler_info().get("workers", {})
        return sum(int(w.get("nthreads") or 1) for w in workers.values())


def _is_spec(a) -> bool:
    return dataclasses.is_dataclass(a) and not isinstance(a, type) and hasattr(a, "base_dir")


def _warn_threads(client, scheduler):
    """A run's time limit and kernel bookkeeping are per worker process: say so when a
    worker runs several tasks at once."""
    workers = client.scheduler_info().get("workers", {})
    multi = sorted(a for a, w in workers.items() if (w.get("nthreads") or 1) > 1)
    if multi:
        print(f"cnimodel: warning: {len(multi)} worker(s) of {scheduler} run several threads "
              f"(e.g. {multi[0]}): a run that exceeds its time limit there also stops the kernels "
              "of the other runs of that worker; start workers with --nthreads 1",
              file=sys.stderr)


@contextmanager
def dask_executor(scheduler: str | None = None, jobs: int = 1, timeout_s: float = 60.0):
    """Yield a :class:`DaskExecutor` on ``scheduler`` (address or scheduler file) or on a new
    ``LocalCluster`` of ``jobs`` single-threaded worker processes.

    >>> with dask_executor(jobs=1) as ex:                # doctest: +SKIP
    ...     ex.submit(sum, [1, 2]).result()
    3
    """
    if jobs < 1:
        raise ReportError(f"--jobs must be >= 1, got {jobs}")
    if scheduler:
        kw = ({"scheduler_file": scheduler} if Path(scheduler).is_file()
              else {"address": scheduler})
        try:
            client = Client(timeout=f"{timeout_s}s", **kw)
        except (OSError, TimeoutError) as exc:
            raise ReportError(f"--scheduler {scheduler}: cannot reach the Dask scheduler "
                              f"({type(exc).__name__}: {exc})") from None
        try:
            _warn_threads(client, scheduler)
            yield DaskExecutor(client)
        finally:
            client.close()
        return
    with dask.config.set({"distributed.scheduler.allowed-failures": 0,
                          "distributed.scheduler.worker-saturation": 1.0}):
        cluster = LocalCluster(n_workers=jobs, threads_per_worker=1, processes=True,
                               dashboard_address=None, silence_logs=40)
        try:
            client = Client(cluster)
            try:
                client.register_plugin(_GuardPlugin(os.getpid()))
                yield DaskExecutor(client)
            finally:
                client.close()
        finally:
            cluster.close()


@contextmanager
def batch_executor(executor: str = "local", scheduler: str | None = None, jobs: int = 1):
    """The executor ``--executor`` names: ``None`` for the runner's own local pool (it
    sizes it by ``jobs``), else a :class:`DaskExecutor` (see :func:`dask_executor`)."""
    if executor not in EXECUTORS:
        raise ReportError(f"--executor must be one of {', '.join(EXECUTORS)}, got {executor!r}")
    if scheduler and executor != "dask":
        raise ReportError("--scheduler needs --executor dask")
    if executor == "local":
        yield None
        return
    with dask_executor(scheduler, jobs) as ex:
        yield ex
