"""Attribution: every prediction broken into its terms, and the difference between two paths.

:func:`latency_terms` splits the mean latency of one request/response transaction (netperf
TCP_RR, or TCP_CRR with ``test="crr"``) into the terms of the latency model
(docs/models.md): per hop kind (``hop:<kind>``: crossings x cost, request and response, plus
the netfilter rules), ``per_byte`` (copies), ``serialization``, ``propagation``,
``base_rtt``, ``extra_rtt``, ``connection`` (TCP_CRR set-up, teardown, conntrack) and
``queueing`` (mean sojourn minus the zero-load latency).  :func:`cpu_terms` splits the CPU
cost per payload byte of a bulk stream into hop kinds (``hop:<kind>``), ``copy``,
``send_calls`` and ``wire_packets``, and tells each part's stage (``tx``, ``rx``, ``node``).
The parts sum to the engine's total (:func:`cnimodel.engine.evaluate`) to rounding.
:func:`compare` ranks the terms by which one path exceeds another.

Examples
--------
>>> from cnimodel.explain import compare, latency_terms
>>> t = latency_terms(path="host")
>>> bool(abs(t.seconds.sum() - t.attrs["total_s"]) < 1e-18)
True
>>> r = compare(path="overlay", against="host")
>>> [x["term"] for x in r["terms"][:4]]
['hop:veth', 'hop:bridge', 'hop:encap', 'hop:decap']
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from .engine import HOPS, Design, evaluate, scenario_columns
from .engine.evaluate import cpu_cost, path_costs
from .errors import ParameterError
from .params import ModelParams

__all__ = ["latency_terms", "cpu_terms", "compare"]


def _design(path, scenario, test):
    if "path" in scenario:
        raise ParameterError("path", scenario["path"], "the path argument, not a scenario column")
    cols = {**({"msg_size_bytes": 1.0} if test != "stream" else {}), **scenario, "path": path,
            "test": test}
    for k, v in cols.items():
        if np.ndim(v) and not isinstance(v, str):
            raise ParameterError(k, v, "a scalar (explain takes one scenario)")
    c, n, _ = scenario_columns(None, cols)
    return Design(c, n)


def _f(v):
    return float(np.asarray(v, float).reshape(-1)[0])


def latency_terms(params=None, path="host", test="rr", **scenario) -> pd.DataFrame:
    """Mean latency of one transaction of ``path`` split into its terms [s].

    ``scenario``: one scenario's columns as for :func:`cnimodel.predict.predict` (scalars;
    ``msg_size_bytes`` defaults to 1 byte).  Returns a DataFrame ``term, seconds, share``
    (share of the total) with ``attrs["total_s"]``, the engine's ``latency_mean_s``.
    """
    p = params if params is not None else ModelParams()
    if test not in ("rr", "crr"):
        raise ParameterError("test", test, "'rr' or 'crr' (the latency of a transaction)")
    d = _design(path, scenario, test)
    out = evaluate(p, d)
    total, zero = _f(out["latency_mean_s"]), _f(out["zero_load_s"])
    if not np.isfinite(total):
        raise ParameterError("scenario", "misconfigured", "a pod MTU the underlay carries")
    req, resp = _f(d.msg), _f(d.resp)
    counts = d.counts_u[_i(d.codes)]
    rules = _f(d.rules)
    terms = {}
    for j, h in enumerate(HOPS):
        s = 2.0 * counts[j] * p.hop_latency_s[h]
        if h == "netfilter":
            s += 2.0 * counts[j] * rules * p.netfilter_rule_latency_s
        if counts[j]:
            terms[f"hop:{h}"] = s
    n_wire = _f(d.n_wire)
    rate = _f(d.rate)
    inv = 0.0 if np.isinf(rate) else 8.0 / rate
    burst = _f(d.burst)
    ovh = _f(d.ovh)

    def queued(m):
        wb = ovh if m == 0 else _f(d.wire_bytes(m))
        return max(0.0, wb - burst)

    terms["per_byte"] = p.latency_per_byte_s * (req + resp)
    terms["serialization"] = n_wire * inv * (queued(req) + queued(resp))
    terms["propagation"] = 2.0 * n_wire * p.propagation_s
    terms["base_rtt"] = p.base_rtt_s
    terms["extra_rtt"] = _f(d.extra)
    if test == "crr":  # the transaction's zero-load latency beyond the RR terms
        terms["connection"] = zero - sum(terms.values())
    terms["queueing"] = total - zero
    df = pd.DataFrame({"term": list(terms), "seconds": list(terms.values())})
    df["share"] = df.seconds / total
    df.attrs["total_s"] = total
    return df


def _i(codes):
    return int(np.asarray(codes).reshape(-1)[0])


def cpu_terms(params=None, path="host", **scenario) -> pd.DataFrame:
    """CPU cost per payload byte of a bulk TCP stream split into parts [s/byte].

    Returns a DataFrame ``term, stage, s_per_byte, share`` (``stage``: ``tx`` or ``rx`` (the
    shared stages of :func:`cnimodel.engine.stage_cores`) or ``rx_app`` (the receiver's copy,
    in its application thread) on a cross-node path, ``node`` on a same-node one, ``path``
    for the wire hop) with
    ``attrs["total_s_per_byte"]``, the engine's ``cpu_cost_per_byte_s``.
    """
    p = params if params is not None else ModelParams()
    d = _design(path, {**scenario, "protocol": "tcp"}, "stream")
    c = path_costs(p, d)[1]
    k = cpu_cost(p, d, c)
    total = _f(k["byte"])
    i = _i(d.codes)
    seg, mss = _f(k["seg"]), _f(d.mss)
    tun_on = _f(c["tun"]) > 0 or (_f(d.tun_u[i].sum()) > 0 and not p.tunnel_offload)
    same = bool(np.all(d.no_wire))
    rules = _f(d.rules)
    rows = []
    for side, u, tu in (("tx", d.tx_u[i], d.tun_tx_u[i]), ("rx", d.rx_u[i], d.tun_rx_u[i]),
                        ("path", d.counts_u[i] - d.tx_u[i] - d.rx_u[i],
                         d.tun_u[i] - d.tun_tx_u[i] - d.tun_rx_u[i])):
        for j, h in enumerate(HOPS):
            if not u[j]:
                continue
            cost = p.hop_cpu_s[h] + (rules * p.netfilter_rule_cpu_s if h == "netfilter" else 0.0)
            per_pkt = tu[j] if tun_on else 0.0
            s = cost * ((u[j] - per_pkt) / seg + per_pkt / mss)
            rows.append((f"hop:{h}", "node" if same and side != "path" else side, s))
    half = 0.5 * p.cpu_per_byte_s
    rows += [("copy", "node" if same else "tx", half), ("copy", "node" if same else "rx_app", half),
             ("send_calls", "node" if same else "tx", p.cpu_per_call_s / _f(d.send)),
             ("wire_packets", "node" if same else "rx", _f(k["wire"]) / mss)]
    df = pd.DataFrame(rows, columns=["term", "stage", "s_per_byte"])
    df = df.groupby(["term", "stage"], as_index=False, sort=False)["s_per_byte"].sum()
    df["share"] = df.s_per_byte / total
    df.attrs["total_s_per_byte"] = total
    return df


def compare(params=None, path="overlay", against="host", test="rr", against_scenario=None,
            **scenario) -> dict:
    """The latency difference ``path - against`` as a ranked list of contributions.

    ``against_scenario`` (dict, optional) overrides scenario columns for ``against`` only, for
    inputs that differ per path in one measurement, e.g. ``netfilter_rules`` (rules per
    netfilter step: 0 on a path that does not traverse a node's rules).

    Returns ``{"path", "against", "total_s", "terms": [{"term", "seconds", "share"}, ...]}``
    (largest absolute contribution first; ``share`` of the difference; ``total_s`` the
    difference of the totals, which the terms sum to).
    """
    a = latency_terms(params, path, test, **scenario)
    b = latency_terms(params, against, test, **{**scenario, **(against_scenario or {})})
    diff = (a.set_index("term").seconds.sub(b.set_index("term").seconds, fill_value=0.0))
    diff = diff.reindex(list(a.term) + [t for t in b.term if t not in set(a.term)])  # path order
    diff = diff[diff != 0.0]
    order = diff.abs().sort_values(ascending=False, kind="stable").index
    total = a.attrs["total_s"] - b.attrs["total_s"]
    terms = [{"term": t, "seconds": float(diff[t]),
              "share": float(diff[t] / total) if total else float("nan")} for t in order]
    return {"path": str(path), "against": str(against), "test": test, "total_s": float(total),
            "terms": terms}
