"""A survey's answers as an HTML form and back: the field names of ``_survey_questions.html``
(``a.<qid>``, and ``a.<qid>.other`` for an "other" answer in the member's words) and the
answers the members API takes (``{question_id: value}``, one form per kind).

- Single choice: one radio group; :data:`OTHER` is the radio of the "other" answer, whose
  words are in ``a.<qid>.other``. Multiple choice: checkboxes and the "other" words.
- Scale and number: a number; a number typed with a decimal comma is read too. What does not
  read as a number is sent as typed, so the API names the mistake next to the question.
- Text, date (``YYYY-MM-DD``) and country (``BG``): the text. Yes/no: ``yes`` or ``no``.
- A question left blank is ``None``: the caller drops it from the answers (a draft keeps only
  what is answered).
"""
from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from typing import Any

OTHER = "_other"  # never a choice id: those start with a letter
_NUMBER = re.compile(r"^-?\d+([.,]\d+)?\Z")


def field_name(question_id: str) -> str:
    return f"a.{question_id}"


def _questions(survey: Mapping[str, Any]) -> Iterator[Mapping[str, Any]]:
    for section in survey.get("sections") or ():
        yield from section.get("questions") or ()


def _number(text: str) -> Any:
    if not _NUMBER.match(text):
        return text
    number = float(text.replace(",", "."))
    return int(number) if number.is_integer() else number


def answer_from_form(question: Mapping[str, Any], form) -> Any:
    """One question's answer from the posted form, or None when it is left blank."""
    name = field_name(question["id"])
    kind = question["kind"]
    text = (form.get(name) or "").strip()
    if kind in ("single_choice", "multiple_choice"):
        other = (form.get(f"{name}.other") or "").strip() if question.get("other") else ""
        if kind == "single_choice":
            if text == OTHER or (not text and other):
                return {"choices": [], "other": other} if other else None
            return {"choices": [text]} if text else None
        chosen = [c for c in form.getlist(name) if c and c != OTHER]
        if not chosen and not other:
            return None
        return {"choices": chosen, **({"other": other} if other else {})}
    if not text:
        return None
    if kind in ("scale", "number"):
        return _number(text)
    if kind == "yes_no":
        return {"yes": True, "no": False}.get(text, text)
    if kind == "country":
        return text.upper()
    return text


def answers_from_form(survey: Mapping[str, Any], form) -> dict[str, Any]:
    """``{question_id: answer or None}`` for every question of ``survey`` (pass a survey of
    only the questions the page showed: a question not on the page is not "left blank")."""
    return {question["id"]: answer_from_form(question, form) for question in _questions(survey)}


def form_from_answers(survey: Mapping[str, Any], answers: Mapping[str, Any]) -> dict[str, list[str]]:
    """The form fields (name -> values) that give back ``answers``: the inverse of
    :func:`answers_from_form`, for a test or a prefilled preview."""
    fields: dict[str, list[str]] = {}
    for question in _questions(survey):
        value = answers.get(question["id"])
        if value is None:
            continue
        name = field_name(question["id"])
        if isinstance(value, Mapping):
            chosen = [str(c) for c in value.get("choices") or []]
            if value.get("other"):
                fields[f"{name}.other"] = [str(value["other"])]
                if question["kind"] == "single_choice" and not chosen:
                    chosen = [OTHER]
            if chosen:
                fields[name] = chosen
        elif isinstance(value, bool):
            fields[name] = ["yes" if value else "no"]
        elif isinstance(value, float) and value.is_integer():
            fields[name] = [str(int(value))]
        else:
            fields[name] = [str(value)]
    return fields
