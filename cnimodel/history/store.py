"""The history store: tidy rows and headline figures of every added run, in Parquet files.

Layout of a store directory ``STORE``::

    STORE/history.json                         format marker
    STORE/runs/part=loose/<fingerprint>.parquet  one row per added run (labels, times, figures)
    STORE/rows/part=loose/<fingerprint>.parquet  the run's tidy rows (+ ``fingerprint``)
    STORE/runs/part=<segment>/data.parquet       many runs, merged by :func:`compact`
    STORE/rows/part=<segment>/data.parquet
    STORE/seen/<ab>/<fingerprint>                  one empty marker per run ever added

Adding a run writes two new files and one marker; no existing file is read or rewritten,
so adding takes the same time whatever the store holds.  Every file is written to a
temporary name and renamed into place (:mod:`cnimodel.report.atomic`); the run's
``runs`` file is written last and is what makes it part of the history (rows without
their run file, left by a killed add, are never read and are rewritten by the next add).
Adding a dataset whose fingerprint the store has seen changes nothing.  Concurrent adds
are safe: distinct datasets write distinct files; two adds of one dataset write the same
rows, and one run record survives.

:func:`compact` merges the loose files of many adds into one segment per table (readers
then open a few files instead of thousands); it is the only operation that rewrites, it
holds ``STORE/.compact.lock``, and a reader that meets a run in a segment and loose reads
it once.
"""
from __future__ import annotations

import datetime as _dt
import fcntl
import hashlib
import json
import os
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from .._version import __version__
from ..errors import CnimodelError
from ..jsonclean import jsonable
from ..report.atomic import atomic_path, write_text

__all__ = ["HistoryError", "FORMAT", "LOOSE", "init_store", "store_files", "is_seen", "write_run",
           "compact", "run_record", "RUN_COLUMNS"]

FORMAT = 1
#: Partition value of the files one add writes.
LOOSE = "loose"
#: Columns of the runs table, in order.
RUN_COLUMNS = ("fingerprint", "dataset", "name", "labels_json", "measured_start_utc",
               "measured_end_utc", "added_utc", "n_rows", "n_files", "paths", "headline",
               "figures_json", "generator")


class HistoryError(CnimodelError, RuntimeError):
    """A store directory that is not a history store, or a history operation that failed."""


def init_store(store, create: bool = True) -> Path:
    """Check (and with ``create`` make) the store directory; return it."""
    store = Path(store)
    marker = store / "history.json"
    if marker.is_file():
        try:
            fmt = json.loads(marker.read_text()).get("format")
        except (ValueError, AttributeError):
            fmt = None
        if fmt != FORMAT:
            raise HistoryError(f"{store}: history.json says format {fmt!r}; this cnimodel reads "
                               f"format {FORMAT}")
        return store
    if not create:
        raise HistoryError(f"{store}: not a cnimodel history store (no history.json); create it "
                           "with `cnimodel history add DATASET --store DIR`")
    if store.is_dir() and any(p.name not in ("runs", "rows", "seen") for p in store.iterdir()):
        raise HistoryError(f"{store}: exists and is not a history store (no history.json); "
                           "choose an empty or new directory")
    for sub in ("runs", "rows", "seen"):
        (store / sub).mkdir(parents=True, exist_ok=True)
    if not marker.exists():
        write_text(marker, json.dumps({"format": FORMAT, "generator": f"cnimodel {__version__}"}) + "\n")
    return store


def _seen_path(store: Path, fingerprint: str) -> Path:
    return store / "seen" / fingerprint[:2] / fingerprint


def is_seen(store, fingerprint: str) -> bool:
    """True when a run of this fingerprint was added to the store."""
    return _seen_path(Path(store), fingerprint).exists()


def _utc(ts) -> str | None:
    if ts is None or pd.isna(ts):
        return None
    return pd.Timestamp(ts).tz_convert("UTC").isoformat().replace("+00:00", "Z")


def run_record(fingerprint, dataset, df, figures: dict, labels: dict, n_files: int) -> dict:
    """The runs-table row of one run (JSON text for labels and figures)."""
    ts = pd.to_datetime(df["timestamp"], utc=True, errors="coerce") if "timestamp" in df else None
    paths = sorted({str(p) for p in df["path"].dropna()}) if "path" in df else []
    return {
        "fingerprint": fingerprint, "dataset": str(dataset), "name": Path(str(dataset)).name,
        "labels_json": json.dumps(jsonable(labels), sort_keys=True, ensure_ascii=False),
        "measured_start_utc": _utc(ts.min()) if ts is not None and ts.notna().any() else None,
        "measured_end_utc": _utc(ts.max()) if ts is not None and ts.notna().any() else None,
        "added_utc": _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds").replace("+00:00", "Z"),
        "n_rows": int(len(df)), "n_files": int(n_files), "paths": ",".join(paths),
        "headline": "\n".join(figures.get("headline") or []),
        "figures_json": json.dumps(jsonable(figures), allow_nan=False, ensure_ascii=False),
        "generator": f"cnimodel {__version__}",
    }


def _arrow(d) -> pa.Table:
    """A frame as an Arrow table: object columns of mixed content become text, and a
    column with no value at all is of Arrow's null type (it then merges with any type: an
    unshaped dataset's empty ``link_rate_bps`` beside another's numbers)."""
    d = d.copy()
    for c in d.columns:
        if d[c].dtype == object:
            d[c] = d[c].map(lambda v: None if v is None or (pd.api.types.is_scalar(v) and pd.isna(v))
                            else str(v)).astype("string")
    t = pa.Table.from_pandas(d, preserve_index=False)
    for i, name in enumerate(t.column_names):
        if t.column(i).null_count == len(t) and len(t) and t.schema.field(i).type != pa.null():
            t = t.set_column(i, name, pa.nulls(len(t)))
    return t


def _rows_table(df, fingerprint: str) -> pa.Table:
    return _arrow(df.assign(fingerprint=fingerprint)[["fingerprint", *df.columns]])


def _runs_table(records) -> pa.Table:
    cols = {c: [r[c] for r in records] for c in RUN_COLUMNS}
    types = {c: pa.int64() if c in ("n_rows", "n_files") else pa.string() for c in RUN_COLUMNS}
    return pa.table({c: pa.array(v, type=types[c]) for c, v in cols.items()})


#: Rows of a segment are sorted by these columns and written in row groups of
#: :data:`SEGMENT_ROW_GROUP` rows, so that a filter on them reads only the groups whose
#: min/max statistics can match (a path x test slice of a million rows reads a few groups).
SEGMENT_SORT = ("path", "test", "protocol", "fingerprint")
SEGMENT_ROW_GROUP = 32_768


def _write_parquet(table: pa.Table, target: Path, row_group_size: int | None = None):
    with atomic_path(target, suffix=".parquet") as tmp:
        pq.write_table(table, tmp, compression="zstd", row_group_size=row_group_size)
        with open(tmp, "rb") as fh:
            os.fsync(fh.fileno())


def write_run(store, record: dict, df) -> bool:
    """Write one run (rows, then its run record, then its marker); False when it was seen."""
    store = Path(store)
    fp = record["fingerprint"]
    if is_seen(store, fp):
        return False
    _write_parquet(_rows_table(df, fp), store / "rows" / f"part={LOOSE}" / f"{fp}.parquet")
    _write_parquet(_runs_table([record]), store / "runs" / f"part={LOOSE}" / f"{fp}.parquet")
    marker = _seen_path(store, fp)
    marker.parent.mkdir(parents=True, exist_ok=True)
    try:
        os.close(os.open(marker, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644))
    except FileExistsError:  # a concurrent add of the same dataset: same rows, one record
        pass
    return True


def store_files(store, table: str) -> list:
    """Parquet files of ``table`` (``runs`` or ``rows``): segments first, then loose files."""
    base = Path(store) / table
    segs = sorted(p for p in base.glob("part=*/data.parquet"))
    loose = sorted((base / f"part={LOOSE}").glob("*.parquet"))
    return segs + loose


class _Lock:
    def __init__(self, path: Path):
        self.path = path

    def __enter__(self):
        self.fd = os.open(self.path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o644)
        fcntl.flock(self.fd, fcntl.LOCK_EX)
        return self

    def __exit__(self, *exc):
        os.close(self.fd)
        return False


def compact(store) -> dict:
    """Merge every loose run into one new segment per table; return what was merged.

    The segment (rows first, then runs) is complete on disk before any loose file is
    removed, so a reader at any moment sees every run (at worst twice, and reads it once).
    """
    store = init_store(store, create=False)
    with _Lock(store / ".compact.lock"):
        runs = sorted((store / "runs" / f"part={LOOSE}").glob("*.parquet"))
        fps = [p.stem for p in runs]
        if not fps:
            return {"merged_runs": 0, "segment": None}
        seg = "seg-" + hashlib.sha256("\n".join(fps).encode()).hexdigest()[:16]
        rows = [store / "rows" / f"part={LOOSE}" / f"{fp}.parquet" for fp in fps]
        rows = [p for p in rows if p.is_file()]
        if rows:
            t = _concat([pq.read_table(p) for p in rows])
            t = t.sort_by([(c, "ascending") for c in SEGMENT_SORT if c in t.column_names])
            _write_parquet(t, store / "rows" / f"part={seg}" / "data.parquet", SEGMENT_ROW_GROUP)
        _write_parquet(_concat([pq.read_table(p) for p in runs]),
                       store / "runs" / f"part={seg}" / "data.parquet")
        for p in runs + rows:
            p.unlink(missing_ok=True)
        return {"merged_runs": len(fps), "segment": seg}


def _concat(tables) -> pa.Table:
    """One table from tables whose columns may differ (missing columns are null; a column
    whose type differs between tables becomes text)."""
    try:
        return pa.concat_tables(tables, promote_options="permissive")
    except (pa.ArrowInvalid, pa.ArrowTypeError):
        return _arrow(pd.concat([t.to_pandas() for t in tables], ignore_index=True))
