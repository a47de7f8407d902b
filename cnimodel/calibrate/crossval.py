"""Leave-one-group-out cross-validation of the calibration."""
from __future__ import annotations

import numpy as np
import pandas as pd

from ..engine import SCENARIO_DEFAULTS
from ..errors import ParameterError
from ..params import ModelParams
from ..predict import predict
from .data import fittable_rows, prepare
from .fit import fit

__all__ = ["cross_validate", "cross_validation_note"]


def cross_validate(df: pd.DataFrame, by: str = "path", params: ModelParams | None = None,
                   **fit_kw) -> pd.DataFrame:
    """Leave-one-group-out cross-validation (``by="path"`` or ``by="msg_size_bytes"``).

    Each fold fits on every row whose ``by`` value differs from the held-out one and
    predicts the held-out rows (for ``msg_size_bytes`` only RR/CRR rows are held out; stream
    rows, whose size is the send size, stay in every training set).

    Returns
    -------
    DataFrame
        One row per (fold, quantity): ``by``, ``held_out``, ``quantity``, ``n_train``,
        ``n_test``, ``mean_abs_rel_error``, ``median_abs_rel_error``, ``mean_rel_error``
        (bias), ``rel_error_of_mean`` (error of the fold's mean prediction against the fold's
        mean measurement).

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> from cnimodel.params import ModelParams
    >>> from cnimodel.predict import predict
    >>> sc = pd.DataFrame({"path": np.repeat(["host", "overlay", "routing"], 3),
    ...                    "msg_size_bytes": np.tile([1, 1024, 8192], 3), "test": "rr"})
    >>> m = predict(ModelParams(base_rtt_s=40e-6), sc)[["path", "test", "msg_size_bytes", "link_rate_bps",
    ...                                                "latency_mean_s"]]
    >>> cv = cross_validate(m, by="msg_size_bytes")
    >>> bool((cv.mean_abs_rel_error < 0.01).all())
    True
    """
    if by not in df:
        raise ParameterError("by", by, "a column of the dataset (path, msg_size_bytes, ...)")
    d = df.reset_index(drop=True)
    keys = pd.unique(d[by].dropna())
    rows = []
    for v in keys:
        test_mask = (d[by] == v).to_numpy()
        if by == "msg_size_bytes" and "test" in d:
            test_mask = test_mask & d["test"].astype(str).str.lower().isin(("rr", "crr")).to_numpy()
        try:
            sc, meas, qty = prepare(d[test_mask], accounting=fit_kw.get("accounting"),
                                    quantities=fit_kw.get("quantities"),
                                    shaper_burst_bytes=fit_kw.get("shaper_burst_bytes"),
                                    latency_stat=fit_kw.get("latency_stat", "mean"))
        except ParameterError:
            continue  # the held-out group has no fitted quantity (e.g. only UDP streams)
        res = fit(d[~test_mask], params, **fit_kw)
        if res.session_offsets_s and "session" in sc:
            sc["extra_rtt_s"] = sc["session"].astype(str).map(res.session_offsets_s).fillna(0.0)
        if fit_kw.get("retransmits_on_link") is False or (
                fit_kw.get("retransmits_on_link") is None and "accounting" in sc
                and (sc["accounting"] == "l2").any()):
            sc["retransmit_fraction"] = 0.0
        out = predict(res.params, sc[[k for k in sc.columns if k in SCENARIO_DEFAULTS]])
        lat_col = "latency_p50_s" if fit_kw.get("latency_stat") == "p50" else "latency_mean_s"
        pred = np.where(qty == "tcp_stream_throughput", out["throughput_bps"], out[lat_col])
        rel = pred / meas - 1.0
        for q in pd.unique(qty):
            m = qty == q
            rows.append({"by": by, "held_out": v, "quantity": q, "n_train": int(res.gof["n"]),
                         "n_test": int(m.sum()), "mean_abs_rel_error": float(np.mean(np.abs(rel[m]))),
                         "median_abs_rel_error": float(np.median(np.abs(rel[m]))),
                         "mean_rel_error": float(np.mean(rel[m])),
                         "rel_error_of_mean": float(np.mean(pred[m]) / np.mean(meas[m]) - 1.0)})
    return pd.DataFrame(rows)


def cross_validation_note(df, by: str):
    """None when leave-one-``by``-out cross-validation is possible on ``df``, else the reason."""
    f = fittable_rows(df)
    if by not in df.columns:
        return f"no column `{by}` in the dataset"
    n = f[by].dropna().nunique()
    if n < 2:
        return f"the fittable runs have {n} distinct `{by}` value(s); at least 2 are needed"
    return None
