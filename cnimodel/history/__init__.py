"""History of runs: tidy rows and headline figures of every dataset added, in a Parquet
store (:mod:`~cnimodel.history.store`), read back filtered (:mod:`~cnimodel.history.read`),
as series over runs with their change points (:mod:`~cnimodel.history.trend`,
:mod:`~cnimodel.history.changepoints`).  See docs/history.md.
"""
from .add import add_dataset, add_datasets, parse_labels
from .changepoints import change_points, noise_scale
from .fingerprint import dataset_fingerprint
from .read import History, open_history
from .store import HistoryError, compact
from .trend import trend_changes, trend_frame

__all__ = ["add_dataset", "add_datasets", "parse_labels", "change_points", "noise_scale",
           "dataset_fingerprint", "History", "open_history", "HistoryError", "compact",
           "trend_frame", "trend_changes"]
