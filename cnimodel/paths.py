"""The catalogue of container-network data paths, as data.

A :class:`Path` lists the hops one packet crosses from the sending socket to the
receiving socket (Kubernetes networking, Huawei CCE; docs/sources.md) and its default encapsulation.  Models
attach a cost to each *hop kind* (:data:`HOP_KINDS`); a path's latency is the
sum over its hops, so adding a hop can never make a path faster.

The five built-in paths are ``host`` (baseline), ``bridge`` (same node),
``overlay`` (VXLAN tunnel), ``routing`` (node routes, no tunnel) and
``underlay`` (ipvlan/macvlan child of the NIC).  Users define their own path
without editing the package:

Examples
--------
>>> from cnimodel.paths import Path, get_path, register_path
>>> geneve = get_path("overlay").replace(name="overlay-geneve", encap="geneve",
...                                      geneve_option_bytes=48)
>>> geneve.encap_overhead_bytes()
98
>>> ebpf = Path("ebpf-host-routing",
...             hops=("stack", "veth", "nic", "wire", "nic", "veth", "stack"))
>>> _ = register_path(ebpf, replace=True)
>>> get_path("ebpf-host-routing").count("veth")
2
"""
from __future__ import annotations

import dataclasses
import json
from dataclasses import dataclass, field

from .encap import get_encap
from .errors import DataFormatError, ParameterError
from .io.safeyaml import load_yaml

__all__ = ["HOP_KINDS", "Path", "PATHS", "PATH_NAMES", "get_path", "register_path",
           "path_from_dict", "load_paths"]

#: Hop kinds a path may cross, with what each stands for.
HOP_KINDS: dict[str, str] = {
    "stack": "socket and TCP/UDP/IP stack of an endpoint (pod or node), one traversal",
    "netfilter": "netfilter / iptables hooks of a node (conntrack, kube-proxy rules)",
    "veth": "one veth pair crossing (pod namespace <-> node namespace)",
    "bridge": "Linux bridge or OVS forwarding decision",
    "ip_forward": "node IP layer: route lookup and forwarding (VPC routes, host-gw, BGP)",
    "encap": "tunnel device encapsulation (VXLAN, Geneve, IPIP, WireGuard, IPsec)",
    "decap": "tunnel device decapsulation",
    "child": "ipvlan / macvlan child or SR-IOV VF demultiplexing on the NIC",
    "nic": "NIC driver transmit or receive (one side)",
    "wire": "the physical link between nodes (serialization and propagation)",
}


@dataclass(frozen=True)
class Path:
    """One data path: the hops a packet crosses and the encapsulation it uses.

    Parameters
    ----------
    name : str
        Identifier (``"overlay"``); used as the ``path`` column of datasets.
    hops : tuple of str
        Hop kinds from sender to receiver, each a key of :data:`HOP_KINDS`.
    encap : str
        Default encapsulation name (see :mod:`cnimodel.encap`).
    geneve_option_bytes : int
        Geneve option bytes [bytes], only with ``encap="geneve"``.
    same_node : bool
        True when both endpoints share a node (no wire crossed).
    rx_flow_entropy : bool
        Whether the receiving NIC spreads the path's flows over its receive queues (RSS).
        True for plain TCP/UDP, whose 4-tuple the NIC hashes.  A tunnel's outer header
        carries the flows between two nodes on one outer IP pair; its UDP source port holds
        a per-flow hash (RFC 7348 sec. 5), but a NIC that hashes UDP by addresses only (the
        default of Intel ixgbe / i40e, ethtool ``rx-flow-hash udp4 sd``) puts them all on one
        receive queue: ``False`` for the built-in overlay (docs/models.md, "Shared stages").
    description, source : str
        What the path is and where its hop list comes from.
    """

    name: str
    hops: tuple = ()
    encap: str = "none"
    geneve_option_bytes: int = 0
    same_node: bool = False
    rx_flow_entropy: bool = True
    description: str = ""
    source: str = ""
    extra: dict = field(default_factory=dict, compare=False, hash=False)

    def __post_init__(self):
        if not isinstance(self.name, str) or not self.name.strip():
            raise ParameterError("name", self.name, "a non-empty string")
        hops = tuple(self.hops)
        if not hops:
            raise ParameterError("hops", self.hops, "a non-empty sequence of hop kinds")
        for h in hops:
            if h not in HOP_KINDS:
                raise ParameterError("hops", h, "one of " + ", ".join(HOP_KINDS))
        object.__setattr__(self, "hops", hops)
        enc = get_encap(self.encap)  # validates the name
        object.__setattr__(self, "encap", enc.name)
        enc.overhead_bytes(4, self.geneve_option_bytes)  # validates options
        if enc.name != "none" and not ({"encap", "decap"} <= set(hops)):
            raise ParameterError("hops", hops, "a path with a tunnel must contain 'encap' and 'decap'")
        if not isinstance(self.rx_flow_entropy, (bool,)):
            raise ParameterError("rx_flow_entropy", self.rx_flow_entropy, "True or False")
        if self.same_node and "wire" in hops:
            raise ParameterError("same_node", True, "False for a path that crosses the wire")

    def count(self, hop_kind: str) -> int:
        """Number of times the path crosses ``hop_kind``."""
        return self.hops.count(hop_kind)

    def hop_counts(self) -> dict[str, int]:
        """Crossings per hop kind, for every kind in :data:`HOP_KINDS` (zeros included)."""
        return {k: self.hops.count(k) for k in HOP_KINDS}

    def encap_overhead_bytes(self, ip_version: int = 4) -> int:
        """Bytes the path's encapsulation adds per packet [bytes]."""
        return get_encap(self.encap).overhead_bytes(ip_version, self.geneve_option_bytes)

    def replace(self, **changes) -> "Path":
        """A copy with some fields changed (validated again)."""
        return dataclasses.replace(self, **changes)

    def to_dict(self) -> dict:
        d = dataclasses.asdict(self)
        d["hops"] = list(self.hops)
        return d


def path_from_dict(d: dict) -> Path:
    """Build a :class:`Path` from a mapping (e.g. parsed JSON or YAML)."""
    known = {f.name for f in dataclasses.fields(Path)}
    unknown = set(d) - known
    if unknown:
        raise ParameterError("path field", sorted(unknown)[0], "one of " + ", ".join(sorted(known)))
    return Path(**{k: (tuple(v) if k == "hops" else v) for k, v in d.items()})


PATHS: dict[str, Path] = {}


def register_path(path: Path, *, replace: bool = False) -> Path:
    """Add a user-defined path to the catalogue so every model accepts its name."""
    if not isinstance(path, Path):
        raise ParameterError("path", path, "a cnimodel.paths.Path")
    if path.name in PATHS and not replace:
        raise ParameterError("path", path.name, "a name not yet registered",
                             "pass replace=True to override")
    PATHS[path.name] = path
    return path


def get_path(path: "str | Path") -> Path:
    """Return the catalogue entry for ``path`` (a name, case-insensitive) or pass a Path through."""
    if isinstance(path, Path):
        return path
    key = str(path).strip()
    if key in PATHS:
        return PATHS[key]
    if key.lower() in PATHS:
        return PATHS[key.lower()]
    raise ParameterError("path", path, "one of " + ", ".join(PATHS))


def load_paths(file, *, register: bool = True) -> list[Path]:
    """Read user paths from a JSON or YAML file: a list of Path mappings.

    Examples of a file's content (YAML)::

        - name: overlay-wireguard
          hops: [stack, veth, encap, ip_forward, nic, wire, nic, ip_forward, decap, veth, stack]
          encap: wireguard
    """
    from pathlib import Path as _P

    if str(file).endswith((".yaml", ".yml")):
        items = load_yaml(file, "a YAML list of path mappings")
    else:
        try:
            items = json.loads(_P(file).read_text(encoding="utf-8"))
        except (ValueError, UnicodeError) as exc:
            raise DataFormatError(str(file), "document", "a JSON list of path mappings",
                                  found=" ".join(str(exc).split())[:160]) from None
    if not isinstance(items, list):
        raise ParameterError("paths file", str(file), "a list of path mappings")
    out = [path_from_dict(d) for d in items]
    if register:
        for p in out:
            register_path(p, replace=True)
    return out


_BUILTIN = (
    Path("host", ("stack", "netfilter", "nic", "wire", "nic", "netfilter", "stack"),
         description="node to node on the host network, no pods (baseline)",
         source="Kubernetes networking (node network, no pods)"),
    Path("bridge", ("stack", "veth", "bridge", "netfilter", "veth", "stack"), same_node=True,
         description="two pods on one node: veth pairs into a Linux bridge (br_netfilter on)",
         source="Kubernetes networking (kube-proxy iptables mode requires br_netfilter)"),
    Path("overlay", ("stack", "veth", "bridge", "netfilter", "encap", "ip_forward", "nic", "wire",
                     "nic", "ip_forward", "decap", "bridge", "netfilter", "veth", "stack"),
         encap="vxlan", rx_flow_entropy=False,
         description="pods on different nodes through a VXLAN tunnel between node bridges",
         source="Huawei CCE container tunnel network (VXLAN over OVS); Flannel VXLAN backend"),
    Path("routing", ("stack", "veth", "ip_forward", "netfilter", "nic", "wire", "nic",
                     "ip_forward", "netfilter", "veth", "stack"),
         description="pods on different nodes via node routes (VPC route table, host-gw, BGP)",
         source="Huawei CCE VPC network (one route per node); Flannel host-gw; Calico BGP"),
    Path("underlay", ("stack", "child", "nic", "wire", "nic", "child", "stack"),
         description="pod interface is an ipvlan/macvlan child (or VF/ENI) of the NIC",
         source="Huawei CCE Cloud Native Network 2.0 (ENIs); Kube-OVN underlay"),
)
for _p in _BUILTIN:
    register_path(_p)

#: Names of the five built-in paths, baseline first.
PATH_NAMES: tuple = tuple(p.name for p in _BUILTIN)
