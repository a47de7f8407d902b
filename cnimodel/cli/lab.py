"""``cnimodel lab run`` / ``cnimodel lab clean``: the network-namespace measurement lab."""
from __future__ import annotations

import shlex
import signal
import sys


def register(sub):
    from ..paths import PATH_NAMES

    p = sub.add_parser("lab", help="measure the five paths in network namespaces (root)",
                       description="Build two nodes joined by a veth wire in network namespaces, "
                       "measure host, bridge, overlay, routing and underlay paths with iperf3 and "
                       "netperf, and save the raw output as a dataset (docs/lab.md).")
    lsub = p.add_subparsers(dest="lab_command", metavar="{run,clean}")
    lsub.required = True
    r = lsub.add_parser("run", help="run the lab and write a dataset",
                        description="Without options: the full bundled dataset (wire MTU 1500 and "
                        "9000, shaped to 2 Gbit/s and unshaped, 3 repetitions, about 13 minutes). "
                        "--quick: MTU 1500 shaped, 1 repetition (under 2 minutes).")
    r.add_argument("--out", required=True, help="dataset directory (created; entries of the same "
                   "name are replaced, other files kept)")
    r.add_argument("--quick", action="store_true", help="small matrix for CI (under 2 minutes)")
    r.add_argument("--paths", nargs="+", choices=PATH_NAMES, help="paths to measure (default: all)")
    r.add_argument("--wire-mtu", nargs="+", type=int, metavar="N",
                   help="wire MTUs in bytes, one condition each (default: 1500 9000; quick: 1500)")
    r.add_argument("--rate", nargs="+", metavar="R|none",
                   help="wire shaper rates (tc tbf), e.g. 2g 500m, or none for unshaped "
                   "(default: 2g none; quick: 2g)")
    r.add_argument("--netfilter-rules", nargs="+", type=int, metavar="N",
                   help="non-matching nftables rules in node n1's forward hook, one condition "
                   "per count (0: none; names gain -nft<N>; routed and bridged paths walk them; "
                   "needs nft, Debian nftables) (default: 0)")
    r.add_argument("--repeat", type=int, metavar="K", help="repetitions (default 3; quick 1)")
    r.add_argument("--msg-sizes", nargs="+", type=int, metavar="BYTES",
                   help="TCP_RR message sizes (default: 1 64 512 1024 4096 16384; quick: 1 1024)")
    r.add_argument("--underlay-kind", choices=("auto", "ipvlan", "macvlan"), default="auto",
                   help="underlay device (auto: ipvlan if the kernel has it, else macvlan)")
    r.add_argument("--no-keep-awake", action="store_true",
                   help="do not run SCHED_IDLE busy loops on the lab CPUs (they stop halted-vCPU "
                        "wake-ups from adding ~60 us to request/response latency on VMs)")
    r.add_argument("--no-progress", action="store_true", help="no progress bar")
    r.add_argument("--dry-run", action="store_true",
                   help="print the conditions, the tests and the time estimate; build nothing")
    r.set_defaults(func=run)
    c = lsub.add_parser("clean", help="remove leftovers of interrupted lab runs",
                        description="Delete namespaces named cnm<6 hex>- (and everything in them) "
                        "whose run is no longer alive. Touches nothing else.")
    c.add_argument("--force", action="store_true", help="also remove namespaces of runs still alive")
    c.set_defaults(func=clean)


def config_from_args(args):
    from ..lab import LabConfig, parse_rate

    over = {}
    if args.paths:
        over["paths"] = tuple(dict.fromkeys(["host"] + list(args.paths)))
    if args.wire_mtu:
        over["wire_mtus"] = tuple(args.wire_mtu)
    if args.rate:
        over["rates"] = tuple(parse_rate(x) for x in args.rate)
    if getattr(args, "netfilter_rules", None):
        over["netfilter_rules"] = tuple(args.netfilter_rules)
    if args.repeat is not None:
        over["repeat"] = args.repeat
    if args.msg_sizes:
        over["msg_sizes"] = tuple(args.msg_sizes)
    if getattr(args, "no_keep_awake", False):
        over["keep_awake"] = False
    if args.quick:
        return LabConfig.quick_defaults(**over)
    return LabConfig(**over)


def run(args) -> int:
    from ..lab import LabInterrupted, estimate_seconds, run_lab
    from ..lab.plan import bench_specs

    cfg = config_from_args(args)
    cfg.validate()
    est = estimate_seconds(cfg)
    conds = ", ".join(c.name for c in cfg.conditions())
    print(f"cnimodel lab: conditions {conds}; paths {' '.join(cfg.paths)}; {cfg.repeat} "
          f"repetition(s); about {est / 60:.1f} min", file=sys.stderr)
    if args.dry_run:
        for t in bench_specs(cfg):
            print(f"  {t.stem}: {t.tool} {' '.join(t.args)}", file=sys.stderr)
        return 0
    try:
        summary = run_lab(cfg, args.out, progress=not args.no_progress,
                          underlay_kind=args.underlay_kind,
                          command=shlex.join(["cnimodel", *sys.argv[1:]]))
    except LabInterrupted as exc:
        print(f"cnimodel lab: {exc}; everything the run created was removed", file=sys.stderr)
        return 128 + exc.signum
    except KeyboardInterrupt:
        signal.signal(signal.SIGINT, signal.SIG_IGN)  # more Ctrl-C now: the exit status stays 130
        print("cnimodel lab: interrupted; everything the run created was removed", file=sys.stderr)
        return 130
    failed = [f for c in summary["conditions"] for f in c["failed"]]
    print(f"cnimodel lab: wrote {sum(c['files'] for c in summary['conditions'])} files to "
          f"{args.out} in {summary['seconds']:.0f} s", file=sys.stderr)
    if failed:
        print(f"cnimodel lab: {len(failed)} test(s) failed (see manifest.json): "
              + ", ".join(failed[:10]), file=sys.stderr)
        return 1
    return 0


def clean(args) -> int:
    from ..lab import clean as do_clean
    from ..lab.preflight import check_root

    check_root()
    res = do_clean(force=args.force)
    for ns in res["removed"]:
        print(f"removed namespace {ns}")
    for d in res.get("staging", []):
        print(f"removed staging directory {d}")
    for prefix, pid in res["kept"].items():
        print(f"kept {prefix}* : run still alive (pid {pid}); use --force to remove")
    if not res["removed"] and not res["kept"] and not res.get("staging"):
        print("no lab leftovers")
    return 0


__all__ = ["register", "run", "clean", "config_from_args"]
