"""Settings: declared once, kept in an INI file (never a token), the dialog with its server
presets, what the window does with them, signing out and in again."""

from __future__ import annotations

from dataclasses import replace

import pytest

from tests.gui.helpers import (
    DEMO_USER,
    OFFSCREEN_SIZE_HINTS,
    all_final,
    drop,
    file_urls,
    sign_in,
    state_of,
)
from tests.support.keychain import MemoryKeychain
from thetadesk.core.credentials import SERVICE, CredentialStore, account_key
from thetadesk.gui import login_dialog, settings_dialog
from thetadesk.gui.photo_model import UploadState
from thetadesk.gui.settings import DEMO_SERVER, LOCAL_SERVER, AppSettings, SettingsStore, title_for
from thetadesk.gui.settings_dialog import SettingsChoice, SettingsDialog

pytestmark = pytest.mark.qt_log_ignore(OFFSCREEN_SIZE_HINTS)


def test_settings_round_trip_through_the_file_and_bad_values_fall_back(tmp_path):
    store = SettingsStore(tmp_path / "settings.ini")
    assert store.load() == AppSettings()  # no file yet: the defaults
    chosen = replace(
        AppSettings(),
        server_url="https://photos.example",
        username="ana",
        parallel_uploads=5,
        needs_review="reject",
        title_pattern="{folder} {n}",
        public=False,
        remember_me=False,
    )
    store.save(chosen)
    assert SettingsStore(tmp_path / "settings.ini").load() == chosen
    text = (tmp_path / "settings.ini").read_text()
    assert "photos.example" in text and "token" not in text.lower()
    # A hand-edited file: what is valid is kept, the rest is the default.
    text = text.replace("parallel_uploads=5", "parallel_uploads=99")
    (tmp_path / "settings.ini").write_text(text)
    loaded = SettingsStore(tmp_path / "settings.ini").load()
    assert loaded.parallel_uploads == AppSettings().parallel_uploads
    assert loaded.title_pattern == "{folder} {n}"


def test_title_patterns(tmp_path):
    path = tmp_path / "Kitchen" / "R0010001.JPG"
    assert title_for("{stem}", path) == "R0010001"
    assert title_for("{folder} {n}", path, 3) == "Kitchen 3"
    with pytest.raises(ValueError, match="unknown"):
        AppSettings(title_pattern="{date}")


def test_the_dialog_offers_presets_and_refuses_what_cannot_work(qtbot):
    dialog = SettingsDialog(AppSettings(), signed_in_as="tutorial on here")
    qtbot.addWidget(dialog)
    assert dialog.preset_box.currentText() == "Local server"
    assert dialog.server_edit.text() == LOCAL_SERVER and dialog.server_edit.isReadOnly()
    # The public demo server: its address is fixed, and the note says uploads are public.
    dialog.preset_box.setCurrentText("image360 demo server")
    assert dialog.server_edit.text() == DEMO_SERVER and dialog.server_edit.isReadOnly()
    assert "published, GPS included" in dialog.preset_note.text()
    # Any other server: typed in.
    dialog.preset_box.setCurrentText("Other server")
    assert not dialog.server_edit.isReadOnly()
    dialog.server_edit.clear()
    qtbot.keyClicks(dialog.server_edit, "https://demo.example")
    dialog.parallel_box.setValue(2)
    dialog.title_edit.setText("{date}")
    dialog.accept()
    assert "unknown {date}" in dialog.problem_label.text()
    assert dialog.result() != dialog.DialogCode.Accepted
    dialog.title_edit.setText("{stem} by me")
    dialog.license_edit.setText("creativecommons.org/licenses/by/4.0/")
    dialog.accept()
    assert "license link: not a web address" in dialog.problem_label.text()
    dialog.license_edit.setText("")
    chosen = dialog.chosen()
    assert isinstance(chosen, AppSettings)
    assert chosen.server_url == "https://demo.example"
    assert (chosen.parallel_uploads, chosen.title_pattern) == (2, "{stem} by me")
    dialog.server_edit.setText("http://photos.example.org")
    assert "Refusing plain http://" in dialog.chosen()
    dialog.sign_out_button.click()
    assert dialog.sign_out_requested
    # Opened again on the demo server (however its address was written): that preset.
    again = SettingsDialog(AppSettings(server_url=DEMO_SERVER + "/"), signed_in_as="")
    qtbot.addWidget(again)
    assert again.preset_box.currentText() == "image360 demo server"


def test_batch_defaults_and_rejecting_needs_review_apply_to_new_files(
    qtbot, make_window, server, theta_files, monkeypatch
):
    window = make_window(sign_in(server.url))
    chosen = replace(
        window.app_settings,
        title_pattern="{stem} by me",
        description="Survey, spring",
        attribution="A. Photographer",
        license_link="https://creativecommons.org/licenses/by/4.0/",
        category="GIS",
        public=False,
        needs_review="reject",
        parallel_uploads=2,
    )
    monkeypatch.setattr(settings_dialog, "ask", lambda *a, **k: SettingsChoice(chosen))
    window.act_settings.trigger()
    assert window.engine.settings.parallel == 2
    assert window.engine.settings.reject_needs_review
    assert window.settings_store.load() == window.app_settings == chosen

    mime = file_urls(theta_files["ok"], theta_files["needs_review"])
    drop(window, mime)
    qtbot.waitUntil(lambda: all_final(window, 2), timeout=30_000)
    assert state_of(window, theta_files["needs_review"]) is UploadState.REJECTED
    (photo,) = sign_in(server.url).client.list_photos()
    assert photo["title"] == f"{theta_files['ok'].stem} by me"
    assert photo["description"] == "Survey, spring"
    assert photo["attribution"] == "A. Photographer"
    assert photo["license_link"] == "https://creativecommons.org/licenses/by/4.0/"
    assert photo["category"] == "GIS"
    assert photo["is_public"] is False
    assert photo["camera_model"] == "V"


def test_sign_out_forgets_the_keychain_entry_and_sign_in_sends_what_waited(
    qtbot, make_window, server, theta_files, monkeypatch
):
    keychain = MemoryKeychain()
    session = sign_in(server.url)
    window = make_window(session, credentials=CredentialStore(keychain))
    key = (SERVICE, account_key(session.client.base_url, DEMO_USER))
    assert key in keychain.entries
    window.act_sign_out.trigger()
    assert key not in keychain.entries
    assert window.session is None and not session.client.tokens.signed_in
    assert "Not signed in" in window.account_label.text()
    assert "Sign in" in window.library.status.text()

    mime = file_urls(theta_files["ok"])
    drop(window, mime)
    qtbot.waitUntil(
        lambda: (
            window.model.row_for(theta_files["ok"]) is not None
            and window.model.row_for(theta_files["ok"]).reason == "waiting for sign-in"
        ),
        timeout=30_000,
    )
    asked: list[dict] = []

    def ask(parent=None, **kwargs):
        asked.append(kwargs)
        return sign_in(server.url)

    monkeypatch.setattr(login_dialog, "ask", ask)
    window.act_sign_in.trigger()
    assert asked and asked[0]["username"] == DEMO_USER
    qtbot.waitUntil(lambda: all_final(window, 1), timeout=30_000)
    assert state_of(window, theta_files["ok"]) is UploadState.UPLOADED
    assert key in keychain.entries  # remembered again


def test_choosing_another_server_shows_its_queue_and_asks_to_sign_in_there(
    qtbot, make_window, server, server_factory, monkeypatch
):
    other = server_factory()
    window = make_window(sign_in(server.url))
    asked: list[dict] = []

    def ask(parent=None, **kwargs):
        asked.append(kwargs)
        return sign_in(other.url)

    monkeypatch.setattr(login_dialog, "ask", ask)
    chosen = replace(window.app_settings, server_url=other.url)
    monkeypatch.setattr(settings_dialog, "ask", lambda *a, **k: SettingsChoice(chosen))
    window.act_settings.trigger()
    qtbot.waitUntil(lambda: len(asked) == 1, timeout=5_000)
    assert asked[0]["server_url"] == other.url
    qtbot.waitUntil(lambda: window.session is not None, timeout=5_000)
    assert window.account[0] == other.url + "/"
    assert f"on {other.url}" in window.account_label.text()
