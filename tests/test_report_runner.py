"""cnimodel.report runner with a tiny test notebook: failure isolation, atomic outputs,
parameters with odd characters, parameter grids, pluggable executors, index/summary."""
from __future__ import annotations

import concurrent.futures as cf
import json
import os
import signal
import subprocess
import sys
import time

import nbformat
import pytest

from conftest import REPO, TEST_DATA
from cnimodel.cli import main
from cnimodel.errors import ParameterError, ReportError
from cnimodel.report import atomic, params, run_report
from cnimodel.report.glue import GLUE_MIME, jsonable, read_recorded
from cnimodel.report.index import render_index, summary_document
from cnimodel.report.runner import execute_run, plan_runs, run_batch

ECHO = str(TEST_DATA / "report" / "echo.ipynb")
ODD = "it's \"odd\" <b>&amp; {x} %s \\n é 😀 ${HOME} `ls`; --"


def _dataset(root, name, files=("a",), broken=None, sleep=None):
    d = root / name
    d.mkdir()
    for f in files:
        (d / f).write_text("x")
    if broken:
        (d / "BROKEN").write_text(broken)
    if sleep is not None:
        (d / "SLEEP").write_text(str(sleep))
    return d


def _summary(out):
    return json.loads((out / "summary.json").read_text())


def _no_temporaries(out):
    return not list(out.glob(atomic.TMP_PREFIX + "*"))


# --------------------------------------------------------------------------- pure parts
def test_parse_assignment_types():
    assert params.parse_assignment("a=1") == ("a", 1)
    assert params.parse_assignment("a=1e9") == ("a", 1e9)
    assert params.parse_assignment("a=true") == ("a", True)
    assert params.parse_assignment("a=null") == ("a", None)
    assert params.parse_assignment("a=") == ("a", "")
    assert params.parse_assignment("a=x=y") == ("a", "x=y")
    assert params.parse_assignment("a=" + ODD) == ("a", ODD)
    assert params.parse_assignment("a=007", raw=True) == ("a", "007")
    with pytest.raises(ParameterError):
        params.parse_assignment("no-equals")
    with pytest.raises(ParameterError):
        params.parse_assignment("not an identifier=1")


def test_params_file_grid(tmp_path):
    f = tmp_path / "p.yaml"
    f.write_text("parameters: {baseline: host}\n"
                 "grid: {confidence: [0.9, 0.95], test: [welch-t, mannwhitney]}\n"
                 "runs: [{}, {baseline: bridge}]\n")
    sets = params.parameter_sets(f, ["seed=1"])
    assert len(sets) == 8
    assert all(s["seed"] == 1 for s in sets)
    assert {s["baseline"] for s in sets} == {"host", "bridge"}
    assert len({json.dumps(s, sort_keys=True) for s in sets}) == 8


def test_params_file_plain_mapping_and_errors(tmp_path):
    f = tmp_path / "p.yaml"
    f.write_text("baseline: bridge\nconfidence: 0.9\n")
    assert params.load_params_file(f) == [{"baseline": "bridge", "confidence": 0.9}]
    f.write_text("grid: {a: []}\n")
    with pytest.raises(ParameterError):
        params.load_params_file(f)
    f.write_text("- 1\n- 2\n")
    with pytest.raises(ReportError):
        params.load_params_file(f)
    f.write_text("grid: [unclosed\n")
    with pytest.raises(ReportError):
        params.load_params_file(f)


def test_plan_runs_unique_readable_ids(tmp_path):
    a = _dataset(tmp_path, "a")
    (tmp_path / "x").mkdir()
    a2 = _dataset(tmp_path / "x", "a")
    specs = plan_runs([a, a2], [{"confidence": 0.9}, {"confidence": 0.95}], ECHO, tmp_path / "out")
    ids = [s.run_id for s in specs]
    assert len(set(ids)) == 4
    assert all(i.startswith("a--confidence-0.9") for i in ids)
    with pytest.raises(ReportError):
        plan_runs([a], [{"dataset": "x"}], ECHO, tmp_path)
    with pytest.raises(ReportError):
        plan_runs([a], [{}], "no_such_notebook", tmp_path)


def test_atomic_path_keeps_old_file_on_error(tmp_path):
    target = tmp_path / "r.html"
    target.write_text("old complete report")
    with pytest.raises(RuntimeError):
        with atomic.atomic_path(target) as tmp:
            tmp.write_text("half")
            raise RuntimeError("interrupted")
    assert target.read_text() == "old complete report"
    assert _no_temporaries(tmp_path)


def test_index_escapes_everything():
    run = {"id": "r<1>", "dataset": "<script>", "parameters": {"t": ODD}, "status": "failed",
           "error": "ValueError: <img src=x onerror=alert(1)>", "html": "r.html", "notebook": "r.ipynb",
           "wall_time_s": 1.0, "figures": None}
    page = render_index(summary_document([run], "echo"))
    assert page.count("<script>") == 1 and "<img" not in page  # the one script: the index's column sort
    assert "&lt;img src=x" in page and "&lt;script&gt;" in page


def test_jsonable_strict():
    import numpy as np
    import pandas as pd

    doc = jsonable({"a": np.float32(1.5), "b": pd.NA, "c": [np.inf, pd.Timestamp("2024-01-01", tz="UTC")]})
    json.dumps(doc, allow_nan=False)
    assert doc == {"a": 1.5, "b": None, "c": [None, "2024-01-01T00:00:00+00:00"]}


# --------------------------------------------------------------------------- notebook runs
@pytest.mark.slow
def test_batch_isolates_failures_and_keeps_failed_notebook(tmp_path, capsys):
    ok1 = _dataset(tmp_path, "ok1", files=("a",))
    bad = _dataset(tmp_path, "bad", broken="no parseable file")
    ok2 = _dataset(tmp_path, "ok2", files=("a", "b"))
    out = tmp_path / "out"
    rc = main(["report", str(ok1), str(bad), str(ok2), str(tmp_path / "missing"), "--out", str(out),
               "--notebook", ECHO, "--no-progress", "-p", "title=t"])
    assert rc == 1  # any failure -> non-zero exit
    doc = _summary(out)
    assert doc["complete"] and doc["n_runs"] == 4 and doc["n_ok"] == 2 and doc["n_failed"] == 2
    runs = {r["id"]: r for r in doc["runs"]}
    assert runs["ok1"]["figures"]["n_files"] == 1 and runs["ok2"]["figures"]["n_files"] == 2
    assert runs["bad"]["status"] == "failed"
    assert "broken dataset: no parseable file" in runs["bad"]["error"]
    assert runs["missing"]["error_type"] == "FileNotFoundError"
    # the executed notebook of the failed run is kept, with the error in it
    nb = nbformat.read(str(out / runs["bad"]["notebook"]), as_version=4)
    assert any(o.get("output_type") == "error" for c in nb.cells for o in c.get("outputs", []))
    assert read_recorded(nb) is None
    index = (out / "index.html").read_text()
    assert "broken dataset: no parseable file" in index and 'href="ok1.html"' in index
    for rid in ("ok1", "ok2"):
        html = (out / f"{rid}.html").read_text()
        assert html.rstrip().endswith("</html>")
        assert "<script src=" not in html  # self-contained: nothing fetched from a CDN
        assert "from cnimodel.report import record" not in html  # code hidden
        assert GLUE_MIME not in html
    assert _no_temporaries(out)
    assert "1 failed" not in capsys.readouterr().out


@pytest.mark.slow
def test_odd_parameters_reach_the_notebook_intact(tmp_path):
    ds = _dataset(tmp_path, "ds")
    out = tmp_path / "out"
    pf = tmp_path / "p.yaml"
    pf.write_text(json.dumps({"runs": [{"title": ODD, "value": 2.5}, {"title": "'; import os; os._exit(3) #"}]}, ensure_ascii=False), encoding="utf-8")
    rc = main(["report", str(ds), "--out", str(out), "--notebook", ECHO, "--params-file", str(pf),
               "--no-progress"])
    assert rc == 0
    doc = _summary(out)
    titles = sorted(r["figures"]["title"] for r in doc["runs"])
    assert titles == sorted([ODD, "'; import os; os._exit(3) #"])
    # and through -p / -r on the command line
    out2 = tmp_path / "out2"
    assert main(["report", str(ds), "--out", str(out2), "--notebook", ECHO, "--no-progress",
                 "-p", "title=" + ODD, "-r", "value=1e3"]) == 0
    fig = _summary(out2)["runs"][0]["figures"]
    assert fig["title"] == ODD and fig["value"] == "1e3"


@pytest.mark.slow
def test_unknown_parameter_fails_only_that_run(tmp_path):
    ds = _dataset(tmp_path, "ds")
    doc = run_report([ds], tmp_path / "out", notebook=ECHO,
                     parameter_sets=[{"title": "fine"}, {"titel": "typo"}], progress=False)
    st = sorted(r["status"] for r in doc["runs"])
    assert st == ["failed", "ok"]
    bad = next(r for r in doc["runs"] if r["status"] == "failed")
    assert "unknown parameter(s) 'titel'" in bad["error"]


@pytest.mark.slow
def test_pluggable_executor_and_parallel_jobs(tmp_path):
    dss = [_dataset(tmp_path, f"d{i}", files=("a",) * 1) for i in range(3)]
    out = tmp_path / "out"
    with cf.ProcessPoolExecutor(2) as ex:
        doc = run_report(dss, out, notebook=ECHO, executor=ex, progress=False)
        # the caller's executor is not shut down by the runner
        assert ex.submit(int, "7").result() == 7
    assert doc["n_ok"] == 3
    doc2 = run_report(dss, tmp_path / "out2", notebook=ECHO, jobs=2, progress=False)
    assert [r["id"] for r in doc2["runs"]] == ["d0", "d1", "d2"]  # index keeps plan order
    assert doc2["n_ok"] == 3


class _InterruptingExecutor(cf.Executor):
    """Runs the first call, then behaves like Ctrl-C arriving during the second."""

    def __init__(self):
        self.calls = 0

    def submit(self, fn, /, *args, **kwargs):
        self.calls += 1
        if self.calls > 1:
            raise KeyboardInterrupt
        f = cf.Future()
        f.set_result(fn(*args, **kwargs))
        return f


@pytest.mark.slow
def test_interrupted_batch_keeps_finished_runs(tmp_path):
    a, b = _dataset(tmp_path, "a"), _dataset(tmp_path, "b")
    out = tmp_path / "out"
    specs = plan_runs([a, b], [{}], ECHO, out)
    with pytest.raises(KeyboardInterrupt):
        run_batch(specs, out, executor=_InterruptingExecutor(), progress=False)
    doc = _summary(out)
    st = {r["id"]: r["status"] for r in doc["runs"]}
    assert st == {"a": "ok", "b": "interrupted"}
    assert not doc["complete"]
    assert (out / "a.html").is_file() and not (out / "b.html").exists()
    assert _no_temporaries(out)


@pytest.mark.slow
def test_killed_batch_leaves_no_half_written_file_and_rerun_redoes_all(tmp_path):
    fast = _dataset(tmp_path, "fast")
    slow = _dataset(tmp_path, "slow", sleep=0)
    out = tmp_path / "out"
    cmd = [sys.executable, "-m", "cnimodel", "report", str(fast), str(slow), "--out", str(out),
           "--notebook", ECHO, "--no-progress"]
    assert subprocess.run(cmd, cwd=REPO, capture_output=True).returncode == 0
    before = {p.name: p.read_bytes() for p in out.iterdir()}
    (slow / "SLEEP").write_text("60")
    proc = subprocess.Popen(cmd, cwd=REPO, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                            start_new_session=True)
    try:
        deadline = time.monotonic() + 120
        # wait until the slow run is executing: its temporary notebook exists
        while not list(out.glob(atomic.TMP_PREFIX + "slow.ipynb*")):
            assert time.monotonic() < deadline, "slow run never started"
            assert proc.poll() is None
            time.sleep(0.2)
    finally:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()
    # every file at a final name is complete: the previous slow report is intact
    for name in ("slow.html", "slow.ipynb", "slow.json"):
        assert (out / name).read_bytes() == before[name]
    json.loads((out / "summary.json").read_text())
    nbformat.read(str(out / "fast.ipynb"), as_version=4)
    assert (out / "fast.html").read_text().rstrip().endswith("</html>")
    assert _summary(out)["complete"] is False  # the killed batch's index says so
    # a re-run executes every run again and clears the leftovers
    (slow / "SLEEP").write_text("0")
    assert subprocess.run(cmd, cwd=REPO, capture_output=True).returncode == 0
    doc = _summary(out)
    assert doc["complete"] and doc["n_ok"] == 2
    assert _no_temporaries(out)
    assert (out / "slow.json").read_bytes() != before["slow.json"]


@pytest.mark.slow
def test_execute_run_writes_result_file(tmp_path):
    ds = _dataset(tmp_path, "ds")
    spec = plan_runs([ds], [{"title": "x"}], ECHO, tmp_path / "out")[0]
    r = execute_run(spec)
    assert r["status"] == "ok"
    assert json.loads((tmp_path / "out" / "ds.json").read_text())["figures"]["title"] == "x"
