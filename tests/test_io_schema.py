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


def _label_cases():
    """Rows of a few shapes and runs of labels: schema columns overwritten, values of every
    kind YAML gives (None, bool, int, float, str, list), runs without rows."""
    rows = [{"tool": "iperf3", "protocol": "tcp", "throughput_bps": 9.4e9, "streams": 1},
            {"tool": "netperf", "test": "rr", "transactions_per_s": 2e4},
            {"tool": "iperf3", "protocol": "udp", "lost_fraction": 0.01, "record": 1},
            {"tool": "knb"}]
    labels = [
        [(2, {"path": "host", "condition": "a"}), (0, {"zz": 1}), (2, {"path": "bridge", "cni": None})],
        [(1, {"protocol": "sctp", "repetition": 1}), (1, {"repetition": 2.5, "flag": True}),
         (2, {"lst": [1, 2], "flag": None, "streams": 4})],
        [(4, {"condition": float("nan"), "my": "x"})],
        [(3, {"mixed": 1}), (1, {"mixed": "one"})],
    ]
    return rows, labels


def test_label_runs_equal_row_update():
    """``labels=`` runs give exactly the frame of updating every row with its labels first."""
    import copy

    import pandas as pd

    rows, cases = _label_cases()
    for labels in cases:
        updated = copy.deepcopy(rows)
        i = 0
        for n, lab in labels:
            for r in updated[i:i + n]:
                r.update(lab)
            i += n
        order = ("condition", "repetition")
        pd.testing.assert_frame_equal(frame_from_rows(rows, extra_order=order, labels=labels),
                                      frame_from_rows(updated, extra_order=order))
        # a row key outside the schema: its first-seen order comes from the rows themselves
        odd = copy.deepcopy(rows)
        odd[1]["reader_key"] = 3
        updated_odd = copy.deepcopy(updated)
        updated_odd[1] = {**odd[1], **dict(updated[1])}
        pd.testing.assert_frame_equal(frame_from_rows(odd, labels=labels),
                                      frame_from_rows(updated_odd))
    assert rows == _label_cases()[0]  # the rows are not touched


def test_layout_records_equal_dict_rows():
    """Tuple records (``layout=``) give the frame of the equivalent dicts, alone, mixed with
    dict rows, and under labels."""
    import pandas as pd

    fields = ("source_file", "protocol", "streams", "bidir", "throughput_bps", "timestamp")
    consts = {"tool": "iperf3", "test": "stream"}
    recs = [("a", "tcp", 1, None, 9.4e9, 1.7e9), ("b", "udp", 4, True, float("nan"), None)]
    odd = [("c", "tcp", None, False, "2.5", 7)]  # a missing stream count, a number as text
    other = {"tool": "netperf", "transactions_per_s": 2e4}
    for rows in (recs, [recs[0], other, recs[1]], recs + odd, odd):
        same = [r if isinstance(r, dict) else {**consts, **dict(zip(fields, r))} for r in rows]
        pd.testing.assert_frame_equal(frame_from_rows(rows, layout=(fields, consts)),
                                      frame_from_rows(same))
        for labels in ([(1, {"path": "host", "protocol": "sctp"}), (len(rows) - 1, {"cond": 1})],
                       [(len(rows), {"throughput_bps": 1.0, "streams": 2, "timestamp": None})]):
            pd.testing.assert_frame_equal(
                frame_from_rows(rows, layout=(fields, consts), labels=labels),
                frame_from_rows(same, labels=labels))
    assert len(frame_from_rows([], layout=(fields, consts))) == 0
