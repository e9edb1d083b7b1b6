"""Property test of the directory's filter language, through the HTTP API.

A population of members with varied profiles and visibility is made through the API. For any
generated query string (valid values, invalid values, unknown parameters, in any mix) the
directory answers either a 422 problem naming a parameter that was invalid, or exactly the
page an independent oracle computes: the members who are listed, matched on the fields they
show to members only, in the requested order, showing nothing they hid. Never a 500.
"""
from __future__ import annotations

import random

import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from shared import translit
from tests.support import PROBLEM

DIRECTORY = "/api/v1/members/directory"
FACULTIES = ["medicine", "dental_medicine", "pharmacy", "public_health", "medical_college"]
NAMES = [("Мария", "Иванова", "Maria", "Ivanova"), ("Георги", "Петров", None, None),
         ("Щерю", "Жечев", "Shteryu", "Zhechev"), ("Анна", "Müller", "Anna", "Müller"),
         ("Rahul", "Sharma", None, None), ("Йордан", "Илиев", "Jordan", "Iliev"), ("Ива", "Иванова", None, None)]
CITIES = ["Пловдив", "Plovdiv", "София", "Sofia", "Стара Загора", "London", "Varna"]
EMPLOYERS = ["УМБАЛ Свети Георги", "Медицински университет Пловдив", "NHS", "Аджибадем Сити Клиник"]
INTERESTS = ["кардиология", "спорт", "research", "педиатрия", "surgery", "кардиохирургия", "Research",
             "Sports Medicine"]
SPECIALTIES = ["кардиология", "педиатрия", "обща медицина", None]
LEVELS = ["private", "members", "public"]
FILTERED = ["graduation_year", "faculty", "country", "city", "languages", "employer", "specialty", "interests",
            "open_to_mentoring", "open_to_ambassador", "open_to_volunteer", "international_graduate"]
FLAGS = ["open_to_mentoring", "open_to_ambassador", "open_to_volunteer", "international_graduate"]


def _profile(rnd: random.Random) -> dict:
    given, family, given_latin, family_latin = rnd.choice(NAMES)
    profile = {"given_name": given, "family_name": family, "given_name_latin": given_latin,
               "family_name_latin": family_latin,
               "graduation_year": rnd.choice([None, *range(1995, 2026, 3)]),
               "faculty": rnd.choice([None, *FACULTIES]), "country": rnd.choice([None, "BG", "GB", "DE"]),
               "city": rnd.choice([None, *CITIES]), "languages": rnd.sample(["bg", "en", "de", "fr"], rnd.randint(0, 3)),
               "employer": rnd.choice([None, *EMPLOYERS]), "specialty": rnd.choice(SPECIALTIES),
               "interests": rnd.sample(INTERESTS, rnd.randint(0, 3)),
               **{flag: rnd.random() < 0.5 for flag in FLAGS}}
    visibility = {field: rnd.choice(LEVELS) for field in rnd.sample(
        ["graduation_year", "faculty", "country", "city", "languages", "employer", "specialty", "interests",
         *FLAGS], 3)}
    return {**profile, "visibility": visibility, "in_directory": rnd.random() > 0.1}


@pytest.fixture
def population(client, people, admin_headers):
    """~36 members: 30 verified (some out of the directory) and 6 pending; the oracle's data.
    The office writes the profiles (a verified member cannot change their own year or faculty)."""
    rnd = random.Random(20261128)
    made = []
    for n in range(36):
        profile = _profile(rnd)
        member = people.verified() if n < 30 else people.sign_up()
        response = client.patch(f"/api/v1/members/{member['id']}", headers=admin_headers, json=profile)
        assert response.status_code == 200, response.get_json()
        made.append({**response.get_json(), "headers": member["headers"]})
    return made


# --------------------------------------------------------------------------- the oracle

def shown_to_members(member: dict) -> dict:
    visibility = member["visibility"]
    return {k: v for k, v in member.items()
            if k in FILTERED and visibility.get(k) in ("members", "public") and v is not None}


def _word_matches(word: str, member: dict, shown: dict) -> bool:
    names = [member.get(f) for f in ("given_name", "family_name", "given_name_latin", "family_name_latin")]
    name_words = [w for n in names for w in translit.words(n)]
    if any(w.startswith(word) for w in name_words):
        return True
    texts = [shown.get("employer"), shown.get("specialty"), *(shown.get("interests") or [])]
    text_words = [w for t in texts for w in translit.words(t)]
    return any(w == word or (len(word) >= 4 and w.startswith(word)) for w in text_words)


def _folded(interest: str) -> str:
    return " ".join(interest.lower().split())


def oracle_matches(member: dict, query: dict) -> bool:
    shown = shown_to_members(member)
    if not all(_word_matches(w, member, shown) for w in translit.query_tokens(query.get("q"))):
        return False
    year = shown.get("graduation_year")
    if "graduation_year_from" in query and (year is None or year < int(query["graduation_year_from"])):
        return False
    if "graduation_year_to" in query and (year is None or year > int(query["graduation_year_to"])):
        return False
    if "faculty" in query and shown.get("faculty") not in query["faculty"]:
        return False
    if "country" in query and shown.get("country") not in [c.upper() for c in query["country"]]:
        return False
    if "city" in query and translit.words(shown.get("city")) != translit.words(query["city"]):
        return False
    if "language" in query and query["language"] not in (shown.get("languages") or []):
        return False
    if "interest" in query and _folded(query["interest"]) not in {_folded(i) for i in shown.get("interests") or []}:
        return False
    return all(shown.get(flag) is (query[flag] in ("true", "1")) for flag in FLAGS if flag in query)


def oracle_order(members: list[dict], sort: str) -> list[dict]:
    def name(m: dict) -> tuple:
        return (translit.sort_key(m.get("family_name_latin") or m["family_name"],
                                  m.get("given_name_latin") or m["given_name"]), m["id"])

    if sort in ("name", "-name"):
        if sort == "name":
            return sorted(members, key=name)
        # Descending names, ids still ascending among equal names (sorts are stable).
        return sorted(sorted(members, key=lambda m: m["id"]), key=lambda m: name(m)[0], reverse=True)
    descending = sort.startswith("-")

    def year_key(m: dict) -> tuple:
        year = shown_to_members(m).get("graduation_year")
        if descending:
            return (year is None, -(year or 0), name(m))
        return (year is not None, year or 0, name(m))
    return sorted(members, key=year_key)


# --------------------------------------------------------------------------- generated queries

def _valid():
    words = st.sampled_from([w for n in NAMES for part in n if part for w in [part, part[:2], part[:3]]]
                            + ["кардио", "cardio", "умбал", "спорт", "res", "surgery", "педиатрия", "clinic"])
    return {
        "q": st.lists(words, min_size=1, max_size=2).map(" ".join),
        "graduation_year_from": st.integers(1990, 2030).map(str),
        "graduation_year_to": st.integers(1990, 2030).map(str),
        "faculty": st.lists(st.sampled_from(FACULTIES), min_size=1, max_size=2),
        "country": st.lists(st.sampled_from(["BG", "gb", "DE", "US"]), min_size=1, max_size=2),
        "city": st.sampled_from([*CITIES, "plovdiv", "STARA ZAGORA", "Бургас"]),
        "language": st.sampled_from(["bg", "en", "de", "fr", "it"]),
        "interest": st.sampled_from(["research", "RESEARCH", " Кардиология", "sports  medicine", "хирургия"]),
        **{flag: st.sampled_from(["true", "false", "1", "0"]) for flag in FLAGS},
        "sort": st.sampled_from(["name", "-name", "graduation_year", "-graduation_year"]),
        "page": st.sampled_from(["1", "2", "3", "600"]),
        "per_page": st.integers(1, 50).map(str),
    }


def _invalid():
    return {
        "q": st.sampled_from(["a", "!", "а", "x" * 201]),
        "graduation_year_from": st.sampled_from(["soon", "1800", "-1", "3000", "2_0x", "", " "]),
        "graduation_year_to": st.sampled_from(["2020.5", "", "MMXX"]),
        "faculty": st.lists(st.sampled_from(["surgery", "", "MEDICINE"]), min_size=1, max_size=2),
        "country": st.lists(st.sampled_from(["XX", "Bulgaria", "", "001"]), min_size=1, max_size=2),
        "city": st.sampled_from(["", "—", "  "]),
        "language": st.sampled_from(["english", "E", "b1", ""]),
        "interest": st.sampled_from(["", "   ", "x" * 61]),
        **{flag: st.sampled_from(["maybe", "2", "yes please"]) for flag in FLAGS},
        "sort": st.sampled_from(["relevance", "name,", "-"]),
        "page": st.sampled_from(["0", "-1", "one"]),
        "per_page": st.sampled_from(["0", "51", "1000", "x"]),
        "colour": st.just("red"),
    }


@st.composite
def queries(draw):
    valid, invalid = _valid(), _invalid()
    query, bad = {}, set()
    # Three in four queries are all valid: otherwise nearly every query has a bad part.
    mixed = draw(st.integers(0, 3)) == 0
    for key in sorted(set(valid) | set(invalid)):
        if not mixed:
            choices = ["absent", "absent", "valid"] if key in valid else ["absent"]
        else:
            choices = ["absent", "absent", "valid", "invalid"] if key in valid else ["absent"] * 3 + ["invalid"]
        choice = draw(st.sampled_from(choices))
        if choice == "valid":
            query[key] = draw(valid[key])
        elif choice == "invalid":
            query[key] = draw(invalid[key])
            bad.add(key)
    if {"graduation_year_from", "graduation_year_to"} <= set(query) - bad and \
            int(query["graduation_year_from"]) > int(query["graduation_year_to"]):
        bad.add("graduation_year_to")
    if not bad and (int(query.get("page", 1)) - 1) * int(query.get("per_page", 20)) >= 10_000:
        bad.add("page")
    return query, bad


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(generated=queries())
def test_any_filter_gives_the_oracles_page_or_a_problem_naming_a_bad_parameter(client, population, generated):
    query, bad = generated
    viewer = next(m for m in population if m["status"] == "verified")
    response = client.get(DIRECTORY, query_string=query, headers=viewer["headers"])
    assert response.status_code != 500
    event(f"answer {response.status_code}")
    if bad:
        assert response.status_code == 422, (query, response.get_json())
        assert response.mimetype == PROBLEM
        problem = response.get_json()
        named = set(problem.get("errors", {}))
        assert named & bad, (query, problem)
        return
    assert response.status_code == 200, (query, response.get_json())
    body = response.get_json()
    listed = [m for m in population if m["status"] == "verified" and m["in_directory"]]
    expected = oracle_order([m for m in listed if oracle_matches(m, query)], query.get("sort", "name"))
    page, per_page = int(query.get("page", 1)), int(query.get("per_page", 20))
    event("some found" if expected else "none found")
    assert body["total"] == len(expected)
    assert [i["id"] for i in body["items"]] == [m["id"] for m in expected[(page - 1) * per_page:page * per_page]]
    by_id = {m["id"]: m for m in population}
    for item in body["items"]:
        visible = set(shown_to_members(by_id[item["id"]])) | {"id", "given_name", "family_name",
                                                              "given_name_latin", "family_name_latin"}
        assert set(item) <= visible, item

