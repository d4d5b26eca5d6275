"""App config: sign-in, tokens, logout, throttling, health, and the token system check."""

from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "image360_server.accounts"
    label = "image360_accounts"
    verbose_name = "Accounts and tokens"

    def ready(self) -> None:
        from image360_server.accounts import checks  # noqa: F401 - registers the checks
