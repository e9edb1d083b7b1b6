"""Surveys, as rules: what a survey definition is, which questions a member sees, what a valid
answer set is, which profile changes an answer set proposes, and the statistics of results
(pure: no Flask, no pymongo, no clock; every rule is a direct test).

- A survey has sections of questions, every text in Bulgarian and English. Section and
  question ids are unique in the survey, choice ids unique in their question.
- A section or a question may have a show-if condition on answers to EARLIER questions only.
  A hidden question counts as unanswered for the conditions after it, so hiding cascades.
- A draft may be incomplete and may keep answers to questions its later answers hide (the
  member may change their mind back). A final answer set is valid iff every answer has its
  question's form, every required visible question is answered and no hidden one is;
  :func:`drop_hidden` removes the hidden and blank answers before a submission is checked.
- A question may map to one profile field of a fitting type. A named response *proposes*
  each change whose value differs, and the caller asks the member: nothing is overwritten
  silently. Lists (languages, interests) only gain the chosen values. Anonymous surveys map
  nothing (their answers are linked to no one).
- Breakdowns of anonymous surveys hide every group smaller than :data:`MIN_GROUP`, and then
  the smallest other groups until the hidden ones hold at least :data:`MIN_GROUP` together,
  so no hidden group can be recovered by subtracting the shown ones from the totals.
"""
from __future__ import annotations

import math
import re
from collections.abc import Iterator, Mapping
from datetime import date, datetime
from typing import Any

from marshmallow import Schema, ValidationError, fields, validate, validates_schema

# The profile's own limits (its schema's): a proposal must pass the normal update.
from services.members.schemas import MAX_INTEREST, PROFILE_LIST_LIMITS, PROFILE_TEXT_LIMITS
from shared import memberfilter
from shared.csvexport import safe_cell  # noqa: F401  (the export's cells: results.py)

SINGLE, MULTIPLE, SCALE, TEXT, NUMBER, DATE, COUNTRY, YES_NO = (
    "single_choice", "multiple_choice", "scale", "text", "number", "date", "country", "yes_no")
KINDS = (SINGLE, MULTIPLE, SCALE, TEXT, NUMBER, DATE, COUNTRY, YES_NO)
CHOICE_KINDS = (SINGLE, MULTIPLE)
# Scales by name: their lowest and highest value. NPS is "how likely to recommend, 0-10".
SCALES = {"1-5": (1, 5), "1-10": (1, 10), "nps": (0, 10)}
NUMERIC_KINDS = (SCALE, NUMBER)
# Which condition operators fit which kind of the question they look at.
OPERATORS = {
    "equals": (SINGLE, MULTIPLE, SCALE, NUMBER, COUNTRY, YES_NO),
    "one_of": (SINGLE, MULTIPLE, SCALE, NUMBER, COUNTRY),
    "at_least": NUMERIC_KINDS,
    "at_most": NUMERIC_KINDS,
    "answered": KINDS,
}
LEAF_OPERATORS = tuple(OPERATORS)
COMBINATORS = ("all", "any")
# The profile fields a question may fill, and the kinds of question that fit each.
MAPPABLE = {
    "employer": (TEXT,), "position": (TEXT,), "city": (TEXT,), "specialty": (TEXT,),
    "country": (COUNTRY,),
    "languages": (MULTIPLE,),   # choice ids are ISO 639-1 codes
    "interests": (MULTIPLE,),   # the chosen options' texts, and the "other" text
    "open_to_mentoring": (YES_NO,), "open_to_ambassador": (YES_NO,), "open_to_volunteer": (YES_NO,),
}
LIST_FIELDS = ("languages", "interests")
AUDIENCES = ("everyone", "class", "faculty", "segment")
LANGUAGES = ("bg", "en")

MIN_GROUP = 5
ID = validate.Regexp(r"^[a-z][a-z0-9_]{0,39}\Z", error="1 to 40 lower-case letters, digits or _, starting with a letter.")
ISO_639_1 = re.compile(r"^[a-z]{2}\Z")
MAX_SECTIONS, MAX_QUESTIONS, MAX_CHOICES = 30, 200, 50
MAX_TEXT_ANSWER, MAX_OTHER = 2000, 200
MAX_CONDITION_DEPTH = 4
# Control characters other than line breaks and tabs (which a long answer may hold).
CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


# --- the definition ----------------------------------------------------------------------

def _no_control(value: str) -> None:
    if CONTROL.search(value):
        raise ValidationError("Must not contain control characters.")
    if value and not value.strip():  # an empty text is the length rule's to name, once
        raise ValidationError("Must not be blank.")


class BilingualSchema(Schema):
    """A text the portal shows in the member's language: both are required."""

    bg = fields.String(required=True, validate=[validate.Length(min=1, max=1000), _no_control])
    en = fields.String(required=True, validate=[validate.Length(min=1, max=1000), _no_control])


class ChoiceSchema(Schema):
    id = fields.String(required=True, validate=ID)
    text = fields.Nested(BilingualSchema, required=True)


class ConditionSchema(Schema):
    """Either a leaf ``{"question": id, <operator>: value}`` with exactly one operator, or
    ``{"all": [...]}`` / ``{"any": [...]}`` of conditions."""

    question = fields.String(validate=ID)
    equals = fields.Raw()
    one_of = fields.List(fields.Raw(), validate=validate.Length(min=1, max=MAX_CHOICES))
    at_least = fields.Float(allow_nan=False)
    at_most = fields.Float(allow_nan=False)
    answered = fields.Boolean()
    all = fields.List(fields.Nested(lambda: ConditionSchema()), validate=validate.Length(min=1, max=20))
    any = fields.List(fields.Nested(lambda: ConditionSchema()), validate=validate.Length(min=1, max=20))

    @validates_schema
    def _one_form(self, data: dict, **_) -> None:
        operators = [k for k in LEAF_OPERATORS if k in data]
        combinators = [k for k in COMBINATORS if k in data]
        if combinators:
            if len(combinators) > 1 or operators or "question" in data:
                raise ValidationError("Give either all, any, or a question with one operator.")
        elif "question" not in data or len(operators) != 1:
            raise ValidationError(f"Give a question and exactly one of {', '.join(LEAF_OPERATORS)}.")


class QuestionSchema(Schema):
    id = fields.String(required=True, validate=ID)
    kind = fields.String(required=True, validate=validate.OneOf(KINDS))
    text = fields.Nested(BilingualSchema, required=True)
    help = fields.Nested(BilingualSchema)
    required = fields.Boolean(load_default=False)
    choices = fields.List(fields.Nested(ChoiceSchema), validate=validate.Length(max=MAX_CHOICES))
    other = fields.Boolean(metadata={"description": "choice questions: an 'other' answer in the member's words"})
    scale = fields.String(validate=validate.OneOf(SCALES))
    minimum = fields.Float(allow_nan=False, metadata={"description": "number questions"})
    maximum = fields.Float(allow_nan=False, metadata={"description": "number questions"})
    show_if = fields.Nested(ConditionSchema)
    maps_to = fields.String(validate=validate.OneOf(MAPPABLE), metadata={"description": "a profile field"})


class SectionSchema(Schema):
    id = fields.String(required=True, validate=ID)
    title = fields.Nested(BilingualSchema, required=True)
    show_if = fields.Nested(ConditionSchema)
    questions = fields.List(fields.Nested(QuestionSchema), required=True,
                            validate=validate.Length(min=1, max=MAX_QUESTIONS))


class AudienceSchema(Schema):
    """Everyone; a class (graduation year, optionally of one faculty); a faculty; a saved segment."""

    kind = fields.String(required=True, validate=validate.OneOf(AUDIENCES))
    graduation_year = fields.Integer(validate=validate.Range(memberfilter.FIRST_GRADUATION_YEAR,
                                                             memberfilter.LAST_GRADUATION_YEAR))
    faculty = fields.String(validate=validate.OneOf(memberfilter.FACULTIES))
    segment_id = fields.String(validate=validate.Length(min=1, max=64))

    @validates_schema
    def _fits_kind(self, data: dict, **_) -> None:
        needs = {"everyone": (), "class": ("graduation_year",), "faculty": ("faculty",),
                 "segment": ("segment_id",)}[data["kind"]]
        allowed = {*needs, "faculty"} if data["kind"] == "class" else set(needs)
        errors = {f: ["Required for this audience."] for f in needs if f not in data}
        errors |= {f: ["Not used by this audience."] for f in ("graduation_year", "faculty", "segment_id")
                   if f in data and f not in allowed}
        if errors:
            raise ValidationError(errors)


class SurveySchema(Schema):
    """A survey as an admin writes it; the cross-question rules are :func:`definition_errors`."""

    title = fields.Nested(BilingualSchema, required=True)
    description = fields.Nested(BilingualSchema)
    sections = fields.List(fields.Nested(SectionSchema), required=True,
                           validate=validate.Length(min=1, max=MAX_SECTIONS))
    opens_at = fields.AwareDateTime(required=True)
    closes_at = fields.AwareDateTime(required=True)
    audience = fields.Nested(AudienceSchema, required=True)
    anonymous = fields.Boolean(required=True)

    @validates_schema
    def _cross_rules(self, data: dict, **_) -> None:
        errors = definition_errors(data)
        if errors:
            raise ValidationError(errors)


def questions(survey: Mapping[str, Any]) -> Iterator[Mapping[str, Any]]:
    """The survey's questions in the order the member meets them."""
    for section in survey["sections"]:
        yield from section["questions"]


def definition_errors(survey: Mapping[str, Any]) -> dict[str, list[str]]:
    """What is wrong across the questions of a survey of the right shape, keyed by the id of
    the question or section at fault (or ``closes_at``): unique ids, each kind's settings,
    conditions on earlier questions only, and mappings that fit."""
    errors: dict[str, list[str]] = {}

    def fault(key: str, message: str) -> None:
        errors.setdefault(key, []).append(message)

    if survey["closes_at"] <= survey["opens_at"]:
        fault("closes_at", "Must be after opens_at.")
    earlier: dict[str, Mapping[str, Any]] = {}   # questions before the one being checked
    ids: set[str] = set()
    mapped: dict[str, str] = {}
    for section in survey["sections"]:
        if section["id"] in ids or section["id"] in SurveySchema._declared_fields:
            fault(section["id"], "Another section or question, or a field of the survey, has this id.")
        ids.add(section["id"])
        for message in _condition_errors(section.get("show_if"), earlier):
            fault(section["id"], message)
        in_section: dict[str, Mapping[str, Any]] = {}
        for question in section["questions"]:
            qid = question["id"]
            # Errors are keyed by these ids beside the survey's own fields: they must not meet.
            if qid in ids or qid in SurveySchema._declared_fields:
                fault(qid, "Another section or question, or a field of the survey, has this id.")
            ids.add(qid)
            for message in _question_errors(question):
                fault(qid, message)
            for message in _condition_errors(question.get("show_if"), {**earlier, **in_section}):
                fault(qid, message)
            field = question.get("maps_to")
            if field:
                for message in _mapping_errors(question, field, survey, mapped):
                    fault(qid, message)
                mapped.setdefault(field, qid)
            in_section.setdefault(qid, question)
        earlier |= {k: v for k, v in in_section.items() if k not in earlier}
    return errors


def _question_errors(question: Mapping[str, Any]) -> Iterator[str]:
    kind = question["kind"]
    choices = question.get("choices")
    if kind in CHOICE_KINDS:
        if not choices or len(choices) < 2:
            yield "A choice question needs at least two choices."
        elif len({c["id"] for c in choices}) != len(choices):
            yield "Choice ids must be unique."
    else:
        if choices is not None:
            yield f"Only {' and '.join(CHOICE_KINDS)} questions have choices."
        if question.get("other"):
            yield "Only choice questions have an 'other' answer."
    if (kind == SCALE) != ("scale" in question):
        yield f"A scale question, and only it, names its scale ({', '.join(SCALES)})."
    if kind != NUMBER and ("minimum" in question or "maximum" in question):
        yield "Only number questions have a minimum or maximum."
    if "minimum" in question and "maximum" in question and question["minimum"] > question["maximum"]:
        yield "The minimum must not be above the maximum."


def _condition_errors(condition: Mapping[str, Any] | None, earlier: Mapping[str, Mapping[str, Any]],
                      depth: int = 1) -> Iterator[str]:
    if condition is None:
        return
    if depth > MAX_CONDITION_DEPTH:
        yield f"Conditions nest at most {MAX_CONDITION_DEPTH} deep."
        return
    for combinator in COMBINATORS:
        if combinator in condition:
            for part in condition[combinator]:
                yield from _condition_errors(part, earlier, depth + 1)
            return
    target = earlier.get(condition["question"])
    if target is None:
        yield f"The condition may only look at an earlier question, not {condition['question']!r}."
        return
    operator = next(k for k in LEAF_OPERATORS if k in condition)
    if target["kind"] not in OPERATORS[operator]:
        yield f"{operator} does not apply to a {target['kind']} question ({target['id']})."
        return
    if operator in ("equals", "one_of"):
        values = condition["one_of"] if operator == "one_of" else [condition["equals"]]
        for value in values:
            answer = _as_answer(target, value)
            if not is_answered(answer) or answer_error(target, answer) is not None:
                yield f"{value!r} is not a possible answer to {target['id']}."


def _as_answer(question: Mapping[str, Any], value: Any) -> Any:
    """A condition's value as the answer it compares with (a choice id as a choice answer)."""
    return {"choices": [value]} if question["kind"] in CHOICE_KINDS else value


def _mapping_errors(question: Mapping[str, Any], field: str, survey: Mapping[str, Any],
                    mapped: Mapping[str, str]) -> Iterator[str]:
    if survey["anonymous"]:
        yield "An anonymous survey links answers to no one, so it cannot fill a profile."
    if question["kind"] not in MAPPABLE[field]:
        yield f"{field} can only be filled by a {' or '.join(MAPPABLE[field])} question."
        return
    if field in mapped:
        yield f"{mapped[field]} already fills {field}."
    choices = question.get("choices") or []
    if field == "languages" and any(not ISO_639_1.match(c["id"]) for c in choices):
        yield "For languages, every choice id is an ISO 639-1 code, e.g. de."
    if field == "interests" and any(len(t) > MAX_INTEREST for c in choices for t in c["text"].values()):
        yield f"For interests, every choice text has at most {MAX_INTEREST} characters."


def audience_filter(audience: Mapping[str, Any]) -> dict[str, Any] | None:
    """The audience as a member filter (shared.memberfilter), or ``None`` for a saved
    segment, whose filter the caller reads."""
    kind = audience["kind"]
    if kind == "segment":
        return None
    spec: dict[str, Any] = {}
    if kind == "class":
        spec |= {"graduation_year_from": audience["graduation_year"],
                 "graduation_year_to": audience["graduation_year"]}
    if audience.get("faculty"):
        spec["faculty"] = [audience["faculty"]]
    return spec


def is_open(survey: Mapping[str, Any], now: datetime) -> bool:
    """Answers are taken (and drafts edited) from the opening until the close."""
    return survey["opens_at"] <= now < survey["closes_at"]


# --- answers -----------------------------------------------------------------------------
# An answer, by kind: choice kinds {"choices": [choice ids], "other": text} (a single choice
# holds one choice or the other text); scale and number a number; text a string; date an ISO
# date "YYYY-MM-DD"; country an ISO 3166 alpha-2 code; yes_no a boolean. None, a blank text
# and an empty choice are "not answered".

def is_answered(value: Any) -> bool:
    if value is None:
        return False
    if isinstance(value, str):
        return bool(value.strip())
    if isinstance(value, Mapping):
        return bool(value.get("choices")) or is_answered(value.get("other"))
    if isinstance(value, list | tuple):
        return bool(value)
    return True


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


def answer_error(question: Mapping[str, Any], value: Any) -> str | None:
    """Why ``value`` is not an answer to ``question``, or None when it is (or is blank)."""
    if not is_answered(value):
        return None
    kind = question["kind"]
    if kind in CHOICE_KINDS:
        return _choice_error(question, value)
    if kind == SCALE:
        low, high = SCALES[question["scale"]]
        if not (_is_number(value) and value == int(value) and low <= value <= high):
            return f"Must be a whole number from {low} to {high}."
    elif kind == NUMBER:
        if not _is_number(value):
            return "Must be a number."
        if "minimum" in question and value < question["minimum"]:
            return f"Must be at least {question['minimum']:g}."
        if "maximum" in question and value > question["maximum"]:
            return f"Must be at most {question['maximum']:g}."
    elif kind == TEXT:
        # A mapped answer must also pass the profile's own limit when the member accepts it.
        limit = PROFILE_TEXT_LIMITS.get(question.get("maps_to"), MAX_TEXT_ANSWER)
        if not isinstance(value, str) or len(value) > limit:
            return f"Must be a text of at most {limit} characters."
        if CONTROL.search(value):
            return "Must not contain control characters."
    elif kind == DATE:
        if not isinstance(value, str) or not _is_iso_date(value):
            return "Must be a date as YYYY-MM-DD."
    elif kind == COUNTRY:
        if value not in memberfilter.COUNTRIES:
            return "Must be an ISO 3166 two-letter country code, e.g. BG."
    elif kind == YES_NO and not isinstance(value, bool):
        return "Must be yes (true) or no (false)."
    return None


def _is_iso_date(value: str) -> bool:
    try:
        return date.fromisoformat(value).isoformat() == value
    except ValueError:
        return False


def _choice_error(question: Mapping[str, Any], value: Any) -> str | None:
    if not isinstance(value, Mapping) or set(value) - {"choices", "other"}:
        return 'Must be {"choices": [choice ids], "other": text}.'
    chosen = value.get("choices") or []
    other = value.get("other")
    known = {c["id"] for c in question["choices"]}
    if not isinstance(chosen, list | tuple) or any(not isinstance(c, str) or c not in known for c in chosen):
        return f"Choose among {', '.join(sorted(known))}."
    if len(set(chosen)) != len(chosen):
        return "Choose each option once."
    if is_answered(other):
        if not question.get("other"):
            return "This question has no 'other' answer."
        if not isinstance(other, str) or len(other) > MAX_OTHER or CONTROL.search(other):
            return f"The 'other' answer is a text of at most {MAX_OTHER} characters, without control characters."
    if question["kind"] == SINGLE and len(chosen) + is_answered(other) != 1:
        return "Choose one."
    return None


def holds(condition: Mapping[str, Any] | None, answers: Mapping[str, Any]) -> bool:
    """Whether a show-if condition holds on ``answers`` (those of visible questions). A leaf
    on an unanswered question is false, except ``answered: false``."""
    if condition is None:
        return True
    if "all" in condition:
        return all(holds(part, answers) for part in condition["all"])
    if "any" in condition:
        return any(holds(part, answers) for part in condition["any"])
    value = answers.get(condition["question"])
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
    return value <= condition["at_most"]


def _values(value: Any) -> list[Any]:
    if isinstance(value, Mapping):
        return list(value.get("choices") or [])
    return [value]


def _same(wanted: Any, values: list[Any]) -> bool:
    # True == 1 in Python; a yes/no never equals a scale value.
    return any(wanted == v and isinstance(wanted, bool) == isinstance(v, bool) for v in values)


def visible_questions(survey: Mapping[str, Any], answers: Mapping[str, Any]) -> list[str]:
    """The ids of the questions the member sees, in order. A condition reads only answers to
    questions that are visible themselves, so hiding a question hides what depends on it."""
    seen: dict[str, Any] = {}
    shown: list[str] = []
    for section in survey["sections"]:
        section_shown = holds(section.get("show_if"), seen)
        for question in section["questions"]:
            if section_shown and holds(question.get("show_if"), seen):
                shown.append(question["id"])
                if question["id"] in answers:
                    seen[question["id"]] = answers[question["id"]]
    return shown


def drop_hidden(survey: Mapping[str, Any], answers: Mapping[str, Any]) -> dict[str, Any]:
    """The answers to keep: those to visible questions, and not blank (what a submission is)."""
    visible = visible_questions(survey, answers)
    return {qid: answers[qid] for qid in visible if is_answered(answers.get(qid))}


def validate_answers(survey: Mapping[str, Any], answers: Mapping[str, Any], *,
                     final: bool) -> dict[str, list[str]]:
    """What is wrong with an answer set, keyed by question id: unknown questions and answers
    of the wrong form always; for a ``final`` submission also required visible questions left
    unanswered and answered hidden ones. ``{}`` means valid."""
    by_id = {q["id"]: q for q in questions(survey)}
    errors: dict[str, list[str]] = {}
    for qid, value in answers.items():
        question = by_id.get(qid)
        if question is None:
            errors[qid] = ["There is no such question in this survey."]
        elif (message := answer_error(question, value)) is not None:
            errors[qid] = [message]
    if not final:
        return errors
    visible = set(visible_questions(survey, answers))
    for qid, question in by_id.items():
        if qid in errors:
            continue
        answered = is_answered(answers.get(qid))
        if qid in visible and question.get("required") and not answered:
            errors[qid] = ["This question needs an answer."]
        elif qid not in visible and answered:
            errors[qid] = ["Your earlier answers hide this question; leave it unanswered."]
    return errors


# --- profile changes ---------------------------------------------------------------------

def proposed_changes(survey: Mapping[str, Any], answers: Mapping[str, Any], profile: Mapping[str, Any],
                     language: str | None = None) -> list[dict[str, Any]]:
    """The profile changes a named response proposes, ``[{field, old, new, question}]``, only
    where the new value differs; the member accepts or declines each. ``language`` (default:
    the member's preferred one) picks the text of chosen interests."""
    if survey["anonymous"]:
        return []
    if language not in LANGUAGES:
        language = profile.get("preferred_language") if profile.get("preferred_language") in LANGUAGES else "bg"
    visible = set(visible_questions(survey, answers))
    changes = []
    for question in questions(survey):
        field, value = question.get("maps_to"), answers.get(question["id"])
        if not field or question["id"] not in visible or not is_answered(value) \
                or answer_error(question, value) is not None:
            continue
        old = profile.get(field)
        new = _profile_value(question, field, value, old, language)
        if new != old:
            changes.append({"field": field, "old": old, "new": new, "question": question["id"]})
    return changes


def _profile_value(question: Mapping[str, Any], field: str, value: Any, old: Any, language: str) -> Any:
    if question["kind"] == TEXT:
        return " ".join(value.split())
    if field not in LIST_FIELDS:
        return value
    if field == "languages":
        wanted = list(value.get("choices") or [])
    else:
        texts = {c["id"]: c["text"][language] for c in question["choices"]}
        wanted = [" ".join(texts[c].split()) for c in value.get("choices") or []]
        other = " ".join((value.get("other") or "").split())
        if other and len(other) <= MAX_INTEREST:
            wanted.append(other)
    merged = list(old or [])
    have = {item.casefold() for item in merged}
    for item in wanted:
        if item.casefold() not in have and len(merged) < PROFILE_LIST_LIMITS[field]:
            merged.append(item)
            have.add(item.casefold())
    return merged if merged != list(old or []) else old


# --- results -----------------------------------------------------------------------------

def _counted(histogram: Mapping[Any, int]) -> list[tuple[float, int]]:
    return sorted((float(value), count) for value, count in histogram.items() if count > 0)


def mean(histogram: Mapping[Any, int]) -> float | None:
    """The mean of the values counted in ``{value: count}``; None when nothing is counted."""
    counted = _counted(histogram)
    total = sum(count for _, count in counted)
    return sum(value * count for value, count in counted) / total if total else None


def median(histogram: Mapping[Any, int]) -> float | None:
    """The median of ``{value: count}`` (the mean of the two middle values for an even count)."""
    counted = _counted(histogram)
    total = sum(count for _, count in counted)
    if not total:
        return None
    middle = []
    position = 0
    for value, count in counted:
        for rank in ((total - 1) // 2, total // 2):
            if position <= rank < position + count:
                middle.append(value)
        position += count
    return sum(middle) / len(middle)


def nps(distribution: Mapping[Any, int]) -> float | None:
    """Net Promoter Score of 0-10 answers ``{score: count}``: the percentage of promoters
    (9-10) minus that of detractors (0-6), from -100 to 100; None with no answers."""
    counted = _counted(distribution)
    total = sum(count for _, count in counted)
    if not total:
        return None
    promoters = sum(count for score, count in counted if score >= 9)
    detractors = sum(count for score, count in counted if score <= 6)
    return 100 * (promoters - detractors) / total


def shares(counts: Mapping[str, int], respondents: int) -> dict[str, float | None]:
    """Each option's percentage of the respondents (of a multiple choice these add past 100)."""
    return {option: 100 * count / respondents if respondents else None for option, count in counts.items()}


def hidden_groups(sizes: Mapping[str, int], minimum: int = MIN_GROUP) -> frozenset[str]:
    """The groups a breakdown of an anonymous survey hides: those smaller than ``minimum``,
    then the smallest others until the hidden ones number ``minimum`` together. The totals
    minus the shown groups then give only that sum, never a group's own size; when every
    group is hidden and they total less than ``minimum``, the caller hides the totals too."""
    hidden = {g for g, size in sizes.items() if size < minimum}
    shown = sorted((size, str(g), g) for g, size in sizes.items() if g not in hidden)
    while hidden and shown and sum(sizes[g] for g in hidden) < minimum:
        # A lone hidden group would be the totals minus the others: the loop always adds one.
        hidden.add(shown.pop(0)[2])
    return frozenset(hidden)


def suppress_small_groups(breakdown: Mapping[str, Any], minimum: int = MIN_GROUP) -> dict[str, Any]:
    """``breakdown`` (group -> its count, or -> its results with a ``respondents`` count)
    with each group of :func:`hidden_groups` replaced by None."""
    sizes = {g: v["respondents"] if isinstance(v, Mapping) else v for g, v in breakdown.items()}
    hidden = hidden_groups(sizes, minimum)
    return {g: None if g in hidden else v for g, v in breakdown.items()}


# --- export ------------------------------------------------------------------------------

# safe_cell: one rule for every export (shared.csvexport), imported above for results.py.
