"""A small fault-injecting HTTP proxy on loopback, for tests of the upload engine.

It sits between a client and the real server, one request per connection (it answers with
`Connection: close`), and for each request can:

- `error`: answer 500/502/503 itself (JSON body, sometimes with Retry-After),
- `reset`: drop the connection with a TCP reset,
- `stall`: say nothing until the client gives up (its read timeout),

either *before* forwarding (the server never sees the request) or *after* (the server did
the work, the client does not learn it: the case that must not create duplicates).
`down = True` resets every connection at once, like a server that is away.

Scripted `Rule`s (`with proxy.rules(Rule(...)):`) come before the random plan and pick
requests by path, method, header or a piece of the body (the multipart form fields come
first, so a file's title picks its upload). A rule can answer in the server's place (an
HTML error page, an empty body, a redirect), rewrite the server's JSON answer (fields
missing), or answer 413 and reset the connection while the body is still arriving.
"""

from __future__ import annotations

import json
import random
import select
import socket
import socketserver
import struct
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

FAULT_KINDS = ("error", "reset", "stall")
_MAX_STALL_SECONDS = 60.0
_MATCH_BYTES = 64 * 1024  # how much of a body a rule's `body_contains` looks at


@dataclass
class FaultPlan:
    rate: float = 0.0  # share of requests that get a fault
    kinds: tuple[str, ...] = FAULT_KINDS
    after_share: float = 0.5  # of faulty requests, the share faulted after the server ran
    paths: tuple[str, ...] = ()  # only requests whose path starts with one of these ('' = all)
    limit: int | None = None  # at most this many faults, then none
    retry_after: float | None = None  # errors are 503 with this Retry-After


@dataclass
class Rule:
    """A scripted misbehaviour for the requests it matches (all given conditions must hold).

    do="answer": send `status`, `content_type`, `headers` and `body` in the server's place;
        with `after=True` the request is forwarded first (the server did the work).
    do="edit": forward, then replace the server's JSON answer with `edit(data)`.
    do="stall": say nothing until the client gives up (forwarded first with `after=True`:
        the server did the work, its answer comes later than the client waits).
    do="reset_mid_body": read `mid_body_bytes` of the body, send the answer (a 413; none
        with status=0), then reset the connection while the client is still sending.
    `limit` caps the hits (None: every matching request); `hits` counts them.
    """

    path: str = ""
    method: str | None = None
    header: str | None = None  # a header the request must carry, e.g. "authorization"
    body_contains: bytes | None = None
    do: str = "answer"
    status: int = 502
    reason: str = ""
    content_type: str = "application/json"
    headers: tuple[tuple[str, str], ...] = ()
    body: bytes = b""
    after: bool = False
    edit: Callable[[Any], Any] | None = None
    mid_body_bytes: int = 64 * 1024
    limit: int | None = None
    hits: int = field(default=0, compare=False)

    def matches(self, method: str, path: str, headers: dict[str, str], prefix: bytes) -> bool:
        return (
            path.startswith(self.path)
            and (self.method is None or method == self.method)
            and (self.header is None or self.header.lower() in headers)
            and (self.body_contains is None or self.body_contains in prefix)
            and (self.limit is None or self.hits < self.limit)
        )

    def response(self) -> bytes:
        reason = self.reason or _REASONS.get(self.status, "Whatever")
        lines = [f"HTTP/1.1 {self.status} {reason}"]
        if self.content_type:
            lines.append(f"Content-Type: {self.content_type}")
        lines += [f"{name}: {value}" for name, value in self.headers]
        lines += [f"Content-Length: {len(self.body)}", "Connection: close"]
        return "\r\n".join(lines).encode("latin-1") + b"\r\n\r\n" + self.body


_REASONS = {
    200: "OK",
    201: "Created",
    302: "Found",
    307: "Temporary Redirect",
    401: "Unauthorized",
    413: "Request Entity Too Large",
    500: "Internal Server Error",
    502: "Bad Gateway",
    503: "Service Unavailable",
}


class _Handler(socketserver.BaseRequestHandler):
    server: _ProxyServer

    def handle(self) -> None:
        proxy = self.server.proxy
        client = self.request
        if proxy.down:
            proxy._count("down")
            _reset(client)
            return
        try:
            head, body, length = _read_head(client)
        except (OSError, ValueError):
            return
        if not head:
            return
        request_line, *header_lines = head.decode("latin-1").split("\r\n")
        method, path = (request_line.split(" ") + ["", ""])[:2]
        headers = {}
        for line in header_lines:
            name, _, value = line.partition(":")
            headers[name.strip().lower()] = value.strip()
        try:
            body = _read_body(client, body, min(length, _MATCH_BYTES))
        except (OSError, ValueError):
            return
        with proxy._lock:
            proxy.seen.append((method, path, headers.get("authorization") is not None))
        rule = proxy._rule_for(method, path, headers, body)
        if rule is not None:
            proxy._play(rule, client, head, body, length)
            return
        try:
            body = _read_body(client, body, length)
        except (OSError, ValueError):
            return
        fault, after = proxy._choose(path)
        proxy._count("requests")
        with proxy._lock:
            proxy.log.append((time.monotonic(), path, fault))
        if fault and not after:
            proxy._apply(fault, client, before=True)
            return
        try:
            response = _forward(proxy.upstream, head, body, proxy.upstream_timeout)
        except OSError:
            proxy._count("upstream_failed")
            _reset(client)
            return
        if fault:
            proxy._apply(fault, client, before=False)
            return
        try:
            client.sendall(response)
        except OSError:
            pass


class _ProxyServer(socketserver.ThreadingTCPServer):
    daemon_threads = True
    allow_reuse_address = True
    proxy: FaultProxy


class FaultProxy:
    """Start with `with FaultProxy(server_url) as proxy:`; point the client at proxy.url."""

    def __init__(self, upstream_url: str, *, seed: int = 0, upstream_timeout: float = 60.0):
        parts = urlsplit(upstream_url)
        self.upstream = (parts.hostname or "127.0.0.1", parts.port or 80)
        self.upstream_timeout = upstream_timeout
        self.plan = FaultPlan()
        self.down = False
        self.counts: Counter[str] = Counter()
        self.log: list[tuple[float, str, str | None]] = []  # (monotonic time, path, fault)
        self.seen: list[tuple[str, str, bool]] = []  # (method, path, had Authorization)
        self._rules: list[Rule] = []
        self._faults_in_plan = 0
        self._lock = threading.Lock()
        self._random = random.Random(seed)
        self._stop = threading.Event()
        self._server = _ProxyServer(("127.0.0.1", 0), _Handler)
        self._server.proxy = self
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        host, port = self._server.server_address[:2]
        self.url = f"http://{host}:{port}/"

    def start(self) -> FaultProxy:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=10)

    def __enter__(self) -> FaultProxy:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @contextmanager
    def faults(self, plan: FaultPlan) -> Iterator[FaultProxy]:
        previous, self.plan = self.plan, plan
        self._faults_in_plan = 0
        try:
            yield self
        finally:
            self.plan = previous

    @contextmanager
    def rules(self, *rules: Rule) -> Iterator[FaultProxy]:
        """Play these rules (first match wins) inside the block."""
        with self._lock:
            previous, self._rules = self._rules, list(rules)
        try:
            yield self
        finally:
            with self._lock:
                self._rules = previous

    def count(self, method: str, path: str) -> int:
        """Requests seen with this method whose path starts with `path`."""
        with self._lock:
            return sum(1 for m, p, _ in self.seen if m == method and p.startswith(path))

    # -- internals -------------------------------------------------------------------------

    def _rule_for(
        self, method: str, path: str, headers: dict[str, str], prefix: bytes
    ) -> Rule | None:
        with self._lock:
            for rule in self._rules:
                if rule.matches(method, path, headers, prefix):
                    rule.hits += 1
                    self.counts[f"rule_{rule.do}"] += 1
                    self.log.append((time.monotonic(), path, f"rule_{rule.do}"))
                    return rule
        return None

    def _play(
        self, rule: Rule, client: socket.socket, head: bytes, body: bytes, length: int
    ) -> None:
        try:
            if rule.do == "reset_mid_body":
                body = _read_body(client, body, min(length, rule.mid_body_bytes))
                if len(body) >= length:  # the file was too small to cut: tests check this
                    self._count("reset_too_late")
                if rule.status:  # else: no answer at all, only the reset
                    client.sendall(rule.response())
                _reset(client)
                return
            body = _read_body(client, body, length)
            if rule.do == "edit":
                assert rule.edit is not None
                answer = _edit_json(
                    _forward(self.upstream, head, body, self.upstream_timeout), rule.edit
                )
            else:
                if rule.after:
                    _forward(self.upstream, head, body, self.upstream_timeout)
                if rule.do == "stall":
                    self._stall(client)
                    return
                answer = rule.response()
            client.sendall(answer)
        except OSError:
            _reset(client)

    def _count(self, key: str) -> None:
        with self._lock:
            self.counts[key] += 1

    def _choose(self, path: str) -> tuple[str | None, bool]:
        plan = self.plan
        if plan.paths and not path.startswith(plan.paths):
            return None, False
        with self._lock:
            if plan.limit is not None and self._faults_in_plan >= plan.limit:
                return None, False
            if self._random.random() >= plan.rate:
                return None, False
            self._faults_in_plan += 1
            return self._random.choice(plan.kinds), self._random.random() < plan.after_share

    def _apply(self, fault: str, client: socket.socket, *, before: bool) -> None:
        self._count(f"{fault}_{'before' if before else 'after'}")
        if fault == "error":
            with self._lock:
                status = self._random.choice((500, 502, 503))
            extra = b"Retry-After: 0\r\n" if status == 503 else b""
            if self.plan.retry_after is not None:
                status, extra = 503, b"Retry-After: %d\r\n" % round(self.plan.retry_after)
            body = b'{"detail": "injected fault"}'
            reason = {500: b"Internal Server Error", 502: b"Bad Gateway", 503: b"Unavailable"}
            client.sendall(
                b"HTTP/1.1 %d %s\r\nContent-Type: application/json\r\nContent-Length: %d\r\n"
                b"%sConnection: close\r\n\r\n%s" % (status, reason[status], len(body), extra, body)
            )
        elif fault == "reset":
            _reset(client)
        else:
            self._stall(client)

    def _stall(self, client: socket.socket) -> None:
        """Hold the line until the client hangs up (its read timeout) or the proxy stops."""
        waited = 0.0
        while not self._stop.is_set() and waited < _MAX_STALL_SECONDS:
            readable, _, _ = select.select([client], [], [], 0.1)
            waited += 0.1
            if readable:
                try:
                    if not client.recv(65536):
                        break
                except OSError:
                    break


def _reset(sock: socket.socket) -> None:
    # SO_LINGER with a zero timeout turns close() into a TCP RST.
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    except OSError:
        pass
    sock.close()


def _read_head(sock: socket.socket) -> tuple[bytes, bytes, int]:
    """The request head, what came of the body with it, and the body's Content-Length."""
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = sock.recv(65536)
        if not chunk:
            return b"", b"", 0
        data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    length = 0
    for line in head.split(b"\r\n")[1:]:
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            length = int(value.strip())
    return head, body, length


def _read_body(sock: socket.socket, body: bytes, length: int) -> bytes:
    """Read until `body` holds `length` bytes."""
    while len(body) < length:
        chunk = sock.recv(min(1 << 20, length - len(body)))
        if not chunk:
            raise ValueError("client closed mid-body")
        body += chunk
    return body


def _edit_json(response: bytes, edit: Callable[[Any], Any]) -> bytes:
    """Rewrite a forwarded answer's JSON body (Content-Length answers only)."""
    head, _, body = response.partition(b"\r\n\r\n")
    new_body = json.dumps(edit(json.loads(body))).encode()
    lines = [
        line for line in head.split(b"\r\n") if not line.lower().startswith(b"content-length:")
    ]
    assert not any(line.lower().startswith(b"transfer-encoding:") for line in lines)
    lines.append(b"Content-Length: %d" % len(new_body))
    return b"\r\n".join(lines) + b"\r\n\r\n" + new_body


def _forward(upstream: tuple[str, int], head: bytes, body: bytes, timeout: float) -> bytes:
    lines = [
        line
        for line in head.split(b"\r\n")
        if not line.lower().startswith((b"connection:", b"keep-alive:"))
    ]
    request = b"\r\n".join(lines) + b"\r\nConnection: close\r\n\r\n" + body
    with socket.create_connection(upstream, timeout=timeout) as conn:
        conn.sendall(request)
        chunks = []
        while chunk := conn.recv(65536):
            chunks.append(chunk)
    response = b"".join(chunks)
    resp_head, sep, resp_body = response.partition(b"\r\n\r\n")
    resp_lines = [
        line
        for line in resp_head.split(b"\r\n")
        if not line.lower().startswith((b"connection:", b"keep-alive:"))
    ]
    return b"\r\n".join(resp_lines) + b"\r\nConnection: close" + sep + resp_body
