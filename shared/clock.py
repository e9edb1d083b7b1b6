"""The time services read: aware UTC with millisecond precision (what MongoDB stores, so a
value written and read back compares equal). Apps and workers hold a clock (a function
returning now) so tests can set the time instead of waiting for it.

A process's clock may run ahead of the wall clock by a fixed offset (the setting
``CLOCK_OFFSET_S``, dev mode only; ``shared.service`` applies it when it builds an api or a
worker): end-to-end tests start a worker "an hour later" to make a reminder or a deadline due
for it, instead of waiting for the real hour and racing it."""
from __future__ import annotations

import functools
from collections.abc import Callable
from datetime import date, datetime, timedelta, timezone
from zoneinfo import ZoneInfo, available_timezones

Clock = Callable[[], datetime]
# Where the club is: its days and years are Sofia's, not the server's (often UTC) nor UTC's.
CLUB_ZONE = ZoneInfo("Europe/Sofia")

# One per process, set once at start-up (``set_offset``): every rule of the process reads the
# same "now", whether it got ``now`` as a default argument or through its service context.
_offset = timedelta(0)


def set_offset(seconds: float) -> None:
    """Make this process's ``now`` run ``seconds`` ahead of the wall clock (0: the real time)."""
    global _offset
    _offset = timedelta(seconds=seconds)


def now() -> datetime:
    moment = datetime.now(timezone.utc) + _offset
    return moment.replace(microsecond=moment.microsecond // 1000 * 1000)


def club_date(moment: datetime) -> date:
    """The club's date at ``moment``: from 22:00 UTC (23:00 in summer) it is already the next
    day in Sofia, and on 31 December the next year."""
    return moment.astimezone(CLUB_ZONE).date()


def wall_time_exists(naive: datetime, zone: ZoneInfo) -> bool:
    """Whether the wall time ``naive`` shows on ``zone``'s clocks: not in the hour they skip
    when they go forward (read as it is, such a time silently becomes an hour later)."""
    local = naive.replace(tzinfo=zone)
    return local.astimezone(timezone.utc).astimezone(zone).replace(tzinfo=None) == naive


def calendar_time(moment: datetime, zone: ZoneInfo) -> datetime:
    """``moment`` as a calendar file (iCalendar) should carry it: the wall time in ``zone``, or
    UTC where that wall time shows twice (the second pass of a repeated hour). RFC 5545
    (3.3.5) reads a repeated local time as its first pass: too early by the shift (an hour in
    most zones, 30 minutes on Lord Howe)."""
    local = moment.astimezone(zone)
    if local.fold and local.replace(fold=0).utcoffset() != local.utcoffset():
        return moment.astimezone(timezone.utc)
    return local


class FixedClock:
    """A clock for tests: stands still until moved."""

    def __init__(self, at: datetime):
        self.at = at

    def __call__(self) -> datetime:
        return self.at

    def advance(self, **delta) -> datetime:
        self.at = self.at + timedelta(**delta)
        return self.at


@functools.lru_cache(maxsize=1)
def _zones() -> frozenset[str]:
    return frozenset(available_timezones())


def is_timezone(name: str) -> bool:
    """Whether ``name`` is an IANA zone such as ``Europe/Sofia``. Checked against the list,
    not by loading it: ``ZoneInfo("Europe")`` raises IsADirectoryError, a very long name
    OSError."""
    return isinstance(name, str) and name in _zones()
