"""The members app with a standing clock, and the people of the ambassador programme made
through its API: applicants (verified alumni and students), ambassadors the office appointed,
finder questions and their confirmation links, contacts the office assigned."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from shared.bus.envelope import decode
from shared.clock import FixedClock
from shared.decisionlink import ASKER_CONFIRMATION
from tests.conftest import LINK_KEY

NOW = datetime(2027, 2, 1, 9, 0, tzinfo=timezone.utc)
M = "/api/v1/members"
A = f"{M}/ambassadors"
APPLICATION = {"motivation": "I studied here in English and live in Pune again.", "countries": ["IN"],
               "cities": ["Pune"], "languages": ["en", "hi"], "faculty": "medicine"}
QUESTION = {"name": "Arjun Mehta", "email": "arjun.mehta@example.in", "language": "en", "country": "IN",
            "message": "How hard is the biology entrance exam?", "privacy_accepted": True}
CONTACT = {"name": "Ravi Kumar", "email": "ravi.kumar@example.in", "kind": "new_international_student",
           "country": "IN", "language": "en", "note": "Arrives in Plovdiv in September; wants to talk to someone."}


@pytest.fixture
def clock(app) -> FixedClock:
    standing = FixedClock(NOW)
    app.extensions["alumnet"].clock = standing
    return standing


def confirmation_token(question_id: str, deadline: datetime, key: str = LINK_KEY, decision: str = "confirm") -> str:
    """The link notifications puts in the asker's email."""
    return ASKER_CONFIRMATION.make_token(key, "", question_id, decision, deadline)


@pytest.fixture
def programme(client, people, clock, admin_headers, db):
    """``programme.ambassador(**member)`` (appointed and listed), ``programme.apply(member)``,
    ``programme.ask(public_id)`` (a question's id), ``programme.confirm(question_id)``,
    ``programme.contact(ambassador)`` (an office contact)."""
    class Programme:
        def apply(self, member: dict, status: int = 201, **body) -> dict:
            response = client.post(f"{A}/applications", json={**APPLICATION, **body}, headers=member["headers"])
            assert response.status_code == status, response.get_json()
            return response.get_json()

        def appoint(self, application: dict, **body) -> dict:
            response = client.post(f"{A}/applications/{application['id']}/appoint", json=body, headers=admin_headers)
            assert response.status_code == 200, response.get_json()
            return response.get_json()

        def ambassador(self, listed: bool = True, public_fields=("given_name",), roles=("alumnus",),
                       application: dict | None = None, **fields) -> dict:
            member = people.verified(roles=roles, **fields)
            record = self.appoint(self.apply(member, **(application or {})))
            if listed:
                response = client.patch(f"{M}/me/ambassador", headers=member["headers"],
                                        json={"listed": True, "public_fields": list(public_fields)})
                assert response.status_code == 200, response.get_json()
                record = response.get_json()
            return {**member, "ambassador": record}

        def ask(self, public_id: str, **body) -> str | None:
            """The question's id (None: nothing was stored)."""
            before = db.ambassador_questions.distinct("_id")
            response = client.post(f"{A}/finder/{public_id}/questions", json={**QUESTION, **body})
            assert response.status_code == 202, response.get_json()
            assert response.get_json() == {"status": "confirm_email"}
            new = [q for q in db.ambassador_questions.distinct("_id") if q not in before]
            return new[0] if new else None

        def confirm(self, question_id: str, deadline: datetime | None = None, **kwargs):
            token = confirmation_token(question_id, deadline or clock() + timedelta(hours=72))
            return client.post(f"{A}/questions/{question_id}/confirm", json={},
                               headers={"X-Question-Token": token}, **kwargs)

        def contact(self, ambassador: dict, **body) -> dict:
            response = client.post(f"{A}/{ambassador['id']}/contacts", json={**CONTACT, **body},
                                   headers=admin_headers)
            assert response.status_code == 201, response.get_json()
            return response.get_json()

    return Programme()


def events(db, event_type: str | None = None) -> list:
    query = {"type": {"$regex": r"^members\.ambassador\."}} if event_type is None else {"type": event_type}
    return [decode(doc["body"]) for doc in db.outbox.find(query).sort("order", 1)]
