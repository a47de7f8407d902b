"""Reader of flent ``.flent.gz`` data files (format versions 2, 3 and 4), summarised per series.

One row per measured data series (``series`` = the flent series name): series in
``Mbits/s`` (or ``Kbps``) give ``throughput_bps`` = mean of the series' samples;
series in ``ms`` (ping, irtt) give ``latency_mean_s`` / ``latency_p50_s`` /
``latency_p90_s`` / ``latency_p99_s`` from the samples (round trips).  Sub-series
(``name::tcp_rtt``, ``cpu_stats_*``) and computed aggregates (``avg``,
``fairness``) are not rows; the ``sum`` aggregate is kept (``streams`` = members).
``direction``: ``upload`` -> send, ``download`` -> receive.
"""
from __future__ import annotations

from datetime import datetime

from ..errors import DataFormatError
from . import _common as C

__all__ = ["read_flent", "parse_flent"]

_SCALE = {"mbits/s": 1e6, "kbps": 1e3, "kbits/s": 1e3, "gbits/s": 1e9, "bits/s": 1.0}


def read_flent(path_or_buffer, source: str | None = None):
    """Read a flent data file (gzip JSON) into the tidy schema, one row per series."""
    from .schema import frame_from_rows

    data, name = C.read_bytes(path_or_buffer, source)
    return frame_from_rows(parse_flent(data, name))


def _epoch(s):
    if not isinstance(s, str):
        return None
    try:
        dt = datetime.fromisoformat(s.rstrip("Z"))
    except ValueError:
        return None
    return dt.timestamp() if dt.tzinfo else (dt - datetime(1970, 1, 1)).total_seconds()


def _pct(sorted_vals, q):
    k = (len(sorted_vals) - 1) * q
    lo = int(k)
    hi = min(lo + 1, len(sorted_vals) - 1)
    return sorted_vals[lo] + (sorted_vals[hi] - sorted_vals[lo]) * (k - lo)


def parse_flent(data: bytes, name: str) -> list:
    doc = C.loads(data, name)
    if not isinstance(doc, dict):
        raise DataFormatError(name, "top level", "a flent JSON object", found=type(doc).__name__)
    version = doc.get("version")
    if isinstance(version, bool) or not isinstance(version, int) or not 1 <= version <= 4:
        raise DataFormatError(name, "version", "a flent data format version 1..4",
                              found=C.describe(version))
    meta = C.dig(doc, "metadata", name)
    results = C.dig(doc, "results", name)
    smeta = meta.get("SERIES_META") or {}
    if not isinstance(smeta, dict):
        raise DataFormatError(name, "metadata.SERIES_META", "a JSON object", found=type(smeta).__name__)
    fv = meta.get("FLENT_VERSION")
    t0 = _epoch(meta.get("T0") or meta.get("TIME"))
    rows = []
    names = list(results)
    for rec, series in enumerate(names):
        if "::" in series or series.startswith("cpu_stats") or series.endswith((" avg", " fairness")) \
                or series == "TCP totals":
            continue
        vals = results[series]
        if not isinstance(vals, list):
            raise DataFormatError(name, f"results[{series!r}]", "a list of samples",
                                  found=type(vals).__name__)
        sm = smeta.get(series) if isinstance(smeta.get(series), dict) else {}
        units = str(sm.get("UNITS") or ("ms" if series.startswith("Ping") else
                                         "Mbits/s" if series.startswith(("TCP", "UDP")) else "")).lower()
        xs = []
        for i, v in enumerate(vals):
            if v is None:
                continue
            xs.append(C.num(v, name, f"results[{series!r}][{i}]"))
        low = series.lower()
        row = C.base_row("flent", f"flent-v{version}", name, rec)
        row.update(tool_version=fv if isinstance(fv, str) else None, series=series, timestamp=t0,
                   direction="receive" if "download" in low else "send")
        length = meta.get("LENGTH")
        if isinstance(length, (int, float)) and not isinstance(length, bool):
            row["duration_s"] = float(length)
        if units in _SCALE:
            row.update(test="stream", protocol="udp" if low.startswith("udp") else "tcp")
            if low.endswith(" sum"):
                base = series[:-4]
                row["streams"] = sum(1 for s in names if s != series and s.startswith(base) and (
                    ("::" not in s and not s.endswith((" avg", " fairness")))
                    or (s.count("::") == 1 and s.split("::")[1].isdigit()))) or None
            else:
                row["streams"] = 1
            row["throughput_bps"] = sum(xs) / len(xs) * _SCALE[units] if xs else None
        elif units == "ms":
            row.update(test="http" if "http" in low else "ping", protocol="icmp" if "icmp" in low else "udp" if "udp" in low else None)
            if xs:
                s = sorted(xs)
                row.update(latency_mean_s=sum(xs) / len(xs) / 1e3, latency_p50_s=_pct(s, 0.5) / 1e3,
                           latency_p90_s=_pct(s, 0.9) / 1e3, latency_p99_s=_pct(s, 0.99) / 1e3)
        else:
            continue
        rows.append(row)
    if not rows:
        raise DataFormatError(name, "results", "at least one throughput (Mbits/s) or latency (ms) "
                              "series", found=", ".join(names[:6]) or "none")
    return rows
