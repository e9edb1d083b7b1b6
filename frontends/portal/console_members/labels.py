"""Words the office's member pages share: field, faculty, role and status names, and the
members API's English row and file messages in the page's language (an unknown message is
shown as the API wrote it rather than hidden)."""
from __future__ import annotations

import re
from datetime import datetime
from typing import Callable

from flask_babel import format_datetime, gettext as _, lazy_gettext

from frontends.portal import problems
from frontends.portal.vocabulary import FACULTIES


ROLES = {
    "admin": lazy_gettext("Administrator (the alumni office)"),
    "staff": lazy_gettext("Staff (check-in at the door)"),
    "alumnus": lazy_gettext("Alumnus"),
    "student": lazy_gettext("Student"),
    "judge": lazy_gettext("Awards judge"),
}

# The roster's columns (and the member fields of the same names), and a segment's filter fields.
FIELDS = {
    "student_number": lazy_gettext("Student number"),
    "given_name": lazy_gettext("Given name"),
    "middle_name": lazy_gettext("Middle name"),
    "family_name": lazy_gettext("Family name"),
    "given_name_latin": lazy_gettext("Given name (Latin)"),
    "family_name_latin": lazy_gettext("Family name (Latin)"),
    "email": lazy_gettext("Email"),
    "graduation_year": lazy_gettext("Graduation year"),
    "faculty": lazy_gettext("Faculty"),
    "programme": lazy_gettext("Programme"),
    "specialty": lazy_gettext("Specialty"),
    "file": lazy_gettext("File"),
    # A segment's filter.
    "name": lazy_gettext("Name"),
    "q": lazy_gettext("Words"),
    "interest": lazy_gettext("Interest"),
    "graduation_year_from": lazy_gettext("Graduated from (year)"),
    "graduation_year_to": lazy_gettext("Graduated until (year)"),
    "country": lazy_gettext("Countries"),
    "city": lazy_gettext("City"),
    "language": lazy_gettext("Speaks the language"),
    "open_to_mentoring": lazy_gettext("Open to mentoring"),
    "open_to_ambassador": lazy_gettext("Open to being an ambassador"),
    "open_to_volunteer": lazy_gettext("Open to volunteering"),
    "international_graduate": lazy_gettext("International graduate"),
    "roles": lazy_gettext("Roles"),
}

ROW_STATUSES = {
    "created": lazy_gettext("created"),
    "updated": lazy_gettext("updated"),
    "unchanged": lazy_gettext("unchanged"),
    "rejected": lazy_gettext("rejected"),
}

_MESSAGES: list[tuple[re.Pattern, Callable[[re.Match], str]]] = [
    (re.compile(r"^Required\.$"), lambda m: _("Required.")),
    (re.compile(r'^Must be 3 to 20 digits, letters, "/" or "-"\.$'),
     lambda m: _("Must be 3 to 20 digits, letters, “/” or “-”.")),
    (re.compile(r"^Must be at most (\d+) characters\.$"), lambda m: _("At most %(n)s characters.", n=m[1])),
    (re.compile(r"^Must not contain control characters or line breaks\.$"),
     lambda m: _("Must not contain control characters or line breaks.")),
    (re.compile(r"^Must be in Latin letters\.$"), lambda m: _("Must be in Latin letters.")),
    (re.compile(r"^Must be a year from (\d+) to (\d+)\.$"),
     lambda m: _("Must be a year from %(a)s to %(b)s.", a=m[1], b=m[2])),
    (re.compile(r"^Unknown faculty; .*$"),
     lambda m: _("Unknown faculty: write its name (e.g. “Медицински факултет”) or code (e.g. medicine).")),
    (re.compile(r"^Duplicate of row (\d+)\.$"), lambda m: _("The same student number as row %(n)s.", n=m[1])),
    (re.compile(r"^Already given to (\S+) by row (\d+)\.$"),
     lambda m: _("Row %(row)s already gives this email to %(number)s.", row=m[2], number=m[1])),
    (re.compile(r"^Already used by roster entry (\S+)\.$"),
     lambda m: _("Roster entry %(number)s already has this email.", number=m[1])),
    # The file as a whole (422 naming ``file``).
    (re.compile(r'^The file is UTF-16; .*$'), lambda m: _("The file is UTF-16: save it as “CSV UTF-8”.")),
    (re.compile(r"^The file is not UTF-8 text \(byte (\d+)\).*$"),
     lambda m: _("The file is not UTF-8 text (byte %(n)s): save it as “CSV UTF-8”.", n=m[1])),
    (re.compile(r"^The file is empty\.$"), lambda m: _("The file is empty.")),
    (re.compile(r"^The file has more than (\d+) rows; split it\.$"),
     lambda m: _("The file has more than %(n)s rows: split it into smaller files.", n=m[1])),
    (re.compile(r"^Not a readable CSV file \(line (\d+)\).*$"),
     lambda m: _("This is not a readable CSV file (line %(n)s).", n=m[1])),
    (re.compile(r'^Columns "(.*)" and "(.*)" both give (\w+)\.$'),
     lambda m: _("The columns “%(a)s” and “%(b)s” both give %(field)s: keep one.", a=m[1], b=m[2],
                 field=field_label(m[3]))),
    (re.compile(r"^Missing column\(s\): (.*)\.$"),
     lambda m: _("Columns missing: %(names)s.", names=", ".join(field_label(n.strip()) for n in m[1].split(",")))),
    (re.compile(r'^Send the CSV as the form.*$'), lambda m: _("Choose a CSV file.")),
]


def field_label(name: str) -> str:
    return str(FIELDS.get(name, name))


def faculty_label(code: str | None) -> str:
    return str(FACULTIES.get(code, code or ""))


def role_label(role: str) -> str:
    return str(ROLES.get(role, role))


def message(text: str) -> str:
    return problems.translated(text, _MESSAGES) or text


def when(value: str | None) -> str:
    """An API's ISO 8601 time in the page's language and Sofia time ("" if none or unreadable)."""
    if not value:
        return ""
    try:
        return format_datetime(datetime.fromisoformat(value), "medium")
    except (TypeError, ValueError):
        return str(value)


def register(blp) -> None:
    """The labels as template filters of the area's pages."""
    blp.add_app_template_filter(field_label, "cm_field")
    blp.add_app_template_filter(faculty_label, "cm_faculty")
    blp.add_app_template_filter(role_label, "cm_role")
    blp.add_app_template_filter(message, "cm_message")
    blp.add_app_template_filter(when, "cm_when")
    blp.add_app_template_filter(lambda status: str(ROW_STATUSES.get(status, status)), "cm_status")
