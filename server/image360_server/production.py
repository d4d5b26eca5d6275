"""`image360-server --production`: gunicorn with N pre-forked worker processes (POSIX only).

Each worker runs threads (gthread), so one slow upload does not hold a whole process. Put a
reverse proxy in front (TLS, buffering slow clients, a body size limit matching the upload
cap): see the README.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from image360_server import env
from image360_server.upload_limit import max_body_bytes

THREADS_PER_WORKER = 4
# Long enough for a 64 MB upload over a slow link when no proxy buffers it.
WORKER_TIMEOUT_SECONDS = 300


def serve_with_gunicorn(*, host: str, port: int, workers: int,
                        on_ready: Callable[[str], None]) -> None:
    try:
        from gunicorn.app.base import BaseApplication
    except ImportError:
        raise env.ConfigError("--production needs gunicorn: pip install "
                              "'image360-server[production]'") from None

    class Image360Gunicorn(BaseApplication):  # type: ignore[misc]
        def load_config(self) -> None:
            bind_host = f"[{host}]" if ":" in host else host
            settings: dict[str, Any] = {
                "bind": [f"{bind_host}:{port}"],
                "workers": workers,
                "worker_class": "gthread",
                "threads": THREADS_PER_WORKER,
                "timeout": WORKER_TIMEOUT_SECONDS,
                "graceful_timeout": 30,
                "accesslog": None,
                "errorlog": "-",
                "loglevel": "info",
                "proc_name": "image360-server",
                # gunicorn would believe X-Forwarded-Proto from 127.0.0.1 on its own; the app
                # decides instead (IMAGE360_TRUSTED_PROXIES), as under waitress.
                "forwarded_allow_ips": "",
                # The header limits stay gunicorn's; the body is capped by the app (413).
                "when_ready": lambda arbiter: on_ready(f"{arbiter.LISTENERS[0]}/"),
            }
            if "control_socket_disable" in self.cfg.settings:
                # gunicorn >= 24 would open one fixed control socket per user: several
                # servers on one machine would fight over it, and nothing here uses it.
                settings["control_socket_disable"] = True
            for key, value in settings.items():
                self.cfg.set(key, value)

        def load(self) -> Any:
            from image360_server.wsgi import application

            return application

    # Read once here so a bad cap stops the master, not every worker.
    max_body_bytes()
    Image360Gunicorn().run()
