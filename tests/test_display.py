"""The display table formatter and the path colours of cnimodel.display."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from cnimodel.display import (OTHER_COLORS, PATH_COLORS, format_table, path_color, style_table,
                              table_columns)
from cnimodel.paths import PATH_NAMES


def test_whole_numbers_print_as_integers():
    t = format_table(pd.DataFrame({"msg_size_bytes": [1.0, 1024.0], "mtu": [1500.0, 9000.0],
                                   "repetitions": np.array([5, 7], dtype="int64")}))
    assert t.columns.tolist() == ["msg size [B]", "mtu", "repetitions"]
    assert t.to_numpy().tolist() == [["1", "1500", "5"], ["1024", "9000", "7"]]


def test_fractions_as_percent():
    t = format_table(pd.DataFrame({"ci_level": [0.75, 0.95], "lost_fraction": [0.0123, 0.0],
                                   "relative": [0.0512, -0.25], "x": [0.5, 0.25]}),
                     percent=["x"])
    assert t.columns.tolist() == ["ci level [%]", "lost [%]", "relative [%]", "x [%]"]
    assert t.iloc[0].tolist() == ["75", "1.2", "5.1", "50"]
    assert t.iloc[1].tolist() == ["95", "0.0", "-25.0", "25"]


def test_si_values_in_display_units_with_unit_in_header():
    t = format_table(pd.DataFrame({"throughput_bps": [9.4151e9, 1.9e9],
                                   "latency_p99_s": [61.25e-6, float("inf")],
                                   "latency_p50_s": [float("nan"), 30e-6]}))
    assert t.columns.tolist() == ["throughput [Gbit/s]", "latency p99 [us]", "latency p50 [us]"]
    assert t.iloc[0].tolist() == ["9.415", "61.2", "n/a"]
    assert t.iloc[1].tolist() == ["1.900", "saturated", "30"]


def test_display_headers_are_kept_and_not_rescaled():
    t = format_table(pd.DataFrame({"median [us]": [61.234, 70.0], "CI level [%]": [75.0, 95.0],
                                   "change [%]": [12.345, -3.0], "significant": [True, False],
                                   "scenario": ["tcp_rr 1 B", "tcp_rr 1 KiB"]}))
    assert t.columns.tolist() == ["median [us]", "CI level [%]", "change [%]", "significant",
                                  "scenario"]
    assert t.iloc[0].tolist() == ["61.2", "75", "12.3", "yes", "tcp_rr 1 B"]
    assert t.iloc[1].tolist() == ["70.0", "95", "-3.0", "no", "tcp_rr 1 KiB"]


@pytest.mark.parametrize("values", [[1500.0, 9000.0], [75.0, 95.0], [1.0, 2.0]])
def test_no_padded_zeros_anywhere(values):
    text = format_table(pd.DataFrame({"a": values})).to_string()
    assert ".0000" not in text and ".000000" not in text


def test_wide_range_gets_significant_digits():
    t = format_table(pd.DataFrame({"p-value": [1.2345e-9, 0.4567]}))
    assert t["p-value"].tolist() == ["1.23e-09", "0.457"]
    assert table_columns(pd.DataFrame({"p-value": [1e-9, 0.5]}))["p-value"][2] is None


def test_plain_numbers_about_four_significant_digits():
    t = format_table(pd.DataFrame({"estimate": [1.23456, 2.5], "big": [12345.678, 20000.5]}))
    assert t["estimate"].tolist() == ["1.235", "2.500"]
    assert t["big"].tolist() == ["12346", "20000"]
    assert format_table(pd.DataFrame({"a": [1e-6, 2.5e-6]}))["a"].tolist() == ["1e-06", "2.5e-06"]


def test_index_becomes_columns_when_meaningful():
    df = pd.DataFrame({"throughput_bps": [1e9, 2e9]}, index=pd.Index(["host", "overlay"], name="path"))
    t = format_table(df)
    assert t.columns.tolist() == ["path", "throughput [Gbit/s]"]
    assert t.iloc[1].tolist() == ["overlay", "2"]
    assert format_table(df, index=False).columns.tolist() == ["throughput [Gbit/s]"]


def test_object_numbers_and_missing():
    t = format_table(pd.DataFrame({"n": [3, None], "note": ["a", None]}, dtype=object))
    assert t["n"].tolist() == ["3", "n/a"]
    assert t["note"].tolist() == ["a", "n/a"]


def test_empty_frame():
    t = format_table(pd.DataFrame({"throughput_bps": pd.Series([], dtype=float)}))
    assert t.columns.tolist() == ["throughput [Gbit/s]"] and len(t) == 0


def test_input_not_modified():
    df = pd.DataFrame({"throughput_bps": [1e9]})
    format_table(df)
    assert df["throughput_bps"].iloc[0] == 1e9


def test_style_table_html():
    html = style_table(pd.DataFrame({"mtu_bytes": [1500.0], "path": ["host"]}),
                       caption="MTU").to_html()
    assert ">1500<" in html and "mtu [B]" in html and "MTU</caption>" in html
    assert "1500.000000" not in html
    assert "text-align: right" in html and "text-align: left" in html


def test_builtin_path_colours_fixed_and_distinct():
    cols = [path_color(p) for p in PATH_NAMES]
    assert cols == [PATH_COLORS[p] for p in PATH_NAMES]
    assert len(set(cols)) == len(cols)
    assert not set(cols) & set(OTHER_COLORS)


def test_other_path_colours_depend_on_name_only():
    assert path_color("cilium", 0) == path_color("cilium", 7) == path_color("cilium")
    assert path_color("cilium") in OTHER_COLORS
    names = [f"cni-{k}" for k in range(40)]
    assert len({path_color(n) for n in names}) > 5  # spread over the palette


def test_pandas_missing_values_and_nullable_dtypes():
    df = pd.DataFrame({"tool_version": pd.array(["3.12", pd.NA], dtype="string"),
                       "streams": pd.array([1, pd.NA], dtype="Int64"),
                       "ok": pd.array([True, pd.NA], dtype="boolean"),
                       "duration_s": [1.000165, 10.0]})
    t = format_table(df)
    assert t.columns.tolist() == ["tool version", "streams", "ok", "duration [s]"]
    assert t.iloc[0].tolist() == ["3.12", "1", "yes", "1.000"]
    assert t.iloc[1].tolist() == ["n/a", "n/a", "n/a", "10.000"]


def test_cpu_per_byte_in_ns_per_byte():
    t = format_table(pd.DataFrame({"cpu_per_byte_s": [1.234e-9, 2.5e-9], "cpu_local_cores": [0.99, 0.5]}))
    assert t.columns.tolist() == ["cpu per byte [ns/B]", "cpu local [cores]"]
    assert t.iloc[0].tolist() == ["1.23", "0.99"]
