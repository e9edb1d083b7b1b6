"""The HTTP layer every service shares (``shared.web``, ``shared.auth.require_auth``), exercised
through the real members app with Flask's test client.

The members app runs against the session's local SecantusDB server (each test has its own
database) with ``AMQP_URL=memory://`` so that no broker is needed. A few checks use a bare
``create_service_app`` with a stub store where no store is involved.

Checked: every error is RFC 9457 ``application/problem+json`` (validation with a field map,
malformed JSON, 404, 405 with Allow, 413, 401/403, unexpected 500s without leaking details);
bad input refused the same way everywhere (``shared.web.inputs``: nesting depth, 415, strict
JSON types through nested schemas; the sweep over every route is test_bad_input_every_route);
``X-Request-ID`` in and out; health, readiness, metrics, OpenAPI and Swagger UI; rejected
requests store nothing; ``Idempotency-Key`` replays; bearer-token authorisation.
"""
from __future__ import annotations

import json
import uuid
from types import SimpleNamespace

import pytest
import flask_smorest
from flask.views import MethodView
from marshmallow import Schema, fields
from prometheus_client.parser import text_string_to_metric_families

from services.members.app import create_app
from shared.auth import TokenIssuer, generate_keypair
from shared.bus.envelope import decode
from shared.config import load
from shared.logs import current_correlation_id
from shared.web.app import create_service_app
from shared.web.inputs import MAX_DEPTH, Blueprint, nests_too_deep
from shared.web.problems import Problem
from tests.support import signed_up_id

PROBLEM = "application/problem+json"
MEMBERS = "/api/v1/members"


def signup(**changes) -> dict:
    body = {
        "given_name": "Мария",
        "family_name": "Иванова",
        "email": "maria.ivanova@example.bg",
        "phone": "+359 888 123 456",
        "preferred_language": "bg",
        "graduation_year": 2015,
        "faculty": "medicine",
        "programme": "Медицина",
        "consent": {"email": True, "sms": False},
    }
    for key, value in changes.items():
        if value is ...:
            body.pop(key)
        else:
            body[key] = value
    return body


def assert_problem(response, status: int) -> dict:
    assert response.status_code == status, response.get_data(as_text=True)
    assert response.mimetype == PROBLEM
    body = response.get_json(force=True)
    assert body["status"] == status
    assert body["title"]
    assert body["type"] == "about:blank" or body["type"].startswith("https://alumnet.dev/problems/")
    assert body["request_id"] == response.headers["X-Request-ID"]
    return body


# --------------------------------------------------------------------------- problems

def test_validation_errors_name_every_bad_field(client, db):
    response = client.post(MEMBERS, json=signup(email="not-an-email", phone="12", graduation_year=1800,
                                                 preferred_language="de", consent=...))
    body = assert_problem(response, 422)
    assert body["type"] == "https://alumnet.dev/problems/validation"
    assert body["instance"] == MEMBERS
    assert set(body["errors"]) == {"email", "phone", "graduation_year", "preferred_language", "consent"}
    assert all(isinstance(messages, list) and messages for messages in body["errors"].values())
    assert db.members.count_documents({}) == 0
    assert db.outbox.count_documents({}) == 0


def test_nested_validation_errors_keep_their_structure(client):
    body = assert_problem(client.post(MEMBERS, json=signup(consent={"email": "perhaps"})), 422)
    assert set(body["errors"]) == {"consent"}
    assert set(body["errors"]["consent"]) == {"email", "sms"}


@pytest.mark.parametrize("year,ok", [(1944, False), (1945, True), (2100, False)])
def test_graduation_year_bounds(client, year, ok):
    response = client.post(MEMBERS, json=signup(graduation_year=year))
    if ok:
        assert response.status_code == 202
    else:
        assert set(assert_problem(response, 422)["errors"]) == {"graduation_year"}


def test_malformed_json_is_a_400_problem(client, db):
    response = client.post(MEMBERS, data='{"given_name": "Мария",', content_type="application/json")
    body = assert_problem(response, 400)
    assert "JSON" in json.dumps(body)
    assert db.members.count_documents({}) == 0


def test_json_the_decoder_or_unicode_cannot_hold_is_a_400_problem(client, db):
    # An integer of 5,000 digits (past Python's limit), and a lone surrogate in a value and in a
    # key (a client cutting a string inside an emoji): each was a 500.
    for raw in ('{"graduation_year": ' + "1" * 5000 + "}",
                json.dumps(signup(city="\ud800")), json.dumps({**signup(), "\ud800": 1}),
                json.dumps(signup(email="\udc00x@example.bg"))):  # the sign-up's rate limit reads the email first
        problem = assert_problem(client.post(MEMBERS, data=raw, content_type="application/json"), 400)
        assert problem["type"] == "https://alumnet.dev/problems/invalid-json"
    assert db.members.count_documents({}) == 0
    # An emoji's escaped pair is whole text, not a lone surrogate.
    assert client.post(MEMBERS, data=json.dumps(signup(city="Пловдив \U0001F600")),
                       content_type="application/json").status_code == 202


def test_a_json_array_is_not_a_sign_up(client):
    assert_problem(client.post(MEMBERS, json=[signup()]), 422)


def test_unknown_route_is_a_404_problem(client):
    body = assert_problem(client.get("/api/v1/members/abc/def"), 404)
    assert body["instance"] == "/api/v1/members/abc/def"
    assert_problem(client.get("/no/such/thing"), 404)


def test_wrong_method_is_a_405_problem_with_allow(client):
    response = client.delete(MEMBERS)
    assert_problem(response, 405)
    allowed = {m.strip() for m in response.headers["Allow"].split(",")}
    assert "POST" in allowed and "DELETE" not in allowed
    response = client.post("/healthz")
    assert_problem(response, 405)
    assert "GET" in response.headers["Allow"]


def test_oversized_body_is_a_413_problem(make_config):
    app = create_app(make_config(AMQP_URL="memory://", MAX_CONTENT_LENGTH="1000"))
    client = app.test_client()
    response = client.post(MEMBERS, json=signup(programme="x" * 1200))
    assert_problem(response, 413)
    assert app.extensions["alumnet"].store.db.members.count_documents({}) == 0
    assert client.post(MEMBERS, json=signup()).status_code == 202  # a normal body still fits


def test_unexpected_errors_are_a_500_problem_without_details():
    blp = Blueprint("demo", __name__, url_prefix="/api/v1/demo")

    @blp.route("/boom")
    class Boom(MethodView):
        def get(self):
            raise RuntimeError("connection string mongodb://admin:secret@db")

    @blp.route("/teapot")
    class Teapot(MethodView):
        def get(self):
            raise Problem(409, "Already nominated.", kind="conflict", errors={"nominee": ["Taken."]},
                          headers={"Retry-After": "60"}, nomination_id="n-1")

    app = create_service_app("demo", load({}, require_keys=False), SimpleNamespace(), blueprints=[blp])
    client = app.test_client()
    response = client.get("/api/v1/demo/boom")
    body = assert_problem(response, 500)
    assert "secret" not in response.get_data(as_text=True)
    assert body["detail"] == "An unexpected error occurred."

    response = client.get("/api/v1/demo/teapot")
    body = assert_problem(response, 409)
    assert body["type"] == "https://alumnet.dev/problems/conflict"
    assert body["detail"] == "Already nominated."
    assert body["errors"] == {"nominee": ["Taken."]}
    assert body["nomination_id"] == "n-1"
    assert response.headers["Retry-After"] == "60"


# --------------------------------------------------------------------------- bad input

def nested(depth: int, inner: str = "1") -> str:
    return "[" * depth + inner + "]" * depth


@pytest.mark.parametrize("text,too_deep", [
    (nested(MAX_DEPTH), False),
    (nested(MAX_DEPTH + 1), True),
    ('{"a": ' * (MAX_DEPTH + 1) + "1" + "}" * (MAX_DEPTH + 1), True),
    (json.dumps({"note": "[" * 500 + "{" * 500}), False),  # brackets inside a string
    (json.dumps(["say \"[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[\" twice"] * 40), False),  # escaped quotes
    (json.dumps([[i] for i in range(10_000)]), False),  # wide is not deep
])
def test_nesting_is_measured_without_decoding(text, too_deep):
    assert nests_too_deep(text.encode()) is too_deep


def test_a_body_nested_to_the_limit_reaches_the_schema_and_one_level_more_does_not(client, db):
    body = json.dumps(signup(programme="HOLE")).replace('"HOLE"', nested(MAX_DEPTH - 1))  # the body is level 1
    assert set(assert_problem(client.post(MEMBERS, data=body, content_type="application/json"), 422)["errors"]) \
        == {"programme"}
    body = body.replace(nested(MAX_DEPTH - 1), nested(MAX_DEPTH))
    problem = assert_problem(client.post(MEMBERS, data=body, content_type="application/json"), 400)
    assert problem["type"] == "https://alumnet.dev/problems/too-deep"
    assert db.members.count_documents({}) == 0


def test_a_json_body_sent_as_another_type_is_a_415_naming_json(client, db):
    response = client.post(MEMBERS, data=json.dumps(signup()), content_type="text/plain")
    problem = assert_problem(response, 415)
    assert "application/json" in problem["detail"] and problem["expected"] == "application/json"
    assert db.members.count_documents({}) == 0


def test_an_unknown_query_parameter_of_a_list_is_a_422_naming_it(client, admin_headers):
    response = client.get(f"{MEMBERS}?status[$ne]=verified", headers=admin_headers)
    assert set(assert_problem(response, 422)["errors"]) == {"status[$ne]"}


class Inner(Schema):
    flag = fields.Boolean()


class Strict(Schema):
    name = fields.String(required=True)
    count = fields.Integer()
    ratio = fields.Float()
    flags = fields.List(fields.Boolean())
    inner = fields.Nested(Inner)
    many = fields.Nested(Inner, many=True)
    by_name = fields.Dict(keys=fields.String(), values=fields.Integer())
    maybe = fields.Integer(allow_none=True)


@pytest.fixture
def strict_client():
    blp = Blueprint("demo", __name__, url_prefix="/api/v1/demo")

    @blp.route("/things")
    class Things(MethodView):
        @blp.arguments(Strict)
        def post(self, body):
            return body

    return create_service_app("demo", load({}, require_keys=False), SimpleNamespace(), blueprints=[blp]).test_client()


def test_json_types_are_strict_through_lists_dicts_and_nested_schemas(strict_client):
    loose = {"count": "2", "ratio": "0.5", "flags": [True, 1], "inner": {"flag": "yes"},
             "many": [{"flag": True}, {"flag": 0}], "by_name": {"a": 1, "b": 2.5}, "maybe": None}
    problem = assert_problem(strict_client.post("/api/v1/demo/things", json=loose), 422)
    assert problem["errors"] == {
        "name": ["Missing data for required field."],  # the schema's own complaints come too
        "count": ["Not a valid integer."], "ratio": ["Not a valid number."], "flags": {"1": ["Not a valid boolean."]},
        "inner": {"flag": ["Not a valid boolean."]}, "many": {"1": {"flag": ["Not a valid boolean."]}},
        "by_name": {"b": {"value": ["Not a valid integer."]}}}
    strict = {"name": "x", "count": 2, "ratio": 1, "flags": [True, False], "inner": {"flag": False},
              "many": [{"flag": True}], "by_name": {"a": 1}, "maybe": None}
    response = strict_client.post("/api/v1/demo/things", json=strict)
    assert response.status_code == 200, response.get_data(as_text=True)
    assert response.get_json() == {**strict, "ratio": 1.0}


def test_a_route_reading_json_takes_no_body_as_an_empty_one(strict_client):
    problem = assert_problem(strict_client.post("/api/v1/demo/things", content_type="text/plain"), 422)
    assert problem["errors"] == {"name": ["Missing data for required field."]}


def test_only_blueprints_keeping_the_input_rules_are_registered():
    plain = flask_smorest.Blueprint("plain", __name__, url_prefix="/api/v1/plain")
    with pytest.raises(TypeError, match="shared.web.inputs.Blueprint"):
        create_service_app("plain", load({}, require_keys=False), SimpleNamespace(), blueprints=[plain])


# --------------------------------------------------------------------------- request ids

def test_request_id_is_echoed(client):
    response = client.get("/healthz", headers={"X-Request-ID": "req-42_a"})
    assert response.headers["X-Request-ID"] == "req-42_a"
    response = client.post(MEMBERS, json={}, headers={"X-Request-ID": "req-43"})
    assert response.headers["X-Request-ID"] == "req-43"
    assert assert_problem(response, 422)["request_id"] == "req-43"


def test_request_id_is_generated_when_absent(client):
    first = client.get("/no/such/thing")
    second = client.get("/no/such/thing")
    ids = [first.headers["X-Request-ID"], second.headers["X-Request-ID"]]
    assert all(uuid.UUID(i) for i in ids) and ids[0] != ids[1]
    assert first.get_json(force=True)["request_id"] == ids[0]


@pytest.mark.parametrize("forged", [
    "has spaces in it", "x" * 129, "semi;colon", "quote\"d", "{\"json\":1}",
    "ünïcode",
])
def test_an_unsafe_request_id_is_replaced(client, forged):
    response = client.get("/healthz", headers={"X-Request-ID": forged})
    assert response.headers["X-Request-ID"] != forged
    assert uuid.UUID(response.headers["X-Request-ID"])


def test_request_id_becomes_the_correlation_id_of_events(client, db):
    response = client.post(MEMBERS, json=signup(), headers={"X-Request-ID": "signup-req-7"})
    assert response.status_code == 202
    [record] = list(db.outbox.find())
    event = decode(record["body"])
    assert event.correlationid == "signup-req-7"
    assert event.type == "members.member.registered"
    assert event.subject == db.members.find_one()["_id"] == event.data["member_id"]
    assert event.data["given_name"] == "Мария"
    assert event.data["phone"] == "+359888123456"  # normalised to E.164


def test_request_id_does_not_outlive_the_request():
    app = create_service_app("demo", load({}, require_keys=False), SimpleNamespace(), blueprints=[])
    before = current_correlation_id()
    app.test_client().get("/healthz", headers={"X-Request-ID": "only-during-the-request"})
    assert current_correlation_id() == before


# --------------------------------------------------------------------------- operations

def test_healthz(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.get_json() == {"status": "ok", "service": "members"}


def test_readyz_reports_store_and_broker(client):
    response = client.get("/readyz")
    assert response.status_code == 200
    assert response.get_json() == {"status": "ready", "checks": {"store": True, "broker": True}}


def test_readyz_is_503_when_a_check_fails():
    app = create_service_app("demo", load({}, require_keys=False), SimpleNamespace(), blueprints=[],
                             ready_checks={"store": lambda: True, "broker": lambda: False})
    response = app.test_client().get("/readyz")
    assert response.status_code == 503
    assert response.get_json() == {"status": "not ready", "checks": {"store": True, "broker": False}}


def _request_counts(client) -> dict[tuple, float]:
    response = client.get("/metrics")
    assert response.status_code == 200
    assert response.mimetype == "text/plain"
    counts = {}
    for family in text_string_to_metric_families(response.get_data(as_text=True)):
        if family.name == "http_requests":
            for sample in family.samples:
                if sample.name == "http_requests_total":
                    labels = sample.labels
                    counts[(labels["service"], labels["method"], labels["route"], labels["status"])] = sample.value
    return counts


def test_metrics_count_requests_by_route_template(client):
    key = ("members", "GET", "/api/v1/members/<member_id>", "404")
    before = _request_counts(client).get(key, 0)
    member_id = "a-very-specific-member-id"
    client.get(f"{MEMBERS}/{member_id}")
    client.get(f"{MEMBERS}/another-one")
    counts = _request_counts(client)
    assert counts[key] == before + 2
    assert not any(member_id in route for _, _, route, _ in counts)
    assert counts[("members", "GET", "/metrics", "200")] >= 1


def test_metrics_count_unknown_routes_under_one_label(client):
    key = ("members", "GET", "unmatched", "404")
    before = _request_counts(client).get(key, 0)
    client.get("/scanner/probe/1")
    client.get("/scanner/probe/2")
    counts = _request_counts(client)
    assert counts[key] == before + 2
    assert not any("scanner" in route for _, _, route, _ in counts)


def test_openapi_document(client):
    response = client.get("/api/v1/members/openapi.json")
    assert response.status_code == 200
    spec = response.get_json()
    assert spec["openapi"].startswith("3.")
    sign_up = spec["paths"][MEMBERS]["post"]
    assert sign_up["requestBody"]["content"]["application/json"]["schema"]["$ref"].endswith("/SignUp")
    assert {"202", "422", "429"} <= set(sign_up["responses"])
    assert "security" not in sign_up  # anyone may sign up
    member_paths = spec["paths"][f"{MEMBERS}/{{member_id}}"]
    assert member_paths["patch"]["security"] == [{"bearerAuth": []}]
    assert member_paths["get"]["security"] == [{}, {"bearerAuth": []}]  # anyone; more with a token
    assert spec["components"]["securitySchemes"]["bearerAuth"] == {
        "type": "http", "scheme": "bearer", "bearerFormat": "JWT"}
    sign_up_schema = spec["components"]["schemas"]["SignUp"]
    assert {"given_name", "family_name", "email", "preferred_language", "consent"} <= set(sign_up_schema["required"])


def test_swagger_ui(client):
    response = client.get("/api/v1/members/docs")
    assert response.status_code == 200
    assert response.mimetype == "text/html"
    page = response.get_data(as_text=True)
    assert "swagger-ui" in page and "openapi.json" in page


# --------------------------------------------------------------------------- sign-up and idempotency

def test_sign_up_stores_the_member_and_its_event_together(client, db):
    response = client.post(MEMBERS, json=signup(email="Maria.Ivanova@Example.BG"))
    assert response.status_code == 202
    assert response.get_json()["status"] == "accepted" and "Location" not in response.headers
    [member] = list(db.members.find())
    assert member["email"] == "maria.ivanova@example.bg"
    assert member["status"] == "pending_verification"
    assert db.outbox.count_documents({"subject": member["_id"], "type": "members.member.registered"}) == 1


def test_a_duplicate_email_answers_as_a_new_one_and_creates_nothing(client, db):
    first = client.post(MEMBERS, json=signup())
    response = client.post(MEMBERS, json=signup(email="MARIA.IVANOVA@example.bg", given_name="Друга"))
    assert first.status_code == response.status_code == 202
    assert first.get_data() == response.get_data()
    assert db.members.count_documents({}) == 1
    assert db.outbox.count_documents({"type": "members.member.registered"}) == 1
    assert db.outbox.count_documents({"type": "members.member.signed_up_again"}) == 1


def test_same_idempotency_key_and_body_replays_the_first_response(client, db):
    headers = {"Idempotency-Key": "signup-7f3c"}
    first = client.post(MEMBERS, json=signup(), headers=headers)
    second = client.post(MEMBERS, json=signup(), headers=headers)
    assert first.status_code == second.status_code == 202
    assert "Idempotent-Replayed" not in first.headers
    assert second.headers["Idempotent-Replayed"] == "true"
    assert second.get_json() == first.get_json()
    assert db.members.count_documents({}) == 1
    assert db.outbox.count_documents({}) == 1


def test_same_idempotency_key_with_another_body_is_a_422_problem(client, db):
    headers = {"Idempotency-Key": "signup-7f3c"}
    assert client.post(MEMBERS, json=signup(), headers=headers).status_code == 202
    response = client.post(MEMBERS, json=signup(email="other@example.bg"), headers=headers)
    body = assert_problem(response, 422)
    assert "Idempotency-Key" in body["errors"]
    assert db.members.count_documents({}) == 1


def test_an_anonymous_replay_with_another_password_shows_nothing_of_the_first_sign_up(client, db):
    """Sign-up is anonymous: whoever repeats the key without the first password (the only
    field a stranger cannot copy from what they know of the member) learns nothing."""
    headers = {"Idempotency-Key": "signup-7f3c"}
    first = client.post(MEMBERS, json=signup(password="first-secret-2026"), headers=headers)
    assert first.status_code == 202
    member_id = db.members.find_one({})["_id"]
    response = client.post(MEMBERS, json=signup(password="guessed-secret-1"), headers=headers)
    body = assert_problem(response, 422)
    assert set(body["errors"]) == {"Idempotency-Key"}
    text = response.get_data(as_text=True)
    assert member_id not in text and "maria.ivanova" not in text and "Иванова" not in text
    assert "Location" not in response.headers
    assert db.members.count_documents({}) == 1


def test_different_idempotency_keys_are_different_requests(client, db):
    assert client.post(MEMBERS, json=signup(), headers={"Idempotency-Key": "a"}).status_code == 202
    response = client.post(MEMBERS, json=signup(), headers={"Idempotency-Key": "b"})
    assert response.status_code == 202 and "Idempotent-Replayed" not in response.headers
    assert db.members.count_documents({}) == 1  # a new attempt: the duplicate email is found
    assert db.outbox.count_documents({"type": "members.member.signed_up_again"}) == 1


def test_a_key_whose_request_failed_may_be_retried(client, db):
    headers = {"Idempotency-Key": "retry-me"}
    assert_problem(client.post(MEMBERS, json=signup(email="nope"), headers=headers), 422)
    response = client.post(MEMBERS, json=signup(), headers=headers)
    assert response.status_code == 202
    assert "Idempotent-Replayed" not in response.headers
    assert db.members.count_documents({}) == 1


def test_a_key_still_in_progress_is_a_409_problem(client, db):
    db.idempotency.insert_one({"_id": f"POST {MEMBERS} - busy-key", "fingerprint": "x", "state": "running"})
    response = client.post(MEMBERS, json=signup(), headers={"Idempotency-Key": "busy-key"})
    assert_problem(response, 409)
    assert db.members.count_documents({}) == 0


def test_an_overlong_idempotency_key_is_a_400_problem(client, db):
    body = assert_problem(client.post(MEMBERS, json=signup(), headers={"Idempotency-Key": "k" * 256}), 400)
    assert "Idempotency-Key" in body["errors"]
    assert db.members.count_documents({}) == 0


# --------------------------------------------------------------------------- authorisation

@pytest.fixture
def member_id(client):
    return signed_up_id(client, signup())


def bearer(token: str) -> dict:
    return {"Authorization": f"Bearer {token}"}


def test_no_token_is_a_401_problem_with_a_challenge(client, member_id):
    response = client.patch(f"{MEMBERS}/{member_id}", json={"city": "Sofia"})
    assert_problem(response, 401)
    assert response.headers["WWW-Authenticate"].startswith("Bearer")
    # A token of the wrong kind is refused even where no token is needed.
    response = client.get(f"{MEMBERS}/{member_id}", headers={"Authorization": "Basic bWFyaWE6c2VjcmV0"})
    assert_problem(response, 401)
    assert "WWW-Authenticate" in response.headers


def test_another_members_token_is_a_403_problem(client, member_id, issue_token):
    response = client.patch(f"{MEMBERS}/{member_id}", json={"city": "Sofia"},
                            headers=bearer(issue_token("someone-else", "alumnus")))
    body = assert_problem(response, 403)
    assert "given_name" not in body


def test_own_token_reads_own_record(client, member_id, issue_token):
    response = client.get(f"{MEMBERS}/{member_id}", headers=bearer(issue_token(member_id, "alumnus")))
    assert response.status_code == 200
    record = response.get_json()
    assert record["id"] == member_id and record["given_name"] == "Мария"
    assert "_id" not in record


def test_admin_token_reads_any_record(client, member_id, issue_token):
    response = client.get(f"{MEMBERS}/{member_id}", headers=bearer(issue_token("staff-1", "admin")))
    assert response.status_code == 200
    assert response.get_json()["email"] == "maria.ivanova@example.bg"
    assert_problem(client.get(f"{MEMBERS}/no-such-member", headers=bearer(issue_token("staff-1", "admin"))), 404)


def test_token_signed_by_another_key_is_a_401_problem(client, member_id, tmp_path):
    other_private, _ = generate_keypair(tmp_path / "other-keys")
    forged = TokenIssuer.from_file(str(other_private), "alumnet", "alumnet", 900).issue(member_id, ["admin"])
    response = client.get(f"{MEMBERS}/{member_id}", headers=bearer(forged))
    assert_problem(response, 401)
    assert "WWW-Authenticate" in response.headers


def test_expired_token_is_a_401_problem(client, member_id, jwt_keys):
    expired = TokenIssuer.from_file(str(jwt_keys[0]), "alumnet", "alumnet", -60).issue(member_id, ["alumnus"])
    body = assert_problem(client.get(f"{MEMBERS}/{member_id}", headers=bearer(expired)), 401)
    assert "expired" in body["detail"].lower()


@pytest.mark.parametrize("name", ["Ann\r\nBcc: all@example.com", "Tab\there", "Nul\x00"])
def test_names_with_control_characters_are_refused(client, db, name):
    body = assert_problem(client.post(MEMBERS, json=signup(given_name=name)), 422)
    assert set(body["errors"]) == {"given_name"}
    assert db.members.count_documents({}) == 0


def test_openapi_documents_the_idempotency_key_header_on_sign_up(client):
    spec = client.get(f"{MEMBERS}/openapi.json").get_json()
    parameters = spec["paths"][MEMBERS]["post"].get("parameters", [])
    assert {"in": "header", "name": "Idempotency-Key"}.items() <= next(
        p for p in parameters if p["name"] == "Idempotency-Key").items()


def test_the_idempotency_record_keeps_no_hash_of_a_password(client, db):
    import hashlib

    body = signup(password="correct horse battery staple")
    raw = json.dumps(body).encode()
    response = client.post(MEMBERS, data=raw, content_type="application/json",
                           headers={"Idempotency-Key": "signup-with-password"})
    assert response.status_code == 202, response.get_data(as_text=True)
    record = db.idempotency.find_one()
    assert record["fingerprint"] != hashlib.sha256(raw).hexdigest()
    assert b"correct horse" not in record["body"]
    # The same key and body still replay.
    again = client.post(MEMBERS, data=raw, content_type="application/json",
                        headers={"Idempotency-Key": "signup-with-password"})
    assert again.headers["Idempotent-Replayed"] == "true"
