"""The causes pages, the members' and the office's, against the real events service (its app
under Flask's test client on the session's local store, its clock fixed), the members API
faked: what the pages send is what the causes API takes, and what it answers is what the pages
show.

The office builds a volunteering call with two roles in the builder and publishes it; three
members join a role with two places (two are in, the third waits and sees her place); one
leaves, the one waiting moves up and sees it; the office confirms the hours of a volunteer
(once per day). A collection takes a pledge of a quantity; a campaign's progress is updated
and its donation page is shown as an external link; the call is closed, and its members see it.
"""
from __future__ import annotations

import re
import time
import uuid
from datetime import datetime, timezone

import pytest
from cryptography.fernet import Fernet

from frontends.portal.app import create_app as create_portal
from frontends.portal.settings import PortalSettings
from services.events import readmodel_store
from tests.unit.events.conftest import app as events, clock  # noqa: F401  (the events app at NOW, below)
from tests.unit.portal.bridge import Bridge
from tests.unit.portal.conftest import csrf_token
from tests.unit.portal.test_console_surveys import builder_form

ADMIN = "a" * 32
NOW = datetime(2030, 3, 1, 10, 0, tzinfo=timezone.utc)
OPEN_DAY = datetime(2030, 4, 5, 15, 0, tzinfo=timezone.utc)  # after the open day (10:00 Sofia time)


@pytest.fixture
def portal(events, issue_token):
    """The portal in front of the events app; ``portal.person(name, family)`` a verified member
    of the class of 2010 the events read model knows, with a real token; ``portal.browser(who)``
    a browser in English signed in as them."""
    bridge = Bridge(events.test_client(), lambda path: path.startswith("/api/v1/events"))
    bridge.on("GET", "/api/v1/members/segments", 200, {"items": [], "page": 1, "per_page": 100, "total": 0})
    settings = PortalSettings(api_url=bridge.base_url, session_key=Fernet.generate_key().decode(), dev_mode=False,
                              api_timeout_s=5, trusted_proxies=1, dev_outbox_dir="/nonexistent")
    app = create_portal(settings, transport=bridge)
    db = events.extensions["alumnet"].store.db

    def person(given_name: str, family_name: str) -> dict:
        member_id = uuid.uuid4().hex
        readmodel_store.merge_member(db, None, member_id, {
            "status": "verified", "graduation_year": 2010, "given_name": given_name, "family_name": family_name})
        return {"id": member_id, "token": issue_token(member_id, "alumnus"), "roles": ["alumnus"]}

    def browser(who: dict):
        visitor = app.test_client()
        visitor.environ_base["HTTP_ACCEPT_LANGUAGE"] = "en"
        with visitor.session_transaction() as session:
            session["auth"] = {"access_token": who["token"], "refresh_token": "unused",
                               "expires_at": time.time() + 900, "member_id": who["id"], "roles": who["roles"],
                               "name": ""}
        return visitor

    app.person, app.browser, app.db = person, browser, db
    app.office = browser({"id": ADMIN, "token": issue_token(ADMIN, "admin"), "roles": ["admin"]})
    return app


def post(client, path: str, data: dict, form_path: str | None = None):
    return client.post(path, data={**data, "csrf_token": csrf_token(client, form_path or path)})


def text(response) -> str:
    return response.get_data(as_text=True).replace("\u202f", " ").replace("\xa0", " ")


def press(office, form: dict, action: str) -> dict:
    """A builder's button (nothing saved): the form as the page gives it back."""
    response = post(office, "/office/causes/new", {**form, "action": action})
    assert response.status_code == 200, text(response)
    return builder_form(text(response))


def build(office, kind: str, **typed) -> str:
    """A cause built in the office's builder and saved as a draft; its id."""
    form = builder_form(text(office.get("/office/causes/new")))
    if kind != "volunteering":
        form = press(office, {**form, "kind": kind}, "refresh")
    form.update(typed)
    response = post(office, "/office/causes/new", {**form, "action": "save"})
    assert response.status_code == 302, text(response)
    return response.headers["Location"].rsplit("/", 1)[1]


def publish(office, cause_id: str) -> None:
    page = f"/office/causes/{cause_id}"
    response = post(office, f"{page}/publish", {}, form_path=page)
    assert response.status_code == 302
    assert "The cause is published" in text(office.get(page))


def join(browser, cause_id: str, role_id: str, **typed):
    """Join a role from the cause's page, with the form's own idempotency key."""
    page = text(browser.get(f"/causes/{cause_id}"))
    action = f"/causes/{cause_id}/roles/{role_id}/join"
    form = page.split(f'action="{action}')[1]
    key = re.search(r'name="idempotency_key" value="([^"]+)"', form).group(1)
    return post(browser, action, {"idempotency_key": key, **typed}, form_path=f"/causes/{cause_id}")


CALL = {"title.bg": "Ден на отворените врати", "title.en": "Open day",
        "description.bg": "Посрещнете кандидат-студентите.", "description.en": "Welcome the applicants.",
        "deadline": "2030-04-01T20:00",
        "roles.0.title.bg": "Екскурзовод", "roles.0.title.en": "Guide", "roles.0.slots": "2",
        "roles.0.what_to_bring.bg": "Удобни обувки.", "roles.0.what_to_bring.en": "Comfortable shoes.",
        "roles.0.when": "2030-04-05T10:00", "roles.0.place": "Главен вход",
        "roles.1.title.bg": "Пробни изпити", "roles.1.title.en": "Mock exams", "roles.1.slots": "4"}


def test_a_volunteering_call_from_the_builder_to_its_closing(portal, events, clock):
    office, db = portal.office, portal.db
    # Built with two roles (the second added by its button), saved as a draft, published.
    form = press(office, builder_form(text(office.get("/office/causes/new"))), "add_role")
    form.update(CALL)
    response = post(office, "/office/causes/new", {**form, "action": "save"})
    assert response.status_code == 302, text(response)
    cause_id = response.headers["Location"].rsplit("/", 1)[1]
    stored = db.causes.find_one({"_id": cause_id})
    assert stored["status"] == "draft" and stored["owner_id"] == ADMIN
    assert [r["slots"] for r in stored["roles"]] == [2, 4]
    assert stored["deadline"].replace(tzinfo=timezone.utc) == datetime(2030, 4, 1, 17, 0, tzinfo=timezone.utc)
    assert stored["roles"][0]["place"]["name"] == "Главен вход"
    guide, exams = (r["role_id"] for r in stored["roles"])
    page = text(office.get(f"/office/causes/{cause_id}"))
    assert "Draft" in page and "Open day" in page and "Mock exams" in page
    publish(office, cause_id)

    # Three members join the guides' two places: two are in, the third waits, first in line.
    maria, petar, elena = (portal.person(*n) for n in (("Мария", "Иванова"), ("Петър", "Петров"),
                                                       ("Елена", "Колева")))
    as_maria, as_petar, as_elena = (portal.browser(p) for p in (maria, petar, elena))
    listing = text(as_maria.get("/causes"))
    assert "Open day" in listing and "0 of 6 places filled" in listing
    page = text(as_maria.get(f"/causes/{cause_id}"))
    assert "2 of 2 places left" in page and "Comfortable shoes." in page and "Главен вход" in page
    assert "Apr 5, 2030, 10:00 AM" in page
    for who in (as_maria, as_petar):
        response = join(who, cause_id, guide)
        assert response.status_code == 302, text(response)
        assert "You have joined." in text(who.get(response.headers["Location"]))
    response = join(as_elena, cause_id, guide, **{"roles.0.note": "Мога след обяд."})
    assert response.status_code == 302, text(response)
    page = text(as_elena.get(response.headers["Location"]))
    assert "you are on its waitlist: number 1" in page and "You are on the waitlist: number 1." in page
    assert "Full: new volunteers join the waitlist · 1 on the waitlist" in page
    # A second join of the same role is refused, in words.
    response = post(as_maria, f"/causes/{cause_id}/roles/{guide}/join", {"idempotency_key": uuid.uuid4().hex},
                    form_path=f"/causes/{cause_id}")
    assert response.status_code == 409 and "You have already joined this role." in text(response)

    # Petar leaves: Elena moves up and sees that she is in.
    response = post(as_petar, f"/causes/{cause_id}/roles/{guide}/leave", {}, form_path=f"/causes/{cause_id}")
    assert response.status_code == 302, text(response)
    assert "Your place goes to the next person waiting." in text(as_petar.get(response.headers["Location"]))
    page = text(as_elena.get(f"/causes/{cause_id}"))
    assert "You are in." in page and "waitlist: number" not in page
    assert "A place freed up and you moved up from the waitlist." in page

    # The office sees the volunteers by name and confirms Elena's hours, once for a day.
    clock.at = OPEN_DAY
    page = text(office.get(f"/office/causes/{cause_id}"))
    assert "Мария Иванова" in page and "Елена Колева" in page and "Мога след обяд." in page
    assert "Петър Петров" not in page
    volunteer_id = db.cause_volunteers.find_one({"member_id": elena["id"], "status": "joined"})["_id"]
    hours = f"/office/causes/{cause_id}/volunteers/{volunteer_id}/hours"
    fields = {f"volunteers.{volunteer_id}.hours": "4,5", f"volunteers.{volunteer_id}.on": "2030-04-05",
              f"volunteers.{volunteer_id}.note": "Посрещна 40 кандидати."}
    response = post(office, hours, fields, form_path=f"/office/causes/{cause_id}")
    assert response.status_code == 302, text(response)
    page = text(office.get(response.headers["Location"]))
    assert "The hours are confirmed." in page and "Hours confirmed: 4.5" in page
    assert db.cause_hours.find_one({"volunteer_id": volunteer_id})["hours"] == 4.5
    response = post(office, hours, fields, form_path=f"/office/causes/{cause_id}")
    assert response.status_code == 409
    assert "Hours for this volunteer on this day are confirmed already." in text(response)
    response = post(office, hours, {**fields, f"volunteers.{volunteer_id}.on": "2030-04-06"},
                    form_path=f"/office/causes/{cause_id}")
    assert response.status_code == 422 and "Hours are confirmed once given: not for a day to come." in text(response)
    assert "Hours confirmed: 4.5" in text(as_elena.get(f"/causes/{cause_id}"))

    # Closed: nobody joins any more, and the members see why.
    page = text(office.get(f"/office/causes/{cause_id}/close"))
    assert "Close “Open day”?" in page
    response = post(office, f"/office/causes/{cause_id}/close", {})
    assert response.status_code == 302, text(response)
    assert "Closed" in text(office.get(response.headers["Location"]))
    page = text(as_maria.get(f"/causes/{cause_id}"))
    assert "This cause is closed." in page and f"/roles/{exams}/join" not in page
    assert "Open day" in text(as_maria.get("/causes?show=closed"))


def test_a_collection_takes_a_pledge_of_a_quantity(portal, events):
    office = portal.office
    cause_id = build(office, "collection", **{
        "title.bg": "Книги за библиотеката", "title.en": "Books for the library", "description.bg": "Дарете.",
        "description.en": "Give.", "deadline": "2030-04-01T20:00", "roles.0.title.bg": "Анатомичен атлас",
        "roles.0.title.en": "Anatomy atlas", "roles.0.slots": "10"})
    publish(office, cause_id)
    atlas = portal.db.causes.find_one({"_id": cause_id})["roles"][0]["role_id"]
    as_maria = portal.browser(portal.person("Мария", "Иванова"))
    response = join(as_maria, cause_id, atlas, **{"roles.0.quantity": "11"})
    assert response.status_code == 422 and "Only 10 are still wanted: pledge at most that many." in text(response)
    response = join(as_maria, cause_id, atlas, **{"roles.0.quantity": "3"})
    assert response.status_code == 302, text(response)
    page = text(as_maria.get(response.headers["Location"]))
    assert "your pledge is noted" in page and "You pledged 3." in page
    assert "3 of 10 items pledged (30%)" in page and "7 of 10 still wanted" in page
    page = text(office.get(f"/office/causes/{cause_id}"))
    assert "Мария Иванова" in page and "Brings 3" in page and "Hours given" not in page


def test_a_campaign_s_progress_and_its_donation_page(portal, events):
    office = portal.office
    cause_id = build(office, "campaign", **{
        "title.bg": "Нов симулационен център", "title.en": "A new simulation centre",
        "description.bg": "Събираме средства.", "description.en": "We raise funds.", "deadline": "2030-06-01T20:00",
        "goal.target": "50000", "goal.unit.bg": "лв.", "goal.unit.en": "BGN",
        "donation_url": "https://mu-plovdiv.bg/darenia"})
    publish(office, cause_id)
    page = f"/office/causes/{cause_id}"
    response = post(office, f"{page}/progress", {"current": "-5"}, form_path=page)
    assert response.status_code == 422 and "invalid" in text(response).split('id="f-current"')[0][-400:]
    response = post(office, f"{page}/progress", {"current": "12500"}, form_path=page)
    assert response.status_code == 302, text(response)
    assert "The campaign&#39;s progress is updated." in text(office.get(page))
    shown = text(portal.browser(portal.person("Мария", "Иванова")).get(f"/causes/{cause_id}"))
    assert "12500 of 50000 BGN (25%)" in shown and '<progress id="cause-progress" max="100" value="25"' in shown
    assert 'href="https://mu-plovdiv.bg/darenia" rel="external noopener noreferrer"' in shown
    assert "(an external site)" in shown and "Alumnet takes no payments" in shown


def test_the_member_the_office_names_runs_the_cause_from_its_page(portal, events, clock):
    ivan, maria = portal.person("Иван", "Колев"), portal.person("Мария", "Иванова")
    cause_id = build(portal.office, "volunteering", owner_id=ivan["id"], **{
        k: v for k, v in CALL.items() if not k.startswith("roles.1.")})
    publish(portal.office, cause_id)
    guide = portal.db.causes.find_one({"_id": cause_id})["roles"][0]["role_id"]
    as_ivan, as_maria = portal.browser(ivan), portal.browser(maria)
    assert join(as_maria, cause_id, guide).status_code == 302
    office_page = f"/office/causes/{cause_id}"
    assert office_page not in text(as_maria.get(f"/causes/{cause_id}"))
    assert as_maria.get(office_page).status_code == 403

    # Ivan finds his way from the cause to its running page: Maria's hours, then the closing.
    assert f'href="{office_page}"' in text(as_ivan.get(f"/causes/{cause_id}"))
    page = text(as_ivan.get(office_page))
    assert "Мария Иванова" in page and "Close the cause…" in page and 'href="/office"' not in page
    clock.at = OPEN_DAY
    volunteer_id = portal.db.cause_volunteers.find_one({"member_id": maria["id"]})["_id"]
    response = post(as_ivan, f"{office_page}/volunteers/{volunteer_id}/hours", {
        f"volunteers.{volunteer_id}.hours": "3", f"volunteers.{volunteer_id}.on": "2030-04-05"},
        form_path=office_page)
    assert response.status_code == 302, text(response)
    assert portal.db.cause_hours.find_one({"volunteer_id": volunteer_id})["confirmed_by"] == ivan["id"]
    assert post(as_ivan, f"{office_page}/close", {}).status_code == 302
    assert portal.db.causes.find_one({"_id": cause_id})["status"] == "closed"
