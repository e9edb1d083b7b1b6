"""How the mentoring pages word things: topics (the members API's vocabulary, with its
Bulgarian and English labels), the score's factors, the state of a request and the outcome of
each ask, names, dates in Sofia time, and the API's refusals as sentences.

The vocabulary repeats ``services/members/mentoring/rules.py`` (``TOPICS``, ``FACTORS``,
``FORMATS``) because the portal imports no service; tests/unit/portal/test_mentoring.py
checks that both agree.
"""
from __future__ import annotations

import re
from datetime import datetime

from flask import g
from flask_babel import format_date, format_time, gettext as _, lazy_gettext as _l

from frontends.portal import problems
from frontends.portal.gateway import ApiProblem
from frontends.portal.profile import labels

TOPICS: dict[str, tuple[str, str]] = {
    "specialty_choice": ("Избор на специалност", "Choosing a specialty"),
    "residency_and_exams": ("Специализация и изпити", "Residency and exams"),
    "research": ("Научна работа", "Research"),
    "working_abroad": ("Работа в чужбина", "Working abroad"),
    "private_practice": ("Частна практика", "Private practice"),
    "career_outside_clinic": ("Кариера извън клиниката", "Careers outside the clinic"),
    "work_life_balance": ("Баланс между работа и живот", "Work-life balance"),
}
FORMATS = {"online": _l("Online"), "in_person": _l("In person")}
# The score's factors, in the API's order, with what each means to the mentee.
FACTORS = {
    "shared_specialty": _l("Shares your specialty"),
    "topics": _l("Offers the topics you chose"),
    "common_language": _l("Speaks a language of yours"),
    "place": _l("Meets online or in your city"),
    "free_capacity": _l("Has free places"),
    "reply_time": _l("Replies quickly"),
    "acceptance": _l("Often accepts"),
    "experience": _l("Years since graduation"),
}
OUTCOMES = {
    "pending": _l("Waiting for an answer"),
    "accepted": _l("Accepted"),
    "declined": _l("Declined"),
    "expired": _l("No answer in time"),
    "withdrawn": _l("Withdrawn"),
    "skipped": _l("Skipped: not taking mentees then"),
    None: _l("Not asked yet"),
}
STATES = {
    "pending": _l("Waiting for an answer"),
    "accepted": _l("Accepted: the mentorship has started"),
    "exhausted": _l("No mentor could take it"),
    "withdrawn": _l("Withdrawn"),
    "active": _l("Active"),
    "ended": _l("Ended"),
}
# Languages offered as tick boxes on the offer form (others an offer has are added to them).
COMMON_LANGUAGES = ("bg", "en", "de", "fr", "ru", "es", "it", "el", "tr")
# Who may not be mentored, and why (the API's 403 ``reason``, rules.mentee_refusal).
NOT_A_MENTEE = {
    "not_verified": _l("Mentoring is for verified members. The alumni office has not verified your membership yet; "
                       "we email you when it does."),
    "not_student_or_recent_graduate": _l("Mentees are students and graduates of the last few years. You can help "
                                         "them instead: become a mentor."),
    "no_graduation_year": _l("We do not know your graduation year, so we cannot tell whether you are a recent "
                             "graduate. Please ask the alumni office to add it."),
}
NOT_A_MENTOR = {
    "not_verified": _l("Mentors are verified members. The alumni office has not verified your membership yet."),
    "not_alumnus": _l("Mentors are graduates: as a student, you can find a mentor instead."),
}


def language() -> str:
    return g.get("locale", "bg")


def topic(code: str) -> str:
    labels_of = TOPICS.get(code)
    if not labels_of:
        return code
    return labels_of[0] if language() == "bg" else labels_of[1]


def topic_options() -> list[tuple[str, str]]:
    return [(code, topic(code)) for code in TOPICS]


def format_name(code: str) -> str:
    return str(FORMATS.get(code, code))


def topic_names(codes) -> str:
    return ", ".join(topic(code) for code in codes or ())


def format_names(codes) -> str:
    return ", ".join(format_name(code) for code in codes or ())


def factor(name: str) -> str:
    return str(FACTORS.get(name, name))


def outcome(code: str | None) -> str:
    return str(OUTCOMES.get(code, code or ""))


def state(code: str | None) -> str:
    return str(STATES.get(code, code or ""))


def name(person: dict | None) -> str:
    person = person or {}
    return " ".join(p for p in (person.get("given_name"), person.get("family_name")) if p) or _("A member")


def language_names(codes) -> str:
    return ", ".join(labels.language_name(code) for code in codes or ())


def percent(value: float | None) -> int:
    return round(100 * (value or 0))


def number(value: float | None) -> str:
    """A weight or points as people write them: ``2``, ``1.5`` (``1,5`` in Bulgarian)."""
    said = f"{value or 0:.2f}".rstrip("0").rstrip(".")
    return said.replace(".", ",") if language() == "bg" else said


def when(moment: str | datetime | None) -> str:
    """A day and time in Sofia time, in the page's language."""
    if not moment:
        return ""
    at = moment if isinstance(moment, datetime) else datetime.fromisoformat(moment)
    return f"{format_date(at, 'long')}, {format_time(at, 'short')}"


def day(value: str | None) -> str:
    return format_date(datetime.fromisoformat(value).date(), "long") if value else ""


# The API's messages about a field, in the page's words (services/members/mentoring/rules.py).
_MESSAGES: problems.Phrasebook = [
    (re.compile(r"^In-person meetings need a city\.$"), lambda m: _("Name the city for meetings in person.")),
    (re.compile(r"^Name each one once\.$"), lambda m: _("Name each one once.")),
    (re.compile(r"^Must be an ISO 639-1 code"), lambda m: _("Choose a language from the list.")),
    (re.compile(r"^You cannot be your own mentor\.$"), lambda m: _("You cannot be your own mentor.")),
    (re.compile(r"^You have already asked this mentor\.$"), lambda m: _("You have already asked this mentor.")),
    (re.compile(r"^Not a mentor\.$"), lambda m: _("This member no longer mentors.")),
    (re.compile(r"^Must not be blank\.$"), lambda m: _("This field is required.")),
    (re.compile(r"^Must not contain control characters"), lambda m: _("Write it without special characters.")),
    (re.compile(r"^A meeting is logged once it has happened"),
     lambda m: _("A meeting is logged once it has happened: not in the future.")),
    (re.compile(r"^The mentorship began on (\S+)\.$"),
     lambda m: _("The mentorship began on %(day)s: choose that day or later.", day=day(m.group(1)))),
]


def field_errors(problem: ApiProblem, renames: dict[str, str] | None = None) -> dict[str, list[str]]:
    """The problem's field errors in the page's words, under the form's field names."""
    found = {}
    for field, messages in problems.field_errors(problem, renames).items():
        found[field] = [problems.translated(m, _MESSAGES) or m for m in messages]
    return found


def refusal(problem: ApiProblem) -> str:
    """What a refusal about a request or a mentorship means (the API's ``reason``)."""
    reason = problem.body.get("reason")
    said = {
        "not_pending": _("This request is no longer waiting: %(what)s.",
                         what=outcome(problem.body.get("outcome")).lower()),
        "past_deadline": _("The time to answer this request has passed."),
        "not_active": _("This mentorship has ended."),
        "not_ended": _("Feedback is given when the mentorship ends."),
        "already_given": _("You have already given your feedback."),
        "not_in_pair": _("Only the mentor and the mentee of this pair can see this page."),
        "not_asked": _("This request does not wait for your answer."),
    }
    if reason in said:
        return said[reason]
    return problems.summary(problem, {
        "mentoring-offer-busy": _("Mentees are waiting for you or working with you: pause your offer instead."),
        "mentoring-none-available": _("None of these mentors can take a mentee now. Please choose others."),
    })
