"""Causes through the events HTTP API (the real app on the session's local store, a fixed
clock, members known to the events read model, messages in the outbox).

Checked: the office drafts and publishes a volunteering call that members of its audience see
(and nobody else); a role with two slots takes two and the third waits; leaving promotes the
first waiting (``events.volunteer.joined`` with ``promoted: true``); joining twice, late, on a
closed cause or from another audience is refused; ``Idempotency-Key`` replays a join;
collections take pledges and count them; a campaign's owner moves its progress; hours are
confirmed once per volunteer and day, only by those who run the cause; closing tells those
waiting; the owner's list of volunteers has their names; who may do what on every route; an
erased volunteer leaves nothing personal and their slot goes to the next waiting; concurrent
joins never overfill a role.
"""
from __future__ import annotations

import json
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

from services.events import handlers
from services.members.messages import CATALOG as MEMBERS_CATALOG
from services.members.messages import MEMBER_ERASED
from tests.support import assert_problem, consumer_like, outbox_events
from tests.unit.conftest import ADMIN_ID
from tests.unit.events.causes.conftest import (CAUSES, DEADLINE, GUIDE, NOW, body, draft, join, leave, published,
                                               read)

__all__ = ["NOW"]  # the events conftest stops the clock at the module's NOW


def data(db, event_type: str) -> list[dict]:
    return [e["data"] for e in outbox_events(db, event_type)]


def admin_of(admin: dict) -> dict:
    return {"id": ADMIN_ID, "headers": admin}


# --------------------------------------------------------------------------- the cause

def test_the_office_publishes_a_volunteering_call_that_members_of_its_audience_see(client, db, admin, member):
    cause = draft(client, admin, audience={"kind": "faculty", "faculty": "medicine"})
    assert (cause["status"], cause["owner_id"], cause["fits_me"]) == ("draft", ADMIN_ID, True)
    [role] = cause["roles"]
    assert (role["role_id"], role["slots"], role["filled"], role["slots_left"], role["waiting"]) == ("guide", 2, 0, 2, 0)
    assert role["when"] == "2030-04-04T06:00:00+00:00"  # read in Sofia time
    assert cause["progress"] == {"kind": "volunteering", "done": 0, "target": 2, "percent": 0}
    doctor, dentist = member(faculty="medicine"), member(faculty="dental_medicine")
    assert_problem(client.get(f"{CAUSES}/{cause['id']}", headers=doctor["headers"]), 404)  # a draft
    assert client.get(CAUSES, headers=doctor["headers"]).get_json()["total"] == 0
    response = client.post(f"{CAUSES}/{cause['id']}/publish", headers=admin)
    assert response.status_code == 200 and response.get_json()["joining_open"] is True
    assert client.post(f"{CAUSES}/{cause['id']}/publish", headers=admin).status_code == 200
    [announced] = data(db, "events.cause.published")  # publishing again announces nothing
    assert (announced["cause_id"], announced["kind"], announced["owner_id"]) == (cause["id"], "volunteering", ADMIN_ID)
    assert announced["audience"]["faculty"] == "medicine" and announced["deadline"] == DEADLINE.isoformat()
    assert announced["roles"] == [{"role_id": "guide", "title": GUIDE["title"], "slots": 2,
                                   "what_to_bring": GUIDE["what_to_bring"], "when": "2030-04-04T06:00:00+00:00"}]
    seen = read(client, cause, doctor)
    assert (seen["status"], seen["fits_me"], seen["mine"]) == ("published", True, [])
    listing = client.get(CAUSES, headers=doctor["headers"]).get_json()
    assert [c["id"] for c in listing["items"]] == [cause["id"]]
    assert_problem(client.get(f"{CAUSES}/{cause['id']}", headers=dentist["headers"]), 404)
    assert client.get(CAUSES, headers=dentist["headers"]).get_json()["total"] == 0
    assert_problem(client.post(f"{CAUSES}/{cause['id']}/roles/guide/volunteers", json={},
                               headers=dentist["headers"]), 404)


def test_each_kind_is_checked_and_the_deadline_must_be_ahead(client, admin):
    response = client.post(CAUSES, json={"kind": "campaign", "title": {"bg": "Б", "en": "B"},
                                         "deadline": DEADLINE.isoformat(), "roles": [GUIDE]}, headers=admin)
    assert set(assert_problem(response, 422)["errors"]) == {"goal", "roles"}
    response = client.post(CAUSES, json={"kind": "volunteering", "title": {"bg": "Б", "en": "B"},
                                         "deadline": (NOW - timedelta(hours=1)).isoformat()}, headers=admin)
    assert set(assert_problem(response, 422)["errors"]) == {"roles", "deadline"}
    response = client.post(CAUSES, json={"kind": "campaign", "title": {"bg": "Б", "en": "B"},
                                         "deadline": DEADLINE.isoformat(), "donation_url": "http://pay.example.com",
                                         "goal": {"target": 10, "unit": {"bg": "лв.", "en": "BGN"}}}, headers=admin)
    assert "donation_url" in assert_problem(response, 422)["errors"]
    response = client.post(CAUSES, json={"kind": "volunteering", "title": {"bg": "Б", "en": "B"},
                                         "deadline": DEADLINE.isoformat(),
                                         "roles": [{**GUIDE, "role_id": "Has.Dot"}]}, headers=admin)
    assert "roles" in assert_problem(response, 422)["errors"]
    made = draft(client, admin, roles=[{k: v for k, v in GUIDE.items() if k != "role_id"}])
    assert len(made["roles"][0]["role_id"]) == 8  # made up when not given
    # Sofia times without an offset: 03:30 on 2030-03-31 never shows (the clocks go forward),
    # and year 1 overflows in UTC: both are named, neither is a 500.
    response = client.post(CAUSES, json={"kind": "volunteering", "title": {"bg": "Б", "en": "B"},
                                         "deadline": "2030-03-31T03:30",
                                         "roles": [{**GUIDE, "when": "0001-01-01T00:30"}]}, headers=admin)
    errors = assert_problem(response, 422)["errors"]
    assert errors["deadline"] == ["No such time in this time zone: the clocks go forward past it that night."]
    assert errors["roles"] == {"0": {"when": ["Not a valid datetime."]}}


def test_an_erased_or_unknown_member_is_never_named_owner(app, client, db, admin, member):
    """The erasure anonymises the causes a member owns; naming an erased member owner
    afterwards would store their id again. The owner named by the office must be a member the
    service knows, held in the write's transaction (an erasure handled meanwhile is ordered
    with it); the office itself may own without being in the view."""
    gone = member()
    consumer_like(app.extensions["alumnet"].store, handlers.subscriptions())(MEMBERS_CATALOG.create(
        MEMBER_ERASED, gone["id"], {"member_id": gone["id"], "erased_at": NOW.isoformat()}, "test"))
    for owner_id in (gone["id"], "f" * 32):
        problem = assert_problem(client.post(CAUSES, json=body(owner_id=owner_id), headers=admin), 422)
        assert "owner_id" in json.dumps(problem)
    cause = draft(client, admin)
    problem = assert_problem(client.patch(f"{CAUSES}/{cause['id']}", json={"owner_id": gone["id"]}, headers=admin), 422)
    assert "owner_id" in json.dumps(problem)
    assert db.causes.count_documents({"owner_id": gone["id"]}) == 0
    assert client.patch(f"{CAUSES}/{cause['id']}", json={"owner_id": member()["id"]}, headers=admin).status_code == 200


def test_the_owner_edits_the_draft_and_the_office_a_published_cause_whose_roles_are_fixed(client, db, admin, member):
    owner = member()
    cause = draft(client, admin, owner_id=owner["id"])
    response = client.patch(f"{CAUSES}/{cause['id']}", json={"roles": [{**GUIDE, "slots": 5}]},
                            headers=owner["headers"])
    assert response.status_code == 200 and response.get_json()["roles"][0]["slots_left"] == 5
    assert owner["id"] in [c["owner_id"] for c in client.get(f"{CAUSES}?status=draft",
                                                               headers=owner["headers"]).get_json()["items"]]
    assert_problem(client.patch(f"{CAUSES}/{cause['id']}", json={"owner_id": member()["id"]},
                                headers=owner["headers"]), 403)
    client.post(f"{CAUSES}/{cause['id']}/publish", headers=admin)
    assert_problem(client.patch(f"{CAUSES}/{cause['id']}", json={"title": {"bg": "Б", "en": "B"}},
                                headers=owner["headers"]), 403)
    assert_problem(client.patch(f"{CAUSES}/{cause['id']}", json={"roles": [GUIDE]}, headers=admin), 409)
    response = client.patch(f"{CAUSES}/{cause['id']}", json={"title": {"bg": "Ново", "en": "New"}}, headers=admin)
    assert response.get_json()["title"]["en"] == "New"
    late = client.patch(f"{CAUSES}/{cause['id']}", json={"deadline": (NOW - timedelta(days=1)).isoformat()},
                        headers=admin)
    assert "deadline" in assert_problem(late, 422)["errors"]


# --------------------------------------------------------------------------- joining and leaving

def test_a_role_with_two_slots_takes_two_the_third_waits_and_a_leave_promotes_it(client, db, admin, member):
    cause = published(client, admin)
    first, second, third, fourth = member(), member(), member(), member()
    assert join(client, cause, first, note="Ще дойда с колега.")["status"] == "joined"
    assert join(client, cause, second)["status"] == "joined"
    waiting = join(client, cause, third)
    assert (waiting["status"], waiting["position"]) == ("waitlisted", 1)
    assert join(client, cause, fourth)["position"] == 2
    shown = read(client, cause, third)
    assert shown["roles"][0]["slots_left"] == 0 and shown["roles"][0]["waiting"] == 2
    assert [(m["status"], m["position"]) for m in shown["mine"]] == [("waitlisted", 1)]
    assert shown["progress"]["percent"] == 100
    left = leave(client, cause, first)
    assert (left["status"], left["left_reason"]) == ("left", "member")
    assert read(client, cause, third)["mine"][0]["status"] == "joined"
    assert read(client, cause, fourth)["mine"][0]["position"] == 1
    joined = data(db, "events.volunteer.joined")
    assert [(d["member_id"], d["status"], d["position"], d["promoted"]) for d in joined] == [
        (first["id"], "joined", None, False), (second["id"], "joined", None, False),
        (third["id"], "waitlisted", 1, False), (fourth["id"], "waitlisted", 2, False),
        (third["id"], "joined", None, True)]
    assert joined[0]["role"]["what_to_bring"] == GUIDE["what_to_bring"]
    assert joined[0]["role"]["place"]["name"] == "Аула на МУ-Пловдив"
    assert [(d["member_id"], d["reason"]) for d in data(db, "events.volunteer.left")] == [(first["id"], "member")]
    assert "Ще дойда" not in str(outbox_events(db, "events.volunteer.joined"))  # the note stays with the owner
    leave(client, cause, first, status=404)
    assert join(client, cause, first)["position"] == 2  # asks anew, at the end of the queue


def test_joining_twice_late_or_closed_is_refused_and_a_retried_join_is_replayed(client, db, admin, member, clock):
    cause = published(client, admin)
    maria = member()
    key = {**maria["headers"], "Idempotency-Key": "join-1"}
    first = client.post(f"{CAUSES}/{cause['id']}/roles/guide/volunteers", json={}, headers=key)
    again = client.post(f"{CAUSES}/{cause['id']}/roles/guide/volunteers", json={}, headers=key)
    assert first.status_code == again.status_code == 201 and again.headers["Idempotent-Replayed"] == "true"
    assert again.get_json() == first.get_json()
    assert assert_problem(client.post(f"{CAUSES}/{cause['id']}/roles/guide/volunteers", json={},
                                      headers=maria["headers"]), 409)["type"].endswith("already-volunteering")
    assert len(data(db, "events.volunteer.joined")) == 1
    join(client, cause, member(), role_id="no-such-role", status=404)
    assert "quantity" in join(client, cause, member(), status=422, quantity=2)["errors"]
    unverified = member(status="pending_verification")
    assert_problem(client.post(f"{CAUSES}/{cause['id']}/roles/guide/volunteers", json={},
                               headers=unverified["headers"]), 404)
    assert join(client, draft(client, admin), admin_of(admin), status=409)["type"].endswith("not-published")
    clock.advance(days=30)  # the deadline
    assert "deadline" in join(client, cause, member(), status=422)["detail"]
    assert read(client, cause, maria)["joining_open"] is False


def test_a_collection_takes_pledges_up_to_what_is_wanted(client, db, admin, member):
    cause = published(client, admin, "collection")
    giver, second, third = member(), member(), member()
    assert join(client, cause, giver, role_id="books", quantity=25)["quantity"] == 25
    assert "Only 5 still wanted" in join(client, cause, second, role_id="books", status=422, quantity=8)["detail"]
    assert "quantity" in join(client, cause, second, role_id="books", status=422)["errors"]
    join(client, cause, second, role_id="books", quantity=5)
    assert join(client, cause, third, role_id="books", quantity=3)["status"] == "waitlisted"
    assert read(client, cause, giver)["progress"] == {"kind": "collection", "done": 30, "target": 30, "percent": 100}
    leave(client, cause, giver, role_id="books")
    assert read(client, cause, third)["mine"][0]["status"] == "joined"
    assert read(client, cause, giver)["progress"]["done"] == 8
    assert [d["quantity"] for d in data(db, "events.volunteer.joined")] == [25, 5, 3, 3]


def test_a_campaigns_owner_moves_its_progress(client, db, admin, member):
    owner, other = member(), member()
    cause = published(client, admin, "campaign", owner_id=owner["id"])
    assert cause["goal"] == {"target": 5000, "unit": {"bg": "лв.", "en": "BGN"}, "current": 0}
    assert cause["donation_url"] == "https://mu-plovdiv.bg/darenia"
    response = client.post(f"{CAUSES}/{cause['id']}/progress", json={"current": 1250.5}, headers=owner["headers"])
    assert response.status_code == 200
    assert response.get_json()["progress"] == {"kind": "campaign", "done": 1250.5, "target": 5000, "percent": 25}
    assert_problem(client.post(f"{CAUSES}/{cause['id']}/progress", json={"current": 1}, headers=other["headers"]), 403)
    assert read(client, cause, other)["goal"]["current"] == 1250.5
    assert "current" in assert_problem(client.post(f"{CAUSES}/{cause['id']}/progress", json={"current": -1},
                                                   headers=admin), 422)["errors"]
    volunteering = published(client, admin)
    assert_problem(client.post(f"{CAUSES}/{volunteering['id']}/progress", json={"current": 1}, headers=admin), 409)
    response = client.patch(f"{CAUSES}/{cause['id']}", json={"goal": {"target": 8000, "unit": {"bg": "лв.",
                                                                                               "en": "BGN"}}},
                            headers=admin)
    assert response.get_json()["goal"]["current"] == 1250.5  # a new target keeps what was reached


# --------------------------------------------------------------------------- hours

def test_hours_are_confirmed_once_a_day_for_joined_volunteers_by_those_who_run_the_cause(client, db, admin, member):
    owner = member()
    cause = published(client, admin, owner_id=owner["id"])
    worker, waiting, stranger = member(), member(), member()
    volunteer = join(client, cause, worker)
    join(client, cause, member())
    queued = join(client, cause, waiting)
    url = f"{CAUSES}/{cause['id']}/volunteers/{volunteer['volunteer_id']}/hours"
    body = {"hours": 4.5, "on": "2030-03-01", "note": "Водеше групите."}
    response = client.post(url, json=body, headers=owner["headers"])
    assert response.status_code == 201, response.get_json()
    assert (response.get_json()["hours"], response.get_json()["on"]) == (4.5, "2030-03-01")
    assert assert_problem(client.post(url, json=body, headers=admin), 409)["type"].endswith("hours-already-confirmed")
    assert client.post(url, json={"hours": 2, "on": "2030-02-28"}, headers=admin).status_code == 201
    assert "on" in assert_problem(client.post(url, json={"hours": 2, "on": "2030-03-02"}, headers=admin),
                                  422)["errors"]
    assert "hours" in assert_problem(client.post(url, json={"hours": 25, "on": "2030-02-27"}, headers=admin),
                                     422)["errors"]
    assert "hours" in assert_problem(client.post(url, json={"hours": 0.25, "on": "2030-02-27"}, headers=admin),
                                     422)["errors"]
    assert_problem(client.post(url, json={"hours": 2, "on": "2030-02-27"}, headers=stranger["headers"]), 403)
    assert_problem(client.post(url, json={"hours": 2, "on": "2030-02-27"}, headers=worker["headers"]), 403)
    waiting_url = f"{CAUSES}/{cause['id']}/volunteers/{queued['volunteer_id']}/hours"
    assert_problem(client.post(waiting_url, json={"hours": 2, "on": "2030-02-27"}, headers=admin), 409)
    assert_problem(client.post(f"{CAUSES}/{cause['id']}/volunteers/{'f' * 32}/hours",
                               json={"hours": 2, "on": "2030-02-27"}, headers=admin), 404)
    confirmed = data(db, "events.volunteer.hours_confirmed")
    assert [(d["member_id"], d["hours"], d["on"], d["confirmed_by"]) for d in confirmed] == [
        (worker["id"], 4.5, "2030-03-01", owner["id"]), (worker["id"], 2.0, "2030-02-28", ADMIN_ID)]
    assert confirmed[0]["volunteer_id"] == volunteer["volunteer_id"] and confirmed[0]["role_id"] == "guide"
    assert read(client, cause, worker)["mine"][0]["hours_total"] == 6.5
    assert read(client, cause, worker)["hours_total"] == 6.5


# --------------------------------------------------------------------------- closing

def test_closing_tells_those_waiting_and_keeps_the_joined(client, db, admin, member):
    owner = member()
    cause = published(client, admin, owner_id=owner["id"])
    first, second, third = member(), member(), member()
    for who in (first, second, third):
        join(client, cause, who)
    assert_problem(client.post(f"{CAUSES}/{cause['id']}/close", headers=first["headers"]), 403)
    response = client.post(f"{CAUSES}/{cause['id']}/close", headers=owner["headers"])
    assert response.status_code == 200 and response.get_json()["status"] == "closed"
    assert client.post(f"{CAUSES}/{cause['id']}/close", headers=admin).status_code == 200
    [closed] = data(db, "events.cause.closed")  # closing again tells nobody again
    assert sorted(closed["member_ids"]) == sorted([first["id"], second["id"], third["id"]])
    assert closed["waiting_member_ids"] == [third["id"]]
    assert [(d["member_id"], d["reason"]) for d in data(db, "events.volunteer.left")] == [(third["id"],
                                                                                             "cause_closed")]
    assert read(client, cause, first)["mine"][0]["status"] == "joined"
    assert read(client, cause, third)["mine"] == []
    assert read(client, cause, third)["roles"][0]["waiting"] == 0
    assert "closed" in join(client, cause, member(), status=422)["detail"]
    assert_problem(client.delete(f"{CAUSES}/{cause['id']}/roles/guide/volunteers/me", headers=first["headers"]),
                   409)
    assert client.get(f"{CAUSES}?status=closed", headers=first["headers"]).get_json()["total"] == 1
    assert_problem(client.post(f"{CAUSES}/{draft(client, admin)['id']}/close", headers=admin), 409)


def test_the_owners_list_of_volunteers_has_their_names(client, db, admin, member, clock):
    owner = member()
    cause = published(client, admin, owner_id=owner["id"])
    ivan, elena, petar = member(given_name="Иван"), member(given_name="Елена"), member(given_name="Петър")
    for who in (ivan, elena, petar):
        join(client, cause, who, note=f"от {who['id'][:4]}")
        clock.advance(minutes=1)
    listing = client.get(f"{CAUSES}/{cause['id']}/volunteers", headers=owner["headers"]).get_json()
    assert [(v["given_name"], v["status"], v["position"]) for v in listing["items"]] == [
        ("Иван", "joined", None), ("Елена", "joined", None), ("Петър", "waitlisted", 1)]
    assert listing["items"][0]["note"] == f"от {ivan['id'][:4]}"
    waiting = client.get(f"{CAUSES}/{cause['id']}/volunteers?status=waitlisted", headers=admin).get_json()
    assert [v["member_id"] for v in waiting["items"]] == [petar["id"]]
    assert_problem(client.get(f"{CAUSES}/{cause['id']}/volunteers", headers=ivan["headers"]), 403)


# --------------------------------------------------------------------------- who may do what

def test_who_may_call_every_route(client, db, admin, member):
    """Anonymous callers are 401 everywhere; members who do not see a cause get 404; those who
    see it but do not run it 403 on the owner's routes; only admins create and publish."""
    owner, other = member(), member()
    cause = published(client, admin, owner_id=owner["id"])
    drafted = draft(client, admin, owner_id=owner["id"])
    volunteer = join(client, cause, other)
    base = f"{CAUSES}/{cause['id']}"
    routes = [("POST", CAUSES, {"kind": "volunteering"}), ("GET", CAUSES, None), ("GET", base, None),
              ("PATCH", base, {}), ("POST", f"{base}/publish", None), ("POST", f"{base}/close", None),
              ("POST", f"{base}/progress", {"current": 1}), ("POST", f"{base}/roles/guide/volunteers", {}),
              ("DELETE", f"{base}/roles/guide/volunteers/me", None), ("GET", f"{base}/volunteers", None),
              ("POST", f"{base}/volunteers/{volunteer['volunteer_id']}/hours", {"hours": 1, "on": "2030-03-01"})]
    for method, url, json in routes:
        assert_problem(client.open(url, method=method, json=json), 401)
    assert_problem(client.post(CAUSES, json={"kind": "volunteering"}, headers=owner["headers"]), 403)
    assert_problem(client.post(f"{base}/publish", headers=owner["headers"]), 403)
    for method, url, json in routes[3:4] + routes[5:7] + routes[9:]:
        assert_problem(client.open(url, method=method, json=json, headers=other["headers"]), 403)
    hidden = f"{CAUSES}/{drafted['id']}"
    for method, url, json in [("GET", hidden, None), ("PATCH", hidden, {}), ("POST", f"{hidden}/close", None),
                              ("GET", f"{hidden}/volunteers", None), ("POST", f"{hidden}/roles/guide/volunteers", {})]:
        assert_problem(client.open(url, method=method, json=json, headers=other["headers"]), 404)
    assert read(client, drafted, owner)["status"] == "draft"  # the owner sees their draft
    assert client.get(f"{base}/volunteers", headers=owner["headers"]).status_code == 200
    assert_problem(client.get(f"{CAUSES}/{'f' * 32}", headers=admin), 404)


def test_the_cause_routes_are_documented(client):
    spec = client.get("/api/v1/events/openapi.json").get_json()
    for path, methods in {"/api/v1/events/causes": {"post", "get"},
                          "/api/v1/events/causes/{cause_id}": {"get", "patch"},
                          "/api/v1/events/causes/{cause_id}/publish": {"post"},
                          "/api/v1/events/causes/{cause_id}/close": {"post"},
                          "/api/v1/events/causes/{cause_id}/progress": {"post"},
                          "/api/v1/events/causes/{cause_id}/roles/{role_id}/volunteers": {"post"},
                          "/api/v1/events/causes/{cause_id}/roles/{role_id}/volunteers/me": {"delete"},
                          "/api/v1/events/causes/{cause_id}/volunteers": {"get"},
                          "/api/v1/events/causes/{cause_id}/volunteers/{volunteer_id}/hours": {"post"}}.items():
        assert methods <= set(spec["paths"][path]), path
        for method in methods:
            assert spec["paths"][path][method].get("description") or spec["paths"][path][method].get("summary")


# --------------------------------------------------------------------------- erasure

def test_an_erased_volunteer_leaves_nothing_personal_and_their_slot_goes_to_the_next_waiting(
        app, client, db, admin, member):
    erased, other, waiting = member(), member(), member()
    cause = published(client, admin, owner_id=erased["id"])
    closed = published(client, admin)
    volunteer = join(client, cause, erased, note="Мария Петрова, тел. 0888")
    join(client, cause, other)
    join(client, cause, waiting)
    client.post(f"{CAUSES}/{cause['id']}/volunteers/{volunteer['volunteer_id']}/hours", headers=admin,
                json={"hours": 3, "on": "2030-03-01", "note": "Благодарим на Мария."})
    kept = join(client, closed, erased)
    # A stored reply naming them as an owner (the office's retried POST) goes with them too.
    assert client.post(CAUSES, json=body(owner_id=erased["id"]),
                       headers={**admin, "Idempotency-Key": "owned-1"}).status_code == 201
    assert db.idempotency.count_documents({"about": erased["id"]}) == 1
    client.post(f"{CAUSES}/{closed['id']}/close", headers=admin)
    joined_before = len(data(db, "events.volunteer.joined"))
    deliver = consumer_like(app.extensions["alumnet"].store, handlers.subscriptions())
    erasure = MEMBERS_CATALOG.create(MEMBER_ERASED, erased["id"], {
        "member_id": erased["id"], "erased_at": "2030-03-01T11:00:00+00:00"}, "test")
    deliver(erasure)
    deliver(erasure)  # a redelivery changes nothing more
    for collection in ("cause_volunteers", "cause_hours", "causes", "idempotency"):
        assert erased["id"] not in str(list(db[collection].find())), collection
        assert "Мария" not in str(list(db[collection].find())), collection
    gone = db.cause_volunteers.find_one({"_id": volunteer["volunteer_id"]})
    assert (gone["status"], gone["left_reason"], gone["note"]) == ("left", "erased", None)
    assert db.cause_volunteers.find_one({"_id": kept["volunteer_id"]})["status"] == "joined"  # a closed cause's
    assert read(client, cause, waiting)["mine"][0]["status"] == "joined"
    promoted = data(db, "events.volunteer.joined")[joined_before:]
    assert [(d["member_id"], d["promoted"]) for d in promoted] == [(waiting["id"], True)]
    assert promoted[0]["owner_id"] is None  # the erased owner is no longer named
    assert data(db, "events.volunteer.left") == []  # nothing published about the erased member
    assert db.cause_hours.find_one()["hours"] == 3  # what was given stays counted, anonymously
    assert read(client, cause, waiting)["roles"][0]["filled"] == 2


# --------------------------------------------------------------------------- concurrency

def test_concurrent_joins_never_overfill_a_role_and_a_leave_promotes_the_first_waiting(app, db, admin, member):
    """Eight members join a role with two slots at once, each request on its own thread (the
    store's write conflicts are retried): exactly two joined, six waiting at places 1..6; then
    one leaves and the first waiting is promoted with an event."""
    client = app.test_client()
    cause = published(client, admin)
    people = [member() for _ in range(8)]

    def attempt(person):
        response = app.test_client().post(f"{CAUSES}/{cause['id']}/roles/guide/volunteers", json={},
                                          headers=person["headers"])
        return response.status_code, response.get_json()

    with ThreadPoolExecutor(4) as pool:
        answers = list(pool.map(attempt, people))
    assert {status for status, _ in answers} == {201}, answers
    statuses = [body["status"] for _, body in answers]
    assert statuses.count("joined") == 2 and statuses.count("waitlisted") == 6
    assert sorted(body["position"] for _, body in answers if body["status"] == "waitlisted") == list(range(1, 7))
    counts = db.causes.find_one({"_id": cause["id"]})["counts"]["guide"]
    assert counts == {"filled": 2, "waiting": 6, "seq": 6}
    assert db.cause_volunteers.count_documents({"cause_id": cause["id"], "status": "joined"}) == 2
    assert len(data(db, "events.volunteer.joined")) == 8
    first_in = next(p for p, (_, body) in zip(people, answers) if body["status"] == "joined")
    next_up = next(p for p, (_, body) in zip(people, answers) if body["position"] == 1)
    leave(client, cause, first_in)
    assert read(client, cause, next_up)["mine"][0]["status"] == "joined"
    last = data(db, "events.volunteer.joined")[-1]
    assert (last["member_id"], last["status"], last["promoted"]) == (next_up["id"], "joined", True)
