"""The one JSON cleaner: any result of the package as strict JSON (RFC 8259).

Rule (the only one, used by ``summary.json``, the batch index, the CLI's ``--json``
output and the planner's scenario export):

- NaN, +inf, -inf, pandas ``NA`` and ``NaT`` become ``null``: strict JSON has no
  non-finite numbers (RFC 8259, section 6), and a reader in another language must
  not meet ``NaN`` or ``Infinity``.  Where infinity carries a meaning (a saturated
  path's latency), the result also holds an explicit flag (``saturated``), so
  nothing is lost;
- numpy and pandas scalars become Python ``int`` / ``float`` / ``bool``; arrays,
  tuples and sets become lists; mapping keys become strings;
- dates and times become ISO 8601 text; any other object its ``str``.

Examples
--------
>>> import numpy as np
>>> jsonable({"a": np.float64(1.5), "b": [np.nan, np.int64(2)], "c": (True, None, float("inf"))})
{'a': 1.5, 'b': [None, 2], 'c': [True, None, None]}
>>> dumps({"x": np.array([1.0, np.inf])})
'{"x": [1.0, null]}'
"""
from __future__ import annotations

import datetime as _dt
import json
import math

__all__ = ["jsonable", "dumps"]


def jsonable(value):
    """``value`` as plain, strict-JSON Python objects (see the module's rule).

    Parameters
    ----------
    value : object
        Nested dicts / lists / tuples of Python, numpy or pandas values.

    Returns
    -------
    object
        Made of ``dict``, ``list``, ``str``, ``int``, ``float`` (finite), ``bool`` and ``None``.
    """
    if isinstance(value, dict):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple, set, frozenset)):
        return [jsonable(v) for v in value]
    if value is None or isinstance(value, (str, bool)):
        return value
    if isinstance(value, int):
        return int(value)
    if isinstance(value, float):
        return float(value) if math.isfinite(value) else None
    if type(value).__name__ in ("NAType", "NaTType"):
        return None
    if isinstance(value, (_dt.datetime, _dt.date, _dt.time)):
        return value.isoformat()
    # numpy / pandas scalars and arrays, without importing them here
    if hasattr(value, "tolist"):
        return jsonable(value.tolist())
    if hasattr(value, "item"):
        return jsonable(value.item())
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return str(value)


def dumps(value, **kwargs) -> str:
    """``json.dumps(jsonable(value))``; raises if anything non-finite were left (it cannot be).

    Keyword arguments go to :func:`json.dumps` (``indent``, ``sort_keys``, ...).
    """
    kwargs.setdefault("allow_nan", False)
    return json.dumps(jsonable(value), **kwargs)
