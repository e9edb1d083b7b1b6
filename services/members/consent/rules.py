"""Consent rules: pure functions over ledger entries, no I/O.

The ledger (``consents`` collection, see ``model.py``) is append-only: each entry records one
decision for one channel and category. The current state of a (channel, category) is its
latest entry; a grant whose ``expires_at`` has passed counts as not granted.

Sign-up: the ``consent: {email, sms}`` flags a member gave at sign-up count as an implicit
first entry for every category of that channel, with source ``signup`` at ``registered_at``
(``signup_entries``). They are not stored as ledger rows (sign-up is written elsewhere), so the
store adds them when it reads the ledger, unless real ``signup`` rows exist for the member.

Transactional messages (password reset, event tickets: category ``transactional``) are never
blocked by marketing consent; every other category needs a current grant on that channel.
"""
from __future__ import annotations

from datetime import datetime
from typing import Iterable, Mapping

from services.members.messages import CATEGORIES, CHANNELS

TRANSACTIONAL = "transactional"
SIGNUP, PROFILE_PAGE, UNSUBSCRIBE_LINK, ADMIN_ON_REQUEST = (
    "signup", "profile_page", "unsubscribe_link", "admin_on_request")
SOURCES = (SIGNUP, PROFILE_PAGE, UNSUBSCRIBE_LINK, ADMIN_ON_REQUEST)
# Sources a member may record themselves through the API (sign-up records its own).
MEMBER_SOURCES = (PROFILE_PAGE, UNSUBSCRIBE_LINK)


def is_active(entry: Mapping | None, now: datetime) -> bool:
    """Does this entry grant consent at ``now``? (Granted and not expired.)"""
    if not entry or not entry.get("granted"):
        return False
    expires_at = entry.get("expires_at")
    return expires_at is None or now < expires_at


def signup_entries(member: Mapping) -> list[dict]:
    """The implicit ledger entries of a member's sign-up consent flags: one per channel and
    category, source ``signup``, at ``registered_at``."""
    flags = member.get("consent") or {}
    return [{
        "_id": f"signup:{member['_id']}:{channel}:{category}",
        "member_id": member["_id"], "channel": channel, "category": category,
        "granted": bool(flags.get(channel, False)), "source": SIGNUP,
        "at": member.get("registered_at"), "expires_at": None, "implicit": True,
    } for channel in CHANNELS for category in CATEGORIES]


def _order_key(entry: Mapping) -> tuple:
    # Newest first by time; the id breaks ties (ledger ids are ObjectId strings, which grow).
    return (entry.get("at") is not None, entry.get("at") or datetime.min, str(entry.get("_id", "")))


def latest_entries(entries: Iterable[Mapping]) -> dict[tuple[str, str], Mapping]:
    """The latest entry per (channel, category)."""
    latest: dict[tuple[str, str], Mapping] = {}
    for entry in entries:
        key = (entry["channel"], entry["category"])
        if key not in latest or _order_key(entry) > _order_key(latest[key]):
            latest[key] = entry
    return latest


def current_state(entries: Iterable[Mapping], now: datetime) -> list[dict]:
    """Every (channel, category) with its effective state at ``now``, in a stable order.

    ``granted`` is the effective answer (an expired grant is ``False``, with ``expired`` set);
    pairs nobody ever decided on are not granted, with ``source`` ``None``.
    """
    latest = latest_entries(entries)
    state = []
    for channel in CHANNELS:
        for category in CATEGORIES:
            entry = latest.get((channel, category))
            expired = bool(entry and entry.get("granted") and not is_active(entry, now))
            state.append({
                "channel": channel, "category": category,
                "granted": is_active(entry, now),
                "expired": expired,
                "source": entry.get("source") if entry else None,
                "at": entry.get("at") if entry else None,
                "expires_at": entry.get("expires_at") if entry else None,
            })
    return state


def may_send(entries: Iterable[Mapping], channel: str, category: str, now: datetime) -> bool:
    """May we send a message of ``category`` on ``channel`` now?

    Transactional messages always may; marketing categories need the latest decision for that
    channel and category to be a grant that has not expired. Unknown channels or categories
    may not (a typo must not send).
    """
    if channel not in CHANNELS:
        return False
    if category == TRANSACTIONAL:
        return True
    if category not in CATEGORIES:
        return False
    return is_active(latest_entries(entries).get((channel, category)), now)
