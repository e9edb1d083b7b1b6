"""Which sections and questions a member sees, given the answers so far: the members API's
show-if rules (services/members/surveys/rules.py: ``holds`` and ``visible_questions``),
repeated here because the portal imports no service.

The API decides what counts (it drops hidden answers and validates the submission); the
portal uses this only to leave hidden questions off the page and to count sections and
progress. tests/unit/portal/test_surveys.py checks that both agree on the same cases.

- A condition reads answers to earlier, visible questions only; a hidden question counts as
  unanswered, so hiding cascades. A leaf on an unanswered question is false, except
  ``answered: false``.
- A section is shown when its own condition holds and at least one of its questions is.
"""
from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any


def is_answered(value: Any) -> bool:
    if value is None:
        return False
    if isinstance(value, str):
        return bool(value.strip())
    if isinstance(value, Mapping):
        return bool(value.get("choices")) or is_answered(value.get("other"))
    if isinstance(value, (list, tuple)):
        return bool(value)
    return True


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)


def _values(value: Any) -> list[Any]:
    return list(value.get("choices") or []) if isinstance(value, Mapping) else [value]


def _same(wanted: Any, values: list[Any]) -> bool:
    return any(wanted == v and isinstance(wanted, bool) == isinstance(v, bool) for v in values)


def holds(condition: Mapping[str, Any] | None, answers: Mapping[str, Any]) -> bool:
    if condition is None:
        return True
    if "all" in condition:
        return all(holds(part, answers) for part in condition["all"])
    if "any" in condition:
        return any(holds(part, answers) for part in condition["any"])
    value = answers.get(condition.get("question"))
    if "answered" in condition:
        return is_answered(value) == condition["answered"]
    if not is_answered(value):
        return False
    if "equals" in condition:
        return _same(condition["equals"], _values(value))
    if "one_of" in condition:
        return any(_same(wanted, _values(value)) for wanted in condition["one_of"])
    if not _is_number(value):
        return False
    if "at_least" in condition:
        return value >= condition["at_least"]
    return "at_most" in condition and value <= condition["at_most"]


def shown_by_section(survey: Mapping[str, Any], answers: Mapping[str, Any]) -> list[list[str]]:
    """For each section of the survey, in order, the ids of its questions the member sees."""
    seen: dict[str, Any] = {}
    shown: list[list[str]] = []
    for section in survey.get("sections") or ():
        section_shown = holds(section.get("show_if"), seen)
        ids = []
        for question in section.get("questions") or ():
            if section_shown and holds(question.get("show_if"), seen):
                ids.append(question["id"])
                if question["id"] in answers:
                    seen[question["id"]] = answers[question["id"]]
        shown.append(ids)
    return shown


def visible_questions(survey: Mapping[str, Any], answers: Mapping[str, Any]) -> list[str]:
    return [qid for ids in shown_by_section(survey, answers) for qid in ids]


def visible_sections(survey: Mapping[str, Any], answers: Mapping[str, Any]) -> list[int]:
    """The indexes of the sections shown (those with a question to show)."""
    return [index for index, ids in enumerate(shown_by_section(survey, answers)) if ids]
