"""Report parameters: ``-p key=value`` options and parameter grids from YAML.

Parameter-file format (all keys optional)::

    parameters:            # applied to every run
      baseline: host
    grid:                  # cartesian product of the lists
      confidence: [0.9, 0.95]
      test: [welch-t, mannwhitney]
    runs:                  # explicit parameter sets (each merged over `parameters`)
      - {baseline: bridge}

A file whose top level has none of ``parameters``, ``grid``, ``runs`` is one
parameter set.  The sets are ``runs x grid`` (either defaulting to one empty
set), each merged over ``parameters``; ``-p`` options override every set.

Declared ranges
---------------
:data:`PARAMETER_RANGES` declares, by name, the values the project's notebooks accept for
their numeric and enumerated parameters (``n_boot`` a whole number >= 1, ``seed`` 0..2^32-1,
``confidence`` strictly between 0 and 1 ...).  :func:`parameter_sets` checks every set
against it before any run starts, through :mod:`cnimodel.validation` (the one home of range
checks), so ``-p n_boot=0`` is a one-line error naming the parameter, the value and the
range instead of a numpy traceback from inside the notebook.  ``-r`` values (literal
strings) are exempt, as from the type check.
"""
from __future__ import annotations

import itertools
from pathlib import Path

from ..errors import DataFormatError, ParameterError, ReportError
from ..io.access import display_path
from ..io.safeyaml import load_yaml, loads_yaml
from ..validation import check_choice, check_scalar
from .guard import Raw

__all__ = ["parse_assignment", "parse_assignments", "load_params_file", "expand_grid",
           "parameter_sets", "PARAMETER_RANGES", "check_ranges"]

_MTU = {"lo": 68, "hi": 65535, "integer": True}  # IPv4 minimum (RFC 791) .. IP length field
#: name -> ``check_scalar`` bounds (a list value: each element) or ``{"choices": (...)}``; the
#: parameters of notebooks/*.ipynb (see each notebook's parameters cell for its meaning)
PARAMETER_RANGES = {
    "n_boot": {"lo": 1, "hi": 10_000_000, "integer": True},   # bootstrap resamples
    "seed": {"lo": 0, "hi": 2 ** 32 - 1, "integer": True},    # numpy seeds are 0..2^32-1
    "confidence": {"lo": 0, "hi": 1, "lo_strict": True, "hi_strict": True},
    "prior_weight": {"lo": 0},
    "throttle_s": {"lo": 0},
    "max_interval_files": {"lo": 0, "integer": True},
    "link_rate_bps": {"lo": 0, "lo_strict": True},
    "underlay_mtu_bytes": _MTU,
    "underlay_mtus_bytes": _MTU,
    "msg_sizes_bytes": {"lo": 1, "integer": True},
    "load_msg_size_bytes": {"lo": 1, "integer": True},
    "streams": {"lo": 1, "integer": True},
    "ip_version": {"choices": (4, 6)},
    "quantile": {"choices": ("p50", "p90", "p99", "mean")},
    "test": {"choices": ("welch-t", "mannwhitney", "permutation")},
    "accounting": {"choices": ("wire", "l2")},
}


def check_ranges(params: dict, where: str = "") -> None:
    """Raise a one-line :class:`ParameterError` for the first value of ``params`` outside its
    declared range (:data:`PARAMETER_RANGES`); ``None`` (the notebooks' "not set") and ``-r``
    literal strings are not checked.

    >>> check_ranges({"n_boot": 4000, "seed": 0, "confidence": 0.95, "test": "mannwhitney"})
    >>> check_ranges({"n_boot": 0})
    Traceback (most recent call last):
    ...
    cnimodel.errors.ParameterError: invalid n_boot=0: allowed a whole number 1..10000000
    >>> check_ranges({"underlay_mtus_bytes": [1500, 9001000]})
    Traceback (most recent call last):
    ...
    cnimodel.errors.ParameterError: invalid underlay_mtus_bytes=9001000: allowed a whole number 68..65535
    """
    for key, value in params.items():
        spec = PARAMETER_RANGES.get(key)
        if spec is None or value is None or isinstance(value, Raw):
            continue
        name = f"{key} ({where})" if where else key
        if "choices" in spec:
            check_choice(name if where else key, value, spec["choices"])
            continue
        for v in value if isinstance(value, list) else [value]:
            if isinstance(v, bool) or not isinstance(v, (int, float)):
                raise ParameterError(name, v, "a number" if not spec.get("integer") else "a whole number")
            check_scalar(name, v, **spec)

_KEYS = ("parameters", "grid", "runs")


def _check_name(name: str, source: str) -> str:
    if not isinstance(name, str) or not name.isidentifier():
        raise ParameterError("parameter name", name, "a Python identifier", source)
    return name


def parse_assignment(text: str, raw: bool = False) -> tuple:
    """Parse one ``key=value``.

    The value is read as a number when it is one (``2e9`` included), else as YAML
    (``true``, ``null``, ``[1, 2]``, quoted strings); text YAML cannot read, or reads as
    a mapping, stays the literal string.  ``raw=True`` always keeps the literal string.

    >>> parse_assignment("confidence=0.9"), parse_assignment("rate=2e9")
    (('confidence', 0.9), ('rate', 2000000000.0))
    >>> parse_assignment("title=it's 'odd': {x}")
    ('title', "it's 'odd': {x}")
    >>> parse_assignment("baseline=host"), parse_assignment("sizes=[1, 1024]")
    (('baseline', 'host'), ('sizes', [1, 1024]))
    """
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:  # bytes of the command line that are not UTF-8
        raise ParameterError("-p", display_path(text), "UTF-8 text (key=value)",
                             "bytes that are not UTF-8") from None
    if "=" not in text:
        raise ParameterError("-p", text, "key=value")
    key, value = text.split("=", 1)
    key = _check_name(key.strip(), f"-p {text}")
    if raw:
        return key, Raw(value)
    for conv in (int, float):
        try:
            return key, conv(value)
        except ValueError:
            pass
    try:
        parsed = loads_yaml(value, f"-p {key}")
    except DataFormatError:
        return key, value
    if isinstance(parsed, dict) or not _plain(parsed) or (parsed is None and value.strip() not in
                                                           ("null", "~", "Null", "NULL")):
        return key, value
    return key, parsed


def _plain(value) -> bool:
    if isinstance(value, (str, int, float, bool)) or value is None:
        return True
    if isinstance(value, list):
        return all(_plain(v) for v in value)
    if isinstance(value, dict):
        return all(isinstance(k, str) and _plain(v) for k, v in value.items())
    return False


def parse_assignments(items, raw_items=None) -> dict:
    """``["a=1", "b=x"]`` -> ``{"a": 1, "b": "x"}`` (later items win; ``raw_items`` stay strings)."""
    out = dict(parse_assignment(t) for t in (items or ()))
    out.update(parse_assignment(t, raw=True) for t in (raw_items or ()))
    return out


def expand_grid(grid: dict) -> list:
    """Cartesian product of a mapping of lists (a scalar counts as a one-element list).

    >>> expand_grid({"a": [1, 2], "b": "x"})
    [{'a': 1, 'b': 'x'}, {'a': 2, 'b': 'x'}]
    """
    if not grid:
        return [{}]
    keys = list(grid)
    values = [v if isinstance(v, list) else [v] for v in grid.values()]
    for k, v in zip(keys, values):
        _check_name(k, "grid")
        if not v:
            raise ParameterError(f"grid.{k}", v, "a non-empty list")
    return [dict(zip(keys, combo)) for combo in itertools.product(*values)]


def load_params_file(path) -> list:
    """Parameter sets from a YAML file (see the module notes for the format)."""
    p = Path(path)
    try:
        doc = load_yaml(p, "a valid parameter file (YAML)")
    except DataFormatError as exc:
        raise ReportError(f"parameter file {exc}") from None
    if doc is None:
        return [{}]
    if not isinstance(doc, dict):
        raise ReportError(f"parameter file {p}: expected a mapping at the top level, "
                          f"found {type(doc).__name__}")
    if not any(k in doc for k in _KEYS):
        doc = {"parameters": doc}
    unknown = set(doc) - set(_KEYS)
    if unknown:
        raise ReportError(f"parameter file {p}: unknown top-level keys {sorted(unknown)}; "
                          f"allowed {list(_KEYS)}")
    common = doc.get("parameters") or {}
    grid = doc.get("grid") or {}
    runs = doc.get("runs") or [{}]
    if not isinstance(common, dict) or not isinstance(grid, dict) or not isinstance(runs, list):
        raise ReportError(f"parameter file {p}: 'parameters' and 'grid' must be mappings, "
                          "'runs' a list of mappings")
    for k in common:
        _check_name(k, f"{p}: parameters")
    out = []
    for r in runs:
        if not isinstance(r, dict):
            raise ReportError(f"parameter file {p}: every entry of 'runs' must be a mapping, found {r!r}")
        for k in r:
            _check_name(k, f"{p}: runs")
        for g in expand_grid(grid):
            out.append({**common, **r, **g})
    return out


def parameter_sets(params_file=None, assignments=None, raw_assignments=None) -> list:
    """All parameter sets of a batch: the file's sets with ``-p`` / ``-r`` assignments on top."""
    sets = load_params_file(params_file) if params_file else [{}]
    over = parse_assignments(assignments, raw_assignments)
    out = [{**s, **over} for s in sets]
    for s in out:  # declared ranges, before any run starts
        check_ranges(s, "" if len(out) == 1 else f"parameter set {out.index(s) + 1}")
    return out
