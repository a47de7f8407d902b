"""Reading a history store: the runs table and the tidy rows, filtered as they are read.

:func:`open_history` lists the store's files once; :meth:`History.runs` is one row per
run (labels expanded into ``label_<key>`` columns, times as UTC timestamps) and
:meth:`History.rows` the tidy rows of the runs, with the filter pushed down to the
Parquet scan (only the row groups that can match are read).

>>> import tempfile
>>> h = open_history(tempfile.mkdtemp(), create=True)
>>> len(h.runs()), len(h.rows())
(0, 0)
"""
from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.dataset as ds
import pyarrow.parquet as pq

from ..errors import ParameterError
from .store import LOOSE, RUN_COLUMNS, init_store, store_files

__all__ = ["History", "open_history", "TIME_COLUMNS"]

#: Time columns of the runs table (UTC).
TIME_COLUMNS = ("measured_start_utc", "measured_end_utc", "added_utc")


def _filter_expr(filters: dict | None):
    """A pyarrow expression from ``{column: value or list of values}`` (AND of them)."""
    expr = None
    for col, want in (filters or {}).items():
        vals = list(want) if isinstance(want, (list, tuple, set, frozenset)) else [want]
        e = ds.field(col).isin(vals) if vals else pc.scalar(False)  # nothing wanted: no row
        expr = e if expr is None else expr & e
    return expr


class History:
    """One opened store: the files as they were listed when it was opened."""

    def __init__(self, store):
        self.store = Path(store)
        self.run_files = store_files(self.store, "runs")
        self.row_files = store_files(self.store, "rows")

    def _dataset(self, files):
        return ds.dataset([str(f) for f in files], format="parquet") if files else None

    def runs(self, filters: dict | None = None, labels: dict | None = None,
             figures: bool = False) -> pd.DataFrame:
        """One row per run, oldest measurement first; ``labels``: ``{key: value}`` to keep;
        ``figures``: also read ``figures_json`` (the stored headline figures, the largest
        column by far)."""
        cols = [c for c in RUN_COLUMNS if figures or c != "figures_json"]
        d = self._dataset(self.run_files)
        if d is None:
            return pd.DataFrame({c: pd.Series(dtype="object") for c in cols})
        t = d.to_table(filter=_filter_expr(filters), columns=cols)
        df = t.to_pandas().drop_duplicates("fingerprint", keep="first")
        lab = [json.loads(s) if isinstance(s, str) else {} for s in df["labels_json"]]
        keys = list(dict.fromkeys(k for d_ in lab for k in d_))
        for k in keys:
            df[f"label_{k}"] = [d_.get(k) for d_ in lab]
        for c in TIME_COLUMNS:
            df[c] = pd.to_datetime(df[c], utc=True, errors="coerce")
        for k, v in (labels or {}).items():
            col = f"label_{k}"
            if col not in df:
                return df.iloc[0:0]
            df = df[df[col].astype(str) == str(v)]
        order = df["measured_start_utc"].fillna(df["added_utc"])
        return df.assign(_t=order).sort_values(["_t", "fingerprint"]).drop(columns="_t").reset_index(drop=True)

    def rows(self, filters: dict | None = None, columns=None, fingerprints=None) -> pd.DataFrame:
        """Tidy rows of the runs (with ``fingerprint``), filtered by ``{column: values}``.

        A column named in ``filters`` that no run has is an error naming the columns.
        """
        files = self._readable_row_files()
        if not files:
            return pd.DataFrame({"fingerprint": pd.Series(dtype="string")})
        d = ds.dataset([str(f) for f in files], format="parquet",
                       schema=self._row_schema(files))
        names = set(d.schema.names)
        bad = [c for c in (filters or {}) if c not in names]
        if bad:
            raise ParameterError("filters", bad[0], ", ".join(sorted(names)))
        f = dict(filters or {})
        if fingerprints is not None:
            f["fingerprint"] = list(fingerprints)
        cols = None if columns is None else list(dict.fromkeys(["fingerprint", *columns]))
        return d.to_table(filter=_filter_expr(f), columns=cols).to_pandas()

    def _readable_row_files(self):
        """Row files of runs that have a run record; a run both in a segment and loose
        (a compaction under way) is read from its segment."""
        committed = {p.stem for p in self.run_files if p.parent.name == f"part={LOOSE}"}
        segs = [p for p in self.row_files if p.parent.name != f"part={LOOSE}"]
        seg_fps = set()
        if segs:
            seg_runs = [p for p in self.run_files if p.parent.name != f"part={LOOSE}"]
            t = ds.dataset([str(p) for p in seg_runs], format="parquet").to_table(columns=["fingerprint"])
            seg_fps = set(t.column("fingerprint").to_pylist())
        loose = [p for p in self.row_files if p.parent.name == f"part={LOOSE}"
                 and p.stem in committed and p.stem not in seg_fps]
        return segs + loose

    @staticmethod
    def _row_schema(files):
        """One schema over the files (a column missing in a file reads as null)."""
        schemas = [pq.read_schema(str(f)) for f in files]
        try:
            return pa.unify_schemas(schemas, promote_options="permissive")
        except (pa.ArrowInvalid, pa.ArrowTypeError):
            return pa.unify_schemas(schemas[:1])


def open_history(store, create: bool = False) -> History:
    """Open the store directory (``create``: make an empty store when there is none)."""
    return History(init_store(store, create=create))
