"""The calibrated model against the measurements it was fitted to: headline error figures."""
from __future__ import annotations

import numpy as np

from ..jsonclean import jsonable
from .fit import fit

__all__ = ["model_figures", "measured_vs_model"]


def model_figures(comparison) -> dict:
    """Headline figures of measured-vs-model rows (columns ``quantity``, ``measured``,
    ``predicted``): median absolute relative error per quantity and overall."""
    if comparison is None or len(comparison) == 0:
        return {"n": 0, "median_abs_rel_error": None, "by_quantity": {}}
    c = comparison
    err = (c["predicted"] - c["measured"]).abs() / c["measured"].abs()
    by = {str(q): float(np.nanmedian(e)) for q, e in err.groupby(c["quantity"])}
    return {"n": int(len(c)), "median_abs_rel_error": float(np.nanmedian(err)), "by_quantity": by}


def measured_vs_model(df, params=None, **fit_kwargs):
    """Calibrate the model on ``df`` (:func:`cnimodel.calibrate.fit`) and compare.

    Returns ``(fit_result, comparison, figures)``: ``comparison`` is the fit's residual
    frame (``quantity``, ``measured``, ``predicted``, labels), ``figures`` the
    :func:`model_figures` plus the fit's goodness of fit and identified parameters.
    A fit that cannot run (no fittable rows) raises :class:`cnimodel.errors.FitError`.
    """
    res = fit(df, params, **fit_kwargs)
    comp = res.residuals
    fig = model_figures(comp)
    fig["gof"] = {k: v for k, v in res.gof.items() if not isinstance(v, (dict, list))}
    fig["identified"] = list(res.identifiability.get("identified", []))
    fig["unidentified"] = list(res.identifiability.get("unidentified", []))
    est = res.estimates
    fig["estimates"] = jsonable(est[["parameter", "estimate", "std_error", "identified"]].to_dict("records"))
    return res, comp, fig
