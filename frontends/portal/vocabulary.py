"""Names every area of the portal shows for the platform's codes, in one place: the
faculties of the university (the codes of shared/memberfilter.py's FACULTIES, which the APIs
accept)."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l

FACULTIES = {
    "medicine": _l("Faculty of Medicine"),
    "dental_medicine": _l("Faculty of Dental Medicine"),
    "pharmacy": _l("Faculty of Pharmacy"),
    "public_health": _l("Faculty of Public Health"),
    "medical_college": _l("Medical College"),
}
