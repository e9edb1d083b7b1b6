"""How a cause reads on a member's page: its kind in words, its deadline in Sofia time, each
role's places left, my part in each role, its progress in the kind's own terms, and the causes
API's refusals as sentences next to the form they are about.

Titles and descriptions are read as events are (``events.present.text``: the page's language,
else the other one)."""
from __future__ import annotations

from datetime import datetime
from typing import Any

from flask_babel import gettext as _, lazy_gettext, ngettext

from frontends.portal import problems
from frontends.portal.causes import wording
from frontends.portal.console_events import times
from frontends.portal.events.present import audience, text  # noqa: F401  (the templates' helpers)
from frontends.portal.gateway import ApiProblem
from frontends.portal.i18n import DEFAULT_TIMEZONE

# The causes API's kinds (services/events/causes), in words; the office's pages use them too.
KINDS = {
    "volunteering": lazy_gettext("Volunteering"),
    "collection": lazy_gettext("Collection"),
    "campaign": lazy_gettext("Campaign"),
}
# A volunteer's statuses that hold a place or a place in the queue.
ACTIVE = ("joined", "waitlisted")


def cause_id(cause: dict) -> str:
    """The cause's id: the API's ``id`` (``cause_id`` as the contract and the events name it)."""
    return str(cause.get("id") or cause.get("cause_id") or "")


def kind(code: str | None) -> str:
    return str(KINDS.get(code or "", code or ""))


def when(value: str | None) -> str:
    """A cause's moment (its deadline, a role's time) in Sofia time, as the language writes it."""
    return times.when(value, DEFAULT_TIMEZONE)


def joining_open(cause: dict, now: datetime) -> bool:
    """The API's ``joining_open`` (published and before its deadline), else the same worked out;
    never for a caller outside the audience (an admin sees every cause)."""
    if cause.get("fits_me") is False:
        return False
    if "joining_open" in cause:
        return bool(cause["joining_open"])
    deadline = times.parse(cause.get("deadline"))
    return cause.get("status") == "published" and (deadline is None or deadline > now)


def left(role: dict) -> int:
    """Places (or, for a collection, items) still wanted in a role."""
    if role.get("slots_left") is not None:
        return int(role["slots_left"])
    return max(int(role.get("slots") or 0) - int(role.get("filled") or 0), 0)


def mine(cause: dict) -> dict[str, dict]:
    """My volunteering in the cause by role id: only what holds a place or waits for one."""
    return {v["role_id"]: v for v in cause.get("mine") or [] if v.get("status") in ACTIVE and v.get("role_id")}


def place(value: Any) -> str:
    """A role's place: written as one line, or an events-like place (name, address, city)."""
    if isinstance(value, dict):
        return ", ".join(str(value[k]) for k in ("name", "address", "city") if value.get(k))
    return str(value or "")


def number(value: Any) -> str:
    """2.0 as 2, 2.5 as 2.5 (hours, amounts)."""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return "" if value is None else str(value)


def progress_words(cause: dict) -> str:
    """The progress bar's sentence, in the kind's own terms."""
    progress = cause.get("progress") or {}
    done, target = progress.get("done") or 0, progress.get("target") or 0
    if cause.get("kind") == "campaign":
        unit = text((cause.get("goal") or {}).get("unit"))
        return _("%(done)s of %(target)s %(unit)s", done=number(done), target=number(target), unit=unit).strip()
    if cause.get("kind") == "collection":
        return ngettext("%(done)s of %(num)s item pledged", "%(done)s of %(num)s items pledged", int(target),
                        done=number(done))
    return ngettext("%(done)s of %(num)s place filled", "%(done)s of %(num)s places filled", int(target),
                    done=number(done))


def percent(cause: dict) -> int:
    """The bar's value, 0..100 (a campaign may pass its goal; the bar stays full)."""
    value = (cause.get("progress") or {}).get("percent") or 0
    return max(0, min(int(round(float(value))), 100))


def not_found_sentence() -> str:
    return _("This cause does not exist, or it is not for you: some causes are only for one class, faculty "
             "or group of members.")


# The causes API's 409 kinds on joining and leaving (services/events/causes/api.py CONFLICTS).
def _conflicts() -> dict[str, str]:
    return {"already-volunteering": _("You have already joined this role."),
            "cause-closed": _("This cause is closed: its volunteers can no longer change."),
            "deadline-passed": _("Joining is closed: the deadline has passed or the cause is closed."),
            "not-published": _("This cause is not open for joining yet.")}


def join_problem(problem: ApiProblem, index: int, cause: dict) -> tuple[str, dict[str, list[str]]]:
    """The sentence above the cause's roles and the field errors next to the role's form
    (``roles.<index>.quantity``, ``roles.<index>.note``). A refusal of the whole request (the
    deadline passed, the cause closed) is the sentence alone."""
    block = f"roles.{index}"
    errors = wording.field_errors(problem)
    whole = wording.only_whole(errors)
    if problem.status == 403:
        if problem.kind == "not-verified":
            return _("Only verified members can join. The alumni office has not verified your membership yet; "
                     "we email you when it does."), {}
        return _("This cause is for another group of members, so you cannot join it."), {}
    if problem.status == 404:
        return not_found_sentence(), {}
    if problem.status == 409:
        return _conflicts().get(problem.kind) or problems.summary(problem), {}
    if whole:
        return whole, {}
    fields = {f"{block}.{name}" if name != "_schema" else block: messages for name, messages in errors.items()}
    return problems.summary(problem), fields


def leave_problem(problem: ApiProblem) -> str:
    if problem.status == 404:
        return _("You are not in this role, so there is nothing to leave.")
    if problem.status in (409, 422):
        return _conflicts().get(problem.kind) or _("This cause is closed: its volunteers can no longer change.")
    return problems.summary(problem)
