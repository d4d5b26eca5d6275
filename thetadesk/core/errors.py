"""The one exception family the core raises for server and network trouble.

Messages are meant for people (a CLI line, a tile's reason); they never carry a token or a
password, so they can be logged and shown as they are.
"""

from __future__ import annotations


class ApiError(Exception):
    """A request to the image360 server did not succeed.

    Attributes:
        status: HTTP status, or None when no answer came (connection error, timeout).
        code: the server's machine-readable `code` field when it sent one.
        retryable: True when trying again later can help (network trouble, 5xx, 429).
        retry_after: seconds the server asked us to wait (Retry-After), if it said.
    """

    def __init__(
        self,
        message: str,
        *,
        status: int | None = None,
        code: str | None = None,
        retryable: bool = False,
        retry_after: float | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.status = status
        self.code = code
        self.retryable = retryable
        self.retry_after = retry_after

    def __str__(self) -> str:
        return self.message


class SignInRequired(ApiError):
    """No valid credentials: the user has to sign in (again)."""


class ServerUnreachable(ApiError):
    """No answer at all: connection refused or reset, DNS failure, timeout.

    `mid_body` is True when the connection broke while the request body was being sent,
    which is also how some servers refuse a body that is too large.
    """

    def __init__(self, message: str, *, status: int | None = None, mid_body: bool = False) -> None:
        super().__init__(message, status=status, retryable=True)
        self.mid_body = mid_body


class BadAnswer(ApiError):
    """The server answered, but not with what the API promises: an empty body, a web page
    where JSON belongs, JSON without the fields the client needs.

    Often a proxy in front of the server having trouble, so trying again can help; the
    engine counts these against the one file like 5xx answers, so a server that always
    answers one request oddly fails that file instead of pausing the queue forever.
    """

    def __init__(self, message: str, *, status: int | None = None) -> None:
        super().__init__(message, status=status, retryable=True)


class PhotoTooLarge(ApiError):
    """The server refused the body as too large (413, or a reset mid-body)."""


class Cancelled(Exception):
    """The caller asked to stop (its should_cancel callback answered True)."""


class FileChanged(Exception):
    """A file being sent changed since it was checked (or became shorter than its body
    was measured): the request is abandoned (the server never gets the whole body) rather
    than sent with other bytes."""


class FileUnreadable(Exception):
    """The file being sent could not be read (a disk or card reader error). Not an
    OSError on purpose: the HTTP stack would take it for a network failure, pausing the
    whole queue, when only this file is at fault."""


class InsecureServerUrl(ValueError):
    """A plain http:// URL for a host that is not this machine."""
