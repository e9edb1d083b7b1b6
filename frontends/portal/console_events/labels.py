"""The words the office sees for the events API's codes (kinds, statuses, audiences, faculties)."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l

KINDS = {
    "reunion": _l("Reunion"),
    "lecture": _l("Lecture"),
    "webinar": _l("Webinar"),
    "club_meeting": _l("Club meeting"),
    "conference": _l("Conference"),
    "volunteering": _l("Volunteering"),
}
STATUSES = {"draft": _l("Draft"), "published": _l("Published"), "cancelled": _l("Cancelled")}
AUDIENCES = {
    "all": _l("Everyone"),
    "graduation_years": _l("Graduates of some years"),
    "faculty": _l("A faculty"),
    "segment": _l("A saved segment of members"),
}
FACULTIES = {
    "medicine": _l("Medicine"),
    "dental_medicine": _l("Dental medicine"),
    "pharmacy": _l("Pharmacy"),
    "public_health": _l("Public health"),
    "medical_college": _l("Medical college"),
}
REGISTRATION_STATUSES = {"confirmed": _l("Confirmed"), "waitlisted": _l("On the waitlist"),
                         "cancelled": _l("Cancelled")}
CANCEL_REASONS = {"member": _l("by the member"), "admin": _l("by the office"),
                  "event_cancelled": _l("the event was cancelled"), "erased": _l("the member left")}


def label(table: dict, code) -> str:
    """The words for ``code``, or the code itself if it is new to the portal."""
    return str(table.get(code, code or ""))


def options(table: dict) -> list[tuple[str, str]]:
    return [(code, str(words)) for code, words in table.items()]
