"""Email transports: SMTP (STARTTLS and auth configurable) for real sending, and a folder of
``.eml`` files for dev mode that a person can open."""
from __future__ import annotations

import re
import smtplib
import socket
import ssl
import time
from collections.abc import Callable
from email.message import EmailMessage
from email.policy import SMTP
from email.utils import formatdate, make_msgid, parseaddr
from pathlib import Path

from shared.config import Config

# Headers are folded only past RFC 5322's 998-character line limit, not at 78: CPython's
# folder splits a long non-ASCII header into encoded words at a space and leaves that space
# as folding whitespace, which RFC 2047 decoders drop, so "клуба: Къде" arrived as
# "клуба:Къде". One encoded word for a subject is read by every mail client.
WIRE_POLICY = SMTP.clone(max_line_length=998)


class PermanentFailure(Exception):
    """The message cannot be delivered (bad address, rejected): do not retry.
    ``provider_fault``: the provider refused us (credentials, account), not the recipient, so
    a fallback provider may still deliver it."""

    def __init__(self, reason: str, *, provider_fault: bool = False):
        super().__init__(reason)
        self.provider_fault = provider_fault


class NotBegun(Exception):
    """The caller's ``begin`` declined at the last moment (the delivery was cancelled or taken
    over): nothing was delivered."""


class TransientFailure(Exception):
    """Try again later (timeouts, 4xx replies, connection problems). ``maybe_sent``: the
    provider may have accepted the message before the failure, so it must not be handed to a
    fallback provider (it would arrive twice); ``retry_after``: the provider's requested wait."""

    def __init__(self, reason: str, *, maybe_sent: bool = False, retry_after: float | None = None):
        super().__init__(reason)
        self.maybe_sent, self.retry_after = maybe_sent, retry_after


def build_message(*, sender: str, to: str, subject: str, text: str, html: str,
                  delivery_id: str, language: str, calendar: bytes | None = None,
                  headers: dict[str, str] | None = None) -> EmailMessage:
    """The email; ``calendar``: an iCalendar file attached as ``event.ics``; ``headers``:
    more headers (the RFC 8058 unsubscribe pair of marketing mail)."""
    message = EmailMessage()
    message["From"] = sender
    message["To"] = to
    message["Subject"] = subject
    message["Date"] = formatdate(localtime=False, usegmt=True)
    domain = sender.rsplit("@", 1)[-1].rstrip(">") if "@" in sender else "alumnet.local"
    message["Message-ID"] = make_msgid(idstring=delivery_id.replace(":", "."), domain=domain)
    message["X-Alumnet-Delivery"] = delivery_id
    for name, value in (headers or {}).items():
        message[name] = value
    message.set_content(text)
    message.add_alternative(html, subtype="html")
    if calendar is not None:
        message.add_attachment(calendar, maintype="text", subtype="calendar", filename="event.ics",
                               params={"method": "PUBLISH"})
    # After the body: set_content replaces every Content-* header set before it.
    message["Content-Language"] = language
    return message


def _refused(code: int, reply: bytes | str, step: str) -> Exception:
    text = f"{step}: {code} {reply.decode(errors='replace') if isinstance(reply, bytes) else reply}"
    if 400 <= code < 500:
        return TransientFailure(text)
    # 530/535: authentication required or refused - our account, not the recipient.
    return PermanentFailure(text, provider_fault=code in (530, 535))


class SmtpMailer:
    """SMTP with one connection kept open across messages (a new connection and TLS
    handshake per message would cost more than the message), reopened when the server has
    closed it while idle.

    The conversation is driven step by step so a failure is classified by where it happened:
    before DATA nothing was sent (a fallback server may take it); a connection lost during
    DATA may have delivered it (``maybe_sent``)."""

    IDLE_S = 20.0  # servers close idle sessions (Postfix after 300 s); reconnect well before

    def __init__(self, config: Config | None = None, *, host: str | None = None, port: int | None = None,
                 starttls: bool | None = None, username: str | None = None, password: str | None = None,
                 timeout: float | None = None, tls_context: ssl.SSLContext | None = None):
        self.host = host if host is not None else config.smtp_host
        self.port = port if port is not None else config.smtp_port
        self.starttls = starttls if starttls is not None else config.smtp_starttls
        self.username = username if username is not None else config.smtp_username
        self.password = password if password is not None else config.smtp_password
        self.timeout = timeout if timeout is not None else config.smtp_timeout
        # The server's certificate is verified (smtplib's default context would not check it).
        self.tls_context = tls_context or ssl.create_default_context()
        self._smtp: smtplib.SMTP | None = None
        self._used_at = 0.0

    def _connection(self) -> smtplib.SMTP:
        if self._smtp is not None and time.monotonic() - self._used_at > self.IDLE_S:
            self.close()
        if self._smtp is None:
            smtp = smtplib.SMTP(self.host, self.port, timeout=self.timeout)
            try:
                # The final dot goes out alone after the body (the delivery is marked in between):
                # with Nagle's algorithm it waits for the ACK of the body, which the server
                # delays (40 ms on Linux) as it has nothing to answer yet.
                smtp.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
                smtp.ehlo_or_helo_if_needed()
                if self.starttls:
                    smtp.starttls(context=self.tls_context)
                if self.username:
                    smtp.login(self.username, self.password)
            except BaseException:
                smtp.close()
                raise
            self._smtp = smtp
        return self._smtp

    def close(self) -> None:
        if self._smtp is not None:
            try:
                self._smtp.quit()
            except (OSError, smtplib.SMTPException):
                self._smtp.close()
            self._smtp = None

    def _abandon(self) -> None:
        """Drop the connection in the middle of DATA without a word. Whatever we sent now
        (QUIT, RSET) would be read as more of the message, and a server that has not seen the
        final dot when the connection ends discards the message (RFC 5321): closing is the
        only way to take back a message mid-DATA."""
        if self._smtp is not None:
            self._smtp.close()
            self._smtp = None

    def _envelope(self, sender: str, recipient: str) -> smtplib.SMTP:
        smtp = self._connection()
        code, reply = smtp.mail(sender)
        if code != 250:
            smtp.rset()
            raise _refused(code, reply, "MAIL FROM")
        code, reply = smtp.rcpt(recipient)
        if code not in (250, 251):
            smtp.rset()
            raise _refused(code, reply, "RCPT TO")
        return smtp

    def send(self, message: EmailMessage, begin: Callable[[], bool] = lambda: True) -> str:
        """Send; return the Message-ID. Raises ``TransientFailure``, ``PermanentFailure`` or
        ``NotBegun``.

        ``begin`` (which marks the delivery as being sent) runs as late as SMTP allows: after
        the message's body went out and before the dot that ends it. A server delivers nothing
        without that dot, so a worker killed before it loses nothing and a failure before it
        is known not to have delivered; only the last round trip is uncertain."""
        sender, recipient = parseaddr(message["From"])[1], parseaddr(message["To"])[1]
        payload = message.as_bytes(policy=WIRE_POLICY)
        try:
            try:
                smtp = self._envelope(sender, recipient)
            except (smtplib.SMTPServerDisconnected, ConnectionError):
                self.close()  # a kept connection the server had closed: one fresh try
                smtp = self._envelope(sender, recipient)
        except smtplib.SMTPAuthenticationError as exc:
            self.close()
            raise PermanentFailure(f"login refused: {exc.smtp_code}", provider_fault=True) from None
        except (ssl.SSLError, smtplib.SMTPNotSupportedError) as exc:
            # An untrusted certificate or a server without STARTTLS: our setup, not the recipient.
            self.close()
            raise PermanentFailure(f"cannot secure the connection: {exc}", provider_fault=True) from None
        except (OSError, smtplib.SMTPException) as exc:
            self.close()
            raise TransientFailure(f"{type(exc).__name__}: {exc}") from None
        try:
            code, reply = smtp.docmd("DATA")
            if code != 354:
                smtp.rset()
                raise _refused(code, reply, "DATA")
            smtp.send(_body(payload))
        except (OSError, smtplib.SMTPException) as exc:  # before the final dot: not delivered
            self._abandon()
            raise TransientFailure(f"connection lost before the end of DATA: {type(exc).__name__}: {exc}") from None
        try:
            begun = begin()
        except BaseException:
            self._abandon()  # the caller could not mark it (its store failed): never deliver it
            raise
        if not begun:
            self._abandon()  # the message stays unterminated: the server discards it
            raise NotBegun()
        try:
            smtp.send(b".\r\n")
            code, reply = smtp.getreply()
        except (OSError, smtplib.SMTPException) as exc:
            self.close()
            raise TransientFailure(f"connection lost after the end of DATA: {type(exc).__name__}: {exc}",
                                   maybe_sent=True) from None
        self._used_at = time.monotonic()
        if code != 250:
            smtp.rset()
            raise _refused(code, reply, "DATA")
        return message["Message-ID"]


def _body(payload: bytes) -> bytes:
    """The message as DATA carries it, without the final dot: lines starting with a dot get a
    second one (RFC 5321 4.5.2), and it ends with a line break."""
    body = re.sub(rb"(?m)^\.", b"..", payload)
    return body if body.endswith(b"\r\n") else body + b"\r\n"


class FileMailer:
    """Writes each message to ``<DEV_OUTBOX_DIR>/email/<delivery>.eml``."""

    def __init__(self, config: Config):
        self.folder = Path(config.dev_outbox_dir) / "email"
        self.folder.mkdir(parents=True, exist_ok=True)

    def send(self, message: EmailMessage, begin: Callable[[], bool] = lambda: True) -> str:
        if not begin():
            raise NotBegun()
        name = message["X-Alumnet-Delivery"].replace(":", "_")
        (self.folder / f"{name}.eml").write_bytes(message.as_bytes(policy=WIRE_POLICY))
        return message["Message-ID"]

    def close(self) -> None:
        pass


def mailer_for(config: Config) -> SmtpMailer | FileMailer:
    return FileMailer(config) if config.email_backend == "file" else SmtpMailer(config)
