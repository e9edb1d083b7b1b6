"""The ledger over the wire (the local store): rows insert-only and keyed by event and
member, standings incremental and equal to a rebuild, whatever the order and the
duplicates; the functions the cycles feature calls; erasure."""
from __future__ import annotations

import random
from datetime import datetime, timedelta, timezone

import pytest
from pymongo import MongoClient, monitoring

from services.awards.ledger import rules
from services.awards.ledger import store as ledger_store
from tests.unit.awards.ledger.conftest import NOW, YEAR_2026, accepted, checked_in, envelope, hours

T = datetime(2026, 3, 2, 9, 0, tzinfo=timezone.utc)
MENTOR, OTHER = "m" * 32, "o" * 32


def snapshot(db, cycle_id="2026") -> tuple:
    """Everything the ledger holds of a cycle, comparable across runs."""
    rows = sorted((r["_id"], r["member_id"], r["occurred_at"], r["units"]) for r in db[ledger_store.LEDGER].find())
    buckets = sorted((b["_id"], b["raw"], b["count"]) for b in db[ledger_store.BUCKETS].find({"cycle_id": cycle_id}))
    standings = sorted((s["_id"], s["points"]) for s in db[ledger_store.STANDINGS].find({"cycle_id": cycle_id}))
    return rows, buckets, standings


def activity() -> list[tuple[str, str, dict]]:
    """A season of two members' activity, each with its event id."""
    events = [checked_in(MENTOR, T + timedelta(days=i)) for i in range(6)]
    events += [accepted(MENTOR, T + timedelta(days=i * 20)) for i in range(5)]
    events += [hours(OTHER, "2026-03-10", 2.5), hours(OTHER, "2026-03-11", 40), checked_in(OTHER, T)]
    return [(f"00000000-0000-4000-8000-{i:012d}", t, d) for i, (t, d) in enumerate(events)]


def test_a_row_per_event_and_member_and_a_duplicate_changes_nothing(db, deliver, open_cycle):
    open_cycle()
    event_type, data = checked_in(MENTOR, T)
    deliver(event_type, data, "11111111-1111-4111-8111-111111111111")
    first = snapshot(db)
    deliver(event_type, data, "11111111-1111-4111-8111-111111111111")
    assert snapshot(db) == first
    [row] = db[ledger_store.LEDGER].find()
    assert row["_id"] == f"11111111-1111-4111-8111-111111111111:{MENTOR}"
    assert row["source"] == {"event_id": "e1", "registration_id": data["registration_id"]}
    assert ledger_store.points_of(db, "2026", MENTOR)[rules.PARTICIPATION] == 5.0


def test_duplicates_and_any_order_give_the_same_ledger_and_standings(db, store, deliver, open_cycle):
    open_cycle()
    events = activity()
    for event_id, event_type, data in events:
        deliver(event_type, data, event_id)
    in_order = snapshot(db)
    for collection in (ledger_store.LEDGER, ledger_store.BUCKETS, ledger_store.STANDINGS):
        db[collection].delete_many({})
    shuffled = events + events[:5]
    random.Random(7).shuffle(shuffled)
    for event_id, event_type, data in shuffled:
        deliver(event_type, data, event_id)
    assert snapshot(db) == in_order
    points = ledger_store.points_of(db, "2026", MENTOR)
    assert points == {rules.OVERALL: 60.0, rules.MENTORING: 40.0, rules.AMBASSADOR: 0.0, rules.VOLUNTEERING: 0.0,
                      rules.PARTICIPATION: 20.0}  # both capped: 20 a month, 40 a cycle
    assert ledger_store.points_of(db, "2026", OTHER)[rules.VOLUNTEERING] == 90.0  # 7.5 + 120, capped at 90


def test_rebuild_equals_the_incremental_result(db, deliver, open_cycle):
    open_cycle()
    for event_id, event_type, data in activity():
        deliver(event_type, data, event_id)
    incremental = snapshot(db)
    ledger_store.rebuild(db, "2026")
    assert snapshot(db) == incremental


def test_opening_a_cycle_counts_the_rows_already_in_its_period_and_is_idempotent(db, deliver, open_cycle):
    for event_id, event_type, data in activity():
        deliver(event_type, data, event_id)
    assert db[ledger_store.STANDINGS].count_documents({}) == 0  # no cycle yet: rows only
    open_cycle()
    once = snapshot(db)
    open_cycle()
    assert snapshot(db) == once
    assert ledger_store.points_of(db, "2026", MENTOR)[rules.OVERALL] == 60.0


def test_only_rows_in_the_activity_period_count(db, deliver, open_cycle):
    open_cycle()
    deliver(*checked_in(MENTOR, YEAR_2026[1]))  # the first instant of 2027 in Sofia
    deliver(*checked_in(MENTOR, YEAR_2026[1] - timedelta(seconds=1)))
    assert ledger_store.points_of(db, "2026", MENTOR)[rules.OVERALL] == 5.0


def test_a_cycle_is_scored_by_its_own_rules_version(db, deliver, open_cycle, monkeypatch):
    old = rules.RULESETS["2026.1"]
    monkeypatch.setitem(rules.RULESETS, "2027.1", tuple(r for r in old if r.event_type != rules.CHECKED_IN))
    open_cycle("old", "2026.1")
    open_cycle("new", "2027.1")
    deliver(*checked_in(MENTOR, T))
    deliver(*accepted(MENTOR, T))
    assert ledger_store.points_of(db, "old", MENTOR)[rules.OVERALL] == 15.0
    assert ledger_store.points_of(db, "new", MENTOR)[rules.OVERALL] == 10.0


def test_an_event_whose_condition_fails_records_nothing(db, deliver, open_cycle):
    open_cycle()
    deliver(rules.VOLUNTEER_JOINED, {"cause_id": "c", "volunteer_id": "v", "member_id": MENTOR,
                                     "status": "waitlisted", "at": T.isoformat()})
    assert db[ledger_store.LEDGER].count_documents({}) == 0


class Counter(monitoring.CommandListener):
    def __init__(self):
        self.names: list[str] = []

    def started(self, event):
        if event.command_name not in ("endSessions",):
            self.names.append(event.command_name)

    def succeeded(self, event):
        pass

    def failed(self, event):
        pass


def test_top_is_one_store_command_and_ranks_ties_alike(db, deliver, open_cycle, local_store):
    open_cycle()
    for member, n in (("a" * 32, 3), ("b" * 32, 2), ("c" * 32, 2), ("d" * 32, 1)):
        for i in range(n):
            deliver(*checked_in(member, T + timedelta(days=i)))
    counter = Counter()
    client = MongoClient(local_store.url, event_listeners=[counter], tz_aware=True)
    try:
        best = ledger_store.top(client[db.name], "2026", rules.OVERALL, 20)
    finally:
        client.close()
    assert len(counter.names) <= 2, counter.names
    assert [(b["member_id"][0], b["points"], b["rank"]) for b in best] == [
        ("a", 15.0, 1), ("b", 10.0, 2), ("c", 10.0, 2), ("d", 5.0, 4)]
    with pytest.raises(ValueError):
        ledger_store.top(db, "2026", "charm", 5)


def test_count_in_period(db, deliver):
    for days in (0, 10, 400):
        deliver(*accepted(MENTOR, T + timedelta(days=days)))
    assert ledger_store.count_in_period(db, MENTOR, rules.MENTORSHIP_ACCEPTED, *YEAR_2026) == 2
    assert ledger_store.count_in_period(db, OTHER, rules.MENTORSHIP_ACCEPTED, *YEAR_2026) == 0


def test_forgetting_a_member_removes_standings_anonymises_rows_and_ignores_later_events(db, deliver, open_cycle):
    open_cycle()
    events = activity()
    for event_id, event_type, data in events:
        deliver(event_type, data, event_id)
    rows = db[ledger_store.LEDGER].count_documents({})
    ledger_store.forget_member(db, None, MENTOR)
    assert db[ledger_store.STANDINGS].count_documents({"member_id": MENTOR}) == 0
    assert db[ledger_store.BUCKETS].count_documents({"member_id": MENTOR}) == 0
    assert db[ledger_store.LEDGER].count_documents({}) == rows
    anonymous = list(db[ledger_store.LEDGER].find({"erased": True}))
    assert len(anonymous) == 11 and all(MENTOR not in str(r) for r in anonymous)
    assert all(r["source"] for r in anonymous)  # the source ids stay
    assert len({r["member_id"] for r in anonymous}) == 11  # not groupable back into one person
    for event_id, event_type, data in events:  # a replay, and a late event
        deliver(event_type, data, event_id)
    deliver(*checked_in(MENTOR, T))
    ledger_store.rebuild(db, "2026")
    assert MENTOR not in str(list(db[ledger_store.LEDGER].find())) + str(snapshot(db))
    assert [s["member_id"] for s in ledger_store.top(db, "2026", rules.OVERALL, 5)] == [OTHER]


def test_the_erased_handler_forgets_the_member(db, deliver, open_cycle):
    open_cycle()
    deliver(*checked_in(MENTOR, T))
    deliver("members.member.erased", {"member_id": MENTOR, "erased_at": NOW.isoformat()})
    assert ledger_store.points_of(db, "2026", MENTOR)[rules.OVERALL] == 0.0


def test_open_cycle_refuses_an_unknown_version_or_an_empty_period(db):
    with pytest.raises(ValueError):
        ledger_store.open_cycle(db, None, "x", "1999.1", *YEAR_2026)
    with pytest.raises(ValueError):
        ledger_store.open_cycle(db, None, "x", rules.CURRENT, YEAR_2026[1], YEAR_2026[0])


def test_open_cycle_joins_the_callers_transaction(store, db, deliver):
    deliver(*checked_in(MENTOR, T))
    store.transaction(lambda s: ledger_store.open_cycle(db, s, "2026", rules.CURRENT, *YEAR_2026))
    assert ledger_store.points_of(db, "2026", MENTOR)[rules.OVERALL] == 5.0


def test_an_envelope_of_a_forged_source_is_refused():
    from shared.bus.envelope import InvalidEvent, decode
    event = envelope(*checked_in(MENTOR, T))
    forged = event.to_json().replace(b'"source":"events"', b'"source":"members"')
    with pytest.raises(InvalidEvent):
        decode(forged)


def test_the_operator_command_rebuilds_a_cycle(db, deliver, open_cycle, make_config, monkeypatch, db_prefix):
    from click.testing import CliRunner

    from alumnet.cli import main
    open_cycle()
    deliver(*checked_in(MENTOR, T))
    db[ledger_store.STANDINGS].delete_many({})  # as if they had drifted
    config = make_config(AMQP_URL="memory://")
    monkeypatch.setattr("alumnet.cli.load", lambda require_keys=True: config)
    result = CliRunner().invoke(main, ["awards", "rebuild-standings", "2026"])
    assert result.exit_code == 0, result.output
    assert ledger_store.points_of(db, "2026", MENTOR)[rules.OVERALL] == 5.0
    result = CliRunner().invoke(main, ["awards", "rebuild-standings", "nope"])
    assert result.exit_code != 0 and "nope" in result.output
