"""``cnimodel report --executor dask``: a real 2-worker LocalCluster writes the same index and
summary as local processes, and a worker killed mid-run leaves that run failed while the
others complete (issue 17 acceptance)."""
from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import time

import pytest

from conftest import REPO, TEST_DATA
from cnimodel.cli import main
from cnimodel.report import atomic

ECHO = str(TEST_DATA / "report" / "echo.ipynb")
PID_SLEEP = str(TEST_DATA / "report" / "pid_sleep.ipynb")
VOLATILE = ("generated_utc", "wall_time_s", "started_utc")

pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("dask")]


def _datasets(root, n, broken=()):
    out = []
    for i in range(n):
        d = root / f"d{i}"
        d.mkdir()
        (d / "a").write_text("x")
        if i in broken:
            (d / "BROKEN").write_text("on purpose")
        out.append(d)
    return out


def _normal(obj):
    """summary / run documents without their times."""
    if isinstance(obj, dict):
        return {k: _normal(v) for k, v in obj.items() if k not in VOLATILE}
    if isinstance(obj, list):
        return [_normal(v) for v in obj]
    return obj


def _normal_index(html):
    html = re.sub(r"Generated [^ ]+ by", "Generated T by", html)
    # wall-time cells, with or without the index's sort key
    return re.sub(r'<td( data-sort="[\d.]+")?>\d+\.\d</td>', "<td>W</td>", html)


def test_dask_batch_writes_the_same_index_summary_and_run_files(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    _datasets(tmp_path, 4, broken={2})
    names = ["d0", "d1", "d2", "d3"]  # relative: resolved against the batch's directory
    common = ["--notebook", ECHO, "-p", "title=same", "--no-progress"]
    assert main(["report", *names, "--out", "local", "--jobs", "1", *common]) == 1
    assert main(["report", *names, "--out", "dask", "--executor", "dask", "--jobs", "2", *common]) == 1
    local = json.loads((tmp_path / "local" / "summary.json").read_text())
    dask = json.loads((tmp_path / "dask" / "summary.json").read_text())
    assert (local["n_ok"], local["n_failed"]) == (3, 1)
    assert _normal(dask) == _normal(local)
    assert _normal_index((tmp_path / "dask" / "index.html").read_text()) == \
        _normal_index((tmp_path / "local" / "index.html").read_text())
    for n in names:
        a = json.loads((tmp_path / "local" / f"{n}.json").read_text())
        b = json.loads((tmp_path / "dask" / f"{n}.json").read_text())
        assert _normal({k: v for k, v in b.items() if k != "traceback"}) == \
            _normal({k: v for k, v in a.items() if k != "traceback"})
        assert (tmp_path / "dask" / f"{n}.ipynb").is_file()
    for n in ("d0", "d1", "d3"):
        assert (tmp_path / "dask" / f"{n}.html").is_file()
    assert not list((tmp_path / "dask").glob(atomic.TMP_PREFIX + "*"))


def _alive(pid):
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    try:  # a zombie is dead
        with open(f"/proc/{pid}/stat") as fh:
            return fh.read().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


def test_killed_dask_worker_fails_only_its_run(tmp_path):
    ds = _datasets(tmp_path, 5)
    (ds[2] / "SLEEP").write_text("300")
    out = tmp_path / "out"
    cmd = [sys.executable, "-m", "cnimodel", "report", *map(str, ds), "--out", str(out),
           "--notebook", PID_SLEEP, "--executor", "dask", "--jobs", "2", "--no-progress"]
    proc = subprocess.Popen(cmd, cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    kernel = worker = None
    try:
        deadline = time.monotonic() + 240
        while not (ds[2] / "pids").exists():
            assert proc.poll() is None, proc.communicate()
            assert time.monotonic() < deadline, "the sleeping run never started"
            time.sleep(0.2)
        kernel, worker = map(int, (ds[2] / "pids").read_text().split())
        assert worker != proc.pid  # the kernel's parent is a Dask worker process, not the batch
        os.kill(worker, signal.SIGKILL)
        _, err = proc.communicate(timeout=240)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert proc.returncode == 1, err
    doc = json.loads((out / "summary.json").read_text())
    status = {r["id"]: r for r in doc["runs"]}
    assert status["d2"]["status"] == "failed"
    assert status["d2"]["error_type"] == "KilledWorker", status["d2"]["error"]
    assert json.loads((out / "d2.json").read_text())["status"] == "failed"
    assert [status[f"d{i}"]["status"] for i in (0, 1, 3, 4)] == ["ok"] * 4
    assert doc["complete"] and doc["n_failed"] == 1
    assert not list(out.glob(atomic.TMP_PREFIX + "*"))  # the killed run's half-written notebook
    # the killed worker's kernel does not outlive the batch
    end = time.monotonic() + 30
    while _alive(kernel) and time.monotonic() < end:
        time.sleep(0.5)
    if _alive(kernel):
        os.kill(kernel, signal.SIGKILL)
        pytest.fail(f"kernel {kernel} of the killed worker survived the batch")


def test_scheduler_needs_dask_executor(tmp_path, capsys):
    d = _datasets(tmp_path, 1)[0]
    assert main(["report", str(d), "--out", str(tmp_path / "o"), "--scheduler", "tcp://127.0.0.1:1",
                 "--notebook", ECHO]) == 2
    assert "--scheduler needs --executor dask" in capsys.readouterr().err


def test_unreachable_scheduler_is_one_line_error():
    from cnimodel.errors import ReportError
    from cnimodel.report.distributed import dask_executor

    with pytest.raises(ReportError, match="cannot reach the Dask scheduler"):
        with dask_executor("tcp://127.0.0.1:9", timeout_s=2):
            pass


def test_history_add_on_dask_matches_local(tmp_path):
    from cnimodel.history import open_history

    data = [REPO / "data" / n for n in ("mtu1500-2g", "mtu9000-2g", "mtu1500-unshaped")]
    assert main(["history", "add", *map(str, data), "--store", str(tmp_path / "local"),
                 "--label", "cluster=lab", "--no-progress"]) == 0
    assert main(["history", "add", *map(str, data), str(tmp_path / "missing"), "--store",
                 str(tmp_path / "dask"), "--label", "cluster=lab", "--executor", "dask", "--jobs", "2",
                 "--no-progress"]) == 1  # the missing dataset fails alone
    a, b = open_history(tmp_path / "local"), open_history(tmp_path / "dask")
    keep = ["fingerprint", "name", "labels_json", "n_rows", "paths", "headline"]
    assert b.runs()[keep].equals(a.runs()[keep])
    key = ["fingerprint", "source_file", "record"]
    assert len(b.rows()) == len(a.rows()) and \
        b.rows().sort_values(key)["source_file"].tolist() == a.rows().sort_values(key)["source_file"].tolist()
