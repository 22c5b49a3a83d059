"""Real receivers for alert tests: an HTTP webhook receiver and an SMTP server on 127.0.0.1.

``HttpReceiver`` is a threaded ``http.server`` recording every request (path, headers, body);
its ``mode`` decides the answer: ``ok`` (200), ``down`` (503), ``hang`` (waits ``hang_seconds``
before answering, to make a sender time out). ``SmtpReceiver`` is an aiosmtpd ``Controller``
recording each message as an ``email.message.EmailMessage``. Both wait with bounds.
"""

from __future__ import annotations

import email
import email.policy
import json
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from email.message import EmailMessage
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from aiosmtpd.controller import Controller

from tests.faults.hostile import free_port


@dataclass
class Received:
    path: str
    headers: dict[str, str]
    body: bytes
    at: float

    def json(self) -> Any:
        return json.loads(self.body.decode("utf-8"))


class HttpReceiver:
    """A webhook receiver: ``with HttpReceiver() as r: ... r.url('json', '/hook')``."""

    def __init__(self) -> None:
        self.mode = "ok"
        self.hang_seconds = 30.0
        self.received: list[Received] = []
        """Requests answered 200 (what was delivered)."""
        self.attempts: list[Received] = []
        """Every request, whatever the answer."""
        self._lock = threading.Lock()
        self._release = threading.Event()
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    @property
    def port(self) -> int:
        assert self._server is not None
        return int(self._server.server_port)

    def url(self, scheme: str = "json", path: str = "/hook", **params: str) -> str:
        query = "&".join(f"{k}={v}" for k, v in params.items())
        return f"{scheme}://127.0.0.1:{self.port}{path}" + (f"?{query}" if query else "")

    def __enter__(self) -> HttpReceiver:
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args: Any) -> None:
                pass

            def do_POST(self) -> None:  # noqa: N802 - http.server's naming
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length)
                item = Received(self.path, dict(self.headers.items()), body, time.monotonic())
                with receiver._lock:
                    receiver.attempts.append(item)
                    mode = receiver.mode
                if mode == "hang":
                    receiver._release.wait(receiver.hang_seconds)
                    self.close_connection = True
                    return
                status = 200 if mode == "ok" else 503
                if status == 200:
                    with receiver._lock:
                        receiver.received.append(item)
                reply = (
                    b"ok"  # what a Slack webhook answers
                    if self.path.startswith("/slack")
                    else b'{"errcode": 0, "ok": true, "code": 0, "StatusCode": 0}'
                )
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(reply)))
                self.end_headers()
                self.wfile.write(reply)

            do_PUT = do_POST  # noqa: N815

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._release.set()
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()

    def wait_for(self, count: int, timeout: float = 10.0) -> list[Received]:
        return _wait(lambda: len(self.received) >= count, timeout, lambda: list(self.received))


class _Recorder:
    def __init__(self) -> None:
        self.messages: list[EmailMessage] = []
        self.lock = threading.Lock()

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802
        message = email.message_from_bytes(envelope.content, policy=email.policy.default)
        with self.lock:
            self.messages.append(message)  # type: ignore[arg-type]
        return "250 Message accepted for delivery"


class SmtpReceiver:
    """A local SMTP server: ``with SmtpReceiver() as s: s.url(to='a@example.org')``."""

    def __init__(self) -> None:
        self.port = free_port()
        self._recorder = _Recorder()
        self._controller = Controller(
            self._recorder,
            hostname="127.0.0.1",
            port=self.port,
            authenticator=_accept_password,
            auth_require_tls=False,
        )

    @property
    def messages(self) -> list[EmailMessage]:
        with self._recorder.lock:
            return list(self._recorder.messages)

    def url(self, to: str = "analyst@example.org") -> str:
        return (
            f"mailto://forumwatch:secret@127.0.0.1:{self.port}"
            f"?to={to}&from=forumwatch@example.org&secure=no&smtp=127.0.0.1"
        )

    def __enter__(self) -> SmtpReceiver:
        self._controller.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._controller.stop()

    def wait_for(self, count: int, timeout: float = 10.0) -> list[EmailMessage]:
        return _wait(lambda: len(self.messages) >= count, timeout, lambda: self.messages)


def _accept_password(server: Any, session: Any, envelope: Any, mechanism: str, auth: Any) -> Any:
    from aiosmtpd.smtp import AuthResult, LoginPassword

    ok = isinstance(auth, LoginPassword) and auth.password == b"secret"
    return AuthResult(success=ok)


def _wait(done: Callable[[], bool], timeout: float, result: Callable[[], Any]) -> Any:
    deadline = time.monotonic() + timeout
    while not done() and time.monotonic() < deadline:
        time.sleep(0.02)
    return result()


def text_of(message: EmailMessage) -> str:
    """The plain-text content of an e-mail (its text/plain part)."""
    part = message.get_body(preferencelist=("plain",))
    assert part is not None, "no text/plain part"
    return str(part.get_content())
