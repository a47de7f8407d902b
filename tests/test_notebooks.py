"""Every notebook under notebooks/ is executed through papermill (found by glob).

Each notebook must carry a cell tagged ``parameters`` and may give small
parameters for this test in its metadata: ``{"cnimodel": {"test_parameters": {...}}}``;
string values may use ``{repo}`` and ``{corpus}`` placeholders.
"""
from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

from conftest import CORPUS, REPO

NOTEBOOKS = sorted((REPO / "notebooks").glob("*.ipynb"))


def _params(nb_path: Path) -> dict:
    meta = json.loads(nb_path.read_text()).get("metadata", {}).get("cnimodel", {})
    params = meta.get("test_parameters", {})

    def fill(v):
        if isinstance(v, str):
            return v.format(repo=REPO, corpus=CORPUS)
        return v

    return {k: fill(v) for k, v in params.items()}


def test_notebooks_found():
    assert NOTEBOOKS, "no notebooks found under notebooks/"


@pytest.mark.parametrize("nb_path", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_notebook_is_stripped_and_parameterized(nb_path):
    nb = json.loads(nb_path.read_text())
    code = [c for c in nb["cells"] if c["cell_type"] == "code"]
    assert not any(c.get("outputs") for c in code), "commit notebooks with outputs stripped"
    assert any("parameters" in c.get("metadata", {}).get("tags", []) for c in code)


@pytest.mark.slow
@pytest.mark.parametrize("nb_path", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_notebook_executes(nb_path, tmp_path):
    import papermill as pm

    params = _params(nb_path)
    if "{corpus}" in json.dumps(json.loads(nb_path.read_text()).get("metadata", {})) and not CORPUS.is_dir():
        pytest.skip("notebook's test parameters need the shared corpus")
    out = tmp_path / nb_path.name
    pm.execute_notebook(str(nb_path), str(out), parameters=params, kernel_name="python3",
                        cwd=str(tmp_path), progress_bar=False, request_save_on_cell_execute=False,
                        start_timeout=120)
    nb = json.loads(out.read_text())
    errors = [o for c in nb["cells"] for o in c.get("outputs", []) if o.get("output_type") == "error"]
    assert not errors
    # No Python warnings may reach a report reader.
    stderr = [o.get("text", "") for c in nb["cells"] for o in c.get("outputs", [])
              if o.get("output_type") == "stream" and o.get("name") == "stderr"]
    stderr = "".join(t if isinstance(t, str) else "".join(t) for t in stderr)
    assert "Warning" not in stderr, stderr[:2000]
