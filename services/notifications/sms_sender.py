"""SMS transports: a Twilio-compatible messages API over HTTP for real sending, and a folder of
JSON files for dev mode that a person can read.

Failures are classified for the dispatcher: ``TransientSmsError`` (timeouts, connection
problems, HTTP 429 and 5xx) is worth retrying, ``PermanentSmsError`` (any other 4xx: invalid
number, bad credentials) is not. Every call carries the delivery id as its idempotency key, so
retrying a send whose answer was lost (a timeout, or a worker crash between sending and
recording) is not sent or charged twice by providers that honour the key.

The standard library's ``urllib`` is used on purpose: ``requests`` is only a dev dependency,
and production needs nothing new for one POST.
"""
from __future__ import annotations

import base64
import http.client
import json
import os
import re
import tempfile
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass
from datetime import datetime, timezone
from email.utils import parsedate_to_datetime
from pathlib import Path

from services.notifications.sms_text import describe
from shared.config import Config


@dataclass(frozen=True)
class SmsResult:
    provider_id: str | None  # the provider's message id (Twilio ``sid``)


class SmsError(Exception):
    """A message was not accepted by the provider."""


class TransientSmsError(SmsError):
    """Try again later; ``retry_after`` is the provider's requested wait in seconds, if any;
    ``maybe_sent``: the provider may have accepted it (the answer was lost), so only the same
    provider may be asked again (its idempotency key covers the repeat), never a fallback."""

    def __init__(self, reason: str, *, status: int | None = None, retry_after: float | None = None,
                 maybe_sent: bool = False):
        super().__init__(reason)
        self.status, self.retry_after, self.maybe_sent = status, retry_after, maybe_sent


class PermanentSmsError(SmsError):
    """The provider refused the message for good; ``code`` is its error code (Twilio's
    21211 is an invalid 'To' number, 20003 bad credentials)."""

    def __init__(self, reason: str, *, status: int | None = None, code: int | str | None = None,
                 provider_message: str | None = None):
        super().__init__(reason)
        self.status, self.code, self.provider_message = status, code, provider_message


class _NoRedirects(urllib.request.HTTPRedirectHandler):
    # urllib would follow a 301/302/303 by re-sending the POST as a GET without its body; a
    # messages endpoint that redirects is a misconfigured SMS_API_URL, so report the 3xx.
    def redirect_request(self, req, fp, code, msg, headers, newurl):
        return None


def _retry_after(value: str | None) -> float | None:
    """Seconds from a Retry-After header: delta-seconds or an HTTP date."""
    if not value:
        return None
    value = value.strip()
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=timezone.utc)
    return max(0.0, (when - datetime.now(timezone.utc)).total_seconds())


def _error_details(raw: bytes) -> tuple[int | str | None, str | None]:
    """Twilio-style ``{"code": 21211, "message": "..."}``, or nothing if the body is not JSON."""
    try:
        body = json.loads(raw)
    except ValueError:
        text = raw.decode("utf-8", "replace").strip()
        return None, text[:200] or None
    if not isinstance(body, dict):
        return None, None
    return body.get("code"), body.get("message")


class HttpSmsSender:
    """Sends through a Twilio-compatible API: ``api_url`` is the full messages URL (e.g.
    ``https://api.twilio.com/2010-04-01/Accounts/<sid>/Messages.json``)."""

    def __init__(self, api_url: str, account_sid: str, auth_token: str, sender: str,
                 timeout_s: float = 10, opener: urllib.request.OpenerDirector | None = None):
        if urllib.parse.urlparse(api_url).scheme not in ("http", "https"):
            raise ValueError(f"SMS_API_URL must be an http(s) URL, got {api_url!r}")
        self.api_url, self.sender, self.timeout_s = api_url, sender, timeout_s
        credentials = base64.b64encode(f"{account_sid}:{auth_token}".encode()).decode("ascii")
        self._authorization = f"Basic {credentials}"
        self._opener = opener or urllib.request.build_opener(_NoRedirects)

    def send(self, to: str, body: str, delivery_id: str) -> SmsResult:
        """Send ``body`` to ``to`` (E.164); ``delivery_id`` is the idempotency key."""
        request = urllib.request.Request(
            self.api_url, method="POST",
            data=urllib.parse.urlencode({"To": to, "From": self.sender, "Body": body}).encode(),
            headers={
                "Content-Type": "application/x-www-form-urlencoded",
                "Accept": "application/json",
                # Sent up front rather than after a 401 challenge: one round trip, and the
                # body is not posted twice.
                "Authorization": self._authorization,
                "Idempotency-Key": delivery_id,           # the IETF draft most providers follow
                "I-Twilio-Idempotency-Token": delivery_id,  # Twilio's own name for it
            })
        try:
            with self._opener.open(request, timeout=self.timeout_s) as response:
                raw = response.read()
        except urllib.error.HTTPError as exc:
            raise self._classify(exc) from None
        except TimeoutError as exc:  # socket.timeout is an alias since Python 3.10
            # The provider may have accepted it: the retry's idempotency key covers that.
            raise TransientSmsError(f"timed out after {self.timeout_s}s: {exc}", maybe_sent=True) from None
        except urllib.error.URLError as exc:
            if isinstance(exc.reason, TimeoutError):
                raise TransientSmsError(f"timed out connecting after {self.timeout_s}s") from None
            raise TransientSmsError(f"cannot reach the SMS provider: {exc.reason}") from None
        except (OSError, http.client.HTTPException) as exc:
            raise TransientSmsError(f"{type(exc).__name__}: {exc}", maybe_sent=True) from None
        try:
            sid = json.loads(raw).get("sid")
        except (ValueError, AttributeError):
            sid = None
        # A 2xx means it was accepted even if the body is unreadable: raising here would make
        # the dispatcher retry and, without idempotency support, send it twice.
        return SmsResult(provider_id=sid)

    @staticmethod
    def _classify(exc: urllib.error.HTTPError) -> SmsError:
        status = exc.code
        try:
            raw = exc.read()
        except (OSError, http.client.HTTPException):
            raw = b""
        code, message = _error_details(raw)
        detail = f"HTTP {status}" + (f" code {code}" if code is not None else "") + (f": {message}" if message else "")
        if status == 429 or status >= 500:
            return TransientSmsError(detail, status=status, retry_after=_retry_after(exc.headers.get("Retry-After")))
        return PermanentSmsError(detail, status=status, code=code, provider_message=message)


class FileSmsSender:
    """Writes each message to ``<directory>/<delivery>.json`` (dev mode: DEV_OUTBOX_DIR/sms)."""

    def __init__(self, directory: str | os.PathLike, sender: str = "Alumnet"):
        self.folder = Path(directory)
        self.folder.mkdir(parents=True, exist_ok=True)
        self.sender = sender

    def send(self, to: str, body: str, delivery_id: str) -> SmsResult:
        name = re.sub(r"[^A-Za-z0-9._-]", "_", delivery_id)
        length = describe(body)
        record = {"delivery_id": delivery_id, "to": to, "from": self.sender, "body": body,
                  "encoding": length.encoding, "segments": length.segments,
                  "written_at": datetime.now(timezone.utc).isoformat()}
        # Written aside and renamed, so a reader never sees half a file; the same delivery
        # overwrites its own file, as an idempotent provider would keep one message.
        fd, temp = tempfile.mkstemp(dir=self.folder, prefix=".", suffix=".tmp")
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as handle:
                json.dump(record, handle, ensure_ascii=False, indent=2)
            os.replace(temp, self.folder / f"{name}.json")
        except BaseException:
            Path(temp).unlink(missing_ok=True)
            raise
        return SmsResult(provider_id=f"file:{name}")


def sms_sender_for(config: Config) -> HttpSmsSender | FileSmsSender:
    if config.sms_backend == "file":
        return FileSmsSender(Path(config.dev_outbox_dir) / "sms", sender=config.sms_from)
    return HttpSmsSender(config.sms_api_url, config.sms_account_sid, config.sms_auth_token, config.sms_from)
