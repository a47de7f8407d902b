"""The test matrix of a lab run, and the order it runs in.

Conditions (wire MTU x shaper) run one after another, each on its own freshly
built topology.  Inside a condition the order is: for each repetition, for each
test, every path once, the path order rotated from test to test and from
repetition to repetition.  Slow drift (other load on the machine, thermal or
frequency changes) therefore hits every path alike, and each repetition of a
test on a path is a separate file, so reports can show intervals.

Examples
--------
>>> cfg = LabConfig.quick_defaults()
>>> [c.name for c in cfg.conditions()]
['mtu1500-2g']
>>> tasks = plan_condition(cfg, cfg.conditions()[0])
>>> len({t.path for t in tasks}), tasks[0].test.filename(1)
(5, 'iperf3-tcp-p1-r1.json')
>>> parse_rate("2g"), parse_rate("none"), parse_rate("500M")
(2000000000.0, None, 500000000.0)
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field

from ..errors import ParameterError
from ..paths import PATH_NAMES
from .netfilter import MAX_RULES

__all__ = ["parse_rate", "rate_label", "Condition", "BenchSpec", "Task", "LabConfig",
           "bench_specs", "plan_condition", "NETPERF_SELECTORS"]

#: netperf omni output selectors (``-o``): CSV with a header line of column names.
NETPERF_SELECTORS = ("THROUGHPUT,THROUGHPUT_UNITS,TRANSACTION_RATE,MEAN_LATENCY,P50_LATENCY,"
                     "P90_LATENCY,P99_LATENCY,MIN_LATENCY,MAX_LATENCY,STDDEV_LATENCY,"
                     "LOCAL_CPU_UTIL,REMOTE_CPU_UTIL,REQUEST_SIZE,RESPONSE_SIZE,LOCAL_SEND_SIZE,"
                     "PROTOCOL,DIRECTION,ELAPSED_TIME,TRANSPORT_MSS,LOCAL_TRANSPORT_RETRANS,"
                     "LOCAL_CPU_BIND,REMOTE_CPU_BIND")

_RATE = re.compile(r"^\s*([0-9]*\.?[0-9]+(?:e[0-9]+)?)\s*([kmgt]?)(?:bit|bps|b)?(?:/s)?\s*$", re.I)
_MULT = {"": 1, "k": 1e3, "m": 1e6, "g": 1e9, "t": 1e12}


def parse_rate(text) -> float | None:
    """``"2g"``/``"2G"``/``"2gbit"``/``"2e9"`` -> 2e9 bit/s (SI prefixes); ``"none"`` -> None."""
    if text is None or str(text).strip().lower() in ("none", "unshaped", "off", "0"):
        return None
    m = _RATE.match(str(text))
    if not m:
        raise ParameterError("rate", text, "a bit rate such as 2g, 500m, 2e9, or none")
    val = float(m.group(1)) * _MULT[m.group(2).lower()]
    if val <= 0:
        raise ParameterError("rate", text, "> 0 bit/s or none")
    return val


def rate_label(rate_bps) -> str:
    """Short label: 2e9 -> ``2g``, 5e8 -> ``500m``, None -> ``unshaped``."""
    if rate_bps is None:
        return "unshaped"
    for suffix, mult in (("t", 1e12), ("g", 1e9), ("m", 1e6), ("k", 1e3)):
        if rate_bps >= mult:
            return f"{rate_bps / mult:g}{suffix}"
    return f"{rate_bps:g}"


@dataclass(frozen=True)
class Condition:
    """One measured condition: wire MTU [bytes], shaper rate [bit/s] (None: unshaped) and the
    non-matching nftables rules in node n1's forward hook (0: no ruleset; lab/netfilter.py).

    >>> Condition(1500, 2e9, 2000).name
    'mtu1500-2g-nft2000'
    """

    wire_mtu_bytes: int
    rate_bps: float | None
    netfilter_rules: int = 0

    @property
    def name(self) -> str:
        base = f"mtu{self.wire_mtu_bytes}-{rate_label(self.rate_bps)}"
        return f"{base}-nft{self.netfilter_rules}" if self.netfilter_rules else base


@dataclass(frozen=True)
class BenchSpec:
    """One test (tool + options), run once per path and repetition.

    ``stem`` names the output file: ``<stem>-r<repetition>.<ext>``.
    """

    tool: str               # "iperf3" or "netperf"
    stem: str
    ext: str
    args: tuple             # tool options after the address (see runner.client_argv)
    duration_s: float       # expected wall time, for the time estimate

    def filename(self, repetition: int) -> str:
        return f"{self.stem}-r{repetition}.{self.ext}"


@dataclass(frozen=True)
class Task:
    condition: Condition
    repetition: int
    test: BenchSpec
    path: str


@dataclass
class LabConfig:
    """Everything a lab run measures.  Defaults give the full bundled dataset
    (``cnimodel lab run --out data``); ``quick=True`` gives the CI run (< 2 min).

    Parameters
    ----------
    paths : tuple of str
    wire_mtus : tuple of int
        Wire MTUs [bytes]; one condition per MTU, rate and rule count.
    rates : tuple of (float or None)
        Shaper rates [bit/s]; None = unshaped.
    netfilter_rules : tuple of int
        Non-matching nftables rules in node n1's forward hook, one condition per count
        (0: none; condition names gain ``-nft<N>`` otherwise).
    repeat : int
        Repetitions of every test on every path.
    msg_sizes : tuple of int
        TCP_RR request = response sizes [bytes].
    crr_sizes, udp_rr_sizes : tuple of int
        TCP_CRR and UDP_RR request = response sizes [bytes]; UDP_RR sizes must fit one
        datagram on the overlay (wire MTU - 50 - 28).
    streams : int
        Parallel streams of the multi-stream iperf3 test.
    udp_rate_bps : float
        iperf3 UDP offered rate [bit/s].
    iperf_time_s, iperf_omit_s : int
        iperf3 ``-t`` and ``--omit`` [s] (TCP tests; UDP runs without ``--omit``,
        because iperf3 3.12 counts the datagrams of the omitted period as lost).
    rr_transactions : int
        Transactions per TCP_RR / UDP_RR run (netperf ``-l -N``): the same sample count
        for every path and size.
    crr_transactions : int
        Connections per TCP_CRR run (a count, because a timed TCP_CRR makes netserver
        wait 4 s of padding after every run).
    stream_time_s : int
        netperf TCP_STREAM ``-l`` [s].
    keep_awake : bool
        Run a SCHED_IDLE busy loop on the client and server CPUs during the run so the
        vCPUs never halt.  Measured here (2-vCPU Firecracker VM, no cpuidle driver): a
        64-byte TCP_RR p50 was bimodal, 16-25 us or 80-87 us (7 of 18 runs slow),
        the slow mode being the wake-up of a halted vCPU; with the busy loops 12 of 12
        runs gave 16-25 us.  SCHED_IDLE tasks yield to every normal task at once.
    """

    paths: tuple = PATH_NAMES
    wire_mtus: tuple = (1500, 9000)
    rates: tuple = (2e9, None)
    netfilter_rules: tuple = (0,)
    repeat: int = 3
    msg_sizes: tuple = (1, 64, 512, 1024, 4096, 16384)
    crr_sizes: tuple = (1,)
    udp_rr_sizes: tuple = (1, 1024)
    streams: int = 4
    udp_rate_bps: float = 1e9
    iperf_time_s: int = 1
    iperf_omit_s: int = 1
    rr_transactions: int = 3000
    crr_transactions: int = 1500
    stream_time_s: int = 1
    keep_awake: bool = True
    quick: bool = False
    extra: dict = field(default_factory=dict)

    @classmethod
    def quick_defaults(cls, **over) -> "LabConfig":
        """The ``--quick`` matrix: MTU 1500 shaped to 2 Gbit/s, 1 repetition, 2 TCP_RR sizes,
        2-second iperf3 runs (the goodput check needs them on a loaded machine)."""
        base = dict(wire_mtus=(1500,), rates=(2e9,), repeat=1, msg_sizes=(1, 1024),
                    crr_sizes=(1,), udp_rr_sizes=(1,), rr_transactions=2000,
                    crr_transactions=1000, iperf_time_s=2, quick=True)
        base.update({k: v for k, v in over.items() if v is not None})
        return cls(**base)

    def conditions(self) -> list:
        return [Condition(int(m), r, int(n)) for m in self.wire_mtus for r in self.rates
                for n in self.netfilter_rules]

    def validate(self) -> None:
        for p in self.paths:
            if p not in PATH_NAMES:
                raise ParameterError("paths", p, "one of " + ", ".join(PATH_NAMES))
        if "host" not in self.paths:
            raise ParameterError("paths", ",".join(self.paths), "a list including host (baseline)")
        if self.repeat < 1:
            raise ParameterError("repeat", self.repeat, ">= 1")
        for m in self.wire_mtus:
            if not 1280 <= int(m) <= 65535:
                raise ParameterError("wire_mtu", m, "1280..65535 bytes")
        for s in (*self.msg_sizes, *self.crr_sizes, *self.udp_rr_sizes):
            if not 1 <= int(s) <= 1 << 20:
                raise ParameterError("msg_size", s, "1..1048576 bytes")
        for s in self.udp_rr_sizes:
            if int(s) > min(self.wire_mtus) - 50 - 28:
                raise ParameterError("udp_rr_sizes", s, f"<= {min(self.wire_mtus) - 78} bytes "
                                     "(one datagram on the overlay)")
        for n in self.netfilter_rules:
            if int(n) != n or not 0 <= int(n) <= MAX_RULES:
                raise ParameterError("netfilter_rules", n, f"a whole number 0..{MAX_RULES}")
        if len(set(int(n) for n in self.netfilter_rules)) != len(self.netfilter_rules):
            raise ParameterError("netfilter_rules", self.netfilter_rules, "distinct counts")
        if not self.paths or not self.wire_mtus or not self.rates or not self.netfilter_rules:
            raise ParameterError("paths/wire_mtus/rates/netfilter_rules", "empty",
                                 "at least one value each")


#: Expected wall time of a count-based netperf run [s] (3000 transactions: 0.2-0.6 s here).
_COUNTED_RUN_S = 0.4


def bench_specs(cfg: LabConfig) -> list:
    """The :class:`BenchSpec` list of one repetition, for every path alike."""
    t, o = cfg.iperf_time_s, cfg.iperf_omit_s
    ip = lambda *a: tuple(str(x) for x in a)  # noqa: E731
    out = [
        BenchSpec("iperf3", "iperf3-tcp-p1", "json", ip("-t", t, "--omit", o), t + o),
        BenchSpec("iperf3", f"iperf3-tcp-p{cfg.streams}", "json",
                 ip("-t", t, "--omit", o, "-P", cfg.streams), t + o),
        BenchSpec("iperf3", "iperf3-tcp-p1-reverse", "json", ip("-t", t, "--omit", o, "-R"), t + o),
        BenchSpec("iperf3", "iperf3-udp-p1", "json", ip("-t", t, "-u", "-b", int(cfg.udp_rate_bps)),
                 t),
    ]
    n_rr, n_crr = f"-{cfg.rr_transactions}", f"-{cfg.crr_transactions}"
    for s in cfg.msg_sizes:
        out.append(BenchSpec("netperf", f"netperf-tcp_rr-m{s}", "csv",
                            ("-t", "TCP_RR", "-l", n_rr, "--", "-r", f"{s},{s}"), _COUNTED_RUN_S))
    for s in cfg.crr_sizes:
        out.append(BenchSpec("netperf", f"netperf-tcp_crr-m{s}", "csv",
                            ("-t", "TCP_CRR", "-l", n_crr, "--", "-r", f"{s},{s}"), _COUNTED_RUN_S))
    for s in cfg.udp_rr_sizes:
        out.append(BenchSpec("netperf", f"netperf-udp_rr-m{s}", "csv",
                            ("-t", "UDP_RR", "-l", n_rr, "--", "-r", f"{s},{s}"), _COUNTED_RUN_S))
    out.append(BenchSpec("netperf", "netperf-tcp_stream", "csv",
                        ("-t", "TCP_STREAM", "-l", str(cfg.stream_time_s), "--"), cfg.stream_time_s))
    return out


def block_order(cfg: LabConfig) -> list:
    """``(repetition, condition)`` blocks in run order: repetition-major, so every condition is
    measured once before any is measured again (a slow drift hits all conditions alike)."""
    return [(rep, cond) for rep in range(1, cfg.repeat + 1) for cond in cfg.conditions()]


def plan_condition(cfg: LabConfig, cond: Condition) -> list:
    """All tasks of one condition in run order (paths interleaved, order rotated)."""
    paths = list(cfg.paths)
    tasks = []
    for rep in range(1, cfg.repeat + 1):
        for i, test in enumerate(bench_specs(cfg)):
            k = (i + rep - 1) % len(paths)
            for p in paths[k:] + paths[:k]:
                tasks.append(Task(cond, rep, test, p))
    return tasks
