"""The surveys API's messages about a survey definition in the office's words (the common
field messages are ``frontends.portal.problems``'): exact as services/members/surveys/rules.py
writes them; an unknown message is shown as the API wrote it."""
from __future__ import annotations

import re

from flask_babel import gettext as _

from frontends.portal import problems
from frontends.portal.console_surveys import labels
from frontends.portal.gateway import ApiProblem


def _kind(code: str) -> str:
    return labels.label(labels.KINDS, code)


_MESSAGES: problems.Phrasebook = [
    (re.compile(r"^Must not be blank\.$"), lambda m: _("Fill this in.")),
    (re.compile(r"^Must not contain control characters\.$"), lambda m: _("Remove the special characters.")),
    (re.compile(r"^1 to 40 lower-case letters, digits or _, starting with a letter\.$"),
     lambda m: _("Use 1 to 40 lower-case Latin letters, digits or _, starting with a letter.")),
    (re.compile(r"^Required for this audience\.$"), lambda m: _("This audience needs it.")),
    (re.compile(r"^Not used by this audience\.$"), lambda m: _("Leave this empty for this audience.")),
    (re.compile(r"^Must be after opens_at\.$"), lambda m: _("The close must be after the opening.")),
    (re.compile(r"^Another section or question, or a field of the survey, has this id\.$"),
     lambda m: _("Another section or question already has this id.")),
    (re.compile(r"^A choice question needs at least two choices\.$"), lambda m: _("Give at least two choices.")),
    (re.compile(r"^Choice ids must be unique\.$"), lambda m: _("Two choices have the same id.")),
    (re.compile(r"^Only .* questions have choices\.$"), lambda m: _("Only choice questions have choices.")),
    (re.compile(r"^Only choice questions have an 'other' answer\.$"),
     lambda m: _("Only choice questions can offer “other”.")),
    (re.compile(r"^A scale question, and only it, names its scale.*$"), lambda m: _("Choose the scale.")),
    (re.compile(r"^Only number questions have a minimum or maximum\.$"),
     lambda m: _("Only number questions have a lowest and highest value.")),
    (re.compile(r"^The minimum must not be above the maximum\.$"),
     lambda m: _("The lowest value must not be above the highest.")),
    (re.compile(r"^Give (either all, any, or )?a question (with one operator|and exactly one of .*)\.$"),
     lambda m: _("Choose the earlier question and a condition.")),
    (re.compile(r"^Conditions nest at most (\d+) deep\.$"),
     lambda m: _("Conditions may be combined at most %(n)s levels deep.", n=m.group(1))),
    (re.compile(r"^The condition may only look at an earlier question, not '(.*)'\.$"),
     lambda m: _("The condition may only look at an earlier question, not “%(id)s”.", id=m.group(1))),
    (re.compile(r"^(\w+) does not apply to a (\w+) question \((\w+)\)\.$"),
     lambda m: _("This condition does not fit the question %(id)s (%(kind)s).", id=m.group(3),
                 kind=_kind(m.group(2)))),
    (re.compile(r"^(.+) is not a possible answer to (\w+)\.$"),
     lambda m: _("%(value)s is not a possible answer to %(id)s.", value=m.group(1), id=m.group(2))),
    (re.compile(r"^An anonymous survey links answers to no one, so it cannot fill a profile\.$"),
     lambda m: _("An anonymous survey cannot fill profiles: choose no profile field, or make it named.")),
    (re.compile(r"^(\w+) can only be filled by a (.+) question\.$"),
     lambda m: _("This profile field can only be filled by a question of the kind: %(kinds)s.",
                 kinds=", ".join(_kind(k) for k in m.group(2).split(" or ")))),
    (re.compile(r"^(\w+) already fills (\w+)\.$"),
     lambda m: _("The question %(id)s already fills this profile field.", id=m.group(1))),
    (re.compile(r"^For languages, every choice id is an ISO 639-1 code, e\.g\. de\.$"),
     lambda m: _("For languages, every choice id is a two-letter language code, e.g. de.")),
    (re.compile(r"^For interests, every choice text has at most (\d+) characters\.$"),
     lambda m: _("For interests, every choice has at most %(n)s characters.", n=m.group(1))),
    (re.compile(r"^Is past: move it to a later time first\.$"), lambda m: _("This time is already past.")),
    (re.compile(r"^There is no such segment \(any more\)\.$"),
     lambda m: _("This segment no longer exists: choose another audience.")),
]


def field_errors(problem: ApiProblem) -> dict[str, list[str]]:
    """The problem's field errors (by the API's names), each in the office's words."""
    return {name: [problems.translated(m, _MESSAGES) or m for m in messages]
            for name, messages in problems.field_errors(problem).items()}
