"""The office's cause pages against a fake causes API: the list, the builder's round trips
without JavaScript (add, move and remove roles, switch the kind without losing what was
typed), the bodies each kind sends, the API's 422 errors beside their fields, editing a
draft, publishing, closing, the volunteers with the hours confirmed for each, a campaign's
progress, and the CSRF token every form needs."""
from __future__ import annotations

import pytest

from tests.unit.portal.conftest import csrf_token, log_in
from tests.unit.portal.test_causes import a_campaign, a_cause, a_collection
from tests.unit.portal.test_console_surveys import builder_form

CAUSE_ID = "c" * 32
CAUSES = "/api/v1/events/causes"
ONE = f"{CAUSES}/{CAUSE_ID}"
PAGE = f"/office/causes/{CAUSE_ID}"


def html(response) -> str:
    return response.get_data(as_text=True).replace("\u202f", " ").replace("\xa0", " ")


def post(client, path: str, data: dict, *, form_path: str = "/office/causes/new"):
    return client.post(path, data={**data, "csrf_token": csrf_token(client, form_path)})


@pytest.fixture
def segments(gateway):
    gateway.on("GET", "/api/v1/members/segments", 200, {
        "items": [{"id": "s" * 32, "name": "Cardiologists abroad"}], "page": 1, "per_page": 100, "total": 1})


def volunteer(volunteer_id: str, **changes) -> dict:
    """A volunteer as GET /api/v1/events/causes/{id}/volunteers lists it (VolunteerSchema)."""
    return {"volunteer_id": volunteer_id, "cause_id": CAUSE_ID, "role_id": "guide", "member_id": "m-1",
            "given_name": "Мария", "family_name": "Иванова", "status": "joined", "position": None, "quantity": None,
            "note": None, "hours_total": 0.0, "requested_at": "2030-03-02T08:00:00+00:00",
            "joined_at": "2030-03-02T08:00:00+00:00", "promoted_at": None, "left_at": None, "left_reason": None,
            **changes}


def volunteers() -> dict:
    return {"items": [
        volunteer("v-1", note="След 14:00", hours_total=4.5),
        volunteer("v-2", member_id="m-2", given_name="Petar", family_name="Petrov", status="waitlisted", position=1,
                  joined_at=None),
        volunteer("v-3", member_id=None, given_name=None, family_name=None, role_id="exams")],
        "page": 1, "per_page": 50, "total": 3}


@pytest.fixture
def published(gateway, segments):
    gateway.on("GET", ONE, 200, a_cause())
    gateway.on("GET", f"{ONE}/volunteers", 200, volunteers())


# --------------------------------------------------------------------------- who may see what

OFFICE_PAGES = ["/office/causes", "/office/causes/new", f"{PAGE}/edit"]
RUNNING_PAGES = [PAGE, f"{PAGE}/close"]  # the office's, and the cause's owner's


@pytest.mark.parametrize("path", OFFICE_PAGES)
def test_members_and_staff_get_403_and_nothing_is_asked_of_the_api(client, gateway, path):
    log_in(client, gateway, member_id="staff-1", roles=("staff",))
    assert client.get(path).status_code == 403
    assert [c for c in gateway.calls if c.path.startswith(CAUSES)] == []


@pytest.mark.parametrize("path", RUNNING_PAGES)
def test_a_member_who_does_not_own_the_cause_gets_403_and_only_the_cause_is_read(client, gateway, path):
    gateway.on("GET", ONE, 200, a_cause(owner_id="m-2"))
    log_in(client, gateway, member_id="m-1")
    assert client.get(path).status_code == 403
    assert {c.path for c in gateway.calls if c.path.startswith(CAUSES)} == {ONE}
    response = client.post(f"{PAGE}/volunteers/v-1/hours", data={"volunteers.v-1.hours": "2"})
    assert response.status_code in (400, 403) and gateway.sent("POST", f"{ONE}/volunteers/v-1/hours") == []


def test_the_cause_s_owner_runs_it_without_the_office_s_buttons(client, gateway, segments):
    gateway.on("GET", ONE, 200, a_cause(owner_id="m-1"))
    gateway.on("GET", f"{ONE}/volunteers", 200, volunteers())
    log_in(client, gateway, member_id="m-1")
    assert 'href="/office/causes/' + CAUSE_ID + '"' in html(client.get(f"/causes/{CAUSE_ID}"))
    page = html(client.get(PAGE))
    assert "Мария Иванова" in page and 'name="volunteers.v-1.hours"' in page and "Close the cause…" in page
    assert 'href="/office"' not in page and 'href="/office/causes"' not in page and 'href="/causes"' in page
    gateway.on("GET", ONE, 200, a_cause(owner_id="m-1", status="draft"))
    page = html(client.get(PAGE))
    assert f"{PAGE}/publish" not in page and f"{PAGE}/edit" not in page
    assert "The office publishes the cause" in page


def test_the_console_links_to_the_causes(admin, gateway):
    for name in ("members", "events", "notifications"):
        gateway.on("GET", f"/api/v1/{name}/stats", 503, {})
    assert 'href="/office/causes"' in html(admin.get("/office"))


# --------------------------------------------------------------------------- the list

def test_the_list_filters_by_status_and_kind(admin, gateway):
    gateway.on("GET", CAUSES, 200, {"items": [a_cause(), a_campaign(id="d" * 32, status="draft")],
                                    "page": 1, "per_page": 20, "total": 2})
    page = html(admin.get("/office/causes?status=published&kind=volunteering"))
    assert gateway.sent("GET", CAUSES)[-1].params == {"page": 1, "per_page": 20, "status": "published",
                                                      "kind": "volunteering"}
    assert "Open day" in page and "A new simulation centre" in page and "Draft" in page
    assert f'href="/office/causes/{CAUSE_ID}"' in page and 'href="/office/causes/new"' in page
    assert "3 of 6 places filled (50%)" in page


# --------------------------------------------------------------------------- the builder

def test_a_new_cause_form_has_both_languages_and_one_role(admin, segments):
    page = html(admin.get("/office/causes/new"))
    for name in ("kind", "title.bg", "title.en", "description.bg", "description.en", "deadline", "owner_id",
                 "audience.kind", "roles.0.title.bg", "roles.0.title.en", "roles.0.slots", "roles.0.what_to_bring.bg",
                 "roles.0.what_to_bring.en", "roles.0.when", "roles.0.place"):
        assert f'name="{name}"' in page, name
    assert 'name="idempotency_key"' in page and "Cardiologists abroad" in page
    assert 'name="goal.target"' not in page


def _filled(admin) -> dict:
    form = builder_form(html(admin.get("/office/causes/new")))
    form.update({"title.bg": "Ден на отворените врати", "title.en": "Open day", "description.bg": "Елате.",
                 "description.en": "Come.", "deadline": "2030-04-01T20:00", "roles.0.title.bg": "Екскурзовод",
                 "roles.0.title.en": "Guide", "roles.0.slots": "10", "roles.0.what_to_bring.bg": "Обувки",
                 "roles.0.what_to_bring.en": "Shoes", "roles.0.when": "2030-04-05T10:00",
                 "roles.0.place": "Главен вход"})
    return form


def _press(admin, form: dict, action: str, path: str = "/office/causes/new") -> str:
    response = post(admin, path, {**form, "action": action}, form_path=path)
    assert response.status_code == 200
    return html(response)


def test_adding_moving_and_removing_roles_keeps_what_was_typed_and_saves_nothing(admin, gateway, segments):
    form = _filled(admin)
    page = _press(admin, form, "add_role")
    after = builder_form(page)
    assert after["roles.0.title.en"] == "Guide" and after["roles.0.place"] == "Главен вход"
    assert after["roles.1.title.en"] == "" and after["title.bg"] == "Ден на отворените врати"
    after.update({"roles.1.title.bg": "Изпити", "roles.1.title.en": "Mock exams", "roles.1.slots": "4"})
    moved = builder_form(_press(admin, after, "up:1"))
    assert moved["roles.0.title.en"] == "Mock exams" and moved["roles.1.title.en"] == "Guide"
    assert moved["roles.1.when"] == "2030-04-05T10:00"
    removed = builder_form(_press(admin, moved, "remove_role:0"))
    assert removed["roles.0.title.en"] == "Guide" and "roles.1.title.en" not in removed
    assert gateway.sent("POST", CAUSES) == []


def test_switching_to_a_campaign_and_back_loses_no_role(admin, gateway, segments):
    form = {**_filled(admin), "kind": "campaign"}
    page = _press(admin, form, "refresh")
    assert 'name="goal.target"' in page and 'name="donation_url"' in page
    assert 'id="f-roles-0-title-bg"' not in page  # the roles are kept, not shown
    back = builder_form(page)
    assert back["roles.0.title.en"] == "Guide" and back["roles.0.slots"] == "10"
    page = _press(admin, {**back, "kind": "volunteering"}, "refresh")
    assert builder_form(page)["roles.0.what_to_bring.en"] == "Shoes"


def test_saving_a_volunteering_call_sends_its_roles_and_goes_to_it(admin, gateway, segments):
    gateway.on("POST", CAUSES, 201, a_cause(status="draft"))
    response = post(admin, "/office/causes/new", {**_filled(admin), "idempotency_key": "k-1", "action": "save"})
    assert response.status_code == 302 and response.headers["Location"] == PAGE
    call = gateway.sent("POST", CAUSES)[-1]
    assert call.headers["Idempotency-Key"] == "k-1"
    assert call.json == {
        "kind": "volunteering", "title": {"bg": "Ден на отворените врати", "en": "Open day"},
        "description": {"bg": "Елате.", "en": "Come."}, "deadline": "2030-04-01T20:00:00+03:00",
        "audience": {"kind": "all"},
        "roles": [{"title": {"bg": "Екскурзовод", "en": "Guide"}, "slots": 10,
                   "what_to_bring": {"bg": "Обувки", "en": "Shoes"}, "when": "2030-04-05T10:00:00+03:00",
                   "place": {"name": "Главен вход"}}]}


def test_a_collection_sends_its_items_and_a_campaign_its_goal_and_donation_page(admin, gateway, segments):
    gateway.on("POST", CAUSES, 201, a_cause(status="draft"))
    form = {**_filled(admin), "kind": "collection", "audience.kind": "graduation_years", "audience.year_from": "2006",
            "audience.year_to": "2010", "owner_id": "9" * 32}
    post(admin, "/office/causes/new", {**form, "action": "save"})
    sent = gateway.sent("POST", CAUSES)[-1].json
    assert sent["kind"] == "collection" and sent["owner_id"] == "9" * 32
    assert sent["audience"] == {"kind": "graduation_years", "year_from": 2006, "year_to": 2010}
    assert sent["roles"] == [{"title": {"bg": "Екскурзовод", "en": "Guide"}, "slots": 10,
                              "what_to_bring": {"bg": "Обувки", "en": "Shoes"}}]
    campaign = {**_filled(admin), "kind": "campaign", "goal.target": "50000", "goal.unit.bg": "лв.",
                "goal.unit.en": "BGN", "donation_url": "https://mu-plovdiv.bg/darenia"}
    post(admin, "/office/causes/new", {**campaign, "action": "save"})
    sent = gateway.sent("POST", CAUSES)[-1].json
    assert sent["roles"] == [] and sent["donation_url"] == "https://mu-plovdiv.bg/darenia"
    assert sent["goal"] == {"target": 50000, "unit": {"bg": "лв.", "en": "BGN"}}


def test_the_api_s_errors_are_shown_beside_their_fields(admin, gateway, segments):
    gateway.problem("POST", CAUSES, 422, "validation", "Invalid input.", errors={
        "title": {"en": ["Missing data for required field."]},
        "roles": {"0": {"slots": ["Must be greater than or equal to 1 and less than or equal to 500."],
                        "what_to_bring": ["Longer than maximum length 2000."]}},
        "deadline": ["Not a valid datetime."]})
    response = post(admin, "/office/causes/new", {**_filled(admin), "roles.0.slots": "0", "action": "save"})
    page = html(response)
    assert response.status_code == 422 and "Please correct the fields marked below." in page
    for name, said in (("title-en", "This field is required."), ("roles-0-slots", "Enter a value from 1 to 500."),
                       ("roles-0-what_to_bring-bg", "Enter at most 2000 characters."),
                       ("deadline", "Enter a valid date.")):
        field = page.split(f'id="f-{name}"')[0].rsplit('<div class="field', 1)[1]
        assert "invalid" in field and said in field, name
    assert builder_form(page)["roles.0.slots"] == "0"
    assert builder_form(page)["idempotency_key"] != ""


def test_a_role_time_the_clocks_skip_is_refused_at_its_field_before_anything_is_sent(admin, gateway, segments):
    # 2031-03-30, 03:30 in Sofia never shows (the clocks go from 03:00 to 04:00).
    response = post(admin, "/office/causes/new", {**_filled(admin), "roles.0.when": "2031-03-30T03:30",
                                                  "action": "save"})
    page = html(response)
    assert response.status_code == 422
    field = page.split('id="f-roles-0-when"')[0].rsplit('<div class="field', 1)[1]
    assert "invalid" in field and "There is no such time that night: the clocks go forward past it." in field
    assert gateway.sent("POST", CAUSES) == []


def test_editing_a_draft_keeps_its_role_ids_and_patches_it(admin, gateway, segments):
    gateway.on("GET", ONE, 200, a_cause(status="draft"))
    gateway.on("PATCH", ONE, 200, a_cause(status="draft"))
    form = builder_form(html(admin.get(f"{PAGE}/edit")))
    assert form["roles.0.role_id"] == "guide" and form["roles.1.role_id"] == "exams"
    assert form["roles.0.when"] == "2030-04-05T10:00" and form["deadline"] == "2030-04-01T21:00"
    assert form["roles.0.place"] == "Главен вход" and form["owner_id"] == "admin-1"
    response = post(admin, f"{PAGE}/edit", {**form, "roles.1.slots": "6", "action": "save"},
                    form_path=f"{PAGE}/edit")
    assert response.status_code == 302
    sent = gateway.sent("PATCH", ONE)[-1].json
    assert [r.get("role_id") for r in sent["roles"]] == ["guide", "exams"] and sent["roles"][1]["slots"] == 6
    assert "kind" not in sent  # a cause keeps its kind
    assert sent["owner_id"] == "admin-1" and sent["roles"][0]["place"] == {"name": "Главен вход"}


def test_a_published_cause_is_not_edited(admin, gateway, published):
    response = admin.get(f"{PAGE}/edit")
    assert response.status_code == 302 and response.headers["Location"] == PAGE


# --------------------------------------------------------------------------- one cause

def test_the_cause_page_shows_roles_progress_and_volunteers_with_their_hours(admin, gateway, published):
    page = html(admin.get(PAGE))
    assert "Open day" in page and "Published" in page and "Close the cause…" in page
    assert "Мария Иванова" in page and "След 14:00" in page and "Hours confirmed: 4.5" in page
    assert "Petar Petrov" in page and "No. 1 in the queue" in page and "A former member" in page
    # The hours form is for those who are in, not for those waiting.
    assert page.count('action="/office/causes/' + CAUSE_ID + '/volunteers/') == 2
    assert 'name="volunteers.v-1.hours"' in page and 'name="volunteers.v-2.hours"' not in page
    assert gateway.sent("GET", f"{ONE}/volunteers")[-1].params == {"page": 1, "per_page": 50}
    assert '<progress id="cause-progress" max="100" value="50"' in page


def test_a_draft_can_be_edited_and_published(admin, gateway, segments):
    gateway.on("GET", ONE, 200, a_cause(status="draft"))
    page = html(admin.get(PAGE))
    assert f'href="{PAGE}/edit"' in page and f'action="{PAGE}/publish"' in page and "Volunteers" not in page
    gateway.on("POST", f"{ONE}/publish", 200, a_cause())
    response = post(admin, f"{PAGE}/publish", {}, form_path=PAGE)
    assert response.status_code == 302 and len(gateway.sent("POST", f"{ONE}/publish")) == 1
    assert "The cause is published" in html(admin.get(PAGE))


def test_a_refused_publication_is_said(admin, gateway, segments):
    gateway.on("GET", ONE, 200, a_cause(status="draft"))
    gateway.problem("POST", f"{ONE}/publish", 409, "conflict", "Not a draft.")
    post(admin, f"{PAGE}/publish", {}, form_path=PAGE)
    assert "Only a draft can be published." in html(admin.get(PAGE))


def test_closing_asks_first_then_closes(admin, gateway, published):
    page = html(admin.get(f"{PAGE}/close"))
    assert "Close “Open day”?" in page and "those still on a waitlist are told" in page
    assert gateway.sent("POST", f"{ONE}/close") == []
    gateway.on("POST", f"{ONE}/close", 200, a_cause(status="closed"))
    response = post(admin, f"{PAGE}/close", {}, form_path=f"{PAGE}/close")
    assert response.status_code == 302 and len(gateway.sent("POST", f"{ONE}/close")) == 1


def test_confirming_hours_sends_them_for_the_volunteer(admin, gateway, published):
    gateway.on("POST", f"{ONE}/volunteers/v-1/hours", 201, {"volunteer_id": "v-1", "hours": 2.5})
    response = post(admin, f"{PAGE}/volunteers/v-1/hours", {
        "volunteers.v-1.hours": "2,5", "volunteers.v-1.on": "2030-04-06", "volunteers.v-1.note": "Подреди залата"},
        form_path=PAGE)
    assert response.status_code == 302 and response.headers["Location"] == f"{PAGE}#volunteers"
    assert gateway.sent("POST", f"{ONE}/volunteers/v-1/hours")[-1].json == {
        "hours": 2.5, "on": "2030-04-06", "note": "Подреди залата"}
    assert "The hours are confirmed." in html(admin.get(PAGE))


def test_hours_out_of_range_are_shown_beside_the_volunteer_s_field(admin, gateway, published):
    gateway.problem("POST", f"{ONE}/volunteers/v-3/hours", 422, "validation", "Invalid input.",
                    errors={"hours": ["From 0.5 to 24 hours a day."]})
    response = post(admin, f"{PAGE}/volunteers/v-3/hours", {"volunteers.v-3.hours": "30",
                                                            "volunteers.v-3.on": "2030-04-06"}, form_path=PAGE)
    page = html(response)
    assert response.status_code == 422
    field = page.split('id="f-volunteers-v-3-hours"')[0].rsplit('<div class="field', 1)[1]
    assert "invalid" in field and "Enter from 0.5 to 24 hours a day." in field
    assert 'id="f-volunteers-v-3-hours" name="volunteers.v-3.hours" type="number" value="30"' in page
    assert 'id="f-volunteers-v-1-hours" name="volunteers.v-1.hours" type="number" value=""' in page


@pytest.mark.parametrize("kind,field_name,said", [
    ("hours-already-confirmed", "on", "Hours for this volunteer on this day are confirmed already."),
    ("not-joined", "hours", "Only a volunteer who is in (not waiting, not gone) gets hours confirmed."),
])
def test_hours_the_api_refuses_are_said_beside_the_field(admin, gateway, published, kind, field_name, said):
    gateway.problem("POST", f"{ONE}/volunteers/v-1/hours", 409, kind, "Refused.")
    response = post(admin, f"{PAGE}/volunteers/v-1/hours", {"volunteers.v-1.hours": "2",
                                                            "volunteers.v-1.on": "2030-04-05"}, form_path=PAGE)
    assert response.status_code == 409
    field = html(response).split(f'id="f-volunteers-v-1-{field_name}"')[0].rsplit('<div class="field', 1)[1]
    assert said in field


def test_hours_for_a_volunteer_the_cause_has_not_are_the_api_s_not_found(admin, gateway, published):
    gateway.problem("POST", f"{ONE}/volunteers/v-9/hours", 404, "not-found", "No such volunteer of this cause.")
    response = post(admin, f"{PAGE}/volunteers/v-9/hours", {"volunteers.v-9.hours": "2"}, form_path=PAGE)
    assert response.status_code == 404


def test_a_campaign_s_progress_is_updated_and_its_errors_shown(admin, gateway, segments):
    gateway.on("GET", ONE, 200, a_campaign())
    gateway.on("GET", f"{ONE}/volunteers", 200, {"items": [], "page": 1, "per_page": 100, "total": 0})
    page = html(admin.get(PAGE))
    assert 'name="current" type="number" value="12500"' in page and "Reached so far (BGN)" in page
    assert 'href="https://mu-plovdiv.bg/darenia" rel="external noopener noreferrer"' in page
    gateway.on("POST", f"{ONE}/progress", 200, a_campaign())
    response = post(admin, f"{PAGE}/progress", {"current": "13000"}, form_path=PAGE)
    assert response.status_code == 302 and gateway.sent("POST", f"{ONE}/progress")[-1].json == {"current": 13000}
    gateway.problem("POST", f"{ONE}/progress", 422, "validation", "Invalid input.",
                    errors={"current": ["Must be greater than or equal to 0."]})
    page = html(post(admin, f"{PAGE}/progress", {"current": "-5"}, form_path=PAGE))
    field = page.split('id="f-current"')[0].rsplit('<div class="field', 1)[1]
    assert "invalid" in field and "Must be greater than or equal to 0." in field


def test_the_cause_page_in_bulgarian(admin, gateway, segments):
    gateway.on("GET", ONE, 200, a_collection())
    gateway.on("GET", f"{ONE}/volunteers", 200, {"items": [volunteer("v-1", role_id="atlas", quantity=2)],
                                                 "page": 1, "per_page": 50, "total": 1})
    admin.get("/language/bg")
    page = html(admin.get(PAGE))
    assert '<html lang="bg">' in page and "Книги за библиотеката" in page and "Носи 2" in page
    assert "Предмети" in page and "Обещани" in page


@pytest.mark.parametrize("path,data", [
    ("/office/causes/new", {"title.bg": "x", "action": "save"}),
    (f"{PAGE}/publish", {}), (f"{PAGE}/close", {}), (f"{PAGE}/progress", {"current": "1"}),
    (f"{PAGE}/volunteers/v-1/hours", {"volunteers.v-1.hours": "2", "volunteers.v-1.on": "2030-04-05"}),
])
def test_a_form_without_its_csrf_token_sends_nothing(admin, gateway, published, path, data):
    assert admin.post(path, data=data).status_code == 400
    assert [c for c in gateway.calls if c.method != "GET" and c.path.startswith(CAUSES)] == []
