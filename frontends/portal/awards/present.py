"""How the awards pages word things: a cycle's phase, a nomination's status, the ledger's
standings categories and its sources (event types), the eligibility rules by their codes,
bilingual titles in the page's language, names, dates in Sofia time, and the awards API's
refusals as sentences.

The vocabulary repeats the awards service's (``services/awards/ledger/rules.py``
``CATEGORIES`` and the rules table's event types, ``services/awards/cycles/rules.py`` phases
and eligibility codes) because the portal imports no service; a code the page does not know
is shown as the API wrote it rather than hidden.
"""
from __future__ import annotations

from typing import Any, Mapping
from zoneinfo import ZoneInfo

from flask import g
from flask_babel import format_date, gettext as _, lazy_gettext as _l

from frontends.portal import problems
from frontends.portal.console_events.times import parse, when as zoned_when
from frontends.portal.gateway import ApiProblem
from frontends.portal.i18n import DEFAULT_TIMEZONE

PHASES = {
    "draft": _l("Not open yet"),
    "scheduled": _l("Nominations open soon"),
    "nominations": _l("Nominations are open"),
    "confirmation": _l("Nominees are confirming"),
    "judging": _l("The jury is judging"),
    "results": _l("Results are being decided"),
    "announced": _l("Winners announced"),
}
# The phases' dates in the order they pass (the cycle's ``phases``), each with what ends then.
PHASE_DATES = (
    ("nominations_from", _l("Nominations open")),
    ("nominations_until", _l("Nominations close")),
    ("confirmation_until", _l("Nominees confirm until")),
    ("judging_until", _l("Judging ends")),
    ("results_at", _l("Winners are announced")),
)
STATUSES = {
    "awaiting": _l("Waiting for the nominee's answer"),
    "confirmed": _l("Confirmed by the nominee"),
    "declined": _l("Declined by the nominee"),
}
# The ledger's standings categories (services/awards/ledger/rules.py).
CATEGORIES = {
    "overall": _l("Overall engagement"),
    "mentoring": _l("Mentoring and help to students and new graduates"),
    "ambassador": _l("Ambassador work"),
    "volunteering": _l("Volunteering"),
    "participation": _l("Taking part"),
}
# Each source of points (the rules table's event types), as a member knows the activity.
SOURCES = {
    "events.attendance.checked_in": _l("Events attended"),
    "members.survey.completed": _l("Surveys answered"),
    "events.volunteer.joined": _l("Joined a cause as a volunteer"),
    "events.volunteer.hours_confirmed": _l("Volunteer hours confirmed"),
    "members.mentorship.accepted": _l("Mentees accepted"),
    "members.mentorship.meeting_logged": _l("Mentoring meetings"),
    "members.mentorship.ended": _l("Mentorships completed"),
    "members.ambassador.activity_logged": _l("Ambassador activities"),
    "members.ambassador.contact_replied": _l("Questions answered in time as an ambassador"),
}
RULES = ("graduated_years_ago_at_least", "role_in", "not_role", "mentored_in_cycle", "not_recent_winner", "verified")
ROLES = {"alumnus": _l("graduate"), "student": _l("student"), "staff": _l("staff"), "admin": _l("office"),
         "judge": _l("judge")}


def language() -> str:
    return g.get("locale", "bg")


def text(value: Mapping[str, Any] | str | None) -> str:
    """A bilingual text ({bg, en}) in the page's language, else in the other one."""
    if isinstance(value, str):
        return value
    value = value or {}
    return value.get(language()) or value.get("bg") or value.get("en") or ""


def name(person: Mapping[str, Any] | None) -> str:
    person = person or {}
    return " ".join(p for p in (person.get("given_name"), person.get("family_name")) if p) or _("A member")


def when(value: str | None) -> str:
    return zoned_when(value, DEFAULT_TIMEZONE)


def day(value: str | None) -> str:
    """A date (or the date of a time in Sofia), in the page's language."""
    moment = parse(value)
    if moment is None:
        return value or ""
    local = moment.astimezone(ZoneInfo(DEFAULT_TIMEZONE)) if moment.tzinfo else moment
    return format_date(local.date(), "long")


def phase(code: str | None) -> str:
    return str(PHASES.get(code, code or ""))


def status(code: str | None) -> str:
    return str(STATUSES.get(code, code or ""))


def category(code: str | None) -> str:
    return str(CATEGORIES.get(code, code or ""))


def source(event_type: str | None) -> str:
    return str(SOURCES.get(event_type, event_type or ""))


def role_names(roles) -> str:
    return ", ".join(str(ROLES.get(r, r)) for r in roles or ())


def rule(item: Mapping[str, Any]) -> str:
    """An eligibility rule of a category as a sentence."""
    code, years, roles = item.get("rule"), item.get("years"), item.get("roles")
    said = {
        "graduated_years_ago_at_least": lambda: _("Graduated at least %(years)s years ago", years=years),
        "role_in": lambda: _("Is one of: %(roles)s", roles=role_names(roles)),
        "not_role": lambda: _("Is none of: %(roles)s", roles=role_names(roles)),
        "mentored_in_cycle": lambda: _("Mentored at least one student or new graduate in the cycle's year"),
        "not_recent_winner": lambda: _("Has not won this award in the last %(years)s years", years=years),
        "verified": lambda: _("A verified member of the club"),
    }
    return said[code]() if code in said else str(code or "")


def rule_code(problem: ApiProblem) -> str:
    return str(problem.body.get("rule") or "")


def refused_rule(problem: ApiProblem) -> str:
    """A refused nomination in words: the rule that failed, named, and the API's explanation."""
    code = rule_code(problem)
    messages = problems.field_errors(problem).get("nominee_id") or []
    explanation = messages[0].split(": ", 1)[-1] if messages else ""
    label = {
        "graduated_years_ago_at_least": _("graduated too recently"),
        "role_in": _("not among the members this award is for"),
        "not_role": _("among the members this award is not for"),
        "mentored_in_cycle": _("has not mentored in the cycle's year"),
        "not_recent_winner": _("won this award recently"),
        "verified": _("not a verified member"),
        "self_nomination": _("this award takes no self-nomination"),
    }.get(code, code)
    return _("Not eligible (%(rule)s): %(why)s", rule=label, why=explanation) if explanation \
        else _("Not eligible (%(rule)s).", rule=label)


def number(value: float | int | None) -> str:
    """Points as people write them: ``12``, ``7.5`` (``7,5`` in Bulgarian)."""
    said = f"{value or 0:.2f}".rstrip("0").rstrip(".")
    return said.replace(".", ",") if language() == "bg" else said


# The awards API's refusals by their problem type (``awards-<kind>``), and a judge's conflict by its ``reason``.
REFUSALS = {
    "awards-wrong-phase": _l("This cannot be done in the cycle's current phase."),
    "awards-changed": _l("This cannot be done now: the nomination or the cycle has moved on."),
    "awards-already-decided": _l("This cannot be done now: the nomination or the cycle has moved on."),
    "awards-not-draft": _l("This cycle is open already: it cannot be changed."),
    "awards-not-advanceable": _l("This phase ends otherwise: by opening the cycle or by announcing the winners."),
    "awards-not-decided": _l("Choose the winners, or no award, of every category first."),
    "conflict_of_interest": _l("You nominated this person, so you cannot score them. Please declare the conflict."),
}


def refusal(problem: ApiProblem) -> str:
    reason = problem.body.get("reason")
    if reason in REFUSALS:
        return str(REFUSALS[reason])
    return problems.summary(problem, REFUSALS)
