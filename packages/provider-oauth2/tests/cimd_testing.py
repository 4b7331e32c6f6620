"""An HTTPS server for client ID metadata documents, with a certificate authority made
for the test run (``cryptography``; no test CA package needed).

:class:`DocumentServer` serves documents (or misbehaves: slow, dripping, redirecting,
too large) on 127.0.0.1 over TLS, for the names ``localhost`` and ``rebind.test`` and the
address ``127.0.0.1``, and counts the requests for each path. The provider trusts its
authority through ``OAUTH2_PROVIDER_CLIENT_ID_METADATA_CA_BUNDLE``
(:attr:`DocumentServer.config` has every key a test needs).
"""

from __future__ import annotations

import datetime
import ipaddress
import json
import ssl
import tempfile
import threading
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID
from werkzeug.serving import BaseWSGIServer, make_server

#: the names the server's certificate is valid for
HOSTS = ("localhost", "rebind.test")
REDIRECT = "http://127.0.0.1:8000/authorized"


def _name(common_name: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])


def make_certificates(directory: Path) -> tuple[Path, Path, Path]:
    """A certificate authority and a server certificate it signed for :data:`HOSTS`
    and ``127.0.0.1``: ``(ca.pem, server.pem, server-key.pem)`` in ``directory``."""
    now = datetime.datetime.now(datetime.timezone.utc)
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_subject = _name("flask-oauthlib test CA")
    ca_ski = x509.SubjectKeyIdentifier.from_public_key(ca_key.public_key())
    ca = (
        x509.CertificateBuilder()
        .subject_name(ca_subject)
        .issuer_name(ca_subject)
        .public_key(ca_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=True,
                crl_sign=True,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(ca_ski, critical=False)
        .sign(ca_key, hashes.SHA256())
    )
    key = ec.generate_private_key(ec.SECP256R1())
    names: list[x509.GeneralName] = [x509.DNSName(host) for host in HOSTS]
    names.append(x509.IPAddress(ipaddress.ip_address("127.0.0.1")))
    server = (
        x509.CertificateBuilder()
        .subject_name(_name("localhost"))
        .issuer_name(ca_subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(x509.SubjectAlternativeName(names), critical=False)
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_subject_key_identifier(ca_ski),
            critical=False,
        )
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .sign(ca_key, hashes.SHA256())
    )
    pem = serialization.Encoding.PEM
    paths = (directory / "ca.pem", directory / "server.pem", directory / "server-key.pem")
    paths[0].write_bytes(ca.public_bytes(pem))
    paths[1].write_bytes(server.public_bytes(pem))
    paths[2].write_bytes(
        key.private_bytes(pem, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    )
    return paths


@dataclass
class Route:
    """What the server answers at one path."""

    body: bytes = b""
    status: str = "200 OK"
    headers: list[tuple[str, str]] = field(default_factory=list)
    #: seconds to wait before answering
    delay: float = 0.0
    #: send the body in this many pieces, ``delay`` seconds apart (a slow drip)
    drip: int = 0


def document(client_id: str, **fields: Any) -> dict[str, Any]:
    """A valid document for a public client at ``client_id``; ``fields`` add or replace
    members (``None`` removes one)."""
    body = {
        "client_id": client_id,
        "client_name": "Example MCP client",
        "client_uri": "https://app.example.com/",
        "redirect_uris": [REDIRECT],
        "grant_types": ["authorization_code", "refresh_token"],
        "response_types": ["code"],
        "token_endpoint_auth_method": "none",
        "scope": "email profile unknown-scope",
    }
    body.update(fields)
    return {name: value for name, value in body.items() if value is not None}


class DocumentServer:
    """The HTTPS server, started by ``with DocumentServer() as documents:``."""

    def __init__(self) -> None:
        self._tmp = tempfile.TemporaryDirectory(prefix="cimd-")
        self.ca, cert, key = make_certificates(Path(self._tmp.name))
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(cert, key)
        self.routes: dict[str, Route] = {}
        #: requests by path
        self.hits: Counter[str] = Counter()
        self._lock = threading.Lock()
        #: set when the test ends: slow answers stop waiting
        self.done = threading.Event()
        self._server: BaseWSGIServer = make_server(
            "127.0.0.1", 0, self._wsgi, threaded=True, ssl_context=context
        )
        self.port = self._server.server_port
        self._thread = threading.Thread(target=self._server.serve_forever, args=(0.05,))
        self._thread.daemon = True

    @property
    def config(self) -> dict[str, Any]:
        """Provider config trusting this server, documents on, private addresses
        allowed (it listens on 127.0.0.1), short limits."""
        return {
            "OAUTH2_PROVIDER_CLIENT_ID_METADATA_DOCUMENTS": True,
            "OAUTH2_PROVIDER_CLIENT_ID_METADATA_ALLOW_PRIVATE_ADDRESSES": True,
            "OAUTH2_PROVIDER_CLIENT_ID_METADATA_CA_BUNDLE": str(self.ca),
            "OAUTH2_PROVIDER_CLIENT_ID_METADATA_SCOPES": ["email", "profile"],
            "OAUTH2_PROVIDER_CLIENT_ID_METADATA_TIMEOUT": 1,
        }

    def url(self, path: str, host: str = "localhost") -> str:
        return f"https://{host}:{self.port}{path}"

    def serve(self, path: str, body: Any, content_type: str = "application/json", **kw: Any) -> str:
        """Answer ``body`` (JSON unless bytes or str) at ``path``; ``kw`` are
        :class:`Route` fields, ``headers`` added to the ``Content-Type``. Returns the URL
        on ``localhost``."""
        if isinstance(body, str):
            body = body.encode()
        elif not isinstance(body, bytes):
            body = json.dumps(body).encode()
        headers = [("Content-Type", content_type), *kw.pop("headers", [])]
        self.routes[path] = Route(body, headers=headers, **kw)
        return self.url(path)

    def serve_document(self, path: str, host: str = "localhost", **fields: Any) -> str:
        """A valid document at ``path`` whose ``client_id`` is its URL on ``host``;
        ``headers`` (a list) go with it, other ``fields`` change it (:func:`document`)."""
        headers = fields.pop("headers", [])
        url = self.url(path, host)
        self.serve(path, document(url, **fields), headers=headers)
        return url

    def _wsgi(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        path = environ["PATH_INFO"]
        with self._lock:
            self.hits[path] += 1
        route = self.routes.get(path)
        if route is None:
            start_response("404 Not Found", [("Content-Type", "text/plain")])
            return [b"not found"]
        if route.delay and not route.drip:
            self.done.wait(route.delay)
        start_response(route.status, route.headers)
        if route.drip:
            return self._drip(route)
        return [route.body]

    def _drip(self, route: Route) -> Iterator[bytes]:
        size = max(1, len(route.body) // route.drip)
        for start in range(0, len(route.body), size):
            yield route.body[start : start + size]
            if self.done.wait(route.delay):
                return

    def __enter__(self) -> DocumentServer:
        self._thread.start()
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.done.set()
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(10)
        self._tmp.cleanup()
