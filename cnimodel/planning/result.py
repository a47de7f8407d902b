"""The planner's result: one row per path, the latency-vs-load curves, warnings, and exports.

Exports follow the package's one JSON rule (:mod:`cnimodel.jsonclean`): non-finite numbers
become ``null``; a saturated path's infinite latency is kept in meaning by the row's
``saturated`` flag.

Examples
--------
>>> import pandas as pd
>>> from cnimodel.planning.inputs import PlannerInputs
>>> t = pd.DataFrame({"latency_p99_s": [float("inf")], "saturated": [True]},
...                  index=pd.Index(["host"], name="path"))
>>> PlannerResult(PlannerInputs(), t, pd.DataFrame()).to_dict()["paths"]
[{'path': 'host', 'latency_p99_s': None, 'saturated': True}]
"""
from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd

from ..jsonclean import dumps, jsonable
from .inputs import PlannerInputs

__all__ = ["PlannerResult", "QUANTILE"]

#: Latency quantile the planner's target applies to.
QUANTILE = 0.99


@dataclass
class PlannerResult:
    """Outputs of one planner evaluation.

    Attributes
    ----------
    inputs : PlannerInputs
        The (validated) inputs.
    table : pandas.DataFrame
        One row per path (index: path name, baseline first); columns in SI units:
        ``encap``, ``pod_mtu_bytes``, ``mss_bytes``, ``goodput_bound_bps``,
        ``throughput_bps`` (capacity), ``bound``, ``offered_bps``, ``utilisation``,
        ``latency_mean_s``, ``latency_p99_s`` (inf when saturated), ``cpu_cores_used``,
        ``max_utilisation``, ``max_pods_per_node``, ``nodes_needed``, ``max_demand_bps``,
        ``mtu_misconfigured``, ``saturated``; cluster scale (:mod:`cnimodel.planning.limits`):
        ``addresses_per_node``, ``max_nodes``, ``nodes_limit``, ``cluster_pods_per_node``
        (the smallest of addressing, kubelet, ENI and p99-target ceilings), ``pods_limit``,
        ``nodes_fit``, ``pods_fit``, ``cluster_fits``.
    curve : pandas.DataFrame
        Latency-vs-load curves: ``path``, ``utilisation``, ``offered_bps``,
        ``latency_mean_s``, ``latency_p99_s``.
    warnings : list of str
        One line per finding (MTU misconfiguration, saturation, target missed).
    """

    inputs: PlannerInputs
    table: pd.DataFrame
    curve: pd.DataFrame
    warnings: list = field(default_factory=list)

    def to_dict(self) -> dict:
        """JSON-ready scenario: inputs, per-path results (SI units), warnings.

        Non-finite numbers are ``None`` (:func:`cnimodel.jsonclean.jsonable`); the
        ``saturated`` and ``mtu_misconfigured`` flags say why a figure is missing.
        """
        rows = [{"path": path, **r} for path, r in zip(self.table.index,
                                                        self.table.to_dict("records"))]
        return jsonable({"inputs": self.inputs.to_dict(), "quantile": QUANTILE, "paths": rows,
                         "warnings": list(self.warnings)})

    def to_json(self, **kw) -> str:
        """The scenario as strict JSON text (see :meth:`to_dict`)."""
        return dumps(self.to_dict(), **kw)

    def to_csv(self) -> str:
        """The scenario as CSV text: one row per path, inputs repeated as columns."""
        df = self.table.reset_index().rename(columns={"index": "path"})
        for k, v in self.inputs.to_dict().items():
            df[f"input_{k}"] = v
        df["warnings"] = [" | ".join(w for w in self.warnings if w.startswith(p + ":"))
                          for p in df["path"]]
        return df.to_csv(index=False)
