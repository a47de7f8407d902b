"""The package's import structure: no cycle, no upward import (issue 11).

Every module of ``cnimodel/`` is parsed (imports inside functions included) and each import
of another cnimodel module becomes an edge.  The layer order is the one declared in
``docs/architecture.md`` (section "Layers", the fenced block of ``N. name: modules`` lines):
a module may import its own layer and the layers below, never one above, and the graph has
no cycle at all.
"""
from __future__ import annotations

import ast
import os
import re
import subprocess
from pathlib import Path

import pytest

from conftest import REPO

PKG = REPO / "cnimodel"


def _modules():
    mods = {}
    for f in sorted(PKG.rglob("*.py")):
        rel = f.relative_to(REPO).with_suffix("")
        parts = list(rel.parts)
        if parts[-1] == "__init__":
            parts = parts[:-1]
        mods[".".join(parts)] = f
    return mods


MODULES = _modules()


def _is_pkg(name):
    return MODULES.get(name) is not None and MODULES[name].name == "__init__.py"


def _resolve(current, node):
    """cnimodel modules named by one Import / ImportFrom node of module ``current``."""
    out = []
    if isinstance(node, ast.Import):
        for a in node.names:
            if a.name == "cnimodel" or a.name.startswith("cnimodel."):
                out.append(a.name)
        return [_known(n) for n in out]
    base_parts = current.split(".") if _is_pkg(current) else current.split(".")[:-1]
    if node.level:
        base_parts = base_parts[:len(base_parts) - (node.level - 1)]
        base = ".".join(base_parts + ([node.module] if node.module else []))
    else:
        base = node.module or ""
        if not (base == "cnimodel" or base.startswith("cnimodel.")):
            return []
    for a in node.names:
        sub = f"{base}.{a.name}"
        out.append(sub if sub in MODULES else base)
    return [_known(n) for n in out]


def _known(name):
    while name and name not in MODULES:
        name = name.rsplit(".", 1)[0] if "." in name else ""
    return name


def _edges():
    edges = {}
    for mod, f in MODULES.items():
        tree = ast.parse(f.read_text(), str(f))
        deps = set()
        for node in ast.walk(tree):
            if isinstance(node, (ast.Import, ast.ImportFrom)):
                deps.update(d for d in _resolve(mod, node) if d and d != mod)
        edges[mod] = deps
    return edges


def _layers():
    text = (REPO / "docs" / "architecture.md").read_text()
    sec = text.split("## Layers", 1)[1]
    block = re.search(r"```text\n(.*?)```", sec, re.S).group(1)
    layers = {}
    for line in block.splitlines():
        m = re.match(r"\s*(\d+)\.\s+[\w -]+:\s+(.+)$", line)
        if m:
            for name in m.group(2).split(","):
                layers[name.strip()] = int(m.group(1))
    return layers


def _layer_of(mod, layers):
    """Layer of a module: its longest declared prefix (``cnimodel.engine.design`` -> engine)."""
    parts = mod.split(".")[1:] or ["__init__"]
    for k in range(len(parts), 0, -1):
        key = ".".join(parts[:k])
        if key in layers:
            return layers[key], key
    return None, None


def test_every_module_has_a_declared_layer():
    layers = _layers()
    missing = [m for m in MODULES if _layer_of(m, layers)[0] is None]
    assert not missing, f"modules without a layer in docs/architecture.md: {missing}"


def test_no_upward_import():
    layers = _layers()
    bad = []
    for mod, deps in _edges().items():
        lm, km = _layer_of(mod, layers)
        for d in deps:
            if mod.startswith(d + ".") and _is_pkg(d):
                continue  # a package's own __init__ (run by Python before the module anyway)
            ld, kd = _layer_of(d, layers)
            if ld > lm:
                bad.append(f"{mod} (layer {lm} {km}) imports {d} (layer {ld} {kd})")
    assert not bad, "imports against the layer order:\n" + "\n".join(sorted(bad))


def test_no_import_cycle():
    edges = _edges()
    seen, stack, cycles = set(), [], []

    def visit(m, on_path):
        if m in on_path:
            cycles.append(stack[stack.index(m):] + [m])
            return
        if m in seen:
            return
        seen.add(m)
        on_path.add(m)
        stack.append(m)
        for d in sorted(edges.get(m, ())):
            if m.startswith(d + ".") and _is_pkg(d):
                continue
            visit(d, on_path)
        stack.pop()
        on_path.discard(m)

    for m in sorted(edges):
        visit(m, set())
    assert not cycles, "import cycles:\n" + "\n".join(" -> ".join(c) for c in cycles)


@pytest.mark.parametrize("mod", sorted(MODULES))
def test_module_size(mod):
    n = len(MODULES[mod].read_text().splitlines())
    assert n <= 500, f"{MODULES[mod].relative_to(REPO)} has {n} lines (at most 500: split it by concept)"


def _tracked_files():
    try:
        out = subprocess.run(["git", "ls-files", "-z"], cwd=REPO, capture_output=True, check=True).stdout
        return [REPO / os.fsdecode(p) for p in out.split(b"\0") if p]
    except (OSError, subprocess.CalledProcessError):  # not a git checkout: every file but the venv
        return [f for f in REPO.rglob("*") if ".venv" not in f.parts and ".git" not in f.parts]


def test_no_domain_md_reference():
    hits = []
    for f in _tracked_files():
        if not f.is_file() or f.suffix in (".gz", ".png", ".pyc"):
            continue
        try:
            if "DOMAIN" + ".md" in f.read_text(errors="ignore"):
                hits.append(str(f.relative_to(REPO)))
        except OSError:
            continue
    assert not hits, f"files citing a document outside the repository: {hits}"
