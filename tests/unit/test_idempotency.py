"""``Idempotency-Key`` (``shared.web.idempotency``) against the local SecantusDB server, through
a small app whose POST views write in a store transaction as every service's do (and the events
service's own create, whose write had been outside any transaction).

Checked: the key's result is stored in the business write's transaction, so a failure after
that write (a later step of the view, or after the response is made) never lets a retry create
twice; a key left ``running`` by a dead worker is free again after the request's deadline, and
not before; replays are bound to the caller, and on anonymous routes only to the very same body
(secret fields included), refusals carrying no data of the first request.
"""
from __future__ import annotations

import hashlib
import json
import uuid
from datetime import timedelta

import marshmallow as ma
import pytest
from flask import g
from flask.views import MethodView
from shared.web.inputs import Blueprint

from shared import clock
from shared.auth import TokenIssuer, TokenVerifier, require_auth
from shared.store import ServiceStore
from shared.web.app import create_service_app
from shared.web.idempotency import COLLECTION, DEADLINE_S, about, idempotent, purge_member
from tests.support import assert_problem, bearer

THINGS = "/api/v1/demo/things"
ANONYMOUS = "/api/v1/demo/anonymous-things"


class ThingSchema(ma.Schema):
    id = ma.fields.String(dump_only=True)
    name = ma.fields.String(required=True)
    password = ma.fields.String(load_only=True)
    owner = ma.fields.String(dump_only=True)


class DemoStore(ServiceStore):
    pass


def build_app(config, store, verifier, after_write: list):
    """Things are inserted in a store transaction; then the view takes one step of
    ``after_write`` per request (where tests inject a failure, as the announcement's
    progress read after its write)."""
    blp = Blueprint("demo", __name__, url_prefix="/api/v1/demo")

    def create(data: dict, owner: str | None) -> dict:
        thing = {"_id": uuid.uuid4().hex, "name": data["name"], "owner": owner}
        store.transaction(lambda session: store.db.things.insert_one(thing, session=session))
        if after_write:
            after_write.pop(0)()
        return {"id": thing["_id"], "name": thing["name"], "owner": owner}

    @blp.route("/things")
    class Things(MethodView):
        @require_auth()
        @idempotent
        @blp.arguments(ThingSchema)
        @blp.response(201, ThingSchema)
        def post(self, data: dict):
            return create(data, g.principal.subject), 201

    @blp.route("/anonymous-things")
    class AnonymousThings(MethodView):
        @idempotent
        @blp.arguments(ThingSchema)
        @blp.response(201, ThingSchema)
        def post(self, data: dict):
            created = create(data, None)
            about(created["id"])  # as the sign-up names its new member
            return created, 201

    return create_service_app("demo", config, store, blueprints=[blp], verifier=verifier)


class StoreDown(Exception):
    """What a store read failing after the business write looks like to the view."""


def fail() -> None:
    raise StoreDown("the read after the write failed")


@pytest.fixture
def after_write() -> list:
    return []


@pytest.fixture
def store(make_config, db_prefix):
    config = make_config()
    store = DemoStore(config.mongo_url, f"{db_prefix}demo")
    store.create_indexes()
    yield store
    store.client.drop_database(store.db.name)


@pytest.fixture
def app(make_config, store, jwt_keys, after_write):
    config = make_config()
    verifier = TokenVerifier.from_file(str(jwt_keys[1]), config.jwt_issuer, config.jwt_audience)
    return build_app(config, store, verifier, after_write)


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def token(jwt_keys):
    issuer = TokenIssuer.from_file(str(jwt_keys[0]), "alumnet", "alumnet", 900)
    return lambda subject: bearer(issuer.issue(subject, ["admin"]))


def test_a_failure_after_the_business_write_lets_the_retry_create_it_once(client, store, after_write, token):
    headers = {**token("office-1"), "Idempotency-Key": "k-1"}
    after_write.append(fail)
    assert_problem(client.post(THINGS, json={"name": "concert"}, headers=headers), 500)
    retry = client.post(THINGS, json={"name": "concert"}, headers=headers)
    assert retry.status_code == 201, retry.get_data(as_text=True)
    assert [t["_id"] for t in store.db.things.find()] == [retry.get_json()["id"]]
    again = client.post(THINGS, json={"name": "concert"}, headers=headers)
    assert again.headers["Idempotent-Replayed"] == "true"
    assert again.get_json() == retry.get_json()
    assert store.db.things.count_documents({}) == 1


def test_a_failure_after_the_response_is_made_replays_the_first_result(app, client, store, token):
    """The commit holds the response: a request lost after it (here a failing after-request
    step; in life a dead worker or a dropped connection) is answered by its first result."""
    lost = []

    @app.after_request
    def lose_the_first_response(response):
        if not lost:
            lost.append(response.get_json())
            raise StoreDown("the response was lost")
        return response

    headers = {**token("office-1"), "Idempotency-Key": "k-2"}
    assert_problem(client.post(THINGS, json={"name": "gala"}, headers=headers), 500)
    retry = client.post(THINGS, json={"name": "gala"}, headers=headers)
    assert retry.status_code == 201 and retry.headers["Idempotent-Replayed"] == "true"
    assert retry.get_json() == lost[0]
    assert store.db.things.count_documents({}) == 1


def orphan(store, key: str, age_s: float) -> dict:
    """What a worker killed inside its request leaves: the key claimed, nothing created."""
    store.db[COLLECTION].insert_one({"_id": f"POST {THINGS} office-1 {key}", "state": "running", "claim": "dead-worker",
                                     "fingerprint": "x", "created_at": clock.now() - timedelta(seconds=age_s)})
    return {"Idempotency-Key": key}


def test_a_key_left_running_by_a_dead_worker_is_free_after_the_request_deadline(client, store, token):
    recent = orphan(store, "recent", age_s=DEADLINE_S - 2)
    assert_problem(client.post(THINGS, json={"name": "picnic"}, headers={**token("office-1"), **recent}), 409)
    assert store.db.things.count_documents({}) == 0
    headers = {**token("office-1"), **orphan(store, "old", age_s=DEADLINE_S + 1)}
    retry = client.post(THINGS, json={"name": "picnic"}, headers=headers)
    assert retry.status_code == 201, retry.get_data(as_text=True)
    assert "Idempotent-Replayed" not in retry.headers
    assert store.db.things.count_documents({}) == 1
    assert client.post(THINGS, json={"name": "picnic"}, headers=headers).headers["Idempotent-Replayed"] == "true"


def test_a_slow_request_whose_key_was_taken_over_creates_nothing(client, store, after_write, token):
    """Past the deadline another request may take the key over; the slow one then finds its
    claim gone inside its transaction and aborts, so the thing is created once at most."""
    after_write.append(lambda: store.db[COLLECTION].update_many({}, {"$set": {"claim": "another-worker"}}))
    response = client.post(THINGS, json={"name": "slow"}, headers={**token("office-1"), "Idempotency-Key": "slow"})
    assert_problem(response, 409)
    assert store.db.things.count_documents({}) == 0
    assert store.db[COLLECTION].find_one()["claim"] == "another-worker"


def test_another_caller_with_the_same_key_never_sees_the_first_response(client, store, token):
    first = client.post(THINGS, json={"name": "picnic"}, headers={**token("office-1"), "Idempotency-Key": "same"})
    second = client.post(THINGS, json={"name": "picnic"}, headers={**token("office-2"), "Idempotency-Key": "same"})
    assert first.status_code == second.status_code == 201
    assert "Idempotent-Replayed" not in second.headers
    assert second.get_json()["owner"] == "office-2" and second.get_json()["id"] != first.get_json()["id"]


def test_an_anonymous_replay_needs_the_very_same_body_secrets_included(client, store):
    headers = {"Idempotency-Key": "signup-1"}
    first = client.post(ANONYMOUS, json={"name": "Мария", "password": "first-secret-1"}, headers=headers)
    assert first.status_code == 201
    same = client.post(ANONYMOUS, json={"password": "first-secret-1", "name": "Мария"}, headers=headers)
    assert same.headers["Idempotent-Replayed"] == "true" and same.get_json() == first.get_json()
    for body in ({"name": "Мария", "password": "another-secret"}, {"name": "Мария"}, {"name": "Иван"}):
        refused = client.post(ANONYMOUS, json=body, headers=headers)
        problem = assert_problem(refused, 422)
        assert first.get_json()["id"] not in refused.get_data(as_text=True)
        assert "Мария" not in refused.get_data(as_text=True)
        assert set(problem["errors"]) == {"Idempotency-Key"}
    assert store.db.things.count_documents({}) == 1


def test_the_stored_record_keeps_no_secret_and_no_fast_hash_of_one(client, store):
    client.post(ANONYMOUS, json={"name": "Мария", "password": "first-secret-1"}, headers={"Idempotency-Key": "s"})
    record = str(store.db[COLLECTION].find_one())
    assert "first-secret-1" not in record
    assert hashlib.sha256(b"first-secret-1").hexdigest() not in record
    assert hashlib.sha256(json.dumps({"password": "first-secret-1"}).encode()).hexdigest() not in record


def test_a_failure_after_an_event_is_stored_never_makes_its_retry_create_it_twice(make_config, admin_headers,
                                                                                  monkeypatch):
    """The events service's own create: its write joins the key's transaction too."""
    from services.events import api as events_api
    from services.events.app import create_app as events_app
    app = events_app(make_config(AMQP_URL="memory://"))
    view, failures = events_api.public_view, [StoreDown("the response could not be made")]

    def public_view_failing_once(*args, **kwargs):
        if failures:
            raise failures.pop()
        return view(*args, **kwargs)

    monkeypatch.setattr(events_api, "public_view", public_view_failing_once)
    client, headers = app.test_client(), {**admin_headers, "Idempotency-Key": "reunion-2027"}
    body = {"title": {"bg": "Среща", "en": "Reunion"}, "kind": "reunion", "starts_at": "2027-05-15T18:00",
            "ends_at": "2027-05-15T23:00", "capacity": 80, "place": {"name": "Аула", "city": "Пловдив"}}
    assert_problem(client.post("/api/v1/events", json=body, headers=headers), 500)
    retry = client.post("/api/v1/events", json=body, headers=headers)
    assert retry.status_code == 201, retry.get_data(as_text=True)
    events = app.extensions["alumnet"].store.db.events
    assert [e["_id"] for e in events.find()] == [retry.get_json()["id"]]


def test_purging_a_member_deletes_the_replies_of_their_requests_and_about_them_only(client, store, token):
    """Erasure: the replies of a member's own requests, and of anonymous ones tagged as about
    them (a sign-up), go; everyone else's stay and still replay."""
    for caller in ("member-a", "member-b"):
        assert client.post(THINGS, json={"name": "ball"}, headers={**token(caller), "Idempotency-Key": "k"}
                           ).status_code == 201
    made = [client.post(ANONYMOUS, json={"name": name}, headers={"Idempotency-Key": name}).get_json()["id"]
            for name in ("mine", "theirs")]
    replies = store.db[COLLECTION]
    assert purge_member(store.db, None, "member-a") == 1
    assert purge_member(store.db, None, made[0]) == 1
    assert purge_member(store.db, None, "member") == 0  # an id, never a prefix of one
    assert sorted(r["_id"].split(" ")[2] for r in replies.find()) == ["-", "member-b"]
    assert replies.find_one({"about": made[1]}) is not None
    again = client.post(THINGS, json={"name": "ball"}, headers={**token("member-b"), "Idempotency-Key": "k"})
    assert again.headers["Idempotent-Replayed"] == "true"


def test_purging_a_member_deletes_the_replies_of_requests_on_paths_naming_them(store):
    """An admin's POST under ``/members/<id>/`` repeats what it said of that member."""
    replies = store.db[COLLECTION]
    for scope in ("POST /api/v1/members/abc/consents office-1 k", "POST /api/v1/members/abc office-1 k",
                  "POST /api/v1/members/abcd/consents office-1 k", "POST /api/v1/things office-1 abc"):
        replies.insert_one({"_id": scope, "state": "done"})
    assert purge_member(store.db, None, "abc") == 2
    assert sorted(r["_id"] for r in replies.find()) == ["POST /api/v1/members/abcd/consents office-1 k",
                                                       "POST /api/v1/things office-1 abc"]
