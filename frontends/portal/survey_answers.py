"""A survey's answers and the answering form's fields, both ways (pure), and what the question
macros (``templates/_survey_questions.html``) need in the survey's language.

The members API takes answers as ``{question_id: value}`` (SURVEYS.md): choice questions
``{"choices": [choice ids], "other": text}``, scale and number a number, text a string, date
``YYYY-MM-DD``, country an ISO code, yes/no a boolean. The form names every field
``a.<question_id>`` (choices: one value per ticked choice, the "other" text in
``a.<question_id>.other``, and for a single choice the radio :data:`OTHER`). A blank field is
no answer and is left out. A value the API will refuse (``abc`` for a number) is sent as typed,
so the API's problem names its question and the page shows it again as it was.
"""
from __future__ import annotations

import re
from typing import Any, Iterable, Mapping

PREFIX = "a."
OTHER = "_other"  # the "other" radio of a single choice (choice ids start with a letter)
CHOICE_KINDS = ("single_choice", "multiple_choice")
YES, NO = "yes", "no"
_WHOLE = re.compile(r"-?\d{1,15}\Z")
_DECIMAL = re.compile(r"-?\d{0,15}([.,]\d{1,10})?\Z")


def field_name(question_id: str) -> str:
    return PREFIX + question_id


def questions(survey: Mapping[str, Any]) -> Iterable[Mapping[str, Any]]:
    for section in survey.get("sections") or []:
        yield from section.get("questions") or []


def _values(form: Any, name: str) -> list[str]:
    """Every value of a field: a MultiDict's list, a plain dict's value or list."""
    if hasattr(form, "getlist"):
        return [str(v) for v in form.getlist(name)]
    value = form.get(name)
    if value is None:
        return []
    return [str(v) for v in value] if isinstance(value, (list, tuple)) else [str(value)]


def _number(text: str) -> int | float | str:
    if _WHOLE.match(text):
        return int(text)
    if text and _DECIMAL.match(text) and any(ch.isdigit() for ch in text):
        return float(text.replace(",", "."))
    return text


def _choice_answer(question: Mapping[str, Any], form: Any) -> dict[str, Any] | None:
    name = field_name(question["id"])
    ticked = [v for v in _values(form, name) if v]
    other = (_values(form, name + ".other") or [""])[0].strip() if question.get("other") else ""
    if question["kind"] == "single_choice":
        picked = next((v for v in ticked if v != OTHER), None)
        if OTHER in ticked or (picked is None and other):
            return {"choices": [], "other": other} if other else None
        return {"choices": [picked]} if picked else None
    chosen = [v for v in dict.fromkeys(ticked) if v != OTHER]
    if not chosen and not other:
        return None
    return {"choices": chosen, **({"other": other} if other else {})}


def answer_from_form(question: Mapping[str, Any], form: Any) -> Any:
    """One question's answer from the form, or None when it is left blank."""
    kind = question["kind"]
    if kind in CHOICE_KINDS:
        return _choice_answer(question, form)
    raw = (_values(form, field_name(question["id"])) or [""])[0]
    text = raw.replace("\r\n", "\n").strip()
    if not text:
        return None
    if kind in ("scale", "number"):
        return _number(text)
    if kind == "yes_no":
        return {YES: True, NO: False}.get(text, text)
    if kind == "country":
        return text.upper()
    return text


def answers_from_form(survey: Mapping[str, Any], form: Any) -> dict[str, Any]:
    """The answers a posted form gives, ``{question_id: value}``, blank questions left out."""
    answers = {}
    for question in questions(survey):
        value = answer_from_form(question, form)
        if value is not None:
            answers[question["id"]] = value
    return answers


def _as_text(value: Any) -> str:
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return "" if value is None else str(value)


def form_from_answers(survey: Mapping[str, Any], answers: Mapping[str, Any]) -> dict[str, Any]:
    """The form fields that give ``answers`` back (choices as lists): what the page posts when
    nothing is changed."""
    form: dict[str, Any] = {}
    for question in questions(survey):
        qid, kind = question["id"], question["kind"]
        value = answers.get(qid)
        if value is None:
            continue
        name = field_name(qid)
        if kind in CHOICE_KINDS and isinstance(value, Mapping):
            chosen = list(value.get("choices") or [])
            if value.get("other"):
                form[name + ".other"] = str(value["other"])
                if kind == "single_choice" and not chosen:
                    chosen = [OTHER]
            form[name] = chosen
        elif kind == "yes_no" and isinstance(value, bool):
            form[name] = YES if value else NO
        else:
            form[name] = _as_text(value)
    return form


def chosen(value: Any) -> list[str]:
    """The choice ids an answer holds (for the macros; a raw value holds none)."""
    if isinstance(value, Mapping):
        return [str(c) for c in value.get("choices") or []]
    return []


def other_text(value: Any) -> str:
    return str(value.get("other") or "") if isinstance(value, Mapping) else ""


def scale_points(scale: str | None) -> list[int]:
    """The values of a named scale (the API's rules.SCALES)."""
    low, high = {"1-5": (1, 5), "1-10": (1, 10), "nps": (0, 10)}.get(scale or "", (1, 5))
    return list(range(low, high + 1))
