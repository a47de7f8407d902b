"""What-if prediction over a grid of scenarios, in the units of the measured tidy schema.

:func:`predict` evaluates the latency model (:mod:`cnimodel.latency`) and the throughput
model (:mod:`cnimodel.throughput`) for every row of a scenario table and returns a tidy
frame whose measured-quantity columns have the names of :mod:`cnimodel.io.schema`
(``throughput_bps``, ``latency_mean_s``, ``transactions_per_s``, ``mss_bytes``, ...), so a
measured dataset and its prediction sit side by side.

Vectorized: rows are grouped by path (a few unique names); hop sums are a hop-count
matrix times the cost vector, indexed back to the rows; no Python loop over rows.

Examples
--------
>>> from cnimodel.predict import predict
>>> df = predict(path=["host", "overlay"], underlay_mtu_bytes=1500, link_rate_bps=10e9)
>>> df[["path", "mss_bytes", "bound"]].to_string(index=False)
'   path  mss_bytes bound\\n   host     1448.0  link\\noverlay     1398.0  link'
>>> round(float(df.throughput_bps.iloc[1]) / 1e9, 3)
9.09
>>> predict(path="host", test="rr", load=1.0)
Traceback (most recent call last):
...
cnimodel.errors.ParameterError: invalid load=1.0: allowed 0 <= rho < 1 (a queue at rho >= 1 is unstable)
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from .bounds import BOUNDS
from .engine import (DEFAULT_SEND_BYTES, SCENARIO_DEFAULTS, WIRE_KINDS, Design, evaluate, is_scalar,
                     scenario_columns)

__all__ = ["predict", "SCENARIO_DEFAULTS", "OUTPUT_COLUMNS", "WIRE_KINDS", "DEFAULT_SEND_BYTES"]

#: Columns :func:`predict` adds.
OUTPUT_COLUMNS = ("max_pod_mtu_bytes", "pod_mtu_bytes", "mss_bytes", "throughput_bps", "bound",
                  "goodput_bound_bps", "cpu_bound_bps", "cpu_tx_bound_bps", "cpu_rx_bound_bps",
                  "cpu_node_bound_bps", "latency_mean_s", "latency_p50_s",
                  "latency_p90_s", "latency_p99_s", "transactions_per_s", "cpu_cores_used",
                  "mtu_misconfigured")
_BOUND_CATS = ("",) + BOUNDS


def predict(params=None, scenarios=None, **columns) -> pd.DataFrame:
    """Predict throughput, latency and CPU for every scenario row.

    Parameters
    ----------
    params : ModelParams, optional
        Default ``ModelParams()`` (cited defaults); a fitted one from :func:`cnimodel.calibrate.fit`.
    scenarios : DataFrame or dict of columns, optional
        One row per scenario; ``columns`` keyword arguments add or override columns
        (scalars broadcast).  Columns (defaults in :data:`SCENARIO_DEFAULTS`):

        - ``path`` (required): name of a registered path or a :class:`~cnimodel.paths.Path`;
        - ``underlay_mtu_bytes`` [bytes]; ``encap`` (override of the path's encapsulation);
          ``pod_mtu_bytes`` [bytes] (configured; NaN: largest allowed, a larger one is flagged
          in ``mtu_misconfigured`` and gives NaN predictions);
        - ``link_rate_bps`` [bit/s] (NaN or inf: unshaped, no link bound / serialization);
          ``accounting`` ('wire' | 'l2'); ``ip_version`` (4 | 6); ``protocol`` ('tcp' | 'udp');
        - ``test`` ('stream' | 'rr' | 'crr'); ``msg_size_bytes`` [bytes] (rr/crr request;
          UDP datagram; TCP stream: the send size, one ``send()`` call each; NaN: 1 byte for
          rr, the largest datagram for UDP, 128 KiB (iperf3's default) for a TCP stream);
          ``response_size_bytes`` [bytes] (default = request);
        - ``streams`` [1]; ``cores`` [1] (NaN: one per stream); ``offload`` (TSO/GSO/GRO);
        - ``node_cores`` [1] (NaN: ``params.node_cores``), ``rx_queues`` [1] (NaN:
          ``params.nic_rx_queues``), ``rx_flow_entropy`` (None: the path's; whether the NIC
          spreads the flows over its receive queues): the shared transmit / receive / node
          stages (docs/models.md, "Shared stages");
        - ``csum_offload`` (the tunnel device's checksum offload; False: software
          segmentation and checksum at the tunnel, its hops charged per wire packet);
        - ``netfilter_rules`` [1]: rules each netfilter crossing traverses beyond the base cost
          (kube-proxy iptables mode: grows with the Services);
        - ``load`` utilisation rho of the path's bottleneck, ``0 <= rho < 1`` [1];
        - ``loss_rate`` [1] (random loss, for the loss bound); ``extra_rtt_s`` [s];
        - ``retransmit_fraction`` [1]: share of transmitted segments that are retransmissions
          (an observed input, e.g. iperf3 ``retransmits``); they occupy the link, so the link
          bound becomes ``link_rate_bps * efficiency * (1 - retransmit_fraction)``;
        - ``shaper_burst_bytes`` [bytes]: the link is a token-bucket shaper (``tc tbf``) with this
          bucket: a message's first ``burst`` wire bytes leave without waiting for tokens
          (NaN: a physical link, every byte serialized at ``link_rate_bps``);
        - ``wire_kind`` ('nic' | 'veth'): what connects the nodes.  A NIC receives MTU-sized
          frames (``cpu_per_wire_packet_s`` each, even with TSO/GRO); a veth wire, like a
          same-node path, carries the GSO super-packets whole, so that cost is not charged.
        Same-node paths (no ``wire`` hop) have no link bound and no serialization.

    Returns
    -------
    DataFrame
        The scenario columns (defaults filled in; ``rx_flow_entropy`` the value used: the
        path's own where a row gives none) followed by ``max_pod_mtu_bytes`` (the
        largest pod MTU the underlay carries after encapsulation), ``pod_mtu_bytes``, ``mss_bytes``
        [bytes], ``throughput_bps`` [bit/s] (stream rows), ``bound`` ('link' | 'cpu_stream' |
        'window' | 'loss' | 'packet_rate' | 'cpu_tx' | 'cpu_rx' | 'cpu_node';
        '' for rr/crr rows), ``goodput_bound_bps``, ``cpu_bound_bps`` (the streams' own CPU),
        ``cpu_tx_bound_bps``, ``cpu_rx_bound_bps``, ``cpu_node_bound_bps`` (shared stages)
        [bit/s], ``latency_mean_s``, ``latency_p50_s``, ``latency_p90_s``, ``latency_p99_s`` [s]
        and ``transactions_per_s`` [1/s] (rr/crr rows), ``cpu_cores_used`` [cores],
        ``mtu_misconfigured`` (bool), ``service_s`` [s] (queue service time).  Columns of a
        ``scenarios`` frame that carry these names (a measured dataset) are kept as
        ``<name>_measured``, so measured and predicted sit side by side.

    Examples
    --------
    >>> df = predict(path="overlay", test="rr", load=[0.0, 0.5, 0.9])
    >>> bool(df.latency_p99_s.is_monotonic_increasing)
    True
    """
    c, n, frame = scenario_columns(scenarios, columns)
    d = Design(c, n)
    out = evaluate(params, d)
    data = {}
    for k in list(SCENARIO_DEFAULTS) + [k for k in (frame.columns if frame is not None else ())
                                        if k not in SCENARIO_DEFAULTS] + list(c):
        if k in data or k in OUTPUT_COLUMNS:
            continue
        if k in d.cats:
            codes, cats = d.cats[k]
            if len(set(cats)) == len(cats) and all(isinstance(x, str) for x in cats):
                data[k] = pd.Categorical.from_codes(np.broadcast_to(codes, (n,)), categories=cats)
                continue
        v = c.get(k, SCENARIO_DEFAULTS.get(k))
        if k == "encap" and (v is None or (is_scalar(v) and pd.isna(v))):
            v = np.asarray([p.encap for p in d.paths], dtype=object)[np.broadcast_to(d.codes, (n,))]
        elif k == "rx_flow_entropy":   # filled in: the path's own where the row gives none
            v = np.broadcast_to(np.asarray(d.entropy, bool), (n,))
        data[k] = _full(v, n)
    if frame is not None:  # measured values of a dataset frame stay, beside the predictions
        for k in OUTPUT_COLUMNS + ("service_s",):
            if k in frame.columns and k not in SCENARIO_DEFAULTS:
                data[f"{k}_measured"] = frame[k].to_numpy()
    for k in OUTPUT_COLUMNS + ("service_s",):
        if k == "bound":
            data[k] = pd.Categorical.from_codes(np.broadcast_to(out["bound_code"], (n,)),
                                                categories=list(_BOUND_CATS))
        else:
            data[k] = np.broadcast_to(out[k], (n,))
    return pd.DataFrame(data, copy=False)


def _full(v, n):
    if isinstance(v, (pd.Categorical,)):
        return v
    if isinstance(v, pd.Series):
        return v.array
    if is_scalar(v):
        if isinstance(v, str) or v is None:
            return pd.Categorical.from_codes(np.zeros(n, dtype=np.int8), categories=[v]) \
                if v is not None else np.full(n, None, dtype=object)
        return np.full(n, v)
    return np.asarray(v)
