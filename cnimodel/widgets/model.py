"""The capacity planner's "model of the view": planner state and the dashboard's table rows.

The pipeline itself lives in :mod:`cnimodel.planning` (pure functions beside
:mod:`cnimodel.capacity`); this module keeps what the widgets need around it:
:class:`PlannerModel` keeps the last valid result when an input is out of range (catching
:class:`~cnimodel.errors.CnimodelError` only) together with a one-line status message, and
:data:`METRICS` lists the rows the dashboard shows with their display units
(:mod:`cnimodel.display`).  The ipywidgets layer (:mod:`cnimodel.widgets.planner`) only
copies control values into :class:`~cnimodel.planning.PlannerInputs` and result strings
into the page.

Examples
--------
>>> from cnimodel.widgets.model import PlannerInputs, PlannerModel
>>> m = PlannerModel(PlannerInputs(underlay_mtu_bytes=1500))
>>> m.update(underlay_mtu_bytes=40)                # below the IPv4 minimum of 68 B
False
>>> m.status_kind, m.status.startswith("invalid underlay_mtu_bytes=40")
('error', True)
>>> int(m.result.inputs.underlay_mtu_bytes)        # last valid result kept
1500
"""
from __future__ import annotations

from pathlib import Path as _FsPath

from ..display import format_value, unit
from ..errors import CnimodelError, ParameterError
from ..planning import QUANTILE, PlannerInputs, PlannerResult, compute, load_params

__all__ = ["PlannerInputs", "PlannerResult", "PlannerModel", "compute", "load_params",
           "METRICS", "format_value", "QUANTILE"]

_ROWS = (
    ("encap", "encapsulation"),
    ("pod_mtu_bytes", "pod MTU"),
    ("mss_bytes", "MSS"),
    ("goodput_bound_bps", "line-rate goodput bound"),
    ("throughput_bps", "goodput (capacity)"),
    ("bound", "binding bound"),
    ("offered_bps", "offered load per node"),
    ("utilisation", "utilisation"),
    ("latency_mean_s", "mean latency at offered load"),
    ("latency_p99_s", "p99 latency at offered load"),
    ("cpu_cores_used", "network CPU at offered load"),
    ("max_utilisation", "max utilisation within p99 target"),
    ("max_pods_per_node", "max pods per node within p99 target"),
    ("nodes_needed", "nodes needed"),
    ("max_demand_bps", "max demand on the nodes"),
    ("addresses_per_node", "pod addresses per node (node CIDR)"),
    ("max_nodes", "max nodes (addresses, routes)"),
    ("nodes_limit", "nodes limited by"),
    ("cluster_pods_per_node", "max pods per node (all limits)"),
    ("pods_limit", "pods per node limited by"),
)
#: Table rows shown by the dashboard: (column, label, display unit from :mod:`cnimodel.display`).
METRICS = tuple((col, label, unit(col).unit) for col, label in _ROWS)


class PlannerModel:
    """Planner state: current inputs, last valid result, status line.

    Parameters
    ----------
    inputs : PlannerInputs, optional
        Initial inputs (defaults); evaluated at construction.
    params : ModelParams, optional
        Parameters overriding ``inputs.params_file``.

    Attributes
    ----------
    result : PlannerResult or None
        The last valid result (kept when an update fails).
    status : str
        One line: the error of the last update, or its warnings' summary, or "".
    status_kind : {"ok", "warning", "error"}
    version : int
        Incremented by every update, valid or not (the page shows it so a
        browser can tell when an update has been drawn).
    """

    def __init__(self, inputs: PlannerInputs | None = None, params=None):
        self.inputs = inputs or PlannerInputs()
        self.params = params
        self.result: PlannerResult | None = None
        self.status = ""
        self.status_kind = "ok"
        self.version = 0
        self.update(self.inputs)

    def update(self, inputs: PlannerInputs | None = None, **changes) -> bool:
        """Evaluate new inputs; True when valid.

        On a :class:`~cnimodel.errors.CnimodelError` the previous result stays,
        ``status`` holds the error's one-line message and ``status_kind`` is ``"error"``.
        """
        self.version += 1
        try:
            new = (inputs or self.inputs).replace(**changes) if changes else (inputs or self.inputs)
            self.inputs = new
            result = compute(new, self.params)
        except CnimodelError as exc:
            self.status = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
            self.status_kind = "error"
            return False
        self.result = result
        if result.warnings:
            self.status_kind = "warning"
            n = len(result.warnings)
            self.status = f"{n} warning{'s' if n > 1 else ''}: " + result.warnings[0] + (
                " (more below)" if n > 1 else "")
        else:
            self.status_kind = "ok"
            self.status = ""
        return True

    def export(self, file, format=None) -> str:
        """Write the last valid scenario to ``file`` as CSV or JSON (by suffix); return the text."""
        if self.result is None:
            raise ParameterError("result", None, "a valid planner result", "nothing to export")
        fmt = (format or _FsPath(str(file)).suffix.lstrip(".") or "json").lower()
        if fmt not in ("csv", "json"):
            raise ParameterError("format", fmt, "'csv' or 'json'")
        text = self.result.to_csv() if fmt == "csv" else self.result.to_json(indent=1)
        _FsPath(file).write_text(text)
        return text
