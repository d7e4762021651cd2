"""A real local HTTPS server on 127.0.0.1 speaking Graph, for tests on real processes and for the sync benchmark.

``LocalGraph`` serves whatever a ``responder`` answers, after a configurable delay per request, over TLS with a
self-signed certificate made on the spot (trusted by the client through ``SSL_CERT_FILE``). Point calendar-audit at
it with the documented settings ``graph.endpoint = "https://127.0.0.1:PORT"`` and ``graph.login_host =
"127.0.0.1:PORT"``. ``fake_responder`` puts :class:`graph_fake.FakeGraph` (delta rounds, paging, sign-in) behind it,
rewriting the absolute links it writes to the server's own address.
"""

from __future__ import annotations

import datetime
import ipaddress
import ssl
import threading
import time
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import httpx

Reply = tuple[int, dict[str, str], bytes]
Responder = Callable[[str, str, dict[str, str], bytes], Reply]  # method, path?query, headers, body

GRAPH_ORIGIN = "https://graph.microsoft.com"
LOGIN_ORIGIN = "https://login.microsoftonline.com"


def make_certificate(folder: Path) -> tuple[Path, Path]:
    """A self-signed certificate for 127.0.0.1 (and localhost): (certificate PEM, key PEM)."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = datetime.datetime.now(datetime.UTC)
    cert = (
        x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(days=1)).not_valid_after(now + datetime.timedelta(days=7))
        .add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1")),
                                                    x509.DNSName("localhost")]), critical=False)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    folder.mkdir(parents=True, exist_ok=True)
    cert_path, key_path = folder / "cert.pem", folder / "key.pem"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    return cert_path, key_path


class _Server(ThreadingHTTPServer):
    request_queue_size = 256  # the default 5 drops a burst of connections' SYNs: clients retry after a second


class LocalGraph:
    """A threaded HTTPS server on 127.0.0.1: each request waits ``delay`` seconds, then gets the responder's reply."""

    def __init__(self, responder: Responder, cert: tuple[Path, Path], delay: float = 0.0) -> None:
        self.responder = responder
        self.delay = delay
        self.requests = 0
        outer = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"  # keep-alive, as Graph
            disable_nagle_algorithm = True  # headers and body go out at once, not 40 ms apart (delayed ACK)

            def setup(self) -> None:
                self.request.do_handshake()  # here, in the connection's thread, not serially in accept()
                super().setup()

            def _serve(self) -> None:
                length = int(self.headers.get("content-length") or 0)
                body = self.rfile.read(length) if length else b""
                if outer.delay:
                    time.sleep(outer.delay)
                outer.requests += 1
                status, headers, content = outer.responder(self.command, self.path, dict(self.headers.items()), body)
                self.send_response(status)
                for name, value in headers.items():
                    if name.lower() not in ("content-length", "transfer-encoding", "connection", "content-encoding"):
                        self.send_header(name, value)
                self.send_header("Content-Length", str(len(content)))
                self.end_headers()
                self.wfile.write(content)

            do_GET = do_POST = do_PATCH = do_DELETE = _serve

            def log_message(self, format: str, *args: object) -> None:
                pass

        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(str(cert[0]), str(cert[1]))
        self.server = _Server(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.server.handle_error = lambda request, address: None  # a client killed mid-reply is what tests do
        self.server.socket = context.wrap_socket(self.server.socket, server_side=True, do_handshake_on_connect=False)
        self.port = self.server.server_address[1]
        self.base = f"https://127.0.0.1:{self.port}"
        self._thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> LocalGraph:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()


def fake_responder(fake, base: Callable[[], str]) -> Responder:
    """FakeGraph behind a real server: requests are handed to it as Graph's and sign-in's own URLs, and the links in
    its replies are rewritten to ``base()`` (the server's address)."""
    lock = threading.Lock()  # FakeGraph keeps state: one request at a time inside it

    def respond(method: str, path: str, headers: dict[str, str], body: bytes) -> Reply:
        origin = GRAPH_ORIGIN if path.startswith("/v1.0/") else LOGIN_ORIGIN
        request = httpx.Request(method, f"{origin}{path}", headers=headers, content=body)
        with lock:
            response = fake.respond(request)
        here = base().encode()
        content = response.content.replace(GRAPH_ORIGIN.encode(), here).replace(LOGIN_ORIGIN.encode(), here)
        return response.status_code, dict(response.headers), content

    return respond
