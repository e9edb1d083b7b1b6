"""Rules of member accounts, without I/O: password policy and hashing, login throttling,
request rate limits, opaque tokens (refresh, password-reset, email-change) and their digests,
how recent a login is, when an access token is dated, role assignment, who may log in.

Login throttling keeps a stranger from locking anyone out: failures lock the *pair* (account,
client address), slow the account as a whole only gently (never a lock), and lock a client
address that fails across many accounts. An account whose address is not confirmed cannot log
in: a password chosen at sign-up counts only once the address is proven.

The clock is ``now()``; tests replace it (``monkeypatch.setattr(accounts, "now", ...)``) to
move through throttling windows and token expiries without waiting.
"""
from __future__ import annotations

import functools
import hashlib
import ipaddress
import math
import secrets
import time
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

from cryptography.fernet import Fernet, InvalidToken
from werkzeug.security import check_password_hash, generate_password_hash

# --------------------------------------------------------------------------- passwords
PASSWORD_MIN_LENGTH = 10
PASSWORD_MAX_LENGTH = 128
HASH_METHOD = "scrypt"  # the strongest hasher werkzeug offers (argon2 would be a new dependency)

# --------------------------------------------------------------------------- throttling
FAILURE_WINDOW = timedelta(minutes=15)  # failures older than this are forgotten
LOCKOUT = timedelta(minutes=15)  # how long a pair (account, client) or a client address stays locked
PAIR_FAILURE_LIMIT = 5  # failures of one client on one account in a window before that pair locks
ADDRESS_FAILURE_LIMIT = 20  # failures per client address in a window before it locks
# Before the lock, a pair slows down: after SLOWDOWN_AFTER failures, the next attempt
# must wait SLOWDOWN_BASE * 2**(failures - SLOWDOWN_AFTER) (answered 429 with Retry-After).
SLOWDOWN_AFTER = 3
SLOWDOWN_BASE = timedelta(seconds=1)
# The account as a whole, from every client together: after ACCOUNT_SLOWDOWN_AFTER failures
# in a window each attempt waits ACCOUNT_SLOWDOWN, never longer, so a stranger with many
# addresses gets about one guess a second and the owner, from their own client, a short wait.
ACCOUNT_SLOWDOWN_AFTER = 10
ACCOUNT_SLOWDOWN = timedelta(seconds=1)

# --------------------------------------------------------------------------- request rates


@dataclass(frozen=True)
class RateLimit:
    """At most ``requests`` per fixed window of ``per``, counted per client address or email."""

    requests: int
    per: timedelta


# (action, what is counted) -> limit. The gateway (nginx limit_req) limits each address
# first; these hold across every api copy and also per email, which the gateway cannot see.
# Per-address limits are generous (a university network is one address to us).
RATE_LIMITS: dict[tuple[str, str], RateLimit] = {
    ("signup", "address"): RateLimit(60, timedelta(minutes=10)),
    ("signup", "email"): RateLimit(3, timedelta(hours=1)),  # also caps "you already have an account" emails
    ("login", "address"): RateLimit(60, timedelta(minutes=1)),  # per email: the failure throttles above
    ("password_reset", "address"): RateLimit(30, timedelta(minutes=10)),
    ("password_reset", "email"): RateLimit(5, timedelta(hours=1)),
    ("confirm", "address"): RateLimit(30, timedelta(minutes=10)),  # every one-time token of an email
    ("email_change", "address"): RateLimit(30, timedelta(minutes=10)),
    # Links sent per new address (counted once the member proved it is them): caps emails to it.
    ("email_change_link", "email"): RateLimit(3, timedelta(hours=1)),
}

# --------------------------------------------------------------------------- tokens
ACCESS_TOKEN_TYPE = "Bearer"
REFRESH_TOKEN_TTL = timedelta(days=30)
PASSWORD_RESET_TTL = timedelta(hours=1)
# The welcome email's link that confirms the address (and verifies a roster match).
EMAIL_CONFIRMATION_TTL = timedelta(days=7)
# A member gets at most one reset email per this interval, however often it is asked for.
PASSWORD_RESET_INTERVAL = timedelta(seconds=60)
TOKEN_BYTES = 32
# An email change: the new address's link confirms it within EMAIL_CHANGE_TTL; the old
# address's link undoes it within EMAIL_CHANGE_UNDO_TTL. Asking for one needs the current
# password, or a login (the access token's ``auth_time``) less than RECENT_LOGIN old.
EMAIL_CHANGE_TTL = timedelta(hours=24)
EMAIL_CHANGE_UNDO_TTL = timedelta(days=7)
RECENT_LOGIN = timedelta(minutes=5)

# --------------------------------------------------------------------------- members
CANNOT_LOG_IN = frozenset({"rejected", "erased"})
DEFAULT_ROLES = ("alumnus",)


def now() -> datetime:
    """The accounts clock (UTC, aware). Tests monkeypatch this function."""
    return datetime.now(timezone.utc)


def aware(moment: datetime | None) -> datetime | None:
    """Stored datetimes come back aware from the service's client; be safe with naive ones."""
    if moment is not None and moment.tzinfo is None:
        return moment.replace(tzinfo=timezone.utc)
    return moment


# --------------------------------------------------------------------------- passwords

def password_problems(password: str, email: str | None) -> list[str]:
    """What is wrong with a new password (empty when it is acceptable)."""
    problems = []
    if len(password) < PASSWORD_MIN_LENGTH:
        problems.append(f"Must be at least {PASSWORD_MIN_LENGTH} characters.")
    if len(password) > PASSWORD_MAX_LENGTH:
        problems.append(f"Must be at most {PASSWORD_MAX_LENGTH} characters.")
    if email and password.strip().lower() == email.strip().lower():
        problems.append("Must not be your email address.")
    return problems


def hash_password(password: str) -> str:
    return generate_password_hash(password, method=HASH_METHOD)


@functools.cache
def _decoy_hash() -> str:
    return hash_password(secrets.token_urlsafe(16))


def verify_password(password_hash: str | None, password: str) -> bool:
    """Check a password; with no hash (unknown email, no credential) do the same work
    against a decoy so the answer takes as long, then say no."""
    if not password_hash:
        check_password_hash(_decoy_hash(), password)
        return False
    return check_password_hash(password_hash, password)


# --------------------------------------------------------------------------- tokens

def new_token() -> str:
    """An opaque, unguessable token (refresh or password reset)."""
    return secrets.token_urlsafe(TOKEN_BYTES)


def digest(token: str) -> str:
    """What is stored instead of a token: its SHA-256 (hex). Tokens are random, so no salt."""
    return hashlib.sha256(token.encode()).hexdigest()


def new_family() -> str:
    return secrets.token_hex(16)


def issue_time() -> float:
    """When an access token about to be built is dated (wall clock, as revocations are): to be
    taken *before* its member is read, and a millisecond earlier still. A revocation committed
    between that read and the signing (a role change) is then dated after the token and voids
    it; revocations compare whole milliseconds, so a token of the same millisecond would pass."""
    return time.time() - 0.001


def recently_authenticated(claims: dict, at: datetime) -> bool:
    """Did the access token's login (its ``auth_time``, carried across refreshes) happen less
    than ``RECENT_LOGIN`` before ``at``? A token without one never counts as recent."""
    auth_time = claims.get("auth_time")
    if not isinstance(auth_time, (int, float)) or isinstance(auth_time, bool):
        return False
    # A few seconds ahead is another api copy's clock (the token check's own leeway).
    return -timedelta(seconds=5) <= at - datetime.fromtimestamp(auth_time, timezone.utc) < RECENT_LOGIN


class EncryptionNotConfigured(Exception):
    pass


def fernet(key: str) -> Fernet:
    if not key:
        raise EncryptionNotConfigured("TOKEN_ENCRYPTION_KEY is empty")
    try:
        return Fernet(key.encode() if isinstance(key, str) else key)
    except (ValueError, TypeError):
        raise EncryptionNotConfigured("TOKEN_ENCRYPTION_KEY is not a Fernet key") from None


def encrypt_token(key: str, token: str) -> str:
    return fernet(key).encrypt(token.encode()).decode()


def decrypt_token(key: str, encrypted: str) -> str | None:
    try:
        return fernet(key).decrypt(encrypted.encode()).decode()
    except InvalidToken:
        return None


# --------------------------------------------------------------------------- throttling

def account_key(email: str) -> str:
    """Throttling key of an account. Hashed: the counters hold no email address, and known
    and unknown emails are counted alike."""
    return "account:" + hashlib.sha256(email.strip().lower().encode()).hexdigest()


def address_key(address: str | None) -> str:
    """Throttling key of a client address. IPv6 clients are counted per /64 network: one
    host usually holds a whole /64 and could otherwise change address at every attempt."""
    try:
        parsed = ipaddress.ip_address((address or "").strip())
    except ValueError:
        return "address:unknown"
    if parsed.version == 6:
        if parsed.ipv4_mapped is not None:
            return f"address:{parsed.ipv4_mapped}"
        return f"address:{ipaddress.ip_network(f'{parsed}/64', strict=False)}"
    return f"address:{parsed}"


def pair_key(account: str, address: str) -> str:
    """Throttling key of one client on one account (both already keys: no email inside)."""
    return f"pair:{account.removeprefix('account:')}:{address.removeprefix('address:')}"


def slowdown_after(failures: int) -> timedelta | None:
    """How long a pair must wait after its ``failures``-th failure (None: no wait)."""
    if failures < SLOWDOWN_AFTER or failures >= PAIR_FAILURE_LIMIT:
        return None
    return SLOWDOWN_BASE * 2 ** (failures - SLOWDOWN_AFTER)


@dataclass(frozen=True)
class Throttle:
    """The state of one throttling counter as read from the store."""

    failures: int
    window_started: datetime | None
    blocked_until: datetime | None

    @classmethod
    def from_document(cls, doc: dict | None) -> "Throttle":
        if not doc:
            return cls(0, None, None)
        return cls(doc.get("count", 0), aware(doc.get("window_started")), aware(doc.get("blocked_until")))

    def retry_after(self, at: datetime) -> int | None:
        """Seconds to wait before another attempt, or None when one may be made now."""
        if self.blocked_until is not None and self.blocked_until > at:
            return max(1, math.ceil((self.blocked_until - at).total_seconds()))
        return None


def pair_blocked_until(failures: int, at: datetime) -> datetime | None:
    """Until when a pair (account, client) blocks attempts after its ``failures``-th failure."""
    if failures >= PAIR_FAILURE_LIMIT:
        return at + LOCKOUT
    wait = slowdown_after(failures)
    return None if wait is None else at + wait


def account_blocked_until(failures: int, at: datetime) -> datetime | None:
    """An account as a whole only ever waits ``ACCOUNT_SLOWDOWN``: it never locks."""
    return at + ACCOUNT_SLOWDOWN if failures >= ACCOUNT_SLOWDOWN_AFTER else None


def address_blocked_until(failures: int, at: datetime) -> datetime | None:
    """A client address failing across accounts locks (it is the stranger's own)."""
    return at + LOCKOUT if failures >= ADDRESS_FAILURE_LIMIT else None


def rate_window(limit: RateLimit, at: datetime) -> tuple[int, datetime]:
    """The fixed window ``at`` falls in: its number and its end."""
    length = limit.per.total_seconds()
    number = int(at.timestamp() // length)
    return number, datetime.fromtimestamp((number + 1) * length, timezone.utc)


# --------------------------------------------------------------------------- roles

def roles_for_signup(is_student: bool) -> list[str]:
    return ["student"] if is_student else list(DEFAULT_ROLES)


def roles_of(member: dict) -> list[str]:
    """A member's roles; members stored before roles existed are alumni."""
    return list(member.get("roles") or DEFAULT_ROLES)


def can_log_in(member: dict) -> bool:
    return member.get("status") not in CANNOT_LOG_IN


def email_confirmed(member: dict) -> bool:
    """Has the member proven the address is theirs (the confirmation link, a password reset
    or an operator)? Until then no password opens the account. Members an operator created
    before the field existed (the first admins) count as confirmed: the operator vouched."""
    return (member.get("email_confirmed_at") is not None
            or (member.get("verification") or {}).get("method") == "operator")
