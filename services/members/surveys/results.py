"""Survey results, as rules (pure: no I/O): what one answer set adds to the tallies, the
results an admin reads from the tallies, and the rows of the CSV export.

- Results are kept as counts, never recomputed from the responses: one tally document for
  the whole survey ("all") and one per class and per faculty of the respondents (a
  respondent without one counts under the group "not given", so every respondent is in
  exactly one group of each breakdown). An answer set adds ``respondents`` 1 and, per
  answered question, ``answered`` 1 and what its kind counts: choice ids and ``other``
  (choice kinds), the value (scale, number, country), ``yes`` or ``no`` (yes/no). Texts and
  dates are only counted as answered; the texts are read from the responses.
- A re-submission takes the old answer set away and adds the new one; an erasure takes it
  away. So the tallies are always the count of the answer sets now standing.
- A number is counted under its decimal text with a comma for the point ("3,5"): MongoDB
  reads a dot in a field name as a path. Whole numbers are counted as integers (3.0 is "3").
- Anonymous surveys: the shown results of a group must not describe fewer than
  ``rules.MIN_GROUP`` people, so small groups are hidden (``rules.hidden_groups``, which
  also keeps them from being recovered by subtraction), and while the whole survey has
  fewer respondents than that, no question's results are shown at all (the totals would
  themselves be a small group; who took part is on record, only not what they answered).
- Shares are percentages of the respondents who answered the question.
- The export writes every cell through ``rules.safe_cell`` (no spreadsheet formulas);
  choices as their Bulgarian texts joined by "; ". An anonymous survey's rows carry only
  the answers: no class, faculty or day, which would single out a small group's rows.
"""
from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from typing import Any

from services.members.surveys import rules

ALL = "all"
BREAKDOWNS = ("class", "faculty")
# The stored group key of respondents without a class or faculty (``null`` in the results).
NOT_GIVEN = ""
CHOICE_SEPARATOR = "; "
YES_NO_TEXTS = {True: "да", False: "не"}
OTHER_SUFFIX = ".other"
NAMED_COLUMNS = ("member_id", "class", "faculty", "submitted_at")


# --- tallies -----------------------------------------------------------------------------

def value_key(number: float) -> str:
    """The field name a number is counted under: its decimal text, a comma for the point."""
    if number == int(number):
        return str(int(number))
    return repr(float(number)).replace(".", ",")


def key_value(key: str) -> str:
    """A counted number's key as the results show it (a point again)."""
    return key.replace(",", ".")


def group_keys(groups: Mapping[str, Any]) -> list[tuple[str, str]]:
    """The (by, key) of the tally documents one respondent counts in."""
    return [(ALL, ALL), *((by, NOT_GIVEN if groups.get(by) is None else str(groups[by])) for by in BREAKDOWNS)]


def tally_id(survey_id: str, by: str, key: str, shard: int = 0) -> str:
    return f"{survey_id}|{by}|{key}|{shard}"


def merged(shards: list[Mapping[str, Any]]) -> dict[str, Any]:
    """One group's tally from its shard documents: every count summed (a shard alone may even
    hold a negative count, when a re-submission took away what another shard had added)."""
    def add(into: dict, counts: Mapping[str, Any]) -> None:
        for name, value in counts.items():
            if isinstance(value, Mapping):
                add(into.setdefault(name, {}), value)
            elif isinstance(value, (int, float)) and not isinstance(value, bool):
                into[name] = into.get(name, 0) + value
    total: dict[str, Any] = {"survey_id": shards[0].get("survey_id"), "by": shards[0].get("by"),
                             "key": shards[0].get("key")}
    for shard in shards:
        add(total, {name: value for name, value in shard.items() if name not in ("_id", "survey_id", "by", "key")})
    return total


def increments(survey: Mapping[str, Any], answers: Mapping[str, Any], sign: int = 1) -> dict[str, int]:
    """The ``$inc`` of one answer set on a tally document (``sign`` -1 takes it away).
    Answers to questions the survey does not have, and choice ids it does not know, count
    nowhere (the caller has validated them; this keeps a bad one out of the field names)."""
    out: dict[str, int] = {"respondents": sign}

    def add(path: str) -> None:
        out[path] = out.get(path, 0) + sign

    for question in rules.questions(survey):
        qid, kind = question["id"], question["kind"]
        value = answers.get(qid)
        if not rules.is_answered(value) or rules.answer_error(question, value) is not None:
            continue
        base = f"q.{qid}."
        add(base + "answered")
        if kind in rules.CHOICE_KINDS:
            for choice in value.get("choices") or ():
                add(f"{base}choices.{choice}")
            if rules.is_answered(value.get("other")):
                add(base + "other")
        elif kind in rules.NUMERIC_KINDS:
            add(f"{base}values.{value_key(value)}")
        elif kind == rules.COUNTRY:
            add(f"{base}values.{value}")
        elif kind == rules.YES_NO:
            add(base + ("yes" if value else "no"))
    return out


def change(survey: Mapping[str, Any], before: Mapping[str, Any] | None,
           after: Mapping[str, Any] | None) -> dict[str, int]:
    """The net ``$inc`` of replacing ``before`` by ``after`` (either may be None), without
    the counts that do not move."""
    net: dict[str, int] = {}
    for answers, sign in ((before, -1), (after, 1)):
        if answers is not None:
            for path, n in increments(survey, answers, sign).items():
                net[path] = net.get(path, 0) + n
    return {path: n for path, n in net.items() if n}


# --- results -----------------------------------------------------------------------------

def question_results(question: Mapping[str, Any], tally: Mapping[str, Any] | None, *,
                     texts: bool = True) -> dict[str, Any]:
    """One question's results from its part of a tally document (``tally["q"][id]``);
    without ``texts``, the question's and its choices' texts are left out (a breakdown's
    groups: the totals carry them once)."""
    tally = tally or {}
    kind = question["kind"]
    answered = tally.get("answered", 0)
    values = {k: n for k, n in (tally.get("values") or {}).items() if n}
    result: dict[str, Any] = {
        "id": question["id"], "kind": kind, **({"text": question["text"]} if texts else {}), "answered": answered,
        "choices": None, "other": None, "mean": None, "median": None, "distribution": None,
        "nps": None, "yes": None, "no": None}
    if kind in rules.CHOICE_KINDS:
        counts = {c["id"]: (tally.get("choices") or {}).get(c["id"], 0) for c in question["choices"]}
        share = rules.shares(counts, answered)
        result["choices"] = [{"id": c["id"], **({"text": c["text"]} if texts else {}), "count": counts[c["id"]],
                              "share": share[c["id"]]} for c in question["choices"]]
        if question.get("other"):
            result["other"] = tally.get("other", 0)
    elif kind in rules.NUMERIC_KINDS:
        numbers = {float(key_value(k)): n for k, n in values.items()}
        result["mean"], result["median"] = rules.mean(numbers), rules.median(numbers)
        distribution = {key_value(k): n for k, n in values.items()}
        if kind == rules.SCALE:
            low, high = rules.SCALES[question["scale"]]
            distribution = {str(v): distribution.get(str(v), 0) for v in range(low, high + 1)}
            if question["scale"] == "nps":
                result["nps"] = rules.nps(numbers)
        result["distribution"] = distribution
    elif kind == rules.COUNTRY:
        result["distribution"] = values
    elif kind == rules.YES_NO:
        result["yes"], result["no"] = tally.get("yes", 0), tally.get("no", 0)
    return result


def questions_results(survey: Mapping[str, Any], tally: Mapping[str, Any] | None, *,
                      texts: bool = True) -> list[dict[str, Any]]:
    counted = (tally or {}).get("q") or {}
    return [question_results(q, counted.get(q["id"]), texts=texts) for q in rules.questions(survey)]


def respondents(tally: Mapping[str, Any] | None) -> int:
    return (tally or {}).get("respondents", 0)


def totals_hidden(survey: Mapping[str, Any], count: int) -> bool:
    """Whether an anonymous survey has too few respondents to show any of their answers."""
    return bool(survey.get("anonymous")) and 0 < count < rules.MIN_GROUP


def _group_order(key: str) -> tuple:
    return key == NOT_GIVEN, key


def breakdown(survey: Mapping[str, Any], by: str, tallies: Iterable[Mapping[str, Any]]) -> dict[str, Any]:
    """The groups of a breakdown (``by`` class or faculty) from their tally documents (the
    questions without their texts, which the totals carry), the group "not given" last; an anonymous survey's small groups left out and counted in
    ``hidden``. A group every respondent has left (erasures) is no group."""
    groups = {t["key"]: t for t in tallies if t.get("by") == by and respondents(t) > 0}
    hidden: frozenset[str] = frozenset()
    if survey.get("anonymous"):
        hidden = rules.hidden_groups({key: respondents(t) for key, t in groups.items()})
    return {"by": by, "hidden": len(hidden), "groups": [
        {"key": None if key == NOT_GIVEN else key, "respondents": respondents(groups[key]),
         "questions": questions_results(survey, groups[key], texts=False)}
        for key in sorted(groups, key=_group_order) if key not in hidden]}


def survey_results(survey: Mapping[str, Any], totals: Mapping[str, Any] | None, by: str | None = None,
                   groups: Iterable[Mapping[str, Any]] = ()) -> dict[str, Any]:
    """The results document of the results route: ``totals`` is the survey's "all" tally
    (None before the first response), ``groups`` the tallies of the breakdown ``by``."""
    count = respondents(totals)
    audience = survey.get("audience_size")
    hide = totals_hidden(survey, count)
    return {
        "survey_id": survey["_id"], "anonymous": bool(survey.get("anonymous")), "audience_size": audience,
        "respondents": count,
        "response_rate": min(1.0, count / audience) if audience else None,
        "totals_hidden": hide,
        "questions": [] if hide else questions_results(survey, totals),
        "breakdown": None if by is None else breakdown(survey, by, groups),
    }


# --- free texts ---------------------------------------------------------------------------

def text_field(question: Mapping[str, Any]) -> str | None:
    """Where in an answer set a question's free text is (``answers.<id>`` for a text
    question, ``answers.<id>.other`` for a choice question with "other"); None if it has none."""
    if question["kind"] == rules.TEXT:
        return f"answers.{question['id']}"
    if question["kind"] in rules.CHOICE_KINDS and question.get("other"):
        return f"answers.{question['id']}.other"
    return None


def free_text(question: Mapping[str, Any], answers: Mapping[str, Any]) -> str | None:
    value = answers.get(question["id"])
    if question["kind"] in rules.CHOICE_KINDS:
        value = value.get("other") if isinstance(value, Mapping) else None
    return value if isinstance(value, str) else None


def find_question(survey: Mapping[str, Any], question_id: str) -> Mapping[str, Any] | None:
    return next((q for q in rules.questions(survey) if q["id"] == question_id), None)


# --- export --------------------------------------------------------------------------------

def export_header(survey: Mapping[str, Any]) -> list[Any]:
    """The header row: for a named survey who and when, then per question its id and
    Bulgarian text (and a column for the "other" text of a choice question that has one)."""
    cells: list[Any] = [] if survey.get("anonymous") else list(NAMED_COLUMNS)
    for question in rules.questions(survey):
        cells.append(f"{question['id']}: {question['text']['bg']}")
        if question["kind"] in rules.CHOICE_KINDS and question.get("other"):
            cells.append(f"{question['id']}{OTHER_SUFFIX}: {question['text']['bg']} (друго)")
    return [rules.safe_cell(c) for c in cells]


def _answer_cells(question: Mapping[str, Any], value: Any) -> Iterator[Any]:
    kind = question["kind"]
    if kind in rules.CHOICE_KINDS:
        value = value if isinstance(value, Mapping) else {}
        texts = {c["id"]: c["text"]["bg"] for c in question["choices"]}
        yield CHOICE_SEPARATOR.join(texts.get(c, c) for c in value.get("choices") or ())
        if question.get("other"):
            yield value.get("other")
    elif kind == rules.YES_NO:
        yield YES_NO_TEXTS.get(value) if isinstance(value, bool) else None
    elif kind in rules.NUMERIC_KINDS and isinstance(value, float) and value == int(value):
        yield int(value)
    else:
        yield value


def export_row(survey: Mapping[str, Any], response: Mapping[str, Any]) -> list[Any]:
    """One submitted response as the cells under :func:`export_header`."""
    cells: list[Any] = []
    if not survey.get("anonymous"):
        submitted = response.get("submitted_at")
        cells += [response.get("member_id"), response.get("class"), response.get("faculty"),
                  submitted.isoformat() if submitted is not None else None]
    answers = response.get("answers") or {}
    for question in rules.questions(survey):
        cells.extend(_answer_cells(question, answers.get(question["id"])))
    return [rules.safe_cell(c) for c in cells]
