"""What the members api's hot paths cost in store commands, against bench/budgets.toml."""
from __future__ import annotations

from services.members.app import create_app
from tests.support import bearer, signed_up_id

ADMIN = "a" * 32


def test_get_member_as_a_verified_member(counter, budget, make_config, issue_token):
    app = create_app(make_config(AMQP_URL="memory://"))
    client, db = app.test_client(), app.extensions["alumnet"].store.db
    admin = bearer(issue_token(ADMIN, "admin"))
    ids = [signed_up_id(client, {"given_name": "Мария", "family_name": "Иванова", "email": f"m{i}@example.bg",
                                 "preferred_language": "bg", "consent": {"email": True, "sms": False}})
           for i in range(2)]
    for member_id in ids:
        assert client.post(f"/api/v1/members/{member_id}/approve", json={}, headers=admin).status_code == 200
    caller = bearer(issue_token(ids[0], "alumnus"))
    assert client.get(f"/api/v1/members/{ids[1]}", headers=caller).status_code == 200  # warm
    with counter.counting(db.name) as seen:
        response = client.get(f"/api/v1/members/{ids[1]}", headers=caller)
    assert response.status_code == 200 and response.get_json()["id"] == ids[1]
    budget.check("members.get_member", seen)
