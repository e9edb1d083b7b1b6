"""Members revokes access: an erasure, a role change and a password reset each publish
``members.access.revoked`` (with the change, in its outbox) and write the members api's own
row, so the member's access token from before is a 401 here at once and their refresh token
from before cannot mint new tokens; a fresh login works. Setting the same roles revokes
nothing."""
from __future__ import annotations

import pytest

from services.members.accounts import rules as accounts
from services.members.accounts import store as accounts_store
from services.members.profiles import store as profiles_store
from shared import revocations
from shared.bus.envelope import decode
from tests.conftest import TOKEN_KEY
from tests.support import assert_problem, bearer, confirm_address, outbox_events, signed_up_id

MEMBERS = "/api/v1/members"
AUTH = f"{MEMBERS}/auth"
PASSWORD = "correct horse battery"


@pytest.fixture(autouse=True)
def cheap_hashing(monkeypatch):
    monkeypatch.setattr(accounts, "HASH_METHOD", "scrypt:1024:8:1")


def sign_up_and_log_in(client, email: str) -> tuple[str, dict]:
    member_id = signed_up_id(client, {
        "given_name": "Мария", "family_name": "Иванова", "email": email, "preferred_language": "bg",
        "consent": {"email": True, "sms": False}})
    confirmed = confirm_address(client, member_id, password=PASSWORD)
    assert confirmed.status_code in (200, 204), confirmed.get_data(as_text=True)
    login = client.post(f"{AUTH}/login", json={"email": email, "password": PASSWORD})
    assert login.status_code == 200, login.get_data(as_text=True)
    return member_id, login.get_json()


def erase(client, member_id, email, admin_headers):
    assert client.delete(f"{MEMBERS}/{member_id}?reason=request", headers=admin_headers).status_code == 202
    return None


def change_roles(client, member_id, email, admin_headers):
    response = client.put(f"{MEMBERS}/{member_id}/roles", json={"roles": ["alumnus", "judge"]}, headers=admin_headers)
    assert response.status_code == 200, response.get_data(as_text=True)
    return PASSWORD


def reset_password(client, member_id, email, admin_headers):
    assert client.post(f"{AUTH}/password-reset", json={"email": email}).status_code == 202
    db = client.application.extensions["alumnet"].store.db
    record = db.outbox.find_one({"type": "members.password_reset.requested"}, sort=[("order", -1)])
    token = accounts.decrypt_token(TOKEN_KEY, decode(record["body"]).data["encrypted_token"])
    new_password = "a brand new passphrase"
    confirmed = client.post(f"{AUTH}/password-reset/confirm", json={"token": token, "new_password": new_password})
    assert confirmed.status_code == 204, confirmed.get_data(as_text=True)
    return new_password


@pytest.mark.parametrize("reason,change", [("erased", erase), ("roles_changed", change_roles),
                                           ("password_reset", reset_password)])
def test_each_account_change_revokes_the_members_tokens(client, db, admin_headers, reason, change):
    email = f"{reason}@example.bg"
    member_id, tokens = sign_up_and_log_in(client, email)
    old = bearer(tokens["access_token"])
    assert client.get(f"{MEMBERS}/{member_id}", headers=old).status_code == 200

    password = change(client, member_id, email, admin_headers)

    [event] = outbox_events(db, "members.access.revoked")
    assert event["subject"] == member_id and event["source"] == "members"
    assert event["data"]["member_id"] == member_id and event["data"]["reason"] == reason
    assert revocations.not_before(db, member_id).isoformat() == event["data"]["not_before"]
    # This api honours its own row at once; the refresh token from before mints nothing.
    assert "revoked" in assert_problem(client.get(f"{MEMBERS}/{member_id}", headers=old), 401)["detail"]
    assert_problem(client.post(f"{AUTH}/refresh", json={"refresh_token": tokens["refresh_token"]}), 401)
    if password is not None:  # the account lives on: a fresh login works, and its refresh token
        login = client.post(f"{AUTH}/login", json={"email": email, "password": password})
        assert login.status_code == 200, login.get_data(as_text=True)
        fresh = login.get_json()
        assert client.get(f"{MEMBERS}/{member_id}", headers=bearer(fresh["access_token"])).status_code == 200
        refreshed = client.post(f"{AUTH}/refresh", json={"refresh_token": fresh["refresh_token"]})
        assert refreshed.status_code == 200, refreshed.get_data(as_text=True)


def test_a_roles_change_is_published_with_the_new_roles_and_the_sign_up_roles_too(client, db, admin_headers):
    member_id, _ = sign_up_and_log_in(client, "new.judge@example.bg")
    [registered] = outbox_events(db, "members.member.registered")
    assert registered["data"]["roles"] == ["alumnus"]
    change_roles(client, member_id, "new.judge@example.bg", admin_headers)
    [changed] = outbox_events(db, "members.member.roles_changed")
    assert changed["subject"] == member_id and changed["data"]["roles"] == ["alumnus", "judge"]
    assert changed["data"]["changed_at"]


def test_setting_the_same_roles_revokes_nothing(client, db, admin_headers):
    member_id, tokens = sign_up_and_log_in(client, "same.roles@example.bg")
    response = client.put(f"{MEMBERS}/{member_id}/roles", json={"roles": ["alumnus"]}, headers=admin_headers)
    assert response.status_code == 200, response.get_data(as_text=True)
    assert outbox_events(db, "members.access.revoked") == []
    assert outbox_events(db, "members.member.roles_changed") == []
    assert client.get(f"{MEMBERS}/{member_id}", headers=bearer(tokens["access_token"])).status_code == 200


def test_revocations_outlive_every_token():
    """Rows must be kept as long as a token issued before them can be presented."""
    assert revocations.KEEP_FOR > accounts.REFRESH_TOKEN_TTL


# --------------------------------------------------------------------------- token dated before the read

def _roles_change_after(read, client, member_id):
    """``read`` (a store function the route calls), with a role change of ``member_id``
    committing right after it returns: between the route's read and its signing."""
    store = client.application.extensions["alumnet"].store

    def read_then_roles_change(*args, **kwargs):
        result = read(*args, **kwargs)
        profiles_store.set_roles(store, member_id, ["alumnus", "judge"])
        return result
    return read_then_roles_change


def test_a_login_racing_a_role_change_gets_a_token_the_change_revokes(client, db, monkeypatch):
    """Regression: /login read the member, then dated its token "now": a role change that
    committed in between left a token with the old roles dated after the revocation, and
    every service accepted it until it expired."""
    email = "race.login@example.bg"
    member_id, _ = sign_up_and_log_in(client, email)
    monkeypatch.setattr(accounts_store, "member_by_email",
                        _roles_change_after(accounts_store.member_by_email, client, member_id))
    login = client.post(f"{AUTH}/login", json={"email": email, "password": PASSWORD})
    assert login.status_code == 200 and login.get_json()["roles"] == ["alumnus"]  # read before the change
    stale = bearer(login.get_json()["access_token"])
    assert "revoked" in assert_problem(client.get(f"{MEMBERS}/{member_id}", headers=stale), 401)["detail"]
    monkeypatch.undo()
    fresh = client.post(f"{AUTH}/login", json={"email": email, "password": PASSWORD}).get_json()
    assert fresh["roles"] == ["alumnus", "judge"]
    assert client.get(f"{MEMBERS}/{member_id}", headers=bearer(fresh["access_token"])).status_code == 200


def test_a_refresh_racing_a_role_change_gets_a_token_the_change_revokes(client, db, monkeypatch):
    """Regression: /refresh read the member inside the rotation, then dated its token "now"."""
    member_id, tokens = sign_up_and_log_in(client, "race.refresh@example.bg")
    monkeypatch.setattr(accounts_store, "rotate_refresh_token",
                        _roles_change_after(accounts_store.rotate_refresh_token, client, member_id))
    refreshed = client.post(f"{AUTH}/refresh", json={"refresh_token": tokens["refresh_token"]})
    assert refreshed.status_code == 200 and refreshed.get_json()["roles"] == ["alumnus"]
    stale = bearer(refreshed.get_json()["access_token"])
    assert "revoked" in assert_problem(client.get(f"{MEMBERS}/{member_id}", headers=stale), 401)["detail"]
