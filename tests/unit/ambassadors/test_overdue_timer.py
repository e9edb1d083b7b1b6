"""The ambassadors' timer, driven by a clock: an unanswered contact nudges its ambassador once
past the reply target and tells the office once a day later; copies of the worker racing
publish each stage once; askers are erased after their retention (or 30 days past an
unconfirmed question's deadline). The members worker runs it at its setting's interval."""
from __future__ import annotations

import threading
from datetime import timedelta

from services.members.ambassadors import overdue
from services.members.ambassadors import store as ambassadors_store
from services.members.worker import create_worker
from tests.unit.ambassadors.conftest import A, events

ESCALATE = timedelta(hours=24)


def stages(db) -> list[tuple[str, str]]:
    return [(e.data["contact_id"], e.data["stage"]) for e in events(db, "members.ambassador.reply_overdue")]


def test_the_worker_runs_the_timer_at_the_set_interval(make_config):
    worker = create_worker(make_config(AMQP_URL="memory://", AMBASSADOR_OVERDUE_INTERVAL_S="0.5"))
    assert worker.loops["ambassador-overdue"].interval_s == 0.5
    assert "mentoring-expiry" in worker.loops


def test_an_unanswered_contact_nudges_the_ambassador_once_then_the_office_once(app, programme, db, clock):
    store = app.extensions["alumnet"].store
    ambassador = programme.ambassador()
    contact = programme.contact(ambassador)
    clock.advance(hours=48, seconds=-1)
    assert overdue.run_once(store, ESCALATE, clock) == 0
    clock.advance(seconds=1)
    assert overdue.run_once(store, ESCALATE, clock) == 1
    assert overdue.run_once(store, ESCALATE, clock) == 0
    assert stages(db) == [(contact["id"], "ambassador")]
    [nudge] = events(db, "members.ambassador.reply_overdue")
    assert nudge.data["ambassador"]["member_id"] == ambassador["id"]
    assert nudge.data["contact"] == {"name": "Ravi Kumar", "kind": "new_international_student", "country": "IN"}
    assert nudge.data["due_at"] == nudge.data["overdue_at"] == "2027-02-03T09:00:00+00:00"
    clock.advance(hours=23)
    assert overdue.run_once(store, ESCALATE, clock) == 0
    clock.advance(hours=1)
    assert overdue.run_once(store, ESCALATE, clock) == 1
    clock.advance(days=10)
    assert overdue.run_once(store, ESCALATE, clock) == 0
    assert stages(db) == [(contact["id"], "ambassador"), (contact["id"], "office")]


def test_a_replied_contact_is_neither_nudged_nor_escalated(app, client, programme, db, clock):
    store = app.extensions["alumnet"].store
    ambassador = programme.ambassador()
    replied, nudged = programme.contact(ambassador), programme.contact(ambassador)
    client.post(f"{A}/{ambassador['id']}/contacts/{replied['id']}/reply", json={"message": "Hi"},
                headers=ambassador["headers"])
    clock.advance(hours=48)
    assert overdue.run_once(store, ESCALATE, clock) == 1
    client.post(f"{A}/{ambassador['id']}/contacts/{nudged['id']}/log", json={"channel": "phone", "on": "2027-02-03"},
                headers=ambassador["headers"])
    clock.advance(hours=24)
    assert overdue.run_once(store, ESCALATE, clock) == 0
    assert stages(db) == [(nudged["id"], "ambassador")]


def test_two_timers_racing_publish_each_stage_once(app, programme, db, clock):
    store = app.extensions["alumnet"].store
    ambassador = programme.ambassador()
    contacts = [programme.contact(ambassador)["id"] for _ in range(4)]
    clock.advance(hours=48)
    # A copy that read the contacts before another claimed them finds nothing to claim.
    now = clock()
    assert ambassadors_store._claim_stage(store, contacts[0], {"state": "open", "nudged_at": None}, "nudged_at",
                                          "ambassador", now)
    assert not ambassadors_store._claim_stage(store, contacts[0], {"state": "open", "nudged_at": None},
                                              "nudged_at", "ambassador", now)
    start = threading.Barrier(2)
    counted: list[int] = []

    def worker_copy():
        start.wait()
        counted.append(overdue.run_once(store, ESCALATE, clock))

    copies = [threading.Thread(target=worker_copy) for _ in range(2)]
    for copy in copies:
        copy.start()
    for copy in copies:
        copy.join()
    assert sum(counted) == 3
    assert sorted(stages(db)) == sorted((c, "ambassador") for c in contacts)


def test_askers_are_erased_after_the_retention_and_unconfirmed_ones_a_month_past_the_deadline(
        app, programme, db, clock, client):
    store = app.extensions["alumnet"].store
    ambassador = programme.ambassador()
    public_id = ambassador["ambassador"]["public_id"]
    confirmed = programme.ask(public_id)
    assert programme.confirm(confirmed).status_code == 200
    unconfirmed = programme.ask(public_id, email="ravi.kumar@example.in", name="Ravi Kumar")
    [contact] = db.ambassador_contacts.find({"question_id": confirmed})
    client.post(f"{A}/{ambassador['id']}/contacts/{contact['_id']}/reply", json={"message": "Hi Arjun!"},
                headers=ambassador["headers"])
    clock.advance(days=33, seconds=-1)
    overdue.run_once(store, ESCALATE, clock)
    assert events(db, "members.ambassador.asker_erased") == []
    clock.advance(seconds=1)   # 72 hours and 30 days after the question
    overdue.run_once(store, ESCALATE, clock)
    assert [e.data["question_id"] for e in events(db, "members.ambassador.asker_erased")] == [unconfirmed]
    clock.advance(days=365 - 33)
    overdue.run_once(store, ESCALATE, clock)
    assert overdue.run_once(store, ESCALATE, clock) == 0
    assert [e.data["question_id"] for e in events(db, "members.ambassador.asker_erased")] == [unconfirmed, confirmed]
    for question in db.ambassador_questions.find():
        assert question["state"] == "erased" and question["asker"] is None and question["message"] is None
    erased = db.ambassador_contacts.find_one({"_id": contact["_id"]})
    assert (erased["name"], erased["email"], erased["message"]) == (None, None, None)
    assert erased["replies"][0]["message"] is None and erased["replied_at"] is not None   # counts stay
    for text in ("Arjun", "arjun.mehta", "Ravi", "biology"):
        assert text not in str(list(db.ambassador_questions.find())) + str(list(db.ambassador_contacts.find()))
