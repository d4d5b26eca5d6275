"""Issue 8, "Servers": misbehaving servers and proxies, each ending with a clear reason.

Every case runs a small batch against the real server through the fault proxy
(tests/support/fault_proxy.py), whose scripted rules make one misbehaviour the real server
cannot be made to show, mostly on one file's requests only (its title picks its upload).
Each case is played twice, on fresh files: on the engine in this process, for the item
reasons the window's tiles show (from the engine's events), and through
`python -m thetadesk upload`, for what the CLI prints. Every time the other files go up
exactly once, and nothing on disk changes (sha256, size and mtime; no file appears).

Timeouts and backoff are short (the client's and the engine's settings, the CLI's
--timeout), so the whole module runs in well under a minute.
"""

from __future__ import annotations

import hashlib
import json
import os
import struct
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from tests.support.engine_harness import (
    DEMO_PASSWORD,
    DEMO_USER,
    FAST,
    EventLog,
    make_batch,
    signed_in,
)
from tests.support.fault_proxy import FaultProxy, Rule
from tests.support.live_server import LiveServer, start_server
from tests.support.other_host import OtherHost
from tests.support.theta_fixtures import make_theta_jpeg
from thetadesk.core.api import Image360Client
from thetadesk.core.engine import (
    ALREADY_THERE,
    EngineSettings,
    ItemChanged,
    QueueStatus,
    RunResult,
    StatusChanged,
    UploadEngine,
)
from thetadesk.core.errors import ApiError, BadAnswer, SignInRequired
from thetadesk.core.queue_store import ItemState, QueueItem, QueueStore

ROOT = Path(__file__).resolve().parents[2]
UPLOAD = "/api/upload-photo/"
LOOKUP = "/api/user-photo/?sha256="
SIGN_IN = "/api/token/"
REFRESH = "/api/token/refresh/"
TIMEOUT = 2.0  # the engine's client: how long it waits for an answer (the stall case: 1 s)
CLI_TIMEOUT = 10.0  # the CLI's --timeout: its sign-in makes the server hash a password

NGINX_502 = (
    b"<html>\r\n<head><title>502 Bad Gateway</title></head>\r\n<body>\r\n"
    b"<center><h1>502 Bad Gateway</h1></center>\r\n<hr><center>nginx</center>\r\n"
    b"</body>\r\n</html>\r\n"
)
HTML_REASON = "the server answered 502 Bad Gateway with a web page instead of data"
TOKEN_NOT_VALID = json.dumps(
    {"detail": "Given token not valid for any token type", "code": "token_not_valid"}
).encode()
TOO_LARGE = json.dumps(
    {
        "detail": "The upload is larger than this server accepts (2000000 bytes).",
        "max_bytes": 2_000_000,
        "retryable": False,
    }
).encode()


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory):
    with start_server(tmp_path_factory.mktemp("misbehaving")) as server:
        yield server


@pytest.fixture(scope="module")
def tokens(server: LiveServer) -> tuple[str, str]:
    """One sign-in for the module's engine runs (the server takes a second to check a
    password; access tokens live five minutes, longer than the module runs)."""
    client = signed_in(server.url)
    assert client.tokens.access and client.tokens.refresh_token
    return client.tokens.access, client.tokens.refresh_token


@pytest.fixture
def proxy(server: LiveServer):
    with FaultProxy(server.url) as proxy:
        yield proxy


# -- files, and what must not happen to them ----------------------------------------------------


def disk_state(folder: Path) -> dict[str, tuple[str, int, int]]:
    """name → (sha256, size, mtime_ns) of everything in `folder`."""
    state = {}
    for entry in os.scandir(folder):
        info = entry.stat(follow_symlinks=False)
        digest = hashlib.sha256(Path(entry.path).read_bytes()).hexdigest()
        state[entry.name] = (digest, info.st_size, info.st_mtime_ns)
    return state


def big_jpeg(path: Path, size: int = 3_000_000) -> Path:
    """A valid THETA-like JPEG made large with comment segments: too big for the kernel's
    socket buffers, so a connection cut after 64 KiB really cuts the body."""
    jpeg = make_theta_jpeg(path, seed=int.from_bytes(os.urandom(3))).read_bytes()
    chunk = os.urandom(65000)
    comment = b"\xff\xfe" + struct.pack(">H", len(chunk) + 2) + chunk
    path.write_bytes(jpeg[:2] + comment * (size // len(comment) + 1) + jpeg[2:])
    past = time.time() - 3600
    os.utime(path, (past, past))
    return path


class Batch:
    """Three fresh THETA-like files (names start with `prefix`), and their state on disk."""

    def __init__(self, root: Path, prefix: str, *, big_second: bool = False) -> None:
        self.folder = root / prefix
        self.files = make_batch(self.folder, 3, prefix=prefix)
        if big_second:
            self.files[1].unlink()
            self.files[1] = big_jpeg(self.folder / f"{prefix}big.JPG")
        self.before = disk_state(self.folder)

    def title(self, n: int) -> bytes:
        """What picks file n's upload out of the others (its title field, its file name)."""
        return f'name="title"\r\n\r\n{self.files[n].stem}\r\n'.encode()

    def others(self, n: int) -> list[Path]:
        return [f for i, f in enumerate(self.files) if i != n]

    def assert_untouched(self) -> None:
        assert disk_state(self.folder) == self.before


# -- the engine in this process ----------------------------------------------------------------


@dataclass
class EngineRun:
    result: RunResult
    items: dict[str, QueueItem]  # by file name, as the run left them
    events: EventLog

    def item(self, path: Path) -> QueueItem:
        return self.items[path.name]

    def reasons(self, path: Path) -> list[str]:
        """Every reason the file's tile showed, in order."""
        shown: list[str] = []
        for event in self.events.events:
            if isinstance(event, ItemChanged) and event.item.path.name == path.name:
                if event.item.reason and (not shown or shown[-1] != event.item.reason):
                    shown.append(event.item.reason)
        return shown

    def waiting_reasons(self) -> list[str]:
        return [
            e.reason
            for e in self.events.events
            if isinstance(e, StatusChanged) and e.status is QueueStatus.WAITING_FOR_SERVER
        ]

    def assert_uploaded_cleanly(self, files: list[Path]) -> None:
        """The files the fault did not touch: uploaded, with an id, nothing to explain."""
        for path in files:
            item = self.item(path)
            assert (item.state, item.reason) == (ItemState.UPLOADED, ""), item
            assert isinstance(item.photo_id, int)


def client_for(
    proxy: FaultProxy, tokens: tuple[str, str], read_timeout: float = TIMEOUT
) -> Image360Client:
    client = Image360Client(proxy.url, connect_timeout=2.0, read_timeout=read_timeout)
    client.tokens.set(*tokens)
    return client


def run_engine(
    proxy: FaultProxy,
    tokens: tuple[str, str],
    batch: Batch,
    *,
    read_timeout: float = TIMEOUT,
    settings: EngineSettings = FAST,
) -> EngineRun:
    client = client_for(proxy, tokens, read_timeout)
    events = EventLog()
    with QueueStore(batch.folder.parent / f"{batch.folder.name}.sqlite3") as store:
        engine = UploadEngine(store, client, DEMO_USER, settings=settings, on_event=events)
        engine.enqueue(batch.files)
        result = engine.run()
        items = {item.path.name: item for item in engine.items()}
    return EngineRun(result, items, events)


# -- the CLI -----------------------------------------------------------------------------------


def run_cli(
    state: Path,
    server_url: str,
    *args: str | Path,
    timeout: float = CLI_TIMEOUT,
    command: str = "upload",
) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("THETADESK_")}
    env["THETADESK_PASSWORD"] = DEMO_PASSWORD
    env["THETADESK_DATA_DIR"] = str(state)
    completed = subprocess.run(
        [sys.executable, "-m", "thetadesk", command, "--server", server_url]
        + ["--username", DEMO_USER, "--timeout", str(timeout), *map(str, args)],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
        cwd=ROOT,
    )
    assert "Traceback" not in completed.stderr, completed.stderr
    return completed


def line_for(output: str, path: Path) -> str:
    (line,) = [line for line in output.splitlines() if str(path) in line]
    return line


def assert_each_once(server: LiveServer, tokens: tuple[str, str], files: list[Path]) -> None:
    """These files' contents are on the server exactly once (asked directly, not through the
    proxy, with the module's tokens: engine_harness' helper would sign in each time)."""
    client = Image360Client(server.url)
    client.tokens.set(*tokens)
    held = Counter(photo.get("sha256") for photo in client.list_photos())
    counts = {path.name: held[hashlib.sha256(path.read_bytes()).hexdigest()] for path in files}
    assert counts == {path.name: 1 for path in files}


def upload_posts(proxy: FaultProxy) -> int:
    return proxy.count("POST", UPLOAD)


# -- an HTML error page instead of JSON ----------------------------------------------------------


def html_502(batch: Batch, n: int, **kwargs: Any) -> Rule:
    return Rule(
        path=UPLOAD,
        body_contains=batch.title(n),
        status=502,
        content_type="text/html",
        body=NGINX_502,
        **kwargs,
    )


def test_an_html_502_from_a_proxy_waits_then_goes_on_without_a_second_copy(
    proxy, server, tokens, tmp_path
):
    """The proxy in front answers 502 with its own page after the server stored the photo."""
    batch = Batch(tmp_path, "html")
    with proxy.rules(html_502(batch, 1, after=True, limit=1)) as played:
        run = run_engine(proxy, tokens, batch)
    assert run.result.status is QueueStatus.IDLE
    odd = run.item(batch.files[1])
    assert (odd.state, odd.reason) == (ItemState.UPLOADED, ALREADY_THERE)
    assert f"will retry: {HTML_REASON}" in run.reasons(batch.files[1])
    assert HTML_REASON in run.waiting_reasons()
    run.assert_uploaded_cleanly(batch.others(1))
    assert upload_posts(played) == 3  # asked the server, did not send it again
    assert_each_once(server, tokens, batch.files)
    batch.assert_untouched()

    cli_batch = Batch(tmp_path, "htmlcli")
    with proxy.rules(html_502(cli_batch, 1, after=True, limit=1)):
        cli = run_cli(tmp_path / "state", proxy.url, *cli_batch.files)
    assert cli.returncode == 0, cli.stderr
    assert f"waiting      {HTML_REASON}; trying again in" in cli.stdout
    assert line_for(cli.stdout, cli_batch.files[1]).endswith(f", {ALREADY_THERE})")
    assert "3 of 3 files uploaded" in cli.stdout
    assert_each_once(server, tokens, cli_batch.files)
    cli_batch.assert_untouched()


def test_an_html_502_on_every_try_fails_that_file_only(proxy, server, tokens, tmp_path):
    batch = Batch(tmp_path, "htmlagain")
    with proxy.rules(html_502(batch, 1)) as played:
        run = run_engine(proxy, tokens, batch)
    assert run.result.status is QueueStatus.IDLE
    odd = run.item(batch.files[1])
    assert odd.state is ItemState.FAILED and odd.retryable
    assert odd.reason == f"the server kept failing on this file: {HTML_REASON}"
    run.assert_uploaded_cleanly(batch.others(1))
    assert played.counts["rule_answer"] == FAST.max_server_errors
    assert_each_once(server, tokens, batch.others(1))
    batch.assert_untouched()
    # No CLI run here: its default backoff makes five tries cost seconds, and how it prints
    # a failed file's reason is the same line the redirect and 413 cases check.


# -- an empty body -------------------------------------------------------------------------------


def test_empty_answers_to_an_upload_and_from_a_proxy(proxy, server, tokens, tmp_path):
    """File 1's upload is stored and answered 201 with nothing; file 2 meets a 502 with an
    empty body once (the server never saw it)."""

    def rules(batch: Batch) -> tuple[Rule, Rule]:
        return (
            Rule(path=UPLOAD, body_contains=batch.title(1), status=201, after=True),
            Rule(path=UPLOAD, body_contains=batch.title(2), status=502, limit=1),
        )

    batch = Batch(tmp_path, "empty")
    with proxy.rules(*rules(batch)) as played:
        run = run_engine(proxy, tokens, batch)
    assert run.result.status is QueueStatus.IDLE
    quiet = run.item(batch.files[1])
    assert quiet.state is ItemState.UPLOADED and quiet.photo_id is None
    assert quiet.reason == "the server's answer gave no photo id"
    empty_502 = "the server answered 502 Bad Gateway with an empty body"
    assert f"will retry: {empty_502}" in run.reasons(batch.files[2])
    assert empty_502 in run.waiting_reasons()
    run.assert_uploaded_cleanly(batch.others(1))
    assert upload_posts(played) == 4  # file 2 twice: its first try never reached the server
    assert_each_once(server, tokens, batch.files)
    batch.assert_untouched()

    cli_batch = Batch(tmp_path, "emptycli")
    with proxy.rules(*rules(cli_batch)):
        cli = run_cli(tmp_path / "state", proxy.url, *cli_batch.files)
    assert cli.returncode == 0, cli.stderr
    assert line_for(cli.stdout, cli_batch.files[1]).endswith(
        "  (the server's answer gave no photo id)"
    )
    assert f"waiting      {empty_502}; trying again in" in cli.stdout
    assert "3 of 3 files uploaded" in cli.stdout
    assert_each_once(server, tokens, cli_batch.files)
    cli_batch.assert_untouched()


def test_an_empty_answer_to_every_lookup_fails_that_file_without_sending_it_again(
    proxy, server, tokens, tmp_path
):
    """After an unclear upload the engine must ask before sending again; a server that
    answers that question with nothing must not get a second copy, nor stall the queue."""
    batch = Batch(tmp_path, "nolookup")
    unclear = Rule(path=UPLOAD, body_contains=batch.title(1), status=502, after=True, limit=1)
    silent_lookup = Rule(path=LOOKUP, method="GET", status=200)
    with proxy.rules(unclear, silent_lookup) as played:
        run = run_engine(proxy, tokens, batch)
    assert run.result.status is QueueStatus.IDLE
    odd = run.item(batch.files[1])
    assert odd.state is ItemState.FAILED and odd.retryable and odd.unclear
    assert odd.reason == (
        "the server kept failing on this file: "
        "The server answered the photo lookup with an empty body (200 OK)"
    )
    run.assert_uploaded_cleanly(batch.others(1))
    assert upload_posts(played) == 3  # never sent twice
    assert silent_lookup.hits == FAST.max_server_errors - 1  # the 502 was the first error
    assert_each_once(server, tokens, batch.files)  # file 1 is there once, from its first try
    batch.assert_untouched()


def test_an_empty_sign_in_answer(proxy, tmp_path):
    batch = Batch(tmp_path, "emptysignin")
    with proxy.rules(Rule(path=SIGN_IN, method="POST", status=200)):
        with pytest.raises(BadAnswer, match="the sign-in with an empty body"):
            signed_in(proxy.url)
        cli = run_cli(tmp_path / "state", proxy.url, *batch.files)
    assert cli.returncode == 2
    assert cli.stderr == (
        "thetadesk: The server answered the sign-in with an empty body (200 OK)\n"
    )
    assert upload_posts(proxy) == 0
    batch.assert_untouched()


# -- JSON missing expected fields ----------------------------------------------------------------


def without(*names: str) -> Callable[[Any], Any]:
    """An edit that drops these fields from an object, or from each item of a list."""

    def drop(item: Any) -> Any:
        return {k: v for k, v in item.items() if k not in names}

    return lambda data: [drop(i) for i in data] if isinstance(data, list) else drop(data)


def test_a_sign_in_answer_without_tokens(proxy, tmp_path):
    batch = Batch(tmp_path, "notokens")
    with proxy.rules(Rule(path=SIGN_IN, method="POST", do="edit", edit=without("access"))):
        with pytest.raises(BadAnswer, match="no tokens"):
            signed_in(proxy.url)
        cli = run_cli(tmp_path / "state", proxy.url, *batch.files)
    assert cli.returncode == 2
    assert cli.stderr == (
        "thetadesk: The server's answer to the sign-in has no tokens (access and refresh)\n"
    )
    assert upload_posts(proxy) == 0
    batch.assert_untouched()


def test_an_upload_answer_and_list_items_without_id(proxy, server, tokens, tmp_path):
    """File 1's answer lacks its id; file 2's answer is lost (a 502 after the server stored
    it), and the lookup that finds it lists photos without ids."""

    def rules(batch: Batch) -> tuple[Rule, ...]:
        return (
            Rule(path=UPLOAD, body_contains=batch.title(1), do="edit", edit=without("id")),
            Rule(path=UPLOAD, body_contains=batch.title(2), status=502, after=True, limit=1),
            Rule(path=LOOKUP, method="GET", do="edit", edit=without("id")),
        )

    batch = Batch(tmp_path, "noid")
    with proxy.rules(*rules(batch)) as played:
        run = run_engine(proxy, tokens, batch)
    assert run.result.status is QueueStatus.IDLE
    no_id = run.item(batch.files[1])
    assert (no_id.state, no_id.photo_id) == (ItemState.UPLOADED, None)
    assert no_id.reason == "the server's answer gave no photo id"
    found = run.item(batch.files[2])
    assert (found.state, found.photo_id) == (ItemState.UPLOADED, None)
    assert found.reason == ALREADY_THERE
    run.assert_uploaded_cleanly(batch.files[:1])
    assert upload_posts(played) == 3
    assert_each_once(server, tokens, batch.files)
    batch.assert_untouched()

    cli_batch = Batch(tmp_path, "noidcli")
    state = tmp_path / "state"
    with proxy.rules(*rules(cli_batch)):
        cli = run_cli(state, proxy.url, *cli_batch.files)
    with proxy.rules(Rule(path="/api/user-photo/", method="GET", do="edit", edit=without("id"))):
        listing = run_cli(state, proxy.url, command="list")
    assert cli.returncode == 0, cli.stderr
    assert line_for(cli.stdout, cli_batch.files[1]).endswith(
        "  (the server's answer gave no photo id)"
    )
    assert line_for(cli.stdout, cli_batch.files[2]).endswith(f"  ({ALREADY_THERE})")
    assert_each_once(server, tokens, cli_batch.files)
    cli_batch.assert_untouched()
    # `thetadesk list` shows photos without ids too (the list rule strips every id).
    assert listing.returncode == 0, listing.stderr
    assert all(line.lstrip().startswith("?") for line in listing.stdout.splitlines()[:-1])
    assert cli_batch.files[0].stem in listing.stdout


def test_an_uploaded_file_added_again_where_the_server_knows_no_sha256(
    proxy, server, tokens, tmp_path
):
    """The demo server lists photos without hashes (and ignores the filter): the id it gave
    a file's upload is what says whether the photo is still there when the file comes
    again. Only the one deleted since is sent again."""
    batch = Batch(tmp_path, "nohash")
    first = run_engine(proxy, tokens, batch)
    assert first.result.status is QueueStatus.IDLE
    first.assert_uploaded_cleanly(batch.files)
    client = Image360Client(server.url)
    client.tokens.set(*tokens)
    client.delete_photo(first.item(batch.files[0]).photo_id)

    demo_like = Rule(path=LOOKUP, method="GET", do="edit", edit=without("sha256"))
    sent_before = upload_posts(proxy)
    with proxy.rules(demo_like):
        again = run_engine(proxy, tokens, batch)  # the same queue: the files are added again
    assert again.result.status is QueueStatus.IDLE
    assert upload_posts(proxy) - sent_before == 1
    assert again.item(batch.files[0]).reason == ""  # sent again
    assert {again.item(path).reason for path in batch.files[1:]} == {ALREADY_THERE}
    assert_each_once(server, tokens, batch.files)
    batch.assert_untouched()


# -- 413 with the connection reset mid-body --------------------------------------------------------


def test_413_then_a_reset_while_the_photo_is_still_going_up(proxy, server, tokens, tmp_path):
    """Like nginx's client_max_body_size: a 413 after 64 KiB, then the connection is cut."""

    def rule(batch: Batch) -> Rule:
        return Rule(
            path=UPLOAD, body_contains=batch.title(1), do="reset_mid_body", status=413,
            body=TOO_LARGE,
        )  # fmt: skip

    batch = Batch(tmp_path, "cut", big_second=True)
    with proxy.rules(rule(batch)) as played:
        run = run_engine(proxy, tokens, batch)
    assert run.result.status is QueueStatus.IDLE
    big = run.item(batch.files[1])
    assert big.state is ItemState.FAILED and not big.retryable
    # Where the kernel still hands over the 413 (Linux) it is read at once; where the reset
    # wins, three cut connections say the same in the end.
    assert big.reason.startswith("Too large for this server (")
    run.assert_uploaded_cleanly(batch.others(1))
    assert played.counts["reset_too_late"] == 0
    assert_each_once(server, tokens, batch.others(1))
    batch.assert_untouched()

    cli_batch = Batch(tmp_path, "cutcli", big_second=True)
    with proxy.rules(rule(cli_batch)):
        cli = run_cli(tmp_path / "state", proxy.url, *cli_batch.files)
    assert cli.returncode == 1
    assert line_for(cli.stdout, cli_batch.files[1]).startswith("failed       ")
    assert "  Too large for this server (" in line_for(cli.stdout, cli_batch.files[1])
    assert "2 of 3 files uploaded" in cli.stdout
    assert proxy.counts["reset_too_late"] == 0
    assert_each_once(server, tokens, cli_batch.others(1))
    cli_batch.assert_untouched()


def test_a_reset_mid_body_without_any_answer(proxy, server, tokens, tmp_path):
    """No 413 at all, only cut connections: after three the file counts as too large."""

    def rule(batch: Batch) -> Rule:
        return Rule(path=UPLOAD, body_contains=batch.title(1), do="reset_mid_body", status=0)

    batch = Batch(tmp_path, "reset", big_second=True)
    with proxy.rules(rule(batch)) as played:
        run = run_engine(proxy, tokens, batch)
    assert run.result.status is QueueStatus.IDLE
    big = run.item(batch.files[1])
    assert big.state is ItemState.FAILED and not big.retryable
    too_large = "Too large for this server (it closed the connection while receiving the photo)"
    assert big.reason == too_large
    assert any(
        r.startswith(f"will retry: The connection to {proxy.url} was reset after ")
        and r.endswith("; the photo may be too large for this server, or the network dropped")
        for r in run.reasons(batch.files[1])
    )
    assert played.counts["rule_reset_mid_body"] == FAST.max_mid_body_resets
    assert played.counts["reset_too_late"] == 0
    run.assert_uploaded_cleanly(batch.others(1))
    assert_each_once(server, tokens, batch.others(1))
    batch.assert_untouched()

    cli_batch = Batch(tmp_path, "resetcli", big_second=True)
    with proxy.rules(rule(cli_batch)):
        cli = run_cli(tmp_path / "state", proxy.url, *cli_batch.files)
    assert cli.returncode == 1
    assert line_for(cli.stdout, cli_batch.files[1]) == (
        f"failed       {cli_batch.files[1]}  {too_large}"
    )
    assert f"waiting      The connection to {proxy.url} was reset after " in cli.stdout
    assert "2 of 3 files uploaded" in cli.stdout
    assert_each_once(server, tokens, cli_batch.others(1))
    cli_batch.assert_untouched()


# -- a redirect to another host -----------------------------------------------------------------


def test_a_redirect_to_another_host_is_not_followed(proxy, server, tokens, tmp_path):
    with OtherHost() as other:
        elsewhere = f"{other.url}api/upload-photo/"
        reason = (
            f"The server redirected to {elsewhere}; not following with your sign-in. "
            "Check the server address."
        )

        def rule(batch: Batch) -> Rule:
            # 307 keeps the method and body: followed, it would carry the photo over too.
            location = (("Location", f"{elsewhere}?X-Signature=secret"),)
            return Rule(path=UPLOAD, body_contains=batch.title(1), status=307, headers=location)

        batch = Batch(tmp_path, "moved")
        with proxy.rules(rule(batch)):
            run = run_engine(proxy, tokens, batch)
        assert run.result.status is QueueStatus.IDLE
        moved = run.item(batch.files[1])
        assert (moved.state, moved.retryable, moved.reason) == (ItemState.FAILED, False, reason)
        run.assert_uploaded_cleanly(batch.others(1))
        assert_each_once(server, tokens, batch.others(1))
        batch.assert_untouched()

        cli_batch = Batch(tmp_path, "movedcli")
        with proxy.rules(rule(cli_batch)):
            cli = run_cli(tmp_path / "state", proxy.url, *cli_batch.files)
        assert cli.returncode == 1
        assert line_for(cli.stdout, cli_batch.files[1]) == (
            f"failed       {cli_batch.files[1]}  {reason}"
        )
        assert "2 of 3 files uploaded" in cli.stdout
        assert_each_once(server, tokens, cli_batch.others(1))
        cli_batch.assert_untouched()

        # A moved sign-in: the password must not follow either.
        to_sign_in = Rule(path=SIGN_IN, status=307, headers=(("Location", other.url),))
        with proxy.rules(to_sign_in), pytest.raises(ApiError, match="redirected"):
            signed_in(proxy.url)

        assert other.arrivals == []  # no token, no password, no photo: nothing at all
    # The redirected uploads did carry a token to the server: following would have moved it.
    assert all(auth for method, path, auth in proxy.seen if path == UPLOAD)


# -- a response slower than the timeout --------------------------------------------------------


def test_an_answer_slower_than_the_timeout_is_retried_without_a_duplicate(
    proxy, server, tokens, tmp_path
):
    """The server stores file 1 but its answer comes after the client stopped waiting."""

    def rule(batch: Batch) -> Rule:
        return Rule(path=UPLOAD, body_contains=batch.title(1), do="stall", after=True, limit=1)

    def late(seconds: int) -> str:
        return f"{proxy.url} did not answer in time (waited {seconds} s)"

    batch = Batch(tmp_path, "slow")
    with proxy.rules(rule(batch)) as played:
        run = run_engine(proxy, tokens, batch, read_timeout=1.0)
    assert run.result.status is QueueStatus.IDLE
    slow = run.item(batch.files[1])
    assert (slow.state, slow.reason) == (ItemState.UPLOADED, ALREADY_THERE)
    assert f"will retry: {late(1)}" in run.reasons(batch.files[1])
    assert late(1) in run.waiting_reasons()
    run.assert_uploaded_cleanly(batch.others(1))
    assert upload_posts(played) == 3  # asked, found it, did not send it again
    assert_each_once(server, tokens, batch.files)
    batch.assert_untouched()

    cli_batch = Batch(tmp_path, "slowcli")
    with proxy.rules(rule(cli_batch)):
        # Long enough for the sign-in on a busy machine, which no rule slows down.
        cli = run_cli(tmp_path / "state", proxy.url, *cli_batch.files, timeout=4.0)
    assert cli.returncode == 0, cli.stderr
    assert f"waiting      {late(4)}; trying again in" in cli.stdout
    assert line_for(cli.stdout, cli_batch.files[1]).endswith(f", {ALREADY_THERE})")
    assert_each_once(server, tokens, cli_batch.files)
    cli_batch.assert_untouched()


# -- a 401 answer to every refresh --------------------------------------------------------------


def refused() -> tuple[Rule, Rule]:
    """Every token refused (a server whose signing key changed), and every refresh too."""
    return (
        Rule(path=REFRESH, method="POST", status=401, body=TOKEN_NOT_VALID),
        Rule(
            path="/api/", header="authorization", status=401, body=TOKEN_NOT_VALID,
            headers=(("WWW-Authenticate", 'Bearer realm="api"'),),
        ),
    )  # fmt: skip


def test_a_401_to_every_refresh_pauses_for_sign_in_without_looping(proxy, server, tokens, tmp_path):
    batch = Batch(tmp_path, "refused")
    with proxy.rules(*refused()) as played:
        run = run_engine(proxy, tokens, batch)
    assert run.result.status is QueueStatus.SIGN_IN_NEEDED
    assert run.result.reason == "Sign-in needed: the session has expired or was revoked."
    assert QueueStatus.SIGN_IN_NEEDED in run.events.statuses()
    # One refresh, and no more refused requests than uploads that were in flight together.
    assert played.count("POST", REFRESH) == 1
    assert played.counts["rule_answer"] <= 1 + FAST.parallel
    # Nothing failed, nothing lost: all wait for the sign-in, and those that were refused
    # say so on their tiles (the others never tried: the queue had paused).
    assert {run.item(path).state for path in batch.files} == {ItemState.READY}
    tried = [run.item(path) for path in batch.files if run.item(path).attempts]
    assert tried and all(item.reason.startswith("Sign-in needed: ") for item in tried), tried
    batch.assert_untouched()

    cli_batch = Batch(tmp_path, "refusedcli")
    state = tmp_path / "state"
    posts_before = proxy.count("POST", REFRESH)
    with proxy.rules(*refused()):
        cli = run_cli(state, proxy.url, *cli_batch.files)
    assert cli.returncode == 2
    said = [line for line in cli.stderr.splitlines(keepends=True) if "GPS" not in line]
    assert "".join(said) == (
        "thetadesk: Sign-in needed: the session has expired or was revoked. "
        "Files stay queued; run `thetadesk upload` again.\n"
    )
    assert proxy.count("POST", REFRESH) == posts_before + 1
    # Signing in again (here: the next run) sends them all, once.
    again = run_cli(state, proxy.url)
    assert again.returncode == 0, again.stderr
    assert "3 of 3 files uploaded" in again.stdout
    assert_each_once(server, tokens, cli_batch.files)
    cli_batch.assert_untouched()


def test_a_refresh_answer_without_an_access_token_asks_for_sign_in_once(proxy, tokens):
    """A 200 to the refresh that carries no token: retrying the same refresh cannot help."""
    client = client_for(proxy, tokens)
    token_refused = refused()[1]
    empty_refresh = Rule(path=REFRESH, method="POST", do="edit", edit=without("access"))
    with proxy.rules(empty_refresh, token_refused):
        with pytest.raises(SignInRequired, match="renewing the session has no access token"):
            client.check_session()
        with pytest.raises(SignInRequired):  # the session has ended: no second refresh
            client.check_session()
    assert proxy.count("POST", REFRESH) == 1
    assert not client.tokens.signed_in
