"""What keeps a batch safe: one batch per output directory, workers that die with their
parent, a time limit per run, and parameter values checked against the notebook.

* :func:`batch_lock`: an exclusive ``flock`` on ``OUT/.cnimodel-batch.lock`` for the whole
  batch; a second batch on the same directory stops at once with a one-line
  :class:`~cnimodel.errors.ReportError` naming the holder's pid (the lock is released by
  the kernel when the holder exits, however it exits).
* :func:`worker_init`: run in every worker process of ``--jobs N``.  Workers ignore SIGINT
  (the parent decides what a Ctrl-C does, see :func:`cnimodel.report.runner.run_batch`),
  ask Linux for SIGTERM when their parent exits (``PR_SET_PDEATHSIG``) and, on every
  system, watch the batch process's pid (every second); either way they kill their
  kernels and exit.
* :class:`RunDeadline`: kills the kernel of a run that exceeds its time limit
  (:data:`DEFAULT_RUN_TIMEOUT_S`, ``--run-timeout``), so the run is recorded as failed
  and the batch goes on.
* :func:`check_parameters`: a value whose type does not fit the default declared in the
  notebook's ``parameters`` cell is a one-line error before any run starts.
"""
from __future__ import annotations

import ast
import ctypes
import errno
import os
import signal
import sys
import threading
import time
from pathlib import Path

from ..errors import ReportError

__all__ = ["DEFAULT_RUN_TIMEOUT_S", "LOCK_NAME", "batch_lock", "worker_init", "RunDeadline",
           "check_parameters", "KERNEL_PIDS", "kill_tree", "Raw"]

#: Default time limit of one run [s]: 1 hour, ten times the longest bundled report run.
DEFAULT_RUN_TIMEOUT_S = 3600.0
#: The lock file of a batch, in its output directory.
LOCK_NAME = ".cnimodel-batch.lock"
_PR_SET_PDEATHSIG = 1
#: pids of the kernels started in this process (filled by the runner's kernel manager)
KERNEL_PIDS: set = set()


class batch_lock:
    """Context manager holding the exclusive lock of the batch writing ``out_dir``."""

    def __init__(self, out_dir):
        self.path = Path(out_dir) / LOCK_NAME
        self.fd = None

    def __enter__(self):
        import fcntl

        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError as exc:
            holder = os.pread(fd, 32, 0).decode("ascii", "replace").strip() or "unknown"
            os.close(fd)
            if exc.errno in (errno.EAGAIN, errno.EACCES, errno.EWOULDBLOCK):
                raise ReportError(f"another cnimodel report batch (pid {holder}) is writing to "
                                  f"{self.path.parent}; wait for it or choose another --out") from None
            raise
        os.ftruncate(fd, 0)
        os.pwrite(fd, f"{os.getpid()}\n".encode(), 0)
        self.fd = fd
        return self

    def __exit__(self, *exc):
        if self.fd is not None:
            os.close(self.fd)  # releases the lock; the file stays (removing it would race)
            self.fd = None
        return False


def _watch_parent(batch_pid: int, period_s: float = 1.0):
    while True:
        time.sleep(period_s)
        try:
            os.kill(batch_pid, 0)
        except ProcessLookupError:
            break
        except PermissionError:
            continue
    _die()


def _die(*_):
    """Stop this worker's kernels, then exit at once (the batch is gone)."""
    for pid in list(KERNEL_PIDS):
        try:
            os.kill(pid, signal.SIGKILL)
        except OSError:
            pass
    os._exit(1)


def kill_tree(pids) -> None:
    """SIGKILL the processes ``pids`` and every descendant of theirs (Linux ``/proc``)."""
    children = {}
    for entry in os.listdir("/proc") if os.path.isdir("/proc") else ():
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat", "rb") as fh:
                ppid = int(fh.read().rsplit(b")", 1)[1].split()[1])
        except (OSError, ValueError, IndexError):
            continue
        children.setdefault(ppid, []).append(int(entry))
    todo, seen = list(pids), set()
    while todo:
        pid = todo.pop()
        if pid in seen:
            continue
        seen.add(pid)
        todo += children.get(pid, [])
    for pid in seen:
        try:
            os.kill(pid, signal.SIGKILL)
        except OSError:
            pass


def worker_init(batch_pid: int) -> None:
    """Initializer of every worker process (see the module doc)."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, _die)
    if sys.platform.startswith("linux"):
        try:
            libc = ctypes.CDLL(None, use_errno=True)
            libc.prctl(_PR_SET_PDEATHSIG, signal.SIGTERM, 0, 0, 0)
        except (OSError, AttributeError):
            pass
    threading.Thread(target=_watch_parent, args=(batch_pid,), daemon=True,
                     name="cnimodel-parent-watch").start()


class RunDeadline:
    """Kill this process's kernels when ``timeout_s`` elapses (None or 0: no limit)."""

    def __init__(self, timeout_s):
        self.timeout_s = timeout_s or None
        self.expired = False
        self._timer = None

    def _fire(self):
        self.expired = True
        for pid in list(KERNEL_PIDS):
            try:
                os.kill(pid, signal.SIGKILL)
            except OSError:
                pass

    def __enter__(self):
        if self.timeout_s:
            self._timer = threading.Timer(self.timeout_s, self._fire)
            self._timer.daemon = True
            self._timer.start()
        return self

    def __exit__(self, *exc):
        if self._timer is not None:
            self._timer.cancel()
        return False


class Raw(str):
    """A ``-r KEY=VALUE`` value: a literal string the user asked for, exempt from type checks."""

    __slots__ = ()


_COMPATIBLE = {"int": (int,), "float": (int, float), "bool": (bool,), "str": (str,),
               "list": (list,), "dict": (dict,)}


def _declared_type(info: dict) -> str:
    """The type name of a declared parameter: its annotation, else its literal default's type."""
    tname = str(info.get("inferred_type_name") or "None")
    if tname != "None":
        return tname.split("[")[0]
    try:
        default = ast.literal_eval(str(info.get("default")))
    except (ValueError, SyntaxError, TypeError, MemoryError, RecursionError):
        return "None"
    return "None" if default is None else type(default).__name__


def check_parameters(declared: dict, params: dict, notebook: str) -> None:
    """One-line :class:`ReportError` for an unknown parameter or a value of the wrong type.

    ``declared`` is papermill's inspection of the notebook (name -> annotation
    ``inferred_type_name`` and ``default`` source); the type is the annotation, else the
    type of the literal default.  A parameter whose default is ``None`` or an expression
    accepts any value; an int is accepted for a float.

    >>> d = {"seed": {"inferred_type_name": "int"}, "title": {"default": "'x'"}}
    >>> check_parameters(d, {"seed": 3, "title": "x"}, "nb")
    >>> check_parameters(d, {"seed": "abc"}, "nb")
    Traceback (most recent call last):
    ...
    cnimodel.errors.ReportError: parameter 'seed' of notebook nb: expected int (its default's type), got str 'abc'
    """
    unknown = sorted(set(params) - set(declared))
    if unknown:
        raise ReportError(f"unknown parameter(s) {', '.join(map(repr, unknown))} for notebook "
                          f"{notebook}; it accepts: {', '.join(declared)}")
    for key, value in params.items():
        tname = _declared_type(declared.get(key) or {})
        allowed = _COMPATIBLE.get(tname)
        if allowed is None or value is None or isinstance(value, Raw):
            continue
        ok = isinstance(value, allowed) and not (isinstance(value, bool) and bool not in allowed)
        if not ok:
            shown = repr(value)
            shown = shown if len(shown) <= 40 else shown[:37] + "..."
            raise ReportError(f"parameter {key!r} of notebook {notebook}: expected {tname} (its "
                              f"default's type), got {type(value).__name__} {shown}")
