"""Hand a notebook's headline figures to the batch runner ("glue").

The notebook's last cell calls :func:`record`; it displays one output of MIME type
:data:`GLUE_MIME` holding the figures as JSON.  Papermill stores that output in the
executed notebook, the runner reads it back with :func:`read_recorded` and puts it in
``summary.json``; the HTML export drops it (it is data, not something to show).
No side files and no environment variables: it works with any executor, and a run
that fails before its last cell simply has no figures.
"""
from __future__ import annotations

import json

from ..jsonclean import jsonable

__all__ = ["GLUE_MIME", "record", "read_recorded", "jsonable", "strip_glue", "setup_notebook"]

#: MIME type of the output :func:`record` writes.
GLUE_MIME = "application/vnd.cnimodel.report+json"


def record(figures: dict) -> dict:
    """Record ``figures`` (a JSON-able mapping) as this run's headline figures.

    Call it once, in the notebook's last cell.  Outside a kernel it only returns the
    cleaned figures.  Returns the figures as they will appear in ``summary.json``.
    """
    clean = jsonable(dict(figures))
    json.dumps(clean, allow_nan=False)  # fail here, in the notebook, if not serializable
    try:
        from IPython import get_ipython
    except ImportError:  # pragma: no cover - IPython ships with ipykernel
        return clean
    if get_ipython() is not None:
        from IPython.display import display

        n = len(clean)
        display({GLUE_MIME: clean,
                 "text/plain": f"headline figures recorded for the batch summary ({n} entries)"},
                raw=True)
    return clean


def _outputs(nb):
    for cell in nb.get("cells", []):
        for out in cell.get("outputs", []) or []:
            yield out


def read_recorded(nb) -> dict | None:
    """The figures a notebook (dict / NotebookNode) recorded, or None when it recorded none.

    Several :func:`record` calls merge, later keys winning.
    """
    found = None
    for out in _outputs(nb):
        data = out.get("data") or {}
        if GLUE_MIME in data:
            val = data[GLUE_MIME]
            if isinstance(val, str):  # some writers store JSON MIME bundles as text
                val = json.loads(val)
            found = {**(found or {}), **val}
    return found


def strip_glue(nb):
    """Remove :func:`record` outputs from a notebook in place (before HTML export)."""
    for cell in nb.get("cells", []):
        if "outputs" in cell:
            cell["outputs"] = [o for o in cell["outputs"] if GLUE_MIME not in (o.get("data") or {})]
    return nb


def setup_notebook(dpi: int = 100) -> None:
    """Figure settings of the report notebooks (first cell): PNG figures at ``dpi``, drawn
    once.  cnimodel's plots lay themselves out (``layout="constrained"``), so the inline
    backend's default second, "tight" bounding-box pass is skipped: it doubled the
    rendering time of every figure.  No-op outside IPython."""
    try:
        from IPython import get_ipython
    except ImportError:  # pragma: no cover
        return
    ip = get_ipython()
    if ip is None:
        return
    import matplotlib

    matplotlib.rcParams["figure.dpi"] = dpi
    ip.run_line_magic("config", "InlineBackend.figure_formats = ['png']")
    ip.run_line_magic("config", "InlineBackend.print_figure_kwargs = {'bbox_inches': None}")
