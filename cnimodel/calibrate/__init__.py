"""Fit :class:`~cnimodel.params.ModelParams` to a measured tidy dataset, with honest uncertainty.

Method (docs/models.md, "Calibration")
--------------------------------------
- Quantities: TCP/UDP RR and CRR ``latency_mean_s`` (or ``1 / transactions_per_s`` when the
  latency is missing) and TCP stream ``throughput_bps`` (UDP stream rows are excluded:
  iperf3 offers a fixed rate).  Residuals are relative, ``log(predicted / measured)``, so
  microseconds and gigabits share one scale.
- Free parameters: those the data is sensitive to (by default: ``base_rtt_s``,
  ``latency_per_byte_s`` and ``hop_latency_s.<kind>`` for the hop kinds of the measured
  paths when RR rows exist, ``crr_connection_s`` / ``crr_conntrack_s`` with CRR rows,
  ``cpu_per_byte_s``, ``cpu_per_wire_packet_s`` and ``hop_cpu_s.<kind>`` with stream rows).
  Each is fitted as ``x = theta / scale`` (scale = its default), bounded ``x >= 0``.
- Regularisation (Tikhonov): one prior residual ``prior_weight * (x - x_default)`` per
  parameter (none for ``base_rtt_s``) pulls every direction the data cannot see back to the
  cited default; with the default weight 0.01 a parameter may move to several times its
  default where the data asks for it.
- Solver: :func:`scipy.optimize.least_squares` (trust-region reflective, bounds);
  ``robust="auto"`` refits with the ``soft_l1`` loss when residuals more than 5 robust
  standard deviations from the median exist.
- Uncertainty: ``sigma^2 = sum(r_data^2) / (n - p_identified)``;
  posterior covariance ``sigma^2 (J_d^T J_d + w^2 I)^-1``.  A parameter is *identified*
  when the data shrink its variance to <= 1 % of the prior's
  (``1 - w^2 [(J_d^T J_d + w^2 I)^-1]_jj >= 0.99``); otherwise its standard error is NaN
  and the estimate is reported as "held at the default by the prior" -- never a made-up
  precision.  The SVD of ``J_d`` gives the rank, the condition number and the parameter
  combinations the data cannot separate.

Examples
--------
>>> import numpy as np, pandas as pd
>>> from cnimodel.params import ModelParams
>>> from cnimodel.predict import predict
>>> truth = ModelParams(base_rtt_s=50e-6, latency_per_byte_s=2e-9)
>>> sc = pd.DataFrame({"path": np.repeat(["host", "bridge", "overlay", "routing", "underlay"], 4),
...                    "msg_size_bytes": np.tile([1, 1024, 4096, 16384], 5), "test": "rr"})
>>> meas = predict(truth, sc)[["path", "test", "msg_size_bytes", "link_rate_bps", "latency_mean_s"]]
>>> res = fit(meas)
>>> round(res.params.base_rtt_s * 1e6), round(res.params.latency_per_byte_s * 1e9, 1)
(50, 2.0)
>>> "hop_latency_s.child" in res.identifiability["unidentified"]
True
"""
from .compare import measured_vs_model, model_figures
from .crossval import cross_validate, cross_validation_note
from .data import LAB_SHAPER_BURST_BYTES, QUANTITIES, fittable_rows, prepare
from .fit import default_free, fit
from .result import FitResult

__all__ = ["fit", "cross_validate", "FitResult", "prepare", "QUANTITIES", "fittable_rows",
           "default_free", "LAB_SHAPER_BURST_BYTES", "measured_vs_model", "model_figures",
           "cross_validation_note"]
