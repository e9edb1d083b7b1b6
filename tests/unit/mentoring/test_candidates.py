"""The candidates' equality finds (``store.candidates``) against an oracle: the old query shape
evaluated in Python over every offer (each group filtered the same way, ordered by free places
then id, capped), on seeded programmes with mixed capacities, full and paused offers, shared
keys, a mentee who is a mentor too and mentors already asked. The same candidates, group by
group, so ``rules.recommend`` gives the same recommendations."""
from __future__ import annotations

import random

import pytest

from services.members.mentoring import rules
from services.members.mentoring import store as mentoring_store
from tests.unit.mentoring.conftest import NOW

SPECIALTIES = ["Кардиология", "Хирургия", "Педиатрия", "Неврология", "Дерматология"]
LANGUAGES = ["bg", "en", "de", "ru"]
TOPICS = ["specialty_choice", "research", "working_abroad", "residency"]


def seeded_offers(seed: int, count: int = 90) -> list[dict]:
    pick = random.Random(seed)
    offers = []
    for n in range(count):
        capacity = pick.randint(rules.MIN_CAPACITY, rules.MAX_CAPACITY)
        held = pick.randint(0, capacity + 1)   # one more than capacity: a lowered capacity, free < 0
        active = pick.randint(0, held)
        offer = {"_id": f"{pick.getrandbits(64):016x}{n:04d}", "topics": pick.sample(TOPICS, pick.randint(1, 3)),
                 "specialties": pick.sample(SPECIALTIES, pick.randint(1, 2)),
                 "languages": pick.sample(LANGUAGES, pick.randint(1, 2)), "formats": ["online"], "city": "Пловдив",
                 "capacity": capacity, "paused": pick.random() < 0.2, "graduation_year": pick.randint(1990, 2020),
                 "active": active, "pending": held - active, "free": capacity - held,
                 "stats": {"accepted": pick.randint(0, 5), "declined": pick.randint(0, 3), "expired": pick.randint(0, 2)},
                 "replies": [pick.uniform(1, 72) for _ in range(pick.randint(0, 4))]}
        offer["specialty_keys"] = rules.specialty_keys(offer)
        offers.append(offer)
    return offers


def oracle(offers: list[dict], query: rules.CandidateQuery) -> list[list[str]]:
    """The old finds: ``{paused: false, free: {$gt: 0}, _id: {$nin: exclude}, field: {$in: values}}``
    sorted by ``(-free, _id)`` and limited, one per group."""
    groups = []
    for name, values, cap in query.groups():
        matching = [o for o in offers if not o["paused"] and o["free"] > 0 and o["_id"] not in query.exclude
                    and (name is None or set(o[name]) & set(values))]
        groups.append([o["_id"] for o in sorted(matching, key=lambda o: (-o["free"], o["_id"]))[:cap]])
    return groups


@pytest.mark.parametrize("seed", range(6))
@pytest.mark.parametrize("caps", [(7, 5), (rules.PER_QUERY, rules.BY_CAPACITY)])
def test_the_equality_finds_give_the_old_candidates_and_recommendations(db, seed, caps):
    offers = seeded_offers(seed)
    db[mentoring_store.OFFERS].insert_many([dict(o) for o in offers])
    pick = random.Random(1000 + seed)
    mentee_offer = pick.choice(offers)   # the mentee is a mentor too: never their own candidate
    asked = {o["_id"] for o in pick.sample(offers, 6)}
    mentee = {"id": mentee_offer["_id"], "specialties": pick.sample(SPECIALTIES, 2),
              "languages": pick.sample(LANGUAGES, 2), "topics": ["research"], "graduation_year": 2024}
    wide = rules.candidate_query(mentee, asked)
    query = rules.CandidateQuery(wide.specialty_keys, wide.languages, *caps, exclude=wide.exclude)

    found = mentoring_store.candidates(db, query)

    expected = oracle(offers, query)
    # Group after group (specialty, language, everyone), each in the old order.
    assert [m["id"] for m in found] == [i for group in expected for i in group]
    assert all(expected)
    everyone = {o["_id"]: mentoring_store.as_mentor(o) for o in offers}
    from_oracle = [everyone[i] for group in expected for i in group]
    assert rules.recommend(mentee, found, NOW, already_asked=asked, limit=10) == \
        rules.recommend(mentee, from_oracle, NOW, already_asked=asked, limit=10)
