"""Checks run before the lab builds anything: privilege, tools, kernel features.

Each missing piece is reported by name together with the command that
installs it; all missing pieces are reported at once in one :class:`LabError`.

Examples
--------
>>> hint("netperf").startswith("netperf is in Debian's non-free component")
True
"""
from __future__ import annotations

import os
import shutil
import subprocess

from ..errors import LabError
from .topology import run_cmd

__all__ = ["TOOLS", "NETFILTER_TOOLS", "INSTALL_HINTS", "hint", "check_root", "missing_tools", "probe_kernel",
           "preflight", "tool_versions"]

_DEPS = "or install everything the lab needs with `make lab-deps` (runs .ci/install-system-deps)"
_NONFREE = ("netperf is in Debian's non-free component: add `non-free` to the Components of "
            "your apt source (e.g. /etc/apt/sources.list.d/debian.sources), then "
            "`apt-get update && apt-get install netperf`")

#: Executables the lab runs, and the Debian package providing each.
TOOLS = {"ip": "iproute2", "tc": "iproute2", "taskset": "util-linux", "chrt": "util-linux",
         "nice": "coreutils",
         "sysctl": "procps",
         "iperf3": "iperf3", "netperf": "netperf", "netserver": "netperf"}
#: Executables only a run with forward-hook rules (``--netfilter-rules``) needs.
NETFILTER_TOOLS = {"nft": "nftables"}

INSTALL_HINTS = {
    "iproute2": "apt-get install iproute2",
    "util-linux": "apt-get install util-linux",
    "procps": "apt-get install procps",
    "coreutils": "apt-get install coreutils",
    "iperf3": "apt-get install iperf3",
    "nftables": "apt-get install nftables",
    "netperf": _NONFREE,
}

#: Kernel features: the probe (device type or qdisc) and how to get it.
KERNEL_FEATURES = {
    "netns": "network namespaces (kernel option CONFIG_NET_NS)",
    "veth": "`modprobe veth` (kernel option CONFIG_VETH)",
    "bridge": "`modprobe bridge` (kernel option CONFIG_BRIDGE)",
    "vxlan": "`modprobe vxlan` (kernel option CONFIG_VXLAN)",
    "macvlan": "`modprobe macvlan` (kernel option CONFIG_MACVLAN)",
    "ipvlan": "`modprobe ipvlan` (kernel option CONFIG_IPVLAN)",
    "tbf": "`modprobe sch_tbf` (kernel option CONFIG_NET_SCH_TBF)",
    "nftables": "`modprobe nf_tables` (kernel options CONFIG_NF_TABLES, CONFIG_NF_TABLES_INET)",
}


def hint(tool: str) -> str:
    """How to install the package providing ``tool`` (Debian / Ubuntu)."""
    pkg = {**TOOLS, **NETFILTER_TOOLS}.get(tool, tool)
    return INSTALL_HINTS.get(pkg, f"apt-get install {pkg}")


def check_root() -> None:
    """Raise :class:`LabError` unless running as root (namespaces need CAP_SYS_ADMIN)."""
    if os.geteuid() != 0:
        raise LabError("the lab needs root (it creates network namespaces and devices): "
                       "run it as root, e.g. `sudo cnimodel lab run ...`")


def missing_tools(need=None) -> list:
    """Tools from ``need`` (default: all of :data:`TOOLS`) not found on PATH."""
    return [t for t in (need or TOOLS) if shutil.which(t) is None]


def probe_kernel(prefix: str, need_tbf: bool, need_nft: bool = False) -> dict:
    """Try each kernel feature in a throw-away namespace ``<prefix>probe``; True where it works.

    The probe namespace is deleted before returning, whatever happens.
    """
    ns = prefix + "probe"
    found = {k: False for k in KERNEL_FEATURES}
    try:
        run_cmd(["ip", "netns", "add", ns])
    except LabError:
        return found
    found["netns"] = True
    try:
        def ok(*argv):
            r = subprocess.run(["ip", "-n", ns, *argv], stdout=subprocess.DEVNULL,
                               stderr=subprocess.DEVNULL, timeout=30, check=False)
            return r.returncode == 0

        p = prefix
        found["veth"] = ok("link", "add", p + "pa", "type", "veth", "peer", "name", p + "pb")
        found["bridge"] = ok("link", "add", p + "pbr", "type", "bridge")
        found["vxlan"] = ok("link", "add", p + "pvx", "type", "vxlan", "id", "42",
                            "dstport", "4789", "local", "198.18.0.1")
        if found["veth"]:
            found["macvlan"] = ok("link", "add", p + "pmv", "link", p + "pa", "type", "macvlan",
                                  "mode", "bridge")
            found["ipvlan"] = ok("link", "add", p + "piv", "link", p + "pb", "type", "ipvlan",
                                 "mode", "l2")
            if need_tbf:
                r = subprocess.run(["ip", "netns", "exec", ns, "tc", "qdisc", "add", "dev", p + "pa",
                                    "root", "tbf", "rate", "1gbit", "burst", "65536",
                                    "limit", "65536"],
                                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, timeout=30,
                                   check=False)
                found["tbf"] = r.returncode == 0
        if need_nft:
            r = subprocess.run(["ip", "netns", "exec", ns, "nft", "add", "table", "inet",
                                "cnimodel_probe"], stdout=subprocess.DEVNULL,
                               stderr=subprocess.DEVNULL, timeout=30, check=False)
            found["nftables"] = r.returncode == 0
    finally:
        subprocess.run(["ip", "netns", "del", ns], stdout=subprocess.DEVNULL,
                       stderr=subprocess.DEVNULL, timeout=30, check=False)
    return found


def preflight(prefix: str, paths, shaped: bool, underlay_kind: str = "auto",
              netfilter: bool = False) -> dict:
    """Check everything the run needs; return facts for the manifest.

    Parameters
    ----------
    prefix : str
        Run prefix (names the probe namespace).
    paths : sequence of str
        Paths to be measured (decides which kernel features are required).
    shaped : bool
        True when some condition shapes the wire (tbf required).
    underlay_kind : {"auto", "ipvlan", "macvlan"}
        ``auto`` picks ipvlan where the kernel has it, else macvlan.
    netfilter : bool
        True when some condition loads forward-hook rules (``nft`` and nf_tables required).

    Returns
    -------
    dict
        ``{"kernel_features": {...}, "underlay_kind": "macvlan"|"ipvlan"}``

    Raises
    ------
    LabError
        Naming every missing privilege, tool and kernel feature with its install command.
    """
    check_root()
    tools = {**TOOLS, **(NETFILTER_TOOLS if netfilter else {})}
    gone = missing_tools(tools)
    if gone:
        by_pkg: dict = {}
        for t in gone:
            by_pkg.setdefault(tools.get(t, t), []).append(t)
        lines = [f"  {', '.join(ts)}: {hint(ts[0])}" for ts in by_pkg.values()]
        raise LabError("the lab needs tools that are not installed:\n" + "\n".join(lines)
                       + f"\n  ({_DEPS})")
    feats = probe_kernel(prefix, need_tbf=shaped, need_nft=netfilter)
    need = ["netns", "veth"]
    if "bridge" in paths or "overlay" in paths:
        need.append("bridge")
    if "overlay" in paths:
        need.append("vxlan")
    if shaped:
        need.append("tbf")
    if netfilter:
        need.append("nftables")
    kind = underlay_kind
    if "underlay" in paths:
        if kind == "auto":
            kind = "ipvlan" if feats["ipvlan"] else "macvlan"
        need.append(kind)
    elif kind == "auto":
        kind = "ipvlan" if feats["ipvlan"] else "macvlan"
    lacking = [f for f in need if not feats[f]]
    if lacking:
        lines = [f"  {f}: {KERNEL_FEATURES[f]}" for f in lacking]
        raise LabError("the kernel lacks features the lab needs:\n" + "\n".join(lines))
    return {"kernel_features": feats, "underlay_kind": kind}


def tool_versions() -> dict:
    """Version strings of the tools (first line each tool prints), for the manifest."""
    def first(argv):
        try:
            r = subprocess.run(argv, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                               timeout=10, check=False)
        except (OSError, subprocess.TimeoutExpired) as exc:
            return f"unavailable: {exc}"
        lines = [ln.strip() for ln in r.stdout.splitlines() if ln.strip()]
        return lines[0] if lines else ""

    return {"iperf3": first(["iperf3", "--version"]), "netperf": first(["netperf", "-V"]),
            "netserver": first(["netserver", "-V"]), "ip": first(["ip", "-V"]),
            "tc": first(["tc", "-V"]), "taskset": first(["taskset", "--version"]),
            "nice": first(["nice", "--version"])}
