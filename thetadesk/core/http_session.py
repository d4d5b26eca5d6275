"""The HTTP session every request goes through: OS trust store, verification always on.

truststore makes TLS use the operating system's certificate store (Keychain, Windows'
store, the distribution's bundle), so a company CA the user's OS trusts works, and nothing
else is trusted. It is applied to this session only, not injected into the whole process.
Proxies from the environment (HTTPS_PROXY, NO_PROXY …) are still honoured by requests.

Its connections also know how to send a multipart.FileRegion (an upload's file): with
sendfile(2) straight from the page cache on a plain socket (http:// on this machine or the
LAN), in one read and one TLS write otherwise; not 16 KB at a time through Python, as
urllib3 would read a file-like body.
"""

from __future__ import annotations

import errno
import http.client
import os
import socket
import ssl
from typing import Any

import requests
import truststore
from requests.adapters import HTTPAdapter
from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool

from thetadesk.core.errors import FileChanged, FileUnreadable
from thetadesk.core.multipart import FileRegion

POOL_SIZE = 16  # connections kept per server: more than the most parallel uploads (8)


class _ClosingHTTPResponse(http.client.HTTPResponse):
    """A response after which its connection is not used again, whatever the server says."""

    def _check_close(self) -> bool:
        return True


class _RegionSending:
    """Connection mixin: `send(FileRegion)` without copying the file through Python; and a
    request sent with `Connection: close` is the connection's last, on our side too (a
    server need not say so in its answer, and reusing the connection while it closes it
    would fail the next request)."""

    sock: Any
    _last_request = False

    def putheader(self, header: str, *values: Any) -> None:
        if header.lower() == "connection" and any("close" in str(v).lower() for v in values):
            self._last_request = True
        super().putheader(header, *values)  # type: ignore[misc]

    def getresponse(self) -> Any:
        if not self._last_request:
            return super().getresponse()  # type: ignore[misc]
        self._last_request = False
        # http.client then hands the socket to the response and drops it from the
        # connection, which the pool replaces with a new one when it is next taken.
        self.response_class = _ClosingHTTPResponse
        try:
            return super().getresponse()  # type: ignore[misc]
        finally:
            del self.response_class

    def send(self, data: Any) -> None:
        if not isinstance(data, FileRegion):
            super().send(data)  # type: ignore[misc]
            return
        if self.sock is None:  # http.client connects lazily; urllib3 always has by now
            self.connect()  # type: ignore[attr-defined]
        sock = self.sock
        if _HAS_SENDFILE and type(sock) is socket.socket:
            # Honours the socket's timeout for every wait; stops short only at end of file.
            try:
                sent = sock.sendfile(data.file, data.offset, data.count)
            except OSError as exc:
                if exc.errno == errno.EIO:  # the disk's error, not the connection's
                    raise FileUnreadable(exc.strerror or str(exc)) from exc
                raise
            if sent != data.count:
                raise FileChanged("the file became shorter while it was being sent")
        else:
            sock.sendall(data.read_all())  # TLS (or TLS in TLS): encrypted from one block


_HAS_SENDFILE = hasattr(os, "sendfile")


class _HTTPConnection(_RegionSending, HTTPConnection):
    pass


class _HTTPSConnection(_RegionSending, HTTPSConnection):
    pass


class _HTTPConnectionPool(HTTPConnectionPool):
    ConnectionCls = _HTTPConnection


class _HTTPSConnectionPool(HTTPSConnectionPool):
    ConnectionCls = _HTTPSConnection


_POOL_CLASSES = {"http": _HTTPConnectionPool, "https": _HTTPSConnectionPool}


class TrustStoreAdapter(HTTPAdapter):
    """An adapter whose TLS connections (direct or through a proxy) use truststore, and
    whose connections send file regions (see the module's docstring)."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("pool_maxsize", POOL_SIZE)
        super().__init__(**kwargs)

    def init_poolmanager(self, *args: Any, **kwargs: Any) -> None:
        kwargs["ssl_context"] = _context()
        super().init_poolmanager(*args, **kwargs)
        self.poolmanager.pool_classes_by_scheme = dict(_POOL_CLASSES)

    def proxy_manager_for(self, proxy: str, **proxy_kwargs: Any) -> Any:
        known = proxy in self.proxy_manager
        proxy_kwargs["ssl_context"] = _context()
        manager = super().proxy_manager_for(proxy, **proxy_kwargs)
        if not known and not proxy.lower().startswith("socks"):
            # SOCKS connections keep their own classes: they iterate a region as bytes.
            manager.pool_classes_by_scheme = dict(_POOL_CLASSES)
        return manager

    def send(self, request: requests.PreparedRequest, **kwargs: Any) -> requests.Response:
        # Verification is not optional: whatever a caller passes, verify with the OS store.
        kwargs["verify"] = True
        return super().send(request, **kwargs)

    def cert_verify(self, conn: Any, url: str, verify: Any, cert: Any) -> None:
        super().cert_verify(conn, url, True, cert)
        # requests would also load certifi's bundle; the OS store is the only authority.
        conn.ca_certs = None
        conn.ca_cert_dir = None


def _context() -> ssl.SSLContext:
    context = truststore.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    return context


def new_session() -> requests.Session:
    session = requests.Session()
    session.verify = True
    session.mount("https://", TrustStoreAdapter())
    session.mount("http://", TrustStoreAdapter())  # loopback and --allow-http servers
    return session
