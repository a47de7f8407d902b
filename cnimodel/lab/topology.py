"""Build and tear down the lab topology: two nodes, a veth wire, pods for five paths.

Layout (``P`` is the run prefix, e.g. ``cnm3fa91c-``; every name below is a
namespace or device the lab creates, nothing else is touched)::

    node P n1 ------ wire P w1 <=veth=> P w2 ------ node P n2     198.18.0.1/24 | .2/24
      host:     n1 -> n2 over the wire                           (tc tbf on w1 and w2 when shaped)
      bridge:   pods P b1, P b2 on bridge P br of n1             198.18.1.11 -> .12
      routing:  pod P r1 (veth, gw n1) -> routes -> pod P r2     198.18.2.2 -> 198.18.3.2
      overlay:  pod P o1 on bridge P ob + VXLAN P vx (id 42) ... pod P o2 (pod MTU = wire - 50)
                                                                 198.18.10.1 -> .2
      underlay: pod P u1 = ipvlan/macvlan child of w1 -> child of w2 in pod P u2
                                                                 198.18.0.11 -> .12

All addresses come from 198.18.0.0/15 (checked by :func:`naming.check_address`
for every address configured).  All devices live inside the lab's namespaces,
so deleting the namespaces removes every device (veth peers included).

Examples
--------
>>> t = Topology("cnm000000-", wire_mtu_bytes=1500, paths=("host", "overlay"))
>>> t.endpoints()["overlay"].server_addr, t.endpoints()["overlay"].pod_mtu_bytes
('198.18.10.2', 1450)
>>> sorted(t.namespaces())
['cnm000000-n1', 'cnm000000-n2', 'cnm000000-o1', 'cnm000000-o2']
"""
from __future__ import annotations

import subprocess
from dataclasses import dataclass

from ..errors import LabError
from .naming import check_address, check_ifname

__all__ = ["Endpoint", "TbfShaper", "Topology", "VXLAN_OVERHEAD_BYTES", "run_cmd"]

#: VXLAN over IPv4: outer IP 20 + UDP 8 + VXLAN 8 + inner Ethernet 14 (RFC 7348).
VXLAN_OVERHEAD_BYTES = 50
_CMD_TIMEOUT_S = 30


@dataclass(frozen=True)
class Endpoint:
    """Where a path's client and server run.

    Parameters
    ----------
    path : str
        Path name (``host``, ``bridge``, ``overlay``, ``routing``, ``underlay``).
    client_ns, server_ns : str
        Namespaces of the client and the server.
    server_addr : str
        Address the client connects to (198.18.0.0/15).
    pod_mtu_bytes : int
        MTU of the endpoints' interfaces [bytes].
    """

    path: str
    client_ns: str
    server_ns: str
    server_addr: str
    pod_mtu_bytes: int


@dataclass(frozen=True)
class TbfShaper:
    """``tc tbf`` parameters applied at the egress of both wire ends.

    Parameters
    ----------
    rate_bps : float
        Token rate [bit/s]; tbf charges each packet's length including the 14-byte
        MAC header (tc-tbf(8); measured in data/README.md, ``accounting="l2"``).
    burst_bytes : int
        Bucket size [bytes]; must exceed a 64 KiB GSO packet so tbf never segments.
    limit_bytes : int
        Queue length [bytes] before tbf drops.
    """

    rate_bps: float
    burst_bytes: int = 1 << 20
    limit_bytes: int = 4 << 20

    def tc_args(self, dev: str) -> list:
        return ["tc", "qdisc", "add", "dev", dev, "root", "tbf", "rate", f"{int(self.rate_bps)}bit",
                "burst", str(self.burst_bytes), "limit", str(self.limit_bytes)]

    def describe(self) -> dict:
        return {"kind": "tbf", "rate_bps": float(self.rate_bps), "burst_bytes": self.burst_bytes,
                "limit_bytes": self.limit_bytes, "where": "root qdisc (egress) of both wire ends",
                "accounting": "IP packet + 14-byte MAC header (cnimodel accounting='l2')"}


def run_cmd(argv, timeout=_CMD_TIMEOUT_S) -> str:
    """Run one configuration command; raise :class:`LabError` naming it if it fails."""
    try:
        r = subprocess.run(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                           timeout=timeout, check=False)
    except FileNotFoundError:
        raise LabError(f"command not found: {argv[0]} (in {' '.join(argv)})") from None
    except subprocess.TimeoutExpired:
        raise LabError(f"command timed out after {timeout} s: {' '.join(argv)}") from None
    if r.returncode != 0:
        raise LabError(f"command failed ({r.returncode}): {' '.join(argv)}: {r.stderr.strip()}")
    return r.stdout


class Topology:
    """The lab network for one condition (wire MTU, optional shaper, underlay kind).

    Parameters
    ----------
    prefix : str
        Run prefix (``cnm<6 hex>-``) carried by every namespace and device.
    wire_mtu_bytes : int
        MTU of the veth wire between the nodes [bytes]; pod MTU on every path but
        overlay, where it is ``wire_mtu_bytes - 50``.
    shaper : TbfShaper, optional
        Shape the wire with tbf (both directions); None leaves it unshaped (CPU-bound).
    paths : sequence of str
        Paths to build (``host`` is always built: the nodes are its endpoints).
    underlay_kind : {"macvlan", "ipvlan"}
        Device type of the underlay pods' interfaces.
    """

    def __init__(self, prefix, wire_mtu_bytes=1500, shaper=None,
                 paths=("host", "bridge", "overlay", "routing", "underlay"),
                 underlay_kind="macvlan"):
        self.prefix = prefix
        self.mtu = int(wire_mtu_bytes)
        self.shaper = shaper
        self.paths = tuple(paths)
        self.underlay_kind = underlay_kind
        if underlay_kind not in ("macvlan", "ipvlan"):
            raise LabError(f"underlay kind {underlay_kind!r}: expected macvlan or ipvlan")
        if self.mtu - VXLAN_OVERHEAD_BYTES < 576 and "overlay" in self.paths:
            raise LabError(f"wire MTU {self.mtu} too small for a VXLAN overlay")
        self.built: list = []   # namespaces created so far (for teardown)

    # ------------------------------------------------------------------ names
    def ns(self, short: str) -> str:
        return self.prefix + short

    def dev(self, short: str) -> str:
        return check_ifname(self.prefix + short)

    def namespaces(self) -> list:
        """Namespaces this topology creates, nodes first."""
        out = ["n1", "n2"]
        pods = {"bridge": ["b1", "b2"], "routing": ["r1", "r2"], "overlay": ["o1", "o2"],
                "underlay": ["u1", "u2"]}
        for p in self.paths:
            out += pods.get(p, [])
        return [self.ns(s) for s in out]

    def endpoints(self) -> dict:
        """Client/server placement per path, as :class:`Endpoint` objects keyed by path."""
        m = self.mtu
        table = {
            "host": ("n1", "n2", "198.18.0.2", m),
            "bridge": ("b1", "b2", "198.18.1.12", m),
            "routing": ("r1", "r2", "198.18.3.2", m),
            "overlay": ("o1", "o2", "198.18.10.2", m - VXLAN_OVERHEAD_BYTES),
            "underlay": ("u1", "u2", "198.18.0.12", m),
        }
        return {p: Endpoint(p, self.ns(table[p][0]), self.ns(table[p][1]),
                            check_address(table[p][2]), table[p][3])
                for p in self.paths}

    # --------------------------------------------------------------- commands
    def _addr(self, ns, dev, addr):
        return ["ip", "-n", self.ns(ns), "addr", "add", check_address(addr), "dev", self.dev(dev)]

    def _up(self, ns, dev):
        return ["ip", "-n", self.ns(ns), "link", "set", self.dev(dev), "up"]

    def _veth(self, ns, dev, peer_ns, peer, mtu):
        return ["ip", "-n", self.ns(ns), "link", "add", self.dev(dev), "mtu", str(mtu), "type", "veth",
                "peer", "name", self.dev(peer), "netns", self.ns(peer_ns), "mtu", str(mtu)]

    def _nsexec(self, ns, *argv):
        return ["ip", "netns", "exec", self.ns(ns), *argv]

    def build_commands(self) -> list:
        """Every command :meth:`build` runs (after creating the namespaces), in order.

        Pure: nothing is executed, so the address and name checks can be tested
        without root.
        """
        m, c = self.mtu, []
        for ns in self.namespaces():
            c.append(["ip", "-n", ns, "link", "set", "lo", "up"])
        # the wire
        c.append(self._veth("n1", "w1", "n2", "w2", m))
        c += [self._addr("n1", "w1", "198.18.0.1/24"), self._addr("n2", "w2", "198.18.0.2/24"),
              self._up("n1", "w1"), self._up("n2", "w2")]
        for n in ("n1", "n2"):
            c.append(self._nsexec(n, "sysctl", "-q", "-w", "net.ipv4.ip_forward=1"))
        if self.shaper is not None:
            c += [self._nsexec("n1", *self.shaper.tc_args(self.dev("w1"))),
                  self._nsexec("n2", *self.shaper.tc_args(self.dev("w2")))]
        if "bridge" in self.paths:
            c += [["ip", "-n", self.ns("n1"), "link", "add", self.dev("br"), "type", "bridge"],
                  self._up("n1", "br")]
            for i, addr in (("1", "198.18.1.11/24"), ("2", "198.18.1.12/24")):
                c += [self._veth("n1", "b" + i, "b" + i, f"b{i}p", m),
                      ["ip", "-n", self.ns("n1"), "link", "set", self.dev("b" + i), "master",
                       self.dev("br")],
                      self._up("n1", "b" + i), self._addr("b" + i, f"b{i}p", addr),
                      self._up("b" + i, f"b{i}p")]
        if "routing" in self.paths:
            for i, node, net in (("1", "n1", "198.18.2"), ("2", "n2", "198.18.3")):
                pod = "r" + i
                c += [self._veth(node, pod, pod, pod + "p", m),
                      self._addr(node, pod, f"{net}.1/24"), self._up(node, pod),
                      self._addr(pod, pod + "p", f"{net}.2/24"), self._up(pod, pod + "p"),
                      ["ip", "-n", self.ns(pod), "route", "add", "default", "via",
                       check_address(f"{net}.1")]]
            c += [["ip", "-n", self.ns("n1"), "route", "add", check_address("198.18.3.0/24"), "via",
                   check_address("198.18.0.2")],
                  ["ip", "-n", self.ns("n2"), "route", "add", check_address("198.18.2.0/24"), "via",
                   check_address("198.18.0.1")]]
        if "overlay" in self.paths:
            pm = m - VXLAN_OVERHEAD_BYTES
            for i, node, local, remote in (("1", "n1", "198.18.0.1", "198.18.0.2"),
                                           ("2", "n2", "198.18.0.2", "198.18.0.1")):
                pod, wire = "o" + i, "w" + i
                c += [["ip", "-n", self.ns(node), "link", "add", self.dev("ob"), "type", "bridge"],
                      ["ip", "-n", self.ns(node), "link", "add", self.dev("vx"), "mtu", str(pm),
                       "type", "vxlan", "id", "42", "local", check_address(local), "remote",
                       check_address(remote), "dstport", "4789", "dev", self.dev(wire)],
                      ["ip", "-n", self.ns(node), "link", "set", self.dev("vx"), "master", self.dev("ob")],
                      self._veth(node, pod, pod, pod + "p", pm),
                      ["ip", "-n", self.ns(node), "link", "set", self.dev(pod), "master", self.dev("ob")],
                      self._up(node, "vx"), self._up(node, pod), self._up(node, "ob"),
                      self._addr(pod, pod + "p", f"198.18.10.{i}/24"), self._up(pod, pod + "p")]
        if "underlay" in self.paths:
            mode = "bridge" if self.underlay_kind == "macvlan" else "l2"
            for i, node, addr in (("1", "n1", "198.18.0.11/24"), ("2", "n2", "198.18.0.12/24")):
                pod = "u" + i
                c += [["ip", "-n", self.ns(node), "link", "add", self.dev(pod), "link", self.dev("w" + i),
                       "type", self.underlay_kind, "mode", mode],
                      ["ip", "-n", self.ns(node), "link", "set", self.dev(pod), "netns", self.ns(pod)],
                      self._addr(pod, pod, addr), self._up(pod, pod)]
        return c

    # ------------------------------------------------------------ build / down
    def build(self) -> list:
        """Create the namespaces and run :meth:`build_commands`; returns the commands run.

        Namespaces are recorded in ``self.built`` as soon as each exists, so a
        teardown after a failure or an interrupt removes exactly what was made.
        """
        for ns in self.namespaces():
            run_cmd(["ip", "netns", "add", ns])
            self.built.append(ns)
        cmds = self.build_commands()
        for argv in cmds:
            run_cmd(argv)
        return cmds

    def describe(self) -> dict:
        """Topology parameters for the manifest."""
        return {
            "prefix": self.prefix,
            "wire": {"kind": "veth", "mtu_bytes": self.mtu,
                     "addresses": ["198.18.0.1/24", "198.18.0.2/24"]},
            "shaper": None if self.shaper is None else self.shaper.describe(),
            "underlay_kind": self.underlay_kind,
            "overlay": {"kind": "vxlan", "vni": 42, "dstport": 4789,
                        "overhead_bytes": VXLAN_OVERHEAD_BYTES},
            "namespaces": self.namespaces(),
            "endpoints": {p: {"client_ns": e.client_ns, "server_ns": e.server_ns,
                              "server_addr": e.server_addr, "pod_mtu_bytes": e.pod_mtu_bytes}
                          for p, e in self.endpoints().items()},
        }
