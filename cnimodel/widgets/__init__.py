"""Interactive capacity planner (ipywidgets): :func:`planner`.

The logic lives in :mod:`cnimodel.widgets.model` (plain Python, no widgets) and
the HTML/SVG output in :mod:`cnimodel.widgets.render`; :mod:`cnimodel.widgets.planner`
is the thin widget layer.  ``cnimodel planner`` serves ``notebooks/capacity_planner.ipynb``
as a Voila app.

Note: ``cnimodel.widgets.planner`` is the *function* (it shadows the module of
the same name); import the module's contents with ``from cnimodel.widgets.planner import ...``.
"""
from __future__ import annotations

from .model import PlannerInputs, PlannerModel, PlannerResult
from .planner import PlannerWidget, planner  # noqa: F811  (the function shadows the module)

__all__ = ["planner", "PlannerWidget", "PlannerInputs", "PlannerModel", "PlannerResult"]
