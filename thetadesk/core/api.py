"""Client for the image360 API (see shared docs/image360-api.md).

One `Image360Client` per server and account. It is thread-safe: upload threads share it,
and an expired access token is refreshed once for all of them (TokenKeeper).

The HTTP stack (requests, urllib3, truststore: ~0.15 s to import) is loaded with the first
request, not with this module: the window shows a returning user's queue before any.
"""

from __future__ import annotations

import ipaddress
import logging
import os
import threading
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urljoin, urlsplit

from thetadesk.core.errors import (
    ApiError,
    BadAnswer,
    Cancelled,
    InsecureServerUrl,
    PhotoTooLarge,
    ServerUnreachable,
    SignInRequired,
)
from thetadesk.core.multipart import CancelCheck, MultipartFileBody, ProgressCallback
from thetadesk.core.tokens import BearerAuth, NoAuth, TokenKeeper

if TYPE_CHECKING:
    import requests

log = logging.getLogger(__name__)

CONNECT_TIMEOUT = 10.0
READ_TIMEOUT = 30.0
USER_AGENT = "thetadesk"


def upload_read_timeout(size_bytes: int, base: float = READ_TIMEOUT) -> float:
    """Seconds to wait for the answer to an upload: the server hashes and stores the file."""
    return base + 2.0 * size_bytes / 1_000_000


def is_loopback_host(host: str) -> bool:
    if host.lower() in {"localhost", "localhost."}:
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def normalize_server_url(url: str, *, allow_http: bool = False) -> str:
    """Return the base URL with one trailing slash; refuse plain http to remote hosts."""
    given = url = url.strip()
    if "://" not in url:
        url = "https://" + url
    try:
        parts = urlsplit(url)
    except ValueError:  # "https://[::1": a bracket that never closes
        raise InsecureServerUrl(f"Not a server address: {given!r}") from None
    if "@" in parts.netloc:
        # Not echoed back: it may hold a password, which must not reach a log or a dialog.
        raise InsecureServerUrl(
            "The server address holds a user name or password: give only the address, and "
            "sign in with the user name and password."
        )
    try:
        parts.port  # noqa: B018 - raises ValueError for a port that is not a number
        host = parts.hostname or ""
    except ValueError:  # "http://[abc]:80": not an IPv6 address in the brackets
        raise InsecureServerUrl(f"Not a server address: {given!r}") from None
    if (
        parts.scheme not in {"http", "https"}
        or not host
        or any(char.isspace() or char in '<>"{}|\\^`' for char in host)
    ):
        raise InsecureServerUrl(f"Not a server address: {given!r}")
    if parts.scheme == "http" and not allow_http and not is_loopback_host(parts.hostname):
        raise InsecureServerUrl(
            f"Refusing plain http:// for {parts.hostname}: passwords and photos would travel "
            "unencrypted. Use https://, or allow http explicitly."
        )
    return url.rstrip("/") + "/"


def _retry_after(response: requests.Response) -> float | None:
    value = response.headers.get("Retry-After")
    try:
        return max(0.0, float(value)) if value is not None else None
    except ValueError:
        return None


def size_text(size: float) -> str:
    """Bytes for people: 2 MB, 67.1 MB, 8.19 kB."""
    for unit, scale in (("GB", 1e9), ("MB", 1e6), ("kB", 1e3)):
        if size >= scale:
            return f"{size / scale:.3g} {unit}"
    return f"{int(size)} bytes"


def _answer_kind(response: requests.Response) -> str:
    """What an answer that is not JSON looks like, for people."""
    content = response.content or b""
    if not content.strip():
        return "an empty body"
    content_type = response.headers.get("Content-Type", "").lower()
    if "html" in content_type or content.lstrip()[:1] == b"<":
        # Typically a proxy or gateway in front of the API (nginx, a captive portal).
        return "a web page instead of data"
    return "text that is not JSON"


def _status_text(response: requests.Response) -> str:
    return f"{response.status_code} {response.reason or ''}".strip()


def _root_cause(exc: BaseException) -> BaseException:
    """The innermost exception under requests' and urllib3's wrappers (ConnectionResetError
    rather than ProtocolError), for a reason that says what happened."""
    seen: set[int] = set()
    while id(exc) not in seen:
        seen.add(id(exc))
        inner = next((arg for arg in exc.args if isinstance(arg, BaseException)), None)
        reason = getattr(exc, "reason", None)
        inner = inner or (reason if isinstance(reason, BaseException) else None)
        inner = inner or exc.__cause__ or exc.__context__
        if inner is None:
            break
        exc = inner
    return exc


# Keys of an error answer that say something about the answer, not what was wrong.
_NOT_ERRORS = frozenset({"retryable", "code", "status_code"})


def _describe_body(data: Any) -> str:
    """Turn a DRF error body into one readable line."""
    if isinstance(data, Mapping):
        if "detail" in data:
            return str(data["detail"])
        parts = []
        for field, errors in data.items():
            if field in _NOT_ERRORS:
                continue
            text = "; ".join(map(str, errors)) if isinstance(errors, list) else str(errors)
            if field == "non_field_errors":
                parts.append(text)
            else:  # "license_link" -> "License link: Enter a valid URL."
                parts.append(f"{str(field).replace('_', ' ').capitalize()}: {text}")
        return "; ".join(parts)
    if isinstance(data, list):
        return "; ".join(map(str, data))
    return str(data)


def _error_detail(response: requests.Response) -> tuple[Any, str]:
    """An error answer's JSON (None if it has none) and one line saying what it says."""
    try:
        data = response.json()
    except ValueError:
        data = None
    detail = _describe_body(data).strip() if data is not None else ""
    if not detail:  # no JSON, or JSON that says nothing (`{}`): say what did come
        kind = _answer_kind(response) if data is None else "no explanation"
        detail = f"the server answered {_status_text(response)} with {kind}"
    return data, detail


def error_from_response(response: requests.Response) -> ApiError:
    status = response.status_code
    data, detail = _error_detail(response)
    code = data.get("code") if isinstance(data, Mapping) else None
    if status == 413:
        limit = data.get("max_bytes") if isinstance(data, Mapping) else None
        valid = isinstance(limit, int | float) and not isinstance(limit, bool) and limit > 0
        extra = f" (limit {size_text(limit)})" if valid else ""
        return PhotoTooLarge(f"Too large for this server{extra}", status=status)
    if status == 401:
        return SignInRequired(f"Sign-in needed: {detail}", status=status, code=code)
    retryable = status >= 500 or status in {408, 429}
    return ApiError(
        detail, status=status, code=code, retryable=retryable, retry_after=_retry_after(response)
    )


class UploadedPhoto(dict[str, Any]):
    """The server's answer to an upload: the photo's fields, as far as it gives them."""

    already_there = False
    """The server had these bytes already and kept its own copy (and its details: a new
    title, description or privacy did not replace them)."""


class Image360Client:
    """Signs in, refreshes, lists, uploads and deletes photos on one image360 server."""

    def __init__(
        self,
        server_url: str,
        *,
        session: requests.Session | None = None,
        allow_http: bool = False,
        on_refresh_token: Callable[[str | None], None] | None = None,
        connect_timeout: float = CONNECT_TIMEOUT,
        read_timeout: float = READ_TIMEOUT,
    ) -> None:
        self.base_url = normalize_server_url(server_url, allow_http=allow_http)
        self._session = session
        if session is not None:
            session.headers.setdefault("User-Agent", USER_AGENT)
        self._session_lock = threading.Lock()
        self.tokens = TokenKeeper(on_refresh_token)
        self.connect_timeout = connect_timeout
        self.read_timeout = read_timeout

    @property
    def session(self) -> requests.Session:
        """The HTTP session, made (and the HTTP stack imported) when first needed."""
        session = self._session
        if session is None:
            with self._session_lock:
                if self._session is None:
                    from thetadesk.core.http_session import new_session

                    new = new_session()
                    new.headers.setdefault("User-Agent", USER_AGENT)
                    self._session = new
                session = self._session
        return session

    def url(self, path: str) -> str:
        return urljoin(self.base_url, path.lstrip("/"))

    # -- low level -------------------------------------------------------------------------

    def _send(
        self,
        method: str,
        path: str,
        *,
        token: str | None = None,
        read_timeout: float | None = None,
        **kwargs: Any,
    ) -> requests.Response:
        session = self.session
        import requests  # loaded by now (session); cheap

        timeout = (self.connect_timeout, read_timeout or self.read_timeout)
        # An explicit auth object, even for unauthenticated calls, keeps requests from
        # adding a ~/.netrc password of its own.
        auth: BearerAuth | NoAuth = BearerAuth(token) if token else NoAuth()
        try:
            response = session.request(
                method,
                self.url(path),
                auth=auth,
                timeout=timeout,
                allow_redirects=False,  # a redirect must never carry the token elsewhere
                **kwargs,
            )
        except Cancelled:
            raise
        except requests.exceptions.SSLError:
            # Verification is never turned off; say what failed rather than "cannot reach".
            raise ServerUnreachable(
                f"{self.base_url}: the server's certificate is not trusted by this computer "
                "(or the secure connection failed)"
            ) from None
        except requests.ConnectionError as exc:
            raise self._connection_error(exc, kwargs.get("data")) from None
        except requests.Timeout:
            waited = timeout[1]
            shown = f"{waited:.0f}" if waited >= 10 else f"{waited:.1f}".rstrip("0").rstrip(".")
            raise ServerUnreachable(
                f"{self.base_url} did not answer in time (waited {shown} s)"
            ) from None
        except requests.RequestException as exc:
            raise ApiError(f"Request failed: {type(exc).__name__}", retryable=True) from None
        if response.is_redirect:
            # Never followed: the token stays with the server the user chose. The target is
            # shown without its query, which may carry someone's signed parameters.
            target = urljoin(self.url(path), response.headers.get("Location", ""))
            shown = urlsplit(target)._replace(query="", fragment="").geturl()
            raise ApiError(
                f"The server redirected to {shown}; not following with your sign-in. "
                "Check the server address.",
                status=response.status_code,
            )
        return response

    def _connection_error(self, exc: Exception, body: Any) -> ApiError:
        # A server that refuses a large body often resets the connection mid-upload instead
        # of letting us read its 413; when the body was partly sent, say that likely cause.
        if isinstance(body, MultipartFileBody) and 0 < body.sent < body.len:
            return ServerUnreachable(
                f"The connection to {self.base_url} was reset after {body.sent} of {body.len} "
                "bytes; the photo may be too large for this server, or the network dropped",
                mid_body=True,
            )
        reason = type(_root_cause(exc)).__name__
        if isinstance(body, MultipartFileBody) and body.len and body.sent >= body.len:
            # Everything was handed over, then the line broke: maybe the server has it.
            return ServerUnreachable(
                f"The connection to {self.base_url} broke before its answer came ({reason})"
            )
        return ServerUnreachable(f"Cannot reach {self.base_url} ({reason})")

    def _authed(
        self,
        method: str,
        path: str,
        *,
        make_body: Callable[[], dict[str, Any]] | None = None,
        read_timeout: float | None = None,
    ) -> requests.Response:
        """Send with the access token, renewed first when it is about to expire; on 401
        refresh once (single-flight) and retry once."""
        token = self.tokens.access
        if token is None:
            token = self.tokens.refresh(None, self._refresh_call)
        elif self.tokens.renewal_due():
            try:
                token = self.tokens.refresh(token, self._refresh_call)
            except SignInRequired:
                raise
            except ApiError as exc:
                # Early, the token still works: a renewal the server could not do now (busy,
                # a network hiccup) is tried again with the next request; a 401 still
                # refreshes below.
                log.info("renewing the session early failed (%s); carrying on", exc)
        for attempt in range(2):
            kwargs = make_body() if make_body else {}
            try:
                response = self._send(
                    method, path, token=token, read_timeout=read_timeout, **kwargs
                )
            finally:
                # A reset mid-body leaves the streamed file open inside the body; close it
                # now rather than whenever the garbage collector gets to it.
                body = kwargs.get("data")
                if isinstance(body, MultipartFileBody):
                    body.close()
            if response.status_code != 401 or attempt == 1:
                break
            log.info("access token refused (%s); refreshing", self._code(response))
            token = self.tokens.refresh(token, self._refresh_call)
        if not response.ok:
            raise error_from_response(response)
        return response

    @staticmethod
    def _code(response: requests.Response) -> str:
        try:
            return str(response.json().get("code", "no code"))
        except (ValueError, AttributeError):
            return "no code"

    def _refresh_call(self, refresh_token: str) -> tuple[str, str | None]:
        response = self._send("POST", "api/token/refresh/", json={"refresh": refresh_token})
        if response.status_code in {400, 401}:
            raise SignInRequired("Sign-in needed: the session has expired or was revoked.")
        if not response.ok:
            raise error_from_response(response)
        try:
            data = self._json(response, "renewing the session")
        except BadAnswer as exc:
            # Retrying the same refresh token would not make it answer better; a fresh
            # sign-in may (and keeps this from looping).
            raise SignInRequired(f"Sign-in needed: {exc}", status=exc.status) from None
        if not isinstance(data, Mapping) or not isinstance(data.get("access"), str):
            raise SignInRequired(
                "Sign-in needed: the server's answer to renewing the session has no access token"
            )
        rotated = data.get("refresh")
        return data["access"], rotated if isinstance(rotated, str) else None

    @staticmethod
    def _json(response: requests.Response, what: str) -> Any:
        try:
            return response.json()
        except ValueError:
            raise BadAnswer(
                f"The server answered {what} with {_answer_kind(response)} "
                f"({_status_text(response)})",
                status=response.status_code,
            ) from None

    # -- API -------------------------------------------------------------------------------

    def sign_in(self, username: str, password: str) -> None:
        response = self._send(
            "POST", "api/token/", json={"username": username, "password": password}
        )
        if response.status_code in {400, 401}:
            raise SignInRequired(_error_detail(response)[1], status=401)
        if response.status_code in {404, 405}:
            # Not an image360 server there, or the address has a path too much (".../api/").
            raise ApiError(
                f"{self.base_url} has no image360 sign-in (api/token/ answered "
                f"{_status_text(response)}): check the server address",
                status=response.status_code,
            )
        if not response.ok:
            raise error_from_response(response)
        data = self._json(response, "the sign-in")
        if not isinstance(data, Mapping) or not all(
            isinstance(data.get(k), str) and data[k] for k in ("access", "refresh")
        ):
            raise BadAnswer(
                "The server's answer to the sign-in has no tokens (access and refresh)",
                status=response.status_code,
            )
        self.tokens.set(data["access"], data["refresh"])

    def resume_session(self, refresh_token: str) -> None:
        """Sign in with a refresh token kept from an earlier session (keychain)."""
        self.tokens.set(None, refresh_token)
        self.tokens.refresh(None, self._refresh_call)

    def sign_out(self) -> None:
        self.tokens.clear()

    def check_session(self) -> None:
        self._authed("GET", "api/protected/")

    def list_photos(self) -> list[dict[str, Any]]:
        data = self._json(self._authed("GET", "api/user-photo/"), "the photo list")
        if not isinstance(data, list):
            raise BadAnswer("The server's photo list is not a list")
        return [item for item in data if isinstance(item, dict)]

    def find_by_sha256(self, sha256: str, *, photo_id: int | None = None) -> dict[str, Any] | None:
        """Ask the server whether it already holds these bytes.

        A server that knows no SHA-256 (the demo server) ignores the filter and lists every
        photo, without hashes: there, `photo_id` (the id it gave this file's upload) still
        in the list says the photo is there.
        """
        data = self._json(
            self._authed("GET", f"api/user-photo/?sha256={sha256}"), "the photo lookup"
        )
        if not isinstance(data, list):
            # "Not there" would mean sending it again: only a real list can say so.
            raise BadAnswer("The server's answer to the photo lookup is not a list of photos")
        photos = [item for item in data if isinstance(item, dict)]
        for item in photos:
            if item.get("sha256") == sha256:
                return item
        if photo_id is not None:
            for item in photos:
                if item.get("id") == photo_id and "sha256" not in item:
                    return item
        return None

    def delete_photo(self, photo_id: int) -> None:
        self._authed("DELETE", f"api/{int(photo_id)}/delete/")

    def upload_photo(
        self,
        path: str | os.PathLike[str],
        fields: Mapping[str, str],
        *,
        on_progress: ProgressCallback | None = None,
        should_cancel: CancelCheck | None = None,
        fresh_connection: bool = False,
        expect: tuple[int, int] | None = None,
    ) -> UploadedPhoto:
        """Stream one photo's original bytes as multipart field `image`; return the item.

        expect: the file's (size, mtime_ns) when it was checked; a file that changed since
        (or changes while it is sent) raises FileChanged and is not sent whole.

        fresh_connection: close the connection after this upload, so the next one opens a
        new connection. For parallel uploads: a kept-alive connection stays with the server
        process (or app server, behind a TCP balancer) that accepted it, so several streams
        can end up queued on one of them while another idles; a new connection goes to
        whichever accepts first, i.e. the least busy. It costs one handshake per photo.
        """
        path = Path(path)
        filename = f"{fields.get('title') or path.stem}.jpg"

        def make_body() -> dict[str, Any]:
            body = MultipartFileBody(
                fields,
                "image",
                path,
                filename=filename,
                on_progress=on_progress,
                should_cancel=should_cancel,
                expect=expect,
            )
            headers = {"Content-Type": body.content_type}
            if fresh_connection:
                headers["Connection"] = "close"
            return {"data": body, "headers": headers}

        size = path.stat().st_size
        response = self._authed(
            "POST",
            "api/upload-photo/",
            make_body=make_body,
            read_timeout=upload_read_timeout(size, self.read_timeout),
        )
        try:
            data = response.json()
        except ValueError:
            data = {}
        # The demo server's clients ignore the body; ours answers with the created photo,
        # or with 200 and the photo it already had with these bytes.
        photo = UploadedPhoto(data if isinstance(data, dict) else {})
        # 200 rather than 201 is this project's server saying it kept its own copy; a
        # server that answers 200 to every upload (the API promises only "2xx") is known by
        # not listing hashes, and is not taken to mean it.
        photo.already_there = response.status_code == 200 and "id" in photo and "sha256" in photo
        return photo
