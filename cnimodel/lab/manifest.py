"""Provenance written beside the raw files: machine facts, ``manifest.json``, ``dataset.yaml``."""
from __future__ import annotations

import datetime as _dt
import json
import os
import platform
from pathlib import Path

from .netfilter import rules_per_crossing

__all__ = ["utc_now", "loadavg", "machine_facts", "write_json", "condition_dataset_yaml",
           "root_dataset_yaml", "write_yaml"]

#: Files the dataset readers must not parse (stderr captures, docs, provenance).
IGNORE_GLOBS = ["*.stderr", "README.md", "manifest.json"]


def utc_now() -> str:
    """Current time, ISO 8601 UTC with microseconds."""
    return _dt.datetime.now(_dt.timezone.utc).isoformat()


def loadavg() -> dict:
    """``/proc/loadavg`` as ``{"load1": .., "load5": .., "load15": .., "raw": ..}``."""
    try:
        raw = Path("/proc/loadavg").read_text().strip()
    except OSError:
        return {"raw": None}
    f = raw.split()
    return {"load1": float(f[0]), "load5": float(f[1]), "load15": float(f[2]), "raw": raw}


def _cpu_model() -> str | None:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.lower().startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or None


def _os_release() -> str | None:
    try:
        for line in Path("/etc/os-release").read_text().splitlines():
            if line.startswith("PRETTY_NAME="):
                return line.split("=", 1)[1].strip().strip('"')
    except OSError:
        pass
    return None


def machine_facts() -> dict:
    """Kernel, OS, CPU model and count of the machine the lab runs on."""
    u = platform.uname()
    return {"kernel": f"{u.system} {u.release} {u.version}", "machine": u.machine,
            "os": _os_release(), "cpu_model": _cpu_model(), "cpu_count": os.cpu_count(),
            "cpus_allowed": sorted(os.sched_getaffinity(0)),
            "python": platform.python_version()}


def write_json(path: Path, obj) -> None:
    Path(path).write_text(json.dumps(obj, indent=1, sort_keys=False) + "\n")


def write_yaml(path: Path, obj) -> None:
    import yaml

    Path(path).write_text(yaml.safe_dump(obj, sort_keys=False, default_flow_style=None, width=100))


def condition_dataset_yaml(cond, topo_desc: dict, repeat: int, label_rules: bool = False) -> dict:
    """The ``dataset.yaml`` of one condition (layout: docs/architecture.md).

    A condition with forward-hook rules (or any condition of a run that has some, when
    ``label_rules``) labels the rule count ``nft_forward_rules`` and, per path, the model's
    scenario column ``netfilter_rules`` (rules per netfilter crossing: lab/netfilter.py)."""
    files = []
    n = int(getattr(cond, "netfilter_rules", 0))
    label_rules = label_rules or n > 0
    per_crossing = rules_per_crossing(n, topo_desc["endpoints"])
    for path, ep in topo_desc["endpoints"].items():
        labels = {"encap": "vxlan" if path == "overlay" else "none",
                  "pod_mtu_bytes": ep["pod_mtu_bytes"]}
        if label_rules:
            labels["netfilter_rules"] = per_crossing[path]
        files.append({"glob": f"{path}/*", "labels": labels})
    for r in range(1, repeat + 1):
        files.append({"glob": f"*/*-r{r}.*", "labels": {"repetition": r, "session": f"{cond.name}-r{r}"}})
    return {
        "labels": {"condition": cond.name, "underlay_mtu_bytes": cond.wire_mtu_bytes,
                   "link_rate_bps": None if cond.rate_bps is None else float(cond.rate_bps),
                   "shaped": cond.rate_bps is not None,
                   "underlay_kind": topo_desc["underlay_kind"],
                   "wire_kind": topo_desc["wire"]["kind"],
                   **({"nft_forward_rules": n} if label_rules else {})},
        "files": files,
        "ignore": list(IGNORE_GLOBS),
    }


def root_dataset_yaml(underlay_kind: str) -> dict:
    """The outer ``dataset.yaml`` of a multi-condition run (labels common to all conditions)."""
    return {"labels": {"underlay_kind": underlay_kind}, "ignore": list(IGNORE_GLOBS)}
