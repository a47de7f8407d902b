"""Removing what a lab run created: on success, on error, on Ctrl-C and on SIGTERM.

A :class:`RunGuard` records every process the run starts (by pid) and every
namespace it creates.  Its :meth:`RunGuard.teardown` kills those processes by
pid, then kills whatever still runs inside the run's namespaces (``ip netns
pids``: only processes whose network namespace is one of ours), then deletes the
namespaces, which deletes every device the lab made (all live inside them).
Nothing is ever looked up or killed by process name.

A state file ``/run/cnimodel-lab/<prefix>.json`` names the owning process, so
:func:`clean` (``cnimodel lab clean``) removes the leftovers of runs that died
(SIGKILL, power loss) without disturbing a run that is still going.
"""
from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import subprocess
import threading
import time
from pathlib import Path

from ..errors import LabError
from .naming import prefix_of

__all__ = ["STATE_DIR", "LabInterrupted", "RunGuard", "lab_namespaces", "clean", "trap_signals",
           "signals_deferred"]

#: Where running labs record their owner pid (tmpfs, root only).
STATE_DIR = Path(os.environ.get("CNIMODEL_LAB_STATE_DIR", "/run/cnimodel-lab"))


class LabInterrupted(BaseException):
    """Raised inside a lab run when SIGTERM (or SIGHUP) arrives; carries the signal number.

    A BaseException, like KeyboardInterrupt, so no ``except Exception`` swallows it.
    """

    def __init__(self, signum: int):
        self.signum = signum
        super().__init__(f"interrupted by {signal.Signals(signum).name}")


def _raise_interrupt(signum, frame):
    raise LabInterrupted(signum)


_DEFERRED = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)


@contextlib.contextmanager
def signals_deferred():
    """Hold SIGINT/SIGTERM/SIGHUP until the block ends, whichever thread they reach.

    Blocking a signal with ``pthread_sigmask`` holds it for the calling thread only: the
    kernel then delivers it to another thread (tqdm's monitor, a subprocess reader), and
    CPython still runs the Python handler in the main thread, inside the cleanup.  So in
    the main thread the Python handlers are replaced for the block by one that only
    records the signal; when the block ends the previous handlers are back and each
    recorded signal is handed to them (a Ctrl-C then raises KeyboardInterrupt, after the
    cleanup).  Every thread's mask also blocks them meanwhile (the ``pthread_sigmask``
    of other threads is theirs: the recording handler is what holds those).
    """
    if threading.current_thread() is not threading.main_thread():
        old = signal.pthread_sigmask(signal.SIG_BLOCK, set(_DEFERRED))
        try:
            yield
        finally:
            signal.pthread_sigmask(signal.SIG_SETMASK, old)
        return
    pending = []
    previous = {s: signal.getsignal(s) for s in _DEFERRED}
    for s in _DEFERRED:
        signal.signal(s, lambda signum, frame: pending.append(signum))
    try:
        yield
    finally:
        for s, h in previous.items():
            signal.signal(s, h if h is not None else signal.SIG_DFL)
        for signum in dict.fromkeys(pending):  # each kind once, in arrival order
            h = previous[signum]
            if callable(h):
                h(signum, None)
            elif h == signal.SIG_DFL:
                os.kill(os.getpid(), signum)


@contextlib.contextmanager
def trap_signals():
    """Turn SIGTERM and SIGHUP into :class:`LabInterrupted` (SIGINT already raises
    KeyboardInterrupt) for the duration of the block; restore the handlers after."""
    old = {s: signal.getsignal(s) for s in (signal.SIGTERM, signal.SIGHUP)}
    try:
        for s in old:
            signal.signal(s, _raise_interrupt)
        yield
    finally:
        for s, h in old.items():
            signal.signal(s, h)


def _proc_start_ticks(pid: int):
    """Start time of a process in clock ticks since boot (field 22 of /proc/PID/stat), or None."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    return int(stat.rsplit(")", 1)[1].split()[19])


def _alive(pid: int, start_ticks) -> bool:
    return pid > 0 and _proc_start_ticks(pid) is not None and _proc_start_ticks(pid) == start_ticks


#: Where ``ip netns add`` bind-mounts named network namespaces (iproute2's NETNS_RUN_DIR).
NETNS_DIR = Path("/run/netns")


def lab_namespaces() -> list:
    """Names of existing namespaces that carry a lab prefix.

    Read from ``/run/netns`` directly rather than parsed from ``ip netns list``, which also
    queries every namespace's id: its output is the only thing a teardown trusts to know what
    is left, so it must not depend on a tool that can fail while other namespaces change.
    """
    try:
        names = sorted(os.listdir(NETNS_DIR))
    except FileNotFoundError:
        return []
    return [n for n in names if prefix_of(n)]


def _netns_pids(ns: str) -> list:
    r = subprocess.run(["ip", "netns", "pids", ns], stdout=subprocess.PIPE,
                       stderr=subprocess.DEVNULL, text=True, timeout=30, check=False)
    return [int(x) for x in r.stdout.split() if x.isdigit()]


def _kill_pid(pid: int) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.kill(pid, signal.SIGKILL)


def remove_namespaces(names) -> list:
    """Kill every process inside ``names`` (by pid), then delete the namespaces.

    Returns the namespaces deleted.  Errors deleting one namespace do not stop
    the others; they are raised together at the end as :class:`LabError`.
    """
    names = [n for n in names if prefix_of(n)]   # never anything without a lab prefix
    for ns in names:
        for pid in _netns_pids(ns):
            if pid != os.getpid():
                _kill_pid(pid)
    deleted, errors = [], []
    for ns in names:
        for attempt in range(5):
            r = subprocess.run(["ip", "netns", "del", ns], stdout=subprocess.DEVNULL,
                               stderr=subprocess.PIPE, text=True, timeout=30, check=False)
            if r.returncode == 0 or not Path("/run/netns", ns).exists():
                deleted.append(ns)
                break
            time.sleep(0.1 * (attempt + 1))
        else:
            errors.append(f"{ns}: {r.stderr.strip()}")
    if errors:
        raise LabError("could not delete lab namespaces: " + "; ".join(errors))
    return deleted


class RunGuard:
    """Everything one run started and created, and its removal.

    Parameters
    ----------
    prefix : str
        The run prefix.
    state_dir : pathlib.Path
        Directory of the state file (default :data:`STATE_DIR`).
    """

    def __init__(self, prefix: str, state_dir: Path | None = None):
        self.prefix = prefix
        self.state_file = Path(state_dir or STATE_DIR) / f"{prefix}json"
        self.procs: dict = {}       # pid -> Popen
        self.namespaces: list = []
        self.staging = None         # the run's .partial-* directory, once known
        self._write_state()

    def _write_state(self):
        self.state_file.parent.mkdir(parents=True, exist_ok=True)
        me = os.getpid()
        self.state_file.write_text(json.dumps({"prefix": self.prefix, "pid": me,
                                               "start_ticks": _proc_start_ticks(me),
                                               "started": time.time(),
                                               "staging": self.staging}))

    def record_staging(self, path) -> None:
        """Name the run's staging directory in the state file, for :func:`clean`."""
        self.staging = str(Path(path).resolve())
        self._write_state()

    def track(self, proc: subprocess.Popen) -> subprocess.Popen:
        """Remember a started process so teardown kills it by pid."""
        self.procs[proc.pid] = proc
        return proc

    def untrack(self, proc: subprocess.Popen) -> None:
        self.procs.pop(proc.pid, None)

    def kill_processes(self) -> None:
        """Kill every tracked process by pid and reap it."""
        for pid, proc in list(self.procs.items()):
            if proc.poll() is None:
                _kill_pid(pid)
            with contextlib.suppress(subprocess.TimeoutExpired):
                proc.wait(timeout=10)
            self.procs.pop(pid, None)

    def teardown(self, namespaces=None) -> list:
        """Kill tracked processes, then remove ``namespaces`` (default: all recorded ones).

        SIGINT, SIGTERM and SIGHUP are deferred meanwhile (:func:`signals_deferred`) so
        a second Ctrl-C cannot leave half-removed state; they are delivered after.
        """
        with signals_deferred():
            self.kill_processes()
            names = list(self.namespaces if namespaces is None else namespaces)
            existing = set(lab_namespaces())
            deleted = remove_namespaces([n for n in names if n in existing])
            self.namespaces = [n for n in self.namespaces if n not in names]
            return deleted

    def close(self) -> None:
        """Final teardown of everything and removal of the state file."""
        try:
            self.teardown()
            # anything else with our prefix (e.g. created just before an interrupt), until
            # /run/netns holds none: a deletion under heavy load was seen not to stick at once
            for attempt in range(20):
                rest = [n for n in lab_namespaces() if prefix_of(n) == self.prefix]
                if not rest:
                    break
                remove_namespaces(rest)
                time.sleep(0.05 * attempt)
            else:
                raise LabError("lab namespaces still present after cleanup: " + ", ".join(rest))
        finally:
            with contextlib.suppress(FileNotFoundError):
                self.state_file.unlink()


def clean(force: bool = False, state_dir: Path | None = None) -> dict:
    """Remove the leftovers of interrupted lab runs (``cnimodel lab clean``).

    Only namespaces named with a lab prefix are considered.  A prefix whose
    owning run is still alive (state file names a live pid) is kept unless
    ``force``.

    The staging directory (``OUT/.partial-<prefix>``) a dead run recorded in its state
    file is removed too (only a directory of that name, never anything else).

    Returns
    -------
    dict
        ``{"removed": [namespaces], "kept": {prefix: owner pid}, "staging": [dirs removed]}``.
    """
    sdir = Path(state_dir or STATE_DIR)
    by_prefix: dict = {}
    for ns in lab_namespaces():
        by_prefix.setdefault(prefix_of(ns), []).append(ns)
    removed, kept, staged = [], {}, []
    states = {}
    if sdir.is_dir():
        for f in sdir.glob("cnm*-json"):
            with contextlib.suppress(OSError, ValueError):
                states[f.name[:-4]] = (f, json.loads(f.read_text()))
    for prefix in set(by_prefix) | set(states):
        f, st = states.get(prefix, (None, {}))
        if st and not force and _alive(int(st.get("pid", -1)), st.get("start_ticks")):
            kept[prefix] = int(st["pid"])
            continue
        removed += remove_namespaces(by_prefix.get(prefix, []))
        stage = st.get("staging") if isinstance(st, dict) else None
        if isinstance(stage, str) and Path(stage).name.startswith(".partial-") \
                and Path(stage).is_dir() and not Path(stage).is_symlink():
            shutil.rmtree(stage, ignore_errors=True)
            staged.append(stage)
        if f is not None:
            with contextlib.suppress(FileNotFoundError):
                f.unlink()
    return {"removed": sorted(removed), "kept": kept, "staging": staged}
