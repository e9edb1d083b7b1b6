"""Read models built from other services' events: which fields a change may set.

Messages about one member can arrive out of order (a retried sign-up after a later change, an
approval after a rejection). Each field of a read-model document remembers the producer's
time of the change that set it (``field_times``), and a change sets only the fields it is not
older than. Times compare at millisecond precision, what the store keeps.
"""
from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timezone
from typing import Any


def at_ms(moment: datetime) -> datetime:
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    return moment.replace(microsecond=moment.microsecond // 1000 * 1000)


def newer_fields(fields: Mapping[str, Any], field_times: Mapping[str, datetime] | None,
                 at: datetime) -> dict[str, Any]:
    """The ``fields`` a change made at ``at`` may set: those no newer change has set."""
    times = field_times or {}
    return {name: value for name, value in fields.items() if name not in times or at_ms(times[name]) <= at_ms(at)}
