"""Bounded, regularised least squares of the model against the fittable rows
(method: :mod:`cnimodel.calibrate`)."""
from __future__ import annotations

import numpy as np
import pandas as pd

from ..bounds import select_bound
from ..engine import SCENARIO_DEFAULTS, Design, evaluate, scenario_columns
from ..errors import FitError, ParameterError
from ..params import ModelParams
from ..paths import HOP_KINDS, get_path
from .data import prepare
from .result import FitResult, build_result

__all__ = ["fit", "default_free"]

_SCALE_FLOOR = {"base_rtt_s": 10e-6, "crr_connection_s": 10e-6, "crr_conntrack_s": 1e-6,
                "latency_per_byte_s": 1e-10, "cpu_per_byte_s": 1e-10,
                "cpu_per_wire_packet_s": 1e-7, "cpu_per_call_s": 1e-7}
_UNREGULARISED = ("base_rtt_s",)
#: Residuals (log units) below this are never outliers, however tight the rest [1].
_OUTLIER_FLOOR = 0.15


def default_free(scenarios: pd.DataFrame, quantity) -> list:
    """Parameters the rows are sensitive to (see module docstring)."""
    q = pd.Series(quantity)
    paths = lambda mask: {h for p in scenarios["path"][mask.to_numpy()].unique()  # noqa: E731
                          for h in get_path(p).hops}
    free = []
    lat = q.str.contains("latency")
    if lat.any():
        free += ["base_rtt_s", "latency_per_byte_s"]
        free += [f"hop_latency_s.{h}" for h in HOP_KINDS if h in paths(lat)]
    rules = (pd.to_numeric(scenarios["netfilter_rules"], errors="coerce").fillna(0.0)
             if "netfilter_rules" in scenarios else pd.Series(0.0, index=scenarios.index))
    if rules.nunique() > 1:  # runs at two or more rule counts identify the per-rule costs
        free += ["netfilter_rule_latency_s"] if (lat & (rules > 0).to_numpy()).any() else []
        st_rules = (q == "tcp_stream_throughput").to_numpy() & (rules > 0).to_numpy()
        free += ["netfilter_rule_cpu_s"] if st_rules.any() else []
    if (q == "tcp_crr_latency").any():
        free += ["crr_connection_s", "crr_conntrack_s"]
    st = q == "tcp_stream_throughput"
    if st.any():
        free += ["cpu_per_byte_s", "cpu_per_call_s"]
        nic = (scenarios["wire_kind"][st.to_numpy()].astype(str).str.lower() == "nic").any() \
            if "wire_kind" in scenarios else True
        free += ["cpu_per_wire_packet_s"] if nic else []   # no MTU-sized packets on veth
        free += [f"hop_cpu_s.{h}" for h in HOP_KINDS if h in paths(st) and h != "wire"]
    return free



def fit(df: pd.DataFrame, params: ModelParams | None = None, *, free=None, robust="auto",
        prior_weight: float = 0.01, accounting=None, quantities=None, max_nfev=None,
        identified_threshold: float = 0.99, per_condition: bool = True,
        retransmits_on_link=None, shaper_burst_bytes=None, latency_stat="mean") -> FitResult:
    """Fit model parameters to a tidy dataset (bounded, regularised least squares).

    Parameters
    ----------
    df : DataFrame
        Tidy rows (:mod:`cnimodel.io.schema` plus dataset labels), e.g. from
        :func:`cnimodel.io.load_dataset`.
    params : ModelParams, optional
        Starting point and prior centre (default ``ModelParams()``).
    free : list of str, optional
        Flat parameter names (``"base_rtt_s"``, ``"hop_latency_s.veth"``, ...); default
        :func:`default_free`.
    robust : {"auto", "linear", "soft_l1", "huber", "cauchy"}
        Loss; ``"auto"`` uses ``soft_l1`` only when outliers exist.
    prior_weight : float
        Weight ``w`` of the prior residuals ``w (x - x_default)`` [1].
    accounting : {"wire", "l2"}, optional
        Byte accounting of the measured link (``"l2"`` for a tc tbf shaper); default: the
        dataset's ``accounting`` column, else ``"l2"`` for rows labelled ``shaped: true``
        (datasets written by ``cnimodel lab``), else ``"wire"``.
    quantities : list of str, optional
        Subset of :data:`QUANTITIES` labels to fit.
    max_nfev : int, optional
        Evaluation budget of the optimizer.
    per_condition : bool
        Fit a base-RTT offset per measurement session (label ``session``, else ``condition``)
        when there are several.
    latency_stat : {"mean", "p50"}
        Which measured latency to fit: ``latency_mean_s`` or the median ``latency_p50_s``
        (robust to the scheduling hiccups of a shared machine, which inflate the mean); the
        model's mean or median is compared accordingly.
    shaper_burst_bytes : float, optional
        Bucket of the ``tc tbf`` shaper of the shaped rows [bytes]: messages within it are not
        serialized at the shaped rate (see :func:`predict`); default: a ``shaper_burst_bytes``
        column, else the lab's bucket (1 MiB) for rows labelled ``shaped: true``.
    retransmits_on_link : bool, optional
        Whether retransmitted segments occupy the measured link (``retransmit_fraction``);
        default: True for wire accounting, False for ``l2`` (a ``tc tbf`` shaper drops before
        spending tokens).

    Returns
    -------
    FitResult

    Raises
    ------
    FitError
        When the optimizer does not converge (``.result`` holds its OptimizeResult).
    ParameterError
        For a dataset without fittable rows, or an unknown parameter name.
    """
    from scipy.optimize import least_squares

    p0 = params if params is not None else ModelParams()
    sc, meas, qty = prepare(df, accounting=accounting, quantities=quantities,
                            shaper_burst_bytes=shaper_burst_bytes, latency_stat=latency_stat)
    lean = 0.5 if latency_stat == "p50" else True
    if retransmits_on_link is None:
        retransmits_on_link = not ("accounting" in sc and (sc["accounting"] == "l2").any())
    if not retransmits_on_link:
        sc["retransmit_fraction"] = 0.0
    names = list(free) if free is not None else default_free(sc, qty)
    if not names:
        raise ParameterError("free", names, "at least one parameter")
    for n in names:
        p0.get(n)
    if prior_weight < 0 or not np.isfinite(prior_weight):
        raise ParameterError("prior_weight", prior_weight, ">= 0")
    c, nrow, _ = scenario_columns(sc[[k for k in sc.columns if k in SCENARIO_DEFAULTS]], {})
    design = Design(c, nrow)
    key = {"tcp_rr_latency": "latency_mean_s", "udp_rr_latency": "latency_mean_s",
           "tcp_crr_latency": "latency_mean_s", "tcp_stream_throughput": "throughput_bps"}
    is_tp = np.array([key[q] == "throughput_bps" for q in qty])
    logm = np.log(meas)
    # per-session base offsets (sessions of a shared machine): reference = fastest session
    cond_names, cond_idx, ref_cond = [], None, None
    lat = ~is_tp
    if per_condition and "session" in sc and lat.any() and "base_rtt_s" in names:
        cond = sc["session"].astype(str).to_numpy()
        med = pd.Series(meas[lat]).groupby(cond[lat]).median().sort_values()
        if len(med) > 1:
            ref_cond = str(med.index[0])
            order = [ref_cond] + [str(c) for c in med.index[1:]]
            cond_names = [f"base_rtt_s[{c}]" for c in order[1:]]
            cond_idx = pd.Categorical(cond, categories=order).codes
            cond_idx = np.where(cond_idx < 0, 0, cond_idx)
    kp, ko = len(names), len(cond_names)
    default_vals = np.array([p0.get(n) for n in names] + [0.0] * ko, float)
    scale = np.array([max(v, _SCALE_FLOOR.get(n, 1e-7)) for n, v in zip(names, default_vals)]
                     + [_SCALE_FLOOR["base_rtt_s"]] * ko)
    x_prior = default_vals / scale
    wvec = np.array([0.0 if n in _UNREGULARISED else prior_weight for n in names] + [0.0] * ko)
    extra0 = np.broadcast_to(np.asarray(design.extra, float), (nrow,)).copy()

    def apply(x):
        if ko:
            design.extra = extra0 + np.concatenate([[0.0], x[kp:] * scale[kp:]])[cond_idx]
        return p0.set_many(dict(zip(names, x[:kp] * scale[:kp])))

    def model(x):
        out = evaluate(apply(x), design, lean=lean)
        pred = np.where(is_tp, out["throughput_bps"], out["latency_mean_s"])
        return pred

    model = _affine_model(apply, names, kp + ko, design, is_tp, lean) or model
    jac_log = getattr(model, "jac_log", None)

    def data_res(x):
        pred = model(x)
        with np.errstate(divide="ignore", invalid="ignore"):
            r = np.log(pred) - logm
        return np.where(np.isfinite(r), r, 10.0)

    robust_f = [None, None]  # (loss name, f_scale) of the robust pass

    def residuals(x):
        r = data_res(x)
        if robust_f[0] is not None:  # robust loss on the data rows only; the prior stays quadratic
            r = _robustify(r, *robust_f)
        return np.concatenate([r, wvec * (x - x_prior)])

    def jacobian(x):
        jd = jac_log(x)
        if robust_f[0] is not None:
            jd = jd * _robust_slope(data_res(x), *robust_f)[:, None]
        return np.vstack([jd, np.diag(wvec)])

    x0 = x_prior.copy()
    if "base_rtt_s" in names and lat.any():  # start the common base (and offsets) near the data
        i = names.index("base_rtt_s")
        gap = meas - model(np.where(np.arange(len(x0)) == i, 0.0, x0))
        if ko:
            gaps = pd.Series(gap[lat]).groupby(cond_idx[lat]).median()
            x0[i] = max(0.0, float(gaps.get(0, 0.0))) / scale[i]
            for j in range(ko):
                x0[kp + j] = max(0.0, float(gaps.get(j + 1, 0.0) - gaps.get(0, 0.0))) / scale[kp + j]
        else:
            x0[i] = max(0.0, float(np.median(gap[lat]))) / scale[i]
    x0 = np.maximum(x0, 0.0)
    kw = dict(bounds=(0.0, np.inf), method="trf", x_scale="jac",
              max_nfev=max_nfev or 200 * (kp + ko), jac=jacobian if jac_log else "2-point")
    if robust not in ("auto",) + _LOSSES:
        raise ParameterError("robust", robust, "'auto' or one of " + ", ".join(_LOSSES))
    res = least_squares(residuals, x0, **kw)
    _check(res)
    loss = "linear"
    r = data_res(res.x)
    mad = 1.4826 * np.median(np.abs(r - np.median(r)))
    outlier = np.abs(r - np.median(r)) > max(5 * mad, _OUTLIER_FLOOR)
    if robust == "auto" and outlier.any():
        loss = "soft_l1"
    elif robust != "auto":
        loss = robust
    if loss != "linear":
        robust_f[:] = [loss, max(2.0 * mad, 0.01)]
        res = least_squares(residuals, res.x, **kw)
        _check(res)
        r = data_res(res.x)
        mad = 1.4826 * np.median(np.abs(r - np.median(r)))   # outliers judged by the robust fit
        outlier = np.abs(r - np.median(r)) > max(5 * mad, _OUTLIER_FLOOR)
    apply(res.x)
    out = build_result(p0, names + cond_names, res, r, meas, qty, sc, scale, default_vals, wvec, loss,
                  outlier, identified_threshold, model, kp, prior_weight)
    out.gof["latency_stat"] = latency_stat
    out.session_offsets_s = ({ref_cond: 0.0, **{n[len("base_rtt_s["):-1]: float(v) for n, v in
                                zip(cond_names, res.x[kp:] * scale[kp:])}} if ko else {})
    if ko:
        out.residuals["extra_rtt_s"] = design.extra
    return out


_LOSSES = ("linear", "soft_l1", "huber", "cauchy")


#: Parameters that every model quantity depends on affinely (latency, CPU cost per byte, RTT).
_AFFINE = {"base_rtt_s", "latency_per_byte_s", "propagation_s", "crr_connection_s",
           "crr_conntrack_s", "cpu_per_byte_s", "cpu_per_wire_packet_s", "cpu_per_call_s",
           "netfilter_rule_latency_s", "netfilter_rule_cpu_s"}


def _affine_model(apply, names, k, design, is_tp, lean=True):
    """A fast exact model when the free parameters enter affinely (the usual case).

    Latency, CPU cost per byte and RTT are affine in these parameters, so k + 1 evaluations
    give them exactly; throughput is then ``min(link, cores * 8 / cost, window / RTT)``.
    Returns None when not applicable (another parameter is free, or a loss rate is set).
    """
    if any(n not in _AFFINE and not n.startswith(("hop_latency_s.", "hop_cpu_s.")) for n in names):
        return None
    if np.any(design.loss):
        return None
    keys = ("latency_mean_s", "cpu_cost_per_byte_s", "rtt_s", "cpu_tx_cost_per_byte_s",
            "cpu_rx_cost_per_byte_s")

    def raw(x):
        out = evaluate(apply(x), design, lean=lean)
        return [np.broadcast_to(np.asarray(out[key], float), (design.n,)) for key in keys], out

    (l0, c0, r0, t0, v0), out0 = raw(np.zeros(k))
    cols = [raw(np.eye(k)[j])[0] for j in range(k)]
    al = np.column_stack([c[0] - l0 for c in cols])
    ac = np.column_stack([c[1] - c0 for c in cols])
    ar = np.column_stack([c[2] - r0 for c in cols])
    at = np.column_stack([c[3] - t0 for c in cols])
    av = np.column_stack([c[4] - v0 for c in cols])
    link, ncpu8, win, udp, ntx8, nrx8, nnode8 = (
        np.broadcast_to(np.asarray(out0[key], float), (design.n,))
        for key in ("link_bps", "ncpu8", "window_bits", "udp", "ntx8", "nrx8", "nnode8"))
    udp = udp.astype(bool)
    lat_rows = ~is_tp
    l0, al = l0[lat_rows], al[lat_rows]
    c0, ac, r0, ar = c0[is_tp], ac[is_tp], r0[is_tp], ar[is_tp]
    t0, at, v0, av = t0[is_tp], at[is_tp], v0[is_tp], av[is_tp]
    link, ncpu8, win, udp = link[is_tp], ncpu8[is_tp], win[is_tp], udp[is_tp]
    ntx8, nrx8, nnode8 = ntx8[is_tp], nrx8[is_tp], nnode8[is_tp]

    def stage(n8, cost):
        with np.errstate(divide="ignore", invalid="ignore"):
            return np.where(n8 > 0, n8 / cost, np.inf)

    def bounds(x):
        """CPU costs, RTT and (throughput, code of the binding bound) of the stream rows."""
        cb, rt, ct, cv = c0 + ac @ x, r0 + ar @ x, t0 + at @ x, v0 + av @ x
        return cb, rt, ct, cv, select_bound(link, ncpu8 / cb, np.where(udp, np.inf, win / rt),
                                            np.inf, np.inf, stage(ntx8, ct), stage(nrx8, cv),
                                            stage(nnode8, cb))

    def model(x):
        pred = np.empty(design.n)
        pred[lat_rows] = l0 + al @ x
        pred[is_tp] = bounds(x)[4][0]
        return pred

    def jac_log(x):
        """Jacobian of log(model(x)) (exact: the bound that binds is differentiated)."""
        j = np.zeros((design.n, k))
        j[lat_rows] = al / (l0 + al @ x)[:, None]
        cb, rt, ct, cv, (_, code) = bounds(x)
        code = np.broadcast_to(code, cb.shape)
        jt = np.zeros((cb.size, k))
        for c, a, v in ((1, ac, cb), (2, ar, rt), (5, at, ct), (6, av, cv), (7, ac, cb)):
            use = code == c
            jt[use] = -a[use] / v[use, None]
        j[is_tp] = jt
        return j

    model.jac_log = jac_log

    probe = np.linspace(0.5, 1.5, k)          # guard: the affine model must match the full one
    full = raw(probe)[1]
    ref = np.where(is_tp, np.broadcast_to(full["throughput_bps"], (design.n,)),
                   np.broadcast_to(full["latency_mean_s"], (design.n,)))
    got = model(probe)
    ok = np.isfinite(ref)
    if not np.allclose(got[ok], ref[ok], rtol=1e-9, atol=0):
        return None
    return model


def _robustify(r, loss, f):
    """Residuals whose squares sum to the robust objective f^2 sum rho((r / f)^2)."""
    z2 = (r / f) ** 2
    if loss == "soft_l1":
        rho = 2.0 * (np.sqrt(1.0 + z2) - 1.0)
    elif loss == "huber":
        rho = np.where(z2 <= 1.0, z2, 2.0 * np.sqrt(z2) - 1.0)
    elif loss == "cauchy":
        rho = np.log1p(z2)
    else:
        return r
    return np.sign(r) * f * np.sqrt(rho)


def _robust_slope(r, loss, f):
    """d _robustify(r) / d r (1 at r = 0)."""
    z2 = (r / f) ** 2
    if loss == "soft_l1":
        rho, drho = 2.0 * (np.sqrt(1.0 + z2) - 1.0), 1.0 / np.sqrt(1.0 + z2)
    elif loss == "huber":
        rho = np.where(z2 <= 1.0, z2, 2.0 * np.sqrt(z2) - 1.0)
        drho = np.where(z2 <= 1.0, 1.0, 1.0 / np.sqrt(np.maximum(z2, 1.0)))
    elif loss == "cauchy":
        rho, drho = np.log1p(z2), 1.0 / (1.0 + z2)
    else:
        return np.ones_like(r)
    with np.errstate(invalid="ignore", divide="ignore"):
        out = drho * np.sqrt(z2) / np.sqrt(rho)
    return np.where(z2 > 1e-12, out, 1.0)


def _check(res):
    if not res.success or res.status <= 0 or not np.isfinite(res.cost):
        raise FitError(f"calibration did not converge: {res.message} (status {res.status}, "
                       f"{res.nfev} evaluations)", res)
