"""Display-only conversion of tidy SI frames: Gbit/s, microseconds, percent.

Computations stay in SI base units; these helpers only rename and scale
columns for people reading a table.  The unit moves into the column header.

Examples
--------
>>> import pandas as pd
>>> to_display(pd.DataFrame({"goodput_bps": [9.415e9], "latency_p99_s": [61e-6]})).columns.tolist()
['goodput [Gbit/s]', 'latency p99 [us]']
"""
from __future__ import annotations

#: suffix -> (scale, unit shown)
_UNITS = (
    ("_bps", 1e-9, "Gbit/s"),
    ("_s", 1e6, "us"),
    ("_fraction", 100.0, "%"),
    ("_bytes", 1.0, "B"),
    ("efficiency", 100.0, "%"),
)


def display_name(column: str) -> str:
    """Human header for an SI column name: ``goodput_bps`` -> ``goodput [Gbit/s]``."""
    for suffix, _, unit in _UNITS:
        if column.endswith(suffix):
            base = column[: -len(suffix)] if suffix.startswith("_") else column
            return f"{base.replace('_', ' ')} [{unit}]"
    return column.replace("_", " ")


def to_display(df, digits: int = 4):
    """Copy of ``df`` with SI columns scaled for reading and units in the headers."""
    out = df.copy()
    for col in df.columns:
        for suffix, scale, _unit in _UNITS:
            if str(col).endswith(suffix) and df[col].dtype.kind in "fiu":
                out[col] = df[col] * scale if scale != 1.0 else df[col]
                break
    numeric = [c for c in out.columns if out[c].dtype.kind == "f"]
    out[numeric] = out[numeric].round(digits)
    out.columns = [display_name(str(c)) for c in df.columns]
    return out
