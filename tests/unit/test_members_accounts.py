"""Member accounts through the members app's HTTP API (Flask test client, the session's local
SecantusDB server, ``AMQP_URL=memory://``): sign-up with a password, login with JWT access
and refresh tokens, refresh rotation with reuse detection, logout, login throttling with an
injected clock, password reset by an encrypted one-time token, and the ``create-admin``
operator command.
"""
from __future__ import annotations

import logging
import threading
from datetime import datetime, timedelta, timezone

import pytest
from click.testing import CliRunner
from cryptography.fernet import Fernet

from alumnet.members_cli import members as members_cli
from services.members.accounts import rules as accounts
from services.members.accounts import store as accounts_store
from services.members.app import create_app
from shared.auth import TokenVerifier
from shared.bus.envelope import decode
from tests.support import confirm_address, outbox_events, signed_up_id

PROBLEM = "application/problem+json"
MEMBERS = "/api/v1/members"
AUTH = f"{MEMBERS}/auth"
PASSWORD = "correct horse battery"
EMAIL = "maria.ivanova@example.bg"
PRODUCTION_HASH_METHOD = accounts.HASH_METHOD


# --------------------------------------------------------------------------- fixtures

@pytest.fixture(autouse=True)
def cheap_hashing(monkeypatch):
    """scrypt with a small work factor: the same code path, a fraction of the time."""
    monkeypatch.setattr(accounts, "HASH_METHOD", "scrypt:1024:8:1")


def test_production_hashing_is_scrypt_at_werkzeugs_strength():
    assert PRODUCTION_HASH_METHOD == "scrypt"
    assert accounts.generate_password_hash("x" * 10, method=PRODUCTION_HASH_METHOD).startswith("scrypt:32768:8:1$")


class Clock:
    def __init__(self):
        self.at = datetime.now(timezone.utc)

    def __call__(self) -> datetime:
        return self.at

    def advance(self, **delta) -> None:
        self.at += timedelta(**delta)


@pytest.fixture
def clock(monkeypatch) -> Clock:
    clock = Clock()
    monkeypatch.setattr(accounts, "now", clock)
    return clock


@pytest.fixture
def token_key() -> str:
    return Fernet.generate_key().decode()


@pytest.fixture
def config(make_config, token_key):
    # 10.0.0.5 plays the gateway in the forwarded-address test (TRUSTED_PROXIES).
    return make_config(AMQP_URL="memory://", TOKEN_ENCRYPTION_KEY=token_key, TRUSTED_PROXIES="10.0.0.5")


@pytest.fixture
def app(config):
    """The members app with a token key these tests know (client and db: tests/unit/conftest)."""
    return create_app(config)


@pytest.fixture
def verifier(jwt_keys) -> TokenVerifier:
    return TokenVerifier.from_file(str(jwt_keys[1]), "alumnet", "alumnet")


def signup_body(**changes) -> dict:
    body = {
        "given_name": "Мария", "family_name": "Иванова", "email": EMAIL, "phone": None,
        "preferred_language": "bg", "graduation_year": 2015, "faculty": "medicine",
        "programme": "Медицина", "consent": {"email": True, "sms": False}, "password": PASSWORD,
    }
    for key, value in changes.items():
        if value is ...:
            body.pop(key)
        else:
            body[key] = value
    return body


def sign_up(client, *, confirm: bool = True, **changes) -> dict:
    """Sign up, then (``confirm``) follow the welcome email's link, sending the password
    chosen at sign-up as the owner of the address does; return the stored member."""
    body = signup_body(**changes)
    member_id = signed_up_id(client, body)
    if confirm:
        password = {"password": body["password"]} if body.get("password") else {}
        assert confirm_address(client, member_id, **password).status_code == 200
    db = client.application.extensions["alumnet"].store.db
    return {"id": member_id, **db.members.find_one({"_id": member_id})}


def login(client, email=EMAIL, password=PASSWORD, address="203.0.113.7"):
    return client.post(f"{AUTH}/login", json={"email": email, "password": password},
                       environ_base={"REMOTE_ADDR": address})


def assert_problem(response, status: int) -> dict:
    assert response.status_code == status, response.get_data(as_text=True)
    assert response.mimetype == PROBLEM
    body = response.get_json(force=True)
    assert body["status"] == status
    assert body["request_id"] == response.headers["X-Request-ID"]
    return body


def without_request_id(body: dict) -> dict:
    return {k: v for k, v in body.items() if k != "request_id"}


def bearer(token: str) -> dict:
    return {"Authorization": f"Bearer {token}"}


# --------------------------------------------------------------------------- sign-up and login

def test_sign_up_with_a_password_then_log_in(client, db, verifier):
    member = sign_up(client)
    assert "password" not in member
    assert member["roles"] == ["alumnus"]
    stored = db.members.find_one({"_id": member["id"]})
    assert "password" not in stored and stored["roles"] == ["alumnus"]
    credential = db.credentials.find_one({"_id": member["id"]})
    assert credential["email"] == EMAIL
    assert credential["password_hash"].startswith("scrypt:")
    [event] = list(db.outbox.find())
    assert PASSWORD not in event["body"].decode()
    assert "password" not in decode(event["body"]).data

    response = login(client, email="Maria.Ivanova@Example.BG")
    assert response.status_code == 200, response.get_data(as_text=True)
    pair = response.get_json()
    assert pair["token_type"] == "Bearer"
    assert pair["expires_in"] == 900
    assert pair["member_id"] == member["id"] and pair["roles"] == ["alumnus"]
    principal = verifier.verify(pair["access_token"])
    assert principal.subject == member["id"]
    assert principal.roles == {"alumnus"}
    # The refresh token is stored only as its digest, with a family and a 30-day expiry.
    [stored_refresh] = list(db.refresh_tokens.find())
    assert stored_refresh["_id"] == accounts.digest(pair["refresh_token"])
    assert stored_refresh["member_id"] == member["id"] and stored_refresh["family"]
    assert stored_refresh["expires_at"] - stored_refresh["created_at"] == timedelta(days=30)
    assert db.refresh_tokens.count_documents({"_id": pair["refresh_token"]}) == 0
    # The access token opens the member's own record.
    own = client.get(f"{MEMBERS}/{member['id']}", headers=bearer(pair["access_token"]))
    assert own.status_code == 200 and own.get_json()["roles"] == ["alumnus"]


def test_a_student_gets_the_student_role(client, verifier):
    member = sign_up(client, is_student=True)
    assert member["roles"] == ["student"]
    pair = login(client).get_json()
    assert verifier.verify(pair["access_token"]).roles == {"student"}


def test_sign_up_without_a_password_cannot_log_in_until_it_sets_one(client, db):
    member = sign_up(client, password=...)
    assert db.credentials.count_documents({"_id": member["id"]}) == 0
    assert_problem(login(client), 401)


@pytest.mark.parametrize("password,why", [
    ("short", "10 to 128"),
    ("x" * 129, "10 to 128"),
    (EMAIL, "email"),
    ("  MARIA.IVANOVA@example.bg ", "email"),
])
def test_a_weak_password_is_refused_at_sign_up(client, db, password, why):
    body = assert_problem(client.post(MEMBERS, json=signup_body(password=password)), 422)
    assert set(body["errors"]) == {"password"}
    assert why in " ".join(body["errors"]["password"])
    assert db.members.count_documents({}) == 0 and db.credentials.count_documents({}) == 0


def test_login_validation_errors_name_the_fields(client):
    body = assert_problem(client.post(f"{AUTH}/login", json={}), 422)
    assert set(body["errors"]) == {"email", "password"}
    body = assert_problem(client.post(f"{AUTH}/refresh", json={"refresh_token": 5}), 422)
    assert set(body["errors"]) == {"refresh_token"}
    body = assert_problem(client.post(f"{AUTH}/password-reset/confirm", json={"token": "t", "new_password": "x"}), 422)
    assert set(body["errors"]) == {"new_password"}


def test_wrong_password_and_unknown_email_get_the_same_401(client, db):
    sign_up(client)
    sign_up(client, email="nopass@example.bg", password=...)
    wrong = login(client, password="not the password")
    unknown = login(client, email="nobody@example.bg")
    no_credential = login(client, email="nopass@example.bg")
    bodies = [without_request_id(assert_problem(r, 401)) for r in (wrong, unknown, no_credential)]
    assert bodies[0] == bodies[1] == bodies[2]
    assert bodies[0]["type"] == "https://alumnet.dev/problems/invalid-credentials"
    assert "not-found" not in str(bodies[0]) and "nobody" not in str(bodies[0])
    assert wrong.headers["WWW-Authenticate"] == unknown.headers["WWW-Authenticate"]


@pytest.mark.parametrize("status", ["rejected", "erased"])
def test_rejected_and_erased_members_cannot_log_in(client, db, status):
    member = sign_up(client)
    db.members.update_one({"_id": member["id"]}, {"$set": {"status": status}})
    body = assert_problem(login(client), 401)
    assert body["detail"] == "The email or password is not correct."


def test_login_without_a_signing_key_is_a_503(make_config):
    client = create_app(make_config(AMQP_URL="memory://", JWT_PRIVATE_KEY_FILE="")).test_client()
    sign_up(client)
    assert_problem(login(client), 503)


# --------------------------------------------------------------------------- refresh and logout

def test_refresh_rotates_and_reuse_revokes_the_family(client, db, verifier, clock):
    member = sign_up(client)
    first = login(client).get_json()
    second_login = login(client).get_json()  # another device: another family

    clock.advance(minutes=20)
    response = client.post(f"{AUTH}/refresh", json={"refresh_token": first["refresh_token"]})
    assert response.status_code == 200, response.get_data(as_text=True)
    rotated = response.get_json()
    assert rotated["refresh_token"] != first["refresh_token"]
    assert verifier.verify(rotated["access_token"]).subject == member["id"]
    old = db.refresh_tokens.find_one({"_id": accounts.digest(first["refresh_token"])})
    new = db.refresh_tokens.find_one({"_id": accounts.digest(rotated["refresh_token"])})
    assert old["revoked_at"] is not None and new["revoked_at"] is None
    assert old["family"] == new["family"]

    # The old token again: theft is assumed, the whole family is revoked.
    reused = client.post(f"{AUTH}/refresh", json={"refresh_token": first["refresh_token"]})
    assert assert_problem(reused, 401)["type"] == "https://alumnet.dev/problems/invalid-refresh-token"
    assert_problem(client.post(f"{AUTH}/refresh", json={"refresh_token": rotated["refresh_token"]}), 401)
    # The other device's session is untouched.
    assert client.post(f"{AUTH}/refresh", json={"refresh_token": second_login["refresh_token"]}).status_code == 200


def test_unknown_and_expired_refresh_tokens_are_refused(client, clock):
    sign_up(client)
    pair = login(client).get_json()
    unknown = client.post(f"{AUTH}/refresh", json={"refresh_token": "made-up"})
    assert_problem(unknown, 401)
    clock.advance(days=30, seconds=1)
    expired = client.post(f"{AUTH}/refresh", json={"refresh_token": pair["refresh_token"]})
    assert without_request_id(assert_problem(expired, 401)) == without_request_id(unknown.get_json())


def test_refresh_for_a_member_who_may_no_longer_log_in_is_refused(client, db):
    member = sign_up(client)
    pair = login(client).get_json()
    db.members.update_one({"_id": member["id"]}, {"$set": {"status": "rejected"}})
    assert_problem(client.post(f"{AUTH}/refresh", json={"refresh_token": pair["refresh_token"]}), 401)


def test_logout_revokes_the_refresh_token(client, db):
    sign_up(client)
    pair = login(client).get_json()
    rotated = client.post(f"{AUTH}/refresh", json={"refresh_token": pair["refresh_token"]}).get_json()
    response = client.post(f"{AUTH}/logout", json={"refresh_token": rotated["refresh_token"]})
    assert response.status_code == 204 and response.get_data() == b""
    assert_problem(client.post(f"{AUTH}/refresh", json={"refresh_token": rotated["refresh_token"]}), 401)
    assert db.refresh_tokens.count_documents({"revoked_at": None}) == 0
    # Logging out twice, or with a token nobody knows, says nothing either.
    assert client.post(f"{AUTH}/logout", json={"refresh_token": rotated["refresh_token"]}).status_code == 204
    assert client.post(f"{AUTH}/logout", json={"refresh_token": "made-up"}).status_code == 204


# --------------------------------------------------------------------------- throttling

def fail_until_locked(client, clock, email, address):
    """Five failures, waiting out the slow-down between them; return the last response."""
    responses = []
    for attempt in range(accounts.PAIR_FAILURE_LIMIT):
        responses.append(login(client, email=email, password="wrong password!", address=address))
        clock.advance(seconds=10)  # longer than any slow-down before the lock
    assert [r.status_code for r in responses] == [401] * accounts.PAIR_FAILURE_LIMIT
    return responses


def test_failures_slow_an_account_down_then_lock_it(client, clock):
    sign_up(client)
    for _ in range(accounts.SLOWDOWN_AFTER):
        assert_problem(login(client, password="wrong password!"), 401)
    # After three failures the next attempt must wait a second, even with the right password.
    slowed = login(client)
    assert assert_problem(slowed, 429)["type"] == "https://alumnet.dev/problems/too-many-attempts"
    assert slowed.headers["Retry-After"] == "1"
    clock.advance(seconds=1)
    assert_problem(login(client, password="wrong password!"), 401)  # fourth failure: wait 2 s
    clock.advance(seconds=1)
    assert login(client).headers["Retry-After"] == "1"
    clock.advance(seconds=1)
    assert_problem(login(client, password="wrong password!"), 401)  # fifth failure: locked

    locked = login(client)
    assert_problem(locked, 429)
    assert int(locked.headers["Retry-After"]) == 15 * 60
    clock.advance(minutes=14)
    assert int(login(client).headers["Retry-After"]) == 60
    clock.advance(minutes=1, seconds=1)
    assert login(client).status_code == 200


def test_a_stranger_locks_only_their_own_pair_never_the_owner(client, clock):
    """Regression: five failures from anywhere locked the account from every address, so a
    stranger could lock an admin out."""
    sign_up(client)
    fail_until_locked(client, clock, EMAIL, "198.51.100.1")
    assert_problem(login(client, address="198.51.100.1"), 429)  # the stranger's pair is locked
    assert login(client, address="198.51.100.2").status_code == 200  # the owner is not


def test_the_account_as_a_whole_only_slows_down_gently(client, clock):
    """Strangers on many addresses make the account wait at most ACCOUNT_SLOWDOWN between
    attempts: never a lock, and the owner gets in after a second's wait."""
    sign_up(client)
    strangers = [f"198.51.100.{n}" for n in range(1, 5)]
    for address in strangers:  # 4 x 5 failures: every stranger's pair is locked
        fail_until_locked(client, clock, EMAIL, address)
    for address in strangers:
        assert_problem(login(client, address=address), 429)
    owner = "203.0.113.50"
    assert login(client, password="wrong password!", address="192.0.2.200").status_code == 401
    waited = login(client, address=owner)
    assert_problem(waited, 429)
    assert int(waited.headers["Retry-After"]) <= accounts.ACCOUNT_SLOWDOWN.total_seconds()
    clock.advance(seconds=1)
    assert login(client, address=owner).status_code == 200


def test_lockout_of_an_unknown_email_looks_the_same(client, clock):
    sign_up(client)
    for _ in range(accounts.PAIR_FAILURE_LIMIT + 1):  # five failures, then the lock
        known = login(client, email=EMAIL, password="wrong password!", address="198.51.100.1")
        unknown = login(client, email="nobody@example.bg", password="wrong password!", address="198.51.100.2")
        assert known.status_code == unknown.status_code
        assert without_request_id(known.get_json()) == without_request_id(unknown.get_json())
        assert known.headers.get("Retry-After") == unknown.headers.get("Retry-After")
        clock.advance(seconds=10)
    assert_problem(known, 429)
    locked_known = login(client, email=EMAIL, address="198.51.100.1")
    locked_unknown = login(client, email="nobody@example.bg", address="198.51.100.2")
    assert without_request_id(assert_problem(locked_known, 429)) == \
        without_request_id(assert_problem(locked_unknown, 429))
    assert locked_known.headers["Retry-After"] == locked_unknown.headers["Retry-After"]


def test_a_successful_login_resets_the_account_count(client, db, clock):
    sign_up(client)
    for _ in range(accounts.PAIR_FAILURE_LIMIT - 1):
        assert_problem(login(client, password="wrong password!"), 401)
        clock.advance(seconds=10)
    assert login(client).status_code == 200
    assert db.login_failures.count_documents({"_id": accounts.account_key(EMAIL)}) == 0
    for _ in range(accounts.PAIR_FAILURE_LIMIT - 1):
        assert_problem(login(client, password="wrong password!"), 401)
        clock.advance(seconds=10)
    assert login(client).status_code == 200


def test_failures_outside_the_window_are_forgotten(client, clock):
    sign_up(client)
    for _ in range(accounts.PAIR_FAILURE_LIMIT - 1):
        assert_problem(login(client, password="wrong password!"), 401)
        clock.advance(seconds=10)
    clock.advance(minutes=15)
    assert_problem(login(client, password="wrong password!"), 401)  # the first of a new window
    clock.advance(seconds=10)
    assert login(client).status_code == 200


def test_an_address_locks_after_more_failures_across_accounts(client, clock):
    sign_up(client)
    for n in range(accounts.ADDRESS_FAILURE_LIMIT):
        assert_problem(login(client, email=f"guess{n}@example.bg", address="192.0.2.9"), 401)
    blocked = login(client, address="192.0.2.9")
    assert_problem(blocked, 429)
    assert int(blocked.headers["Retry-After"]) == 15 * 60
    assert login(client, address="192.0.2.10").status_code == 200


def test_a_client_cannot_choose_its_address_with_a_header(client, clock):
    """The client is ``request.remote_addr`` (which proxies to believe is the app's proxy fix):
    a client sending X-Real-IP itself still counts as the address it connects from."""
    sign_up(client)
    for n in range(accounts.ADDRESS_FAILURE_LIMIT):
        response = client.post(f"{AUTH}/login", json={"email": f"guess{n}@example.bg", "password": "x"},
                               headers={"X-Real-IP": f"192.0.2.{n}"}, environ_base={"REMOTE_ADDR": "198.51.100.66"})
        assert_problem(response, 401)
    blocked = client.post(f"{AUTH}/login", json={"email": EMAIL, "password": PASSWORD},
                          headers={"X-Real-IP": "192.0.2.250"}, environ_base={"REMOTE_ADDR": "198.51.100.66"})
    assert_problem(blocked, 429)


@pytest.mark.parametrize("address,key", [
    ("192.0.2.1", "address:192.0.2.1"),
    ("2001:db8:1:2:3:4:5:6", "address:2001:db8:1:2::/64"),
    ("2001:db8:1:2:ffff::1", "address:2001:db8:1:2::/64"),
    ("::ffff:192.0.2.1", "address:192.0.2.1"),
    ("not an address", "address:unknown"),
    (None, "address:unknown"),
])
def test_address_keys(address, key):
    assert accounts.address_key(address) == key


def test_failures_are_counted_atomically(app, db):
    at = datetime.now(timezone.utc)
    key = accounts.address_key("192.0.2.77")
    threads = [threading.Thread(target=accounts_store.record_failure,
                                args=(db, key, at, accounts.address_blocked_until)) for _ in range(12)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert db.login_failures.find_one({"_id": key})["count"] == 12


def test_failure_counters_hold_no_email_address(client, db, clock):
    sign_up(client)
    login(client, password="wrong password!")
    login(client, email="nobody@example.bg")
    assert EMAIL not in str(list(db.login_failures.find()))
    assert "nobody" not in str(list(db.login_failures.find()))


# --------------------------------------------------------------------------- password reset

def request_reset(client, email=EMAIL):
    return client.post(f"{AUTH}/password-reset", json={"email": email})


def test_password_reset_end_to_end(client, db, token_key, caplog, clock):
    caplog.set_level(logging.DEBUG)
    member = sign_up(client)
    before_reset = login(client).get_json()
    outbox_before = db.outbox.count_documents({})

    unknown = request_reset(client, "nobody@example.bg")
    known = request_reset(client, "Maria.Ivanova@example.bg")
    assert unknown.status_code == known.status_code == 202
    assert unknown.get_json() == known.get_json()
    [record] = list(db.outbox.find({"type": "members.password_reset.requested"}))
    assert db.outbox.count_documents({}) == outbox_before + 1
    event = decode(record["body"])
    assert event.subject == member["id"]
    assert event.data["email"] == EMAIL and event.data["preferred_language"] == "bg"
    token = Fernet(token_key.encode()).decrypt(event.data["encrypted_token"].encode()).decode()
    assert len(token) >= 40
    assert token not in record["body"].decode()
    assert db.password_resets.count_documents({"_id": accounts.digest(token), "member_id": member["id"]}) == 1
    assert db.password_resets.count_documents({"_id": token}) == 0

    new_password = "a brand new passphrase"
    response = client.post(f"{AUTH}/password-reset/confirm", json={"token": token, "new_password": new_password})
    assert response.status_code == 204, response.get_data(as_text=True)
    again = client.post(f"{AUTH}/password-reset/confirm", json={"token": token, "new_password": "yet another one!"})
    assert assert_problem(again, 400)["errors"] == {"token": ["Unknown, used or expired."]}

    assert_problem(login(client), 401)
    assert login(client, password=new_password).status_code == 200
    assert_problem(client.post(f"{AUTH}/refresh", json={"refresh_token": before_reset["refresh_token"]}), 401)
    assert token not in caplog.text
    assert new_password not in caplog.text and PASSWORD not in caplog.text


def test_password_reset_sets_a_first_password(client, token_key):
    sign_up(client, password=...)
    assert request_reset(client).status_code == 202
    assert_problem(login(client), 401)
    token = _reset_token(client, token_key)
    assert client.post(f"{AUTH}/password-reset/confirm", json={"token": token, "new_password": PASSWORD}).status_code == 204
    assert login(client).status_code == 200


def _reset_token(client, token_key) -> str:
    db = client.application.extensions["alumnet"].store.db
    record = db.outbox.find_one({"type": "members.password_reset.requested"}, sort=[("order", -1)])
    return accounts.decrypt_token(token_key, decode(record["body"]).data["encrypted_token"])


def test_password_reset_unlocks_the_account(client, clock, token_key):
    sign_up(client)
    fail_until_locked(client, clock, EMAIL, "203.0.113.7")
    assert_problem(login(client), 429)
    request_reset(client)
    token = _reset_token(client, token_key)
    assert client.post(f"{AUTH}/password-reset/confirm",
                       json={"token": token, "new_password": "fresh start 2026"}).status_code == 204
    assert login(client, password="fresh start 2026").status_code == 200


def test_reset_confirm_refuses_the_email_as_password_and_keeps_the_token(client, token_key):
    sign_up(client)
    request_reset(client)
    token = _reset_token(client, token_key)
    body = assert_problem(client.post(f"{AUTH}/password-reset/confirm",
                                      json={"token": token, "new_password": EMAIL.upper()}), 422)
    assert set(body["errors"]) == {"new_password"}
    assert client.post(f"{AUTH}/password-reset/confirm",
                       json={"token": token, "new_password": "good password 1"}).status_code == 204


def test_a_reset_token_expires_after_an_hour(client, clock, token_key):
    sign_up(client)
    request_reset(client)
    token = _reset_token(client, token_key)
    clock.advance(hours=1, seconds=1)
    assert_problem(client.post(f"{AUTH}/password-reset/confirm",
                               json={"token": token, "new_password": "too late now!"}), 400)


def test_a_new_reset_request_supersedes_the_old_token_and_is_rate_limited(client, db, clock, token_key):
    sign_up(client)
    request_reset(client)
    first = _reset_token(client, token_key)
    assert request_reset(client).status_code == 202  # within a minute: no second email
    assert db.outbox.count_documents({"type": "members.password_reset.requested"}) == 1
    clock.advance(seconds=61)
    request_reset(client)
    second = _reset_token(client, token_key)
    assert second != first
    assert_problem(client.post(f"{AUTH}/password-reset/confirm",
                               json={"token": first, "new_password": "first link!!"}), 400)
    assert client.post(f"{AUTH}/password-reset/confirm",
                       json={"token": second, "new_password": "second link!!"}).status_code == 204


def test_no_reset_for_rejected_members(client, db):
    member = sign_up(client)
    db.members.update_one({"_id": member["id"]}, {"$set": {"status": "rejected"}})
    assert request_reset(client).status_code == 202
    assert db.outbox.count_documents({"type": "members.password_reset.requested"}) == 0


def test_password_reset_without_an_encryption_key_is_a_503(make_config):
    client = create_app(make_config(AMQP_URL="memory://", TOKEN_ENCRYPTION_KEY="")).test_client()
    body = assert_problem(request_reset(client, "nobody@example.bg"), 503)
    assert body["detail"] == "Password reset is not configured."


# --------------------------------------------------------------------------- create-admin

@pytest.fixture
def cli_env(config, monkeypatch):
    monkeypatch.setenv("MONGO_URL", config.mongo_url)
    monkeypatch.setenv("MONGO_DB_PREFIX", config.mongo_db_prefix)


def test_create_admin_then_log_in_as_admin(client, db, cli_env, verifier):
    result = CliRunner().invoke(members_cli, [
        "create-admin", "--email", "Office@MU-Plovdiv.bg", "--given-name", "Анна", "--family-name", "Петрова",
    ], input="office password 1\noffice password 1\n")
    assert result.exit_code == 0, result.output
    member_id = result.stdout.strip()
    assert "office password 1" not in result.output
    admin = db.members.find_one({"_id": member_id})
    assert admin["roles"] == ["admin"] and admin["status"] == "verified"
    assert admin["email"] == "office@mu-plovdiv.bg"
    assert db.outbox.count_documents({"subject": member_id, "type": "members.member.registered"}) == 1

    pair = login(client, email="office@mu-plovdiv.bg", password="office password 1").get_json()
    assert pair["roles"] == ["admin"]
    principal = verifier.verify(pair["access_token"])
    assert principal.subject == member_id and principal.is_admin


def test_an_admin_an_operator_created_before_confirmation_existed_still_logs_in(client, db, cli_env):
    result = CliRunner().invoke(members_cli, [
        "create-admin", "--email", "office@mu-plovdiv.bg", "--given-name", "Анна", "--family-name", "Петрова",
    ], input="office password 1\noffice password 1\n")
    assert result.exit_code == 0, result.output
    db.members.update_one({"_id": result.stdout.strip()}, {"$unset": {"email_confirmed_at": ""}})
    assert login(client, email="office@mu-plovdiv.bg", password="office password 1").status_code == 200


def test_create_admin_refuses_a_taken_email_and_a_weak_password(client, db, cli_env):
    sign_up(client)
    taken = CliRunner().invoke(members_cli, ["create-admin", "--email", EMAIL, "--given-name", "A",
                                             "--family-name", "B"], input="office password 1\noffice password 1\n")
    assert taken.exit_code != 0 and "already registered" in taken.output
    weak = CliRunner().invoke(members_cli, ["create-admin", "--email", "x@example.bg", "--given-name", "A",
                                            "--family-name", "B"], input="short\nshort\n")
    assert weak.exit_code != 0 and "at least 10" in weak.output
    assert db.members.count_documents({"roles": "admin"}) == 0


# --------------------------------------------------------------------------- OpenAPI

def test_openapi_documents_every_accounts_route(client):
    spec = client.get(f"{MEMBERS}/openapi.json").get_json()
    expected = {
        "/login": ({"200", "401", "422", "429", "503"}, "/Login"),
        "/refresh": ({"200", "401", "422"}, "/Refresh"),
        "/logout": ({"204", "422"}, "/Refresh"),
        "/password-reset": ({"202", "422", "503"}, "/PasswordResetRequest"),
        "/password-reset/confirm": ({"204", "400", "422"}, "/PasswordResetConfirm"),
    }
    for path, (statuses, request_schema) in expected.items():
        operation = spec["paths"][AUTH + path]["post"]
        assert statuses <= set(operation["responses"]), path
        assert operation["requestBody"]["content"]["application/json"]["schema"]["$ref"].endswith(request_schema)
        assert "security" not in operation
    login_doc = spec["paths"][f"{AUTH}/login"]["post"]
    assert login_doc["responses"]["200"]["content"]["application/json"]["schema"]["$ref"].endswith("/TokenPair")
    assert "Retry-After" in login_doc["responses"]["429"]["headers"]
    assert PROBLEM in login_doc["responses"]["401"]["content"]
    sign_up_doc = spec["components"]["schemas"]["SignUp"]["properties"]
    assert {"password", "is_student"} <= set(sign_up_doc)
    assert "password" not in spec["components"]["schemas"]["Member"]["properties"]


# --------------------------------------------------------------------------- identity proofing

def refresh(client, token: str):
    return client.post(f"{AUTH}/refresh", json={"refresh_token": token})


def test_a_password_chosen_at_sign_up_opens_nothing_until_the_address_is_confirmed(client):
    """Regression: a password chosen at sign-up logged in at once, before anyone proved the
    address was theirs."""
    member = sign_up(client, confirm=False)
    unconfirmed = login(client)
    wrong = login(client, email="nobody@example.bg")
    assert without_request_id(assert_problem(unconfirmed, 401)) == without_request_id(assert_problem(wrong, 401))
    assert confirm_address(client, member["id"], password=PASSWORD).status_code == 200
    assert login(client).status_code == 200


def test_confirming_leaves_an_impostor_with_nothing(client, db, clock):
    """Regression: the owner confirming an address an impostor had signed up with kept the
    impostor's password (and any session) working."""
    impostor = sign_up(client, confirm=False)  # the impostor chose PASSWORD
    earlier_session = accounts_store.issue_refresh_token(db, None, impostor["id"], accounts.new_family(),
                                                         accounts.now())
    clock.advance(minutes=5)
    # The owner follows the link that reached their mailbox, choosing their own password.
    assert confirm_address(client, impostor["id"], password="the owner's own 2026").status_code == 200
    assert_problem(login(client), 401)
    assert_problem(refresh(client, earlier_session), 401)
    assert login(client, password="the owner's own 2026").status_code == 200


def test_confirming_without_a_password_removes_the_one_chosen_at_sign_up(client, db):
    member = sign_up(client, confirm=False)
    assert confirm_address(client, member["id"]).status_code == 200
    assert db.credentials.count_documents({"_id": member["id"]}) == 0
    assert_problem(login(client), 401)


def test_confirming_checks_the_new_password(client, db):
    member = sign_up(client, confirm=False)
    body = assert_problem(confirm_address(client, member["id"], password=EMAIL.upper()), 422)
    assert set(body["errors"]) == {"password"}
    assert db.members.find_one({"_id": member["id"]}).get("email_confirmed_at") is None
    assert confirm_address(client, member["id"], password=PASSWORD).status_code == 200  # the link still works


def test_a_completed_password_reset_confirms_the_address(client, token_key):
    sign_up(client, confirm=False)
    request_reset(client)
    token = _reset_token(client, token_key)
    assert client.post(f"{AUTH}/password-reset/confirm",
                       json={"token": token, "new_password": "fresh start 2026"}).status_code == 204
    assert login(client, password="fresh start 2026").status_code == 200


ROSTER_CSV = ("Факултетен номер;Име;Фамилия;Имейл;Випуск;Факултет\n"
              "MF2001;Мария;Иванова;roster.maria@example.bg;2011;Медицински факултет\n"
              "MF2002;Петър;Колев;;2013;Медицински факултет\n")


def test_sign_up_answers_the_same_for_a_new_a_taken_and_a_roster_address(client, db, admin_headers):
    """Regression: sign-up answered 201 with the member (the roster's year and faculty
    included) for a new address and 409 for a registered one, telling anyone who is a member
    and what the roster holds."""
    imported = client.post(f"{MEMBERS}/roster/imports", data=ROSTER_CSV.encode(),
                           headers={**admin_headers, "Content-Type": "text/csv"})
    assert imported.status_code == 201, imported.get_data(as_text=True)
    new = client.post(MEMBERS, json=signup_body(email="new@example.bg", graduation_year=None, faculty=None))
    taken = client.post(MEMBERS, json=signup_body(email="NEW@example.bg", given_name="Друга", password=...))
    roster = client.post(MEMBERS, json=signup_body(email="roster.maria@example.bg", graduation_year=None,
                                                    faculty=None))
    by_number = client.post(MEMBERS, json=signup_body(email="petar@example.bg", family_name="Колев",
                                                       student_number="MF2002"))
    answers = [new, taken, roster, by_number]
    assert [r.status_code for r in answers] == [202] * 4
    assert len({r.get_data() for r in answers}) == 1
    assert all("Location" not in r.headers for r in answers)
    assert not {"id", "student_number", "graduation_year", "faculty", "given_name_latin"} & set(new.get_json())

    # The taken address created nothing; its owner is told instead.
    owner = db.members.find_one({"email": "new@example.bg"})
    assert owner["given_name"] == "Мария" and db.members.count_documents({}) == 3
    [again] = outbox_events(db, "members.member.signed_up_again")
    assert again["data"]["member_id"] == owner["_id"] and again["subject"] == owner["_id"]
    assert len(outbox_events(db, "members.member.registered")) == 3


def problem_429(response) -> dict:
    body = assert_problem(response, 429)
    assert body["type"] == "https://alumnet.dev/problems/too-many-requests"
    assert int(response.headers["Retry-After"]) >= 1
    return body


def test_sign_up_is_rate_limited_per_email_and_per_address(client, monkeypatch, clock):
    limit = accounts.RATE_LIMITS[("signup", "email")].requests
    answers = [client.post(MEMBERS, json=signup_body(), environ_base={"REMOTE_ADDR": f"192.0.2.{n}"})
               for n in range(limit + 1)]
    assert [r.status_code for r in answers[:limit]] == [202] * limit
    assert int(answers[-1].headers["Retry-After"]) <= 3600
    problem_429(answers[-1])
    # The same body for a taken and a new address: the limit tells nothing either.
    other = [client.post(MEMBERS, json=signup_body(email="fresh@example.bg"),
                         environ_base={"REMOTE_ADDR": "192.0.2.99"}) for _ in range(limit + 1)]
    assert without_request_id(other[-1].get_json()) == without_request_id(answers[-1].get_json())

    monkeypatch.setitem(accounts.RATE_LIMITS, ("signup", "address"), accounts.RateLimit(2, timedelta(minutes=10)))
    for n in range(2):
        assert client.post(MEMBERS, json=signup_body(email=f"n{n}@example.bg"),
                           environ_base={"REMOTE_ADDR": "198.51.100.9"}).status_code == 202
    problem_429(client.post(MEMBERS, json=signup_body(email="n3@example.bg"),
                            environ_base={"REMOTE_ADDR": "198.51.100.9"}))
    clock.advance(minutes=10)
    assert client.post(MEMBERS, json=signup_body(email="n3@example.bg"),
                       environ_base={"REMOTE_ADDR": "198.51.100.9"}).status_code == 202


def test_a_rate_limited_sign_up_retried_with_its_idempotency_key_is_answered_afresh(client, monkeypatch, clock):
    monkeypatch.setitem(accounts.RATE_LIMITS, ("signup", "address"), accounts.RateLimit(1, timedelta(minutes=10)))
    assert client.post(MEMBERS, json=signup_body(email="a@example.bg")).status_code == 202
    headers = {"Idempotency-Key": "retry-me"}
    problem_429(client.post(MEMBERS, json=signup_body(), headers=headers))
    clock.advance(minutes=10)
    assert client.post(MEMBERS, json=signup_body(), headers=headers).status_code == 202


CLIENT = {"REMOTE_ADDR": "192.0.2.50"}


@pytest.mark.parametrize("action,request_", [
    ("login", lambda c: c.post(f"{AUTH}/login", json={"email": EMAIL, "password": PASSWORD}, environ_base=CLIENT)),
    ("password_reset", lambda c: c.post(f"{AUTH}/password-reset", json={"email": EMAIL}, environ_base=CLIENT)),
    ("confirm", lambda c: c.post(f"{AUTH}/confirm-email", json={"token": "made-up"}, environ_base=CLIENT)),
    ("confirm", lambda c: c.post(f"{AUTH}/password-reset/confirm", json={"token": "made-up", "new_password": PASSWORD},
                                 environ_base=CLIENT)),
])
def test_login_reset_and_confirmations_are_rate_limited_per_address(client, monkeypatch, clock, action, request_):
    # The clock stands still: the counted window must not end between the requests.
    monkeypatch.setitem(accounts.RATE_LIMITS, (action, "address"), accounts.RateLimit(2, timedelta(minutes=1)))
    sign_up(client)
    first = [request_(client).status_code for _ in range(2)]
    assert 429 not in first
    problem_429(request_(client))


def test_password_reset_is_rate_limited_per_email(client, db, clock):
    sign_up(client)
    limit = accounts.RATE_LIMITS[("password_reset", "email")].requests
    for n in range(limit):
        assert client.post(f"{AUTH}/password-reset", json={"email": EMAIL},
                           environ_base={"REMOTE_ADDR": f"192.0.2.{n}"}).status_code == 202
    problem_429(client.post(f"{AUTH}/password-reset", json={"email": EMAIL},
                            environ_base={"REMOTE_ADDR": "192.0.2.200"}))


def test_rate_counters_are_shared_by_every_api_copy_and_expire(config, client, db, monkeypatch, clock):
    monkeypatch.setitem(accounts.RATE_LIMITS, ("signup", "address"), accounts.RateLimit(2, timedelta(minutes=10)))
    other_copy = create_app(config).test_client()
    assert client.post(MEMBERS, json=signup_body(email="a@example.bg")).status_code == 202
    assert other_copy.post(MEMBERS, json=signup_body(email="b@example.bg")).status_code == 202
    problem_429(client.post(MEMBERS, json=signup_body(email="c@example.bg")))
    ttl = {i["name"]: i for i in db.rate_limits.list_indexes()}["rate_limits_ttl"]
    assert ttl["expireAfterSeconds"] == 0
    assert EMAIL not in str(list(db.rate_limits.find())) and "a@example.bg" not in str(list(db.rate_limits.find()))


def test_create_admin_without_a_store_says_how_to_get_one_before_asking_for_a_password(monkeypatch, tmp_path):
    monkeypatch.delenv("MONGO_URL", raising=False)
    result = CliRunner().invoke(members_cli, ["create-admin", "--email", "office@mu-plovdiv.bg", "--given-name", "A",
                                              "--family-name", "B", "--data-dir", str(tmp_path)], input="")
    assert result.exit_code == 1
    assert "make dev" in result.output and "MONGO_URL" in result.output and "Password" not in result.output
