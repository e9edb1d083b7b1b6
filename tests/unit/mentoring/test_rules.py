"""The mentoring rules, without I/O: the offer and request schemas, who may mentor and be
mentored (the N-year boundary), the score (hypothesis: a shared language never lowers it; a
full, paused or already asked mentor is never recommended; the ranking does not depend on the
order of the candidates), the candidate query, every transition of the request cascade (expiry
by the clock, the exhausted end), meetings, feedback, stalled pairs and the office's figures."""
from __future__ import annotations

import random
from datetime import date, datetime, timedelta, timezone

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from marshmallow import ValidationError

from services.members.mentoring import rules

NOW = datetime(2026, 12, 5, 10, 0, tzinfo=timezone.utc)
MENTEE, A, B, C = ("e" * 32, "a" * 32, "b" * 32, "c" * 32)


def mid(n: int) -> str:
    return f"{n:032x}"


def errors_of(schema, document: dict, **kwargs) -> dict:
    with pytest.raises(ValidationError) as caught:
        schema.load(document, **kwargs)
    return caught.value.messages


def mentor(mentor_id: str, **extra) -> dict:
    """A candidate as the store hands it to the score: the offer with counts and stats."""
    return {"id": mentor_id, "topics": ["specialty_choice"], "specialties": ["Кардиология"],
            "languages": ["bg"], "formats": ["online"], "city": None, "capacity": 2, "paused": False,
            "active": 0, "pending": 0, "graduation_year": 2010, "stats": {}, **extra}


def seeker(**extra) -> dict:
    return {"id": MENTEE, "topics": ["specialty_choice"], "specialties": ["кардиология"],
            "languages": ["bg"], "city": "Пловдив", **extra}


# --- the offer and the request ----------------------------------------------------------------

def test_an_offer_loads_with_its_defaults_and_normalised_lists():
    offer = rules.MentorOfferSchema().load({"topics": ["research", "working_abroad"],
                                            "specialties": ["Кардиология ", "кардиология", "Хирургия"],
                                            "languages": ["bg", "en"], "formats": ["online"]})
    assert offer["capacity"] == rules.DEFAULT_CAPACITY == 2
    assert offer["paused"] is False
    assert offer["specialties"] == ["Кардиология", "Хирургия"]


@pytest.mark.parametrize("changes, field", [
    ({"topics": ["astrology"]}, "topics"),
    ({"topics": []}, "topics"),
    ({"topics": ["research", "research"]}, "topics"),
    ({"languages": ["bul"]}, "languages"),
    ({"languages": []}, "languages"),
    ({"formats": ["by_post"]}, "formats"),
    ({"capacity": 0}, "capacity"),
    ({"capacity": 11}, "capacity"),
    ({"capacity": "3"}, "capacity"),
    ({"formats": ["in_person"]}, "city"),
    ({"formats": ["online", "in_person"], "city": "  "}, "city"),
])
def test_an_offer_refuses_each_bad_field_by_name(changes, field):
    offer = {"topics": ["research"], "languages": ["bg"], "formats": ["online"], **changes}
    assert field in errors_of(rules.MentorOfferSchema(), offer)


def test_in_person_with_a_city_loads_and_capacity_bounds_are_inclusive():
    for capacity in (1, 10):
        loaded = rules.MentorOfferSchema().load({"topics": ["research"], "languages": ["bg"],
                                                 "formats": ["in_person"], "city": " Пловдив ", "capacity": capacity})
        assert loaded["city"] == "Пловдив" and loaded["capacity"] == capacity


def test_a_partial_update_without_the_city_is_checked_against_the_stored_offer():
    change = rules.MentorOfferSchema().load({"formats": ["in_person"]}, partial=True)
    assert rules.offer_errors({"formats": ["online"], "city": None} | change) == {
        "city": ["In-person meetings need a city."]}
    assert rules.offer_errors({"formats": ["online"], "city": "Варна"} | change) == {}


def test_a_request_names_one_to_three_distinct_mentors_and_a_short_message():
    schema = rules.MentorshipRequestSchema()
    assert schema.load({"mentors": [A, B, C], "message": "Здравейте!\nБих искал съвет."})["mentors"] == [A, B, C]
    assert "mentors" in errors_of(schema, {"mentors": [A, B, C, mid(9)], "message": "hi"})
    assert "mentors" in errors_of(schema, {"mentors": [A, A], "message": "hi"})
    assert "mentors" in errors_of(schema, {"mentors": [], "message": "hi"})
    assert "mentors" in errors_of(schema, {"mentors": ["not-an-id"], "message": "hi"})
    assert "message" in errors_of(schema, {"mentors": [A], "message": "x" * 1001})
    assert "message" in errors_of(schema, {"mentors": [A], "message": "  "})
    assert schema.load({"mentors": [A], "message": "x" * 1000})["message"] == "x" * 1000


def test_a_mentee_may_not_ask_themself_or_a_mentor_already_asked():
    request = {"mentors": [A, B], "message": "hi"}
    assert rules.request_errors(request, MENTEE) == {}
    assert rules.request_errors({"mentors": [A, MENTEE], "message": "hi"}, MENTEE) == {
        "mentors": {1: ["You cannot be your own mentor."]}}
    assert rules.request_errors(request, MENTEE, already_asked={B, C}) == {
        "mentors": {1: ["You have already asked this mentor."]}}


def test_the_seeker_takes_wishes_first_and_fills_the_rest_from_the_profile():
    member = {"_id": MENTEE, "specialty": "Хирургия", "languages": ["bg", "en"], "city": "Пловдив"}
    wishes = rules.WishesSchema().load({"topics": ["research"], "specialties": ["Кардиология"]})
    assert rules.seeker(member, wishes) == {"id": MENTEE, "topics": ["research"],
                                            "specialties": ["Кардиология", "Хирургия"],
                                            "languages": ["bg", "en"], "city": "Пловдив"}
    assert rules.seeker(member, {"languages": ["de"], "city": None})["languages"] == ["de"]


# --- who may take part ------------------------------------------------------------------------

def member(**extra) -> dict:
    return {"status": "verified", "roles": ["alumnus"], "open_to_mentoring": True, "graduation_year": 2000, **extra}


def test_a_verified_alumnus_who_opted_in_may_mentor():
    assert rules.mentor_refusal(member()) is None


@pytest.mark.parametrize("changes, reason", [
    ({"status": "pending_verification"}, rules.NOT_VERIFIED),
    ({"status": "erased"}, rules.NOT_VERIFIED),
    ({"roles": ["student"]}, rules.NOT_ALUMNUS),
    ({"roles": ["alumnus", "student"]}, rules.NOT_ALUMNUS),
    ({"roles": ["admin"]}, rules.NOT_ALUMNUS),
    ({"open_to_mentoring": False}, rules.NOT_OPTED_IN),
    ({"open_to_mentoring": None}, rules.NOT_OPTED_IN),
])
def test_who_may_not_mentor_and_why(changes, reason):
    assert rules.mentor_refusal(member(**changes)) == reason


def test_making_an_offer_is_the_opt_in():
    assert rules.mentor_refusal(member(open_to_mentoring=False), opting_in=True) is None
    assert rules.mentor_refusal(member(roles=["student"]), opting_in=True) == rules.NOT_ALUMNUS


def test_a_verified_student_may_be_mentored_whatever_the_year():
    assert rules.mentee_refusal(member(roles=["student"], graduation_year=2029), NOW) is None
    assert rules.mentee_refusal(member(roles=["student"], graduation_year=None), NOW) is None
    assert rules.mentee_refusal(member(roles=["student"], status="pending_verification"), NOW) == rules.NOT_VERIFIED


@pytest.mark.parametrize("year, allowed", [(2026, True), (2024, True), (2023, True), (2022, False), (2027, False)])
def test_graduates_of_the_last_three_years_may_be_mentored(year, allowed):
    refusal = rules.mentee_refusal(member(graduation_year=year), NOW)
    assert (refusal is None) is allowed
    if not allowed:
        assert refusal == rules.NOT_STUDENT_OR_RECENT


def test_the_graduate_window_follows_n_and_the_university_calendar():
    assert rules.mentee_refusal(member(graduation_year=2021), NOW, recent_years=5) is None
    assert rules.mentee_refusal(member(graduation_year=2026), NOW, recent_years=0) is None
    assert rules.mentee_refusal(member(graduation_year=2025), NOW, recent_years=0) == rules.NOT_STUDENT_OR_RECENT
    # 22:30 UTC on 31 December is already the new year in Sofia: the 2023 class is out.
    new_year_in_sofia = datetime(2026, 12, 31, 22, 30, tzinfo=timezone.utc)
    assert rules.mentee_refusal(member(graduation_year=2023), new_year_in_sofia) == rules.NOT_STUDENT_OR_RECENT
    assert rules.mentee_refusal(member(graduation_year=2023), new_year_in_sofia - timedelta(hours=1)) is None
    assert rules.mentee_refusal(member(graduation_year=None), NOW) == rules.NO_GRADUATION_YEAR


# --- capacity and the score -------------------------------------------------------------------

def test_free_places_count_active_mentorships_and_pending_asks():
    offer = {"capacity": 3}
    assert rules.free_places(offer, active=1, pending=1) == 1
    assert rules.free_places(offer, active=2, pending=1) == 0
    assert rules.free_places({"capacity": 1}, active=2, pending=0) == 0   # capacity lowered below use
    assert rules.is_offered(offer, 1, 1) and not rules.is_offered(offer, 2, 1)
    assert not rules.is_offered({"capacity": 3, "paused": True}, 0, 0)


def test_the_score_explains_each_factor_with_its_weight_and_value():
    candidate = mentor(A, topics=["specialty_choice", "research"], languages=["bg", "en"], active=1,
                       graduation_year=2021, stats={"accepted": 3, "declined": 1, "expired": 0,
                                                    "median_reply_hours": 18.0})
    result = rules.score(seeker(topics=["specialty_choice", "working_abroad"]), candidate, NOW)
    by_name = {f.name: f for f in result.factors}
    assert [f.name for f in result.factors] == list(rules.FACTORS)
    assert {n: f.value for n, f in by_name.items()} == {
        "shared_specialty": 1.0, "topics": 0.5, "common_language": 1.0, "place": 1.0, "free_capacity": 0.5,
        "reply_time": 0.75, "acceptance": 4 / 6, "experience": 0.5}
    assert by_name["shared_specialty"].weight == rules.DEFAULT_WEIGHTS["shared_specialty"]
    assert result.total == pytest.approx(sum(rules.DEFAULT_WEIGHTS[n] * f.value for n, f in by_name.items()))
    shown = result.as_dict()
    assert shown["mentor_id"] == A and shown["factors"][0] == {"name": "shared_specialty", "weight": 3.0,
                                                               "value": 1.0, "points": 3.0}


def test_place_is_online_or_the_same_city_in_person():
    in_plovdiv = mentor(A, formats=["in_person"], city=" пловдив")
    in_varna = mentor(B, formats=["in_person"], city="Варна")
    place = {m["id"]: next(f.value for f in rules.score(seeker(), m, NOW).factors if f.name == "place")
             for m in (in_plovdiv, in_varna, mentor(C))}
    assert place == {A: 1.0, B: 0.0, C: 1.0}


def test_a_new_mentor_is_neither_fast_nor_slow_nor_choosy():
    values = {f.name: f.value for f in rules.score(seeker(), mentor(A), NOW).factors}
    assert values["reply_time"] == 0.5 and values["acceptance"] == 0.5


def test_weights_come_from_configuration_and_refuse_unknown_or_negative_ones():
    assert rules.weights({"topics": 5})["topics"] == 5.0
    assert rules.parse_weights("shared_specialty=4, experience=0")["experience"] == 0.0
    assert rules.parse_weights("") == rules.DEFAULT_WEIGHTS
    for bad in ({"charm": 1}, {"topics": -1}, {"topics": float("inf")}, {"topics": True}):
        with pytest.raises(ValueError):
            rules.weights(bad)
    with pytest.raises(ValueError, match="topics"):
        rules.parse_weights("topics=lots")
    with pytest.raises(ValueError, match="topics"):
        rules.parse_weights("topics")


def test_weights_change_the_ranking():
    linguist = mentor(A, specialties=[], languages=["bg"])
    colleague = mentor(B, specialties=["кардиология"], languages=["de"])
    assert [s.mentor_id for s in rules.recommend(seeker(), [linguist, colleague], NOW)] == [B, A]
    heavy_language = rules.weights({"common_language": 10})
    assert [s.mentor_id for s in rules.recommend(seeker(), [linguist, colleague], NOW, heavy_language)] == [A, B]


LANGS = st.sampled_from(["bg", "en", "de", "fr", "ru", "el"])
candidates = st.builds(
    lambda n, topics, specialties, languages, formats, city, capacity, paused, active, pending, year, stats: mentor(
        mid(n), topics=topics, specialties=specialties, languages=languages, formats=formats, city=city,
        capacity=capacity, paused=paused, active=active, pending=pending, graduation_year=year, stats=stats),
    st.integers(1, 40),
    st.lists(st.sampled_from(list(rules.TOPICS)), max_size=3, unique=True),
    st.lists(st.sampled_from(["кардиология", "Хирургия", "педиатрия"]), max_size=2),
    st.lists(LANGS, min_size=1, max_size=3, unique=True),
    st.sampled_from([["online"], ["in_person"], ["online", "in_person"]]),
    st.sampled_from([None, "Пловдив", "София"]),
    st.integers(1, 10), st.booleans(), st.integers(0, 10), st.integers(0, 3),
    st.one_of(st.none(), st.integers(1960, 2030)),
    st.fixed_dictionaries({"accepted": st.integers(0, 20), "declined": st.integers(0, 20),
                           "expired": st.integers(0, 20),
                           "median_reply_hours": st.one_of(st.none(), st.floats(0, 200))}),
)
seekers = st.builds(lambda topics, specialties, languages, city: seeker(
    topics=topics, specialties=specialties, languages=languages, city=city),
    st.lists(st.sampled_from(list(rules.TOPICS)), max_size=3, unique=True),
    st.lists(st.sampled_from(["кардиология", "хирургия"]), max_size=2),
    st.lists(LANGS, max_size=2, unique=True), st.sampled_from([None, "Пловдив"]))
weight_sets = st.fixed_dictionaries({name: st.floats(0, 10) for name in rules.FACTORS})


@settings(max_examples=300)
@given(seekers, candidates, weight_sets, st.data())
def test_adding_a_shared_language_never_lowers_a_mentors_score(mentee, candidate, weights, data):
    assume_language = data.draw(LANGS)
    mentee = mentee | {"languages": sorted({*mentee["languages"], assume_language})}
    more = candidate | {"languages": sorted({*candidate["languages"], assume_language})}
    before = rules.score(mentee, candidate, NOW, weights)
    after = rules.score(mentee, more, NOW, weights)
    assert after.total >= before.total
    assert {f.name: f.value for f in after.factors}["common_language"] == 1.0


@settings(max_examples=300)
@given(seekers, st.lists(candidates, max_size=25), weight_sets, st.sets(st.integers(1, 40).map(mid)),
       st.integers(0, 30))
def test_paused_full_asked_mentors_and_the_mentee_are_never_recommended(mentee, pool, weights, asked, limit):
    pool = pool + [mentor(MENTEE)]
    shown = rules.recommend(mentee, pool, NOW, weights, already_asked=asked, limit=limit)
    by_id = {m["id"]: m for m in reversed(pool)}   # recommend keeps a duplicate's first listing
    ids = [s.mentor_id for s in shown]
    assert len(ids) == len(set(ids)) <= limit
    for mentor_id in ids:
        offer = by_id[mentor_id]
        assert not offer["paused"] and offer["active"] + offer["pending"] < offer["capacity"]
        assert mentor_id not in asked and mentor_id != MENTEE
    eligible = {i for i, m in by_id.items() if i not in asked and i != MENTEE
                and rules.is_offered(m, m["active"], m["pending"])}
    assert len(ids) == min(limit, len(eligible))


@settings(max_examples=200)
@given(seekers, st.lists(candidates, max_size=25, unique_by=lambda m: m["id"]), weight_sets, st.randoms())
def test_the_ranking_does_not_depend_on_the_order_of_the_candidates(mentee, pool, weights, rnd):
    pool = pool + [m | {"id": mid(int(m["id"], 16) + 100)} for m in pool]   # twins: equal scores
    shuffled = list(pool)
    rnd.shuffle(shuffled)
    first = rules.recommend(mentee, pool, NOW, weights, limit=50)
    second = rules.recommend(mentee, shuffled, NOW, weights, limit=50)
    assert first == second
    assert [(-s.total, s.mentor_id) for s in first] == sorted((-s.total, s.mentor_id) for s in first)


def test_equal_scores_are_ranked_by_mentor_id():
    twins = [mentor(C), mentor(A), mentor(B)]
    random.Random(7).shuffle(twins)
    assert [s.mentor_id for s in rules.recommend(seeker(), twins, NOW)] == [A, B, C]


def test_the_candidate_query_is_bounded_and_indexed_by_specialty_and_language():
    query = rules.candidate_query(seeker(specialties=["Кардиология", " кардиология ", "Хирургия"],
                                         languages=["en", "bg", "en"]), already_asked=[B])
    assert query.specialty_keys == ("кардиология", "хирургия")
    assert query.languages == ("bg", "en")
    assert query.exclude == tuple(sorted([MENTEE, B]))
    # Per specialty key or language, its group's cap plus the two excluded at each number of
    # free places; one find per value and number of free places at most.
    excluded = 2 * rules.MAX_CAPACITY
    assert query.most_documents == 4 * (rules.PER_QUERY + excluded) + rules.BY_CAPACITY + excluded
    assert query.most_commands == 5 * rules.MAX_CAPACITY
    many = rules.candidate_query(seeker(specialties=[f"s{i}" for i in range(50)], languages=[]))
    assert len(many.specialty_keys) == rules.MAX_QUERY_VALUES and many.languages == ()
    assert many.most_documents == rules.MAX_QUERY_VALUES * (rules.PER_QUERY + rules.MAX_CAPACITY) \
        + rules.BY_CAPACITY + rules.MAX_CAPACITY
    assert rules.specialty_keys({"specialties": ["Обща  Медицина", "обща медицина"]}) == ["обща медицина"]


# --- the request cascade ----------------------------------------------------------------------

def started(choices=(A, B, C), unavailable=()) -> rules.Transition:
    return rules.start("r" * 32, MENTEE, list(choices), "Здравейте", NOW, unavailable=unavailable)


def test_a_new_request_asks_only_the_first_choice_until_the_deadline():
    made = started()
    request = made.document
    assert request["state"] == rules.PENDING and rules.asked_mentor(request) == A
    assert request["deadline"] == NOW + timedelta(days=3)
    (event,) = made.events
    assert event.type == "members.mentorship.requested" and event.notify == (A,)
    assert event.data == {"request_id": "r" * 32, "mentee_id": MENTEE, "mentor_id": A, "choice": 1, "of": 3,
                          "message": "Здравейте", "deadline": NOW + timedelta(days=3)}
    assert rules.outcome_for(request, A) == rules.PENDING and rules.outcome_for(request, B) is None


def test_the_deadline_is_configurable():
    request = rules.start("r" * 32, MENTEE, [A], "hi", NOW, deadline=timedelta(hours=12)).document
    assert request["deadline"] == NOW + timedelta(hours=12)


def test_a_request_refuses_repeated_mentors_more_than_three_or_the_mentee():
    for choices in ([A, A], [A, B, C, mid(9)], [], [MENTEE]):
        with pytest.raises(ValueError):
            rules.start("r" * 32, MENTEE, choices, "hi", NOW)


def test_an_unavailable_choice_is_skipped_and_none_available_is_exhausted_at_once():
    request = started(unavailable={A}).document
    assert rules.asked_mentor(request) == B and rules.outcome_for(request, A) == rules.SKIPPED
    nothing = started(choices=(A, B), unavailable={A, B})
    assert nothing.document["state"] == rules.EXHAUSTED and nothing.events == ()


def test_accepting_before_the_deadline_starts_a_mentorship():
    request = started().document
    done = rules.accept(request, A, NOW + timedelta(days=2, hours=23), mentorship_id="m" * 32)
    assert done.document["state"] == rules.ACCEPTED and done.document["mentorship_id"] == "m" * 32
    assert rules.asked_mentor(done.document) is None and done.document["deadline"] is None
    (event,) = done.events
    assert event.type == "members.mentorship.accepted" and event.notify == (MENTEE,)
    assert event.data == {"request_id": "r" * 32, "mentee_id": MENTEE, "mentor_id": A, "choice": 1,
                          "mentorship_id": "m" * 32}
    assert request["state"] == rules.PENDING and request["answers"] == []   # the input is not changed


def test_a_decline_tells_the_mentee_and_asks_the_next_choice():
    later = NOW + timedelta(hours=5)
    moved = rules.decline(started().document, A, later)
    assert rules.asked_mentor(moved.document) == B and moved.document["deadline"] == later + timedelta(days=3)
    declined, requested = moved.events
    assert declined.type == "members.mentorship.declined" and declined.notify == (MENTEE,)
    assert declined.data | {} == {"request_id": "r" * 32, "mentee_id": MENTEE, "mentor_id": A, "choice": 1,
                                  "next_mentor_id": B, "exhausted": False}
    assert requested.type == rules.REQUESTED_EVENT and requested.notify == (B,) and requested.data["choice"] == 2
    assert rules.outcome_for(moved.document, A) == rules.DECLINED


def test_the_request_expires_only_by_the_clock_and_then_asks_the_next_choice():
    request = started().document
    assert not rules.is_due(request, NOW + timedelta(days=3) - timedelta(seconds=1))
    with pytest.raises(rules.Refused) as early:
        rules.expire(request, NOW + timedelta(days=2))
    assert early.value.reason == rules.NOT_DUE
    due = NOW + timedelta(days=3)
    assert rules.is_due(request, due)
    moved = rules.expire(request, due)
    expired, requested = moved.events
    assert expired.type == "members.mentorship.expired" and expired.notify == (MENTEE, A)
    assert expired.data["next_mentor_id"] == B and requested.notify == (B,)
    assert rules.outcome_for(moved.document, A) == rules.EXPIRED


def test_a_mentor_who_answers_after_the_deadline_is_told_it_expired():
    request = started().document
    with pytest.raises(rules.Refused) as late:
        rules.accept(request, A, NOW + timedelta(days=3), mentorship_id="m" * 32)
    assert (late.value.reason, late.value.outcome) == (rules.PAST_DEADLINE, rules.EXPIRED)
    with pytest.raises(rules.Refused):
        rules.decline(request, A, NOW + timedelta(days=4))


def test_the_last_choice_declining_exhausts_the_request_and_tells_the_mentee():
    request = started(choices=(A, B)).document
    request = rules.decline(request, A, NOW).document
    done = rules.expire(request, NOW + timedelta(days=3))
    assert done.document["state"] == rules.EXHAUSTED and done.document["ended_at"] == NOW + timedelta(days=3)
    (expired,) = done.events
    assert expired.data["exhausted"] is True and expired.data["next_mentor_id"] is None
    assert MENTEE in expired.notify
    assert [a["outcome"] for a in done.document["answers"]] == [rules.DECLINED, rules.EXPIRED]


def test_a_next_choice_that_became_unavailable_is_skipped():
    moved = rules.decline(started().document, A, NOW, unavailable={B})
    assert rules.asked_mentor(moved.document) == C
    assert moved.events[0].data["next_mentor_id"] == C
    assert [a["outcome"] for a in moved.document["answers"]] == [rules.DECLINED, rules.SKIPPED]
    ended = rules.decline(started().document, A, NOW, unavailable={B, C})
    assert ended.document["state"] == rules.EXHAUSTED and ended.events[0].data["exhausted"] is True


def test_the_whole_cascade_expiry_decline_accept():
    request = started().document
    request = rules.expire(request, NOW + timedelta(days=3)).document
    request = rules.decline(request, B, NOW + timedelta(days=4)).document
    done = rules.accept(request, C, NOW + timedelta(days=5), mentorship_id="m" * 32).document
    assert [(a["mentor_id"], a["choice"], a["outcome"]) for a in done["answers"]] == [
        (A, 1, rules.EXPIRED), (B, 2, rules.DECLINED), (C, 3, rules.ACCEPTED)]
    assert done["answers"][1]["asked_at"] == NOW + timedelta(days=3)


def test_only_the_asked_mentor_may_answer_and_a_second_click_says_what_was_decided():
    request = started().document
    for act in (lambda r, who: rules.accept(r, who, NOW, "m" * 32), lambda r, who: rules.decline(r, who, NOW)):
        with pytest.raises(rules.Refused) as stranger:
            act(request, MENTEE)   # a mentee cannot answer for the mentor
        assert stranger.value.reason == rules.NOT_ASKED
        with pytest.raises(rules.Refused) as not_yet:
            act(request, B)
        assert not_yet.value.reason == rules.NOT_ASKED
    accepted = rules.accept(request, A, NOW, "m" * 32).document
    with pytest.raises(rules.Refused) as again:
        rules.decline(accepted, A, NOW)
    assert (again.value.reason, again.value.state, again.value.outcome) == (
        rules.NOT_PENDING, rules.ACCEPTED, rules.ACCEPTED)
    declined = rules.decline(request, A, NOW).document
    with pytest.raises(rules.Refused) as twice:
        rules.accept(declined, A, NOW, "m" * 32)
    assert (twice.value.reason, twice.value.outcome) == (rules.NOT_PENDING, rules.DECLINED)


def test_the_mentee_may_withdraw_a_waiting_request_and_nothing_after():
    request = started().document
    with pytest.raises(rules.Refused) as other:
        rules.withdraw(request, A, NOW)
    assert other.value.reason == rules.NOT_MENTEE
    gone = rules.withdraw(request, MENTEE, NOW)
    assert gone.document["state"] == rules.WITHDRAWN and gone.events == ()
    assert rules.outcome_for(gone.document, A) == rules.WITHDRAWN
    for act in (lambda r: rules.withdraw(r, MENTEE, NOW), lambda r: rules.expire(r, NOW + timedelta(days=9)),
                lambda r: rules.accept(r, A, NOW, "m" * 32)):
        with pytest.raises(rules.Refused) as refused:
            act(gone.document)
        assert refused.value.reason == rules.NOT_PENDING


@pytest.mark.parametrize("final", [rules.ACCEPTED, rules.EXHAUSTED, rules.WITHDRAWN])
def test_no_transition_leaves_an_ended_request(final):
    request = started(choices=(A,)).document
    ended = {rules.ACCEPTED: lambda: rules.accept(request, A, NOW, "m" * 32),
             rules.EXHAUSTED: lambda: rules.decline(request, A, NOW),
             rules.WITHDRAWN: lambda: rules.withdraw(request, MENTEE, NOW)}[final]().document
    assert ended["state"] == final and not rules.is_due(ended, NOW + timedelta(days=30))
    for act in (lambda: rules.accept(ended, A, NOW, "m" * 32), lambda: rules.decline(ended, A, NOW),
                lambda: rules.expire(ended, NOW + timedelta(days=30)), lambda: rules.withdraw(ended, MENTEE, NOW)):
        with pytest.raises(rules.Refused):
            act()


def act(request: dict, step: tuple, now: datetime) -> rules.Transition:
    action, who, unavailable = step
    if action == "accept":
        return rules.accept(request, who, now, "m" * 32)
    if action == "decline":
        return rules.decline(request, who, now, unavailable=unavailable)
    if action == "expire":
        return rules.expire(request, now, unavailable=unavailable)
    return rules.withdraw(request, who, now)


steps = st.lists(st.tuples(
    st.tuples(st.sampled_from(["accept", "decline", "expire", "withdraw"]), st.sampled_from([MENTEE, A, B, C]),
              st.frozensets(st.sampled_from([A, B, C]))),
    st.sampled_from([0, 1, 24, 48, 71, 72, 73])), max_size=12)   # hours: the deadline exactly, often


@settings(max_examples=400)
@given(st.permutations([A, B, C]).flatmap(lambda p: st.integers(1, 3).map(lambda n: p[:n])),
       st.frozensets(st.sampled_from([A, B, C])), steps)
def test_any_sequence_of_answers_and_clock_keeps_the_cascade_consistent(choices, unavailable, sequence):
    made = started(choices, unavailable)
    request, events, now = made.document, list(made.events), NOW
    for step, hours in sequence:
        now += timedelta(hours=hours)
        before = repr(request)
        try:
            moved = act(request, step, now)
        except rules.Refused:
            assert repr(request) == before   # a refusal changes nothing
            continue
        assert request["state"] == rules.PENDING   # only a waiting request moves
        request, events = moved.document, events + list(moved.events)
        answers = request["answers"]
        assert [a["mentor_id"] for a in answers] == list(choices[:len(answers)])   # in order, once each
        assert all(a["outcome"] in (rules.DECLINED, rules.EXPIRED, rules.SKIPPED) for a in answers[:-1])
        state = request["state"]
        assert (state == rules.PENDING) == (rules.asked_mentor(request) is not None)
        if state == rules.PENDING:
            assert len(answers) == request["index"] and request["deadline"] == now + rules.DEFAULT_DEADLINE
        elif state in (rules.ACCEPTED, rules.WITHDRAWN):
            assert len(answers) == request["index"] + 1 and answers[-1]["outcome"] == state
        else:
            assert state == rules.EXHAUSTED and len(answers) == len(choices)
        accepted = [a for a in answers if a["outcome"] == rules.ACCEPTED]
        assert all(a["at"] < a["asked_at"] + rules.DEFAULT_DEADLINE for a in accepted)
        assert all(a["at"] >= a["asked_at"] + rules.DEFAULT_DEADLINE for a in answers if a["outcome"] == rules.EXPIRED)
    asks = sum(a["outcome"] != rules.SKIPPED for a in request["answers"]) + (request["state"] == rules.PENDING)
    assert [e.type for e in events].count(rules.REQUESTED_EVENT) == asks


# --- the mentorship -------------------------------------------------------------------------

def pair(**extra) -> dict:
    return {"_id": "m" * 32, "request_id": "r" * 32, "mentor_id": A, "mentee_id": MENTEE, "state": rules.ACTIVE,
            "started_at": NOW - timedelta(days=100), "ended_at": None, "meetings": 0, "last_meeting_on": None,
            "feedback": {}, **extra}


def test_a_meeting_loads_with_its_bounds():
    schema = rules.MeetingSchema()
    loaded = schema.load({"on": "2026-12-01", "minutes": 45, "topic": "Избор на специалност"})
    assert loaded["on"] == date(2026, 12, 1) and loaded["notes"] is None
    for minutes in (5, 600):
        assert schema.load({"on": "2026-12-01", "minutes": minutes, "topic": "t"})["minutes"] == minutes
    for bad, name in (({"minutes": 4}, "minutes"), ({"minutes": 601}, "minutes"), ({"minutes": 30.5}, "minutes"),
                      ({"topic": ""}, "topic"), ({"topic": "x" * 201}, "topic"), ({"on": "01.12.2026"}, "on"),
                      ({"notes": "x" * 5001}, "notes"), ({"notes": "a\x00b"}, "notes")):
        assert name in errors_of(schema, {"on": "2026-12-01", "minutes": 30, "topic": "t"} | bad)


def test_a_meeting_is_not_in_the_future_nor_before_the_mentorship():
    mentorship = pair(started_at=datetime(2026, 11, 1, 9, tzinfo=timezone.utc))
    assert rules.meeting_errors({"on": date(2026, 12, 5)}, mentorship, NOW) == {}
    assert "on" in rules.meeting_errors({"on": date(2026, 12, 6)}, mentorship, NOW)
    assert "on" in rules.meeting_errors({"on": date(2026, 10, 31)}, mentorship, NOW)
    # 23:30 UTC on 5 December is the 6th in Sofia: a meeting that evening is today's.
    assert rules.meeting_errors({"on": date(2026, 12, 6)}, mentorship, NOW.replace(hour=23, minute=30)) == {}


def test_logging_a_meeting_tells_the_other_side_without_the_notes():
    meeting = {"on": date(2026, 12, 1), "minutes": 45, "topic": "t", "notes": "private"}
    logged = rules.log_meeting(pair(last_meeting_on=date(2026, 12, 3)), meeting, MENTEE, NOW)
    assert logged.document["meetings"] == 1 and logged.document["last_meeting_on"] == date(2026, 12, 3)
    (event,) = logged.events
    assert event.type == "members.mentorship.meeting_logged" and event.notify == (A,)
    assert "private" not in repr(event.data) and event.data["minutes"] == 45
    with pytest.raises(rules.Refused) as stranger:
        rules.log_meeting(pair(), meeting, B, NOW)
    assert stranger.value.reason == rules.NOT_IN_PAIR
    with pytest.raises(rules.Refused) as ended:
        rules.log_meeting(pair(state=rules.ENDED), meeting, A, NOW)
    assert ended.value.reason == rules.NOT_ACTIVE


def test_ending_keeps_each_sides_feedback_from_the_other():
    schema = rules.EndSchema()
    assert schema.load({})["feedback"] is None
    feedback = schema.load({"feedback": {"rating": 5, "text": "Благодаря!"}})["feedback"]
    for bad in ({"rating": 0}, {"rating": 6}, {"rating": "5"}, {"text": "no rating"}):
        assert "feedback" in errors_of(schema, {"feedback": bad})
    ended = rules.end(pair(meetings=4), MENTEE, NOW, feedback)
    assert ended.document["state"] == rules.ENDED and ended.document["ended_by"] == MENTEE
    (event,) = ended.events
    assert event.type == "members.mentorship.ended" and event.notify == (A,)
    assert "Благодаря" not in repr(event.data) and event.data["meetings"] == 4
    assert rules.own_feedback(ended.document, MENTEE)["rating"] == 5
    assert rules.own_feedback(ended.document, A) is None
    both = rules.give_feedback(ended.document, A, {"rating": 3, "text": None}, NOW)
    assert rules.own_feedback(both, A)["rating"] == 3 and rules.own_feedback(both, MENTEE)["rating"] == 5
    with pytest.raises(rules.Refused) as twice:
        rules.give_feedback(both, A, {"rating": 1}, NOW)
    assert twice.value.reason == rules.ALREADY_GIVEN
    with pytest.raises(rules.Refused) as again:
        rules.end(ended.document, A, NOW)
    assert again.value.reason == rules.NOT_ACTIVE
    with pytest.raises(rules.Refused) as early:
        rules.give_feedback(pair(), A, {"rating": 4}, NOW)
    assert early.value.reason == rules.NOT_ENDED
    with pytest.raises(rules.Refused):
        rules.own_feedback(both, B)


def test_ending_without_feedback():
    ended = rules.end(pair(), A, NOW).document
    assert ended["feedback"] == {} and ended["ended_at"] == NOW


def test_a_pair_is_stalled_after_sixty_days_without_a_meeting():
    assert rules.is_stalled(pair(started_at=NOW - timedelta(days=60)), NOW)
    assert not rules.is_stalled(pair(started_at=NOW - timedelta(days=59)), NOW)
    assert not rules.is_stalled(pair(last_meeting_on=date(2026, 10, 7)), NOW)   # 59 days ago
    assert rules.is_stalled(pair(last_meeting_on=date(2026, 10, 6)), NOW)       # 60 days ago
    assert not rules.is_stalled(pair(state=rules.ENDED), NOW)
    assert not rules.is_stalled(pair(started_at=NOW - timedelta(days=80)), NOW, after=timedelta(days=90))


# --- the office's figures -------------------------------------------------------------------

def answer(mentor_id: str, outcome: str, hours: float | None) -> dict:
    return {"mentor_id": mentor_id, "outcome": outcome, "asked_at": NOW,
            "at": NOW + timedelta(hours=hours or 0)}


def test_acceptance_rate_counts_answers_and_expiries_only():
    assert rules.acceptance_rate([rules.ACCEPTED, rules.DECLINED, rules.EXPIRED, rules.SKIPPED,
                                  rules.WITHDRAWN, rules.ACCEPTED]) == 0.5
    assert rules.acceptance_rate([rules.SKIPPED]) is None
    assert rules.acceptance_rate([]) is None


def test_mentor_stats_give_counts_rate_and_median_reply_per_mentor():
    stats = rules.mentor_stats([answer(A, rules.ACCEPTED, 2), answer(A, rules.DECLINED, 10),
                                answer(A, rules.EXPIRED, 72), answer(A, rules.ACCEPTED, 4),
                                answer(B, rules.EXPIRED, 72), answer(C, rules.SKIPPED, None)])
    assert stats[A] == {"accepted": 2, "declined": 1, "expired": 1, "acceptance_rate": 0.5,
                        "median_reply_hours": 4.0}
    assert stats[B]["median_reply_hours"] is None and stats[B]["acceptance_rate"] == 0.0
    assert stats[C]["acceptance_rate"] is None
    assert list(stats) == [A, B, C]


def test_mentor_stats_feed_the_score():
    request = started(choices=(A, B)).document
    request = rules.decline(request, A, NOW + timedelta(hours=6)).document
    done = rules.accept(request, B, NOW + timedelta(hours=30), "m" * 32).document
    stats = rules.mentor_stats(done["answers"])
    assert stats[A]["median_reply_hours"] == 6.0 and stats[B]["median_reply_hours"] == 24.0
    quick, slow = (rules.score(seeker(), mentor(m, stats=stats[m]), NOW) for m in (A, B))
    value = {s.mentor_id: {f.name: f.value for f in s.factors} for s in (quick, slow)}
    assert value[A]["reply_time"] > value[B]["reply_time"]
    assert value[A]["acceptance"] < value[B]["acceptance"]


def test_feedback_averages_by_side_over_ended_pairs():
    pairs = [pair(state=rules.ENDED, feedback={MENTEE: {"rating": 5}, A: {"rating": 3}}),
             pair(state=rules.ENDED, feedback={MENTEE: {"rating": 4}}),
             pair(state=rules.ACTIVE, feedback={MENTEE: {"rating": 1}})]
    assert rules.feedback_average(pairs, "mentee") == 4.5
    assert rules.feedback_average(pairs, "mentor") == 3.0
    assert rules.feedback_average([], "mentor") is None
