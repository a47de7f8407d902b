"""Batches under signals and misuse (issue 16): Ctrl-C with --jobs 2, a killed parent, the
default run time limit, parameter types, one batch per --out directory."""
from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest

from cnimodel.report import atomic
from cnimodel.report.guard import batch_lock
from conftest import default_signals

REPO = Path(__file__).resolve().parents[1]
ECHO = str(REPO / "tests" / "data" / "report" / "echo.ipynb")
pytestmark = pytest.mark.slow


def _dataset(root, name, sleep=None):
    d = root / name
    d.mkdir()
    (d / "a").write_text("x")
    if sleep is not None:
        (d / "SLEEP").write_text(str(sleep))
    return d


def _marked():
    """An environment whose processes can be found again in /proc."""
    mark = uuid.uuid4().hex
    return mark, {**os.environ, "CNIMODEL_TEST_MARK": mark}


def _alive_with(mark) -> list:
    pids = []
    for e in os.listdir("/proc"):
        if e.isdigit():
            try:
                with open(f"/proc/{e}/environ", "rb") as fh:
                    env = fh.read()
                with open(f"/proc/{e}/stat", "rb") as fh:
                    state = fh.read().rsplit(b")", 1)[1].split()[0]
            except OSError:
                continue
            if f"CNIMODEL_TEST_MARK={mark}".encode() in env and state != b"Z":
                pids.append(int(e))
    return pids


def _wait(cond, what, timeout_s=240):
    deadline = time.monotonic() + timeout_s
    while not cond():
        assert time.monotonic() < deadline, what
        time.sleep(0.2)


def _running(out, *ids):
    return all(list(out.glob(atomic.TMP_PREFIX + f"{i}.ipynb*")) for i in ids)


def _start(tmp_path, names_sleep, jobs=2, extra=()):
    out = tmp_path / "out"
    ds = [str(_dataset(tmp_path, n, s)) for n, s in names_sleep]
    mark, env = _marked()
    cmd = [sys.executable, "-m", "cnimodel", "report", *ds, "--out", str(out), "--notebook", ECHO,
           "--no-progress", "--jobs", str(jobs), *extra]
    # SIGINT at its default disposition, as from a terminal (a shell without job control starts
    # background jobs, and so possibly this test run, with SIGINT ignored)
    proc = subprocess.Popen(cmd, cwd=REPO, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True, start_new_session=True, preexec_fn=default_signals)
    return proc, out, mark


def _status(out):
    doc = json.loads((out / "summary.json").read_text())
    return {r["id"]: r["status"] for r in doc["runs"]}


def test_first_ctrl_c_lets_running_finish_and_starts_nothing(tmp_path):
    proc, out, mark = _start(tmp_path, [("a", 8), ("b", 8), ("c", None), ("d", None)])
    try:
        _wait(lambda: _running(out, "a", "b"), "runs a and b never started")
        os.killpg(proc.pid, signal.SIGINT)  # what a terminal's Ctrl-C does: the whole group
        _, err = proc.communicate(timeout=300)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
    assert proc.returncode == 130, err
    assert _status(out) == {"a": "ok", "b": "ok", "c": "interrupted", "d": "interrupted"}
    assert not (out / "c.json").exists() and not (out / "d.json").exists()
    assert "no new run starts" in err and "Traceback" not in err
    _wait(lambda: not _alive_with(mark), "processes left behind", 60)


def test_second_ctrl_c_stops_running_runs(tmp_path):
    proc, out, mark = _start(tmp_path, [("a", 600), ("b", 600), ("c", None)])
    try:
        _wait(lambda: _running(out, "a", "b"), "runs a and b never started")
        os.killpg(proc.pid, signal.SIGINT)
        time.sleep(1)
        os.killpg(proc.pid, signal.SIGINT)
        _, err = proc.communicate(timeout=120)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
    assert proc.returncode == 130, err
    assert _status(out) == {"a": "interrupted", "b": "interrupted", "c": "interrupted"}
    _wait(lambda: not _alive_with(mark), "workers or kernels left behind", 60)


def test_killed_parent_takes_workers_and_kernels_along(tmp_path):
    proc, out, mark = _start(tmp_path, [("a", 600), ("b", 600)])
    try:
        _wait(lambda: _running(out, "a", "b"), "runs never started")
        assert len(_alive_with(mark)) >= 4  # batch, workers, kernels
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(timeout=60)
        _wait(lambda: not _alive_with(mark), "workers or kernels outlived their batch", 120)
    finally:
        for pid in _alive_with(mark):
            os.kill(pid, signal.SIGKILL)


def test_run_timeout_stops_a_hanging_run(tmp_path):
    proc, out, _ = _start(tmp_path, [("a", 600), ("b", None)], jobs=1, extra=("--run-timeout", "5"))
    _, err = proc.communicate(timeout=300)
    assert proc.returncode == 1, err
    assert _status(out) == {"a": "failed", "b": "ok"}
    a = json.loads((out / "a.json").read_text())
    assert a["error_type"] == "RunTimeout" and "5 s" in a["error"]


def _cli(*args, env=None):
    return subprocess.run([sys.executable, "-m", "cnimodel", *args], cwd=REPO, capture_output=True,
                          env=env, timeout=300)


@pytest.mark.parametrize("value, expect", [
    (b"value=abc", b"parameter 'value' of notebook echo: expected float"),
    (b"title=[1, 2]", b"expected str"),
    (b"value=\xff\xfe", b"not UTF-8"),
])
def test_parameter_types_one_line_errors(tmp_path, value, expect):
    d = _dataset(tmp_path, "a")
    r = subprocess.run([sys.executable.encode(), b"-m", b"cnimodel", b"report", os.fsencode(d),
                        b"--out", os.fsencode(tmp_path / "out"), b"--notebook", ECHO.encode(),
                        b"-p", value], cwd=REPO, capture_output=True, timeout=300)
    assert r.returncode == 2, r.stderr
    assert expect in r.stderr and len(r.stderr.strip().splitlines()) == 1, r.stderr
    assert not (tmp_path / "out" / "a.json").exists()


def test_second_batch_on_same_out_is_refused(tmp_path):
    d = _dataset(tmp_path, "a")
    out = tmp_path / "out"
    with batch_lock(out):
        r = _cli("report", str(d), "--out", str(out), "--notebook", ECHO)
    assert r.returncode == 2
    assert b"another cnimodel report batch" in r.stderr and len(r.stderr.splitlines()) == 1
    assert _cli("report", str(d), "--out", str(out), "--notebook", ECHO).returncode == 0
