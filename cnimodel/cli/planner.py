"""``cnimodel planner``: serve the capacity-planner notebook as a Voila app on localhost."""
from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from ..errors import CnimodelError, ParameterError
from ._voila import DEFAULT_CULL_IDLE_S, DEFAULT_MAX_KERNELS, write_config

#: Environment variable through which the served notebook receives ``--params``.
PARAMS_ENV = "CNIMODEL_PLANNER_PARAMS"
#: The notebook, relative to the repository root (the package's parent directory).
NOTEBOOK = Path("notebooks") / "capacity_planner.ipynb"


def find_notebook() -> Path:
    """The planner notebook of the source tree cnimodel is installed (editable) from.

    Raises
    ------
    CnimodelError
        When the package does not sit in its repository (a non-editable install).
    """
    import cnimodel

    root = Path(cnimodel.__file__).resolve().parents[1]
    nb = root / NOTEBOOK
    if not nb.is_file():
        raise CnimodelError(
            f"planner notebook not found at {nb}: `cnimodel planner` serves the repository's "
            f"{NOTEBOOK.as_posix()}; install cnimodel editable from its repository "
            f"(pip install -e .) or pass --notebook PATH")
    return nb


def free_port(host: str = "127.0.0.1") -> int:
    """A TCP port the OS reports free on ``host`` (for ``--port 0``)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind((host, 0))
        return s.getsockname()[1]


def _port_open(host, port) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.settimeout(0.2)
        return s.connect_ex((host, port)) == 0


def voila_command(notebook: Path, port: int, host: str = "127.0.0.1") -> list:
    """The Voila command line that serves ``notebook`` on ``host:port`` without a browser."""
    return [sys.executable, "-m", "voila", str(notebook), f"--port={port}", "--no-browser",
            f"--Voila.ip={host}", "--show_tracebacks=False"]


def register(sub):
    p = sub.add_parser("planner", help="interactive capacity planner (Voila app on localhost)",
                       description="Serve notebooks/capacity_planner.ipynb as a Voila app on "
                       "127.0.0.1 and print its URL; Ctrl-C stops it.")
    p.add_argument("--params", metavar="FILE", help="calibrated ModelParams JSON file "
                   "(default: the cited defaults)")
    p.add_argument("--port", type=int, default=8866, help="TCP port (default 8866; 0 = any free)")
    p.add_argument("--notebook", metavar="PATH", help="serve this notebook instead of the "
                   "repository's capacity_planner.ipynb")
    p.add_argument("--allow-host", action="append", default=[], metavar="NAME",
                   help="also serve requests whose Host header is NAME (behind a proxy); by "
                   "default only localhost and loopback addresses are served (403 otherwise)")
    p.add_argument("--cull-idle", type=float, default=DEFAULT_CULL_IDLE_S, metavar="S",
                   help=f"shut the kernel of a closed page down after S idle seconds "
                   f"(default {DEFAULT_CULL_IDLE_S})")
    p.add_argument("--max-kernels", type=int, default=DEFAULT_MAX_KERNELS, metavar="N",
                   help=f"pages served at once, one kernel each (default {DEFAULT_MAX_KERNELS})")
    p.add_argument("--timeout", type=float, default=60.0, metavar="S",
                   help="seconds to wait for the server to listen (default 60)")
    p.set_defaults(func=run)


def run(args) -> int:
    host = "127.0.0.1"
    nb = Path(args.notebook).resolve() if args.notebook else find_notebook()
    if not nb.is_file():
        raise ParameterError("--notebook", str(nb), "an existing .ipynb file")
    env = dict(os.environ)
    if args.params:
        from ..params import ModelParams

        f = Path(args.params).expanduser().resolve()
        if not f.is_file():
            raise ParameterError("--params", args.params, "an existing ModelParams JSON file")
        ModelParams.from_json(f.read_text())  # fail here, not in the page
        env[PARAMS_ENV] = str(f)
    else:
        env.pop(PARAMS_ENV, None)
    if not 0 <= args.port <= 65535:
        raise ParameterError("--port", args.port, "0..65535")
    if not 1 <= args.cull_idle < 1e7:
        raise ParameterError("--cull-idle", args.cull_idle, "1 .. 1e7 seconds")
    if args.max_kernels < 1:
        raise ParameterError("--max-kernels", args.max_kernels, ">= 1")
    port = args.port or free_port(host)
    if _port_open(host, port):
        raise ParameterError("--port", port, "a free port", f"something already listens on {host}:{port}")
    confdir = tempfile.mkdtemp(prefix="cnimodel-planner-")
    write_config(confdir, ["localhost", host, *args.allow_host], args.cull_idle, args.max_kernels)
    env["JUPYTER_CONFIG_DIR"] = confdir
    proc = subprocess.Popen(voila_command(nb, port, host), env=env, cwd=str(nb.parent),
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)

    def _stop(signum, frame):  # SIGTERM: stop Voila (below) instead of orphaning it
        raise SystemExit(128 + signum)

    previous = signal.signal(signal.SIGTERM, _stop)
    cleanup = [lambda: shutil.rmtree(confdir, ignore_errors=True)]
    try:
        deadline = time.monotonic() + args.timeout
        while not _port_open(host, port):
            if proc.poll() is not None:
                err = (proc.stderr.read() or "").strip().splitlines()
                raise CnimodelError(f"voila exited with status {proc.returncode}: "
                                    f"{err[-1] if err else 'no message'}")
            if time.monotonic() > deadline:
                raise CnimodelError(f"voila did not listen on {host}:{port} within {args.timeout:g} s")
            time.sleep(0.1)
        print(f"cnimodel planner: serving {nb.name} at http://{host}:{port}/ (Ctrl-C to stop)",
              flush=True)
        # Drain voila's log so its pipe never fills; show only errors the user can act on.
        for line in proc.stderr:
            if line.startswith("[E ") or "ERROR" in line or "Traceback" in line:
                print(line.rstrip(), file=sys.stderr, flush=True)
        return proc.wait()
    finally:
        signal.signal(signal.SIGTERM, previous)
        if proc.poll() is None:
            proc.terminate()
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
        for undo in cleanup:
            undo()
