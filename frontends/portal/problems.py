"""What the APIs' problems mean to a person: a sentence in their language, next to the
field it is about.

APIs answer in English with RFC 9457 problems (``errors`` maps a field to its messages).
Known messages and problem types are translated here; an unknown message is shown as the
API wrote it rather than hidden.
"""
from __future__ import annotations

import re
from typing import Any, Callable

from flask_babel import gettext as _, lazy_gettext, ngettext

from frontends.portal.gateway import ApiProblem

# Marshmallow's and the services' usual field messages.
_FIELD_MESSAGES: list[tuple[re.Pattern, Callable[[re.Match], str]]] = [
    (re.compile(r"^Missing data for required field\.$"), lambda m: _("This field is required.")),
    (re.compile(r"^Field may not be null\.$"), lambda m: _("This field is required.")),
    (re.compile(r"^Not a valid email address\.$"), lambda m: _("Enter a valid email address.")),
    (re.compile(r"^Not a valid integer\.$"), lambda m: _("Enter a whole number.")),
    (re.compile(r"^Not a valid number\.$"), lambda m: _("Enter a number.")),
    (re.compile(r"^Not a valid (date|datetime)\.$"), lambda m: _("Enter a valid date.")),
    (re.compile(r"^Not a valid boolean\.$"), lambda m: _("Choose yes or no.")),
    (re.compile(r"^Unknown field\.$"), lambda m: _("This field is not accepted here.")),
    (re.compile(r"^Shorter than minimum length (\d+)\.$"),
     lambda m: _("Enter at least %(n)s characters.", n=m.group(1))),
    (re.compile(r"^Longer than maximum length (\d+)\.$"),
     lambda m: _("Enter at most %(n)s characters.", n=m.group(1))),
    (re.compile(r"^Length must be between (\d+) and (\d+)\.$"),
     lambda m: _("Enter between %(a)s and %(b)s characters.", a=m.group(1), b=m.group(2))),
    (re.compile(r"^Must be greater than or equal to (\S+) and less than or equal to (\S+)\.$"),
     lambda m: _("Enter a value from %(a)s to %(b)s.", a=m.group(1), b=m.group(2))),
    (re.compile(r"^Must be one of: .*\.$"), lambda m: _("Choose one of the offered values.")),
    (re.compile(r"^Not a valid phone number.*$", re.I), lambda m: _("Enter a valid phone number, e.g. +359 888 123 456.")),
    (re.compile(r"^Must be in the years (\d+) to (\d+)\.$"),
     lambda m: _("Enter a date in the years %(a)s to %(b)s.", a=m.group(1), b=m.group(2))),
    (re.compile(r"^No such time in this time zone: the clocks go forward past it that night\.$"),
     lambda m: _("There is no such time that night: the clocks go forward past it. Choose another time.")),
]

# Problem types (the last part of the type URI) every area may meet.
_KINDS = {
    "validation": lazy_gettext("Please correct the fields marked below."),
    "too-many-requests": lazy_gettext("Too many attempts. Please wait a minute and try again."),
    "too-many-attempts": lazy_gettext("Too many attempts. Please wait a minute and try again."),
    "forbidden": lazy_gettext("You are not allowed to do this."),
    "not-found": lazy_gettext("We could not find this. It may have been removed."),
}


Phrasebook = list[tuple[re.Pattern, Callable[[re.Match], str]]]


def translated(message: str, phrasebook: Phrasebook) -> str | None:
    """The phrasebook's sentence for an API message (the first pattern that matches), or None.
    Each area keeps a phrasebook of the messages only its APIs write."""
    for pattern, say in phrasebook:
        match = pattern.match(message)
        if match:
            return say(match)
    return None


def field_message(message: str) -> str:
    return translated(message, _FIELD_MESSAGES) or message


def _flatten(errors: Any, prefix: str = "") -> dict[str, list[str]]:
    """``{"place": {"city": ["..."]}}`` -> ``{"place.city": ["..."]}``; lists of strings stay."""
    flat: dict[str, list[str]] = {}
    if isinstance(errors, dict):
        for key, value in errors.items():
            name = f"{prefix}.{key}" if prefix else str(key)
            if isinstance(value, (list, tuple)) and all(isinstance(v, str) for v in value):
                flat[name] = [field_message(v) for v in value]
            elif isinstance(value, str):
                flat[name] = [field_message(value)]
            else:
                flat.update(_flatten(value, name))
    return flat


def field_errors(problem: ApiProblem, renames: dict[str, str] | None = None) -> dict[str, list[str]]:
    """Field name (as the form names it, via ``renames``) -> translated messages."""
    flat = _flatten(problem.errors)
    renames = renames or {}
    return {renames.get(name, name): messages for name, messages in flat.items()}


def summary(problem: ApiProblem, by_kind: dict[str, str] | None = None) -> str:
    """One sentence for the top of the form: the page's own wording for this kind of problem,
    else the common one, else a generic sentence and the API's own words."""
    if problem.status == 429 and problem.retry_after_s:
        minutes = max(1, -(-problem.retry_after_s // 60))
        return ngettext("Too many attempts. Please try again in %(num)d minute.",
                        "Too many attempts. Please try again in %(num)d minutes.", minutes)
    if by_kind and problem.kind in by_kind:
        return str(by_kind[problem.kind])
    if problem.errors:
        return str(_KINDS["validation"])
    if problem.kind in _KINDS:
        return str(_KINDS[problem.kind])
    if problem.status == 429:
        return str(_KINDS["too-many-requests"])
    if problem.status == 403:
        return str(_KINDS["forbidden"])
    if problem.status == 404:
        return str(_KINDS["not-found"])
    if problem.detail:
        return _("This did not work: %(detail)s", detail=problem.detail)
    return _("This did not work. Please try again.")
