"""The `thetadesk` command end to end, as a subprocess, against the real server process."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.support.theta_fixtures import make_theta_jpeg
from thetadesk.core.api import Image360Client
from thetadesk.core.errors import ApiError

ROOT = Path(__file__).resolve().parents[2]
SAMPLES = ROOT.parent / "shared" / "samples"
DEMO_USER, DEMO_PASSWORD = "tutorial", "theta360DotGuide"


def run_cli(*args: str, password: str | None = DEMO_PASSWORD, stdin: str | None = None):
    env = {k: v for k, v in os.environ.items() if not k.startswith("THETADESK_")}
    if password is not None:
        env["THETADESK_PASSWORD"] = password
    return subprocess.run(
        [sys.executable, "-m", "thetadesk", *args],
        capture_output=True,
        text=True,
        env=env,
        input=stdin,
        timeout=120,
        cwd=ROOT,
    )


def connection(server) -> list[str]:
    return ["--server", server.url, "--username", DEMO_USER]


@pytest.fixture
def server(server_factory, tmp_path):
    """A fresh server per test, so photo lists start empty."""
    return server_factory()


@pytest.fixture
def batch(tmp_path: Path) -> dict[str, Path]:
    folder = tmp_path / "roll"
    folder.mkdir()
    return {
        "v": make_theta_jpeg(folder / "R0000001.JPG", model="RICOH THETA V", seed=1),
        "s": make_theta_jpeg(folder / "R0000002.JPG", model="RICOH THETA S", seed=2),
        "no_gpano": make_theta_jpeg(
            folder / "R0000003.JPG", model="RICOH THETA", gpano=False, seed=3
        ),
        "fisheye": make_theta_jpeg(folder / "R0000004.JPG", image_type=2, gpano=False, seed=4),
    }


def signed_in_client(server) -> Image360Client:
    client = Image360Client(server.url)
    client.sign_in(DEMO_USER, DEMO_PASSWORD)
    return client


def test_check_json_gives_a_verdict_per_file_and_fails_on_a_bad_one(batch):
    result = run_cli("check", "--json", str(batch["v"].parent))
    assert result.returncode == 1, result.stderr
    verdicts = {Path(item["path"]).name: item["verdict"] for item in json.loads(result.stdout)}
    assert verdicts == {
        "R0000001.JPG": "ok",
        "R0000002.JPG": "ok",
        "R0000003.JPG": "warning",
        "R0000004.JPG": "rejected",
    }
    assert "not uploadable" in result.stderr.strip().splitlines()[-1]


def test_check_of_good_files_exits_zero(batch):
    result = run_cli("check", str(batch["v"]), str(batch["s"]))
    assert result.returncode == 0, result.stderr
    assert "2 files: 2 ok" in result.stdout


def test_upload_sends_only_uploadable_files_then_list_and_delete(server, batch):
    result = run_cli("upload", *connection(server), str(batch["v"].parent))
    assert result.returncode == 1  # the fisheye file was not sent
    assert "3 of 4 files uploaded" in result.stdout
    assert "stitch" in result.stdout  # the rejected file says why

    photos = signed_in_client(server).list_photos()
    assert sorted(p["title"] for p in photos) == ["R0000001", "R0000002", "R0000003"]
    assert sorted(p["camera_model"] for p in photos) == ["", "S", "V"]
    assert {p["date_taken"] for p in photos} == {"2024-05-06"}

    listed = run_cli("list", "--json", *connection(server))
    assert listed.returncode == 0, listed.stderr
    assert sorted(p["id"] for p in json.loads(listed.stdout)) == sorted(p["id"] for p in photos)

    victim = photos[0]["id"]
    deleted = run_cli("delete", *connection(server), str(victim))
    assert deleted.returncode == 0, deleted.stderr
    remaining = {p["id"] for p in signed_in_client(server).list_photos()}
    assert victim not in remaining and len(remaining) == 2


def test_a_photo_with_gps_is_warned_of_unless_it_goes_private(server, tmp_path):
    located = make_theta_jpeg(tmp_path / "R0000011.JPG", seed=11)
    unlocated = make_theta_jpeg(tmp_path / "R0000012.JPG", gps=False, seed=12)
    again = make_theta_jpeg(tmp_path / "R0000014.JPG", seed=14)
    public = run_cli("upload", *connection(server), str(located), str(unlocated), str(again))
    assert public.returncode == 0, public.stderr
    warnings = [line for line in public.stderr.splitlines() if "GPS" in line]
    assert len(warnings) == 1  # once a run, not once a photo
    assert warnings[0].startswith("thetadesk: warning: ")
    assert str(located) in warnings[0] or str(again) in warnings[0]
    assert "publishes where it was taken; --private keeps" in warnings[0]
    private_copy = make_theta_jpeg(tmp_path / "R0000013.JPG", seed=13)
    private = run_cli("upload", *connection(server), "--private", str(private_copy))
    assert private.returncode == 0, private.stderr
    assert "GPS" not in private.stderr
    public_of = {p["title"]: p["is_public"] for p in signed_in_client(server).list_photos()}
    assert public_of == {"R0000011": True, "R0000012": True, "R0000013": False, "R0000014": True}


def test_the_gps_warning_is_for_photos_that_will_be_sent(server, tmp_path):
    # 2:1 from a phone, with a GPS position: held for review unless included.
    phone = make_theta_jpeg(
        tmp_path / "IMG_0001.JPG", model="Pixel 8", gpano=False, image_type=None, seed=31
    )
    held = run_cli("upload", *connection(server), str(phone))
    assert held.returncode == 1 and "GPS" not in held.stderr
    sent = run_cli("upload", *connection(server), "--include-needs-review", str(phone))
    assert sent.returncode == 0, sent.stderr
    assert "GPS position) is sent publicly" in sent.stderr


@pytest.mark.skipif(sys.platform == "win32", reason="Windows names cannot hold these")
def test_control_characters_in_a_name_reach_the_terminal_escaped(tmp_path):
    name = "a\x1b]0;pwned\x07\x1b[31mred\nline.JPG"
    make_theta_jpeg(tmp_path / name, seed=21)
    result = run_cli("check", str(tmp_path))
    assert result.returncode == 0, result.stderr
    assert "\x1b" not in result.stdout and "\x07" not in result.stdout
    [line] = [line for line in result.stdout.splitlines() if "pwned" in line]
    assert line.startswith("ok ") and "a\\x1b]0;pwned\\x07\\x1b[31mred\\nline.JPG" in line
    # --json keeps the real name: JSON escapes it, and a script gets the path back.
    data = json.loads(run_cli("check", "--json", str(tmp_path)).stdout)
    assert [Path(row["path"]).name for row in data] == [name]


def test_uploaded_bytes_are_the_original_file(server, batch):
    assert run_cli("upload", *connection(server), str(batch["v"])).returncode == 0
    client = signed_in_client(server)
    (photo,) = client.list_photos()
    downloaded = client.session.get(photo["image"], timeout=30).content
    assert downloaded == batch["v"].read_bytes()


def test_password_from_stdin_and_wrong_password_gives_one_line(server, batch):
    ok = run_cli(
        "list", *connection(server), "--password-stdin", password=None, stdin=DEMO_PASSWORD + "\n"
    )
    assert ok.returncode == 0, ok.stderr
    bad = run_cli("list", *connection(server), "--password-stdin", password=None, stdin="wrong\n")
    assert bad.returncode == 2
    assert bad.stderr.strip() == (
        "thetadesk: sign-in failed: No active account found with the given credentials"
    )
    assert "wrong" not in bad.stderr + bad.stdout


def test_the_servers_field_errors_read_as_sentences(server, batch):
    empty = run_cli("list", *connection(server), "--password-stdin", password=None, stdin="\n")
    assert empty.returncode == 2
    assert (
        empty.stderr.strip() == "thetadesk: sign-in failed: Password: This field may not be blank."
    )
    # The same words reach a file's reason when the server refuses its fields.
    client = signed_in_client(server)
    with pytest.raises(ApiError) as refused:
        client.upload_photo(batch["v"], {"title": "v", "license_link": "not a link"})
    assert str(refused.value) == "License link: Enter a valid URL."


@pytest.mark.parametrize(
    ("option", "says"),
    [
        (["--parallel", "0"], "not a number from 1 to 8: '0'"),
        (["--parallel", "9"], "not a number from 1 to 8: '9'"),
        (["--parallel", "three"], "not a number from 1 to 8: 'three'"),
        (["--license-link", "notaurl"], "not a web address starting with https:// ('notaurl')"),
        (["--license-link", "https://[x"], "not a web address starting with https://"),
    ],
)
def test_bad_upload_options_are_usage_errors_before_any_sign_in(batch, unused_port, option, says):
    # The server address leads nowhere: a sign-in attempt would say "Cannot reach".
    result = run_cli(
        "upload", "--server", f"http://127.0.0.1:{unused_port}", "--username", DEMO_USER,
        *option, str(batch["v"]),
    )  # fmt: skip
    assert result.returncode == 2
    assert says in result.stderr
    assert "Traceback" not in result.stderr and "Cannot reach" not in result.stderr


@pytest.mark.parametrize(
    ("server_address", "says"),
    [
        ("not a url", "thetadesk: Not a server address: 'not a url'"),
        ("https://example.invalid:port", "thetadesk: Not a server address: "),
        ("https://[::1", "thetadesk: Not a server address: 'https://[::1'"),
        ("http://[abc]:80", "thetadesk: Not a server address: 'http://[abc]:80'"),
    ],
)
def test_a_server_address_that_is_not_one_says_so(batch, server_address, says):
    result = run_cli("list", "--server", server_address, "--username", DEMO_USER)
    assert result.returncode == 2
    assert result.stderr.startswith(says), result.stderr


def test_a_server_address_with_a_path_too_much_says_to_check_it(server):
    result = run_cli("list", "--server", server.url.rstrip("/") + "/api/", "--username", DEMO_USER)
    assert result.returncode == 2
    assert "has no image360 sign-in (api/token/ answered 404 Not Found)" in result.stderr
    assert "check the server address" in result.stderr


def test_deleting_a_photo_that_is_not_there_says_so_and_goes_on(server, batch):
    assert run_cli("upload", *connection(server), str(batch["v"])).returncode == 0
    [photo] = signed_in_client(server).list_photos()
    result = run_cli("delete", *connection(server), "99999", str(photo["id"]))
    assert result.returncode == 1
    assert f"no photo 99999 of yours on {server.url}" in result.stderr
    assert f"deleted {photo['id']}" in result.stdout
    assert signed_in_client(server).list_photos() == []


def test_an_empty_path_is_refused_rather_than_the_current_folder_checked(batch):
    result = run_cli("check", "")
    assert result.returncode == 2
    assert result.stderr.strip() == "thetadesk: an empty path was given"


def test_unreachable_server_is_one_line_exit_2(batch, unused_port):
    result = run_cli("list", "--server", f"http://127.0.0.1:{unused_port}", "--username", DEMO_USER)
    assert result.returncode == 2
    assert result.stderr.startswith("thetadesk: Cannot reach http://127.0.0.1:")
    assert len(result.stderr.strip().splitlines()) == 1


def test_plain_http_to_a_remote_host_is_refused(batch):
    result = run_cli("list", "--server", "http://example.invalid", "--username", DEMO_USER)
    assert result.returncode == 2
    assert "Refusing plain http://" in result.stderr


def test_a_password_in_the_server_address_is_refused_and_not_repeated(batch):
    """It would otherwise appear in every message that names the server (and in logs)."""
    for server in ("https://me:s3cret-pw@example.invalid", "ftp://me:s3cret-pw@example.invalid"):
        result = run_cli("list", "--server", server, "--username", DEMO_USER)
        assert result.returncode == 2
        assert "holds a user name or password" in result.stderr
        assert "s3cret-pw" not in result.stderr + result.stdout


@pytest.mark.samples
def test_the_six_real_samples_upload_as_the_table_says(server, tmp_path):
    if not SAMPLES.is_dir():
        pytest.skip(f"real camera samples not found at {SAMPLES}")
    result = run_cli("upload", *connection(server), str(SAMPLES))
    assert result.returncode == 1, result.stderr  # two of six are not sendable
    photos = signed_in_client(server).list_photos()
    by_title = {p["title"]: p["camera_model"] for p in photos}
    assert by_title == {"R0014760": "V", "R0010290": "S", "room_5_5k": "X", "Ver1.10": ""}


@pytest.mark.parametrize(
    ("argv", "gui_args"),
    [
        ([], []),
        (["gui", "--server", "http://127.0.0.1:1"], ["--server", "http://127.0.0.1:1"]),
        (
            ["--server", "http://127.0.0.1:1", "--username", "u"],
            ["--server", "http://127.0.0.1:1", "--username", "u"],
        ),
    ],
)
def test_no_command_or_window_options_open_the_window(monkeypatch, argv, gui_args):
    import thetadesk.gui.app
    from thetadesk import cli

    seen: list[list[str]] = []
    monkeypatch.setattr(thetadesk.gui.app, "main", lambda args: seen.append(list(args)) or 0)
    assert cli.main(argv) == 0
    assert seen == [gui_args]
