from __future__ import annotations

import socket

import pytest

from tests.support.engine_harness import Background


@pytest.fixture
def unused_port() -> int:
    """A loopback port nothing listens on (bound, then released)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.hookimpl(wrapper=True)
def pytest_runtest_call(item: pytest.Item):
    """Stop an engine a failed test left running, before its fixtures (queue, server) end."""
    try:
        return (yield)
    finally:
        Background.stop_stragglers()
