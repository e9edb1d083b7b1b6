"""The words the office sees for the surveys API's codes: statuses, question kinds, scales,
condition operators, audiences and the profile fields a question may fill (the codes are
services/members/surveys/rules.py's; the portal repeats them as it imports no service)."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l

from frontends.portal.console_events.labels import label  # noqa: F401  (templates: surveys_labels.label)
from frontends.portal.vocabulary import FACULTIES

STATUSES = {"draft": _l("Draft"), "open": _l("Open"), "closed": _l("Closed")}
KINDS = {
    "single_choice": _l("One choice"),
    "multiple_choice": _l("Several choices"),
    "scale": _l("Scale"),
    "text": _l("Text"),
    "number": _l("Number"),
    "date": _l("Date"),
    "country": _l("Country"),
    "yes_no": _l("Yes or no"),
}
SCALES = {"1-5": _l("1 to 5"), "1-10": _l("1 to 10"), "nps": _l("0 to 10, would recommend (NPS)")}
OPERATORS = {
    "equals": _l("is"),
    "one_of": _l("is one of (separate with commas)"),
    "at_least": _l("is at least"),
    "at_most": _l("is at most"),
    "answered": _l("is answered (yes or no)"),
}
AUDIENCES = {
    "everyone": _l("Every verified member"),
    "class": _l("A class (graduation year)"),
    "faculty": _l("A faculty"),
    "segment": _l("A saved segment of members"),
}
MAPPABLE = {
    "employer": _l("Employer"),
    "position": _l("Position"),
    "city": _l("City"),
    "specialty": _l("Specialty"),
    "country": _l("Country"),
    "languages": _l("Languages (choice ids are ISO codes, e.g. de)"),
    "interests": _l("Interests"),
    "open_to_mentoring": _l("Open to mentoring"),
    "open_to_ambassador": _l("Open to being an ambassador"),
    "open_to_volunteer": _l("Open to volunteering"),
}
# The segment form's prefills a mapped yes/no question's "make a segment" link sets.
SEGMENT_FLAGS = ("open_to_mentoring", "open_to_ambassador", "open_to_volunteer")
BREAKDOWNS = {"class": _l("Class"), "faculty": _l("Faculty")}


def options(table: dict, empty: str | None = None) -> list[tuple[str, str]]:
    listed = [(code, str(words)) for code, words in table.items()]
    return [("", empty), *listed] if empty is not None else listed


def faculty_name(code: str | None) -> str:
    return label(FACULTIES, code)
