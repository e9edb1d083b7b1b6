"""The members API's messages about survey answers, in the page's language, at the question
they name (``errors: {"answers": {question_id: [message]}}`` becomes the field ``a.<qid>``).
Unknown messages stay as the API wrote them rather than being hidden."""
from __future__ import annotations

import re

from flask_babel import gettext as _

from frontends.portal import problems
from frontends.portal.gateway import ApiProblem

_MESSAGES: problems.Phrasebook = [
    (re.compile(r"^This question needs an answer\.$"), lambda m: _("This question needs an answer.")),
    (re.compile(r"^Your earlier answers hide this question"),
     lambda m: _("Your earlier answers hide this question; leave it unanswered.")),
    (re.compile(r"^There is no such question in this survey\.$"),
     lambda m: _("This question is no longer in the survey.")),
    (re.compile(r"^Must be a whole number from (-?\d+) to (-?\d+)\.$"),
     lambda m: _("Choose a number from %(a)s to %(b)s.", a=m.group(1), b=m.group(2))),
    (re.compile(r"^Must be a number\.$"), lambda m: _("Enter a number, e.g. 12 or 3,5.")),
    (re.compile(r"^Must be at least (\S+)\.$"), lambda m: _("Enter at least %(a)s.", a=m.group(1))),
    (re.compile(r"^Must be at most (\S+)\.$"), lambda m: _("Enter at most %(a)s.", a=m.group(1))),
    (re.compile(r"^Must be a text of at most (\d+) characters\.$"),
     lambda m: _("Write at most %(n)s characters.", n=m.group(1))),
    (re.compile(r"^Must not contain control characters"),
     lambda m: _("Write it without special characters.")),
    (re.compile(r"^Must be a date as YYYY-MM-DD\.$"), lambda m: _("Enter a valid date.")),
    (re.compile(r"^Must be an ISO 3166 two-letter country code"), lambda m: _("Choose a country from the list.")),
    (re.compile(r"^Must be yes \(true\) or no \(false\)\.$"), lambda m: _("Choose yes or no.")),
    (re.compile(r"^Choose one\.$"), lambda m: _("Choose one answer.")),
    (re.compile(r"^Choose each option once\.$"), lambda m: _("Choose each answer once.")),
    (re.compile(r"^Choose among "), lambda m: _("Choose among the answers offered.")),
    (re.compile(r"^This question has no 'other' answer\.$"),
     lambda m: _("This question takes only the answers offered.")),
    (re.compile(r"^The 'other' answer is a text of at most (\d+) characters"),
     lambda m: _("Write your other answer in at most %(n)s characters.", n=m.group(1))),
]


def answer_errors(problem: ApiProblem) -> dict[str, list[str]]:
    """``a.<question_id>`` -> the messages about that question, in the page's language."""
    found: dict[str, list[str]] = {}
    answers = problem.errors.get("answers")
    if not isinstance(answers, dict):
        return found
    for qid, messages in answers.items():
        if isinstance(messages, str):
            messages = [messages]
        if not isinstance(messages, list):
            continue  # a nested error of one answer's parts: named at the question all the same
        said = [problems.translated(str(m), _MESSAGES) or problems.field_message(str(m)) for m in messages]
        found[f"a.{qid}"] = said
    for qid, messages in answers.items():
        if f"a.{qid}" not in found:
            found[f"a.{qid}"] = [_("Check this answer.")]
    return found
