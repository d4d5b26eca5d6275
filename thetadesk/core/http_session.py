"""The HTTP session every request goes through: OS trust store, verification always on.

truststore makes TLS use the operating system's certificate store (Keychain, Windows'
store, the distribution's bundle), so a company CA the user's OS trusts works, and nothing
else is trusted. It is applied to this session only, not injected into the whole process.
Proxies from the environment (HTTPS_PROXY, NO_PROXY …) are still honoured by requests.
"""

from __future__ import annotations

import ssl
from typing import Any

import requests
import truststore
from requests.adapters import HTTPAdapter


class TrustStoreAdapter(HTTPAdapter):
    """An adapter whose TLS connections (direct or through a proxy) use truststore."""

    def init_poolmanager(self, *args: Any, **kwargs: Any) -> None:
        kwargs["ssl_context"] = _context()
        super().init_poolmanager(*args, **kwargs)

    def proxy_manager_for(self, proxy: str, **proxy_kwargs: Any) -> Any:
        proxy_kwargs["ssl_context"] = _context()
        return super().proxy_manager_for(proxy, **proxy_kwargs)

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
    return session
