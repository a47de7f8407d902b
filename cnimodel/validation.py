"""The one home of input checks: numbers, ranges, flags (numpy only, no I/O).

Every check raises :class:`~cnimodel.errors.ParameterError` naming the parameter, the first
offending value (for arrays: the first offending element) and the allowed values, so a user
can fix the input from the message alone.  Model modules, the planner and the CLI call these
functions instead of writing their own.

- :func:`as_array`: a number or an array of numbers (integer arrays may stay integer);
- :func:`check`: raise for the first element where a condition is False;
- :func:`check_range`: an array within bounds (NaN and infinity refused unless allowed);
- :func:`check_scalar`: one number within bounds (optionally a whole number);
- :func:`as_bool`: a flag or an array of flags;
- :func:`check_choice`: one of a fixed set of values.

Examples
--------
>>> check_range("loss_rate", [0.0, 0.5], lo=0, hi=1, hi_strict=True).tolist()
[0.0, 0.5]
>>> check_range("loss_rate", [0.1, 1.2], lo=0, hi=1, hi_strict=True)
Traceback (most recent call last):
...
cnimodel.errors.ParameterError: invalid loss_rate=1.2: allowed 0 <= value < 1
>>> check_scalar("streams", 2.0, lo=1, integer=True)
2
"""
from __future__ import annotations

import math

import numpy as np

from .errors import ParameterError

__all__ = ["as_array", "check", "check_range", "check_scalar", "as_bool", "range_text",
           "check_choice"]


def as_array(name, value, keep_int=False):
    """``value`` as a numpy float array (``keep_int``: integer arrays stay integer).

    >>> as_array("mtu", [1500, 9000], keep_int=True).dtype.kind
    'i'
    >>> as_array("mtu", "big")
    Traceback (most recent call last):
    ...
    cnimodel.errors.ParameterError: invalid mtu='big': allowed a number or an array of numbers
    """
    try:
        arr = np.asarray(value)
        if not keep_int or arr.dtype.kind not in "iu":
            arr = arr.astype(float, copy=False)
    except (TypeError, ValueError):
        shown = value if np.ndim(value) == 0 or isinstance(value, str) else "array"
        raise ParameterError(name, shown, "a number or an array of numbers") from None
    return arr


def check(name, arr, ok, allowed, detail="", integral_as_int=True):
    """Raise :class:`ParameterError` naming the first element of ``arr`` where ``ok`` is False.

    ``integral_as_int``: show a whole float as an integer (``1500`` rather than ``1500.0``).
    """
    ok = np.asarray(ok)
    if ok.all():
        return
    a = np.asarray(arr)
    a = np.broadcast_to(a, np.broadcast_shapes(a.shape, ok.shape))
    first = a[~np.broadcast_to(ok, a.shape)].flat[0]
    if isinstance(first, np.generic):
        first = first.item()
    if integral_as_int and isinstance(first, float) and first.is_integer():
        first = int(first)
    raise ParameterError(name, first, allowed, detail)


def range_text(lo=None, hi=None, lo_strict=False, hi_strict=False, what="value"):
    """The allowed-range phrase of :func:`check_range` (``"0 <= value < 1"``, ``"> 0"``)."""
    g = lambda x: f"{x:g}" if isinstance(x, float) else str(x)  # noqa: E731
    if lo is not None and hi is not None:
        return f"{g(lo)} {'<' if lo_strict else '<='} {what} {'<' if hi_strict else '<='} {g(hi)}"
    if lo is not None:
        return f"{'>' if lo_strict else '>='} {g(lo)}"
    if hi is not None:
        return f"{'<' if hi_strict else '<='} {g(hi)}"
    return "a number"


def check_range(name, value, lo=None, hi=None, *, lo_strict=False, hi_strict=False,
                nan_ok=False, inf_ok=False, allowed=None, detail="", keep_int=False,
                integral_as_int=False):
    """``value`` as an array, every element within ``[lo, hi]`` (strict ends as asked).

    NaN is refused unless ``nan_ok`` (then it passes unchecked); infinity is refused unless
    ``inf_ok`` (then only the bounds apply).  ``allowed`` replaces the generated phrase in
    the error (:func:`range_text`).  Returns the array (float, or integer with ``keep_int``).

    >>> check_range("cores", [float("nan"), 2.0], lo=0, lo_strict=True, nan_ok=True).tolist()
    [nan, 2.0]
    >>> check_range("cores", 0, lo=0, lo_strict=True, allowed="> 0 (or NaN: one per stream)")
    Traceback (most recent call last):
    ...
    cnimodel.errors.ParameterError: invalid cores=0.0: allowed > 0 (or NaN: one per stream)
    """
    a = as_array(name, value, keep_int=keep_int)
    if a.dtype.kind in "iu":
        ok = np.ones(a.shape, bool)
    else:
        nan = np.isnan(a)
        ok = ~nan if inf_ok else np.isfinite(a)
    if lo is not None:
        ok &= (a > lo) if lo_strict else (a >= lo)
    if hi is not None:
        ok &= (a < hi) if hi_strict else (a <= hi)
    if nan_ok and a.dtype.kind == "f":
        ok |= np.isnan(a)
    if not ok.all():
        check(name, a, ok, allowed or range_text(lo, hi, lo_strict, hi_strict), detail,
              integral_as_int=integral_as_int)
    return a


def check_scalar(name, value, lo=None, hi=None, *, lo_strict=False, hi_strict=False,
                 integer=False, allowed=None):
    """One finite number within ``[lo, hi]``; a whole number (returned as int) with ``integer``.

    The error shows ``value`` exactly as given.

    >>> check_scalar("cpu_cores", 0, lo=0, lo_strict=True)
    Traceback (most recent call last):
    ...
    cnimodel.errors.ParameterError: invalid cpu_cores=0: allowed a finite number > 0
    >>> check_scalar("streams", 1.5, lo=1, integer=True)
    Traceback (most recent call last):
    ...
    cnimodel.errors.ParameterError: invalid streams=1.5: allowed a whole number >= 1
    """
    kind = "a whole number" if integer else "a finite number"
    if allowed is None:
        if lo is not None and hi is not None and integer:
            allowed = f"{kind} {lo}..{hi}"
        else:
            rng = range_text(lo, hi, lo_strict, hi_strict)
            allowed = kind if rng == "a number" else f"{kind} {rng}"
    try:
        f = float(value)
    except (TypeError, ValueError):
        raise ParameterError(name, value, kind if integer else "a number") from None
    ok = math.isfinite(f) and not (integer and f != int(f))
    if ok and lo is not None:
        ok = f > lo if lo_strict else f >= lo
    if ok and hi is not None:
        ok = f < hi if hi_strict else f <= hi
    if not ok:
        raise ParameterError(name, value, allowed)
    return int(f) if integer else f


def check_choice(name, value, choices, detail=""):
    """``value`` itself when it is one of ``choices``, else a :class:`ParameterError` listing them.

    >>> check_choice("ip_version", 4, (4, 6))
    4
    >>> check_choice("quantile", "p95", ("p50", "p90", "p99", "mean"))
    Traceback (most recent call last):
    ...
    cnimodel.errors.ParameterError: invalid quantile='p95': allowed one of 'p50', 'p90', 'p99', 'mean'
    """
    if isinstance(value, bool) or not any(value == c and type(value) is type(c) or
                                          (isinstance(c, float) and isinstance(value, int) and value == c)
                                          for c in choices):
        raise ParameterError(name, value, "one of " + ", ".join(map(repr, choices)), detail)
    return value


def as_bool(name, value):
    """A flag (``True``/``False``/``0``/``1``) or an array of them, as numpy bool.

    >>> as_bool("offload", [1, 0]).tolist()
    [True, False]
    >>> as_bool("offload", "yes")
    Traceback (most recent call last):
    ...
    cnimodel.errors.ParameterError: invalid offload='yes': allowed True or False
    """
    if isinstance(value, (str, bytes)) or np.ndim(value) == 0:
        if isinstance(value, (bool, np.bool_)) or (not isinstance(value, (str, bytes)) and value in (0, 1)):
            return np.bool_(bool(value))
        raise ParameterError(name, value, "True or False")
    a = np.asarray(value)
    if a.dtype == bool:
        return a
    try:
        f = a.astype(float)
    except (TypeError, ValueError):
        raise ParameterError(name, a.flat[0], "True or False") from None
    check(name, f, np.isin(f, (0.0, 1.0)), "True or False", integral_as_int=False)
    return f.astype(bool)
