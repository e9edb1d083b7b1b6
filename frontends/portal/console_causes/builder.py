"""The cause builder's form: a cause as the office edits it, read from the posted fields,
changed by the form's buttons, and sent as the causes API's body (pure).

Fields are named by the API's field paths (``title.bg``, ``roles.1.slots``,
``goal.unit.en``...), so the API's 422 errors land next to their fields; the body keeps every
role in the form's order (blank ones too) for the same reason. Without JavaScript each change
of the roles ("add a role", "move up", "remove") or of the kind ("show the fields of this
kind") is a submit button whose ``action`` value names it (``remove_role:2``), answered by the
same page with the change made and nothing saved, as the survey builder does. Times are typed
in Sofia's local time. A role the API has given an id keeps it (its volunteers refer to it);
a new role is sent without one.

What each kind sends: volunteering its roles (title, places, what to know and bring, when,
where: the events ``Place``'s name); a collection its items (title, quantity wanted, details); a campaign no roles, its
goal (target, unit, in both languages) and the university's donation page.
"""
from __future__ import annotations

import re
from typing import Any, Mapping

from frontends.portal.console_events.times import to_input
from frontends.portal.console_surveys.builder import local_to_iso, nested, refuse_skipped_times
from frontends.portal.i18n import DEFAULT_TIMEZONE

LANGS = ("bg", "en")
KINDS = ("volunteering", "collection", "campaign")
WITH_ROLES = ("volunteering", "collection")
AUDIENCE_FIELDS = ("year_from", "year_to", "faculty", "segment_id")
ROLE_TEXTS = ("title", "what_to_bring")
_INDEX = re.compile(r"\d{1,3}\Z")
_WHOLE = re.compile(r"-?\d{1,9}\Z")
_DECIMAL = re.compile(r"-?\d{1,12}([.,]\d{1,6})?\Z")


def _bilingual(value: Mapping[str, Any] | None) -> dict[str, str]:
    value = value if isinstance(value, Mapping) else {}
    return {lang: "" if value.get(lang) is None else str(value.get(lang)).strip() for lang in LANGS}


def _text(value: Any) -> str:
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return "" if value is None else str(value)


def new_role() -> dict[str, Any]:
    return {"role_id": "", "title": _bilingual(None), "what_to_bring": _bilingual(None), "slots": "", "when": "",
            "place": ""}


def blank() -> dict[str, Any]:
    """A new cause: a volunteering call for everyone, with one role to fill in."""
    return {"kind": "volunteering", "title": _bilingual(None), "description": _bilingual(None), "deadline": "",
            "owner_id": "", "audience": {"kind": "all", **{k: "" for k in AUDIENCE_FIELDS}},
            "roles": [new_role()], "goal": {"target": "", "unit": _bilingual(None)}, "donation_url": ""}


# --- the posted form ---------------------------------------------------------------------

def _dict(node: Any) -> dict[str, Any]:
    return node if isinstance(node, dict) else {}


def _listed(node: Any) -> list[dict[str, Any]]:
    """A ``{"0": ..., "1": ...}`` node as a list in index order (other keys ignored)."""
    node = _dict(node)
    return [_dict(node[k]) for k in sorted((k for k in node if _INDEX.match(k)), key=int)]


def _line(node: Mapping[str, Any], name: str) -> str:
    return str(node.get(name, "")).strip()


def from_form(form: Mapping[str, str]) -> dict[str, Any]:
    """The cause as posted (a flat mapping of the form's fields)."""
    tree = nested({k: v for k, v in form.items() if k not in ("csrf_token", "action", "idempotency_key")})
    audience, goal = _dict(tree.get("audience")), _dict(tree.get("goal"))
    kind = _line(tree, "kind")
    return {
        "kind": kind if kind in KINDS else "volunteering",
        "title": _bilingual(_dict(tree.get("title"))),
        "description": {lang: str(_dict(tree.get("description")).get(lang, "")).replace("\r\n", "\n").strip()
                        for lang in LANGS},
        "deadline": _line(tree, "deadline"), "owner_id": _line(tree, "owner_id"),
        "audience": {"kind": _line(audience, "kind") or "all", **{k: _line(audience, k) for k in AUDIENCE_FIELDS}},
        "roles": [{"role_id": _line(role, "role_id"),
                   **{name: _bilingual(_dict(role.get(name))) for name in ROLE_TEXTS},
                   "slots": _line(role, "slots"), "when": _line(role, "when"), "place": _line(role, "place")}
                  for role in _listed(tree.get("roles"))],
        "goal": {"target": _line(goal, "target"), "unit": _bilingual(_dict(goal.get("unit")))},
        "donation_url": _line(tree, "donation_url"),
    }


# --- the buttons -------------------------------------------------------------------------

def apply(model: dict[str, Any], action: str) -> bool:
    """Make the change a button names (in place); False if ``action`` names none (or a role
    that is not there any more). "refresh" changes nothing: the page shows the kind's fields."""
    verb, *where = action.split(":")
    roles = model["roles"]
    if verb == "refresh" and not where:
        return True
    if verb == "add_role" and not where:
        roles.append(new_role())
        return True
    i = int(where[0]) if len(where) == 1 and where[0].isdigit() and int(where[0]) < len(roles) else None
    if i is None:
        return False
    if verb == "remove_role":
        del roles[i]
        return True
    if verb in ("up", "down"):
        k = i - 1 if verb == "up" else i + 1
        if 0 <= k < len(roles):
            roles[i], roles[k] = roles[k], roles[i]
        return True
    return False


# --- to the API and back -----------------------------------------------------------------

def _or_none(value: str) -> str | None:
    return value or None


def whole(value: str) -> int | str | None:
    """A whole number as the API's JSON integer; anything else as typed (the API names the
    field: "Not a valid integer."), blank as None."""
    return int(value) if _WHOLE.match(value) else _or_none(value)


def decimal(value: str) -> int | float | str | None:
    """A number typed with a point or a comma (2,5 hours) as JSON; anything else as typed."""
    if not _DECIMAL.match(value):
        return _or_none(value)
    number = float(value.replace(",", "."))
    return int(number) if number.is_integer() and "," not in value and "." not in value else number


def _audience_body(audience: Mapping[str, str]) -> dict[str, Any]:
    """The events ``Audience`` (shared.memberview.AudienceSchema): only what its kind needs."""
    kind = audience["kind"] or "all"
    body: dict[str, Any] = {"kind": kind}
    if kind == "graduation_years":
        body.update(year_from=whole(audience["year_from"]), year_to=whole(audience["year_to"]))
    elif kind == "faculty":
        body["faculty"] = _or_none(audience["faculty"])
    elif kind == "segment":
        body["segment_id"] = _or_none(audience["segment_id"])
    return body


def _role_body(role: Mapping[str, Any], kind: str) -> dict[str, Any]:
    body: dict[str, Any] = {"title": dict(role["title"]), "slots": whole(role["slots"])}
    if role["role_id"]:
        body["role_id"] = role["role_id"]
    if any(role["what_to_bring"].values()):
        body["what_to_bring"] = dict(role["what_to_bring"])
    if kind == "volunteering":
        if role["when"]:
            body["when"] = local_to_iso(role["when"])
        if role["place"]:
            body["place"] = {"name": role["place"]}
    return body


def body(model: Mapping[str, Any]) -> dict[str, Any]:
    """The causes API's body for the cause (no owner named: the API makes it the admin who
    creates it, or keeps the one it has)."""
    kind = model["kind"]
    sent: dict[str, Any] = {
        "kind": kind, "title": dict(model["title"]), "description": dict(model["description"]),
        "deadline": local_to_iso(model["deadline"]), "audience": _audience_body(model["audience"]),
        "roles": [_role_body(role, kind) for role in model["roles"]] if kind in WITH_ROLES else [],
    }
    if model["owner_id"]:
        sent["owner_id"] = model["owner_id"]
    if kind == "campaign":
        sent["goal"] = {"target": decimal(model["goal"]["target"]), "unit": dict(model["goal"]["unit"])}
        sent["donation_url"] = _or_none(model["donation_url"])
    return refuse_skipped_times(sent)


def _place_name(place: Any) -> str:
    """A role's place (the events ``Place``: the form edits its name) as the form's one line."""
    return _text(place.get("name")) if isinstance(place, Mapping) else _text(place)


def of_cause(cause: Mapping[str, Any]) -> dict[str, Any]:
    """A cause from the API as the builder's form."""
    audience, goal = cause.get("audience") or {}, cause.get("goal") or {}
    return {
        "kind": cause.get("kind") or "volunteering", "title": _bilingual(cause.get("title")),
        "description": _bilingual(cause.get("description")),
        "deadline": to_input(cause.get("deadline"), DEFAULT_TIMEZONE), "owner_id": _text(cause.get("owner_id")),
        "audience": {"kind": audience.get("kind") or "all", **{k: _text(audience.get(k)) for k in AUDIENCE_FIELDS}},
        "roles": [{"role_id": _text(role.get("role_id")),
                   **{name: _bilingual(role.get(name)) for name in ROLE_TEXTS},
                   "slots": _text(role.get("slots")), "when": to_input(role.get("when"), DEFAULT_TIMEZONE),
                   "place": _place_name(role.get("place"))} for role in cause.get("roles") or []],
        "goal": {"target": _text(goal.get("target")), "unit": _bilingual(goal.get("unit"))},
        "donation_url": _text(cause.get("donation_url")),
    }


# --- the API's errors beside the fields --------------------------------------------------

# A bilingual field's error without its language goes to the Bulgarian one, shown first.
_BILINGUAL = re.compile(r"\A(title|description|goal\.unit|roles\.\d+\.(?:title|what_to_bring))\Z")
RENAMES = {"audience": "audience.kind", "goal": "goal.target", "_schema": "_schema"}


def _place(name: str) -> str:
    name = re.sub(r"\._schema\Z", "", name)
    if _BILINGUAL.match(name):
        return name + ".bg"
    return RENAMES.get(name, name)


def error_places(errors: Mapping[str, list[str]]) -> dict[str, list[str]]:
    """The API's field errors (flattened: ``roles.1.slots``) by the form's field or block
    (``roles.1`` for a check of the whole role)."""
    found: dict[str, list[str]] = {}
    for name, messages in errors.items():
        found.setdefault(_place(name), []).extend(messages)
    return found
