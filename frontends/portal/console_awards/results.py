"""The awards API's results and standings as the office's tables show them (pure): a row
per nominee with the weighted score of each judge, mean, median, spread (standard deviation
and lowest–highest), the number of judges and the rank, best first; the standings' top 20
with names. The portal computes no figure: it orders and words the API's.

The tie-break rule is the awards service's (``services/awards/cycles/rules.py``); the page
words it in both languages (``TIE_BREAK``).
"""
from __future__ import annotations

from typing import Any, Mapping

from flask_babel import lazy_gettext as _l

TIE_BREAK = (_l("higher median"), _l("more judges scoring"), _l("more standings points in the category"),
             _l("earlier confirmation"))


def _person(row: Mapping[str, Any]) -> str:
    person = row.get("nominee") or row
    return " ".join(p for p in (person.get("given_name"), person.get("family_name")) if p) or str(person.get("name") or "")


def nominee_rows(category: Mapping[str, Any]) -> list[dict[str, Any]]:
    """A category's nominees (``{nomination_id, nominee, rank, judges, mean, median, std_dev,
    min, max, scores: [{judge_id, weighted}], ...}``), best first; ``winner`` when the office's
    decision (``decision.nomination_ids``) names them."""
    chosen = set(((category.get("decision") or {}).get("nomination_ids")) or [])
    rows = []
    for row in category.get("nominees") or []:
        per_judge = [s.get("weighted") for s in row.get("scores") or []
                     if isinstance(s, Mapping) and isinstance(s.get("weighted"), (int, float))]
        rows.append({"nomination_id": row.get("nomination_id"), "name": _person(row), "per_judge": per_judge,
                     "mean": row.get("mean"), "median": row.get("median"), "stdev": row.get("std_dev"),
                     "low": row.get("min"), "high": row.get("max"), "judges": row.get("judges", len(per_judge)),
                     "rank": row.get("rank"), "standings_points": row.get("standings_points"),
                     "winner": row.get("nomination_id") in chosen})
    return sorted(rows, key=lambda r: (r["rank"] is None, r["rank"] or 0))


def categories(results: Mapping[str, Any] | None) -> dict[str, list[dict[str, Any]]]:
    """The results' rows by category id."""
    found = (results or {}).get("categories") or []
    return {c.get("category_id"): nominee_rows(c) for c in found if isinstance(c, Mapping)}


def standings_rows(found: Any) -> list[dict[str, Any]]:
    listed = found.get("items", []) if isinstance(found, Mapping) else found or []
    return [{"member_id": r.get("member_id"), "name": _person(r), "points": r.get("points") or 0,
             "rank": r.get("rank")} for r in listed if isinstance(r, Mapping)]
