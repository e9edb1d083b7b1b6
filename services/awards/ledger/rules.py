"""The engagement ledger's rules (pure: no Flask, no pymongo, no clock).

- The **rules table**: one ``Rule`` per source event type, saying which member an event
  credits (``member_field``), when the activity happened (``when_field``), whether it counts
  at all (``condition``), in which category, how many points (times ``per``'s value when set)
  and the cap per period. An event type with no row is ignored: a new source is one row.
- Rules are **versioned** (``RULESETS``); a cycle records the version it was opened with and
  is scored by that version forever, so a later version never changes an older cycle.
  How an event is *read* (member, time, units, condition, source ids) is the event's
  meaning, the same in every version (``test_versions_read_events_alike``); a version only
  changes what it is *worth* (category, points, cap) or leaves a type out.
- Points are kept as whole hundredths (``centi``), so sums are exact and the same in any
  order (floating-point sums are not associative).
- **Caps**: rows of one member and one type in one period (``period_key``: day, ISO week or
  month in Europe/Sofia, or the whole cycle) add their raw points into one bucket; the bucket
  counts ``min(raw, cap)``. A row's effect on a standing is ``min(raw_before + a, cap) -
  min(raw_before, cap)``, so the standing is the sum of capped buckets whatever the order
  the rows arrive in (``capped_delta``), and ``tally`` recomputes it from the rows alone.
- Standings categories: ``overall`` (every point) and the four of ``CATEGORIES``.
"""
from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime, time, timezone
from typing import Any

from shared.clock import CLUB_ZONE

ZONE = CLUB_ZONE
MENTORING, AMBASSADOR, VOLUNTEERING, PARTICIPATION = "mentoring", "ambassador", "volunteering", "participation"
CATEGORIES = (MENTORING, AMBASSADOR, VOLUNTEERING, PARTICIPATION)
OVERALL = "overall"
STANDINGS = (OVERALL, *CATEGORIES)
DAY, WEEK, MONTH, CYCLE = "day", "week", "month", "cycle"
PERIODS = (DAY, WEEK, MONTH, CYCLE)
CENTS = 100  # points are stored in hundredths


@dataclass(frozen=True)
class Rule:
    """What one source event type is worth, and how to read it."""

    event_type: str
    category: str
    points: float
    member_field: str
    when_field: str
    per: str | None = None
    cap: float | None = None
    cap_period: str = CYCLE
    condition: Callable[[Mapping[str, Any]], bool] | None = None
    source_fields: tuple[str, ...] = ()

    def __post_init__(self):
        if self.category not in CATEGORIES:
            raise ValueError(f"{self.event_type}: unknown category {self.category!r}")
        if self.cap_period not in PERIODS:
            raise ValueError(f"{self.event_type}: unknown cap period {self.cap_period!r}")

    @property
    def cap_centi(self) -> int | None:
        return None if self.cap is None else round(self.cap * CENTS)

    def reading(self) -> tuple:
        """How the rule reads an event (the same in every version of a type)."""
        return self.member_field, self.when_field, self.per, self.condition, self.source_fields


@dataclass(frozen=True)
class Entry:
    """What the ledger records of one event for one credited member."""

    member_id: str
    occurred_at: datetime
    units: float
    source: dict


# --------------------------------------------------------------------------- conditions

def joined(data: Mapping) -> bool:
    """A volunteer who took a place (not one waiting on the list)."""
    return data.get("status") == "joined"


def first_within_target(data: Mapping) -> bool:
    """An ambassador's first reply to a contact, sent within the reply target."""
    return bool(data.get("first")) and bool(data.get("within_target"))


MIN_MEETINGS = 3


def ended_with_meetings(data: Mapping) -> bool:
    """A mentorship the pair ended (not an erasure) after at least ``MIN_MEETINGS`` meetings."""
    return data.get("reason") == "ended" and (data.get("meetings") or 0) >= MIN_MEETINGS


# --------------------------------------------------------------------------- the table

CHECKED_IN = "events.attendance.checked_in"
SURVEY_COMPLETED = "members.survey.completed"
VOLUNTEER_JOINED = "events.volunteer.joined"
HOURS_CONFIRMED = "events.volunteer.hours_confirmed"
MENTORSHIP_ACCEPTED = "members.mentorship.accepted"
MEETING_LOGGED = "members.mentorship.meeting_logged"
MENTORSHIP_ENDED = "members.mentorship.ended"
ACTIVITY_LOGGED = "members.ambassador.activity_logged"
CONTACT_REPLIED = "members.ambassador.contact_replied"

RULESETS: dict[str, tuple[Rule, ...]] = {
    "2026.1": (
        Rule(CHECKED_IN, PARTICIPATION, 5, "member_id", "checked_in_at", cap=20, cap_period=MONTH,
             source_fields=("event_id", "registration_id")),
        Rule(SURVEY_COMPLETED, PARTICIPATION, 2, "member_id", "completed_at", cap=6, cap_period=MONTH,
             source_fields=("survey_id",)),
        Rule(VOLUNTEER_JOINED, VOLUNTEERING, 2, "member_id", "at", cap=10, cap_period=MONTH, condition=joined,
             source_fields=("cause_id", "volunteer_id")),
        Rule(HOURS_CONFIRMED, VOLUNTEERING, 3, "member_id", "on", per="hours", cap=90, cap_period=MONTH,
             source_fields=("cause_id", "volunteer_id")),
        Rule(MENTORSHIP_ACCEPTED, MENTORING, 10, "mentor_id", "accepted_at", cap=40, cap_period=CYCLE,
             source_fields=("mentorship_id",)),
        Rule(MEETING_LOGGED, MENTORING, 4, "mentor_id", "logged_at", cap=24, cap_period=MONTH,
             source_fields=("mentorship_id", "meeting_id")),
        Rule(MENTORSHIP_ENDED, MENTORING, 10, "mentor_id", "ended_at", condition=ended_with_meetings,
             source_fields=("mentorship_id",)),
        Rule(ACTIVITY_LOGGED, AMBASSADOR, 6, "member_id", "logged_at", cap=36, cap_period=MONTH,
             source_fields=("activity_id",)),
        Rule(CONTACT_REPLIED, AMBASSADOR, 3, "member_id", "replied_at", cap=30, cap_period=MONTH,
             condition=first_within_target, source_fields=("contact_id",)),
    ),
}
CURRENT = "2026.1"


def ruleset(version: str) -> dict[str, Rule]:
    """The rules of ``version`` by event type (KeyError: no such version)."""
    return {rule.event_type: rule for rule in RULESETS[version]}


def event_types() -> tuple[str, ...]:
    """Every event type any version credits: what the awards worker subscribes to."""
    return tuple(sorted({rule.event_type for rules in RULESETS.values() for rule in rules}))


def reading_rule(event_type: str) -> Rule | None:
    """The rule that says how to read ``event_type`` (the newest version that has it)."""
    for version in reversed(list(RULESETS)):
        rule = ruleset(version).get(event_type)
        if rule is not None:
            return rule
    return None


# --------------------------------------------------------------------------- reading events

def moment(value: Any) -> datetime:
    """An activity time: an aware datetime (or its RFC 3339 text), or a date, taken as the
    start of that day in Europe/Sofia (a confirmed day of volunteering)."""
    if isinstance(value, str):
        value = datetime.fromisoformat(value.replace("Z", "+00:00")) if "T" in value else date.fromisoformat(value)
    if isinstance(value, datetime):
        return value.astimezone(timezone.utc)
    if isinstance(value, date):
        return datetime.combine(value, time(0), ZONE).astimezone(timezone.utc)
    raise ValueError(f"not a time: {value!r}")


def entries(rule: Rule, data: Mapping[str, Any]) -> list[Entry]:
    """What the ledger records of an event's ``data``: one entry per credited member (none
    when the rule's condition does not hold)."""
    if rule.condition is not None and not rule.condition(data):
        return []
    member_id = data.get(rule.member_field)
    if not member_id:
        return []
    units = float(data[rule.per]) if rule.per else 1.0
    source = {name: data[name] for name in rule.source_fields if data.get(name) is not None}
    return [Entry(member_id, moment(data[rule.when_field]), units, source)]


# --------------------------------------------------------------------------- arithmetic

def amount(rule: Rule, units: float) -> int:
    """A row's raw points under ``rule``, in hundredths."""
    return round(rule.points * units * CENTS)


def capped(raw: int, cap: int | None) -> int:
    return raw if cap is None else min(raw, cap)


def capped_delta(raw_before: int, added: int, cap: int | None) -> int:
    """How much a standing changes when ``added`` joins a bucket holding ``raw_before``."""
    return capped(raw_before + added, cap) - capped(raw_before, cap)


def period_key(period: str, at: datetime) -> str:
    """The cap period ``at`` falls in, in Europe/Sofia: ``2026-03-14``, ``2026-W11``,
    ``2026-03`` or ``cycle``."""
    local = at.astimezone(ZONE)
    if period == DAY:
        return local.date().isoformat()
    if period == WEEK:
        year, week, _ = local.isocalendar()
        return f"{year}-W{week:02d}"
    if period == MONTH:
        return f"{local.year}-{local.month:02d}"
    return CYCLE


def in_period(at: datetime, activity_from: datetime, activity_to: datetime) -> bool:
    return activity_from <= at < activity_to


def year_period(now: datetime) -> tuple[datetime, datetime]:
    """The calendar year of ``now`` in Europe/Sofia, as [start, end) instants."""
    year = now.astimezone(ZONE).year
    return (datetime(year, 1, 1, tzinfo=ZONE).astimezone(timezone.utc),
            datetime(year + 1, 1, 1, tzinfo=ZONE).astimezone(timezone.utc))


def points(centi: int) -> float:
    return centi / CENTS


# --------------------------------------------------------------------------- recomputing

def bucket_key(member_id: str, event_type: str, key: str) -> tuple[str, str, str]:
    return member_id, event_type, key


def tally(rows: Iterable[Mapping[str, Any]], version: str) -> tuple[dict, dict]:
    """Buckets and standings of a cycle from its ledger rows alone (``member_id``,
    ``event_type``, ``occurred_at``, ``units``), under ``version``'s rules.

    Returns ``buckets``: ``{(member, type, period): {"raw", "count"}}`` and ``standings``:
    ``{(category, member): centi}`` without zeros: what the incremental path arrives at."""
    table = ruleset(version)
    buckets: dict[tuple, dict] = defaultdict(lambda: {"raw": 0, "count": 0})
    for row in rows:
        rule = table.get(row["event_type"])
        if rule is None:
            continue
        bucket = buckets[bucket_key(row["member_id"], rule.event_type, period_key(rule.cap_period, row["occurred_at"]))]
        bucket["raw"] += amount(rule, row["units"])
        bucket["count"] += 1
    standings: dict[tuple[str, str], int] = defaultdict(int)
    for (member_id, event_type, _), bucket in buckets.items():
        rule = table[event_type]
        value = capped(bucket["raw"], rule.cap_centi)
        if value:
            standings[(OVERALL, member_id)] += value
            standings[(rule.category, member_id)] += value
    return dict(buckets), {k: v for k, v in standings.items() if v}


def breakdown(buckets: Iterable[Mapping[str, Any]], version: str) -> list[dict]:
    """A member's points per source event type from their buckets (``event_type``, ``raw``,
    ``count``): rows counted, raw points, points after caps, in the table's order."""
    table = ruleset(version)
    by_type: dict[str, dict] = {}
    for bucket in buckets:
        rule = table.get(bucket["event_type"])
        if rule is None:
            continue
        line = by_type.setdefault(rule.event_type, {"event_type": rule.event_type, "category": rule.category,
                                                    "count": 0, "raw": 0, "capped": 0})
        line["count"] += bucket["count"]
        line["raw"] += bucket["raw"]
        line["capped"] += capped(bucket["raw"], rule.cap_centi)
    order = [rule.event_type for rule in RULESETS[version]]
    return [by_type[t] for t in order if t in by_type]


def totals(lines: Iterable[Mapping[str, Any]]) -> dict[str, int]:
    """Points per standings category (hundredths) from a breakdown."""
    out = dict.fromkeys(STANDINGS, 0)
    for line in lines:
        out[OVERALL] += line["capped"]
        out[line["category"]] += line["capped"]
    return out


def ranked(items: list[Mapping[str, Any]]) -> list[dict]:
    """Competition ranks (1, 2, 2, 4) for items already sorted best first by ``points``."""
    out, rank, previous = [], 0, None
    for position, item in enumerate(items, start=1):
        if item["points"] != previous:
            rank, previous = position, item["points"]
        out.append({**item, "rank": rank})
    return out
