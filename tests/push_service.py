"""Push services on loopback for the push tests: one that answers (and keeps what it
receives), one that never answers, and a bare listener that counts who reaches it, with
the settings that let a server push to them and to nothing else."""

from __future__ import annotations

import base64
import datetime
import ipaddress
import json
import os
import queue
import socket
import ssl
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import http_ece
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from servers import free_port


def b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def self_signed(tmp_path: Path) -> tuple[Path, Path]:
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = datetime.datetime.now(datetime.timezone.utc)
    cert = (
        x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5)).not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), critical=False)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_file, key_file = tmp_path / "push-cert.pem", tmp_path / "push-key.pem"
    cert_file.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_file.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    return cert_file, key_file


class PushService(BaseHTTPRequestHandler):
    """A push service on https://127.0.0.1: it keeps what it receives. By path:
    /gone/… has ended (410), /fail/… is broken (500), /redirect/… answers 307 to `redirect_to`."""

    received: "queue.Queue[tuple[str, dict, bytes]]"
    redirect_to = ""
    on_receive = None  # called with the path as each push arrives

    def do_POST(self):
        body = self.rfile.read(int(self.headers["Content-Length"]))
        if self.on_receive:
            type(self).on_receive(self.path)
        self.received.put((self.path, {k.lower(): v for k, v in self.headers.items()}, body))
        status = {"/gone/": 410, "/fail/": 500, "/redirect/": 307}.get(self.path[: self.path.find("/", 1) + 1], 201)
        self.send_response(status)
        if status == 307:
            self.send_header("Location", self.redirect_to)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *args):
        pass


def serve_tls(handler, cert_file: Path, key_file: Path) -> ThreadingHTTPServer:
    httpd = ThreadingHTTPServer(("127.0.0.1", free_port()), handler)
    tls = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    tls.load_cert_chain(cert_file, key_file)
    httpd.socket = tls.wrap_socket(httpd.socket, server_side=True)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    return httpd


class SilentService:
    """Accepts TLS connections, reads what is sent, and never answers: counts connections
    opened, and closed by the sender giving up."""

    def __init__(self, cert_file: Path, key_file: Path):
        self.tls = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        self.tls.load_cert_chain(cert_file, key_file)
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        self.opened = 0
        self.closed = 0
        self.lock = threading.Lock()
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self):
        while True:
            try:
                conn, _ = self.listener.accept()
            except OSError:
                return
            with self.lock:
                self.opened += 1
            threading.Thread(target=self._hold, args=(conn,), daemon=True).start()

    def _hold(self, conn):
        try:
            with self.tls.wrap_socket(conn, server_side=True) as tls:
                while tls.recv(65536):
                    pass
        except OSError:
            pass
        with self.lock:
            self.closed += 1

    def close(self):
        self.listener.close()


class Listener:
    """A bare TCP listener that counts the connections anyone opens to it."""

    def __init__(self, host: str = "127.0.0.1"):
        self.socket = socket.create_server((host, 0))
        self.host, self.port = host, self.socket.getsockname()[1]
        self.contacted = 0
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self):
        while True:
            try:
                conn, _ = self.socket.accept()
            except OSError:
                return
            self.contacted += 1
            conn.close()

    def close(self):
        self.socket.close()


def push_settings(tmp_path: Path, cert_file: Path, hosts: list[str], **extra: str) -> dict[str, str]:
    """Settings for a server that may push to `hosts` (allow-list entries) on 127.0.0.1 only.

    The same two settings an operator would use for a push relay inside their own network:
    nothing in the code knows it is under test.
    """
    allowed = tmp_path / "push-services.json"
    allowed.write_text(json.dumps(hosts))
    return {
        "LIVEBLOG_PUSH_SERVICES": str(allowed),
        "LIVEBLOG_PUSH_PRIVATE_NETWORKS": "127.0.0.1/32",
        # The server trusts our push service's certificate, as it trusts real ones: https only.
        "SSL_CERT_FILE": str(cert_file),
        **extra,
    }


class Subscriber:
    """A browser's side of a push subscription: its ECDH key pair and auth secret."""

    def __init__(self, endpoint: str):
        self.key = ec.generate_private_key(ec.SECP256R1())
        self.auth = os.urandom(16)
        self.endpoint = endpoint

    def subscription(self) -> dict:
        public = self.key.public_key().public_bytes(serialization.Encoding.X962,
                                                    serialization.PublicFormat.UncompressedPoint)
        return {"endpoint": self.endpoint, "expirationTime": None, "keys": {"p256dh": b64(public), "auth": b64(self.auth)}}

    def decrypt(self, body: bytes) -> dict:
        return json.loads(http_ece.decrypt(body, private_key=self.key, auth_secret=self.auth, version="aes128gcm"))
