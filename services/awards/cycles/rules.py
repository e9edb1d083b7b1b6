"""The rules of an award cycle, pure: its phases from its dates, what makes a cycle well
formed, and who may be nominated in a category (eligibility). Judging's arithmetic is
``judging.py``, results and the tie-break ``results.py``.

Phases. A cycle is a ``draft`` until the office opens it; then its phase at a moment is read
from its dates alone: ``scheduled`` before ``nominations_from``, ``nominations`` until
``nominations_until``, ``confirmation`` (nominees still confirm; no new nominations) until
``confirmation_until``, ``judging`` until ``judging_until``, then ``results`` until the office
announces the winners (``announced``). ``results_at`` is the date the office plans to
announce. Advancing (the office closes a phase early) moves the current phase's end to now,
which keeps the dates in order.

Eligibility. Each rule has a code, named in a refusal with a plain explanation; a nominee
must satisfy every rule of the category, and ``verified`` always:
- ``verified``: a verified member (in the awards service's view of members);
- ``graduated_years_ago_at_least {years}``: graduated at least ``years`` before the cycle's year;
- ``role_in {roles}`` / ``not_role {roles}``: has one of / none of the roles (e.g. not staff);
- ``mentored_in_cycle``: accepted at least one mentee during the cycle's activity period (the
  ledger's ``members.mentorship.accepted`` rows credited to them as mentor);
- ``not_recent_winner {years}``: has not won this category (by its id) in the ``years`` cycles'
  years before this one.
A nominator names someone else unless the category allows self-nomination (``self_nomination``).
"""
from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any

from services.awards.ledger import rules as ledger_rules
from shared.clock import CLUB_ZONE

DRAFT, OPEN, FINALISED, ANNOUNCED = "draft", "open", "finalised", "announced"
STATUSES = (DRAFT, OPEN, FINALISED, ANNOUNCED)
SCHEDULED, NOMINATIONS, CONFIRMATION, JUDGING, RESULTS = "scheduled", "nominations", "confirmation", "judging", \
    "results"
PHASES = (DRAFT, SCHEDULED, NOMINATIONS, CONFIRMATION, JUDGING, RESULTS, ANNOUNCED)
# Each dated phase and the date that ends it, in order; ``results`` lasts until the announcement.
PHASE_ENDS = ((SCHEDULED, "nominations_from"), (NOMINATIONS, "nominations_until"),
              (CONFIRMATION, "confirmation_until"), (JUDGING, "judging_until"))
PHASE_DATES = ("nominations_from", "nominations_until", "confirmation_until", "judging_until", "results_at")
# The nominee decides while nominations and confirmation run; judges see the result after.
DECIDING = (NOMINATIONS, CONFIRMATION)
# From judging on, results can be read (the office follows the scores as they come).
SCORED = (JUDGING, RESULTS, ANNOUNCED)
ZONE = CLUB_ZONE

# Eligibility rule codes.
VERIFIED, GRADUATED, ROLE_IN, NOT_ROLE = "verified", "graduated_years_ago_at_least", "role_in", "not_role"
MENTORED, NOT_RECENT_WINNER = "mentored_in_cycle", "not_recent_winner"
RULE_CODES = (VERIFIED, GRADUATED, ROLE_IN, NOT_ROLE, MENTORED, NOT_RECENT_WINNER)
NEEDS_YEARS, NEEDS_ROLES = (GRADUATED, NOT_RECENT_WINNER), (ROLE_IN, NOT_ROLE)
SELF_NOMINATION = "self_nomination"
MENTORSHIP_ACCEPTED = "members.mentorship.accepted"
OFFICE = "office"  # the nominator of a shortlisted nomination


class Refused(Exception):
    """A change the cycle's state does not allow now: ``reason`` says which."""

    def __init__(self, reason: str, detail: str):
        super().__init__(detail)
        self.reason = reason


# --------------------------------------------------------------------------- phases

def phase_at(cycle: Mapping[str, Any], now: datetime) -> str:
    if cycle["status"] == DRAFT:
        return DRAFT
    if cycle["status"] == ANNOUNCED:
        return ANNOUNCED
    for phase, end in PHASE_ENDS:
        if now < cycle["phases"][end]:
            return phase
    return RESULTS


def advanced(cycle: Mapping[str, Any], now: datetime) -> dict:
    """The cycle's phases with the current phase ended now (``Refused``: no dated phase runs)."""
    phase = phase_at(cycle, now)
    ends = dict(PHASE_ENDS)
    if phase not in ends:
        raise Refused("not-advanceable", f"The cycle is in its {phase} phase, which the office ends otherwise "
                                         "(opening it, or announcing the winners).")
    return {**cycle["phases"], ends[phase]: now}


def default_activity(year: int) -> tuple[datetime, datetime]:
    """The calendar year in Sofia, as UTC instants: the activity a cycle counts by default."""
    start = datetime(year, 1, 1, tzinfo=ZONE).astimezone(timezone.utc)
    return start, datetime(year + 1, 1, 1, tzinfo=ZONE).astimezone(timezone.utc)


# --------------------------------------------------------------------------- a well-formed cycle

def cycle_errors(cycle: Mapping[str, Any]) -> dict[str, Any]:
    """What is wrong with a whole cycle (its fields already typed by the schema), by field."""
    errors: dict[str, Any] = {}
    phases = cycle["phases"]
    for earlier, later in zip(PHASE_DATES, PHASE_DATES[1:]):
        too_early = phases[later] <= phases[earlier] if earlier == "nominations_from" else \
            phases[later] < phases[earlier]
        if too_early:
            errors.setdefault("phases", {})[later] = [f"Must be after {earlier}."]
    if cycle["activity_to"] <= cycle["activity_from"]:
        errors["activity_to"] = ["Must be after activity_from."]
    if cycle["rules_version"] not in ledger_rules.RULESETS:
        errors["rules_version"] = [f"Must be one of: {', '.join(ledger_rules.RULESETS)}."]
    if len(set(cycle["judges"])) != len(cycle["judges"]):
        errors["judges"] = ["Names a judge twice."]
    seen: set[str] = set()
    for index, category in enumerate(cycle["categories"]):
        problems = _category_errors(category, seen)
        if problems:
            errors.setdefault("categories", {})[str(index)] = problems
    return errors


def _category_errors(category: Mapping[str, Any], seen: set[str]) -> dict[str, Any]:
    problems: dict[str, Any] = {}
    if category["category_id"] in seen:
        problems["category_id"] = ["Another category has this id."]
    seen.add(category["category_id"])
    keys = [criterion["key"] for criterion in category["rubric"]]
    if len(set(keys)) != len(keys):
        problems["rubric"] = ["Two criteria share a key."]
    codes = [rule["rule"] for rule in category["eligibility"]]
    if len(set(codes)) != len(codes):
        problems["eligibility"] = ["A rule is given twice."]
    return problems


def category(cycle: Mapping[str, Any], category_id: str) -> dict | None:
    return next((c for c in cycle["categories"] if c["category_id"] == category_id), None)


# --------------------------------------------------------------------------- eligibility

@dataclass(frozen=True)
class Nominee:
    """What eligibility reads of a nominee: their view document (``None``: unknown), their
    roles, the cycle's year, and the facts some rules need (``facts_needed``)."""

    member: Mapping[str, Any] | None
    roles: tuple[str, ...]
    year: int
    mentored: int = 0
    won_years: tuple[int, ...] = field(default_factory=tuple)


@dataclass(frozen=True)
class Ineligible:
    rule: str
    explanation: str

    def __str__(self) -> str:
        return f"{self.rule}: {self.explanation}"


def facts_needed(rules: list[Mapping[str, Any]]) -> set[str]:
    """The rules among ``rules`` that need a fact read elsewhere (the ledger, past winners)."""
    return {rule["rule"] for rule in rules} & {MENTORED, NOT_RECENT_WINNER}


def _verified(rule: Mapping, nominee: Nominee) -> str | None:
    if nominee.member is None or nominee.member.get("status") != "verified":
        return "the nominee must be a verified member."
    return None


def _graduated(rule: Mapping, nominee: Nominee) -> str | None:
    year = (nominee.member or {}).get("graduation_year")
    if not isinstance(year, int) or nominee.year - year < rule["years"]:
        return f"the nominee must have graduated at least {rule['years']} years before {nominee.year}."
    return None


def _role_in(rule: Mapping, nominee: Nominee) -> str | None:
    if not set(nominee.roles) & set(rule["roles"]):
        return f"the nominee must be one of: {', '.join(rule['roles'])}."
    return None


def _not_role(rule: Mapping, nominee: Nominee) -> str | None:
    if set(nominee.roles) & set(rule["roles"]):
        return f"the category is not for: {', '.join(rule['roles'])}."
    return None


def _mentored(rule: Mapping, nominee: Nominee) -> str | None:
    if nominee.mentored < 1:
        return "the nominee must have mentored at least one student during the cycle's activity period."
    return None


def _not_recent_winner(rule: Mapping, nominee: Nominee) -> str | None:
    recent = [y for y in nominee.won_years if nominee.year - rule["years"] <= y < nominee.year]
    if recent:
        return f"the nominee won this category in {max(recent)}, within the last {rule['years']} years."
    return None


CHECKS: dict[str, Callable[[Mapping, Nominee], str | None]] = {
    VERIFIED: _verified, GRADUATED: _graduated, ROLE_IN: _role_in, NOT_ROLE: _not_role,
    MENTORED: _mentored, NOT_RECENT_WINNER: _not_recent_winner,
}


def ineligibility(rules: list[Mapping[str, Any]], nominee: Nominee) -> Ineligible | None:
    """The first rule the nominee fails (``verified`` first, then the category's in order)."""
    for rule in [{"rule": VERIFIED}, *rules]:
        explanation = CHECKS[rule["rule"]](rule, nominee)
        if explanation:
            return Ineligible(rule["rule"], explanation)
    return None


def self_nomination_refusal(category: Mapping[str, Any], nominator_id: str, nominee_id: str) -> Ineligible | None:
    if nominator_id == nominee_id and not category["self_nomination"]:
        return Ineligible(SELF_NOMINATION, "this category does not take self-nominations: "
                                           "ask someone who knows your work to nominate you.")
    return None
