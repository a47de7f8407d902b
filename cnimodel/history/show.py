"""``cnimodel history show``: the runs of a store as a readable table or one JSON document.

>>> import pandas as pd
>>> runs = pd.DataFrame({"fingerprint": ["ab" * 32], "name": ["mtu1500-2g"],
...     "measured_start_utc": [pd.Timestamp("2026-11-26T16:36:02Z")],
...     "added_utc": [pd.Timestamp("2026-12-04T02:00:00Z")], "n_rows": [210], "paths": ["host,overlay"],
...     "labels_json": ['{"cluster": "lab"}'], "headline": ["overlay adds 12 us"]})
>>> print(runs_text(runs, "hist"))                    # doctest: +NORMALIZE_WHITESPACE
hist: 1 run(s)
run  measured (UTC)    added (UTC)       rows  paths         labels       fingerprint   name
  1  2026-11-26 16:36  2026-12-04 02:00   210  host,overlay  cluster=lab  abababababab  mtu1500-2g
"""
from __future__ import annotations

import json

import pandas as pd

from ..jsonclean import jsonable

__all__ = ["runs_text", "runs_json"]

_FP_SHOWN = 12


def _time(t) -> str:
    return "-" if t is None or pd.isna(t) else pd.Timestamp(t).strftime("%Y-%m-%d %H:%M")


def _labels(s) -> str:
    d = json.loads(s) if isinstance(s, str) and s else {}
    return " ".join(f"{k}={v}" for k, v in d.items()) or "-"


def runs_text(runs: pd.DataFrame, store) -> str:
    """One line per run: number, measurement start, when added, rows, paths, labels,
    the first 12 hex digits of the fingerprint, the dataset's name."""
    head = ["run", "measured (UTC)", "added (UTC)", "rows", "paths", "labels", "fingerprint", "name"]
    body = [[str(i + 1), _time(r.measured_start_utc), _time(r.added_utc), str(r.n_rows),
             r.paths or "-", _labels(r.labels_json), r.fingerprint[:_FP_SHOWN], str(r.name)]
            for i, r in enumerate(runs.itertuples(index=False))]
    if not body:
        return f"{store}: no runs yet (add one with `cnimodel history add DATASET --store {store}`)"
    width = [max(len(x) for x in col) for col in zip(head, *body)]
    right = {0, 3}
    lines = [f"{store}: {len(body)} run(s)"]
    for row in [head, *body]:
        cells = [c.rjust(w) if i in right else c.ljust(w) for i, (c, w) in enumerate(zip(row, width))]
        lines.append("  ".join(cells).rstrip())
    return "\n".join(lines)


def runs_json(runs: pd.DataFrame) -> str:
    """``{"runs": [{fingerprint, name, dataset, labels, times, n_rows, paths, headline}]}``."""
    out = []
    for r in runs.itertuples(index=False):
        out.append({"fingerprint": r.fingerprint, "name": r.name, "dataset": getattr(r, "dataset", None),
                    "labels": json.loads(r.labels_json or "{}"),
                    "measured_start_utc": None if pd.isna(r.measured_start_utc) else r.measured_start_utc.isoformat(),
                    "added_utc": None if pd.isna(r.added_utc) else r.added_utc.isoformat(),
                    "n_rows": int(r.n_rows), "paths": (r.paths or "").split(",") if r.paths else [],
                    "headline": (r.headline or "").split("\n") if r.headline else []})
    return json.dumps(jsonable({"runs": out}), indent=2, ensure_ascii=False)
