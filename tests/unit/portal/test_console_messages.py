"""The office's announcements and delivery log: what each page shows, what it sends to the
notifications API, and how every problem the API can return is explained."""
from __future__ import annotations

import re

import pytest

from tests.unit.portal.conftest import csrf_token, log_in

ANNOUNCEMENTS = "/api/v1/notifications/announcements"
DELIVERIES = "/api/v1/notifications/deliveries"
SEGMENTS = "/api/v1/members/segments"
A_ID = "a" * 32
SEGMENT_ID = "5" * 32


def announcement(status="spreading", audience_size=None, **progress) -> dict:
    counts = {s: 0 for s in ("queued", "sending", "sent", "failed", "skipped", "held", "digested", "unknown")}
    counts.update(progress)
    return {"id": A_ID, "subject": {"bg": "Среща на випуск 2005", "en": "Class of 2005 reunion"},
            "body": {"bg": "Здравейте!\r\n\r\nОчакваме ви.", "en": "Hello!\r\n\r\nSee you there."},
            "audience": {"kind": "graduation_years", "year_from": 2005, "year_to": 2005}, "category": "news",
            "channels": ["email", "sms"], "status": status, "audience_size": audience_size,
            "created_by": "admin-1", "created_at": "2026-03-01T10:00:00+00:00", "cancelled_at": None,
            "progress": counts}


def page(response) -> str:
    return response.get_data(as_text=True)


def form(client, **fields) -> dict:
    data = {"csrf_token": csrf_token(client, "/office/announcements/new"), "key": "k-1",
            "subject_bg": "Тема", "subject_en": "Subject", "body_bg": "Текст", "body_en": "Text",
            "audience": "all", "category": "news"}
    data.update(fields)
    return data


@pytest.fixture
def segments(gateway):
    gateway.on("GET", SEGMENTS, 200, {"items": [{"id": SEGMENT_ID, "name": "Pharmacists in Varna", "count": 1234}],
                                      "page": 1, "per_page": 100, "total": 1})


# --- who may see the pages ------------------------------------------------------------------

PAGES = ["/office/announcements", "/office/announcements/new", f"/office/announcements/{A_ID}",
         f"/office/announcements/{A_ID}/progress", f"/office/announcements/{A_ID}/cancel", "/office/deliveries"]


@pytest.mark.parametrize("path", PAGES)
def test_signed_out_visitors_are_sent_to_log_in(client, gateway, path):
    response = client.get(path)
    assert response.status_code == 302 and response.headers["Location"].startswith("/login?next=")


@pytest.mark.parametrize("roles", [("alumnus",), ("staff",)])
@pytest.mark.parametrize("path", PAGES)
def test_members_and_staff_are_refused_without_asking_the_api(client, gateway, path, roles):
    log_in(client, gateway, roles=roles)
    assert client.get(path).status_code == 403
    assert [c.path for c in gateway.calls if "/notifications/" in c.path or "/segments" in c.path] == []


# --- the list -----------------------------------------------------------------------------------

def test_the_list_shows_each_announcement_with_its_progress_in_the_pages_language(admin, gateway):
    gateway.on("GET", ANNOUNCEMENTS, 200, {"items": [announcement("spread", 40, sent=30, queued=10)],
                                           "page": 2, "per_page": 20, "total": 45})
    response = admin.get("/office/announcements?page=2")
    html = page(response)
    assert response.status_code == 200
    assert "Class of 2005 reunion" in html and f'href="/office/announcements/{A_ID}"' in html
    assert re.search(r'<progress[^>]*aria-labelledby="progress-' + A_ID + r'"[^>]*max="40"[^>]*value="30"', html)
    assert "30 of 40" in html and "Every recipient queued" in html
    assert 'rel="prev"' in html and 'rel="next"' in html  # 45 items, 20 a page, page 2
    assert gateway.sent("GET", ANNOUNCEMENTS)[-1].params == {"page": 2, "per_page": 20}
    admin.get("/language/bg")
    html = page(admin.get("/office/announcements"))
    assert "Среща на випуск 2005" in html and "Class of 2005 reunion" not in html


def test_an_empty_list_says_so_and_offers_a_new_announcement(admin, gateway):
    gateway.on("GET", ANNOUNCEMENTS, 200, {"items": [], "page": 1, "per_page": 20, "total": 0})
    html = page(admin.get("/office/announcements"))
    assert "No announcements yet." in html and 'href="/office/announcements/new"' in html


@pytest.mark.parametrize("status", [403, 429])
def test_the_list_explains_the_apis_refusal(admin, gateway, status):
    gateway.problem("GET", ANNOUNCEMENTS, status, "forbidden" if status == 403 else "too-many-requests")
    assert admin.get("/office/announcements").status_code == status


def test_the_list_with_the_api_down_is_the_friendly_page(admin, gateway):
    gateway.down = True
    assert admin.get("/office/announcements").status_code == 503


# --- a new announcement -----------------------------------------------------------------------

def test_the_form_offers_every_audience_with_the_saved_segments_and_their_counts(admin, gateway, segments):
    response = admin.get("/office/announcements/new")
    html = page(response)
    assert response.status_code == 200
    for kind in ("all", "graduation_years", "faculty", "segment"):
        assert f'<option value="{kind}"' in html
    assert f'<option value="{SEGMENT_ID}"' in html and "Pharmacists in Varna (1,234)" in html
    assert '<option value="pharmacy"' in html and 'name="sms"' in html
    assert gateway.sent("GET", SEGMENTS)[-1].params == {"page": 1, "per_page": 100}


def test_a_class_announcement_with_sms_is_sent_once_and_leads_to_its_live_page(admin, gateway, segments):
    gateway.on("POST", ANNOUNCEMENTS, 202, announcement())
    response = admin.post("/office/announcements/new", data=form(admin, audience="graduation_years",
                                                                 graduation_year="2005", sms="on", key="k-42"))
    assert response.status_code == 302 and response.headers["Location"] == f"/office/announcements/{A_ID}"
    [call] = gateway.sent("POST", ANNOUNCEMENTS)
    assert call.json == {"subject": {"bg": "Тема", "en": "Subject"}, "body": {"bg": "Текст", "en": "Text"},
                         "audience": {"kind": "graduation_years", "year_from": 2005, "year_to": 2005},
                         "category": "news", "channels": ["email", "sms"]}
    assert call.headers["Idempotency-Key"] == "k-42"


@pytest.mark.parametrize("fields, audience", [
    ({"audience": "all"}, {"kind": "all"}),
    ({"audience": "faculty", "faculty": "pharmacy"}, {"kind": "faculty", "faculty": "pharmacy"}),
    ({"audience": "segment", "segment_id": SEGMENT_ID}, {"kind": "segment", "segment_id": SEGMENT_ID}),
])
def test_each_audience_is_sent_as_the_api_names_it_by_email_only_unless_sms_is_ticked(admin, gateway, segments,
                                                                                       fields, audience):
    gateway.on("POST", ANNOUNCEMENTS, 202, announcement())
    admin.post("/office/announcements/new", data=form(admin, category="events", **fields))
    [call] = gateway.sent("POST", ANNOUNCEMENTS)
    assert call.json["audience"] == audience
    assert call.json["channels"] == ["email"] and call.json["category"] == "events"


def test_a_class_without_a_year_is_caught_before_asking_the_api(admin, gateway, segments):
    response = admin.post("/office/announcements/new", data=form(admin, audience="graduation_years",
                                                                 graduation_year="twenty"))
    html = page(response)
    assert response.status_code == 400
    assert "Enter the year of the class" in html and 'href="#f-graduation_year"' in html
    assert 'value="Тема"' in html  # what was typed is kept
    assert gateway.sent("POST", ANNOUNCEMENTS) == []


def test_the_apis_field_errors_are_shown_at_the_forms_fields(admin, gateway, segments):
    gateway.problem("POST", ANNOUNCEMENTS, 422, "validation", "Invalid input.", errors={
        "subject": {"en": ["Longer than maximum length 200."]},
        "body": {"bg": ["Missing data for required field."]},
        "audience": {"faculty": ["Required for a faculty audience."]}})
    response = admin.post("/office/announcements/new", data=form(admin, audience="faculty", subject_en="x" * 201))
    html = page(response)
    assert response.status_code == 400
    assert 'href="#f-subject_en"' in html and "Enter at most 200 characters." in html
    assert 'href="#f-body_bg"' in html and "This field is required." in html
    assert 'href="#f-faculty"' in html and "Required for a faculty audience." in html
    assert re.search(r'id="f-subject_en"[^>]*aria-invalid="true"', html)
    assert 'value="k-1"' not in html  # a corrected form is a new request with its own key


def test_an_unknown_segment_is_shown_at_the_segment_field(admin, gateway, segments):
    gateway.problem("POST", ANNOUNCEMENTS, 422, "validation", "No such segment.",
                    errors={"audience": {"segment_id": ["Unknown or deleted segment."]}})
    html = page(admin.post("/office/announcements/new", data=form(admin, audience="segment", segment_id=SEGMENT_ID)))
    assert 'href="#f-segment_id"' in html and "Unknown or deleted segment." in html
    assert f'<option value="{SEGMENT_ID}" selected' in html


@pytest.mark.parametrize("status, kind, words", [
    (403, "forbidden", "You are not allowed to do this."),
    (409, "idempotency-in-progress", "already being sent"),
    (429, "too-many-requests", "Too many attempts."),
])
def test_refusals_of_the_api_are_explained_on_the_form(admin, gateway, segments, status, kind, words):
    gateway.problem("POST", ANNOUNCEMENTS, status, kind, "no")
    response = admin.post("/office/announcements/new", data=form(admin))
    assert response.status_code == status and words in page(response)
    assert 'role="alert"' in page(response)


def test_a_form_sent_again_with_other_words_is_explained_without_a_field_error(admin, gateway, segments):
    gateway.problem("POST", ANNOUNCEMENTS, 422, "idempotency-mismatch", "Used with a different request body.",
                    errors={"Idempotency-Key": ["Used with a different body."]})
    response = admin.post("/office/announcements/new", data=form(admin, subject_en="Other words"))
    html = page(response)
    assert response.status_code == 400 and "already sent with other contents" in html
    assert "#f-Idempotency-Key" not in html and 'value="Other words"' in html


def test_the_form_still_works_when_the_segments_cannot_be_listed(admin, gateway):
    gateway.problem("GET", SEGMENTS, 403, "forbidden")
    response = admin.get("/office/announcements/new")
    assert response.status_code == 200 and "The segments cannot be listed right now" in page(response)
    assert 'name="segment_id"' not in page(response)


def test_sending_with_the_api_down_is_the_friendly_page(admin, gateway, segments):
    data = form(admin)
    gateway.down = True
    assert admin.post("/office/announcements/new", data=data).status_code == 503


def test_a_form_without_its_csrf_token_sends_nothing(admin, gateway, segments):
    data = form(admin)
    del data["csrf_token"]
    assert admin.post("/office/announcements/new", data=data).status_code == 400
    assert gateway.sent("POST", ANNOUNCEMENTS) == []


def test_the_form_is_in_bulgarian_with_bulgarian_field_messages(admin, gateway, segments):
    admin.get("/language/bg")
    gateway.problem("POST", ANNOUNCEMENTS, 422, "validation", "Invalid input.",
                    errors={"subject": {"bg": ["Missing data for required field."]}})
    html = page(admin.post("/office/announcements/new", data=form(admin, subject_bg="")))
    assert '<html lang="bg">' in html and "Ново съобщение" in html
    assert "Missing data" not in html and "This field is required." not in html


# --- an announcement's page and its live progress ---------------------------------------------

def test_the_page_of_an_announcement_under_way_polls_its_progress_and_offers_to_stop_it(admin, gateway):
    gateway.on("GET", f"{ANNOUNCEMENTS}/{A_ID}", 200, announcement("spread", 100, queued=20, sending=5, sent=60,
                                                                   failed=3, skipped=7, held=4, unknown=1))
    response = admin.get(f"/office/announcements/{A_ID}")
    html = page(response)
    assert response.status_code == 200
    assert f'data-poll-url="/office/announcements/{A_ID}/progress"' in html
    assert re.search(r'<progress[^>]*aria-labelledby="progress-label"[^>]*max="100"[^>]*value="75"', html)
    assert "75 of 100 handled (75%)" in html
    for label, count in (("Queued", 20), ("Sent", 60), ("Failed", 3), ("Skipped", 7), ("Held for digests", 4),
                         ("Unknown", 1)):
        assert f'<th scope="row">{label}</th><td>{count}</td>' in html
    assert "data-done" not in html
    assert f'action="/office/announcements/{A_ID}/cancel"' in html and "Stop this announcement" in html
    assert "Class of 2005" in html and "Email, SMS" in html
    assert f'href="/office/deliveries?announcement={A_ID}"' in html
    assert "<p>Здравейте!</p><p>Очакваме ви.</p>" in html  # both languages, paragraphs kept


def test_the_fragment_says_done_when_nothing_waits_and_then_polling_stops(admin, gateway):
    gateway.on("GET", f"{ANNOUNCEMENTS}/{A_ID}", 200, announcement("spread", 10, sent=8, failed=2))
    fragment = page(admin.get(f"/office/announcements/{A_ID}/progress"))
    assert "data-done" in fragment and "<html" not in fragment
    assert "Done: nothing is waiting to be sent." in fragment and "Stop this announcement" not in fragment
    assert "data-poll-url" not in page(admin.get(f"/office/announcements/{A_ID}"))


def test_the_fragment_keeps_polling_while_recipients_are_still_being_found(admin, gateway):
    gateway.on("GET", f"{ANNOUNCEMENTS}/{A_ID}", 200, announcement("spreading", None))
    fragment = page(admin.get(f"/office/announcements/{A_ID}/progress"))
    assert "data-done" not in fragment and "Finding the recipients" in fragment
    assert re.search(r"<progress(?![^>]*value=)[^>]*>", fragment)  # indeterminate: the whole is not known yet
    assert "Stop this announcement" in fragment


def test_held_deliveries_end_the_polling_but_can_still_be_stopped(admin, gateway):
    gateway.on("GET", f"{ANNOUNCEMENTS}/{A_ID}", 200, announcement("spread", 10, sent=7, held=3))
    fragment = page(admin.get(f"/office/announcements/{A_ID}/progress"))
    assert "data-done" in fragment and "3 will go out with the members' daily digests." in fragment
    assert "Stop this announcement" in fragment


def test_a_stopped_announcement_is_done_and_cannot_be_stopped_again(admin, gateway):
    gateway.on("GET", f"{ANNOUNCEMENTS}/{A_ID}", 200, {**announcement("cancelled", 10, sent=4, skipped=6),
                                                       "cancelled_at": "2026-03-01T10:05:00+00:00"})
    html = page(admin.get(f"/office/announcements/{A_ID}"))
    assert "data-done" in html and "Stopped. Nothing more will be sent." in html
    assert "Stop this announcement" not in html
    assert "nothing left to stop" in page(admin.get(f"/office/announcements/{A_ID}/cancel"))


def test_the_segment_of_an_announcement_is_named(admin, gateway):
    gateway.on("GET", f"{ANNOUNCEMENTS}/{A_ID}", 200, {**announcement("spread", 1, sent=1),
                                                       "audience": {"kind": "segment", "segment_id": SEGMENT_ID}})
    gateway.on("GET", f"{SEGMENTS}/{SEGMENT_ID}", 200, {"id": SEGMENT_ID, "name": "Pharmacists in Varna"})
    assert "Segment: Pharmacists in Varna" in page(admin.get(f"/office/announcements/{A_ID}"))
    gateway.problem("GET", f"{SEGMENTS}/{SEGMENT_ID}", 404, "not-found")
    assert "A members segment" in page(admin.get(f"/office/announcements/{A_ID}"))


@pytest.mark.parametrize("path", [f"/office/announcements/{A_ID}", f"/office/announcements/{A_ID}/progress",
                                  f"/office/announcements/{A_ID}/cancel"])
def test_an_unknown_announcement_is_a_404_page(admin, gateway, path):
    gateway.problem("GET", f"{ANNOUNCEMENTS}/{A_ID}", 404, "not_found", "No such announcement.")
    assert admin.get(path).status_code == 404


def test_an_announcement_id_that_is_no_id_never_reaches_the_api(admin, gateway):
    assert admin.get("/office/announcements/..%2F..%2Fmembers/progress").status_code == 404
    assert admin.get("/office/announcements/a%3Fx%3D1").status_code == 404
    token = csrf_token(admin, "/office/deliveries")
    assert admin.post("/office/announcements/a.b/cancel", data={"csrf_token": token}).status_code == 404
    assert [c.path for c in gateway.calls if c.path.startswith(ANNOUNCEMENTS + "/")] == []


def test_the_polled_fragment_answers_401_when_the_session_ended_instead_of_the_login_page(client, gateway):
    response = client.get(f"/office/announcements/{A_ID}/progress", headers={"X-Requested-With": "fetch"})
    assert response.status_code == 401 and "Log in" not in page(response)
    log_in(client, gateway, member_id="admin-1", roles=("admin",))
    gateway.on("POST", "/api/v1/members/auth/refresh", 401, {"status": 401})
    gateway.on("GET", f"{ANNOUNCEMENTS}/{A_ID}", 401, {"status": 401})  # revoked: the refresh fails too
    response = client.get(f"/office/announcements/{A_ID}/progress", headers={"X-Requested-With": "fetch"})
    assert response.status_code == 401


def test_the_progress_with_the_api_down_is_the_friendly_page(admin, gateway):
    gateway.down = True
    assert admin.get(f"/office/announcements/{A_ID}/progress").status_code == 503


def test_the_live_page_in_bulgarian(admin, gateway):
    admin.get("/language/bg")
    gateway.on("GET", f"{ANNOUNCEMENTS}/{A_ID}", 200, announcement("spread", 10, queued=2, sent=8))
    html = page(admin.get(f"/office/announcements/{A_ID}"))
    assert '<html lang="bg">' in html and "<h1>Среща на випуск 2005</h1>" in html
    assert "Stop this announcement" not in html and "Queued" not in html


# --- stopping -----------------------------------------------------------------------------------

def test_stopping_asks_first_then_posts_the_cancel_and_says_so(admin, gateway):
    gateway.on("GET", f"{ANNOUNCEMENTS}/{A_ID}", 200, announcement("spread", 10, queued=5, sent=5))
    confirm = admin.get(f"/office/announcements/{A_ID}/cancel")
    html = page(confirm)
    assert confirm.status_code == 200 and "Stop this announcement?" in html
    assert "What was already sent stays sent: 5 so far." in html
    assert gateway.sent("POST", f"{ANNOUNCEMENTS}/{A_ID}/cancel") == []  # asking changes nothing
    token = re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)
    gateway.on("POST", f"{ANNOUNCEMENTS}/{A_ID}/cancel", 200, announcement("cancelled", 10, sent=5, skipped=5))
    response = admin.post(f"/office/announcements/{A_ID}/cancel", data={"csrf_token": token})
    assert response.status_code == 302 and response.headers["Location"] == f"/office/announcements/{A_ID}"
    assert len(gateway.sent("POST", f"{ANNOUNCEMENTS}/{A_ID}/cancel")) == 1
    assert "The announcement is stopped." in page(admin.get(f"/office/announcements/{A_ID}"))


def test_stopping_without_the_csrf_token_stops_nothing(admin, gateway):
    assert admin.post(f"/office/announcements/{A_ID}/cancel").status_code == 400
    assert gateway.sent("POST", f"{ANNOUNCEMENTS}/{A_ID}/cancel") == []


@pytest.mark.parametrize("status, kind", [(403, "forbidden"), (404, "not_found"), (429, "too-many-requests")])
def test_stopping_refused_by_the_api_is_explained(admin, gateway, status, kind):
    gateway.problem("POST", f"{ANNOUNCEMENTS}/{A_ID}/cancel", status, kind, "no")
    token = csrf_token(admin, "/office/deliveries?since=bad")
    response = admin.post(f"/office/announcements/{A_ID}/cancel", data={"csrf_token": token})
    assert response.status_code == status and 'role="alert"' in page(response)


# --- the delivery log ---------------------------------------------------------------------------

def delivery(**extra) -> dict:
    return {"id": "d-1", "event_id": "e-1", "announcement_id": A_ID, "recipient": "m-7", "channel": "email",
            "template": "announcement", "category": "news", "language": "bg", "status": "skipped",
            "reason": "no consent", "attempts": 0, "last_error": None, "provider": None,
            "queued_at": "2026-03-01T10:00:00+00:00", "due_at": None, "sent_at": None, "failed_at": None,
            "anonymised_at": None, **extra}


def test_the_delivery_log_sends_every_filter_and_shows_the_rows(admin, gateway):
    gateway.on("GET", DELIVERIES, 200, {"items": [delivery()], "page": 3, "per_page": 50, "total": 151})
    response = admin.get(f"/office/deliveries?member=m-7&status=skipped&channel=email&template=announcement"
                         f"&announcement={A_ID}&since=2026-03-01&until=2026-03-31&page=3")
    html = page(response)
    assert response.status_code == 200
    assert gateway.sent("GET", DELIVERIES)[-1].params == {
        "per_page": 50, "page": 3, "recipient": "m-7", "status": "skipped", "channel": "email",
        "template": "announcement", "announcement_id": A_ID,
        "since": "2026-03-01T00:00:00+02:00", "until": "2026-04-01T00:00:00+03:00"}  # Sofia days, DST included
    assert "151 deliveries" in html and "no consent" in html and "<td>Skipped</td>" in html
    assert 'class="table-wrap"' in html and 'rel="next"' in html and 'rel="prev"' in html
    assert '<option value="skipped" selected' in html and 'value="m-7"' in html


def test_the_delivery_log_without_filters_asks_for_the_first_page(admin, gateway):
    gateway.on("GET", DELIVERIES, 200, {"items": [], "page": 1, "per_page": 50, "total": 0})
    html = page(admin.get("/office/deliveries"))
    assert gateway.sent("GET", DELIVERIES)[-1].params == {"per_page": 50, "page": 1}
    assert "No deliveries match these filters." in html and 'rel="next"' not in html


def test_an_erased_recipient_is_not_named(admin, gateway):
    gateway.on("GET", DELIVERIES, 200, {"items": [delivery(recipient="erased-1", anonymised_at="2026-03-02T00:00:00Z")],
                                        "page": 1, "per_page": 50, "total": 1})
    html = page(admin.get("/office/deliveries"))
    assert "erased member" in html and "erased-1" not in html


def test_a_malformed_or_backwards_day_is_caught_before_asking_the_api(admin, gateway):
    response = admin.get("/office/deliveries?since=1.3.2026&until=2026-02-01")
    html = page(response)
    assert response.status_code == 400 and 'href="#f-since"' in html
    response = admin.get("/office/deliveries?since=2026-03-01&until=2026-02-01")
    assert response.status_code == 400 and 'href="#f-until"' in page(response)
    assert gateway.sent("GET", DELIVERIES) == []


def test_the_apis_field_errors_are_shown_at_the_filters(admin, gateway):
    gateway.problem("GET", DELIVERIES, 422, "validation", "Invalid input.",
                    errors={"status": ["Must be one of: queued, sent."], "recipient": ["Longer than maximum length 80."]})
    response = admin.get("/office/deliveries?status=bogus&member=x")
    html = page(response)
    assert response.status_code == 400
    assert 'href="#f-status"' in html and "Choose one of the offered values." in html
    assert 'href="#f-member"' in html


@pytest.mark.parametrize("status, kind, words", [(403, "forbidden", "Only the alumni office"),
                                                 (429, "too-many-requests", "Too many attempts.")])
def test_the_delivery_log_explains_refusals(admin, gateway, status, kind, words):
    gateway.problem("GET", DELIVERIES, status, kind)
    response = admin.get("/office/deliveries")
    assert response.status_code == status and words in page(response)


def test_the_delivery_log_with_the_api_down_is_the_friendly_page(admin, gateway):
    gateway.down = True
    assert admin.get("/office/deliveries").status_code == 503


def test_the_delivery_log_in_bulgarian(admin, gateway):
    admin.get("/language/bg")
    gateway.on("GET", DELIVERIES, 200, {"items": [delivery(status="sent")], "page": 1, "per_page": 50, "total": 1})
    html = page(admin.get("/office/deliveries"))
    assert "<h1>Дневник на изпращанията</h1>" in html and "<td>Изпратено</td>" in html


def test_strings_these_pages_share_with_other_areas_read_the_same_in_bulgarian():
    """The areas' catalogues are merged into one at run time (the last loaded wins), so a
    string of ours translated otherwise elsewhere would change the other area's page."""
    from frontends.portal import catalogues
    translated: dict[str, dict[str, str]] = {}
    for area in catalogues.areas():
        for message in catalogues.read(area):
            if message.id and message.string and isinstance(message.id, str):
                translated.setdefault(message.id, {})[area or "core"] = message.string
    ours = {"console_messages", "console_dashboard"}
    clashes = {msgid: by for msgid, by in translated.items() if ours & by.keys() and len(set(by.values())) > 1}
    assert clashes == {}
