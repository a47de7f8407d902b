"""The design of a scenario table: everything about the scenarios that does not depend on the
model parameters (hop counts, tests, validated numbers, the byte model's packet sizes).

A :class:`Design` is built once per scenario table and evaluated for many parameter sets
(:func:`cnimodel.engine.evaluate`; the calibration evaluates one design hundreds of times).
Byte quantities come from :func:`cnimodel.overhead.summarize`, evaluated once per unique
(path, encapsulation, MTUs, IP version, accounting) combination and gathered back to the rows.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from .. import overhead as ov
from ..errors import ParameterError
from ..paths import HOP_KINDS, get_path
from ..queueing import check_load
from ..validation import as_array, as_bool, check, check_range
from .columns import (DEFAULT_SEND_BYTES, SCENARIO_DEFAULTS, TESTS, WIRE_KINDS, factorize, is_scalar,
                      uniform, where)

__all__ = ["Design", "HOPS"]

#: Hop kinds in the order of the cost vectors (:data:`cnimodel.paths.HOP_KINDS`).
HOPS = tuple(HOP_KINDS)


def _getter(cols):
    """``g(name, default=None)``: a scenario column, or ``default`` when it is None."""
    def g(k, default=None):
        v = cols.get(k, SCENARIO_DEFAULTS[k])
        return default if v is None and default is not None else v
    return g


class Design:
    """Everything about the scenarios that does not depend on the parameters."""

    def __init__(self, cols, n):
        g = _getter(cols)
        self.n = n
        self.cats = {}
        # paths: per unique path a row of hop counts
        self.codes, uniq = factorize("path", g("path"))
        self.paths = [get_path(u) for u in uniq]
        cu = np.array([[p.count(h) for h in HOPS] for p in self.paths], dtype=float)
        tun = np.zeros_like(cu)
        for i, p in enumerate(self.paths):
            if "encap" in p.hops and "decap" in p.hops:
                a, b = p.hops.index("encap"), len(p.hops) - 1 - p.hops[::-1].index("decap")
                for h in p.hops[a:b + 1]:
                    tun[i, HOPS.index(h)] += 1
        self.counts_u, self.tun_u = cu, tun
        # shared stages: hops before the first wire run on the sending node (transmit stage),
        # after the last wire on the receiving node (receive stage); a same-node path has one
        # node stage (docs/models.md, "Shared stages")
        tx, rx = np.zeros_like(cu), np.zeros_like(cu)
        for i, p in enumerate(self.paths):
            if "wire" in p.hops:
                a, b = p.hops.index("wire"), len(p.hops) - 1 - p.hops[::-1].index("wire")
                for h in p.hops[:a]:
                    tx[i, HOPS.index(h)] += 1
                for h in p.hops[b + 1:]:
                    rx[i, HOPS.index(h)] += 1
        self.tx_u, self.rx_u = tx, rx
        self.tun_tx_u, self.tun_rx_u = np.minimum(tun, tx), np.minimum(tun, rx)
        self.has_tun = self.per_path(np.array([bool(t.any()) for t in tun]))
        # receive-queue spreading: the path's property unless the scenario says otherwise;
        # ``entropy_u`` (per path) when no row overrides it
        dflt_u = np.array([p.rx_flow_entropy for p in self.paths])
        e = g("rx_flow_entropy")
        if is_scalar(e) and (e is None or (not isinstance(e, str) and pd.isna(e))):
            self.entropy, self.entropy_u = self.per_path(dflt_u), dflt_u
        else:
            if not is_scalar(e):
                e = np.asarray(e, dtype=object)
                e = np.where(pd.isna(e), np.broadcast_to(dflt_u[self.codes], e.shape), e)
            self.entropy, self.entropy_u = uniform(as_bool("rx_flow_entropy", e)), None
        n_wire_u = cu[:, HOPS.index("wire")]
        self.n_wire = n_wire_u[self.codes]
        self.no_wire = self.per_path(n_wire_u == 0)
        self.wire_f = self.per_path(np.asarray(n_wire_u > 0, float))  # 1 across nodes, 0 on one
        self.node_f = self.per_path(np.asarray(n_wire_u == 0, float))  # 1 on one node
        self.n_nf = cu[:, HOPS.index("netfilter")][self.codes]
        # MTU-sized packets exist only where a path crosses a NIC: a veth wire and same-node
        # paths carry the GSO super-packets whole (docs/models.md, "Wire packets")
        wc, wu = factorize("wire_kind", g("wire_kind"))
        wu = [str(w).lower() for w in wu]
        for w in wu:
            if w not in WIRE_KINDS:
                raise ParameterError("wire_kind", w, "'nic' or 'veth'")
        nic = np.array([w == "nic" for w in wu])[wc] if len(wu) > 1 else wu[0] == "nic"
        self.cats["wire_kind"] = (wc, wu)
        if np.ndim(nic) == 0:  # one wire kind: a property of the path (``wire_pkt_u``)
            self.wire_pkt_u = np.asarray((n_wire_u > 0) & bool(nic), float)
            self.wire_pkt = self.per_path(self.wire_pkt_u)
        else:
            self.wire_pkt_u = None
            self.wire_pkt = uniform(np.where(self.n_wire > 0, nic, False).astype(float))
        # tests and protocols
        tc, tu = factorize("test", g("test"))
        tu = [str(t).lower() for t in tu]
        for t in tu:
            if t not in TESTS:
                raise ParameterError("test", t, "'stream', 'rr' or 'crr'")
        self.test = np.array([TESTS.index(t) for t in tu])[tc] if len(tu) > 1 else TESTS.index(tu[0])
        self.cats.update({"path": (self.codes, [p.name for p in self.paths]), "test": (tc, tu)})
        pc, pu = factorize("protocol", g("protocol"))
        pu = [str(t).lower() for t in pu]
        for t in pu:
            if t not in ("tcp", "udp"):
                raise ParameterError("protocol", t, "'tcp' or 'udp'")
        self.udp = uniform(np.array([t == "udp" for t in pu])[pc]) if len(pu) > 1 else pu[0] == "udp"
        self.cats["protocol"] = (pc, pu)
        if np.any(self.udp & (self.test == 2)):
            raise ParameterError("test", "crr", "'stream' or 'rr' with protocol 'udp'")
        # numbers
        self.streams = check_range("streams", g("streams", 1), lo=1)
        self.cores = check_range("cores", g("cores", np.nan), lo=0, lo_strict=True, nan_ok=True,
                                 inf_ok=True, allowed="> 0 (or NaN: one per stream)")
        self.load = check_load(g("load", 0.0))
        self.loss = check_range("loss_rate", g("loss_rate", 0.0), lo=0, hi=1, hi_strict=True,
                                allowed="0 <= p < 1")
        burst = check_range("shaper_burst_bytes", g("shaper_burst_bytes", np.nan), lo=0, nan_ok=True,
                            inf_ok=True, allowed=">= 0 bytes (NaN: a physical link)")
        self.burst = uniform(np.where(np.isnan(burst), 0.0, burst)) if np.ndim(burst) else \
            (0.0 if np.isnan(burst) else float(burst))
        self.rtx = check_range("retransmit_fraction", g("retransmit_fraction", 0.0), lo=0, hi=1,
                               hi_strict=True, allowed="0 <= fraction < 1")
        self.extra = check_range("extra_rtt_s", g("extra_rtt_s", 0.0), lo=0, allowed=">= 0 s")
        rate = check_range("link_rate_bps", g("link_rate_bps", 10e9), lo=0, lo_strict=True, nan_ok=True,
                           inf_ok=True, allowed="> 0 bit/s (NaN or inf: unshaped)")
        self.rate = np.where(np.isnan(rate), np.inf, rate)
        self.offload = uniform(as_bool("offload", g("offload")))
        self.csum = uniform(as_bool("csum_offload", g("csum_offload")))
        self.rules = uniform(check_range("netfilter_rules", g("netfilter_rules", 0.0), lo=0,
                                         allowed=">= 0 rules"))
        self.node_cores = check_range("node_cores", g("node_cores", np.nan), lo=0, lo_strict=True,
                                      nan_ok=True, allowed="> 0 (NaN: params.node_cores)")
        self.rx_queues = check_range("rx_queues", g("rx_queues", np.nan), lo=1, nan_ok=True,
                                     allowed=">= 1 (NaN: params.nic_rx_queues)")
        msg = check_range("msg_size_bytes", g("msg_size_bytes", np.nan), lo=0, nan_ok=True,
                          allowed=">= 0 bytes")
        resp = check_range("response_size_bytes", g("response_size_bytes", np.nan), lo=0, nan_ok=True,
                           allowed=">= 0 bytes")
        self.msg_raw = msg
        self.msg = np.where(np.isnan(msg), 1.0, msg)
        self.send = uniform(np.where(np.isnan(msg), DEFAULT_SEND_BYTES, np.maximum(msg, 1.0)))
        self.resp = self.msg if np.isnan(resp).all() else np.where(np.isnan(resp), self.msg, resp)
        self._bytes(cols, g)

    def _bytes(self, cols, g):
        """Byte model (cnimodel.overhead) on the unique (path, encap, MTUs, IP, accounting)
        combinations, gathered back to the rows."""
        enc_u = [p.encap for p in self.paths]
        enc_override = cols.get("encap")
        if enc_override is None or (is_scalar(enc_override) and pd.isna(enc_override)):
            ecodes, euniq = pd.factorize(np.asarray(enc_u, dtype=object))
            ecode_rows = np.asarray(ecodes)[self.codes]
            self.cats["encap"] = (ecode_rows, list(euniq))
        else:
            e = enc_override if is_scalar(enc_override) else np.asarray(enc_override, dtype=object)
            if not is_scalar(e):
                miss = pd.isna(e)
                if miss.any():
                    e = np.where(miss, np.asarray(enc_u, dtype=object)[self.codes], e)
            ecode_rows, euniq = factorize("encap", e)
        acc_codes, acc_u = factorize("accounting", g("accounting"))
        for a in acc_u:
            ov.framing_bytes(a)  # validates
        self.cats["accounting"] = (acc_codes, [str(a) for a in acc_u])
        keys = [(self.codes, len(self.paths)), (ecode_rows, len(euniq)), (acc_codes, len(acc_u))]
        num_u = {}
        for name, default in (("underlay_mtu_bytes", 1500.0), ("pod_mtu_bytes", np.nan),
                              ("ip_version", 4.0)):
            v = as_array(name, g(name, default))
            if v.ndim == 0:
                num_u[name] = (np.int64(0), v.reshape(1))
            else:
                codes, uniq = pd.factorize(v, use_na_sentinel=False)
                num_u[name] = (np.asarray(codes), np.asarray(uniq, float))
            keys.append((num_u[name][0], len(num_u[name][1])))
        combo = np.int64(0)
        for codes, size in keys:
            combo = combo * size + codes
        if np.ndim(combo) == 0:
            grp, first = np.int64(0), np.zeros(1, dtype=np.int64)
        else:
            grp, uniq = pd.factorize(combo)
            grp = np.asarray(grp)
            first = np.empty(len(uniq), dtype=np.int64)
            first[grp[::-1]] = np.arange(len(grp) - 1, -1, -1)
        pick = lambda codes: np.broadcast_to(codes, (self.n,))[first] if np.ndim(codes) else np.zeros(len(first), int)  # noqa: E731
        enc = np.asarray(euniq, dtype=object)[pick(ecode_rows)]
        under = num_u["underlay_mtu_bytes"][1][pick(num_u["underlay_mtu_bytes"][0])]
        pod_req = num_u["pod_mtu_bytes"][1][pick(num_u["pod_mtu_bytes"][0])]
        ipv = num_u["ip_version"][1][pick(num_u["ip_version"][0])]
        acc = np.asarray(acc_u, dtype=object)[pick(acc_codes)]
        pod = None
        if not np.isnan(pod_req).all():
            check("ip_version", ipv, np.isin(ipv, (4, 6)), "4 or 6")
            maxpod = under - ov.encap_overhead_bytes(enc, ipv)
            pod = np.where(np.isnan(pod_req), maxpod, pod_req)
        r = ov.summarize(encap=enc, underlay_mtu_bytes=under, ip_version=ipv, protocol="tcp",
                         accounting="wire", pod_mtu_bytes=pod, on_misconfig="flag", _skip_rate=True)
        extra = np.array([ov.framing_bytes(a) - ov.framing_bytes("wire") for a in acc], float)
        frame = np.asarray(r["frame_bytes"], float) + extra
        pod_g = np.asarray(r["pod_mtu_bytes"], float)
        mss_g = np.asarray(r["payload_per_packet_bytes"], float)
        udp_max_g = pod_g - ov.transport_header_bytes("udp", ipv)
        take = lambda a: a[grp]  # noqa: E731
        # byte groups: row -> group (``grp``), each group's path code and MSS, so that what
        # depends only on them is computed once per group (engine.evaluate.cpu_cost)
        self.grp, self.g_codes, self.mss_g = grp, pick(self.codes), mss_g
        self.pod, self.mss = take(pod_g), take(mss_g)
        self.max_pod = take(np.asarray(r["max_pod_mtu_bytes"], float))
        mis = np.asarray(r["mtu_misconfigured"], bool)
        self.misconfig = take(mis) if mis.any() else False
        udp_max = take(udp_max_g)
        self.tcp_ovh = take(frame - mss_g)               # headers + encap + framing per packet
        self.udp_ovh = take(frame - udp_max_g)
        eff_tcp = take(np.where(mis, np.nan, mss_g / frame))
        if np.any(self.udp):
            self.udp_d = np.where(np.isnan(self.msg_raw), udp_max, np.clip(self.msg_raw, 1, udp_max))
            self.payload = where(self.udp, udp_max, self.mss)
            self.ovh = where(self.udp, self.udp_ovh, self.tcp_ovh)
            self.eff = where(self.udp, self.udp_d / (self.udp_d + self.udp_ovh), eff_tcp)
        else:
            self.udp_d = udp_max
            self.payload, self.ovh, self.eff = self.mss, self.tcp_ovh, eff_tcp

    def per_path(self, values):
        """Per-path ``values`` (one per unique path) at the rows: 0-d when all are equal."""
        values = np.asarray(values)
        if values.size and (values == values[0]).all():
            return values[0]
        return values[self.codes]

    def wire_bytes(self, m):
        """Bytes charged on the link for a message of m bytes (ceil(m / payload) packets)."""
        return m + np.maximum(1.0, np.ceil(m / self.payload)) * self.ovh
