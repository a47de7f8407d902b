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
import zlib
from typing import NamedTuple

import numpy as np
import pandas as pd

__all__ = ["Unit", "QUANTITIES", "SUFFIX_UNITS", "unit", "display_name", "label", "to_display",
           "format_value", "format_table", "style_table", "table_columns", "per_row_units", "PATH_COLORS",
           "OTHER_COLORS", "path_color"]


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
    "duration_s": Unit("duration", None, 1.0, "s"),
    "snd_cwnd_bytes": Unit("congestion window", None, 1e-3, "kB"),
    "utilisation": Unit("utilisation", None, 100.0, "%"),
    "max_utilisation": Unit("max utilisation", "higher", 100.0, "%"),
    "cpu_cores_used": Unit("network CPU", "lower", 1.0, "cores"),
    "cpu_per_byte_s": Unit("CPU time per payload byte", "lower", 1e9, "ns/B"),
    "max_pods_per_node": Unit("max pods per node", "higher", 1.0, "pods"),
    "nodes_needed": Unit("nodes needed", "lower", 1.0, "nodes"),
    "max_nodes": Unit("max nodes (addresses, routes)", "higher", 1.0, "nodes"),
    "cluster_pods_per_node": Unit("max pods per node (all limits)", "higher", 1.0, "pods"),
    "addresses_per_node": Unit("pod addresses per node", "higher", 1.0, "addresses"),
}

#: Other columns by the unit in their name, first match wins: (suffix, scale, unit).
SUFFIX_UNITS = (
    ("_per_byte_s", 1e9, "ns/B"),
    ("_bps", 1e-9, "Gbit/s"),
    ("_per_s", 1.0, "1/s"),
    ("_s", 1e6, "us"),
    ("_fraction", 100.0, "%"),
    ("_bytes", 1.0, "B"),
    ("_cores", 1.0, "cores"),
    ("efficiency", 100.0, "%"),
)

#: Digits shown per display unit by :func:`format_value` (others: whole numbers).
_FORMATS = {"Gbit/s": "{:.3f}", "us": "{:.1f}", "%": "{:.1f}", "cores": "{:.2f}", "kB": "{:.1f}",
            "ns/B": "{:.2f}", "s": "{:.3f}"}


def _suffix(column: str):
    for suffix, scale, shown in SUFFIX_UNITS:
        if column.endswith(suffix):
            keep = 2 if suffix == "_per_byte_s" else len(suffix)  # "cpu per byte [ns/B]"
            base = column[: -keep] if suffix.startswith("_") else column
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


# -- tables for reading -------------------------------------------------------------------------

#: Header words that mark a fraction (0..1) column shown as percent by :func:`format_table`.
FRACTION_WORDS = ("_fraction", "share", "efficiency", "utilisation", "ci_level", "confidence",
                  "relative")

#: Decimals per display unit in :func:`format_table` (other numbers: about 4 significant digits).
_DECIMALS = {"Gbit/s": 3, "Mbit/s": 1, "us": 1, "ms": 2, "s": 3, "%": 1, "cores": 2, "kB": 1,
             "ns/B": 2}

def _header_unit(header: str) -> str:
    """Unit inside the last ``[...]`` of a display header (``'median [us]'`` -> ``'us'``)."""
    h = header.rstrip()
    if h.endswith("]") and "[" in h:
        return h[h.rindex("[") + 1:-1].strip()
    return ""


def _is_fraction(column: str, percent) -> bool:
    if column in percent:
        return True
    c = column.lower()
    if _header_unit(c):
        return False
    return any(c.endswith(w) or c == w.strip("_") for w in FRACTION_WORDS)


def _numeric(s):
    """Float array of a column when every non-missing value is a real number, else None."""
    if s.dtype.kind == "b":
        return None
    if s.dtype.kind in "fiu":
        return s.to_numpy(dtype=float, na_value=np.nan)
    vals = [v for v in s if not _missing(v)]
    if not vals or not all(isinstance(v, (int, float, np.integer, np.floating))
                           and not isinstance(v, (bool, np.bool_)) for v in vals):
        return None
    return np.array([np.nan if _missing(v) else float(v) for v in s], dtype=float)


def _missing(v) -> bool:
    """None, NaN, NaT or pd.NA (a scalar; a list or array is never missing)."""
    try:
        return bool(pd.isna(v)) if np.ndim(v) == 0 else False
    except (TypeError, ValueError):
        return False


def _decimals(values, unit_name: str) -> int | None:
    """Fixed decimals for a column, or None when its values span too many orders for one."""
    finite = values[np.isfinite(values)]
    if not finite.size:
        return 0
    if np.all(finite == np.round(finite)) and np.max(np.abs(finite)) < 1e15:
        return 0
    big = float(np.max(np.abs(finite)))
    nonzero = np.abs(finite[finite != 0])
    if unit_name in _DECIMALS:
        d = _DECIMALS[unit_name]
        small = float(np.min(nonzero)) if nonzero.size else 0.0
        # values below the shown precision (0.0004 %) get two significant digits
        while d < 6 and 0 < small < 10 ** -d:
            d += 1
        return d
    if (nonzero.size and big / float(np.min(nonzero)) > 1e4) or big < 1e-3:
        return None
    return int(max(0, min(6, 3 - math.floor(math.log10(big))))) if big else 0


def _cell(v: float, decimals: int | None, column: str) -> str:
    if math.isnan(v):
        return "n/a"
    if math.isinf(v):
        return "saturated" if "latency" in column and v > 0 else ("inf" if v > 0 else "-inf")
    if decimals is None:
        return f"{v:.3g}"
    return f"{v:.{decimals}f}"


def table_columns(df, percent=()):
    """How :func:`format_table` shows each column: ``{column: (header, scale, decimals)}``.

    ``decimals`` is None for a column shown with 3 significant digits per value, and the
    whole entry is None for a text or boolean column.
    """
    out = {}
    for col in df.columns:
        name = str(col)
        values = _numeric(df[col])
        if values is None:
            out[col] = None
            continue
        shown_unit = _header_unit(name)
        scale, header = 1.0, name
        if _is_fraction(name, percent):
            scale, shown_unit = 100.0, "%"
            header = (display_name(name) if name.endswith("_fraction")
                      else f"{name.replace('_', ' ').strip()} [%]")
        elif not shown_unit:
            s = _suffix(name)
            if s is not None:
                scale, shown_unit = s[1], s[2]
                if name in QUANTITIES:
                    scale, shown_unit = QUANTITIES[name].scale, QUANTITIES[name].unit
                header = f"{s[0].replace('_', ' ')} [{shown_unit}]"
            else:
                header = name.replace("_", " ")
        out[col] = (header, scale, _decimals(values * scale, shown_unit))
    return out


def format_table(df, *, percent=(), index: bool | None = None):
    """A copy of ``df`` for reading: every value a string, units in the headers.

    - SI columns (``throughput_bps``, ``latency_p99_s``, ``*_fraction``, ...) are scaled to
      their display unit (Gbit/s, us, %) and the unit goes into the header;
    - fractions (``*_fraction``, ``efficiency``, ``share``, ``ci_level``, ``relative`` or a
      column named in ``percent``) are shown as percent, header ``[%]``;
    - a column whose values are all whole numbers prints as integers (``1500``, not
      ``1500.000000``; ``75``, not ``75.0000``);
    - other numbers get one number of decimals per column: the unit's (Gbit/s 3, us 1, % 1)
      or about four significant digits; a column spanning more than four orders of
      magnitude (p-values) gets three significant digits per value;
    - missing values read ``n/a``, infinite latency ``saturated``, booleans ``yes`` / ``no``.

    Headers already in display form (``median [us]``) keep their name and are not scaled.
    A named or non-default index becomes leading columns (``index=True`` forces that,
    ``index=False`` drops the index).  Returns a DataFrame of strings with a default index.

    >>> import pandas as pd
    >>> t = format_table(pd.DataFrame({"mtu_bytes": [1500.0, 9000.0], "ci_level": [0.75, 0.95],
    ...                                "goodput_bps": [9.4151e9, 1.9e9], "n": [5.0, 7.0]}))
    >>> t.columns.tolist()
    ['mtu [B]', 'ci level [%]', 'goodput [Gbit/s]', 'n']
    >>> t.iloc[0].tolist()
    ['1500', '75', '9.415', '5']
    """
    default_index = isinstance(df.index, pd.RangeIndex) and df.index.name is None
    if index is None:
        index = not default_index
    frame = df.reset_index() if index else df.reset_index(drop=True)
    spec = table_columns(frame, percent)
    out = {}
    headers = []
    for col in frame.columns:
        s = spec[col]
        if s is None:
            header = str(col) if _header_unit(str(col)) else str(col).replace("_", " ")
            out[header] = ["n/a" if _missing(v) else ("yes" if v is True or v is np.True_ else
                                                      "no" if v is False or v is np.False_ else str(v))
                           for v in frame[col]]
        else:
            header, scale, decimals = s
            values = _numeric(frame[col]) * scale
            out[header] = [_cell(float(v), decimals, str(col)) for v in values]
        headers.append(header)
    return pd.DataFrame(out, columns=headers, dtype=object)


def per_row_units(df, name_column: str, value_columns, unit_column: str = "unit"):
    """Rows that each hold a different SI quantity (fitted parameters: ``base_rtt_s``,
    ``hop_cpu_s.veth``, ``cpu_per_byte_s``...), every row's ``value_columns`` scaled to the
    display unit of its name (the part before any ``.`` or ``[``), the unit in a new column
    after ``name_column``.  Rows whose name has no unit are left as they are.

    >>> import pandas as pd
    >>> t = per_row_units(pd.DataFrame({"parameter": ["base_rtt_s", "cpu_per_byte_s"],
    ...                                 "estimate": [1.377e-05, 1.65e-10]}), "parameter", ["estimate"])
    >>> t.to_dict("list")
    {'parameter': ['base_rtt_s', 'cpu_per_byte_s'], 'unit': ['us', 'ns/B'], 'estimate': [13.77, 0.165]}
    """
    out = df.copy()
    units = [unit(str(n).split("[")[0].split(".")[0]) for n in df[name_column]]
    scale = np.array([u.scale for u in units])
    for c in value_columns:
        out[c] = (df[c].to_numpy(dtype=float, na_value=np.nan) * scale).round(12)
    out.insert(list(out.columns).index(name_column) + 1, unit_column, [u.unit for u in units])
    return out


def style_table(df, *, percent=(), index: bool | None = None, caption: str | None = None):
    """:func:`format_table` as a pandas Styler: index hidden, numbers right-aligned, text
    left-aligned, the caption above.  For notebooks (``display(style_table(t))``) and ``.to_html()``."""
    t = format_table(df, percent=percent, index=index)
    numeric = [c for c in t.columns
               if len(t) and all(_looks_numeric(v) for v in t[c])]
    text = [c for c in t.columns if c not in numeric]
    st = t.style.hide(axis="index")
    if numeric:
        st = st.set_properties(subset=numeric, **{"text-align": "right"})
    if text:
        st = st.set_properties(subset=text, **{"text-align": "left"})
    st = st.set_table_styles([{"selector": "th", "props": [("text-align", "left")]}])
    if caption:
        st = st.set_caption(caption)
    return st


def _looks_numeric(v: str) -> bool:
    try:
        float(v.replace(" ", ""))
        return True
    except ValueError:
        return v in ("n/a", "saturated", "inf", "-inf")


# -- colours ------------------------------------------------------------------------------------

#: Colour of each built-in path, the same in every plot, the planner and the HTML report.
#: Assign ``PATH_COLORS["mycni"] = "#123456"`` to fix a registered path's colour yourself.
PATH_COLORS = {
    "host": "#333333",
    "bridge": "#1f77b4",
    "overlay": "#d62728",
    "routing": "#2ca02c",
    "underlay": "#9467bd",
}

#: Colours for other paths (registered or custom), none close to a built-in path's.
OTHER_COLORS = ("#ff7f0e", "#8c564b", "#e377c2", "#17becf", "#bcbd22", "#7f7f7f", "#393b79",
                "#ad494a", "#637939", "#e7ba52")


def path_color(name, i: int = 0) -> str:
    """Colour of a path (or any group value) by its name alone, so a path keeps its colour
    in every figure whatever else is plotted: built-in paths from :data:`PATH_COLORS`,
    others from :data:`OTHER_COLORS` by a stable hash of the name (``i`` is ignored; kept
    for old callers).

    >>> path_color("overlay"), path_color("cilium") == path_color("cilium")
    ('#d62728', True)
    """
    name = str(name)
    if name in PATH_COLORS:
        return PATH_COLORS[name]
    return OTHER_COLORS[zlib.crc32(name.encode()) % len(OTHER_COLORS)]
