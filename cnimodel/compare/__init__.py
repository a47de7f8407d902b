"""Compare two runs: per condition x path x test x message size x streams x metric, the change
with its CI, a test suited to few repetitions, a practical threshold and a verdict
(``regression``, ``improvement``, ``no_change``, ``not_comparable`` with the reason).

The library API (used by ``cnimodel compare`` and by the history) is
:func:`compare_frames` (two tidy frames) and :func:`compare_datasets` (two dataset
directories), returning a :class:`CompareResult`; the method is in
:mod:`cnimodel.compare.verdict`, the pairing of cells in :mod:`cnimodel.compare.cells`, the
HTML report in :mod:`cnimodel.compare.html` (presentation layer: import it directly).
"""
from .cells import COMPARED_METRICS, CONDITION_PARAMS, KEY_COLUMNS, pair_cells
from .result import CELL_FIELDS, CompareResult, compare_datasets, compare_frames
from .verdict import DEFAULT_ALPHA, DEFAULT_THRESHOLD_REL, VERDICTS, assess, method_statement

__all__ = ["compare_frames", "compare_datasets", "CompareResult", "CELL_FIELDS", "VERDICTS",
           "DEFAULT_THRESHOLD_REL", "DEFAULT_ALPHA", "COMPARED_METRICS", "CONDITION_PARAMS",
           "KEY_COLUMNS", "assess", "method_statement", "pair_cells"]
