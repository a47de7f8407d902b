"""Shared plot conventions: one colour per path (baseline first), lazy matplotlib import."""
from __future__ import annotations

from ..display import PATH_COLORS, path_color  # noqa: F401  (one home for colours)

__all__ = ["PATH_COLORS", "path_color", "get_ax"]


def get_ax(ax=None):
    """Return ``ax`` or a new Axes on a new figure (matplotlib imported only here)."""
    if ax is not None:
        return ax
    import matplotlib.pyplot as plt

    _, ax = plt.subplots(figsize=(7, 4), layout="constrained")
    return ax
