"""Fast checks of the installer sources: what can be verified without building anything.

The slow test_frozen_build.py builds for real; the Windows and macOS scripts can only run
on their own systems (the workflow does that), so here they are held to the properties the
issue asks for.
"""

from __future__ import annotations

import ast
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from PIL import Image

import thetadesk

ROOT = Path(__file__).resolve().parents[2]
ISS = ROOT / "installer" / "windows" / "thetadesk.iss"
SPEC = ROOT / "build_installer.spec"


def _load_script(name: str):
    """Import a script in installer/ as a module without running its main()."""
    sys.path.insert(0, str(ROOT / "installer"))
    try:
        return __import__(name)
    finally:
        sys.path.remove(str(ROOT / "installer"))


# -- Inno Setup script --------------------------------------------------------------------------


def _iss_sections() -> dict[str, list[str]]:
    sections: dict[str, list[str]] = {}
    current = ""
    for raw in ISS.read_text(encoding="ascii").splitlines():
        line = raw.strip()
        if not line or line.startswith(";") or line.startswith("#"):
            continue
        header = re.fullmatch(r"\[(\w+)\]", line)
        if header:
            current = header.group(1)
            sections[current] = []
        else:
            sections.setdefault(current, []).append(line)
    return sections


def test_iss_is_a_per_user_install_without_admin_rights() -> None:
    setup = dict(line.split("=", 1) for line in _iss_sections()["Setup"])
    assert setup["PrivilegesRequired"] == "lowest"
    assert "PrivilegesRequiredOverridesAllowed" not in setup  # no way to elevate into it
    assert setup["DefaultDirName"].startswith(("{localappdata}\\Programs\\", "{autopf}\\"))
    assert setup.get("Uninstallable", "yes") == "yes"
    assert re.fullmatch(r"\{\{[0-9A-F]{8}(-[0-9A-F]{4}){3}-[0-9A-F]{12}\}", setup["AppId"])
    assert "{#AppVersion}" in setup["OutputBaseFilename"]
    assert setup["AppVersion"] == "{#AppVersion}"
    assert setup["SetupIconFile"].endswith("resources\\thetadesk.ico")
    assert (ROOT / "resources" / "thetadesk.ico").is_file()


def test_iss_puts_the_app_in_the_start_menu_and_installs_the_whole_folder() -> None:
    sections = _iss_sections()
    icons = sections["Icons"]
    assert any(
        i.startswith('Name: "{autoprograms}\\') and '"{app}\\{#AppExeName}"' in i for i in icons
    )
    files = sections["Files"]
    assert any("recursesubdirs" in f and '"{#SourceDir}\\*"' in f for f in files)


def test_iss_refuses_to_compile_without_a_version() -> None:
    text = ISS.read_text(encoding="ascii")
    assert re.search(r"#ifndef AppVersion\s*\n\s*#error", text)


def test_build_ps1_passes_the_defines_the_iss_needs() -> None:
    text = (ROOT / "installer" / "windows" / "build.ps1").read_text(encoding="utf-8")
    assert '"/DAppVersion=$Version"' in text and '"/DSourceDir=$AppDir"' in text
    assert "--self-test" in text.split("ISCC")[0]  # the frozen app is tested before packaging


# -- spec ---------------------------------------------------------------------------------------


def _spec_functions(*names: str) -> dict:
    """Functions defined in the spec, run on their own (the spec itself needs PyInstaller)."""
    tree = ast.parse(SPEC.read_text(encoding="utf-8"), filename=str(SPEC))
    nodes = [n for n in tree.body if isinstance(n, ast.FunctionDef) and n.name in names]
    assert sorted(n.name for n in nodes) == sorted(names)
    namespace: dict = {"ROOT": ROOT, "re": re}
    exec(compile(ast.Module(nodes, []), str(SPEC), "exec"), namespace)  # noqa: S102
    return namespace


def test_spec_reads_the_package_version_as_text() -> None:
    assert _spec_functions("read_version")["read_version"]() == thetadesk.__version__


@pytest.mark.parametrize(
    ("version", "numbers"),
    [("0.1.0", (0, 1, 0)), ("1.2.0rc1", (1, 2, 0)), ("2.10.dev3", (2, 10)), ("3", (3,))],
)
def test_spec_version_fields_never_rank_a_prerelease_above_its_release(
    version: str, numbers: tuple[int, ...]
) -> None:
    assert _spec_functions("release_numbers")["release_numbers"](version) == numbers


# -- icons --------------------------------------------------------------------------------------


def test_committed_icons_hold_every_size() -> None:
    with Image.open(ROOT / "resources" / "thetadesk.ico") as ico:
        assert {(s, s) for s in (16, 24, 32, 48, 256)} <= ico.info["sizes"]
    with Image.open(ROOT / "resources" / "thetadesk.icns") as icns:
        assert (512, 512, 2) in icns.info["sizes"] and (16, 16, 2) in icns.info["sizes"]


def test_make_icons_from_the_svg(tmp_path: Path, qapp) -> None:
    make_icons = _load_script("make_icons")
    ico, icns = make_icons.make_icons(ROOT / "resources" / "thetadesk.svg", tmp_path)
    with Image.open(ico) as image:
        assert {(s, s) for s in make_icons.ICO_SIZES} == image.info["sizes"]
        image.size = (16, 16)
        image.load()
        # Drawn at 16 px, not a blank or transparent square.
        assert image.convert("RGBA").getextrema()[3][1] == 255
    with Image.open(icns) as image:
        assert (512, 512, 2) in image.info["sizes"]


# -- Linux build checker ------------------------------------------------------------------------


def _fake_bundle(root: Path, *extra: str) -> Path:
    app = root / "thetadesk"
    internal = app / "_internal"
    plugins = internal / "PySide6" / "Qt" / "plugins"
    for name in ("thetadesk", "thetadesk-cli"):
        (app / name).parent.mkdir(parents=True, exist_ok=True)
        (app / name).write_text("#!/bin/sh\n")
        (app / name).chmod(0o755)
    files = [
        "PySide6/QtCore.abi3.so",
        "PySide6/QtGui.abi3.so",
        "PySide6/Qt/plugins/platforms/libqoffscreen.so",
        "PySide6/Qt/plugins/platforms/libqxcb.so",
        "PySide6/Qt/plugins/imageformats/libqjpeg.so",
        *extra,
    ]
    for rel in files:
        path = internal / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(b"x" * 10)
    assert plugins.is_dir()
    return app


def test_bundle_inspection_accepts_a_clean_bundle(tmp_path: Path) -> None:
    build_linux = _load_script("build_linux")
    report = build_linux.inspect_bundle(_fake_bundle(tmp_path))
    assert report["bundle_files"] == 7 and report["bundle_bytes"] == 5 * 10 + 2 * 10


@pytest.mark.parametrize(
    ("extra", "reason"),
    [
        ("django/__init__.pyc", "server code"),
        ("rest_framework/apps.pyc", "server code"),
        ("image360_server/cli.pyc", "server code"),
        ("Django-5.2.dist-info/METADATA", "server code"),
        ("yaml/__init__.pyc", "packages the app does not use in the bundle: yaml"),
        ("PySide6/QtNetwork.abi3.so", "PySide6 modules the app does not use: QtNetwork"),
        ("PySide6/Qt/plugins/imageformats/libqpdf.so", "unexpected Qt plugin"),
    ],
)
def test_bundle_inspection_rejects(tmp_path: Path, extra: str, reason: str) -> None:
    build_linux = _load_script("build_linux")
    with pytest.raises(build_linux.StepFailed, match=reason):
        build_linux.inspect_bundle(_fake_bundle(tmp_path, extra))


# -- macOS script -------------------------------------------------------------------------------


def test_macos_build_script_parses() -> None:
    script = ROOT / "installer" / "macos" / "build.sh"
    subprocess.run(["bash", "-n", str(script)], check=True)
    if shutil.which("shellcheck"):
        result = subprocess.run(["shellcheck", str(script)], capture_output=True, text=True)
        assert result.returncode == 0, result.stdout
