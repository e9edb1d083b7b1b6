"""The rules of award cycles without I/O: phases from dates, each eligibility rule, the
rubric's arithmetic (hypothesis: only the weights' proportions matter, the score stays within
the judge's scores), results statistics, and the tie-break (hypothesis: a total order, the
same whatever order the nominations come in, and each key deciding only when the earlier
ones tie)."""
from __future__ import annotations

import statistics
from datetime import datetime, timedelta, timezone

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from services.awards.cycles import judging, results, rules

T0 = datetime(2027, 1, 10, 10, 0, tzinfo=timezone.utc)
PHASES = {"nominations_from": T0, "nominations_until": T0 + timedelta(days=10),
          "confirmation_until": T0 + timedelta(days=20), "judging_until": T0 + timedelta(days=30),
          "results_at": T0 + timedelta(days=40)}


def cycle(status=rules.OPEN, **phases) -> dict:
    return {"status": status, "phases": {**PHASES, **phases}}


# --------------------------------------------------------------------------- phases

@pytest.mark.parametrize("at,phase", [
    (T0 - timedelta(seconds=1), "scheduled"), (T0, "nominations"), (T0 + timedelta(days=10), "confirmation"),
    (T0 + timedelta(days=25), "judging"), (T0 + timedelta(days=30), "results"), (T0 + timedelta(days=400), "results"),
])
def test_an_open_cycles_phase_is_read_from_its_dates(at, phase):
    assert rules.phase_at(cycle(), at) == phase


def test_a_draft_and_an_announced_cycle_are_so_whatever_the_date():
    assert rules.phase_at(cycle(rules.DRAFT), T0 + timedelta(days=15)) == "draft"
    assert rules.phase_at(cycle(rules.ANNOUNCED), T0 + timedelta(days=15)) == "announced"
    assert rules.phase_at(cycle(rules.FINALISED), T0 + timedelta(days=35)) == "results"


@pytest.mark.parametrize("at,ended,phase_after", [
    (T0 + timedelta(days=1), "nominations_until", "confirmation"),
    (T0 + timedelta(days=11), "confirmation_until", "judging"),
    (T0 + timedelta(days=21), "judging_until", "results"),
    (T0 - timedelta(days=1), "nominations_from", "nominations"),
])
def test_advancing_ends_the_current_phase_now_and_keeps_the_dates_in_order(at, ended, phase_after):
    phases = rules.advanced(cycle(), at)
    assert phases[ended] == at
    assert rules.phase_at(cycle(**phases), at) == phase_after
    dates = [phases[name] for name in rules.PHASE_DATES]
    assert dates == sorted(dates)


@pytest.mark.parametrize("status,at", [(rules.DRAFT, T0), (rules.OPEN, T0 + timedelta(days=35)),
                                       (rules.ANNOUNCED, T0)])
def test_a_draft_results_and_an_announced_cycle_do_not_advance(status, at):
    with pytest.raises(rules.Refused):
        rules.advanced(cycle(status), at)


def test_the_default_activity_is_the_calendar_year_in_sofia():
    start, end = rules.default_activity(2026)
    assert start == datetime(2025, 12, 31, 22, 0, tzinfo=timezone.utc)
    assert end == datetime(2026, 12, 31, 22, 0, tzinfo=timezone.utc)


def definition(**overrides) -> dict:
    start, end = rules.default_activity(2026)
    category = {"category_id": "mentor", "rubric": [{"key": "impact", "weight": 1}], "eligibility": []}
    return {"phases": dict(PHASES), "activity_from": start, "activity_to": end, "rules_version": "2026.1",
            "judges": [], "categories": [category], **overrides}


def test_a_well_formed_cycle_has_no_errors():
    assert rules.cycle_errors(definition()) == {}


def test_cycle_errors_name_each_field():
    bad = definition(phases={**PHASES, "judging_until": T0 + timedelta(days=5)}, rules_version="1999.1",
                     judges=["j", "j"], activity_to=datetime(2020, 1, 1, tzinfo=timezone.utc),
                     categories=[{"category_id": "a", "eligibility": [{"rule": "verified"}, {"rule": "verified"}],
                                  "rubric": [{"key": "x", "weight": 1}, {"key": "x", "weight": 2}]},
                                 {"category_id": "a", "eligibility": [], "rubric": [{"key": "x", "weight": 1}]}])
    errors = rules.cycle_errors(bad)
    assert set(errors["phases"]) == {"judging_until"}
    assert {"rules_version", "judges", "activity_to"} <= set(errors)
    assert set(errors["categories"]["0"]) == {"rubric", "eligibility"}
    assert set(errors["categories"]["1"]) == {"category_id"}


# --------------------------------------------------------------------------- eligibility

VERIFIED = {"status": "verified", "graduation_year": 2010}


def refusal(rule_list, member=VERIFIED, roles=("alumnus",), year=2026, mentored=0, won=()):
    found = rules.ineligibility(rule_list, rules.Nominee(member, roles, year, mentored, tuple(won)))
    return found and found.rule


def test_verified_is_always_a_rule():
    assert refusal([]) is None
    assert refusal([], member={"status": "pending_verification"}) == "verified"
    assert refusal([], member=None) == "verified"


@pytest.mark.parametrize("graduated,refused", [(2016, False), (2017, True), (None, True)])
def test_graduated_years_ago_at_least_counts_from_the_cycles_year(graduated, refused):
    rule = [{"rule": "graduated_years_ago_at_least", "years": 10}]
    found = refusal(rule, member={"status": "verified", "graduation_year": graduated})
    assert found == ("graduated_years_ago_at_least" if refused else None)


def test_role_in_and_not_role():
    assert refusal([{"rule": "role_in", "roles": ["alumnus"]}], roles=("student",)) == "role_in"
    assert refusal([{"rule": "role_in", "roles": ["alumnus"]}], roles=("alumnus", "judge")) is None
    assert refusal([{"rule": "not_role", "roles": ["staff"]}], roles=("alumnus", "staff")) == "not_role"
    assert refusal([{"rule": "not_role", "roles": ["staff"]}], roles=("alumnus",)) is None


def test_mentored_in_cycle_needs_one_mentee():
    assert refusal([{"rule": "mentored_in_cycle"}], mentored=0) == "mentored_in_cycle"
    assert refusal([{"rule": "mentored_in_cycle"}], mentored=1) is None


@pytest.mark.parametrize("won,refused", [((2023,), True), ((2025,), True), ((2022,), False), ((2026,), False), ((), False)])
def test_not_recent_winner_looks_back_k_years_before_the_cycle(won, refused):
    assert refusal([{"rule": "not_recent_winner", "years": 3}], won=won) == ("not_recent_winner" if refused else None)


def test_the_first_failed_rule_is_named_with_an_explanation():
    found = rules.ineligibility([{"rule": "mentored_in_cycle"}, {"rule": "not_role", "roles": ["staff"]}],
                                rules.Nominee(VERIFIED, ("staff",), 2026, 0))
    assert found.rule == "mentored_in_cycle" and str(found).startswith("mentored_in_cycle: ")


def test_facts_are_read_only_for_the_rules_that_need_them():
    assert rules.facts_needed([{"rule": "verified"}, {"rule": "not_role", "roles": ["staff"]}]) == set()
    assert rules.facts_needed([{"rule": "mentored_in_cycle"}, {"rule": "not_recent_winner", "years": 2}]) == {
        "mentored_in_cycle", "not_recent_winner"}


def test_self_nomination_only_where_the_category_allows_it():
    assert rules.self_nomination_refusal({"self_nomination": False}, "m", "m").rule == "self_nomination"
    assert rules.self_nomination_refusal({"self_nomination": True}, "m", "m") is None
    assert rules.self_nomination_refusal({"self_nomination": False}, "n", "m") is None


# --------------------------------------------------------------------------- rubric

scores_0_10 = st.floats(min_value=0, max_value=10, allow_nan=False)
weights = st.floats(min_value=0.01, max_value=100, allow_nan=False)


@st.composite
def rubric_and_scores(draw):
    n = draw(st.integers(1, 6))
    rubric = [{"key": f"c{i}", "weight": draw(weights)} for i in range(n)]
    return rubric, {f"c{i}": draw(scores_0_10) for i in range(n)}


@given(rubric_and_scores(), st.floats(min_value=0.01, max_value=50))
def test_only_the_weights_proportions_matter(case, factor):
    rubric, scores = case
    scaled = [{**c, "weight": c["weight"] * factor} for c in rubric]
    assert judging.weighted_score(scaled, scores) == pytest.approx(judging.weighted_score(rubric, scores), abs=1e-6)


@given(rubric_and_scores())
def test_the_weighted_score_lies_within_the_judges_scores(case):
    rubric, scores = case
    assert sum(judging.normalised_weights(rubric).values()) == pytest.approx(1)
    assert min(scores.values()) - 1e-6 <= judging.weighted_score(rubric, scores) <= max(scores.values()) + 1e-6


@given(rubric_and_scores(), scores_0_10)
def test_the_same_score_on_every_criterion_is_the_weighted_score(case, value):
    rubric, _ = case
    assert judging.weighted_score(rubric, {c["key"]: value for c in rubric}) == pytest.approx(value, abs=1e-6)


def test_weights_three_to_one():
    rubric = [{"key": "impact", "weight": 3}, {"key": "dedication", "weight": 1}]
    assert judging.weighted_score(rubric, {"impact": 8, "dedication": 4}) == pytest.approx(7.0)


def test_score_errors_name_the_missing_unknown_and_out_of_range_criteria():
    rubric = [{"key": "impact", "weight": 3}, {"key": "dedication", "weight": 1}]
    assert judging.score_errors(rubric, {"impact": 8, "dedication": 10}) == {}
    errors = judging.score_errors(rubric, {"impact": 11, "charm": 5})
    assert set(errors) == {"impact", "charm", "dedication"}


def test_ballot_ids_are_stable_per_judge_and_differ_between_judges():
    assert judging.ballot_id("salt", "j1", "n1") == judging.ballot_id("salt", "j1", "n1")
    assert judging.ballot_id("salt", "j1", "n1") != judging.ballot_id("salt", "j2", "n1")
    assert "n1" not in judging.ballot_id("salt", "j1", "n1")


def test_a_judge_who_nominated_or_is_the_nominee_has_a_conflict():
    nomination = {"nominee_id": "n", "statements": [{"nominator_id": "a"}, {"nominator_id": "b"}]}
    assert judging.conflict(nomination, "b") and judging.conflict(nomination, "n")
    assert judging.conflict(nomination, "c") is None


# --------------------------------------------------------------------------- results

@given(st.lists(scores_0_10, min_size=1, max_size=9))
def test_statistics_of_the_judges_scores(values):
    found = results.stats(values)
    assert found.judges == len(values)
    assert found.low <= found.median <= found.high and found.low - 1e-9 <= found.mean <= found.high + 1e-9
    assert found.std_dev == pytest.approx(statistics.pstdev(values)) and found.std_dev >= 0


def test_statistics_by_hand():
    found = results.stats([6, 8, 10])
    assert (found.mean, found.median, found.low, found.high) == (8, 8, 6, 10)
    assert found.std_dev == pytest.approx((8 / 3) ** 0.5)
    assert results.stats([]) is None


entries = st.builds(
    results.Entry,
    nomination_id=st.uuids().map(lambda u: u.hex),
    scores=st.lists(st.sampled_from([5.0, 6.5, 7.0, 8.0, 9.5]), max_size=4).map(tuple),
    standings_points=st.sampled_from([0.0, 10.0, 25.0]),
    confirmed_at=st.sampled_from([T0, T0 + timedelta(hours=1)]),
)


@settings(max_examples=200)
@given(st.lists(entries, max_size=8, unique_by=lambda e: e.nomination_id), st.randoms())
def test_the_ranking_is_total_and_does_not_depend_on_the_order_given(items, random):
    shuffled = list(items)
    random.shuffle(shuffled)
    first = [entry.nomination_id for _, entry, _ in results.ranked(items)]
    again = [entry.nomination_id for _, entry, _ in results.ranked(shuffled)]
    assert first == again
    keys = [results.sort_key(e) for e in items]
    assert len(set(keys)) == len(keys)  # no two nominees tie completely
    assert [rank for rank, _, _ in results.ranked(items)] == list(range(1, len(items) + 1))


@settings(max_examples=200)
@given(st.lists(entries, min_size=2, max_size=8, unique_by=lambda e: e.nomination_id))
def test_each_tie_break_decides_only_when_the_earlier_ones_tie(items):
    ranked = [entry for _, entry, _ in results.ranked(items)]
    for better, worse in zip(ranked, ranked[1:]):
        b, w = results.stats(better.scores), results.stats(worse.scores)
        if b is None:
            assert w is None  # the unscored come last
            continue
        if w is None:
            continue
        assert b.mean >= w.mean
        if b.mean == w.mean:
            assert b.median >= w.median
            if b.median == w.median:
                assert b.judges >= w.judges
                if b.judges == w.judges:
                    assert better.standings_points >= worse.standings_points
                    if better.standings_points == worse.standings_points:
                        assert better.confirmed_at <= worse.confirmed_at


def test_the_documented_tie_break_in_order():
    at = T0
    a = results.Entry("a", (8.0, 8.0), 0.0, at)               # mean 8, median 8
    b = results.Entry("b", (6.0, 8.5, 9.5), 0.0, at)          # mean 8, median 8.5
    c = results.Entry("c", (8.0, 8.0, 8.0), 0.0, at)          # mean 8, median 8, three judges
    d = results.Entry("d", (8.0, 8.0), 30.0, at)              # as a, more standings points
    e = results.Entry("e", (8.0, 8.0), 0.0, at - timedelta(days=1))  # as a, confirmed earlier
    assert [x.nomination_id for _, x, _ in results.ranked([a, b, c, d, e])] == ["b", "c", "d", "e", "a"]


def test_floating_noise_does_not_break_a_tie():
    noisy = results.Entry("a", (0.1 + 0.2, 0.3), 0.0, T0)
    clean = results.Entry("b", (0.3, 0.3), 5.0, T0)
    assert [x.nomination_id for _, x, _ in results.ranked([noisy, clean])] == ["b", "a"]
