"""A survey's results as the results page draws them: for each question its rows (label,
count, percentage: the bar's length), its statistics, and the links to its free texts and to
a segment of the members who said yes (pure apart from url_for).

Percentages are the API's ``share`` of a choice (of the respondents: a multiple choice adds
past 100); where the API gives none, the count over the question's answers. A yes/no shows
yes and no out of those who answered it; a scale every point of its scale, zeros included.
"""
from __future__ import annotations

from datetime import datetime
from typing import Any, Mapping
from zoneinfo import ZoneInfo

from flask import url_for

from frontends.portal.console_surveys import labels
from frontends.portal.i18n import DEFAULT_TIMEZONE
from frontends.portal.survey_answers import CHOICE_KINDS, questions as all_questions, scale_points


def definition(survey: Mapping[str, Any]) -> dict[str, Mapping[str, Any]]:
    """The survey's questions by id."""
    return {q["id"]: q for q in all_questions(survey)}


def response_rate(found: Mapping[str, Any]) -> float | None:
    """Respondents of the audience in percent: the API's ``response_rate`` (0..1), else (a
    survey, which has none) the respondents over ``audience_size``, at most 100 as the API's:
    the audience is counted at opening, and members verified since may answer too; None
    before the survey opens."""
    rate = found.get("response_rate")
    if rate is None and found.get("audience_size"):
        rate = min(1.0, (found.get("respondents") or 0) / found["audience_size"])
    return None if rate is None else 100 * rate


def _percent(count: int, base: int) -> float:
    return 100 * count / base if base else 0.0


def _row(label: str, count: Any, percent: float | None, **extra) -> dict[str, Any]:
    count = count or 0
    return {"label": label, "count": count, "percent": percent if percent is not None else 0.0, **extra}


def _text(value: Mapping[str, str] | str | None, lang: str) -> str:
    if isinstance(value, Mapping):
        return value.get(lang) or value.get("bg") or value.get("en") or ""
    return value or ""


def _share(choice: Mapping[str, Any], answered: int) -> float:
    share = choice.get("share")
    return float(share) if isinstance(share, (int, float)) else _percent(choice.get("count") or 0, answered)


def _choice_rows(item: Mapping[str, Any], asked: Mapping[str, Any], lang: str) -> list[dict[str, Any]]:
    answered = item.get("answered") or 0
    interests = asked.get("maps_to") == "interests"
    rows = []
    for choice in item.get("choices") or []:
        words = _text(choice.get("text"), lang) or choice.get("id", "")
        segment = url_for("console_members.segment_new", interest=words) if interests else None
        rows.append(_row(words, choice.get("count"), _share(choice, answered), segment=segment))
    return rows


def _distribution(item: Mapping[str, Any], asked: Mapping[str, Any]) -> list[dict[str, Any]]:
    counts: dict[float, int] = {}
    for value, count in (item.get("distribution") or {}).items():
        try:
            counts[float(value)] = counts.get(float(value), 0) + int(count or 0)
        except (TypeError, ValueError):
            continue
    if item.get("kind") == "scale":
        for point in scale_points(asked.get("scale")):
            counts.setdefault(float(point), 0)
    total = sum(counts.values())
    return [_row(f"{value:g}", count, _percent(count, total)) for value, count in sorted(counts.items())]


def question(item: Mapping[str, Any], asked: Mapping[str, Any], lang: str) -> dict[str, Any]:
    """One question's results as the page draws them."""
    kind = item.get("kind") or asked.get("kind")
    shown: dict[str, Any] = {
        "id": item.get("id"), "kind": kind, "text": _text(item.get("text") or asked.get("text"), lang),
        "answered": item.get("answered") or 0, "rows": [], "other": item.get("other") or 0,
        "mean": item.get("mean"), "median": item.get("median"), "nps": item.get("nps"), "segment": None,
        "texts": kind == "text" or bool(item.get("other")),
    }
    if kind in ("single_choice", "multiple_choice"):
        shown["rows"] = _choice_rows(item, asked, lang)
    elif kind in ("scale", "number"):
        shown["rows"] = _distribution(item, {**asked, "kind": kind})
    elif kind == "yes_no":
        yes, no = item.get("yes") or 0, item.get("no") or 0
        shown["rows"] = [_row("yes", yes, _percent(yes, yes + no)), _row("no", no, _percent(no, yes + no))]
        if asked.get("maps_to") in labels.SEGMENT_FLAGS:
            shown["segment"] = url_for("console_members.segment_new", **{asked["maps_to"]: "yes"})
    return shown


def questions(found: Mapping[str, Any], survey: Mapping[str, Any], lang: str) -> list[dict[str, Any]]:
    asked = definition(survey)
    return [question(item, asked.get(item.get("id"), {}), lang) for item in found.get("questions") or []]


def _group_name(by: str, key: str | None) -> str:
    """A group's name; "" for the respondents who did not give one (key null)."""
    if key is None:
        return ""
    return labels.faculty_name(key) if by == "faculty" else key


def groups(found: Mapping[str, Any], survey: Mapping[str, Any], lang: str) -> dict[str, Any] | None:
    """The breakdown by class or faculty (``{by, groups: [{key, respondents, questions}],
    hidden}``): each shown group's results, and how many groups are hidden (an anonymous
    survey's groups under five respondents, and as many more as keep them from being worked
    out from the totals)."""
    breakdown = found.get("breakdown")
    if not breakdown:
        return None
    asked = definition(survey)
    by = breakdown["by"]
    shown = [{"key": str(group["key"]), "name": _group_name(by, group["key"]), "respondents": group["respondents"],
              "questions": [question(item, asked.get(item["id"], {}), lang) for item in group["questions"]]}
             for group in breakdown["groups"]]
    return {"by": by, "groups": shown, "hidden": breakdown["hidden"]}


def text_item(item: Mapping[str, Any], question: Mapping[str, Any]) -> dict[str, Any]:
    """A free-text answer of the texts route (``{text, member_id, submitted_at}``; an anonymous
    survey's ``{text}`` alone) as the page shows it: its text, whether it is an "other" answer
    (the route gives a choice question's "other" texts), and its day in Sofia."""
    submitted = item.get("submitted_at")
    try:
        on = datetime.fromisoformat(submitted).astimezone(ZoneInfo(DEFAULT_TIMEZONE)).date().isoformat()
    except (TypeError, ValueError):
        on = ""
    return {"text": str(item.get("text") or ""), "other": question.get("kind") in CHOICE_KINDS, "on": on}
