"""The one unit and display table: SI columns shown as Gbit/s, microseconds, percent.

Computations stay in SI base units; this module only names, scales and formats
columns for people reading a table, a plot axis or the planner.  Every reader of
a number (summary tables, report plots, the planner's cells, the CLI) takes its
unit from :func:`unit`, so one column shows the same way everywhere.

Examples
--------
>>> import pandas as pd
>>> to_display(pd.DataFrame({"goodput_bps": [9.415e9], "latency_p99_s": [61e-6]})).columns.tolist()
['goodput [Gbit/s]', 'latency p99 [us]']
>>> unit("latency_p99_s")
Unit(what='p99 latency', better='lower', scale=1000000.0, unit='us')
>>> format_value("throughput_bps", 9.4151e9), format_value("latency_p99_s", float("inf"))
('9.415', 'saturated')
"""
from __future__ import annotations

import math
from typing import NamedTuple

__all__ = ["Unit", "QUANTITIES", "SUFFIX_UNITS", "unit", "display_name", "label", "to_display",
           "format_value"]


class Unit(NamedTuple):
    """How a column is read: what it is, which direction is better, display scale and unit."""

    what: str
    better: str | None
    scale: float
    unit: str


#: Named columns: column -> (what it is, better direction, display scale, display unit).
QUANTITIES = {
    "throughput_bps": Unit("throughput", "higher", 1e-9, "Gbit/s"),
    "goodput_bound_bps": Unit("line-rate goodput bound", "higher", 1e-9, "Gbit/s"),
    "cpu_bound_bps": Unit("CPU bound", "higher", 1e-9, "Gbit/s"),
    "offered_bps": Unit("offered load", None, 1e-9, "Gbit/s"),
    "transactions_per_s": Unit("transaction rate", "higher", 1.0, "1/s"),
    "latency_mean_s": Unit("latency", "lower", 1e6, "us"),
    "latency_p50_s": Unit("median latency", "lower", 1e6, "us"),
    "latency_p90_s": Unit("p90 latency", "lower", 1e6, "us"),
    "latency_p99_s": Unit("p99 latency", "lower", 1e6, "us"),
    "rtt_s": Unit("smoothed RTT", "lower", 1e6, "us"),
    "jitter_s": Unit("jitter", "lower", 1e6, "us"),
    "lost_fraction": Unit("lost datagrams", "lower", 100.0, "%"),
    "retransmits": Unit("retransmits", "lower", 1.0, "segments"),
    "snd_cwnd_bytes": Unit("congestion window", None, 1e-3, "kB"),
    "utilisation": Unit("utilisation", None, 100.0, "%"),
    "max_utilisation": Unit("max utilisation", "higher", 100.0, "%"),
    "cpu_cores_used": Unit("network CPU", "lower", 1.0, "cores"),
    "max_pods_per_node": Unit("max pods per node", "higher", 1.0, "pods"),
    "nodes_needed": Unit("nodes needed", "lower", 1.0, "nodes"),
    "max_nodes": Unit("max nodes (addresses, routes)", "higher", 1.0, "nodes"),
    "cluster_pods_per_node": Unit("max pods per node (all limits)", "higher", 1.0, "pods"),
    "addresses_per_node": Unit("pod addresses per node", "higher", 1.0, "addresses"),
}

#: Other columns by the unit in their name, first match wins: (suffix, scale, unit).
SUFFIX_UNITS = (
    ("_bps", 1e-9, "Gbit/s"),
    ("_per_s", 1.0, "1/s"),
    ("_s", 1e6, "us"),
    ("_fraction", 100.0, "%"),
    ("_bytes", 1.0, "B"),
    ("efficiency", 100.0, "%"),
)

#: Digits shown per display unit by :func:`format_value` (others: whole numbers).
_FORMATS = {"Gbit/s": "{:.3f}", "us": "{:.1f}", "%": "{:.1f}", "cores": "{:.2f}", "kB": "{:.1f}"}


def _suffix(column: str):
    for suffix, scale, shown in SUFFIX_UNITS:
        if column.endswith(suffix):
            base = column[: -len(suffix)] if suffix.startswith("_") else column
            return base, scale, shown
    return None


def unit(column: str) -> Unit:
    """The :class:`Unit` of a column: from :data:`QUANTITIES`, else from its suffix, else none."""
    if column in QUANTITIES:
        return QUANTITIES[column]
    s = _suffix(column)
    if s is None:
        return Unit(column.replace("_", " "), None, 1.0, "")
    return Unit(s[0].replace("_", " "), None, s[1], s[2])


def display_name(column: str) -> str:
    """Table header for an SI column name: ``goodput_bps`` -> ``goodput [Gbit/s]`` (the column's
    own words, the unit moved into brackets)."""
    s = _suffix(column)
    if s is None:
        return column.replace("_", " ")
    return f"{s[0].replace('_', ' ')} [{s[2]}]"


def label(column: str) -> str:
    """Axis or row label: what the column is and its unit, ``latency_p99_s`` -> ``p99 latency [us]``."""
    u = unit(column)
    return f"{u.what} [{u.unit}]" if u.unit else u.what


def to_display(df, digits: int = 4):
    """Copy of ``df`` with SI columns scaled for reading and units in the headers."""
    out = df.copy()
    for col in df.columns:
        s = _suffix(str(col))
        if s is not None and df[col].dtype.kind in "fiu" and s[1] != 1.0:
            out[col] = df[col] * s[1]
    numeric = [c for c in out.columns if out[c].dtype.kind == "f"]
    out[numeric] = out[numeric].round(digits)
    out.columns = [display_name(str(c)) for c in df.columns]
    return out


def format_value(column: str, value) -> str:
    """Display text of one value in the column's display unit (the unit itself not included).

    NaN / None read ``n/a``; infinite latency reads ``saturated``; text is shown as is.

    >>> format_value("latency_p99_s", 61.25e-6), format_value("nodes_needed", float("nan"))
    ('61.2', 'n/a')
    """
    if isinstance(value, str):
        return value or "-"
    if value is None:
        return "n/a"
    try:
        v = float(value)
    except (TypeError, ValueError):
        return str(value)
    if math.isnan(v):
        return "n/a"
    if math.isinf(v):
        return "saturated" if column.startswith("latency") else "inf"
    u = unit(column)
    return _FORMATS.get(u.unit, "{:.0f}").format(v * u.scale)
