"""The awards app under Flask's test client with its clock stopped at ``NOW``; members made as
the members service announces them (its own events, through the awards service's handlers,
as its consumer would deliver them); a cycle's definition and the steps of a cycle through the
API; and the engagement ledger's functions answered from the test (``ledger``: the ledger is
another feature, reached only through the functions the contract names)."""
from __future__ import annotations

import itertools
import uuid
from datetime import datetime, timedelta, timezone

import pytest

from services.awards import handlers
from services.awards.app import create_app
from services.awards.ledger import store as ledger_store
from services.members import messages as members
from shared.bus.envelope import decode
from shared.clock import FixedClock
from tests.support import bearer, consumer_like

NOW = datetime(2027, 1, 10, 10, 0, tzinfo=timezone.utc)
A = "/api/v1/awards"
STATEMENT = "Наставлява шестима студенти през годината и винаги намира време за тях."
RUBRIC = [{"key": "impact", "title": {"bg": "Въздействие", "en": "Impact"}, "weight": 3},
          {"key": "dedication", "title": {"bg": "Отдаденост", "en": "Dedication"}, "weight": 1}]


def category(category_id: str = "mentor-of-the-year", **overrides) -> dict:
    return {"category_id": category_id, "title": {"bg": "Ментор на годината", "en": "Mentor of the year"},
            "description": {"bg": "За наставничество на студенти.", "en": "For mentoring students."},
            "standings_category": "mentoring", "self_nomination": False, "eligibility": [], "rubric": RUBRIC,
            **overrides}


def cycle_body(judges=(), categories=None, **overrides) -> dict:
    """A cycle of 2026 whose nominations run from an hour before ``NOW`` for three weeks."""
    return {"year": 2026, "title": {"bg": "Алумни награди 2026", "en": "Alumni Awards 2026"},
            "phases": {"nominations_from": (NOW - timedelta(hours=1)).isoformat(),
                       "nominations_until": (NOW + timedelta(days=21)).isoformat(),
                       "confirmation_until": (NOW + timedelta(days=35)).isoformat(),
                       "judging_until": (NOW + timedelta(days=60)).isoformat(),
                       "results_at": (NOW + timedelta(days=70)).isoformat()},
            "judges": list(judges), "categories": categories or [category()], **overrides}


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock(NOW)


@pytest.fixture
def app(make_config, clock):
    app = create_app(make_config(AMQP_URL="memory://"))
    app.extensions["alumnet"].clock = clock
    return app


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def store(app):
    return app.extensions["alumnet"].store


@pytest.fixture
def db(store):
    return store.db


@pytest.fixture
def admin(admin_headers) -> dict:
    return admin_headers


@pytest.fixture
def deliver(store):
    """``deliver(event_type, subject, data)``: a members event handled as the consumer would."""
    handle = consumer_like(store, handlers.subscriptions())

    def send(event_type: str, subject: str, data: dict):
        return handle(members.CATALOG.create(event_type, subject, data, "test"))
    return send


@pytest.fixture
def people(deliver, issue_token):
    """Members as the members service announces them: ``people.member(**fields)`` (verified by
    default), ``people.judge()``, ``people.student()``; each a dict of the registered data with
    ``id`` and ``headers`` (a bearer token with the member's roles)."""
    count = itertools.count(1)

    class People:
        def member(self, roles=("alumnus",), verified=True, graduation_year=2010, **fields) -> dict:
            n = next(count)
            member_id = uuid.uuid4().hex
            at = NOW - timedelta(days=400)
            data = {"member_id": member_id, "given_name": f"Мария{n}", "family_name": f"Иванова{n}",
                    "email": f"maria{n}@example.bg", "phone": f"+35988812{n:04d}", "preferred_language": "bg",
                    "graduation_year": graduation_year, "faculty": "medicine", "consent": {"email": True, "sms": False},
                    "registered_at": at.isoformat(), "status": "pending_verification",
                    "roles": [r for r in roles if r in ("alumnus", "student")] or ["alumnus"], **fields}
            deliver("members.member.registered", member_id, data)
            if verified:
                deliver("members.member.verified", member_id, {"member_id": member_id, "method": "admin",
                                                               "verified_at": (at + timedelta(days=1)).isoformat()})
            if set(roles) - {"alumnus", "student"}:
                deliver("members.member.roles_changed", member_id, {
                    "member_id": member_id, "roles": sorted(roles), "changed_at": (at + timedelta(days=2)).isoformat()})
            return {**data, "id": member_id, "headers": bearer(issue_token(member_id, *roles))}

        def judge(self) -> dict:
            return self.member(roles=("alumnus", "judge"))

        def student(self) -> dict:
            return self.member(roles=("student",), graduation_year=None)

    return People()


@pytest.fixture
def ledger(monkeypatch):
    """The ledger's answers, set by the test: ``ledger.mentored[member_id] = n`` (mentorships
    accepted in the period), ``ledger.standings[category] = [(member_id, points), ...]``."""
    class Ledger:
        mentored: dict[str, int] = {}
        standings: dict[str, list[tuple[str, float]]] = {}
        opened: list[str] = []
        forgotten: list[str] = []

    fake = Ledger()
    fake.mentored, fake.standings, fake.opened, fake.forgotten = {}, {}, [], []
    monkeypatch.setattr(ledger_store, "count_in_period",
                        lambda db, member_id, event_type, since, until: fake.mentored.get(member_id, 0)
                        if event_type == "members.mentorship.accepted" else 0)
    monkeypatch.setattr(ledger_store, "top", lambda db, cycle_id, category, limit: [
        {"member_id": m, "points": p, "rank": r} for r, (m, p) in enumerate(fake.standings.get(category, [])[:limit], 1)])
    monkeypatch.setattr(ledger_store, "points_of", lambda db, cycle_id, member_id: {
        c: p for c, rows in fake.standings.items() for m, p in rows if m == member_id})
    monkeypatch.setattr(ledger_store, "open_cycle",
                        lambda db, session, cycle_id, *args: fake.opened.append(cycle_id))
    monkeypatch.setattr(ledger_store, "forget_member",
                        lambda db, session, member_id: fake.forgotten.append(member_id))
    return fake


def events(db, event_type: str) -> list:
    return [decode(doc["body"]) for doc in db.outbox.find({"type": event_type}).sort("order", 1)]


@pytest.fixture
def awards(client, admin, clock, ledger):
    """Steps of a cycle through the API: ``create``, ``open``, ``nominate``, ``confirm``,
    ``advance``, and ``to_judging`` (every phase before judging ended)."""
    class Awards:
        def create(self, status: int = 201, **body) -> dict:
            response = client.post(f"{A}/cycles", json=cycle_body(**body), headers=admin)
            assert response.status_code == status, response.get_json()
            return response.get_json()

        def open(self, **body) -> dict:
            cycle = self.create(**body)
            response = client.post(f"{A}/cycles/{cycle['id']}/open", headers=admin)
            assert response.status_code == 200, response.get_json()
            return response.get_json()

        def nominate(self, cycle: dict, nominator: dict, nominee: dict, status: int = 201,
                     category_id: str = "mentor-of-the-year", statement: str = STATEMENT):
            response = client.post(f"{A}/cycles/{cycle['id']}/categories/{category_id}/nominations",
                                   json={"nominee_id": nominee["id"], "statement": statement},
                                   headers=nominator["headers"])
            assert response.status_code == status, response.get_json()
            return response.get_json()

        def confirm(self, nomination_id: str, nominee: dict, details: str = "Водя и летен курс по ЕКГ.") -> dict:
            response = client.post(f"{A}/nominations/{nomination_id}/confirm", json={"details": details},
                                   headers=nominee["headers"])
            assert response.status_code == 200, response.get_json()
            return response.get_json()

        def advance(self, cycle: dict, phase: str) -> dict:
            clock.advance(seconds=1)
            response = client.post(f"{A}/cycles/{cycle['id']}/advance", headers=admin)
            assert response.status_code == 200, response.get_json()
            clock.advance(seconds=1)
            found = client.get(f"{A}/cycles/{cycle['id']}", headers=admin).get_json()
            assert found["phase"] == phase, found
            return found

        def to_judging(self, cycle: dict) -> dict:
            self.advance(cycle, "confirmation")
            return self.advance(cycle, "judging")

    return Awards()
