"""How the ambassador pages word things: the programme's codes (activity kinds, contact kinds
and channels, the fields an ambassador may make public, application states), countries and
languages by name, an ambassador's regions, the bilingual bio in the page's language first,
dates in Sofia time, and the API's refusals as sentences.

The vocabulary repeats ``services/members/ambassadors/rules.py`` because the portal imports
no service; tests/unit/portal/test_ambassadors.py checks that both agree.
"""
from __future__ import annotations

import re
from datetime import datetime
from typing import Any, Callable
from zoneinfo import ZoneInfo

from flask import g, request
from flask_babel import gettext as _, lazy_gettext as _l

from frontends.portal import problems
from frontends.portal.gateway import ApiProblem, api
from frontends.portal.i18n import DEFAULT_TIMEZONE
from frontends.portal.mentoring.present import day, when  # noqa: F401  (the templates' dates)
from frontends.portal.profile import labels

API = "/api/v1/members"
FINDER = f"{API}/ambassadors/finder"
ME = f"{API}/me/ambassador"
APPLICATIONS = f"{API}/ambassadors/applications"

ACTIVITY_KINDS = {
    "conversation": _l("A conversation"),
    "school_talk": _l("A talk at a school"),
    "fair": _l("A fair"),
    "referral": _l("A referral"),
    "event_hosted": _l("An event I hosted"),
}
CONTACT_KINDS = {
    "prospective_student": _l("Prospective student"),
    "new_international_student": _l("New international student"),
    "graduate_abroad": _l("Graduate who moved abroad"),
    "finder_question": _l("Question from the ambassador finder"),
}
CHANNELS = {
    "email": _l("Email"),
    "phone": _l("Phone"),
    "meeting": _l("Meeting"),
    "chat": _l("Chat"),
    "other": _l("Another way"),
}
# What an ambassador may show on their public card (there is no photo in the profiles).
PUBLIC_FIELDS = {
    "given_name": _l("Given name"),
    "family_name": _l("Family name"),
    "faculty": _l("Faculty"),
    "programme": _l("Programme"),
    "graduation_year": _l("Graduation year"),
    "city": _l("City"),
    "country": _l("Country"),
    "languages": _l("Languages"),
    "bio": _l("About me (the text below)"),
    "regions": _l("The countries and cities I am ambassador for"),
}
APPLICATION_STATES = {
    "pending": _l("Waiting for the alumni office"),
    "appointed": _l("Appointed"),
    "declined": _l("Declined"),
}
NOT_AMBASSADOR = _l("This page is for the university's ambassadors.")
ALREADY_AMBASSADOR = _l("You are already an ambassador.")
ALREADY_APPLIED = _l("You have already applied: the alumni office will answer your application.")
NOT_VERIFIED = _l("The ambassador programme is for verified members. The alumni office has not verified your "
                  "membership yet; we email you when it does.")
# The languages a question may be asked and answered in (the finder's form).
ASKER_LANGUAGES = {"en": "English", "bg": "Български"}
# Offered as tick boxes on the forms (others a member names are added to them).
COMMON_LANGUAGES = ("en", "bg", "de", "fr", "ru", "es", "it", "el", "tr", "ar", "hi")
PER_PAGE = 20


def language() -> str:
    return g.get("locale", "bg")


def country(code: str | None) -> str:
    return labels.country_name(code)


def countries(codes) -> str:
    return ", ".join(country(code) for code in codes or ())


def language_name(code: str | None) -> str:
    return labels.language_name(code)


def language_names(codes) -> str:
    return ", ".join(language_name(code) for code in codes or ())


def spoken(card: dict) -> list[str]:
    """A finder card's languages: those they answer in, then those of their profile when they
    made them public (``spoken_languages``), each once."""
    return list(dict.fromkeys([*(card.get("languages") or ()), *(card.get("spoken_languages") or ())]))


def regions(found) -> str:
    """``[{country, cities}]`` as a person reads it: "India (Mumbai, Delhi); Nepal"."""
    said = []
    for region in found or ():
        cities = ", ".join(region.get("cities") or ())
        said.append(f"{country(region.get('country'))} ({cities})" if cities else country(region.get("country")))
    return "; ".join(said)


def bio(text: dict | None) -> list[tuple[str, str]]:
    """The bio's versions as ``(language, text)``, the page's language first (an English-
    speaking visitor reads the English one first; the other follows, marked with its language)."""
    text = text or {}
    first = language()
    ordered = [first, *(code for code in ("en", "bg") if code != first)]
    return [(code, text[code]) for code in ordered if (text.get(code) or "").strip()]


def term(ambassador: dict | None) -> tuple[str | None, str | None]:
    """The term's first and last day (``term_starts``/``term_ends``, or a ``term`` object)."""
    ambassador = ambassador or {}
    term = ambassador.get("term") if isinstance(ambassador.get("term"), dict) else {}
    return (ambassador.get("term_starts") or term.get("starts") or term.get("term_starts"),
            ambassador.get("term_ends") or term.get("ends") or term.get("term_ends"))


def term_over(ambassador: dict | None) -> bool:
    """The ambassador's term has ended (its last day is past, or the office ended it): they may
    apply again, as the API lets them."""
    if not ambassador or ambassador.get("active"):
        return False
    ends = term(ambassador)[1]
    return bool(ambassador.get("ended_at")) or bool(ends) and ends < today()


def kind(code: str | None) -> str:
    return str(ACTIVITY_KINDS.get(code, code or ""))


def contact_kind(code: str | None) -> str:
    return str(CONTACT_KINDS.get(code, code or ""))


def channel(code: str | None) -> str:
    return str(CHANNELS.get(code, code or ""))


def state(code: str | None) -> str:
    return str(APPLICATION_STATES.get(code, code or ""))


def person(someone: dict | None) -> str:
    """A member's name (a Party or a row with the names); empty after an erasure."""
    someone = someone or {}
    return " ".join(p for p in (someone.get("given_name"), someone.get("family_name")) if p)


def options(choices: dict, empty: str | None = None) -> list[tuple[str, str]]:
    return [*((("", empty),) if empty is not None else ()), *((code, str(label)) for code, label in choices.items())]


def language_choices(chosen) -> list[tuple[str, str]]:
    """The tick boxes of a languages fieldset: the common ones and any other already chosen."""
    codes = [*COMMON_LANGUAGES, *(code for code in chosen or () if code not in COMMON_LANGUAGES)]
    return [(code, language_name(code)) for code in codes]


def languages_from_form(name: str = "languages") -> list[str]:
    """The ticked languages and the one chosen in "another language", each once."""
    extra = request.form.get(f"{name}_more", "").strip()
    return list(dict.fromkeys([*request.form.getlist(name), *([extra] if extra else [])]))


def today() -> str:
    """Today in Sofia (the day a form proposes for what happened today)."""
    return datetime.now(ZoneInfo(DEFAULT_TIMEZONE)).date().isoformat()


def words(name: str) -> str:
    return request.form.get(name, "").strip()


def blank_errors(typed: dict, required) -> dict[str, list[str]]:
    return {name: [_("This field is required.")] for name in required if not typed.get(name)}


# The API's messages about a field, in the page's words (services/members/ambassadors/rules.py).
_MESSAGES: problems.Phrasebook = [
    (re.compile(r"^Must not be blank\.$"), lambda m: _("This field is required.")),
    (re.compile(r"^Must be an ISO 639-1 code"), lambda m: _("Choose a language from the list.")),
    (re.compile(r"^Must be an ISO 3166"), lambda m: _("Choose a country from the list.")),
    (re.compile(r"^Must not contain control characters"), lambda m: _("Write it without special characters.")),
    (re.compile(r".*\bin the future\b|^Must be in the past", re.I), lambda m: _("Choose today or a day before.")),
    (re.compile(r"^Must be accepted|^The privacy notice must be accepted", re.I),
     lambda m: _("Please accept the privacy notice to send your question.")),
]


def field_errors(problem: ApiProblem, renames: dict[str, str] | None = None) -> dict[str, list[str]]:
    """The problem's field errors in the page's words, under the form's field names."""
    return {field: [problems.translated(m, _MESSAGES) or m for m in messages]
            for field, messages in problems.field_errors(problem, renames).items()}


def submitted(path: str, body: dict, errors: dict[str, list[str]], page: Callable[..., Any], **call) -> Any:
    """Post a form's body unless the portal found it wrong. None when the API took it; else
    what to answer: the form's ``page`` again with the portal's or the API's problems (a 400,
    409 or 422) beside the fields."""
    if errors:
        return page(errors=errors, message=_("Please correct the fields marked below."), status=400)
    try:
        api().post(path, body, **call)
    except ApiProblem as problem:
        if problem.status not in (400, 409, 422):
            raise
        return page(errors=field_errors(problem), message=refusal(problem), status=problem.status)
    return None


def refusal(problem: ApiProblem) -> str:
    """What a refusal of the programme's API means: its ``reason`` (applying: ``not_verified``,
    ``not_alumnus_or_student``) or its problem type (services/members/ambassadors/api.py)."""
    said = {
        "not_verified": str(NOT_VERIFIED),
        "not_alumnus_or_student": _("Ambassadors are graduates and students of the university."),
        "ambassadors-application-open": str(ALREADY_APPLIED),
        "ambassadors-already-ambassador": str(ALREADY_AMBASSADOR),
        "ambassadors-application-decided": _("This application has already been answered."),
    }
    for code in (problem.body.get("reason"), problem.kind):
        if code in said:
            return said[code]
    if problem.status == 404 and problem.kind == "not-found":
        return str(NOT_AMBASSADOR)
    if problem.status == 409:
        return _("This cannot be done now: %(detail)s", detail=problem.detail) if problem.detail else \
            _("This cannot be done now.")
    return problems.summary(problem)
