"""The `thetadesk` command: check, upload, list and delete from a terminal.

It sits on the same core as the window. Exit status: 0 on full success; 1 when some file
was not checked good or not uploaded; 2 for usage, connection or sign-in trouble. Every
failure ends with one line saying why.
"""

from __future__ import annotations

import argparse
import codecs
import json
import logging
import os
import sys
import threading
import time
from collections.abc import Callable, Sequence
from pathlib import Path

from thetadesk import __version__
from thetadesk.core.errors import ApiError, InsecureServerUrl, SignInRequired
from thetadesk.core.inspection import (
    Inspection,
    Verdict,
    inspect_files,
    printable_path,
)
from thetadesk.core.logging_setup import init_logging_on_demand
from thetadesk.core.scan import find_photos

# The HTTP client (requests, urllib3: ~0.3 s to import) and the engine are imported by the
# commands that talk to a server, so `thetadesk check` and `thetadesk queue` start fast; the
# queue store (sqlite3) and the uploader by the commands that use them, so `thetadesk check`,
# whose start-up is most of a batch's time, imports only what checking needs.
TYPE_CHECKING = False  # typing.TYPE_CHECKING without importing typing (~2 ms a start)
if TYPE_CHECKING:
    from thetadesk.core.api import Image360Client
    from thetadesk.core.engine import EngineEvent
    from thetadesk.core.queue_store import QueueItem, QueueStore

EXIT_OK = 0
EXIT_INCOMPLETE = 1
EXIT_ERROR = 2
PASSWORD_ENV = "THETADESK_PASSWORD"


class CliError(Exception):
    """A one-line reason to stop with EXIT_ERROR."""


def _out(line: str = "") -> None:
    # What the output's encoding cannot carry (a Japanese name on a Windows pipe in cp1252)
    # prints as backslash escapes rather than ending the command with a traceback.
    encoding = getattr(sys.stdout, "encoding", None) or "utf-8"
    try:
        print(line.encode(encoding, "backslashreplace").decode(encoding), flush=True)
    except BrokenPipeError:
        # The reader left (`thetadesk check | head`). Later lines go nowhere, and Python's
        # own flush at exit must not fail on the closed pipe either. The main thread stops
        # the command; an upload's report lines (from engine threads) just stop showing.
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        os.close(devnull)
        if threading.current_thread() is threading.main_thread():
            raise


def _err(line: str) -> None:
    print(f"thetadesk: {line}", file=sys.stderr, flush=True)


def _shown_path(path: str | os.PathLike[str]) -> str:
    # Names that are not valid UTF-8 (possible on Linux) must still print: bad bytes as \xNN,
    # the same text as in --json output and the upload queue. Control characters, legal in
    # a name, are escaped too: a newline would split a line that scripts read one per
    # file, and an escape sequence would reach the terminal (retitle it, recolour it).
    text = printable_path(path)
    if text.isprintable():
        return text
    return "".join(
        char if char.isprintable() else char.encode("unicode_escape").decode("ascii")
        for char in text
    )


def _json_text(data: object) -> str:
    # Raw UTF-8 where the output carries it; \u escapes elsewhere (a cp1252 pipe), so the
    # JSON stays valid either way (backslashreplace would write \xNN, which JSON lacks).
    encoding = codecs.lookup(getattr(sys.stdout, "encoding", None) or "utf-8").name
    return json.dumps(data, indent=2, ensure_ascii=encoding != "utf-8")


def _check_json_text(rows: Sequence[dict[str, object]]) -> str:
    """_json_text(rows) for `check --json`: the same text, written here (json's indenting
    writer is pure Python: ~14 µs a photo, this ~7). A row is one object whose values are
    scalars, or lists and objects of scalars; anything else goes to json."""
    encoding = codecs.lookup(getattr(sys.stdout, "encoding", None) or "utf-8").name
    from json.encoder import encode_basestring, encode_basestring_ascii  # C, where built

    quote = encode_basestring if encoding == "utf-8" else encode_basestring_ascii
    items = []
    for row in rows:
        fields = []
        for key, value in row.items():
            if type(key) is not str:
                return _json_text(list(rows))
            text = _json_scalar(value, quote)
            if text is None:
                text = _json_nested(value, quote)
                if text is None:
                    return _json_text(list(rows))
            fields.append(f"{quote(key)}: {text}")
        items.append("{\n    " + ",\n    ".join(fields) + "\n  }" if fields else "{}")
    return "[\n  " + ",\n  ".join(items) + "\n]" if items else "[]"


def _json_scalar(value: object, quote: Callable[[str], str]) -> str | None:
    """A value as json.dumps writes it, for the kinds a check row holds; else None."""
    kind = type(value)
    if kind is str:
        return quote(value)  # type: ignore[arg-type]
    if kind is bool:
        return "true" if value else "false"
    if kind is int:
        return int.__repr__(value)  # type: ignore[arg-type]
    if value is None:
        return "null"
    if kind is float and value - value == 0:  # finite (json writes NaN and ∞ its own way)
        return float.__repr__(value)  # type: ignore[arg-type]
    return None


def _json_nested(value: object, quote: Callable[[str], str]) -> str | None:
    """A list or an object of scalars, indented as inside a row; else None."""
    parts = []
    if type(value) is list:
        for item in value:
            text = _json_scalar(item, quote)
            if text is None:
                return None
            parts.append(text)
        brackets = "[]"
    elif type(value) is dict:
        for key, item in value.items():
            text = _json_scalar(item, quote)
            if text is None or type(key) is not str:
                return None
            parts.append(f"{quote(key)}: {text}")
        brackets = "{}"
    else:
        return None
    if not parts:
        return brackets
    return brackets[0] + "\n      " + ",\n      ".join(parts) + "\n    " + brackets[1]


def _describe(inspection: Inspection) -> str:
    facts = []
    if inspection.model:
        facts.append(inspection.model)
    if inspection.width and inspection.height:
        facts.append(f"{inspection.width}×{inspection.height}")
    if inspection.has_gps:
        facts.append("GPS")
    reason = "; ".join(inspection.reasons)
    return (
        f"{inspection.verdict.value:<12} {_shown_path(inspection.path)}  [{', '.join(facts)}]"
        + (f"\n             {reason}" if reason else "")
    )


def _find_photos(paths: Sequence[str]) -> tuple[list[Path], bool]:
    """find_photos, with a warning for each folder that could not be opened; (files,
    whether everything could be read)."""
    if any(not path for path in paths):
        # Path("") is the current folder: an unset shell variable must not check all of it.
        raise CliError("an empty path was given")
    unreadable: list[tuple[Path, str]] = []
    files = find_photos(paths, unreadable)
    for folder, why in unreadable:
        _err(f"warning: cannot open the folder {_shown_path(folder)} ({why}); "
             "photos in it were left out")  # fmt: skip
    if paths and not files:
        where = ", ".join(_shown_path(path) for path in paths)
        if unreadable:
            raise CliError(f"no JPEG files could be read in {where}")
        raise CliError(f"no JPEG files found in {where}")
    return files, not unreadable


def _inspect_paths(paths: Sequence[str]) -> tuple[list[Inspection], bool]:
    files, complete = _find_photos(paths)
    # A big batch uses every CPU, results in the same order.
    return inspect_files(files), complete


def _summary(inspections: Sequence[Inspection]) -> str:
    counts = {verdict: 0 for verdict in Verdict}
    for inspection in inspections:
        counts[inspection.verdict] += 1
    parts = [f"{n} {verdict.value.replace('_', ' ')}" for verdict, n in counts.items() if n]
    return f"{len(inspections)} files: " + ", ".join(parts)


# -- commands ------------------------------------------------------------------------------


def cmd_check(args: argparse.Namespace) -> int:
    inspections, complete = _inspect_paths(args.paths)
    if args.json:
        _out(_check_json_text([i.to_json() for i in inspections]))
    else:
        for inspection in inspections:
            _out(_describe(inspection))
        _out(_summary(inspections))
    bad = [i for i in inspections if not i.verdict.uploadable]
    if bad:
        _err(f"{len(bad)} of {len(inspections)} files are not uploadable as they are")
        return EXIT_INCOMPLETE
    return EXIT_OK if complete else EXIT_INCOMPLETE


def _read_password(args: argparse.Namespace) -> str:
    if args.password_stdin:
        line = sys.stdin.readline()
        if not line:
            raise CliError("--password-stdin given but standard input is empty")
        return line.rstrip("\r\n")
    if os.environ.get(PASSWORD_ENV):
        return os.environ[PASSWORD_ENV]
    if sys.stdin.isatty():
        import getpass  # only for a prompt

        return getpass.getpass(f"Password for {args.username} at {args.server}: ")
    raise CliError(f"no password: use --password-stdin, set {PASSWORD_ENV}, or run in a terminal")


def _connect(args: argparse.Namespace) -> Image360Client:
    from thetadesk.core.api import CONNECT_TIMEOUT, Image360Client

    try:
        client = Image360Client(
            args.server,
            allow_http=args.allow_http,
            connect_timeout=min(CONNECT_TIMEOUT, args.timeout),
            read_timeout=args.timeout,
        )
    except InsecureServerUrl as exc:
        raise CliError(str(exc)) from None
    client.sign_in(args.username, _read_password(args))
    return client


def _open_queue() -> QueueStore:
    from thetadesk.core.paths import AppPaths
    from thetadesk.core.queue_store import QueueStore, QueueStoreError

    paths = AppPaths.default().ensure()
    try:
        return QueueStore(paths.queue_db)
    except QueueStoreError as exc:
        raise CliError(str(exc)) from None


class _Reporter:
    """Prints one line per file as it finishes, and why the queue waits (from any thread).

    Also one warning, the first time a public photo that carries its GPS position starts
    to be sent (events come from the sending thread before it sends): one line, not one a
    file, as a day's THETA photos all carry one when the phone gave the position.
    """

    def __init__(self) -> None:
        from thetadesk.core.queue_store import ItemState

        self._lock = threading.Lock()
        self._uploading = ItemState.UPLOADING
        self._gps_warned = False
        # The states in which a file is reported.
        self.final = frozenset(
            {
                ItemState.UPLOADED,
                ItemState.FAILED,
                ItemState.SKIPPED,
                ItemState.HELD,
                ItemState.CANCELLED,
            }
        )

    def __call__(self, event: EngineEvent) -> None:
        from thetadesk.core.engine import ItemChanged, QueueStatus, StatusChanged

        with self._lock:
            if isinstance(event, ItemChanged) and event.item.state in self.final:
                _out(_item_line(event.item))
            elif isinstance(event, ItemChanged) and event.item.state is self._uploading:
                self._warn_of_gps(event.item)
            elif (
                isinstance(event, StatusChanged) and event.status is QueueStatus.WAITING_FOR_SERVER
            ):
                wait = max(0.0, (event.retry_at or time.time()) - time.time())
                _out(f"waiting      {event.reason}; trying again in {wait:.0f} s")

    def _warn_of_gps(self, item: QueueItem) -> None:
        from thetadesk.core.inspection import inspect_file
        from thetadesk.core.queue_store import is_public

        if self._gps_warned or not is_public(item.fields):
            return
        if item.unclear and item.photo_id is not None:
            return  # sent before, and only asked about now (sent again only if deleted)
        if inspect_file(item.path).has_gps:
            self._gps_warned = True
            _err(
                f"warning: {_shown_path(item.path)} (and any other photo with a GPS "
                "position) is sent publicly, and the upload publishes where it was "
                "taken; --private keeps photos private where the server can"
            )


def _item_line(item: QueueItem, *, earlier: bool = False) -> str:
    from thetadesk.core.queue_store import ItemState

    name = _shown_path(item.path)
    if item.state is ItemState.UPLOADED:
        notes = [f"id {item.photo_id}"] if item.photo_id is not None else []
        notes += [item.reason] if item.reason else []
        notes += ["in an earlier run"] if earlier else []
        return f"uploaded     {name}  ({', '.join(notes)})"
    label = "rejected" if item.verdict == Verdict.REJECTED.value else item.state.value
    return f"{label:<12} {name}  {item.reason}".rstrip()


def cmd_upload(args: argparse.Namespace) -> int:
    from thetadesk.core.engine import EngineSettings, QueueStatus, UploadEngine
    from thetadesk.core.queue_store import WORK_STATES, AddOutcome, ItemState
    from thetadesk.core.runner_lock import QueueBusy
    from thetadesk.core.uploader import UploadDefaults

    UploadDefaults(category=args.category)  # validates, as the window's form does
    files, complete = _find_photos(args.paths)
    client = _connect(args)
    fields = {"category": args.category}
    for name in ("description", "attribution", "license_link"):
        if getattr(args, name):
            fields[name] = getattr(args, name)
    if args.private:
        fields["is_public"] = "false"
    with _open_queue() as store:
        reporter = _Reporter()
        engine = UploadEngine(
            store,
            client,
            args.username,
            settings=EngineSettings(parallel=args.parallel),
            on_event=reporter,
        )
        added = engine.enqueue(files, fields=fields, allow_review=args.include_needs_review)
        for item, outcome in added:
            if outcome is AddOutcome.ALREADY and item.state in reporter.final:
                _out(_item_line(item, earlier=True))  # say so, send nothing
        mine = {item.id for item, _ in added} or {
            item.id for item in engine.items() if item.state in WORK_STATES
        }
        if not mine:
            _out("nothing to upload")
            return EXIT_OK if complete else EXIT_INCOMPLETE
        try:
            result = engine.run()
        except QueueBusy as exc:
            raise CliError(str(exc)) from None
        items = [item for item in engine.items() if item.id in mine]
    if result.status is QueueStatus.SIGN_IN_NEEDED:
        raise CliError(f"{result.reason} Files stay queued; run `thetadesk upload` again.")
    sent = sum(item.state is ItemState.UPLOADED for item in items)
    skipped = sum(item.state is ItemState.SKIPPED for item in items)
    note = f" ({skipped} duplicate{'s' if skipped != 1 else ''} skipped)" if skipped else ""
    _out(f"{sent} of {len(items)} files uploaded to {client.base_url}{note}")
    left = len(items) - sent - skipped
    if left:
        _err(f"{left} file{'s' if left != 1 else ''} not uploaded (see above)")
        return EXIT_INCOMPLETE
    return EXIT_OK if complete else EXIT_INCOMPLETE


def cmd_queue(args: argparse.Namespace) -> int:
    with _open_queue() as store:
        action = args.queue_command
        if action == "retry":
            count = store.retry()
            _out(
                f"{count} file{'s' if count != 1 else ''} queued again; "
                "`thetadesk upload` sends them"
            )
            return EXIT_OK
        if action == "clear-finished":
            count = store.clear_finished()
            _out(f"removed {count} finished file{'s' if count != 1 else ''} from the queue")
            return EXIT_OK
        if action == "remove":
            missing = []
            for path in args.paths:
                # A file's rows, else (a folder) the rows of every file in it.
                found = store.find_by_path(path) or store.find_under(path)
                if not found:
                    missing.append(_shown_path(path))
                    continue
                store.remove(item.id for item in found)
                for shown in dict.fromkeys(_shown_path(item.path) for item in found):
                    _out(f"removed      {shown}")
            if missing:
                _err("not in the queue: " + ", ".join(missing))
                return EXIT_INCOMPLETE
            return EXIT_OK
        items = store.items()
    if args.json:
        _out(_json_text([item.to_json() for item in items]))
        return EXIT_OK
    for item in items:
        _out(
            f"{item.id:>5}  {item.state.value:<10} {_shown_path(item.path)}"
            + (f"  {item.reason}" if item.reason else "")
            + f"  [{item.username}@{item.server}]"
        )
    counts: dict[str, int] = {}
    for item in items:
        counts[item.state.value] = counts.get(item.state.value, 0) + 1
    _out(
        f"{len(items)} files"
        + (": " + ", ".join(f"{n} {s}" for s, n in counts.items()) if counts else "")
    )
    return EXIT_OK


def cmd_list(args: argparse.Namespace) -> int:
    photos = _connect(args).list_photos()
    if args.json:
        _out(_json_text(photos))
        return EXIT_OK
    for photo in photos:
        title = photo.get("title") or photo.get("name") or ""
        _out(
            f"{photo.get('id', '?'):>6}  {photo.get('camera_model') or '-':<5} "
            f"{photo.get('date_taken') or '-':<10}  {title}"
        )
    _out(f"{len(photos)} photos")
    return EXIT_OK


def cmd_delete(args: argparse.Namespace) -> int:
    from thetadesk.core.errors import ApiError

    client = _connect(args)
    missing = 0
    for photo_id in args.ids:
        try:
            client.delete_photo(photo_id)
        except ApiError as exc:
            if exc.status != 404:
                raise
            # Gone already, or someone else's: the other ids are still deleted.
            missing += 1
            _err(f"no photo {photo_id} of yours on {client.base_url}")
            continue
        _out(f"deleted {photo_id}")
    return EXIT_INCOMPLETE if missing else EXIT_OK


# -- parsing -------------------------------------------------------------------------------


def _add_connection_options(parser: argparse.ArgumentParser) -> None:
    from thetadesk.core.api import READ_TIMEOUT

    parser.add_argument(
        "--server",
        default=os.environ.get("THETADESK_SERVER", "http://127.0.0.1:8765"),
        help="image360 server URL (default: $THETADESK_SERVER or http://127.0.0.1:8765)",
    )
    parser.add_argument(
        "--username",
        default=os.environ.get("THETADESK_USERNAME"),
        required="THETADESK_USERNAME" not in os.environ,
    )
    parser.add_argument(
        "--password-stdin",
        action="store_true",
        help=f"read the password from standard input (else ${PASSWORD_ENV}, else a prompt)",
    )
    parser.add_argument(
        "--allow-http",
        action="store_true",
        help="allow plain http:// to a host other than this machine (unsafe)",
    )
    parser.add_argument(
        "--timeout",
        type=_positive_seconds,
        default=READ_TIMEOUT,
        metavar="SECONDS",
        help=f"how long to wait for the server's answer (default {READ_TIMEOUT:.0f}; "
        "uploads add time for each MB)",
    )


def _positive_seconds(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        value = 0.0
    if not 0 < value < float("inf"):
        raise argparse.ArgumentTypeError(f"not a number of seconds above zero: {text!r}")
    return value


def _parallel_uploads(text: str) -> int:
    # The engine's own limit, without importing the engine for every command.
    from thetadesk.core.engine import MAX_PARALLEL_UPLOADS

    try:
        value = int(text)
    except ValueError:
        value = 0
    if not 1 <= value <= MAX_PARALLEL_UPLOADS:
        raise argparse.ArgumentTypeError(f"not a number from 1 to {MAX_PARALLEL_UPLOADS}: {text!r}")
    return value


def _license_link(text: str) -> str:
    from thetadesk.core.uploader import license_link_problem

    problem = license_link_problem(text)
    if problem:
        raise argparse.ArgumentTypeError(problem.removeprefix("license link: "))
    return text


_LOCAL_COMMANDS = frozenset({"check", "queue"})


def _upload_categories() -> tuple[str, ...]:
    from thetadesk.core.uploader import CATEGORIES

    return CATEGORIES


class _HelpFormatter(argparse.HelpFormatter):
    """argparse's own, with the terminal's width found as shutil would find it: argparse
    imports shutil for that (with its compression modules, ~1.5 ms of every start)."""

    def __init__(self, prog: str, *args: object, **kwargs: object) -> None:
        if kwargs.get("width") is None and len(args) < 3:
            kwargs["width"] = _terminal_columns() - 2  # as argparse does
        super().__init__(prog, *args, **kwargs)  # type: ignore[arg-type]


def _terminal_columns() -> int:
    """shutil.get_terminal_size().columns: $COLUMNS, else the terminal's, else 80."""
    try:
        columns = int(os.environ.get("COLUMNS", "0"))
    except ValueError:
        columns = 0
    if columns <= 0:
        stdout = sys.__stdout__
        try:
            columns = os.get_terminal_size(stdout.fileno()).columns  # type: ignore[union-attr]
        except (AttributeError, ValueError, OSError):
            columns = 0
    return columns or 80


class _Parser(argparse.ArgumentParser):
    """Every parser, the commands' too (add_subparsers makes them of this class)."""

    def __init__(self, *args: object, **kwargs: object) -> None:
        kwargs.setdefault("formatter_class", _HelpFormatter)
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]


def build_parser(*, local_only: bool = False) -> argparse.ArgumentParser:
    """The whole command line; `local_only` leaves out the options of the commands that
    talk to a server (and with them the HTTP client's and the uploader's imports), for a
    run of a local one."""
    parser = _Parser(prog="thetadesk", description="Check RICOH THETA 360° photos and upload them.")
    parser.add_argument("--version", action="version", version=f"thetadesk {__version__}")
    parser.add_argument("-v", "--verbose", action="store_true", help="log to standard error")
    parser.add_argument(
        "--self-test",
        action="store_true",
        help="check that this install has what the app needs (Qt, JPEG, keyring, CA store)",
    )
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")

    check = commands.add_parser("check", help="check files and folders, print verdicts")
    check.add_argument("--json", action="store_true", help="machine-readable output")
    check.add_argument("paths", nargs="+", metavar="PATH")
    check.set_defaults(run=cmd_check)

    upload = commands.add_parser("upload", help="check, then upload the good files")
    if not local_only:
        _add_connection_options(upload)
    upload.add_argument("--description", default="")
    upload.add_argument("--attribution", default="")
    upload.add_argument(
        "--license-link", type=_license_link, default="", help="full URL incl. http(s)://"
    )
    upload.add_argument(
        "--category", default="OTHER", choices=None if local_only else _upload_categories()
    )
    upload.add_argument(
        "--private",
        action="store_true",
        help="upload as private (servers that do not know private photos publish all)",
    )
    upload.add_argument(
        "--include-needs-review",
        action="store_true",
        help="also upload files held for review: 2:1 files that nothing proves are 360 "
        "photos, and photos the window held for their GPS position",
    )
    upload.add_argument(
        "--parallel",
        type=_parallel_uploads,
        default=3,
        metavar="N",
        help="files sent at once, 1 to 8 (default 3)",
    )
    upload.add_argument(
        "paths", nargs="*", metavar="PATH", help="files or folders (none: run what is queued)"
    )
    upload.set_defaults(run=cmd_upload)

    queue = commands.add_parser(
        "queue", help="show the upload queue (kept between runs), retry, clear or remove"
    )
    queue.add_argument("--json", action="store_true", help="machine-readable output")
    queue.set_defaults(run=cmd_queue, queue_command=None)
    queue_commands = queue.add_subparsers(dest="queue_command", metavar="ACTION")
    queue_commands.add_parser("retry", help="queue failed and cancelled files again")
    queue_commands.add_parser("clear-finished", help="forget uploaded, skipped, cancelled rows")
    remove = queue_commands.add_parser("remove", help="take files out of the queue")
    remove.add_argument("paths", nargs="+", metavar="PATH")

    listing = commands.add_parser("list", help="list your photos on the server")
    if not local_only:
        _add_connection_options(listing)
    listing.add_argument("--json", action="store_true")
    listing.set_defaults(run=cmd_list)

    delete = commands.add_parser("delete", help="delete photos from the server by id")
    if not local_only:
        _add_connection_options(delete)
    delete.add_argument("ids", nargs="+", type=int, metavar="ID")
    delete.set_defaults(run=cmd_delete)

    gui = commands.add_parser("gui", help="open the desktop app")
    gui.set_defaults(run=None)
    return parser


def _log_dir() -> Path:
    from thetadesk.core.paths import AppPaths

    return AppPaths.default().log_dir


_TOP_LEVEL_OPTIONS = {"-h", "--help", "--version", "-v", "--verbose", "--self-test"}


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv and argv[0].startswith("-") and argv[0] not in _TOP_LEVEL_OPTIONS:
        argv = ["gui", *argv]  # `thetadesk --server URL` means the window, as plain `thetadesk`
    command = next((arg for arg in argv if not arg.startswith("-")), None)
    parser = build_parser(local_only=command in _LOCAL_COMMANDS)
    args, rest = parser.parse_known_args(argv)
    if args.self_test:
        from thetadesk.gui.selftest import run_self_test  # Qt only when asked for

        return run_self_test()
    if args.command in (None, "gui"):
        from thetadesk.gui.app import main as gui_main  # Qt only when the window is wanted

        return gui_main(rest)
    if rest:
        parser.error("unrecognized arguments: " + " ".join(rest))
    # The file log (redacted) is kept whatever the verbosity; -v also shows it here. Its
    # folder is found (platformdirs), made and opened only if something is logged.
    init_logging_on_demand(
        _log_dir,
        level=logging.DEBUG if args.verbose else logging.INFO,
        stderr_level=logging.INFO if args.verbose else logging.ERROR,
    )
    try:
        return int(args.run(args))
    except CliError as exc:
        _err(str(exc))
    except SignInRequired as exc:
        _err(f"sign-in failed: {exc}")
    except ApiError as exc:
        _err(str(exc))
    except KeyboardInterrupt:
        _err("interrupted")
    except BrokenPipeError:
        pass  # the reader of our output has gone; nothing to say, and nowhere to say it
    return EXIT_ERROR
