"""Headline figures of a measured dataset, split by concern.

- :mod:`~cnimodel.summary.rows`: which columns make a scenario, which metric judges a
  test, the scenarios as small arrays, the subsets the notebooks show;
- :mod:`~cnimodel.summary.figures`: the statistics (medians with CIs, overheads against a
  baseline with CIs and significance, MTU findings, coverage);
- :mod:`~cnimodel.summary.present`: scenario names, sentences, Markdown and display tables;
- :mod:`~cnimodel.summary.verdict`: the verdict matrix, like for like (comparable groups,
  baselines per group) and :func:`headline_records`, a run's headline figures as tidy data;
- :mod:`~cnimodel.summary.why`: what the model explains of each overhead, the verdict sentences;
- :mod:`~cnimodel.summary.verdict_html`: the matrix as HTML.

The calibration's view of a dataset (which rows it fits, model against measurement,
whether cross-validation is possible) lives in :mod:`cnimodel.calibrate`.

Examples
--------
>>> import pandas as pd
>>> df = pd.DataFrame({"path": ["host"] * 3 + ["overlay"] * 3, "test": "rr", "protocol": "tcp",
...                    "msg_size_bytes": 1024.0,
...                    "latency_mean_s": [60e-6, 61e-6, 62e-6, 72e-6, 73e-6, 75e-6]})
>>> f = headline_figures(df)
>>> f["headline"][0].split(" (")[0]
'overlay adds 12 us to TCP request/response 1 KiB latency against host'
"""
from .figures import coverage_table, headline_figures, median_table, mtu_findings, overhead_table
from .present import (cv_table, dataset_markdown, display_tables, estimates_table, headline_markdown,
                      headline_sentences, identifiability_markdown, load_markdown, model_markdown,
                      model_table, mtu_markdown, mtu_table, overhead_frames, scenario_label)
from .verdict import headline_records, verdict
from .rows import (DEFAULT_METRICS, METRICS, SCENARIO_COLUMNS, choose_metric, conditions,
                   measured_metrics, measured_stream_rows, pick_intervals, present_columns,
                   scenario_arrays, scenario_columns, select)

__all__ = ["coverage_table", "METRICS", "DEFAULT_METRICS", "SCENARIO_COLUMNS", "scenario_columns",
           "choose_metric", "scenario_label", "scenario_arrays", "median_table", "overhead_table",
           "headline_sentences", "mtu_findings", "headline_figures", "headline_markdown",
           "display_tables", "model_table", "mtu_table", "conditions", "overhead_frames",
           "dataset_markdown", "model_markdown", "mtu_markdown", "present_columns", "measured_metrics",
           "pick_intervals", "estimates_table", "identifiability_markdown", "cv_table",
           "measured_stream_rows", "select", "load_markdown", "verdict", "headline_records"]
