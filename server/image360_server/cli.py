"""`image360-server`: prepare the data folder, migrate, optionally add the demo user, serve.

Serves with waitress (threads, any platform) by default; `--production --workers N` serves
with gunicorn's pre-forked workers instead (POSIX only).
"""

from __future__ import annotations

import argparse
import logging
import os
import signal
import sys
from collections.abc import Sequence
from types import FrameType

from image360_server import env
from image360_server.serve import BindError, serve

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 8765
THREADS = 8
DEFAULT_WORKERS = 2
_WILDCARD_HOSTS = {"", "0.0.0.0", "::", "*"}

logger = logging.getLogger("image360_server")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="image360-server",
        description="Run the image360 reference server (SQLite and media in one data folder).",
    )
    parser.add_argument("--host", default=DEFAULT_HOST, help=f"address to bind ({DEFAULT_HOST})")
    parser.add_argument("--port", type=_port, default=DEFAULT_PORT,
                        help=f"port to bind, 0 picks a free one ({DEFAULT_PORT})")
    parser.add_argument("--data-dir", default=os.environ.get(env.DATA_DIR),
                        help=f"data folder, created if missing (or set {env.DATA_DIR})")
    parser.add_argument("--demo", action="store_true",
                        help="create or reset the demo account tutorial / theta360DotGuide")
    parser.add_argument("--access-lifetime", type=_seconds, metavar="SECONDS",
                        help=f"access token lifetime (or {env.ACCESS_TOKEN_LIFETIME}; 300)")
    parser.add_argument("--refresh-lifetime", type=_seconds, metavar="SECONDS",
                        help=f"refresh token lifetime (or {env.REFRESH_TOKEN_LIFETIME}; 86400)")
    parser.add_argument("--production", action="store_true",
                        help="serve with gunicorn worker processes (POSIX only; needs the "
                             "'production' extra)")
    parser.add_argument("--workers", type=_workers, default=DEFAULT_WORKERS, metavar="N",
                        help=f"gunicorn worker processes with --production ({DEFAULT_WORKERS})")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if not args.data_dir:
        parser.error(f"--data-dir (or {env.DATA_DIR}) is required")
    _stop_on_signals()
    try:
        return _run(args)
    except KeyboardInterrupt:  # a stop signal before serving started
        return 0
    except env.ConfigError as error:
        print(f"image360-server: {error}", file=sys.stderr)
        return 2
    except BindError as error:
        print(f"image360-server: {error}", file=sys.stderr)
        return 1


def _run(args: argparse.Namespace) -> int:
    # Settings are read from the environment at django.setup(); flags override it.
    os.environ[env.DATA_DIR] = os.path.abspath(os.path.expanduser(args.data_dir))
    if args.access_lifetime is not None:
        os.environ[env.ACCESS_TOKEN_LIFETIME] = repr(args.access_lifetime)
    if args.refresh_lifetime is not None:
        os.environ[env.REFRESH_TOKEN_LIFETIME] = repr(args.refresh_lifetime)
    os.environ.setdefault(env.ALLOWED_HOSTS, ",".join(_default_allowed_hosts(args.host)))
    os.environ["DJANGO_SETTINGS_MODULE"] = "image360_server.settings"

    if args.production and os.name != "posix":
        raise env.ConfigError("--production serves with gunicorn, which runs on POSIX systems "
                              "only; leave it out to serve with waitress")

    import django

    django.setup()
    _prepare(demo=args.demo)

    def announce(url: str) -> None:
        logger.info("serving %s on %s", os.environ[env.DATA_DIR], url)
        sys.stdout.write(f"READY {url}\n")
        sys.stdout.flush()

    from django.conf import settings

    # Forwarded headers are interpreted by the app (settings), never by the WSGI server.
    behind_proxy = bool(settings.REST_FRAMEWORK["NUM_PROXIES"])
    if args.production:
        from image360_server.production import serve_with_gunicorn

        serve_with_gunicorn(host=args.host, port=args.port, workers=args.workers,
                            on_ready=announce)
    else:
        from image360_server.wsgi import application

        serve(application, host=args.host, port=args.port, threads=THREADS, on_ready=announce,
              behind_proxy=behind_proxy)
    logger.info("stopped")
    return 0


def _prepare(*, demo: bool) -> None:
    """Refuse unsafe settings, bring the database up to date, add the demo user if asked."""
    from django.core import checks
    from django.core.management import call_command
    from django.db import connections

    serious = [message for message in checks.run_checks() if message.is_serious()]
    if serious:
        raise env.ConfigError("\n".join(str(message) for message in serious))
    call_command("migrate", interactive=False, verbosity=0)
    call_command("createcachetable", verbosity=0)
    if demo:
        from image360_server.photos.users import DEMO_PASSWORD, DEMO_USERNAME, ensure_user

        ensure_user(DEMO_USERNAME, DEMO_PASSWORD)
    # Nothing opened here may be shared with forked workers (or held while idle).
    connections.close_all()


def _stop_on_signals() -> None:
    """SIGTERM (and Ctrl-Break on Windows) stop the server like Ctrl-C does."""

    def stop(signum: int, frame: FrameType | None) -> None:
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, stop)
    if hasattr(signal, "SIGBREAK"):
        signal.signal(signal.SIGBREAK, stop)


def _default_allowed_hosts(bind_host: str) -> list[str]:
    if bind_host in _WILDCARD_HOSTS:
        # Bound to every interface: clients reach it under names we cannot know.
        return ["*"]
    hosts = ["localhost", "127.0.0.1", "[::1]"]
    named = f"[{bind_host}]" if ":" in bind_host else bind_host
    return hosts if named in hosts else [*hosts, named]


def _port(text: str) -> int:
    value = int(text)
    if not 0 <= value <= 65535:
        raise argparse.ArgumentTypeError("port must be between 0 and 65535")
    return value


def _workers(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError("must be at least 1")
    return value


def _seconds(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number of seconds: {text!r}") from None
    if not value > 0:
        raise argparse.ArgumentTypeError("must be greater than 0")
    return value
