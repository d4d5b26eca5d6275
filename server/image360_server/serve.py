"""Serving with waitress: bind, report the address, run until a stop signal."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from waitress import create_server
from waitress.channel import HTTPChannel
from waitress.server import BaseWSGIServer
from waitress.task import ErrorTask
from waitress.utilities import RequestEntityTooLarge

from image360_server.upload_limit import max_body_bytes, too_large_payload


class BindError(OSError):
    """The address cannot be listened on (port in use, unknown host, no permission)."""


def serve(application: Callable[..., Any], *, host: str, port: int, threads: int,
          on_ready: Callable[[str], None], behind_proxy: bool = False) -> None:
    """Bind (port 0 picks a free port), call `on_ready(url)`, serve until interrupted.

    waitress drops X-Forwarded-* headers unless told otherwise; `behind_proxy` lets them
    through so that the app applies its own rule (how many proxies to trust), as it does
    under gunicorn.
    """
    try:
        server = create_server(
            application,
            host=host,
            port=port,
            threads=threads,
            # waitress refuses bodies at or over this size while they arrive, before the app runs.
            max_request_body_size=max_body_bytes() + 1,
            clear_untrusted_proxy_headers=not behind_proxy,
            ident="image360-server",
        )
    except OSError as error:
        raise BindError(f"cannot listen on {host}:{port}: {error}") from error
    listeners = _listeners(server)
    channel_class = _json_too_large_channel(json.dumps(too_large_payload()).encode())
    for listener in listeners:
        listener.channel_class = channel_class
    # The socket is listening once create_server returns: connections made now are queued.
    on_ready(_url(listeners[0]))
    try:
        server.run()  # returns after KeyboardInterrupt/SystemExit, once worker threads stopped
    finally:
        for listener in listeners:
            listener.close()


def _listeners(server: Any) -> list[BaseWSGIServer]:
    if isinstance(server, BaseWSGIServer):
        return [server]
    # A host name resolving to several addresses gives one listener per address.
    return [item for item in server.map.values() if isinstance(item, BaseWSGIServer)]


def _url(listener: BaseWSGIServer) -> str:
    host = str(listener.effective_host)
    if ":" in host:
        host = f"[{host}]"
    return f"http://{host}:{listener.effective_port}/"


def _json_too_large_channel(payload: bytes) -> type[HTTPChannel]:
    """A waitress channel whose early 413 is the API's JSON body instead of plain text."""

    class JsonTooLargeTask(ErrorTask):
        def execute(self) -> None:
            if not isinstance(self.request.error, RequestEntityTooLarge):
                super().execute()
                return
            self.status = "413 Request Entity Too Large"
            self.response_headers.append(("Content-Type", "application/json"))
            self.set_close_on_finish()
            self.content_length = len(payload)
            self.write(payload)

    class JsonTooLargeChannel(HTTPChannel):
        error_task_class = JsonTooLargeTask

    return JsonTooLargeChannel
