"""Reader of k8s-netperf result CSV (any release: columns are found by header name).

One row per CSV line.  ``Avg Throughput`` with ``Throughput Metric`` ``Mb/s``
(10^6 bit/s) -> ``throughput_bps``, ``OP/s`` -> ``transactions_per_s``.  The
``99%tile Observed Latency`` (a MEAN of the per-sample P99s, ``Latency Metric``
usec/msec) goes to ``latency_p99_s`` for request/response profiles only; for
*_STREAM profiles it times send calls and is dropped.  ``series`` holds the
profile and the scenario flags (same node, host network, service).
"""
from __future__ import annotations

import csv
import io
import math

from ..errors import DataFormatError
from . import _common as C

__all__ = ["read_k8s_netperf", "parse_k8s_netperf"]

_UNIT = {"mb/s": ("throughput_bps", 1e6), "gb/s": ("throughput_bps", 1e9),
         "kb/s": ("throughput_bps", 1e3), "op/s": ("transactions_per_s", 1.0)}
_LAT = {"usec": 1e-6, "us": 1e-6, "msec": 1e-3, "ms": 1e-3, "sec": 1.0, "s": 1.0}
REQUIRED = ("Profile", "Avg Throughput", "Throughput Metric")


def read_k8s_netperf(path_or_buffer, source: str | None = None):
    """Read a k8s-netperf result CSV.

    Examples
    --------
    >>> csv_text = (b"Driver,Profile,Same node,Parallelism,Message Size,Avg Throughput,"
    ...             b"Throughput Metric,99%tile Observed Latency,Latency Metric\\n"
    ...             b"netperf,TCP_RR,false,1,1024,9333.98,OP/s,451.3,usec\\n")
    >>> r = read_k8s_netperf(csv_text).iloc[0]
    >>> print(r.test, r.transactions_per_s, round(r.latency_p99_s * 1e6, 3))
    rr 9333.98 451.3
    """
    from .schema import frame_from_rows

    data, name = C.read_bytes(path_or_buffer, source)
    return frame_from_rows(parse_k8s_netperf(data, name))


def parse_k8s_netperf(data: bytes, name: str) -> list:
    reader = csv.reader(io.StringIO(C.text(data, name)))
    try:
        header = next(reader)
    except StopIteration:
        raise DataFormatError(name, "line 1", "the k8s-netperf CSV header", found="an empty file") from None
    except csv.Error as exc:
        raise DataFormatError(name, "line 1", "CSV", found=C.unquoted(exc)) from None
    col = {h.strip().lower(): i for i, h in enumerate(header)}
    for req in REQUIRED:
        if req.lower() not in col:
            raise DataFormatError(name, "line 1", f"a header column {req!r} (k8s-netperf CSV)",
                                  found=f"a header of {len(header)} columns without it")
    rows = []
    try:
        for k, f in enumerate(reader):
            if not any(x.strip() for x in f):
                continue
            rows.append(_row(f, col, name, k, k + 2))
    except csv.Error as exc:
        raise DataFormatError(name, f"line {reader.line_num}", "CSV", found=C.unquoted(exc)) from None
    if not rows:
        raise DataFormatError(name, "line 2", "at least one result line", found="none")
    return rows


def _row(f, col, name, rec, lineno):
    where = f"line {lineno}"

    def get(key):
        i = col.get(key.lower())
        if i is None:
            return None
        if i >= len(f):
            raise DataFormatError(name, where, f"a value in column {key!r}", found=f"{len(f)} fields")
        return f[i].strip()

    def n(key):
        v = get(key)
        return None if v in (None, "") else C.fnum(v, name, f"{where} column {key!r}")

    profile = get("Profile")
    up = profile.upper()
    test = "crr" if "CRR" in up else "rr" if "RR" in up else "stream"
    proto = "udp" if up.startswith("UDP") else "tcp" if up.startswith("TCP") else None
    row = C.base_row("k8s-netperf", "k8s-netperf-csv", name, rec)
    flags = [f"{k.replace(' ', '_').lower()}={get(k)}" for k in ("Same node", "Host Network", "Service")
             if get(k) is not None]
    row.update(series=" ".join([f"{get('Driver') or ''}/{profile}".lstrip("/")] + flags),
               test=test, protocol=proto, direction="send")
    par = n("Parallelism")
    row["streams"] = int(par) if par is not None and math.isfinite(par) else None
    row["duration_s"] = n("Duration")
    row["msg_size_bytes"] = n("Message Size")
    unit = (get("Throughput Metric") or "").lower()
    if unit not in _UNIT:
        raise DataFormatError(name, f"{where} column 'Throughput Metric'", "Mb/s, Gb/s, Kb/s or OP/s",
                              found=f"another unit ({C.describe(get('Throughput Metric'))})")
    target, fac = _UNIT[unit]
    row[target] = n("Avg Throughput") * fac
    lat = n("99%tile Observed Latency")
    if lat is not None and test in ("rr", "crr"):
        lu = (get("Latency Metric") or "usec").lower()
        if lu not in _LAT:
            raise DataFormatError(name, f"{where} column 'Latency Metric'", "usec or msec",
                                  found=f"another unit ({C.describe(lu)})")
        row["latency_p99_s"] = lat * _LAT[lu]
    return row
