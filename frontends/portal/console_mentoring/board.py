"""The mentoring dashboard as its page draws it (pure): each count table's rows with the
length of its bar, people's names, how long a request has waited, rates as percentages.

A bar is decoration beside its figure (the page's text says the number): its length is the
count over the largest count of its table, so the longest bar is always full.
"""
from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

# Past this many hours a wait is told in days.
HOURS_SHOWN = 48


def count_rows(counts: Iterable[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """``[{name, count}]`` with each row's bar length in percent of the largest count."""
    counts = [c for c in counts if c.get("name")]
    largest = max((c.get("count") or 0 for c in counts), default=0)
    return [{"name": c["name"], "count": c.get("count") or 0,
             "percent": 100 * (c.get("count") or 0) / largest if largest else 0.0} for c in counts]


def name(person: Mapping[str, Any] | None) -> str:
    """Given and family name; empty for someone erased (the page then says so)."""
    person = person or {}
    return " ".join(p for p in (person.get("given_name"), person.get("family_name")) if p)


def waited(hours: float | None) -> tuple[str, int]:
    """How long a request has waited, as (unit, whole number): hours up to two days, then days."""
    hours = max(0.0, float(hours or 0))
    return ("hours", int(hours)) if hours < HOURS_SHOWN else ("days", int(hours // 24))


def percent(rate: float | None) -> float | None:
    return None if rate is None else 100 * rate


def mentor_row(row: Mapping[str, Any]) -> dict[str, Any]:
    """A mentor's row: their name, the acceptance rate in percent (its bar), and whether a pair
    of theirs has stalled (the row is highlighted, and says so in words)."""
    return {**row, "name": name(row), "acceptance_percent": percent(row.get("acceptance_rate")),
            "stalled": bool(row.get("stalled_pairs"))}
