"""The events API's problems in the office's words: its own field messages (the common ones are
``frontends.portal.problems``'), and one sentence for the top of each form."""
from __future__ import annotations

import re

from flask_babel import gettext as _, lazy_gettext as _l

from frontends.portal import problems
from frontends.portal.gateway import ApiProblem

# Messages of the events service's checks (services/events/schemas.py, events_store.check),
# exact as it writes them.
_MESSAGES = {
    "Must be after starts_at.": _l("The end must be after the start."),
    "Must not be after the end.": _l("Must not be after the end of the event."),
    "Give a place or an online link.": _l("Give a place or an online link."),
    "A webinar needs its link.": _l("A webinar needs its online link."),
    "Not an IANA time zone, e.g. Europe/Sofia.": _l("Not a time zone; write it like Europe/Sofia."),
    "Give year_from, year_to or both.": _l("Give the first year, the last year or both."),
    "Must not be before year_from.": _l("Must not be before the first year."),
    "Required for a faculty audience.": _l("Choose the faculty."),
    "Required for a segment audience.": _l("Choose the segment."),
    "Already past.": _l("The event is already over."),
    "Not a valid URL.": _l("Enter a full web address starting with https://."),
    "Must not contain control characters or line breaks.": _l("Write it on one line."),
    "Must not contain control characters.": _l("Remove the special characters."),
    "String does not match expected pattern.": _l("This value is not accepted."),
}
_CONFIRMED = re.compile(r"^(\d+) people are already confirmed\.$")

# Fields the API names that the form shows under another name.
RENAMES = {"place": "place.name", "audience": "audience.kind", "title": "title.bg", "description": "description.bg"}


def _say(message: str) -> str:
    if message in _MESSAGES:
        return str(_MESSAGES[message])
    confirmed = _CONFIRMED.match(message)
    if confirmed:
        return _("%(n)s people are already confirmed: the capacity cannot be lower.", n=confirmed.group(1))
    return message


def field_errors(problem: ApiProblem) -> dict[str, list[str]]:
    return {name: [_say(m) for m in messages]
            for name, messages in problems.field_errors(problem, RENAMES).items()}


def summary(problem: ApiProblem, by_kind: dict | None = None) -> str:
    """Field errors first ("correct the fields marked below"), else this form's own words for
    the problem's kind, else the common ones."""
    if problem.errors:
        return problems.summary(problem)
    return problems.summary(problem, by_kind)
