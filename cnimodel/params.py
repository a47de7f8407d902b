"""Every latency and throughput parameter in one serialisable, validated object.

:class:`ModelParams` holds per-hop-kind costs (keys of :data:`cnimodel.paths.HOP_KINDS`)
and the scalar costs of the latency (:mod:`cnimodel.latency`) and throughput
(:mod:`cnimodel.throughput`) models.  Defaults are cited in :data:`SOURCES`
(``ModelParams().sources``); they reproduce the published figures of
Zhuo et al. 2019, Felter et al. 2015 and InfraBuilder 2020/2024 (docs/sources.md) and keep the robust order of added latency host <= underlay < routing < overlay.

Examples
--------
>>> from cnimodel.params import ModelParams
>>> p = ModelParams()
>>> p.hop_latency_s["veth"]
6e-07
>>> q = ModelParams.from_json(p.replace(base_rtt_s=50e-6).to_json())
>>> q.base_rtt_s, q == p.replace(base_rtt_s=50e-6)
(5e-05, True)
>>> ModelParams(queue="mm2")
Traceback (most recent call last):
...
cnimodel.errors.ParameterError: invalid queue='mm2': allowed one of mm1, md1, mg1
"""
from __future__ import annotations

import dataclasses
import json
import math
from dataclasses import dataclass, field
from pathlib import Path

from .bounds import LOSS_MODELS
from .errors import ParameterError
from .paths import HOP_KINDS
from .queueing import QUEUES
from .validation import check_scalar

__all__ = ["ModelParams", "SOURCES", "QUEUES", "LOSS_MODELS", "DEFAULT_HOP_LATENCY_S",
           "DEFAULT_HOP_CPU_S", "CPU_TIME_FIELDS"]

#: CPU-time parameters that scale with 1 / clock (a fixed number of cycles per packet, per
#: byte and per call): :meth:`ModelParams.at_cpu_clock`.
CPU_TIME_FIELDS = ("hop_cpu_s", "cpu_per_byte_s", "cpu_per_wire_packet_s", "cpu_per_call_s",
                   "netfilter_rule_cpu_s")


#: One-way latency per crossing of each hop kind for a small message [s].
#: Host = 2 stack + 2 netfilter + 2 nic + wire + propagation = 5.7 us one way, RTT 11.4 us
#: (Zhuo et al., NSDI 2019: 11.3 us); overlay adds 2 veth + 2 bridge + encap + decap +
#: 2 ip_forward = 4.8 us one way, RTT 21.0 us (Zhuo: 20.9 us, +85 %).  child >= netfilter
#: keeps host <= underlay; veth and ip_forward make routing < overlay (the order of several
#: studies and of the lab data in data/; docs/sources.md).
DEFAULT_HOP_LATENCY_S = {
    "stack": 1.5e-6, "netfilter": 0.3e-6, "veth": 0.6e-6, "bridge": 0.5e-6,
    "ip_forward": 0.4e-6, "encap": 0.9e-6, "decap": 0.9e-6, "child": 0.35e-6,
    "nic": 0.8e-6, "wire": 0.25e-6,
}
#: CPU time per crossing per (GSO super-)packet [s].  Chosen so that, with
#: ``cpu_per_byte_s`` and 64 KiB GSO, a single host stream at MTU 9000 reaches ~32 Gbit/s
#: (InfraBuilder 2024 baremetal single stream: 28-34 Gbit/s) and pod paths 0.71-0.81 of host
#: (InfraBuilder 2024: 0.63-0.72); per datagram (no GSO for UDP) a host path costs ~5.9 us,
#: i.e. ~2 Gbit/s single-thread UDP at MTU 1500 and line rate at MTU 9000 on 10 GbE
#: (InfraBuilder 2020: 1.8-2.8 Gbit/s); encap + decap = 1.7 us per packet (InfraBuilder 2020).
DEFAULT_HOP_CPU_S = {
    "stack": 2.0e-6, "netfilter": 0.3e-6, "veth": 1.5e-6, "bridge": 0.6e-6,
    "ip_forward": 0.5e-6, "encap": 0.85e-6, "decap": 0.85e-6, "child": 0.3e-6,
    "nic": 0.5e-6, "wire": 0.0,
}

#: Where each default comes from.
SOURCES = {
    "hop_latency_s": "Zhuo et al. NSDI 2019 (host RTT 11.3 us, overlay 20.9 us, "
                     "40 GbE); order host <= underlay < routing < overlay (several studies); "
                     "Kube-OVN docs: encapsulation ~1 us one way with offloads",
    "base_rtt_s": "0: the hop costs of Zhuo et al. already include the application; a fit adds the "
                  "per-transaction scheduling cost of the machine (tens of microseconds on the lab VM: data/README.md)",
    "latency_per_byte_s": "two copies (user->kernel, kernel->user) at ~8 GB/s each: 0.25 ns/byte one way "
                          "(order of magnitude of memcpy bandwidth on servers)",
    "propagation_s": "50 m of fibre at 2e8 m/s, one data-centre row, per wire crossing",
    "queue": "M/D/1: netperf RR shows near-deterministic service at low load; M/M/1 and M/G/1 selectable "
             "(Kleinrock 1975)",
    "service_cv2": "1.0: squared coefficient of variation of service for M/G/1 (exponential-like); "
                   "unused by mm1 / md1",
    "crr_setup_rtts": "2: TCP three-way handshake (1 RTT before the request) + FIN exchange before "
                      "the next connection (1 RTT), RFC 9293 sec. 3.5-3.6",
    "crr_connection_s": "10 us per connection (socket, accept, close on both ends); PerfKitBenchmarker "
                        "netperf corpus: TCP_CRR 928 us vs TCP_RR 282 us on one cloud VM pair",
    "crr_conntrack_s": "1 us per netfilter crossing for a conntrack entry (creation + destruction)",
    "hop_cpu_s": "InfraBuilder 2024 single-stream ratios, InfraBuilder 2020 UDP "
                 "packet rate, encapsulation +1.7 us per packet",
    "cpu_per_byte_s": "0.15 ns/byte (copy + checksum on a ~2020 server core; with the per-packet costs "
                      "gives ~32 Gbit/s single-stream host at MTU 9000, InfraBuilder 2024)",
    "cpu_per_wire_packet_s": "0.1 us per MTU-sized packet received from a NIC even with offloads (GRO "
                             "merge, driver work); not charged on a veth wire or a same-node path, "
                             "which carry the GSO super-packets whole (measured in the cnimodel lab: "
                             "47-57 KB per packet on the veth wire at MTU 1500 and 9000 on every "
                             "wire path, wire_rx in data/*/manifest.json, docs/models.md)",
    "cpu_per_call_s": "1 us per send() call of a bulk stream: order of magnitude of a sendmsg() on a "
                      "mitigated x86 kernel (syscall entry/exit, socket lock, skb allocation); the "
                      "fit pins it when the data has two send sizes (iperf3 128 KiB, netperf 16 KiB)",
    "gso_bytes": "65536: Linux GSO_MAX_SIZE / 64 KiB TSO super-packets (include/linux/netdevice.h)",
    "tunnel_offload": "True: NICs and veth segment encapsulated super-packets (UDP tunnel GSO); "
                      "False charges encap/decap and later hops per wire packet (egressgateway docs: VXLAN "
                      "without tunnel offload on 10 GbE, 2.5 vs 8.9 Gbit/s)",
    "tcp_window_bytes": "3 MiB: net.ipv4.tcp_rmem max 6 MiB with tcp_adv_win_scale=1 (half for payload), "
                        "Linux Documentation/networking/ip-sysctl.rst",
    "loss_model": "PFTK (Padhye et al. 1998) in the RFC 3448 form (sec. 3.1)",
    "mathis_c": "sqrt(3/2) = 1.22 (Mathis et al. 1997); 0.87 with delayed ACKs",
    "pftk_b": "1 packet acknowledged per ACK (RFC 3448)",
    "rto_factor": "t_RTO = 4 R (RFC 3448)",
    "node_cores": "12: the cores of one node of the DaoCloud 2023 10 GbE testbed (Dell R620, 2 x Xeon "
                  "E5-2620, 6 cores each); no stream count gets more cores than the node has",
    "nic_rx_queues": "8: Linux DEFAULT_MAX_NUM_RSS_QUEUES (include/linux/netdevice.h, used by "
                     "netif_get_num_default_rss_queues, the default channel count of many drivers)",
    "netfilter_rule_latency_s": "per non-matching rule per packet per netfilter crossing: iptables / "
                                "nftables rules are evaluated in sequence (kube-proxy iptables mode: "
                                "O(Services), Kubernetes blog 2025-02-28 'NFTables mode for kube-proxy'); "
                                "22 ns: fitted on the bundled lab data (data/mtu1500-unshaped-nft0/1000/"
                                "3000, nftables 'ip daddr X tcp dport 80' rules, 2-vCPU VM: 21.9 +- 2.2 ns); "
                                "refit from runs at two or more rule counts (scenario column "
                                "netfilter_rules)",
    "netfilter_rule_cpu_s": "as netfilter_rule_latency_s (the same rule walk), charged per (super-)packet "
                            "on the CPU; 22 ns: the lab's own CPU estimate (130-270 ns) is inflated by "
                            "the CPU contention it was measured under (data/README.md)",
    "cpu_clock_hz": "None: the clock of the calibration CPU is not recorded unless the user sets it "
                    "(ModelParams.at_cpu_clock needs it, or an explicit reference clock)",
}


def _hop_dict(name, value, default):
    if value is None:
        return dict(default)
    if not isinstance(value, dict):
        raise ParameterError(name, value, "a mapping hop kind -> cost [s]")
    out = dict(default)
    for k, v in value.items():
        if k not in HOP_KINDS:
            raise ParameterError(f"{name}[{k!r}]", k, "a hop kind: " + ", ".join(HOP_KINDS))
        out[k] = _cost(f"{name}[{k!r}]", v)
    return out


def _cost(name, v, strict=False):
    return check_scalar(name, v, lo=0.0, lo_strict=strict)


@dataclass(frozen=True)
class ModelParams:
    """Parameters of the latency and throughput models (all SI units).

    Parameters
    ----------
    hop_latency_s : dict
        One-way latency per crossing of each hop kind, small message [s].
    base_rtt_s : float
        Fixed cost per transaction (application wake-ups, scheduling) [s].
    latency_per_byte_s : float
        One-way latency per message byte (copies, checksums) [s/byte].
    propagation_s : float
        Propagation delay per wire crossing, one way [s].
    queue : {"md1", "mm1", "mg1"}
        Queue model under load (see :func:`cnimodel.latency.queue_latency`).
    service_cv2 : float
        Squared coefficient of variation of the service time, ``mg1`` only [1].
    crr_setup_rtts : float
        Extra round trips of a TCP_CRR transaction (handshake, close) [1].
    crr_connection_s : float
        Fixed per-connection cost (socket, accept, close) [s].
    crr_conntrack_s : float
        Per-connection cost per netfilter crossing (conntrack entry) [s].
    hop_cpu_s : dict
        CPU time per crossing per (GSO super-)packet of each hop kind [s].
    cpu_per_byte_s : float
        CPU time per payload byte along the path (copy, checksum) [s/byte].
    cpu_per_wire_packet_s : float
        CPU time per MTU-sized packet received from a NIC, even with offloads [s].
    cpu_per_call_s : float
        CPU time per application send() call of a bulk TCP stream [s] (charged per
        ``msg_size_bytes``, the send size).
    gso_bytes : float
        Payload of one GSO/TSO super-packet [bytes].
    tunnel_offload : bool
        Whether encapsulated super-packets are segmented late (tunnel GSO).
    tcp_window_bytes : float
        Effective TCP window per stream [bytes].
    loss_model : {"pftk", "mathis"}
    mathis_c, pftk_b, rto_factor : float
        Constants of the loss bounds [1].
    cpu_cores : float or None
        Default cores for the per-stream bound; None = one per stream.
    node_cores : float
        Cores of one node [1]: the shared transmit, receive and same-node stages never use
        more (scenario column ``node_cores`` overrides).
    nic_rx_queues : float
        Receive queues (RSS channels) of a node's NIC [1] (scenario column ``rx_queues``).
    netfilter_rule_latency_s, netfilter_rule_cpu_s : float
        Latency and CPU time per netfilter rule traversed, per packet and netfilter crossing
        [s] (scenario column ``netfilter_rules``).
    cpu_clock_hz : float or None
        Clock of the CPU the CPU-time parameters (:data:`CPU_TIME_FIELDS`) were measured or
        calibrated on [Hz]; None: not recorded.  :meth:`at_cpu_clock` rescales them.
    """

    hop_latency_s: dict = field(default_factory=lambda: dict(DEFAULT_HOP_LATENCY_S))
    base_rtt_s: float = 0.0
    latency_per_byte_s: float = 0.25e-9
    propagation_s: float = 0.25e-6
    queue: str = "md1"
    service_cv2: float = 1.0
    crr_setup_rtts: float = 2.0
    crr_connection_s: float = 10e-6
    crr_conntrack_s: float = 1e-6
    hop_cpu_s: dict = field(default_factory=lambda: dict(DEFAULT_HOP_CPU_S))
    cpu_per_byte_s: float = 0.15e-9
    cpu_per_wire_packet_s: float = 0.1e-6
    cpu_per_call_s: float = 1e-6
    gso_bytes: float = 65536.0
    tunnel_offload: bool = True
    tcp_window_bytes: float = 3 * 1024 * 1024
    loss_model: str = "pftk"
    mathis_c: float = math.sqrt(1.5)
    pftk_b: float = 1.0
    rto_factor: float = 4.0
    cpu_cores: float | None = None
    node_cores: float = 12.0
    nic_rx_queues: float = 8.0
    netfilter_rule_latency_s: float = 22e-9
    netfilter_rule_cpu_s: float = 22e-9
    cpu_clock_hz: float | None = None

    def __post_init__(self):
        s = object.__setattr__
        s(self, "hop_latency_s", _hop_dict("hop_latency_s", self.hop_latency_s, DEFAULT_HOP_LATENCY_S))
        s(self, "hop_cpu_s", _hop_dict("hop_cpu_s", self.hop_cpu_s, DEFAULT_HOP_CPU_S))
        for name in ("base_rtt_s", "latency_per_byte_s", "propagation_s", "service_cv2",
                     "crr_setup_rtts", "crr_connection_s", "crr_conntrack_s", "cpu_per_byte_s",
                     "cpu_per_wire_packet_s", "cpu_per_call_s", "netfilter_rule_latency_s",
                     "netfilter_rule_cpu_s"):
            s(self, name, _cost(name, getattr(self, name)))
        for name in ("gso_bytes", "tcp_window_bytes", "mathis_c", "pftk_b", "rto_factor",
                     "node_cores", "nic_rx_queues"):
            s(self, name, _cost(name, getattr(self, name), strict=True))
        if self.queue not in QUEUES:
            raise ParameterError("queue", self.queue, "one of " + ", ".join(QUEUES))
        if self.loss_model not in LOSS_MODELS:
            raise ParameterError("loss_model", self.loss_model, "one of " + ", ".join(LOSS_MODELS))
        if not isinstance(self.tunnel_offload, bool):
            raise ParameterError("tunnel_offload", self.tunnel_offload, "True or False")
        if self.cpu_cores is not None:
            s(self, "cpu_cores", _cost("cpu_cores", self.cpu_cores, strict=True))
        if self.cpu_clock_hz is not None:
            s(self, "cpu_clock_hz", _cost("cpu_clock_hz", self.cpu_clock_hz, strict=True))

    # ------------------------------------------------------------------ helpers
    @property
    def sources(self) -> dict:
        """Citation of each default (name -> text)."""
        return dict(SOURCES)

    def replace(self, **changes) -> "ModelParams":
        """A validated copy with some fields changed (hop dicts are merged, not replaced)."""
        for k in ("hop_latency_s", "hop_cpu_s"):
            if k in changes and isinstance(changes[k], dict):
                changes[k] = {**getattr(self, k), **changes[k]}
        bad = set(changes) - {f.name for f in dataclasses.fields(self)}
        if bad:
            raise ParameterError("parameter", sorted(bad)[0], "a field of ModelParams")
        return dataclasses.replace(self, **changes)

    with_hops = replace

    def at_cpu_clock(self, cpu_clock_hz, reference_clock_hz=None) -> "ModelParams":
        """Parameters for a CPU at ``cpu_clock_hz`` [Hz] from ones measured at ``reference_clock_hz``.

        The CPU times of :data:`CPU_TIME_FIELDS` are multiplied by
        ``reference_clock_hz / cpu_clock_hz``: the same cycles per packet and per byte on a
        faster or slower core (a first-order model: memory-bound work scales less).  Latency
        parameters are left as they are.  ``reference_clock_hz`` defaults to the parameters'
        own :attr:`cpu_clock_hz`; without either a :class:`ParameterError` names it.  The
        result records ``cpu_clock_hz``.

        Examples
        --------
        >>> p = ModelParams().at_cpu_clock(4.0e9, 2.0e9)
        >>> p.cpu_per_byte_s / ModelParams().cpu_per_byte_s, p.cpu_clock_hz
        (0.5, 4000000000.0)
        >>> ModelParams().at_cpu_clock(3e9)
        Traceback (most recent call last):
        ...
        cnimodel.errors.ParameterError: invalid reference_clock_hz=None: allowed a clock > 0 Hz (the parameters record no cpu_clock_hz)
        """
        f = _cost("cpu_clock_hz", cpu_clock_hz, strict=True)
        ref = self.cpu_clock_hz if reference_clock_hz is None else reference_clock_hz
        if ref is None:
            raise ParameterError("reference_clock_hz", None,
                                 "a clock > 0 Hz (the parameters record no cpu_clock_hz)")
        k = _cost("reference_clock_hz", ref, strict=True) / f
        return self.replace(hop_cpu_s={h: v * k for h, v in self.hop_cpu_s.items()},
                            cpu_per_byte_s=self.cpu_per_byte_s * k,
                            cpu_per_wire_packet_s=self.cpu_per_wire_packet_s * k,
                            cpu_per_call_s=self.cpu_per_call_s * k,
                            netfilter_rule_cpu_s=self.netfilter_rule_cpu_s * k, cpu_clock_hz=f)

    # flat vector access, used by the calibration: "base_rtt_s", "hop_latency_s.veth", ...
    def get(self, name: str) -> float:
        """Value of a scalar field or of one hop cost (``"hop_cpu_s.veth"``)."""
        if "." in name:
            d, k = name.split(".", 1)
            try:
                return getattr(self, d)[k]
            except (AttributeError, KeyError, TypeError):
                raise ParameterError("parameter", name, "a field or 'hop_latency_s.<kind>' / "
                                     "'hop_cpu_s.<kind>'") from None
        if name not in self.numeric_names():
            raise ParameterError("parameter", name, "a numeric field of ModelParams")
        return getattr(self, name)

    def set_many(self, values: dict) -> "ModelParams":
        """A copy with ``{flat name: value}`` applied (see :meth:`get`)."""
        changes: dict = {}
        for name, v in values.items():
            self.get(name)  # validates the name
            if "." in name:
                d, k = name.split(".", 1)
                changes.setdefault(d, {})[k] = v
            else:
                changes[name] = v
        return self.replace(**changes)

    @staticmethod
    def numeric_names() -> tuple:
        """Flat names of every fittable number (scalars and ``dict.kind`` hop costs)."""
        scal = ("base_rtt_s", "latency_per_byte_s", "propagation_s", "service_cv2", "crr_setup_rtts",
                "crr_connection_s", "crr_conntrack_s", "cpu_per_byte_s", "cpu_per_wire_packet_s",
                "cpu_per_call_s", "gso_bytes", "tcp_window_bytes", "netfilter_rule_latency_s",
                "netfilter_rule_cpu_s", "node_cores", "nic_rx_queues")
        return scal + tuple(f"hop_latency_s.{k}" for k in HOP_KINDS) + tuple(
            f"hop_cpu_s.{k}" for k in HOP_KINDS)

    # ------------------------------------------------------------------ serialisation
    def to_dict(self) -> dict:
        d = dataclasses.asdict(self)
        d["hop_latency_s"] = dict(self.hop_latency_s)
        d["hop_cpu_s"] = dict(self.hop_cpu_s)
        return d

    @classmethod
    def from_dict(cls, d: dict) -> "ModelParams":
        if not isinstance(d, dict):
            raise ParameterError("params", type(d).__name__, "a JSON object / mapping")
        d = {k: v for k, v in d.items() if k not in ("sources", "cnimodel_params_version")}
        known = {f.name for f in dataclasses.fields(cls)}
        bad = set(d) - known
        if bad:
            raise ParameterError("parameter", sorted(bad)[0], "a field of ModelParams")
        return cls(**d)

    def to_json(self, indent=2) -> str:
        """JSON text: every field, plus ``sources`` (ignored when read back)."""
        d = {"cnimodel_params_version": 1, **self.to_dict(), "sources": self.sources}
        return json.dumps(d, indent=indent)

    @classmethod
    def from_json(cls, text: str) -> "ModelParams":
        try:
            d = json.loads(text)
        except json.JSONDecodeError as exc:
            raise ParameterError("params JSON", str(exc), "valid JSON text") from None
        return cls.from_dict(d)

    def save(self, path) -> None:
        """Write :meth:`to_json` to ``path``."""
        Path(path).write_text(self.to_json() + "\n")

    @classmethod
    def load(cls, path, name="params file") -> "ModelParams":
        """Read a file written by :meth:`save` (a :class:`ParameterError` names what is wrong).

        ``name`` is how the error names the file (the planner passes its input's name,
        ``"params_file"``).
        """
        try:
            text = Path(path).expanduser().read_text(encoding="utf-8")
        except OSError as exc:
            raise ParameterError(name, str(path), "a readable JSON file",
                                 exc.strerror or "") from None
        except UnicodeDecodeError as exc:
            raise ParameterError(name, str(path), "a UTF-8 JSON file", str(exc)) from None
        try:
            return cls.from_json(text)
        except (TypeError, ValueError) as exc:  # a JSON value of the wrong type for a field
            raise ParameterError(name, str(path), "a ModelParams JSON file",
                                 str(exc).splitlines()[0] if str(exc) else type(exc).__name__) from None
