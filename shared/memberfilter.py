"""The member filter language: one vocabulary for the directory search, saved segments and
event audiences, so "graduates of 2000-2005 in Plovdiv open to mentoring" means the same
in every service.

A filter is a dict validated by :class:`MemberFilterSchema`. It is evaluated two ways that
must agree (a property test pins it): :func:`to_mongo` turns it into a MongoDB query over
documents carrying the fields of :func:`searchable_fields`, and :func:`matches` evaluates it
on such a document in Python (for services that hold a read model of members and decide
segment membership themselves, and as the tests' oracle).

Only equality, ``$in``, ranges and ``$and`` of array equalities are used, and the most
selective condition comes first: the embedded test store drives a query by the index of its
first indexed field, and answers any query with a top-level ``$and`` by scanning (MongoDB
intersects), so the directory sends only the longest word to the store and checks the others
on the matches' tokens (see ``services/members/profiles/store.py``). An ``interest`` is one whole interest, compared
without regard to case or spacing through the derived ``interest_keys`` (an array equality,
never an ``$and``), so "Research " finds the member who wrote "research".
"""
from __future__ import annotations

import unicodedata
from collections.abc import Mapping
from typing import Any

import phonenumbers
from marshmallow import (
    Schema,
    ValidationError,
    fields,
    post_load,
    validate,
    validates,
    validates_schema,
)

from shared import translit

# The faculties and college of the Medical University - Plovdiv.
FACULTIES = ("medicine", "dental_medicine", "pharmacy", "public_health", "medical_college")
FLAGS = ("open_to_mentoring", "open_to_ambassador", "open_to_volunteer", "international_graduate")
FIRST_GRADUATION_YEAR = 1945
LAST_GRADUATION_YEAR = 2100
MAX_LIST = 10
# The longest interest a profile holds (and so the longest worth filtering on).
MAX_INTEREST = 60
# Fields a document needs for filtering, beside the derived ones of ``searchable_fields``.
FILTERED_FIELDS = ("graduation_year", "faculty", "country", "languages", *FLAGS)
# The fields ``searchable_fields`` derives: an index of the profile, never shown or exported.
DERIVED_FIELDS = ("tokens", "city_key", "interest_keys", "sort_name")
# Fields whose words the free-text ``q`` searches.
NAME_FIELDS = ("given_name", "family_name", "given_name_latin", "family_name_latin")
TEXT_FIELDS = ("employer", "specialty", "interests")
# Words of employer, specialty and interests are found by prefixes of 4 letters or more
# (names from 2): "кардио" finds "кардиология" without every 2-letter prefix in the index.
TEXT_MIN_PREFIX = 4
COUNTRIES = frozenset(phonenumbers.SUPPORTED_REGIONS) - {"001"}


class CountryCode(fields.String):
    """An ISO 3166 alpha-2 country code, in either case on input, upper-case when loaded."""

    def _deserialize(self, value, attr, data, **kwargs) -> str:
        code = super()._deserialize(value, attr, data, **kwargs).strip().upper()
        if code not in COUNTRIES:
            raise ValidationError("Must be an ISO 3166 two-letter country code, e.g. BG.")
        return code


class MemberFilterSchema(Schema):
    """Every condition is optional; all given conditions must hold."""

    q = fields.String(validate=validate.Length(max=200), metadata={
        "description": "words of names (Cyrillic or Latin), employer, specialty or interests; each "
                       "word matches the beginning of a word ('иван' finds Иванова and Ivanova)"})
    graduation_year_from = fields.Integer(validate=validate.Range(FIRST_GRADUATION_YEAR, LAST_GRADUATION_YEAR))
    graduation_year_to = fields.Integer(validate=validate.Range(FIRST_GRADUATION_YEAR, LAST_GRADUATION_YEAR))
    faculty = fields.List(fields.String(validate=validate.OneOf(FACULTIES)),
                          validate=validate.Length(min=1, max=MAX_LIST),
                          metadata={"description": "any of these faculties"})
    country = fields.List(CountryCode(), validate=validate.Length(min=1, max=MAX_LIST),
                          metadata={"description": "any of these ISO 3166 country codes"})
    city = fields.String(validate=validate.Length(min=1, max=100),
                         metadata={"description": "in either alphabet: Пловдив = Plovdiv"})
    language = fields.String(validate=validate.Regexp(r"^[a-z]{2}\Z", error="Must be an ISO 639-1 code, e.g. de."),
                             metadata={"description": "speaks this language"})
    interest = fields.String(validate=validate.Length(min=1, max=MAX_INTEREST), metadata={
        "description": "has this among their interests, whole, in any case or spacing ('Research' = 'research')"})
    open_to_mentoring = fields.Boolean()
    open_to_ambassador = fields.Boolean()
    open_to_volunteer = fields.Boolean()
    international_graduate = fields.Boolean()

    @validates("q")
    def _q_has_words(self, value: str, **_) -> None:
        if value.strip() and not translit.query_tokens(value):
            raise ValidationError(f"Give at least one word of {translit.MIN_TOKEN} or more letters.")

    @validates("interest")
    def _interest_is_given(self, value: str, **_) -> None:
        if not interest_key(value):
            raise ValidationError("Give the interest.")

    @validates("city")
    def _city_has_words(self, value: str, **_) -> None:
        if not translit.words(value):
            raise ValidationError("Give the city's name.")

    @validates_schema
    def _year_range(self, data: dict, **_) -> None:
        low, high = data.get("graduation_year_from"), data.get("graduation_year_to")
        if low is not None and high is not None and low > high:
            raise ValidationError("Must not be before graduation_year_from.", "graduation_year_to")

    @post_load
    def _drop_empty(self, data: dict, **_) -> dict:
        if "q" in data and not data["q"].strip():
            del data["q"]
        if "interest" in data:
            data["interest"] = " ".join(data["interest"].split())
        return data


def searchable_fields(profile: Mapping[str, Any]) -> dict[str, Any]:
    """The derived fields a filtered document carries, from the profile fields it shows."""
    interests = profile.get("interests") or []
    return {
        "tokens": sorted(set(translit.index_tokens(profile.get(f) for f in NAME_FIELDS)).union(
            translit.index_tokens([profile.get("employer"), profile.get("specialty"), *interests],
                                  min_prefix=TEXT_MIN_PREFIX))),
        "city_key": city_key(profile.get("city")),
        "interest_keys": sorted({interest_key(i) for i in interests if isinstance(i, str)} - {""}),
        "sort_name": translit.sort_key(profile.get("family_name_latin") or profile.get("family_name"),
                                       profile.get("given_name_latin") or profile.get("given_name")),
    }


def city_key(city: str | None) -> str | None:
    return " ".join(translit.words(city)) or None if city else None


def interest_key(interest: str) -> str:
    """An interest as compared: lower-case (``casefold``), its spaces collapsed."""
    return " ".join(unicodedata.normalize("NFC", interest).casefold().split())


def to_mongo(spec: Mapping[str, Any]) -> dict[str, Any]:
    """The MongoDB query of a validated filter, most selective condition first."""
    query: dict[str, Any] = {}
    words = translit.query_tokens(spec.get("q"))
    if words:
        query["tokens"] = words[0]
        if len(words) > 1:
            query["$and"] = [{"tokens": w} for w in words[1:]]
    if spec.get("interest"):
        query["interest_keys"] = interest_key(spec["interest"])
    if spec.get("city"):
        query["city_key"] = city_key(spec["city"])
    years = {}
    if spec.get("graduation_year_from") is not None:
        years["$gte"] = spec["graduation_year_from"]
    if spec.get("graduation_year_to") is not None:
        years["$lte"] = spec["graduation_year_to"]
    if years:
        query["graduation_year"] = years
    if spec.get("faculty"):
        query["faculty"] = {"$in": list(spec["faculty"])}
    if spec.get("country"):
        query["country"] = {"$in": list(spec["country"])}
    if spec.get("language"):
        query["languages"] = spec["language"]
    for flag in FLAGS:
        if spec.get(flag) is not None:
            query[flag] = spec[flag]
    return query


def matches(doc: Mapping[str, Any], spec: Mapping[str, Any]) -> bool:
    """Whether a document (with ``searchable_fields``) satisfies a validated filter; agrees
    with ``to_mongo``. A field the document does not show never matches a condition on it."""
    tokens = set(doc.get("tokens") or ())
    if not all(w in tokens for w in translit.query_tokens(spec.get("q"))):
        return False
    if spec.get("interest") and interest_key(spec["interest"]) not in (doc.get("interest_keys") or ()):
        return False
    if spec.get("city") and doc.get("city_key") != city_key(spec["city"]):
        return False
    year = doc.get("graduation_year")
    low, high = spec.get("graduation_year_from"), spec.get("graduation_year_to")
    if (low is not None or high is not None) and not isinstance(year, int):
        return False
    if (low is not None and year < low) or (high is not None and year > high):
        return False
    if spec.get("faculty") and doc.get("faculty") not in spec["faculty"]:
        return False
    if spec.get("country") and doc.get("country") not in spec["country"]:
        return False
    if spec.get("language") and spec["language"] not in (doc.get("languages") or ()):
        return False
    return all(doc.get(flag) is spec[flag] for flag in FLAGS if spec.get(flag) is not None)
