"""Run every thetadesk benchmark (issue 6) and report the numbers side by side.

    python3 benchmarks/run_all.py                  # all sections, 5 rounds each
    python3 benchmarks/run_all.py --write-results  # also append the run to RESULTS.md
    python3 benchmarks/run_all.py --quick          # tiny batches, 1 round: does it work?
    python3 benchmarks/run_all.py --only check,upload --rounds 3

It re-runs itself with the project's .venv (made by scripts/dev.py when missing), and needs
exiftool (Debian: libimage-exiftool-perl; installed with apt-get when run as root on a
Debian-like system, else it stops and says so) and curl. Sections:

1. check: `thetadesk check` over 500 files vs `exiftool -fast` vs the floor (benchmarks/check.py)
2. grid: 2,000 files dropped on the window until every tile has a thumbnail and a verdict,
   and the longest main-thread stall then and during a 200-file upload (benchmarks/grid.py)
3. upload: thetadesk vs curl to the server run with gunicorn, one stream and parallel
   (benchmarks/upload.py)
4. memory: resident memory per queued file, and while uploading 11008×5504 files
   (benchmarks/memory.py)
5. startup: the app to its window shown, and a one-file `thetadesk check` (benchmarks/startup.py)

Not part of the test suite: the suite never times anything (tests/benchmarks only checks
that this harness runs).
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
VENV = Path(os.environ.get("THETADESK_VENV", ROOT / ".venv"))
SECTIONS = ("check", "grid", "upload", "memory", "startup")


def _in_venv() -> bool:
    return Path(sys.prefix).resolve() == VENV.resolve()


def _reexec_in_venv() -> None:
    """Run this script again with the project's virtual environment's Python."""
    sys.path.insert(0, str(ROOT / "scripts"))
    import dev  # scripts/dev.py: creates or refreshes .venv

    python = dev.ensure_venv()
    os.execv(str(python), [str(python), str(Path(__file__).resolve()), *sys.argv[1:]])


def ensure_tools(need_exiftool: bool) -> None:
    """exiftool (installed from Debian's packages when we may) and curl."""
    if need_exiftool and shutil.which("exiftool") is None:
        if os.name == "posix" and os.geteuid() == 0 and shutil.which("apt-get"):
            print("Installing exiftool (libimage-exiftool-perl) with apt-get", flush=True)
            env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
            subprocess.run(["apt-get", "update", "-qq"], check=True, env=env)
            subprocess.run(
                ["apt-get", "install", "-y", "-qq", "libimage-exiftool-perl"], check=True, env=env
            )
        if shutil.which("exiftool") is None:
            sys.exit(
                "benchmarks need exiftool: install it (Debian/Ubuntu: "
                "apt-get install libimage-exiftool-perl; macOS: brew install exiftool)"
            )
    if shutil.which("curl") is None:
        sys.exit("benchmarks need curl (Debian/Ubuntu: apt-get install curl)")


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", default=",".join(SECTIONS), help="comma-separated sections")
    parser.add_argument("--rounds", type=int, default=5, help="measurements per number")
    parser.add_argument("--quick", action="store_true", help="tiny batches, one round")
    parser.add_argument("--write-results", action="store_true", help="append to RESULTS.md")
    parser.add_argument("--keep", type=Path, help="build the batches here and keep them")
    args = parser.parse_args(argv)
    only = [name.strip() for name in args.only.split(",") if name.strip()]
    unknown = set(only) - set(SECTIONS)
    if unknown:
        parser.error(f"unknown sections: {', '.join(sorted(unknown))}")
    if not _in_venv() and not os.environ.get("THETADESK_BENCH_NO_VENV"):
        _reexec_in_venv()
    ensure_tools(need_exiftool="check" in only)

    sys.path.insert(0, str(ROOT))
    from benchmarks import report
    from benchmarks.harness import load_average, machine

    rounds = 1 if args.quick else args.rounds
    scale = report.Scale.quick() if args.quick else report.Scale.full()
    started = time.time()
    load_before = load_average()
    work = args.keep or Path(tempfile.mkdtemp(prefix="thetadesk-bench-"))
    work.mkdir(parents=True, exist_ok=True)
    sections = []
    try:
        for name in only:
            print(f"== {name}", flush=True)
            section_started = time.time()
            module = __import__(f"benchmarks.{name}", fromlist=["run_section"])
            section = module.run_section(work / name, scale, rounds)
            sections.append(section)
            print(report.section_table(section), flush=True)
            print(f"({time.time() - section_started:.0f} s)", flush=True)
    finally:
        if args.keep is None:
            shutil.rmtree(work, ignore_errors=True)
    run = report.Run(
        date=dt.datetime.now().strftime("%Y-%m-%d %H:%M"),
        command="python3 benchmarks/run_all.py" + (" " + " ".join(argv) if argv else ""),
        machine=machine(),
        load=(load_before, load_average()),
        seconds=time.time() - started,
        rounds=rounds,
        sections=sections,
        scale=scale,
    )
    text = report.render(run)
    print(text)
    if args.write_results:
        report.append_to_results(text)
        print(f"appended to {report.RESULTS}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
