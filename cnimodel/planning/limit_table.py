"""Published cluster-scale limits: one declarative table, every row with its source and date.

Rows are data, not code: :data:`ROUTE_TABLES` (route-table entry limits; every node of the
``routing`` path needs one entry), :data:`INSTANCES` (network interfaces and IPv4 addresses
per interface of a few common instance types; they cap pods per node on the ``underlay``
path) and :data:`DEFAULTS` (Kubernetes and CNI defaults the planner starts from).  Each row
names the vendor page it comes from (``source``) and the day it was read there (``as_of``);
docs/sources.md lists the same pages.  :func:`load_limits` merges a user's JSON file over
the shipped rows (same keys replace, new keys add).

Examples
--------
>>> t = load_limits()
>>> t.route_tables["aws-vpc-default"].entries, t.instances["m5.large"].enis
(50, 3)
>>> t.route_tables["huawei-vpc-default"].source.startswith("https://")
True
"""
from __future__ import annotations

import json
from dataclasses import dataclass, fields, replace
from pathlib import Path

from ..errors import ParameterError

__all__ = ["RouteTableLimit", "InstanceLimit", "Default", "LimitTable", "ROUTE_TABLES",
           "INSTANCES", "DEFAULTS", "load_limits"]

_AS_OF = "2026-12-04"  # the day these vendor pages were read (stored copies) for this table
_AWS_VPC = "https://docs.aws.amazon.com/vpc/latest/userguide/amazon-vpc-limits.html"
_AWS_ENI = "https://docs.aws.amazon.com/AWSEC2/latest/UserGuide/using-eni.html#AvailableIpPerENI"
_AZURE = ("https://learn.microsoft.com/en-us/azure/azure-resource-manager/management/"
          "azure-subscription-service-limits#azure-networking-limits")
_HUAWEI = "https://support.huaweicloud.com/eu/vpc_faq/vpc_faq_0063.html"
_K8S_KCM = "https://kubernetes.io/docs/reference/command-line-tools-reference/kube-controller-manager/"
_K8S_KUBELET = "https://kubernetes.io/docs/reference/config-api/kubelet-config.v1beta1/"
_K8S_KUBEADM = "https://kubernetes.io/docs/reference/config-api/kubeadm-config.v1beta4/"
_FLANNEL = "https://github.com/flannel-io/flannel/blob/master/Documentation/configuration.md"
_CALICO = "https://docs.tigera.io/calico/latest/reference/resources/ippool"


@dataclass(frozen=True)
class RouteTableLimit:
    """Entries one cloud route table holds (one per node on the routing path)."""

    key: str
    label: str
    entries: int
    source: str
    as_of: str
    note: str = ""


@dataclass(frozen=True)
class InstanceLimit:
    """Network interfaces and IPv4 addresses per interface of one instance type."""

    key: str
    provider: str
    enis: int
    ipv4_per_eni: int
    source: str
    as_of: str


@dataclass(frozen=True)
class Default:
    """A Kubernetes or CNI default the planner starts from."""

    key: str
    value: object
    label: str
    source: str
    as_of: str


def _rt(key, label, entries, source, note=""):
    return RouteTableLimit(key, label, entries, source, _AS_OF, note)


def _inst(key, enis, ips):
    return InstanceLimit(key, "aws", enis, ips, _AWS_ENI, _AS_OF)


#: Route-table entry limits (key -> row).
ROUTE_TABLES = {r.key: r for r in (
    _rt("aws-vpc-default", "AWS VPC route table (default quota)", 50, _AWS_VPC,
        "routes per route table (non-propagated), adjustable"),
    _rt("aws-vpc-max", "AWS VPC route table (quota raised to its maximum)", 1000, _AWS_VPC,
        "the maximum the quota can be increased to"),
    _rt("azure-udr", "Azure user-defined routes per route table", 400, _AZURE),
    _rt("huawei-vpc-default", "Huawei Cloud VPC route table (default)", 200, _HUAWEI,
        "the seed provider; CCE's VPC network model needs one route per node"),
)}

#: Instance network limits (key -> row), from the EC2 User Guide's table of IP addresses per
#: network interface per instance type (the figures amazon-eks-ami's eni-max-pods.txt is built from).
INSTANCES = {r.key: r for r in (
    _inst("t3.medium", 3, 6), _inst("t3.large", 3, 12), _inst("m5.large", 3, 10),
    _inst("m5.xlarge", 4, 15), _inst("m5.2xlarge", 4, 15), _inst("m5.4xlarge", 8, 30),
    _inst("m5.24xlarge", 15, 50), _inst("c5.large", 3, 10), _inst("c5.xlarge", 4, 15),
    _inst("r5.large", 3, 10),
)}

#: Defaults (key -> row).
DEFAULTS = {r.key: r for r in (
    Default("node_mask_ipv4", 24, "kube-controller-manager --node-cidr-mask-size (IPv4)",
            _K8S_KCM, _AS_OF),
    Default("node_mask_ipv6", 64, "kube-controller-manager --node-cidr-mask-size (IPv6)",
            _K8S_KCM, _AS_OF),
    Default("max_pods", 110, "kubelet maxPods", _K8S_KUBELET, _AS_OF),
    Default("service_cidr_ipv4", "10.96.0.0/12", "kubeadm networking.serviceSubnet",
            _K8S_KUBEADM, _AS_OF),
    Default("cluster_cidr_ipv4", "10.244.0.0/16", "Flannel's Network in kube-flannel.yml",
            _FLANNEL, _AS_OF),
    Default("flannel_subnet_len_ipv4", 24, "Flannel SubnetLen", _FLANNEL, _AS_OF),
    Default("flannel_subnet_len_ipv6", 64, "Flannel IPv6SubnetLen", _FLANNEL, _AS_OF),
    Default("calico_block_ipv4", 26, "Calico IPPool blockSize (IPv4); blocks are allocated "
            "on demand, more than one per node", _CALICO, _AS_OF),
    Default("calico_block_ipv6", 122, "Calico IPPool blockSize (IPv6)", _CALICO, _AS_OF),
)}


@dataclass(frozen=True)
class LimitTable:
    """The shipped rows with a user's file merged over them."""

    route_tables: dict
    instances: dict
    defaults: dict

    def instance(self, key):
        """The row of an instance type; ParameterError naming ``instance`` when unknown."""
        try:
            return self.instances[key]
        except KeyError:
            raise ParameterError("instance", key, "one of " + ", ".join(sorted(self.instances))
                                 + " (or add it in a limits file)") from None


_SHIPPED = LimitTable(ROUTE_TABLES, INSTANCES, DEFAULTS)


def _rows(cls, items, name):
    need = {f.name for f in fields(cls) if f.name not in ("note",)}
    out = {}
    for i, item in enumerate(items):
        if not isinstance(item, dict) or not need <= set(item):
            raise ParameterError(f"limits_file {name}[{i}]", item,
                                 "an object with " + ", ".join(sorted(need)))
        known = {f.name for f in fields(cls)}
        extra = set(item) - known
        if extra:
            raise ParameterError(f"limits_file {name}[{i}]", sorted(extra), "only "
                                 + ", ".join(sorted(known)))
        for k in ("entries", "enis", "ipv4_per_eni"):
            if k in item and not (isinstance(item[k], int) and item[k] >= 1):
                raise ParameterError(f"limits_file {name}[{i}].{k}", item[k], "an integer >= 1")
        if not str(item["source"]).strip():
            raise ParameterError(f"limits_file {name}[{i}].source", item["source"],
                                 "where the figure is published (a URL)")
        out[item["key"]] = cls(**item)
    return out


def load_limits(path=None) -> LimitTable:
    """The shipped table, with the rows of a user's JSON file merged over it.

    The file holds ``{"route_tables": [...], "instances": [...]}``; each row has the fields
    of :class:`RouteTableLimit` / :class:`InstanceLimit`, ``source`` and ``as_of`` included.

    Raises
    ------
    ParameterError
        Naming ``limits_file`` (and the row) when the file is missing, not JSON, or a row
        lacks a field.
    """
    if not path:
        return _SHIPPED
    p = Path(path).expanduser()
    try:
        doc = json.loads(p.read_text())
    except OSError as exc:
        raise ParameterError("limits_file", str(path), "a readable JSON file",
                             exc.strerror or "") from None
    except ValueError as exc:
        raise ParameterError("limits_file", str(path), "valid JSON", str(exc)) from None
    if not isinstance(doc, dict) or set(doc) - {"route_tables", "instances"}:
        raise ParameterError("limits_file", str(path),
                             'an object with "route_tables" and/or "instances" lists')
    return replace(_SHIPPED,
                   route_tables={**ROUTE_TABLES, **_rows(RouteTableLimit, doc.get("route_tables", []),
                                                         "route_tables")},
                   instances={**INSTANCES, **_rows(InstanceLimit, doc.get("instances", []),
                                                   "instances")})
