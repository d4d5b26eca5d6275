"""Shared pytest set-up for the whole suite."""

pytest_plugins = ["tests.support.live_server"]
