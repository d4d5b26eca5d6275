"""`deactivateuser NAME`: the account can no longer sign in, refresh or use its tokens."""

from __future__ import annotations

from argparse import ArgumentParser
from typing import Any

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError


class Command(BaseCommand):
    help = ("Deactivate an account: sign-in, refresh and existing access tokens stop working "
            "at once. `adduser NAME` activates it again.")

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("username")

    def handle(self, *args: Any, username: str, **options: Any) -> None:
        updated = get_user_model().objects.filter(username=username).update(is_active=False)
        if not updated:
            raise CommandError(f"no user {username}")
        self.stdout.write(f"deactivated user {username}")
