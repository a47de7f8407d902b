"""Fit :class:`~cnimodel.params.ModelParams` to a measured tidy dataset, with honest uncertainty.

Method (docs/models.md, "Calibration")
--------------------------------------
- Quantities: TCP/UDP RR and CRR ``latency_mean_s`` (or ``1 / transactions_per_s`` when the
  latency is missing) and TCP stream ``throughput_bps`` (UDP stream rows are excluded:
  iperf3 offers a fixed rate).  Residuals are relative, ``log(predicted / measured)``, so
  microseconds and gigabits share one scale.
- Free parameters: those the data is sensitive to (by default: ``base_rtt_s``,
  ``latency_per_byte_s`` and ``hop_latency_s.<kind>`` for the hop kinds of the measured
  paths when RR rows exist, ``crr_connection_s`` / ``crr_conntrack_s`` with CRR rows,
  ``cpu_per_byte_s``, ``cpu_per_wire_packet_s`` and ``hop_cpu_s.<kind>`` with stream rows).
  Each is fitted as ``x = theta / scale`` (scale = its default), bounded ``x >= 0``.
- Regularisation (Tikhonov): one prior residual ``prior_weight * (x - x_default)`` per
  parameter (none for ``base_rtt_s``) pulls every direction the data cannot see back to the
  cited default; with the default weight 0.01 a parameter may move to several times its
  default where the data asks for it.
- Solver: :func:`scipy.optimize.least_squares` (trust-region reflective, bounds);
  ``robust="auto"`` refits with the ``soft_l1`` loss when residuals more than 5 robust
  standard deviations from the median exist.
- Uncertainty: ``sigma^2 = sum(r_data^2) / (n - p_identified)``;
  posterior covariance ``sigma^2 (J_d^T J_d + w^2 I)^-1``.  A parameter is *identified*
  when the data shrink its variance to <= 1 % of the prior's
  (``1 - w^2 [(J_d^T J_d + w^2 I)^-1]_jj >= 0.99``); otherwise its standard error is NaN
  and the estimate is reported as "held at the default by the prior" -- never a made-up
  precision.  The SVD of ``J_d`` gives the rank, the condition number and the parameter
  combinations the data cannot separate.

Examples
--------
>>> import numpy as np, pandas as pd
>>> from cnimodel.params import ModelParams
>>> from cnimodel.predict import predict
>>> truth = ModelParams(base_rtt_s=50e-6, latency_per_byte_s=2e-9)
>>> sc = pd.DataFrame({"path": np.repeat(["host", "bridge", "overlay", "routing", "underlay"], 4),
...                    "msg_size_bytes": np.tile([1, 1024, 4096, 16384], 5), "test": "rr"})
>>> meas = predict(truth, sc)[["path", "test", "msg_size_bytes", "link_rate_bps", "latency_mean_s"]]
>>> res = fit(meas)
>>> round(res.params.base_rtt_s * 1e6), round(res.params.latency_per_byte_s * 1e9, 1)
(50, 2.0)
>>> "hop_latency_s.child" in res.identifiability["unidentified"]
True
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from .errors import FitError, ParameterError
from .params import ModelParams
from .paths import HOP_KINDS, get_path
from .predict import SCENARIO_DEFAULTS, _columns, _Design, _evaluate

__all__ = ["fit", "cross_validate", "FitResult", "prepare", "QUANTITIES"]

#: Quantities that can be fitted: (label, test, protocol, measured column).
QUANTITIES = (
    ("tcp_rr_latency", "rr", "tcp", "latency_mean_s"),
    ("udp_rr_latency", "rr", "udp", "latency_mean_s"),
    ("tcp_crr_latency", "crr", "tcp", "latency_mean_s"),
    ("tcp_stream_throughput", "stream", "tcp", "throughput_bps"),
)
_SCALE_FLOOR = {"base_rtt_s": 10e-6, "crr_connection_s": 10e-6, "crr_conntrack_s": 1e-6,
                "latency_per_byte_s": 1e-10, "cpu_per_byte_s": 1e-10,
                "cpu_per_wire_packet_s": 1e-7, "cpu_per_call_s": 1e-7}
_UNREGULARISED = ("base_rtt_s",)
#: Residuals (log units) below this are never outliers, however tight the rest [1].
_OUTLIER_FLOOR = 0.15


@dataclass
class FitResult:
    """Outcome of :func:`fit`.

    Attributes
    ----------
    params : ModelParams
        Fitted parameters (unfitted ones at their input values).
    estimates : DataFrame
        ``parameter, estimate, std_error, default, identified, contraction, note``.
    residuals : DataFrame
        One row per fitted measurement: labels, ``quantity``, ``measured``, ``predicted``,
        ``residual_log`` (log(predicted / measured)), ``rel_error``, ``outlier``.
    gof : dict
        ``n``, ``n_free``, ``n_identified``, ``rmse_log``, ``sigma_log``, ``r2_log``,
        ``median_abs_rel_error``, ``max_abs_rel_error``, ``loss``, per quantity errors.
    identifiability : dict
        ``rank``, ``condition_number``, ``identified``, ``unidentified`` (names),
        ``combinations`` (unseparable parameter combinations), ``correlated`` (pairs
        with |corr| > 0.9), ``path_sums`` (per-path hop cost minus the host's, with standard
        errors: what the data does pin), ``message``.
    session_offsets_s : dict
        Base RTT added per measurement session (0 for the fastest, whose base is
        ``params.base_rtt_s``) [s]; empty with one session.  A session is the dataset's
        ``session`` label (``cnimodel lab``: one condition x repetition block), else its
        ``condition``.
    result : scipy.optimize.OptimizeResult
    """

    params: ModelParams
    estimates: pd.DataFrame
    residuals: pd.DataFrame
    gof: dict
    identifiability: dict
    result: object = field(repr=False, default=None)
    session_offsets_s: dict = field(default_factory=dict)

    def summary(self) -> str:
        """Human-readable fit summary (what ``cnimodel fit`` prints)."""
        g, ident = self.gof, self.identifiability
        lines = [f"fit: {g['n']} measurements, {g['n_free']} free parameters "
                 f"({g['n_identified']} identified by the data), loss={g['loss']}",
                 f"relative error: median {100 * g['median_abs_rel_error']:.2f} %, "
                 f"max {100 * g['max_abs_rel_error']:.2f} %, rmse(log) {g['rmse_log']:.4f}, "
                 f"R^2(log) {g['r2_log']:.4f}"]
        for q, e in g["per_quantity"].items():
            lines.append(f"  {q}: n={e['n']}, median |rel err| {100 * e['median_abs_rel_error']:.2f} %")
        lines.append("")
        lines.append(f"{'parameter':<26} {'estimate':>12} {'std error':>12} {'default':>12}  note")
        for r in self.estimates.itertuples():
            se = "-" if not np.isfinite(r.std_error) else f"{r.std_error:.4g}"
            lines.append(f"{r.parameter:<26} {r.estimate:>12.4g} {se:>12} {r.default:>12.4g}  {r.note}")
        if self.session_offsets_s:
            lines.append("base RTT per session (offset added to base_rtt_s): " + ", ".join(
                f"{c} +{v * 1e6:.1f} us" for c, v in self.session_offsets_s.items()))
        lines.append("")
        lines.append(f"identifiability: Jacobian rank {ident['rank']} of {g['n_free']}, "
                     f"condition number {ident['condition_number']:.3g}")
        lines.append(ident["message"])
        if ident.get("path_sums"):
            lines.append("what the data does pin: per-path hop cost minus the reference path's "
                         "(one way, per (super)packet for CPU):")
            for d in ident["path_sums"]:
                lines.append(f"  {d['path']:<10} - {d['reference']:<8} {d['quantity']:<14} "
                             f"{d['difference_s'] * 1e6:+.3f} us +- {d['std_error'] * 1e6:.3f}")
        return "\n".join(lines)


# --------------------------------------------------------------------------- data
def prepare(df: pd.DataFrame, *, accounting=None, quantities=None, shaper_burst_bytes=None,
            latency_stat="mean") -> tuple:
    """Scenario frame and measured values of the fittable rows of a tidy dataset.

    Returns ``(scenarios, measured, quantity)``: ``scenarios`` has the :func:`predict`
    columns (``underlay_mtu_bytes``, ``link_rate_bps`` (NaN: unshaped), ``accounting``,
    ``pod_mtu_bytes`` from the measured ``pmtu_bytes`` or ``mss_bytes + 52`` of the same
    path and condition, ``encap`` when labelled, ``retransmit_fraction`` of TCP stream rows
    from ``retransmits / (segments delivered + retransmits)``) plus the label columns.
    """
    if not isinstance(df, pd.DataFrame):
        raise ParameterError("dataset", type(df).__name__, "a tidy DataFrame")
    for col in ("path", "test"):
        if col not in df:
            raise ParameterError("dataset column", col, "present (tidy schema)")
    d = df.reset_index(drop=True)
    test = d["test"].astype("string").str.lower()
    proto = d["protocol"].astype("string").str.lower() if "protocol" in d else pd.Series("tcp", index=d.index)
    proto = proto.fillna("tcp")
    wanted = [q for q in QUANTITIES if quantities is None or q[0] in quantities]
    meas = pd.Series(np.nan, index=d.index)
    qname = pd.Series(pd.NA, index=d.index, dtype="object")
    if latency_stat not in ("mean", "p50"):
        raise ParameterError("latency_stat", latency_stat, "'mean' or 'p50'")
    for label, t, pr, col in wanted:
        m = (test == t) & (proto == pr)
        if col == "latency_mean_s" and latency_stat == "p50":
            col = "latency_p50_s"
        if col not in d:
            continue
        v = pd.to_numeric(d[col], errors="coerce")
        if col == "latency_mean_s" and "transactions_per_s" in d:
            v = v.fillna(1.0 / pd.to_numeric(d["transactions_per_s"], errors="coerce"))
        meas = meas.where(~m.fillna(False), v)
        qname = qname.where(~m.fillna(False), label)
    ok = qname.notna() & np.isfinite(meas) & (meas > 0)
    d, meas, qname = d[ok].reset_index(drop=True), meas[ok].reset_index(drop=True), qname[ok].reset_index(drop=True)
    if d.empty:
        raise ParameterError("dataset", "no fittable rows",
                             "rows with test rr/crr and latency_mean_s, or tcp stream throughput_bps")
    sc = pd.DataFrame({"path": d["path"].astype(str).to_numpy(), "test": test[ok].to_numpy(),
                       "protocol": proto[ok].to_numpy()})
    shaped = _shaped(d)
    for col, default in (("underlay_mtu_bytes", 1500.0), ("link_rate_bps", np.nan),
                         ("msg_size_bytes", np.nan), ("streams", 1.0)):
        sc[col] = pd.to_numeric(d[col], errors="coerce").to_numpy(dtype=float) if col in d else default
    sc["underlay_mtu_bytes"] = sc["underlay_mtu_bytes"].fillna(1500.0)
    sc["streams"] = sc["streams"].fillna(1.0)
    # TCP stream rows keep their send size (netperf -m / "Local Send Size"); UDP stream rows
    # are modelled with full datagrams
    sc.loc[(sc.test == "stream") & (sc.protocol == "udp"), "msg_size_bytes"] = np.nan
    if shaper_burst_bytes is not None:  # shaped rows: a token bucket, not a physical link
        sc["shaper_burst_bytes"] = np.where(np.isfinite(sc["link_rate_bps"]), float(shaper_burst_bytes), np.nan)
    elif "shaper_burst_bytes" in d:
        sc["shaper_burst_bytes"] = pd.to_numeric(d["shaper_burst_bytes"], errors="coerce").to_numpy(dtype=float)
    elif shaped is not None:
        sc["shaper_burst_bytes"] = np.where(shaped & np.isfinite(sc["link_rate_bps"]), _lab_burst(), np.nan)
    if "response_size_bytes" in d:
        sc["response_size_bytes"] = pd.to_numeric(d["response_size_bytes"], errors="coerce").to_numpy()
    if accounting is not None:
        sc["accounting"] = accounting
    elif "accounting" in d:
        sc["accounting"] = d["accounting"].fillna("wire").astype(str).to_numpy()
    elif shaped is not None:  # cnimodel lab datasets: tc tbf counts L2 bytes
        sc["accounting"] = np.where(shaped, "l2", "wire")
    if "wire_kind" in d:  # a dataset label (cnimodel lab: veth)
        sc["wire_kind"] = d["wire_kind"].astype(object).where(d["wire_kind"].notna(), "nic").to_numpy()
    if "encap" in d:
        sc["encap"] = d["encap"].astype(object).where(d["encap"].notna(), None).to_numpy()
    sc["pod_mtu_bytes"] = _measured_pod_mtu(d, sc)
    if "pod_mtu_bytes" in d:  # a dataset label (the configured pod MTU) wins over the reading
        lab = pd.to_numeric(d["pod_mtu_bytes"], errors="coerce").to_numpy(dtype=float)
        sc["pod_mtu_bytes"] = np.where(np.isfinite(lab), lab, sc["pod_mtu_bytes"])
    sc["retransmit_fraction"] = _retransmit_fraction(d, sc)
    labels = [c for c in ("condition", "session", "cni", "repetition", "source_file") if c in d]
    for c in labels:
        sc[c] = d[c].to_numpy()
    if "session" not in sc and "condition" in sc:
        sc["session"] = sc["condition"]
    return sc, meas.to_numpy(dtype=float), qname.to_numpy(dtype=object)


def _shaped(d):
    """Boolean array from a ``shaped`` label (written by ``cnimodel lab``), else None."""
    if "shaped" not in d:
        return None
    v = d["shaped"]
    if v.dtype == object or str(v.dtype) in ("string", "str"):
        return v.astype(str).str.lower().isin(("true", "1", "yes")).to_numpy()
    return v.fillna(False).astype(bool).to_numpy()


def _lab_burst() -> float:
    """Bucket of the lab's tc tbf shaper [bytes] (cnimodel.lab.topology.TbfShaper)."""
    try:
        from .lab.topology import TbfShaper

        return float(TbfShaper.burst_bytes)
    except (ImportError, AttributeError):
        return float(1 << 20)


def _retransmit_fraction(d, sc):
    """Retransmitted / transmitted segments of TCP stream rows (0 where not measured)."""
    need = ("retransmits", "duration_s", "throughput_bps")
    if not all(c in d for c in need):
        return 0.0
    rtx = pd.to_numeric(d["retransmits"], errors="coerce").to_numpy(dtype=float)
    dur = pd.to_numeric(d["duration_s"], errors="coerce").to_numpy(dtype=float)
    tp = pd.to_numeric(d["throughput_bps"], errors="coerce").to_numpy(dtype=float)
    mss = pd.to_numeric(d["mss_bytes"], errors="coerce").to_numpy(dtype=float) if "mss_bytes" in d \
        else np.full(len(d), np.nan)
    mss = np.where(np.isfinite(mss) & (mss > 0), mss, 1448.0)
    segs = tp * dur / 8.0 / mss
    with np.errstate(invalid="ignore", divide="ignore"):
        f = rtx / (segs + rtx)
    ok = np.isfinite(f) & (f >= 0) & (f < 1) & (sc["test"].to_numpy() == "stream")
    return np.where(ok, f, 0.0)


def _measured_pod_mtu(d, sc):
    """Pod MTU seen by the measurement (pmtu, else MSS + 52) per path and condition; NaN if none."""
    pm = pd.to_numeric(d["pmtu_bytes"], errors="coerce") if "pmtu_bytes" in d else pd.Series(np.nan, index=d.index)
    if "mss_bytes" in d:
        mss = pd.to_numeric(d["mss_bytes"], errors="coerce")
        pm = pm.fillna(mss.where(mss > 500) + 52.0)
    keys = [sc["path"], sc["underlay_mtu_bytes"]] + ([d["condition"].astype(str).to_numpy()]
                                                     if "condition" in d else [])
    grp = pd.DataFrame({"pm": pm.to_numpy(), **{f"k{i}": k for i, k in enumerate(keys)}})
    med = grp.groupby([f"k{i}" for i in range(len(keys))], dropna=False)["pm"].transform("median")
    out = med.to_numpy(dtype=float)
    # never beyond what the underlay carries: a too-large reading would flag a misconfiguration
    from .overhead import encap_overhead_bytes

    path_enc = sc["path"].map(lambda p: get_path(p).encap)
    enc = path_enc if "encap" not in sc else sc["encap"].where(sc["encap"].map(
        lambda e: isinstance(e, str)), path_enc)
    ovh = enc.map({e: encap_overhead_bytes(e) for e in pd.unique(enc)}).to_numpy(dtype=float)
    maxpod = sc["underlay_mtu_bytes"].to_numpy() - ovh
    return np.where(np.isfinite(out) & (out <= maxpod) & (out >= 576), out, np.nan)


# --------------------------------------------------------------------------- free parameters
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


# --------------------------------------------------------------------------- fit
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
    c, nrow, _ = _columns(sc[[k for k in sc.columns if k in SCENARIO_DEFAULTS]], {})
    design = _Design(c, nrow)
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
        out = _evaluate(apply(x), design, lean=lean)
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
    out = _report(p0, names + cond_names, res, r, meas, qty, sc, scale, default_vals, wvec, loss,
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
           "crr_conntrack_s", "cpu_per_byte_s", "cpu_per_wire_packet_s", "cpu_per_call_s"}


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
    keys = ("latency_mean_s", "cpu_cost_per_byte_s", "rtt_s")

    def raw(x):
        out = _evaluate(apply(x), design, lean=lean)
        return [np.broadcast_to(np.asarray(out[key], float), (design.n,)) for key in keys], out

    (l0, c0, r0), out0 = raw(np.zeros(k))
    cols = [raw(np.eye(k)[j])[0] for j in range(k)]
    al = np.column_stack([c[0] - l0 for c in cols])
    ac = np.column_stack([c[1] - c0 for c in cols])
    ar = np.column_stack([c[2] - r0 for c in cols])
    link, ncpu8, win, udp = (np.broadcast_to(np.asarray(out0[key], float), (design.n,))
                             for key in ("link_bps", "ncpu8", "window_bits", "udp"))
    udp = udp.astype(bool)
    lat_rows = ~is_tp
    l0, al = l0[lat_rows], al[lat_rows]
    c0, ac, r0, ar = c0[is_tp], ac[is_tp], r0[is_tp], ar[is_tp]
    link, ncpu8, win, udp = link[is_tp], ncpu8[is_tp], win[is_tp], udp[is_tp]

    def model(x):
        pred = np.empty(design.n)
        pred[lat_rows] = l0 + al @ x
        t = np.minimum(link, ncpu8 / (c0 + ac @ x))
        pred[is_tp] = np.where(udp, t, np.minimum(t, win / (r0 + ar @ x)))
        return pred

    def jac_log(x):
        """Jacobian of log(model(x)) (exact: the bound that binds is differentiated)."""
        j = np.zeros((design.n, k))
        j[lat_rows] = al / (l0 + al @ x)[:, None]
        cb, rt = c0 + ac @ x, r0 + ar @ x
        cpu, wnd = ncpu8 / cb, np.where(udp, np.inf, win / rt)
        jt = np.zeros((cb.size, k))
        use_cpu = (cpu < link) & (cpu <= wnd)
        use_wnd = (wnd < link) & (wnd < cpu)
        jt[use_cpu] = -ac[use_cpu] / cb[use_cpu, None]
        jt[use_wnd] = -ar[use_wnd] / rt[use_wnd, None]
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


def _report(p0, names, res, r, meas, qty, sc, scale, default_vals, wvec, loss, outlier, thr, model,
            kp=None, prior_weight=0.01):
    n, k = len(r), len(names)
    if getattr(model, "jac_log", None) is not None:
        jd = model.jac_log(res.x)
    elif loss != "linear":  # the robust pass transformed the rows: recompute the plain Jacobian
        jd = _num_jac(lambda x: np.log(model(x)), res.x)
    else:
        jd = res.jac[:n]
    kp = k if kp is None else kp
    w2 = np.full(k, max(prior_weight, 1e-12) ** 2)  # unregularised ones too, for the test
    info = jd.T @ jd
    post = np.linalg.pinv(info + np.diag(w2))
    contraction = 1.0 - w2 * np.diag(post)
    identified = contraction >= thr
    s = np.linalg.svd(jd, compute_uv=False)
    tol = s.max() * 1e-4 if s.size and s.max() > 0 else 1.0
    rank = int((s > tol).sum())
    cond = float(s.max() / s.min()) if s.size and s.min() > 0 else float("inf")
    _, s_full, vt = np.linalg.svd(np.vstack([jd, np.zeros((max(k - n, 0), k))]), full_matrices=False)
    n_id = int(identified.sum())
    dof = max(n - n_id, 1)
    sigma2 = float(np.sum(r ** 2) / dof)
    se = np.sqrt(np.clip(sigma2 * np.diag(post), 0, None)) * scale
    se = np.where(identified, se, np.nan)
    est = res.x * scale
    notes = ["identified" if identified[j] else
             "not identified by the data: held near the default by the prior" for j in range(k)]
    idx_id = np.flatnonzero(identified)
    for j in range(k):  # unregularised but confounded (base_rtt_s): conditional on the priors
        if not identified[j] and wvec[j] == 0 and np.any(jd[:, j]):
            sub = np.append(idx_id, j)
            c = np.linalg.pinv(info[np.ix_(sub, sub)])
            se[j] = np.sqrt(max(sigma2 * c[-1, -1], 0.0)) * scale[j]
            notes[j] = ("confounded with regularised parameters: estimate and std error are "
                        "conditional on their prior-held values")
    combos = []
    for i in range(k):
        if s_full[i] <= tol:
            v = vt[i]
            terms = {names[j]: round(float(v[j]), 3) for j in np.argsort(-np.abs(v)) if abs(v[j]) > 0.2}
            combos.append(terms)
    sd = np.sqrt(np.clip(np.diag(post), 1e-300, None))
    corr = post / np.outer(sd, sd)
    correlated = [(names[a], names[b], round(float(corr[a, b]), 3))
                  for a in range(k) for b in range(a + 1, k)
                  if identified[a] and identified[b] and abs(corr[a, b]) > 0.9]
    params = p0.set_many(dict(zip(names[:kp], est[:kp])))
    unid = [names[j] for j in range(k) if not identified[j] and wvec[j] > 0]
    cond_names = [names[j] for j in range(k) if not identified[j] and wvec[j] == 0]
    msg = ("every regularised parameter is identified by the data" if not unid else
           f"{len(unid)} of {k} parameters cannot be separated by this data and are regularised "
           f"toward their defaults (standard error not reported): {', '.join(unid)}")
    if cond_names:
        msg += (f"; {', '.join(cond_names)} is not regularised but confounded with them: its "
                "estimate and standard error hold given their prior values")
    estimates = pd.DataFrame({"parameter": names, "estimate": est, "std_error": se,
                              "default": default_vals, "identified": identified,
                              "contraction": contraction, "note": notes})
    pred = meas * np.exp(r)
    resid = sc.copy()
    resid["quantity"] = qty
    resid["measured"] = meas
    resid["predicted"] = pred
    resid["residual_log"] = r
    resid["rel_error"] = pred / meas - 1.0
    resid["outlier"] = outlier
    rel = np.abs(resid["rel_error"].to_numpy())
    ss_tot = float(np.sum((np.log(meas) - np.log(meas).mean()) ** 2))
    per_q = {q: {"n": int((qty == q).sum()), "median_abs_rel_error": float(np.median(rel[qty == q])),
                 "mean_abs_rel_error": float(np.mean(rel[qty == q]))} for q in pd.unique(qty)}
    gof = {"n": n, "n_free": k, "n_identified": n_id, "rmse_log": float(np.sqrt(np.mean(r ** 2))),
           "sigma_log": float(np.sqrt(sigma2)),
           "r2_log": float(1 - np.sum(r ** 2) / ss_tot) if ss_tot > 0 else float("nan"),
           "median_abs_rel_error": float(np.median(rel)), "max_abs_rel_error": float(rel.max()),
           "loss": loss, "n_outliers": int(outlier.sum()), "nfev": int(res.nfev),
           "per_quantity": per_q}
    # what the data does pin: each path's total hop cost relative to a reference path
    path_sums = []
    uniq_paths = list(pd.unique(sc["path"]))
    ref = "host" if "host" in uniq_paths else uniq_paths[0]
    for kind in ("hop_latency_s", "hop_cpu_s"):
        def vec(pth):
            hops = get_path(pth).hops
            a = np.array([hops.count(nm.split(".", 1)[1]) * scale[j] if nm.startswith(kind + ".")
                          else 0.0 for j, nm in enumerate(names)])
            fixed = sum(getattr(params, kind)[h] for h in hops if f"{kind}.{h}" not in names)
            return a, fixed
        a_ref, f_ref = vec(ref)
        if not a_ref.any():
            continue
        for pth in uniq_paths:
            if pth == ref:
                continue
            a, f = vec(pth)
            dlt = a - a_ref
            path_sums.append({"path": pth, "reference": ref, "quantity": kind,
                              "difference_s": float(dlt @ res.x + f - f_ref),
                              "std_error": float(np.sqrt(max(sigma2 * dlt @ post @ dlt, 0.0)))})
    ident = {"rank": rank, "condition_number": cond, "path_sums": path_sums,
             "identified": [names[j] for j in range(k) if identified[j]], "unidentified": unid,
             "combinations": combos, "correlated": correlated, "message": msg}
    return FitResult(params, estimates, resid, gof, ident, res)


def _num_jac(f, x, h=1e-6):
    f0 = f(x)
    j = np.empty((f0.size, x.size))
    for i in range(x.size):
        dx = h * max(1.0, abs(x[i]))
        xp = x.copy()
        xp[i] += dx
        j[:, i] = (f(xp) - f0) / dx
    return j


# --------------------------------------------------------------------------- cross-validation
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
    from .predict import predict

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
