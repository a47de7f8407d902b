"""The evaluation engine under the model front-ends.

Layers, bottom to top: :mod:`cnimodel.queueing` and :mod:`cnimodel.bounds` (primitives),
this package (scenario columns -> :class:`Design` -> :func:`evaluate`), then the front-ends
:mod:`cnimodel.latency`, :mod:`cnimodel.throughput` and :mod:`cnimodel.predict`, and the
calibration (:mod:`cnimodel.calibrate`), which evaluates one design for many parameter sets.

Public interface
----------------
- :func:`scenario_columns` (scenario table -> columns, length, frame), :data:`SCENARIO_DEFAULTS`;
- :class:`Design` (everything that does not depend on the parameters);
- :func:`evaluate` (all outputs, or ``lean`` ones for a fit), :func:`evaluate_columns`
  (broadcast columns, flattened), :func:`path_costs`, :func:`cpu_cost`, :func:`stream_bounds`,
  :func:`stream_cores`, :func:`stage_cores`.

Examples
--------
>>> from cnimodel.engine import Design, evaluate, scenario_columns
>>> cols, n, _ = scenario_columns(None, {"path": ["host", "overlay"], "link_rate_bps": 10e9})
>>> out = evaluate(None, Design(cols, n))
>>> [round(float(v) / 1e9, 3) for v in out["throughput_bps"]]
[9.415, 9.09]
"""
from .columns import (DEFAULT_SEND_BYTES, SCENARIO_DEFAULTS, TESTS, WIRE_KINDS, is_scalar,
                      scenario_columns)
from .design import HOPS, Design
from .evaluate import (cpu_cost, evaluate, evaluate_columns, path_costs, stage_cores, stream_bounds,
                       stream_cores)

__all__ = ["SCENARIO_DEFAULTS", "DEFAULT_SEND_BYTES", "WIRE_KINDS", "TESTS", "HOPS", "Design",
           "scenario_columns", "is_scalar", "evaluate", "evaluate_columns", "cpu_cost",
           "stream_bounds", "stream_cores", "stage_cores", "path_costs"]
