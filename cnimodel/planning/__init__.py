"""Capacity planning: the planner's pipeline as pure functions (no widgets).

:class:`PlannerInputs` holds every control value in SI units, :func:`compute` turns them
into a :class:`PlannerResult` (one row per path, latency-vs-load curves, warnings).  The
ipywidgets planner (:mod:`cnimodel.widgets`) only copies control values in and result
strings out.

Examples
--------
>>> from cnimodel.planning import PlannerInputs, compute
>>> r = compute(PlannerInputs(underlay_mtu_bytes=1500))
>>> int(r.table.loc["overlay", "pod_mtu_bytes"]), int(r.table.loc["overlay", "mss_bytes"])
(1450, 1398)
"""
from .inputs import PlannerInputs, load_params, params_for, validate
from .pipeline import CURVE_MAX_UTILISATION, CURVE_POINTS, compute
from .result import QUANTILE, PlannerResult

__all__ = ["PlannerInputs", "PlannerResult", "compute", "validate", "load_params", "params_for",
           "QUANTILE", "CURVE_POINTS", "CURVE_MAX_UTILISATION"]
