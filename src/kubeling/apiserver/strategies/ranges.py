"""Allocation bitmaps kept in the store: Service ClusterIPs and NodePorts.

Design (the choice the brief asked for): like Kubernetes' ``RangeAllocation``
objects, each range is one JSON record in the store, at
``/registry/ranges/serviceips`` and ``/registry/ranges/servicenodeports``::

    {"kind": "RangeAllocation", "apiVersion": "v1", "metadata": {"name": ...},
     "range": "10.96.0.0/16", "data": "<base64 of the bitmap, big-endian>"}

Bit ``i`` of the bitmap is the ``i``-th allocatable item (an IP address after
the network address, a port from the low end of the port range). Every
allocation and release is a ``Store.guaranteed_update`` of that record: the
update function sees the current bitmap, sets or clears one bit, and the write
is conditioned on the revision it read. Two API servers (or two concurrent
requests in one) racing for the same item therefore cannot both succeed: the
loser's write conflicts, it re-reads and picks again (or, for a requested
item, fails with "already allocated"). Because the bitmap lives in the store,
it survives restarts and is shared by every API server on the same etcd.

The price is one write per allocation and a hot key under heavy Service churn,
the same trade-off Kubernetes made before its IPAddress objects. A crash
between allocation and the Service write leaks an item until released; a
repair pass (upstream's ``repair`` controllers) can rebuild the bitmap from the
stored Services with ``replace``.

If the configured range changes between restarts, allocations that still fall
inside the new range are carried over and the others are dropped.
"""

from __future__ import annotations

import base64
import ipaddress
import json
import random
from collections.abc import Callable, Iterable
from typing import Final

from kubeling.storage import KeyValue, Store

__all__ = [
    "NODE_PORTS_KEY",
    "SERVICE_IPS_KEY",
    "AlreadyAllocatedError",
    "IPRange",
    "NotInRangeError",
    "PortRange",
    "RangeFullError",
]

SERVICE_IPS_KEY: Final = "/registry/ranges/serviceips"
NODE_PORTS_KEY: Final = "/registry/ranges/servicenodeports"

_MAX_IPV6_ITEMS: Final = 1 << 16

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address


class AlreadyAllocatedError(Exception):
    """The requested item is taken."""


class NotInRangeError(Exception):
    """The requested item is outside the range; the message is upstream's."""


class RangeFullError(Exception):
    """Nothing is left to allocate."""

    def __init__(self) -> None:
        super().__init__("range is full")


def _encode_bits(bits: int) -> str:
    raw = bits.to_bytes((bits.bit_length() + 7) // 8, "big") if bits else b""
    return base64.b64encode(raw).decode()


def _decode_bits(text: str) -> int:
    return int.from_bytes(base64.b64decode(text), "big") if text else 0


class _BitmapRange:
    """One persisted bitmap of ``size`` items; subclasses map items to offsets."""

    def __init__(
        self,
        store: Store,
        key: str,
        *,
        name: str,
        range_text: str,
        size: int,
        rng: random.Random | None = None,
    ) -> None:
        self.store = store
        self.key = key
        self.name = name
        self.range_text = range_text
        self.size = size
        self._rng = rng or random.SystemRandom()

    # Subclasses: how an offset of a (possibly different, older) range reads.
    def _offset_in_old_range(self, old_range: str, offset: int) -> int | None:
        raise NotImplementedError

    def _record(self, bits: int) -> bytes:
        body = {
            "kind": "RangeAllocation",
            "apiVersion": "v1",
            "metadata": {"name": self.name},
            "range": self.range_text,
            "data": _encode_bits(bits),
        }
        return json.dumps(body, separators=(",", ":"), sort_keys=True).encode()

    def _bits_of(self, current: KeyValue | None) -> int:
        if current is None:
            return 0
        body = json.loads(current.value)
        bits = _decode_bits(str(body.get("data") or ""))
        old_range = str(body.get("range") or "")
        if old_range == self.range_text:
            return bits
        carried = 0
        offset = 0
        while bits >> offset:
            if bits >> offset & 1:
                new_offset = self._offset_in_old_range(old_range, offset)
                if new_offset is not None and 0 <= new_offset < self.size:
                    carried |= 1 << new_offset
            offset += 1
        return carried

    async def _change(self, change: Callable[[int], int]) -> None:
        async def update(current: KeyValue | None) -> bytes | None:
            bits = self._bits_of(current)
            new_bits = change(bits)
            if new_bits == bits and current is not None:
                return None
            return self._record(new_bits)

        await self.store.guaranteed_update(self.key, update, ignore_not_found=True)

    async def allocated_offsets(self) -> set[int]:
        """The offsets taken now."""
        bits = self._bits_of(await self.store.get(self.key))
        return {i for i in range(bits.bit_length()) if bits >> i & 1}

    async def _allocate_offset(self, offset: int) -> None:
        def change(bits: int) -> int:
            if bits >> offset & 1:
                raise AlreadyAllocatedError
            return bits | 1 << offset

        await self._change(change)

    async def _allocate_next_offset(self, *, skip: Iterable[int] = ()) -> int:
        skipped = frozenset(skip)
        start = self._rng.randrange(self.size) if self.size else 0
        chosen: list[int] = []

        def change(bits: int) -> int:
            chosen.clear()
            for step in range(self.size):
                offset = (start + step) % self.size
                if offset not in skipped and not bits >> offset & 1:
                    chosen.append(offset)
                    return bits | 1 << offset
            raise RangeFullError

        await self._change(change)
        return chosen[0]

    async def _release_offset(self, offset: int) -> None:
        await self._change(lambda bits: bits & ~(1 << offset))

    async def _replace_offsets(self, offsets: Iterable[int]) -> None:
        wanted = 0
        for offset in offsets:
            wanted |= 1 << offset
        await self._change(lambda _bits: wanted)


class IPRange(_BitmapRange):
    """The Service ClusterIP range: every address but the network (and IPv4 broadcast).

    The first usable address (``.1``) is never handed out dynamically: it is
    the ``kubernetes`` Service's, which asks for it by name.
    """

    def __init__(self, store: Store, cidr: str, *, rng: random.Random | None = None) -> None:
        self.network = ipaddress.ip_network(cidr, strict=False)
        total = self.network.num_addresses
        if self.network.version == 4:
            size = max(total - 2, 0) if total > 2 else 0
        else:
            size = min(total - 1, _MAX_IPV6_ITEMS)
        super().__init__(
            store,
            SERVICE_IPS_KEY,
            name="serviceips",
            range_text=str(self.network),
            size=size,
            rng=rng,
        )

    @property
    def family(self) -> str:
        return "IPv4" if self.network.version == 4 else "IPv6"

    def _offset_of(self, ip: IPAddress) -> int | None:
        if ip.version != self.network.version or ip not in self.network:
            return None
        offset = int(ip) - int(self.network.network_address) - 1
        return offset if 0 <= offset < self.size else None

    def _offset_in_old_range(self, old_range: str, offset: int) -> int | None:
        try:
            old = ipaddress.ip_network(old_range, strict=False)
        except ValueError:
            return None
        if old.version != self.network.version:
            return None
        ip = ipaddress.ip_address(int(old.network_address) + 1 + offset)
        return self._offset_of(ip)

    def _parse(self, ip: str) -> IPAddress:
        address = ipaddress.ip_address(ip)
        if self._offset_of(address) is None:
            raise NotInRangeError(
                f"the provided IP ({ip}) is not in the valid range. "
                f"The range of valid IPs is {self.network}"
            )
        return address

    async def allocate(self, ip: str) -> None:
        """Reserve ``ip``: raises NotInRangeError or AlreadyAllocatedError."""
        offset = self._offset_of(self._parse(ip))
        assert offset is not None
        try:
            await self._allocate_offset(offset)
        except AlreadyAllocatedError:
            raise AlreadyAllocatedError("provided IP is already allocated") from None

    async def allocate_next(self) -> str:
        """Reserve any free address but the first; raises RangeFullError."""
        offset = await self._allocate_next_offset(skip=(0,))
        return str(ipaddress.ip_address(int(self.network.network_address) + 1 + offset))

    async def release(self, ip: str) -> None:
        """Free ``ip``; addresses outside the range are ignored."""
        try:
            offset = self._offset_of(ipaddress.ip_address(ip))
        except ValueError:
            return
        if offset is not None:
            await self._release_offset(offset)

    async def allocated(self) -> set[str]:
        base = int(self.network.network_address) + 1
        return {str(ipaddress.ip_address(base + o)) for o in await self.allocated_offsets()}

    async def replace(self, ips: Iterable[str]) -> None:
        """Make exactly ``ips`` (those in range) the allocated set: a repair pass."""
        offsets = []
        for ip in ips:
            try:
                offset = self._offset_of(ipaddress.ip_address(ip))
            except ValueError:
                continue
            if offset is not None:
                offsets.append(offset)
        await self._replace_offsets(offsets)


class PortRange(_BitmapRange):
    """The NodePort range, ``low``-``high`` inclusive."""

    def __init__(
        self, store: Store, low: int, high: int, *, rng: random.Random | None = None
    ) -> None:
        self.low, self.high = low, high
        super().__init__(
            store,
            NODE_PORTS_KEY,
            name="servicenodeports",
            range_text=f"{low}-{high}",
            size=max(high - low + 1, 0),
            rng=rng,
        )

    def _offset_in_old_range(self, old_range: str, offset: int) -> int | None:
        low_text, _, _ = old_range.partition("-")
        try:
            port = int(low_text) + offset
        except ValueError:
            return None
        return port - self.low if self.low <= port <= self.high else None

    async def allocate(self, port: int) -> None:
        """Reserve ``port``: raises NotInRangeError or AlreadyAllocatedError."""
        if not self.low <= port <= self.high:
            raise NotInRangeError(
                "provided port is not in the valid range. "
                f"The range of valid ports is {self.low}-{self.high}"
            )
        try:
            await self._allocate_offset(port - self.low)
        except AlreadyAllocatedError:
            raise AlreadyAllocatedError("provided port is already allocated") from None

    async def allocate_next(self) -> int:
        """Reserve any free port; raises RangeFullError."""
        return self.low + await self._allocate_next_offset()

    async def release(self, port: int) -> None:
        if self.low <= port <= self.high:
            await self._release_offset(port - self.low)

    async def allocated(self) -> set[int]:
        return {self.low + offset for offset in await self.allocated_offsets()}

    async def replace(self, ports: Iterable[int]) -> None:
        """Make exactly ``ports`` (those in range) the allocated set: a repair pass."""
        await self._replace_offsets(p - self.low for p in ports if self.low <= p <= self.high)
