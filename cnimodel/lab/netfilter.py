"""Non-matching nftables rules in one node's forward hook (``lab run --netfilter-rules N``).

The rules model kube-proxy's iptables mode, where every packet walks a list of
per-Service rules that do not match it.  The lab puts ``N`` rules of the form
``ip daddr 198.19.a.b tcp dport 80 drop`` (no lab packet has such a
destination: the lab's addresses are 198.18.x.y) into a chain on the forward
hook of node ``n1``, followed by one ``counter`` rule that counts the packets
which walked all ``N``.  The table lives inside the node's network namespace,
so it disappears with the namespace (teardown, ``cnimodel lab clean``).

Which lab paths walk the rules (measured with the counter, tests/test_lab.py
``test_netfilter_rules_condition``): every packet forwarded *or bridged* by
``n1`` (the kernel's br_netfilter passes bridged IPv4 frames through the inet
forward hook; per-namespace ``net.bridge.bridge-nf-call-iptables`` is 1).  So:
routing (routed by n1), bridge (bridged in n1) and overlay (bridged between the
pod's veth and the VXLAN device in n1), once per packet and direction; host
(local output/input) and underlay (ipvlan/macvlan children) never.

Examples
--------
>>> print(ruleset(2).splitlines()[3])
    ip daddr 198.19.0.0 tcp dport 80 drop
>>> rules_per_crossing(2000)
{'host': 0.0, 'bridge': 2000.0, 'overlay': 1000.0, 'routing': 1000.0, 'underlay': 0.0}
"""
from __future__ import annotations

import json
import subprocess
import tempfile

from ..errors import LabError
from ..paths import get_path
from .naming import check_address
from .topology import run_cmd

__all__ = ["TABLE", "CHAIN", "RULE_NODE", "MAX_RULES", "FORWARD_CROSSINGS", "ruleset",
           "rules_per_crossing", "install_argv", "install", "forward_counter", "describe"]

TABLE = "cnimodel"
CHAIN = "forward"
#: The node whose forward hook carries the rules.
RULE_NODE = "n1"
#: Distinct non-matching destinations available (198.19.0.0/16).
MAX_RULES = 65536
#: Crossings of ``n1``'s forward hook per packet and direction, per lab path (measured).
FORWARD_CROSSINGS = {"host": 0, "bridge": 1, "overlay": 1, "routing": 1, "underlay": 0}


def _rule_addr(i: int) -> str:
    return check_address(f"198.19.{i // 256}.{i % 256}")


def ruleset(n: int) -> str:
    """The ``nft -f`` text: table ``inet cnimodel``, chain ``forward`` (hook forward, priority
    filter, policy accept), ``n`` non-matching rules and a final ``counter`` rule."""
    n = int(n)
    if not 0 <= n <= MAX_RULES:
        raise LabError(f"netfilter rules {n}: expected 0..{MAX_RULES}")
    lines = [f"table inet {TABLE} {{", f"  chain {CHAIN} {{",
             "    type filter hook forward priority filter; policy accept;"]
    lines += [f"    ip daddr {_rule_addr(i)} tcp dport 80 drop" for i in range(n)]
    lines += ['    counter comment "walked all rules"', "  }", "}", ""]
    return "\n".join(lines)


def rules_per_crossing(n: int, paths=tuple(FORWARD_CROSSINGS)) -> dict:
    """The scenario column ``netfilter_rules`` of each lab path: rules per *model* netfilter
    crossing, i.e. ``n`` x (forward-hook crossings that walk the rules) / (the path's netfilter
    hops in the catalogue), so the model charges each path exactly the ``n`` rules per
    direction it walks (routing: 2 netfilter hops, one walks the rules -> ``n / 2``)."""
    out = {}
    for p in paths:
        hops = get_path(p).hops.count("netfilter")
        k = FORWARD_CROSSINGS.get(p, 0)
        out[p] = float(n) * k / hops if hops and k else 0.0
    return out


def install_argv(ns: str, file: str) -> list:
    return ["ip", "netns", "exec", ns, "nft", "-f", file]


def install(ns: str, n: int) -> str:
    """Load :func:`ruleset` ``(n)`` into namespace ``ns``; check the rule count; return the
    command run (the ruleset itself is described by :func:`describe`)."""
    with tempfile.NamedTemporaryFile("w", suffix=".nft", prefix="cnimodel-") as f:
        f.write(ruleset(n))
        f.flush()
        argv = install_argv(ns, f.name)
        run_cmd(argv, timeout=120)
    got = json.loads(run_cmd(["ip", "netns", "exec", ns, "nft", "-j", "list", "chain", "inet",
                              TABLE, CHAIN]))
    rules = [x for x in got.get("nftables", []) if "rule" in x]
    if len(rules) != n + 1:
        raise LabError(f"nft loaded {len(rules)} rules into {ns}, expected {n + 1}")
    return " ".join(argv[:-1]) + " <ruleset>"


def forward_counter(ns: str) -> list:
    """``[packets, bytes]`` of the final counter rule (packets that walked every rule)."""
    got = json.loads(run_cmd(["ip", "netns", "exec", ns, "nft", "-j", "list", "chain", "inet",
                              TABLE, CHAIN]))
    for x in got.get("nftables", []):
        for e in x.get("rule", {}).get("expr", []):
            if "counter" in e:
                return [int(e["counter"]["packets"]), int(e["counter"]["bytes"])]
    raise LabError(f"no counter rule in {ns} table inet {TABLE}")


def describe(n: int, ns: str) -> dict:
    """Manifest entry of a condition's ruleset."""
    return {"rules": int(n), "namespace": ns, "node": RULE_NODE, "family": "inet",
            "table": TABLE, "chain": CHAIN, "hook": "forward", "priority": "filter",
            "policy": "accept",
            "rule": "ip daddr 198.19.<i div 256>.<i mod 256> tcp dport 80 drop (i = 0..rules-1; "
                    "no lab packet matches)",
            "then": "counter (packets that walked every rule)",
            "forward_crossings_per_direction": dict(FORWARD_CROSSINGS),
            "netfilter_rules_label": rules_per_crossing(n)}


def nft_version() -> str:
    try:
        r = subprocess.run(["nft", "--version"], stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                           text=True, timeout=10, check=False)
    except (OSError, subprocess.TimeoutExpired) as exc:
        return f"unavailable: {exc}"
    return r.stdout.strip().splitlines()[0] if r.stdout.strip() else ""
