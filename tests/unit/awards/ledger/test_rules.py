"""The ledger's rules without I/O: reading events, points in hundredths, caps per period in
Europe/Sofia, and the order-independence of capped sums."""
from __future__ import annotations

from datetime import date, datetime, timedelta, timezone

import pytest
from hypothesis import given, settings, strategies as st

from services.awards.ledger import intake, rules

T0 = datetime(2026, 3, 1, 10, 0, tzinfo=timezone.utc)


def row(member: str, event_type: str, at: datetime, units: float = 1.0) -> dict:
    return {"member_id": member, "event_type": event_type, "occurred_at": at, "units": units}


def test_every_rule_has_an_expectation_and_every_type_one_rule_per_version():
    assert set(rules.event_types()) == set(intake.EXPECTATIONS)
    for version, table in rules.RULESETS.items():
        types = [r.event_type for r in table]
        assert len(types) == len(set(types)), version


def test_versions_read_events_alike():
    """A version changes what a source is worth, never how its events are read (rows do not
    keep the event's data, so every version must credit the same rows)."""
    for event_type in rules.event_types():
        readings = {rules.ruleset(v)[event_type].reading() for v in rules.RULESETS if event_type in rules.ruleset(v)}
        assert len(readings) == 1, event_type


def test_a_type_with_no_row_is_ignored():
    assert rules.reading_rule("events.event.published") is None
    buckets, standings = rules.tally([row("m1", "events.event.published", T0)], rules.CURRENT)
    assert buckets == {} and standings == {}


def test_the_default_table_credits_the_right_member_and_time():
    table = rules.ruleset(rules.CURRENT)
    [entry] = rules.entries(table[rules.MENTORSHIP_ACCEPTED], {
        "mentor_id": "mentor", "mentee_id": "mentee", "mentorship_id": "p1", "accepted_at": "2026-12-06T08:30:00+00:00"})
    assert entry.member_id == "mentor" and entry.source == {"mentorship_id": "p1"}
    assert entry.occurred_at == datetime(2026, 12, 6, 8, 30, tzinfo=timezone.utc)


def test_hours_multiply_and_a_date_is_midnight_in_sofia():
    rule = rules.ruleset(rules.CURRENT)[rules.HOURS_CONFIRMED]
    [entry] = rules.entries(rule, {"member_id": "m", "hours": 2.5, "on": "2026-07-01", "cause_id": "c",
                                   "volunteer_id": "v"})
    assert entry.units == 2.5 and rules.amount(rule, entry.units) == 750
    assert entry.occurred_at == datetime(2026, 6, 30, 21, 0, tzinfo=timezone.utc)  # EEST is UTC+3


@pytest.mark.parametrize("event_type,data,credited", [
    (rules.VOLUNTEER_JOINED, {"status": "joined"}, True),
    (rules.VOLUNTEER_JOINED, {"status": "waitlisted"}, False),
    (rules.CONTACT_REPLIED, {"first": True, "within_target": True}, True),
    (rules.CONTACT_REPLIED, {"first": False, "within_target": True}, False),
    (rules.CONTACT_REPLIED, {"first": True, "within_target": False}, False),
    (rules.MENTORSHIP_ENDED, {"reason": "ended", "meetings": 3}, True),
    (rules.MENTORSHIP_ENDED, {"reason": "ended", "meetings": 2}, False),
    (rules.MENTORSHIP_ENDED, {"reason": "erased", "meetings": 9}, False),
])
def test_conditions(event_type, data, credited):
    rule = rules.ruleset(rules.CURRENT)[event_type]
    base = {rule.member_field: "m", rule.when_field: T0.isoformat()}
    assert bool(rules.entries(rule, {**base, **data})) is credited


def test_period_keys_are_sofia_days_weeks_and_months():
    late = datetime(2026, 3, 31, 22, 30, tzinfo=timezone.utc)  # 1 April, 01:30 in Sofia
    assert rules.period_key(rules.DAY, late) == "2026-04-01"
    assert rules.period_key(rules.MONTH, late) == "2026-04"
    assert rules.period_key(rules.WEEK, late) == "2026-W14"
    assert rules.period_key(rules.CYCLE, late) == "cycle"


def test_a_cap_holds_per_member_type_and_month():
    rows = [row("m1", rules.CHECKED_IN, T0 + timedelta(days=i)) for i in range(6)]  # 6 x 5 = 30, cap 20
    rows += [row("m1", rules.CHECKED_IN, T0 + timedelta(days=40))]  # April: a new bucket
    rows += [row("m1", rules.SURVEY_COMPLETED, T0)]  # another type: its own cap
    _, standings = rules.tally(rows, rules.CURRENT)
    assert standings[(rules.OVERALL, "m1")] == 2000 + 500 + 200
    assert standings[(rules.PARTICIPATION, "m1")] == 2700
    assert (rules.MENTORING, "m1") not in standings


def test_breakdown_shows_raw_and_capped_points_per_source():
    rows = [row("m1", rules.CHECKED_IN, T0 + timedelta(days=i)) for i in range(6)]
    buckets, _ = rules.tally(rows, rules.CURRENT)
    lines = rules.breakdown([{"event_type": t, **v} for (_, t, _), v in buckets.items()], rules.CURRENT)
    assert lines == [{"event_type": rules.CHECKED_IN, "category": rules.PARTICIPATION, "count": 6, "raw": 3000,
                      "capped": 2000}]
    assert rules.totals(lines)[rules.OVERALL] == 2000


def test_competition_ranks():
    items = [{"points": p} for p in (30, 20, 20, 10)]
    assert [i["rank"] for i in rules.ranked(items)] == [1, 2, 2, 4]


# --------------------------------------------------------------------------- order independence

TYPES = list(rules.event_types())
MEMBERS = ["m1", "m2", "m3"]
rows_strategy = st.lists(st.builds(
    row, st.sampled_from(MEMBERS), st.sampled_from(TYPES),
    st.datetimes(min_value=datetime(2026, 1, 1), max_value=datetime(2026, 12, 31),
                 timezones=st.just(timezone.utc)),
    st.sampled_from([0.5, 1.0, 1.5, 2.25, 7.0, 0.1])), max_size=60)


def incremental(rows: list[dict], version: str) -> dict:
    """The store's path, row by row: a bucket's raw sum and the standings' capped deltas."""
    table = rules.ruleset(version)
    raw: dict = {}
    standings: dict = {}
    for r in rows:
        rule = table.get(r["event_type"])
        if rule is None:
            continue
        key = (r["member_id"], rule.event_type, rules.period_key(rule.cap_period, r["occurred_at"]))
        added = rules.amount(rule, r["units"])
        delta = rules.capped_delta(raw.get(key, 0), added, rule.cap_centi)
        raw[key] = raw.get(key, 0) + added
        for category in (rules.OVERALL, rule.category):
            if delta:
                standings[(category, r["member_id"])] = standings.get((category, r["member_id"]), 0) + delta
    return standings


@settings(max_examples=200, deadline=None)
@given(rows_strategy, st.randoms(use_true_random=False))
def test_caps_make_totals_independent_of_order(rows, rng):
    shuffled = list(rows)
    rng.shuffle(shuffled)
    assert incremental(rows, rules.CURRENT) == incremental(shuffled, rules.CURRENT)
    assert incremental(shuffled, rules.CURRENT) == rules.tally(rows, rules.CURRENT)[1]


@settings(max_examples=100, deadline=None)
@given(rows_strategy)
def test_no_standing_exceeds_the_sum_of_its_caps_nor_its_raw_points(rows):
    table = rules.ruleset(rules.CURRENT)
    _, standings = rules.tally(rows, rules.CURRENT)
    for (category, member), value in standings.items():
        mine = [r for r in rows if r["member_id"] == member and r["event_type"] in table
                and category in (rules.OVERALL, table[r["event_type"]].category)]
        assert 0 < value <= sum(rules.amount(table[r["event_type"]], r["units"]) for r in mine)


def test_a_later_rules_version_never_changes_an_older_cycle(monkeypatch):
    """A cycle is scored by the version it was opened with: adding a version that doubles
    check-ins and drops surveys leaves the old version's standings as they were."""
    rows = [row("m1", rules.CHECKED_IN, T0), row("m1", rules.SURVEY_COMPLETED, T0)]
    before = rules.tally(rows, "2026.1")
    old = rules.ruleset("2026.1")
    newer = tuple(r if r.event_type != rules.CHECKED_IN else rules.Rule(
        r.event_type, r.category, 10, r.member_field, r.when_field, cap=40, cap_period=r.cap_period,
        source_fields=r.source_fields) for r in old.values() if r.event_type != rules.SURVEY_COMPLETED)
    monkeypatch.setitem(rules.RULESETS, "2027.1", newer)
    assert rules.tally(rows, "2026.1") == before
    assert rules.tally(rows, "2027.1")[1] == {(rules.OVERALL, "m1"): 1000, (rules.PARTICIPATION, "m1"): 1000}


def test_moment_reads_dates_and_times():
    assert rules.moment(date(2026, 1, 1)) == datetime(2025, 12, 31, 22, 0, tzinfo=timezone.utc)
    assert rules.moment("2026-01-01T00:00:00Z") == datetime(2026, 1, 1, tzinfo=timezone.utc)
