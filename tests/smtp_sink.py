"""A real SMTP server for tests (aiosmtpd on a local port the OS picks while binding) that
keeps what it receives and can be told to refuse or drop the next messages.

    with SmtpSink() as sink:
        sink.fail_next(1, "451 4.3.0 Try again later")          # refused at DATA, not delivered
        sink.fail_next(1, "550 5.1.1 No such mailbox", at="RCPT")
        sink.fail_next(1, None, at="DATA", drop=True)            # delivered, then the connection dies
        ...
        assert [m["To"] for m in sink.messages] == [...]

``drop`` keeps the message (it "arrived") and closes the connection before answering, which is
what a crash of the network or the server between the two looks like to the client.
"""
from __future__ import annotations

import threading
from dataclasses import dataclass
from email import message_from_bytes, policy
from email.message import EmailMessage

from aiosmtpd.controller import Controller



class LocalController(Controller):
    """aiosmtpd's controller on 127.0.0.1, port 0: the OS picks a free port while binding, so
    no other process can take it between a probe and the bind. ``port`` is the bound one once
    ``start()`` returns (aiosmtpd itself would connect to port 0 to wake the server up)."""

    def __init__(self, handler, **options):
        super().__init__(handler, hostname="127.0.0.1", port=0, **options)

    def _trigger_server(self):
        self.port = self.server.sockets[0].getsockname()[1]
        super()._trigger_server()


@dataclass
class _Plan:
    reply: str | None
    at: str
    drop: bool


class SmtpSink:
    def __init__(self):
        self.messages: list[EmailMessage] = []
        self.lock = threading.Lock()
        self._plans: list[_Plan] = []
        self._controller = LocalController(self)
        self.port: int | None = None  # known once started

    def __enter__(self) -> "SmtpSink":
        self._controller.start()
        self.port = self._controller.port
        return self

    def __exit__(self, *exc) -> None:
        self._controller.stop()

    def fail_next(self, count: int, reply: str | None, *, at: str = "DATA", drop: bool = False) -> None:
        with self.lock:
            self._plans += [_Plan(reply, at, drop) for _ in range(count)]

    def _plan(self, step: str) -> _Plan | None:
        with self.lock:
            if self._plans and self._plans[0].at == step:
                return self._plans.pop(0)
        return None

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):  # noqa: N802 (aiosmtpd's naming)
        plan = self._plan("RCPT")
        if plan is not None and plan.reply:
            return plan.reply
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):  # noqa: N802
        plan = self._plan("DATA")
        if plan is not None and plan.reply and not plan.drop:
            return plan.reply
        message = message_from_bytes(envelope.content, policy=policy.default)
        with self.lock:
            self.messages.append(message)
        if plan is not None and plan.drop:
            server.transport.close()
            return "421 closing"  # never reaches the client: the connection is gone
        return "250 OK"

    def to(self, address: str) -> list[EmailMessage]:
        with self.lock:
            return [m for m in self.messages if m["To"] == address]

    def deliveries(self) -> list[str]:
        """The X-Alumnet-Delivery header of every message received, in order."""
        with self.lock:
            # strip(): a long header value is folded onto the next line, and read back with its space.
            return [str(m["X-Alumnet-Delivery"]).strip() for m in self.messages]
