"""Section 4: resident memory per queued file, and while uploading THETA X-size photos.

- Queued: the window (section 2's child) filled with batches of growing size; resident
  memory once every tile has its thumbnail and verdict, less the idle window's. A straight
  line through (files, growth) gives the cost per queued file; the largest batch's growth
  beyond that line says whether anything else grows with the batch.
- The engine alone (what the CLI holds): the same for the queue rows in the engine's
  process.
- Uploading 11008×5504 files (real scans of about 11 MB) through the window, signed in:
  peak resident memory (VmHWM) over the idle window, for two batch sizes.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from benchmarks.corpus import build_batch
from benchmarks.grid import run_window
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


def child(argv: list[str]) -> None:
    """Engine only: resident memory before and after queueing a folder."""
    folder, db = argv

    def rss_kb() -> int:
        with open("/proc/self/status", encoding="ascii") as status:
            for line in status:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1])
        return 0

    from thetadesk.core.api import Image360Client
    from thetadesk.core.engine import UploadEngine
    from thetadesk.core.queue_store import QueueStore
    from thetadesk.core.scan import find_photos

    store = QueueStore(db)
    engine = UploadEngine(store, Image360Client("http://127.0.0.1:9"), "tutorial")
    files = find_photos([folder])
    before = rss_kb()
    engine.enqueue(files)
    items = engine.items()
    print(json.dumps({"before_kb": before, "after_kb": rss_kb(), "items": len(items)}))


def _fit(points: list[tuple[int, float]]) -> tuple[float, float]:
    """Least-squares slope and intercept."""
    n = len(points)
    mean_x = sum(x for x, _ in points) / n
    mean_y = sum(y for _, y in points) / n
    sxx = sum((x - mean_x) ** 2 for x, _ in points) or 1.0
    slope = sum((x - mean_x) * (y - mean_y) for x, y in points) / sxx
    return slope, mean_y - slope * mean_x


def run_section(work: Path, scale: Scale, rounds: int) -> Section:
    section = Section("4. Memory")
    largest = max(scale.memory_batches)
    pool = build_batch(work / "pool", largest, "small")
    growth: dict[int, list[float]] = {}
    peaks: dict[int, list[float]] = {}
    engine_growth: dict[int, list[float]] = {}
    for batch in scale.memory_batches:
        folder = work / f"batch-{batch}"
        folder.mkdir()
        for path in pool[:batch]:
            (folder / path.name).hardlink_to(path)
        for number in range(rounds):
            result = run_window("fill", folder, work / f"home-{batch}-{number}")
            growth.setdefault(batch, []).append(
                (int(result["after_kb"]) - int(result["idle_kb"])) * 1024  # type: ignore[call-overload]
            )
            peaks.setdefault(batch, []).append(
                (int(result["peak_kb"]) - int(result["idle_kb"])) * 1024  # type: ignore[call-overload]
            )
            data = run_child(
                "benchmarks.memory",
                [str(folder), str(work / f"engine-{batch}-{number}.sqlite3")],
                child_env(work / f"home-engine-{batch}-{number}"),
            )
            engine_growth.setdefault(batch, []).append(
                (int(data["after_kb"]) - int(data["before_kb"])) * 1024  # type: ignore[call-overload]
            )
    points = [(batch, median(values)) for batch, values in growth.items()]
    slope, intercept = _fit(points)
    for batch in scale.memory_batches:
        section.add(
            f"window with {batch:,} files queued: growth over the idle window", "MB",
            [value / 1e6 for value in growth[batch]], higher_is_better=False,
            note=f"{median(growth[batch]) / batch / 1e3:.1f} KB per file; peak during the "
            f"fill +{median(peaks[batch]) / 1e6:.0f} MB",
        )  # fmt: skip
    section.add("window: cost per queued file (slope through the batches)", "KB",
                [slope / 1e3], higher_is_better=False)  # fmt: skip
    beyond = points[-1][1] - (slope * points[-1][0] + intercept)
    section.add(
        f"window: growth at {largest:,} files beyond the per-file line", "MB", [beyond / 1e6],
        target="≈ 0 (no growth beyond the per-row cost)", met=abs(beyond) < 0.05 * points[-1][1]
        + 2e6, higher_is_better=False,
    )  # fmt: skip
    engine_points = [(batch, median(values)) for batch, values in engine_growth.items()]
    engine_slope, _ = _fit(engine_points)
    section.add("engine alone (CLI): cost per queued file", "KB", [engine_slope / 1e3],
                higher_is_better=False)  # fmt: skip

    # Uploading 11008×5504 photos through the window.
    x_files = build_batch(work / "x-all", scale.x_files, "x", start=50_000)
    x_size = sum(path.stat().st_size for path in x_files) / len(x_files) / 1e6
    half = max(1, scale.x_files // 2)
    batches = {half: x_files[:half], scale.x_files: x_files}
    with production_server(work / "server") as url:
        access, refresh = sign_in(url)
        for count, files in batches.items():
            folder = work / f"x-{count}"
            folder.mkdir()
            for path in files:
                (folder / path.name).hardlink_to(path)
            values = []
            for number in range(rounds):
                delete_all_photos(url, access)
                result = run_window("upload", folder, work / f"home-x-{count}-{number}",
                                    (url, access, refresh))  # fmt: skip
                if result["states"] != {"uploaded": count}:
                    raise RuntimeError(f"upload of X-size files ended with {result['states']}")
                values.append((int(result["peak_kb"]) - int(result["idle_kb"])) * 1024)  # type: ignore[call-overload]
            section.add(
                f"window uploading {count} files of 11008×5504 ({x_size:.1f} MB each): peak "
                "over the idle window", "MB", [v / 1e6 for v in values],
                higher_is_better=False,
            )  # fmt: skip
        delete_all_photos(url, access)
    return section


if __name__ == "__main__":
    sys.path.insert(0, str(ROOT))
    child(sys.argv[1:])
