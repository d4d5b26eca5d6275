"""Inspect one photo file, read-only, and give it a verdict with human-readable reasons.

The rules are those of the project's THETA metadata notes (docs/theta-metadata.md in the
shared folder): `ok`, `warning` (uploadable, but tell the user), `needs_review` (2:1 with
nothing proving it is a 360 photo) and `rejected`.
"""

from __future__ import annotations

import logging
import os
import stat
import sys
from collections import namedtuple
from collections.abc import Mapping, Sequence
from pathlib import Path
from types import MappingProxyType

from thetadesk.core import verdict_rules
from thetadesk.core.exif import ExifInfo, parse_exif
from thetadesk.core.file_types import DESCRIBE_BYTES, SNIFF_BYTES, describe_non_jpeg, is_jpeg
from thetadesk.core.jpeg_segments import (
    WINDOW_BYTES,
    JpegHeader,
    JpegStructureError,
    ends_with_end_marker,
    has_end_marker,
    read_header,
)
from thetadesk.core.theta_models import camera_code, clean_model, is_theta_model
from thetadesk.core.verdict_rules import Verdict
from thetadesk.core.xmp import read_xmp

TYPE_CHECKING = False  # typing.TYPE_CHECKING without importing typing (~2 ms a start)
if TYPE_CHECKING:  # the pool's modules load only when a big batch needs them
    from concurrent.futures import Future, ProcessPoolExecutor
    from multiprocessing.sharedctypes import SynchronizedArray
    from typing import BinaryIO

__all__ = ["Inspection", "Verdict", "inspect_file", "inspect_files"]

log = logging.getLogger(__name__)


_FIELDS = (
    "path verdict reasons size_bytes make model camera_code is_theta firmware width height "
    "progressive projection gpano theta_image_type date_taken datetime_original has_gps "
    "orientation exif_width exif_height has_embedded_thumbnail"
)
_DEFAULTS = ("", "", "", False, "", None, None, False, None, MappingProxyType({}), None, None,
             None, False, None, None, None, False)  # fmt: skip


class Inspection(namedtuple("Inspection", _FIELDS, defaults=_DEFAULTS)):
    """What inspect_file found: the verdict, its reasons (the first one is the headline
    shown on a tile) and the facts behind them.

    An immutable named tuple (a frozen dataclass costs ~5 ms more at every start of the
    command line: see jpeg_segments).
    """

    __slots__ = ()
    path: Path
    verdict: Verdict
    reasons: tuple[str, ...]
    size_bytes: int
    make: str
    model: str
    camera_code: str
    is_theta: bool
    firmware: str
    width: int | None
    height: int | None
    progressive: bool
    projection: str | None
    gpano: Mapping[str, str]
    theta_image_type: int | None
    date_taken: str | None
    datetime_original: str | None
    has_gps: bool
    orientation: int | None
    exif_width: int | None
    exif_height: int | None
    has_embedded_thumbnail: bool

    def __hash__(self) -> int:
        # Without gpano (a mapping is not hashable); equality still compares it.
        return hash((*self[:_GPANO], *self[_GPANO + 1 :]))

    def to_json(self) -> dict[str, object]:
        return {
            "path": printable_path(self.path),
            "verdict": self.verdict.value,
            "uploadable": self.verdict.uploadable,
            "reasons": list(self.reasons),
            "size_bytes": self.size_bytes,
            "make": self.make,
            "model": self.model,
            "camera_code": self.camera_code,
            "is_theta": self.is_theta,
            "firmware": self.firmware,
            "width": self.width,
            "height": self.height,
            "progressive": self.progressive,
            "projection": self.projection,
            "gpano": dict(self.gpano),
            "theta_image_type": self.theta_image_type,
            "date_taken": self.date_taken,
            "datetime_original": self.datetime_original,
            "has_gps": self.has_gps,
            "orientation": self.orientation,
            "exif_width": self.exif_width,
            "exif_height": self.exif_height,
            "has_embedded_thumbnail": self.has_embedded_thumbnail,
        }


_VERDICT, _GPANO = Inspection._fields.index("verdict"), Inspection._fields.index("gpano")


class _Rejected(Exception):
    """A reason to stop early; the file gets verdict `rejected`."""


def inspect_file(path: str | os.PathLike[str]) -> Inspection:
    """Inspect one file. Never raises for problems with the file: those become `rejected`."""
    file_path = path if isinstance(path, Path) else Path(path)
    size = 0
    try:
        size = _regular_file_size(file_path)
        return _inspect_jpeg(file_path, size)
    except _Rejected as rejected:
        return Inspection(file_path, Verdict.REJECTED, (str(rejected),), size)
    except OSError as error:
        reason = f"cannot read the file: {error.strerror or error}"
        return Inspection(file_path, Verdict.REJECTED, (reason,), size)
    except Exception:  # a bug here must not stop a batch: log it, reject this one file
        log.exception("inspection of %s failed", file_path)
        reason = "unexpected error while reading the file (details in the log)"
        return Inspection(file_path, Verdict.REJECTED, (reason,), size)


# inspect_files: batches big enough to be worth helper processes, and their chunks.
# Forked (Linux, from a single-threaded process): a fork costs ~1 ms, against ~0.08 ms a
# file (2 CPUs, `thetadesk check --json`: FORKED_MIN_FILES files are ~5 ms of work).
FORKED_MIN_FILES = 64
# Elsewhere (Windows, macOS, or a process with threads), each helper is a new interpreter
# in a multiprocessing pool: its modules (~20 ms to import), the start of each process and
# the parent's unpickling of their results cost more than they save below this.
PARALLEL_MIN_FILES_SPAWNED = 4096
CHUNK_FILES = 16  # a few ms of work: the last one a process is busy with ends soon
MAX_WORKERS = 8


def inspect_files(
    paths: Sequence[str | os.PathLike[str]], *, workers: int | None = None
) -> list[Inspection]:
    """inspect_file for each path, results in the same order.

    A big batch is shared with helper processes (one per idle extra CPU), in chunks: the
    helpers take chunks from the front, this process takes them from the back, each chunk
    claimed once, so the batch ends when they meet whatever the machine's load. A helper
    that cannot start or dies leaves its chunks to this process. `workers` (this process
    included) overrides the CPU count; 1 checks everything here.
    """
    if workers is None:
        workers = _parallel_workers(len(paths))
    if workers < 2 or len(paths) <= CHUNK_FILES:
        return [inspect_file(path) for path in paths]
    chunks = [paths[at : at + CHUNK_FILES] for at in range(0, len(paths), CHUNK_FILES)]
    if _fork_is_safe():
        return _inspect_forked(chunks, workers - 1)
    return _inspect_in_pool(chunks, workers - 1)


def _inspect_forked(
    chunks: list[Sequence[str | os.PathLike[str]]], helpers: int
) -> list[Inspection]:
    from thetadesk.core import forked_batch

    def here(chunk: Sequence[str | os.PathLike[str]]) -> list[Inspection]:
        return [inspect_file(path) for path in chunk]

    try:
        mine, theirs = forked_batch.share(chunks, here, _inspect_rows, helpers)
    except forked_batch.HelpersUnavailable:  # no processes here (a sandbox, a limit)
        log.warning("cannot start inspection helpers; checking in this process", exc_info=True)
        return [inspection for chunk in chunks for inspection in here(chunk)]
    results: list[Inspection] = []
    lost = 0
    for index, chunk in enumerate(chunks):
        if index in mine:
            results += mine[index]  # type: ignore[arg-type]
        elif index in theirs:
            rows: list[tuple[object, ...]] = theirs[index]  # type: ignore[assignment]
            results += [_from_worker(path, row) for path, row in zip(chunk, rows, strict=True)]
        else:  # a helper died with it
            lost += len(chunk)
            results += here(chunk)
    if lost:
        log.warning("an inspection helper failed; checked its %d files here", lost)
    return results


def _inspect_in_pool(
    chunks: list[Sequence[str | os.PathLike[str]]], processes: int
) -> list[Inspection]:
    try:
        pool, claims, futures = _start_pool(processes, chunks)
    except (OSError, RuntimeError, ValueError):  # no processes here (a sandbox, a limit)
        log.warning("cannot start inspection workers; checking in this process", exc_info=True)
        return [inspect_file(path) for chunk in chunks for path in chunk]
    results: list[list[Inspection] | None] = [None] * len(chunks)
    try:
        for index in range(len(chunks) - 1, -1, -1):
            if not _claim(claims, index):
                break  # a worker has it: the rest is theirs
            results[index] = [inspect_file(path) for path in chunks[index]]
        for index, future in enumerate(futures):
            if results[index] is None:
                results[index] = _chunk_result(future, chunks[index])
    except BaseException:
        # Interrupted (Ctrl-C): the workers ignore SIGINT; they skip every chunk not yet
        # started and the pool lets them go.
        with claims.get_lock():
            claims[:] = [1] * len(chunks)
        pool.shutdown(wait=False, cancel_futures=True)
        raise
    # Every chunk is done: the workers only exit. Waiting for them (a few ms) also ends the
    # pool's thread.
    pool.shutdown()
    return [inspection for chunk in results if chunk is not None for inspection in chunk]


def _parallel_workers(count: int) -> int:
    """Processes for a batch of `count` files: one per CPU that is not busy already (the
    load average says how many are), so a loaded machine is not given more to juggle."""
    threshold = FORKED_MIN_FILES if _fork_is_safe() else PARALLEL_MIN_FILES_SPAWNED
    if count < threshold:
        return 1
    cpus = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    cpus = min(cpus or 1, MAX_WORKERS)
    try:
        busy = os.getloadavg()[0]
    except (AttributeError, OSError):  # Windows has no load average
        busy = 0.0
    return max(1, min(cpus, round(cpus - busy) + 1))


def _fork_is_safe() -> bool:
    # Fork only a single-threaded process (the command line; never the window with its
    # engine and Qt threads), and only where fork is the platform's own (Linux).
    import threading

    return sys.platform.startswith("linux") and threading.active_count() == 1


def _start_pool(
    processes: int, chunks: list[Sequence[str | os.PathLike[str]]]
) -> tuple[
    ProcessPoolExecutor, SynchronizedArray[int], list[Future[list[tuple[object, ...]] | None]]
]:
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    context = multiprocessing.get_context("spawn")  # where fork is not safe (see above)
    claims = context.Array("b", len(chunks))  # 1: a process has taken the chunk
    pool = ProcessPoolExecutor(
        processes, mp_context=context, initializer=_worker_start, initargs=(claims,)
    )
    try:
        # Paths go as text, results come back as tuples of plain values: a Path or an
        # Inspection is several times slower to pickle and unpickle.
        futures = [
            pool.submit(_inspect_chunk, index, list(map(os.fspath, chunk)))
            for index, chunk in enumerate(chunks)
        ]
    except BaseException:
        pool.shutdown(wait=False, cancel_futures=True)
        raise
    return pool, claims, futures


def _claim(claims: SynchronizedArray[int], index: int) -> bool:
    with claims.get_lock():
        if claims[index]:
            return False
        claims[index] = 1
        return True


_worker_claims: SynchronizedArray[int] | None = None


def _worker_start(claims: SynchronizedArray[int]) -> None:
    import signal

    global _worker_claims
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the parent's to handle
    _worker_claims = claims


def _inspect_chunk(index: int, paths: list[str | bytes]) -> list[tuple[object, ...]] | None:
    """In a pool worker: _inspect_rows(paths); None when the parent process has taken the
    chunk."""
    if _worker_claims is None or not _claim(_worker_claims, index):
        return None
    return _inspect_rows(paths)


def _inspect_rows(paths: Sequence[str | os.PathLike[str]]) -> list[tuple[object, ...]]:
    """In a helper process: each file's inspection as plain values (marshallable, and
    several times quicker to pickle than an Inspection), path aside."""
    rows = []
    for path in paths:
        values = list(inspect_file(path))
        values[_VERDICT] = values[_VERDICT].value
        values[_GPANO] = dict(values[_GPANO])
        rows.append(tuple(values[1:]))
    return rows


def _from_worker(path: str | os.PathLike[str], row: Sequence[object]) -> Inspection:
    values = [path if isinstance(path, Path) else Path(path), *row]
    if len(values) != len(Inspection._fields):
        raise ValueError("an inspection row of another length")
    values[_VERDICT] = Verdict(values[_VERDICT])
    values[_GPANO] = MappingProxyType(values[_GPANO])  # type: ignore[arg-type]
    return Inspection._make(values)


def _chunk_result(
    future: Future[list[tuple[object, ...]] | None], chunk: Sequence[str | os.PathLike[str]]
) -> list[Inspection]:
    try:
        rows = future.result()
    except Exception:  # BrokenProcessPool (a worker died), or anything a worker raised
        log.warning("an inspection worker failed; checking its files here", exc_info=True)
        rows = None
    if rows is None:  # not reached unless the worker failed: this process never took it
        return [inspect_file(path) for path in chunk]
    return [_from_worker(path, row) for path, row in zip(chunk, rows, strict=True)]


def _regular_file_size(path: Path) -> int:
    try:
        info = os.stat(path)
    except FileNotFoundError:
        raise _Rejected("file not found") from None
    if stat.S_ISDIR(info.st_mode):
        raise _Rejected("this is a folder, not a photo file")
    if not stat.S_ISREG(info.st_mode):
        # Opening a FIFO or a device could block or never end.
        raise _Rejected("not a regular file")
    if info.st_size == 0:
        raise _Rejected("empty file (zero bytes)")
    return info.st_size


def _read_jpeg(stream: BinaryIO, size: int) -> JpegHeader:
    """The header segments of a JPEG whose end marker is there, else _Rejected."""
    prefix = stream.read(WINDOW_BYTES)
    if not is_jpeg(prefix[:SNIFF_BYTES]):
        head = prefix[:DESCRIBE_BYTES] + stream.read(DESCRIBE_BYTES - len(prefix))
        raise _Rejected(f"not a JPEG: this is {describe_non_jpeg(head)}")
    try:
        header = read_header(stream, size, prefix)
    except JpegStructureError as error:
        raise _Rejected(str(error)) from None
    assert header.frame is not None  # read_header guarantees a frame before SOS
    over_cap = verdict_rules.pixel_cap_reason(header.frame.width, header.frame.height)
    if over_cap:
        raise _Rejected(over_cap)
    if size <= len(prefix):
        ends = ends_with_end_marker(prefix[:size])
    else:
        ends = has_end_marker(stream, size)
    if not ends:
        raise _Rejected("truncated file: the JPEG end marker is missing (incomplete copy?)")
    return header


def _inspect_jpeg(path: Path, size: int) -> Inspection:
    # Read-only, always. Unbuffered: the header comes in one read of a window (a THETA
    # header fits), the end in another, with no copy through a buffer in between.
    with open(path, "rb", buffering=0) as stream:
        header = _read_jpeg(stream, size)
    frame = header.frame
    assert frame is not None  # read_header guarantees a frame before SOS
    exif = parse_exif(header.exif) if header.exif is not None else ExifInfo()
    xmp = read_xmp(header.xmp, header.extended_xmp)
    ricoh = exif.ricoh
    model = clean_model(exif.model)
    facts = verdict_rules.Facts(
        width=frame.width,
        height=frame.height,
        model=model,
        is_theta=is_theta_model(model),
        theta_image_type=ricoh.theta_image_type if ricoh else None,
        gpano=xmp.gpano,
        exif_width=exif.pixel_width,
        exif_height=exif.pixel_height,
        orientation=exif.orientation,
    )
    judgement = verdict_rules.judge(facts)
    notes = [*header.notes, *exif.problems, *xmp.problems]
    reasons = (*judgement.reasons, *notes)
    if not all(reason.isprintable() for reason in reasons):
        reasons = tuple(_printable(reason) for reason in reasons)
    return Inspection(
        path=path,
        verdict=judgement.verdict,
        reasons=reasons,
        size_bytes=size,
        make=clean_model(exif.make),
        model=model,
        camera_code=camera_code(model, ricoh.serial if ricoh else None),
        is_theta=facts.is_theta,
        firmware=clean_model(exif.software),
        width=frame.width,
        height=frame.height,
        progressive=frame.progressive,
        projection=xmp.gpano.get("ProjectionType"),
        gpano=MappingProxyType(dict(xmp.gpano)),
        theta_image_type=facts.theta_image_type,
        date_taken=verdict_rules.date_from_exif(exif.datetime_original),
        datetime_original=exif.datetime_original,
        has_gps=exif.has_gps,
        orientation=exif.orientation,
        exif_width=exif.pixel_width,
        exif_height=exif.pixel_height,
        has_embedded_thumbnail=exif.thumbnail is not None,
    )


def printable_path(path: str | os.PathLike[str]) -> str:
    """The path as text that can always be encoded, printed or put in JSON.

    A Linux name that is not valid UTF-8 decodes to lone surrogates, which no UTF-8 writer
    accepts: its bad bytes become backslash escapes instead (as the upload queue shows them).
    """
    return os.fsencode(path).decode("utf-8", "backslashreplace")


def _printable(text: str) -> str:
    # Reasons quote values from the file; a damaged one must not put control bytes on a tile.
    if text.isprintable():
        return text
    return "".join(char if char.isprintable() else "?" for char in text)
