"""shared.memberfilter: the filter language's schema, and its two evaluations agreeing.

Checked: the ``interest`` condition (one whole interest, any case or spacing) and the
``open_to_volunteer`` flag are validated like the other conditions; ``searchable_fields``
derives the ``interest_keys`` they are matched on; and, as a property, for any valid filter
:func:`to_mongo` run by the session's local store finds exactly the documents
:func:`matches` accepts, over a population with missing, null and oddly spelt fields.
"""
from __future__ import annotations

import random
import uuid

import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st
from marshmallow import ValidationError
from pymongo import MongoClient

from shared import memberfilter
from shared.memberfilter import MemberFilterSchema, matches, searchable_fields, to_mongo

INTERESTS = ["Research", "research", "  research ", "Sports  Medicine", "sports medicine", "кардиология",
             "Кардиология", "Ски", "волонтерство", "research methods"]
NAMES = [("Мария", "Иванова", "Maria", "Ivanova"), ("Георги", "Петров", None, None),
         ("Rahul", "Sharma", None, None), ("Анна", "Müller", "Anna", "Müller")]
CITIES = ["Пловдив", "Plovdiv", "София", "London"]
FACULTIES = list(memberfilter.FACULTIES)


# --------------------------------------------------------------------------- the schema

def test_an_interest_and_the_volunteer_flag_are_conditions():
    loaded = MemberFilterSchema().load({"interest": "  Sports   medicine ", "open_to_volunteer": True})
    assert loaded == {"interest": "Sports medicine", "open_to_volunteer": True}


@pytest.mark.parametrize("spec, field", [
    ({"interest": ""}, "interest"),
    ({"interest": "   "}, "interest"),
    ({"interest": "x" * (memberfilter.MAX_INTEREST + 1)}, "interest"),
    ({"interest": ["research"]}, "interest"),
    ({"open_to_volunteer": "maybe"}, "open_to_volunteer"),
])
def test_a_bad_interest_or_volunteer_flag_is_refused_by_name(spec, field):
    with pytest.raises(ValidationError) as refused:
        MemberFilterSchema().load(spec)
    assert set(refused.value.messages) == {field}


def test_interest_keys_are_the_interests_in_lower_case_with_single_spaces():
    fields = searchable_fields({"interests": ["Sports  Medicine", "sports medicine", " Кардиология ", "  "]})
    assert fields["interest_keys"] == ["sports medicine", "кардиология"]
    assert searchable_fields({"interests": None})["interest_keys"] == []
    assert set(memberfilter.DERIVED_FIELDS) == set(searchable_fields({}))


def test_an_interest_is_one_array_equality_never_an_and():
    assert to_mongo({"interest": "Research", "open_to_volunteer": False}) == {
        "interest_keys": "research", "open_to_volunteer": False}
    # With words, the words still lead (the embedded store drives the query by its first field).
    assert list(to_mongo({"q": "иванова", "interest": "research"})) == ["tokens", "interest_keys"]


def test_an_interest_matches_whole_in_any_case_or_spacing():
    member = {**searchable_fields({"interests": ["Sports medicine", "Research"]}), "open_to_volunteer": True}
    assert matches(member, {"interest": "sports  MEDICINE"})
    assert matches(member, {"interest": "research", "open_to_volunteer": True})
    assert not matches(member, {"interest": "sports"})  # a whole interest, not a word of one
    assert not matches(member, {"interest": "research", "open_to_volunteer": False})
    assert not matches({}, {"interest": "research"}) and not matches({}, {"open_to_volunteer": False})


# --------------------------------------------------------------------------- the property

def _profile(rnd: random.Random) -> dict:
    given, family, given_latin, family_latin = rnd.choice(NAMES)
    profile = {"given_name": given, "family_name": family, "given_name_latin": given_latin,
               "family_name_latin": family_latin,
               "graduation_year": rnd.choice([None, 1999, 2005, 2010, 2020]),
               "faculty": rnd.choice([None, *FACULTIES]), "country": rnd.choice([None, "BG", "DE"]),
               "city": rnd.choice([None, *CITIES]), "languages": rnd.sample(["bg", "en", "de"], rnd.randint(0, 2)),
               "employer": rnd.choice([None, "УМБАЛ Свети Георги", "NHS"]),
               "specialty": rnd.choice([None, "кардиология"]),
               "interests": rnd.choice([None, rnd.sample(INTERESTS, rnd.randint(0, 3))]),
               **{flag: rnd.choice([True, False, None]) for flag in memberfilter.FLAGS}}
    # Read models hold only what reached them: some fields are missing altogether.
    return {k: v for k, v in profile.items() if rnd.random() > 0.15 or k == "given_name"}


@pytest.fixture(scope="module")
def population(local_store):
    """~80 filtered documents in a collection of the local store, and the documents."""
    rnd = random.Random(20261205)
    docs = []
    for n in range(80):
        profile = _profile(rnd)
        docs.append({"_id": f"m{n}", **profile, **searchable_fields(profile)})
    client = MongoClient(local_store.url, tz_aware=True)
    collection = client[f"t{uuid.uuid4().hex[:10]}_memberfilter"].members
    collection.insert_many(docs)
    yield collection, docs
    client.drop_database(collection.database.name)
    client.close()


def filters():
    words = st.sampled_from(["иван", "ivanova", "maria", "петров", "sharma", "кардио", "research", "nhs", "müller"])
    conditions = {
        "q": st.lists(words, min_size=1, max_size=2).map(" ".join),
        "interest": st.sampled_from([*INTERESTS, "RESEARCH", " sports medicine", "хирургия", "research  methods"]),
        "graduation_year_from": st.sampled_from([1990, 2005, 2011]),
        "graduation_year_to": st.sampled_from([2005, 2030]),
        "faculty": st.lists(st.sampled_from(FACULTIES), min_size=1, max_size=2, unique=True),
        "country": st.lists(st.sampled_from(["BG", "DE", "GB"]), min_size=1, max_size=2, unique=True),
        "city": st.sampled_from(["plovdiv", "Пловдив", "SOFIA", "Варна"]),
        "language": st.sampled_from(["bg", "de", "fr"]),
        **{flag: st.booleans() for flag in memberfilter.FLAGS},
    }
    return st.fixed_dictionaries({}, optional=conditions)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(raw=filters())
def test_the_stores_answer_to_the_query_is_what_matches_accepts(population, raw):
    collection, docs = population
    try:
        spec = MemberFilterSchema().load(raw)
    except ValidationError as refused:  # only a year range upside down is refused here
        assert set(refused.messages) == {"graduation_year_to"}
        return
    found = {doc["_id"] for doc in collection.find(to_mongo(spec), {"_id": 1})}
    expected = {doc["_id"] for doc in docs if matches(doc, spec)}
    event("some found" if expected else "none found")
    assert found == expected, (spec, to_mongo(spec))


def test_the_population_gives_the_new_conditions_something_to_tell_apart(population):
    _, docs = population
    for spec in ({"interest": "research"}, {"open_to_volunteer": True}, {"open_to_volunteer": False}):
        hits = sum(matches(doc, spec) for doc in docs)
        assert 0 < hits < len(docs), spec
