"""Scenario columns of the evaluation engine: defaults, gathering and light-weight helpers.

A scenario table is a DataFrame or a dict of columns (scalars broadcast); :func:`scenario_columns`
turns it into 0-d values or 1-d arrays of one common length.  Missing values of the columns in
:data:`FILL` take their default (:data:`SCENARIO_DEFAULTS`).
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from ..errors import ParameterError

__all__ = ["SCENARIO_DEFAULTS", "FILL", "DEFAULT_SEND_BYTES", "WIRE_KINDS", "TESTS",
           "scenario_columns", "is_scalar", "factorize", "uniform", "where"]

#: Scenario columns and their defaults (NaN: see :func:`cnimodel.predict.predict`).
SCENARIO_DEFAULTS = {
    "path": None, "underlay_mtu_bytes": 1500.0, "encap": None, "pod_mtu_bytes": np.nan,
    "link_rate_bps": 10e9, "accounting": "wire", "ip_version": 4, "protocol": "tcp",
    "test": "stream", "msg_size_bytes": np.nan, "response_size_bytes": np.nan, "streams": 1,
    "load": 0.0, "cores": np.nan, "offload": True, "loss_rate": 0.0, "extra_rtt_s": 0.0,
    "retransmit_fraction": 0.0, "shaper_burst_bytes": np.nan, "wire_kind": "nic",
    "node_cores": np.nan, "rx_queues": np.nan, "rx_flow_entropy": None, "csum_offload": True,
    "netfilter_rules": 0.0,
}
#: Columns whose missing values (NaN / None) take the default (``link_rate_bps`` NaN = unshaped).
FILL = ("underlay_mtu_bytes", "accounting", "ip_version", "protocol", "test", "streams", "load",
        "offload", "loss_rate", "extra_rtt_s", "retransmit_fraction", "wire_kind", "csum_offload",
        "netfilter_rules")
#: Send size of a TCP stream when ``msg_size_bytes`` is NaN: iperf3's default ``-l`` for TCP
#: (128 KiB, iperf3(1) manual) [bytes].
DEFAULT_SEND_BYTES = 131072.0
#: Kinds of wire between the nodes (column ``wire_kind``).
WIRE_KINDS = ("nic", "veth")
#: Tests of the model: bulk stream, request/response, connect/request/response.
TESTS = ("stream", "rr", "crr")


def is_scalar(v):
    """True for a string, None or a 0-d value (a column that broadcasts)."""
    return isinstance(v, (str, bytes)) or v is None or np.ndim(v) == 0


def factorize(name, v):
    """(codes or 0, uniques) of a scalar or 1-d array of labels; Categorical fast path."""
    if is_scalar(v):
        return np.int64(0), [v]
    if isinstance(v, pd.Series) and isinstance(v.dtype, pd.CategoricalDtype):
        return v.cat.codes.to_numpy(), list(v.cat.categories)
    if isinstance(v, pd.Categorical):
        return np.asarray(v.codes), list(v.categories)
    if not isinstance(v, pd.Series):
        v = np.asarray(v, dtype=object)
    codes, uniq = pd.factorize(v, use_na_sentinel=False)
    return np.asarray(codes), list(uniq)


def scenario_columns(scenarios, columns):
    """Scenario columns as 0-d values or 1-d arrays of one common length n, plus n and the frame.

    Returns ``(cols, n, frame)``: ``frame`` is the ``scenarios`` DataFrame (index reset) or None.
    """
    frame = None
    cols = {}
    if scenarios is not None:
        if isinstance(scenarios, pd.DataFrame):
            frame = scenarios.reset_index(drop=True)
            cols.update({k: frame[k] for k in frame.columns})
        elif isinstance(scenarios, dict):
            cols.update(scenarios)
        else:
            raise ParameterError("scenarios", type(scenarios).__name__, "a DataFrame or a dict of columns")
    cols.update(columns)
    if cols.get("path") is None:
        raise ParameterError("path", None, "a path name (column 'path')")
    shapes = {k: np.shape(v) for k, v in cols.items() if not is_scalar(v)}
    for k, s in shapes.items():
        if len(s) != 1:
            raise ParameterError(k, f"array of shape {s}", "a scalar or a 1-d column")
    lens = {s[0] for s in shapes.values()}
    if len(lens) > 1:
        raise ParameterError("scenarios", sorted(lens), "columns of one common length")
    n = lens.pop() if lens else 1
    out = {}
    for k, v in cols.items():
        if isinstance(v, pd.Series):
            v = v.reset_index(drop=True)
            if not isinstance(v.dtype, pd.CategoricalDtype) and v.dtype.kind in "biufcmM":
                v = v.to_numpy()
        elif isinstance(v, (list, tuple)):
            v = np.asarray(v, dtype=object if any(isinstance(x, str) or x is None for x in v) else None)
        out[k] = _fill_default(k, v)
    return out, n, frame


def _fill_default(k, v):
    if k not in FILL or is_scalar(v):
        if k in FILL and is_scalar(v) and (v is None or (not isinstance(v, str) and pd.isna(v))):
            return SCENARIO_DEFAULTS[k]
        return v
    if isinstance(v, pd.Series):
        return v.fillna(SCENARIO_DEFAULTS[k]) if v.hasnans else v
    a = np.asarray(v)
    if a.dtype.kind == "f":
        miss = np.isnan(a)
    elif a.dtype.kind == "O":
        miss = pd.isna(a)
    else:
        return v
    if miss.any():
        a = a.copy()
        a[miss] = SCENARIO_DEFAULTS[k]
    return a


def uniform(a):
    """A 0-d value when every element of ``a`` is equal (saves per-row work), else ``a``."""
    a = np.asarray(a)
    if a.ndim and a.size and (a == a.flat[0]).all():
        return a.flat[0]
    return a


def where(cond, a, b):
    """``np.where`` that skips the per-row work when ``cond`` is a scalar."""
    if np.ndim(cond) == 0:
        return a if cond else b
    return np.where(cond, a, b)
