"""Words for the members API's codes: faculties, visibility levels, countries and languages,
in the page's language. The profile, the directory and the home page all show them.

The codes are the API's (services/members/profiles/rules.py and shared/memberfilter.py); the
portal repeats them here because it imports no service and no shared module.
"""
from __future__ import annotations

import phonenumbers
from babel import Locale
from flask import g
from flask_babel import lazy_gettext as _l

FACULTIES = {
    "medicine": _l("Faculty of Medicine"),
    "dental_medicine": _l("Faculty of Dental Medicine"),
    "pharmacy": _l("Faculty of Pharmacy"),
    "public_health": _l("Faculty of Public Health"),
    "medical_college": _l("Medical College"),
}

# Who sees a field: the API's visibility levels, as the member reads them.
VISIBILITY = {
    "public": _l("Everyone, also visitors"),
    "members": _l("Verified members"),
    "private": _l("Only me and the alumni office"),
}

# The API's list of ISO 3166 codes is the regions phonenumbers knows (shared/memberfilter.py).
COUNTRY_CODES = frozenset(phonenumbers.SUPPORTED_REGIONS) - {"001"}


def _locale() -> Locale:
    return Locale.parse(g.get("locale", "bg"))


def faculty_name(code: str | None) -> str:
    return str(FACULTIES.get(code, code or ""))


def visibility_name(level: str | None) -> str:
    return str(VISIBILITY.get(level, level or ""))


def country_name(code: str | None) -> str:
    if not code:
        return ""
    return _locale().territories.get(code.upper(), code)


def language_name(code: str | None) -> str:
    if not code:
        return ""
    return _locale().languages.get(code, code)


def visibility_options(group: str) -> list[tuple[str, str]]:
    """Names are never private: an entry without a name is no entry (the API refuses it)."""
    levels = ("members", "public") if group == "names" else ("private", "members", "public")
    return [(level, str(VISIBILITY[level])) for level in levels]


def faculty_options(empty: str) -> list[tuple[str, str]]:
    return [("", empty), *((code, str(name)) for code, name in FACULTIES.items())]


def country_options(empty: str) -> list[tuple[str, str]]:
    """Every country the API accepts, by its name in the page's language."""
    territories = _locale().territories
    named = sorted(((code, territories.get(code, code)) for code in COUNTRY_CODES), key=lambda pair: pair[1])
    return [("", empty), *named]


def language_options(empty: str) -> list[tuple[str, str]]:
    """Languages with a two-letter ISO 639-1 code, by their name in the page's language."""
    languages = _locale().languages
    named = sorted(((code, name) for code, name in languages.items() if len(code) == 2 and code.isalpha()),
                   key=lambda pair: pair[1])
    return [("", empty), *named]
