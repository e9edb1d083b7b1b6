"""Page tests of a member's causes pages against a fake causes API: the list by kind, a cause
with its roles, places left and waitlists, joining (a collection's items with a quantity) and
leaving, my place on a waitlist, the progress bar, a campaign's donation link, and the API's
refusals shown next to the form they are about."""
from __future__ import annotations

import re

import pytest

from tests.unit.portal.conftest import csrf_token

CAUSE_ID = "c" * 32
CAUSES = "/api/v1/events/causes"
ONE = f"{CAUSES}/{CAUSE_ID}"
PAGE = f"/causes/{CAUSE_ID}"


def a_cause(**changes) -> dict:
    """A published volunteering call as GET /api/v1/events/causes/{id} answers a member
    (services/events/causes/schemas.py CauseSchema)."""
    cause = {
        "id": CAUSE_ID, "kind": "volunteering", "status": "published", "joining_open": True, "fits_me": True,
        "title": {"bg": "Ден на отворените врати", "en": "Open day"},
        "description": {"bg": "Посрещнете кандидат-студентите.", "en": "Welcome the applicants."},
        "audience": {"kind": "all"}, "deadline": "2030-04-01T18:00:00+00:00", "owner_id": "admin-1",
        "roles": [
            {"role_id": "guide", "title": {"bg": "Екскурзовод", "en": "Guide"}, "slots": 2, "filled": 2,
             "slots_left": 0, "waiting": 1, "what_to_bring": {"bg": "Удобни обувки.", "en": "Comfortable shoes."},
             "when": "2030-04-05T07:00:00+00:00", "place": {"name": "Главен вход", "address": None, "city": None}},
            {"role_id": "exams", "title": {"bg": "Пробни изпити", "en": "Mock exams"}, "slots": 4, "filled": 1,
             "slots_left": 3, "waiting": 0, "what_to_bring": None, "when": None, "place": None}],
        "goal": None, "donation_url": None, "published_at": "2030-03-01T08:00:00+00:00", "closed_at": None,
        "progress": {"kind": "volunteering", "done": 3.0, "target": 6.0, "percent": 50}, "hours_total": 0.0,
        "mine": []}
    cause.update(changes)
    return cause


def a_collection(**changes) -> dict:
    return a_cause(kind="collection", title={"bg": "Книги за библиотеката", "en": "Books for the library"},
                   roles=[{"role_id": "atlas", "title": {"bg": "Анатомичен атлас", "en": "Anatomy atlas"},
                           "slots": 10, "filled": 7, "slots_left": 3, "waiting": 0, "what_to_bring": None,
                           "when": None, "place": None}],
                   progress={"kind": "collection", "done": 7.0, "target": 10.0, "percent": 70}, **changes)


def a_campaign(**changes) -> dict:
    return a_cause(kind="campaign", title={"bg": "Нов симулационен център", "en": "A new simulation centre"},
                   roles=[], goal={"target": 50000.0, "unit": {"bg": "лв.", "en": "BGN"}, "current": 12500.0},
                   donation_url="https://mu-plovdiv.bg/darenia",
                   progress={"kind": "campaign", "done": 12500.0, "target": 50000.0, "percent": 25}, **changes)


def html(response) -> str:
    return response.get_data(as_text=True).replace("\u202f", " ").replace("\xa0", " ")


def post(client, path: str, data: dict | None = None):
    return client.post(path, data={**(data or {}), "csrf_token": csrf_token(client, PAGE)})


@pytest.fixture
def cause(gateway):
    gateway.on("GET", ONE, 200, a_cause())
    return a_cause()


# --------------------------------------------------------------------------- the list

def test_the_list_asks_for_open_causes_of_a_kind_and_shows_their_progress(member, gateway):
    gateway.on("GET", CAUSES, 200, {"items": [a_cause(), a_campaign(id="d" * 32)], "page": 1,
                                    "per_page": 20, "total": 2})
    page = html(member.get("/causes?kind=campaign"))
    assert gateway.sent("GET", CAUSES)[-1].params == {"status": "published", "page": 1, "per_page": 20,
                                                      "kind": "campaign"}
    assert "Open day" in page and f'href="/causes/{CAUSE_ID}"' in page and "2 causes" in page
    assert "3 of 6 places filled (50%)" in page and "12500 of 50000 BGN (25%)" in page
    assert '<progress id="progress-1" max="100" value="50"' in page
    assert '<option value="campaign" selected>' in page


def test_the_list_of_closed_causes_and_a_hand_edited_kind(member, gateway):
    gateway.on("GET", CAUSES, 200, {"items": [], "page": 1, "per_page": 20, "total": 0})
    page = html(member.get("/causes?show=closed&kind=party"))
    assert gateway.sent("GET", CAUSES)[-1].params == {"status": "closed", "page": 1, "per_page": 20}
    assert "No closed causes here." in page


def test_visitors_are_sent_to_the_login_page(client, gateway):
    for path in ("/causes", PAGE):
        response = client.get(path)
        assert response.status_code == 302 and response.headers["Location"].startswith("/login?next=")
    assert gateway.calls == []


def test_the_main_navigation_links_to_the_causes(member, gateway):
    assert 'href="/causes"' in html(member.get("/causes"))


# --------------------------------------------------------------------------- a cause

def test_a_cause_shows_each_role_s_places_left_waitlist_and_what_to_bring(member, cause):
    page = html(member.get(PAGE))
    assert "Open day" in page and "Welcome the applicants." in page
    assert "Full: new volunteers join the waitlist · 1 on the waitlist" in page
    assert "3 of 4 places left" in page
    assert "Comfortable shoes." in page and "Главен вход" in page
    assert "Apr 5, 2030" in page and "10:00" in page  # Sofia time
    assert '<progress id="cause-progress" max="100" value="50"' in page and "3 of 6 places filled" in page
    # Both roles may be joined: the full one joins its waitlist.
    assert page.count('name="idempotency_key"') == 2
    assert "Join the waitlist" in page and ">Join<" in page


def test_my_place_on_a_waitlist_and_my_joined_role(member, gateway):
    gateway.on("GET", ONE, 200, a_cause(mine=[
        {"volunteer_id": "v-1", "role_id": "guide", "status": "waitlisted", "position": 1, "quantity": None},
        {"volunteer_id": "v-2", "role_id": "exams", "status": "joined", "position": None, "quantity": None,
         "hours_total": 3.0}]))
    page = html(member.get(PAGE))
    assert "You are on the waitlist: number 1." in page and "Leave the waitlist" in page
    assert "You are in. Hours confirmed: 3" in page and "Leave this role" in page
    assert 'name="idempotency_key"' not in page  # nothing more to join


def test_a_cause_that_is_not_for_me_is_not_found(member, gateway):
    gateway.problem("GET", ONE, 404, "not-found", "No such cause.")
    response = member.get(PAGE)
    assert response.status_code == 404 and "Cause not found" in html(response)


def test_past_the_deadline_no_form_is_offered(member, gateway):
    gateway.on("GET", ONE, 200, a_cause(deadline="2020-01-01T00:00:00+00:00", joining_open=False))
    page = html(member.get(PAGE))
    assert "The deadline has passed: joining is closed." in page and 'name="idempotency_key"' not in page


def test_a_campaign_links_to_the_university_s_donation_page_marked_external(member, gateway):
    gateway.on("GET", ONE, 200, a_campaign())
    page = html(member.get(PAGE))
    assert 'href="https://mu-plovdiv.bg/darenia" rel="external noopener noreferrer"' in page
    assert "an external site" in page and "Alumnet takes no payments" in page
    assert "12500 of 50000 BGN (25%)" in page and "<form" not in page.split("</header>")[1].split("<footer")[0]


def test_a_cause_in_bulgarian(member, gateway):
    gateway.on("GET", ONE, 200, a_collection())
    member.get("/language/bg")
    page = html(member.get(PAGE))
    assert '<html lang="bg">' in page and "Книги за библиотеката" in page
    assert "Още се търсят: 3 от 10" in page and "7 от 10 дарени предмета" in page
    assert "Колко ще донесете" in page and "Обещайте дарение" in page


# --------------------------------------------------------------------------- joining and leaving

def _join(member, role_id: str = "exams", **data):
    return post(member, f"{PAGE}/roles/{role_id}/join", {"idempotency_key": "k-1", **data})


def test_joining_a_role_posts_to_the_api_with_the_form_s_key(member, cause, gateway):
    gateway.on("POST", f"{ONE}/roles/exams/volunteers", 201, {"status": "joined", "position": None})
    response = _join(member, **{"roles.1.note": "After 14:00"})
    assert response.status_code == 302 and response.headers["Location"] == PAGE
    call = gateway.sent("POST", f"{ONE}/roles/exams/volunteers")[-1]
    assert call.json == {"note": "After 14:00"} and call.headers["Idempotency-Key"] == "k-1"
    assert call.headers["Authorization"] == "Bearer access-m-1"
    assert "You have joined." in html(member.get(PAGE))


def test_joining_a_full_role_tells_my_waitlist_position(member, cause, gateway):
    gateway.on("POST", f"{ONE}/roles/guide/volunteers", 201, {"status": "waitlisted", "position": 2})
    _join(member, "guide")
    assert gateway.sent("POST", f"{ONE}/roles/guide/volunteers")[-1].json == {}
    assert "you are on its waitlist: number 2" in html(member.get(PAGE))


def test_pledging_items_sends_the_quantity(member, gateway):
    gateway.on("GET", ONE, 200, a_collection())
    gateway.on("POST", f"{ONE}/roles/atlas/volunteers", 201, {"status": "joined", "position": None})
    _join(member, "atlas", **{"roles.0.quantity": "2"})
    assert gateway.sent("POST", f"{ONE}/roles/atlas/volunteers")[-1].json == {"quantity": 2}
    assert "your pledge is noted" in html(member.get(PAGE))


def test_the_api_s_field_errors_are_shown_next_to_the_role_s_fields(member, gateway):
    gateway.on("GET", ONE, 200, a_collection())
    gateway.problem("POST", f"{ONE}/roles/atlas/volunteers", 422, "validation", "Invalid input.",
                    errors={"quantity": ["Only 3 still wanted."]})
    response = _join(member, "atlas", **{"roles.0.quantity": "5"})
    page = html(response)
    assert response.status_code == 422
    assert "Please correct the fields marked below." in page and 'href="#f-roles-0-quantity"' in page
    field = page.split('id="f-roles-0-quantity"')[0].rsplit('<div class="field', 1)[1]
    assert "invalid" in field and "Only 3 are still wanted: pledge at most that many." in field
    assert re.search(r'id="f-roles-0-quantity" name="roles.0.quantity" type="number" value="5"', page)


def test_a_quantity_that_is_no_number_is_sent_as_typed_for_the_api_to_refuse(member, gateway):
    gateway.on("GET", ONE, 200, a_collection())
    gateway.problem("POST", f"{ONE}/roles/atlas/volunteers", 422, "validation", "Invalid input.",
                    errors={"quantity": ["Not a valid integer."]})
    page = html(_join(member, "atlas", **{"roles.0.quantity": "many"}))
    assert gateway.sent("POST", f"{ONE}/roles/atlas/volunteers")[-1].json == {"quantity": "many"}
    assert "Enter a whole number." in page


@pytest.mark.parametrize("status,kind,errors,said", [
    (409, "already-volunteering", None, "You have already joined this role."),
    (409, "cause-closed", None, "This cause is closed"),
    (422, "validation", {"_schema": ["The deadline for joining has passed."]}, "The deadline for joining has passed."),
    (403, "other-audience", None, "This cause is for another group of members"),
    (403, "not-verified", None, "Only verified members can join."),
])
def test_the_api_s_refusals_of_a_join_in_words(member, cause, gateway, status, kind, errors, said):
    gateway.problem("POST", f"{ONE}/roles/exams/volunteers", status, kind, "Refused.", errors=errors)
    response = _join(member)
    page = html(response)
    assert response.status_code == status and said in page
    assert "Please correct the fields" not in page


def test_leaving_a_role_sends_delete_and_says_the_place_goes_on(member, gateway):
    gateway.on("GET", ONE, 200, a_cause(mine=[{"volunteer_id": "v-2", "role_id": "exams", "status": "joined"}]))
    gateway.on("DELETE", f"{ONE}/roles/exams/volunteers/me", 204)
    response = post(member, f"{PAGE}/roles/exams/leave")
    assert response.status_code == 302 and len(gateway.sent("DELETE", f"{ONE}/roles/exams/volunteers/me")) == 1
    assert "Your place goes to the next person waiting." in html(member.get(PAGE))


def test_leaving_a_role_i_am_not_in(member, cause, gateway):
    gateway.problem("DELETE", f"{ONE}/roles/exams/volunteers/me", 404, "not-found", "Not a volunteer.")
    response = post(member, f"{PAGE}/roles/exams/leave")
    assert response.status_code == 404 and "nothing to leave" in html(response)


def test_a_role_the_cause_has_not_is_not_found(member, cause, gateway):
    assert _join(member, "nope").status_code == 404
    assert gateway.sent("POST", f"{ONE}/roles/nope/volunteers") == []


@pytest.mark.parametrize("path", [f"{PAGE}/roles/exams/join", f"{PAGE}/roles/exams/leave"])
def test_a_form_without_its_csrf_token_sends_nothing(member, cause, gateway, path):
    response = member.post(path, data={"idempotency_key": "k-1"})
    assert response.status_code == 400 and "Please send the form again" in html(response)
    assert [c for c in gateway.calls if c.method in ("POST", "DELETE") and c.path.startswith(CAUSES)] == []
