"""``cnimodel overhead``: pod MTU, MSS, efficiency and goodput of a path."""
from __future__ import annotations

import json

from ._types import encap_name
from .. import overhead as ov
from ..paths import get_path


def register(sub):
    p = sub.add_parser("overhead", help="byte-exact MTU / encapsulation overhead of a path",
                       description="Print pod MTU, MSS, payload efficiency and line-rate goodput "
                       "of a data path (the byte model of docs/models.md).")
    p.add_argument("--path", required=True, help="host, bridge, overlay, routing, underlay "
                   "(or a registered user path)")
    p.add_argument("--encap", type=encap_name, help="encapsulation overriding the path's default "
                   "(none, vxlan, geneve, ipip, wireguard, ipsec)")
    p.add_argument("--geneve-options", type=int, default=0, metavar="BYTES",
                   help="Geneve option bytes (multiple of 4)")
    p.add_argument("--mtu", type=float, default=1500, help="underlay MTU in bytes (default 1500)")
    p.add_argument("--pod-mtu", type=float, help="configured pod MTU in bytes (checked against "
                   "what the underlay allows); default: the largest allowed")
    p.add_argument("--ip", type=int, choices=(4, 6), default=4, help="IP version (default 4)")
    p.add_argument("--protocol", choices=("tcp", "udp"), default="tcp")
    p.add_argument("--no-timestamps", action="store_true", help="TCP without the timestamps option")
    p.add_argument("--vlan", action="store_true", help="add an 802.1Q tag")
    p.add_argument("--link-gbps", type=float, default=10.0, help="line rate in Gbit/s (default 10)")
    p.add_argument("--accounting", choices=("wire", "l2"), default="wire",
                   help="wire: 38 B Ethernet framing per frame; l2: 14 B as counted by tc tbf")
    p.add_argument("--json", action="store_true", help="one JSON object with SI-unit keys")
    p.set_defaults(func=run)


def compute(args) -> dict:
    path = get_path(args.path)
    r = ov.summarize(path=path, encap=args.encap, underlay_mtu_bytes=args.mtu,
                     link_rate_bps=args.link_gbps * 1e9, ip_version=args.ip,
                     protocol=args.protocol, tcp_timestamps=not args.no_timestamps,
                     accounting=args.accounting, vlan=args.vlan,
                     geneve_option_bytes=args.geneve_options, pod_mtu_bytes=args.pod_mtu)
    mss = float(r["mss_bytes"])
    return {
        "path": path.name,
        "encap": args.encap or path.encap,
        "ip_version": args.ip,
        "accounting": args.accounting,
        "underlay_mtu_bytes": int(args.mtu),
        "encap_overhead_bytes": int(r["encap_overhead_bytes"]),
        "pod_mtu_bytes": int(r["pod_mtu_bytes"]),
        "mss_bytes": None if mss != mss else int(mss),
        "payload_per_packet_bytes": int(r["payload_per_packet_bytes"]),
        "frame_bytes": int(r["frame_bytes"]),
        "efficiency": float(r["efficiency"]),
        "link_rate_bps": args.link_gbps * 1e9,
        "goodput_bps": float(r["goodput_bps"]),
    }


def run(args) -> int:
    d = compute(args)
    if args.json:
        print(json.dumps(d))
        return 0
    rows = [
        ("path", f"{d['path']} (encapsulation: {d['encap']}, IPv{d['ip_version']})"),
        ("underlay MTU", f"{d['underlay_mtu_bytes']} B"),
        ("encapsulation overhead", f"{d['encap_overhead_bytes']} B"),
        ("pod MTU", f"{d['pod_mtu_bytes']} B"),
        ("MSS" if d["mss_bytes"] is not None else "UDP payload",
         f"{d['mss_bytes'] if d['mss_bytes'] is not None else d['payload_per_packet_bytes']} B"),
        (f"bytes per frame ({d['accounting']})", f"{d['frame_bytes']} B"),
        ("payload efficiency", f"{100 * d['efficiency']:.3f} %"),
        ("goodput bound", f"{d['goodput_bps'] / 1e9:.4f} Gbit/s at {d['link_rate_bps'] / 1e9:g} Gbit/s"),
    ]
    w = max(len(k) for k, _ in rows)
    for k, v in rows:
        print(f"{k:<{w}}  {v}")
    return 0
