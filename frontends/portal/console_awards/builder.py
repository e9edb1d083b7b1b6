"""The cycle builder's form: an awards cycle as the office edits it, read from the posted
fields, changed by the form's buttons, and sent as the awards API's body (pure).

As in the survey builder (``console_surveys/builder.py``, whose form reading this shares),
fields are named by the API's field paths (``title.bg``, ``phases.judging_until``,
``categories.0.rubric.1.weight``, ``categories.1.eligibility.0.years``...), so the API's 422
errors land next to their fields; every change of the structure ("add a category", "add a
criterion", "add a rule", "remove", "find judges", "add this judge") is a submit button whose
``action`` names it, answered by the same page with nothing saved. Phase times are typed in
Sofia's local time; the activity period as days, its last day included (the API's
``activity_to`` is the moment after it).
"""
from __future__ import annotations

from datetime import date, datetime, time, timedelta
from typing import Any, Mapping
from zoneinfo import ZoneInfo

from frontends.portal.console_events.times import parse, to_input
from frontends.portal.console_surveys.builder import (
    _at,
    _bilingual,
    _dict,
    _listed,
    _number,
    local_to_iso,
    nested,
    refuse_skipped_times,
)
from frontends.portal.i18n import DEFAULT_TIMEZONE

PHASES = ("nominations_from", "nominations_until", "confirmation_until", "judging_until", "results_at")
STANDINGS = ("overall", "mentoring", "ambassador", "volunteering", "participation")
RULES = ("graduated_years_ago_at_least", "role_in", "not_role", "mentored_in_cycle", "not_recent_winner", "verified")
WITH_YEARS = ("graduated_years_ago_at_least", "not_recent_winner")
WITH_ROLES = ("role_in", "not_role")
ROLES = ("alumnus", "student", "staff", "admin", "judge")
SOFIA = ZoneInfo(DEFAULT_TIMEZONE)


def _fresh(prefix: str, taken) -> str:
    n = 1
    while f"{prefix}{n}" in taken:
        n += 1
    return f"{prefix}{n}"


def new_rule() -> dict[str, str]:
    return {"rule": "verified", "years": "", "roles": ""}


def new_criterion(category: Mapping[str, Any]) -> dict[str, Any]:
    return {"key": _fresh("criterion", {c["key"] for c in category["rubric"]}), "title": _bilingual(None),
            "weight": "1"}


def new_category(model: Mapping[str, Any]) -> dict[str, Any]:
    category: dict[str, Any] = {
        "category_id": _fresh("category", {c["category_id"] for c in model["categories"]}),
        "title": _bilingual(None), "description": _bilingual(None), "standings_category": "overall",
        "self_nomination": False, "max_winners": "1", "eligibility": [], "rubric": []}
    category["rubric"].append(new_criterion(category))
    return category


def blank(year: int) -> dict[str, Any]:
    """A new cycle for ``year``: its activity the calendar year, one category with one criterion."""
    model: dict[str, Any] = {"year": str(year), "title": _bilingual(None),
                             "activity_from": f"{year}-01-01", "activity_to": f"{year}-12-31",
                             "phases": {k: "" for k in PHASES}, "judges": [], "judge_search": "", "categories": []}
    model["categories"].append(new_category(model))
    return model


# --- the posted form ---------------------------------------------------------------------

def _category_of_form(node: dict[str, Any]) -> dict[str, Any]:
    return {
        "category_id": str(node.get("category_id", "")).strip(),
        "title": _bilingual(_dict(node.get("title"))),
        "description": {k: v.replace("\r\n", "\n").strip() for k, v in _bilingual(_dict(node.get("description"))).items()},
        "standings_category": str(node.get("standings_category", "overall")),
        "self_nomination": node.get("self_nomination") == "on",
        "max_winners": str(node.get("max_winners", "1")).strip(),
        "eligibility": [{"rule": str(_dict(r).get("rule", "verified")), "years": str(_dict(r).get("years", "")).strip(),
                         "roles": str(_dict(r).get("roles", "")).strip()} for r in _listed(node.get("eligibility"))],
        "rubric": [{"key": str(_dict(c).get("key", "")).strip(), "title": _bilingual(_dict(_dict(c).get("title"))),
                    "weight": str(_dict(c).get("weight", "")).strip()} for c in _listed(node.get("rubric"))],
    }


def from_form(form: Mapping[str, str]) -> dict[str, Any]:
    """The cycle as posted (a flat mapping of the form's fields)."""
    tree = nested({k: v for k, v in form.items() if k not in ("csrf_token", "action", "idempotency_key")})
    phases = _dict(tree.get("phases"))
    return {
        "year": str(tree.get("year", "")).strip(), "title": _bilingual(_dict(tree.get("title"))),
        "activity_from": str(tree.get("activity_from", "")).strip(),
        "activity_to": str(tree.get("activity_to", "")).strip(),
        "phases": {k: str(phases.get(k, "")).strip() for k in PHASES},
        "judges": [{"id": str(_dict(j).get("id", "")).strip(), "name": str(_dict(j).get("name", ""))}
                   for j in _listed(tree.get("judges")) if str(_dict(j).get("id", "")).strip()],
        "judge_search": str(tree.get("judge_search", "")).strip(),
        "categories": [_category_of_form(_dict(c)) for c in _listed(tree.get("categories"))],
    }


# --- the buttons -------------------------------------------------------------------------

def apply(model: dict[str, Any], action: str, found_names: Mapping[str, str] | None = None) -> bool:
    """Make the change a structure button names (in place); False if ``action`` names none
    (or a place that is not there any more). ``add_judge:<member_id>`` takes the name the
    search found (``found_names``)."""
    verb, *where = action.split(":")
    categories = model["categories"]
    if verb == "add_category" and not where:
        categories.append(new_category(model))
        return True
    if verb == "add_judge" and len(where) == 1 and where[0]:
        if where[0] not in {j["id"] for j in model["judges"]}:
            model["judges"].append({"id": where[0], "name": (found_names or {}).get(where[0], "")})
        return True
    if verb == "remove_judge" and len(where) == 1:
        n = _at(model["judges"], where[0])
        if n is not None:
            del model["judges"][n]
        return n is not None
    i = _at(categories, where[0]) if where else None
    if i is None:
        return False
    category = categories[i]
    if verb == "remove_category" and len(where) == 1:
        del categories[i]
        return True
    if verb == "add_rule" and len(where) == 1:
        category["eligibility"].append(new_rule())
        return True
    if verb == "add_criterion" and len(where) == 1:
        category["rubric"].append(new_criterion(category))
        return True
    listed = {"remove_rule": category["eligibility"], "remove_criterion": category["rubric"]}.get(verb)
    k = _at(listed, where[1]) if listed is not None and len(where) == 2 else None
    if k is None:
        return False
    del listed[k]
    return True


# --- to the API and back -----------------------------------------------------------------

def _day(value: str, after: bool = False) -> str | None:
    """A day typed as YYYY-MM-DD as the moment it begins in Sofia (``after``: the moment the
    day ends); anything else as typed (the API names the field), blank as None."""
    if not value:
        return None
    try:
        day = date.fromisoformat(value)
    except ValueError:
        return value
    return datetime.combine(day + timedelta(days=1 if after else 0), time(), SOFIA).isoformat()


def _whole(text: str) -> int | str | None:
    return int(text) if text.isdigit() else (text or None)


def rule_body(rule: Mapping[str, str]) -> dict[str, Any]:
    body: dict[str, Any] = {"rule": rule["rule"]}
    if rule["rule"] in WITH_YEARS:
        body["years"] = _whole(rule["years"])
    if rule["rule"] in WITH_ROLES:
        body["roles"] = [r.strip() for r in rule["roles"].replace(";", ",").split(",") if r.strip()]
    return body


def category_body(category: Mapping[str, Any]) -> dict[str, Any]:
    body = {"category_id": category["category_id"], "title": dict(category["title"]),
            "description": dict(category["description"]), "standings_category": category["standings_category"],
            "self_nomination": category["self_nomination"], "max_winners": _whole(category["max_winners"]) or 1,
            "eligibility": [rule_body(r) for r in category["eligibility"]],
            "rubric": [{"key": c["key"], "title": dict(c["title"]), "weight": _number(c["weight"]) if c["weight"] else None}
                       for c in category["rubric"]]}
    return body


def body(model: Mapping[str, Any]) -> dict[str, Any]:
    """The awards API's cycle body (``POST /cycles``, ``PATCH /cycles/<id>``)."""
    sent: dict[str, Any] = {
        "year": _whole(model["year"]), "title": dict(model["title"]),
        "activity_from": _day(model["activity_from"]), "activity_to": _day(model["activity_to"], after=True),
        "phases": {k: local_to_iso(model["phases"][k]) for k in PHASES},
        "judges": [j["id"] for j in model["judges"]],
        "categories": [category_body(c) for c in model["categories"]],
    }
    return refuse_skipped_times({k: v for k, v in sent.items() if v is not None})


def _day_of(value: str | None, before: bool = False) -> str:
    moment = parse(value)
    if moment is None:
        return value or ""
    local = moment.astimezone(SOFIA) if moment.tzinfo else moment
    return (local - timedelta(days=1) if before else local).date().isoformat()


def _text(value: Any) -> str:
    return "" if value is None else str(value)


def of_cycle(cycle: Mapping[str, Any], names: Mapping[str, str] | None = None) -> dict[str, Any]:
    """A cycle from the API as the builder's form (``names``: the judges' names by id)."""
    phases = cycle.get("phases") or {}
    return {
        "year": _text(cycle.get("year")), "title": _bilingual(cycle.get("title")),
        "activity_from": _day_of(cycle.get("activity_from")),
        "activity_to": _day_of(cycle.get("activity_to"), before=True),
        "phases": {k: to_input(phases.get(k), DEFAULT_TIMEZONE) for k in PHASES},
        "judges": [{"id": j, "name": (names or {}).get(j, "")} for j in cycle.get("judges") or []],
        "judge_search": "",
        "categories": [{
            "category_id": c.get("category_id", ""), "title": _bilingual(c.get("title")),
            "description": _bilingual(c.get("description")),
            "standings_category": c.get("standings_category") or "overall",
            "self_nomination": bool(c.get("self_nomination")), "max_winners": _text(c.get("max_winners") or 1),
            "eligibility": [{"rule": r.get("rule", ""), "years": _text(r.get("years")),
                             "roles": ", ".join(r.get("roles") or [])} for r in c.get("eligibility") or []],
            "rubric": [{"key": k.get("key", ""), "title": _bilingual(k.get("title")), "weight": _text(k.get("weight"))}
                       for k in c.get("rubric") or []],
        } for c in cycle.get("categories") or []],
    }


# --- the API's errors beside the fields --------------------------------------------------

def error_places(errors: Mapping[str, list[str]]) -> dict[str, list[str]]:
    """The API's field errors (flattened) by the form's field: a bilingual text's error to its
    Bulgarian field, a judge's to the judges' block, a rule's to the rule's block."""
    found: dict[str, list[str]] = {}
    for name, messages in errors.items():
        parts = name.removesuffix("._schema").split(".")
        if parts[-1] in ("title", "description"):
            parts.append("bg")
        if parts[0] == "judges":
            parts = ["judges"]
        found.setdefault(".".join(parts), []).extend(messages)
    return found
