"""``cnimodel fit`` and ``cnimodel predict``: calibrate the models, and ask what-if questions."""
from __future__ import annotations

import json
import math
from pathlib import Path as _P

from ._types import encap_name
from ..errors import DataFormatError, ParameterError
from ..jsonclean import jsonable

#: Keys of ``cnimodel predict --json`` (tidy schema names, plus ``bound``).
PREDICT_KEYS = ("path", "encap", "test", "protocol", "underlay_mtu_bytes", "pod_mtu_bytes",
                "mss_bytes", "link_rate_bps", "accounting", "msg_size_bytes", "streams", "load",
                "throughput_bps", "bound", "goodput_bound_bps", "cpu_bound_bps", "cpu_tx_bound_bps",
                "cpu_rx_bound_bps", "cpu_node_bound_bps", "latency_mean_s",
                "latency_p50_s", "latency_p90_s", "latency_p99_s", "transactions_per_s",
                "cpu_cores_used", "mtu_misconfigured")


def register(sub):
    f = sub.add_parser("fit", help="fit the latency/throughput model to a measured dataset",
                       description="Fit cnimodel's latency and throughput parameters to a dataset "
                       "(a directory read with cnimodel.io.load_dataset, a benchmark file, or a "
                       "tidy CSV) by regularised bounded least squares; print the fit summary.")
    f.add_argument("dataset", help="dataset directory, benchmark output file or tidy .csv")
    f.add_argument("--out", help="write the fitted parameters here (JSON)")
    f.add_argument("--params", help="starting / prior parameters (JSON from a previous fit)")
    f.add_argument("--accounting", choices=("wire", "l2"),
                   help="byte accounting of the measured link: l2 for a tc tbf shaper "
                   "(default: the dataset's accounting column, else wire)")
    f.add_argument("--shaper-burst", type=float, metavar="BYTES",
                   help="tc tbf bucket of the shaped rows (the lab's is 1048576): messages within it "
                   "are not serialized at the shaped rate")
    f.add_argument("--latency-stat", choices=("mean", "p50"), default="mean",
                   help="fit the mean (default) or the median (p50) measured RR/CRR latency")
    f.add_argument("--robust", default="auto", choices=("auto", "linear", "soft_l1", "huber", "cauchy"))
    f.add_argument("--prior-weight", type=float, default=0.01,
                   help="weight of the pull toward the defaults (default 0.01)")
    f.add_argument("--json", action="store_true", help="print estimates and goodness of fit as JSON")
    f.set_defaults(func=run_fit)

    p = sub.add_parser("predict", help="predict throughput and latency of a path (what-if)",
                       description="Predict throughput (and which bound binds), latency "
                       "percentiles and transaction rate of a data path.")
    p.add_argument("--params", help="fitted parameters (JSON from cnimodel fit); default: cited defaults")
    p.add_argument("--path", required=True, help="host, bridge, overlay, routing, underlay or a "
                   "registered path; several separated by commas")
    add_scenario_args(p)
    p.add_argument("--json", action="store_true", help="JSON with tidy-schema keys plus 'bound'")
    p.set_defaults(func=run_predict)


def add_scenario_args(p):
    """The scenario flags of ``cnimodel predict`` (``cnimodel explain`` takes them too)."""
    p.add_argument("--encap", type=encap_name, help="encapsulation overriding the path's")
    p.add_argument("--mtu", type=float, default=1500, help="underlay MTU in bytes (default 1500)")
    p.add_argument("--pod-mtu", type=float, help="configured pod MTU in bytes (default: largest allowed)")
    p.add_argument("--link-gbps", type=float, default=10.0,
                   help="line rate in Gbit/s (default 10; 0 = unshaped, no link bound)")
    p.add_argument("--accounting", choices=("wire", "l2"), default="wire")
    p.add_argument("--ip", type=int, choices=(4, 6), default=4)
    p.add_argument("--protocol", choices=("tcp", "udp"), default="tcp")
    p.add_argument("--test", choices=("stream", "rr", "crr"), default="stream")
    p.add_argument("--msg-size", type=float, help="request size in bytes (rr/crr; UDP datagram; "
                   "send size of a TCP stream, default 131072)")
    p.add_argument("--wire", choices=("nic", "veth"), default="nic",
                   help="what connects the nodes: a NIC (default) or a veth pair (the lab)")
    p.add_argument("--streams", type=int, default=1)
    p.add_argument("--cores", type=float, help="cores for the streams (default: one per stream)")
    p.add_argument("--no-offload", action="store_true", help="TSO/GSO/GRO off")
    p.add_argument("--load", type=float, default=0.0, help="utilisation 0 <= rho < 1 (default 0)")
    p.add_argument("--queue", choices=("md1", "mm1", "mg1"), help="queue model (default: params)")
    p.add_argument("--loss", type=float, default=0.0, help="packet loss probability")
    p.add_argument("--csum-offload", choices=("on", "off"), default="on",
                   help="the tunnel device's checksum offload (off: software segmentation and "
                   "checksum at the tunnel)")
    p.add_argument("--node-cores", type=float, help="cores of a node (default: params.node_cores)")
    p.add_argument("--rx-queues", type=float, help="NIC receive queues (default: params.nic_rx_queues)")
    p.add_argument("--rx-entropy", choices=("on", "off"),
                   help="whether the NIC spreads the path's flows over its receive queues "
                   "(default: the path's; off for the VXLAN overlay)")
    p.add_argument("--netfilter-rules", type=float, default=0.0,
                   help="netfilter rules each crossing traverses (kube-proxy iptables: grows with "
                   "the Services; default 0)")


def scenario_from_args(args) -> dict:
    """Scenario columns of the flags of :func:`add_scenario_args` (one path: ``--path``'s list)."""
    if args.link_gbps < 0:
        raise ParameterError("link-gbps", args.link_gbps, ">= 0 (0 = unshaped)")
    cols = dict(underlay_mtu_bytes=args.mtu, link_rate_bps=args.link_gbps * 1e9 or math.inf,
                accounting=args.accounting, ip_version=args.ip, protocol=args.protocol,
                streams=args.streams, load=args.load, offload=not args.no_offload,
                loss_rate=args.loss, wire_kind=args.wire, csum_offload=args.csum_offload == "on",
                netfilter_rules=args.netfilter_rules)
    for k, v in (("encap", args.encap), ("pod_mtu_bytes", args.pod_mtu),
                 ("msg_size_bytes", args.msg_size), ("cores", args.cores),
                 ("node_cores", args.node_cores), ("rx_queues", args.rx_queues),
                 ("rx_flow_entropy", None if args.rx_entropy is None else args.rx_entropy == "on")):
        if v is not None:
            cols[k] = v
    return cols


# --------------------------------------------------------------------------- fit
def _load_frame(path: str):
    import pandas as pd

    src = _P(path)
    if not src.exists():
        raise ParameterError("dataset", path, "an existing directory or file")
    if src.suffix in (".csv", ".parquet"):
        try:
            return pd.read_csv(src) if src.suffix == ".csv" else pd.read_parquet(src)
        except (ValueError, pd.errors.ParserError) as exc:  # empty, truncated, not a table
            raise DataFormatError(path, "file", f"a tidy {src.suffix[1:]} table",
                                  found=" ".join(str(exc).split())[:120] or type(exc).__name__) from None
    from .. import io as cio

    if src.is_dir():
        frame, _report = cio.load_dataset(src)
        return frame
    out = cio.read(src)
    return out[0] if isinstance(out, tuple) else out


def run_fit(args) -> int:
    from ..calibrate import fit
    from ..params import ModelParams

    df = _load_frame(args.dataset)
    p0 = ModelParams.load(args.params) if args.params else None
    res = fit(df, p0, robust=args.robust, prior_weight=args.prior_weight, accounting=args.accounting,
              shaper_burst_bytes=args.shaper_burst, latency_stat=args.latency_stat)
    if args.out:
        res.params.save(args.out)
    if args.json:
        print(json.dumps({"estimates": jsonable(res.estimates.to_dict(orient="records")),
                          "gof": jsonable(res.gof),
                          "identifiability": jsonable(res.identifiability)}, indent=1))
    else:
        print(res.summary())
        if args.out:
            print(f"\nparameters written to {args.out}")
    return 0


# --------------------------------------------------------------------------- predict
def compute(args) -> list:
    from ..params import ModelParams
    from ..predict import predict

    params = ModelParams.load(args.params) if args.params else ModelParams()
    if args.queue:
        params = params.replace(queue=args.queue)
    cols = dict(path=[s.strip() for s in args.path.split(",") if s.strip()], test=args.test,
                **scenario_from_args(args))
    df = predict(params, **cols)
    rows = []
    for rec in df.to_dict(orient="records"):
        rows.append(jsonable({k: rec.get(k) for k in PREDICT_KEYS}))
    return rows


def run_predict(args) -> int:
    rows = compute(args)
    if args.json:
        print(json.dumps(rows[0] if len(rows) == 1 else rows))
        return 0
    for i, d in enumerate(rows):
        if i:
            print()
        _print_row(d)
    return 0


def _fmt(v, unit, scale=1.0, digits=4):
    return "-" if v is None else f"{v / scale:.{digits}g} {unit}"


def _print_row(d):
    rows = [("path", f"{d['path']} (encapsulation: {d['encap']}, test {d['test']}, {d['protocol']})"),
            ("underlay / pod MTU", f"{d['underlay_mtu_bytes']:g} / {_fmt(d['pod_mtu_bytes'], 'B')}"),
            ("MSS", _fmt(d["mss_bytes"], "B")),
            ("link", "unshaped" if d["link_rate_bps"] is None else
             f"{d['link_rate_bps'] / 1e9:g} Gbit/s ({d['accounting']} accounting)")]
    if d["mtu_misconfigured"]:
        rows.append(("MTU", "MISCONFIGURED: pod MTU exceeds what the underlay carries"))
    if d["test"] == "stream":
        rows += [("throughput", f"{_fmt(d['throughput_bps'], 'Gbit/s', 1e9)} with {d['streams']} "
                  f"stream(s), bound: {d['bound']}"),
                 ("link goodput bound", _fmt(d["goodput_bound_bps"], "Gbit/s", 1e9)),
                 ("CPU bound (streams)", _fmt(d["cpu_bound_bps"], "Gbit/s", 1e9)),
                 ("CPU bound (shared tx / rx / node)", " / ".join(
                     _fmt(d[k], "Gbit/s", 1e9) for k in ("cpu_tx_bound_bps", "cpu_rx_bound_bps",
                                                         "cpu_node_bound_bps")))]
    else:
        rows += [("load (utilisation)", f"{d['load']:g}"),
                 ("latency mean", _fmt(d["latency_mean_s"], "us", 1e-6)),
                 ("latency p50 / p90 / p99", " / ".join(_fmt(d[k], "us", 1e-6) for k in
                                                         ("latency_p50_s", "latency_p90_s", "latency_p99_s"))),
                 ("transactions", _fmt(d["transactions_per_s"], "/s"))]
    rows.append(("network CPU", _fmt(d["cpu_cores_used"], "cores", digits=3)))
    w = max(len(k) for k, _ in rows)
    for k, v in rows:
        print(f"{k:<{w}}  {v}")


