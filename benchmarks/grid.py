"""Section 2: the window under a big drop. Also the child process sections 4 and 5 reuse.

A fresh interpreter opens the real MainWindow (Qt's offscreen platform unless
QT_QPA_PLATFORM says otherwise), waits until it is shown, starts a heartbeat (a 5 ms
precise QTimer on the GUI thread: the longest gap between two ticks, less 5 ms, is the
longest stall a user would feel), then drops the files on the window the way a file manager
does (one QDropEvent carrying one URL per file, through the window's own dropEvent) and
measures until:

- fill: every file has a tile with a thumbnail and a verdict (`PhotoModel.rows`), also
  noting when the last tile appeared and when the engine finished checking every file,
  and the CPU the fill took (the window's process, per thread where /proc tells, and its
  check processes, counted when they end with the window);
- upload (signed in to a server): every file is uploaded.

It prints one JSON line: times, stalls, and resident memory (idle window, after, peak).
"""

from __future__ import annotations

import json
import os
import sys
import time
from pathlib import Path

from benchmarks.corpus import build_batch
from benchmarks.harness import (
    ROOT,
    Section,
    child_env,
    delete_all_photos,
    median,
    production_server,
    run_child,
    sign_in,
)
from benchmarks.report import Scale

HEARTBEAT_MS = 5
TIMEOUT_S = 600.0


def _rss_kb(field: str = "VmRSS") -> int:
    with open("/proc/self/status", encoding="ascii") as status:
        for line in status:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    return 0


def _thread_cpu() -> dict[str, float]:
    """CPU seconds of each thread of this process so far (Linux; {} elsewhere), keyed by
    the Python thread's name where there is one, else the OS's thread name."""
    import threading

    names = {t.native_id: t.name for t in threading.enumerate()}
    ticks = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100
    found: dict[str, float] = {}
    try:
        tasks = os.listdir("/proc/self/task")
    except OSError:
        return found
    for task in tasks:
        try:
            with open(f"/proc/self/task/{task}/stat", encoding="ascii", errors="replace") as f:
                stat = f.read()
        except OSError:
            continue
        comm = stat[stat.index("(") + 1 : stat.rindex(")")]
        fields = stat[stat.rindex(")") + 2 :].split()
        seconds = (int(fields[11]) + int(fields[12])) / ticks
        name = names.get(int(task), comm)
        found[name] = round(found.get(name, 0.0) + seconds, 3)
    return found


def child(argv: list[str]) -> None:
    """fill FOLDER | upload FOLDER URL ACCESS REFRESH: open the window, drop, measure."""
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    mode, folder = argv[0], Path(argv[1])
    from PySide6.QtCore import QMimeData, QPointF, Qt, QTimer, QUrl
    from PySide6.QtGui import QDropEvent
    from PySide6.QtWidgets import QApplication

    from thetadesk.core.api import Image360Client
    from thetadesk.core.paths import AppPaths
    from thetadesk.gui.login_dialog import Session
    from thetadesk.gui.main_window import MainWindow
    from thetadesk.gui.photo_model import UploadState

    app = QApplication.instance() or QApplication([sys.argv[0]])
    files = sorted(folder.iterdir())
    session = None
    if mode == "upload":
        url, access, refresh = argv[2:5]
        client = Image360Client(url)
        client.tokens.set(access, refresh)
        session = Session(client, "tutorial", remember=False)
        # The batch's photos carry GPS positions, as THETA photos do; by default the window
        # holds public ones until the user confirms, which would stop the measured upload.
        from thetadesk.gui.settings import SettingsStore

        SettingsStore(AppPaths.default().settings_file).update(public_gps="send")
    window = MainWindow(session, paths=AppPaths.default())
    window.show()
    deadline = time.monotonic() + 30
    while not window.isVisible() or window.windowHandle() is None:
        app.processEvents()
        if time.monotonic() > deadline:
            raise RuntimeError("the window did not show")
    for _ in range(20):  # let start-up work (queue file, first paint) settle
        app.processEvents()
        time.sleep(0.01)
    idle_kb = _rss_kb()

    ticks: list[float] = []
    heartbeat = QTimer()
    heartbeat.setTimerType(Qt.TimerType.PreciseTimer)
    heartbeat.setInterval(HEARTBEAT_MS)
    heartbeat.timeout.connect(lambda: ticks.append(time.perf_counter()))

    marks: dict[str, float] = {}
    ended: dict[str, object] = {}
    count = len(files)
    started = 0.0
    # Rows done so far, per goal: a row once done stays done (thumbnails and verdicts are
    # not taken back; nothing goes back to checking), so each look starts where the last
    # stopped and the watcher costs the GUI thread next to nothing.
    done = {"thumbnails_and_verdicts": 0, "checked": 0, "uploaded": 0}
    goals = {
        "thumbnails_and_verdicts": lambda row: row.thumbnail is not None and bool(row.verdict),
        "checked": lambda row: row.state is not UploadState.CHECKING,
        "uploaded": lambda row: row.state is UploadState.UPLOADED,
    }

    def look() -> None:
        rows = window.model.rows
        now = time.perf_counter() - started
        if rows and "first_tile" not in marks:
            marks["first_tile"] = now
        if len(rows) < count:
            return
        marks.setdefault("all_tiles", now)
        for name, is_done in goals.items():
            if name == "uploaded" and mode != "upload":
                continue
            while done[name] < count and is_done(rows[done[name]]):
                done[name] += 1
            if done[name] == count:
                marks.setdefault(name, now)
        goal = "uploaded" if mode == "upload" else "thumbnails_and_verdicts"
        if goal in marks and "checked" in marks:
            # The fill (or upload) ends here: what quitting costs is no stall of it.
            heartbeat.stop()
            ticks.append(time.perf_counter())
            # Read here: the window stops its threads when the application quits.
            ended.update(cpu=os.times(), threads=_thread_cpu())
            app.quit()

    watcher = QTimer()
    watcher.setInterval(20)
    watcher.timeout.connect(look)
    give_up = QTimer()
    give_up.setSingleShot(True)
    give_up.timeout.connect(app.quit)

    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(path)) for path in files])
    drop = QDropEvent(
        QPointF(window.width() / 2, window.height() / 2),
        Qt.DropAction.CopyAction,
        mime,
        Qt.MouseButton.LeftButton,
        Qt.KeyboardModifier.NoModifier,
    )
    heartbeat.start()
    watcher.start()
    give_up.start(int(TIMEOUT_S * 1000))
    ticks.append(time.perf_counter())
    cpu_before = os.times()
    threads_before = _thread_cpu()
    started = time.perf_counter()
    window.dropEvent(drop)
    app.exec()
    if heartbeat.isActive():  # gave up before the goal
        heartbeat.stop()
        ticks.append(time.perf_counter())
    cpu_after = ended.get("cpu") or os.times()
    threads_after = ended.get("threads") or _thread_cpu()
    gaps = sorted((b - a) * 1000 for a, b in zip(ticks, ticks[1:], strict=False))
    # The longest gaps and when they began (seconds after the drop), to find their cause.
    worst = sorted(((b - a) * 1000, a - started) for a, b in zip(ticks, ticks[1:], strict=False))[
        -8:
    ]
    states: dict[str, int] = {}
    for row in window.model.rows:
        states[row.state.value] = states.get(row.state.value, 0) + 1
    after_kb = _rss_kb()
    result = {
        "files": count,
        "marks": marks,
        "longest_stall_ms": max(0.0, gaps[-1] - HEARTBEAT_MS) if gaps else None,
        "p99_gap_ms": gaps[int(len(gaps) * 0.99)] if gaps else None,
        "worst_gaps": [[round(gap, 1), round(at, 3)] for gap, at in reversed(worst)],
        "ticks": len(ticks),
        "states": states,
        "idle_kb": idle_kb,
        "after_kb": after_kb,
        "peak_kb": _rss_kb("VmHWM"),
        # CPU of the window's process from the drop to the goal (its check processes not
        # included: they are counted when they end, below).
        "cpu_s": round(
            (cpu_after.user - cpu_before.user) + (cpu_after.system - cpu_before.system), 3
        ),
        "thread_cpu_s": {
            name: round(seconds - threads_before.get(name, 0.0), 3)
            for name, seconds in threads_after.items()
            if seconds - threads_before.get(name, 0.0) >= 0.01
        },
    }
    window.shutdown(15_000)
    done_times = os.times()
    # The check processes have ended with the window: their CPU is the children's.
    result["children_cpu_s"] = round(done_times.children_user + done_times.children_system, 3)
    print(json.dumps(result))


def run_window(
    mode: str, folder: Path, home: Path, server: tuple[str, str, str] | None = None
) -> dict[str, object]:
    args = [mode, str(folder), *(server or ())]
    return run_child("benchmarks.grid", args, child_env(home), timeout=TIMEOUT_S + 60)


def run_section(work: Path, scale: Scale, rounds: int) -> Section:
    fill_folder = work / "drop"
    build_batch(fill_folder, scale.grid_files, "small")
    upload_folder = work / "upload"
    paths = build_batch(upload_folder, scale.grid_upload_files + 20, "small", start=10_000)
    from thetadesk.core.inspection import inspect_file

    kept = [p for p in paths if inspect_file(p).verdict.uploadable][: scale.grid_upload_files]
    for path in set(paths) - set(kept):
        path.unlink()

    section = Section(
        f"2. Grid fill: {scale.grid_files:,} files dropped on the window (offscreen), "
        f"then a {len(kept)}-file upload"
    )
    fills: list[dict[str, object]] = []
    uploads: list[dict[str, object]] = []
    for number in range(rounds):
        fills.append(run_window("fill", fill_folder, work / f"home-fill-{number}"))
    with production_server(work / "server") as url:
        access, refresh = sign_in(url)
        for number in range(rounds):
            delete_all_photos(url, access)
            uploads.append(
                run_window(
                    "upload", upload_folder, work / f"home-up-{number}", (url, access, refresh)
                )  # fmt: skip
            )

    def mark(results: list[dict[str, object]], name: str) -> list[float]:
        return [float(r["marks"][name]) for r in results if name in r["marks"]]  # type: ignore[index]

    filled = mark(fills, "thumbnails_and_verdicts")
    section.add("drop → first tile", "s", mark(fills, "first_tile"), higher_is_better=False)
    section.add("drop → every tile listed", "s", mark(fills, "all_tiles"), higher_is_better=False)
    section.add(
        "drop → every tile has a thumbnail and a verdict", "s", filled,
        target="< 2 s", met=len(filled) == len(fills) and median(filled) < 2,
        higher_is_better=False,
    )  # fmt: skip
    section.add(
        "drop → the engine has checked every file (hash + inspection)", "s",
        mark(fills, "checked"), higher_is_better=False,
    )  # fmt: skip
    stalls = [float(r["longest_stall_ms"]) for r in fills]  # type: ignore[arg-type]
    section.add(
        "longest GUI-thread stall during the fill", "ms", stalls, target="< 50 ms",
        met=median(stalls) < 50, higher_is_better=False,
    )  # fmt: skip
    per_file = [
        (float(r["cpu_s"]) + float(r["children_cpu_s"])) * 1000 / float(r["files"])  # type: ignore[arg-type]
        for r in fills
    ]
    section.add(
        "CPU per file during the fill (window process + its check processes)", "ms", per_file,
        higher_is_better=False,
    )  # fmt: skip
    gui_thread = [
        float(r["thread_cpu_s"].get("MainThread", 0.0))  # type: ignore[attr-defined]
        for r in fills
        if "thread_cpu_s" in r
    ]
    section.add("GUI thread CPU during the fill", "s", gui_thread, higher_is_better=False)
    sent = mark(uploads, "uploaded")
    section.add(f"drop → {len(kept)} files uploaded (signed in)", "s", sent,
                higher_is_better=False)  # fmt: skip
    upload_stalls = [float(r["longest_stall_ms"]) for r in uploads]  # type: ignore[arg-type]
    section.add(
        f"longest GUI-thread stall during the {len(kept)}-file upload", "ms", upload_stalls,
        target="< 50 ms", met=median(upload_stalls) < 50, higher_is_better=False,
    )  # fmt: skip
    incomplete = [r for r in fills + uploads if "checked" not in r["marks"]]  # type: ignore[operator]
    if incomplete:
        section.notes.append(f"{len(incomplete)} run(s) did not finish within {TIMEOUT_S:.0f} s")
    section.notes.append(
        "Files: the fixture's THETA structure (EXIF, MakerNote, GPano, a 320×160 embedded "
        "thumbnail as THETA V, Z1 and X write) at 64×32 pixels, so the fill measures the app, "
        "not the disk; the heartbeat is a 5 ms precise QTimer on the GUI thread."
    )
    return section


if __name__ == "__main__":
    sys.path.insert(0, str(ROOT))
    child(sys.argv[1:])
