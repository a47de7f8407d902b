"""The tidy schema every reader returns: one row per measured run.

Defined once here; ``docs/data-dictionary.md`` is generated from / kept in sync
with :data:`COLUMNS`.  Units are SI base units and every name carries its unit.
Missing values are NaN (or None / NaT for text and time), never 0.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

try:  # optional: faster string columns
    import pyarrow as _pa
except ImportError:  # pragma: no cover
    _pa = None

__all__ = ["Column", "COLUMNS", "COLUMN_NAMES", "INTERVAL_COLUMNS", "empty_frame", "conform",
           "frame_from_rows"]


@dataclass(frozen=True)
class Column:
    name: str
    dtype: str          # pandas dtype: "string", "float64", "Int64", "datetime64[ns, UTC]", "boolean"
    unit: str           # "" for dimensionless / labels
    description: str


COLUMNS: tuple = (
    Column("path", "string", "", "data path label: host, bridge, overlay, routing, underlay or user label"),
    Column("tool", "string", "", "iperf3, iperf2, netperf, k8s-netperf, knb, flent"),
    Column("tool_version", "string", "", "version string reported by the tool, if any"),
    Column("test", "string", "", "stream (bulk), rr (request/response), crr (connect/request/response)"),
    Column("protocol", "string", "", "tcp or udp"),
    Column("direction", "string", "", "send (local side sends), receive (local receives, iperf3 -R), bidir"),
    Column("streams", "Int64", "", "parallel streams / connections"),
    Column("msg_size_bytes", "float64", "byte", "application message (request) size; NaN for bulk defaults"),
    Column("duration_s", "float64", "s", "measured duration (omitted intervals excluded)"),
    Column("throughput_bps", "float64", "bit/s", "goodput; for UDP the RECEIVED rate"),
    Column("transactions_per_s", "float64", "1/s", "request/response transactions (or connections for crr) per second"),
    Column("latency_mean_s", "float64", "s", "mean round-trip / transaction latency (never send-call time)"),
    Column("latency_p50_s", "float64", "s", "median transaction latency"),
    Column("latency_p90_s", "float64", "s", "90th percentile transaction latency"),
    Column("latency_p99_s", "float64", "s", "99th percentile transaction latency"),
    Column("retransmits", "float64", "", "TCP retransmitted segments"),
    Column("lost_fraction", "float64", "", "UDP datagrams lost / sent, 0..1"),
    Column("jitter_s", "float64", "s", "UDP jitter (RFC 3550)"),
    Column("mss_bytes", "float64", "byte", "TCP maximum segment size (payload per segment)"),
    Column("pmtu_bytes", "float64", "byte", "path MTU seen by the sender (iperf3 pmtu)"),
    Column("cpu_local_fraction", "float64", "", "local CPU utilisation, fraction of the machine (1.0 = all cores)"),
    Column("cpu_remote_fraction", "float64", "", "remote CPU utilisation, fraction of the machine"),
    Column("timestamp", "datetime64[ns, UTC]", "", "start time of the run"),
    Column("source_file", "string", "", "file the row was read from"),
    Column("format", "string", "", "reader that produced the row (iperf3, netperf-omni-csv, ...)"),
    Column("record", "Int64", "", "index of the run within its file (0 for single-run files)"),
    # -- added after the first release of the schema (append only) --
    Column("series", "string", "", "named result inside a multi-result file: flent series, knb test "
           "(pod2pod-tcp ...), k8s-netperf profile; None for single-result files"),
    Column("bidir", "boolean", "", "True for the two rows of a simultaneous bidirectional run "
           "(iperf3 --bidir): direction then says which way this row measured"),
    Column("rtt_mean_s", "float64", "s", "mean smoothed TCP RTT the kernel reported DURING a bulk "
           "transfer (iperf3 mean_rtt; includes queueing under load; not a transaction latency)"),
    Column("rtt_min_s", "float64", "s", "minimum smoothed TCP RTT during a bulk transfer"),
    Column("rtt_max_s", "float64", "s", "maximum smoothed TCP RTT during a bulk transfer"),
    Column("cpu_local_cores", "float64", "", "local CPU time / wall time of the benchmark process "
           "(1.0 = one core busy; iperf3 cpu_utilization_percent / 100)"),
    Column("cpu_remote_cores", "float64", "", "remote CPU time / wall time (iperf3 remote_total / 100)"),
)

COLUMN_NAMES: tuple = tuple(c.name for c in COLUMNS)

#: Per-interval frame (optional second output of readers that have intervals).
INTERVAL_COLUMNS: tuple = (
    Column("source_file", "string", "", "file"),
    Column("record", "Int64", "", "run index within the file"),
    Column("stream", "string", "", "stream id or 'sum'"),
    Column("start_s", "float64", "s", "interval start, relative to test start"),
    Column("end_s", "float64", "s", "interval end"),
    Column("throughput_bps", "float64", "bit/s", "interval throughput"),
    Column("retransmits", "float64", "", "retransmits in the interval"),
    Column("rtt_s", "float64", "s", "smoothed RTT at interval end (iperf3 rtt is in microseconds)"),
    Column("snd_cwnd_bytes", "float64", "byte", "congestion window"),
    Column("omitted", "boolean", "", "interval inside iperf3 --omit"),
)


def empty_frame(columns=COLUMNS):
    """An empty DataFrame with the schema's columns and dtypes."""
    import pandas as pd

    return pd.DataFrame({c.name: pd.Series(dtype=c.dtype) for c in columns})


def conform(df, columns=COLUMNS):
    """Return ``df`` with every schema column present (NaN-filled), schema dtypes, schema
    columns first and any extra label columns (``condition``, ``cni`` ...) kept after them."""
    import pandas as pd

    out = df.copy()
    for c in columns:
        if c.name not in out:
            out[c.name] = pd.Series([np.nan] * len(out), index=out.index, dtype="float64")
        if c.dtype.startswith("datetime"):
            out[c.name] = pd.to_datetime(out[c.name], utc=True)
        else:
            out[c.name] = out[c.name].astype(c.dtype)
    names = [c.name for c in columns]
    return out[names + [k for k in out.columns if k not in names]]


def _column_array(values, dtype):
    """Typed array of one column from an object ndarray (None or NaN = missing)."""
    import pandas as pd

    if dtype == "float64":
        try:
            return np.array(values, dtype="float64")
        except (TypeError, ValueError):
            return pd.to_numeric(pd.Series(values, dtype=object), errors="raise").to_numpy("float64")
    if dtype == "string" and _pa is not None:
        try:  # None and NaN -> null in C
            arr = _pa.array(values, type=_pa.string(), from_pandas=True)
            return pd.array(arr, dtype="string")
        except (_pa.ArrowInvalid, _pa.ArrowTypeError):
            pass
    mask = np.asarray(pd.isna(values), dtype=bool)
    if dtype.startswith("datetime"):
        secs = np.array(values, dtype="float64")
        bad = ~(np.abs(secs) < 9.2e9)  # NaN, inf and beyond datetime64[ns] -> NaT
        ns = np.where(bad, 0.0, secs * 1e9).astype("int64")
        ns[bad] = np.iinfo("int64").min  # NaT
        return pd.DatetimeIndex(ns.view("datetime64[ns]")).tz_localize("UTC")
    if dtype in ("Int64", "boolean"):
        try:
            if dtype == "Int64":
                data = np.where(mask, 0, values).astype("int64")
                return pd.arrays.IntegerArray(data, mask)
            data = np.where(mask, False, values).astype(bool)
            return pd.arrays.BooleanArray(data, mask)
        except (TypeError, ValueError, OverflowError):
            return pd.array([None if m else v for v, m in zip(values, mask)], dtype=dtype)
    if dtype == "string":
        vals = np.array(values, dtype=object)
        vals[mask] = None
        return pd.array([None if v is None else str(v) for v in vals], dtype="string")
    return pd.array(values, dtype=dtype)


def _to_matrix(rows, names):
    """Object matrix rows x names (missing keys -> NaN): pandas' C routine when available."""
    try:
        from pandas._libs.lib import dicts_to_array
    except ImportError:  # pragma: no cover - private pandas API moved
        dicts_to_array = None
    if dicts_to_array is not None and rows:
        return dicts_to_array(rows, list(names))
    out = np.empty((len(rows), len(names)), dtype=object)
    for j, k in enumerate(names):
        out[:, j] = [r.get(k) for r in rows]
    return out


def _infer_array(values):
    """Array for a label column: float64 if every value is numeric, else string."""
    import pandas as pd

    missing = [v is None or (isinstance(v, float) and v != v) for v in values]  # None / NaN
    present = [v for v, m in zip(values, missing) if not m]
    if present and all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in present):
        return np.array([np.nan if m else v for v, m in zip(values, missing)], dtype="float64")
    if present and all(isinstance(v, bool) for v in present):
        return pd.array([None if m else v for v, m in zip(values, missing)], dtype="boolean")
    return pd.array([None if m else str(v) for v, m in zip(values, missing)], dtype="string")


def frame_from_rows(rows, columns=COLUMNS, extra_order=None):
    """Build ONE DataFrame from row dicts (missing keys become NaN / <NA>).

    Schema columns come first with their schema dtypes (``timestamp`` is given
    as epoch seconds [s] in the rows); any other key becomes a label column
    after them: first those named in ``extra_order`` (in that order), then the
    others in first-seen order (numeric labels as float64, others as string).

    Examples
    --------
    >>> df = frame_from_rows([{"tool": "iperf3", "throughput_bps": 9.4e9}, {"cni": "cilium"}])
    >>> df["throughput_bps"].tolist()[1] != df["throughput_bps"].tolist()[1]  # NaN, never 0
    True
    >>> list(df.columns[-1:])
    ['cni']
    """
    import pandas as pd

    names = [c.name for c in columns]
    known = set(names)
    pending = set().union(*rows) - known if rows else set()
    extra = {}
    for r in rows:  # first-seen order; usually the first row has every label
        if not pending:
            break
        for k in r:
            if k in pending:
                extra[k] = None
                pending.discard(k)
    allnames = names + list(extra)
    m = _to_matrix(rows, allnames)
    data = {c.name: _column_array(m[:, j], c.dtype) for j, c in enumerate(columns)}
    for j, k in enumerate(extra, start=len(names)):
        data[k] = _infer_array(m[:, j])
    if extra_order is not None:
        order = [k for k in extra_order if k in extra] + [k for k in extra if k not in extra_order]
        data = {**{c.name: data[c.name] for c in columns}, **{k: data[k] for k in order}}
    return pd.DataFrame(data, index=pd.RangeIndex(len(rows)))
