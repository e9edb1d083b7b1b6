"""The time services read: aware UTC with millisecond precision (what MongoDB stores, so a
value written and read back compares equal). Apps and workers hold a clock (a function
returning now) so tests can set the time instead of waiting for it."""
from __future__ import annotations

import functools
from collections.abc import Callable
from datetime import datetime, timezone
from zoneinfo import available_timezones

Clock = Callable[[], datetime]


def now() -> datetime:
    moment = datetime.now(timezone.utc)
    return moment.replace(microsecond=moment.microsecond // 1000 * 1000)


class FixedClock:
    """A clock for tests: stands still until moved."""

    def __init__(self, at: datetime):
        self.at = at

    def __call__(self) -> datetime:
        return self.at

    def advance(self, **delta) -> datetime:
        from datetime import timedelta
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
