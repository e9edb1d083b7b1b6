"""The members API's own field messages, in the page's language, at the field they are about.

``problems.field_errors`` knows the messages every API uses; the members API adds its own
(graduation years, language and country codes, the email change's password check, the
directory's filters) and names an item of a list by its index (``languages.1``): the form
has one field for the list, so the message goes there. Unknown messages stay as the API
wrote them rather than being hidden.
"""
from __future__ import annotations

import re
from typing import Callable

from flask_babel import gettext as _

from frontends.portal import problems
from frontends.portal.gateway import ApiProblem

_MESSAGES: list[tuple[re.Pattern, Callable[[re.Match], str]]] = [
    (re.compile(r"^Must be between (\d+) and (\d+)\.$"),
     lambda m: _("Enter a year from %(a)s to %(b)s.", a=m.group(1), b=m.group(2))),
    (re.compile(r"^Must be an ISO 639-1 code"), lambda m: _("Enter two-letter language codes, e.g. de.")),
    (re.compile(r"^Must be an ISO 3166 two-letter country code"), lambda m: _("Choose a country from the list.")),
    (re.compile(r"^Must not contain control characters"), lambda m: _("Write it on one line, without special "
                                                                     "characters.")),
    (re.compile(r"^Not a phone number"), lambda m: _("Enter a valid phone number, e.g. +359 888 123 456.")),
    (re.compile(r"^Ask the alumni office to correct it\.$"), lambda m: _("Ask the alumni office to correct it.")),
    (re.compile(r"^This is already your address\.$"), lambda m: _("This is already your address.")),
    (re.compile(r"^Not correct\.$"), lambda m: _("The password is not correct.")),
    (re.compile(r"^Required: you logged in more than (\d+) minutes ago\.$"),
     lambda m: _("Enter your current password: you logged in more than %(n)s minutes ago.", n=m.group(1))),
    # email_validator's sentences about an address's shape.
    (re.compile(r"^(An|The) (email address|part|domain)", re.I), lambda m: _("Enter a valid email address.")),
    (re.compile(r"^Give at least one word of (\d+) or more letters\.$"),
     lambda m: _("Type at least one word of %(n)s or more letters.", n=m.group(1))),
    (re.compile(r"^Must not be before graduation_year_from\.$"),
     lambda m: _("The last year must not be before the first.")),
    (re.compile(r"^Give the city's name\.$"), lambda m: _("Type the city's name.")),
    (re.compile(r"^page x per_page must stay under"), lambda m: _("That page is too far: narrow the search.")),
]


def _localised(message: str) -> str:
    return problems.translated(message, _MESSAGES) or message


def field_errors(problem: ApiProblem, renames: dict[str, str] | None = None) -> dict[str, list[str]]:
    """Form field name -> messages in the page's language; ``languages.1`` becomes ``languages``."""
    merged: dict[str, list[str]] = {}
    for name, messages in problems.field_errors(problem).items():
        parts = name.split(".")
        while len(parts) > 1 and parts[-1].isdigit():
            parts.pop()
        field = ".".join(parts)
        field = (renames or {}).get(field, field)
        for message in messages:
            said = _localised(message)
            if said not in merged.setdefault(field, []):
                merged[field].append(said)
    return merged
