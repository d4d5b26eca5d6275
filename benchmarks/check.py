"""Section 1: check throughput over a batch, against exiftool and against the floor.

Four ways to read the same facts from the same files, in rounds (one of each per round, so
a change in the machine's load hits all four alike):

- thetadesk in-process: what `thetadesk check` does after start-up (find_photos, then
  inspect_files: with 64 files or more and more than one idle CPU, helper processes
  forked for the batch share its chunks with the calling process, their start-up
  included),
  timed in a fresh interpreter after one warm-up pass;
- thetadesk CLI: `thetadesk check --json DIR` as a process, output to /dev/null, start-up
  included, twice: from this checkout (the development .venv, whose editable installs add
  ~10 ms to every interpreter start, with whatever PYTHONDONTWRITEBYTECODE says), and
  installed as users get it: the package alone in a virtual environment's site-packages
  with its bytecode compiled, as pip leaves a wheel (and the installer its bundle);
- exiftool: one `exiftool -fast -json` process for the whole folder, asked for the same
  facts (make, model, firmware, orientation, date, EXIF and frame pixel size, coding process,
  GPS, the Ricoh MakerNote, every GPano property, the embedded thumbnail);
- the floor: plain Python in one process that lists the folder, opens each file, reads
  every header segment up to the start of scan and the file's last 4 KB, and parses
  nothing: the I/O any checker must do.

The page cache is warm for all four (the files were just written, or read by the round
before).
"""

from __future__ import annotations

import compileall
import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

from benchmarks.corpus import build_batch
from benchmarks.harness import ROOT, Section, child_env, median, run_child
from benchmarks.report import Scale

EXIFTOOL_TAGS = [
    "-Make", "-Model", "-Software", "-Orientation", "-DateTimeOriginal",
    "-ExifImageWidth", "-ExifImageHeight", "-ImageWidth", "-ImageHeight", "-EncodingProcess",
    "-GPSLatitude", "-GPSLongitude", "-Ricoh:all", "-XMP-GPano:all", "-ThumbnailLength",
]  # fmt: skip
SAMPLES = ROOT.parent / "shared" / "samples"
REAL_THETA = ("R0014760.JPG", "R0010290.JPG")  # THETA V and S stills, when the folder is there


def floor_read(path: str) -> int:
    """Read the header segments and the last 4 KB, parse nothing; return bytes read."""
    with open(path, "rb") as stream:
        size = os.fstat(stream.fileno()).st_size
        if stream.read(2) != b"\xff\xd8":
            return 2
        total = 2
        while True:
            head = stream.read(4)
            if len(head) < 4 or head[0] != 0xFF:
                break
            total += 4 + len(stream.read(((head[2] << 8) | head[3]) - 2))
            if head[1] == 0xDA:  # start of scan: the header ends here
                break
        stream.seek(max(0, size - 4096))
        return total + len(stream.read(4096))


def floor_batch(folder: str) -> int:
    names = sorted(os.listdir(folder))
    return sum(floor_read(os.path.join(folder, name)) for name in names)


def _thetadesk_batch(folder: str) -> int:
    # What `thetadesk check` runs after start-up (cli._inspect_paths), output aside.
    from thetadesk.core.inspection import inspect_files
    from thetadesk.core.scan import find_photos

    return len(inspect_files(find_photos([folder])))


def _thetadesk_one_process(folder: str) -> int:
    # The same with every file inspected in this process: the comparison with the floor
    # (also one process) core for core.
    from thetadesk.core.inspection import inspect_files
    from thetadesk.core.scan import find_photos

    return len(inspect_files(find_photos([folder]), workers=1))


def child(argv: list[str]) -> None:
    """In a fresh interpreter: one warm-up pass, then the timed one; print seconds."""
    what, folder = argv[0], argv[1]
    if what.startswith("thetadesk"):
        started_import = time.perf_counter()
        import thetadesk.core.inspection  # noqa: F401
        import thetadesk.core.scan  # noqa: F401

        import_seconds = time.perf_counter() - started_import
        batch = _thetadesk_batch if what == "thetadesk" else _thetadesk_one_process
    else:
        import_seconds = 0.0
        batch = floor_batch
    batch(folder)
    workers = 1
    if what == "thetadesk":  # what inspect_files decides now (CPUs, load average)
        from thetadesk.core.inspection import _parallel_workers

        workers = _parallel_workers(len(os.listdir(folder)))
    started = time.perf_counter()
    batch(folder)
    seconds = time.perf_counter() - started
    print(json.dumps({"seconds": seconds, "import": import_seconds, "workers": workers}))


def per_file_costs() -> dict[str, tuple[float, float]]:
    """Microseconds per call of inspect_file and of the floor on the real THETA stills."""
    from thetadesk.core.inspection import inspect_file

    costs = {}
    for name in REAL_THETA:
        path = SAMPLES / name
        if not path.exists():
            continue
        result = []
        for function in (inspect_file, floor_read):
            best = float("inf")
            for _ in range(5):
                started = time.perf_counter()
                for _ in range(200):
                    function(str(path) if function is floor_read else path)
                best = min(best, (time.perf_counter() - started) / 200)
            result.append(best * 1e6)
        costs[name] = (result[0], result[1])
    return costs


def installed_copy(where: Path) -> Path:
    """thetadesk as pip installs its wheel: the package in a new virtual environment's
    site-packages, bytecode compiled; its dependencies are this .venv's (a path entry, so
    the editable installs' start-up hooks there do not run). Returns its Python."""
    shutil.rmtree(where, ignore_errors=True)  # a kept one from an earlier run (--keep)
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(where)], check=True)
    python = where / ("Scripts/python.exe" if os.name == "nt" else "bin/python")
    site = subprocess.run(
        [str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
        capture_output=True, text=True, check=True,
    ).stdout.strip()  # fmt: skip
    package = Path(site) / "thetadesk"
    shutil.copytree(ROOT / "thetadesk", package, ignore=shutil.ignore_patterns("__pycache__"))
    if not compileall.compile_dir(package, quiet=1):
        raise RuntimeError("could not compile the installed copy")
    import sysconfig

    (Path(site) / "thetadesk-dependencies.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    return python


def run_section(work: Path, scale: Scale, rounds: int) -> Section:
    count = scale.check_files
    folder = work / "photos"
    build_batch(folder, count, "v")
    size_mb = sum(p.stat().st_size for p in folder.iterdir()) / count / 1e6
    section = Section(
        f"1. Check throughput ({count} THETA files of 5376×2688, {size_mb:.1f} MB each)"
    )
    env = child_env(work / "home")
    exiftool = shutil.which("exiftool")
    thetadesk_cli = [sys.executable, "-m", "thetadesk", "check", "--json", str(folder)]
    installed = [str(installed_copy(work / "installed")), "-m", "thetadesk", "check", "--json"]
    installed.append(str(folder))
    # The installed copy's own site-packages, not this checkout (-m looks in the working
    # folder first, and child_env points PYTHONPATH here).
    installed_env = {key: value for key, value in env.items() if key != "PYTHONPATH"}
    exiftool_cmd = [exiftool or "exiftool", "-fast", "-json", "-q", *EXIFTOOL_TAGS, str(folder)]
    times: dict[str, list[float]] = {
        "inproc": [], "serial": [], "cli": [], "installed": [], "exiftool": [], "floor": []
    }  # fmt: skip
    processes = []  # how many processes inspect_files used in each round
    for _ in range(rounds):
        measured = run_child("benchmarks.check", ["thetadesk", str(folder)], env)
        times["inproc"].append(float(measured["seconds"]))
        processes.append(str(measured["workers"]))
        times["serial"].append(
            float(run_child("benchmarks.check", ["thetadesk-serial", str(folder)], env)["seconds"])
        )
        times["floor"].append(
            float(run_child("benchmarks.check", ["floor", str(folder)], env)["seconds"])
        )
        for key, command, cwd, run_env in (
            ("cli", thetadesk_cli, ROOT, env),
            ("installed", installed, work, installed_env),
            ("exiftool", exiftool_cmd, ROOT, env),
        ):
            if key == "exiftool" and exiftool is None:
                continue
            started = time.perf_counter()
            completed = subprocess.run(
                command, cwd=cwd, env=run_env, stdout=subprocess.DEVNULL,
                stderr=subprocess.PIPE, check=False,
            )  # fmt: skip
            times[key].append(time.perf_counter() - started)
            # `thetadesk check` exits 1 when some files are not uploadable (the batch has a few).
            if completed.returncode not in (0, 1):
                raise RuntimeError(f"{command[:4]} failed: {completed.stderr.decode()[-2000:]}")

    rate = {key: [count / s for s in runs] for key, runs in times.items()}

    def ratio(a: str, b: str) -> list[float]:
        return [x / y for x, y in zip(rate[a], rate[b], strict=True)] if rate[b] else []

    section.add(
        f"thetadesk check, in-process (find + inspect; processes by round: {', '.join(processes)})",
        "files/s", rate["inproc"],
    )  # fmt: skip
    section.add("the same in one process (find + inspect)", "files/s", rate["serial"])
    section.add(
        "thetadesk check --json, CLI process from this checkout (start-up included)",
        "files/s", rate["cli"],
    )  # fmt: skip
    section.add(
        "thetadesk check --json, CLI process installed (bytecode compiled, as from a wheel)",
        "files/s", rate["installed"],
    )  # fmt: skip
    section.add("exiftool -fast -json, one batch process", "files/s", rate["exiftool"])
    section.add("floor: header segments + last 4 KB, plain Python", "files/s", rate["floor"])
    for key, name in (("installed", "installed CLI"), ("cli", "CLI from this checkout")):
        cli_x = ratio(key, "exiftool")
        section.add(
            f"{name} ÷ exiftool", "×", cli_x, target="≥ 20×",
            met=bool(cli_x) and median(cli_x) >= 20,
        )  # fmt: skip
    section.add("in-process ÷ exiftool", "×", ratio("inproc", "exiftool"))
    # The floor reads on one CPU: the target is judged core for core, so that helper
    # processes on the other CPUs cannot hide how much slower the parsing is than reading.
    section.add(
        "floor ÷ in-process (with its helpers on the other CPUs)", "×",
        [f / t for f, t in zip(rate["floor"], rate["inproc"], strict=True)],
        higher_is_better=False,
    )  # fmt: skip
    floor_x = [f / t for f, t in zip(rate["floor"], rate["serial"], strict=True)]
    section.add(
        "floor ÷ one process (core for core: how far from the floor)", "×", floor_x,
        target="≤ 3×", met=median(floor_x) <= 3, higher_is_better=False,
    )  # fmt: skip
    costs = json.loads(
        subprocess.run(
            [
                sys.executable,
                "-c",
                "import json, benchmarks.check as c; print(json.dumps(c.per_file_costs()))",
            ],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
            check=True,
        ).stdout  # fmt: skip
    )
    for name, (inspect_us, floor_us) in costs.items():
        section.add(
            f"real THETA still {name}: inspect_file vs floor (best of 5)",
            "µs/file", [inspect_us],
            note=f"floor {floor_us:.0f} µs, ratio {inspect_us / floor_us:.1f}×",
            higher_is_better=False,
        )  # fmt: skip
    if exiftool is None:
        section.notes.append("exiftool is not installed: its row is empty.")
    return section


if __name__ == "__main__":
    child(sys.argv[1:])
