"""Judging, pure: the rubric's arithmetic, the blind ballot, and who may not score whom.

- A rubric is a list of criteria ``{key, title, weight > 0}``; weights are normalised (each
  divided by their sum), so only their proportions matter. A judge scores every criterion
  from 0 to 10; the nominee's weighted score from that judge is the sum of score x
  normalised weight, again 0 to 10.
- A judge sees a confirmed nomination as a ballot: an opaque ``ballot_id`` (an HMAC of the
  judge and the nomination under the cycle's secret salt: stable for that judge, different for
  each judge, and telling nothing of the nomination or the nominee), the statements' text,
  the nominee's details and the rubric. Nothing else: no name, id, photo, contact or nominator.
- A judge who nominated the person (or is the person) may not score them
  (``conflict_of_interest``); a judge may also declare a conflict, which withdraws their score.
"""
from __future__ import annotations

import hashlib
import hmac
from collections.abc import Mapping
from typing import Any

MIN_SCORE, MAX_SCORE = 0.0, 10.0
CONFLICT = "conflict_of_interest"


def normalised_weights(rubric: list[Mapping[str, Any]]) -> dict[str, float]:
    total = sum(criterion["weight"] for criterion in rubric)
    return {criterion["key"]: criterion["weight"] / total for criterion in rubric}


def weighted_score(rubric: list[Mapping[str, Any]], scores: Mapping[str, float]) -> float:
    """One judge's score of one nominee: the scores weighted by the normalised weights."""
    weights = normalised_weights(rubric)
    total = sum(weights[key] * scores[key] for key in weights)
    # Rounding noise must not carry a score outside the scale the judge used.
    return min(MAX_SCORE, max(MIN_SCORE, round(total, 9)))


def score_errors(rubric: list[Mapping[str, Any]], scores: Mapping[str, Any]) -> dict[str, list[str]]:
    """Every criterion scored once, 0 to 10, and nothing else; errors by criterion key."""
    keys = [criterion["key"] for criterion in rubric]
    errors = {key: ["Score every criterion of the rubric."] for key in keys if key not in scores}
    for key, value in scores.items():
        if key not in keys:
            errors[key] = [f"Not a criterion of the rubric ({', '.join(keys)})."]
        elif not MIN_SCORE <= value <= MAX_SCORE:
            errors[key] = [f"Must be from {MIN_SCORE:g} to {MAX_SCORE:g}."]
    return errors


def ballot_id(salt: str, judge_id: str, nomination_id: str) -> str:
    return hmac.new(salt.encode(), f"{judge_id}:{nomination_id}".encode(), hashlib.sha256).hexdigest()[:32]


def conflict(nomination: Mapping[str, Any], judge_id: str) -> str | None:
    """Why ``judge_id`` may not score ``nomination`` (``None``: they may)."""
    if nomination["nominee_id"] == judge_id:
        return "You are the nominee."
    if any(statement.get("nominator_id") == judge_id for statement in nomination["statements"]):
        return "You nominated this person."
    return None
