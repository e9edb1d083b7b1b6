"""The mentoring pages against the real members service (its app under Flask's test client on
the session's local store, its clock fixed): what the pages send is what the service takes,
and what it answers is what the pages show.

A mentor makes an offer through the form; a student gets recommendations with the factors of
each score and asks her; the mentor accepts from the email's one-click page without logging
in (a real token, signed with the app's key; the GET decides nothing, a second click says it
was decided); a meeting is logged with private notes; the student ends the mentorship with
feedback and the mentor gives hers afterwards.
"""
from __future__ import annotations

import itertools
import time

import pytest
from cryptography.fernet import Fernet

from frontends.portal.app import create_app as create_portal
from frontends.portal.settings import PortalSettings
from shared import mentoringlink
from shared.clock import FixedClock
from tests.conftest import LINK_KEY
from tests.support import signed_up_id
from tests.unit.mentoring.conftest import NOW
from tests.unit.portal.conftest import csrf_token
from tests.unit.portal.bridge import Bridge

M = "/api/v1/members"
ADMIN = "a" * 32


@pytest.fixture
def members(app, issue_token):
    """The members app at NOW, and ``members.person(roles, **fields)``: a verified member made
    through its API, with a bearer token."""
    app.extensions["alumnet"].clock = FixedClock(NOW)
    client = app.test_client()
    admin = {"Authorization": f"Bearer {issue_token(ADMIN, 'admin')}"}
    numbers = itertools.count(1)

    def person(roles=("alumnus",), **fields) -> dict:
        member_id = signed_up_id(client, {
            "given_name": fields.pop("given_name"), "family_name": fields.pop("family_name"),
            "email": f"person{next(numbers)}@example.bg", "preferred_language": "bg",
            "consent": {"email": True, "sms": False}, **fields})
        assert client.post(f"{M}/{member_id}/approve", json={}, headers=admin).status_code == 200
        return {"id": member_id, "token": issue_token(member_id, *roles), "roles": list(roles)}

    client.person = person
    return client


@pytest.fixture
def portal(members):
    bridge = Bridge(members, lambda path: path.startswith(M))
    settings = PortalSettings(api_url=bridge.base_url, session_key=Fernet.generate_key().decode(), dev_mode=False,
                              api_timeout_s=5, trusted_proxies=1, dev_outbox_dir="/nonexistent")
    app = create_portal(settings, transport=bridge)
    app.bridge = bridge
    return app


def browser(portal, person: dict | None = None):
    """A browser in English, signed in as ``person`` (their token in the portal's session)."""
    visitor = portal.test_client()
    visitor.environ_base["HTTP_ACCEPT_LANGUAGE"] = "en"
    if person:
        with visitor.session_transaction() as session:
            session["auth"] = {"access_token": person["token"], "refresh_token": "unused",
                               "expires_at": time.time() + 900, "member_id": person["id"], "roles": person["roles"],
                               "name": ""}
    return visitor


def post(client, path: str, data: dict, form_path: str | None = None):
    return client.post(path, data={**data, "csrf_token": csrf_token(client, form_path or path)})


def text(response) -> str:
    return response.get_data(as_text=True).replace("\u202f", " ").replace("\xa0", " ")


def test_a_mentorship_from_the_offer_to_the_feedback(portal, members, app):
    db = app.extensions["alumnet"].store.db
    anna = members.person(given_name="Анна", family_name="Петрова", graduation_year=2012)
    ivan = members.person(("student",), given_name="Иван", family_name="Колев", is_student=True)
    mentor, student = browser(portal, anna), browser(portal, ivan)

    # Anna offers to mentor, in person in Plovdiv too; the city is needed for that, said at its field.
    offer = {"topics": ["specialty_choice", "research"], "specialties": "Кардиология", "languages": ["bg", "en"],
             "formats": ["online", "in_person"], "city": "", "capacity": "2"}
    response = post(mentor, "/mentoring/offer", offer)
    assert response.status_code == 400 and "Name the city for meetings in person." in text(response)
    assert post(mentor, "/mentoring/offer", {**offer, "city": "Пловдив"}).status_code == 302
    assert db.mentor_offers.find_one({"_id": anna["id"]})["city"] == "Пловдив"
    assert "You are a mentor with 2 free places." in text(mentor.get("/mentoring"))

    # Ivan sees her with the factors of her score, and asks her.
    page = text(student.get("/mentoring/recommendations?topics=research"))
    assert "Анна Петрова" in page and "Offers the topics you chose" in page and "× 2" in page
    response = post(student, "/mentoring/recommendations?topics=research",
                    {f"rank.{anna['id']}": "1", "message": "Здравейте! Бих искал съвет за кардиологията."},
                    form_path="/mentoring/recommendations")
    assert response.status_code == 302, text(response)
    stored = db.mentoring_requests.find_one({"mentee_id": ivan["id"]})
    assert stored["choices"] == [anna["id"]] and stored["state"] == "pending"
    assert "Анна Петрова: Waiting for an answer" in text(student.get("/mentoring/requests"))
    assert "1 mentee is waiting for your answer." in text(mentor.get("/mentoring"))

    # Anna accepts from the email's link, without logging in; opening the page decides nothing.
    deadline = stored["deadline"]
    deadline = deadline if deadline.tzinfo else deadline.replace(tzinfo=NOW.tzinfo)
    token = mentoringlink.make_token(LINK_KEY, anna["id"], stored["_id"], "accept", deadline)
    link = f"/mentoring/requests/{stored['_id']}/decide?t={token}"
    visitor = browser(portal)
    page = text(visitor.get(link))
    assert "Yes, I accept this mentee" in page
    assert db.mentoring_requests.find_one({"_id": stored["_id"]})["state"] == "pending"
    decide = f"/mentoring/requests/{stored['_id']}/decide"
    response = post(visitor, decide, {"t": token}, form_path=link)
    assert response.status_code == 200 and "You accepted Иван Колев as your mentee." in text(response)
    assert db.mentoring_requests.find_one({"_id": stored["_id"]})["state"] == "accepted"
    again = post(visitor, decide, {"t": token}, form_path=link)
    assert "You had already answered this request; nothing has changed." in text(again)

    # The pair's page: a meeting with private notes, logged by Anna.
    pair = db.mentorships.find_one({"mentee_id": ivan["id"]})
    pair_path = f"/mentoring/mentorships/{pair['_id']}"
    assert f'href="{pair_path}"' in text(mentor.get("/mentoring"))
    future = post(mentor, f"{pair_path}/meetings", {"on": "2026-12-24", "minutes": "45", "topic": "Кардиология"},
                  form_path=pair_path)
    assert future.status_code == 422 and "not in the future" in text(future)
    response = post(mentor, f"{pair_path}/meetings", {"on": NOW.date().isoformat(), "minutes": "45",
                                                       "topic": "Избор на специалност", "notes": "Да прочете Браунвалд."},
                    form_path=pair_path)
    assert response.status_code == 302, text(response)
    page = text(student.get(pair_path))
    assert "Mentorship with Анна Петрова" in page and "45 minutes" in page and "Да прочете Браунвалд." in page

    # Ivan ends it with feedback; Anna gives hers afterwards; neither sees the other's.
    assert post(student, f"{pair_path}/end", {"rating": "5", "text": "Много полезно!"},
                form_path=pair_path).status_code == 302
    page = text(student.get(pair_path))
    assert "Your feedback: 5 of 5. Много полезно!" in page and "Log a meeting" not in page
    page = text(mentor.get(pair_path))
    assert "Send my feedback" in page and "Много полезно!" not in page
    assert post(mentor, f"{pair_path}/feedback", {"rating": "4", "text": ""}, form_path=pair_path).status_code == 302
    ended = db.mentorships.find_one({"_id": pair["_id"]})
    assert ended["state"] == "ended" and {k: v["rating"] for k, v in ended["feedback"].items()} == {
        ivan["id"]: 5, anna["id"]: 4}
    assert "Your feedback: 4 of 5." in text(mentor.get(pair_path))
