"""Words for the members API's codes: faculties, visibility levels, countries and languages,
in the page's language. The profile, the directory and the home page all show them.

The codes are the API's (services/members/profiles/rules.py and shared/memberfilter.py); the
portal repeats them here because it imports no service and no shared module.
"""
from __future__ import annotations

from functools import lru_cache

import phonenumbers
from babel import Locale
from flask import g
from flask_babel import lazy_gettext as _l

from frontends.portal.vocabulary import FACULTIES


# Who sees a field: the API's visibility levels, as the member reads them.
VISIBILITY = {
    "public": _l("Everyone, also visitors"),
    "members": _l("Verified members"),
    "private": _l("Only me and the alumni office"),
}

# The API's list of ISO 3166 codes is the regions phonenumbers knows (shared/memberfilter.py).
COUNTRY_CODES = frozenset(phonenumbers.SUPPORTED_REGIONS) - {"001"}


@lru_cache(maxsize=8)
def _names(language: str) -> tuple[dict[str, str], dict[str, str]]:
    """Countries' and languages' names in ``language``, read from Babel's CLDR data once per
    language: a plain dict lookup rather than a ``Locale`` and a ``LocaleDataDict`` per name
    (a directory page names 20 countries and offers every country and language)."""
    locale = Locale.parse(language)
    return dict(locale.territories), dict(locale.languages)


def _language() -> str:
    return g.get("locale", "bg")


def faculty_name(code: str | None) -> str:
    return str(FACULTIES.get(code, code or ""))


def visibility_name(level: str | None) -> str:
    return str(VISIBILITY.get(level, level or ""))


def country_name(code: str | None) -> str:
    if not code:
        return ""
    return _names(_language())[0].get(code.upper(), code)


def language_name(code: str | None) -> str:
    if not code:
        return ""
    return _names(_language())[1].get(code, code)


def visibility_options(group: str) -> list[tuple[str, str]]:
    """Names are never private: an entry without a name is no entry (the API refuses it)."""
    levels = ("members", "public") if group == "names" else ("private", "members", "public")
    return [(level, str(VISIBILITY[level])) for level in levels]


def faculty_options(empty: str) -> list[tuple[str, str]]:
    return [("", empty), *((code, str(name)) for code, name in FACULTIES.items())]


def country_options(empty: str) -> list[tuple[str, str]]:
    """Every country the API accepts, by its name in the page's language."""
    return [("", empty), *_country_list(_language())]


def language_options(empty: str) -> list[tuple[str, str]]:
    """Languages with a two-letter ISO 639-1 code, by their name in the page's language."""
    return [("", empty), *_language_list(_language())]


def country_list(language: str) -> tuple[tuple[str, str], ...]:
    """Every country the API accepts as ``(code, name in language)``, by name (the survey
    questions' country select shows them in the survey's language, not the page's)."""
    return _country_list(language)


@lru_cache(maxsize=8)
def _country_list(language: str) -> tuple[tuple[str, str], ...]:
    territories = _names(language)[0]
    return tuple(sorted(((code, territories.get(code, code)) for code in COUNTRY_CODES), key=lambda pair: pair[1]))


@lru_cache(maxsize=8)
def _language_list(language: str) -> tuple[tuple[str, str], ...]:
    languages = _names(language)[1]
    return tuple(sorted(((code, name) for code, name in languages.items() if len(code) == 2 and code.isalpha()),
                        key=lambda pair: pair[1]))
