"""DNS test helpers: a real DNS client (dig, from Debian's dnsutils) and a fake upstream.

``dig`` runs Debian's dig as a subprocess (asynchronously, so that a server in the
test's own event loop can answer it) and parses what it prints. The tests need
it: without it they fail, loudly, with how to install it.

``running_dns`` runs ``kubeling dns`` as a process against a test server.

``FakeUpstream`` is a resolver on 127.0.0.1 (UDP and TCP, one port) for the
forwarding tests, since the tests may not reach the real ones:

- ``<anything>.example.test`` A: 192.0.2.1;
- ``big.example.test`` A: 100 addresses (truncated over UDP, whole over TCP);
- ``nx.example.test``: NXDOMAIN;
- ``slow.example.test``: never answered.
"""

from __future__ import annotations

import asyncio
import re
import shutil
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import cast

from kubeling.dns.handler import udp_limit
from kubeling.dns.message import (
    CLASS_IN,
    NXDOMAIN,
    A,
    AddressA,
    Flags,
    Message,
    Record,
)
from kubeling.dns.wire import decode_message, encode_message
from tests.support.process_stats import rss_bytes

__all__ = [
    "DigAnswer",
    "FakeUpstream",
    "RunningDns",
    "dig",
    "dig_binary",
    "running_dns",
    "threaded_upstream",
]


def dig_binary() -> str:
    path = shutil.which("dig")
    if path is None:
        raise RuntimeError(
            "dig is not installed: the DNS tests need it (Debian's dnsutils; "
            "run scripts/install-system-deps)"
        )
    return path


@dataclass
class DigAnswer:
    """What dig printed: status, header flags, the sections as ``name TTL TYPE data``
    (class and final dots left out), and the transport of the answer it kept."""

    status: str = ""
    flags: set[str] = field(default_factory=set)
    answer: list[str] = field(default_factory=list)
    authority: list[str] = field(default_factory=list)
    additional: list[str] = field(default_factory=list)
    transport: str = ""
    output: str = ""

    @property
    def data(self) -> list[str]:
        """The data of the answer section's records."""
        return [line.split(" ", 3)[3] for line in self.answer]


def _record(line: str) -> str:
    name, ttl, _class, rtype, *data = line.split()
    return " ".join([name.rstrip("."), ttl, rtype, *(d.rstrip(".") for d in data)])


def parse_dig(output: str) -> DigAnswer:
    result = DigAnswer(output=output)
    section: list[str] | None = None
    sections = {
        ";; ANSWER SECTION:": result.answer,
        ";; AUTHORITY SECTION:": result.authority,
        ";; ADDITIONAL SECTION:": result.additional,
    }
    for line in output.splitlines():
        if line.startswith(";; ->>HEADER<<-"):
            # A later header (dig retrying over TCP) replaces what an earlier one said.
            result.status = line.split("status: ", 1)[1].split(",", 1)[0]
            result.answer.clear()
            result.authority.clear()
            result.additional.clear()
        elif line.startswith(";; flags:"):
            result.flags = set(line.split(":", 1)[1].split(";", 1)[0].split())
        elif line.startswith(";; SERVER:"):
            result.transport = line.rsplit("(", 1)[1].rstrip(")")
        elif line in sections:
            section = sections[line]
        elif not line.strip():
            section = None
        elif section is not None and not line.startswith(";"):
            section.append(_record(line))
    return result


async def dig(server: str, port: int, name: str, qtype: str = "A", *options: str) -> DigAnswer:
    """Ask ``server``:``port`` with dig; options as dig takes them (``+tcp``, ``+ignore``,
    ``-x address`` with an empty name and type...)."""
    question = [word for word in (name, qtype) if word]
    process = await asyncio.create_subprocess_exec(
        dig_binary(),
        "-p",
        str(port),
        f"@{server}",
        *question,
        "+time=3",
        "+tries=1",
        *options,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await process.communicate()
    output = out.decode() + err.decode()
    if process.returncode != 0:
        raise AssertionError(f"dig {name} {qtype} {' '.join(options)} failed:\n{output}")
    return parse_dig(output)


class FakeUpstream:
    """An upstream resolver for tests; ``queries`` records (transport, id, name) received."""

    def __init__(self) -> None:
        self.queries: list[tuple[str, int, str]] = []
        self.port = 0
        self._udp: asyncio.DatagramTransport | None = None
        self._tcp: asyncio.Server | None = None

    async def start(self, host: str = "127.0.0.1") -> FakeUpstream:
        loop = asyncio.get_running_loop()
        outer = self

        class Udp(asyncio.DatagramProtocol):
            def connection_made(self, transport: asyncio.BaseTransport) -> None:
                self.transport = cast(asyncio.DatagramTransport, transport)

            def datagram_received(self, data: bytes, addr: tuple[str, int]) -> None:
                answer = outer._answer(data, tcp=False)
                if answer is not None:
                    self.transport.sendto(answer, addr)

        for _ in range(20):
            transport, _ = await loop.create_datagram_endpoint(Udp, local_addr=(host, 0))
            port = transport.get_extra_info("sockname")[1]
            try:
                self._tcp = await asyncio.start_server(self._serve_tcp, host, port)
            except OSError:
                transport.close()
                continue
            self._udp = cast(asyncio.DatagramTransport, transport)
            self.port = port
            return self
        raise RuntimeError("no port free for the fake upstream")

    async def stop(self) -> None:
        if self._udp is not None:
            self._udp.close()
        if self._tcp is not None:
            self._tcp.close()

    async def _serve_tcp(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            size = int.from_bytes(await reader.readexactly(2), "big")
            answer = self._answer(await reader.readexactly(size), tcp=True)
            if answer is not None:
                writer.write(len(answer).to_bytes(2, "big") + answer)
                await writer.drain()
        except (asyncio.IncompleteReadError, ConnectionError):
            pass
        finally:
            writer.close()

    def _answer(self, data: bytes, *, tcp: bool) -> bytes | None:
        query = decode_message(data)
        question = query.questions[0]
        name = question.name.lower()
        self.queries.append(("tcp" if tcp else "udp", query.id, name))
        response = Message(
            id=query.id,
            flags=Flags.QR | Flags.RA | (query.flags & Flags.RD),
            questions=query.questions,
            edns=query.edns,
        )
        if name == "slow.example.test":
            return None
        if name == "nx.example.test" or not name.endswith(".example.test"):
            response.rcode = NXDOMAIN
        elif question.qtype == A:
            count = 100 if name == "big.example.test" else 1
            response.answers = [
                Record(question.name, A, CLASS_IN, 60, AddressA(f"192.0.2.{i + 1}"))
                for i in range(count)
            ]
        return encode_message(response, limit=65535 if tcp else udp_limit(query.edns))


@contextmanager
def threaded_upstream() -> Iterator[FakeUpstream]:
    """A :class:`FakeUpstream` on its own event loop in a thread, for module-wide use."""
    loop = asyncio.new_event_loop()
    upstream = FakeUpstream()
    started = threading.Event()

    def run() -> None:
        asyncio.set_event_loop(loop)
        loop.run_until_complete(upstream.start())
        started.set()
        loop.run_forever()

    thread = threading.Thread(target=run, name="fake-upstream", daemon=True)
    thread.start()
    if not started.wait(10):
        raise RuntimeError("the fake upstream did not start")
    try:
        yield upstream
    finally:
        asyncio.run_coroutine_threadsafe(upstream.stop(), loop).result(10)
        loop.call_soon_threadsafe(loop.stop)
        thread.join(10)
        loop.close()


_DNS_READY = re.compile(r"ready on (\S+) port (\d+)")


@dataclass
class RunningDns:
    """A ``kubeling dns`` process and where it answers."""

    process: subprocess.Popen[str]
    host: str
    port: int
    log: Path

    def rss_bytes(self) -> int:
        """The process's resident memory, from /proc."""
        rss = rss_bytes(self.process.pid)
        assert rss, f"no resident memory for pid {self.process.pid}: has it ended?"
        return rss


@contextmanager
def running_dns(
    kubeconfig: Path,
    root: Path,
    *extra: str,
    port: str = "0",
    wrapper: tuple[str, ...] = (),
) -> Iterator[RunningDns]:
    """Start ``kubeling dns --port <port>`` against ``kubeconfig`` (behind ``wrapper``, a
    command prefix such as setpriv) and stop it (SIGTERM, by its PID) afterwards; it must
    then exit cleanly."""
    log_path = root / "dns.log"
    args = [*wrapper, sys.executable, "-m", "kubeling", "dns", "--kubeconfig", str(kubeconfig)]
    with log_path.open("w") as log:
        process = subprocess.Popen(
            [*args, "--port", port, *extra],
            stdout=subprocess.PIPE,
            stderr=log,
            stdin=subprocess.DEVNULL,
            text=True,
        )
    try:
        assert process.stdout is not None
        deadline = time.monotonic() + 30
        match = None
        while match is None and time.monotonic() < deadline:
            line = process.stdout.readline()
            if not line and process.poll() is not None:
                raise RuntimeError(f"kubeling dns exited:\n{log_path.read_text()[-3000:]}")
            match = _DNS_READY.search(line)
        if match is None:
            raise RuntimeError(f"kubeling dns not ready:\n{log_path.read_text()[-3000:]}")
        yield RunningDns(process, match.group(1), int(match.group(2)), log_path)
    finally:
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
                raise AssertionError(
                    f"kubeling dns ignored SIGTERM:\n{log_path.read_text()[-3000:]}"
                ) from None
        if process.stdout is not None:
            process.stdout.close()
        if process.returncode != 0:
            raise AssertionError(
                f"kubeling dns exited {process.returncode}:\n{log_path.read_text()[-3000:]}"
            )
