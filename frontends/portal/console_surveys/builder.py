"""The survey builder's form: a draft survey as the office edits it, read from the posted
fields, changed by the form's buttons, and sent as the members API's body (pure).

Fields are named by the API's field paths (``title.bg``, ``audience.kind``,
``sections.0.questions.1.choices.2.text.en``...), so the API's 422 errors land next to their
fields as they are; the body keeps every section, question and choice in the form's order
(blank ones too) for the same reason. Without JavaScript each change of the structure ("add a
question", "add a choice", "move up", "remove") is a submit button whose ``action`` value
names it (``add_choice:0:1``), answered by the same page with the change made and nothing
saved. Times are typed in Sofia's local time. A condition in the form is one question, an
operator and a value; a combined one (all/any) made elsewhere is kept as it is.
"""
from __future__ import annotations

import json
import re
from datetime import datetime, timezone
from typing import Any, Mapping
from zoneinfo import ZoneInfo

from frontends.portal.console_events.times import LOCAL_INPUT, to_input
from frontends.portal.gateway import VALIDATION_PROBLEM, ApiProblem
from frontends.portal.i18n import DEFAULT_TIMEZONE

LANGS = ("bg", "en")
CHOICE_KINDS = ("single_choice", "multiple_choice")
OPERATORS = ("equals", "one_of", "at_least", "at_most", "answered")
NEW_KIND = "single_choice"
_INDEX = re.compile(r"\d{1,3}\Z")


def _bilingual(value: Mapping[str, Any] | None) -> dict[str, str]:
    value = value or {}
    return {lang: "" if value.get(lang) is None else str(value.get(lang)) for lang in LANGS}


def _text(value: Any) -> str:
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, bool):
        return "yes" if value else "no"
    return "" if value is None else str(value)


# --- ids ---------------------------------------------------------------------------------

def _fresh(prefix: str, taken: set[str]) -> str:
    n = 1
    while f"{prefix}{n}" in taken:
        n += 1
    return f"{prefix}{n}"


def _ids(model: Mapping[str, Any]) -> set[str]:
    return {s["id"] for s in model["sections"]} | {q["id"] for s in model["sections"] for q in s["questions"]}


def new_choice(question: Mapping[str, Any]) -> dict[str, Any]:
    return {"id": _fresh("c", {c["id"] for c in question["choices"]}), "text": _bilingual(None)}


def new_question(model: Mapping[str, Any]) -> dict[str, Any]:
    question = {"id": _fresh("q", _ids(model)), "kind": NEW_KIND, "text": _bilingual(None),
                "help": _bilingual(None), "required": False, "choices": [], "other": False, "scale": "1-5",
                "minimum": "", "maximum": "", "show_if": _condition(None), "maps_to": ""}
    question["choices"] = [new_choice(question)]
    question["choices"].append(new_choice(question))
    return question


def new_section(model: Mapping[str, Any]) -> dict[str, Any]:
    section = {"id": _fresh("s", _ids(model)), "title": _bilingual(None), "show_if": _condition(None),
               "questions": []}
    section["questions"].append(new_question({"sections": [*model["sections"], section]}))
    return section


def blank() -> dict[str, Any]:
    """A new survey: for everyone, named, one section with one question."""
    model: dict[str, Any] = {"title": _bilingual(None), "description": _bilingual(None), "opens_at": "",
                             "closes_at": "", "audience": {"kind": "everyone", "graduation_year": "", "faculty": "",
                                                           "segment_id": ""},
                             "anonymous": False, "sections": []}
    model["sections"].append(new_section(model))
    return model


# --- the posted form ---------------------------------------------------------------------

def nested(form: Mapping[str, str]) -> dict[str, Any]:
    """``{"sections.0.id": "s1"}`` -> ``{"sections": {"0": {"id": "s1"}}}``."""
    tree: dict[str, Any] = {}
    for name, value in form.items():
        node = tree
        parts = name.split(".")
        for part in parts[:-1]:
            child = node.setdefault(part, {})
            if not isinstance(child, dict):
                break
            node = child
        else:
            node[parts[-1]] = value
    return tree


def _listed(node: Any) -> list[Any]:
    """A ``{"0": ..., "1": ...}`` node as a list in index order (other keys ignored)."""
    if not isinstance(node, dict):
        return []
    return [node[k] for k in sorted((k for k in node if _INDEX.match(k)), key=int)]


def _dict(node: Any) -> dict[str, Any]:
    return node if isinstance(node, dict) else {}


def _condition(node: Any) -> dict[str, str]:
    node = _dict(node)
    return {"question": str(node.get("question", "")).strip(), "operator": str(node.get("operator", "")),
            "value": str(node.get("value", "")).strip(), "raw": str(node.get("raw", ""))}


def _question_of_form(node: dict[str, Any]) -> dict[str, Any]:
    return {
        "id": str(node.get("id", "")).strip(), "kind": str(node.get("kind", NEW_KIND)),
        "text": _bilingual(_dict(node.get("text"))), "help": _bilingual(_dict(node.get("help"))),
        "required": node.get("required") == "on",
        "choices": [{"id": str(_dict(c).get("id", "")).strip(), "text": _bilingual(_dict(_dict(c).get("text")))}
                    for c in _listed(node.get("choices"))],
        "other": node.get("other") == "on", "scale": str(node.get("scale", "1-5")),
        "minimum": str(node.get("minimum", "")).strip(), "maximum": str(node.get("maximum", "")).strip(),
        "show_if": _condition(node.get("show_if")), "maps_to": str(node.get("maps_to", "")),
    }


def from_form(form: Mapping[str, str]) -> dict[str, Any]:
    """The draft as posted (a flat mapping of the form's fields)."""
    tree = nested({k: v for k, v in form.items() if k not in ("csrf_token", "action", "idempotency_key")})
    audience = _dict(tree.get("audience"))
    return {
        "title": _bilingual(_dict(tree.get("title"))),
        "description": {lang: str(_dict(tree.get("description")).get(lang, "")).replace("\r\n", "\n").strip()
                        for lang in LANGS},
        "opens_at": str(tree.get("opens_at", "")).strip(), "closes_at": str(tree.get("closes_at", "")).strip(),
        "audience": {"kind": str(audience.get("kind", "everyone")),
                     **{k: str(audience.get(k, "")).strip() for k in ("graduation_year", "faculty", "segment_id")}},
        "anonymous": tree.get("anonymous") == "on",
        "sections": [{"id": str(_dict(s).get("id", "")).strip(), "title": _bilingual(_dict(_dict(s).get("title"))),
                      "show_if": _condition(_dict(s).get("show_if")),
                      "questions": [_question_of_form(_dict(q)) for q in _listed(_dict(s).get("questions"))]}
                     for s in _listed(tree.get("sections"))],
    }


# --- the buttons -------------------------------------------------------------------------

def _at(items: list, index: str) -> int | None:
    return int(index) if index.isdigit() and int(index) < len(items) else None


def apply(model: dict[str, Any], action: str) -> bool:
    """Make the change a structure button names (in place); False if ``action`` names none
    (or a place that is not there any more)."""
    verb, *where = action.split(":")
    sections = model["sections"]
    if verb == "add_section" and not where:
        sections.append(new_section(model))
        return True
    i = _at(sections, where[0]) if where else None
    if i is None:
        return False
    questions = sections[i]["questions"]
    if verb == "add_question" and len(where) == 1:
        questions.append(new_question(model))
        return True
    if verb == "remove_section" and len(where) == 1:
        del sections[i]
        return True
    j = _at(questions, where[1]) if len(where) > 1 else None
    if j is None:
        return False
    choices = questions[j]["choices"]
    if verb in ("up", "down") and len(where) == 2:
        k = j - 1 if verb == "up" else j + 1
        if 0 <= k < len(questions):
            questions[j], questions[k] = questions[k], questions[j]
        return True
    if verb == "remove_question" and len(where) == 2:
        del questions[j]
        return True
    if verb == "add_choice" and len(where) == 2:
        choices.append(new_choice(questions[j]))
        return True
    k = _at(choices, where[2]) if len(where) == 3 else None
    if verb == "remove_choice" and k is not None:
        del choices[k]
        return True
    return False


# --- to the API and back -----------------------------------------------------------------

# The services' words for a local time the clocks skip (services/events/schemas.py), which
# ``problems.field_message`` translates: a form refused here reads as one the API refused.
NO_SUCH_TIME = "No such time in this time zone: the clocks go forward past it that night."


class SkippedTime(str):
    """A time typed in the hour Sofia's clocks skip, kept as typed: ``refuse_skipped_times``
    names its field before anything is sent (with an offset it would silently be an hour later)."""


def local_to_iso(value: str) -> str | None:
    """A datetime-local value typed in Sofia as an ISO time with its offset (the first pass of
    an hour the clocks repeat); one they skip as a ``SkippedTime``; anything else as typed (the
    API names the field), blank as None."""
    if not value:
        return None
    try:
        moment = datetime.strptime(value, LOCAL_INPUT)
    except ValueError:
        return value
    local = moment.replace(tzinfo=ZoneInfo(DEFAULT_TIMEZONE))
    # The services' shared.clock.wall_time_exists (the portal imports no server-side code).
    if local.astimezone(timezone.utc).astimezone(local.tzinfo).replace(tzinfo=None) != moment:
        return SkippedTime(value)
    return local.isoformat()


def refuse_skipped_times(sent: dict[str, Any]) -> dict[str, Any]:
    """``sent`` as it is, or a 422 ``ApiProblem`` naming each field that holds a ``SkippedTime``
    the way the API names fields (``roles.0.when`` nested as ``{"roles": {"0": {"when": [...]}}}``)."""
    def skipped(value: Any) -> Any:
        if isinstance(value, SkippedTime):
            return [NO_SUCH_TIME]
        items = value.items() if isinstance(value, Mapping) else enumerate(value) if isinstance(value, list) else ()
        found = {str(key): errors for key, item in items if (errors := skipped(item))}
        return found or None

    errors = skipped(sent)
    if errors:
        raise ApiProblem(422, {"type": VALIDATION_PROBLEM, "title": "Invalid input.", "errors": errors})
    return sent


def _number(text: str) -> int | float | str:
    try:
        number = float(text.replace(",", "."))
    except ValueError:
        return text
    return int(number) if number.is_integer() and "." not in text and "," not in text else number


def _condition_value(text: str, target: Mapping[str, Any] | None) -> Any:
    """A condition's value typed as text, as the answer kind it compares with."""
    kind = (target or {}).get("kind")
    if kind == "yes_no":
        return {"yes": True, "no": False, "true": True, "false": False, "да": True, "не": False}.get(text.lower(), text)
    if kind in ("scale", "number"):
        return _number(text)
    if kind == "country":
        return text.upper()
    return text


def condition_body(condition: Mapping[str, str], model: Mapping[str, Any]) -> dict[str, Any] | None:
    if condition.get("raw"):
        try:
            kept = json.loads(condition["raw"])
        except ValueError:
            return None
        return kept if isinstance(kept, dict) else None
    if not condition["question"] and not condition["value"]:
        return None
    target = next((q for s in model["sections"] for q in s["questions"] if q["id"] == condition["question"]), None)
    operator, text = condition["operator"] or "equals", condition["value"]
    if operator == "answered":
        value: Any = text.lower() not in ("no", "false", "не")
    elif operator == "one_of":
        value = [_condition_value(part.strip(), target) for part in text.split(",") if part.strip()]
    elif operator in ("at_least", "at_most"):
        value = _number(text)
    else:
        value = _condition_value(text, target)
    return {"question": condition["question"], operator: value}


def _question_body(question: Mapping[str, Any], model: Mapping[str, Any]) -> dict[str, Any]:
    kind = question["kind"]
    body: dict[str, Any] = {"id": question["id"], "kind": kind, "text": dict(question["text"]),
                            "required": question["required"]}
    if any(question["help"].values()):
        body["help"] = dict(question["help"])
    if kind in CHOICE_KINDS:
        body["choices"] = [{"id": c["id"], "text": dict(c["text"])} for c in question["choices"]]
        body["other"] = question["other"]
    if kind == "scale":
        body["scale"] = question["scale"] or "1-5"
    if kind == "number":
        for limit in ("minimum", "maximum"):
            if question[limit]:
                body[limit] = _number(question[limit])
    condition = condition_body(question["show_if"], model)
    if condition is not None:
        body["show_if"] = condition
    if question["maps_to"]:
        body["maps_to"] = question["maps_to"]
    return body


def _audience_body(audience: Mapping[str, str]) -> dict[str, Any]:
    kind = audience["kind"] or "everyone"
    body: dict[str, Any] = {"kind": kind}
    if kind == "class":
        year = audience["graduation_year"]
        body["graduation_year"] = int(year) if year.isdigit() else (year or None)
        if audience["faculty"]:
            body["faculty"] = audience["faculty"]
    elif kind == "faculty":
        body["faculty"] = audience["faculty"] or None
    elif kind == "segment":
        body["segment_id"] = audience["segment_id"] or None
    return {k: v for k, v in body.items() if v is not None}


def body(model: Mapping[str, Any]) -> dict[str, Any]:
    """The members API's survey body (rules.SurveySchema) for the draft."""
    sent: dict[str, Any] = {
        "title": dict(model["title"]), "opens_at": local_to_iso(model["opens_at"]),
        "closes_at": local_to_iso(model["closes_at"]), "audience": _audience_body(model["audience"]),
        "anonymous": model["anonymous"], "sections": [],
    }
    if any(model["description"].values()):
        sent["description"] = dict(model["description"])
    for section in model["sections"]:
        shown = {"id": section["id"], "title": dict(section["title"]),
                 "questions": [_question_body(q, model) for q in section["questions"]]}
        condition = condition_body(section["show_if"], model)
        if condition is not None:
            shown["show_if"] = condition
        sent["sections"].append(shown)
    return refuse_skipped_times({k: v for k, v in sent.items() if v is not None})


def _condition_of(condition: Mapping[str, Any] | None) -> dict[str, str]:
    if not condition:
        return _condition(None)
    operator = next((op for op in OPERATORS if op in condition), None)
    if "question" not in condition or operator is None:
        return {**_condition(None), "raw": json.dumps(condition, ensure_ascii=False)}
    value = condition[operator]
    text = ", ".join(_text(v) for v in value) if isinstance(value, list) else _text(value)
    return {"question": str(condition["question"]), "operator": operator, "value": text, "raw": ""}


def of_survey(survey: Mapping[str, Any]) -> dict[str, Any]:
    """A survey from the API as the builder's draft."""
    audience = survey.get("audience") or {}
    return {
        "title": _bilingual(survey.get("title")), "description": _bilingual(survey.get("description")),
        "opens_at": to_input(survey.get("opens_at"), DEFAULT_TIMEZONE),
        "closes_at": to_input(survey.get("closes_at"), DEFAULT_TIMEZONE),
        "audience": {"kind": audience.get("kind") or "everyone",
                     **{k: _text(audience.get(k)) for k in ("graduation_year", "faculty", "segment_id")}},
        "anonymous": bool(survey.get("anonymous")),
        "sections": [{
            "id": s.get("id", ""), "title": _bilingual(s.get("title")), "show_if": _condition_of(s.get("show_if")),
            "questions": [{
                "id": q.get("id", ""), "kind": q.get("kind", NEW_KIND), "text": _bilingual(q.get("text")),
                "help": _bilingual(q.get("help")), "required": bool(q.get("required")),
                "choices": [{"id": c.get("id", ""), "text": _bilingual(c.get("text"))} for c in q.get("choices") or []],
                "other": bool(q.get("other")), "scale": q.get("scale") or "1-5",
                "minimum": _text(q.get("minimum")), "maximum": _text(q.get("maximum")),
                "show_if": _condition_of(q.get("show_if")), "maps_to": q.get("maps_to") or "",
            } for q in s.get("questions") or []],
        } for s in survey.get("sections") or []],
    }


# --- the API's errors beside the fields --------------------------------------------------

RENAMES = {"title": "title.bg", "description": "description.bg", "audience": "audience.kind",
           "show_if.equals": "show_if.value", "show_if.one_of": "show_if.value", "show_if.at_least": "show_if.value",
           "show_if.at_most": "show_if.value", "show_if.answered": "show_if.value", "show_if.question": "show_if.question"}


def _place(name: str, places: Mapping[str, str]) -> str:
    if name in places:
        return places[name]
    name = re.sub(r"\._schema\Z", "", name)
    name = re.sub(r"\.text\Z", ".text.bg", name)
    name = re.sub(r"\.title\Z", ".title.bg", name)
    for suffix, instead in RENAMES.items():
        if name == suffix or name.endswith("." + suffix) and "." in suffix:
            return name[: len(name) - len(suffix)] + instead
    return RENAMES.get(name, name)


def error_places(errors: Mapping[str, list[str]], model: Mapping[str, Any]) -> dict[str, list[str]]:
    """The API's field errors (flattened: ``sections.0.questions.1.choices``) by the form's
    field or block. The survey-wide checks name a question or section by its id: those go to
    that question's (or section's) block, ``sections.0.questions.1``."""
    places = {}
    for i, section in enumerate(model["sections"]):
        places.setdefault(section["id"], f"sections.{i}")
        for j, question in enumerate(section["questions"]):
            places.setdefault(question["id"], f"sections.{i}.questions.{j}")
    found: dict[str, list[str]] = {}
    for name, messages in errors.items():
        found.setdefault(_place(name, places), []).extend(messages)
    return found


def question_refs(model: Mapping[str, Any]) -> list[tuple[str, str]]:
    """Every question as (id, "id: its text"), for the condition's question select."""
    return [(q["id"], f"{q['id']}: {q['text']['bg'] or q['text']['en']}".rstrip(": "))
            for s in model["sections"] for q in s["questions"]]
