"""The providers behind each channel: a primary and an optional fallback, each with its own
send-rate limit.

A channel tries its providers in order. A provider that failed without taking the message
(connection refused, a 4xx SMTP reply before DATA, HTTP 429/5xx) hands it to the next one; a
failure that may have delivered it (a connection lost during DATA, a timeout waiting for the
SMS provider's answer) does not, because the fallback would deliver it a second time: the
dispatcher retries it later with the same provider (whose idempotency key covers the SMS
case). A refusal about the recipient (unknown mailbox, invalid number) is final everywhere.
"""
from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qs, unquote, urlparse

from services.notifications.mailer import (
    NotBegun,
    PermanentFailure,
    SmtpMailer,
    TransientFailure,
    mailer_for,
)
from services.notifications.sms_sender import (
    FileSmsSender,
    HttpSmsSender,
    PermanentSmsError,
    TransientSmsError,
    sms_sender_for,
)
from shared.config import Config


class RateLimiter:
    """A token bucket: at most ``rate`` sends per second on average, bursts of one second's
    worth. ``rate`` 0 means no limit. Thread-safe; waits rather than refuses."""

    def __init__(self, rate: float, clock: Callable[[], float] = time.monotonic,
                 sleep: Callable[[float], None] = time.sleep):
        self.rate, self.clock, self.sleep = rate, clock, sleep
        self.capacity = max(1.0, rate)
        self.tokens, self.updated = self.capacity, clock()
        self._lock = threading.Lock()

    def acquire(self) -> None:
        if self.rate <= 0:
            return
        with self._lock:
            now = self.clock()
            self.tokens = min(self.capacity, self.tokens + (now - self.updated) * self.rate)
            self.updated = now
            self.tokens -= 1
            wait = -self.tokens / self.rate if self.tokens < 0 else 0.0
        if wait > 0:
            self.sleep(wait)


@dataclass
class Provider:
    name: str
    send: Callable[..., str | None]  # returns the provider's message id
    limiter: RateLimiter
    close: Callable[[], None] = lambda: None
    # The provider calls ``begin`` itself, at the last moment of its conversation (SMTP: before
    # the final dot); otherwise the channel calls it right before ``send``.
    begins_late: bool = False


@dataclass(frozen=True)
class Sent:
    provider: str
    provider_message_id: str | None


class Channel:
    """The providers of one channel, tried in order (see the module docstring).
    ``idempotent``: its providers take an idempotency key, so a send that may have gone
    through can be repeated safely (SMS); otherwise (SMTP) it must not be repeated."""

    def __init__(self, providers: list[Provider], *, idempotent: bool = False):
        if not providers:
            raise ValueError("a channel needs a provider")
        self.providers, self.idempotent = providers, idempotent

    def send(self, payload: Any, begin: Callable[[], bool] = lambda: True) -> Sent | None:
        """Send through the first provider that takes it. ``begin`` (it marks the delivery as
        being sent) runs once, after the rate limiter let the attempt through, as late as the
        provider allows; if it returns False nothing is sent and None is returned. A failure
        may come before ``begin`` ran (the caller's own ``begin`` knows)."""
        last: Exception | None = None
        begun: list[bool] = []

        def begin_once() -> bool:
            if not begun:
                begun.append(begin())
            return begun[0]

        for provider in self.providers:
            provider.limiter.acquire()
            try:
                if provider.begins_late:
                    return Sent(provider.name, provider.send(payload, begin=begin_once))
                if not begin_once():
                    return None
                return Sent(provider.name, provider.send(payload))
            except NotBegun:
                return None
            except TransientFailure as exc:
                if exc.maybe_sent:
                    raise
                last = exc
            except PermanentFailure as exc:
                if not exc.provider_fault:
                    raise
                last = exc
        assert last is not None
        raise last

    def close(self) -> None:
        for provider in self.providers:
            provider.close()


@dataclass(frozen=True)
class Sms:
    to: str
    body: str
    delivery_id: str


def _sms_send(sender: HttpSmsSender | FileSmsSender) -> Callable[[Sms], str | None]:
    """An SMS sender's errors as the channel's failures."""
    def send(sms: Sms) -> str | None:
        try:
            return sender.send(sms.to, sms.body, sms.delivery_id).provider_id
        except TransientSmsError as exc:
            raise TransientFailure(str(exc), maybe_sent=exc.maybe_sent, retry_after=exc.retry_after) from None
        except PermanentSmsError as exc:
            raise PermanentFailure(str(exc), provider_fault=exc.status in (401, 403)) from None
    return send


def smtp_from_url(url: str, timeout: float) -> SmtpMailer:
    """``smtp://user:password@host:port?starttls=true``."""
    parsed = urlparse(url)
    if parsed.scheme != "smtp" or not parsed.hostname:
        raise ValueError(f"SMTP_FALLBACK_URL must look like smtp://user:pass@host:port, got {url!r}")
    starttls = parse_qs(parsed.query).get("starttls", ["false"])[0].lower() in ("1", "true", "yes")
    return SmtpMailer(host=parsed.hostname, port=parsed.port or 25, starttls=starttls,
                      username=unquote(parsed.username or ""), password=unquote(parsed.password or ""),
                      timeout=timeout)


def email_channel(config: Config) -> Channel:
    primary = mailer_for(config)
    providers = [Provider("smtp" if isinstance(primary, SmtpMailer) else "file", primary.send,
                          RateLimiter(config.email_rate_per_s), primary.close, begins_late=True)]
    if config.smtp_fallback_url:
        fallback = smtp_from_url(config.smtp_fallback_url, config.smtp_timeout)
        providers.append(Provider("smtp-fallback", fallback.send, RateLimiter(config.email_rate_per_s),
                                  fallback.close, begins_late=True))
    return Channel(providers)


def sms_channel(config: Config) -> Channel:
    if config.sms_backend == "http" and not config.sms_api_url:
        def unconfigured(sms: Sms) -> str | None:
            raise PermanentFailure("SMS is not configured here (SMS_API_URL is empty)")
        providers = [Provider("sms", unconfigured, RateLimiter(0))]
    else:
        providers = [Provider("sms" if config.sms_backend == "http" else "file", _sms_send(sms_sender_for(config)),
                              RateLimiter(config.sms_rate_per_s))]
    if config.sms_fallback_api_url:
        fallback = HttpSmsSender(config.sms_fallback_api_url, config.sms_fallback_account_sid,
                                 config.sms_fallback_auth_token, config.sms_from)
        providers.append(Provider("sms-fallback", _sms_send(fallback), RateLimiter(config.sms_rate_per_s)))
    return Channel(providers, idempotent=True)


def channels_for(config: Config) -> dict[str, Channel]:
    return {"email": email_channel(config), "sms": sms_channel(config)}


def senders_channels(config: Config, senders: int) -> list[dict[str, Channel]]:
    """The channels of ``senders`` senders working at once: each its own connections, all
    under the same per-provider rate limits (the limit is the worker's, not a sender's)."""
    first = channels_for(config)
    more = [channels_for(config) for _ in range(senders - 1)]
    for channels in more:
        for name, channel in channels.items():
            for provider, shared in zip(channel.providers, first[name].providers):
                provider.limiter = shared.limiter
    return [first, *more]

