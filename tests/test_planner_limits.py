"""Cluster-scale limits (issue 15): worked examples from first principles, errors, table."""
from __future__ import annotations

import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cnimodel import capacity
from cnimodel.errors import ParameterError
from cnimodel.planning.limit_table import INSTANCES, ROUTE_TABLES, load_limits
from cnimodel.planning.limits import cluster_limits, max_services, parse_cidr


def test_slash16_cut_into_slash24s():
    # 2**(24-16) blocks; 2**8 - network - broadcast addresses in each
    t = cluster_limits(cluster_cidr="10.0.0.0/16", node_mask=24, max_pods=500)
    assert t.loc["overlay", "max_nodes"] == 2 ** 8 == 256
    assert t.loc["overlay", "addresses_per_node"] == 2 ** 8 - 2 == 254
    assert t.loc["overlay", "max_pods_per_node_limit"] == 254
    assert t.loc["overlay", "pods_limit"].startswith("node CIDR /24")
    # kubelet's 110 binds below the 254 addresses by default
    t = cluster_limits(cluster_cidr="10.0.0.0/16", node_mask=24)
    assert t.loc["overlay", "max_pods_per_node_limit"] == 110
    assert t.loc["overlay", "pods_limit"] == "max-pods 110"


def test_three_enis_of_ten_addresses():
    assert capacity.eni_max_pods(3, 10) == 3 * (10 - 1) + 2 == 29
    t = cluster_limits(instance="m5.large")     # 3 ENIs x 10 IPv4 in the EC2 table
    assert t.loc["underlay", "max_pods_per_node_limit"] == 29
    assert "m5.large" in t.loc["underlay", "pods_limit"]
    assert t.loc["overlay", "max_pods_per_node_limit"] == 110  # ENIs only cap the underlay


def test_route_table_caps_routing_only():
    t = cluster_limits(cluster_cidr="10.0.0.0/14", node_mask=24, route_limit=200,
                       target_nodes=250, target_pods_per_node=30)
    assert t.loc["routing", "max_nodes"] == 200
    assert t.loc["routing", "nodes_limit"] == "route table 200 entries"
    assert not t.loc["routing", "fits"]
    for p in ("bridge", "overlay"):
        assert t.loc[p, "max_nodes"] == 2 ** (24 - 14)
        assert "route" not in t.loc[p, "nodes_limit"]
        assert t.loc[p, "fits"]
    assert t.loc["host", "fits"] and t.loc["underlay", "fits"]
    # below the limit the routing path fits, and the cluster CIDR binds when it is smaller
    t = cluster_limits(cluster_cidr="10.0.0.0/16", route_limit=1000, target_nodes=200)
    assert t.loc["routing", "fits"] and t.loc["routing", "max_nodes"] == 256
    assert t.loc["routing", "nodes_limit"] == "cluster CIDR /16 in /24s"


@settings(max_examples=60, deadline=None)
@given(cluster=st.integers(32, 64), max_pods=st.integers(1, 10 ** 6))
def test_ipv6_slash64_never_binds(cluster, max_pods):
    t = cluster_limits(cluster_cidr=f"fd00::/{cluster}", node_mask=64, max_pods=max_pods,
                       ip_version=6)
    for p in ("bridge", "overlay", "routing"):
        assert t.loc[p, "pods_limit"] == f"max-pods {max_pods}"
        assert t.loc[p, "addresses_per_node"] == 2.0 ** 64 - 1


def test_performance_binds_when_smaller():
    t = cluster_limits(performance_pods_per_node=[40, 40, 12, 200, 40], target_pods_per_node=20)
    assert t.loc["overlay", "pods_limit"] == "p99 target" and not t.loc["overlay", "fits"]
    assert t.loc["routing", "pods_limit"] == "max-pods 110"


def test_underlay_nodes_from_the_subnet():
    t = cluster_limits(cluster_cidr="10.0.0.0/24", target_pods_per_node=9)
    assert t.loc["underlay", "max_nodes"] == (256 - 2) // 10


def test_service_cidr():
    assert max_services("10.96.0.0/12") == 2 ** 20 - 2


@pytest.mark.parametrize("kw,name", [
    (dict(cluster_cidr="10.0.0.1/16"), "cluster_cidr"),
    (dict(cluster_cidr="10.0.0.0/33"), "cluster_cidr"),
    (dict(cluster_cidr="not a cidr"), "cluster_cidr"),
    (dict(cluster_cidr="fd00::/48"), "cluster_cidr"),          # IPv6 CIDR for an IPv4 plan
    (dict(cluster_cidr="10.0.0.0/16", node_mask=8), "node_mask"),
    (dict(cluster_cidr="10.0.0.0/16", node_mask=32), "node_mask"),
    (dict(max_pods=-3), "max_pods"),
    (dict(route_limit=-1), "route_limit"),
    (dict(instance="no.such"), "instance"),
    (dict(target_nodes=-1), "target_nodes"),
])
def test_invalid_inputs_name_the_input(kw, name):
    with pytest.raises(ParameterError) as e:
        cluster_limits(**kw)
    assert e.value.name == name


def test_every_shipped_limit_has_a_source():
    for row in list(ROUTE_TABLES.values()) + list(INSTANCES.values()):
        assert row.source.startswith("https://") and row.as_of


def test_user_file_overrides_and_adds(tmp_path):
    f = tmp_path / "limits.json"
    f.write_text(json.dumps({
        "route_tables": [{"key": "aws-vpc-default", "label": "raised", "entries": 300,
                          "source": "https://example.org/our-quota", "as_of": "2026-01-01"}],
        "instances": [{"key": "x9.big", "provider": "lab", "enis": 2, "ipv4_per_eni": 5,
                       "source": "https://example.org/x9", "as_of": "2026-01-01"}]}))
    t = load_limits(f)
    assert t.route_tables["aws-vpc-default"].entries == 300
    assert t.route_tables["azure-udr"].entries == 400
    lim = cluster_limits(instance="x9.big", limits=t)
    assert lim.loc["underlay", "max_pods_per_node_limit"] == 2 * 4 + 2
    f.write_text('{"instances": [{"key": "x"}]}')
    with pytest.raises(ParameterError, match="limits_file"):
        load_limits(f)
    with pytest.raises(ParameterError, match="limits_file"):
        load_limits(tmp_path / "missing.json")


def test_cli_plan_json_and_errors(capsys):
    from cnimodel.cli import main

    assert main(["plan", "--nodes", "250", "--pods-per-node", "30", "--route-limit", "200",
                 "--cluster-cidr", "10.0.0.0/14", "--json"]) == 0
    doc = json.loads(capsys.readouterr().out)
    rows = {r["path"]: r for r in doc["paths"]}
    assert rows["routing"]["max_nodes"] == 200 and rows["routing"]["fits"] is False
    assert rows["overlay"]["max_nodes"] == 1024 and rows["overlay"]["fits"] is True
    assert doc["max_services"] == 2 ** 20 - 2
    assert main(["plan", "--nodes", "3", "--pods-per-node", "3", "--node-mask", "8"]) == 2
    assert "node_mask" in capsys.readouterr().err
    assert main(["plan", "--nodes", "3", "--pods-per-node", "3", "--instance", "m5.large"]) == 0
    out = capsys.readouterr().out
    assert "ENIs m5.large" in out and "underlay" in out
