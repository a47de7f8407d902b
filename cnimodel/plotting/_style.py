"""Shared plot conventions: one colour per path (baseline first), lazy matplotlib import."""
from __future__ import annotations

#: Colour of each built-in path, stable across every cnimodel plot.
PATH_COLORS = {
    "host": "#333333",
    "bridge": "#1f77b4",
    "overlay": "#d62728",
    "routing": "#2ca02c",
    "underlay": "#9467bd",
}


def path_color(name: str, i: int = 0) -> str:
    """Colour for a path name; user paths cycle through matplotlib's default cycle."""
    if name in PATH_COLORS:
        return PATH_COLORS[name]
    return f"C{(i + 5) % 10}"


def get_ax(ax=None):
    """Return ``ax`` or a new Axes on a new figure (matplotlib imported only here)."""
    if ax is not None:
        return ax
    import matplotlib.pyplot as plt

    _, ax = plt.subplots(figsize=(7, 4), layout="constrained")
    return ax
