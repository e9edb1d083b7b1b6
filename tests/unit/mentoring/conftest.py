"""The members app with a standing clock, and the people of mentoring made through its API:
mentors (verified alumni with an offer), students and recent graduates (mentees)."""
from __future__ import annotations

from datetime import datetime, timezone

import pytest

from shared.bus.envelope import decode
from shared.clock import FixedClock

NOW = datetime(2026, 12, 5, 10, 0, tzinfo=timezone.utc)
M = "/api/v1/members"
OFFER = {"topics": ["specialty_choice", "research"], "specialties": ["Кардиология"], "languages": ["bg", "en"],
         "formats": ["online"], "capacity": 2}


@pytest.fixture
def clock(app) -> FixedClock:
    standing = FixedClock(NOW)
    app.extensions["alumnet"].clock = standing
    return standing


@pytest.fixture
def mentoring(client, people, clock):
    """``mentoring.mentor(**offer)``, ``mentoring.student()``, ``mentoring.ask(mentee, *mentors)``."""
    class Mentoring:
        def mentor(self, graduation_year=2012, **offer) -> dict:
            member = people.verified(graduation_year=graduation_year)
            response = client.put(f"{M}/me/mentoring/offer", json={**OFFER, **offer}, headers=member["headers"])
            assert response.status_code == 200, response.get_json()
            return member

        def student(self) -> dict:
            return people.verified(roles=("student",), is_student=True)

        def ask(self, mentee: dict, *mentors: dict, status: int = 201) -> dict:
            response = client.post(f"{M}/me/mentoring/requests", headers=mentee["headers"], json={
                "mentors": [m["id"] for m in mentors], "message": "Здравейте! Бих искала съвет."})
            assert response.status_code == status, response.get_json()
            return response.get_json()

        def decide(self, request: dict, mentor: dict, decision: str = "accept", **kwargs):
            return client.post(f"{M}/mentoring/requests/{request['id']}/{decision}",
                               headers=kwargs.pop("headers", mentor["headers"]), json=kwargs.pop("json", {}), **kwargs)

    return Mentoring()


def events(db, event_type: str | None = None) -> list:
    query = {"type": {"$regex": r"^members\.mentorship\."}} if event_type is None else {"type": event_type}
    return [decode(doc["body"]) for doc in db.outbox.find(query).sort("order", 1)]
