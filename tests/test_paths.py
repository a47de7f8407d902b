"""Path catalogue: the five built-in paths and user-defined paths."""
from __future__ import annotations

import json

import pytest

from cnimodel import overhead as ov
from cnimodel.errors import ParameterError
from cnimodel.paths import HOP_KINDS, PATH_NAMES, PATHS, Path, get_path, load_paths, register_path


def test_five_builtin_paths_baseline_first():
    assert PATH_NAMES == ("host", "bridge", "overlay", "routing", "underlay")


def test_hops_follow_the_domain_description():
    host, bridge, overlay, routing, underlay = (get_path(n) for n in PATH_NAMES)
    assert bridge.same_node and "wire" not in bridge.hops and bridge.count("veth") == 2
    for p in (host, overlay, routing, underlay):
        assert p.count("wire") == 1 and p.count("nic") == 2 and not p.same_node
    assert overlay.encap == "vxlan" and overlay.count("encap") == overlay.count("decap") == 1
    assert routing.encap == "none" and routing.count("ip_forward") == 2 and "encap" not in routing.hops
    assert underlay.count("veth") == 0 and underlay.count("bridge") == 0 and underlay.count("child") == 2
    assert host.count("veth") == 0
    # every pod path starts and ends in a stack
    for p in PATHS.values():
        assert p.hops[0] == p.hops[-1] == "stack"
        assert set(p.hops) <= set(HOP_KINDS)
        assert sum(p.hop_counts().values()) == len(p.hops)


def test_user_defined_paths_without_editing_the_package(tmp_path):
    geneve = get_path("overlay").replace(name="test-overlay-geneve", encap="geneve",
                                         geneve_option_bytes=48)
    assert geneve.encap_overhead_bytes() == 98
    # an unregistered Path object is accepted wherever a path name is
    assert ov.pod_mtu_bytes(1500, path=geneve) == 1402
    wg = Path("test-wireguard", get_path("overlay").hops, encap="wireguard")
    register_path(wg)
    try:
        assert ov.pod_mtu_bytes(1500, path="test-wireguard") == 1440
        with pytest.raises(ParameterError):
            register_path(wg)
    finally:
        PATHS.pop("test-wireguard")
    f = tmp_path / "paths.json"
    f.write_text(json.dumps([{"name": "test-ebpf", "hops": ["stack", "veth", "nic", "wire", "nic",
                                                            "veth", "stack"]}]))
    try:
        (p,) = load_paths(f)
        assert get_path("test-ebpf") is p and p.count("veth") == 2
    finally:
        PATHS.pop("test-ebpf")
    y = tmp_path / "paths.yaml"
    y.write_text("- name: test-yaml\n  hops: [stack, nic, wire, nic, stack]\n")
    (q,) = load_paths(y, register=False)
    assert q.name == "test-yaml" and "test-yaml" not in PATHS


@pytest.mark.parametrize("kwargs,name", [
    (dict(name="x", hops=("stack", "teleport")), "hops"),
    (dict(name="x", hops=()), "hops"),
    (dict(name="", hops=("stack",)), "name"),
    (dict(name="x", hops=("stack", "nic", "wire", "nic", "stack"), encap="vxlan"), "hops"),
    (dict(name="x", hops=("stack",), encap="nope"), "encap"),
    (dict(name="x", hops=("stack", "wire", "stack"), same_node=True), "same_node"),
])
def test_invalid_paths_raise(kwargs, name):
    with pytest.raises(ParameterError) as ei:
        Path(**kwargs)
    assert ei.value.name == name


def test_round_trip_dict():
    from cnimodel.paths import path_from_dict

    p = get_path("overlay")
    assert path_from_dict(p.to_dict()) == p
    with pytest.raises(ParameterError):
        path_from_dict({"name": "x", "hops": ["stack"], "colour": "red"})
