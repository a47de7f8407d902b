"""The outcome of a calibration and its diagnostics: estimates with standard errors,
identifiability, residuals and goodness of fit (:class:`FitResult`)."""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from ..params import ModelParams
from ..paths import get_path

__all__ = ["FitResult"]


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


#: Parameters the fit never moves: facts about the machines (cores, NIC receive queues) that
#: are known, not estimated; a throughput plateau fixes their product with a per-core cost.
HELD_INPUTS = ("node_cores", "nic_rx_queues")


def held_inputs_note(params) -> str:
    """What the fit holds as inputs, with their values (part of the identifiability message).

    >>> from cnimodel.params import ModelParams
    >>> held_inputs_note(ModelParams())
    'held as inputs, not fitted: node_cores 12, nic_rx_queues 8 (the cores and receive queues of the shared stages; set them per row with the columns node_cores and rx_queues)'
    """
    vals = ", ".join(f"{k} {getattr(params, k):g}" for k in HELD_INPUTS)
    return (f"held as inputs, not fitted: {vals} (the cores and receive queues of the shared "
            "stages; set them per row with the columns node_cores and rx_queues)")


def build_result(p0, names, res, r, meas, qty, sc, scale, default_vals, wvec, loss, outlier, thr, model,
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
    msg += "; " + held_inputs_note(p0)
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
