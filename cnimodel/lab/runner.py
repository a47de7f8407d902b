"""Run the lab: preflight, build, start servers, run the plan, save raw output, tear down.

Raw tool output is saved byte-for-byte as the tool printed it on stdout
(``DIR/<path>/<test>-r<rep>.<ext>``); stderr goes beside it as ``<file>.stderr``
only when non-empty.  The exact command of every file, its start and end
times and exit status go to ``manifest.json``; nothing is post-processed into
the raw files.  Output is written into ``DIR/.partial-<prefix>`` and moved into
place only when the whole run succeeded.
"""
from __future__ import annotations

import contextlib
import json
import os
import shlex
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from .._version import __version__
from ..errors import LabError
from . import manifest as mf
from . import netfilter as nft
from .cleanup import RunGuard, signals_deferred, trap_signals
from .naming import new_prefix
from .plan import NETPERF_SELECTORS, LabConfig, block_order, plan_condition, bench_specs
from .preflight import check_root, preflight, tool_versions
from .topology import TbfShaper, Topology, run_cmd

__all__ = ["IPERF3_PORT", "NETPERF_PORT", "NICENESS", "pick_cpus", "client_argv", "server_argvs",
           "estimate_seconds", "run_lab"]

IPERF3_PORT = 5201
NETPERF_PORT = 12865
_PER_TEST_OVERHEAD_S = 0.08     # process start + control connection, measured here


def pick_cpus() -> tuple:
    """(client CPU, server CPU): the first two CPUs this process may use (the same one if only one)."""
    cpus = sorted(os.sched_getaffinity(0))
    return cpus[0], cpus[1] if len(cpus) > 1 else cpus[0]


#: Scheduling niceness of every lab client and server: without it, other load on a
#: 2-core machine starves the sender and a shaped wire runs up to 20 % below its rate.
NICENESS = -10


def client_argv(test, ep, cpus) -> list:
    """Full command of one client run of ``test`` on endpoint ``ep``."""
    c, s = cpus
    pre = ["ip", "netns", "exec", ep.client_ns, "nice", "-n", str(NICENESS), "taskset", "-c", str(c)]
    if test.tool == "iperf3":
        argv = pre + ["iperf3", "-c", ep.server_addr, "-p", str(IPERF3_PORT), "-J", *test.args]
        if "-u" in test.args:   # one datagram per packet: pod MTU - IPv4 20 - UDP 8
            argv += ["-l", str(ep.pod_mtu_bytes - 28)]
        return argv
    cut = test.args.index("--")
    return pre + ["netperf", "-H", ep.server_addr, "-p", str(NETPERF_PORT), "-c", "-C",
                  "-T", f"{c},{s}", *test.args[:cut], "--", *test.args[cut + 1:],
                  "-o", NETPERF_SELECTORS]


def server_argvs(ep, cpus) -> dict:
    """Server commands (iperf3, netserver) for endpoint ``ep``, pinned to the server CPU."""
    pre = ["ip", "netns", "exec", ep.server_ns, "nice", "-n", str(NICENESS), "taskset", "-c",
           str(cpus[1])]
    return {"iperf3": (pre + ["iperf3", "-s", "-B", ep.server_addr, "-p", str(IPERF3_PORT)],
                       IPERF3_PORT),
            "netserver": (pre + ["netserver", "-D", "-f", "-4", "-L", ep.server_addr,
                                 "-p", str(NETPERF_PORT)], NETPERF_PORT)}


def keep_awake_argvs(cpus) -> list:
    """Busy loops at SCHED_IDLE (``chrt -i 0``), one per lab CPU.  They run outside the lab's
    namespaces (a process dying slowly inside one would hold it), are killed by pid at
    teardown, and each also ends by itself once the lab process is gone (``kill -0`` on
    its pid), so not even a SIGKILLed run leaves one behind."""
    me = os.getpid()
    return [["chrt", "-i", "0", "taskset", "-c", str(c),
             "sh", "-c", f"while kill -0 {me} 2>/dev/null; do :; done"]
            for c in sorted(set(cpus))]


def _start_keep_awake(guard, cpus, record) -> None:
    for argv in keep_awake_argvs(cpus):
        proc = guard.track(subprocess.Popen(argv, stdin=subprocess.DEVNULL,
                                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
        record.append({"path": None, "tool": "keep-awake", "command": shlex.join(argv),
                       "pid": proc.pid})


def estimate_seconds(cfg: LabConfig) -> float:
    """Expected wall time of a run [s] (fixed test durations + measured per-test overhead)."""
    per_rep = sum(t.duration_s + _PER_TEST_OVERHEAD_S for t in bench_specs(cfg))
    return len(cfg.conditions()) * cfg.repeat * (len(cfg.paths) * per_rep + 3.0)  # 3 s: build


def _listening(pid: int, port: int) -> bool:
    """True once process ``pid``'s network namespace has a TCP socket listening on ``port``."""
    for name in ("tcp", "tcp6"):
        with contextlib.suppress(OSError):
            for line in Path(f"/proc/{pid}/net/{name}").read_text().splitlines()[1:]:
                f = line.split()
                if f[3] == "0A" and int(f[1].rsplit(":", 1)[1], 16) == port:
                    return True
    return False


def _start_servers(guard, topo, cpus, record) -> None:
    """Start iperf3 and netserver for every path (tracked by pid); wait until each listens."""
    for ep in topo.endpoints().values():
        for tool, (argv, port) in server_argvs(ep, cpus).items():
            with tempfile.TemporaryFile() as errf:
                proc = guard.track(subprocess.Popen(argv, stdin=subprocess.DEVNULL,
                                                    stdout=subprocess.DEVNULL, stderr=errf))
                record.append({"path": ep.path, "tool": tool, "command": shlex.join(argv),
                               "pid": proc.pid})
                deadline = time.monotonic() + 10
                while not _listening(proc.pid, port):
                    if proc.poll() is not None:
                        errf.seek(0)
                        raise LabError(f"{tool} server for path {ep.path} exited "
                                       f"({proc.returncode}): "
                                       f"{errf.read().decode(errors='replace').strip()}")
                    if time.monotonic() > deadline:
                        raise LabError(f"{tool} server for path {ep.path} not listening after "
                                       f"10 s: {shlex.join(argv)}")
                    time.sleep(0.02)


def _run_client(guard, argv, timeout_s):
    """Run one client to completion (killed after ``timeout_s``); return output, status, times."""
    start = mf.utc_now()
    proc = guard.track(subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                        stderr=subprocess.PIPE))
    try:
        out, err = proc.communicate(timeout=timeout_s)
    except subprocess.TimeoutExpired:
        proc.kill()
        out, err = proc.communicate()
        err += f"\n[cnimodel lab: killed after {timeout_s} s timeout]\n".encode()
    guard.untrack(proc)      # only once it has exited: on an interrupt the guard kills it
    return out, err, proc.returncode, start, mf.utc_now()


def wire_rx_counters(topo) -> dict:
    """Received packets and bytes of each end of the wire, ``{"w1": [packets, bytes], ...}``
    (``ip -s -j link``).  Their change over a run shows what crossed the wire: GSO
    super-packets (tens of KB each) or MTU-sized packets."""
    out = {}
    for n, w in (("n1", "w1"), ("n2", "w2")):
        st = json.loads(run_cmd(["ip", "-n", topo.ns(n), "-s", "-j", "link", "show",
                                 topo.dev(w)]))[0]["stats64"]["rx"]
        out[w] = [int(st["packets"]), int(st["bytes"])]
    return out


def _run_task(guard, task, ep, cpus, dest: Path, counters=None, nft_counter=None) -> dict:
    """Run one task (retrying once on failure); save raw stdout (+stderr); return its manifest
    entry (with the wire's received packets and bytes during the run when ``counters`` is given,
    and the packets that walked the forward-hook ruleset when ``nft_counter`` is given)."""
    argv = client_argv(task.test, ep, cpus)
    timeout = task.test.duration_s + 30
    attempts = []
    for _attempt in (1, 2):
        before = counters() if counters else None
        nft_before = nft_counter() if nft_counter else None
        out, err, rc, t0, t1 = _run_client(guard, argv, timeout)
        attempts.append({"start_time": t0, "end_time": t1, "exit_status": rc,
                         "stderr": err.decode(errors="replace")[-2000:]})
        if rc == 0 and out.strip():
            break
        time.sleep(0.5)
    rel = f"{task.path}/{task.test.filename(task.repetition)}"
    (dest / task.path).mkdir(parents=True, exist_ok=True)
    (dest / rel).write_bytes(out)
    entry = {"file": rel, "command": shlex.join(argv), "path": task.path, "test": task.test.stem,
             "repetition": task.repetition, "start_time": attempts[-1]["start_time"],
             "end_time": attempts[-1]["end_time"], "exit_status": rc, "attempts": len(attempts)}
    if before is not None:
        after = counters()
        entry["wire_rx"] = {w: {"packets": after[w][0] - before[w][0],
                                "bytes": after[w][1] - before[w][1]} for w in after}
    if nft_before is not None:
        nft_after = nft_counter()
        entry["nft_forward"] = {"packets": nft_after[0] - nft_before[0],
                                "bytes": nft_after[1] - nft_before[1]}
    if len(attempts) > 1:
        entry["failed_attempts"] = attempts[:-1]
    if err:
        (dest / (rel + ".stderr")).write_bytes(err)
        entry["stderr_file"] = rel + ".stderr"
    return entry


def _new_manifest(cfg, cond, topo, cpus, run_info) -> dict:
    return {"cnimodel_version": run_info["cnimodel_version"], "condition": cond.name,
            "command": run_info["command"], "start_time": mf.utc_now(),
            "loadavg_start": mf.loadavg(), "machine": run_info["machine"],
            "tools": run_info["tools"], "kernel_features": run_info["kernel_features"],
            "topology": topo.describe(),
            "pinning": {"client_cpu": cpus[0], "server_cpu": cpus[1], "niceness": NICENESS,
                        "keep_awake": cfg.keep_awake,
                        "how": "taskset -c and nice -n on every client and server; "
                               "netperf -T client,server"
                               + ("; SCHED_IDLE busy loop on each lab CPU (vCPUs never halt)"
                                  if cfg.keep_awake else "")},
            "netfilter": (nft.describe(cond.netfilter_rules, topo.ns(nft.RULE_NODE))
                          if cond.netfilter_rules else None),
            "plan": run_info["plan"], "blocks": [], "servers": [], "files": []}


def _run_block(cfg, cond, rep, guard, prefix, underlay_kind, dest: Path, bar, run_info,
               man: dict | None) -> dict:
    """Build the topology of one condition, run repetition ``rep`` of its plan into ``dest``
    and tear it down.  Returns the condition's manifest (``man``, created on its first block)
    with this block's files, servers and times appended."""
    shaper = None if cond.rate_bps is None else TbfShaper(cond.rate_bps)
    topo = Topology(prefix, cond.wire_mtu_bytes, shaper, cfg.paths, underlay_kind)
    cpus = pick_cpus()
    dest.mkdir(parents=True, exist_ok=True)
    if man is None:
        man = _new_manifest(cfg, cond, topo, cpus, run_info)
    block = {"repetition": rep, "start_time": mf.utc_now(), "loadavg_start": mf.loadavg()}
    guard.namespaces += topo.namespaces()
    try:
        cmds = [shlex.join(c) for c in topo.build()]   # the same for every block of a condition
        if cond.netfilter_rules:
            cmds.append(nft.install(topo.ns(nft.RULE_NODE), cond.netfilter_rules))
        man.setdefault("build_commands", cmds)
        nft_counter = ((lambda: nft.forward_counter(topo.ns(nft.RULE_NODE)))
                       if cond.netfilter_rules else None)
        _start_servers(guard, topo, cpus, man["servers"])
        if cfg.keep_awake:
            _start_keep_awake(guard, cpus, man["servers"])
        eps = topo.endpoints()
        for task in plan_condition(cfg, cond):
            if task.repetition != rep:
                continue
            bar.set_postfix_str(f"{cond.name} {task.path} {task.test.stem} r{task.repetition}",
                                refresh=False)
            man["files"].append(_run_task(guard, task, eps[task.path], cpus, dest,
                                          counters=lambda: wire_rx_counters(topo),
                                          nft_counter=nft_counter))
            bar.update(1)
        if shaper is not None:
            man["tc_stats_end"] = {
                w: run_cmd(["ip", "netns", "exec", topo.ns(n), "tc", "-s", "qdisc", "show", "dev",
                            topo.dev(w)])
                for n, w in (("n1", "w1"), ("n2", "w2"))}
    finally:
        guard.teardown(topo.namespaces())
    block["end_time"] = mf.utc_now()
    block["loadavg_end"] = mf.loadavg()
    man["blocks"].append(block)
    return man


def _finish_condition(cfg, cond, man: dict, dest: Path) -> dict:
    """Write ``dest/manifest.json`` and ``dest/dataset.yaml`` of a measured condition; return a
    short summary."""
    man["end_time"] = man["blocks"][-1]["end_time"]
    man["loadavg_end"] = man["blocks"][-1]["loadavg_end"]
    mf.write_json(dest / "manifest.json", man)
    mf.write_yaml(dest / "dataset.yaml",
                  mf.condition_dataset_yaml(cond, man["topology"], cfg.repeat,
                                            label_rules=any(cfg.netfilter_rules)))
    return {"condition": cond.name, "start_time": man["start_time"], "end_time": man["end_time"],
            "files": len(man["files"]),
            "failed": [f["file"] for f in man["files"] if f["exit_status"] != 0]}


def _install(staging: Path, out: Path) -> None:
    """Move every entry of ``staging`` into ``out``, replacing entries of the same name."""
    for item in sorted(staging.iterdir()):
        target = out / item.name
        if target.is_dir() and not target.is_symlink():
            shutil.rmtree(target)
        elif target.exists() or target.is_symlink():
            target.unlink()
        item.rename(target)
    staging.rmdir()


def run_lab(cfg: LabConfig, out, progress: bool = True, underlay_kind: str = "auto",
            command: str | None = None) -> dict:
    """Measure every condition of ``cfg`` and write the dataset to ``out``.

    One condition: ``out`` is the dataset root.  Several: one sub-dataset per
    condition (``out/<condition>/``) plus ``out/dataset.yaml`` with common labels.
    Entries of ``out`` with the names written are replaced; other files stay.

    Returns
    -------
    dict
        Summary: prefix, conditions (files, failures), start/end times, seconds.

    Raises
    ------
    LabError
        Missing root/tool/kernel feature (before anything is built) or a failed build.
    LabInterrupted, KeyboardInterrupt
        On SIGTERM/SIGHUP or Ctrl-C, after everything the run created was removed.
    """
    from tqdm import tqdm

    cfg.validate()
    check_root()
    out = Path(out)
    prefix = new_prefix()
    t_start = time.monotonic()
    summary = {"prefix": prefix, "start_time": mf.utc_now(), "conditions": []}
    staging = out / f".partial-{prefix[:-1]}"
    guard = None
    ok = False
    with trap_signals():
        try:
            guard = RunGuard(prefix)     # first: `lab clean` must see the probe namespace as live
            facts = preflight(prefix, cfg.paths, any(r is not None for r in cfg.rates),
                              underlay_kind, netfilter=any(n for n in cfg.netfilter_rules))
            conds = cfg.conditions()
            run_info = {
                "cnimodel_version": __version__, "command": command or shlex.join(sys.argv),
                "machine": mf.machine_facts(),
                "tools": {**tool_versions(), **({"nft": nft.nft_version()}
                                               if any(cfg.netfilter_rules) else {})},
                "kernel_features": facts["kernel_features"],
                "plan": {"paths": list(cfg.paths), "repetitions": cfg.repeat,
                         "msg_sizes_bytes": list(cfg.msg_sizes),
                         "crr_sizes_bytes": list(cfg.crr_sizes),
                         "udp_rr_sizes_bytes": list(cfg.udp_rr_sizes), "streams": cfg.streams,
                         "udp_rate_bps": cfg.udp_rate_bps, "iperf_time_s": cfg.iperf_time_s,
                         "iperf_omit_s": cfg.iperf_omit_s,
                         "rr_transactions": cfg.rr_transactions,
                         "crr_transactions": cfg.crr_transactions,
                         "stream_time_s": cfg.stream_time_s,
                         "netfilter_rules": [int(n) for n in cfg.netfilter_rules],
                         "tests": [t.stem for t in bench_specs(cfg)],
                         "order": "for each repetition, for each condition (a fresh topology "
                                  "per block): for each test, every path once; path order "
                                  "rotated by (test index + repetition - 1)"},
            }
            guard.record_staging(staging)  # before it exists: `lab clean` removes it after a kill
            staging.mkdir(parents=True, exist_ok=False)
            total = sum(len(plan_condition(cfg, c)) for c in conds)
            with tqdm(total=total, unit="test", file=sys.stderr, disable=not progress,
                      dynamic_ncols=True, desc="cnimodel lab") as bar:
                mans = {}
                for rep, cond in block_order(cfg):
                    dest = staging if len(conds) == 1 else staging / cond.name
                    mans[cond.name] = _run_block(cfg, cond, rep, guard, prefix,
                                                 facts["underlay_kind"], dest, bar, run_info,
                                                 mans.get(cond.name))
                for cond in conds:
                    dest = staging if len(conds) == 1 else staging / cond.name
                    summary["conditions"].append(_finish_condition(cfg, cond, mans[cond.name], dest))
            summary["end_time"] = mf.utc_now()
            summary["seconds"] = round(time.monotonic() - t_start, 1)
            if len(conds) > 1:
                mf.write_yaml(staging / "dataset.yaml", mf.root_dataset_yaml(facts["underlay_kind"]))
                mf.write_json(staging / "manifest.json",
                              {"cnimodel_version": __version__, "command": run_info["command"],
                               "machine": run_info["machine"], "tools": run_info["tools"],
                               **summary})
            with _signals_blocked():
                _install(staging, out)
                ok = True
        finally:
            with _signals_blocked():     # a second Ctrl-C must not cut the cleanup short
                if guard is not None:
                    guard.close()
                if not ok and staging.exists():
                    shutil.rmtree(staging, ignore_errors=True)
    return summary


def _signals_blocked():
    """Hold SIGINT/SIGTERM/SIGHUP until the block ends, on every thread (then they are
    delivered): :func:`cleanup.signals_deferred`."""
    return signals_deferred()

