"""The causes API's messages in the page's words (services/events/causes: rules.py and
schemas.py, exact as they write them), for the members' pages and the office's; the common
field messages are ``frontends.portal.problems``'. An unknown message is shown as the API
wrote it."""
from __future__ import annotations

import re

from flask_babel import gettext as _

from frontends.portal import problems
from frontends.portal.gateway import ApiProblem

MESSAGES: problems.Phrasebook = [
    (re.compile(r"^The deadline for joining has passed\.$"), lambda m: _("The deadline for joining has passed.")),
    (re.compile(r"^The cause is closed\.$"), lambda m: _("This cause is closed.")),
    (re.compile(r"^The cause is not published yet\.$"), lambda m: _("This cause is not open for joining yet.")),
    (re.compile(r"^Say how many you bring\.$"), lambda m: _("Say how many you bring.")),
    (re.compile(r"^Only (\d+) (?:are wanted in all|still wanted)\.$"),
     lambda m: _("Only %(n)s are still wanted: pledge at most that many.", n=m.group(1))),
    (re.compile(r"^A volunteer takes one slot: no quantity\.$"), lambda m: _("A volunteer takes one place: no quantity.")),
    (re.compile(r"^Must be greater than 0 and less than or equal to \S+\.$"),
     lambda m: _("Enter a number greater than 0.")),
    (re.compile(r"^From ([\d.]+) to ([\d.]+) hours a day\.$"),
     lambda m: _("Enter from %(a)s to %(b)s hours a day.", a=m.group(1), b=m.group(2))),
    (re.compile(r"^Hours are confirmed once given: not for a day to come\.$"),
     lambda m: _("Hours are confirmed once given: not for a day to come.")),
    (re.compile(r"^The deadline has passed: set a later one\.$"),
     lambda m: _("The deadline has passed: set a later one.")),
    (re.compile(r"^Lower-case letters, digits, - and _ \(at most 40\)\.$"),
     lambda m: _("Use lower-case Latin letters, digits, - and _ (at most 40).")),
    (re.compile(r"^Not a member id\.$"), lambda m: _("Not a member id: it is the last part of the address of the member's page in the office.")),
    (re.compile(r"^Not a valid URL\.$"), lambda m: _("Enter a full web address starting with https://.")),
    (re.compile(r"^Must not contain control characters or line breaks\.$"), lambda m: _("Write it on one line.")),
    (re.compile(r"^Must not contain control characters\.$"), lambda m: _("Remove the special characters.")),
]


def field_errors(problem: ApiProblem, renames: dict[str, str] | None = None) -> dict[str, list[str]]:
    """The problem's field errors (by the API's names, or ``renames``), in the page's words."""
    return {name: [problems.translated(m, MESSAGES) or m for m in messages]
            for name, messages in problems.field_errors(problem, renames).items()}


def only_whole(errors: dict[str, list[str]]) -> str | None:
    """The sentence of a refusal of the whole request (``_schema`` alone), else None."""
    return " ".join(errors["_schema"]) if list(errors) == ["_schema"] else None
