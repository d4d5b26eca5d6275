"""Batch sizes of a run, and the Markdown report written to the console and RESULTS.md."""

from __future__ import annotations

from dataclasses import dataclass

from benchmarks.harness import ROOT, Row, Section, fmt

RESULTS = ROOT / "benchmarks" / "RESULTS.md"
HEADING = "## Fast at any batch size: check, grid, upload, memory, start-up (issue 6)"
INTRO = """
`python3 benchmarks/run_all.py --write-results` (needs curl and exiftool; as root on Debian
it installs exiftool itself; it makes or reuses `.venv` through scripts/dev.py). Each run
builds its own real-format THETA batches (fixture EXIF, Ricoh MakerNote, GPano XMP, embedded
thumbnail; a real 5376×2688 or 11008×5504 scan where the size matters), starts the
reference server with gunicorn, and reports every number as the median of its rounds with
the largest deviation of a round ("noise"). The machine is shared: the load average at the
start and end of the run is printed with it. What each section measures is in the docstring
of its module (benchmarks/check.py, grid.py, upload.py, memory.py, startup.py).
"""


@dataclass(frozen=True)
class Scale:
    """How many files each section uses (the issue's numbers, or tiny ones for --quick)."""

    check_files: int
    grid_files: int
    grid_upload_files: int
    upload_files: int
    memory_batches: tuple[int, ...]
    x_files: int

    @classmethod
    def full(cls) -> Scale:
        return cls(500, 2000, 200, 40, (500, 1000, 2000), 6)

    @classmethod
    def quick(cls) -> Scale:
        return cls(12, 30, 6, 3, (10, 20), 2)


@dataclass
class Run:
    date: str
    command: str
    machine: dict[str, str]
    load: tuple[float, float]
    seconds: float
    rounds: int
    sections: list[Section]
    scale: Scale


def _verdict(row: Row) -> str:
    if row.met is None:
        return ""
    return "**met**" if row.met else "**missed**"


def section_table(section: Section) -> str:
    lines = [
        f"### {section.title}",
        "",
        "| measurement | median | noise | target | |",
        "|---|---:|---:|---|---|",
    ]
    for row in section.rows:
        name = row.name + (f" ({row.note})" if row.note else "")
        lines.append(
            f"| {name} | {fmt(row.median, row.unit)} | {row.spread} | {row.target} "
            f"| {_verdict(row)} |"
        )
    if section.notes:
        lines.append("")
        lines.extend(f"- {note}" for note in section.notes)
    return "\n".join(lines) + "\n"


def render(run: Run) -> str:
    m = run.machine
    head = [
        f"### Run of {run.date}",
        "",
        f"`{run.command}` at commit {m['commit']} ({run.seconds / 60:.1f} min; every number "
        "is the median of "
        f"{run.rounds} round{'s' if run.rounds != 1 else ''}, noise is the largest distance "
        "of a round from the median).",
        "",
        f"Machine: {m['cpus']} CPUs ({m['cpu']}), {m['memory']} memory, {m['os']}; "
        f"Python {m['python']}, PySide6 {m['pyside6']} (Qt {m['qt']}), exiftool "
        f"{m['exiftool']}, curl {m['curl']}. Load average (1 min) {run.load[0]:.1f} at the "
        f"start, {run.load[1]:.1f} at the end.",
        "",
    ]
    body = [section_table(section) for section in run.sections]
    return "\n".join(head) + "\n" + "\n".join(body)


def append_to_results(text: str) -> None:
    """Add this run under the issue's heading (made once), after what others wrote."""
    current = RESULTS.read_text(encoding="utf-8") if RESULTS.exists() else "# Benchmark results\n"
    if HEADING not in current:
        current = current.rstrip("\n") + "\n\n" + HEADING + "\n" + INTRO
    start = current.index(HEADING) + len(HEADING)
    # The end of this section: the next level-2 heading (another benchmark's), or the end.
    end = current.find("\n## ", start)
    end = len(current) if end < 0 else end + 1
    before, after = current[:end].rstrip("\n"), current[end:]
    updated = before + "\n\n" + text.rstrip("\n") + "\n" + ("\n" + after if after else "")
    RESULTS.write_text(updated, encoding="utf-8")
