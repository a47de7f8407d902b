"""The tidy schema every reader returns: one row per measured run.

Defined once here; ``docs/data-dictionary.md`` is generated from / kept in sync
with :data:`COLUMNS`.  Units are SI base units and every name carries its unit.
Missing values are NaN (or None / NaT for text and time), never 0.
"""
from __future__ import annotations

import itertools
from dataclasses import dataclass

import numpy as np

try:  # optional: faster string columns
    import pyarrow as _pa
except ImportError:  # pragma: no cover
    _pa = None

__all__ = ["Column", "COLUMNS", "COLUMN_NAMES", "INTERVAL_COLUMNS", "empty_frame", "conform", "Finding", "check_frame",
           "frame_from_rows"]


@dataclass(frozen=True)
class Column:
    name: str
    dtype: str          # pandas dtype: "string", "float64", "Int64", "datetime64[ns, UTC]", "boolean"
    unit: str           # "" for dimensionless / labels
    description: str


COLUMNS: tuple = (
    Column("path", "string", "", "data path label: host, bridge, overlay, routing, underlay or user label"),
    Column("tool", "string", "", "iperf3, iperf2, netperf, k8s-netperf, knb, flent, ping, fping, sockperf, qperf, "
           "uperf"),
    Column("tool_version", "string", "", "version string reported by the tool, if any"),
    Column("test", "string", "", "stream (bulk), rr (request/response), crr (connect/request/response)"),
    Column("protocol", "string", "", "tcp, udp or icmp (ping, fping)"),
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
    Column("latency_min_s", "float64", "s", "minimum round-trip / transaction latency (ping, fping)"),
    Column("latency_max_s", "float64", "s", "maximum round-trip / transaction latency (ping, fping)"),
    Column("latency_stddev_s", "float64", "s", "standard deviation of the round-trip latency "
           "(iputils ping mdev)"),
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
    if dtype.startswith("datetime"):
        secs = np.array(values, dtype="float64")
        bad = ~(np.abs(secs) < 9.2e9)  # NaN, inf and beyond datetime64[ns] -> NaT
        ns = np.where(bad, 0.0, secs * 1e9).astype("int64")
        ns[bad] = np.iinfo("int64").min  # NaT
        return pd.DatetimeIndex(ns.view("datetime64[ns]")).tz_localize("UTC")
    mask = np.asarray(pd.isna(values), dtype=bool)
    if dtype in ("Int64", "boolean"):
        try:
            if dtype == "Int64":
                data = (np.where(mask, 0, values) if mask.any() else values).astype("int64")
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


_NUMBER_TYPES = frozenset((int, float, type(None)))
_TEXT_TYPES = frozenset((str, float, type(None)))


def _infer_array(values):
    """Array for a label column: float64 if every value is numeric, else string."""
    import pandas as pd

    types = set(map(type, values))  # the common label columns in one C pass each
    if types <= _NUMBER_TYPES:  # int / float / None (bool is not int here)
        arr = np.array(values, dtype="float64")  # None -> NaN
        if not np.isnan(arr).all():
            return arr
    elif str in types and types <= _TEXT_TYPES and _pa is not None:
        try:  # str with None / NaN (a float that is not NaN raises: mixed, see below)
            return pd.array(_pa.array(values, type=_pa.string(), from_pandas=True), dtype="string")
        except (_pa.ArrowInvalid, _pa.ArrowTypeError):
            pass
    missing = [v is None or (isinstance(v, float) and v != v) for v in values]  # None / NaN
    present = [v for v, m in zip(values, missing) if not m]
    if present and all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in present):
        return np.array([np.nan if m else v for v, m in zip(values, missing)], dtype="float64")
    if present and all(isinstance(v, bool) for v in present):
        return pd.array([None if m else v for v, m in zip(values, missing)], dtype="boolean")
    return pd.array([None if m else str(v) for v, m in zip(values, missing)], dtype="string")


def frame_from_rows(rows, columns=COLUMNS, extra_order=None, labels=None, layout=None):
    """Build ONE DataFrame from row dicts (missing keys become NaN / <NA>).

    Schema columns come first with their schema dtypes (``timestamp`` is given
    as epoch seconds [s] in the rows); any other key becomes a label column
    after them: first those named in ``extra_order`` (in that order), then the
    others in first-seen order (numeric labels as float64, others as string).

    ``labels``, a list of ``(n, mapping)`` covering the rows in order, gives the
    same frame as updating each of the next ``n`` rows with ``mapping`` first
    (``row.update(mapping)``: a label named like a column overwrites it), without
    touching the rows and at a cost per run of rows, not per row.

    ``layout``, ``(fields, constants)``: a row may also be a tuple, the values of
    the columns ``fields`` in that order plus ``constants`` (column -> value),
    i.e. the row ``{**constants, **dict(zip(fields, row))}``; cheaper than dicts
    (a fast reader path makes them: ``cnimodel.io.iperf3.RECORD_LAYOUT``).

    Examples
    --------
    >>> df = frame_from_rows([{"tool": "iperf3", "throughput_bps": 9.4e9}, {"cni": "cilium"}])
    >>> df["throughput_bps"].tolist()[1] != df["throughput_bps"].tolist()[1]  # NaN, never 0
    True
    >>> list(df.columns[-1:])
    ['cni']
    >>> layout = (("source_file", "throughput_bps"), {"tool": "iperf3"})
    >>> frame_from_rows([("a.json", 9.4e9)], layout=layout)[["tool", "source_file"]].values.tolist()
    [['iperf3', 'a.json']]
    """
    names = [c.name for c in columns]
    known = set(names)
    n = len(rows)
    if layout is not None and rows:
        fields, consts = layout
        if set(map(type, rows)) == {tuple} and set(map(len, rows)) == {len(fields)} \
                and known.issuperset(fields) and known.issuperset(consts):  # records only
            col = _record_columns(rows, fields, consts, columns, labels)
            return _frame(col, n, columns, {}, extra_order, labels)
        rows = [dict(zip(fields, r), **consts) if type(r) is tuple else r for r in rows]
    keys = set().union(*rows) if rows else set()
    pending = keys - known
    if labels and pending:  # a key outside the schema in a row: its first-seen order needs the
        it = iter(rows)     # labels in the rows themselves
        rows = [{**r, **lab} for m, lab in labels for r in itertools.islice(it, m)] + list(it)
        return frame_from_rows(rows, columns, extra_order)
    extra = {}
    for r in rows:  # first-seen order; usually the first row has every label
        if not pending:
            break
        for k in r:
            if k in pending:
                extra[k] = None
                pending.discard(k)
    present = [k for k in names + list(extra) if k in keys]  # a column no row has: not looked up
    m = _to_matrix(rows, present)
    return _frame(dict(zip(present, m.T)) if rows else {}, n, columns, extra, extra_order, labels)


def _record_columns(rows, fields, consts, columns, labels):
    """Columns (name -> array) of tuple records: object arrays, the numeric fields no label
    overwrites already converted as :func:`_column_array` would convert them."""
    n = len(rows)
    m = np.fromiter(itertools.chain.from_iterable(rows), dtype=object,
                    count=n * len(fields)).reshape(n, len(fields))  # one pass, no zip(*rows)
    col = dict(zip(fields, m.T))
    for k, v in consts.items():
        col[k] = np.full(n, None, dtype=object)
        col[k].fill(v)
    dtypes = {c.name: c.dtype for c in columns}
    labelled = set().union(*(lab for _, lab in labels or ()))
    floats = [j for j, k in enumerate(fields)
              if k not in labelled and dtypes[k] in ("float64", "datetime64[ns, UTC]")]
    if floats:
        contiguous = floats == list(range(floats[0], floats[-1] + 1))
        try:  # in one conversion, row by row (the values of a row lie close in memory)
            block = np.array(m[:, floats[0]:floats[-1] + 1] if contiguous else m[:, floats],
                             dtype="float64")
        except (TypeError, ValueError):  # a value of another kind: _column_array decides
            block = None
        for i, j in enumerate(floats if block is not None else ()):
            col[fields[j]] = block[:, i]
    for k in fields:
        if dtypes[k] == "Int64" and k not in labelled:
            try:  # no None / NaN in it: what _column_array would do, without the mask pass
                col[k] = col[k].astype("int64")
            except (TypeError, ValueError, OverflowError):
                pass
    return col


def _frame(col, n, columns, extra, extra_order, labels):
    """The frame of :func:`frame_from_rows` from object columns ``col`` (name -> array of
    ``n`` values; a column absent from ``col`` is all missing) and the label runs."""
    import pandas as pd

    known = {c.name for c in columns}
    for m, lab in labels or ():  # labels: first-seen order too (no row key is outside the schema)
        for k in lab if m else ():
            if k not in known:
                extra.setdefault(k)

    def values(k):
        v = col.get(k)
        return np.full(n, np.nan, dtype=object) if v is None else v

    for k in set().union(*(lab for m, lab in labels if m)) if labels else ():
        v = col[k] = values(k)  # a view of the row matrix or a new column: values go in place
        i = 0
        for m, lab in labels:
            if k in lab:
                v[i:i + m].fill(lab[k])  # the object itself (fill does not unpack a list)
            i += m

    def array(c):
        if c.dtype == "float64" and c.name not in col:  # no row has it: all NaN, no conversion
            return np.full(n, np.nan)
        return _column_array(values(c.name), c.dtype)

    data = {c.name: array(c) for c in columns}
    for k in extra:
        data[k] = _infer_array(values(k))
    if extra_order is not None:
        order = [k for k in extra_order if k in extra] + [k for k in extra if k not in extra_order]
        data = {**{c.name: data[c.name] for c in columns}, **{k: data[k] for k in order}}
    return pd.DataFrame(data, index=pd.RangeIndex(n))


# ----------------------------------------------------------------------------- quality check
#: columns that hold a rate, a latency, a duration, a size or a count: a kept value is finite
#: and >= 0 (NaN = missing is fine); ``lost_fraction`` is also <= 1
NONNEGATIVE = ("streams", "msg_size_bytes", "duration_s", "throughput_bps", "transactions_per_s",
               "latency_mean_s", "latency_p50_s", "latency_p90_s", "latency_p99_s", "retransmits",
               "lost_fraction", "jitter_s", "mss_bytes", "pmtu_bytes", "cpu_local_fraction",
               "cpu_remote_fraction", "rtt_mean_s", "rtt_min_s", "rtt_max_s", "cpu_local_cores",
               "cpu_remote_cores", "latency_min_s", "latency_max_s", "latency_stddev_s")
#: what identifies one measured run: two rows alike in all of these are a duplicate key
ROW_KEY = ("source_file", "record", "series", "test", "protocol", "direction", "bidir", "streams",
           "msg_size_bytes")


@dataclass(frozen=True)
class Finding:
    """Something read but not kept, and why: a row the schema check did not keep, or what a
    reader dropped from a file it otherwise read (a flow without its receiver's report, a
    duplicate key in a JSON object, lines around a JSON document).  ``location`` names the
    record, line or key path; ``reason`` describes, never quotes, the content."""

    path: str
    location: str
    reason: str


def check_frame(df):
    """The one quality check of the values readers keep: ``(kept rows, findings)``.

    A row is not kept (it becomes a :class:`Finding`) when
    * a rate, latency, duration, size or count (:data:`NONNEGATIVE`) is infinite or negative,
      or ``lost_fraction`` is above 1;
    * ``throughput_bps`` or ``transactions_per_s`` is exactly 0 and the row does not say that
      every datagram was lost (``lost_fraction`` 1): a run that moved nothing without an error
      is a tool's misreport (iperf3 3.9 ``-n`` runs, knb's failed tests), not a measurement;
    * another row has the same :data:`ROW_KEY` (file, record, series, test, protocol,
      direction ...): which of them is right is ambiguous, so none is kept.

    Examples
    --------
    >>> df = frame_from_rows([{"source_file": "a", "throughput_bps": 9e9},
    ...                       {"source_file": "b", "throughput_bps": -1.0},
    ...                       {"source_file": "c", "throughput_bps": 0.0}])
    >>> kept, found = check_frame(df)
    >>> kept.source_file.tolist(), [(f.path, f.reason.split(":")[0]) for f in found]
    (['a'], [('b', 'throughput_bps -1'), ('c', 'throughput_bps 0')])
    """
    import pandas as pd

    n = len(df)
    if n == 0:
        return df, []
    reasons = [None] * n

    def flag(mask, why):
        for i in np.flatnonzero(mask):
            if reasons[i] is None:
                reasons[i] = why(i)

    for k in NONNEGATIVE:
        if k not in df:
            continue
        v = df[k].to_numpy("float64", na_value=np.nan)
        bad = np.isinf(v) | (v < 0) | ((v > 1) if k == "lost_fraction" else False)
        if bad.any():
            flag(bad, lambda i, k=k, v=v: f"{k} {v[i]:g}: expected a finite value >= 0"
                 + (" and <= 1" if k == "lost_fraction" else "") + " (not kept)")
    lost = df["lost_fraction"].to_numpy("float64", na_value=np.nan)
    for k in ("throughput_bps", "transactions_per_s"):
        v = df[k].to_numpy("float64", na_value=np.nan)
        zero = (v == 0) & ~(lost == 1)
        if zero.any():
            flag(zero, lambda i, k=k: f"{k} 0: the run moved nothing and reported no error "
                 "(a tool misreport or a failed test, not a measurement; not kept)")
    key = df[list(ROW_KEY)].astype(object).where(df[list(ROW_KEY)].notna(), None)
    dup = key.duplicated(keep=False).to_numpy()
    if dup.any():
        flag(dup, lambda i: "duplicate row key (" + ", ".join(
            f"{k}={key.iat[i, j]}" for j, k in enumerate(ROW_KEY) if key.iat[i, j] is not None)
            + "): two rows claim the same run; none kept")
    bad = np.array([r is not None for r in reasons])
    if not bad.any():
        return df, []
    rec = df["record"].to_numpy(object, na_value=None) if "record" in df else [None] * n
    src = df["source_file"].to_numpy(object, na_value=None)
    findings = [Finding(str(src[i]), f"record {rec[i]}" + (f", series {df['series'].iat[i]}"
                        if df["series"].iat[i] is not pd.NA else ""), reasons[i])
                for i in np.flatnonzero(bad)]
    return df[~bad].reset_index(drop=True), findings
