"""Build the frozen thetadesk on Linux with build_installer.spec and prove it works.

    python installer/build_linux.py                 # build into dist/, check, upload a sample
    python installer/build_linux.py --skip-build    # check an existing dist/thetadesk again

Windows and macOS are built by installer/windows/build.ps1 and installer/macos/build.sh on
their own machines; this script is how the same spec is exercised here. Steps:

1. PyInstaller with build_installer.spec (the Python running this script must have the
   app and PyInstaller installed: `pip install -e .[installer]`).
2. Look inside the bundle: no server code (django, rest_framework, image360_server), only
   the allowed PySide6 modules and Qt plugins.
3. `thetadesk-cli --self-test` from an unrelated folder with a scrubbed environment.
4. Start-up time: the best of a few runs of `--version` and `--self-test`.
5. Start the reference server (`python -m image360_server --port 0 --demo`, from
   `pip install -e server`), make a synthetic THETA JPEG, upload it with the frozen CLI and
   find it, byte for byte (sha256), in `thetadesk-cli list --json`.

Prints a summary; `--report FILE` also writes it as JSON. Exit 0 when every step passed.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Sequence
from pathlib import Path
from typing import IO, Any

ROOT = Path(__file__).resolve().parent.parent
SPEC = ROOT / "build_installer.spec"
DEMO_USER = "tutorial"
DEMO_PASSWORD = "theta360DotGuide"  # the public playground's demo account, not a secret
SERVER_READY_TIMEOUT = 90.0
COMMAND_TIMEOUT = 120.0

# What must never be in the bundle, as any path component under _internal/: the server...
FORBIDDEN_NAMES = {"django", "rest_framework", "rest_framework_simplejwt", "image360_server"}
# ...and big packages the app does not use that a development venv may hold.
UNUSED_NAMES = {"yaml", "tkinter", "pytest", "_pytest"}
ALLOWED_PYSIDE6_MODULES = {"QtCore", "QtGui", "QtWidgets", "QtSvg"}
ALLOWED_QT_PLUGINS = {
    "platforms": {"qoffscreen", "qxcb"},
    "imageformats": {"qjpeg", "qsvg", "qico"},
    "iconengines": {"qsvgicon"},
    "platformthemes": {"qxdgdesktopportal"},
    "platforminputcontexts": None,
    "xcbglintegrations": None,
}


class StepFailed(Exception):
    """One step's one-line reason to stop."""


def log(message: str) -> None:
    print(f"[build_linux] {message}", flush=True)


def run(
    command: Sequence[str],
    *,
    cwd: Path,
    env: dict[str, str] | None = None,
    stdin: str | None = None,
    timeout: float = COMMAND_TIMEOUT,
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        list(command),
        cwd=cwd,
        env=env,
        input=stdin,
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def must(result: subprocess.CompletedProcess[str], what: str) -> subprocess.CompletedProcess[str]:
    if result.returncode != 0:
        tail = "\n".join((result.stdout + result.stderr).splitlines()[-25:])
        raise StepFailed(f"{what} exited {result.returncode}:\n{tail}")
    return result


# -- 1. build -----------------------------------------------------------------------------------


def build(dist: Path, work: Path, log_file: Path) -> float:
    try:
        import PyInstaller  # noqa: F401
    except ImportError:
        raise StepFailed(
            f"PyInstaller is not installed for {sys.executable}: pip install -e '.[installer]'"
        ) from None
    command = [
        sys.executable,
        "-m",
        "PyInstaller",
        "--noconfirm",
        "--clean",
        "--log-level=WARN",
        "--distpath",
        str(dist),
        "--workpath",
        str(work),
        str(SPEC),
    ]
    log(f"building: {' '.join(command)}")
    started = time.perf_counter()
    with log_file.open("w", encoding="utf-8") as out:
        result = subprocess.run(command, cwd=ROOT, stdout=out, stderr=subprocess.STDOUT)
    seconds = time.perf_counter() - started
    if result.returncode != 0:
        tail = "\n".join(log_file.read_text(encoding="utf-8").splitlines()[-30:])
        raise StepFailed(f"PyInstaller failed (full log: {log_file}):\n{tail}")
    log(f"built in {seconds:.1f} s (log: {log_file})")
    return seconds


# -- 2. what is in the bundle -------------------------------------------------------------------


def bundle_size(folder: Path) -> tuple[int, int]:
    """Bytes and number of regular files, symlinks not followed (what an archive would hold)."""
    total = count = 0
    for path in folder.rglob("*"):
        if path.is_file() and not path.is_symlink():
            total += path.stat().st_size
            count += 1
    return total, count


def inspect_bundle(app_dir: Path) -> dict[str, Any]:
    internal = app_dir / "_internal"
    for name in ("thetadesk", "thetadesk-cli"):
        if not os.access(app_dir / name, os.X_OK):
            raise StepFailed(f"{app_dir / name} is missing or not executable")
    forbidden = sorted(
        str(path.relative_to(app_dir))
        for path in internal.rglob("*")
        if FORBIDDEN_NAMES & {part.lower() for part in path.relative_to(internal).parts}
        or path.name.lower().startswith(("django-", "djangorestframework"))
    )
    if forbidden:
        raise StepFailed(f"server code in the bundle: {', '.join(forbidden[:10])}")
    unused = sorted(p.name for p in internal.iterdir() if p.name.lower() in UNUSED_NAMES)
    if unused:
        raise StepFailed(f"packages the app does not use in the bundle: {', '.join(unused)}")

    pyside = internal / "PySide6"
    modules = {p.name.split(".", 1)[0] for p in pyside.glob("Qt*") if p.is_file()}
    extra_modules = sorted(modules - ALLOWED_PYSIDE6_MODULES)
    if extra_modules:
        raise StepFailed(f"PySide6 modules the app does not use: {', '.join(extra_modules)}")

    plugins: dict[str, list[str]] = {}
    for plugin in sorted((pyside / "Qt" / "plugins").rglob("*.so")):
        kind = plugin.parent.name
        stem = plugin.name.split(".", 1)[0].removeprefix("lib")
        allowed = ALLOWED_QT_PLUGINS.get(kind, set())
        if allowed is not None and stem not in allowed:
            raise StepFailed(f"unexpected Qt plugin {plugin.relative_to(app_dir)}")
        plugins.setdefault(kind, []).append(stem)
    for kind, stem in [
        ("platforms", "qoffscreen"),
        ("platforms", "qxcb"),
        ("imageformats", "qjpeg"),
    ]:
        if stem not in plugins.get(kind, []):
            raise StepFailed(f"Qt plugin {kind}/{stem} is missing")

    size, files = bundle_size(app_dir)
    log(f"bundle: {size / 2**20:.1f} MiB in {files} files; PySide6 modules {sorted(modules)}")
    return {"bundle_bytes": size, "bundle_files": files, "qt_plugins": plugins}


# -- 3. and 4. self-test and start-up time ------------------------------------------------------


def frozen_env(home: Path) -> dict[str, str]:
    """The environment a user's shell would give: no venv, no repo on the path, no display."""
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("PYTHON", "VIRTUAL_ENV", "QT_", "PYTEST", "THETADESK_"))
    }
    env.pop("DISPLAY", None)
    env.pop("WAYLAND_DISPLAY", None)
    env["HOME"] = str(home)
    env["XDG_CONFIG_HOME"] = str(home / ".config")
    env["XDG_DATA_HOME"] = str(home / ".local" / "share")
    env["XDG_CACHE_HOME"] = str(home / ".cache")
    env["XDG_STATE_HOME"] = str(home / ".local" / "state")
    return env


def self_test(cli: Path, cwd: Path, env: dict[str, str]) -> str:
    result = must(run([str(cli), "--self-test"], cwd=cwd, env=env), "thetadesk-cli --self-test")
    print(result.stdout, end="", flush=True)
    if "self-test passed" not in result.stdout:
        raise StepFailed("the self-test exited 0 without saying it passed")
    return result.stdout


def startup_seconds(command: list[str], cwd: Path, env: dict[str, str], runs: int) -> float:
    """Best of `runs` wall-clock times (the first run also warms the page cache)."""
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        must(run(command, cwd=cwd, env=env), " ".join(Path(c).name for c in command))
        times.append(time.perf_counter() - started)
    return min(times)


# -- 5. upload through the frozen CLI -----------------------------------------------------------


def _drain(stream: IO[str], sink: list[str]) -> None:
    for line in stream:
        sink.append(line)


class LocalServer:
    """The image360 reference server on a free loopback port, with a throwaway data folder."""

    def __init__(self, data_dir: Path) -> None:
        self.data_dir = data_dir
        self.output: list[str] = []
        self.process: subprocess.Popen[str] | None = None
        self.url = ""

    def __enter__(self) -> LocalServer:
        command = [
            sys.executable,
            "-m",
            "image360_server",
            "--host",
            "127.0.0.1",
            "--port",
            "0",
            "--data-dir",
            str(self.data_dir),
            "--demo",
        ]
        self.process = subprocess.Popen(
            command, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
        )
        assert self.process.stdout is not None
        ready = threading.Event()

        def read() -> None:
            assert self.process is not None and self.process.stdout is not None
            for line in self.process.stdout:
                self.output.append(line)
                if line.startswith("READY ") and not ready.is_set():
                    self.url = line.split()[1]
                    ready.set()

        threading.Thread(target=read, daemon=True).start()
        if not ready.wait(SERVER_READY_TIMEOUT):
            self.__exit__()
            raise StepFailed("the server did not print READY:\n" + "".join(self.output[-20:]))
        return self

    def __exit__(self, *exc_info: object) -> None:
        if self.process is None:
            return
        self.process.terminate()
        try:
            self.process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(timeout=15)


def make_sample(folder: Path) -> Path:
    sys.path.insert(0, str(ROOT))
    try:
        from tests.support.theta_fixtures import make_theta_jpeg
    finally:
        sys.path.remove(str(ROOT))
    sample = folder / "frozen-build-sample.jpg"
    make_theta_jpeg(sample, model="RICOH THETA X", width=512, height=256, seed=7)
    return sample


def upload_sample(cli: Path, cwd: Path, env: dict[str, str], work: Path) -> dict[str, Any]:
    try:
        import image360_server  # noqa: F401
    except ImportError:
        raise StepFailed(
            f"the reference server is not installed for {sys.executable}: pip install -e server"
        ) from None
    sample = make_sample(work)
    digest = hashlib.sha256(sample.read_bytes()).hexdigest()
    must(run([str(cli), "check", str(sample)], cwd=cwd, env=env), "thetadesk-cli check")
    with LocalServer(work / "server-data") as server:
        log(f"server at {server.url}")
        connection = ["--server", server.url, "--username", DEMO_USER, "--password-stdin"]
        upload = must(
            run(
                [str(cli), "upload", *connection, str(sample)],
                cwd=cwd,
                env=env,
                stdin=DEMO_PASSWORD + "\n",
            ),
            "thetadesk-cli upload",
        )
        print(upload.stdout, end="", flush=True)
        listing = must(
            run(
                [str(cli), "list", *connection, "--json"],
                cwd=cwd,
                env=env,
                stdin=DEMO_PASSWORD + "\n",
            ),
            "thetadesk-cli list --json",
        )
    photos = json.loads(listing.stdout)
    matches = [p for p in photos if p.get("sha256") == digest]
    if not matches:
        raise StepFailed(f"the sample (sha256 {digest[:12]}...) is not in the list: {photos}")
    photo = matches[0]
    if photo.get("title") != sample.stem:
        raise StepFailed(f"uploaded with title {photo.get('title')!r}, expected {sample.stem!r}")
    log(
        f"uploaded and listed: id {photo.get('id')}, {photo.get('size_bytes')} bytes, "
        f"camera_model {photo.get('camera_model')!r}"
    )
    return {"uploaded_id": photo.get("id"), "camera_model": photo.get("camera_model")}


# -- main ---------------------------------------------------------------------------------------


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dist", type=Path, default=ROOT / "dist", help="PyInstaller distpath")
    parser.add_argument("--work", type=Path, default=ROOT / "build", help="PyInstaller workpath")
    parser.add_argument("--skip-build", action="store_true", help="check an existing build")
    parser.add_argument("--skip-upload", action="store_true", help="no server round trip")
    parser.add_argument("--runs", type=int, default=5, help="start-up timing runs (best of)")
    parser.add_argument("--report", type=Path, help="also write the summary as JSON here")
    args = parser.parse_args(argv)
    if not sys.platform.startswith("linux"):
        parser.error("this script builds on Linux; see installer/windows and installer/macos")

    report: dict[str, Any] = {"ok": False}
    started = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="thetadesk-frozen-") as tmp:
        tmp_dir = Path(tmp)
        try:
            args.work.mkdir(parents=True, exist_ok=True)
            if not args.skip_build:
                report["build_seconds"] = round(
                    build(args.dist, args.work, args.work / "pyinstaller.log"), 1
                )
            app_dir = args.dist / "thetadesk"
            if not app_dir.is_dir():
                raise StepFailed(f"no build at {app_dir}")
            report.update(inspect_bundle(app_dir))

            cli = (app_dir / "thetadesk-cli").resolve()
            home = tmp_dir / "home"
            home.mkdir()
            env = frozen_env(home)
            report["self_test"] = self_test(cli, tmp_dir, env)
            report["startup_version_seconds"] = round(
                startup_seconds([str(cli), "--version"], tmp_dir, env, args.runs), 3
            )
            report["startup_self_test_seconds"] = round(
                startup_seconds([str(cli), "--self-test"], tmp_dir, env, args.runs), 3
            )
            if not args.skip_upload:
                report.update(upload_sample(cli, tmp_dir, env, tmp_dir))
            report["ok"] = True
        except (StepFailed, subprocess.TimeoutExpired) as exc:
            report["error"] = str(exc)
            log(f"FAILED: {exc}")
    report["total_seconds"] = round(time.perf_counter() - started, 1)

    if report["ok"]:
        log("summary:")
        if "build_seconds" in report:
            log(f"  build time           {report['build_seconds']:.1f} s")
        log(
            f"  bundle size          {report['bundle_bytes'] / 2**20:.1f} MiB "
            f"({report['bundle_files']} files)"
        )
        best_of = f"best of {args.runs}"
        log(f"  start-up --version   {report['startup_version_seconds']:.2f} s ({best_of})")
        log(f"  start-up --self-test {report['startup_self_test_seconds']:.2f} s")
        log(f"  total                {report['total_seconds']:.1f} s")
    if args.report:
        args.report.parent.mkdir(parents=True, exist_ok=True)
        args.report.write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
    return 0 if report["ok"] else 1


if __name__ == "__main__":
    raise SystemExit(main())
