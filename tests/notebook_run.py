"""Execute each notebook once per test run, for every test that needs its outputs.

``tests/test_notebooks.py`` (does it run, without warnings?) and
``tests/test_notebook_html.py`` (is its HTML clean?) both call :func:`executed`: the first
caller executes the notebook through papermill, the others wait for it and read the same
file.  The shared directory is the run's base temporary directory, which pytest-xdist
workers of one run have in common (``getbasetemp().parent``); a file lock per notebook
keeps two workers from executing it twice.
"""
from __future__ import annotations

import fcntl
import json
import os
from pathlib import Path

import pytest

from conftest import CORPUS, REPO

NOTEBOOKS = sorted((REPO / "notebooks").glob("*.ipynb"))


def params(nb_path: Path) -> dict:
    """Small parameters from the notebook's metadata ``{"cnimodel": {"test_parameters": ...}}``;
    string values may use ``{repo}`` and ``{corpus}`` placeholders."""
    meta = json.loads(nb_path.read_text()).get("metadata", {}).get("cnimodel", {})

    def fill(v):
        return v.format(repo=REPO, corpus=CORPUS) if isinstance(v, str) else v

    return {k: fill(v) for k, v in meta.get("test_parameters", {}).items()}


def _root(tmp_path_factory) -> Path:
    base = tmp_path_factory.getbasetemp()
    shared = base.parent if os.environ.get("PYTEST_XDIST_WORKER") else base
    root = shared / "executed-notebooks"
    root.mkdir(exist_ok=True)
    return root


def executed(nb_path: Path, tmp_path_factory) -> Path:
    """Path of ``nb_path`` executed with its test parameters (once per test run).

    Skips when the parameters need the shared corpus and it is absent; raises the
    execution's error (again) for every caller when the notebook failed.
    """
    if "{corpus}" in json.dumps(json.loads(nb_path.read_text()).get("metadata", {})) and not CORPUS.is_dir():
        pytest.skip("notebook's test parameters need the shared corpus")
    root = _root(tmp_path_factory)
    out, failed = root / nb_path.name, root / f"{nb_path.stem}.failed"
    part = root / f"{nb_path.stem}.part.ipynb"
    with open(root / f"{nb_path.stem}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not out.exists() and not failed.exists():
            import papermill as pm

            cwd = root / nb_path.stem
            cwd.mkdir(exist_ok=True)
            try:
                pm.execute_notebook(str(nb_path), str(part), parameters=params(nb_path),
                                    kernel_name="python3", cwd=str(cwd), progress_bar=False,
                                    request_save_on_cell_execute=False, start_timeout=120)
            except Exception as e:  # recorded for the other callers, then raised
                failed.write_text(f"{type(e).__name__}: {e}")
                raise
            os.replace(part, out)
    if failed.exists():
        pytest.fail(f"{nb_path.name} failed to execute: {failed.read_text()[:3000]}")
    return out
