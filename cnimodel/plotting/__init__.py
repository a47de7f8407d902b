"""Plotting: one module per topic; every function takes ``ax=None`` and returns the Axes.

matplotlib is imported lazily inside the functions, so importing this package is cheap.
"""
from .overhead import plot_efficiency_vs_message_size, plot_goodput_vs_mtu
from .models import (plot_latency_vs_load, plot_measured_vs_predicted, plot_residuals,
                     plot_throughput_vs_mtu)

__all__ = ["plot_goodput_vs_mtu", "plot_efficiency_vs_message_size"]
__all__ += ["plot_measured_vs_predicted", "plot_residuals", "plot_latency_vs_load",
            "plot_throughput_vs_mtu"]
