"""Email transports: SMTP (STARTTLS and auth configurable) for real sending, and a folder of
``.eml`` files for dev mode that a person can open."""
from __future__ import annotations

import smtplib
from email.message import EmailMessage
from email.utils import formatdate, make_msgid
from pathlib import Path

from shared.config import Config


class PermanentFailure(Exception):
    """The message cannot be delivered (bad address, rejected): do not retry."""


class TransientFailure(Exception):
    """Try again later (timeouts, 4xx replies, connection problems)."""


def build_message(*, sender: str, to: str, subject: str, text: str, html: str,
                  delivery_id: str, language: str, calendar: bytes | None = None) -> EmailMessage:
    """The email; ``calendar``: an iCalendar file attached as ``event.ics``."""
    message = EmailMessage()
    message["From"] = sender
    message["To"] = to
    message["Subject"] = subject
    message["Date"] = formatdate(localtime=False, usegmt=True)
    domain = sender.rsplit("@", 1)[-1].rstrip(">") if "@" in sender else "alumnet.local"
    message["Message-ID"] = make_msgid(idstring=delivery_id.replace(":", "."), domain=domain)
    message["X-Alumnet-Delivery"] = delivery_id
    message.set_content(text)
    message.add_alternative(html, subtype="html")
    if calendar is not None:
        message.add_attachment(calendar, maintype="text", subtype="calendar", filename="event.ics",
                               params={"method": "PUBLISH"})
    # After the body: set_content replaces every Content-* header set before it.
    message["Content-Language"] = language
    return message


class SmtpMailer:
    def __init__(self, config: Config):
        self.config = config

    def send(self, message: EmailMessage) -> None:
        c = self.config
        try:
            with smtplib.SMTP(c.smtp_host, c.smtp_port, timeout=c.smtp_timeout) as smtp:
                if c.smtp_starttls:
                    smtp.starttls()
                if c.smtp_username:
                    smtp.login(c.smtp_username, c.smtp_password)
                smtp.send_message(message)
        except smtplib.SMTPRecipientsRefused as exc:
            codes = [code for code, _ in exc.recipients.values()]
            if all(400 <= code < 500 for code in codes):
                raise TransientFailure(str(exc)) from None
            raise PermanentFailure(str(exc)) from None
        except smtplib.SMTPResponseException as exc:
            if 400 <= exc.smtp_code < 500:
                raise TransientFailure(f"{exc.smtp_code} {exc.smtp_error!r}") from None
            raise PermanentFailure(f"{exc.smtp_code} {exc.smtp_error!r}") from None
        except (OSError, smtplib.SMTPException) as exc:
            raise TransientFailure(f"{type(exc).__name__}: {exc}") from None


class FileMailer:
    """Writes each message to ``<DEV_OUTBOX_DIR>/email/<delivery>.eml``."""

    def __init__(self, config: Config):
        self.folder = Path(config.dev_outbox_dir) / "email"
        self.folder.mkdir(parents=True, exist_ok=True)

    def send(self, message: EmailMessage) -> None:
        name = message["X-Alumnet-Delivery"].replace(":", "_")
        (self.folder / f"{name}.eml").write_bytes(bytes(message))


def mailer_for(config: Config):
    return FileMailer(config) if config.email_backend == "file" else SmtpMailer(config)
