"""The persistent upload queue: one SQLite file in the per-user data folder.

Every state change is one transaction, so a crash (or kill -9) leaves each file in a state
the next start can reason about: rows left `checking` go back to `queued`, rows left
`uploading` go back to `ready` marked *unclear* (the server may or may not have them; the
engine asks it before sending again).

One connection writes, shared by the engine's threads under a lock; WAL lets other processes
(`thetadesk queue`) read meanwhile. Paths are stored as bytes (os.fsencode), so names that
are not valid UTF-8 survive. The schema has a version (PRAGMA user_version) and forward
migrations; a file from a newer thetadesk is refused rather than damaged.
"""

from __future__ import annotations

import dataclasses
import json
import os
import sqlite3
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from enum import StrEnum
from pathlib import Path
from typing import Any


class ItemState(StrEnum):
    QUEUED = "queued"  # added, not yet hashed and inspected
    CHECKING = "checking"  # being hashed and inspected
    READY = "ready"  # checked, waiting for an upload slot
    UPLOADING = "uploading"
    UPLOADED = "uploaded"
    FAILED = "failed"  # `reason` says why, `retryable` whether trying again can help
    SKIPPED = "skipped"  # same content as another item (`duplicate_of`)
    HELD = "held"  # needs review: waits for "upload anyway"
    PAUSED = "paused"  # the user paused this file
    CANCELLED = "cancelled"


WORK_STATES = frozenset(
    {ItemState.QUEUED, ItemState.CHECKING, ItemState.READY, ItemState.UPLOADING}
)
FINISHED_STATES = frozenset({ItemState.UPLOADED, ItemState.SKIPPED, ItemState.CANCELLED})
# Rows whose fields still reach the server when they are sent (not claimed for it yet).
_NOT_YET_SENT = frozenset(
    {ItemState.QUEUED, ItemState.CHECKING, ItemState.READY, ItemState.PAUSED, ItemState.HELD}
)
# States whose content counts as "already queued" when the same bytes come again.
_DEDUPE_STATES = (
    ItemState.READY,
    ItemState.UPLOADING,
    ItemState.UPLOADED,
    ItemState.HELD,
    ItemState.PAUSED,
)


class QueueStoreError(Exception):
    """The queue file cannot be used (made by a newer version, or damaged)."""


Migration = Callable[[sqlite3.Connection], None]


def _schema_1(conn: sqlite3.Connection) -> None:
    conn.execute(
        """
        CREATE TABLE items (
            id INTEGER PRIMARY KEY,
            server TEXT NOT NULL,
            username TEXT NOT NULL,
            path BLOB NOT NULL,
            state TEXT NOT NULL,
            size INTEGER,
            mtime_ns INTEGER,
            sha256 TEXT,
            verdict TEXT,
            fields TEXT NOT NULL DEFAULT '{}',
            allow_review INTEGER NOT NULL DEFAULT 0,
            reason TEXT NOT NULL DEFAULT '',
            retryable INTEGER NOT NULL DEFAULT 0,
            unclear INTEGER NOT NULL DEFAULT 0,
            attempts INTEGER NOT NULL DEFAULT 0,
            server_errors INTEGER NOT NULL DEFAULT 0,
            photo_id INTEGER,
            duplicate_of INTEGER,
            added_at REAL NOT NULL,
            updated_at REAL NOT NULL,
            UNIQUE (server, username, path)
        )
        """
    )
    conn.execute("CREATE INDEX items_work ON items (server, username, state, id)")
    conn.execute("CREATE INDEX items_content ON items (server, username, sha256)")


MIGRATIONS: tuple[Migration, ...] = (_schema_1,)
"""MIGRATIONS[n] takes the schema from version n to n + 1. Append only; never edit one."""


@dataclass(frozen=True)
class QueueItem:
    id: int
    server: str
    username: str
    path: Path
    state: ItemState
    size: int | None = None
    mtime_ns: int | None = None
    sha256: str | None = None
    verdict: str | None = None
    fields: Mapping[str, str] = field(default_factory=dict)
    allow_review: bool = False
    reason: str = ""
    retryable: bool = False
    unclear: bool = False
    attempts: int = 0
    server_errors: int = 0
    photo_id: int | None = None
    duplicate_of: int | None = None
    added_at: float = 0.0
    updated_at: float = 0.0

    @property
    def name(self) -> str:
        return self.path.name

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        # Non-UTF-8 names (Linux) print with backslash escapes rather than failing.
        data["path"] = printable_path(self.path)
        data["state"] = self.state.value
        data["fields"] = dict(self.fields)
        return data


_COLUMNS = (
    "id, server, username, path, state, size, mtime_ns, sha256, verdict, fields, allow_review, "
    "reason, retryable, unclear, attempts, server_errors, photo_id, duplicate_of, added_at, "
    "updated_at"
)
_UPDATABLE = frozenset(
    {
        "state",
        "size",
        "mtime_ns",
        "sha256",
        "verdict",
        "fields",
        "allow_review",
        "reason",
        "retryable",
        "unclear",
        "attempts",
        "server_errors",
        "photo_id",
        "duplicate_of",
    }
)


_paths: dict[bytes, Path] = {}


def _path(stored: bytes) -> Path:
    """The Path for a stored path: made once (a Path costs more than the rest of a row),
    from a bounded cache shared by every store (Paths are immutable)."""
    key = bytes(stored)
    path = _paths.get(key)
    if path is None:
        if len(_paths) >= 20_000:
            _paths.clear()
        path = _paths[key] = Path(os.fsdecode(key))
    return path


def _row_to_item(row: sqlite3.Row | tuple[Any, ...]) -> QueueItem:
    (
        item_id,
        server,
        username,
        path,
        state,
        size,
        mtime_ns,
        sha256,
        verdict,
        fields,
        allow_review,
        reason,
        retryable,
        unclear,
        attempts,
        server_errors,
        photo_id,
        duplicate_of,
        added_at,
        updated_at,
    ) = tuple(row)
    return QueueItem(
        id=item_id,
        server=server,
        username=username,
        path=_path(path),
        state=ItemState(state),
        size=size,
        mtime_ns=mtime_ns,
        sha256=sha256,
        verdict=verdict,
        fields=json.loads(fields or "{}"),
        allow_review=bool(allow_review),
        reason=reason,
        retryable=bool(retryable),
        unclear=bool(unclear),
        attempts=attempts,
        server_errors=server_errors,
        photo_id=photo_id,
        duplicate_of=duplicate_of,
        added_at=added_at,
        updated_at=updated_at,
    )


def _typed(name: str, value: Any) -> Any:
    """A stored column value as QueueItem holds it."""
    if name == "state":
        return ItemState(value)
    if name == "fields":
        return json.loads(value or "{}")
    if name in ("allow_review", "retryable", "unclear"):
        return bool(value)
    return value


def printable_path(path: str | os.PathLike[str]) -> str:
    """A path as text that can always be printed or logged (bad bytes as escapes)."""
    return os.fsencode(path).decode("utf-8", "backslashreplace")


def encode_path(path: str | os.PathLike[str] | bytes) -> bytes:
    """The key a path is stored under: absolute, as the OS's bytes."""
    return os.fsencode(os.path.abspath(os.fsdecode(path)))


GPS_HELD_REASON = "held: it carries its GPS position, which a public upload publishes"


def is_public(fields: Mapping[str, str]) -> bool:
    """Whether these upload fields publish the photo (the default: a server that knows no
    `is_public` publishes everything)."""
    return fields.get("is_public", "true").lower() != "false"


def reason_without_gps_hold(reason: str) -> str:
    """The reason of a row held for its GPS position, without the hold."""
    return reason.removeprefix(GPS_HELD_REASON).removeprefix("; ")


class AddOutcome(StrEnum):
    ADDED = "added"
    REQUEUED = "requeued"  # was failed, cancelled, changed or uploaded (asked again)
    ALREADY = "already"  # already in the queue


class QueueStore:
    """The queue table behind a lock; each public method is one transaction."""

    def __init__(
        self,
        db_path: str | os.PathLike[str],
        *,
        busy_timeout: float = 15.0,
        migrations: Sequence[Migration] = MIGRATIONS,
    ) -> None:
        self.db_path = str(db_path)
        self._lock = threading.RLock()
        self._conn = sqlite3.connect(
            self.db_path,
            timeout=busy_timeout,
            isolation_level=None,  # explicit BEGIN IMMEDIATE ... COMMIT below
            check_same_thread=False,  # shared by the engine's threads under self._lock
        )
        try:
            self._conn.execute("PRAGMA journal_mode=WAL")
            # FULL: a state written before a send must survive a power cut, or a resend after
            # reboot would not know to ask the server first. Changes that no send depends on
            # (adding a file, checking it) commit without waiting for the disk: see
            # _transaction(durable=False).
            self._conn.execute("PRAGMA synchronous=FULL")
            self._conn.execute("PRAGMA foreign_keys=ON")
            self._migrate(migrations)
        except sqlite3.DatabaseError as exc:
            self._conn.close()
            raise QueueStoreError(f"The queue file {self.db_path} cannot be used: {exc}") from None

    # -- plumbing --------------------------------------------------------------------------

    def close(self) -> None:
        with self._lock:
            self._conn.close()

    def __enter__(self) -> QueueStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @contextmanager
    def _transaction(self, *, durable: bool = True) -> Iterator[sqlite3.Connection]:
        """One transaction under the lock.

        `durable=False` commits without an fsync (synchronous=NORMAL, WAL): still atomic,
        and kept if the app crashes or is killed, but a power cut may undo it. Only for
        changes whose loss leaves a state the engine handles anyway: a row added (the user
        adds the file again) or a check claimed or finished (the file is checked again). The
        next durable commit makes it durable too: the WAL is synced in order. An fsync costs
        ~4 ms here, three per file before this: 2,000 dropped files waited 20 s for the disk.
        """
        with self._lock:
            if not durable:
                self._conn.execute("PRAGMA synchronous=NORMAL")
            try:
                self._conn.execute("BEGIN IMMEDIATE")
                try:
                    yield self._conn
                except BaseException:
                    self._conn.execute("ROLLBACK")
                    raise
                self._conn.execute("COMMIT")
            finally:
                if not durable:
                    self._conn.execute("PRAGMA synchronous=FULL")

    def _migrate(self, migrations: Sequence[Migration]) -> None:
        with self._transaction() as conn:
            version = int(conn.execute("PRAGMA user_version").fetchone()[0])
            if version > len(migrations):
                raise QueueStoreError(
                    f"The queue file {self.db_path} was made by a newer thetadesk "
                    f"(schema {version}, this one knows {len(migrations)})"
                )
            for number in range(version, len(migrations)):
                migrations[number](conn)
            conn.execute(f"PRAGMA user_version = {len(migrations)}")

    @property
    def schema_version(self) -> int:
        with self._lock:
            return int(self._conn.execute("PRAGMA user_version").fetchone()[0])

    def integrity_check(self) -> str:
        with self._lock:
            return str(self._conn.execute("PRAGMA integrity_check").fetchone()[0])

    def _get(self, conn: sqlite3.Connection, item_id: int) -> QueueItem | None:
        row = conn.execute(f"SELECT {_COLUMNS} FROM items WHERE id = ?", (item_id,)).fetchone()
        return _row_to_item(row) if row else None

    # -- reading ---------------------------------------------------------------------------

    def get(self, item_id: int) -> QueueItem | None:
        with self._lock:
            return self._get(self._conn, item_id)

    def items(
        self,
        server: str | None = None,
        username: str | None = None,
        *,
        states: Iterable[ItemState] | None = None,
    ) -> list[QueueItem]:
        sql = f"SELECT {_COLUMNS} FROM items WHERE 1=1"
        args: list[Any] = []
        if server is not None:
            sql += " AND server = ?"
            args.append(server)
        if username is not None:
            sql += " AND username = ?"
            args.append(username)
        if states is not None:
            wanted = [ItemState(s).value for s in states]
            sql += f" AND state IN ({','.join('?' * len(wanted))})"
            args.extend(wanted)
        with self._lock:
            rows = self._conn.execute(sql + " ORDER BY id", args).fetchall()
        return [_row_to_item(row) for row in rows]

    def find_by_path(self, path: str | os.PathLike[str] | bytes) -> list[QueueItem]:
        with self._lock:
            rows = self._conn.execute(
                f"SELECT {_COLUMNS} FROM items WHERE path = ? ORDER BY id", (encode_path(path),)
            ).fetchall()
        return [_row_to_item(row) for row in rows]

    def find_under(self, folder: str | os.PathLike[str] | bytes) -> list[QueueItem]:
        """Rows of files inside this folder, at any depth."""
        prefix = encode_path(folder).rstrip(os.fsencode(os.sep)) + os.fsencode(os.sep)
        with self._lock:
            rows = self._conn.execute(
                f"SELECT {_COLUMNS} FROM items WHERE substr(path, 1, ?) = ? ORDER BY id",
                (len(prefix), prefix),
            ).fetchall()
        return [_row_to_item(row) for row in rows]

    def count_work(self, server: str, username: str) -> int:
        """Rows that still need the engine: queued, checking, ready or uploading."""
        with self._lock:
            row = self._conn.execute(
                "SELECT COUNT(*) FROM items WHERE server = ? AND username = ? AND state IN "
                "(?, ?, ?, ?)",
                (server, username, *[s.value for s in WORK_STATES]),
            ).fetchone()
        return int(row[0])

    # -- writing ---------------------------------------------------------------------------

    def add(
        self,
        server: str,
        username: str,
        path: str | os.PathLike[str] | bytes,
        *,
        fields: Mapping[str, str] | None = None,
        allow_review: bool = False,
    ) -> tuple[QueueItem, AddOutcome]:
        """Queue a file, or bring back an existing row for it when that makes sense."""
        return self.add_many(server, username, [(path, fields)], allow_review=allow_review)[0]

    def add_many(
        self,
        server: str,
        username: str,
        entries: Iterable[tuple[str | os.PathLike[str] | bytes, Mapping[str, str] | None]],
        *,
        allow_review: bool = False,
    ) -> list[tuple[QueueItem, AddOutcome]]:
        """`add` for many (path, fields) pairs in one transaction."""
        # Not durable: adding sends nothing (a requeued row also forgets its hash, so it is
        # checked again before any send, which is durable).
        with self._transaction(durable=False) as conn:
            return [
                self._add(conn, server, username, path, fields, allow_review)
                for path, fields in entries
            ]

    def _add(
        self,
        conn: sqlite3.Connection,
        server: str,
        username: str,
        path: str | os.PathLike[str] | bytes,
        fields: Mapping[str, str] | None,
        allow_review: bool,
    ) -> tuple[QueueItem, AddOutcome]:
        key = encode_path(path)
        now = time.time()
        fields_json = json.dumps(dict(fields or {}), sort_keys=True)
        row = conn.execute(
            f"SELECT {_COLUMNS} FROM items WHERE server = ? AND username = ? AND path = ?",
            (server, username, key),
        ).fetchone()
        if row is None:
            cursor = conn.execute(
                "INSERT INTO items (server, username, path, state, fields, allow_review, "
                "added_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    server,
                    username,
                    key,
                    ItemState.QUEUED.value,
                    fields_json,
                    int(allow_review),
                    now,
                    now,
                ),
            )
            item = self._get(conn, int(cursor.lastrowid or 0))
            assert item is not None
            return item, AddOutcome.ADDED
        item = _row_to_item(row)
        outcome = AddOutcome.ALREADY
        changes: dict[str, Any] = {}
        if item.state in (ItemState.FAILED, ItemState.CANCELLED) or (
            item.state in (ItemState.UPLOADED, ItemState.SKIPPED) and _changed_on_disk(item)
        ):
            changes = {
                "state": ItemState.QUEUED,
                "reason": "",
                "retryable": 0,
                "attempts": 0,
                "server_errors": 0,
                "fields": fields_json,
            }
            if item.state is not ItemState.CANCELLED or _changed_on_disk(item):
                changes.update(sha256=None, size=None, mtime_ns=None)
            outcome = AddOutcome.REQUEUED
        elif item.state is ItemState.UPLOADED:
            # Added again, unchanged: it may have been deleted from the server since. It is
            # checked again (so today's rules, such as holding public GPS photos, apply),
            # then marked unclear: the server is asked first, as after a timeout, and it is
            # sent only if the server no longer has it. Its photo id stays, for a server
            # that can only say which photos it has (see Image360Client.find_by_sha256).
            changes = {
                "state": ItemState.QUEUED,
                "unclear": 1,
                "reason": "added again: is it still on the server?",
                "retryable": 0,
                "attempts": 0,
                "server_errors": 0,
                "fields": fields_json,
            }
            outcome = AddOutcome.REQUEUED
        elif (
            item.state in _NOT_YET_SENT
            and fields is not None
            and is_public(item.fields)
            and not is_public(fields)
        ):
            # Added again as private before it was sent (`upload --private` after the GPS
            # warning): it goes private. Never the other way round, and nothing else of
            # the row's fields changes: a re-add must not publish what the user made
            # private, nor undo their edits.
            changes = {"fields": json.dumps({**item.fields, "is_public": "false"}, sort_keys=True)}
            if item.state is ItemState.HELD and item.reason.startswith(GPS_HELD_REASON):
                changes.update(state=ItemState.READY, reason=reason_without_gps_hold(item.reason))
                outcome = AddOutcome.REQUEUED
        if allow_review and not item.allow_review:
            changes["allow_review"] = 1
            if item.state is ItemState.HELD:
                changes["state"] = ItemState.READY
                outcome = AddOutcome.REQUEUED
        if changes:
            item = self._update(conn, item.id, changes)
        return item, outcome

    def _update(
        self,
        conn: sqlite3.Connection,
        item_id: int,
        changes: Mapping[str, Any],
        *,
        current: QueueItem | None = None,
    ) -> QueueItem:
        """Change one row; return it as stored. With `current` (the row as read in this
        transaction) the result is made from it instead of being read back."""
        unknown = set(changes) - _UPDATABLE
        if unknown:
            raise ValueError(f"not updatable: {sorted(unknown)}")
        values = [
            v.value if isinstance(v, ItemState) else (int(v) if isinstance(v, bool) else v)
            for v in changes.values()
        ]
        assignments = ", ".join(f"{name} = ?" for name in changes)
        now = time.time()
        cursor = conn.execute(
            f"UPDATE items SET {assignments}, updated_at = ? WHERE id = ?",
            (*values, now, item_id),
        )
        if current is not None and cursor.rowcount == 1:
            typed = {name: _typed(name, value) for name, value in zip(changes, values, strict=True)}
            return dataclasses.replace(current, **typed, updated_at=now)
        item = self._get(conn, item_id)
        if item is None:
            raise KeyError(item_id)
        return item

    def update(
        self,
        item_id: int,
        *,
        expect: Iterable[ItemState] | None = None,
        durable: bool = True,
        **changes: Any,
    ) -> QueueItem | None:
        """Change one row. With `expect`, only if its state is one of those; else None.

        Also None when the row is gone (removed by `thetadesk queue remove` meanwhile).
        `durable=False` for changes a power cut may undo (see _transaction).
        """
        if "fields" in changes and not isinstance(changes["fields"], str):
            changes["fields"] = json.dumps(dict(changes["fields"]), sort_keys=True)
        with self._transaction(durable=durable) as conn:
            current = self._get(conn, item_id)
            if current is None:
                return None
            if expect is not None and current.state not in set(expect):
                return None
            return self._update(conn, item_id, changes)

    def recover_interrupted(self, server: str, username: str) -> int:
        """After a crash: `checking` → `queued`, `uploading` → `ready` + unclear."""
        with self._transaction() as conn:
            checking = conn.execute(
                "UPDATE items SET state = ?, updated_at = ? WHERE server = ? AND username = ? "
                "AND state = ?",
                (ItemState.QUEUED.value, time.time(), server, username, ItemState.CHECKING.value),
            ).rowcount
            uploading = conn.execute(
                "UPDATE items SET state = ?, unclear = 1, updated_at = ? WHERE server = ? "
                "AND username = ? AND state = ?",
                (ItemState.READY.value, time.time(), server, username, ItemState.UPLOADING.value),
            ).rowcount
        return int(checking) + int(uploading)

    def claim_next(
        self, server: str, username: str, *, uploads: bool = True, checks: bool = True
    ) -> QueueItem | None:
        """Take the oldest queued (with `checks`) or ready (with `uploads`) row.

        queued → checking, ready → uploading, in one transaction: two threads never get
        the same row.
        """
        states = ([ItemState.QUEUED.value] if checks else []) + (
            [ItemState.READY.value] if uploads else []
        )
        if not states:
            return None
        query = (
            f"SELECT {_COLUMNS} FROM items WHERE server = ? AND username = ? "
            f"AND state IN ({','.join('?' * len(states))}) ORDER BY id LIMIT 1"
        )
        with self._lock:
            while True:
                # Look first, so a claim for checking can skip the fsync that a claim for
                # sending needs (the row is read again inside the transaction: another
                # process may have changed it meanwhile).
                row = self._conn.execute(query, (server, username, *states)).fetchone()
                if row is None:
                    return None
                seen = _row_to_item(row)
                checking = seen.state is ItemState.QUEUED
                with self._transaction(durable=not checking) as conn:
                    current = self._get(conn, seen.id)
                    if current is None or current.state is not seen.state:
                        continue
                    target = ItemState.CHECKING if checking else ItemState.UPLOADING
                    return self._update(conn, seen.id, {"state": target})

    def claim_checks(self, server: str, username: str, limit: int) -> list[QueueItem]:
        """Take up to `limit` of the oldest queued rows for checking (queued → checking), in
        one transaction that waits for no disk (a claim for checking sends nothing)."""
        with self._transaction(durable=False) as conn:
            ids = [
                int(row[0])
                for row in conn.execute(
                    "SELECT id FROM items WHERE server = ? AND username = ? AND state = ? "
                    "ORDER BY id LIMIT ?",
                    (server, username, ItemState.QUEUED.value, limit),
                )
            ]
            if not ids:
                return []
            marks = ",".join("?" * len(ids))
            conn.execute(
                f"UPDATE items SET state = ?, updated_at = ? WHERE id IN ({marks})",
                (ItemState.CHECKING.value, time.time(), *ids),
            )
            rows = conn.execute(
                f"SELECT {_COLUMNS} FROM items WHERE id IN ({marks}) ORDER BY id", ids
            ).fetchall()
            return [_row_to_item(row) for row in rows]

    def complete_checks(self, results: Sequence[Mapping[str, Any]]) -> list[QueueItem | None]:
        """`complete_check` for many rows (each mapping holds its keyword arguments and
        `item_id`) in one transaction, in order: a copy of a photo checked in the same batch
        as its original is skipped as a duplicate just the same."""
        if not results:
            return []
        with self._transaction(durable=False) as conn:
            ids = [int(result["item_id"]) for result in results]
            rows = conn.execute(
                f"SELECT {_COLUMNS} FROM items WHERE id IN ({','.join('?' * len(ids))})", ids
            ).fetchall()
            current = {item.id: item for item in map(_row_to_item, rows)}
            return [
                self._complete_check(conn, current=current.get(int(result["item_id"])), **result)
                for result in results
            ]

    def complete_check(
        self,
        item_id: int,
        *,
        sha256: str,
        size: int,
        mtime_ns: int,
        verdict: str,
        state: ItemState,
        reason: str,
        fields: Mapping[str, str],
    ) -> QueueItem | None:
        """Record a finished check; the same content already queued makes this one `skipped`.

        The duplicate lookup and the state change are one transaction, so two threads that
        check two copies of one photo at once cannot both end up `ready`.
        """
        # Not durable: undone by a power cut, the row is checked again (the claim of a row
        # for sending, which reads this, is durable and syncs this commit with it).
        with self._transaction(durable=False) as conn:
            return self._complete_check(
                conn,
                item_id,
                sha256=sha256,
                size=size,
                mtime_ns=mtime_ns,
                verdict=verdict,
                state=state,
                reason=reason,
                fields=fields,
            )

    def _complete_check(
        self,
        conn: sqlite3.Connection,
        item_id: int,
        *,
        sha256: str,
        size: int,
        mtime_ns: int,
        verdict: str,
        state: ItemState,
        reason: str,
        fields: Mapping[str, str],
        current: QueueItem | None = None,
    ) -> QueueItem | None:
        """`current`: the row as read in this transaction (read here when not given)."""
        fields_json = json.dumps(dict(fields), sort_keys=True)
        if current is None:
            current = self._get(conn, item_id)
        if current is None or current.state is not ItemState.CHECKING:
            return current
        twin = conn.execute(
            "SELECT id, path FROM items WHERE server = ? AND username = ? AND sha256 = ? "
            f"AND id != ? AND state IN ({','.join('?' * len(_DEDUPE_STATES))}) "
            "ORDER BY id LIMIT 1",
            (
                current.server,
                current.username,
                sha256,
                item_id,
                *[s.value for s in _DEDUPE_STATES],
            ),
        ).fetchone()
        changes: dict[str, Any] = {
            "sha256": sha256,
            "size": size,
            "mtime_ns": mtime_ns,
            "verdict": verdict,
            "fields": fields_json,
            "state": state,
            "reason": reason,
            "retryable": 0,
        }
        if twin is not None and state in (ItemState.READY, ItemState.HELD):
            twin_name = os.path.basename(os.fsdecode(bytes(twin[1])))
            changes.update(
                state=ItemState.SKIPPED,
                duplicate_of=int(twin[0]),
                reason=f"same photo as {twin_name}",
            )
        return self._update(conn, item_id, changes, current=current)

    def retry(self, item_ids: Iterable[int] | None = None) -> int:
        """Failed and cancelled rows (all, or these) go back to `queued`. "All" leaves out
        rejected files: checking the same bytes again cannot change their verdict (a file
        changed since is queued again when it is added again)."""
        sql = (
            "UPDATE items SET state = ?, reason = '', retryable = 0, attempts = 0, "
            "server_errors = 0, updated_at = ? WHERE state IN (?, ?)"
        )
        if item_ids is None:
            sql += " AND verdict IS NOT 'rejected'"
        args: list[Any] = [
            ItemState.QUEUED.value,
            time.time(),
            ItemState.FAILED.value,
            ItemState.CANCELLED.value,
        ]
        if item_ids is not None:
            ids = list(item_ids)
            sql += f" AND id IN ({','.join('?' * len(ids))})"
            args.extend(ids)
        with self._transaction() as conn:
            return int(conn.execute(sql, args).rowcount)

    def remove(self, item_ids: Iterable[int]) -> int:
        ids = list(item_ids)
        if not ids:
            return 0
        with self._transaction() as conn:
            return int(
                conn.execute(
                    f"DELETE FROM items WHERE id IN ({','.join('?' * len(ids))})", ids
                ).rowcount
            )

    def clear_finished(self) -> int:
        """Delete uploaded, skipped and cancelled rows."""
        states = [s.value for s in FINISHED_STATES]
        with self._transaction() as conn:
            return int(
                conn.execute(
                    f"DELETE FROM items WHERE state IN ({','.join('?' * len(states))})", states
                ).rowcount
            )


def _changed_on_disk(item: QueueItem) -> bool:
    try:
        stat = os.stat(item.path)
    except OSError:
        return False  # gone: nothing new to send
    return (stat.st_size, stat.st_mtime_ns) != (item.size, item.mtime_ns)
