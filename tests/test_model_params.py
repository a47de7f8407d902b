"""ModelParams: defaults, validation, JSON round trip, cited sources."""
import json

import pytest

from cnimodel.errors import ParameterError
from cnimodel.params import SOURCES, ModelParams
from cnimodel.paths import HOP_KINDS


def test_defaults_cover_every_hop_kind_and_cite_sources():
    p = ModelParams()
    assert set(p.hop_latency_s) == set(HOP_KINDS) == set(p.hop_cpu_s)
    for name in ("hop_latency_s", "base_rtt_s", "latency_per_byte_s", "propagation_s", "queue",
                 "crr_setup_rtts", "crr_connection_s", "hop_cpu_s", "cpu_per_byte_s",
                 "gso_bytes", "tcp_window_bytes", "loss_model"):
        assert SOURCES[name] and name in p.sources


def test_json_round_trip(tmp_path):
    p = ModelParams(base_rtt_s=55e-6, queue="mm1", hop_latency_s={"veth": 2e-6}, cpu_cores=4)
    q = ModelParams.from_json(p.to_json())
    assert q == p
    assert q.hop_latency_s["veth"] == 2e-6 and q.hop_latency_s["stack"] == 1.5e-6
    f = tmp_path / "p.json"
    p.save(f)
    assert ModelParams.load(f) == p
    d = json.loads(f.read_text())
    assert "sources" in d and d["queue"] == "mm1"


@pytest.mark.parametrize("kw,name", [
    ({"base_rtt_s": -1e-6}, "base_rtt_s"),
    ({"hop_latency_s": {"veth": -1e-6}}, "hop_latency_s['veth']"),
    ({"hop_cpu_s": {"nope": 1e-6}}, "hop_cpu_s['nope']"),
    ({"cpu_per_byte_s": float("nan")}, "cpu_per_byte_s"),
    ({"gso_bytes": 0}, "gso_bytes"),
    ({"queue": "mm2"}, "queue"),
    ({"loss_model": "reno"}, "loss_model"),
])
def test_invalid_parameters_name_the_input(kw, name):
    with pytest.raises(ParameterError) as e:
        ModelParams(**kw)
    assert e.value.name == name


def test_unknown_field_in_json_is_an_error():
    with pytest.raises(ParameterError) as e:
        ModelParams.from_json('{"base_rtt": 1}')
    assert e.value.value == "base_rtt"
    with pytest.raises(ParameterError):
        ModelParams.from_json("{not json")


def test_flat_access_for_calibration():
    p = ModelParams()
    assert p.get("hop_cpu_s.veth") == p.hop_cpu_s["veth"]
    q = p.set_many({"hop_cpu_s.veth": 3e-6, "base_rtt_s": 1e-5})
    assert q.hop_cpu_s["veth"] == 3e-6 and q.base_rtt_s == 1e-5 and p.hop_cpu_s["veth"] != 3e-6
    with pytest.raises(ParameterError):
        p.get("hop_cpu_s.nope")
