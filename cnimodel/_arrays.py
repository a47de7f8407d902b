"""Small helpers shared by the vectorized model modules (no I/O, numpy only)."""
from __future__ import annotations

import numpy as np

from .errors import ParameterError


def _index_of(*args):
    for a in args:
        if hasattr(a, "index") and hasattr(a, "iloc"):
            return a.index
    return None


def _wrap(value, index):
    if index is None:
        return value
    import pandas as pd

    return pd.Series(np.broadcast_to(value, (len(index),)), index=index)


def _check(name, arr, ok, allowed, detail=""):
    """Raise ParameterError naming the first element of ``arr`` where ``ok`` is False."""
    ok = np.asarray(ok)
    if ok.all():
        return
    a = np.asarray(arr)
    a = np.broadcast_to(a, np.broadcast_shapes(a.shape, ok.shape))
    first = a[~np.broadcast_to(ok, a.shape)].flat[0]
    if isinstance(first, np.generic):
        first = first.item()
    if isinstance(first, float) and first.is_integer():
        first = int(first)
    raise ParameterError(name, first, allowed, detail)
