"""A tiny Twilio-compatible SMS provider for tests: a real HTTP server on a free local port
that records the messages it accepts and can be told to fail or stall.

    with SmsSink() as sink:
        sender = HttpSmsSender(sink.url, "AC123", "token", "Alumnet")
        sink.fail_next(1, status=429, retry_after=3)
        ...
        assert sink.messages[0].body == "..."

Like Twilio, it answers a repeated idempotency key with the first answer and does not record
(or bill) the message again. ``requests`` lists every attempt, failed ones included.
"""
from __future__ import annotations

import base64
import json
import threading
import uuid
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs


@dataclass(frozen=True)
class SinkMessage:
    to: str
    sender: str
    body: str
    auth: tuple[str, str] | None       # (account sid, token) from HTTP basic auth
    idempotency_key: str | None
    sid: str


@dataclass
class _Plan:
    kind: str                 # "fail", "hang" or "drop"
    status: int = 500
    retry_after: str | None = None
    body: bytes = b""
    seconds: float = 0.0
    accept: bool = False      # a hang after recording the message: only the answer is lost


class SmsSink:
    def __init__(self, account_sid: str | None = None, auth_token: str | None = None):
        # With credentials set, other credentials get Twilio's 401 (code 20003).
        self.account_sid, self.auth_token = account_sid, auth_token
        self.messages: list[SinkMessage] = []
        self.requests: list[dict] = []
        self._by_key: dict[str, SinkMessage] = {}
        self._plans: list[_Plan] = []
        self._lock = threading.Lock()
        self._closing = threading.Event()
        # Port 0: the OS picks a free port while binding, so there is no race for it.
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler_class())
        self._server.daemon_threads = True
        # A short poll interval: shutdown() waits for the serving loop's next poll.
        self._thread = threading.Thread(target=self._server.serve_forever, args=(0.02,),
                                        name="sms-sink", daemon=True)

    @property
    def url(self) -> str:
        port = self._server.server_address[1]
        return f"http://127.0.0.1:{port}/2010-04-01/Accounts/{self.account_sid or 'AC0'}/Messages.json"

    def __enter__(self) -> "SmsSink":
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._closing.set()  # wakes stalled answers so shutdown does not wait them out
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(5)

    # -- telling it what to do -------------------------------------------------------------

    def fail_next(self, n: int = 1, status: int = 500, retry_after: float | str | None = None,
                  body: dict | str | bytes | None = None) -> None:
        """Answer the next ``n`` requests with ``status`` (and a Retry-After header, and a
        Twilio-style JSON error body unless ``body`` is given); nothing is recorded."""
        if body is None:
            body = {"code": None, "message": f"simulated HTTP {status}", "status": status}
        raw = json.dumps(body).encode() if isinstance(body, dict) else body.encode() if isinstance(body, str) else body
        with self._lock:
            self._plans += [_Plan("fail", status=status, body=raw,
                                  retry_after=None if retry_after is None else str(retry_after))
                            for _ in range(n)]

    def hang_next(self, n: int = 1, seconds: float = 5.0, accept: bool = False) -> None:
        """Delay the answer to the next ``n`` requests by ``seconds`` (longer than the client's
        timeout, to make it time out). Without ``accept`` the message is not taken (a late 504
        follows); with it, the message is recorded before the stall: the provider took it and
        only the answer is lost, as when a worker crashes between sending and recording."""
        with self._lock:
            self._plans += [_Plan("hang", seconds=seconds, accept=accept) for _ in range(n)]

    def drop_next(self, n: int = 1, accept: bool = False) -> None:
        """Close the connection of the next ``n`` requests without an answer. With
        ``accept`` the message is recorded first: the provider took it and only the answer is
        lost, as with a timeout, but without the client having to wait for one."""
        with self._lock:
            self._plans += [_Plan("drop", accept=accept) for _ in range(n)]

    def to(self, number: str) -> list[SinkMessage]:
        with self._lock:
            return [m for m in self.messages if m.to == number]

    # -- serving ----------------------------------------------------------------------------

    def _accept(self, form: dict, auth, key: str | None) -> tuple[SinkMessage, bool]:
        """Record a message unless its idempotency key was seen; return it and whether new."""
        with self._lock:
            if key is not None and key in self._by_key:
                return self._by_key[key], False
            message = SinkMessage(to=form.get("To", ""), sender=form.get("From", ""), body=form.get("Body", ""),
                                  auth=auth, idempotency_key=key, sid="SM" + uuid.uuid4().hex)
            self.messages.append(message)
            if key is not None:
                self._by_key[key] = message
            return message, True

    def _handler_class(self):
        sink = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args):  # keep test output quiet
                pass

            def do_POST(self):  # noqa: N802 (http.server's naming)
                length = int(self.headers.get("Content-Length") or 0)
                form = {k: v[0] for k, v in parse_qs(self.rfile.read(length).decode(), keep_blank_values=True).items()}
                auth = self._basic_auth()
                key = self.headers.get("Idempotency-Key") or self.headers.get("I-Twilio-Idempotency-Token")
                with sink._lock:
                    sink.requests.append({"form": form, "auth": auth, "idempotency_key": key,
                                          "headers": dict(self.headers)})
                    plan = sink._plans.pop(0) if sink._plans else None
                if plan and plan.kind == "fail":
                    headers = {"Retry-After": plan.retry_after} if plan.retry_after is not None else {}
                    return self._answer(plan.status, plan.body, headers)
                if sink.account_sid is not None and auth != (sink.account_sid, sink.auth_token):
                    return self._answer(401, json.dumps({"code": 20003, "message": "Authenticate",
                                                         "status": 401}).encode())
                if plan and plan.kind == "hang" and not plan.accept:
                    # A stall before taking the message: it never goes out.
                    sink._closing.wait(plan.seconds)
                    return self._answer(504, json.dumps({"code": None, "message": "stalled",
                                                         "status": 504}).encode())
                if plan and plan.kind == "drop":
                    if plan.accept:
                        sink._accept(form, auth, key)
                    self.close_connection = True  # no status line: the client reads nothing
                    return
                message, _ = sink._accept(form, auth, key)
                if plan and plan.kind == "hang":
                    sink._closing.wait(plan.seconds)  # taken; only the answer is late
                self._answer(201, json.dumps({"sid": message.sid, "status": "queued", "to": message.to,
                                              "from": message.sender, "body": message.body}).encode())

            def _basic_auth(self):
                header = self.headers.get("Authorization", "")
                if not header.startswith("Basic "):
                    return None
                user, _, password = base64.b64decode(header[6:]).decode().partition(":")
                return user, password

            def _answer(self, status: int, body: bytes, headers: dict | None = None):
                try:
                    self.send_response(status)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(body)))
                    for name, value in (headers or {}).items():
                        self.send_header(name, value)
                    self.end_headers()
                    self.wfile.write(body)
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the client gave up (a timeout test): nobody is listening

        return Handler
