"""Public photos with a GPS position wait for the user's word (the window's default)."""

from __future__ import annotations

import os
import time
from pathlib import Path

from tests.support.engine_harness import all_checked, run_until
from tests.support.theta_fixtures import make_theta_jpeg
from thetadesk.core.api import Image360Client
from thetadesk.core.engine import EngineSettings, UploadEngine
from thetadesk.core.queue_store import GPS_HELD_REASON, ItemState, QueueStore

UNREACHABLE = "http://127.0.0.1:9"
HOLD = EngineSettings(hold_public_gps=True, settle_seconds=0.05)


def test_the_public_toggle_holds_and_releases_a_photo_with_gps(tmp_path: Path) -> None:
    located = make_theta_jpeg(tmp_path / "R0010001.JPG", seed=1)
    unlocated = make_theta_jpeg(tmp_path / "R0010002.JPG", gps=False, seed=2)
    old = time.time() - 3600
    for path in (located, unlocated):
        os.utime(path, (old, old))
    with QueueStore(tmp_path / "q.sqlite3") as store:
        engine = UploadEngine(store, Image360Client(UNREACHABLE), "u", settings=HOLD)
        added = engine.enqueue([located, unlocated], fields={"is_public": "false"})
        (item, _), (other, _) = added
        run_until(engine, lambda: all_checked(store))  # nobody signed in: nothing is sent
        assert store.get(item.id).state is ItemState.READY  # type: ignore[union-attr]
        checked_reason = store.get(item.id).reason  # type: ignore[union-attr]

        # Made public after its check: now it waits.
        assert engine.set_fields(item.id, {"is_public": "true"})
        held = store.get(item.id)
        assert held is not None and held.state is ItemState.HELD
        assert held.reason == f"{GPS_HELD_REASON}; {checked_reason}"
        # Without a GPS position, public is fine.
        assert engine.set_fields(other.id, {"is_public": "true"})
        assert store.get(other.id).state is ItemState.READY  # type: ignore[union-attr]

        # Made private again: it goes, with the check's own reason.
        assert engine.set_fields(item.id, {"is_public": "false", "title": "Kitchen"})
        released = store.get(item.id)
        assert released is not None
        assert (released.state, released.reason) == (ItemState.READY, checked_reason)
        assert released.fields["title"] == "Kitchen"


def test_without_the_setting_nothing_is_held(tmp_path: Path) -> None:
    located = make_theta_jpeg(tmp_path / "R0010001.JPG", seed=1)
    old = time.time() - 3600
    os.utime(located, (old, old))
    with QueueStore(tmp_path / "q.sqlite3") as store:
        engine = UploadEngine(
            store, Image360Client(UNREACHABLE), "u", settings=EngineSettings(settle_seconds=0.05)
        )
        [(item, _)] = engine.enqueue([located])
        run_until(engine, lambda: all_checked(store))  # nobody signed in: nothing is sent
        assert store.get(item.id).state is ItemState.READY  # type: ignore[union-attr]
