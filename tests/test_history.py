"""History store (issue 17 point 2): Parquet store of tidy rows and headline figures, idempotent
by fingerprint, atomic and concurrent-safe adds, filtered reads, compaction, `cnimodel history`,
`cnimodel report --history`, and the change points of a series (point 3)."""
from __future__ import annotations

import json
import multiprocessing as mp
import shutil

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from conftest import REPO, TEST_DATA
from cnimodel.cli import main
from cnimodel.errors import ParameterError
from cnimodel.history import (HistoryError, add_dataset, add_datasets, change_points, compact,
                              dataset_fingerprint, open_history, trend_changes, trend_frame)
from cnimodel.history.store import write_run
from cnimodel.io import load_dataset
from cnimodel.report import atomic

DATA = REPO / "data"
A, B = DATA / "mtu1500-2g", DATA / "mtu9000-2g"


def _files(store):
    return sorted((p.relative_to(store).as_posix(), p.stat().st_mtime_ns, p.stat().st_size)
                  for p in store.rglob("*") if p.is_file() and not p.name.startswith(".compact"))


def _copy(src, dst, extra_label=None):
    shutil.copytree(src, dst)
    if extra_label:  # another session of the same condition: same rows, another fingerprint
        y = dst / "dataset.yaml"
        y.write_text(y.read_text() + f"\n# {extra_label}\n")
    return dst


def test_add_keeps_rows_labels_times_and_figures(tmp_path):
    store = tmp_path / "h"
    r = add_dataset(store, A, labels={"cluster": "lab", "cni": "none"})
    assert r["status"] == "added" and r["fingerprint"] == dataset_fingerprint(A)
    df, _ = load_dataset(A)
    h = open_history(store)
    assert "figures_json" not in h.runs().columns
    runs = h.runs(figures=True)
    assert len(runs) == 1
    run = runs.iloc[0]
    assert run["fingerprint"] == r["fingerprint"] and run["n_rows"] == len(df)
    assert (run["label_cluster"], run["label_cni"]) == ("lab", "none")
    assert run["measured_start_utc"] == df["timestamp"].min()
    assert run["measured_end_utc"] == df["timestamp"].max()
    figs = json.loads(run["figures_json"])
    assert figs["baseline"] == "host" and figs["medians"] and run["headline"].split("\n") == figs["headline"]
    rows = h.rows()
    assert len(rows) == len(df) and set(rows["fingerprint"]) == {r["fingerprint"]}
    got = rows.sort_values("source_file")["throughput_bps"].to_numpy()
    want = df.sort_values("source_file")["throughput_bps"].to_numpy()
    np.testing.assert_array_equal(np.nan_to_num(got, nan=-1), np.nan_to_num(want, nan=-1))


def test_adding_the_same_dataset_twice_changes_nothing(tmp_path):
    store = tmp_path / "h"
    add_dataset(store, A)
    before = _files(store)
    assert add_dataset(store, A, labels={"other": "label"})["status"] == "unchanged"
    assert add_dataset(store, _copy(A, tmp_path / "copy"))["status"] == "unchanged"  # same bytes elsewhere
    assert _files(store) == before
    changed = _copy(A, tmp_path / "changed", extra_label="session 2")
    assert add_dataset(store, changed)["status"] == "added"
    assert len(open_history(store).runs()) == 2


def test_adding_writes_new_files_only(tmp_path):
    store = tmp_path / "h"
    add_dataset(store, A)
    before = _files(store)
    add_dataset(store, B)
    after = _files(store)
    assert set(before) <= set(after)  # nothing rewritten: same names, mtimes, sizes
    assert len(after) - len(before) == 3  # rows file, run file, seen marker
    assert not list(store.rglob(atomic.TMP_PREFIX + "*"))


def test_filtered_reads(tmp_path):
    store = tmp_path / "h"
    add_datasets(store, [A, B], labels={"cluster": "c1"}, progress=False)
    h = open_history(store)
    rr = h.rows({"path": ["overlay", "routing"], "test": "rr"}, columns=["path", "test", "latency_mean_s"])
    assert len(rr) > 0 and set(rr["path"]) == {"overlay", "routing"} and set(rr["test"]) == {"rr"}
    assert list(rr.columns) == ["fingerprint", "path", "test", "latency_mean_s"]
    one = h.runs(filters={"fingerprint": dataset_fingerprint(B)})
    assert one["name"].tolist() == ["mtu9000-2g"]
    assert len(h.runs(labels={"cluster": "c1"})) == 2 and len(h.runs(labels={"cluster": "x"})) == 0
    assert len(h.rows({"path": "overlay"}, fingerprints=[])) == 0  # no run wanted: no row
    with pytest.raises(ParameterError, match="no_such_column"):
        h.rows({"no_such_column": 1})


def test_killed_add_leaves_no_run_and_is_redone(tmp_path):
    store = tmp_path / "h"
    add_dataset(store, A)
    df, _ = load_dataset(B)
    fp = dataset_fingerprint(B)
    # an add killed after its rows file and before its run record
    from cnimodel.history.store import _rows_table, _write_parquet
    _write_parquet(_rows_table(df, fp), store / "rows" / "part=loose" / f"{fp}.parquet")
    h = open_history(store)
    assert len(h.runs()) == 1 and set(h.rows()["fingerprint"]) == {dataset_fingerprint(A)}
    assert add_dataset(store, B)["status"] == "added"
    assert len(open_history(store).runs()) == 2


def _add_in_process(args):
    store, ds = args
    return add_dataset(store, ds)["status"]


def test_concurrent_adds_are_safe(tmp_path):
    store = tmp_path / "h"
    add_dataset(store, DATA / "mtu1500-unshaped")  # the store exists before the race
    jobs = [(str(store), str(d)) for d in (A, B, A, B, A)]
    with mp.get_context("spawn").Pool(3) as pool:
        statuses = pool.map(_add_in_process, jobs)
    assert statuses.count("added") >= 2  # two adds of one dataset may both write; one record stays
    h = open_history(store)
    runs = h.runs()
    assert sorted(runs["name"]) == ["mtu1500-2g", "mtu1500-unshaped", "mtu9000-2g"]
    assert len(h.rows()) == sum(len(load_dataset(d)[0]) for d in (A, B, DATA / "mtu1500-unshaped"))
    assert not list(store.rglob(atomic.TMP_PREFIX + "*"))


def test_compact_keeps_every_run_and_idempotence(tmp_path):
    store = tmp_path / "h"
    add_datasets(store, [A, B, DATA / "mtu9000-unshaped"], progress=False)
    h0 = open_history(store)
    runs0, rows0 = h0.runs(), h0.rows()
    r = compact(store)
    assert r["merged_runs"] == 3
    h1 = open_history(store)
    assert len(h1.run_files) == 1 and len(h1.row_files) == 1
    pd.testing.assert_frame_equal(h1.runs(), runs0)
    key = ["fingerprint", "source_file", "record"]
    pd.testing.assert_frame_equal(h1.rows().sort_values(key).reset_index(drop=True),
                                  rows0.sort_values(key).reset_index(drop=True), check_dtype=False)
    assert add_dataset(store, A)["status"] == "unchanged"  # seen after compaction too
    assert add_dataset(store, DATA / "mtu1500-unshaped")["status"] == "added"
    assert len(open_history(store).runs()) == 4
    assert compact(store)["merged_runs"] == 1 and compact(store)["merged_runs"] == 0


def test_run_both_in_segment_and_loose_is_read_once(tmp_path):
    store = tmp_path / "h"
    add_dataset(store, A)
    loose = sorted(store.rglob("part=loose/*.parquet"))
    saved = {p: p.read_bytes() for p in loose}
    compact(store)
    for p, b in saved.items():  # a reader that lists the files mid-compaction sees both copies
        p.write_bytes(b)
    h = open_history(store)
    assert len(h.runs()) == 1 and len(h.rows()) == len(load_dataset(A)[0])


def test_not_a_store_and_bad_labels(tmp_path):
    (tmp_path / "x").mkdir()
    (tmp_path / "x" / "other.txt").write_text("mine")
    with pytest.raises(HistoryError, match="not a history store"):
        add_dataset(tmp_path / "x", A)
    with pytest.raises(HistoryError, match="no history.json"):
        open_history(tmp_path / "missing")
    assert main(["history", "add", str(A), "--store", str(tmp_path / "h"), "--label", "novalue"]) == 2
    with pytest.raises(ParameterError):
        add_dataset(tmp_path / "h", TEST_DATA / "report")  # no benchmark row in it


def test_cli_add_show_and_report_history(tmp_path, capsys):
    store = tmp_path / "h"
    assert main(["history", "add", str(A), str(B), "--store", str(store), "--label", "cluster=lab",
                 "--label", "kernel=6.1", "--no-progress"]) == 0
    err = capsys.readouterr().err
    assert err.count(": added (") == 2
    assert main(["history", "add", str(A), "--store", str(store), "--no-progress"]) == 0
    assert ": unchanged (" in capsys.readouterr().err
    assert main(["history", "show", "--store", str(store)]) == 0
    out = capsys.readouterr().out
    assert "2 run(s)" in out and "cluster=lab kernel=6.1" in out
    assert dataset_fingerprint(A)[:12] in out and "mtu9000-2g" in out
    assert main(["history", "show", "--store", str(store), "--json"]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert [r["labels"] for r in doc["runs"]] == [{"cluster": "lab", "kernel": "6.1"}] * 2
    assert main(["history", "compact", "--store", str(store)]) == 0
    assert main(["history", "add", str(DATA / "mtu9000-unshaped"), "--store", str(store), "--compact",
                 "--no-progress"]) == 0
    assert len(open_history(store).run_files) == 2  # two segments, no loose file


@pytest.mark.slow
def test_report_history_adds_the_batch_datasets(tmp_path, capsys):
    store = tmp_path / "h"
    assert main(["report", str(A), "--out", str(tmp_path / "out"), "--notebook",
                 str(TEST_DATA / "report" / "echo.ipynb"), "--history", str(store), "--no-progress"]) == 0
    assert open_history(store).runs()["fingerprint"].tolist() == [dataset_fingerprint(A)]


# --------------------------------------------------------------------------- change points
def test_change_point_found_at_a_real_step_and_small_moves_ignored():
    rng = np.random.default_rng(1)
    x = 100 + rng.normal(0, 1, 30)
    assert change_points(x) == []
    y = x.copy()
    y[18:] *= 2.3  # +130 %
    cps = change_points(y)
    assert [c["index"] for c in cps] == [18] and cps[0]["change_rel"] == pytest.approx(1.3, rel=0.05)
    z = x.copy()
    z[18:] += 3.0  # 3 sigma but 3 %: significant, not practical
    assert change_points(z) == [] and change_points(z, threshold_rel=0.01)[0]["index"] == 18


@settings(max_examples=40, deadline=None)
@given(scale=st.floats(1e-6, 1e9), seed=st.integers(0, 1000))
def test_change_points_do_not_depend_on_the_unit(scale, seed):
    rng = np.random.default_rng(seed)
    x = np.r_[rng.normal(10, 0.3, 12), rng.normal(14, 0.3, 12)]
    assert [c["index"] for c in change_points(x * scale)] == [c["index"] for c in change_points(x)]


def test_short_or_flat_series_have_no_change_point():
    assert change_points([1.0, 2.0, 3.0]) == []
    assert change_points(np.full(20, 7.0)) == []
    assert change_points([np.nan] * 10) == []


def test_trend_frame_and_changes(tmp_path):
    store = tmp_path / "h"
    for i in range(3):
        add_dataset(store, _copy(A, tmp_path / f"s{i}", extra_label=f"session {i}"))
    t = trend_frame(open_history(store))
    assert sorted(t["run"].unique()) == [0, 1, 2]
    assert {"metric", "scenario", "path", "median", "ci_low", "ci_high", "time"} <= set(t.columns)
    # same bytes three times: every series flat, no change point
    assert trend_changes(t).empty
    step = t.copy()
    step = pd.concat([step.assign(run=step["run"] + 3 * k) for k in range(4)], ignore_index=True)
    m = (step["run"] >= 6) & (step["path"] == "overlay") & (step["metric"] == "latency_mean_s")
    step.loc[m, "median"] *= 2.3
    ch = trend_changes(step)
    assert len(ch) and set(ch["path"]) == {"overlay"} and set(ch["run"]) == {6}
