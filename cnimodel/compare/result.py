"""Compare two datasets cell by cell: :func:`compare_frames`, :func:`compare_datasets` and the
:class:`CompareResult` they return (cells, counts, diagnostics, the JSON document).

Examples
--------
>>> import pandas as pd
>>> b = pd.DataFrame({"path": ["host"] * 3 + ["routing"] * 3, "test": "rr",
...                   "latency_mean_s": [60e-6, 61e-6, 59e-6, 70e-6, 71e-6, 69e-6]})
>>> n = b.assign(latency_mean_s=[60e-6, 62e-6, 59e-6, 160e-6, 165e-6, 158e-6])
>>> r = compare_frames(b, n)
>>> r.cells[["path", "verdict"]].values.tolist()
[['host', 'no_change'], ['routing', 'regression']]
>>> r.counts()["regression"], r.has_regression
(1, True)
"""
from __future__ import annotations

import os
from dataclasses import dataclass, field

import pandas as pd

from ..io import load_dataset
from ..jsonclean import jsonable
from .cells import CONDITION_PARAMS, KEY_COLUMNS, key_columns, label_changes, pair_cells, pair_conditions, \
    relative_to_path
from .verdict import DEFAULT_ADJUST, DEFAULT_ALPHA, DEFAULT_THRESHOLD_REL, TEST_NAME, VERDICTS, adjust_p, assess, \
    method_statement, not_comparable, verdict_of

__all__ = ["CELL_FIELDS", "CompareResult", "compare_frames", "compare_datasets"]

#: Keys of one cell of the JSON document, in order (tidy-schema units: SI, unit in the name;
#: ``change_rel`` and its CI are fractions, 0.1 = +10 %).
CELL_FIELDS = ("condition", "path", "tool", "test", "protocol", "direction", "msg_size_bytes",
               "streams", "metric", "baseline", "new", "change_rel", "ci_low_rel", "ci_high_rel",
               "p_value", "q_value", "verdict", "reason", "n_baseline", "n_new")


@dataclass
class CompareResult:
    """Cells of a comparison and what was compared.

    Attributes
    ----------
    cells : pandas.DataFrame
        One row per cell: the key columns, ``metric``, ``baseline``, ``new`` (geometric means
        [SI unit of the metric]), ``change_rel``, ``ci_low_rel``, ``ci_high_rel``,
        ``p_value``, ``verdict``, ``reason``, ``n_baseline``, ``n_new``.
    threshold_rel, alpha : float
        Practical threshold and significance level used.
    adjust : str
        Adjustment of the p-values over the comparable cells (``"bh"``: Benjamini-Hochberg;
        ``q_value`` is the adjusted p-value the verdict uses).
    relative_to : str or None
        Reference path: when set, every value is a ratio to that path's value in the same
        scenario and repetition (dimensionless), and the reference path has no cells.
    baseline_name, new_name : str
        What was compared (directory names, history entries).
    diagnostics : dict
        ``conditions_paired`` ({new name: baseline name} when names differed),
        ``label_changes`` ({label: (baseline values, new values)}: what differs between the
        runs besides the measurements), ``baseline_path_flagged`` (flagged cells of the
        ``host`` path: when node-to-node traffic itself changed, the machine, its load or the
        kernel changed, and every pod path's change includes that), ``skipped`` (files the
        loader skipped, per side).
    """

    cells: pd.DataFrame
    threshold_rel: float = DEFAULT_THRESHOLD_REL
    alpha: float = DEFAULT_ALPHA
    adjust: str = DEFAULT_ADJUST
    relative_to: str | None = None
    baseline_name: str = "baseline"
    new_name: str = "new"
    diagnostics: dict = field(default_factory=dict)

    def counts(self) -> dict:
        """Number of cells per verdict (every verdict present, zeros included)."""
        vc = self.cells["verdict"].value_counts() if len(self.cells) else {}
        return {v: int(vc.get(v, 0)) for v in VERDICTS}

    @property
    def has_regression(self) -> bool:
        return bool((self.cells["verdict"] == "regression").any()) if len(self.cells) else False

    def flagged(self) -> pd.DataFrame:
        """Cells whose verdict is regression or improvement, largest change first."""
        c = self.cells[self.cells["verdict"].isin(["regression", "improvement"])]
        return c.reindex(c["change_rel"].abs().sort_values(ascending=False).index)

    def false_alarm_fraction(self) -> float:
        """Flagged cells / comparable cells (the figure to read when both sides are the same setup)."""
        n = self.counts()
        comparable = n["regression"] + n["improvement"] + n["no_change"]
        return (n["regression"] + n["improvement"]) / comparable if comparable else float("nan")

    @property
    def method(self) -> str:
        return method_statement(self.threshold_rel, self.alpha, self.adjust)

    def to_dict(self) -> dict:
        """The ``--json`` document: ``{"cells": [...], ...}``, strict JSON values."""
        extra = [c for c in self.cells.columns if c in KEY_COLUMNS and c not in CELL_FIELDS]
        rows = [{k: r.get(k) for k in (*CELL_FIELDS, *extra)}
                for r in self.cells.to_dict("records")]
        return jsonable({"cells": rows, "baseline": self.baseline_name, "new": self.new_name,
                         "test": TEST_NAME, "adjust": self.adjust, "threshold_rel": self.threshold_rel,
                         "alpha": self.alpha, "relative_to": self.relative_to,
                         "counts": self.counts(), "method": self.method,
                         "diagnostics": self.diagnostics})

    def __str__(self):
        n = self.counts()
        return (f"compare {self.baseline_name} -> {self.new_name}: {len(self.cells)} cells: "
                + ", ".join(f"{n[v]} {v}" for v in VERDICTS))


#: The path every comparison of data paths needs (:data:`cnimodel.paths.PATH_NAMES`): node to node,
#: no pod networking.  When IT changes, the machine or the kernel changed, not a CNI data path.
BASELINE_PATH = "host"


def _baseline_path_flagged(cells) -> int:
    if not len(cells) or "path" not in cells:
        return 0
    return int(((cells["path"] == BASELINE_PATH) & cells["verdict"].isin(["regression", "improvement"])).sum())


def _sort_key(s):
    num = pd.to_numeric(s, errors="coerce")
    return num if num.notna().sum() == s.notna().sum() else s.astype(str)


def compare_frames(baseline, new, threshold_rel: float = DEFAULT_THRESHOLD_REL,
                   alpha: float = DEFAULT_ALPHA, metrics=None, condition_map=None, adjust: str = DEFAULT_ADJUST,
                   params=CONDITION_PARAMS, baseline_name: str = "baseline",
                   new_name: str = "new", relative_to: str | None = None) -> CompareResult:
    """Compare two tidy frames cell by cell.

    Parameters
    ----------
    baseline, new : pandas.DataFrame
        Tidy rows (:func:`cnimodel.io.load_dataset`); one row = one repetition.
    threshold_rel : float
        Practical threshold [relative change]; default :data:`DEFAULT_THRESHOLD_REL`.
    alpha : float
        Significance level of the test; the CIs have level ``1 - alpha``.
    metrics : sequence of str, optional
        Metric columns (default :data:`cnimodel.compare.cells.COMPARED_METRICS`).
    condition_map : dict, optional
        ``{baseline condition: new condition}`` when the names differ (see
        :func:`cnimodel.compare.cells.pair_conditions`).
    adjust : {"bh", "none"}
        Adjustment of the p-values over the comparable cells before the verdict
        (:func:`cnimodel.compare.verdict.adjust_p`; default Benjamini-Hochberg).
    params : sequence of str
        Condition labels that must agree for a cell to be comparable.
    relative_to : str, optional
        Compare every path's values as ratios to this path's (``"host"``) in the same scenario
        and repetition (:func:`cnimodel.compare.cells.relative_to_path`): a change of the
        machine's load between the two runs, which moves every path alike, then cancels; the
        reference path itself is not compared.  Default None: absolute values.

    Returns
    -------
    CompareResult
    """
    new2, paired = pair_conditions(baseline, new, condition_map)
    no_reference = {}
    if relative_to is not None:
        baseline, no_reference["baseline"] = relative_to_path(baseline, relative_to, metrics)
        new2, no_reference["new"] = relative_to_path(new2, relative_to, metrics)
    keys = key_columns(baseline, new2)
    rows = []
    for c in pair_cells(baseline, new2, metrics, params):
        if c["reason"] is not None:
            res = not_comparable(c["reason"], c["baseline"], c["new"])
        else:
            res = assess(c["baseline"], c["new"], c["metric"], threshold_rel, alpha)
        rows.append({**c["key"], "metric": c["metric"], **res})
    cols = [*keys, "metric", "baseline", "new", "change_rel", "ci_low_rel", "ci_high_rel",
            "p_value", "q_value", "verdict", "reason", "n_baseline", "n_new"]
    cells = pd.DataFrame(rows, columns=cols)
    if len(cells):
        ok = (cells["verdict"] != "not_comparable").to_numpy()
        q = adjust_p(cells["p_value"].to_numpy(dtype=float), adjust)
        cells["q_value"] = q
        cells.loc[ok, "verdict"] = [verdict_of(c, qq, m, threshold_rel, alpha) for c, qq, m in
                                    zip(cells["change_rel"][ok], q[ok], cells["metric"][ok])]
    for k in ("condition", "path", "tool", "test", "protocol", "direction", "msg_size_bytes", "streams"):
        if k not in cells.columns:  # the JSON keys are always there (None when the data has none)
            cells.insert(min(len(keys), len(cells.columns)), k, None)
    if len(cells):
        sort = [k for k in keys if k in cells.columns] + ["metric"]
        cells = cells.sort_values(sort, na_position="first", kind="stable",
                                  key=_sort_key).reset_index(drop=True)
    diag = {"conditions_paired": paired, "label_changes": label_changes(baseline, new2, params),
            "baseline_path_flagged": _baseline_path_flagged(cells)}
    if relative_to is not None:
        diag["no_reference"] = no_reference
    return CompareResult(cells, threshold_rel, alpha, adjust, relative_to, baseline_name, new_name, diag)


def compare_datasets(baseline_dir, new_dir, **kwargs) -> CompareResult:
    """:func:`compare_frames` of two dataset directories (read by :func:`cnimodel.io.load_dataset`).

    Files the loader skipped are listed in ``diagnostics["skipped"]`` with their reasons.
    """
    b, rb = load_dataset(baseline_dir)
    n, rn = load_dataset(new_dir)
    kwargs.setdefault("baseline_name", os.path.basename(os.path.normpath(os.fspath(baseline_dir))))
    kwargs.setdefault("new_name", os.path.basename(os.path.normpath(os.fspath(new_dir))))
    res = compare_frames(b, n, **kwargs)
    res.diagnostics["skipped"] = {"baseline": [(s.path, s.reason) for s in rb.skipped],
                                  "new": [(s.path, s.reason) for s in rn.skipped]}
    return res
