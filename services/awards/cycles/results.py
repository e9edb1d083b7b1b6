"""Results, pure: each nominee's statistics across judges and the category's ranking.

Per nominee, the weighted scores of the judges who scored them (``judging.weighted_score``):
their mean, median, spread (population standard deviation, and min-max) and number.

The ranking (``TIE_BREAK``, also given in the results' response): a higher mean ranks first;
on equal means, a higher median; then more judges scoring; then more standings points in the
category's standings (``standings_category``) in the cycle; then the earlier confirmation by
the nominee; and, last, the nomination id, so that the order is total and the same however the
nominations are listed. Nominees no judge scored come after every scored one, in the same
order of the remaining keys. Means and medians compare rounded to ``PRECISION`` decimals, so
that floating-point noise never decides a tie.
"""
from __future__ import annotations

import statistics
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

PRECISION = 6
TIE_BREAK = ("higher mean of the judges' weighted scores; on a tie, higher median; then more judges "
             "scoring; then more standings points in the category; then the earlier confirmation; "
             "then the nomination id")


@dataclass(frozen=True)
class Stats:
    judges: int
    mean: float
    median: float
    std_dev: float
    low: float
    high: float

    def as_dict(self) -> dict:
        return {"judges": self.judges, "mean": round(self.mean, 3), "median": round(self.median, 3),
                "std_dev": round(self.std_dev, 3), "min": round(self.low, 3), "max": round(self.high, 3)}


def stats(scores: Sequence[float]) -> Stats | None:
    if not scores:
        return None
    return Stats(len(scores), statistics.fmean(scores), statistics.median(scores), statistics.pstdev(scores),
                 min(scores), max(scores))


@dataclass(frozen=True)
class Entry:
    """One nominee of a category as the ranking reads them."""

    nomination_id: str
    scores: tuple[float, ...]
    standings_points: float
    confirmed_at: datetime


def sort_key(entry: Entry) -> tuple:
    found = stats(entry.scores)
    if found is None:
        return (1, 0.0, 0.0, 0, -entry.standings_points, entry.confirmed_at, entry.nomination_id)
    return (0, -round(found.mean, PRECISION), -round(found.median, PRECISION), -found.judges,
            -entry.standings_points, entry.confirmed_at, entry.nomination_id)


def ranked(entries: Sequence[Entry]) -> list[tuple[int, Entry, Stats | None]]:
    """``(rank, entry, stats)`` best first; ranks 1, 2, 3... (the order is total: no shared rank)."""
    ordered = sorted(entries, key=sort_key)
    return [(rank, entry, stats(entry.scores)) for rank, entry in enumerate(ordered, 1)]


def entry_of(nomination: Mapping[str, Any], scores: Sequence[float], points: float) -> Entry:
    return Entry(nomination["_id"], tuple(scores), float(points), nomination["confirmed_at"])
