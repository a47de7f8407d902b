"""Every notebook under notebooks/ is executed through papermill (found by glob, once per
test run: :mod:`notebook_run`).

Each notebook must carry a cell tagged ``parameters`` and may give small
parameters for this test in its metadata: ``{"cnimodel": {"test_parameters": {...}}}``;
string values may use ``{repo}`` and ``{corpus}`` placeholders.
"""
from __future__ import annotations

import json

import pytest

from notebook_run import NOTEBOOKS, executed


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
def test_notebook_executes(nb_path, tmp_path_factory):
    out = executed(nb_path, tmp_path_factory)  # shared with test_notebook_html.py
    nb = json.loads(out.read_text())
    errors = [o for c in nb["cells"] for o in c.get("outputs", []) if o.get("output_type") == "error"]
    assert not errors
    # No Python warnings may reach a report reader.
    stderr = [o.get("text", "") for c in nb["cells"] for o in c.get("outputs", [])
              if o.get("output_type") == "stream" and o.get("name") == "stderr"]
    stderr = "".join(t if isinstance(t, str) else "".join(t) for t in stderr)
    assert "Warning" not in stderr, stderr[:2000]
