"""Tokens during long batches: 2-second access tokens, rotation with blacklist, a revoked
session, a ~/.netrc entry, and logs that never hold a token."""

from __future__ import annotations

import itertools
import json
import logging
import re
import threading
import time
from pathlib import Path

import pytest
import requests

from tests.support.engine_harness import (
    DEMO_PASSWORD,
    DEMO_USER,
    FAST,
    Background,
    EventLog,
    assert_each_once,
    make_batch,
    signed_in,
)
from tests.support.jwt_clock import wait_until_expired
from tests.support.keychain import MemoryKeychain
from tests.support.live_server import start_server
from thetadesk.core.api import Image360Client
from thetadesk.core.credentials import CredentialStore
from thetadesk.core.engine import QueueStatus, UploadEngine
from thetadesk.core.logging_setup import init_logging, stop_logging
from thetadesk.core.queue_store import ItemState, QueueStore

ROTATING = {"IMAGE360_ROTATE_REFRESH_TOKENS": "1"}


@pytest.fixture(scope="module")
def rotating_server(tmp_path_factory):
    """2-second access tokens; refresh tokens rotate and the old ones are blacklisted."""
    with start_server(
        tmp_path_factory.mktemp("engine-tokens"), env=ROTATING, access_lifetime=2
    ) as server:
        yield server


@pytest.fixture
def store(tmp_path: Path):
    with QueueStore(tmp_path / "queue.sqlite3") as store:
        yield store


class Wire:
    """Every request the client sends and every token the server hands out."""

    def __init__(self, client: Image360Client) -> None:
        self.requests: list[tuple[str, str, str | None]] = []  # method, path, Authorization
        self.refused: set[str] = set()  # access tokens the server answered 401 to
        self.tokens: set[str] = set()
        self.refreshed_at: list[float] = []  # time.monotonic() of each refresh's answer
        self._lock = threading.Lock()
        client.session.hooks["response"].append(self._hook)

    def _hook(self, response: requests.Response, *args: object, **kwargs: object) -> None:
        request = response.request
        with self._lock:
            auth = request.headers.get("Authorization")
            self.requests.append((request.method or "", request.path_url, auth))
            if auth:
                self.tokens.add(auth.removeprefix("Bearer "))
                if response.status_code == 401:
                    self.refused.add(auth.removeprefix("Bearer "))
            if request.path_url == "/api/token/refresh/":
                self.refreshed_at.append(time.monotonic())
            if "/api/token/" in request.path_url:
                if response.ok:
                    data = response.json()
                    self.tokens.update(v for k, v in data.items() if k in ("access", "refresh"))
                body = request.body
                if isinstance(body, bytes):
                    self.tokens.update(v for k, v in json.loads(body).items() if k in ("refresh",))

    def count(self, path: str) -> int:
        with self._lock:
            return sum(1 for _, p, _ in self.requests if p == path)


def pause_until_expired(engine: UploadEngine, events: EventLog, client: Image360Client) -> None:
    """Hold the queue (nothing in flight) until the current access token has expired."""
    engine.pause_all()
    events.wait_status(QueueStatus.PAUSED)
    events.wait_for(lambda _: not any(i.state is ItemState.UPLOADING for i in engine.items()))
    assert client.tokens.access is not None
    wait_until_expired(client.tokens.access)


def test_short_tokens_with_rotation_refresh_once_per_expiry(rotating_server, store, tmp_path):
    keychain = MemoryKeychain()
    credentials = CredentialStore(keychain)
    assert not credentials.memory_only
    client = Image360Client(
        rotating_server.url, on_refresh_token=credentials.saver(rotating_server.url, DEMO_USER)
    )
    client.sign_in(DEMO_USER, DEMO_PASSWORD)
    wire = Wire(client)
    files = make_batch(tmp_path / "roll", 24)
    events = EventLog()
    engine = UploadEngine(store, client, DEMO_USER, settings=FAST, on_event=events)
    engine.enqueue(files)
    runner = Background(engine)
    events.wait_items(ItemState.UPLOADED, 3)
    expiries = 3
    for cycle in range(expiries):
        # Three workers then meet the expired token together: one refresh serves all.
        pause_until_expired(engine, events, client)
        engine.resume_all()
        # Pause again only once this expiry has cost its refresh. (Waiting for a number of
        # uploads instead raced: on a quick run the batch was done before the last expiry.)
        events.wait_for(lambda _, n=cycle + 1: client.tokens.refresh_count >= n)
    result = runner.join()

    assert result.status is QueueStatus.IDLE
    assert_each_once(rotating_server.url, files)
    assert QueueStatus.SIGN_IN_NEEDED not in events.statuses()
    # One refresh per expiry, however many workers met it: at least one per pause (a slow
    # machine may see an extra expiry mid-cycle, which costs one more), and each a good
    # part of a token's life after the one before. Workers renewing the same token twice
    # would be milliseconds apart; the next is due 1.5 s after a renewal (see tokens.py).
    assert client.tokens.refresh_count >= expiries
    assert wire.count("/api/token/refresh/") == client.tokens.refresh_count
    gaps = [later - earlier for earlier, later in itertools.pairwise(wire.refreshed_at)]
    assert all(gap >= 1.0 for gap in gaps), gaps
    # Renewed before they expire, tokens are seldom refused; a refused one cost one refresh.
    assert len(wire.refused) <= client.tokens.refresh_count
    # The rotated refresh token reached the keychain: the stored one is the one in use.
    assert credentials.load(rotating_server.url, DEMO_USER) == client.tokens.refresh_token
    assert len(keychain.entries) == 1


def test_a_revoked_session_pauses_as_sign_in_needed_and_loses_nothing(
    rotating_server, store, tmp_path
):
    client = signed_in(rotating_server.url)
    files = make_batch(tmp_path / "roll", 9)
    events = EventLog()
    engine = UploadEngine(store, client, DEMO_USER, settings=FAST, on_event=events)
    engine.enqueue(files)
    runner = Background(engine, wait_for_sign_in=True)
    events.wait_items(ItemState.UPLOADED, 2)
    pause_until_expired(engine, events, client)
    # Someone else uses the refresh token: the server rotates it and blacklists ours.
    stolen = requests.post(
        rotating_server.url + "/api/token/refresh/",
        json={"refresh": client.tokens.refresh_token},
        timeout=10,
    )
    assert stolen.status_code == 200
    engine.resume_all()
    events.wait_status(QueueStatus.SIGN_IN_NEEDED)
    refreshes = sum(1 for e in events.statuses() if e is QueueStatus.SIGN_IN_NEEDED)
    assert refreshes == 1  # no loop
    in_flight = (ItemState.UPLOADING, ItemState.CHECKING)
    events.wait_for(lambda _: not any(i.state in in_flight for i in engine.items()))
    left = [i for i in engine.items() if i.state is not ItemState.UPLOADED]
    assert left and all(i.state in (ItemState.READY, ItemState.QUEUED) for i in left)

    client.sign_in(DEMO_USER, DEMO_PASSWORD)
    engine.signed_in_again()
    assert runner.join().status is QueueStatus.IDLE
    assert {i.state for i in engine.items()} == {ItemState.UPLOADED}
    assert_each_once(rotating_server.url, files)


def test_the_cli_mode_returns_sign_in_needed_with_the_queue_intact(
    rotating_server, store, tmp_path
):
    client = Image360Client(rotating_server.url)  # never signed in
    files = make_batch(tmp_path / "roll", 3)
    engine = UploadEngine(store, client, DEMO_USER, settings=FAST)
    engine.enqueue(files)
    result = engine.run()
    assert result.status is QueueStatus.SIGN_IN_NEEDED and "Sign-in needed" in result.reason
    assert all(i.state in (ItemState.READY, ItemState.QUEUED) for i in engine.items())
    client.sign_in(DEMO_USER, DEMO_PASSWORD)
    assert engine.run().status is QueueStatus.IDLE
    assert_each_once(rotating_server.url, files)


def test_a_netrc_entry_does_not_replace_the_bearer_token(
    rotating_server, store, tmp_path, monkeypatch
):
    netrc = tmp_path / "netrc"
    netrc.write_text("machine 127.0.0.1 login netrc-user password netrc-secret\n")
    netrc.chmod(0o600)
    monkeypatch.setenv("NETRC", str(netrc))
    monkeypatch.setenv("HOME", str(tmp_path))
    (tmp_path / ".netrc").write_bytes(netrc.read_bytes())
    (tmp_path / ".netrc").chmod(0o600)
    assert requests.utils.get_netrc_auth(rotating_server.url) == ("netrc-user", "netrc-secret")

    client = Image360Client(rotating_server.url)
    wire = Wire(client)
    client.sign_in(DEMO_USER, DEMO_PASSWORD)
    files = make_batch(tmp_path / "roll", 3)
    engine = UploadEngine(store, client, DEMO_USER, settings=FAST)
    engine.enqueue(files)
    assert engine.run().status is QueueStatus.IDLE
    assert_each_once(rotating_server.url, files)
    uploads = [auth for method, path, auth in wire.requests if path == "/api/upload-photo/"]
    assert len(uploads) == 3 and all(a and a.startswith("Bearer ey") for a in uploads)
    sign_in = [auth for _, path, auth in wire.requests if path == "/api/token/"]
    assert sign_in == [None]  # the netrc password was not sent either


@pytest.fixture
def log_dir(tmp_path: Path):
    folder = tmp_path / "logs"
    yield folder
    stop_logging()


def test_no_token_reaches_the_log_file(rotating_server, store, tmp_path, log_dir):
    log_file = init_logging(log_dir, level=logging.DEBUG)  # urllib3's wire log included
    client = signed_in(rotating_server.url)
    wire = Wire(client)
    wire.tokens.update(t for t in (client.tokens.access, client.tokens.refresh_token) if t)
    files = make_batch(tmp_path / "roll", 6)
    events = EventLog()
    engine = UploadEngine(store, client, DEMO_USER, settings=FAST, on_event=events)
    engine.enqueue(files)
    runner = Background(engine)
    events.wait_items(ItemState.UPLOADED, 2)
    pause_until_expired(engine, events, client)  # so a refresh (and a rotation) happens
    engine.resume_all()
    assert runner.join().status is QueueStatus.IDLE
    # A careless line like this one must be scrubbed too.
    logging.getLogger("careless").warning(
        "headers: {'Authorization': 'Bearer %s'} body: refresh=%s",
        client.tokens.access,
        client.tokens.refresh_token,
    )
    stop_logging()

    text = log_file.read_text(encoding="utf-8")
    assert client.tokens.refresh_count >= 1 and len(wire.tokens) >= 4
    assert "uploaded" in text and "careless" in text and "[redacted]" in text
    leaked = [token for token in wire.tokens if token in text]
    assert leaked == []
    assert not re.search(r"eyJ[\w-]+\.[\w-]+\.[\w-]+", text)
