"""Array helpers shared by the vectorized model front-ends: shape the outputs like the inputs.

A model function called with scalars returns 0-d values; with arrays, arrays of their broadcast
shape; with a pandas Series, a Series on the same index.  (Input checks live in
:mod:`cnimodel.validation`.)
"""
from __future__ import annotations

import numpy as np
import pandas as pd

__all__ = ["index_of", "wrap", "shape_like"]


def index_of(*args):
    """Index of the first pandas Series among ``args`` (None when there is none)."""
    for a in args:
        if hasattr(a, "index") and hasattr(a, "iloc"):
            return a.index
    return None


def wrap(value, index):
    """``value`` as a Series on ``index`` (unchanged when ``index`` is None)."""
    if index is None:
        return value
    return pd.Series(np.broadcast_to(value, (len(index),)), index=index)


def shape_like(values, cols):
    """Flat ``values`` shaped like the inputs ``cols`` (a dict of scenario columns).

    Scalar out for all-scalar input; the Series index kept for a Series input; else the
    broadcast shape of the array inputs.
    """
    v = np.asarray(values)
    shaped = [c for c in cols.values() if np.ndim(c) > 0 and not isinstance(c, str)]
    if not shaped:
        return v.reshape(()) if v.size == 1 else v
    for c in shaped:
        if hasattr(c, "index") and hasattr(c, "iloc"):
            return pd.Series(v, index=c.index)
    return v.reshape(np.broadcast_shapes(*(np.shape(c) for c in shaped)))
