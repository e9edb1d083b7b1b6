"""Changing one's email address through the members app's HTTP API (Flask test client, the
session's local SecantusDB server, ``AMQP_URL=memory://``, an injected accounts clock).

Checked: ``PATCH`` refuses the address, for the member and the office alike; asking needs the
current password or a login under five minutes old (``auth_time``, carried across
refreshes); only the member asks; the change waits for the new address's one-time link, which
applies it through the profile path, ends every session and tells the old address with an
undo link; the undo puts the old address back, ends every session again, voids the other
links and removes the password; a taken address is answered alike and sent nothing; links
expire, work once and are superseded; the routes are rate-limited.
"""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from services.members.accounts import rules as accounts
from shared import revocations
from shared.clock import FixedClock
from tests.conftest import TOKEN_KEY
from tests.support import assert_problem, bearer, confirm_address, outbox_events, signed_up_id

MEMBERS = "/api/v1/members"
AUTH = f"{MEMBERS}/auth"
PASSWORD = "correct horse battery"
OLD, NEW = "maria@example.bg", "maria.new@example.com"


@pytest.fixture(autouse=True)
def cheap_hashing(monkeypatch):
    monkeypatch.setattr(accounts, "HASH_METHOD", "scrypt:1024:8:1")


@pytest.fixture
def clock(monkeypatch) -> FixedClock:
    clock = FixedClock(datetime.now(timezone.utc))
    monkeypatch.setattr(accounts, "now", clock)
    return clock


def join(client, email: str = OLD) -> str:
    member_id = signed_up_id(client, {"given_name": "Мария", "family_name": "Иванова", "email": email,
                                      "preferred_language": "bg", "consent": {"email": True, "sms": False}})
    assert confirm_address(client, member_id, password=PASSWORD).status_code == 200
    return member_id


def login(client, email: str = OLD, password: str = PASSWORD):
    return client.post(f"{AUTH}/login", json={"email": email, "password": password})


def session(client, email: str = OLD) -> dict:
    response = login(client, email)
    assert response.status_code == 200, response.get_data(as_text=True)
    return response.get_json()


def ask(client, member_id: str, tokens: dict, new_email: str = NEW, **body):
    return client.post(f"{MEMBERS}/{member_id}/email-change", json={"new_email": new_email, **body},
                       headers=bearer(tokens["access_token"]))


def link_token(db, event_type: str, field: str) -> str:
    """The token of the newest link of ``event_type``, as notifications will decrypt it."""
    return accounts.decrypt_token(TOKEN_KEY, outbox_events(db, event_type)[-1]["data"][field])


def confirm(client, token: str):
    return client.post(f"{AUTH}/confirm-email-change", json={"token": token})


def undo(client, token: str):
    return client.post(f"{AUTH}/undo-email-change", json={"token": token})


def changed(client, db, member_id: str) -> str:
    """Ask (with a fresh login) and confirm a change to NEW; return the undo token."""
    assert ask(client, member_id, session(client)).status_code == 202
    assert confirm(client, link_token(db, "members.email_change.requested", "encrypted_token")).status_code == 200
    return link_token(db, "members.email_change.confirmed", "encrypted_undo_token")


# --------------------------------------------------------------------------- the hole

def test_patch_refuses_the_address_for_the_member_and_the_office(client, db, admin_headers):
    """Regression: ``PATCH`` changed the address (and the login) at once, unproven: whoever
    held a session could move the account to their own mailbox."""
    member_id = join(client)
    tokens = session(client)
    for headers in (bearer(tokens["access_token"]), admin_headers):
        body = assert_problem(client.patch(f"{MEMBERS}/{member_id}", json={"email": NEW, "city": "Пловдив"},
                                           headers=headers), 422)
        assert set(body["errors"]) == {"email"}
        assert "/email-change" in body["errors"]["email"][0]
    assert db.members.find_one({"_id": member_id})["email"] == OLD
    assert db.credentials.find_one({"_id": member_id})["email"] == OLD
    assert outbox_events(db, "members.member.updated") == []
    assert client.patch(f"{MEMBERS}/{member_id}", json={"city": "Пловдив"},
                        headers=bearer(tokens["access_token"])).status_code == 200


# --------------------------------------------------------------------------- asking

def test_asking_needs_the_password_once_the_login_is_five_minutes_old(client, db, clock):
    member_id = join(client)
    tokens = session(client)
    clock.advance(minutes=4, seconds=59)
    assert ask(client, member_id, tokens).status_code == 202  # a login this recent is enough
    clock.advance(seconds=2)
    body = assert_problem(ask(client, member_id, tokens), 403)
    assert set(body["errors"]) == {"current_password"}
    wrong = assert_problem(ask(client, member_id, tokens, current_password="not my password"), 403)
    assert wrong["errors"] == {"current_password": ["Not correct."]}
    assert db.login_failures.count_documents({"_id": accounts.account_key(OLD)}) == 1  # a failed login
    assert ask(client, member_id, tokens, current_password=PASSWORD).status_code == 202


def test_a_refreshed_token_keeps_the_time_of_its_login(client, clock, jwt_keys):
    from shared.auth import TokenVerifier
    verifier = TokenVerifier.from_file(str(jwt_keys[1]), "alumnet", "alumnet")
    member_id = join(client)
    tokens = session(client)
    logged_in = verifier.verify(tokens["access_token"]).claims["auth_time"]
    assert logged_in == int(clock.at.timestamp())
    clock.advance(minutes=10)
    refreshed = client.post(f"{AUTH}/refresh", json={"refresh_token": tokens["refresh_token"]}).get_json()
    assert verifier.verify(refreshed["access_token"]).claims["auth_time"] == logged_in
    assert_problem(ask(client, member_id, refreshed), 403)  # a refresh is not a login
    assert ask(client, member_id, session(client)).status_code == 202


def test_only_the_member_asks(client, people, admin_headers):
    member_id = join(client)
    other = people.verified()
    for headers in (other["headers"], admin_headers):
        assert_problem(client.post(f"{MEMBERS}/{member_id}/email-change", json={"new_email": NEW},
                                   headers=headers), 403)
    assert_problem(client.post(f"{MEMBERS}/{member_id}/email-change", json={"new_email": NEW}), 401)


def test_bad_input_names_the_field(client):
    member_id = join(client)
    tokens = session(client)
    assert set(assert_problem(ask(client, member_id, tokens, new_email="not an address"), 422)["errors"]) == \
        {"new_email"}
    same = assert_problem(ask(client, member_id, tokens, new_email=OLD.upper()), 422)
    assert set(same["errors"]) == {"new_email"}


def test_asking_changes_nothing_and_sends_the_link_to_the_new_address(client, db):
    member_id = join(client)
    response = ask(client, member_id, session(client), new_email="Maria.New@Example.com")
    assert response.status_code == 202, response.get_data(as_text=True)
    assert db.members.find_one({"_id": member_id})["email"] == OLD
    assert login(client).status_code == 200
    [event] = outbox_events(db, "members.email_change.requested")
    assert event["subject"] == member_id and event["data"]["new_email"] == NEW
    assert event["data"]["preferred_language"] == "bg" and event["data"]["given_name"] == "Мария"
    token = link_token(db, "members.email_change.requested", "encrypted_token")
    assert token not in str(event)
    assert db.email_changes.count_documents({"_id": accounts.digest(token), "kind": "confirm"}) == 1
    assert db.email_changes.count_documents({"_id": token}) == 0
    assert outbox_events(db, "members.member.updated") == []


def test_a_taken_address_is_answered_alike_and_sent_nothing(client, db):
    member_id = join(client)
    join(client, "taken@example.bg")
    tokens = session(client)
    free, taken = ask(client, member_id, tokens), ask(client, member_id, tokens, new_email="taken@example.bg")
    assert free.status_code == taken.status_code == 202
    assert free.get_json() == taken.get_json()
    assert [e["data"]["new_email"] for e in outbox_events(db, "members.email_change.requested")] == [NEW]
    assert outbox_events(db, "members.member.signed_up_again") == []


# --------------------------------------------------------------------------- confirming

def test_the_new_address_link_applies_the_change_and_ends_every_session(client, db):
    member_id = join(client)
    tokens, other_device = session(client), session(client)
    assert ask(client, member_id, tokens).status_code == 202
    token = link_token(db, "members.email_change.requested", "encrypted_token")
    done = confirm(client, token)
    assert done.status_code == 200, done.get_data(as_text=True)

    member = db.members.find_one({"_id": member_id})
    assert member["email"] == NEW and db.credentials.find_one({"_id": member_id})["email"] == NEW
    [updated] = outbox_events(db, "members.member.updated")
    assert updated["data"]["changed"] == {"email": NEW}
    [revoked] = outbox_events(db, "members.access.revoked")
    assert revoked["data"] == {"member_id": member_id, "reason": "email_changed",
                               "not_before": revocations.not_before(db, member_id).isoformat()}
    for old in (tokens, other_device):
        assert_problem(client.get(f"{MEMBERS}/{member_id}", headers=bearer(old["access_token"])), 401)
        assert_problem(client.post(f"{AUTH}/refresh", json={"refresh_token": old["refresh_token"]}), 401)
    # The old address is told, with a link that undoes the change for 7 days.
    [told] = outbox_events(db, "members.email_change.confirmed")
    assert (told["data"]["old_email"], told["data"]["new_email"]) == (OLD, NEW)
    undo_token = link_token(db, "members.email_change.confirmed", "encrypted_undo_token")
    record = db.email_changes.find_one({"_id": accounts.digest(undo_token)})
    assert record["kind"] == "undo" and record["expires_at"] - record["created_at"] == timedelta(days=7)

    assert_problem(login(client), 401)
    fresh = session(client, NEW)
    assert client.get(f"{MEMBERS}/{member_id}", headers=bearer(fresh["access_token"])).get_json()["email"] == NEW
    assert assert_problem(confirm(client, token), 400)["errors"] == {"token": ["Unknown, used or expired."]}


def test_the_link_expires_after_a_day_and_a_new_request_supersedes_it(client, db, clock):
    member_id = join(client)
    tokens = session(client)
    ask(client, member_id, tokens)
    first = link_token(db, "members.email_change.requested", "encrypted_token")
    ask(client, member_id, tokens, new_email="second@example.com")
    second = link_token(db, "members.email_change.requested", "encrypted_token")
    assert_problem(confirm(client, first), 400)
    clock.advance(hours=24, seconds=1)
    assert_problem(confirm(client, second), 400)
    assert db.members.find_one({"_id": member_id})["email"] == OLD


def test_an_address_taken_meanwhile_is_a_409_and_changes_nothing(client, db):
    member_id = join(client)
    ask(client, member_id, session(client))
    token = link_token(db, "members.email_change.requested", "encrypted_token")
    join(client, NEW)
    body = assert_problem(confirm(client, token), 409)
    assert set(body["errors"]) == {"token"}
    assert db.members.find_one({"_id": member_id})["email"] == OLD
    assert outbox_events(db, "members.email_change.confirmed") == []


# --------------------------------------------------------------------------- undoing

def test_the_undo_link_restores_the_address_and_takes_the_password_away(client, db):
    member_id = join(client)
    undo_token = changed(client, db, member_id)
    attacker = session(client, NEW)  # whoever changed it logged in with the new address

    restored = undo(client, undo_token)
    assert restored.status_code == 200, restored.get_data(as_text=True)
    assert "password" in restored.get_json()["detail"]
    assert db.members.find_one({"_id": member_id})["email"] == OLD
    assert outbox_events(db, "members.member.updated")[-1]["data"]["changed"] == {"email": OLD}
    assert outbox_events(db, "members.access.revoked")[-1]["data"]["reason"] == "email_change_undone"
    assert_problem(client.get(f"{MEMBERS}/{member_id}", headers=bearer(attacker["access_token"])), 401)
    assert_problem(client.post(f"{AUTH}/refresh", json={"refresh_token": attacker["refresh_token"]}), 401)
    assert db.credentials.count_documents({"_id": member_id}) == 0
    assert_problem(login(client, NEW), 401)
    assert_problem(login(client, OLD), 401)  # no password until the member sets one
    assert_problem(undo(client, undo_token), 400)

    # The password reset, to the old address, lets the member back in.
    assert client.post(f"{AUTH}/password-reset", json={"email": OLD}).status_code == 202
    reset = link_token(db, "members.password_reset.requested", "encrypted_token")
    assert client.post(f"{AUTH}/password-reset/confirm",
                       json={"token": reset, "new_password": "my own again 2026"}).status_code == 204
    assert login(client, OLD, "my own again 2026").status_code == 200


def test_a_second_change_does_not_defeat_the_owners_undo(client, db):
    """Whoever changed the address may change it again at once (their login is fresh): the
    owner's link still restores the owner's address, and the links of the second change die."""
    member_id = join(client)
    owners_undo = changed(client, db, member_id)
    attacker = session(client, NEW)
    assert ask(client, member_id, attacker, new_email="third@example.com").status_code == 202
    third = link_token(db, "members.email_change.requested", "encrypted_token")
    assert confirm(client, third).status_code == 200
    attackers_undo = link_token(db, "members.email_change.confirmed", "encrypted_undo_token")

    assert undo(client, owners_undo).status_code == 200
    assert db.members.find_one({"_id": member_id})["email"] == OLD
    assert_problem(undo(client, attackers_undo), 400)
    assert db.members.find_one({"_id": member_id})["email"] == OLD


def test_an_impostors_own_undo_link_does_not_void_the_owners(client, db):
    """Regression: using any undo link voided every other, so whoever changed the address
    twice could undo their second change and kill the owner's link."""
    member_id = join(client)
    owners_undo = changed(client, db, member_id)
    attacker = session(client, NEW)
    assert ask(client, member_id, attacker, new_email="third@example.com").status_code == 202
    assert confirm(client, link_token(db, "members.email_change.requested", "encrypted_token")).status_code == 200
    attackers_undo = link_token(db, "members.email_change.confirmed", "encrypted_undo_token")

    assert undo(client, attackers_undo).status_code == 200  # back to the impostor's address
    assert db.members.find_one({"_id": member_id})["email"] == NEW
    assert undo(client, owners_undo).status_code == 200
    assert db.members.find_one({"_id": member_id})["email"] == OLD


def test_a_reset_link_mailed_before_the_undo_sets_no_password(client, db):
    """Regression: a reset link the impostor asked for at their address still set a password
    after the owner's undo had taken the password away."""
    member_id = join(client)
    owners_undo = changed(client, db, member_id)
    assert client.post(f"{AUTH}/password-reset", json={"email": NEW}).status_code == 202
    reset = link_token(db, "members.password_reset.requested", "encrypted_token")
    assert undo(client, owners_undo).status_code == 200
    assert_problem(client.post(f"{AUTH}/password-reset/confirm",
                               json={"token": reset, "new_password": "the impostors own 2026"}), 400)
    assert db.credentials.find_one({"_id": member_id}) is None
    assert login(client, OLD, "the impostors own 2026").status_code == 401


def test_a_reset_link_mailed_to_the_old_address_dies_with_the_change(client, db):
    member_id = join(client)
    assert client.post(f"{AUTH}/password-reset", json={"email": OLD}).status_code == 202
    reset = link_token(db, "members.password_reset.requested", "encrypted_token")
    changed(client, db, member_id)
    assert_problem(client.post(f"{AUTH}/password-reset/confirm",
                               json={"token": reset, "new_password": "another passphrase 2026"}), 400)
    assert login(client, NEW, PASSWORD).status_code == 200


def test_the_undo_link_expires_after_seven_days(client, db, clock):
    member_id = join(client)
    undo_token = changed(client, db, member_id)
    clock.advance(days=7, seconds=1)
    assert_problem(undo(client, undo_token), 400)
    assert db.members.find_one({"_id": member_id})["email"] == NEW


# --------------------------------------------------------------------------- limits

CLIENT = {"REMOTE_ADDR": "192.0.2.80"}


@pytest.mark.parametrize("route", ["confirm-email-change", "undo-email-change"])
def test_the_links_are_rate_limited_per_address_like_the_other_confirmations(client, monkeypatch, route):
    monkeypatch.setitem(accounts.RATE_LIMITS, ("confirm", "address"), accounts.RateLimit(2, timedelta(minutes=1)))
    answers = [client.post(f"{AUTH}/{route}", json={"token": "made-up"}, environ_base=CLIENT) for _ in range(3)]
    assert [r.status_code for r in answers[:2]] == [400, 400]
    assert assert_problem(answers[2], 429)["type"] == "https://alumnet.dev/problems/too-many-requests"
    assert int(answers[2].headers["Retry-After"]) >= 1


def test_asking_is_rate_limited_per_new_address(client, clock):
    member_id = join(client)
    tokens = session(client)
    limit = accounts.RATE_LIMITS[("email_change_link", "email")].requests
    assert [ask(client, member_id, tokens).status_code for _ in range(limit)] == [202] * limit
    limited = ask(client, member_id, tokens)
    assert_problem(limited, 429)
    assert int(limited.headers["Retry-After"]) >= 1


# --------------------------------------------------------------------------- the old address

def test_the_old_address_stays_the_members_while_the_undo_link_lives(client, db):
    """Whoever changed the address cannot defeat the undo by taking the old address: a sign-up
    with it creates nothing, another member's change to it sends nothing, until the link expires."""
    member_id = join(client)
    undo_token = changed(client, db, member_id)
    signed_up = client.post(MEMBERS, json={"given_name": "Ива", "family_name": "Колева", "email": OLD,
                                           "preferred_language": "bg", "consent": {"email": False, "sms": False}})
    assert signed_up.status_code == 202
    assert db.members.count_documents({"email": OLD}) == 0
    other = join(client, "other@example.bg")
    assert ask(client, other, session(client, "other@example.bg"), new_email=OLD).status_code == 202
    assert [e["data"]["new_email"] for e in outbox_events(db, "members.email_change.requested")] == [NEW]
    assert undo(client, undo_token).status_code == 200


def test_the_old_address_is_free_once_the_undo_link_expires(client, db, clock):
    member_id = join(client)
    changed(client, db, member_id)
    clock.advance(days=7, seconds=1)
    newcomer = signed_up_id(client, {"given_name": "Ива", "family_name": "Колева", "email": OLD,
                                     "preferred_language": "bg", "consent": {"email": False, "sms": False}})
    assert newcomer != member_id


def test_openapi_documents_the_email_change_routes(client):
    spec = client.get(f"{MEMBERS}/openapi.json").get_json()
    asking = spec["paths"][f"{MEMBERS}/{{member_id}}/email-change"]["post"]
    assert {"202", "403", "422", "429", "503"} <= set(asking["responses"]) and asking["security"]
    for path in ("confirm-email-change", "undo-email-change"):
        link = spec["paths"][f"{AUTH}/{path}"]["post"]
        assert {"200", "400", "409", "422", "429"} <= set(link["responses"]) and "security" not in link
    assert "/email-change" in spec["components"]["schemas"]["ProfileUpdate"]["properties"]["email"]["description"]


# --------------------------------------------------------------------------- privacy
def test_the_export_lists_the_changes_and_erasure_leaves_none(client, db, admin_headers):
    """The changes hold both addresses: the member's export shows them (no token hashes) and
    their erasure deletes them, the undo link's record included."""
    member_id = join(client)
    changed(client, db, member_id)
    exported = client.get(f"{MEMBERS}/{member_id}/export", headers=admin_headers)
    assert exported.status_code == 200, exported.get_data(as_text=True)
    changes = exported.get_json()["email_changes"]
    assert {(c["kind"], c["old_email"], c["new_email"]) for c in changes} >= {("undo", OLD, NEW)}
    assert all("_id" not in c for c in changes)
    assert client.delete(f"{MEMBERS}/{member_id}?reason=request", headers=admin_headers).status_code == 202
    assert db.email_changes.count_documents({"member_id": member_id}) == 0
