"""Who gets a notification on which channel, and when: consent, channel preferences, quiet
hours and the daily digest, as one pure function of the contact, their preferences and the
clock (no I/O, so every rule is tested directly).

Rules:

- Transactional messages (about the member's own account or registration) need no marketing
  consent and cannot be switched off: they go by the channels the member chose for the
  category, and by email when that choice leaves none (``none``, ``digest``, or SMS without a
  mobile number).
- Marketing messages (event announcements, office announcements, digests) go only on a channel
  the member consented to for the category, and only as the member's preference says
  (``none`` skips them, ``digest`` holds them for the daily digest email).
- SMS waits for the end of the member's quiet hours (default 22:00-08:00 Europe/Sofia) unless
  the message is urgent (an event cancelled or moved that starts within a day).
"""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, time, timedelta, timezone
from typing import Any
from zoneinfo import ZoneInfo

from services.notifications.sms_text import normalise_number

# Marketing categories (as in the members service's consent ledger); ``account`` covers the
# transactional messages about a member's own account.
MARKETING_CATEGORIES = ("news", "events", "mentoring", "awards", "surveys", "causes")
CATEGORIES = ("account", *MARKETING_CATEGORIES)
CHOICES = ("email", "sms", "email_and_sms", "digest", "none")
CHANNELS_OF = {"email": ("email",), "sms": ("sms",), "email_and_sms": ("email", "sms"), "digest": ("email",),
               "none": ()}
DEFAULT_CHOICE = "email"
DEFAULT_TIMEZONE = "Europe/Sofia"
DEFAULT_QUIET_HOURS = {"start": "22:00", "end": "08:00"}
DEFAULT_DIGEST_HOUR = 8


@dataclass(frozen=True)
class Route:
    """One delivery to make: ``status`` queued (at ``due_at``), held (for the digest at
    ``due_at``) or skipped (with ``reason``)."""

    channel: str
    address: str | None
    status: str
    due_at: datetime
    reason: str | None = None


def effective(preferences: Mapping[str, Any] | None) -> dict[str, Any]:
    """A member's preferences with the defaults filled in."""
    preferences = preferences or {}
    quiet = preferences.get("quiet_hours", DEFAULT_QUIET_HOURS)
    return {"channels": dict(preferences.get("channels") or {}),
            "quiet_hours": quiet,  # None: no quiet hours
            "timezone": preferences.get("timezone") or DEFAULT_TIMEZONE,
            "digest_hour": preferences.get("digest_hour", DEFAULT_DIGEST_HOUR)}


def _clock(text: str) -> time:
    hours, minutes = text.split(":")
    return time(int(hours), int(minutes))


def quiet_until(now: datetime, quiet_hours: Mapping[str, str] | None, zone: str) -> datetime | None:
    """When the quiet hours around ``now`` end, or None if ``now`` is outside them. On the
    nights clocks change, the end is the first moment after ``now`` the local clock shows it
    (the second pass of a repeated hour counts; a skipped hour ends when the clock jumps)."""
    if not quiet_hours:
        return None
    tz = ZoneInfo(zone)
    local = now.astimezone(tz)
    start, end = _clock(quiet_hours["start"]), _clock(quiet_hours["end"])
    clock = local.time().replace(second=0, microsecond=0)
    if start == end:
        return None
    inside = (start <= clock or clock < end) if start > end else (start <= clock < end)
    if not inside:
        return None
    for day in (local.date(), local.date() + timedelta(days=1)):
        for moment in _moments(day, end, tz):
            if moment > now:
                # In UTC: an aware time in a repeated hour never compares equal across zones.
                return moment.astimezone(timezone.utc)
    raise AssertionError("unreachable: an end within two days always exists")


def _moments(day, at: time, tz: ZoneInfo) -> list[datetime]:
    """The instants the local clock passes ``at`` on ``day``: one; two in a repeated hour;
    in a skipped hour, the instant the clock jumps past it."""
    first, second = (datetime.combine(day, at, tzinfo=tz).replace(fold=f) for f in (0, 1))
    instants = sorted({first.astimezone(timezone.utc), second.astimezone(timezone.utc)})
    if len(instants) == 1:
        return [first]
    a, b = instants
    if all(moment.astimezone(tz).time() == at for moment in instants):
        return [a.astimezone(tz), b.astimezone(tz)]  # the hour is repeated: both are "at"
    # Skipped: the jump is the instant between a and b where the offset changes, found by
    # bisection to the microsecond (transitions fall on whole seconds, so exactly). Not by
    # comparing wall times: where the gap starts at midnight (Havana, Cairo, Santiago), the
    # clock before the jump shows the day before, whose 23:xx is "past" any hour.
    before = a.astimezone(tz).utcoffset()
    low, high = a, b
    while high - low > timedelta(microseconds=1):
        middle = low + (high - low) / 2
        if middle.astimezone(tz).utcoffset() == before:
            low = middle
        else:
            high = middle
    return [high.astimezone(tz)]


def next_digest_time(now: datetime, hour: int, zone: str) -> datetime:
    """The next ``hour``:00 in the member's time zone (today's if not passed yet), in UTC.
    On the night an hour repeats, only its first pass counts: one digest a day, not a second
    one an hour after the first."""
    tz = ZoneInfo(zone)
    local = now.astimezone(tz)
    for day in (local.date(), local.date() + timedelta(days=1)):
        first = _moments(day, time(hour), tz)[0]
        if first > now:
            return first.astimezone(timezone.utc)
    raise AssertionError("unreachable: an hour within two days always exists")


def consented(contact: Mapping[str, Any], channel: str, category: str, now: datetime) -> bool:
    state = ((contact.get("consents") or {}).get(channel) or {}).get(category) or {}
    expires = state.get("expires_at")
    return bool(state.get("granted")) and (expires is None or expires > now)


def mobile(contact: Mapping[str, Any]) -> str | None:
    try:
        return normalise_number(contact["phone"]) if contact.get("phone") else None
    except ValueError:
        return None


def routes(contact: Mapping[str, Any], preferences: Mapping[str, Any] | None, *, category: str,
           transactional: bool, sms_possible: bool, urgent: bool, now: datetime) -> list[Route]:
    """The deliveries one notification makes for one contact."""
    prefs = effective(preferences)
    choice = prefs["channels"].get(category, DEFAULT_CHOICE)
    wanted = CHANNELS_OF.get(choice, ("email",))
    if wanted == ("sms",) and not sms_possible:
        wanted = ("email",)  # a message with no SMS form still reaches a member who prefers SMS
    number = mobile(contact)
    planned: list[Route] = []
    for channel in wanted:
        address = contact.get("email") if channel == "email" else number
        if channel == "sms" and not sms_possible:
            continue  # this message has no SMS form; the email route carries it
        if not address:
            missing = "mobile number" if channel == "sms" else "email address"
            planned.append(Route(channel, None, "skipped", now, f"no {missing}"))
            continue
        if not transactional and not consented(contact, channel, category, now):
            planned.append(Route(channel, address, "skipped", now, f"no consent to {category} by {channel}"))
            continue
        if choice == "digest" and not transactional:
            digest_at = next_digest_time(now, prefs["digest_hour"], prefs["timezone"])
            planned.append(Route(channel, address, "held", digest_at))
            continue
        due = now
        if channel == "sms" and not urgent:
            due = quiet_until(now, prefs["quiet_hours"], prefs["timezone"]) or now
        planned.append(Route(channel, address, "queued", due))
    if transactional and not any(r.status == "queued" for r in planned) and contact.get("email"):
        # A member must hear about their own account and registrations somehow.
        planned = [r for r in planned if r.channel != "email"] + [Route("email", contact["email"], "queued", now)]
    if not transactional and not wanted:
        planned.append(Route("email", contact.get("email"), "skipped", now, f"{category} switched off by the member"))
    return planned
