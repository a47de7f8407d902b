"""``cnimodel plan``: the cluster-scale limits of each path (nodes, pods per node, what binds)."""
from __future__ import annotations

import sys

from ..jsonclean import dumps
from ..planning.limit_table import load_limits
from ..planning.limits import cluster_limits, default_cidr, max_services


def register(sub):
    p = sub.add_parser("plan", help="cluster-scale limits per path (addresses, routes, ENIs)",
                       description="Per path: the most nodes and pods per node the addressing "
                       "and routing allow, the limit that binds, and whether the target fits.")
    p.add_argument("--nodes", type=int, required=True, help="target node count")
    p.add_argument("--pods-per-node", type=int, required=True, help="target pods per node")
    p.add_argument("--cluster-cidr", help="pod network (default 10.244.0.0/16; IPv6: "
                   "2001:db8:42:0::/56)")
    p.add_argument("--node-mask", type=int, help="per-node prefix length (default 24 / 64)")
    p.add_argument("--max-pods", type=int, help="kubelet maxPods (default 110)")
    p.add_argument("--route-limit", type=int, help="route-table entries (routing path)")
    p.add_argument("--instance", help="instance type (underlay path ENI limits)")
    p.add_argument("--service-cidr", help="Service CIDR (default 10.96.0.0/12)")
    p.add_argument("--ip-version", type=int, default=4, choices=(4, 6))
    p.add_argument("--limits", metavar="FILE", help="JSON file of extra or overriding limits")
    p.add_argument("--json", action="store_true", help="print JSON (SI / count keys)")
    p.set_defaults(func=run)


def run(args) -> int:
    table = load_limits(args.limits)
    t = cluster_limits(cluster_cidr=args.cluster_cidr, node_mask=args.node_mask,
                       max_pods=args.max_pods, route_limit=args.route_limit,
                       instance=args.instance, ip_version=args.ip_version,
                       target_nodes=args.nodes, target_pods_per_node=args.pods_per_node,
                       limits=table)
    services = max_services(args.service_cidr or default_cidr(args.ip_version, service=True),
                            args.ip_version)
    if args.json:
        rows = [{"path": p, **r} for p, r in zip(t.index, t.to_dict("records"))]
        print(dumps({"target_nodes": args.nodes, "target_pods_per_node": args.pods_per_node,
                     "max_services": services, "paths": rows}, indent=1))
        return 0
    w = sys.stdout.write
    w(f"target: {args.nodes} nodes x {args.pods_per_node} pods per node\n")
    w(f"{'path':9s} {'max nodes':>10s}  {'nodes limited by':40s} {'pods/node':>9s}  "
      f"{'pods limited by':34s} fits\n")
    for p, r in t.iterrows():
        nodes = "no limit" if r["max_nodes"] == float("inf") else f"{r['max_nodes']:,.0f}"
        w(f"{p:9s} {nodes:>10s}  {r['nodes_limit']:40s} {r['max_pods_per_node_limit']:9,.0f}  "
          f"{r['pods_limit']:34s} {'yes' if r['fits'] else 'NO'}\n")
    w(f"Service CIDR holds {services:,.0f} ClusterIP Services\n")
    return 0
