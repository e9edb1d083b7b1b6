"""Process configuration read from environment variables.

Every setting that is not a secret has a documented default (see ``SETTINGS``) so that a
process started without configuration runs against local services. No secret has a default:
credentials and keys come only from the environment (``shared.secretcheck`` refuses a deployed
process whose secrets are missing or published). A missing required value or a malformed one
stops the process at start-up with one message naming every offending variable, instead of
failing later at the first request that needs it.
"""
from __future__ import annotations

import ipaddress
import os
from dataclasses import dataclass, field
from typing import Any, Callable, Mapping
from urllib.parse import urlparse

SERVICES = ("members", "events", "awards", "notifications")


class ConfigError(RuntimeError):
    """Raised with every bad setting at once; ``problems`` maps variable name to reason."""

    def __init__(self, problems: dict[str, str]):
        self.problems = problems
        lines = [f"  {name}: {reason}" for name, reason in sorted(problems.items())]
        super().__init__("invalid configuration:\n" + "\n".join(lines))


def _bool(raw: str) -> bool:
    lowered = raw.strip().lower()
    if lowered in ("1", "true", "yes", "on"):
        return True
    if lowered in ("0", "false", "no", "off", ""):
        return False
    raise ValueError("expected true or false")


def _positive_int(raw: str) -> int:
    value = int(raw)
    if value <= 0:
        raise ValueError("expected a positive integer")
    return value


def _seconds(raw: str) -> float:
    value = float(raw)
    if not 0.05 <= value <= 3600:
        raise ValueError("expected seconds between 0.05 and 3600")
    return value


def _non_negative_float(raw: str) -> float:
    value = float(raw)
    if not value >= 0:  # also refuses nan
        raise ValueError("expected a number >= 0")
    return value


def _offset_seconds(raw: str) -> float:
    value = float(raw)
    if not abs(value) <= 10 * 366 * 86400:  # also refuses nan and inf
        raise ValueError("expected seconds within ten years either way")
    return value


def _port(raw: str) -> int:
    value = int(raw)
    if not 0 < value < 65536:
        raise ValueError("expected a TCP port 1-65535")
    return value


def _url(*schemes: str) -> Callable[[str], str]:
    def parse(raw: str) -> str:
        parsed = urlparse(raw)
        if parsed.scheme not in schemes:
            raise ValueError(f"expected a URL with scheme {' or '.join(schemes)}")
        if parsed.scheme not in ("memory", "file") and not parsed.hostname:
            raise ValueError("URL has no host")
        return raw
    return parse


def _choice(*options: str) -> Callable[[str], str]:
    def parse(raw: str) -> str:
        if raw not in options:
            raise ValueError(f"expected one of {', '.join(options)}")
        return raw
    return parse


def _log_level(raw: str) -> str:
    return _choice("DEBUG", "INFO", "WARNING", "ERROR")(raw.upper())


def _text(raw: str) -> str:
    return raw


def _networks(raw: str) -> tuple:
    """Comma-separated addresses or CIDR networks (``10.0.0.0/8, 192.0.2.7``)."""
    try:
        return tuple(ipaddress.ip_network(part.strip(), strict=False)
                     for part in raw.split(",") if part.strip())
    except ValueError as exc:
        raise ValueError(f"expected comma-separated addresses or networks ({exc})") from None


# The proxies a dev-mode process trusts when TRUSTED_PROXIES is not set: only this machine.
LOOPBACK = _networks("127.0.0.0/8,::1")


@dataclass(frozen=True)
class Setting:
    env: str
    default: str | None
    parse: Callable[[str], Any]
    help: str
    # A secret never has a default with a value in it, and is never printed.
    secret: bool = False


# name -> Setting. The README's configuration table is generated from this list.
SETTINGS: dict[str, Setting] = {s.env: s for s in [
    Setting("AMQP_URL", "amqp://localhost:5672//", _url("amqp", "amqps", "memory"),
            "RabbitMQ URL with the service's own broker user and password; memory:// selects the "
            "embedded in-process broker (dev mode only)", secret=True),
    Setting("MONGO_URL", "mongodb://localhost:27017", _url("mongodb", "mongodb+srv"),
            "MongoDB URL with the service's own user and password (a replica set in production; "
            "a local SecantusDB in tests and dev)", secret=True),
    Setting("MONGO_DB_PREFIX", "alumnet_", _text, "database name prefix; a service's database is prefix + service"),
    Setting("JWT_PUBLIC_KEY_FILE", None, _text, "PEM public key that verifies access tokens (required by apis)"),
    Setting("JWT_PRIVATE_KEY_FILE", "", _text, "PEM private key that signs access tokens (members only)"),
    Setting("JWT_ISSUER", "alumnet", _text, "expected `iss` of access tokens"),
    Setting("JWT_AUDIENCE", "alumnet", _text, "expected `aud` of access tokens"),
    Setting("JWT_ACCESS_TTL", "900", _positive_int, "access token lifetime in seconds"),
    Setting("TOKEN_ENCRYPTION_KEY", "", _text,
            "Fernet key shared by members and notifications only: encrypts one-time tokens in events",
            secret=True),
    Setting("LINK_SIGNING_KEY", "", _text,
            "key shared by members, notifications and awards only: signs one-click links (unsubscribe, "
            "mentoring and award nomination decisions); "
            "never the same as TOKEN_ENCRYPTION_KEY", secret=True),
    Setting("EMAIL_BACKEND", "smtp", _choice("smtp", "file"), "smtp sends mail; file writes .eml files to DEV_OUTBOX_DIR"),
    Setting("SMTP_HOST", "localhost", _text, "SMTP server host"),
    Setting("SMTP_PORT", "25", _port, "SMTP server port"),
    Setting("SMTP_STARTTLS", "false", _bool, "upgrade the SMTP connection with STARTTLS"),
    Setting("SMTP_USERNAME", "", _text, "SMTP auth user (empty: no auth)"),
    Setting("SMTP_PASSWORD", "", _text, "SMTP auth password", secret=True),
    Setting("SMTP_TIMEOUT", "10", _positive_int, "SMTP socket timeout in seconds"),
    Setting("MAIL_FROM", "Alumnet <no-reply@alumnet.local>", _text, "From header of outgoing mail"),
    Setting("SMS_BACKEND", "http", _choice("http", "file"), "http calls the provider API; file writes to DEV_OUTBOX_DIR"),
    Setting("SMS_API_URL", "", _text, "Twilio-compatible messages endpoint"),
    Setting("SMS_ACCOUNT_SID", "", _text, "SMS provider account id"),
    Setting("SMS_AUTH_TOKEN", "", _text, "SMS provider token", secret=True),
    Setting("SMS_FROM", "Alumnet", _text, "SMS sender id or number"),
    Setting("SMTP_FALLBACK_URL", "", _text,
            "second SMTP server used when the first cannot take a message: smtp://user:pass@host:port?starttls=true",
            secret=True),
    Setting("SMS_FALLBACK_API_URL", "", _text, "second Twilio-compatible messages endpoint (empty: none)"),
    Setting("SMS_FALLBACK_ACCOUNT_SID", "", _text, "account id at the fallback SMS provider"),
    Setting("SMS_FALLBACK_AUTH_TOKEN", "", _text, "token at the fallback SMS provider", secret=True),
    Setting("EMAIL_RATE_PER_S", "0", _non_negative_float, "most emails per second per provider and worker (0: no limit)"),
    Setting("SMS_RATE_PER_S", "0", _non_negative_float, "most SMS per second per provider and worker (0: no limit)"),
    Setting("DELIVERY_RETRY_BASE_S", "30", _seconds,
            "first wait after a temporary sending failure; doubles each attempt (up to an hour)"),
    Setting("DELIVERY_CLAIM_TIMEOUT_S", "300", _seconds,
            "after this, a dead worker's claimed deliveries are queued again (sending ones become unknown)"),
    Setting("SMS_MAX_SEGMENTS", "2", _positive_int,
            "longest SMS a notification may be, in segments (Cyrillic: 70 characters in one, 67 per part)"),
    Setting("DEV_OUTBOX_DIR", ".dev/outbox", _text, "where the file backends write email and SMS"),
    Setting("LOG_LEVEL", "INFO", _log_level, "DEBUG, INFO, WARNING or ERROR"),
    Setting("PORT", "8000", _port, "api listen port"),
    Setting("WORKER_HTTP_PORT", "9000", _port, "worker health and metrics port"),
    Setting("MAX_CONTENT_LENGTH", "1048576", _positive_int, "largest accepted request body in bytes"),
    Setting("PUBLIC_BASE_URL", "http://localhost:8080", _url("http", "https"), "the gateway URL people see in links"),
    Setting("EVENTS_REMINDER_INTERVAL_S", "5", _seconds,
            "how often an events worker claims due reminders (they are due minutes to days ahead)"),
    Setting("SURVEY_REMINDER_LEAD_S", "259200", _positive_int,
            "how long before a survey's close its one reminder goes (at most half the survey's open period)"),
    Setting("SURVEY_REMINDER_INTERVAL_S", "30", _seconds,
            "how often a notifications worker looks for due survey reminders"),
    Setting("MENTORING_WEIGHTS", "", _text,
            "the mentoring score's weights over the defaults, e.g. `shared_specialty=3, topics=2.5` (factors: "
            "shared_specialty, topics, common_language, place, free_capacity, reply_time, acceptance, experience)"),
    Setting("MENTORING_DEADLINE_S", "259200", _positive_int,
            "how long, in seconds (3 days), an asked mentor has to answer before the next choice is asked"),
    Setting("MENTORING_RECENT_YEARS", "3", _positive_int,
            "graduates may ask for a mentor until the end of this many calendar years after graduating"),
    Setting("MENTORING_EXPIRY_INTERVAL_S", "60", _seconds,
            "how often a members worker expires mentoring asks past their deadline"),
    Setting("AMBASSADOR_REPLY_TARGET_S", "172800", _positive_int,
            "how long, in seconds (48 h), an ambassador has to reply to an assigned contact before being nudged"),
    Setting("AMBASSADOR_ESCALATE_AFTER_S", "86400", _positive_int,
            "how long after the ambassador's nudge an unanswered contact is reported to the office"),
    Setting("AMBASSADOR_OVERDUE_INTERVAL_S", "60", _seconds,
            "how often a members worker looks for ambassador contacts past their reply target, and for "
            "finder askers' data past its retention"),
    Setting("AMBASSADOR_ASKER_RETENTION_DAYS", "365", _positive_int,
            "how long a question asked through the public ambassador finder keeps the asker's data"),
    Setting("OFFICE_EMAIL", "", _text,
            "the alumni office's address for alerts (an ambassador contact still unanswered); empty: none sent"),
    Setting("TRUSTED_PROXIES", "", _networks,
            "addresses or networks (comma-separated) whose X-Real-IP / X-Forwarded-* headers are "
            "believed: the gateway's; empty trusts none (dev mode: this machine)"),
    Setting("CLOCK_OFFSET_S", "0", _offset_seconds,
            "tests only (refused unless DEV_MODE=true): how many seconds this process's clock runs ahead "
            "of the real time, so a test starts a worker for which a reminder or deadline is already due"),
    Setting("DEV_MODE", "false", _bool,
            "true only for `alumnet dev` and tests on one machine: allows this repository's "
            "example secrets and trusts loopback proxies. Never set in a deployment"),
]}


@dataclass(frozen=True)
class Config:
    """Typed, validated settings of one process."""

    amqp_url: str
    mongo_url: str
    mongo_db_prefix: str
    jwt_public_key_file: str
    jwt_private_key_file: str
    jwt_issuer: str
    jwt_audience: str
    jwt_access_ttl: int
    token_encryption_key: str
    link_signing_key: str
    email_backend: str
    smtp_host: str
    smtp_port: int
    smtp_starttls: bool
    smtp_username: str
    smtp_password: str
    smtp_timeout: int
    mail_from: str
    sms_backend: str
    sms_api_url: str
    sms_account_sid: str
    sms_auth_token: str
    sms_from: str
    smtp_fallback_url: str
    sms_fallback_api_url: str
    sms_fallback_account_sid: str
    sms_fallback_auth_token: str
    email_rate_per_s: float
    sms_rate_per_s: float
    delivery_retry_base_s: float
    delivery_claim_timeout_s: float
    sms_max_segments: int
    dev_outbox_dir: str
    log_level: str
    port: int
    worker_http_port: int
    max_content_length: int
    public_base_url: str
    events_reminder_interval_s: float
    survey_reminder_lead_s: int
    survey_reminder_interval_s: float
    mentoring_weights: str
    mentoring_deadline_s: int
    mentoring_recent_years: int
    mentoring_expiry_interval_s: float
    ambassador_reply_target_s: int
    ambassador_escalate_after_s: int
    ambassador_overdue_interval_s: float
    ambassador_asker_retention_days: int
    office_email: str
    trusted_proxies: tuple
    clock_offset_s: float
    dev_mode: bool
    extra: dict = field(default_factory=dict)

    def database_name(self, service: str) -> str:
        return f"{self.mongo_db_prefix}{service}"

def load(environ: Mapping[str, str] | None = None, *, require_keys: bool = True) -> Config:
    """Read and validate every setting; raise ``ConfigError`` listing all problems."""
    environ = os.environ if environ is None else environ
    values: dict[str, Any] = {}
    problems: dict[str, str] = {}
    for name, setting in SETTINGS.items():
        raw = environ.get(name)
        if raw is None or (raw == "" and setting.default is None):
            if setting.default is None:
                if require_keys:
                    problems[name] = "is required"
                values[name.lower()] = ""
                continue
            raw = setting.default
        try:
            values[name.lower()] = setting.parse(raw)
        except ValueError as exc:
            problems[name] = f"{exc} (got {raw!r})"
    key_file = values.get("jwt_public_key_file")
    if require_keys and key_file and not os.path.isfile(key_file):
        problems["JWT_PUBLIC_KEY_FILE"] = f"no such file: {key_file}"
    if values.get("clock_offset_s") and values.get("dev_mode") is False:
        # A deployment keeps the real time: a shifted clock would send reminders early, expire
        # asks and close surveys before their time.
        problems["CLOCK_OFFSET_S"] = "only tests may shift the clock: set it with DEV_MODE=true or not at all"
    if problems:
        raise ConfigError(problems)
    if values["dev_mode"] and not environ.get("TRUSTED_PROXIES"):
        values["trusted_proxies"] = LOOPBACK
    return Config(**values)
