"""Causes through the events HTTP API: members known to the events read model, and helpers
that draft, publish, join and leave as the routes do (the events app, store and clock come
from ``tests/unit/events/conftest.py``)."""
from __future__ import annotations

import uuid
from datetime import datetime, timedelta, timezone

import pytest

from services.events import readmodel_store
from tests.support import bearer

CAUSES = "/api/v1/events/causes"
NOW = datetime(2030, 3, 1, 10, 0, tzinfo=timezone.utc)
DEADLINE = NOW + timedelta(days=30)
GUIDE = {"role_id": "guide", "title": {"bg": "Водач на гости", "en": "Visitor guide"}, "slots": 2,
         "what_to_bring": {"bg": "Бяла престилка.", "en": "A white coat."}, "when": "2030-04-04T09:00",
         "place": {"name": "Аула на МУ-Пловдив", "city": "Пловдив"}}


@pytest.fixture
def member(db, issue_token):
    """``member(**fields)``: a verified member known to the events read model (class of 2010,
    named, unless told), with ``id`` and ``headers``."""
    def make(**fields) -> dict:
        member_id = uuid.uuid4().hex
        readmodel_store.merge_member(db, None, member_id, {
            "status": "verified", "graduation_year": 2010, "given_name": "Мария", "family_name": "Петрова", **fields})
        return {"id": member_id, "headers": bearer(issue_token(member_id, "alumnus"))}
    return make


def body(kind: str = "volunteering", **overrides) -> dict:
    fields = {"kind": kind, "title": {"bg": "Ден на отворените врати", "en": "Open day"},
              "description": {"bg": "Покажете университета.", "en": "Show the university."},
              "deadline": DEADLINE.isoformat()}
    if kind == "campaign":
        fields.update(goal={"target": 5000, "unit": {"bg": "лв.", "en": "BGN"}},
                      donation_url="https://mu-plovdiv.bg/darenia")
    elif kind == "collection":
        fields["roles"] = [{"role_id": "books", "title": {"bg": "Учебници", "en": "Textbooks"}, "slots": 30}]
    else:
        fields["roles"] = [GUIDE]
    return {**fields, **overrides}


def draft(client, admin, kind: str = "volunteering", **overrides) -> dict:
    response = client.post(CAUSES, json=body(kind, **overrides), headers=admin)
    assert response.status_code == 201, response.get_json()
    return response.get_json()


def published(client, admin, kind: str = "volunteering", **overrides) -> dict:
    cause = draft(client, admin, kind, **overrides)
    response = client.post(f"{CAUSES}/{cause['id']}/publish", headers=admin)
    assert response.status_code == 200, response.get_json()
    return response.get_json()


def join(client, cause: dict, who: dict, role_id: str = "guide", status: int = 201, **fields) -> dict:
    response = client.post(f"{CAUSES}/{cause['id']}/roles/{role_id}/volunteers", json=fields,
                           headers=who["headers"])
    assert response.status_code == status, response.get_json()
    return response.get_json()


def leave(client, cause: dict, who: dict, role_id: str = "guide", status: int = 200) -> dict:
    response = client.delete(f"{CAUSES}/{cause['id']}/roles/{role_id}/volunteers/me", headers=who["headers"])
    assert response.status_code == status, response.get_json()
    return response.get_json()


def read(client, cause: dict, who: dict) -> dict:
    response = client.get(f"{CAUSES}/{cause['id']}", headers=who["headers"])
    assert response.status_code == 200, response.get_json()
    return response.get_json()
