"""The schema is defined once and documented: the data dictionary lists every column."""
import math

from cnimodel.io.schema import COLUMNS, INTERVAL_COLUMNS, conform, empty_frame, frame_from_rows
from conftest import REPO


def test_data_dictionary_in_sync():
    doc = (REPO / "docs" / "data-dictionary.md").read_text()
    for c in COLUMNS + INTERVAL_COLUMNS:
        assert f"| `{c.name}` | {c.dtype} |" in doc, c.name


def test_units_in_names():
    for c in COLUMNS:
        if c.unit == "s":
            assert c.name.endswith("_s")
        if c.unit == "bit/s":
            assert c.name.endswith("_bps")
        if c.unit == "byte":
            assert c.name.endswith("_bytes")


def test_frame_from_rows_dtypes_and_missing():
    df = frame_from_rows([{"tool": "x", "streams": 2, "timestamp": 0.0, "bidir": True},
                          {"cni": "cilium", "underlay_mtu_bytes": 1500}])
    assert [str(df[c.name].dtype) for c in COLUMNS] == [c.dtype for c in COLUMNS]
    assert math.isnan(df.throughput_bps[0]) and df.streams.isna()[1] and df.timestamp.isna()[1]
    assert list(df.columns[len(COLUMNS):]) == ["cni", "underlay_mtu_bytes"]
    assert df.underlay_mtu_bytes.dtype == "float64"
    assert list(conform(df).columns) == list(df.columns)
    assert len(empty_frame()) == 0 and len(frame_from_rows([])) == 0


def test_missing_label_values_stay_missing():
    from cnimodel.io.schema import frame_from_rows

    df = frame_from_rows([{"tool": "iperf3", "cni": "cilium", "shaped": True, "repetition": 1},
                          {"tool": "iperf3"}])
    assert df["cni"].isna().tolist() == [False, True]
    assert df["shaped"].isna().tolist() == [False, True]
    assert df["repetition"].isna().tolist() == [False, True]
    assert "nan" not in df["cni"].dropna().tolist()
