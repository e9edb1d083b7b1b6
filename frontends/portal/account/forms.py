"""What several account pages share: choosing a new password (typed twice) and the words for
the problems the members API's one-time links can meet."""
from __future__ import annotations

import re

from dataclasses import dataclass, field
from typing import Any, Callable

from flask import request
from flask_babel import gettext as _, lazy_gettext

from frontends.portal import problems
from frontends.portal.gateway import ApiProblem, forget_login

from frontends.portal.settings import LANGUAGES

PASSWORD_MIN_LENGTH = 10  # the members API's rule (accounts.PASSWORD_MIN_LENGTH), said in the hint

# Problem kinds of the one-time links (confirm, reset, email change and its undo).
LINK_PROBLEMS = {
    "invalid-token": lazy_gettext("This link is not valid any more: it was already used, it has expired, "
                                  "or it was copied incompletely."),
    "too-many-requests": lazy_gettext("Too many attempts from your connection. Please wait a minute and try again."),
    "conflict": lazy_gettext("This address belongs to another account by now, so the change cannot be made. "
                             "Please contact the alumni office."),
}

LANGUAGE_CHOICES = (("bg", "Български"), ("en", "English"))

# The members API's own field messages on these pages (beside the common ones the portal's
# ``problems`` module knows), in the member's language.
_MESSAGES = [
    (re.compile(r"^Must be at least (\d+) characters\.$"), lambda m: _("Enter at least %(n)s characters.", n=m[1])),
    (re.compile(r"^Must be at most (\d+) characters\.$"), lambda m: _("Enter at most %(n)s characters.", n=m[1])),
    (re.compile(r"^Must be (\d+) to (\d+) characters\.$"),
     lambda m: _("Enter between %(a)s and %(b)s characters.", a=m[1], b=m[2])),
    (re.compile(r"^Must not be your email address\.$"), lambda m: _("Choose a password that is not your email address.")),
    (re.compile(r"^Must not contain control characters or line breaks\.$"),
     lambda m: _("Use letters, spaces and punctuation only.")),
    (re.compile(r"^3 to 20 letters, digits, / or -\.$"),
     lambda m: _("Enter 3 to 20 letters, digits, / or -, as on your student book.")),
    (re.compile(r"^Must be between (\d+) and (\d+)\.$"), lambda m: _("Enter a year from %(a)s to %(b)s.", a=m[1], b=m[2])),
    (re.compile(r"^Not a phone number.*$"), lambda m: _("Enter a valid phone number, e.g. +359 888 123 456.")),
]
# The email validator explains a bad address in many ways; one sentence says it here.
_ANY_MESSAGE_OF = {"email": lambda: _("Enter a valid email address.")}


def field_errors(problem) -> dict[str, list[str]]:
    """The problem's field errors in the member's language (``problems.field_errors`` and the
    account pages' own messages)."""
    errors = problems.field_errors(problem)
    for name, messages in errors.items():
        raw = problem.errors.get(name)
        raw = raw if isinstance(raw, list) and len(raw) == len(messages) else messages
        translated = []
        for original, message in zip(raw, messages):
            own = problems.translated(message, _MESSAGES)
            if own is not None:
                message = own
            elif name in _ANY_MESSAGE_OF and problems.field_message(str(original)) == original:
                # A message neither list knows (the API wrote it as it was): the field's own sentence.
                message = _ANY_MESSAGE_OF[name]()
            translated.append(message)
        errors[name] = list(dict.fromkeys(translated))
    return errors


def password_hint() -> str:
    return _("At least %(n)s characters, and not your email address.", n=PASSWORD_MIN_LENGTH)


def repeated_password(form, name: str, again: str, *, required: bool = True) -> dict[str, list[str]]:
    """Field errors the portal finds itself before asking the API: a missing password, or a
    repetition that differs (the API sees the password once and cannot tell a typo)."""
    password = form.get(name, "")
    if not password and required:
        return {name: [_("Choose a password.")]}
    if password != form.get(again, ""):
        return {again: [_("The two passwords are not the same. Type the password again.")]}
    return {}


def language_or_default(value: str | None, default: str) -> str:
    return value if value in LANGUAGES else default


def page_status(problem) -> int:
    """The status of a page re-shown with an API problem: 429 stays 429, 409 stays 409, the rest
    of a form's problems are 400."""
    return problem.status if problem.status in (409, 429) else 400


@dataclass
class LinkForm:
    """A one-time link's password form after a POST: the API's answer, or what to show."""
    done: bool = False
    answer: Any = None
    message: str | None = None
    errors: dict = field(default_factory=dict)
    status: int = 200
    link_dead: bool = False  # the token is used or expired: the page offers a new link instead


def submit_password_link(name: str, again: str, send: Callable[[str], Any], by_kind: dict) -> LinkForm:
    """Check the password typed twice, then ``send(password)`` to the API with the link's token.
    On success the browser's session is forgotten: the API ended every session of the member."""
    errors = repeated_password(request.form, name, again)
    if errors:
        return LinkForm(message=problems.summary(ApiProblem(422, {"errors": errors})), errors=errors, status=400)
    try:
        answer = send(request.form[name])
    except ApiProblem as problem:
        errors = field_errors(problem)
        # The token is no field of the form, so it is not listed with them.
        dead = errors.pop("token", None) is not None or problem.kind == "invalid-token"
        return LinkForm(message=problems.summary(problem, by_kind), errors=errors, status=page_status(problem),
                        link_dead=dead)
    forget_login()
    return LinkForm(done=True, answer=answer)
