"""`adduser NAME`: create an API account, or reset its password."""

from __future__ import annotations

import getpass
import os
import sys
from argparse import ArgumentParser
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from image360_server.photos.users import ensure_user

PASSWORD_ENV = "IMAGE360_NEW_USER_PASSWORD"


class Command(BaseCommand):
    help = (f"Create an account (or reset its password). The password comes from stdin with "
            f"--password-stdin, else from {PASSWORD_ENV}, else from a prompt.")

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("username")
        parser.add_argument("--password-stdin", action="store_true",
                            help="read the password from the first line of stdin")

    def handle(self, *args: Any, username: str, password_stdin: bool, **options: Any) -> None:
        password = _read_password(password_stdin)
        if not password:
            raise CommandError("the password must not be empty")
        created = ensure_user(username, password)
        self.stdout.write(f"{'created' if created else 'updated'} user {username}")


def _read_password(from_stdin: bool) -> str:
    if from_stdin:
        return sys.stdin.readline().rstrip("\r\n")
    from_env = os.environ.get(PASSWORD_ENV)
    if from_env is not None:
        return from_env
    return getpass.getpass("Password: ")
