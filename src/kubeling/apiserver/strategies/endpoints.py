"""Endpoints: port protocol defaults to TCP; addresses and ports validated."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from kubeling.api.field import FieldError, FieldPath, invalid, required
from kubeling.apiserver.rest.strategy import Strategy
from kubeling.apiserver.strategies._checks import (
    PROTOCOLS,
    as_list,
    as_map,
    is_valid_ip,
    is_valid_port_num,
    required_one_of,
)

__all__ = ["EndpointsStrategy"]

Obj = dict[str, Any]


class EndpointsStrategy(Strategy):
    """``endpoints``: subsets' addresses are IPs, ports are valid and named when several."""

    def default(self, obj: Obj) -> None:
        for subset in as_list(obj.get("subsets")):
            for port in as_list(as_map(subset).get("ports")):
                if isinstance(port, dict) and not port.get("protocol"):
                    port["protocol"] = "TCP"

    def validate(self, obj: Mapping[str, Any], *, namespaced: bool) -> list[FieldError]:
        errs = self.validate_metadata(obj, namespaced=namespaced)
        for i, subset in enumerate(as_list(obj.get("subsets"))):
            path = FieldPath("subsets").index(i)
            body = as_map(subset)
            for key in ("addresses", "notReadyAddresses"):
                for j, address in enumerate(as_list(body.get(key))):
                    ip = str(as_map(address).get("ip") or "")
                    here = path.child(key).index(j).child("ip")
                    errs.extend(invalid(here, ip, m) for m in is_valid_ip(ip))
            ports = as_list(body.get("ports"))
            for j, port in enumerate(ports):
                here = path.child("ports").index(j)
                port_body = as_map(port)
                if len(ports) > 1 and not port_body.get("name"):
                    errs.append(required(here.child("name"), ""))
                number = port_body.get("port")
                errs.extend(
                    invalid(here.child("port"), number, m) for m in is_valid_port_num(number)
                )
                protocol = port_body.get("protocol")
                errs.extend(required_one_of(protocol, here.child("protocol"), PROTOCOLS))
        return errs
